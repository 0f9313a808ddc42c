//! Where everything is kept: the embedded SQLite store in one data folder (default).
