//! Measuring suggested answers: top-1, top-3 and mean reciprocal rank of the first correct
//! suggestion, and the TWCS criterion "the suggested reply is about the same problem as the
//! reply the brand actually gave" (tf-idf cosine of the two replies' word stems).

use serde::Serialize;

use super::space::{Bag, Space, cosine};
use super::{Suggestion, answer_key};
use crate::text::{Lang, TokenKind, Tokenizer, Tokens};

/// The figures printed by `kundenversteher eval --task suggest`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SuggestReport {
    pub task: &'static str,
    pub n: usize,
    pub top1: f64,
    pub top3: f64,
    pub mrr: f64,
}

/// Counts ranks of the first correct suggestion.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    n: usize,
    top1: usize,
    top3: usize,
    rr: f64,
}

impl Tally {
    /// Records one query: the 0-based rank of its first correct suggestion, if any.
    pub fn add(&mut self, rank: Option<usize>) {
        self.n += 1;
        if let Some(r) = rank {
            self.top1 += usize::from(r == 0);
            self.top3 += usize::from(r < 3);
            self.rr += 1.0 / (r as f64 + 1.0);
        }
    }

    pub fn report(&self) -> SuggestReport {
        let n = self.n.max(1) as f64;
        SuggestReport {
            task: "suggest",
            n: self.n,
            top1: self.top1 as f64 / n,
            top3: self.top3 as f64 / n,
            mrr: self.rr / n,
        }
    }
}

/// 0-based rank of the first suggestion `correct` accepts.
pub fn first_correct(
    suggestions: &[Suggestion],
    correct: impl Fn(&Suggestion) -> bool,
) -> Option<usize> {
    suggestions.iter().position(correct)
}

/// Judges whether two brand replies are about the same problem: cosine of their tf-idf
/// word-stem vectors (mentions, links and signatures removed; idf from all replies given to
/// [`ReplyJudge::new`]) at or above `threshold`.
#[derive(Debug)]
pub struct ReplyJudge {
    space: Space,
    tokenizer: Tokenizer,
    pub threshold: f32,
}

fn reply_bag(tokenizer: &Tokenizer, reply: &str, buf: &mut Tokens) -> Bag {
    tokenizer.tokenize_into(&answer_key(reply), Lang::En, buf);
    let mut bag = Bag::new();
    for t in buf.iter() {
        if matches!(
            t.kind,
            TokenKind::Word | TokenKind::Number | TokenKind::Code
        ) {
            *bag.entry(xxhash_rust::xxh3::xxh3_64(t.stem.as_bytes()))
                .or_default() += 1.0;
        }
    }
    bag
}

impl ReplyJudge {
    pub fn new<'a>(replies: impl IntoIterator<Item = &'a str>, threshold: f32) -> Self {
        let tokenizer = Tokenizer::new();
        let mut buf = Tokens::default();
        let bags: Vec<Bag> = replies
            .into_iter()
            .map(|r| reply_bag(&tokenizer, r, &mut buf))
            .collect();
        ReplyJudge {
            space: Space::build(&bags),
            tokenizer,
            threshold,
        }
    }

    /// Cosine similarity of two replies (0..=1).
    pub fn similarity(&self, a: &str, b: &str) -> f32 {
        let mut buf = Tokens::default();
        let va = self.space.vector(&reply_bag(&self.tokenizer, a, &mut buf));
        let vb = self.space.vector(&reply_bag(&self.tokenizer, b, &mut buf));
        cosine(&va, &vb)
    }

    pub fn same_problem(&self, a: &str, b: &str) -> bool {
        self.similarity(a, b) >= self.threshold
    }
}
