//! The facts as CSV: one row per conversation, every column a fact from docs/METRICS.md
//! ("The facts file"). List columns hold JSON arrays so any tool can split them.
//! Reading it back gives the same facts, so the figures can be recomputed from the CSV alone.

use std::io::{Read, Write};

use model::SentimentLabel;
use serde::{Deserialize, Serialize};

use crate::facts::{AgentReplies, ChannelKind, ConversationFacts, Name, Names};
use crate::{ReportError, Timestamp};

/// One CSV row; the column names are the field names.
#[derive(Debug, Serialize, Deserialize)]
struct Row {
    conversation: String,
    channel: Name,
    channel_kind: ChannelKind,
    brand: Name,
    team: Name,
    topics: String,
    /// Absent in facts files written before cases were reported: no cases.
    #[serde(default)]
    cases: String,
    customer: String,
    customer_started: bool,
    started_at: Timestamp,
    last_message_at: Timestamp,
    first_inbound_at: Option<Timestamp>,
    first_response_at: Option<Timestamp>,
    first_responder: Option<Name>,
    inbound_messages: u32,
    replies: u32,
    first_response_s: Option<i64>,
    first_response_business_s: Option<i64>,
    next_response_s: String,
    unanswered_turns: u32,
    resolved_at: Option<Timestamp>,
    resolution_s: Option<i64>,
    resolution_business_s: Option<i64>,
    active_days: u32,
    inbound_negative: u32,
    inbound_neutral: u32,
    inbound_positive: u32,
    sentiment_before: Option<SentimentLabel>,
    sentiment_after: Option<SentimentLabel>,
    survey_score: Option<f32>,
    churn_messages: u32,
    churn_at: Option<Timestamp>,
    churn_followed_up: Option<bool>,
    insults_received: u32,
    deflection_phrases: String,
    agents: String,
}

/// The CSV header, in column order.
pub const COLUMNS: &[&str] = &[
    "conversation",
    "channel",
    "channel_kind",
    "brand",
    "team",
    "topics",
    "cases",
    "customer",
    "customer_started",
    "started_at",
    "last_message_at",
    "first_inbound_at",
    "first_response_at",
    "first_responder",
    "inbound_messages",
    "replies",
    "first_response_s",
    "first_response_business_s",
    "next_response_s",
    "unanswered_turns",
    "resolved_at",
    "resolution_s",
    "resolution_business_s",
    "active_days",
    "inbound_negative",
    "inbound_neutral",
    "inbound_positive",
    "sentiment_before",
    "sentiment_after",
    "survey_score",
    "churn_messages",
    "churn_at",
    "churn_followed_up",
    "insults_received",
    "deflection_phrases",
    "agents",
];

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// Writes the facts as CSV (header + one row each).
pub fn write<W: Write>(facts: &[ConversationFacts], out: W) -> Result<(), ReportError> {
    let mut w = csv::Writer::from_writer(out);
    for f in facts {
        let row = Row {
            conversation: f.conversation.to_string(),
            channel: f.channel.clone(),
            channel_kind: f.channel_kind,
            brand: f.brand.clone(),
            team: f.team.clone(),
            topics: json(&f.topics),
            cases: json(&f.cases),
            customer: f.customer.to_string(),
            customer_started: f.customer_started,
            started_at: f.started_at,
            last_message_at: f.last_message_at,
            first_inbound_at: f.first_inbound_at,
            first_response_at: f.first_response_at,
            first_responder: f.first_responder.clone(),
            inbound_messages: f.inbound_messages,
            replies: f.replies,
            first_response_s: f.first_response_s,
            first_response_business_s: f.first_response_business_s,
            next_response_s: json(&f.next_response_s),
            unanswered_turns: f.unanswered_turns,
            resolved_at: f.resolved_at,
            resolution_s: f.resolution_s,
            resolution_business_s: f.resolution_business_s,
            active_days: f.active_days,
            inbound_negative: f.inbound_negative,
            inbound_neutral: f.inbound_neutral,
            inbound_positive: f.inbound_positive,
            sentiment_before: f.sentiment_before,
            sentiment_after: f.sentiment_after,
            survey_score: f.survey_score,
            churn_messages: f.churn_messages,
            churn_at: f.churn_at,
            churn_followed_up: f.churn_followed_up,
            insults_received: f.insults_received,
            deflection_phrases: json(&f.deflection_phrases),
            agents: json(&f.agents),
        };
        w.serialize(row).map_err(|e| ReportError::FactsCsv {
            origin: "output".into(),
            line: 0,
            message: e.to_string(),
        })?;
    }
    if facts.is_empty() {
        w.write_record(COLUMNS).map_err(|e| ReportError::FactsCsv {
            origin: "output".into(),
            line: 0,
            message: e.to_string(),
        })?;
    }
    w.flush()?;
    Ok(())
}

/// Reads a facts CSV written by [`write`]. `origin` names the file in errors.
pub fn read<R: Read>(input: R, origin: &str) -> Result<Vec<ConversationFacts>, ReportError> {
    let mut r = csv::Reader::from_reader(input);
    let mut out = Vec::new();
    let mut names = Names::default();
    for (i, row) in r.deserialize::<Row>().enumerate() {
        let line = i as u64 + 2;
        let err = |message: String| ReportError::FactsCsv {
            origin: origin.to_owned(),
            line,
            message,
        };
        let row = row.map_err(|e| err(e.to_string()))?;
        let mut list = |field: &str, s: &str| -> Result<Vec<Name>, ReportError> {
            let v: Vec<String> =
                serde_json::from_str(s).map_err(|e| err(format!("field {field}: {e}")))?;
            Ok(v.iter().map(|x| names.get(x)).collect())
        };
        let topics = list("topics", &row.topics)?;
        let cases = if row.cases.is_empty() {
            Vec::new()
        } else {
            list("cases", &row.cases)?
        };
        let deflection_phrases = list("deflection_phrases", &row.deflection_phrases)?;
        let mut agents = serde_json::from_str::<Vec<AgentReplies>>(&row.agents)
            .map_err(|e| err(format!("field agents: {e}")))?;
        for a in &mut agents {
            a.agent = names.get(&a.agent);
            a.team = names.get(&a.team);
        }
        out.push(ConversationFacts {
            topics: topics.into(),
            cases: cases.into(),
            next_response_s: serde_json::from_str::<Vec<i64>>(&row.next_response_s)
                .map_err(|e| err(format!("field next_response_s: {e}")))?
                .into(),
            deflection_phrases: deflection_phrases.into(),
            agents: agents.into(),
            conversation: row.conversation.into(),
            channel: names.get(&row.channel),
            channel_kind: row.channel_kind,
            brand: names.get(&row.brand),
            team: names.get(&row.team),
            customer: row.customer.into(),
            customer_started: row.customer_started,
            started_at: row.started_at,
            last_message_at: row.last_message_at,
            first_inbound_at: row.first_inbound_at,
            first_response_at: row.first_response_at,
            first_responder: row.first_responder.map(|n| names.get(&n)),
            inbound_messages: row.inbound_messages,
            replies: row.replies,
            first_response_s: row.first_response_s,
            first_response_business_s: row.first_response_business_s,
            unanswered_turns: row.unanswered_turns,
            resolved_at: row.resolved_at,
            resolution_s: row.resolution_s,
            resolution_business_s: row.resolution_business_s,
            active_days: row.active_days,
            inbound_negative: row.inbound_negative,
            inbound_neutral: row.inbound_neutral,
            inbound_positive: row.inbound_positive,
            sentiment_before: row.sentiment_before,
            sentiment_after: row.sentiment_after,
            survey_score: row.survey_score,
            churn_messages: row.churn_messages,
            churn_at: row.churn_at,
            churn_followed_up: row.churn_followed_up,
            insults_received: row.insults_received,
        });
    }
    Ok(out)
}
