//! Cases ("not an isolated case"): inbound messages that report the same problem, grouped
//! online and deterministically for a given input order.
//!
//! A message joins an existing case when it is a near duplicate of a member (SimHash over
//! content-token unigrams and bigrams, LSH over four 16-bit bands, Hamming distance <= 3),
//! or when it shares the case's characteristic salient terms: the score
//! `sum over shared terms of max_idf x (idf_outside(term) / max_idf)^2 x share of the case's
//! members containing the term` (idf counted over the messages outside the case)
//! reaches `join_score` times the largest possible idf, where idf is learned online over every message seen. Only cases
//! active within `window_secs` of data time take new members, and a case's score halves
//! every `recency_half_life_secs` since its last message. Otherwise the message opens a
//! new case. See docs/EARLY_WARNING.md ("Cases").
//!
//! Memory is bounded in data time: a case whose last message is older than the window is
//! retired (its profile, customers, index and near-duplicate entries are dropped; with
//! [`Casebook::with_archive`] its summary is kept for batch tools), and once the vocabulary
//! holds more than `vocabulary_cap` terms, the rarest terms no live case holds and not seen
//! within the window are forgotten.

use std::collections::BTreeMap;

use smallvec::{Array, SmallVec};

use model::analysis::Scored;
use model::{Analysis, Message, SentimentLabel, Timestamp};
use serde::{Deserialize, Serialize};

use crate::text::Tokenizer;

pub(crate) mod terms;

use terms::{FastMap, FastSet, Profile, Vocabulary};

/// Parameters of case grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaseConfig {
    /// A case takes new members while its last message is at most this old (data time).
    pub window_secs: i64,
    /// Join when the shared-term score reaches this multiple of the largest possible idf,
    /// `ln(N + 1) + 1` after N messages (about one very rare characteristic term, or two
    /// fairly rare ones).
    pub join_score: f32,
    /// Salient terms of a message used for matching (highest idf among known terms).
    pub match_terms: usize,
    /// Terms with an idf below this multiple of the largest possible idf are too common to
    /// find candidate cases.
    pub min_idf: f32,
    /// Near duplicates: maximum Hamming distance of the 64-bit SimHashes.
    pub near_duplicate_bits: u32,
    /// Near duplicates need at least this many content tokens.
    pub near_duplicate_min_tokens: usize,
    /// A case's score halves for every this many seconds since its last message.
    pub recency_half_life_secs: i64,
    /// Without a shared identifier (code, hashtag, long number), a message must share at
    /// least this many salient terms with a case to join it.
    pub min_shared_words: usize,
    /// Messages with more content tokens than this need a proportionally (square root)
    /// higher score to join a case.
    pub long_text_tokens: usize,
    /// Sample messages kept per case.
    pub samples: usize,
    /// Terms kept per case profile.
    pub case_terms: usize,
    /// With topics from the analysis: a message that shares only words with a case (no
    /// identifier, not a near duplicate) joins it only if at least this share of the case's
    /// analysed members holds one of the message's topics (for a message without a topic:
    /// holds no topic). 0 = off.
    pub topic_agreement: f32,
    /// Vocabulary size above which terms neither seen within the window nor held by a live
    /// case are forgotten (rarest first, down to three quarters of this), so a server that
    /// runs for months keeps a bounded vocabulary. A forgotten term that comes back counts
    /// as new.
    pub vocabulary_cap: usize,
}

impl Default for CaseConfig {
    fn default() -> Self {
        CaseConfig {
            window_secs: 3 * 86_400,
            join_score: 0.8,
            match_terms: 12,
            min_idf: 0.35,
            near_duplicate_bits: 3,
            near_duplicate_min_tokens: 4,
            recency_half_life_secs: 6 * 3600,
            min_shared_words: 2,
            long_text_tokens: 20,
            samples: 3,
            case_terms: 48,
            topic_agreement: 0.5,
            vocabulary_cap: 200_000,
        }
    }
}

/// Counts of member sentiment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentimentMix {
    pub negative: u64,
    pub neutral: u64,
    pub positive: u64,
    pub unknown: u64,
}

/// A sample member message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub id: String,
    pub author: String,
    pub text: String,
}

/// A case as shown to people and stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub case_id: String,
    /// The top terms, e.g. `re30 · ausfall · köln`.
    pub label: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub size: u64,
    pub customers: u64,
    pub sentiment: SentimentMix,
    pub channels: BTreeMap<String, u64>,
    pub topics: BTreeMap<String, u64>,
    /// Sample members, the first ones (kept by a casebook with an archive, as
    /// `messages`).
    pub samples: Vec<Sample>,
    /// Member message ids (`external_id`), in arrival order. Kept by a casebook for batch
    /// tools ([`Casebook::with_archive`]); a stream casebook ([`Casebook::new`]) leaves this
    /// and `samples` empty: its caller records the members (the server stores them with
    /// each message), and memory stays bounded by the cases, not by their sizes.
    pub messages: Vec<String>,
}

/// Where one message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    /// The case's number: 0 for the first case opened, never reused (`case_id` is
    /// `case-{number + 1}`); look it up with [`Casebook::case`].
    pub case: usize,
    pub new_case: bool,
    pub near_duplicate: bool,
}

#[derive(Debug, Clone)]
struct CaseState {
    case: Case,
    customers: Customers,
    /// Term -> number of members containing it.
    terms: FastMap<u32, u32>,
    /// Members with an analysis, and those of them without a topic.
    analysed: u32,
    untopical: u32,
    label_at: u64,
}

impl CaseState {
    fn new() -> Self {
        CaseState {
            case: Case::empty(),
            customers: Customers::default(),
            terms: FastMap::default(),
            analysed: 0,
            untopical: 0,
            label_at: 0,
        }
    }

    /// Makes this (new or recycled) state that of the new case number `n`, opened at `at`,
    /// keeping the capacity of its strings and maps.
    fn reset(&mut self, n: u32, at: Timestamp) {
        let case = &mut self.case;
        case.case_id.clear();
        write_case_id(&mut case.case_id, n);
        case.label.clear();
        case.first_seen = at;
        case.last_seen = at;
        case.size = 0;
        case.customers = 0;
        case.sentiment = SentimentMix::default();
        case.channels.clear();
        case.topics.clear();
        case.samples.clear();
        case.messages.clear();
        self.customers.first = None;
        self.customers.others.clear();
        // (A state that held a case of thousands of customers does not keep their room.)
        self.customers.others.shrink_to(64);
        self.terms.clear();
        self.analysed = 0;
        self.untopical = 0;
        self.label_at = 0;
    }
}

impl Case {
    /// A case with no members, to be filled in.
    fn empty() -> Self {
        Case {
            case_id: String::new(),
            label: String::new(),
            first_seen: Timestamp::default(),
            last_seen: Timestamp::default(),
            size: 0,
            customers: 0,
            sentiment: SentimentMix::default(),
            channels: BTreeMap::new(),
            topics: BTreeMap::new(),
            samples: Vec::new(),
            messages: Vec::new(),
        }
    }
}

/// The distinct customers (author hashes) of a case: the first inline, since most cases have
/// one message and a set of their own cost an allocation each, the others in a set.
#[derive(Debug, Clone, Default)]
struct Customers {
    first: Option<u64>,
    others: FastSet<u64>,
}

impl Customers {
    /// Adds a customer; whether it is new to the case.
    fn insert(&mut self, customer: u64) -> bool {
        match self.first {
            None => {
                self.first = Some(customer);
                true
            }
            Some(first) if first == customer => false,
            Some(_) => self.others.insert(customer),
        }
    }
}

/// A list of the term index ([`terms::Term::cases`]) or of a band: newest last, bounded.
/// The first few entries sit inline (in the term's entry or the band map's bucket): most
/// lists hold one or two (a band key or a rare term of one case), and a list of its own on
/// the heap cost an allocation per new case and a cache miss per list read.
pub(crate) struct Postings<A: Array> {
    entries: SmallVec<A>,
    /// [`Casebook::retired`] when entries of retired cases were last removed: while it has
    /// not changed, a full list has none to remove.
    clean_at: u64,
}

impl<A: Array> std::fmt::Debug for Postings<A>
where
    A::Item: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postings")
            .field("entries", &self.entries.as_slice())
            .field("clean_at", &self.clean_at)
            .finish()
    }
}

impl<A: Array> Default for Postings<A> {
    fn default() -> Self {
        Postings {
            entries: SmallVec::new(),
            clean_at: 0,
        }
    }
}

impl<A: Array> Postings<A> {
    /// Appends `item`; past `cap` entries, drops those of retired cases (if any case retired
    /// since the list was last cleaned), then the oldest. Returns how many entries it removed.
    fn push_capped(
        &mut self,
        item: A::Item,
        cap: usize,
        case: impl Fn(&A::Item) -> u32,
        live: &LiveSet,
        retired: u64,
    ) -> usize {
        self.entries.push(item);
        if self.entries.len() <= cap {
            return 0;
        }
        let before = self.entries.len();
        if self.clean_at != retired {
            self.entries.retain(|e| live.contains(case(e)));
            self.clean_at = retired;
        }
        if self.entries.len() > cap {
            self.entries.remove(0);
        }
        before - self.entries.len()
    }
}

/// A near-duplicate band's list: (SimHash, case).
type BandList = Postings<[(u64, u32); 2]>;

/// A set of case numbers: one bit per number from the oldest live case on. Numbers only
/// grow, so words at the front empty out as cases retire and are dropped; a case that stays
/// live for months keeps one bit for every case opened since (about 1 MB a year at 25,000
/// new cases a day).
#[derive(Debug, Clone, Default)]
struct LiveSet {
    /// Number of the first bit of `words[0]` (a multiple of 64).
    base: u32,
    words: Vec<u64>,
    /// Leading words known to be empty: dropped together once they are half of `words`
    /// (a `VecDeque`'s index arithmetic was a percent of `watch`: the set is read for every
    /// entry of every list walked).
    empty_front: usize,
}

impl LiveSet {
    fn insert(&mut self, n: u32) {
        if self.words.is_empty() {
            self.base = n & !63;
        }
        let word = ((n - self.base) / 64) as usize;
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= 1 << (n % 64);
    }

    fn remove(&mut self, n: u32) {
        if let Some(word) = n.checked_sub(self.base).map(|d| (d / 64) as usize)
            && let Some(w) = self.words.get_mut(word)
        {
            *w &= !(1 << (n % 64));
        }
        while self.words.get(self.empty_front) == Some(&0) {
            self.empty_front += 1;
        }
        if self.empty_front == self.words.len() {
            self.words.clear();
            self.empty_front = 0;
        } else if self.empty_front >= 16 && 2 * self.empty_front >= self.words.len() {
            self.words.drain(..self.empty_front);
            self.base += 64 * self.empty_front as u32;
            self.empty_front = 0;
        }
    }

    fn contains(&self, n: u32) -> bool {
        n.checked_sub(self.base)
            .and_then(|d| self.words.get((d / 64) as usize))
            .is_some_and(|w| w >> (n % 64) & 1 == 1)
    }
}

/// A live case in [`Casebook::cases`].
#[derive(Debug, Clone, Copy)]
struct Live {
    /// Data time (seconds) of the latest member.
    last_seen: i64,
    /// Its state in [`Casebook::states`].
    slot: u32,
}

/// Sizes of the grouper's in-memory structures (for tests and diagnostics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Footprint {
    /// Cases that can still take members (last message within the window, or not swept yet).
    pub live_cases: usize,
    /// Members of live cases.
    pub live_members: usize,
    /// Cases retired so far.
    pub retired_cases: u64,
    /// Terms in the vocabulary.
    pub terms: usize,
    /// (term, case) entries of live cases in the candidate index.
    pub index_entries: usize,
    /// (SimHash, case) entries of live cases in the near-duplicate bands.
    pub band_entries: usize,
    /// Index and band entries held, including those of retired cases not dropped yet (at
    /// most about twice the live ones).
    pub held_entries: usize,
}

/// Buffers of [`Casebook::add`], reused from message to message.
#[derive(Debug, Default)]
struct Scratch {
    terms: terms::Scratch,
    profile: Profile,
    query: Vec<(u32, f32)>,
    pairs: Vec<u64>,
    new_terms: Vec<u32>,
}

/// The online case grouper. Feed messages in data-time order with [`Casebook::add`].
pub struct Casebook {
    config: CaseConfig,
    tokenizer: Tokenizer,
    scratch: Scratch,
    vocab: Vocabulary,
    /// Live cases by number. The map holds only what candidate filtering reads for every
    /// candidate (the last message's time); the rest sits in `states`, so the map stays
    /// small enough for the caches (it is probed for up to ~200 candidates per message).
    cases: FastMap<u32, Live>,
    /// The states of live cases; a retired case's slot (with the capacity of its strings
    /// and maps) goes to `free_slots` for the next new case. Nine in ten messages open a
    /// case, and a fresh state of its own cost an allocation for each part.
    states: Vec<CaseState>,
    free_slots: Vec<u32>,
    /// Number of the next case.
    next: u32,
    /// Retired cases by number, when the casebook keeps them ([`Casebook::with_archive`]).
    archive: Option<BTreeMap<u32, Case>>,
    retired: u64,
    /// The numbers of the cases the latest sweep retired.
    last_retired: Vec<u32>,
    /// Latest data time seen (seconds) and when live cases are next checked for retirement.
    now: i64,
    next_sweep: i64,
    /// Four LSH bands of the SimHash -> (simhash, case), newest last, bounded.
    bands: [FastMap<u16, BandList>; 4],
    /// Entries of the term index (`Term::cases`) and `bands` held, and held after their last
    /// clean-up. Entries of retired cases are dropped lazily: skipped when read, removed from
    /// a list that overflows its cap, and from all lists once the entries held have doubled
    /// (sweeping every list at each retirement cost a tenth of the grouper's time). Reads and
    /// caps see exactly the live entries, so grouping is the same as with eager removal.
    held: usize,
    held_after_clean: usize,
    /// The numbers of the live cases as a bit set: the index and band lists are filtered
    /// with it entry by entry, which probing `cases` made cache-miss bound.
    live: LiveSet,
}

impl std::fmt::Debug for Casebook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Casebook")
            .field("config", &self.config)
            .field("cases", &self.cases.len())
            .field("next", &self.next)
            .field("terms", &self.vocab.len())
            .finish()
    }
}

const INDEX_CAP: usize = 256;
const BAND_CAP: usize = 32;
const CANDIDATES_PER_TERM: usize = 16;

impl Casebook {
    /// A casebook for streams (live server, `watch`): retired cases are forgotten and no
    /// member ids or samples are kept, so memory stays bounded however long it runs.
    pub fn new(config: CaseConfig) -> Self {
        Casebook {
            config,
            tokenizer: Tokenizer::new(),
            scratch: Scratch::default(),
            vocab: Vocabulary::default(),
            cases: FastMap::default(),
            states: Vec::new(),
            free_slots: Vec::new(),
            next: 0,
            archive: None,
            retired: 0,
            last_retired: Vec::new(),
            now: i64::MIN,
            next_sweep: i64::MIN,
            bands: Default::default(),
            held: 0,
            held_after_clean: 0,
            live: LiveSet::default(),
        }
    }

    /// A casebook for batch tools that list every case at the end (`cases`, reports): cases
    /// keep their member ids and samples, and the summaries of retired cases are kept (their
    /// grouping state is still dropped).
    pub fn with_archive(config: CaseConfig) -> Self {
        Casebook {
            archive: Some(BTreeMap::new()),
            ..Casebook::new(config)
        }
    }

    pub fn config(&self) -> &CaseConfig {
        &self.config
    }

    /// Groups one message. Sentiment and topics for the case's mix come from `analysis` or,
    /// without one, from the message's gold labels.
    pub fn add(&mut self, message: &Message, analysis: Option<&Analysis>) -> Assignment {
        let at = message.created_at;
        self.now = self.now.max(at.timestamp());
        if self.now >= self.next_sweep {
            self.retire();
            self.next_sweep = self.now + (self.config.window_secs / 8).max(60);
        }
        let lang = terms::guess_lang(&message.text, message.language.as_deref());
        // The buffers leave `self` while it is borrowed below, and come back at the end.
        let mut scratch = std::mem::take(&mut self.scratch);
        terms::profile_into(
            &self.tokenizer,
            &mut scratch.terms,
            &mut self.vocab,
            (&message.text, lang),
            self.config.case_terms,
            self.now,
            &mut scratch.profile,
        );
        let profile = &scratch.profile;
        let (case, near_duplicate) = match self.near_duplicate(profile, at) {
            Some(c) => (Some(c), true),
            None => (
                self.best_match(
                    profile,
                    at,
                    analysis.map(|a| a.topics.as_slice()),
                    &mut scratch.query,
                    &mut scratch.pairs,
                ),
                false,
            ),
        };
        let new_case = case.is_none();
        let case = case.unwrap_or_else(|| self.open_case(message));
        self.join(case, message, analysis, profile, &mut scratch.new_terms);
        self.scratch = scratch;
        Assignment {
            case: case as usize,
            new_case,
            near_duplicate,
        }
    }

    fn near_duplicate(&self, p: &Profile, at: Timestamp) -> Option<u32> {
        if p.tokens < self.config.near_duplicate_min_tokens {
            return None;
        }
        for (i, band) in self.bands.iter().enumerate() {
            let key = (p.simhash >> (16 * i)) as u16;
            if let Some(list) = band.get(&key) {
                for &(h, c) in list.entries.iter().rev() {
                    if (h ^ p.simhash).count_ones() <= self.config.near_duplicate_bits
                        && self.active(c, at).is_some()
                    {
                        return Some(c);
                    }
                }
            }
        }
        None
    }

    /// The live case, if its last message is within the window of `at`.
    fn active(&self, case: u32, at: Timestamp) -> Option<&Live> {
        self.cases
            .get(&case)
            .filter(|l| at.timestamp() - l.last_seen <= self.config.window_secs)
    }

    /// Whether a message with `topics` agrees with the case's analysed members (see
    /// [`CaseConfig::topic_agreement`]); always when the case has no analysed member.
    fn topics_agree(&self, state: &CaseState, topics: &[Scored]) -> bool {
        if state.analysed == 0 || self.config.topic_agreement <= 0.0 {
            return true;
        }
        let held = if topics.is_empty() {
            state.untopical
        } else {
            topics
                .iter()
                .map(|t| state.case.topics.get(&t.label).copied().unwrap_or(0) as u32)
                .max()
                .unwrap_or(0)
        };
        held as f32 >= self.config.topic_agreement * state.analysed as f32
    }

    /// Retires the cases whose last message is older than the window (data time `now`):
    /// they can take no member any more, so their profiles, customer sets, index and band
    /// entries go; then forgets stale terms if the vocabulary is over its cap.
    fn retire(&mut self) {
        let horizon = self.now.saturating_sub(self.config.window_secs);
        let mut gone: Vec<u32> = self
            .cases
            .iter()
            .filter(|(_, l)| l.last_seen < horizon)
            .map(|(&n, _)| n)
            .collect();
        self.last_retired.clear();
        if !gone.is_empty() {
            gone.sort_unstable();
            self.retired += gone.len() as u64;
            self.last_retired.extend_from_slice(&gone);
            for n in gone {
                let Some(Live { slot, .. }) = self.cases.remove(&n) else {
                    continue;
                };
                self.live.remove(n);
                self.free_slots.push(slot);
                if let Some(archive) = &mut self.archive {
                    let state = &mut self.states[slot as usize];
                    let mut case = std::mem::replace(&mut state.case, Case::empty());
                    label(&state.terms, &self.vocab, case.size, &mut case.label);
                    archive.insert(n, case);
                }
            }
            if self.held > 2 * self.held_after_clean.max(4096) {
                self.drop_retired_entries();
            }
        }
        if self.vocab.len() > self.config.vocabulary_cap {
            let mut held = vec![false; self.vocab.terms.len()];
            for live in self.cases.values() {
                for &t in self.states[live.slot as usize].terms.keys() {
                    held[t as usize] = true;
                }
            }
            let keep = self.config.vocabulary_cap / 4 * 3;
            for t in self.vocab.forget(horizon, &held, keep) {
                let list = std::mem::take(&mut self.vocab.terms[t as usize].cases);
                self.held -= list.entries.len();
            }
        }
    }

    /// Removes the index and band entries of retired cases from every list.
    fn drop_retired_entries(&mut self) {
        let live = &self.live;
        let mut held = 0;
        let retired = self.retired;
        for term in &mut self.vocab.terms {
            let list = &mut term.cases;
            list.entries.retain(|c| live.contains(*c));
            list.clean_at = retired;
            held += list.entries.len();
            if list.entries.spilled() && list.entries.len() <= list.entries.inline_size() {
                list.entries.shrink_to_fit();
            }
        }
        for band in &mut self.bands {
            band.retain(|_, list| {
                list.entries.retain(|(_, c)| live.contains(*c));
                list.clean_at = retired;
                held += list.entries.len();
                !list.entries.is_empty()
            });
        }
        self.held = held;
        self.held_after_clean = held;
    }

    fn best_match(
        &self,
        p: &Profile,
        at: Timestamp,
        topics: Option<&[Scored]>,
        query: &mut Vec<(u32, f32)>,
        pairs: &mut Vec<u64>,
    ) -> Option<u32> {
        // Matching terms: known before this message (df >= 2), most salient first (the
        // profile's order; the vocabulary has not changed since).
        query.clear();
        query.extend(
            p.ranked
                .iter()
                .filter(|&&(t, _)| self.vocab.terms[t as usize].df >= 2)
                // (At most 256: a query index takes 8 bits below.)
                .take(self.config.match_terms.min(256)),
        );
        let max_idf = (self.vocab.docs as f32 + 1.0).ln() + 1.0;
        // (case, query term) pairs from the term index: the newest few cases per term bound
        // the work per message. A case is a candidate when a salient term (idf >= min_idf x
        // max_idf) found it; the other terms it shares only add to its score.
        // Packed as `case << 8 | query index`: one integer sort groups them by case.
        pairs.clear();
        let case_of = |e: u64| (e >> 8) as u32;
        let query_of = |e: u64| (e & 0xff) as usize;
        // A 1024-bit filter by case number: which cases were found more than once (a case
        // sharing a bit with another counts as found twice; the bounds below sort it out).
        let (mut seen, mut twice) = ([0u64; 16], [0u64; 16]);
        let bit = |c: u32| {
            let b = (c & 1023) as usize;
            (b / 64, 1u64 << (b % 64))
        };
        for (q, &(t, _)) in query.iter().enumerate() {
            let live = self.vocab.terms[t as usize]
                .cases
                .entries
                .iter()
                .rev()
                .filter(|&&c| self.live.contains(c));
            for &c in live.take(CANDIDATES_PER_TERM) {
                let (w, m) = bit(c);
                twice[w] |= seen[w] & m;
                seen[w] |= m;
                pairs.push(u64::from(c) << 8 | q as u64);
            }
        }
        if self.config.min_shared_words >= 2 {
            // Nearly every case is found by one term only (92 of 99 pairs per message in the
            // airline replay), and such a case cannot join unless that term is an identifier
            // (see the bounds below): those pairs go before the sort.
            let mut identifiers = [0u64; 4];
            for (q, &(t, _)) in query.iter().enumerate() {
                if self.vocab.terms[t as usize].identifier {
                    identifiers[q / 64] |= 1 << (q % 64);
                }
            }
            pairs.retain(|&e| {
                let (w, m) = bit(case_of(e));
                let q = query_of(e);
                twice[w] & m != 0 || identifiers[q / 64] >> (q % 64) & 1 == 1
            });
        }
        pairs.sort_unstable();
        pairs.dedup();
        // Long texts share rare words by chance: the bar rises with the square root of the
        // number of content tokens beyond `long_text_tokens` (tweets are not affected).
        let length = (p.tokens as f32 / self.config.long_text_tokens.max(1) as f32)
            .sqrt()
            .max(1.0);
        let needed = self.config.join_score * max_idf * length;
        let salient = self.config.min_idf * max_idf;
        let half_life = self.config.recency_half_life_secs.max(1) as f32;
        let mut best: Option<(f32, u32)> = None;
        for group in pairs.chunk_by(|&a, &b| case_of(a) == case_of(b)) {
            let c = case_of(group[0]);
            // Cheap bounds first (no case state touched): a candidate needs a salient term,
            // and `min_shared_words` shared terms unless one of them is an identifier (the
            // terms the index found are all it can share).
            if !group.iter().any(|&e| query[query_of(e)].1 >= salient)
                || (group.len() < self.config.min_shared_words
                    && !group
                        .iter()
                        .any(|&e| self.vocab.terms[query[query_of(e)].0 as usize].identifier))
            {
                continue;
            }
            let Some(live) = self.active(c, at) else {
                continue;
            };
            // An upper bound before the case's state is read (a cache miss per candidate):
            // each shared term adds at most `max_idf` (relative idf and member share are at
            // most 1), times the recency factor of an age at least a second below the
            // whole-second one (`last_seen` here is in whole seconds).
            let min_age = (at.timestamp() - live.last_seen - 1).max(0) as f32;
            let bound = group.len() as f32 * max_idf * 0.5f32.powf(min_age / half_life);
            if bound < needed * 0.999 {
                continue;
            }
            let state = &self.states[live.slot as usize];
            let size = state.case.size as f32;
            let (mut score, mut shared, mut identifier) = (0.0f32, 0usize, false);
            for &e in group {
                let t = query[query_of(e)].0;
                // The index can hold a case whose profile dropped the term since.
                let Some(&n) = state.terms.get(&t) else {
                    continue;
                };
                let term = &self.vocab.terms[t as usize];
                // A term counts by how rare it is outside this case: a term that only this
                // case uses stays fully characteristic however often it is repeated.
                let df = term.df.saturating_sub(n).max(1);
                let idf_outside = ((self.vocab.docs as f32 + 1.0) / df as f32).ln() + 1.0;
                // Squared relative idf: rare terms decide, a pile of common words does not
                // add up to a case. An identifier that most of its messages share in this
                // case is the case's key, however many reports of the storm went elsewhere
                // (each of them makes it less rare outside the case; counting them would
                // push the case below the bar just as the storm grows).
                let rel = if term.identifier && 2 * n >= term.df {
                    1.0
                } else {
                    idf_outside / max_idf
                };
                score += max_idf * rel * rel * n as f32 / size;
                if rel >= self.config.min_idf {
                    shared += 1;
                    identifier |= term.identifier;
                }
            }
            // One shared identifier (`re30`, a flight number, a hashtag) can make a case;
            // words need company: long texts share one rare word by chance.
            if shared < self.config.min_shared_words && !identifier {
                continue;
            }
            // Shared words of another subject (the railway in general vs its wifi) are not
            // the same problem: without a shared identifier the topics must agree.
            if !identifier
                && let Some(topics) = topics
                && !self.topics_agree(state, topics)
            {
                continue;
            }
            // Recent cases first: the same problem is reported close in time.
            let age = (at - state.case.last_seen).num_seconds().max(0) as f32;
            let score = score * 0.5f32.powf(age / half_life);
            // Ties go to the older case (smaller index) for determinism.
            if score >= needed && best.is_none_or(|(s, b)| score > s || (score == s && c < b)) {
                best = Some((score, c));
            }
        }
        best.map(|(_, c)| c)
    }

    fn open_case(&mut self, message: &Message) -> u32 {
        let n = self.next;
        self.next += 1;
        self.live.insert(n);
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.states.push(CaseState::new());
                self.states.len() as u32 - 1
            }
        };
        self.states[slot as usize].reset(n, message.created_at);
        self.cases.insert(
            n,
            Live {
                last_seen: message.created_at.timestamp(),
                slot,
            },
        );
        n
    }

    fn join(
        &mut self,
        c: u32,
        message: &Message,
        analysis: Option<&Analysis>,
        p: &Profile,
        new_terms: &mut Vec<u32>,
    ) {
        let config = &self.config;
        let live = self.cases.get_mut(&c).expect("a live case");
        live.last_seen = live.last_seen.max(message.created_at.timestamp());
        let state = &mut self.states[live.slot as usize];
        let case = &mut state.case;
        case.size += 1;
        case.first_seen = case.first_seen.min(message.created_at);
        case.last_seen = case.last_seen.max(message.created_at);
        // Member ids and sample texts are for people reading a batch tool's cases; a stream
        // casebook's caller records the members itself (the server's store), and copying
        // them was a tenth of `watch`'s allocations.
        let summaries = self.archive.is_some();
        if summaries {
            case.messages.push(message.external_id.clone());
        }
        if state
            .customers
            .insert(xxhash_rust::xxh3::xxh3_64(message.author.as_bytes()))
        {
            case.customers += 1;
        }
        let sentiment = match analysis {
            Some(a) => Some(a.sentiment.label),
            None => message
                .labels
                .get("sentiment")
                .and_then(|s| SentimentLabel::parse(s)),
        };
        match sentiment {
            Some(SentimentLabel::Negative) => case.sentiment.negative += 1,
            Some(SentimentLabel::Neutral) => case.sentiment.neutral += 1,
            Some(SentimentLabel::Positive) => case.sentiment.positive += 1,
            None => case.sentiment.unknown += 1,
        }
        count(&mut case.channels, &message.channel);
        match analysis {
            Some(a) => {
                state.analysed += 1;
                state.untopical += u32::from(a.topics.is_empty());
                for t in &a.topics {
                    count(&mut case.topics, &t.label);
                }
            }
            None => {
                if let Some(t) = message.labels.get("topic") {
                    count(&mut case.topics, t);
                }
            }
        }
        if summaries && case.samples.len() < config.samples {
            case.samples.push(Sample {
                id: message.external_id.clone(),
                author: message.author.clone(),
                text: message.text[..prefix_len(&message.text, 280)].to_owned(),
            });
        }
        // Case profile: the message's most salient terms.
        new_terms.clear();
        if state.terms.is_empty() {
            // A new case: one allocation instead of a growth per doubling.
            state.terms.reserve(p.vector.len());
        }
        for &(t, _) in &p.vector {
            let n = state.terms.entry(t).or_insert(0);
            *n += 1;
            if *n == 1 {
                new_terms.push(t);
            }
        }
        if state.terms.len() > 2 * config.case_terms {
            // Keep the terms most members share (ties: lower id, for determinism).
            let mut v: Vec<(u32, u32)> = state.terms.iter().map(|(&t, &n)| (t, n)).collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v.truncate(config.case_terms);
            state.terms = v.into_iter().collect();
        }
        // Relabel while small, then at each doubling.
        if state.case.size <= 4 || state.case.size >= 2 * state.label_at {
            state.label_at = state.case.size;
            // (Written into the label's own buffer: most cases are labelled once, at their
            // first message, and a recycled state keeps the buffer.)
            if state.case.size == 1 {
                // A new case's terms are the message's profile, already in the label's order
                // (idf, then id; every share is 1): nothing to score again.
                let top = p.vector.iter().take(3).map(|&(t, _)| t);
                join_surfaces(top, &self.vocab, &mut state.case.label);
            } else {
                label(
                    &state.terms,
                    &self.vocab,
                    state.case.size,
                    &mut state.case.label,
                );
            }
        }
        let live = &self.live;
        for &t in new_terms.iter() {
            let list = &mut self.vocab.terms[t as usize].cases;
            let removed = list.push_capped(c, INDEX_CAP, |&c| c, live, self.retired);
            self.held = self.held + 1 - removed;
        }
        if p.tokens >= self.config.near_duplicate_min_tokens {
            for (i, band) in self.bands.iter_mut().enumerate() {
                let list = band.entry((p.simhash >> (16 * i)) as u16).or_default();
                let entry = (p.simhash, c);
                let removed = list.push_capped(entry, BAND_CAP, |&(_, c)| c, live, self.retired);
                self.held = self.held + 1 - removed;
            }
        }
    }

    /// The live cases and, with [`Casebook::with_archive`], the retired ones, in order of
    /// creation.
    pub fn cases(&self) -> impl Iterator<Item = &Case> {
        let mut live: Vec<(u32, &Case)> = self
            .cases
            .iter()
            .map(|(&n, l)| (n, &self.states[l.slot as usize].case))
            .collect();
        live.sort_unstable_by_key(|(n, _)| *n);
        let mut all: Vec<&Case> = Vec::with_capacity(live.len());
        let mut archived = self.archive.iter().flatten().peekable();
        for (n, case) in live {
            while let Some((_, a)) = archived.next_if(|(m, _)| **m < n) {
                all.push(a);
            }
            all.push(case);
        }
        all.extend(archived.map(|(_, a)| a));
        all.into_iter()
    }

    /// The case with this number ([`Assignment::case`]): live, or retired and archived.
    pub fn case(&self, number: usize) -> Option<&Case> {
        let n = u32::try_from(number).ok()?;
        match self.cases.get(&n) {
            Some(l) => Some(&self.states[l.slot as usize].case),
            None => self.archive.as_ref()?.get(&n),
        }
    }

    /// Whether the case with this `case_id` is live (can still take members).
    pub fn is_live(&self, case_id: &str) -> bool {
        case_number(case_id).is_some_and(|n| self.cases.contains_key(&n))
    }

    /// Cases opened so far (live and retired).
    pub fn len(&self) -> usize {
        self.next as usize
    }

    pub fn is_empty(&self) -> bool {
        self.next == 0
    }

    /// Cases retired so far (a counter: it changes when a sweep retired some).
    pub fn retired(&self) -> u64 {
        self.retired
    }

    /// The numbers ([`Assignment::case`]) of the cases the latest sweep retired (empty when
    /// it retired none). Check after each [`Casebook::add`] whose call changed
    /// [`Casebook::retired`].
    pub fn last_retired(&self) -> &[u32] {
        &self.last_retired
    }

    /// Sizes of the in-memory structures.
    pub fn footprint(&self) -> Footprint {
        Footprint {
            live_cases: self.cases.len(),
            live_members: self
                .cases
                .values()
                .map(|l| self.states[l.slot as usize].case.size as usize)
                .sum(),
            retired_cases: self.retired,
            terms: self.vocab.len(),
            index_entries: self
                .vocab
                .terms
                .iter()
                .flat_map(|t| t.cases.entries.iter())
                .filter(|&&c| self.live.contains(c))
                .count(),
            band_entries: self
                .bands
                .iter()
                .flat_map(|b| b.values())
                .flat_map(|l| l.entries.iter())
                .filter(|&&(_, c)| self.live.contains(c))
                .count(),
            held_entries: self.held,
        }
    }

    /// Fresh labels for every live case (labels are otherwise refreshed at each doubling and
    /// when a case retires).
    pub fn relabel(&mut self) {
        for live in self.cases.values() {
            let state = &mut self.states[live.slot as usize];
            label(
                &state.terms,
                &self.vocab,
                state.case.size,
                &mut state.case.label,
            );
        }
    }
}

/// The `case_id` of the case with this number: `case-{number + 1}`.
pub fn case_id(number: u32) -> String {
    let mut id = String::new();
    write_case_id(&mut id, number);
    id
}

/// The number of the case with this `case_id` ([`case_id`] backwards).
pub fn case_number(case_id: &str) -> Option<u32> {
    case_id
        .strip_prefix("case-")
        .and_then(|n| n.parse::<u32>().ok())
        .and_then(|n| n.checked_sub(1))
}

fn write_case_id(out: &mut String, number: u32) {
    use std::fmt::Write;
    write!(out, "case-{}", u64::from(number) + 1).expect("writing to a string");
}

/// Counts one more `key`, copying it only when it is new.
fn count(counts: &mut BTreeMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_owned(), 1);
        }
    }
}

/// Byte length of the first `chars` characters of `text`.
fn prefix_len(text: &str, chars: usize) -> usize {
    // No more bytes than `chars` means no more characters.
    if text.len() <= chars {
        return text.len();
    }
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}

/// The label of a case: its three terms with the highest share x idf (ties: lower id), joined
/// by ` · `, into `out` (replaced).
fn label(terms: &FastMap<u32, u32>, vocab: &Vocabulary, size: u64, out: &mut String) {
    // The best three in one pass (most cases are labelled at their first message, when a
    // sort of all their terms was a fortieth of `watch`).
    let before = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)).is_lt();
    let mut top = [(0u32, 0f32); 3];
    let mut len = 0;
    for (&t, &n) in terms {
        let entry = (t, n as f32 / size.max(1) as f32 * vocab.idf(t));
        let at = top[..len]
            .iter()
            .position(|x| before(&entry, x))
            .unwrap_or(len);
        if at == 3 {
            continue;
        }
        len = (len + 1).min(3);
        top[at..len].rotate_right(1);
        top[at] = entry;
    }
    join_surfaces(top[..len].iter().map(|&(t, _)| t), vocab, out);
}

/// The surface forms of `terms` joined by ` · `, into `out` (replaced).
fn join_surfaces(terms: impl Iterator<Item = u32>, vocab: &Vocabulary, out: &mut String) {
    out.clear();
    for (i, t) in terms.enumerate() {
        if i > 0 {
            out.push_str(" · ");
        }
        out.push_str(vocab.surface(t));
    }
}

#[cfg(test)]
mod tests;
