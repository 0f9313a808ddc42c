//! Configuration: command-line flags over environment variables over the TOML config file
//! over built-in defaults. See config/example.toml for every key.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// Environment variable naming the data folder.
pub const DATA_DIR_ENV: &str = "KUNDENVERSTEHER_DATA_DIR";
/// Default data folder, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "kv-data";

/// The `[…]` sections of the TOML config file. Unknown keys are an error so typos surface.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Where the embedded store keeps everything.
    pub data_dir: Option<PathBuf>,
    #[serde(default)]
    pub server: ServerConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address `serve` listens on, e.g. "127.0.0.1:8080".
    pub bind: Option<String>,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))
    }
}

/// The settings every command sees.
#[derive(Debug)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub file: FileConfig,
}

impl Settings {
    /// `--data-dir` (which clap already merged with the environment variable) wins over the
    /// config file, which wins over the default.
    pub fn resolve(data_dir_flag: Option<PathBuf>, config: Option<&Path>) -> anyhow::Result<Self> {
        let file = match config {
            Some(path) => FileConfig::load(path)?,
            None => {
                let default = Path::new("kundenversteher.toml");
                if default.exists() {
                    FileConfig::load(default)?
                } else {
                    FileConfig::default()
                }
            }
        };
        let data_dir = data_dir_flag
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        Ok(Settings { data_dir, file })
    }
}

pub fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("KUNDENVERSTEHER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/example.toml");
        let cfg = FileConfig::load(&path).expect("config/example.toml must stay valid");
        assert!(cfg.server.bind.is_some());
    }

    #[test]
    fn flag_wins_over_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "data_dir = \"from-file\"\n").unwrap();
        let s = Settings::resolve(None, Some(&path)).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("from-file"));
        let s = Settings::resolve(Some("flag".into()), Some(&path)).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("flag"));
    }

    #[test]
    fn unknown_key_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "data_dri = \"typo\"\n").unwrap();
        assert!(Settings::resolve(None, Some(&path)).is_err());
    }
}
