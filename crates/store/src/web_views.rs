//! What the web interface reads: the inbox (open conversations with their latest customer
//! message and its analysis), a message's analysis, a customer's other conversations across
//! channels, recent inbound messages for the alarm replay, and the knowledge-base articles
//! with full-text search. Migration 0190 adds the indexes and the article table.

use model::{Analysis, Message};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::messages::{MESSAGE_COLUMNS, message_row};
use crate::server::ConversationSort;
use crate::{Store, StoreError, StoredMessage, time};

/// Which conversations the inbox shows. `None` fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub state: Option<String>,
    pub channel: Option<String>,
    pub language: Option<String>,
    pub sentiment: Option<String>,
    pub topic: Option<String>,
    pub case_id: Option<i64>,
    /// Team the workflow routed the conversation to.
    pub team: Option<String>,
    /// User name; `none` for unassigned.
    pub assignee: Option<String>,
    /// Response-target state (`running`, `warning`, `breached`, `paused`); `none` for
    /// conversations without a running target.
    pub sla: Option<String>,
    /// Row order: `Priority` and `Recent` read the newest conversations first (the caller
    /// sorts them by priority), `Age` the oldest activity first, `Due` the running
    /// response targets due soonest first and then the conversations without one, newest
    /// first.
    pub order: ConversationSort,
    /// Keyset cursor: [`InboxEntry::cursor`] of the last row of the previous page.
    pub after: Option<String>,
    /// Most rows read from the database.
    pub limit: u32,
}

/// One conversation of the inbox.
#[derive(Debug, Clone, Serialize)]
pub struct InboxEntry {
    pub conversation_id: i64,
    pub channel: String,
    pub state: String,
    pub last_at: model::Timestamp,
    pub message_count: u64,
    /// The latest customer message of the conversation.
    pub message_id: i64,
    pub message: Message,
    pub analysis: Option<Analysis>,
    /// What the workflow decided (conversation facets, migration 0202).
    pub case_id: Option<i64>,
    pub team: Option<String>,
    pub assignee: Option<String>,
    /// `running`, `warning`, `breached` or `paused`; `None` when no target runs.
    pub sla_state: Option<String>,
    /// When the running target is (or was) due.
    pub sla_due_at: Option<model::Timestamp>,
}

impl InboxEntry {
    /// Where the next page starts after this row in `order`: `d|due|id` for a row with a
    /// due time in the `Due` order, else `t|last activity|id`.
    pub fn cursor(&self, order: ConversationSort) -> String {
        match (order, self.sla_due_at) {
            (ConversationSort::Due, Some(due)) => {
                format!("d|{}|{}", time::to_sql(&due), self.conversation_id)
            }
            _ => format!("t|{}|{}", time::to_sql(&self.last_at), self.conversation_id),
        }
    }
}

/// The runs [`Store::inbox`] reads in one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    /// Newest activity first.
    Newest,
    /// Oldest activity first.
    Oldest,
    /// Running response targets, due soonest first.
    Due,
    /// No running response target, newest activity first (after [`Segment::Due`]).
    NoTarget,
}

/// A parsed [`InboxEntry::cursor`]: segment (`d` or `t`), key, conversation id.
fn parse_inbox_cursor(cursor: &str) -> Result<(char, String, i64), StoreError> {
    let bad = || StoreError::NotFound("cursor (malformed; use the next-page link)".into());
    let mut parts = cursor.splitn(3, '|');
    let (Some(seg), Some(key), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let seg = match seg {
        "d" => 'd',
        "t" => 't',
        _ => return Err(bad()),
    };
    time::from_sql(key).map_err(|_| bad())?;
    Ok((seg, key.to_owned(), id.parse().map_err(|_| bad())?))
}

/// A knowledge-base article.
#[derive(Debug, Clone, Serialize)]
pub struct KbArticle {
    pub id: i64,
    pub slug: String,
    pub language: String,
    pub title: String,
    pub body: String,
    pub category: String,
    pub source_conversation: Option<i64>,
    pub author: String,
    pub created_at: model::Timestamp,
}

fn parse_analysis(json: Option<String>) -> Option<Analysis> {
    json.and_then(|j| serde_json::from_str(&j).ok())
}

const KB_COLUMNS: &str =
    "id, slug, language, title, body, category, source_conversation, author, created_at";

fn kb_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KbArticle> {
    let created: String = r.get(8)?;
    Ok(KbArticle {
        id: r.get(0)?,
        slug: r.get(1)?,
        language: r.get(2)?,
        title: r.get(3)?,
        body: r.get(4)?,
        category: r.get(5)?,
        source_conversation: r.get(6)?,
        author: r.get(7)?,
        created_at: time::from_sql(&created).unwrap_or_default(),
    })
}

impl Store {
    /// The conversations matching `filter` in `filter.order`, each with its latest customer
    /// message and that message's analysis, one page of at most `filter.limit` rows after
    /// `filter.after`. Conversations without a customer message are left out.
    pub fn inbox(&self, filter: &InboxFilter) -> Result<Vec<InboxEntry>, StoreError> {
        let limit = filter.limit.max(1);
        let cursor = filter
            .after
            .as_deref()
            .map(parse_inbox_cursor)
            .transpose()?;
        let (segment, key) = match (filter.order, cursor) {
            (ConversationSort::Due, None) => (Segment::Due, None),
            (ConversationSort::Due, Some(('d', key, id))) => (Segment::Due, Some((key, id))),
            (ConversationSort::Due, Some((_, key, id))) => (Segment::NoTarget, Some((key, id))),
            (ConversationSort::Age, c) => (Segment::Oldest, c.map(|(_, k, i)| (k, i))),
            (_, c) => (Segment::Newest, c.map(|(_, k, i)| (k, i))),
        };
        let mut out = self.inbox_segment(filter, segment, key, limit)?;
        if segment == Segment::Due && out.len() < limit as usize {
            let rest = limit - out.len() as u32;
            out.extend(self.inbox_segment(filter, Segment::NoTarget, None, rest)?);
        }
        Ok(out)
    }

    /// One keyset-ordered run of [`Store::inbox`]: the filters, the segment's order and the
    /// cursor `(key, id)`, walking the index of the order (LIMIT stops early).
    fn inbox_segment(
        &self,
        filter: &InboxFilter,
        segment: Segment,
        after: Option<(String, i64)>,
        limit: u32,
    ) -> Result<Vec<InboxEntry>, StoreError> {
        // The running targets walk the partial index `facets_by_sla_due` (facets first: CROSS
        // JOIN keeps SQLite from starting at the conversations); the others walk
        // `conversations_by_last` or `conversations_by_state_last`.
        let (from, facets, order, key, cmp, extra) = match segment {
            Segment::Due => (
                "conversation_facets f CROSS JOIN conversations c",
                "",
                "f.sla_due_at ASC, f.conversation_id ASC",
                "(f.sla_due_at, f.conversation_id)",
                ">",
                "c.id = f.conversation_id AND f.sla_due_at IS NOT NULL",
            ),
            Segment::Newest | Segment::NoTarget | Segment::Oldest => (
                "conversations c",
                "LEFT JOIN conversation_facets f ON f.conversation_id = c.id",
                if segment == Segment::Oldest {
                    "c.last_at ASC, c.id ASC"
                } else {
                    "c.last_at DESC, c.id DESC"
                },
                "(c.last_at, c.id)",
                if segment == Segment::Oldest { ">" } else { "<" },
                if segment == Segment::NoTarget {
                    "f.sla_due_at IS NULL"
                } else {
                    "1"
                },
            ),
        };
        let keyset = if after.is_some() {
            format!("AND {key} {cmp} (?11, ?12)")
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT {cols}, c.id, c.channel, c.state, c.last_at, c.message_count, a.analysis,
                    f.case_id, f.team, f.assignee, f.sla_state, f.sla_due_at
             FROM {from}
             JOIN messages m ON m.id = (SELECT i.id FROM messages i
                  WHERE i.conversation_id = c.id AND i.direction = 'inbound'
                  ORDER BY i.created_at DESC, i.id DESC LIMIT 1)
             LEFT JOIN analyses a ON a.message_id = m.id
             {facets}
             WHERE {extra} {keyset}
               AND (?1 IS NULL OR c.state = ?1)
               AND (?2 IS NULL OR c.channel = ?2)
               AND (?3 IS NULL OR COALESCE(json_extract(a.analysis, '$.language'), m.language) = ?3)
               AND (?4 IS NULL OR COALESCE(json_extract(a.analysis, '$.sentiment.label'),
                                           json_extract(m.labels, '$.sentiment')) = ?4)
               AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(a.analysis, '$.topics') t
                                          WHERE json_extract(t.value, '$.label') = ?5))
               AND (?7 IS NULL OR f.case_id = ?7)
               AND (?8 IS NULL OR f.team = ?8)
               AND (?9 IS NULL OR (?9 = 'none' AND f.assignee IS NULL) OR f.assignee = ?9)
               AND (?10 IS NULL OR (?10 = 'none' AND f.sla_state IS NULL) OR f.sla_state = ?10)
             ORDER BY {order}
             LIMIT ?6",
            cols = MESSAGE_COLUMNS
                .split(", ")
                .map(|c| format!("m.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        use rusqlite::types::Value as V;
        let text = |v: &Option<String>| v.clone().map_or(V::Null, V::Text);
        let mut args = vec![
            text(&filter.state),
            text(&filter.channel),
            text(&filter.language),
            text(&filter.sentiment),
            text(&filter.topic),
            V::Integer(i64::from(limit)),
            filter.case_id.map_or(V::Null, V::Integer),
            text(&filter.team),
            text(&filter.assignee),
            text(&filter.sla),
        ];
        if let Some((key, id)) = after {
            args.push(V::Text(key));
            args.push(V::Integer(id));
        }
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
            let n = message_columns();
            let head = (
                r.get::<_, i64>(n)?,
                r.get::<_, String>(n + 1)?,
                r.get::<_, String>(n + 2)?,
                r.get::<_, String>(n + 3)?,
                r.get::<_, i64>(n + 4)?,
                r.get::<_, Option<String>>(n + 5)?,
            );
            let workflow = (
                r.get::<_, Option<i64>>(n + 6)?,
                r.get::<_, Option<String>>(n + 7)?,
                r.get::<_, Option<String>>(n + 8)?,
                r.get::<_, Option<String>>(n + 9)?,
                r.get::<_, Option<String>>(n + 10)?,
            );
            Ok((head, workflow, message_row(r)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let ((id, channel, state, last, count, analysis), workflow, message) = row?;
            let (case_id, team, assignee, sla_state, due) = workflow;
            let stored = message?;
            let sla_due_at = match due {
                Some(d) => Some(time::from_sql(&d).map_err(|e| StoreError::Corrupt {
                    id,
                    reason: format!("sla_due_at: {e}"),
                })?),
                None => None,
            };
            out.push(InboxEntry {
                conversation_id: id,
                channel,
                state,
                last_at: time::from_sql(&last).map_err(|e| StoreError::Corrupt {
                    id,
                    reason: e.to_string(),
                })?,
                message_count: count as u64,
                message_id: stored.id,
                message: stored.message,
                analysis: parse_analysis(analysis),
                case_id,
                team,
                assignee,
                sla_state,
                sla_due_at,
            });
        }
        Ok(out)
    }

    /// Changes whenever a message arrives (the live inbox polls it).
    pub fn inbox_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT COALESCE(MAX(id), 0) FROM messages", [], |r| {
                r.get(0)
            })?)
    }

    /// The channels that have conversations, for the inbox filter.
    pub fn channels(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT DISTINCT channel FROM conversations ORDER BY channel LIMIT 100",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The analyses of a conversation's messages, by message id.
    pub fn conversation_analyses(
        &self,
        conversation_id: i64,
    ) -> Result<Vec<(i64, Analysis)>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT m.id, a.analysis FROM messages m JOIN analyses a ON a.message_id = m.id
             WHERE m.conversation_id = ?1 AND a.analysis IS NOT NULL",
        )?;
        let rows = stmt.query_map([conversation_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row?;
            if let Some(a) = parse_analysis(Some(json)) {
                out.push((id, a));
            }
        }
        Ok(out)
    }

    /// Stores (or replaces) the analysis of messages.
    pub fn put_analyses(&mut self, items: &[(i64, Analysis)]) -> Result<(), StoreError> {
        let now = time::to_sql(&chrono::Utc::now());
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO analyses (message_id, analysis, model_version, analyzed_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (id, a) in items {
                let json = serde_json::to_string(a).map_err(|e| StoreError::Corrupt {
                    id: *id,
                    reason: e.to_string(),
                })?;
                stmt.execute(params![id, json, a.model_version, now])?;
            }
            Ok(())
        })
    }

    /// Other conversations of the contact behind `conversation_id`'s customer messages, on
    /// any channel, newest first: `(conversation id, channel, last activity, first text)`.
    pub fn other_conversations(
        &self,
        conversation_id: i64,
        limit: u32,
    ) -> Result<Vec<(i64, String, model::Timestamp, String)>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "WITH me AS (
                SELECT DISTINCT i.contact_id FROM messages m JOIN identities i ON i.id = m.identity_id
                WHERE m.conversation_id = ?1 AND m.direction = 'inbound'),
             ids AS (SELECT i.id FROM identities i WHERE i.contact_id IN (SELECT contact_id FROM me)),
             convs AS (SELECT DISTINCT m.conversation_id AS cid FROM messages m
                WHERE m.identity_id IN (SELECT id FROM ids) AND m.conversation_id != ?1 LIMIT 200)
             SELECT c.id, c.channel, c.last_at,
                    (SELECT text FROM messages x WHERE x.conversation_id = c.id ORDER BY created_at, id LIMIT 1)
             FROM conversations c WHERE c.id IN (SELECT cid FROM convs)
             ORDER BY c.last_at DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![conversation_id, limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, channel, last, text) = row?;
            let last = time::from_sql(&last).map_err(|e| StoreError::Corrupt {
                id,
                reason: e.to_string(),
            })?;
            out.push((id, channel, last, text.unwrap_or_default()));
        }
        Ok(out)
    }

    /// The newest `limit` inbound messages (oldest first) with their analyses, for replaying
    /// them through the burst detector.
    pub fn recent_inbound(
        &self,
        limit: u32,
    ) -> Result<Vec<(StoredMessage, Option<Analysis>)>, StoreError> {
        let sql = format!(
            "SELECT {cols}, a.analysis FROM (SELECT * FROM messages WHERE direction = 'inbound'
               ORDER BY created_at DESC LIMIT ?1) m
             LEFT JOIN analyses a ON a.message_id = m.id ORDER BY m.created_at, m.id",
            cols = MESSAGE_COLUMNS
                .split(", ")
                .map(|c| format!("m.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map([limit], |r| {
            Ok((
                r.get::<_, Option<String>>(message_columns())?,
                message_row(r)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (analysis, message) = row?;
            out.push((message?, parse_analysis(analysis)));
        }
        Ok(out)
    }

    /// Adds a knowledge-base article; the slug is made unique with the id when taken.
    pub fn add_kb_article(&self, article: &KbArticle) -> Result<KbArticle, StoreError> {
        let taken: bool = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM kb_articles WHERE slug = ?1)",
            [&article.slug],
            |r| r.get(0),
        )?;
        let slug = if taken || article.slug.is_empty() {
            format!("{}-{}", article.slug, chrono::Utc::now().timestamp_micros())
        } else {
            article.slug.clone()
        };
        self.conn().execute(
            "INSERT INTO kb_articles (slug, language, title, body, category, source_conversation, author, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                slug,
                article.language,
                article.title,
                article.body,
                article.category,
                article.source_conversation,
                article.author,
                time::to_sql(&article.created_at)
            ],
        )?;
        let id = self.conn().last_insert_rowid();
        Ok(KbArticle {
            id,
            slug,
            ..article.clone()
        })
    }

    pub fn kb_article(&self, slug: &str) -> Result<Option<KbArticle>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {KB_COLUMNS} FROM kb_articles WHERE slug = ?1"),
                [slug],
                kb_row,
            )
            .optional()?)
    }

    /// Articles matching `query` (every word, prefix match, best first), or the newest when
    /// the query has no words.
    pub fn kb_search(&self, query: &str, limit: u32) -> Result<Vec<KbArticle>, StoreError> {
        // Words only: FTS5 query syntax characters in user input must not reach MATCH.
        let words: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(12)
            .map(|w| format!("\"{w}\"*"))
            .collect();
        if words.is_empty() {
            let mut stmt = self.conn().prepare_cached(&format!(
                "SELECT {KB_COLUMNS} FROM kb_articles ORDER BY created_at DESC LIMIT ?1"
            ))?;
            let rows = stmt.query_map([limit], kb_row)?;
            return Ok(rows.collect::<Result<_, _>>()?);
        }
        let cols = KB_COLUMNS
            .split(", ")
            .map(|c| format!("k.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {cols} FROM kb_search s JOIN kb_articles k ON k.id = s.rowid
             WHERE kb_search MATCH ?1 ORDER BY rank LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![words.join(" "), limit], kb_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// How many columns [`message_row`] reads; callers' own columns follow them.
fn message_columns() -> usize {
    MESSAGE_COLUMNS.split(", ").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(id: &str, author: &str, minute: i64) -> Message {
        Message {
            channel: "twitter".into(),
            external_id: id.into(),
            author: author.into(),
            author_name: None,
            text: format!("Text {id}"),
            created_at: chrono::DateTime::from_timestamp(1_700_000_000 + minute * 60, 0).unwrap(),
            in_reply_to: None,
            direction: model::Direction::Inbound,
            visibility: model::Visibility::Public,
            language: None,
            brand: None,
            labels: model::Labels::new(),
            raw: None,
        }
    }

    #[test]
    fn inbox_filters_by_workflow_facets() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .insert_messages(&[
                customer("1", "a", 0),
                customer("2", "b", 1),
                customer("3", "c", 2),
            ])
            .unwrap();
        let conv = |id: &str| {
            store
                .message("twitter", id)
                .unwrap()
                .unwrap()
                .conversation_id
        };
        let (c1, c2, c3) = (conv("1"), conv("2"), conv("3"));
        let due = time::to_sql(&chrono::DateTime::from_timestamp(1_700_003_600, 0).unwrap());
        for (c, team, assignee, sla, case) in [
            (c1, Some("technik"), Some("tina"), Some("breached"), Some(7)),
            (c2, Some("social"), None, Some("running"), None),
            (c3, None, None, None, None),
        ] {
            store
                .conn()
                .execute(
                    "INSERT INTO conversation_facets (conversation_id, team, assignee, sla_state, sla_due_at, case_id, updated_at)
                     VALUES (?1, ?2, ?3, ?4, CASE WHEN ?4 IS NULL THEN NULL ELSE ?5 END, ?6, ?5)",
                    params![c, team, assignee, sla, due, case],
                )
                .unwrap();
        }
        let ids = |f: InboxFilter| -> Vec<i64> {
            let mut v: Vec<i64> = store
                .inbox(&InboxFilter { limit: 10, ..f })
                .unwrap()
                .iter()
                .map(|e| e.conversation_id)
                .collect();
            v.sort();
            v
        };
        assert_eq!(ids(InboxFilter::default()), [c1, c2, c3]);
        let team = |t: &str| InboxFilter {
            team: Some(t.into()),
            ..Default::default()
        };
        assert_eq!(ids(team("technik")), [c1]);
        assert_eq!(ids(team("social")), [c2]);
        assert!(ids(team("billing")).is_empty());
        let who = |a: &str| InboxFilter {
            assignee: Some(a.into()),
            ..Default::default()
        };
        assert_eq!(ids(who("tina")), [c1]);
        assert_eq!(ids(who("none")), [c2, c3]);
        let sla = |s: &str| InboxFilter {
            sla: Some(s.into()),
            ..Default::default()
        };
        assert_eq!(ids(sla("breached")), [c1]);
        assert_eq!(ids(sla("running")), [c2]);
        assert_eq!(ids(sla("none")), [c3]);
        let case = InboxFilter {
            case_id: Some(7),
            ..Default::default()
        };
        assert_eq!(ids(case), [c1]);
        let e = store
            .inbox(&InboxFilter {
                team: Some("technik".into()),
                limit: 1,
                ..Default::default()
            })
            .unwrap()
            .remove(0);
        assert_eq!(e.team.as_deref(), Some("technik"));
        assert_eq!(e.assignee.as_deref(), Some("tina"));
        assert_eq!(e.case_id, Some(7));
        assert_eq!(e.sla_state.as_deref(), Some("breached"));
        assert_eq!(e.sla_due_at.map(|t| t.timestamp()), Some(1_700_003_600));
    }

    #[test]
    fn inbox_orders_page_by_keyset() {
        let mut store = Store::open_in_memory().unwrap();
        let messages: Vec<Message> = (0..7)
            .map(|i| customer(&i.to_string(), &format!("k{i}"), i))
            .collect();
        store.insert_messages(&messages).unwrap();
        let conv = |i: usize| {
            store
                .message("twitter", &i.to_string())
                .unwrap()
                .unwrap()
                .conversation_id
        };
        let c: Vec<i64> = (0..7).map(conv).collect();
        // Due times: c[4] soonest, c[1] and c[5] at the same instant (ties by id), c[2]
        // last; c[0], c[3], c[6] have no running target.
        let at = |m: i64| {
            time::to_sql(&chrono::DateTime::from_timestamp(1_800_000_000 + m * 60, 0).unwrap())
        };
        for (i, due) in [
            (4, Some(at(0))),
            (1, Some(at(5))),
            (5, Some(at(5))),
            (2, Some(at(9))),
            (0, None),
        ] {
            store
                .conn()
                .execute(
                    "INSERT INTO conversation_facets (conversation_id, sla_state, sla_due_at, updated_at)
                     VALUES (?1, CASE WHEN ?2 IS NULL THEN NULL ELSE 'running' END, ?2, ?3)",
                    params![c[i], due, at(0)],
                )
                .unwrap();
        }
        let pages = |order: ConversationSort, size: u32| -> Vec<i64> {
            let mut all = Vec::new();
            let mut after = None;
            loop {
                let page = store
                    .inbox(&InboxFilter {
                        order,
                        after: after.clone(),
                        limit: size,
                        ..Default::default()
                    })
                    .unwrap();
                all.extend(page.iter().map(|e| e.conversation_id));
                match page.last() {
                    Some(last) if page.len() == size as usize => after = Some(last.cursor(order)),
                    _ => return all,
                }
            }
        };
        let (lo, hi) = (c[1].min(c[5]), c[1].max(c[5]));
        let due_order = vec![c[4], lo, hi, c[2], c[6], c[3], c[0]];
        let newest: Vec<i64> = c.iter().rev().copied().collect();
        for size in [1, 2, 3, 10] {
            assert_eq!(
                pages(ConversationSort::Due, size),
                due_order,
                "due, pages of {size}"
            );
            assert_eq!(
                pages(ConversationSort::Age, size),
                c,
                "age, pages of {size}"
            );
            assert_eq!(
                pages(ConversationSort::Recent, size),
                newest,
                "recent, pages of {size}"
            );
        }
        assert!(
            store
                .inbox(&InboxFilter {
                    after: Some("x|y".into()),
                    limit: 5,
                    ..Default::default()
                })
                .is_err(),
            "a malformed cursor is refused"
        );
    }

    #[test]
    fn kb_search_finds_words_and_ignores_syntax() {
        let store = Store::open_in_memory().unwrap();
        let now = chrono::Utc::now();
        store
            .add_kb_article(&KbArticle {
                id: 0,
                slug: "lieferung".into(),
                language: "de".into(),
                title: "Wo bleibt meine Lieferung?".into(),
                body: "Die Sendungsnummer steht in der Bestätigung.".into(),
                category: "Versand".into(),
                source_conversation: None,
                author: "anna".into(),
                created_at: now,
            })
            .unwrap();
        assert_eq!(store.kb_search("Liefer", 10).unwrap().len(), 1);
        assert_eq!(store.kb_search("sendungsnummer", 10).unwrap().len(), 1);
        assert!(
            store.kb_search("\"*) OR (", 10).is_ok(),
            "syntax characters are not passed to MATCH"
        );
        assert!(store.kb_search("Rechnung", 10).unwrap().is_empty());
        assert_eq!(
            store.kb_article("lieferung").unwrap().unwrap().category,
            "Versand"
        );
    }
}
