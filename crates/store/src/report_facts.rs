//! What the report reads: every conversation's messages with their analyses, streamed one
//! conversation at a time so memory stays bounded by the largest conversation, and the known
//! brand handles. The report crate turns each conversation into facts.

use std::collections::HashMap;

use model::{Analysis, Direction, Message, Visibility};

use crate::{Store, StoreError, time};

/// One conversation as the report sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportConversation {
    /// `channel:root external id`, the id docs/METRICS.md defines.
    pub key: String,
    /// `open`, `pending` or `resolved`.
    pub state: String,
    /// Messages (text without the raw source record) in no particular order.
    pub messages: Vec<ReportMessage>,
}

/// One message of a [`ReportConversation`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReportMessage {
    pub message: Message,
    /// The analysis when there is one.
    pub analysis: Option<Analysis>,
    /// The stored case the message is a member of, as `#ID label` (the lowest id when it is
    /// in several).
    pub case: Option<String>,
}

/// Case membership for the report: message id to an index into `names` (`#ID label`).
struct CaseOfMessage {
    names: Vec<String>,
    members: HashMap<i64, u32>,
}

impl Store {
    /// Streams every conversation with its messages (in no particular order) to `sink`. Returns the
    /// number of messages read. The raw source record is not read (the report never needs it).
    pub fn for_each_report_conversation(
        &self,
        mut sink: impl FnMut(&mut ReportConversation),
    ) -> Result<u64, StoreError> {
        let cases = self.report_case_of_messages()?;
        let mut stmt = self.conn().prepare(
            "SELECT m.id, m.conversation_id, c.channel, c.root_external_id, c.state,
                    m.channel, m.external_id, m.author, m.text, m.created_at, m.in_reply_to,
                    m.direction, m.visibility, m.language, m.brand, m.labels, a.analysis
             FROM messages m
             JOIN conversations c ON c.id = m.conversation_id
             LEFT JOIN analyses a ON a.message_id = m.id
             ORDER BY m.conversation_id",
        )?;
        let mut rows = stmt.query([])?;
        let mut current: Option<(i64, ReportConversation)> = None;
        let mut n = 0u64;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let conversation_id: i64 = row.get(1)?;
            let corrupt = |reason: String| StoreError::Corrupt { id, reason };
            if current.as_ref().is_none_or(|(c, _)| *c != conversation_id) {
                if let Some((_, mut conv)) = current.take() {
                    sink(&mut conv);
                }
                let channel: String = row.get(2)?;
                let root: String = row.get(3)?;
                current = Some((
                    conversation_id,
                    ReportConversation {
                        key: format!("{channel}:{root}"),
                        state: row.get(4)?,
                        messages: Vec::new(),
                    },
                ));
            }
            let created: String = row.get(9)?;
            let created_at =
                time::from_sql(&created).map_err(|e| corrupt(format!("created_at: {e}")))?;
            let direction = match row
                .get_ref(11)?
                .as_str()
                .map_err(|e| corrupt(e.to_string()))?
            {
                "inbound" => Direction::Inbound,
                "outbound" => Direction::Outbound,
                other => return Err(corrupt(format!("direction `{other}`"))),
            };
            let visibility = match row
                .get_ref(12)?
                .as_str()
                .map_err(|e| corrupt(e.to_string()))?
            {
                "private" => Visibility::Private,
                _ => Visibility::Public,
            };
            let labels = match row
                .get_ref(15)?
                .as_str_or_null()
                .map_err(|e| corrupt(e.to_string()))?
            {
                Some(json) => {
                    serde_json::from_str(json).map_err(|e| corrupt(format!("labels: {e}")))?
                }
                None => model::Labels::new(),
            };
            let analysis: Option<Analysis> = match row
                .get_ref(16)?
                .as_str_or_null()
                .map_err(|e| corrupt(e.to_string()))?
            {
                // An analysis that no longer parses (older model schema) counts as none.
                Some(json) => serde_json::from_str(json).ok(),
                None => None,
            };
            let message = Message {
                channel: row.get(5)?,
                external_id: row.get(6)?,
                author: row.get(7)?,
                author_name: None,
                text: row.get(8)?,
                created_at,
                in_reply_to: row.get(10)?,
                direction,
                visibility,
                language: row.get(13)?,
                brand: row.get(14)?,
                labels,
                raw: None,
            };
            let case = cases
                .members
                .get(&id)
                .map(|&i| cases.names[i as usize].clone());
            if let Some((_, conv)) = current.as_mut() {
                conv.messages.push(ReportMessage {
                    message,
                    analysis,
                    case,
                });
            }
            n += 1;
        }
        if let Some((_, mut conv)) = current.take() {
            sink(&mut conv);
        }
        Ok(n)
    }

    /// Which case each case member message is in (the lowest case id when in several), read
    /// once: one query over `case_messages` instead of a lookup per message of the report
    /// (1.1 of about 8 s at 3 M messages).
    fn report_case_of_messages(&self) -> Result<CaseOfMessage, StoreError> {
        let mut names = Vec::new();
        let mut index = HashMap::new();
        let mut stmt = self
            .conn()
            .prepare("SELECT id, label FROM cases ORDER BY id")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (id, label): (i64, String) = (row.get(0)?, row.get(1)?);
            index.insert(id, names.len() as u32);
            names.push(format!("#{id} {label}"));
        }
        let mut members = HashMap::new();
        let mut stmt = self
            .conn()
            .prepare("SELECT message_id, MIN(case_id) FROM case_messages GROUP BY message_id")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (message, case): (i64, i64) = (row.get(0)?, row.get(1)?);
            if let Some(&i) = index.get(&case) {
                members.insert(message, i);
            }
        }
        Ok(CaseOfMessage { names, members })
    }

    /// Number of conversations (to size the report's fact table once).
    pub fn report_conversation_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()
            .query_row("SELECT COUNT(*) FROM conversations", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Every brand handle the store knows: authors of outbound messages and `brand` values.
    pub fn report_brands(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT DISTINCT author FROM messages WHERE direction = 'outbound'
             UNION SELECT DISTINCT brand FROM messages WHERE brand IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str, reply: Option<&str>, dir: Direction, at: &str) -> Message {
        Message {
            channel: "twitter".into(),
            external_id: id.into(),
            author: if dir == Direction::Inbound {
                "c1"
            } else {
                "Acme"
            }
            .into(),
            author_name: None,
            text: format!("text {id}"),
            created_at: at.parse().unwrap(),
            in_reply_to: reply.map(str::to_owned),
            direction: dir,
            visibility: Visibility::Public,
            language: None,
            brand: (dir == Direction::Outbound).then(|| "Acme".to_owned()),
            labels: model::Labels::new(),
            raw: Some("raw".into()),
        }
    }

    #[test]
    fn streams_conversations_with_their_messages() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .insert_messages(&[
                msg("2", Some("1"), Direction::Outbound, "2017-10-31T10:05:00Z"),
                msg("1", None, Direction::Inbound, "2017-10-31T10:00:00Z"),
                msg("9", None, Direction::Inbound, "2017-10-31T11:00:00Z"),
            ])
            .unwrap();
        // Customer messages 1 and 9 are one case.
        let members: Vec<(i64, i64)> = ["1", "9"]
            .iter()
            .map(|id| {
                let m = store.message("twitter", id).unwrap().unwrap();
                (m.id, m.conversation_id)
            })
            .collect();
        let case_id = store
            .save_cases(&[crate::CaseUpdate {
                id: None,
                label: "text · late".into(),
                first_seen: "2017-10-31T10:00:00Z".parse().unwrap(),
                last_seen: "2017-10-31T11:00:00Z".parse().unwrap(),
                size: 2,
                customers: 1,
                negative: 0,
                topics: String::new(),
                channels: "twitter".into(),
                new_members: members,
            }])
            .unwrap()[0];
        let mut seen = Vec::new();
        let n = store
            .for_each_report_conversation(|c| {
                let mut ids: Vec<(String, Option<String>)> = c
                    .messages
                    .iter()
                    .map(|m| (m.message.external_id.clone(), m.case.clone()))
                    .collect();
                ids.sort();
                seen.push((c.key.clone(), ids));
            })
            .unwrap();
        assert_eq!(n, 3);
        seen.sort();
        let case = Some(format!("#{case_id} text · late"));
        assert_eq!(
            seen,
            vec![
                (
                    "twitter:1".to_owned(),
                    vec![("1".to_owned(), case.clone()), ("2".to_owned(), None)]
                ),
                ("twitter:9".to_owned(), vec![("9".to_owned(), case)]),
            ]
        );
        assert_eq!(store.report_brands().unwrap(), vec!["Acme".to_owned()]);
    }
}
