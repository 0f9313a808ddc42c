//! The analysis of one message: language (fast stopword check, then lingua EN/DE with a
//! confidence floor), relevance, sentiment, topics, toxicity, fact claim (linear models), churn
//! intent, urgency, question (documented lexicons in [`crate::lexicon`]). Pure, synchronous,
//! deterministic, never fails: without a model for the language a neutral value is given.
//!
//! Speed: all models of a language share one feature configuration, so each message is
//! tokenized and hashed once, and their weights are merged at load time into one table
//! ("bank") whose rows hold every class of every model: one lookup per feature.

use std::cell::RefCell;

use lingua::{Language, LanguageDetector, LanguageDetectorBuilder};
use model::{Analysis, Sentiment, SentimentLabel, analysis::Scored};

use crate::cases::terms::FastMap;
use crate::features::{FeatureConfig, Features, Featurizer, Scratch};
use crate::lexicon;
use crate::linear::{LinearModel, ModelMeta};
use crate::task::Task;
use crate::text::{Lang, TokenKind, Tokenizer, Tokens};

/// Only this many bytes of a text are analysed (the rest adds little and costs time).
pub const MAX_ANALYSED_BYTES: usize = 64 * 1024;
/// Language detection looks at this many bytes.
const LANGUAGE_BYTES: usize = 1000;
/// lingua must prefer one language by at least this relative distance, else `other`.
const LANGUAGE_MIN_DISTANCE: f64 = 0.1;

/// A user-defined topic: assigned (score 1.0) when any keyword occurs. Keywords are
/// lowercased phrases matched at token boundaries; a trailing `*` matches a token prefix
/// (`verspät*` matches "verspätung", "verspätet").
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KeywordTopic {
    pub label: String,
    pub keywords: Vec<String>,
}

/// Models of one language merged into one weight table: per feature row, packed entries
/// `(slot << 16) | i16 weight`, or for a row with weights in most slots, one i16 per slot. A
/// binary model takes one slot (its negative class is the negated score), a k-class model k
/// slots.
#[derive(Debug)]
struct Bank {
    featurizer: Featurizer,
    /// Per feature row: `(start, len)` of its entries in `entries`, or `(start, DENSE)` for
    /// `dense[start..start + width]`.
    rows: Vec<(u32, u32)>,
    entries: Vec<u32>,
    /// Rows that would take at least as much room as entries: one weight per slot (zero where
    /// a model has none), which the scoring adds with vector instructions. Frequent features
    /// (common character n-grams) have weights in nearly every slot; the English bank has 90
    /// slots, so most of its work was such rows, an entry at a time.
    dense: Vec<i16>,
    /// Slots rounded up to a multiple of 8.
    width: usize,
    heads: Vec<Head>,
    /// Per slot: weight scale (i16 -> f32) and bias.
    slot_scale: Vec<f32>,
    slot_bias: Vec<f32>,
}

/// The `len` of a dense row in [`Bank::rows`].
const DENSE: u32 = u32::MAX;

/// Classes (binary models count one) a bank can hold: the bundled banks hold 26 (German) and
/// 90 (English, with banking77's 77 intents).
const MAX_SLOTS: usize = 128;

/// One model's place in the bank and its calibration.
#[derive(Debug)]
struct Head {
    task: Task,
    meta: ModelMeta,
    base: usize,
    binary: bool,
}

impl Bank {
    fn new(config: FeatureConfig, models: Vec<(Task, LinearModel)>) -> Bank {
        let rows = 1usize << config.bits;
        // Entries per row.
        let mut counts: Vec<u32> = vec![0; rows];
        let mut heads = Vec::new();
        let mut slot_scale = Vec::new();
        let mut slot_bias = Vec::new();
        for (task, m) in &models {
            let k = m.classes().len();
            let binary = k == 2 && !m.meta.multi_label;
            heads.push(Head {
                task: *task,
                meta: m.meta.clone(),
                base: slot_scale.len(),
                binary,
            });
            let slots = if binary { 1 } else { k };
            for c in 0..slots {
                slot_scale.push(m.meta.scale);
                slot_bias.push(m.meta.bias[if binary { 1 } else { c }]);
            }
            for (r, c, _) in m.entries() {
                if !binary || c == 1 {
                    counts[r as usize] += 1;
                }
            }
        }
        assert!(
            slot_scale.len() <= MAX_SLOTS,
            "a bank holds at most {MAX_SLOTS} classes, these models have {}",
            slot_scale.len()
        );
        let width = slot_scale.len().next_multiple_of(8);
        let (mut sparse, mut dense_rows) = (0u32, 0u32);
        let row_of: Vec<(u32, u32)> = counts
            .iter()
            .map(|&n| {
                if 2 * n as usize >= width {
                    dense_rows += 1;
                    ((dense_rows - 1) * width as u32, DENSE)
                } else {
                    sparse += n;
                    (sparse - n, n)
                }
            })
            .collect();
        let mut fill: Vec<u32> = row_of.iter().map(|&(start, _)| start).collect();
        let mut entries = vec![0u32; sparse as usize];
        let mut dense = vec![0i16; dense_rows as usize * width];
        for ((_, m), h) in models.iter().zip(&heads) {
            let scale = m.meta.scale;
            for (r, c, w) in m.entries() {
                if h.binary && c != 1 {
                    continue;
                }
                let slot = (h.base + if h.binary { 0 } else { c as usize }) as u32;
                let q = (w / scale).round().clamp(-32767.0, 32767.0) as i16;
                let (start, len) = row_of[r as usize];
                if len == DENSE {
                    // (One weight per model, class and row: nothing is overwritten.)
                    dense[start as usize + slot as usize] = q;
                } else {
                    entries[fill[r as usize] as usize] = (slot << 16) | u32::from(q as u16);
                    fill[r as usize] += 1;
                }
            }
        }
        Bank {
            featurizer: Featurizer::new(config),
            rows: row_of,
            entries,
            dense,
            width,
            heads,
            slot_scale,
            slot_bias,
        }
    }

    /// Raw scores per slot. Two passes: first all row ranges (independent loads the CPU
    /// can overlap), then the entries; the table is far larger than the caches.
    fn scores(&self, x: &Features, ranges: &mut Vec<(u32, u32)>, out: &mut Vec<f32>) {
        ranges.clear();
        ranges.extend(x.idx.iter().map(|&i| self.rows[i as usize]));
        // A fixed-size accumulator indexed modulo its size needs no bounds check in the
        // innermost loop (ten entries per feature, a thousand features per message); the
        // bank holds at most `MAX_SLOTS` slots, so the modulo changes no index.
        // (A dense row adds zero for a slot without a weight: the sums stay exactly those of
        // the entries, added in the same order.)
        let mut acc = [0.0f32; MAX_SLOTS];
        let width = self.width;
        for (&(start, len), &v) in ranges.iter().zip(&x.val) {
            let start = start as usize;
            if len == DENSE {
                let row = &self.dense[start..start + width];
                for (a, &w) in acc[..width].iter_mut().zip(row) {
                    *a += f32::from(w) * v;
                }
            } else {
                for &e in &self.entries[start..start + len as usize] {
                    acc[(e >> 16) as usize % MAX_SLOTS] += f32::from(e as u16 as i16) * v;
                }
            }
        }
        out.clear();
        out.extend(
            acc.iter()
                .zip(&self.slot_scale)
                .zip(&self.slot_bias)
                .map(|((o, s), b)| o * s + b),
        );
    }
}

/// Phrases indexed by their first word, matched over token texts in one pass.
#[derive(Debug, Default)]
struct PhraseIndex {
    by_first: FastMap<&'static str, Vec<(Vec<&'static str>, f32)>>,
}

impl PhraseIndex {
    fn new(lexicon: &'static [(&'static str, f32)]) -> PhraseIndex {
        let mut by_first: FastMap<_, Vec<_>> = Default::default();
        for &(phrase, w) in lexicon {
            let words: Vec<&'static str> = phrase.split(' ').collect();
            by_first.entry(words[0]).or_default().push((words, w));
        }
        PhraseIndex { by_first }
    }

    /// Noisy-or of the weights of the phrases found in `tokens`.
    fn score(&self, tokens: &Tokens) -> f32 {
        let mut keep = 1.0f32;
        let n = tokens.len();
        for i in 0..n {
            let Some(t) = tokens.get(i) else { break };
            let Some(cands) = self.by_first.get(t.text) else {
                continue;
            };
            for (words, w) in cands {
                let all = words
                    .iter()
                    .enumerate()
                    .skip(1)
                    .all(|(j, word)| tokens.get(i + j).is_some_and(|u| u.text == *word));
                if all {
                    keep *= 1.0 - w;
                }
            }
        }
        1.0 - keep
    }
}

/// Reusable per-thread buffers for [`Analyzer::analyze_with`].
#[derive(Debug, Default)]
pub struct AnalyzerScratch {
    tokens: Tokens,
    features: Features,
    feature_scratch: Scratch,
    scores: Vec<f32>,
    ranges: Vec<(u32, u32)>,
    probs: Vec<f32>,
    joined: String,
}

/// Analyses messages. Build once (loads and merges the models), share by reference.
pub struct Analyzer {
    banks: Vec<(Lang, Bank)>,
    detector: LanguageDetector,
    tokenizer: Tokenizer,
    keyword_topics: Vec<KeywordTopic>,
    version: String,
    churn: PhraseIndex,
    urgency: PhraseIndex,
    insults_en: PhraseIndex,
    /// Stopword -> bit 1 German, 2 English, 4 other.
    /// Function words per language; looked up for every word of every text, hence the fast
    /// (not DoS-resistant: the keys are our own word lists) hasher.
    stopwords: FastMap<&'static str, u8>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("version", &self.version)
            .field("keyword_topics", &self.keyword_topics.len())
            .finish()
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

/// Sets the analysis field of a single-label `task` from a model's calibrated class
/// probabilities (`meta` gives class names and decision rule): relevance = p(`true`),
/// sentiment = the decided class with its probability, toxicity = p(`toxic` or `OFFENSE`),
/// fact claim = p(`fact`). Topics and engaging are not set here.
pub fn apply_probabilities(a: &mut Analysis, task: Task, meta: &ModelMeta, probs: &[f32]) {
    let p_of = |name: &str| {
        meta.classes
            .iter()
            .position(|c| c == name)
            .map_or(0.0, |i| probs[i])
    };
    match task {
        Task::Relevance => a.relevance = p_of("true"),
        Task::Sentiment => {
            let best = crate::linear::decide_with(&meta.decision, false, probs)[0];
            if let Some(label) = SentimentLabel::parse(&meta.classes[best]) {
                a.sentiment = Sentiment {
                    label,
                    confidence: probs[best],
                };
            }
        }
        Task::Toxicity | Task::Offense => a.toxicity = p_of("toxic").max(p_of("OFFENSE")),
        Task::FactClaim => a.fact_claim = p_of("fact"),
        Task::Topic | Task::Engaging => {}
    }
}

impl Analyzer {
    /// The analyzer with the bundled default models.
    pub fn new() -> Analyzer {
        Analyzer::with_models(crate::bundled::all(), crate::bundled::version())
    }

    /// An analyzer with the given models (task, language, model). Models of one language
    /// must share one feature configuration; a model that does not is left out.
    pub fn with_models(models: Vec<(Task, Lang, LinearModel)>, version: String) -> Analyzer {
        let mut banks = Vec::new();
        for lang in [Lang::De, Lang::En] {
            let mine: Vec<(Task, LinearModel)> = models
                .iter()
                .filter(|(_, l, _)| *l == lang)
                .map(|(t, _, m)| (*t, m.clone()))
                .collect();
            let Some(config) = mine.first().map(|(_, m)| m.feature_config()) else {
                continue;
            };
            let same: Vec<(Task, LinearModel)> = mine
                .into_iter()
                .filter(|(_, m)| m.feature_config() == config)
                .collect();
            banks.push((lang, Bank::new(config, same)));
        }
        Analyzer {
            banks,
            detector: LanguageDetectorBuilder::from_languages(&[
                Language::English,
                Language::German,
            ])
            .with_minimum_relative_distance(LANGUAGE_MIN_DISTANCE)
            .build(),
            tokenizer: Tokenizer::new(),
            keyword_topics: Vec::new(),
            version,
            churn: PhraseIndex::new(lexicon::CHURN),
            urgency: PhraseIndex::new(lexicon::URGENCY),
            insults_en: PhraseIndex::new(lexicon::INSULTS_EN),
            stopwords: {
                let mut m = FastMap::default();
                for (list, bit) in [
                    (lexicon::STOP_DE, 1u8),
                    (lexicon::STOP_EN, 2),
                    (lexicon::STOP_OTHER, 4),
                ] {
                    for w in list {
                        *m.entry(*w).or_insert(0) |= bit;
                    }
                }
                m
            },
        }
    }

    /// Adds user-defined keyword topics.
    pub fn with_keyword_topics(mut self, topics: Vec<KeywordTopic>) -> Analyzer {
        self.keyword_topics = topics
            .into_iter()
            .map(|t| KeywordTopic {
                label: t.label,
                keywords: t.keywords.iter().map(|k| k.trim().to_lowercase()).collect(),
            })
            .collect();
        self
    }

    /// Version string of the models (goes into `Analysis.model_version`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Analyses one text, with this thread's buffers (kept between calls, with the stems
    /// they remember: a fresh scratch per message allocated all of them and stemmed every
    /// word anew). The same as [`Analyzer::analyze_with`] and a fresh scratch.
    pub fn analyze(&self, text: &str) -> Analysis {
        thread_local! {
            static SCRATCH: RefCell<AnalyzerScratch> = RefCell::default();
        }
        SCRATCH.with_borrow_mut(|scratch| self.analyze_with(text, scratch))
    }

    /// Language of a text with its confidence: `de`, `en`, or `other` (no letters, or
    /// lingua cannot tell English from German by the minimum distance).
    pub fn language(&self, text: &str) -> (Lang, f32) {
        let mut tokens = Tokens::default();
        self.language_with(cut(text, LANGUAGE_BYTES), &mut tokens)
    }

    fn language_with(&self, text: &str, tokens: &mut Tokens) -> (Lang, f32) {
        self.tokenizer.tokenize_into(text, Lang::Other, tokens);
        let (mut de, mut en, mut other, mut words, mut umlaut) =
            (0usize, 0usize, 0usize, 0usize, false);
        for t in tokens.iter().filter(|t| t.kind == TokenKind::Word) {
            words += 1;
            let flags = self.stopwords.get(t.text).copied().unwrap_or(0);
            de += usize::from(flags & 1);
            en += usize::from((flags >> 1) & 1);
            other += usize::from((flags >> 2) & 1);
            umlaut |= t.text.contains(['ä', 'ö', 'ü']);
        }
        if words == 0 {
            return (Lang::Other, 1.0);
        }
        // Fast path: function-word evidence for one language (lingua only when unclear).
        if other >= 2 && other > de + en {
            return (Lang::Other, 0.7);
        }
        let de = de + usize::from(umlaut && en == 0);
        if de > en && de >= 1 && other < de {
            return (Lang::De, if de >= 2 && en == 0 { 0.9 } else { 0.7 });
        }
        if en > de && en >= 1 && other < en {
            return (Lang::En, if en >= 2 && de == 0 { 0.9 } else { 0.7 });
        }
        let values = self.detector.compute_language_confidence_values(text);
        let top = values.first().copied();
        let second = values.get(1).map_or(0.0, |v| v.1);
        match top {
            Some((lang, p)) if p > 0.0 && p - second >= LANGUAGE_MIN_DISTANCE => (
                if lang == Language::German {
                    Lang::De
                } else {
                    Lang::En
                },
                p as f32,
            ),
            _ => (Lang::Other, 1.0 - top.map_or(0.0, |t| t.1) as f32),
        }
    }

    /// Analyses one text, reusing `scratch` (no allocation beyond the result in steady state).
    pub fn analyze_with(&self, text: &str, scratch: &mut AnalyzerScratch) -> Analysis {
        let text = cut(text, MAX_ANALYSED_BYTES);
        let (lang, _confidence) =
            self.language_with(cut(text, LANGUAGE_BYTES), &mut scratch.tokens);
        let mut a = Analysis::blank(lang.as_str(), self.version.as_str());
        if text.trim().is_empty() {
            return a;
        }
        // Models: the bank of the language (English texts with no English bank get none).
        let bank = self.banks.iter().find(|(l, _)| *l == lang).map(|(_, b)| b);
        let model_lang = if bank.is_some() { lang } else { Lang::Other };
        let stem_lang = if lang == Lang::Other { Lang::De } else { lang };
        let mut has_relevance = false;
        if let Some(bank) = bank {
            bank.featurizer.features_into(
                text,
                stem_lang,
                &mut scratch.feature_scratch,
                &mut scratch.features,
            );
            bank.scores(&scratch.features, &mut scratch.ranges, &mut scratch.scores);
            for h in &bank.heads {
                let k = h.meta.classes.len();
                let probs = &mut scratch.probs;
                probs.clear();
                if h.binary {
                    let s1 = scratch.scores[h.base];
                    probs.extend_from_slice(&[-s1, s1]);
                } else {
                    probs.extend_from_slice(&scratch.scores[h.base..h.base + k]);
                }
                crate::linear::calibrate_with(&h.meta.platt, h.meta.multi_label, probs);
                let probs = &scratch.probs;
                match h.task {
                    Task::Relevance | Task::Sentiment | Task::FactClaim => {
                        has_relevance |= h.task == Task::Relevance;
                        apply_probabilities(&mut a, h.task, &h.meta, probs);
                    }
                    Task::Topic => {
                        let chosen: Vec<usize> = if h.meta.multi_label {
                            crate::linear::decide_with(&h.meta.decision, true, probs)
                        } else {
                            let best =
                                crate::linear::decide_with(&h.meta.decision, false, probs)[0];
                            if probs[best] >= 0.5 {
                                vec![best]
                            } else {
                                Vec::new()
                            }
                        };
                        // "Can't Tell" (airline) is the absence of a topic.
                        for c in chosen
                            .into_iter()
                            .filter(|&c| h.meta.classes[c] != "Can't Tell")
                        {
                            a.topics.push(Scored {
                                label: h.meta.classes[c].clone(),
                                score: probs[c],
                            });
                        }
                    }
                    Task::Toxicity | Task::Offense => {
                        let before = a.toxicity;
                        apply_probabilities(&mut a, h.task, &h.meta, probs);
                        a.toxicity = a.toxicity.max(before);
                    }
                    Task::Engaging => {}
                }
            }
        } else {
            self.tokenizer
                .tokenize_into(text, stem_lang, &mut scratch.feature_scratch.tokens);
        }
        let _ = model_lang;
        if !has_relevance {
            // No relevance model for the language: a message that reached us counts as
            // about us.
            a.relevance = 1.0;
        }
        // Lexicon analyses on the tokens of the text.
        let tokens = &scratch.feature_scratch.tokens;
        let negativity = if a.sentiment.label == SentimentLabel::Negative {
            a.sentiment.confidence
        } else {
            0.0
        };
        let churn = self.churn.score(tokens);
        a.churn = if churn > 0.0 {
            1.0 - (1.0 - churn) * (1.0 - 0.3 * negativity)
        } else {
            0.0
        };
        let urgent = self.urgency.score(tokens);
        let exclaim = tokens
            .iter()
            .any(|t| t.kind == TokenKind::Punct && t.text.contains('!'));
        a.urgency = 1.0
            - (1.0 - urgent) * (1.0 - if exclaim { 0.15 } else { 0.0 }) * (1.0 - 0.25 * negativity);
        let asks = tokens
            .iter()
            .any(|t| t.kind == TokenKind::Punct && t.text.contains('?'));
        let opener = tokens
            .iter()
            .find(|t| t.kind == TokenKind::Word)
            .is_some_and(|t| lexicon::QUESTION_OPENERS.contains(&t.text));
        a.question =
            1.0 - (1.0 - if asks { 0.9 } else { 0.0 }) * (1.0 - if opener { 0.4 } else { 0.0 });
        if lang == Lang::En {
            a.toxicity = a.toxicity.max(self.insults_en.score(tokens));
        }
        let joined = &mut scratch.joined;
        if !self.keyword_topics.is_empty() {
            joined.clear();
            joined.push(' ');
            for t in tokens.iter() {
                joined.push_str(t.text);
                joined.push(' ');
            }
        }
        for kt in &self.keyword_topics {
            let hit = kt.keywords.iter().any(|k| match k.strip_suffix('*') {
                Some(prefix) => tokens.iter().any(|t| t.text.starts_with(prefix)),
                None => lexicon::contains_phrase(joined, k),
            });
            if hit && !a.topics.iter().any(|t| t.label == kt.label) {
                a.topics.push(Scored {
                    label: kt.label.clone(),
                    score: 1.0,
                });
            }
        }
        a.topics.sort_by(|x, y| {
            y.score
                .total_cmp(&x.score)
                .then_with(|| x.label.cmp(&y.label))
        });
        round_scores(&mut a);
        a
    }
}

/// Clamps every score to 0..=1 and rounds it to four decimals (the last step of every
/// analysis, also of the accurate tier's).
pub fn round_scores(a: &mut Analysis) {
    for v in [
        &mut a.relevance,
        &mut a.toxicity,
        &mut a.fact_claim,
        &mut a.churn,
        &mut a.urgency,
        &mut a.question,
    ] {
        *v = round4(v.clamp(0.0, 1.0));
    }
    a.sentiment.confidence = round4(a.sentiment.confidence.clamp(0.0, 1.0));
    for t in &mut a.topics {
        t.score = round4(t.score);
    }
}

/// Four decimals: stable JSON, no false precision.
fn round4(v: f32) -> f32 {
    (v * 10_000.0).round() / 10_000.0
}

/// The first `max` bytes of `text`, cut at a char boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bank's raw scores are the models' quantised weights summed feature by feature, for
    /// the bundled English models (90 slots: dense and sparse rows) and the German ones.
    #[test]
    fn bank_scores_are_the_models_weighted_sums() {
        let texts = [
            "@united my flight was delayed three hours and nobody tells us anything",
            "@JetBlue thank you, great crew and a smooth landing!",
            "I want to transfer money to my card but the top-up failed",
            "Der Zug nach München fällt schon wieder aus, danke Deutsche Bahn",
            "Kein WLAN im ICE, die Klimaanlage kaputt, 40 Minuten Verspätung",
        ];
        for lang in [Lang::En, Lang::De] {
            let models: Vec<(Task, LinearModel)> = crate::bundled::all()
                .into_iter()
                .filter(|(_, l, _)| *l == lang)
                .map(|(t, _, m)| (t, m))
                .collect();
            let bank = Bank::new(models[0].1.feature_config(), models.clone());
            let dense = bank.rows.iter().filter(|r| r.1 == DENSE).count();
            let sparse = bank.rows.iter().filter(|r| r.1 != DENSE && r.1 > 0).count();
            assert!(
                dense > 0 && sparse > 0,
                "{lang:?}: {dense} dense, {sparse} sparse rows"
            );
            let (mut scratch, mut features) = (Scratch::default(), Features::default());
            let (mut ranges, mut scores) = (Vec::new(), Vec::new());
            for text in texts {
                bank.featurizer
                    .features_into(text, lang, &mut scratch, &mut features);
                bank.scores(&features, &mut ranges, &mut scores);
                // The weights of the rows this text uses, by (row, slot).
                let used: std::collections::HashSet<u32> = features.idx.iter().copied().collect();
                let mut weight = std::collections::HashMap::new();
                for ((_, m), h) in models.iter().zip(&bank.heads) {
                    for (r, c, w) in m.entries().filter(|(r, _, _)| used.contains(r)) {
                        if h.binary && c != 1 {
                            continue;
                        }
                        let slot = h.base + if h.binary { 0 } else { usize::from(c) };
                        let q = (w / m.meta.scale).round().clamp(-32767.0, 32767.0) as i16;
                        weight.insert((r, slot), f32::from(q));
                    }
                }
                assert_eq!(scores.len(), bank.slot_scale.len());
                for (slot, score) in scores.iter().enumerate() {
                    let mut sum = 0.0f32;
                    for (&i, &v) in features.idx.iter().zip(&features.val) {
                        if let Some(w) = weight.get(&(i, slot)) {
                            sum += w * v;
                        }
                    }
                    let expected = sum * bank.slot_scale[slot] + bank.slot_bias[slot];
                    assert_eq!(score.to_bits(), expected.to_bits(), "{text:?} slot {slot}");
                }
            }
        }
    }
}
