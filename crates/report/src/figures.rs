//! The figures: pure functions from a slice of [`ConversationFacts`] to a [`Report`].
//! Every definition is written in docs/METRICS.md; the field names here are the ids used there,
//! in the JSON and in the HTML.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use model::SentimentLabel;
use serde::{Deserialize, Serialize};

use crate::facts::{
    ChurnExample, ConversationFacts, DeflectionExample, Evidence, FactsOptions, Name,
};
use crate::staff::Role;
use crate::summary::{Summary, ratio, round6};
use crate::{METHOD_ID, METHOD_VERSION, ReportError};

/// The dimension groups are split by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Brand,
    Channel,
    Team,
    Topic,
    Agent,
}

impl GroupBy {
    pub fn parse(s: &str) -> Result<Self, ReportError> {
        match s {
            "brand" => Ok(GroupBy::Brand),
            "channel" => Ok(GroupBy::Channel),
            "team" => Ok(GroupBy::Team),
            "topic" => Ok(GroupBy::Topic),
            "agent" => Ok(GroupBy::Agent),
            _ => Err(ReportError::Option {
                option: "--by".into(),
                message: format!("{s:?} is not one of brand, channel, team, topic, agent"),
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Brand => "brand",
            GroupBy::Channel => "channel",
            GroupBy::Team => "team",
            GroupBy::Topic => "topic",
            GroupBy::Agent => "agent",
        }
    }

    /// The keys of one conversation (topic: one per topic, "none" without; agent: the first
    /// responder, "unanswered" without).
    fn keys(self, f: &ConversationFacts) -> &[Name] {
        match self {
            GroupBy::Brand => std::slice::from_ref(&f.brand),
            GroupBy::Channel => std::slice::from_ref(&f.channel),
            GroupBy::Team => std::slice::from_ref(&f.team),
            GroupBy::Agent => f.first_responder.as_slice(),
            GroupBy::Topic => &f.topics,
        }
    }

    /// The group of conversations without a key.
    fn missing_key(self) -> &'static str {
        match self {
            GroupBy::Agent => "unanswered",
            _ => "none",
        }
    }
}

/// The length of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    pub fn parse(s: &str) -> Result<Self, ReportError> {
        match s {
            "day" => Ok(Period::Day),
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            _ => Err(ReportError::Option {
                option: "--period".into(),
                message: format!("{s:?} is not one of day, week, month"),
            }),
        }
    }

    /// Label of the period containing `d`: the day, the Monday of the ISO week, or `YYYY-MM`.
    pub fn label(self, d: NaiveDate) -> String {
        self.label_of(self.key(d))
    }

    /// A sortable number for the period containing `d` (cheap; labels are made once per row).
    pub fn key(self, d: NaiveDate) -> i32 {
        match self {
            Period::Day => d.num_days_from_ce(),
            Period::Week => d.num_days_from_ce() - d.weekday().num_days_from_monday() as i32,
            Period::Month => d.year() * 12 + d.month0() as i32,
        }
    }

    fn label_of(self, key: i32) -> String {
        match self {
            Period::Day | Period::Week => NaiveDate::from_num_days_from_ce_opt(key)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            Period::Month => format!("{:04}-{:02}", key.div_euclid(12), key.rem_euclid(12) + 1),
        }
    }

    /// Day when the middle 98 % of the conversations span at most 92 days, week up to two
    /// years, else month (a few very old thread parents do not stretch the chart).
    pub fn auto(anchors: impl Iterator<Item = crate::Timestamp>) -> Self {
        let mut days: Vec<i64> = anchors
            .map(|t| t.date_naive().num_days_from_ce() as i64)
            .collect();
        if days.is_empty() {
            return Period::Day;
        }
        days.sort_unstable();
        let lo = days[days.len() / 100];
        let hi = days[days.len() - 1 - days.len() / 100];
        match hi - lo {
            0..=92 => Period::Day,
            93..=730 => Period::Week,
            _ => Period::Month,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }
}

/// What to compute.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// First day included (by the conversation's anchor date, UTC).
    pub from: Option<NaiveDate>,
    /// Last day included.
    pub to: Option<NaiveDate>,
    pub by: GroupBy,
    /// `None`: chosen by [`Period::auto`].
    pub period: Option<Period>,
    /// Where the messages came from, for the method block (e.g. `store kv-data`).
    pub source: String,
    /// Max rows in the lost-customers list.
    pub max_lost_customers: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            from: None,
            to: None,
            by: GroupBy::Brand,
            period: None,
            source: String::new(),
            max_lost_customers: 500,
        }
    }
}

/// The method block: which definitions, which parameters. Every JSON report carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Method {
    pub id: String,
    pub version: String,
    /// Where the definitions are written.
    pub definitions: String,
    pub source: String,
    pub by: GroupBy,
    pub period: Period,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub business_hours: String,
    pub churn_threshold: f32,
    pub toxicity_threshold: f32,
    pub resolution_rule: String,
    pub satisfaction_rule: String,
    pub deflection_phrases: usize,
    pub staff_directory_entries: usize,
    /// Inbound messages whose sentiment came from gold labels, the classifier, or nowhere.
    pub sentiment_from_gold: u64,
    pub sentiment_from_model: u64,
    pub sentiment_missing: u64,
}

/// Who is counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Population {
    /// Conversations whose anchor date is in the range.
    pub conversations: u64,
    /// Of those, started by the customer on a conversation channel.
    pub customer_conversations: u64,
    /// Started by us (outbound first): excluded from the response figures.
    pub brand_started_conversations: u64,
    /// On blog or feed channels: counted as external mentions only.
    pub external_conversations: u64,
    /// Conversations outside the range, left out.
    pub outside_range: u64,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
}

/// Satisfaction: survey answers when the group has any, else the "did the customer calm down"
/// proxy (see docs/METRICS.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Satisfaction {
    /// `survey`, `proxy` or `none`.
    pub source: String,
    /// Share satisfied (survey: score >= 4) or calmed down (proxy); `null` without data.
    pub value: Option<f64>,
    /// Conversations in the population of `value`.
    pub n: u64,
    /// Of `n`, satisfied / calmed down.
    pub positive: u64,
    /// Proxy only, over conversations where both sentiments are known: after better than
    /// before, the same, worse.
    pub improved: u64,
    pub same: u64,
    pub worse: u64,
}

/// Replies of one role and their share of all replies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleShare {
    pub replies: u64,
    pub share: Option<f64>,
}

/// Figures of one period (in a group).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PeriodRow {
    pub period: String,
    pub inbound_conversations: u64,
    pub inbound_messages: u64,
    pub negative_messages: u64,
    pub neutral_messages: u64,
    pub positive_messages: u64,
    pub messages_with_sentiment: u64,
    pub share_negative: Option<f64>,
    pub responded_conversations: u64,
    pub response_rate: Option<f64>,
    pub first_response_median_s: Option<f64>,
    pub external_mentions: u64,
}

/// Every figure of one group (one brand, channel, team, topic or agent; or all: `overall`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub key: String,
    pub inbound_conversations: u64,
    pub inbound_messages: u64,
    pub negative_messages: u64,
    pub messages_with_sentiment: u64,
    pub share_negative: Option<f64>,
    pub responded_conversations: u64,
    pub response_rate: Option<f64>,
    pub first_response_time_s: Summary,
    pub first_response_business_s: Summary,
    pub next_response_time_s: Summary,
    pub unanswered_turns: u64,
    pub resolved_conversations: u64,
    pub resolution_rate: Option<f64>,
    pub resolution_time_s: Summary,
    pub resolution_business_s: Summary,
    pub replies: u64,
    pub replies_per_conversation: Summary,
    pub satisfaction: Satisfaction,
    pub replies_by_role: BTreeMap<String, RoleShare>,
    pub conversation_lifetime_s: Summary,
    pub active_days: Summary,
    pub deflected_replies: u64,
    pub deflections_per_100_replies: Option<f64>,
    pub churn_messages: u64,
    pub churn_customers: u64,
    pub churn_followed_up: u64,
    pub insults_received: u64,
    pub insulted_conversations: u64,
    pub external_mentions: u64,
    pub by_period: Vec<PeriodRow>,
}

/// One staff member (agent id).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentRow {
    pub agent: String,
    pub team: String,
    pub role: String,
    pub conversations: u64,
    pub replies: u64,
    pub deflected_replies: u64,
    pub deflections_per_100_replies: Option<f64>,
    pub first_responses: u64,
    pub first_response_time_s: Summary,
    pub insults_received: u64,
}

/// One team.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TeamRow {
    pub team: String,
    pub replies: u64,
    pub deflected_replies: u64,
    pub deflections_per_100_replies: Option<f64>,
    pub insults_received: u64,
}

/// How long a topic or a case lives, computed from the conversations it occurs in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lifetime {
    pub conversations: u64,
    /// Distinct customers of those conversations.
    pub customers: u64,
    pub first_at: Option<String>,
    pub last_at: Option<String>,
    /// Last minus first message.
    pub lifetime_s: i64,
    /// Days on which one of its conversations started or ended.
    pub active_days: u64,
    pub conversation_lifetime_s: Summary,
}

/// How long one topic lives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TopicRow {
    pub topic: String,
    #[serde(flatten)]
    pub life: Lifetime,
}

/// How long one case lives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseRow {
    /// `#ID label`: the case id and its label (top terms).
    pub case: String,
    #[serde(flatten)]
    pub life: Lifetime,
}

/// Case longevity: every case with its lifetime, and the distribution over cases.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cases {
    /// Cases with a member message in a conversation of the range.
    pub cases: u64,
    /// Of those, cases whose conversations come from at least two customers.
    pub multi_customer_cases: u64,
    /// Over cases: lifetime (last minus first message) in seconds.
    pub lifetime_s: Summary,
    /// Over cases: active days.
    pub active_days: Summary,
    /// Every case, most conversations first.
    pub list: Vec<CaseRow>,
}

/// Counts per phrase of the deflection list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhraseCount {
    pub phrase: String,
    pub lang: String,
    pub kind: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Deflection {
    pub replies: u64,
    pub deflected_replies: u64,
    pub per_100_replies: Option<f64>,
    pub phrases: Vec<PhraseCount>,
    pub by_team: Vec<TeamRow>,
    pub examples: Vec<DeflectionExample>,
}

/// A customer who said they will leave.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LostCustomer {
    pub customer: String,
    pub brand: String,
    pub conversations: u64,
    pub churn_messages: u64,
    pub last_churn_at: String,
    /// `followed_up` when we replied after every churn message, else `open`.
    pub status: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LostCustomers {
    pub churn_messages: u64,
    pub customers: u64,
    pub followed_up_customers: u64,
    pub open_customers: u64,
    /// Latest first, at most `max_lost_customers`.
    pub list: Vec<LostCustomer>,
    pub examples: Vec<ChurnExample>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Insults {
    pub messages: u64,
    pub conversations: u64,
    pub by_team: Vec<TeamRow>,
}

/// The whole report: what every renderer (JSON, HTML, web) shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub method: Method,
    pub population: Population,
    pub overall: Group,
    pub groups: Vec<Group>,
    pub agents: Vec<AgentRow>,
    pub topics: Vec<TopicRow>,
    pub cases: Cases,
    pub deflection: Deflection,
    pub lost_customers: LostCustomers,
    pub insults: Insults,
    /// First-response times of all answered customer conversations, bucketed.
    pub first_response_histogram: Vec<Bucket>,
}

/// One bar of a histogram: values in (previous bucket's `max_s`, `max_s`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub label: String,
    /// Upper bound in seconds, inclusive; `null` for the last, open bucket.
    pub max_s: Option<i64>,
    pub conversations: u64,
}

/// Histogram bounds: 5 min, 15 min, 1 h, 4 h, 1 day, 3 days, more.
const BUCKETS: &[(&str, Option<i64>)] = &[
    ("<= 5 min", Some(300)),
    ("<= 15 min", Some(900)),
    ("<= 1 h", Some(3600)),
    ("<= 4 h", Some(4 * 3600)),
    ("<= 1 d", Some(86_400)),
    ("<= 3 d", Some(3 * 86_400)),
    ("> 3 d", None),
];

fn histogram(facts: &[&ConversationFacts]) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = BUCKETS
        .iter()
        .map(|(label, max_s)| Bucket {
            label: (*label).into(),
            max_s: *max_s,
            conversations: 0,
        })
        .collect();
    for f in facts.iter().filter(|f| f.is_customer_conversation()) {
        if let Some(s) = f.first_response_s {
            let i = BUCKETS
                .iter()
                .position(|(_, max)| max.is_none_or(|m| s <= m))
                .unwrap_or(BUCKETS.len() - 1);
            out[i].conversations += 1;
        }
    }
    out
}

/// Computes the report from facts (any order). `evidence` supplies examples (may be empty);
/// `facts_opts` supplies the parameters shown in the method block.
pub fn compute(
    facts: &[ConversationFacts],
    evidence: &Evidence,
    facts_opts: &FactsOptions,
    opts: &ReportOptions,
) -> Report {
    let in_range: Vec<&ConversationFacts> = facts
        .iter()
        .filter(|f| {
            let d = f.anchor().date_naive();
            opts.from.is_none_or(|from| d >= from) && opts.to.is_none_or(|to| d <= to)
        })
        .collect();
    let period = opts
        .period
        .unwrap_or_else(|| Period::auto(in_range.iter().map(|f| f.anchor())));

    let population = Population {
        conversations: in_range.len() as u64,
        customer_conversations: in_range
            .iter()
            .filter(|f| f.is_customer_conversation())
            .count() as u64,
        brand_started_conversations: in_range
            .iter()
            .filter(|f| !f.customer_started && !f.channel_kind.is_external())
            .count() as u64,
        external_conversations: in_range
            .iter()
            .filter(|f| f.channel_kind.is_external())
            .count() as u64,
        outside_range: (facts.len() - in_range.len()) as u64,
        first_day: in_range.iter().map(|f| f.anchor().date_naive()).min(),
        last_day: in_range.iter().map(|f| f.anchor().date_naive()).max(),
    };

    let overall = group("overall", &in_range, period);
    let mut keyed: HashMap<&str, Vec<&ConversationFacts>> = HashMap::new();
    for f in &in_range {
        let keys = opts.by.keys(f);
        if keys.is_empty() {
            keyed.entry(opts.by.missing_key()).or_default().push(f);
        }
        for k in keys {
            keyed.entry(k).or_default().push(f);
        }
    }
    let mut groups: Vec<Group> = keyed.iter().map(|(k, fs)| group(k, fs, period)).collect();
    groups.sort_by(|a, b| {
        b.inbound_conversations
            .cmp(&a.inbound_conversations)
            .then_with(|| a.key.cmp(&b.key))
    });

    let method = Method {
        id: METHOD_ID.into(),
        version: METHOD_VERSION.into(),
        definitions: "docs/METRICS.md".into(),
        source: opts.source.clone(),
        by: opts.by,
        period,
        from: opts.from,
        to: opts.to,
        business_hours: facts_opts.hours.describe(),
        churn_threshold: facts_opts.thresholds.churn,
        toxicity_threshold: facts_opts.thresholds.toxicity,
        resolution_rule: "last_word_ours".into(),
        satisfaction_rule: "survey_else_calm_down_proxy".into(),
        deflection_phrases: facts_opts.phrases.len(),
        staff_directory_entries: facts_opts.staff.len(),
        sentiment_from_gold: evidence.sentiment_from_gold,
        sentiment_from_model: evidence.sentiment_from_model,
        sentiment_missing: evidence.sentiment_missing,
    };

    Report {
        method,
        population,
        overall,
        groups,
        agents: agents(&in_range),
        topics: topics(&in_range),
        cases: cases(&in_range),
        deflection: deflection(&in_range, evidence, facts_opts, opts),
        lost_customers: lost_customers(&in_range, evidence, opts),
        insults: insults(&in_range),
        first_response_histogram: histogram(&in_range),
    }
}

/// All figures of one group of conversations.
pub fn group(key: &str, facts: &[&ConversationFacts], period: Period) -> Group {
    let mut g = Group {
        key: key.to_owned(),
        ..Group::default()
    };
    let mut frt = Vec::new();
    let mut frt_b = Vec::new();
    let mut nrt = Vec::new();
    let mut res = Vec::new();
    let mut res_b = Vec::new();
    let mut rpc = Vec::new();
    let mut life = Vec::new();
    let mut days = Vec::new();
    let mut role_replies: BTreeMap<Role, u64> = BTreeMap::new();
    let mut churn_customers: HashSet<&str> = HashSet::new();
    let mut churn_followed: HashSet<&str> = HashSet::new();
    let (mut survey_n, mut survey_pos) = (0u64, 0u64);
    let mut proxy = Satisfaction::default();
    for f in facts {
        if f.channel_kind.is_external() {
            g.external_mentions += u64::from(f.inbound_messages);
            continue;
        }
        if !f.is_customer_conversation() {
            continue;
        }
        g.inbound_conversations += 1;
        g.inbound_messages += u64::from(f.inbound_messages);
        g.negative_messages += u64::from(f.inbound_negative);
        g.messages_with_sentiment += u64::from(f.inbound_with_sentiment());
        life.push(f.lifetime_s() as f64);
        days.push(f64::from(f.active_days));
        g.insults_received += u64::from(f.insults_received);
        g.insulted_conversations += u64::from(f.insults_received > 0);
        if f.churn_messages > 0 {
            g.churn_messages += u64::from(f.churn_messages);
            churn_customers.insert(&*f.customer);
            if f.churn_followed_up == Some(true) {
                churn_followed.insert(&*f.customer);
            }
        }
        if let Some(s) = f.survey_score {
            survey_n += 1;
            survey_pos += u64::from(s >= 4.0);
        }
        if let (Some(b), Some(a)) = (f.sentiment_before, f.sentiment_after) {
            let (rb, ra) = (rank(b), rank(a));
            if ra > rb {
                proxy.improved += 1;
            } else if ra == rb {
                proxy.same += 1;
            } else {
                proxy.worse += 1;
            }
            if b == SentimentLabel::Negative {
                proxy.n += 1;
                proxy.positive += u64::from(a != SentimentLabel::Negative);
            }
        }
        if !f.responded() {
            continue;
        }
        g.responded_conversations += 1;
        frt.extend(f.first_response_s.map(|s| s as f64));
        frt_b.extend(f.first_response_business_s.map(|s| s as f64));
        nrt.extend(f.next_response_s.iter().map(|&s| s as f64));
        g.unanswered_turns += u64::from(f.unanswered_turns);
        if let Some(s) = f.resolution_s {
            g.resolved_conversations += 1;
            res.push(s as f64);
        }
        res_b.extend(f.resolution_business_s.map(|s| s as f64));
        g.replies += u64::from(f.replies);
        rpc.push(f64::from(f.replies));
        for a in &f.agents {
            *role_replies.entry(a.role).or_default() += u64::from(a.replies);
            g.deflected_replies += u64::from(a.deflected);
        }
    }
    g.share_negative = ratio(g.negative_messages, g.messages_with_sentiment);
    g.response_rate = ratio(g.responded_conversations, g.inbound_conversations);
    g.resolution_rate = ratio(g.resolved_conversations, g.inbound_conversations);
    g.first_response_time_s = Summary::of(&mut frt);
    g.first_response_business_s = Summary::of(&mut frt_b);
    g.next_response_time_s = Summary::of(&mut nrt);
    g.resolution_time_s = Summary::of(&mut res);
    g.resolution_business_s = Summary::of(&mut res_b);
    g.replies_per_conversation = Summary::of(&mut rpc);
    g.conversation_lifetime_s = Summary::of(&mut life);
    g.active_days = Summary::of(&mut days);
    g.deflections_per_100_replies = ratio(g.deflected_replies * 100, g.replies);
    g.churn_customers = churn_customers.len() as u64;
    g.churn_followed_up = churn_followed.len() as u64;
    g.satisfaction = if survey_n > 0 {
        Satisfaction {
            source: "survey".into(),
            value: ratio(survey_pos, survey_n),
            n: survey_n,
            positive: survey_pos,
            ..Satisfaction::default()
        }
    } else if proxy.n > 0 || proxy.improved + proxy.same + proxy.worse > 0 {
        Satisfaction {
            source: "proxy".into(),
            value: ratio(proxy.positive, proxy.n),
            ..proxy
        }
    } else {
        Satisfaction {
            source: "none".into(),
            ..Satisfaction::default()
        }
    };
    for role in Role::ALL {
        let n = role_replies.get(&role).copied().unwrap_or(0);
        g.replies_by_role.insert(
            role.as_str().to_owned(),
            RoleShare {
                replies: n,
                share: ratio(n, g.replies),
            },
        );
    }
    g.by_period = periods(facts, period);
    g
}

fn rank(s: SentimentLabel) -> i8 {
    match s {
        SentimentLabel::Negative => 0,
        SentimentLabel::Neutral => 1,
        SentimentLabel::Positive => 2,
    }
}

fn periods(facts: &[&ConversationFacts], period: Period) -> Vec<PeriodRow> {
    let mut rows: BTreeMap<i32, (PeriodRow, Vec<f64>)> = BTreeMap::new();
    for f in facts {
        let key = period.key(f.anchor().date_naive());
        let (row, frt) = rows.entry(key).or_default();
        if f.channel_kind.is_external() {
            row.external_mentions += u64::from(f.inbound_messages);
            continue;
        }
        if !f.is_customer_conversation() {
            continue;
        }
        row.inbound_conversations += 1;
        row.inbound_messages += u64::from(f.inbound_messages);
        row.negative_messages += u64::from(f.inbound_negative);
        row.neutral_messages += u64::from(f.inbound_neutral);
        row.positive_messages += u64::from(f.inbound_positive);
        row.messages_with_sentiment += u64::from(f.inbound_with_sentiment());
        if let Some(s) = f.first_response_s {
            row.responded_conversations += 1;
            frt.push(s as f64);
        }
    }
    rows.into_iter()
        .map(|(key, (mut row, mut frt))| {
            row.period = period.label_of(key);
            row.share_negative = ratio(row.negative_messages, row.messages_with_sentiment);
            row.response_rate = ratio(row.responded_conversations, row.inbound_conversations);
            row.first_response_median_s = Summary::of(&mut frt).median;
            row
        })
        .collect()
}

fn agents(facts: &[&ConversationFacts]) -> Vec<AgentRow> {
    let mut rows: HashMap<&str, (AgentRow, Vec<f64>)> = HashMap::new();
    for f in facts.iter().filter(|f| f.is_customer_conversation()) {
        for a in &f.agents {
            let (row, _) = rows.entry(&a.agent).or_insert_with(|| {
                (
                    AgentRow {
                        agent: a.agent.to_string(),
                        team: a.team.to_string(),
                        role: a.role.as_str().into(),
                        ..AgentRow::default()
                    },
                    Vec::new(),
                )
            });
            row.conversations += 1;
            row.replies += u64::from(a.replies);
            row.deflected_replies += u64::from(a.deflected);
        }
        if let (Some(agent), Some(s)) = (&f.first_responder, f.first_response_s)
            && let Some((row, frt)) = rows.get_mut(&**agent)
        {
            row.first_responses += 1;
            row.insults_received += u64::from(f.insults_received);
            frt.push(s as f64);
        }
    }
    let mut out: Vec<AgentRow> = rows
        .into_values()
        .map(|(mut row, mut frt)| {
            row.deflections_per_100_replies = ratio(row.deflected_replies * 100, row.replies);
            row.first_response_time_s = Summary::of(&mut frt);
            row
        })
        .collect();
    out.sort_by(|a, b| {
        b.replies
            .cmp(&a.replies)
            .then_with(|| a.agent.cmp(&b.agent))
    });
    out
}

fn teams(facts: &[&ConversationFacts]) -> Vec<TeamRow> {
    let mut rows: BTreeMap<&str, TeamRow> = BTreeMap::new();
    for f in facts.iter().filter(|f| f.is_customer_conversation()) {
        for a in &f.agents {
            let row = rows.entry(&a.team).or_insert_with(|| TeamRow {
                team: a.team.to_string(),
                ..TeamRow::default()
            });
            row.replies += u64::from(a.replies);
            row.deflected_replies += u64::from(a.deflected);
        }
        if f.insults_received > 0 {
            let row = rows.entry(&f.team).or_insert_with(|| TeamRow {
                team: f.team.to_string(),
                ..TeamRow::default()
            });
            row.insults_received += u64::from(f.insults_received);
        }
    }
    rows.into_values()
        .map(|mut r| {
            r.deflections_per_100_replies = ratio(r.deflected_replies * 100, r.replies);
            r
        })
        .collect()
}

/// The lifetime of every key (topic or case) of the facts, most conversations first, then
/// by key.
fn lifetimes<'f>(
    facts: &[&'f ConversationFacts],
    keys: impl Fn(&'f ConversationFacts) -> &'f [Name],
) -> Vec<(&'f str, Lifetime)> {
    struct Acc<'f> {
        n: u64,
        customers: HashSet<&'f str>,
        first: crate::Timestamp,
        last: crate::Timestamp,
        days: HashSet<NaiveDate>,
        life: Vec<f64>,
    }
    let mut acc: BTreeMap<&str, Acc> = BTreeMap::new();
    for &f in facts {
        for k in keys(f) {
            let a = acc.entry(k).or_insert_with(|| Acc {
                n: 0,
                customers: HashSet::new(),
                first: f.started_at,
                last: f.last_message_at,
                days: HashSet::new(),
                life: Vec::new(),
            });
            a.n += 1;
            if !f.customer.is_empty() {
                a.customers.insert(&f.customer);
            }
            a.first = a.first.min(f.started_at);
            a.last = a.last.max(f.last_message_at);
            // Active days: the days its conversations started and ended on.
            a.days.insert(f.started_at.date_naive());
            a.days.insert(f.last_message_at.date_naive());
            a.life.push(f.lifetime_s() as f64);
        }
    }
    let mut out: Vec<(&str, Lifetime)> = acc
        .into_iter()
        .map(|(k, mut a)| {
            let life = Lifetime {
                conversations: a.n,
                customers: a.customers.len() as u64,
                first_at: Some(a.first.to_rfc3339()),
                last_at: Some(a.last.to_rfc3339()),
                lifetime_s: (a.last - a.first).num_seconds(),
                active_days: a.days.len() as u64,
                conversation_lifetime_s: Summary::of(&mut a.life),
            };
            (k, life)
        })
        .collect();
    out.sort_by(|a, b| {
        b.1.conversations
            .cmp(&a.1.conversations)
            .then_with(|| a.0.cmp(b.0))
    });
    out
}

fn topics(facts: &[&ConversationFacts]) -> Vec<TopicRow> {
    lifetimes(facts, |f| &f.topics)
        .into_iter()
        .map(|(topic, life)| TopicRow {
            topic: topic.to_owned(),
            life,
        })
        .collect()
}

fn cases(facts: &[&ConversationFacts]) -> Cases {
    let list: Vec<CaseRow> = lifetimes(facts, |f| &f.cases)
        .into_iter()
        .map(|(case, life)| CaseRow {
            case: case.to_owned(),
            life,
        })
        .collect();
    let mut lifetime: Vec<f64> = list.iter().map(|c| c.life.lifetime_s as f64).collect();
    let mut active: Vec<f64> = list.iter().map(|c| c.life.active_days as f64).collect();
    Cases {
        cases: list.len() as u64,
        multi_customer_cases: list.iter().filter(|c| c.life.customers >= 2).count() as u64,
        lifetime_s: Summary::of(&mut lifetime),
        active_days: Summary::of(&mut active),
        list,
    }
}

fn deflection(
    facts: &[&ConversationFacts],
    evidence: &Evidence,
    facts_opts: &FactsOptions,
    opts: &ReportOptions,
) -> Deflection {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    let (mut replies, mut deflected) = (0u64, 0u64);
    for f in facts.iter().filter(|f| f.is_customer_conversation()) {
        replies += u64::from(f.replies);
        deflected += u64::from(f.deflected_replies());
        for p in &f.deflection_phrases {
            *counts.entry(p).or_default() += 1;
        }
    }
    let phrases = facts_opts
        .phrases
        .phrases()
        .iter()
        .map(|p| PhraseCount {
            phrase: p.text.clone(),
            lang: p.lang.clone(),
            kind: p.kind.clone(),
            count: counts.get(p.text.as_str()).copied().unwrap_or(0),
        })
        .collect();
    let in_range = |at: &crate::Timestamp| {
        let d = at.date_naive();
        opts.from.is_none_or(|from| d >= from) && opts.to.is_none_or(|to| d <= to)
    };
    Deflection {
        replies,
        deflected_replies: deflected,
        per_100_replies: ratio(deflected * 100, replies),
        phrases,
        by_team: teams(facts),
        examples: evidence
            .deflections
            .iter()
            .filter(|e| in_range(&e.at))
            .cloned()
            .collect(),
    }
}

fn lost_customers(
    facts: &[&ConversationFacts],
    evidence: &Evidence,
    opts: &ReportOptions,
) -> LostCustomers {
    let mut by_customer: BTreeMap<&str, LostCustomer> = BTreeMap::new();
    let mut open: HashSet<&str> = HashSet::new();
    let mut messages = 0u64;
    for f in facts.iter().filter(|f| f.churn_messages > 0) {
        messages += u64::from(f.churn_messages);
        let at = f.churn_at.map(|t| t.to_rfc3339()).unwrap_or_default();
        let row = by_customer
            .entry(&*f.customer)
            .or_insert_with(|| LostCustomer {
                customer: f.customer.to_string(),
                brand: f.brand.to_string(),
                ..LostCustomer::default()
            });
        row.conversations += 1;
        row.churn_messages += u64::from(f.churn_messages);
        if at > row.last_churn_at {
            row.last_churn_at = at;
        }
        if f.churn_followed_up != Some(true) {
            open.insert(&*f.customer);
        }
    }
    let customers = by_customer.len() as u64;
    let mut list: Vec<LostCustomer> = by_customer
        .into_iter()
        .map(|(c, mut row)| {
            row.status = if open.contains(c) {
                "open"
            } else {
                "followed_up"
            }
            .into();
            row
        })
        .collect();
    list.sort_by(|a, b| {
        b.last_churn_at
            .cmp(&a.last_churn_at)
            .then_with(|| a.customer.cmp(&b.customer))
    });
    list.truncate(opts.max_lost_customers);
    let in_range = |at: &crate::Timestamp| {
        let d = at.date_naive();
        opts.from.is_none_or(|from| d >= from) && opts.to.is_none_or(|to| d <= to)
    };
    LostCustomers {
        churn_messages: messages,
        customers,
        followed_up_customers: customers - open.len() as u64,
        open_customers: open.len() as u64,
        list,
        examples: evidence
            .churn
            .iter()
            .filter(|e| in_range(&e.at))
            .cloned()
            .collect(),
    }
}

fn insults(facts: &[&ConversationFacts]) -> Insults {
    let customer: Vec<&ConversationFacts> = facts
        .iter()
        .copied()
        .filter(|f| f.is_customer_conversation())
        .collect();
    Insults {
        messages: customer.iter().map(|f| u64::from(f.insults_received)).sum(),
        conversations: customer.iter().filter(|f| f.insults_received > 0).count() as u64,
        by_team: teams(&customer)
            .into_iter()
            .filter(|t| t.insults_received > 0)
            .collect(),
    }
}

/// Rounds a share for display; kept here so JSON and HTML agree.
pub fn percent(x: f64) -> f64 {
    round6(x * 100.0)
}
