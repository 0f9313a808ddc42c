//! Suggested answers: an index of solved conversations (the customer's text -> our reply) and
//! knowledge-base articles; for an open conversation, the top-k answers ranked by text
//! similarity plus a bonus for matching topic and language.
//!
//! Similarity is `word_weight * cos(word stems) + (1 - word_weight) * cos(char n-grams)`
//! (tf-idf, see [`space`]); stems come from [`crate::text`], character 3-5-grams inside word
//! boundaries catch typos and compounds. Solved conversations that gave the same answer
//! (after normalising mentions, links and signatures) are one suggestion whose score adds up
//! the similarities of its conversations among the nearest neighbours: ten customers who
//! asked nearly the same and got the same reply make that reply a strong suggestion.
//! Build once, query from many threads (`&self`); rebuild to add documents.

pub mod eval;
pub mod space;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::text::{Lang, TokenKind, Tokenizer, Tokens};
use space::{Bag, Space};

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// A solved conversation: `text` is what the customer wrote, `answer` our reply.
    Solved,
    /// A knowledge-base article: `text` is title and body, `answer` the body (or its link).
    Article,
}

/// One entry of the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Conversation id or article id.
    pub id: String,
    pub kind: DocKind,
    pub text: String,
    pub answer: String,
    #[serde(default)]
    pub topics: Vec<String>,
    /// `de`, `en`, ... when known.
    #[serde(default)]
    pub language: Option<String>,
    /// The brand that answered; suggestions for a query with a brand come from that brand only
    /// (and from documents without a brand, such as articles).
    #[serde(default)]
    pub brand: Option<String>,
}

/// An open conversation asking for suggestions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Query {
    pub text: String,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub brand: Option<String>,
}

/// One suggested answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub kind: DocKind,
    /// The text to insert into the reply (the answer of the best matching document).
    pub answer: String,
    /// Ranking score: sum over the nearest documents with this answer of
    /// `(similarity + bonus)^sharpness`, plus `centroid_weight * centroid_similarity^sharpness`.
    pub score: f32,
    /// Text similarity (0..=1) of the best matching document.
    pub similarity: f32,
    /// Ids of the documents behind the suggestion, best first.
    pub sources: Vec<String>,
}

/// Tuning of the ranking. The defaults were chosen on a seeded split of BANKING77 train and
/// the TWCS head (see BENCHMARKS.md); the official BANKING77 test split was never used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SuggestConfig {
    /// Weight of the word-stem cosine; the char n-gram cosine gets the rest.
    pub word_weight: f32,
    /// Char n-gram lengths, inclusive.
    pub min_gram: usize,
    pub max_gram: usize,
    /// Added when query and document share a topic.
    pub topic_bonus: f32,
    /// Added when query and document have the same language.
    pub language_bonus: f32,
    /// Nearest documents whose answers are pooled.
    pub neighbours: usize,
    /// Similarities are raised to this power before pooling (higher = nearest counts more).
    pub sharpness: f32,
    /// Also index pairs of adjacent word stems ("card arriv", "not work").
    pub word_bigrams: bool,
    /// Weight of the similarity to all texts that got the same answer (the answer's
    /// centroid), added to a pooled suggestion's score.
    pub centroid_weight: f32,
}

impl Default for SuggestConfig {
    fn default() -> Self {
        SuggestConfig {
            word_weight: 0.5,
            min_gram: 3,
            max_gram: 5,
            topic_bonus: 0.05,
            language_bonus: 0.02,
            neighbours: 20,
            sharpness: 4.0,
            word_bigrams: false,
            centroid_weight: 30.0,
        }
    }
}

/// The index of documents.
#[derive(Debug)]
pub struct SuggestIndex {
    config: SuggestConfig,
    docs: Vec<Document>,
    /// Normalised answer key per doc, and the docs per key.
    answer_key: Vec<u32>,
    words: Space,
    chars: Space,
    /// The same spaces over one document per answer (all its texts together).
    group_words: Space,
    group_chars: Space,
    tokenizer: Tokenizer,
}

const WORD_SEED: u64 = 0x5157_4f52_4400_0001;
const CHAR_SEED: u64 = 0x5143_4841_5200_0002;

/// Word-stem and char-n-gram bags of a text.
fn bags(
    tokenizer: &Tokenizer,
    text: &str,
    language: Option<&str>,
    cfg: &SuggestConfig,
    buf: &mut Tokens,
) -> (Bag, Bag) {
    tokenizer.tokenize_into(text, Lang::parse(language.unwrap_or("en")), buf);
    let mut words = Bag::new();
    let mut chars = Bag::new();
    let mut padded: Vec<char> = Vec::with_capacity(32);
    let mut previous: Option<&str> = None;
    let mut pair = String::new();
    for t in buf.iter() {
        match t.kind {
            TokenKind::Word
            | TokenKind::Number
            | TokenKind::Code
            | TokenKind::Hashtag
            | TokenKind::Emoji => {}
            TokenKind::Mention | TokenKind::Url | TokenKind::Emoticon | TokenKind::Punct => {
                continue;
            }
        }
        *words
            .entry(xxh3_64_with_seed(t.stem.as_bytes(), WORD_SEED))
            .or_default() += 1.0;
        if cfg.word_bigrams {
            if let Some(p) = previous {
                pair.clear();
                pair.push_str(p);
                pair.push(' ');
                pair.push_str(t.stem);
                *words
                    .entry(xxh3_64_with_seed(pair.as_bytes(), WORD_SEED))
                    .or_default() += 1.0;
            }
            previous = Some(t.stem);
        }
        if t.kind != TokenKind::Word {
            continue;
        }
        padded.clear();
        padded.push('<');
        padded.extend(t.text.chars());
        padded.push('>');
        let mut gram = String::with_capacity(24);
        for n in cfg.min_gram..=cfg.max_gram {
            if padded.len() < n {
                break;
            }
            for w in padded.windows(n) {
                gram.clear();
                gram.extend(w);
                *chars
                    .entry(xxh3_64_with_seed(gram.as_bytes(), CHAR_SEED))
                    .or_default() += 1.0;
            }
        }
    }
    (words, chars)
}

/// The key under which equal answers are pooled: lowercase words without mentions, links,
/// signatures (`^AB`, `-Jo`) and punctuation.
pub fn answer_key(answer: &str) -> String {
    let mut out = String::with_capacity(answer.len());
    for w in answer.split_whitespace() {
        if w.starts_with('@')
            || w.starts_with("http")
            || w.starts_with('^')
            || (w.starts_with('-') && w.len() <= 4)
        {
            continue;
        }
        let w: String = w
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        if !w.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&w);
        }
    }
    out
}

impl SuggestIndex {
    /// Indexes `docs` (any order; ids need not be unique).
    pub fn build(docs: Vec<Document>, config: SuggestConfig) -> Self {
        let tokenizer = Tokenizer::new();
        let mut buf = Tokens::default();
        let mut word_bags = Vec::with_capacity(docs.len());
        let mut char_bags = Vec::with_capacity(docs.len());
        let mut keys: HashMap<String, u32> = HashMap::new();
        let mut answer_key_of = Vec::with_capacity(docs.len());
        for d in &docs {
            let (w, c) = bags(
                &tokenizer,
                &d.text,
                d.language.as_deref(),
                &config,
                &mut buf,
            );
            word_bags.push(w);
            char_bags.push(c);
            let next = keys.len() as u32;
            answer_key_of.push(*keys.entry(answer_key(&d.answer)).or_insert(next));
        }
        let mut group_word_bags = vec![Bag::new(); keys.len()];
        let mut group_char_bags = vec![Bag::new(); keys.len()];
        for (i, &g) in answer_key_of.iter().enumerate() {
            for (h, c) in &word_bags[i] {
                *group_word_bags[g as usize].entry(*h).or_default() += c;
            }
            for (h, c) in &char_bags[i] {
                *group_char_bags[g as usize].entry(*h).or_default() += c;
            }
        }
        SuggestIndex {
            group_words: Space::build(&group_word_bags),
            group_chars: Space::build(&group_char_bags),
            words: Space::build(&word_bags),
            chars: Space::build(&char_bags),
            config,
            docs,
            answer_key: answer_key_of,
            tokenizer,
        }
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    pub fn documents(&self) -> &[Document] {
        &self.docs
    }

    /// The text similarity of the query to every document (0..=1), by position.
    pub fn similarities(&self, query: &Query) -> Vec<f32> {
        let mut buf = Tokens::default();
        let (w, c) = bags(
            &self.tokenizer,
            &query.text,
            query.language.as_deref(),
            &self.config,
            &mut buf,
        );
        let mut scores = vec![0.0f32; self.docs.len()];
        let ww = self.config.word_weight.clamp(0.0, 1.0);
        self.words.accumulate(&w, ww, &mut scores);
        self.chars.accumulate(&c, 1.0 - ww, &mut scores);
        scores
    }

    /// The top `k` suggestions for `query`, best first.
    pub fn suggest(&self, query: &Query, k: usize) -> Vec<Suggestion> {
        if k == 0 || self.docs.is_empty() {
            return Vec::new();
        }
        let sims = self.similarities(query);
        let cfg = &self.config;
        let group_sims = if cfg.centroid_weight > 0.0 {
            let mut buf = Tokens::default();
            let (w, c) = bags(
                &self.tokenizer,
                &query.text,
                query.language.as_deref(),
                cfg,
                &mut buf,
            );
            let ww = cfg.word_weight.clamp(0.0, 1.0);
            let mut g = vec![0.0f32; self.group_words.len()];
            self.group_words.accumulate(&w, ww, &mut g);
            self.group_chars.accumulate(&c, 1.0 - ww, &mut g);
            g
        } else {
            Vec::new()
        };
        let mut ranked: Vec<(usize, f32, f32)> = sims
            .iter()
            .enumerate()
            .filter(|&(i, &s)| {
                let d = &self.docs[i];
                s > 0.0
                    && match (&query.brand, &d.brand) {
                        (Some(q), Some(b)) => q.eq_ignore_ascii_case(b),
                        _ => true,
                    }
            })
            .map(|(i, &s)| {
                let d = &self.docs[i];
                let topic =
                    !query.topics.is_empty() && d.topics.iter().any(|t| query.topics.contains(t));
                let lang = query.language.is_some() && query.language == d.language;
                let bonus = if topic { cfg.topic_bonus } else { 0.0 }
                    + if lang { cfg.language_bonus } else { 0.0 };
                (i, s, s + bonus)
            })
            .collect();
        let n = cfg.neighbours.max(k);
        if ranked.len() > n {
            ranked.select_nth_unstable_by(n - 1, |a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
            ranked.truncate(n);
        }
        ranked.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        // pool by answer; articles stand alone
        let mut pooled: Vec<Suggestion> = Vec::new();
        let mut slot: HashMap<u32, usize> = HashMap::new();
        for (i, sim, total) in ranked {
            let d = &self.docs[i];
            let weight = total.max(0.0).powf(cfg.sharpness);
            let key = (d.kind == DocKind::Solved).then_some(self.answer_key[i]);
            match key.and_then(|k| slot.get(&k)) {
                Some(&j) => {
                    pooled[j].score += weight;
                    pooled[j].sources.push(d.id.clone());
                }
                None => {
                    let centroid = match key {
                        Some(k) => {
                            slot.insert(k, pooled.len());
                            group_sims
                                .get(k as usize)
                                .map_or(0.0, |g| cfg.centroid_weight * g.powf(cfg.sharpness))
                        }
                        None => 0.0,
                    };
                    pooled.push(Suggestion {
                        kind: d.kind,
                        answer: d.answer.clone(),
                        score: weight + centroid,
                        similarity: sim.min(1.0),
                        sources: vec![d.id.clone()],
                    });
                }
            }
        }
        pooled.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(b.similarity.total_cmp(&a.similarity))
        });
        pooled.truncate(k);
        pooled
    }
}

#[cfg(test)]
mod tests;
