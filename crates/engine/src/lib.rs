//! The running system: sources -> analysis -> store -> workflow -> notify, joined by
//! bounded channels. The only crate that wires the others together.

pub mod db;

pub use db::Db;
