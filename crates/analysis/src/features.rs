//! Hashed sparse features of a text for the linear classifiers: word unigrams and bigrams,
//! Snowball stems, token kinds (URL, mention, emoji, `!`), and character n-grams inside word
//! boundaries (they catch German compounds: "Zugausfall" shares "ausfall" with "Ausfall").
//! Counts are damped (`1 + ln tf`) and each group (tokens, chars) is L2-normalised.

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::text::{Lang, TokenKind, Tokenizer, Tokens};

/// Which features a model uses. Stored in the model file, so a model is always fed the
/// features it was trained on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Hash space is `2^bits` buckets.
    pub bits: u8,
    /// Word bigrams (over stems).
    pub bigrams: bool,
    /// Surface word forms besides the stems.
    pub surface: bool,
    /// Character n-grams `char_min..=char_max` of each word with `<`/`>` boundary marks; 0 = off.
    pub char_min: u8,
    pub char_max: u8,
    /// Mark words after a negation ("nicht gut" -> `neg:gut`).
    pub negation: bool,
    /// Weight of the character group relative to the token group.
    pub char_weight: f32,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            bits: 20,
            bigrams: true,
            surface: true,
            char_min: 2,
            char_max: 5,
            negation: true,
            char_weight: 1.0,
        }
    }
}

/// A sparse feature vector: sorted unique bucket indices with values.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Features {
    pub idx: Vec<u32>,
    pub val: Vec<f32>,
}

impl Features {
    pub fn len(&self) -> usize {
        self.idx.len()
    }

    pub fn is_empty(&self) -> bool {
        self.idx.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.idx.iter().copied().zip(self.val.iter().copied())
    }
}

/// Turns texts into [`Features`]. Immutable and shareable; per-call buffers live in a
/// [`Scratch`].
#[derive(Debug)]
pub struct Featurizer {
    config: FeatureConfig,
    tokenizer: Tokenizer,
}

/// Reusable buffers for [`Featurizer::features_into`]; also holds the tokens of the last text.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    pub tokens: Tokens,
    raw_tokens: Vec<u32>,
    raw_chars: Vec<u32>,
    merged: Features,
}

const SEED_STEM: u64 = 1;
const SEED_SURFACE: u64 = 2;
const SEED_BIGRAM: u64 = 3;
const SEED_KIND: u64 = 4;
const SEED_NEG: u64 = 5;
const SEED_CHAR: u64 = 16;

fn mix(a: u64, b: u64) -> u64 {
    // splitmix64 finaliser over the pair.
    let mut z = a ^ b.rotate_left(29) ^ 0x9E37_79B9_7F4A_7C15;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Featurizer {
    pub fn new(config: FeatureConfig) -> Self {
        Featurizer {
            config,
            tokenizer: Tokenizer::new().with_negation(config.negation),
        }
    }

    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    pub fn features(&self, text: &str, lang: Lang) -> Features {
        let mut f = Features::default();
        self.features_into(text, lang, &mut Scratch::default(), &mut f);
        f
    }

    /// Computes the features of `text` into `out`, reusing all buffers. The tokens stay in
    /// `scratch.tokens`.
    pub fn features_into(&self, text: &str, lang: Lang, scratch: &mut Scratch, out: &mut Features) {
        let cfg = self.config;
        let mask = (1u64 << cfg.bits) - 1;
        self.tokenizer
            .tokenize_into(text, lang, &mut scratch.tokens);
        let Scratch {
            tokens,
            raw_tokens,
            raw_chars,
            merged,
        } = scratch;
        raw_tokens.clear();
        raw_chars.clear();
        let mut prev: u64 = 0x5eed; // sentence start
        let mut chars = [0u8; 68];
        let mut bounds = [0usize; 69];
        for t in tokens.iter() {
            let unit = t.stem.as_bytes();
            let h = xxh3_64_with_seed(unit, if t.negated { SEED_NEG } else { SEED_STEM });
            raw_tokens.push((h & mask) as u32);
            if cfg.surface && t.kind == TokenKind::Word && t.text != t.stem {
                let hs = xxh3_64_with_seed(t.text.as_bytes(), SEED_SURFACE);
                raw_tokens.push((hs & mask) as u32);
            }
            if !matches!(t.kind, TokenKind::Word) {
                let hk = xxh3_64_with_seed(&[t.kind as u8], SEED_KIND);
                raw_tokens.push((hk & mask) as u32);
            }
            if cfg.bigrams {
                raw_tokens.push((mix(prev ^ SEED_BIGRAM, h) & mask) as u32);
            }
            prev = h;
            if cfg.char_max >= cfg.char_min
                && cfg.char_min > 0
                && matches!(
                    t.kind,
                    TokenKind::Word | TokenKind::Hashtag | TokenKind::Code
                )
            {
                // `<word>` with boundary marks, cut to the buffer; n-grams over chars.
                let body = t.text.trim_start_matches('#').as_bytes();
                let mut len = 0;
                chars[len] = b'<';
                len += 1;
                let take = body.len().min(chars.len() - 2);
                chars[len..len + take].copy_from_slice(&body[..take]);
                len += take;
                chars[len] = b'>';
                len += 1;
                let s = &chars[..len];
                let mut nb = 0;
                for (i, &b) in s.iter().enumerate() {
                    if (b & 0xC0) != 0x80 {
                        bounds[nb] = i;
                        nb += 1;
                    }
                }
                bounds[nb] = len;
                for n in cfg.char_min as usize..=cfg.char_max as usize {
                    if n > nb {
                        break;
                    }
                    for start in 0..=(nb - n) {
                        let piece = &s[bounds[start]..bounds[start + n]];
                        let hc = xxh3_64_with_seed(piece, SEED_CHAR);
                        raw_chars.push((hc & mask) as u32);
                    }
                }
            }
        }
        if cfg.bigrams && !tokens.is_empty() {
            raw_tokens.push((mix(prev, 0xe0d) & mask) as u32);
        }
        out.idx.clear();
        out.val.clear();
        push_group(raw_tokens, 1.0, out);
        push_group(raw_chars, cfg.char_weight, out);
        merge_sorted(out, merged);
    }
}

/// Sorts and counts one group's indices, appends `(idx, weight * (1 + ln tf) / norm)`.
fn push_group(raw: &mut [u32], weight: f32, out: &mut Features) {
    if raw.is_empty() || weight == 0.0 {
        return;
    }
    raw.sort_unstable();
    let start = out.idx.len();
    let mut i = 0;
    let mut sq = 0.0f32;
    while i < raw.len() {
        let mut j = i + 1;
        while j < raw.len() && raw[j] == raw[i] {
            j += 1;
        }
        let v = 1.0 + ((j - i) as f32).ln();
        sq += v * v;
        out.idx.push(raw[i]);
        out.val.push(v);
        i = j;
    }
    let scale = weight / sq.sqrt();
    for v in &mut out.val[start..] {
        *v *= scale;
    }
}

/// The two groups were appended one after another, each sorted and unique; merges them into
/// one sorted unique list (an index in both gets the sum of its two values). A linear merge
/// through `merged` (swapped in afterwards), not a sort of a fresh copy: it runs for every
/// analysed message.
fn merge_sorted(out: &mut Features, merged: &mut Features) {
    let Some(split) = out.idx.windows(2).position(|w| w[0] >= w[1]) else {
        return;
    };
    let (a, b) = out.idx.split_at(split + 1);
    let (av, bv) = out.val.split_at(split + 1);
    merged.idx.clear();
    merged.val.clear();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (idx, v) = match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                i += 1;
                (a[i - 1], av[i - 1])
            }
            std::cmp::Ordering::Greater => {
                j += 1;
                (b[j - 1], bv[j - 1])
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
                (a[i - 1], av[i - 1] + bv[j - 1])
            }
        };
        merged.idx.push(idx);
        merged.val.push(v);
    }
    merged.idx.extend_from_slice(&a[i..]);
    merged.val.extend_from_slice(&av[i..]);
    merged.idx.extend_from_slice(&b[j..]);
    merged.val.extend_from_slice(&bv[j..]);
    std::mem::swap(out, merged);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_sorted_unique_and_normalised() {
        let f = Featurizer::new(FeatureConfig::default());
        let x = f.features("Der Zug ist nicht pünktlich, der Zug!", Lang::De);
        assert!(x.idx.windows(2).all(|w| w[0] < w[1]));
        let norm: f32 = x.val.iter().map(|v| v * v).sum();
        assert!(
            norm > 1.5 && norm < 2.5,
            "two groups of norm 1 each, got {norm}"
        );
        assert!(f.features("", Lang::De).is_empty());
    }

    /// The linear merge gives what sorting both runs together and summing equal indices gives,
    /// also with a run empty, overlapping ends, and runs already in order.
    #[test]
    fn merge_of_two_runs_matches_sort_and_sum() {
        let runs: &[(&[u32], &[u32])] = &[
            (&[1, 5, 9], &[2, 5, 10, 11]),
            (&[3, 4], &[]),
            (&[], &[7, 8]),
            (&[1, 2], &[3, 4]),
            (&[8, 9], &[1, 9]),
            (&[6], &[6]),
        ];
        for (a, b) in runs {
            let mut out = Features::default();
            for (k, &i) in a.iter().chain(b.iter()).enumerate() {
                out.idx.push(i);
                out.val.push(0.5 + k as f32);
            }
            let mut want: Vec<(u32, f32)> = Vec::new();
            let mut pairs: Vec<(u32, f32)> = out.iter().collect();
            pairs.sort_by_key(|p| p.0);
            for (i, v) in pairs {
                match want.last_mut() {
                    Some(last) if last.0 == i => last.1 += v,
                    _ => want.push((i, v)),
                }
            }
            merge_sorted(&mut out, &mut Features::default());
            assert_eq!(out.iter().collect::<Vec<_>>(), want, "{a:?} + {b:?}");
        }
    }

    #[test]
    fn compounds_share_char_ngrams() {
        let f = Featurizer::new(FeatureConfig {
            bigrams: false,
            ..FeatureConfig::default()
        });
        let a = f.features("Zugausfall", Lang::De);
        let b = f.features("Ausfall", Lang::De);
        let shared = a.idx.iter().filter(|i| b.idx.contains(i)).count();
        assert!(shared >= 8, "shared {shared}");
    }
}
