//! What the live stages keep (migrations 0201 and 0300): cases with their member messages,
//! early-warning alerts (latest event each, with acknowledgement), webhook receivers and the
//! log of every notification sent. The stages in `engine::stages` write here; pages read.

use model::{Alert, Timestamp};
use rusqlite::{OptionalExtension, Row, params};

use crate::time;
use crate::{Store, StoreError};

use time::column as ts;

/// A case as stored: the figures of the live case grouper at its last update.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredCase {
    pub id: i64,
    pub label: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub size: i64,
    /// Distinct customers.
    pub customers: i64,
    /// Members with negative sentiment.
    pub negative: i64,
    /// Most frequent topics, comma-separated.
    pub topics: String,
    /// Channels, comma-separated.
    pub channels: String,
}

/// New figures for a case; `id: None` creates it.
#[derive(Debug, Clone)]
pub struct CaseUpdate {
    pub id: Option<i64>,
    pub label: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub size: i64,
    pub customers: i64,
    pub negative: i64,
    pub topics: String,
    pub channels: String,
    /// Member messages added since the last update, with their conversations.
    pub new_members: Vec<(i64, i64)>,
}

/// An alert as stored: its latest event, and who acknowledged it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredAlert {
    pub alert: Alert,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<Timestamp>,
}

/// A webhook receiver.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WebhookRow {
    pub id: i64,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
    pub created_by: String,
    pub created_at: Timestamp,
}

/// One notification as logged.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NotificationRow {
    pub id: i64,
    pub kind: String,
    pub conversation_id: Option<i64>,
    pub body: serde_json::Value,
    pub at: Timestamp,
}

const CASE_COLUMNS: &str =
    "id, label, first_seen, last_seen, size, customers, negative, topics, channels";

fn case_row(r: &Row<'_>) -> rusqlite::Result<StoredCase> {
    Ok(StoredCase {
        id: r.get(0)?,
        label: r.get(1)?,
        first_seen: ts(r, 2)?,
        last_seen: ts(r, 3)?,
        size: r.get(4)?,
        customers: r.get(5)?,
        negative: r.get(6)?,
        topics: r.get(7)?,
        channels: r.get(8)?,
    })
}

fn alert_row(r: &Row<'_>) -> rusqlite::Result<StoredAlert> {
    let json: String = r.get(0)?;
    let alert = serde_json::from_str(&json).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let acknowledged_at = match r.get::<_, Option<String>>(2)? {
        Some(_) => Some(ts(r, 2)?),
        None => None,
    };
    Ok(StoredAlert {
        alert,
        acknowledged_by: r.get(1)?,
        acknowledged_at,
    })
}

impl Store {
    /// Writes case figures and new members in one transaction (members also set the
    /// conversation's case facet); returns the ids, in the order of `updates`.
    pub fn save_cases(&mut self, updates: &[CaseUpdate]) -> Result<Vec<i64>, StoreError> {
        self.write(|tx| {
            let now = time::to_sql(&chrono::Utc::now());
            let mut ids = Vec::with_capacity(updates.len());
            let mut insert = tx.prepare_cached(
                "INSERT INTO cases (label, first_seen, last_seen, size, customers, negative, topics, channels, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE cases SET label = ?2, first_seen = ?3, last_seen = ?4, size = ?5, customers = ?6,
                 negative = ?7, topics = ?8, channels = ?9, updated_at = ?10 WHERE id = ?1",
            )?;
            let mut member = tx.prepare_cached(
                "INSERT OR IGNORE INTO case_messages (case_id, message_id) VALUES (?1, ?2)",
            )?;
            let mut facet = tx.prepare_cached(
                "INSERT INTO conversation_facets (conversation_id, case_id, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(conversation_id) DO UPDATE SET case_id = excluded.case_id",
            )?;
            for u in updates {
                let (first, last) = (time::to_sql(&u.first_seen), time::to_sql(&u.last_seen));
                let id = match u.id {
                    Some(id) => {
                        update.execute(params![
                            id, u.label, first, last, u.size, u.customers, u.negative, u.topics,
                            u.channels, now
                        ])?;
                        id
                    }
                    None => {
                        insert.execute(params![
                            u.label, first, last, u.size, u.customers, u.negative, u.topics,
                            u.channels, now
                        ])?;
                        tx.last_insert_rowid()
                    }
                };
                for (message, conversation) in &u.new_members {
                    member.execute(params![id, message])?;
                    facet.execute(params![conversation, id, now])?;
                }
                ids.push(id);
            }
            Ok(ids)
        })
    }

    /// Cases seen since `since`, largest first (by distinct customers, then size).
    pub fn cases_since(&self, since: Timestamp, limit: u32) -> Result<Vec<StoredCase>, StoreError> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE last_seen >= ?1
             ORDER BY customers DESC, size DESC, id LIMIT ?2"
        ))?;
        let rows = stmt
            .query_map(params![time::to_sql(&since), limit], case_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn case(&self, id: i64) -> Result<Option<StoredCase>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = ?1"))?
            .query_row([id], case_row)
            .optional()?)
    }

    /// Member message ids of a case, oldest first.
    pub fn case_message_ids(&self, case_id: i64, limit: u32) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT message_id FROM case_messages WHERE case_id = ?1 ORDER BY message_id LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![case_id, limit], |r| r.get(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The case a message belongs to.
    pub fn case_of_message(&self, message_id: i64) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT case_id FROM case_messages WHERE message_id = ?1 LIMIT 1")?
            .query_row([message_id], |r| r.get(0))
            .optional()?)
    }

    /// Every case: `(id, first_seen, last_seen, size)` (for the report's case longevity).
    pub fn case_spans(&self) -> Result<Vec<(i64, Timestamp, Timestamp, i64)>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT id, first_seen, last_seen, size FROM cases ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, ts(r, 1)?, ts(r, 2)?, r.get(3)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// When the newest case saw its last message (the cases page shows the month before).
    pub fn latest_case_activity(&self) -> Result<Option<Timestamp>, StoreError> {
        let s: Option<String> =
            self.conn()
                .query_row("SELECT MAX(last_seen) FROM cases", [], |r| r.get(0))?;
        s.map(|s| {
            time::from_sql(&s).map_err(|e| StoreError::Corrupt {
                id: 0,
                reason: e.to_string(),
            })
        })
        .transpose()
    }

    /// Member messages of a case per day: `(YYYY-MM-DD, count)`, in day order (from
    /// `case_days`, which triggers keep in step with `case_messages`).
    pub fn case_daily_counts(&self, case_id: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT day, n FROM case_days WHERE case_id = ?1 ORDER BY day")?;
        let rows = stmt
            .query_map([case_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Customer messages per hour in `[from, from + hours)` behind an alert of `scope`
    /// (`all`: negative ones; `topic`: with topic `key`; `case`: members of stored case
    /// `key`), for the alarm chart.
    pub fn hourly_alert_volume(
        &self,
        scope: &str,
        key: &str,
        from: Timestamp,
        hours: u32,
    ) -> Result<Vec<i64>, StoreError> {
        let to = from + chrono::Duration::hours(i64::from(hours));
        let filter = match scope {
            "topic" => {
                "EXISTS (SELECT 1 FROM json_each(a.analysis, '$.topics') t
                   WHERE json_extract(t.value, '$.label') = ?3)"
            }
            "case" => {
                "EXISTS (SELECT 1 FROM case_messages cm WHERE cm.message_id = m.id AND cm.case_id = CAST(?3 AS INTEGER))"
            }
            _ => "json_extract(a.analysis, '$.sentiment.label') = 'negative' AND ?3 IS NOT NULL",
        };
        let sql = format!(
            "SELECT substr(m.created_at, 1, 13), COUNT(*) FROM messages m
             JOIN analyses a ON a.message_id = m.id
             WHERE m.created_at >= ?1 AND m.created_at < ?2 AND m.direction = 'inbound' AND {filter}
             GROUP BY 1"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let counts: std::collections::HashMap<String, i64> = stmt
            .query_map(params![time::to_sql(&from), time::to_sql(&to), key], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        Ok((0..hours)
            .map(|h| {
                let t = from + chrono::Duration::hours(i64::from(h));
                let k = time::to_sql(&t);
                counts.get(&k[..13]).copied().unwrap_or(0)
            })
            .collect())
    }

    /// The smallest message id created at or after `since` (where a replay of recent messages
    /// starts); `None` when there is none.
    pub fn first_message_id_since(&self, since: Timestamp) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT MIN(id) FROM messages WHERE created_at >= ?1")?
            .query_row([time::to_sql(&since)], |r| r.get(0))?)
    }

    /// Stores alert events: the latest event per `alert_id` wins; acknowledgements stay.
    pub fn save_alerts(&mut self, alerts: &[Alert]) -> Result<(), StoreError> {
        if alerts.is_empty() {
            return Ok(());
        }
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO alerts (alert_id, scope, key, event, severity, started_at, updated_at, alert)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(alert_id) DO UPDATE SET event = excluded.event, severity = excluded.severity,
                   updated_at = excluded.updated_at, alert = excluded.alert",
            )?;
            for a in alerts {
                let json = serde_json::to_string(a).map_err(|e| StoreError::Sink(Box::new(e)))?;
                let event = serde_json::to_value(a.event)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                stmt.execute(params![
                    a.alert_id,
                    a.scope.as_str(),
                    a.key,
                    event,
                    a.severity.as_str(),
                    time::to_sql(&a.started_at),
                    time::to_sql(&a.updated_at),
                    json
                ])?;
            }
            Ok(())
        })
    }

    /// Alerts that started at or after `since`, newest first.
    pub fn alerts_since(
        &self,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<StoredAlert>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT alert, acknowledged_by, acknowledged_at FROM alerts WHERE started_at >= ?1
             ORDER BY started_at DESC, alert_id LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![time::to_sql(&since), limit], alert_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn alert(&self, alert_id: &str) -> Result<Option<StoredAlert>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT alert, acknowledged_by, acknowledged_at FROM alerts WHERE alert_id = ?1",
            )?
            .query_row([alert_id], alert_row)
            .optional()?)
    }

    /// Marks an alert acknowledged; false when there is no such alert.
    pub fn acknowledge_alert(
        &self,
        alert_id: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "UPDATE alerts SET acknowledged_by = ?2, acknowledged_at = ?3 WHERE alert_id = ?1",
            params![alert_id, by, time::to_sql(&at)],
        )?;
        Ok(n > 0)
    }

    pub fn add_webhook(
        &self,
        url: &str,
        secret: &str,
        created_by: &str,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        self.conn().execute(
            "INSERT INTO webhooks (url, secret, created_by, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![url, secret, created_by, time::to_sql(&at)],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    pub fn webhooks(&self) -> Result<Vec<WebhookRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, url, secret, created_by, created_at FROM webhooks ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(WebhookRow {
                    id: r.get(0)?,
                    url: r.get(1)?,
                    secret: r.get(2)?,
                    created_by: r.get(3)?,
                    created_at: ts(r, 4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// False when there was no such webhook.
    pub fn delete_webhook(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .execute("DELETE FROM webhooks WHERE id = ?1", [id])?
            > 0)
    }

    /// Logs a notification (before it is handed to the webhook queue).
    pub fn log_notification(
        &self,
        kind: &str,
        conversation_id: Option<i64>,
        body: &serde_json::Value,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        self.conn().execute(
            "INSERT INTO notifications (kind, conversation_id, body, at) VALUES (?1, ?2, ?3, ?4)",
            params![kind, conversation_id, body.to_string(), time::to_sql(&at)],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Notifications about a conversation (or all with `None`), newest first.
    pub fn notifications(
        &self,
        conversation_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<NotificationRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, kind, conversation_id, body, at FROM notifications
             WHERE ?1 IS NULL OR conversation_id = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![conversation_id, limit], |r| {
                let body: String = r.get(3)?;
                Ok(NotificationRow {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    conversation_id: r.get(2)?,
                    body: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
                    at: ts(r, 4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use model::{AlertEvent, AlertScope, Severity};

    use super::*;

    fn t(h: u32) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 24, h, 0, 0).unwrap()
    }

    fn alert(event: AlertEvent, h: u32) -> Alert {
        Alert {
            alert_id: "case:c1:2026".into(),
            event,
            scope: AlertScope::Case,
            key: "c1".into(),
            label: Some("re30 · ausfall".into()),
            started_at: t(8),
            detected_at: t(8),
            updated_at: t(h),
            ended_at: None,
            severity: Severity::High,
            messages: 40,
            customers: 35,
            expected: 2.0,
            observed: 40.0,
            surprise: 12.0,
            sample_ids: vec!["1".into()],
        }
    }

    #[test]
    fn latest_alert_event_wins_and_acknowledgement_stays() {
        let mut s = Store::open_in_memory().unwrap();
        s.save_alerts(&[alert(AlertEvent::Opened, 8)]).unwrap();
        assert!(s.acknowledge_alert("case:c1:2026", "lea", t(9)).unwrap());
        s.save_alerts(&[alert(AlertEvent::Closed, 10)]).unwrap();
        let all = s.alerts_since(t(0), 10).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].alert.event, AlertEvent::Closed);
        assert_eq!(all[0].acknowledged_by.as_deref(), Some("lea"));
        assert!(!s.acknowledge_alert("nope", "lea", t(9)).unwrap());
    }

    /// The per-day member counts behind the cases page follow the members: new members count
    /// on their message's day, a member stored twice counts once, and an erased customer's
    /// messages leave the counts.
    #[test]
    fn case_days_follow_members_through_updates_and_erasure() {
        let mut s = Store::open_in_memory().unwrap();
        let message = |id: &str, author: &str, at: &str| model::Message {
            channel: "twitter".into(),
            external_id: id.into(),
            author: author.into(),
            author_name: None,
            text: format!("Zug {id} fällt aus"),
            created_at: at.parse().unwrap(),
            in_reply_to: None,
            direction: model::Direction::Inbound,
            visibility: model::Visibility::Public,
            language: Some("de".into()),
            brand: None,
            labels: model::Labels::new(),
            raw: None,
        };
        s.insert_messages(&[
            message("1", "anna", "2026-11-24T08:00:00Z"),
            message("2", "ben", "2026-11-24T09:00:00Z"),
            message("3", "anna", "2026-11-25T08:00:00Z"),
        ])
        .unwrap();
        let member = |s: &Store, id: &str| {
            let m = s.message("twitter", id).unwrap().unwrap();
            (m.id, m.conversation_id)
        };
        let update = |id: Option<i64>, new_members: Vec<(i64, i64)>| CaseUpdate {
            id,
            label: "zug · ausfall".into(),
            first_seen: t(8),
            last_seen: t(9),
            size: 3,
            customers: 2,
            negative: 3,
            topics: String::new(),
            channels: "twitter".into(),
            new_members,
        };
        let case = s
            .save_cases(&[update(None, vec![member(&s, "1"), member(&s, "2")])])
            .unwrap()[0];
        s.save_cases(&[update(Some(case), vec![member(&s, "2"), member(&s, "3")])])
            .unwrap();
        let day = |d: &str, n: i64| (d.to_owned(), n);
        assert_eq!(
            s.case_daily_counts(case).unwrap(),
            vec![day("2026-11-24", 2), day("2026-11-25", 1)]
        );
        let anna = s.contact_of("twitter", "anna").unwrap().unwrap();
        s.erase_contact(anna.id).unwrap();
        assert_eq!(
            s.case_daily_counts(case).unwrap(),
            vec![day("2026-11-24", 1)]
        );
    }

    #[test]
    fn webhooks_and_notification_log() {
        let s = Store::open_in_memory().unwrap();
        let id = s
            .add_webhook("http://127.0.0.1:9/hook", "geheim", "admin", t(8))
            .unwrap();
        assert_eq!(s.webhooks().unwrap()[0].url, "http://127.0.0.1:9/hook");
        s.log_notification(
            "sla.escalation",
            Some(7),
            &serde_json::json!({"step": 1}),
            t(9),
        )
        .unwrap();
        s.log_notification("alert", None, &serde_json::json!({}), t(10))
            .unwrap();
        assert_eq!(s.notifications(Some(7), 10).unwrap().len(), 1);
        assert_eq!(s.notifications(None, 10).unwrap()[0].kind, "alert");
        assert!(s.delete_webhook(id).unwrap());
        assert!(s.webhooks().unwrap().is_empty());
    }
}
