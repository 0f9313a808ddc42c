//! HTTP API and server-rendered web interface.
