//! One conversation: the thread with internal notes, the customer's other conversations,
//! the analysis with a label correction, suggested answers and canned responses (one click
//! inserts them), reply, note, assign, state change, and a knowledge-base article from it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use model::{Analysis, Direction, Message, Sentiment, SentimentLabel, Visibility};
use serde::Deserialize;
use serde_json::json;

use super::error::{UiError, UiResult, render};
use super::frame::{Frame, Viewer};
use super::inbox::state_label;
use super::suggest;
use super::view::{Badge, Choice, analysis_badges, fmt_time, sentiment_label};
use crate::auth::Permission;
use crate::state::AppState;

pub struct ThreadItem {
    pub id: String,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub author: String,
    pub at: String,
    pub at_iso: String,
    pub text: String,
    pub badges: Vec<Badge>,
    at_sort: model::Timestamp,
}

pub struct AnalysisView {
    pub message_id: i64,
    pub sentiment: &'static str,
    pub sentiment_label: &'static str,
    pub confidence: String,
    pub corrected: bool,
    pub language: String,
    pub topics: String,
    pub toxicity: String,
    pub fact_claim: String,
    pub churn: String,
    pub urgency: String,
}

pub struct Other {
    pub href: String,
    pub label: String,
    pub channel: String,
    pub at: String,
}

pub struct Answer {
    pub title: String,
    pub text: String,
    pub score: String,
}

#[derive(Template)]
#[template(path = "conversation.html")]
struct ConversationPage {
    c: Frame,
    base: String,
    customer: String,
    channel: String,
    state: &'static str,
    assignee: String,
    header_badges: Vec<Badge>,
    thread: Vec<ThreadItem>,
    analysis: Option<AnalysisView>,
    sentiment_options: Vec<Choice>,
    state_options: Vec<Choice>,
    assignee_options: Vec<Choice>,
    suggestions: Vec<Answer>,
    canned: Vec<Answer>,
    reply_prefill: String,
    others: Vec<Other>,
    can_kb: bool,
    kb_title: String,
    kb_body: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// `s0`.. inserts suggestion n, `c0`.. canned response n into the reply box (no-JS path).
    #[serde(default, rename = "use")]
    use_: String,
    #[serde(default)]
    done: String,
}

/// Built in until an administrator configures canned responses (`[[canned]]` in the
/// workflow configuration).
const DEFAULT_CANNED: &[(&str, &str, &str)] = &[
    (
        "de",
        "Entschuldigung",
        "Hallo {name}, das tut uns leid. Wir kümmern uns sofort darum und melden uns heute noch bei Ihnen. Ihr Vorgang: {case}",
    ),
    (
        "de",
        "Bitte per Direktnachricht",
        "Hallo {name}, bitte schicken Sie uns Ihre Auftrags- oder Kundennummer per Direktnachricht, dann prüfen wir das.",
    ),
    (
        "en",
        "Apology",
        "Hi {name}, we are sorry about this. We are looking into it right away and will get back to you today. Your case: {case}",
    ),
    (
        "en",
        "Please DM",
        "Hi {name}, please send us your order or customer number by direct message so we can check.",
    ),
];

/// Canned responses in the conversation's language (`language`, else the viewer's), from
/// the stored workflow configuration or the built-in ones, with the placeholders `{name}`
/// (the customer), `{case}` (case or conversation number) and `{agent}` filled in.
fn canned(
    configured: &[workflow::CannedResponse],
    language: &str,
    values: &std::collections::BTreeMap<String, String>,
) -> Vec<Answer> {
    let list: Vec<(&str, &str, &str)> = if configured.is_empty() {
        DEFAULT_CANNED.to_vec()
    } else {
        configured
            .iter()
            .map(|c| (c.language.as_str(), c.title.as_str(), c.body.as_str()))
            .collect()
    };
    list.into_iter()
        .filter(|(l, _, _)| *l == language)
        .filter_map(|(_, title, body)| {
            // a template with a placeholder we cannot fill is left out, not sent half-done
            let text = workflow::canned::render(body, values).ok()?;
            Some(Answer {
                title: title.to_owned(),
                text,
                score: String::new(),
            })
        })
        .collect()
}

const ASSIGNEE_ACTION: &str = "conversation.assign";

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> UiResult {
    viewer.require(Permission::Read)?;
    let s = viewer.s();
    let lang = viewer.lang;
    let loaded = state
        .read(move |st| {
            let Some(conv) = st.conversation(id)? else {
                return Ok::<_, store::StoreError>(None);
            };
            let messages = st.conversation_messages(id)?;
            let analyses = st.conversation_analyses(id)?;
            let others = st.other_conversations(id, 10)?;
            let notes = st.notes(id)?;
            let row = st.conversation_row(id)?;
            let case_id = row.as_ref().and_then(|r| r.case_id);
            let assignee = row.and_then(|r| r.assignee);
            let canned = st
                .workflow_config()?
                .and_then(|(_, toml)| workflow::WorkflowConfig::from_toml(&toml).ok())
                .map(|c| c.canned)
                .unwrap_or_default();
            let users = st.list_users()?;
            Ok(Some((
                conv,
                messages,
                analyses,
                others,
                notes,
                (assignee, case_id, canned),
                users,
            )))
        })
        .await
        .map_err(viewer.error())?;
    let Some((conv, messages, analyses, others, notes, (assignee, case_id, configured), users)) =
        loaded
    else {
        return Err(UiError::not_found(lang));
    };
    let analysis_of = |mid: i64| analyses.iter().find(|(m, _)| *m == mid).map(|(_, a)| a);
    let last_inbound = messages
        .iter()
        .rev()
        .find(|m| m.message.direction == Direction::Inbound);
    let customer = last_inbound
        .map(|m| {
            m.message
                .author_name
                .clone()
                .unwrap_or_else(|| m.message.author.clone())
        })
        .unwrap_or_default();

    let mut thread: Vec<ThreadItem> = messages
        .iter()
        .map(|m| {
            let inbound = m.message.direction == Direction::Inbound;
            ThreadItem {
                id: m.id.to_string(),
                kind: if inbound { "inbound" } else { "outbound" },
                kind_label: if inbound { s.inbound } else { s.outbound },
                author: m
                    .message
                    .author_name
                    .clone()
                    .unwrap_or_else(|| m.message.author.clone()),
                at: fmt_time(m.message.created_at),
                at_iso: m.message.created_at.to_rfc3339(),
                text: m.message.text.clone(),
                badges: analysis_of(m.id)
                    .map(|a| analysis_badges(s, a))
                    .unwrap_or_default(),
                at_sort: m.message.created_at,
            }
        })
        .collect();
    for n in &notes {
        thread.push(ThreadItem {
            id: format!("n{}", n.id),
            kind: "note",
            kind_label: s.internal_note,
            author: n.author.clone(),
            at: fmt_time(n.created_at),
            at_iso: n.created_at.to_rfc3339(),
            text: n.text.clone(),
            badges: Vec::new(),
            at_sort: n.created_at,
        });
    }
    thread.sort_by_key(|t| t.at_sort);

    let (analysis, current_sentiment) = match last_inbound {
        Some(m) => {
            let a = analysis_of(m.id);
            let label = a
                .map(|a| a.sentiment.label)
                .or_else(|| {
                    m.message
                        .labels
                        .get("sentiment")
                        .and_then(|l| SentimentLabel::parse(l))
                })
                .unwrap_or(SentimentLabel::Neutral);
            let f = |x: Option<f32>| x.map(|v| format!("{v:.2}")).unwrap_or_else(|| "–".into());
            (
                Some(AnalysisView {
                    message_id: m.id,
                    sentiment: label.as_str(),
                    sentiment_label: sentiment_label(s, label),
                    confidence: f(a.map(|a| a.sentiment.confidence)),
                    corrected: a.is_some_and(|a| a.model_version == CORRECTION_MODEL),
                    language: a
                        .map(|a| a.language.clone())
                        .or_else(|| m.message.language.clone())
                        .unwrap_or_else(|| "–".into()),
                    topics: a
                        .map(|a| {
                            a.topics
                                .iter()
                                .map(|t| t.label.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .filter(|t| !t.is_empty())
                        .unwrap_or_else(|| "–".into()),
                    toxicity: f(a.map(|a| a.toxicity)),
                    fact_claim: f(a.map(|a| a.fact_claim)),
                    churn: f(a.map(|a| a.churn)),
                    urgency: f(a.map(|a| a.urgency)),
                }),
                Some(label),
            )
        }
        None => (None, None),
    };

    let suggestions: Vec<Answer> = match last_inbound {
        Some(m) => suggest::for_message(&state, &m.message, analysis_of(m.id))
            .await
            .into_iter()
            .map(|sg| Answer {
                title: sg.title,
                text: sg.text,
                score: format!("{:.2}", sg.score),
            })
            .collect(),
        None => Vec::new(),
    };
    let language = last_inbound
        .and_then(|m| analysis_of(m.id))
        .map(|a| a.language.clone())
        .filter(|l| l == "de" || l == "en")
        .unwrap_or_else(|| lang.code().to_owned());
    let values = std::collections::BTreeMap::from([
        ("name".to_owned(), customer.clone()),
        (
            "case".to_owned(),
            case_id.map_or_else(|| format!("K-{id}"), |c| format!("#{c}")),
        ),
        ("agent".to_owned(), viewer.user.name.clone()),
    ]);
    let canned = canned(&configured, &language, &values);
    let reply_prefill = match q.use_.split_at_checked(1) {
        Some(("s", n)) => n
            .parse::<usize>()
            .ok()
            .and_then(|n| suggestions.get(n))
            .map(|a| a.text.clone()),
        Some(("c", n)) => n
            .parse::<usize>()
            .ok()
            .and_then(|n| canned.get(n))
            .map(|a| a.text.clone()),
        _ => None,
    }
    .unwrap_or_default();

    let first_inbound = messages
        .iter()
        .find(|m| m.message.direction == Direction::Inbound);
    let last_outbound = messages
        .iter()
        .rev()
        .find(|m| m.message.direction == Direction::Outbound);
    let kb_title = first_inbound
        .map(|m| super::view::excerpt(&m.message.text, 90))
        .unwrap_or_default();
    let kb_body = last_outbound
        .map(|m| m.message.text.clone())
        .unwrap_or_default();

    let mut header_badges = analysis_of(last_inbound.map_or(-1, |m| m.id))
        .map(|a| analysis_badges(s, a))
        .unwrap_or_default();
    if last_inbound.is_some_and(|m| m.message.visibility == Visibility::Public) {
        header_badges.push(Badge::new("public", s.badge_public));
    }
    let c = viewer.frame("/inbox");
    let c = match q.done.as_str() {
        "label" => c.with_notice(s.corrected, false),
        "reply" => c.with_notice(s.replied, false),
        "" => c,
        _ => c.with_notice(s.saved, false),
    };
    let state_str = conv.state.as_str();
    render(
        lang,
        &ConversationPage {
            c,
            base: format!("/c/{id}"),
            customer,
            channel: conv.channel.clone(),
            state: state_label(s, state_str),
            assignee: assignee.clone().unwrap_or_else(|| s.unassigned.to_owned()),
            header_badges,
            thread,
            analysis,
            sentiment_options: SentimentLabel::ALL
                .iter()
                .map(|l| {
                    Choice::new(
                        l.as_str(),
                        sentiment_label(s, *l),
                        Some(*l) == current_sentiment,
                    )
                })
                .collect(),
            state_options: [
                ("open", s.state_open),
                ("pending", s.state_pending),
                ("resolved", s.state_solved),
            ]
            .iter()
            .map(|(v, l)| Choice::new(*v, *l, *v == state_str))
            .collect(),
            assignee_options: users
                .iter()
                .filter(|u| !u.disabled && u.role != "executive")
                .map(|u| {
                    Choice::new(
                        u.name.clone(),
                        u.name.clone(),
                        assignee.as_deref() == Some(&u.name),
                    )
                })
                .collect(),
            suggestions,
            canned,
            reply_prefill,
            others: others
                .into_iter()
                .map(|(oid, channel, at, text)| Other {
                    href: format!("/c/{oid}"),
                    label: super::view::excerpt(&text, 80),
                    channel,
                    at: fmt_time(at),
                })
                .collect(),
            can_kb: viewer.user.can(Permission::Act),
            kb_title,
            kb_body,
        },
    )
}

/// `model_version` of an analysis whose sentiment a person set.
pub const CORRECTION_MODEL: &str = "correction";

#[derive(Debug, Deserialize)]
pub struct TextForm {
    text: String,
}

pub async fn reply(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<TextForm>,
) -> UiResult {
    viewer.require(Permission::Act)?;
    let text = f.text.trim().to_owned();
    if text.is_empty() {
        return Err(UiError::bad(viewer.lang, "field `text`: empty reply"));
    }
    let actor = viewer.user.actor();
    let found = state
        .write(move |st| {
            let messages = st.conversation_messages(id)?;
            let Some(last_in) = messages
                .iter()
                .rev()
                .find(|m| m.message.direction == Direction::Inbound)
            else {
                return Ok::<_, store::StoreError>(false);
            };
            let m = &last_in.message;
            let now = chrono::Utc::now();
            let reply = Message {
                channel: m.channel.clone(),
                external_id: format!(
                    "ui-{}-{}",
                    id,
                    now.timestamp_nanos_opt().unwrap_or_default()
                ),
                author: m.brand.clone().unwrap_or_else(|| actor.clone()),
                author_name: Some(actor.clone()),
                text,
                created_at: now.max(m.created_at),
                in_reply_to: Some(m.external_id.clone()),
                direction: Direction::Outbound,
                visibility: m.visibility,
                language: m.language.clone(),
                brand: m.brand.clone(),
                labels: Default::default(),
                raw: None,
            };
            st.insert_messages(std::slice::from_ref(&reply))?;
            st.audit(
                &actor,
                "conversation.reply",
                &format!("conversation:{id}"),
                &json!({"external_id": reply.external_id}),
            )?;
            Ok(true)
        })
        .await
        .map_err(viewer.error())?;
    if !found {
        return Err(UiError::not_found(viewer.lang));
    }
    Ok(Redirect::to(&format!("/c/{id}?done=reply")).into_response())
}

pub async fn note(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<TextForm>,
) -> UiResult {
    viewer.require(Permission::Act)?;
    let actor = viewer.user.actor();
    state
        .db(move |st| st.add_note(id, &actor, f.text.trim()))
        .await
        .map_err(viewer.error())?;
    Ok(Redirect::to(&format!("/c/{id}?done=note")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct LabelForm {
    message: i64,
    sentiment: String,
}

/// Keeps the correction as training data and shows it at once: the message's analysis
/// takes the corrected label (model version `correction`).
pub async fn label(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<LabelForm>,
) -> UiResult {
    viewer.require(Permission::Act)?;
    let Some(label) = SentimentLabel::parse(&f.sentiment) else {
        return Err(UiError::bad(
            viewer.lang,
            "field `sentiment`: negative, neutral or positive",
        ));
    };
    let actor = viewer.user.actor();
    let mid = f.message;
    state
        .write(move |st| {
            let Some(m) = st.message_by_id(mid)? else {
                return Err(store::StoreError::NotFound(format!("message {mid}")));
            };
            if m.conversation_id != id {
                return Err(store::StoreError::NotFound(format!(
                    "message {mid} in conversation {id}"
                )));
            }
            let previous = st
                .conversation_analyses(id)?
                .into_iter()
                .find(|(x, _)| *x == mid)
                .map(|(_, a)| a);
            let prev_label = previous.as_ref().map(|a| a.sentiment.label.as_str());
            st.add_label_correction(mid, "sentiment", label.as_str(), prev_label, &actor)?;
            let mut a = previous.unwrap_or_else(|| Analysis {
                relevance: 1.0,
                ..Analysis::blank(m.message.language.clone().unwrap_or_default(), "")
            });
            a.sentiment = Sentiment {
                label,
                confidence: 1.0,
            };
            a.model_version = CORRECTION_MODEL.to_owned();
            st.put_analyses(&[(mid, a)])?;
            st.audit(
                &actor,
                "label.correct",
                &format!("message:{mid}"),
                &json!({"task": "sentiment", "label": label.as_str()}),
            )?;
            Ok(())
        })
        .await
        .map_err(viewer.error())?;
    Ok(Redirect::to(&format!("/c/{id}?done=label")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct StateForm {
    state: String,
}

pub async fn state(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<StateForm>,
) -> UiResult {
    viewer.require(Permission::Act)?;
    let Some(new) = store::ConversationState::parse(&f.state) else {
        return Err(UiError::bad(
            viewer.lang,
            "field `state`: open, pending or resolved",
        ));
    };
    let actor = viewer.user.actor();
    let at = app.engine().now();
    app.write(move |st| {
        st.change_state(id, new, at)?;
        st.audit(
            &actor,
            "conversation.state",
            &format!("conversation:{id}"),
            &json!({"state": new.as_str()}),
        )?;
        Ok::<_, store::StoreError>(())
    })
    .await
    .map_err(viewer.error())?;
    Ok(Redirect::to(&format!("/c/{id}?done=state")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    assignee: String,
}

pub async fn assign(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> UiResult {
    viewer.require(Permission::Act)?;
    let actor = viewer.user.actor();
    let assignee = Some(f.assignee.trim().to_owned()).filter(|a| !a.is_empty());
    state
        .write(move |st| {
            st.assign_conversation(id, assignee.as_deref())?;
            st.audit(
                &actor,
                ASSIGNEE_ACTION,
                &format!("conversation:{id}"),
                &json!({"assignee": assignee}),
            )
        })
        .await
        .map_err(viewer.error())?;
    Ok(Redirect::to(&format!("/c/{id}?done=assign")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct KbForm {
    title: String,
    body: String,
}

pub async fn to_kb(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<KbForm>,
) -> UiResult {
    viewer.require(Permission::Act)?;
    let actor = viewer.user.actor();
    let lang = viewer.lang.code().to_owned();
    let article = state
        .db(move |st| {
            let slug: String = f
                .title
                .to_lowercase()
                .chars()
                .map(|c| if c.is_alphanumeric() { c } else { '-' })
                .collect::<String>()
                .split('-')
                .filter(|w| !w.is_empty())
                .take(8)
                .collect::<Vec<_>>()
                .join("-");
            st.add_kb_article(&store::KbArticle {
                id: 0,
                slug,
                language: lang,
                title: f.title.trim().to_owned(),
                body: f.body.trim().to_owned(),
                category: String::new(),
                source_conversation: Some(id),
                author: actor,
                created_at: chrono::Utc::now(),
            })
        })
        .await
        .map_err(viewer.error())?;
    suggest::invalidate();
    Ok(Redirect::to(&format!("/kb/{}", article.slug)).into_response())
}
