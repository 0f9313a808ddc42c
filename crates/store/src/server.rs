//! What the live server needs beyond the core: the analysis work queue (messages without an
//! analysis, in id order), saving analyses, conversation facets for filtered and sorted
//! listing with cursor pagination, assignment, undoable contact merges, and the data rights
//! (export everything about a contact, erase it everywhere in the store).

use model::Analysis;
use rusqlite::{OptionalExtension, params, params_from_iter};
use serde::Serialize;

use crate::messages::{MESSAGE_COLUMNS, message_row};
use crate::{Store, StoreError, StoredMessage, time};

/// Filters and order of the conversation list. `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct ConversationQuery {
    pub state: Option<String>,
    pub channel: Option<String>,
    pub language: Option<String>,
    pub sentiment: Option<String>,
    pub topic: Option<String>,
    pub case_id: Option<i64>,
    pub assignee: Option<String>,
    /// Last activity at or after / before.
    pub from: Option<model::Timestamp>,
    pub to: Option<model::Timestamp>,
    /// `priority` (highest first, the default), `age` (oldest activity first), `recent` or
    /// `due` (running response targets, due soonest first; conversations without one are
    /// left out).
    pub sort: ConversationSort,
    /// Opaque cursor from the previous page.
    pub after: Option<String>,
    pub limit: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConversationSort {
    #[default]
    Priority,
    Age,
    Recent,
    /// Response target due soonest first (`conversation_facets.sla_due_at`).
    Due,
}

/// One row of the conversation list.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationRow {
    pub id: i64,
    pub channel: String,
    pub state: String,
    pub first_at: model::Timestamp,
    pub last_at: model::Timestamp,
    pub message_count: u64,
    pub language: Option<String>,
    pub sentiment: Option<String>,
    pub topics: Vec<String>,
    pub case_id: Option<i64>,
    pub assignee: Option<String>,
    pub priority: f64,
    /// What the workflow stage decided: team, response-target state and due time.
    pub team: Option<String>,
    pub sla_state: Option<String>,
    pub sla_due_at: Option<model::Timestamp>,
}

/// A page of conversations; `next` is the cursor for the following page.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationPage {
    pub conversations: Vec<ConversationRow>,
    pub next: Option<String>,
}

/// What erasing a contact removed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Erased {
    pub message_ids: Vec<i64>,
    pub conversation_ids: Vec<i64>,
    pub identities: u64,
}

fn bad_cursor() -> StoreError {
    StoreError::NotFound("cursor (malformed; use `next` of the previous page)".into())
}

impl Store {
    /// Up to `limit` messages with id > `after` that have no analysis yet, oldest id first.
    pub fn unanalysed_after(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let cols = MESSAGE_COLUMNS
            .split(", ")
            .map(|c| format!("m.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols} FROM messages m WHERE m.id > ?1
             AND NOT EXISTS (SELECT 1 FROM analyses a WHERE a.message_id = m.id)
             ORDER BY m.id LIMIT ?2"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params![after, limit], message_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row??);
        }
        Ok(out)
    }

    /// Up to `limit` analysed messages with id > `after`, with their analyses, in id order
    /// (re-indexing after a crash).
    pub fn analysed_after(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(StoredMessage, Analysis)>, StoreError> {
        let cols = MESSAGE_COLUMNS
            .split(", ")
            .map(|c| format!("m.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols}, a.analysis FROM messages m JOIN analyses a ON a.message_id = m.id
             WHERE m.id > ?1 ORDER BY m.id LIMIT ?2"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(params![after, limit])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let m = message_row(row)??;
            let json: Option<String> = row.get(16)?;
            if let Some(a) = json.and_then(|j| serde_json::from_str(&j).ok()) {
                out.push((m, a));
            }
        }
        Ok(out)
    }

    /// Cases with the number of conversations filed under them, largest first.
    pub fn case_counts(&self, limit: u32) -> Result<Vec<(i64, u64)>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT case_id, COUNT(*) FROM conversation_facets WHERE case_id IS NOT NULL
             GROUP BY case_id ORDER BY COUNT(*) DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The highest message id (0 when empty).
    pub fn max_message_id(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT COALESCE(MAX(id), 0) FROM messages", [], |r| {
                r.get(0)
            })?)
    }

    /// Stores analyses (replacing earlier ones), each with its message's priority from the
    /// workflow rules, in one transaction. An inbound message's analysis and priority become
    /// its conversation's facets (an outbound message's priority is not used). The
    /// conversation is looked up here, not taken from the caller: ingest may have joined two
    /// threads (and removed one conversation) since the caller read the message.
    pub fn save_analyses(&mut self, items: &[(i64, Analysis, f64)]) -> Result<(), StoreError> {
        // Derived: a message without its analysis is the pipeline's queue, so a lost commit
        // is recomputed and this one need not wait for the disk.
        self.write_derived(|tx| {
            let now = time::to_sql(&chrono::Utc::now());
            {
                let mut put = tx.prepare_cached(
                    "INSERT INTO analyses (message_id, analysis, model_version, analyzed_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(message_id) DO UPDATE SET analysis = excluded.analysis,
                        model_version = excluded.model_version, analyzed_at = excluded.analyzed_at",
                )?;
                let mut facet = tx.prepare_cached(
                    "INSERT INTO conversation_facets (conversation_id, language, sentiment, topics, priority, updated_at)
                     SELECT conversation_id, ?1, ?2, ?3, ?4, ?5 FROM messages
                     WHERE id = ?6 AND direction = 'inbound'
                     ON CONFLICT(conversation_id) DO UPDATE SET language = excluded.language,
                        sentiment = excluded.sentiment, topics = excluded.topics,
                        priority = excluded.priority, updated_at = excluded.updated_at",
                )?;
                for (message_id, a, priority) in items {
                    let json = serde_json::to_string(a).unwrap_or_default();
                    put.execute(params![message_id, json, a.model_version, now])?;
                    let topics = a
                        .topics
                        .iter()
                        .map(|t| t.label.as_str())
                        .collect::<Vec<_>>()
                        .join(" ");
                    facet.execute(params![
                        a.language,
                        a.sentiment.label.as_str(),
                        topics,
                        priority,
                        now,
                        message_id
                    ])?;
                }
            }
            Ok(())
        })
    }

    /// The stored analysis of a message.
    pub fn analysis_of(&self, message_id: i64) -> Result<Option<Analysis>, StoreError> {
        let json: Option<Option<String>> = self
            .conn()
            .prepare_cached("SELECT analysis FROM analyses WHERE message_id = ?1")?
            .query_row([message_id], |r| r.get(0))
            .optional()?;
        Ok(json.flatten().and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// Sets the case of conversations (from case grouping).
    pub fn set_conversation_cases(&mut self, items: &[(i64, i64)]) -> Result<(), StoreError> {
        self.write(|tx| {
            let now = time::to_sql(&chrono::Utc::now());
            let mut stmt = tx.prepare_cached(
                "INSERT INTO conversation_facets (conversation_id, case_id, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(conversation_id) DO UPDATE SET case_id = excluded.case_id",
            )?;
            for (conversation, case) in items {
                stmt.execute(params![conversation, case, now])?;
            }
            Ok(())
        })
    }

    /// Assigns a conversation to a user name by hand (`None` unassigns): the inbox facet and an
    /// assignment row in the conversation's current team (or `manual`), which the live
    /// workflow stage picks up. `NotFound` for an unknown id.
    pub fn assign_conversation(
        &mut self,
        id: i64,
        assignee: Option<&str>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM conversations WHERE id = ?1)",
                [id],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(StoreError::NotFound(format!("conversation {id}")));
            }
            let now = time::to_sql(&chrono::Utc::now());
            tx.execute(
                "INSERT INTO conversation_facets (conversation_id, assignee, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(conversation_id) DO UPDATE SET assignee = excluded.assignee",
                params![id, assignee, now],
            )?;
            let team: Option<String> = tx.query_row(
                "SELECT team FROM conversation_facets WHERE conversation_id = ?1",
                [id],
                |r| r.get(0),
            )?;
            tx.execute(
                "UPDATE assignments SET released_at = ?2 WHERE conversation_id = ?1 AND released_at IS NULL",
                params![id, now],
            )?;
            tx.execute(
                "INSERT INTO assignments (conversation_id, team, member, assigned_at) VALUES (?1, ?2, ?3, ?4)",
                params![id, team.as_deref().unwrap_or("manual"), assignee, now],
            )?;
            Ok(())
        })
    }

    /// One page of conversations matching `q`.
    pub fn list_conversations(
        &self,
        q: &ConversationQuery,
    ) -> Result<ConversationPage, StoreError> {
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut push = |cond: &str, v: rusqlite::types::Value| {
            args.push(v);
            conds.push(cond.replace('?', &format!("?{}", args.len())));
        };
        use rusqlite::types::Value as V;
        // Unary `+` keeps SQLite from using a filter column's index, so the index of the sort
        // order is walked (LIMIT stops early) instead of filtering then sorting everything.
        let by_facets = matches!(q.sort, ConversationSort::Priority | ConversationSort::Due);
        let c_ = if by_facets { "+c." } else { "c." };
        let f_ = if by_facets { "f." } else { "+f." };
        if let Some(s) = &q.state {
            push(&format!("{c_}state = ?"), V::Text(s.clone()));
        }
        if let Some(s) = &q.channel {
            push(&format!("{c_}channel = ?"), V::Text(s.clone()));
        }
        if let Some(s) = &q.language {
            push(&format!("{f_}language = ?"), V::Text(s.clone()));
        }
        if let Some(s) = &q.sentiment {
            push(&format!("{f_}sentiment = ?"), V::Text(s.clone()));
        }
        if let Some(s) = &q.topic {
            push(
                "(' ' || f.topics || ' ') LIKE ?",
                V::Text(format!("% {s} %")),
            );
        }
        if let Some(c) = q.case_id {
            push(&format!("{f_}case_id = ?"), V::Integer(c));
        }
        if let Some(a) = &q.assignee {
            if a.is_empty() || a == "none" {
                push(&format!("{f_}assignee IS NULL AND ? IS NULL"), V::Null);
            } else {
                push(&format!("{f_}assignee = ?"), V::Text(a.clone()));
            }
        }
        if let Some(t) = &q.from {
            push("c.last_at >= ?", V::Text(time::to_sql(t)));
        }
        if let Some(t) = &q.to {
            push("c.last_at < ?", V::Text(time::to_sql(t)));
        }
        // Keyset pagination: the cursor is `sortkey|id` of the last row.
        let (order, key_expr, cmp) = match q.sort {
            // Uses facets_by_priority; conversations appear here once analysed.
            ConversationSort::Priority => {
                ("f.priority DESC, f.conversation_id DESC", "f.priority", "<")
            }
            ConversationSort::Age => ("c.last_at ASC, c.id ASC", "c.last_at", ">"),
            ConversationSort::Recent => ("c.last_at DESC, c.id DESC", "c.last_at", "<"),
            // Uses facets_by_sla_due (partial: only rows with a due time).
            ConversationSort::Due => (
                "f.sla_due_at ASC, f.conversation_id ASC",
                "f.sla_due_at",
                ">",
            ),
        };
        if q.sort == ConversationSort::Due {
            conds.push("f.sla_due_at IS NOT NULL".into());
        }
        if let Some(cursor) = &q.after {
            let (key, id) = cursor.rsplit_once('|').ok_or_else(bad_cursor)?;
            let id: i64 = id.parse().map_err(|_| bad_cursor())?;
            let key = if q.sort == ConversationSort::Priority {
                V::Real(key.parse::<f64>().map_err(|_| bad_cursor())?)
            } else {
                V::Text(key.to_owned())
            };
            args.push(key);
            let k = args.len();
            args.push(V::Integer(id));
            let i = args.len();
            let id_expr = if by_facets {
                "f.conversation_id"
            } else {
                "c.id"
            };
            conds.push(format!(
                "({key_expr} {cmp} ?{k} OR ({key_expr} = ?{k} AND {id_expr} {cmp} ?{i}))"
            ));
        }
        let limit = q.limit.clamp(1, 500);
        let from = if by_facets {
            "conversation_facets f JOIN conversations c ON c.id = f.conversation_id"
        } else {
            "conversations c LEFT JOIN conversation_facets f ON f.conversation_id = c.id"
        };
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM {from}
             {} ORDER BY {order} LIMIT {}",
            if conds.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", conds.join(" AND "))
            },
            limit + 1
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt
            .query_map(params_from_iter(args.iter()), read_conversation_row)?
            .collect::<Result<Vec<_>, _>>()?;
        let next = if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            rows.last().map(|r| match q.sort {
                ConversationSort::Priority => format!("{}|{}", r.priority, r.id),
                ConversationSort::Due => format!(
                    "{}|{}",
                    r.sla_due_at.as_ref().map(time::to_sql).unwrap_or_default(),
                    r.id
                ),
                _ => format!("{}|{}", time::to_sql(&r.last_at), r.id),
            })
        } else {
            None
        };
        Ok(ConversationPage {
            conversations: rows,
            next,
        })
    }

    /// The facets row of one conversation, for the detail view.
    pub fn conversation_row(&self, id: i64) -> Result<Option<ConversationRow>, StoreError> {
        let sql = format!(
            "SELECT {ROW_COLUMNS}
             FROM conversations c LEFT JOIN conversation_facets f ON f.conversation_id = c.id
             WHERE c.id = ?1"
        );
        Ok(self
            .conn()
            .query_row(&sql, [id], read_conversation_row)
            .optional()?)
    }

    /// Contact ids of the authors of a conversation's inbound messages.
    pub fn conversation_contacts(&self, id: i64) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT DISTINCT i.contact_id FROM messages m JOIN identities i ON i.id = m.identity_id
             WHERE m.conversation_id = ?1 AND m.direction = 'inbound'",
        )?;
        let ids = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// Merges `from` into `into` and records which identities moved, so
    /// [`Store::unmerge_contact`] can undo it. Returns the merge id.
    pub fn merge_contacts_recorded(&mut self, from: i64, into: i64) -> Result<i64, StoreError> {
        let ids: Vec<i64> = {
            let mut stmt = self
                .conn()
                .prepare("SELECT id FROM identities WHERE contact_id = ?1")?;
            stmt.query_map([from], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        self.merge_contacts(from, into)?;
        self.conn().execute(
            "INSERT INTO contact_merges (from_contact, into_contact, identity_ids, merged_at) VALUES (?1, ?2, ?3, ?4)",
            params![from, into, serde_json::to_string(&ids).unwrap_or_default(), time::to_sql(&chrono::Utc::now())],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Undoes the latest merge of `from` (the contact that was merged away): its identities
    /// go back and it is live again. Returns false when there is nothing to undo.
    pub fn unmerge_contact(&mut self, from: i64) -> Result<bool, StoreError> {
        self.write(|tx| {
            let merge: Option<(i64, i64, String)> = tx
                .query_row(
                    "SELECT id, into_contact, identity_ids FROM contact_merges
                     WHERE from_contact = ?1 AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
                    [from],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((merge_id, into, ids)) = merge else {
                return Ok(false);
            };
            let ids: Vec<i64> = serde_json::from_str(&ids).unwrap_or_default();
            for id in ids {
                tx.execute(
                    "UPDATE identities SET contact_id = ?1 WHERE id = ?2 AND contact_id = ?3",
                    params![from, id, into],
                )?;
            }
            tx.execute(
                "UPDATE contacts SET merged_into = NULL WHERE id = ?1",
                [from],
            )?;
            tx.execute(
                "UPDATE contact_merges SET undone_at = ?2 WHERE id = ?1",
                params![merge_id, time::to_sql(&chrono::Utc::now())],
            )?;
            Ok(true)
        })
    }

    /// Every message written by the contact's identities, oldest first.
    pub fn contact_messages(&self, contact_id: i64) -> Result<Vec<StoredMessage>, StoreError> {
        let cols = MESSAGE_COLUMNS
            .split(", ")
            .map(|c| format!("m.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols} FROM messages m JOIN identities i ON i.id = m.identity_id
             WHERE i.contact_id = ?1 ORDER BY m.created_at, m.id"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map([contact_id], message_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row??);
        }
        Ok(out)
    }

    /// Erases a contact everywhere in the store: its messages with their analyses and label
    /// corrections, conversations that only it wrote in (with notes and facets), its
    /// identities, and its name. Replies in those conversations go too (they quote it).
    pub fn erase_contact(&mut self, contact_id: i64) -> Result<Erased, StoreError> {
        self.write(|tx| {
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM contacts WHERE id = ?1)",
                [contact_id],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(StoreError::NotFound(format!("contact {contact_id}")));
            }
            let mut erased = Erased::default();
            let conversations: Vec<i64> = {
                let mut stmt = tx.prepare(
                    "SELECT DISTINCT m.conversation_id FROM messages m JOIN identities i ON i.id = m.identity_id
                     WHERE i.contact_id = ?1",
                )?;
                stmt.query_map([contact_id], |r| r.get(0))?.collect::<Result<_, _>>()?
            };
            // Whole conversations go when no other customer wrote in them.
            let mut whole = Vec::new();
            for c in &conversations {
                let others: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM messages m JOIN identities i ON i.id = m.identity_id
                     WHERE m.conversation_id = ?1 AND m.direction = 'inbound' AND i.contact_id != ?2)",
                    params![c, contact_id],
                    |r| r.get(0),
                )?;
                if !others {
                    whole.push(*c);
                }
            }
            let mut ids: Vec<i64> = {
                let mut stmt = tx.prepare(
                    "SELECT m.id FROM messages m JOIN identities i ON i.id = m.identity_id WHERE i.contact_id = ?1",
                )?;
                stmt.query_map([contact_id], |r| r.get(0))?.collect::<Result<_, _>>()?
            };
            for c in &whole {
                let mut stmt = tx.prepare("SELECT id FROM messages WHERE conversation_id = ?1")?;
                for id in stmt.query_map([c], |r| r.get::<_, i64>(0))? {
                    ids.push(id?);
                }
            }
            ids.sort_unstable();
            ids.dedup();
            for id in &ids {
                tx.execute("DELETE FROM analyses WHERE message_id = ?1", [id])?;
                tx.execute("DELETE FROM label_corrections WHERE message_id = ?1", [id])?;
                tx.execute("DELETE FROM case_messages WHERE message_id = ?1", [id])?;
                tx.execute("DELETE FROM messages WHERE id = ?1", [id])?;
            }
            for c in &whole {
                tx.execute("DELETE FROM notes WHERE conversation_id = ?1", [c])?;
                tx.execute("DELETE FROM conversation_facets WHERE conversation_id = ?1", [c])?;
                // Other tables that reference conversations (workflow, cases) follow.
                for (table, column) in crate::conversations::referencing_columns(tx)? {
                    if table != "notes" && table != "conversation_facets" {
                        tx.execute(&format!("DELETE FROM \"{table}\" WHERE \"{column}\" = ?1"), [c])?;
                    }
                }
                tx.execute("DELETE FROM conversations WHERE id = ?1", [c])?;
            }
            // Conversations that keep other customers' messages: refresh their counts.
            for c in conversations.iter().filter(|c| !whole.contains(c)) {
                tx.execute(
                    "UPDATE conversations SET message_count = (SELECT COUNT(*) FROM messages WHERE conversation_id = ?1) WHERE id = ?1",
                    [c],
                )?;
            }
            erased.identities = tx.execute("DELETE FROM identities WHERE contact_id = ?1", [contact_id])? as u64;
            tx.execute(
                "UPDATE contacts SET display_name = NULL WHERE id = ?1 OR merged_into = ?1",
                [contact_id],
            )?;
            tx.execute("DELETE FROM contact_merges WHERE from_contact = ?1 OR into_contact = ?1", [contact_id])?;
            erased.message_ids = ids;
            erased.conversation_ids = whole;
            Ok(erased)
        })
    }
}

/// The columns [`read_conversation_row`] reads, in its order (`c` = conversations, `f` = facets).
const ROW_COLUMNS: &str = "c.id, c.channel, c.state, c.first_at, c.last_at, c.message_count,
     f.language, f.sentiment, f.topics, f.case_id, f.assignee, COALESCE(f.priority, 0),
     f.team, f.sla_state, f.sla_due_at";

/// One [`ConversationRow`] from a row selected with [`ROW_COLUMNS`].
fn read_conversation_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConversationRow> {
    let first: String = r.get(3)?;
    let last: String = r.get(4)?;
    let topics: Option<String> = r.get(8)?;
    Ok(ConversationRow {
        id: r.get(0)?,
        channel: r.get(1)?,
        state: r.get(2)?,
        first_at: time::from_sql(&first).unwrap_or_default(),
        last_at: time::from_sql(&last).unwrap_or_default(),
        message_count: r.get::<_, i64>(5)? as u64,
        language: r.get(6)?,
        sentiment: r.get(7)?,
        topics: topics
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        case_id: r.get(9)?,
        assignee: r.get(10)?,
        priority: r.get(11)?,
        team: r.get(12)?,
        sla_state: r.get(13)?,
        sla_due_at: r
            .get::<_, Option<String>>(14)?
            .and_then(|d| time::from_sql(&d).ok()),
    })
}
