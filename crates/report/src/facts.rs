//! Per-conversation facts: everything a figure needs, built once from the ordered messages of
//! one conversation (each with an optional analysis). Every figure of the report is computed
//! from a slice of these facts, and the CSV export is exactly these facts, one row each.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;
use model::{Analysis, Direction, Message, SentimentLabel, Threader};
use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::hours::BusinessHours;
use crate::phrases::PhraseList;
use crate::staff::{Role, StaffDirectory};

/// A message with the analysis the classifier gave it, if any, and the case it was grouped
/// into, if any.
#[derive(Debug, Clone)]
pub struct Annotated {
    pub message: Message,
    pub analysis: Option<Analysis>,
    /// The case key (`#ID label`, see docs/METRICS.md) of a customer message that belongs to a
    /// case of at least two messages.
    pub case: Option<String>,
}

impl From<Message> for Annotated {
    fn from(message: Message) -> Self {
        Self {
            message,
            analysis: None,
            case: None,
        }
    }
}

/// What a channel is, for the report: a conversation channel (social network, email, web form,
/// community) or an external publication (blog, feed) that we only count as a mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Conversation,
    Blog,
    Feed,
}

impl ChannelKind {
    /// `blog*` is a blog, `feed*`, `rss*`, `atom*` a feed, everything else a conversation channel.
    pub fn of(channel: &str) -> Self {
        let c = channel.to_ascii_lowercase();
        if c.starts_with("blog") {
            ChannelKind::Blog
        } else if c.starts_with("feed") || c.starts_with("rss") || c.starts_with("atom") {
            ChannelKind::Feed
        } else {
            ChannelKind::Conversation
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Conversation => "conversation",
            ChannelKind::Blog => "blog",
            ChannelKind::Feed => "feed",
        }
    }

    pub fn is_external(self) -> bool {
        self != ChannelKind::Conversation
    }
}

/// A name that repeats across many conversations (channel, brand, team, agent, topic, phrase),
/// stored once and shared: the facts of millions of conversations stay small in memory.
pub type Name = Arc<str>;

/// The replies one staff member (agent) wrote in one conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentReplies {
    pub agent: Name,
    pub team: Name,
    pub role: Role,
    pub replies: u32,
    /// Replies of this agent containing at least one deflection phrase.
    pub deflected: u32,
}

/// The facts of one conversation. Times are UTC; durations are whole seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationFacts {
    /// `channel:root external id`.
    pub conversation: Box<str>,
    pub channel: Name,
    pub channel_kind: ChannelKind,
    pub brand: Name,
    pub team: Name,
    /// Topics of the customer's messages (union, first seen first).
    pub topics: Box<[Name]>,
    /// Cases the customer's messages were grouped into (first seen first).
    pub cases: Box<[Name]>,
    /// The customer: `channel:author` of the first inbound message (empty when none).
    pub customer: Box<str>,
    /// The first message is inbound (the customer started it).
    pub customer_started: bool,
    pub started_at: Timestamp,
    pub last_message_at: Timestamp,
    pub first_inbound_at: Option<Timestamp>,
    pub first_response_at: Option<Timestamp>,
    /// Agent who wrote the first response.
    pub first_responder: Option<Name>,
    pub inbound_messages: u32,
    /// Outbound messages after the first inbound message (= replies).
    pub replies: u32,
    /// Seconds from the first inbound message to the first response (calendar time).
    pub first_response_s: Option<i64>,
    /// The same in business hours.
    pub first_response_business_s: Option<i64>,
    /// Each later customer turn: seconds from its first message to our next reply.
    pub next_response_s: Box<[i64]>,
    /// Customer turns after a reply that got no reply (the last turn still waiting).
    pub unanswered_turns: u32,
    /// Resolution (proxy: our message was the last word) time.
    pub resolved_at: Option<Timestamp>,
    pub resolution_s: Option<i64>,
    pub resolution_business_s: Option<i64>,
    /// Distinct UTC calendar days with a message.
    pub active_days: u32,
    pub inbound_negative: u32,
    pub inbound_neutral: u32,
    pub inbound_positive: u32,
    /// Sentiment of the customer's last message before the first response.
    pub sentiment_before: Option<SentimentLabel>,
    /// Sentiment of the customer's first message after the first response.
    pub sentiment_after: Option<SentimentLabel>,
    /// Survey score 1-5 (the last one given in the conversation).
    pub survey_score: Option<f32>,
    /// Inbound messages saying the customer will leave.
    pub churn_messages: u32,
    pub churn_at: Option<Timestamp>,
    /// Whether we replied after the first churn message.
    pub churn_followed_up: Option<bool>,
    /// Inbound insulting / toxic messages (received by staff).
    pub insults_received: u32,
    /// Deflection phrases found in our replies (phrase texts, in order, repeated per reply).
    pub deflection_phrases: Box<[Name]>,
    /// Replies by agent.
    pub agents: Box<[AgentReplies]>,
}

impl ConversationFacts {
    /// Customer conversations are the population of the response figures: the customer wrote
    /// first, on a conversation channel (not a blog or feed).
    pub fn is_customer_conversation(&self) -> bool {
        self.customer_started && !self.channel_kind.is_external()
    }

    pub fn responded(&self) -> bool {
        self.first_response_at.is_some()
    }

    pub fn lifetime_s(&self) -> i64 {
        (self.last_message_at - self.started_at).num_seconds()
    }

    pub fn deflected_replies(&self) -> u32 {
        self.agents.iter().map(|a| a.deflected).sum()
    }

    pub fn inbound_with_sentiment(&self) -> u32 {
        self.inbound_negative + self.inbound_neutral + self.inbound_positive
    }

    /// The date the conversation belongs to for periods and `--from/--to`: the first inbound
    /// message, or the first message when there is none.
    pub fn anchor(&self) -> Timestamp {
        self.first_inbound_at.unwrap_or(self.started_at)
    }
}

/// Thresholds that turn classifier scores into yes/no facts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// `Analysis::churn` at or above this is a churn-intent message.
    pub churn: f32,
    /// `Analysis::toxicity` at or above this is an insult.
    pub toxicity: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            churn: 0.5,
            toxicity: 0.5,
        }
    }
}

/// Everything the fact builder needs besides the messages.
#[derive(Debug, Clone)]
pub struct FactsOptions {
    pub hours: BusinessHours,
    pub thresholds: Thresholds,
    pub phrases: PhraseList,
    pub staff: StaffDirectory,
    /// How many examples to keep per deflection phrase.
    pub examples_per_phrase: usize,
    /// How many churn messages to keep with their text.
    pub max_churn_examples: usize,
}

impl Default for FactsOptions {
    fn default() -> Self {
        Self {
            hours: BusinessHours::default(),
            thresholds: Thresholds::default(),
            phrases: PhraseList::default_list(),
            staff: StaffDirectory::default(),
            examples_per_phrase: 3,
            max_churn_examples: 200,
        }
    }
}

/// A reply that contained a deflection phrase, kept as an example (text is untrusted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeflectionExample {
    pub phrase: String,
    pub conversation: String,
    pub agent: String,
    pub team: String,
    pub at: Timestamp,
    pub text: String,
}

/// A customer message with churn intent, kept with its text (untrusted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChurnExample {
    pub customer: String,
    pub conversation: String,
    pub brand: String,
    pub at: Timestamp,
    pub followed_up: bool,
    pub text: String,
}

/// Examples found while building facts; bounded so memory stays flat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub deflections: Vec<DeflectionExample>,
    pub churn: Vec<ChurnExample>,
    /// Which source gave the sentiment of inbound messages: gold labels, the classifier, none.
    pub sentiment_from_gold: u64,
    pub sentiment_from_model: u64,
    pub sentiment_missing: u64,
}

/// Known brand handles, lowercase -> canonical spelling. Used to find the brand of a
/// conversation nobody answered, from the first `@handle` of the customer's first message.
#[derive(Debug, Clone, Default)]
pub struct BrandIndex {
    by_lower: HashMap<String, String>,
}

impl BrandIndex {
    pub fn insert(&mut self, brand: &str) {
        if !brand.is_empty() {
            self.by_lower
                .entry(brand.to_lowercase())
                .or_insert_with(|| brand.to_owned());
        }
    }

    /// Every outbound author and every `brand` field.
    pub fn from_messages<'a>(messages: impl IntoIterator<Item = &'a Message>) -> Self {
        let mut index = Self::default();
        for m in messages {
            if m.direction == Direction::Outbound {
                index.insert(m.brand.as_deref().unwrap_or(&m.author));
                index.insert(&m.author);
            } else if let Some(b) = &m.brand {
                index.insert(b);
            }
        }
        index
    }

    /// The first `@handle` (an `@` not preceded by a letter, digit or `_`, followed by
    /// letters, digits, `_`) that is a known brand.
    fn first_mentioned(&self, text: &str) -> Option<&str> {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let mut prev: Option<char> = None;
        for (i, c) in text.char_indices() {
            if c == '@' && prev.is_none_or(|p| !(p.is_alphanumeric() || p == '_')) {
                let rest = &text[i + 1..];
                let end = rest.find(|c: char| !word(c)).unwrap_or(rest.len());
                if end > 0
                    && let Some(b) = self.by_lower.get(&rest[..end].to_lowercase())
                {
                    return Some(b);
                }
            }
            prev = Some(c);
        }
        None
    }

    pub fn len(&self) -> usize {
        self.by_lower.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_lower.is_empty()
    }
}

/// Builds facts one conversation at a time and collects bounded evidence.
#[derive(Debug)]
pub struct FactsBuilder<'o> {
    opts: &'o FactsOptions,
    brands: BrandIndex,
    pub evidence: Evidence,
    examples_per_phrase: Vec<usize>,
    names: Names,
}

/// Interns [`Name`]s.
#[derive(Debug, Default)]
pub struct Names(HashSet<Name>);

impl Names {
    pub fn get(&mut self, s: &str) -> Name {
        if let Some(n) = self.0.get(s) {
            return n.clone();
        }
        let n: Name = Arc::from(s);
        self.0.insert(n.clone());
        n
    }
}

impl<'o> FactsBuilder<'o> {
    pub fn new(opts: &'o FactsOptions, brands: BrandIndex) -> Self {
        Self {
            opts,
            brands,
            evidence: Evidence::default(),
            examples_per_phrase: vec![0; opts.phrases.len()],
            names: Names::default(),
        }
    }

    /// The facts of one conversation. `messages` are all messages of the conversation, in any
    /// order (they are sorted here by time, inbound before outbound at the same second).
    /// `conversation` is the id to report, usually `channel:root external id`.
    /// Panics never; an empty slice gives `None`.
    pub fn conversation(
        &mut self,
        conversation: &str,
        messages: &mut [Annotated],
    ) -> Option<ConversationFacts> {
        messages.sort_by(|a, b| {
            let (a, b) = (&a.message, &b.message);
            a.created_at
                .cmp(&b.created_at)
                .then(a.direction.cmp(&b.direction))
                .then(a.external_id.len().cmp(&b.external_id.len()))
                .then(a.external_id.cmp(&b.external_id))
        });
        let first = &messages.first()?.message;
        let last = &messages.last()?.message;
        let opts = self.opts;
        let channel = self.names.get(&first.channel);
        let channel_kind = ChannelKind::of(&channel);

        let first_inbound = messages
            .iter()
            .position(|m| m.message.direction == Direction::Inbound);
        let first_inbound_at = first_inbound.map(|i| messages[i].message.created_at);
        let customer = first_inbound
            .map(|i| {
                let m = &messages[i].message;
                format!("{}:{}", m.channel, m.author)
            })
            .unwrap_or_default();

        // Brand: who answered; else the brand field of a customer message; else the first
        // known @handle in the customer's first message.
        let brand = messages
            .iter()
            .find(|m| m.message.direction == Direction::Outbound)
            .map(|m| m.message.brand.as_deref().unwrap_or(&m.message.author))
            .or_else(|| messages.iter().find_map(|m| m.message.brand.as_deref()))
            .or_else(|| {
                first_inbound.and_then(|i| self.brands.first_mentioned(&messages[i].message.text))
            })
            .unwrap_or("unknown");
        let brand = self.names.get(brand);

        let mut f = ConversationFacts {
            conversation: conversation.into(),
            channel,
            channel_kind,
            brand,
            team: self.names.get(""),
            topics: Box::default(),
            cases: Box::default(),
            customer: customer.into_boxed_str(),
            customer_started: first.direction == Direction::Inbound,
            started_at: first.created_at,
            last_message_at: last.created_at,
            first_inbound_at,
            first_response_at: None,
            first_responder: None,
            inbound_messages: 0,
            replies: 0,
            first_response_s: None,
            first_response_business_s: None,
            next_response_s: Box::default(),
            unanswered_turns: 0,
            resolved_at: None,
            resolution_s: None,
            resolution_business_s: None,
            active_days: 0,
            inbound_negative: 0,
            inbound_neutral: 0,
            inbound_positive: 0,
            sentiment_before: None,
            sentiment_after: None,
            survey_score: None,
            churn_messages: 0,
            churn_at: None,
            churn_followed_up: None,
            insults_received: 0,
            deflection_phrases: Box::default(),
            agents: Box::default(),
        };

        let mut days: BTreeSet<NaiveDate> = BTreeSet::new();
        let mut topics: Vec<Name> = Vec::new();
        let mut cases: Vec<Name> = Vec::new();
        let mut waiting_since: Option<Timestamp> = None;
        let mut last_inbound_sentiment: Option<SentimentLabel> = None;
        let mut labelled_team: Option<String> = None;
        let mut seen_after = false;
        let mut next_response: Vec<i64> = Vec::new();
        let mut phrases: Vec<Name> = Vec::new();
        let mut agents: Vec<AgentReplies> = Vec::new();
        let mut churn_texts: Vec<(Timestamp, String)> = Vec::new();

        for a in messages.iter() {
            let m = &a.message;
            days.insert(m.created_at.date_naive());
            if let Some(score) = survey_score(m) {
                f.survey_score = Some(score);
            }
            if labelled_team.is_none() {
                labelled_team = m.labels.get("team").cloned();
            }
            match m.direction {
                Direction::Inbound => {
                    f.inbound_messages += 1;
                    let sentiment = self.sentiment(a);
                    match sentiment {
                        Some(SentimentLabel::Negative) => f.inbound_negative += 1,
                        Some(SentimentLabel::Neutral) => f.inbound_neutral += 1,
                        Some(SentimentLabel::Positive) => f.inbound_positive += 1,
                        None => {}
                    }
                    if f.first_response_at.is_none() {
                        last_inbound_sentiment = sentiment;
                    } else if !seen_after {
                        seen_after = true;
                        f.sentiment_after = sentiment;
                    }
                    for t in message_topics(a) {
                        if !topics.iter().any(|x| **x == *t) {
                            topics.push(self.names.get(&t));
                        }
                    }
                    if let Some(case) = &a.case
                        && !cases.iter().any(|x| **x == **case)
                    {
                        cases.push(self.names.get(case));
                    }
                    if is_churn(a, opts.thresholds.churn) {
                        f.churn_messages += 1;
                        if f.churn_at.is_none() {
                            f.churn_at = Some(m.created_at);
                            f.churn_followed_up = Some(false);
                        }
                        churn_texts.push((m.created_at, m.text.clone()));
                    }
                    if is_insult(a, opts.thresholds.toxicity) {
                        f.insults_received += 1;
                    }
                    if waiting_since.is_none() {
                        waiting_since = Some(m.created_at);
                    }
                }
                Direction::Outbound => {
                    let Some(first_in) = f.first_inbound_at else {
                        // We wrote before the customer: not a reply.
                        continue;
                    };
                    f.replies += 1;
                    let agent = self.names.get(&agent_of(m));
                    let entry = opts.staff.lookup(&agent, &m.author);
                    let team = m
                        .labels
                        .get("team")
                        .map(String::as_str)
                        .or(entry.map(|e| e.team.as_str()))
                        .unwrap_or("unknown");
                    let team = self.names.get(team);
                    let role = m
                        .labels
                        .get("role")
                        .and_then(|r| Role::parse(r))
                        .or(entry.map(|e| e.role))
                        .unwrap_or(Role::Unknown);
                    let found = opts.phrases.find(&m.text);
                    for &i in &found {
                        let phrase = &opts.phrases.phrases()[i].text;
                        phrases.push(self.names.get(phrase));
                        if self.examples_per_phrase[i] < opts.examples_per_phrase {
                            self.examples_per_phrase[i] += 1;
                            self.evidence.deflections.push(DeflectionExample {
                                phrase: phrase.clone(),
                                conversation: conversation.to_owned(),
                                agent: agent.to_string(),
                                team: team.to_string(),
                                at: m.created_at,
                                text: m.text.clone(),
                            });
                        }
                    }
                    match agents.iter_mut().find(|x| x.agent == agent) {
                        Some(x) => {
                            x.replies += 1;
                            x.deflected += u32::from(!found.is_empty());
                        }
                        None => agents.push(AgentReplies {
                            agent: agent.clone(),
                            team: team.clone(),
                            role,
                            replies: 1,
                            deflected: u32::from(!found.is_empty()),
                        }),
                    }
                    if f.first_response_at.is_none() {
                        f.first_response_at = Some(m.created_at);
                        f.first_responder = Some(agent);
                        f.first_response_s = Some((m.created_at - first_in).num_seconds());
                        f.first_response_business_s =
                            Some(opts.hours.seconds_between(first_in, m.created_at));
                        f.team = team;
                        f.sentiment_before = last_inbound_sentiment;
                    } else if let Some(w) = waiting_since {
                        next_response.push((m.created_at - w).num_seconds());
                    }
                    waiting_since = None;
                    if f.churn_followed_up == Some(false) {
                        f.churn_followed_up = Some(true);
                    }
                }
            }
        }
        if f.first_response_at.is_some() && waiting_since.is_some() {
            f.unanswered_turns = 1;
        }
        if f.team.is_empty() {
            f.team = self
                .names
                .get(labelled_team.as_deref().unwrap_or("unassigned"));
        }
        if f.sentiment_before.is_none() {
            f.sentiment_after = None;
        }
        if let (Some(first_in), Direction::Outbound) = (f.first_inbound_at, last.direction)
            && f.first_response_at.is_some()
        {
            f.resolved_at = Some(last.created_at);
            f.resolution_s = Some((last.created_at - first_in).num_seconds());
            f.resolution_business_s = Some(opts.hours.seconds_between(first_in, last.created_at));
        }
        f.active_days = days.len() as u32;
        f.topics = topics.into();
        f.cases = cases.into();
        f.next_response_s = next_response.into();
        f.deflection_phrases = phrases.into();
        f.agents = agents.into();

        for (at, text) in churn_texts {
            if self.evidence.churn.len() >= opts.max_churn_examples {
                break;
            }
            let followed_up = f.first_response_at.is_some()
                && messages.iter().any(|m| {
                    m.message.direction == Direction::Outbound && m.message.created_at >= at
                });
            self.evidence.churn.push(ChurnExample {
                customer: f.customer.to_string(),
                conversation: f.conversation.to_string(),
                brand: f.brand.to_string(),
                at,
                followed_up,
                text,
            });
        }
        Some(f)
    }

    fn sentiment(&mut self, a: &Annotated) -> Option<SentimentLabel> {
        if let Some(l) = a
            .message
            .labels
            .get("sentiment")
            .and_then(|s| SentimentLabel::parse(s))
        {
            self.evidence.sentiment_from_gold += 1;
            return Some(l);
        }
        if let Some(an) = &a.analysis {
            self.evidence.sentiment_from_model += 1;
            return Some(an.sentiment.label);
        }
        self.evidence.sentiment_missing += 1;
        None
    }
}

/// The staff member who wrote an outbound message: the `agent` label when present, else the
/// author plus a trailing signature such as `^JK` or `-JK` (2-3 capitals, as many Twitter
/// support teams sign), else the author alone.
pub fn agent_of(m: &Message) -> String {
    if let Some(a) = m.labels.get("agent") {
        return a.clone();
    }
    match signature(&m.text) {
        Some(sig) => format!("{}^{}", m.author, sig),
        None => m.author.clone(),
    }
}

/// A trailing `^AB`, `^ABC`, `-AB`, `- AB` signature.
fn signature(text: &str) -> Option<&str> {
    let t = text.trim_end();
    let letters = t
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    if !(2..=3).contains(&letters) {
        return None;
    }
    let (head, sig) = t.split_at(t.len() - letters);
    let head = head.trim_end_matches(' ');
    let marker = head.chars().next_back()?;
    if !matches!(marker, '^' | '-' | '\u{2013}' | '\u{2014}') {
        return None;
    }
    // "-AB" must not be a hyphenated word such as "T-ABC": need a space or start before it.
    let before = head[..head.len() - marker.len_utf8()].chars().next_back();
    if marker != '^' && before.is_some_and(|c| !c.is_whitespace()) {
        return None;
    }
    Some(sig)
}

/// Topics of a customer message: the classifier's topics, plus gold `topic` labels
/// (`Zugfahrt#Haupt:negative` gives `Zugfahrt`; a label without `#`/`:` is one topic).
fn message_topics(a: &Annotated) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(gold) = a.message.labels.get("topic") {
        if gold.contains('#') || gold.contains(':') {
            for part in gold.split_whitespace() {
                let t = part.split(['#', ':']).next().unwrap_or(part);
                if !t.is_empty() && !out.iter().any(|x| x == t) {
                    out.push(t.to_owned());
                }
            }
        } else if !gold.trim().is_empty() {
            out.push(gold.trim().to_owned());
        }
    }
    if let Some(an) = &a.analysis {
        for s in &an.topics {
            if !out.contains(&s.label) {
                out.push(s.label.clone());
            }
        }
    }
    out
}

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "churn" | "offense" | "insult" | "abuse" | "profanity" | "toxic"
    )
}

fn is_churn(a: &Annotated, threshold: f32) -> bool {
    if let Some(v) = a.message.labels.get("churn") {
        return truthy(v);
    }
    a.analysis.as_ref().is_some_and(|an| an.churn >= threshold)
}

fn is_insult(a: &Annotated, threshold: f32) -> bool {
    for key in ["toxicity", "insult", "offense"] {
        if let Some(v) = a.message.labels.get(key) {
            return truthy(v);
        }
    }
    a.analysis
        .as_ref()
        .is_some_and(|an| an.toxicity >= threshold)
}

/// A survey answer: label `satisfaction` (or `csat`) with a score 1-5.
fn survey_score(m: &Message) -> Option<f32> {
    let v = m.labels.get("satisfaction").or(m.labels.get("csat"))?;
    let s: f32 = v.trim().parse().ok()?;
    (1.0..=5.0).contains(&s).then_some(s)
}

/// Facts of every conversation in `messages` (any order, any channels): threads reply
/// chains per channel, builds each conversation's facts, sorted by start then id.
pub fn build_facts(
    messages: Vec<Annotated>,
    opts: &FactsOptions,
) -> (Vec<ConversationFacts>, Evidence) {
    let brands = BrandIndex::from_messages(messages.iter().map(|a| &a.message));
    let mut threaders: HashMap<String, Threader> = HashMap::new();
    for a in &messages {
        threaders
            .entry(a.message.channel.clone())
            .or_default()
            .add(&a.message.external_id, a.message.in_reply_to.as_deref());
    }
    let mut groups: HashMap<String, Vec<Annotated>> = HashMap::new();
    for a in messages {
        let root = threaders
            .get_mut(&a.message.channel)
            .map(|t| t.conversation_of(&a.message.external_id))
            .unwrap_or_else(|| a.message.external_id.clone());
        let id = format!("{}:{}", a.message.channel, root);
        groups.entry(id).or_default().push(a);
    }
    let mut builder = FactsBuilder::new(opts, brands);
    let mut facts: Vec<ConversationFacts> = groups
        .iter_mut()
        .filter_map(|(id, msgs)| builder.conversation(id, msgs))
        .collect();
    facts.sort_by(|a, b| {
        a.started_at
            .cmp(&b.started_at)
            .then_with(|| a.conversation.cmp(&b.conversation))
    });
    let mut evidence = builder.evidence;
    evidence.deflections.sort_by(|a, b| {
        a.at.cmp(&b.at)
            .then_with(|| a.conversation.cmp(&b.conversation))
    });
    evidence.churn.sort_by(|a, b| {
        a.at.cmp(&b.at)
            .then_with(|| a.conversation.cmp(&b.conversation))
    });
    (facts, evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Labels, Visibility};

    pub(crate) fn msg(
        id: &str,
        reply_to: Option<&str>,
        author: &str,
        dir: Direction,
        at: &str,
        text: &str,
    ) -> Annotated {
        Message {
            channel: "twitter".into(),
            external_id: id.into(),
            author: author.into(),
            author_name: None,
            text: text.into(),
            created_at: at.parse().unwrap(),
            in_reply_to: reply_to.map(str::to_owned),
            direction: dir,
            visibility: Visibility::Public,
            language: None,
            brand: None,
            labels: Labels::new(),
            raw: None,
        }
        .into()
    }

    #[test]
    fn signatures() {
        assert_eq!(signature("Sorry to hear that. ^JK"), Some("JK"));
        assert_eq!(signature("Please DM us -ABC"), Some("ABC"));
        assert_eq!(signature("Please DM us - AB "), Some("AB"));
        assert_eq!(signature("Check your T-AB"), None);
        assert_eq!(signature("Welcome to the USA"), None);
        assert_eq!(signature("^ABCD"), None);
    }

    #[test]
    fn one_conversation_with_a_follow_up() {
        use Direction::*;
        let mut msgs = vec![
            msg(
                "3",
                Some("2"),
                "c1",
                Inbound,
                "2017-10-31T10:30:00Z",
                "@Acme still broken",
            ),
            msg(
                "1",
                None,
                "c1",
                Inbound,
                "2017-10-31T10:00:00Z",
                "@Acme my order is late",
            ),
            msg(
                "2",
                Some("1"),
                "Acme",
                Outbound,
                "2017-10-31T10:05:00Z",
                "Unfortunately we are unable to track it. ^JK",
            ),
            msg(
                "4",
                Some("3"),
                "Acme",
                Outbound,
                "2017-10-31T11:30:00Z",
                "Fixed now!",
            ),
        ];
        let opts = FactsOptions::default();
        let mut b = FactsBuilder::new(&opts, BrandIndex::default());
        let f = b.conversation("twitter:1", &mut msgs).unwrap();
        assert_eq!(&*f.brand, "Acme");
        assert_eq!(&*f.customer, "twitter:c1");
        assert!(f.is_customer_conversation());
        assert_eq!(f.first_response_s, Some(300));
        assert_eq!(&*f.next_response_s, &[3600]);
        assert_eq!(f.unanswered_turns, 0);
        assert_eq!(f.replies, 2);
        assert_eq!(f.resolution_s, Some(5400));
        assert_eq!(f.first_responder.as_deref(), Some("Acme^JK"));
        assert_eq!(
            &*f.deflection_phrases,
            &[Name::from("unfortunately we are unable")]
        );
        assert_eq!(f.deflected_replies(), 1);
        assert_eq!(f.agents.len(), 2);
        assert_eq!(b.evidence.deflections.len(), 1);
        assert_eq!(f.active_days, 1);
    }

    #[test]
    fn unanswered_conversation_gets_brand_from_mention() {
        use Direction::*;
        let mut brands = BrandIndex::default();
        brands.insert("AcmeHelp");
        let opts = FactsOptions::default();
        let mut b = FactsBuilder::new(&opts, brands);
        let mut msgs = vec![msg(
            "9",
            None,
            "c2",
            Inbound,
            "2017-10-31T10:00:00Z",
            "@someone (@acmehelp): hello? me@AcmeHelp",
        )];
        let f = b.conversation("twitter:9", &mut msgs).unwrap();
        assert_eq!(&*f.brand, "AcmeHelp");
        assert!(!f.responded());
        assert_eq!(f.resolution_s, None);
        assert_eq!(&*f.team, "unassigned");
    }
}
