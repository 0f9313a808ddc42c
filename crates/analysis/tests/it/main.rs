//! Integration tests of the analysis crate: golden cases for every analysis in German and
//! English on the bundled models, training determinism, evaluation JSON shape, model files.

mod golden;
mod models;
mod training;

use std::path::{Path, PathBuf};

/// A file of the shared datasets (`../shared/data` beside the repository).
pub fn shared(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
}
