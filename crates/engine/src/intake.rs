//! Group commit for ingest. Requests go through a bounded queue to one writer thread; the
//! requests that arrived while a commit was in flight are stored together in the next single
//! transaction (one fsync), up to a message limit. Each request is answered only after that
//! commit, with the outcome of each of its own messages. Idempotency holds across the group as
//! it does within a batch: the same (channel, external id) in two requests of one group is
//! stored once; the request that comes first in the group gets `inserted`, the other a
//! duplicate with the same id (as if they had been committed one after the other).
//!
//! A failing group is not allowed to fail its neighbours: it is retried request by request,
//! so each request gets its own success or error.

use model::Message;
use store::{Filed, StoreError};
use tokio::sync::{mpsc, oneshot};

use crate::Db;
use crate::pipeline::EngineError;

/// One ingest request waiting for its commit.
pub(crate) struct Request {
    pub messages: Vec<Message>,
    pub reply: oneshot::Sender<Result<Vec<Filed>, EngineError>>,
}

/// Runs until every sender is gone and the queue is empty (so requests taken before a
/// shutdown are still committed and answered). `committed` gets the highest message id after
/// each successful commit.
pub(crate) fn run(
    db: &Db,
    mut queue: mpsc::Receiver<Request>,
    max_group: usize,
    committed: impl Fn(i64),
) {
    while let Some(first) = queue.blocking_recv() {
        let mut total = first.messages.len();
        let mut group = vec![first];
        while total < max_group {
            match queue.try_recv() {
                Ok(next) => {
                    total += next.messages.len();
                    group.push(next);
                }
                Err(_) => break,
            }
        }
        metrics::histogram!("ingest_group_requests").record(group.len() as f64);
        commit(group, |batch| store(db, batch, &committed));
    }
}

/// Answers every request of `group` from `store` (one transaction per call).
fn commit(
    group: Vec<Request>,
    mut store: impl FnMut(&[Message]) -> Result<Vec<Filed>, EngineError>,
) {
    let sizes: Vec<usize> = group.iter().map(|r| r.messages.len()).collect();
    let (messages, replies): (Vec<Vec<Message>>, Vec<_>) =
        group.into_iter().map(|r| (r.messages, r.reply)).unzip();
    if replies.len() == 1 {
        let result = store(&messages[0]);
        let _ = replies.into_iter().next().map(|r| r.send(result));
        return;
    }
    let all = messages.concat();
    match store(&all) {
        Ok(outcomes) => {
            let mut rest = outcomes.into_iter();
            for (reply, n) in replies.into_iter().zip(sizes) {
                // A requester that went away (timeout, closed connection) is no error:
                // its messages are stored, a retry finds them as duplicates.
                let _ = reply.send(Ok(rest.by_ref().take(n).collect()));
            }
        }
        Err(error) => {
            tracing::warn!(message = "group commit failed; committing its requests one by one", %error);
            for (batch, reply) in messages.iter().zip(replies) {
                let _ = reply.send(store(batch));
            }
        }
    }
}

fn store(
    db: &Db,
    messages: &[Message],
    committed: &impl Fn(i64),
) -> Result<Vec<Filed>, EngineError> {
    let (outcomes, max) = db.write(|s| {
        let outcomes = s.file_messages(messages)?;
        let max = s.max_message_id()?;
        Ok::<_, StoreError>((outcomes, max))
    })?;
    committed(max);
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Direction, Visibility};

    fn msg(id: &str) -> Message {
        Message {
            channel: "web".into(),
            external_id: id.into(),
            author: "kunde".into(),
            author_name: None,
            text: format!("Nachricht {id}"),
            created_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            in_reply_to: None,
            direction: Direction::Inbound,
            visibility: Visibility::Public,
            language: None,
            brand: None,
            labels: Default::default(),
            raw: None,
        }
    }

    fn request(ids: &[&str]) -> (Request, oneshot::Receiver<Result<Vec<Filed>, EngineError>>) {
        let (reply, answer) = oneshot::channel();
        let messages = ids.iter().map(|id| msg(id)).collect();
        (Request { messages, reply }, answer)
    }

    #[test]
    fn a_group_stores_shared_messages_once_and_answers_each_request() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path(), 1).unwrap();
        let (before, _) = request(&["0"]);
        commit(vec![before], |batch| store(&db, batch, &|_| {}));
        let (a, mut answer_a) = request(&["1", "2", "0"]);
        let (b, mut answer_b) = request(&["2", "3", "1", "3"]);
        let mut commits = 0;
        commit(vec![a, b], |batch| {
            commits += 1;
            store(&db, batch, &|_| {})
        });
        assert_eq!(commits, 1, "one transaction for the group");
        let a = answer_a.try_recv().unwrap().unwrap();
        let b = answer_b.try_recv().unwrap().unwrap();
        let id = |key: &str| db.read(|s| s.message("web", key).unwrap().unwrap().id);
        let filed = |key: &str, inserted| Filed {
            id: id(key),
            inserted,
        };
        assert_eq!(a, [filed("1", true), filed("2", true), filed("0", false)]);
        assert_eq!(
            b,
            [
                filed("2", false),
                filed("3", true),
                filed("1", false),
                filed("3", false)
            ]
        );
        assert_eq!(db.read(|s| s.message_count().unwrap()), 4);
    }

    #[test]
    fn a_failing_group_is_retried_request_by_request() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path(), 1).unwrap();
        let (good, mut answer_good) = request(&["1", "2"]);
        let (bad, mut answer_bad) = request(&["3", "bad"]);
        let mut calls = Vec::new();
        commit(vec![good, bad], |batch| {
            calls.push(batch.len());
            // a message the store refuses (as a broken row would be) fails its transaction
            if batch.iter().any(|m| m.external_id == "bad") {
                return Err(EngineError::Task("refused".into()));
            }
            store(&db, batch, &|_| {})
        });
        assert_eq!(calls, [4, 2, 2], "the group, then each request alone");
        assert_eq!(answer_good.try_recv().unwrap().unwrap().len(), 2);
        assert!(answer_bad.try_recv().unwrap().is_err());
        assert_eq!(db.read(|s| s.message_count().unwrap()), 2);
    }
}
