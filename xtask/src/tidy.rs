//! Tidy checks that keep the codebase's shape: dependency direction between our crates,
//! pure crates free of IO and async, a `//!` line atop every file, no stubs. They run under
//! `cargo test` (as unit tests of this module) and as `cargo xtask tidy`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// Which of our crates each crate may depend on. Dependencies point one way:
/// model <- {ingest, analysis, workflow, store, notify, report} <- engine <- web <- cli, and
/// report <- workflow (reports count business time on the workflow's calendars).
const ALLOWED: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("ingest", &["model"]),
    ("analysis", &["model"]),
    ("embed", &["model", "analysis"]),
    ("workflow", &["model"]),
    ("store", &["model"]),
    ("notify", &["model"]),
    ("report", &["model", "workflow"]),
    (
        "engine",
        &[
            "model", "ingest", "analysis", "workflow", "store", "notify", "report",
        ],
    ),
    (
        "web",
        &[
            "model", "ingest", "analysis", "workflow", "store", "notify", "report", "engine",
        ],
    ),
    (
        "cli",
        &[
            "model", "ingest", "analysis", "embed", "workflow", "store", "notify", "report",
            "engine", "web",
        ],
    ),
    (
        "xtask",
        &[
            "model", "ingest", "analysis", "workflow", "store", "notify", "report", "engine",
        ],
    ),
];

/// External crates the pure crates must not use: no IO runtime, no network, no database.
const IMPURE: &[&str] = &[
    "tokio",
    "reqwest",
    "rusqlite",
    "axum",
    "hyper",
    "tokio-postgres",
    "async-nats",
];
const PURE_CRATES: &[&str] = &["model", "analysis", "workflow"];

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Normal (non-dev) dependencies of each workspace member, by package name.
fn workspace_deps() -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let mut deps = BTreeMap::new();
    for pkg in meta["packages"].as_array().context("packages")? {
        let name = pkg["name"].as_str().context("name")?.to_string();
        let list = pkg["dependencies"]
            .as_array()
            .context("dependencies")?
            .iter()
            .filter(|d| d["kind"].is_null())
            .filter_map(|d| d["name"].as_str().map(str::to_string))
            .collect();
        deps.insert(name, list);
    }
    Ok(deps)
}

pub fn check_dependency_direction() -> anyhow::Result<()> {
    let deps = workspace_deps()?;
    let ours: Vec<&str> = ALLOWED.iter().map(|(n, _)| *n).collect();
    let mut problems = Vec::new();
    for (krate, list) in &deps {
        let Some((_, allowed)) = ALLOWED.iter().find(|(n, _)| n == krate) else {
            problems.push(format!("crate `{krate}` is not in xtask's ALLOWED table"));
            continue;
        };
        for dep in list {
            if ours.contains(&dep.as_str()) && !allowed.contains(&dep.as_str()) {
                problems.push(format!("`{krate}` must not depend on `{dep}`"));
            }
            if PURE_CRATES.contains(&krate.as_str()) && IMPURE.contains(&dep.as_str()) {
                problems.push(format!("pure crate `{krate}` must not depend on `{dep}`"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        bail!("{}", problems.join("\n"))
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn our_rust_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    rust_files(&root().join("xtask"), &mut files);
    files
}

pub fn check_file_headers() -> anyhow::Result<()> {
    let missing: Vec<String> = our_rust_files()
        .into_iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|f| f.strip_prefix(root()).unwrap_or(&f).display().to_string())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        bail!(
            "files without a `//!` line saying what they are for:\n{}",
            missing.join("\n")
        )
    }
}

pub fn check_no_stubs() -> anyhow::Result<()> {
    // Built from pieces so this file does not match itself.
    let markers = [
        ["todo", "!("].concat(),
        ["unimplemented", "!("].concat(),
        ["#[", "ignore]"].concat(),
    ];
    let mut found = Vec::new();
    for f in our_rust_files() {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            if markers.iter().any(|m| line.contains(m.as_str())) {
                found.push(format!(
                    "{}:{}: {}",
                    f.strip_prefix(root()).unwrap_or(&f).display(),
                    i + 1,
                    line.trim()
                ));
            }
        }
    }
    if found.is_empty() {
        Ok(())
    } else {
        bail!("stubs or ignored tests:\n{}", found.join("\n"))
    }
}

pub fn run() -> anyhow::Result<()> {
    check_dependency_direction()?;
    check_file_headers()?;
    check_no_stubs()?;
    println!("tidy: ok");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn dependency_direction() {
        super::check_dependency_direction().unwrap();
    }

    #[test]
    fn file_headers() {
        super::check_file_headers().unwrap();
    }

    #[test]
    fn no_stubs() {
        super::check_no_stubs().unwrap();
    }
}
