//! A tf-idf vector space with an inverted index: sublinear term frequency, smoothed idf,
//! L2-normalised vectors, cosine by accumulating over posting lists. Terms are 64-bit hashes
//! (word stems and character n-grams) so no term strings are kept.
//!
//! Written by hand rather than with tantivy: tantivy scores BM25 per field and cannot give a
//! cosine over hashed character n-grams mixed with stems, and this index lives in memory next
//! to the classifiers (a few MB for 10,000 conversations) with no files to manage.

use std::collections::HashMap;

/// Raw term counts of one text.
pub type Bag = HashMap<u64, f32>;

#[derive(Debug, Clone, Default)]
pub struct Space {
    ids: HashMap<u64, u32>,
    idf: Vec<f32>,
    /// term id -> (doc, weight)
    postings: Vec<Vec<(u32, f32)>>,
    docs: usize,
}

/// `1 + ln(tf)` for tf >= 1.
fn sublinear(tf: f32) -> f32 {
    if tf > 0.0 { 1.0 + tf.ln() } else { 0.0 }
}

impl Space {
    /// Builds the space from the bags of all documents (doc id = position).
    pub fn build(bags: &[Bag]) -> Self {
        let mut ids: HashMap<u64, u32> = HashMap::new();
        let mut df: Vec<u32> = Vec::new();
        for bag in bags {
            for &h in bag.keys() {
                let next = ids.len() as u32;
                let id = *ids.entry(h).or_insert(next);
                if id as usize == df.len() {
                    df.push(0);
                }
                df[id as usize] += 1;
            }
        }
        let n = bags.len() as f32;
        let idf: Vec<f32> = df
            .iter()
            .map(|&d| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0)
            .collect();
        let mut postings: Vec<Vec<(u32, f32)>> =
            df.iter().map(|&d| Vec::with_capacity(d as usize)).collect();
        for (doc, bag) in bags.iter().enumerate() {
            let mut v: Vec<(u32, f32)> = bag
                .iter()
                .map(|(h, &tf)| {
                    let id = ids[h];
                    (id, sublinear(tf) * idf[id as usize])
                })
                .collect();
            let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
            if norm > 0.0 {
                for (id, w) in v.drain(..) {
                    postings[id as usize].push((doc as u32, w / norm));
                }
            }
        }
        Space {
            ids,
            idf,
            postings,
            docs: bags.len(),
        }
    }

    pub fn len(&self) -> usize {
        self.docs
    }

    pub fn is_empty(&self) -> bool {
        self.docs == 0
    }

    /// The normalised tf-idf vector of a bag over the space's known terms, sorted by term.
    pub fn vector(&self, bag: &Bag) -> Vec<(u32, f32)> {
        let mut v: Vec<(u32, f32)> = bag
            .iter()
            .filter_map(|(h, &tf)| {
                let id = *self.ids.get(h)?;
                Some((id, sublinear(tf) * self.idf[id as usize]))
            })
            .collect();
        v.sort_unstable_by_key(|&(id, _)| id);
        let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, w) in &mut v {
                *w /= norm;
            }
        }
        v
    }

    /// Adds `factor * cosine(query, doc)` to `scores[doc]` for every doc sharing a term.
    /// Terms unknown to the space are ignored (they cannot match anything).
    pub fn accumulate(&self, query: &Bag, factor: f32, scores: &mut [f32]) {
        let v: Vec<(u32, f32)> = query
            .iter()
            .filter_map(|(h, &tf)| {
                let id = *self.ids.get(h)?;
                Some((id, sublinear(tf) * self.idf[id as usize]))
            })
            .collect();
        // The norm includes unknown terms at the largest idf, so a query made mostly of
        // unseen words does not look like a perfect match of its one known word.
        let unseen_idf = ((1.0 + self.docs as f32) / 1.0).ln() + 1.0;
        let unknown: f32 = query
            .iter()
            .filter(|(h, _)| !self.ids.contains_key(h))
            .map(|(_, &tf)| (sublinear(tf) * unseen_idf).powi(2))
            .sum();
        let norm = (v.iter().map(|(_, w)| w * w).sum::<f32>() + unknown).sqrt();
        if norm == 0.0 {
            return;
        }
        for (id, w) in v {
            let qw = factor * w / norm;
            for &(doc, dw) in &self.postings[id as usize] {
                scores[doc as usize] += qw * dw;
            }
        }
    }
}

/// Cosine of two vectors from [`Space::vector`].
pub fn cosine(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut dot) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    dot
}
