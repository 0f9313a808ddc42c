//! The accurate analysis tier: the fast [`Analyzer`] first (language, every field), then,
//! for the tasks and languages with a bundled head (`analysis::bundled::HEADS`), the
//! sentence embedding of the text and the head over it and the fast model's probabilities
//! replace that field. Texts are embedded in batches; everything else is the fast path.

use std::path::Path;

use analysis::Analyzer;
use analysis::bundled::{self, Bundled};
use analysis::dense::{Auxiliary, HeadRecipe, head_input};
use analysis::features::Featurizer;
use analysis::linear::LinearModel;
use analysis::task::Task;
use analysis::text::Lang;
use model::Analysis;

use crate::{EmbedError, Encoder};

/// Longest text prefix handed to the encoder (it reads at most 512 tokens anyway).
const MAX_EMBED_BYTES: usize = 8 * 1024;

struct Head {
    task: Task,
    lang: Lang,
    sparse: LinearModel,
    featurizer: Featurizer,
    auxiliary: Auxiliary,
    head: LinearModel,
}

/// The fast analyzer plus the encoder and the heads.
pub struct AccurateAnalyzer {
    fast: Analyzer,
    encoder: Encoder,
    heads: Vec<Head>,
    version: String,
}

impl std::fmt::Debug for AccurateAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccurateAnalyzer")
            .field("version", &self.version)
            .field("heads", &self.heads.len())
            .finish_non_exhaustive()
    }
}

impl AccurateAnalyzer {
    /// Loads the encoder from `dir` (see [`Encoder::load_dir`]) and the bundled heads.
    pub fn load(dir: &Path, fast: Analyzer) -> Result<AccurateAnalyzer, EmbedError> {
        let encoder = Encoder::load_dir(dir)?;
        AccurateAnalyzer::with_heads(fast, encoder, bundled::HEADS)
    }

    /// An accurate analyzer with the given head files (each stacked on the bundled model of
    /// its task and language).
    pub fn with_heads(
        fast: Analyzer,
        encoder: Encoder,
        heads: &[Bundled],
    ) -> Result<AccurateAnalyzer, EmbedError> {
        let mut loaded = Vec::new();
        for b in heads {
            let bad = |_| EmbedError::Corrupt("bundled head or its sparse model does not load");
            let head = LinearModel::from_bytes(b.bytes).map_err(bad)?;
            let sparse = bundled::model(b.task, b.lang, None).map_err(bad)?;
            loaded.push(Head {
                task: b.task,
                lang: b.lang,
                featurizer: Featurizer::new(sparse.feature_config()),
                auxiliary: Auxiliary::bundled(HeadRecipe::for_task(b.task).auxiliary, b.lang),
                sparse,
                head,
            });
        }
        let version = format!(
            "{}+e5-{:08x}",
            fast.version(),
            encoder.id() as u32 ^ bundled_heads_hash(heads)
        );
        Ok(AccurateAnalyzer {
            fast,
            encoder,
            heads: loaded,
            version,
        })
    }

    /// `Analysis.model_version` of this tier: the fast version plus the encoder and heads.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Analyses a batch of texts (one forward pass per few texts; batches of 16-64 are
    /// about as fast per text as any larger batch).
    pub fn analyze_batch(&self, texts: &[&str]) -> Result<Vec<Analysis>, EmbedError> {
        let mut out: Vec<Analysis> = texts.iter().map(|t| self.fast.analyze(t)).collect();
        let mut todo: Vec<usize> = Vec::new();
        for (i, a) in out.iter_mut().enumerate() {
            a.model_version.clone_from(&self.version);
            let lang = Lang::parse(&a.language);
            if !texts[i].trim().is_empty() && self.heads.iter().any(|h| h.lang == lang) {
                todo.push(i);
            }
        }
        if todo.is_empty() {
            return Ok(out);
        }
        let cut: Vec<&str> = todo.iter().map(|&i| cut(texts[i])).collect();
        let emb = self.encoder.embed(&cut)?;
        for ((&i, e), text) in todo.iter().zip(&emb).zip(&cut) {
            let lang = Lang::parse(&out[i].language);
            for h in self.heads.iter().filter(|h| h.lang == lang) {
                let x = h.featurizer.features(text, lang);
                let sparse = h.sparse.probabilities(&x);
                let mut dense = e.clone();
                h.auxiliary.extend(&mut dense, text, lang);
                let p = h.head.probabilities(&head_input(&dense, Some(&sparse)));
                analysis::analyzer::apply_probabilities(&mut out[i], h.task, &h.head.meta, &p);
            }
            analysis::analyzer::round_scores(&mut out[i]);
        }
        Ok(out)
    }
}

fn bundled_heads_hash(heads: &[Bundled]) -> u32 {
    heads.iter().fold(0u64, |h, b| {
        h.rotate_left(7) ^ xxhash_rust::xxh3::xxh3_64(b.bytes)
    }) as u32
}

fn cut(text: &str) -> &str {
    if text.len() <= MAX_EMBED_BYTES {
        return text;
    }
    let mut end = MAX_EMBED_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
