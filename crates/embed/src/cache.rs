//! An on-disk cache of embeddings per data set, so repeated evaluations (cross-validation
//! with other settings) do not run the encoder again. The key hashes the model file and
//! every text in order; the file is `n: u32, dim: u32, n * dim f32`, little-endian.

use std::path::Path;

use xxhash_rust::xxh3::Xxh3;

use crate::{EmbedError, Encoder};

/// Embeddings of `texts`, read from `dir` when there, else computed (progress on stderr)
/// and written there.
pub fn cached(enc: &Encoder, texts: &[&str], dir: &Path) -> Result<Vec<Vec<f32>>, EmbedError> {
    let mut h = Xxh3::new();
    h.update(&enc.id().to_le_bytes());
    h.update(&(texts.len() as u64).to_le_bytes());
    for t in texts {
        h.update(t.as_bytes());
        h.update(&[0]);
    }
    let path = dir.join(format!("e5-{:016x}.emb", h.digest()));
    let dim = enc.dim();
    if let Ok(bytes) = std::fs::read(&path)
        && let Some(v) = parse(&bytes, texts.len(), dim)
    {
        return Ok(v);
    }
    let start = std::time::Instant::now();
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(256) {
        out.extend(enc.embed(chunk)?);
        eprintln!(
            "embedded {}/{} texts ({:.0} s)",
            out.len(),
            texts.len(),
            start.elapsed().as_secs_f64()
        );
    }
    let mut bytes = Vec::with_capacity(8 + out.len() * dim * 4);
    bytes.extend_from_slice(&(texts.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&(dim as u32).to_le_bytes());
    for v in &out {
        for x in v {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
    }
    let io = |e| EmbedError::Io(path.clone(), e);
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, &bytes).map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok(out)
}

fn parse(bytes: &[u8], n: usize, dim: usize) -> Option<Vec<Vec<f32>>> {
    if bytes.len() != 8 + n * dim * 4 {
        return None;
    }
    let head = |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    if head(0) as usize != n || head(4) as usize != dim {
        return None;
    }
    Some(
        bytes[8..]
            .chunks_exact(dim * 4)
            .map(|row| {
                row.chunks_exact(4)
                    .map(|s| f32::from_le_bytes([s[0], s[1], s[2], s[3]]))
                    .collect()
            })
            .collect(),
    )
}
