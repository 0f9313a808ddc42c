//! The running system: sources -> analysis -> store -> workflow -> notify, joined by
//! bounded channels. The only crate that wires the others together.

pub mod analyzer;
pub mod db;
pub mod pipeline;
pub mod search;
pub mod stages;

pub use db::Db;
pub use pipeline::{Analysed, Analyze, Engine, EngineConfig, EngineError, Progress, Stage};
pub use search::{Hit, SearchFilter, SearchIndex};
