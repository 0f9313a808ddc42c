//! The running system: sources -> analysis -> store -> workflow -> notify, joined by
//! bounded channels. The only crate that wires the others together.

pub mod analyzer;
pub mod clock;
pub mod db;
mod intake;
pub mod outbox;
pub mod pipeline;
pub mod report;
pub mod search;
pub mod stages;

pub use clock::{Clock, ManualClock, SystemClock};
pub use db::Db;
pub use outbox::Outbox;
pub use pipeline::{
    Analysed, Analyze, CaseRef, Engine, EngineConfig, EngineError, Progress, Stage, StageContext,
};
pub use search::{Hit, SearchFilter, SearchIndex};
