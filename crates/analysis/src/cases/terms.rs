//! Salient terms of a message for case grouping: content tokens (word stems, codes like
//! `re30`, hashtags, long numbers like flight numbers), weighted by an inverse document
//! frequency learned online, plus a SimHash fingerprint of the text for near duplicates.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use crate::text::{Lang, TokenKind, Tokenizer, Tokens};

/// German and English function words that never make a case (too short a list to be worth a
/// crate; the online idf does the rest).
pub(crate) const STOPWORDS: &[&str] = &[
    "the", "and", "for", "you", "your", "are", "was", "were", "this", "that", "with", "have",
    "has", "had", "not", "but", "can", "just", "what", "when", "why", "how", "our", "out", "get",
    "got", "from", "they", "them", "will", "would", "been", "being", "all", "any", "now", "one",
    "there", "their", "then", "than", "who", "about", "into", "its", "it's", "i'm", "don't",
    "can't", "didn't", "does", "did", "thanks", "thank", "please", "still", "again", "even", "der",
    "die", "das", "und", "ist", "nicht", "ich", "sie", "ein", "eine", "einen", "einem", "einer",
    "mit", "auf", "für", "fur", "von", "den", "dem", "des", "zu", "zum", "zur", "im", "in", "es",
    "wir", "ihr", "auch", "wie", "aber", "noch", "nur", "mal", "man", "bei", "aus", "so", "da",
    "wenn", "dass", "hat", "haben", "sind", "war", "wird", "werden", "schon", "kann", "mehr",
    "oder", "als", "nach", "vor", "was", "wo", "mir", "mich", "dir", "dich", "uns", "heute",
    "jetzt", "hier", "sich", "sein", "seine", "diese", "dieser", "immer", "keine", "kein", "ja",
    "nein", "doch", "um", "an", "am", "ab", "bis", "über", "uber",
];

/// A fast hasher for the grouper's and the burst monitor's small keys (term ids, band keys,
/// customer hashes, term strings, case ids, topic names): one multiply per word (the Fx
/// scheme). Not DoS-resistant, which the keys do not need: ids are ours, and strings only
/// pick a bucket in a bounded vocabulary or topic list.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    fn write_u16(&mut self, n: u16) {
        self.add(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        // Spread the high bits down too (hashbrown uses both ends of the hash).
        self.0 ^ (self.0 >> 29)
    }
}

pub(crate) type Fast = BuildHasherDefault<FastHasher>;
pub(crate) type FastMap<K, V> = HashMap<K, V, Fast>;
pub(crate) type FastSet<K> = HashSet<K, Fast>;

/// The stop words as [`packed`] keys (all of them are short): a lookup compares one integer
/// instead of hashing and comparing strings.
static STOPWORD_SET: LazyLock<FastSet<[u8; 8]>> = LazyLock::new(|| {
    STOPWORDS
        .iter()
        .map(|w| packed(w).expect("stop words are at most 7 bytes"))
        .collect()
});

/// A string of at most `N - 1` bytes inline, after its length (exact: no two strings share a
/// key); `None` for longer strings.
fn packed<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() >= N {
        return None;
    }
    let mut key = [0u8; N];
    key[0] = b.len() as u8;
    copy_short(&mut key[1..], b);
    Some(key)
}

/// [`packed`] of `tag` followed by `s`, without building that string.
fn packed_tagged<const N: usize>(tag: u8, s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() + 1 >= N {
        return None;
    }
    let mut key = [0u8; N];
    key[0] = b.len() as u8 + 1;
    key[1] = tag;
    copy_short(&mut key[2..], b);
    Some(key)
}

/// Copies `src` (at most 16 bytes) to the start of `dst` in a few fixed-size moves, two of
/// which may overlap. Written by hand: a `copy_from_slice` of a variable length is a call to
/// `memcpy`, and the three per token of a word form averaging six bytes were most of
/// `watch`'s calls to it.
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    debug_assert!(n <= 16 && n <= dst.len());
    if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..n].copy_from_slice(&src[n - 8..]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..n].copy_from_slice(&src[n - 4..]);
    } else if n > 0 {
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    }
}

/// Whether `w` is one of the [`STOPWORDS`].
pub(crate) fn is_stopword(w: &str) -> bool {
    packed::<8>(w).is_some_and(|k| STOPWORD_SET.contains(&k))
}

/// A term of the vocabulary: its document frequency and the cases that hold it. What a
/// message reads of each of its terms (hash, frequency, cases) sits in one cache line: the
/// vocabulary is too large for the caches, and a term read once per message should cost one
/// miss, not one for the term and another for its case list elsewhere. The surface form
/// (labels only) is kept apart, in [`Vocabulary::surface`].
#[derive(Debug)]
#[repr(align(64))]
pub(crate) struct Term {
    pub df: u32,
    /// An identifier (code like `re30`, hashtag, number like a flight number): one shared
    /// identifier can make a case, a shared word cannot.
    pub identifier: bool,
    /// Data time (seconds) of the latest message holding the term.
    pub last_seen: i64,
    /// xxh3 of the term's key, for the SimHash.
    pub hash: u64,
    /// The recent cases whose profile holds the term (the grouper's candidate index; kept
    /// by [`super::Casebook`], emptied when the term is forgotten).
    pub cases: super::Postings<[u32; 4]>,
}

/// The online vocabulary with document frequencies. Forgotten terms leave their id on a free
/// list (a free slot has `df` 0); ids are reused.
#[derive(Debug, Default)]
pub(crate) struct Vocabulary {
    index: FastMap<String, u32>,
    /// Memo of token forms: a language tag and the token's text -> its term, so a form seen
    /// before is neither stemmed nor hashed again (stemming was a tenth of `watch`). Entries
    /// of forgotten terms go with them, so it holds a few forms per live term. Forms of up to
    /// 15 bytes (nearly all) are keyed inline ([`FormKey`]): a lookup then reads no string
    /// elsewhere in memory, which made this map a cache miss and a `memcmp` per token.
    short_forms: FastMap<FormKey, u32>,
    long_forms: FastMap<String, u32>,
    pub terms: Vec<Term>,
    /// Surface forms by term id (for labels).
    surfaces: Vec<String>,
    free: Vec<u32>,
    pub docs: u64,
}

/// A form of up to 15 bytes with its length, inline ([`packed`]).
type FormKey = [u8; 16];

impl Vocabulary {
    /// The term of a form (`tag` and `text`) seen before ([`Vocabulary::remember_form`]);
    /// `long` is a buffer for the key of a long form.
    fn form(&self, tag: u8, text: &str, long: &mut String) -> Option<u32> {
        match packed_tagged::<16>(tag, text) {
            Some(key) => self.short_forms.get(&key).copied(),
            None => {
                long.clear();
                long.push(char::from(tag));
                long.push_str(text);
                self.long_forms.get(long.as_str()).copied()
            }
        }
    }

    fn remember_form(&mut self, tag: u8, text: &str, id: u32) {
        match packed_tagged::<16>(tag, text) {
            Some(key) => self.short_forms.insert(key, id),
            None => self
                .long_forms
                .insert(format!("{}{text}", char::from(tag)), id),
        };
    }

    fn intern(&mut self, key: &str, surface: &str, identifier: bool) -> u32 {
        if let Some(&id) = self.index.get(key) {
            return id;
        }
        let term = Term {
            df: 0,
            identifier,
            last_seen: i64::MIN,
            hash: xxhash_rust::xxh3::xxh3_64(key.as_bytes()),
            cases: super::Postings::default(),
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.terms[id as usize] = term;
                self.surfaces[id as usize] = surface.to_owned();
                id
            }
            None => {
                self.terms.push(term);
                self.surfaces.push(surface.to_owned());
                self.terms.len() as u32 - 1
            }
        };
        self.index.insert(key.to_owned(), id);
        id
    }

    /// Terms held.
    pub fn len(&self) -> usize {
        self.terms.len() - self.free.len()
    }

    /// Forgets terms last seen before `horizon` that no live case holds (`held[id]`), rarest
    /// first (ties: older, then lower id), until `keep` terms remain; returns their ids.
    pub fn forget(&mut self, horizon: i64, held: &[bool], keep: usize) -> Vec<u32> {
        let excess = self.len().saturating_sub(keep);
        let mut stale: Vec<(u32, i64, u32)> = self
            .terms
            .iter()
            .enumerate()
            .filter(|&(id, t)| t.df > 0 && t.last_seen < horizon && !held[id])
            .map(|(id, t)| (t.df, t.last_seen, id as u32))
            .collect();
        stale.sort_unstable();
        stale.truncate(excess);
        let gone: Vec<u32> = stale.into_iter().map(|(_, _, id)| id).collect();
        for &id in &gone {
            self.terms[id as usize].df = 0;
            self.surfaces[id as usize] = String::new();
            self.free.push(id);
        }
        let terms = &self.terms;
        self.index.retain(|_, id| terms[*id as usize].df > 0);
        self.short_forms.retain(|_, id| terms[*id as usize].df > 0);
        self.long_forms.retain(|_, id| terms[*id as usize].df > 0);
        gone
    }

    /// The term's surface form (as first written).
    pub fn surface(&self, id: u32) -> &str {
        &self.surfaces[id as usize]
    }

    /// `ln((N + 1) / (df + 1)) + 1`, smoothed so unseen terms are the most salient.
    pub fn idf(&self, id: u32) -> f32 {
        let df = self.terms[id as usize].df as f32;
        ((self.docs as f32 + 1.0) / (df + 1.0)).ln() + 1.0
    }
}

/// The terms of one message.
#[derive(Debug, Default)]
pub(crate) struct Profile {
    /// Distinct term ids in text order.
    pub terms: Vec<u32>,
    /// The same terms with their idf, most salient first (idf, then id).
    pub ranked: Vec<(u32, f32)>,
    /// `ranked` as sort keys (see [`profile_into`]).
    keys: Vec<u64>,
    /// The first `max_terms` of `ranked` with their normalised weights.
    pub vector: Vec<(u32, f32)>,
    pub simhash: u64,
    /// Number of content tokens (near-duplicate detection needs a few).
    pub tokens: usize,
}

/// Language guess by function words, for the stemmer only (a full detector is not needed
/// to pick a stemmer and costs far more per message).
pub(crate) fn guess_lang(text: &str, declared: Option<&str>) -> Lang {
    if let Some(l) = declared {
        return Lang::parse(l);
    }
    /// A word of up to 8 bytes as one integer, its bytes from the lowest up (no letter is
    /// a zero byte, so the length is part of the key).
    const fn key(w: &[u8]) -> u64 {
        let mut k = 0;
        let mut i = 0;
        while i < w.len() {
            k |= (w[i] as u64) << (8 * i);
            i += 1;
        }
        k
    }
    const DE: [u64; 13] = [
        key(b"der"),
        key(b"die"),
        key(b"das"),
        key(b"und"),
        key(b"ist"),
        key(b"nicht"),
        key(b"ich"),
        key(b"mit"),
        key(b"auf"),
        key(b"ein"),
        key(b"eine"),
        key(b"zug"),
        key(b"bahn"),
    ];
    const EN: [u64; 10] = [
        key(b"the"),
        key(b"and"),
        key(b"is"),
        key(b"not"),
        key(b"to"),
        key(b"my"),
        key(b"you"),
        key(b"for"),
        key(b"of"),
        key(b"flight"),
    ];
    let (mut de, mut en) = (0, 0);
    let mut vote = |w: &[u8]| {
        // The marker words are ASCII of 2 to 6 letters. A piece holds only letters, so
        // setting bit 5 of each byte lowercases the ASCII ones and leaves the bytes of other
        // letters at 0x80 and above, which no marker has (as `eq_ignore_ascii_case`).
        if !(2..=6).contains(&w.len()) {
            return;
        }
        let k = key(w) | 0x2020_2020_2020 & ((1u64 << (8 * w.len())) - 1);
        if DE.contains(&k) {
            de += 1;
        } else if EN.contains(&k) {
            en += 1;
        }
    };
    // The first 60 pieces of `text.split(|c: char| !c.is_alphabetic())`: runs of ASCII
    // letters are skipped a byte at a time, other characters decoded.
    let bytes = text.as_bytes();
    let (mut start, mut i, mut pieces) = (0, 0, 0);
    while pieces < 60 {
        while bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
        }
        let Some(&b) = bytes.get(i) else {
            vote(&bytes[start..i]);
            break;
        };
        let len = if b.is_ascii() {
            1
        } else {
            let c = text[i..].chars().next().expect("a char boundary");
            if c.is_alphabetic() {
                i += c.len_utf8();
                continue;
            }
            c.len_utf8()
        };
        vote(&bytes[start..i]);
        pieces += 1;
        i += len;
        start = i;
    }
    match de.cmp(&en) {
        std::cmp::Ordering::Greater => Lang::De,
        std::cmp::Ordering::Less => Lang::En,
        std::cmp::Ordering::Equal => Lang::Other,
    }
}

/// Buffers reused from message to message.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pub tokens: Tokens,
    /// A language tag and a token's text, when too long for `Vocabulary::short_forms`.
    pub form: String,
    /// The terms of the content tokens, in text order.
    pub ids: Vec<u32>,
}

/// Tokenises `text`, updates document frequencies and builds the message's profile into
/// `p` (cleared first).
pub(crate) fn profile_into(
    tokenizer: &Tokenizer,
    scratch: &mut Scratch,
    vocab: &mut Vocabulary,
    (text, lang): (&str, Lang),
    max_terms: usize,
    now: i64,
    p: &mut Profile,
) {
    let Scratch { tokens, form, ids } = scratch;
    // Words are stemmed below, once per new form (see `Vocabulary::short_forms`).
    tokenizer.tokenize_into(text, Lang::Other, tokens);
    p.terms.clear();
    p.vector.clear();
    p.simhash = 0;
    // Two passes: the forms' terms first, then the terms' hashes. The vocabulary is larger
    // than the caches, so each lookup waits for memory; a pass of lookups only, which do not
    // depend on each other, lets the processor wait for several at once.
    ids.clear();
    // (Kinds and texts only: the stems of this pass would be of `Lang::Other`.)
    for (kind, text) in tokens.kinds_and_texts() {
        let Some(identifier) = content(kind, text) else {
            continue;
        };
        let tag = if identifier { b'#' } else { lang_tag(lang) };
        let id = match vocab.form(tag, text, form) {
            Some(id) => id,
            None => {
                // The key: the stem of a word, an identifier as written.
                let key = if identifier {
                    std::borrow::Cow::Borrowed(text)
                } else {
                    tokenizer.stem(text, lang)
                };
                let id = vocab.intern(&key, text, identifier);
                vocab.remember_form(tag, text, id);
                id
            }
        };
        ids.push(id);
    }
    p.tokens = ids.len();
    let mut sim = BitVotes::default();
    let mut previous: u64 = 0;
    for &id in ids.iter() {
        // SimHash over unigrams and bigrams of content tokens.
        let h = vocab.terms[id as usize].hash;
        sim.add(h);
        if previous != 0 {
            sim.add(h.rotate_left(17) ^ previous);
        }
        previous = h;
        if !p.terms.contains(&id) {
            p.terms.push(id);
        }
    }
    p.simhash = sim.majority();
    vocab.docs += 1;
    for &id in &p.terms {
        let t = &mut vocab.terms[id as usize];
        t.df += 1;
        t.last_seen = now;
    }
    // Sorted as integers: an idf is at least 1, so its bits order as the number does; their
    // complement puts the largest first, and the id below breaks ties, as `ranked` says
    // (comparing pairs of floats was a fiftieth of `watch`).
    p.keys.clear();
    p.keys.extend(
        p.terms
            .iter()
            .map(|&id| u64::from(!vocab.idf(id).to_bits()) << 32 | u64::from(id)),
    );
    p.keys.sort_unstable();
    p.ranked.clear();
    p.ranked.extend(
        p.keys
            .iter()
            .map(|&k| (k as u32, f32::from_bits(!((k >> 32) as u32)))),
    );
    let mut vector = std::mem::take(&mut p.vector);
    vector.extend_from_slice(&p.ranked[..max_terms.min(p.ranked.len())]);
    let norm = vector
        .iter()
        .map(|(_, w)| w * w)
        .sum::<f32>()
        .sqrt()
        .max(1e-6);
    for (_, w) in &mut vector {
        *w /= norm;
    }
    p.vector = vector;
}

/// Whether a token counts for grouping: `Some(true)` for an identifier (code, hashtag,
/// number of 3 or more digits), `Some(false)` for a word of 3 or more letters that is not a
/// stop word.
pub(crate) fn content(kind: TokenKind, text: &str) -> Option<bool> {
    match kind {
        TokenKind::Word if text.chars().nth(2).is_some() && !is_stopword(text) => Some(false),
        TokenKind::Code | TokenKind::Hashtag => Some(true),
        TokenKind::Number if text.len() >= 3 && text.bytes().all(|b| b.is_ascii_digit()) => {
            Some(true)
        }
        _ => None,
    }
}

fn lang_tag(lang: Lang) -> u8 {
    match lang {
        Lang::De => b'd',
        Lang::En => b'e',
        Lang::Other => b'o',
    }
}

/// Votes of 64-bit hashes per bit, for the SimHash: a bit is set when more than half of
/// the hashes have it. Written by hand as bit slicing (no crate does this): each byte of a
/// hash adds its eight bits at once to eight byte-wide counters in one `u64` through a
/// table, flushed to wide counters before a byte can overflow. A plain loop over the 64
/// bits was a twentieth of `watch`.
#[derive(Debug)]
struct BitVotes {
    /// `lanes[j]` byte `k`: hashes since the last flush with bit `8j + k` set.
    lanes: [u64; 8],
    pending: u32,
    ones: [u32; 64],
    hashes: u32,
}

/// `SPREAD[b]` has byte `k` = bit `k` of `b`.
const SPREAD: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut k = 0;
        while k < 8 {
            table[b] |= ((b as u64 >> k) & 1) << (8 * k);
            k += 1;
        }
        b += 1;
    }
    table
};

impl Default for BitVotes {
    fn default() -> Self {
        BitVotes {
            lanes: [0; 8],
            pending: 0,
            ones: [0; 64],
            hashes: 0,
        }
    }
}

impl BitVotes {
    fn add(&mut self, h: u64) {
        for (j, lane) in self.lanes.iter_mut().enumerate() {
            *lane += SPREAD[((h >> (8 * j)) & 0xff) as usize];
        }
        self.hashes += 1;
        self.pending += 1;
        if self.pending == 255 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        for (j, lane) in self.lanes.iter_mut().enumerate() {
            for k in 0..8 {
                self.ones[8 * j + k] += ((*lane >> (8 * k)) & 0xff) as u32;
            }
            *lane = 0;
        }
        self.pending = 0;
    }

    /// The hash whose bit `i` is set when more hashes had bit `i` set than clear.
    fn majority(mut self) -> u64 {
        self.flush();
        let hashes = u64::from(self.hashes);
        self.ones.iter().enumerate().fold(0, |acc, (i, &n)| {
            acc | (u64::from(2 * u64::from(n) > hashes) << i)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{BitVotes, copy_short, packed, packed_tagged};

    /// The fixed-size moves copy every length from 0 to 16 bytes exactly, and the packed keys
    /// are the length and bytes they stand for (tagged: as if the tag were written first).
    #[test]
    fn short_copies_and_packed_keys_are_exact() {
        let text = "abcdefghijklmnopq";
        for n in 0..=16 {
            let src = &text.as_bytes()[..n];
            let mut dst = [0xffu8; 20];
            copy_short(&mut dst, src);
            assert_eq!(&dst[..n], src, "{n} bytes");
            assert!(
                dst[n..].iter().all(|&b| b == 0xff),
                "{n} bytes: wrote past the end"
            );
            let s = &text[..n];
            let want = (n < 16).then(|| {
                let mut key = [0u8; 16];
                key[0] = n as u8;
                key[1..=n].copy_from_slice(src);
                key
            });
            assert_eq!(packed::<16>(s), want, "{s:?}");
            assert_eq!(
                packed_tagged::<16>(b'e', s),
                packed::<16>(&format!("e{s}")),
                "{s:?}"
            );
        }
    }

    /// Same bits as counting +1 / -1 per bit, also past the byte counters' flush.
    #[test]
    fn bit_votes_are_the_majority_per_bit() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for n in [0usize, 1, 2, 3, 254, 255, 256, 600] {
            let mut votes = BitVotes::default();
            let mut counts = [0i64; 64];
            for _ in 0..n {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Skew some bits so that majorities are not all near a tie.
                let h = x | 0x8000_0000_0000_0001;
                votes.add(h);
                for (i, c) in counts.iter_mut().enumerate() {
                    *c += if h >> i & 1 == 1 { 1 } else { -1 };
                }
            }
            let want = counts
                .iter()
                .enumerate()
                .fold(0u64, |acc, (i, &c)| if c > 0 { acc | 1 << i } else { acc });
            assert_eq!(votes.majority(), want, "{n} hashes");
        }
    }
}
