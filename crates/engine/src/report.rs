//! The report over the store: streams every stored conversation (with its analyses and the
//! cases the live engine kept) into the `report` crate's facts. `kundenversteher report` and
//! the web interface's figures both read the store through here.

use std::sync::mpsc;

use report::{Annotated, BrandIndex, ConversationFacts, Evidence, FactsBuilder, FactsOptions};
use store::{ReportConversation, Store, StoreError};

/// The facts of every conversation in the store, built one conversation at a time (memory:
/// the facts, not the texts), with the evidence (examples) collected on the way.
///
/// Two stages on two threads: this thread steps SQLite and decodes rows, a scoped worker turns
/// conversations into facts. Batches go through a bounded channel, so at most a few thousand
/// conversations are in flight and memory stays bounded as before; the facts are the same as
/// on one thread (one builder sees the conversations in the store's order).
pub fn facts_from_store(
    store: &Store,
    facts_opts: &FactsOptions,
) -> Result<(Vec<ConversationFacts>, Evidence), StoreError> {
    /// Conversations per batch: large enough that the channel is not the cost, small enough
    /// that the batches in flight stay a few megabytes.
    const BATCH: usize = 512;
    let mut brands = BrandIndex::default();
    for b in store.report_brands()? {
        brands.insert(&b);
    }
    // Sized once: growing a vector of millions of facts by doubling would briefly hold two.
    let capacity = store.report_conversation_count()? as usize;
    let (batches, received) = mpsc::sync_channel::<Vec<ReportConversation>>(4);
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            let mut builder = FactsBuilder::new(facts_opts, brands);
            let mut facts = Vec::with_capacity(capacity);
            let mut buf: Vec<Annotated> = Vec::new();
            for batch in received {
                for mut conv in batch {
                    buf.clear();
                    buf.extend(conv.messages.drain(..).map(|m| Annotated {
                        message: m.message,
                        analysis: m.analysis,
                        case: m.case,
                    }));
                    facts.extend(builder.conversation(&conv.key, &mut buf));
                }
            }
            (facts, builder.evidence)
        });
        let mut batch = Vec::with_capacity(BATCH);
        let read = store.for_each_report_conversation(|conv| {
            batch.push(std::mem::take(conv));
            if batch.len() == BATCH {
                // A send fails only when the worker is gone, which its join below reports.
                let _ = batches.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
        });
        if !batch.is_empty() {
            let _ = batches.send(batch);
        }
        drop(batches);
        let built = worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        read.map(|_| built)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::PathBuf;

    use model::{Direction, Message};
    use report::{ReportOptions, report_from_messages};

    use super::*;

    /// Messages of `../shared/data/<rel>` (rejected records skipped).
    fn read(format: ingest::Format, rel: &str) -> Vec<Message> {
        let path =
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel);
        let source = ingest::Source::open(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        ingest::read(format, source)
            .filter_map(Result::ok)
            .map(|r| r.message)
            .collect()
    }

    fn options() -> ReportOptions {
        ReportOptions {
            source: "test".into(),
            ..ReportOptions::default()
        }
    }

    /// The report from the store (streamed one conversation at a time, as `kundenversteher
    /// report` does) equals the report built from the same messages in memory.
    #[test]
    fn store_stream_gives_the_same_figures_as_the_files() {
        let mut messages = read(ingest::Format::Twcs, "twcs/twcs_head5000.csv");
        messages.extend(read(
            ingest::Format::Airline,
            "twitter_us_airline_sentiment/Tweets.csv",
        ));
        let mut store = Store::open_in_memory().unwrap();
        store.insert_messages(&messages).unwrap();
        // The airline file repeats 155 tweet ids; the store keeps the first of each, so
        // compare with the messages the store kept.
        let mut kept: Vec<Annotated> = Vec::new();
        store
            .for_each_message(|m| {
                kept.push(m.message.into());
                Ok(())
            })
            .unwrap();
        let opts = FactsOptions::default();
        let (want, _) = report_from_messages(kept, &opts, &options());

        let (facts, evidence) = facts_from_store(&store, &opts).unwrap();
        let got = report::compute(&facts, &evidence, &opts, &options());
        assert_eq!(got.population, want.population);
        assert_eq!(got.overall, want.overall);
        assert_eq!(got.groups, want.groups);
        assert_eq!(got.agents, want.agents);
        assert_eq!(got.deflection.phrases, want.deflection.phrases);
    }

    /// Cases kept in the store (by the live engine) come out as case longevity: a case's
    /// conversations, customers and time span are those of the conversations of its members.
    #[test]
    fn stored_cases_give_case_longevity() {
        let messages = read(ingest::Format::Twcs, "twcs/twcs_head5000.csv");
        let mut store = Store::open_in_memory().unwrap();
        store.insert_messages(&messages).unwrap();
        // The first five customer messages that start a conversation form one case.
        let members: Vec<store::StoredMessage> = messages
            .iter()
            .filter(|m| m.direction == Direction::Inbound && m.in_reply_to.is_none())
            .take(5)
            .map(|m| store.message(&m.channel, &m.external_id).unwrap().unwrap())
            .collect();
        let first = members.iter().map(|m| m.message.created_at).min().unwrap();
        let last = members.iter().map(|m| m.message.created_at).max().unwrap();
        let id = store
            .save_cases(&[store::CaseUpdate {
                id: None,
                label: "battery · update".into(),
                first_seen: first,
                last_seen: last,
                size: 5,
                customers: 5,
                negative: 0,
                topics: String::new(),
                channels: "twitter".into(),
                new_members: members.iter().map(|m| (m.id, m.conversation_id)).collect(),
            }])
            .unwrap()[0];

        let opts = FactsOptions::default();
        let (facts, evidence) = facts_from_store(&store, &opts).unwrap();
        let report = report::compute(&facts, &evidence, &opts, &options());
        let cases = &report.cases;
        assert_eq!(cases.cases, 1);
        let row = &cases.list[0];
        assert_eq!(row.case, format!("#{id} battery · update"));
        // Independently: the conversations of the members, with all their messages.
        let threads: Vec<store::StoredMessage> = members
            .iter()
            .flat_map(|m| store.conversation_messages(m.conversation_id).unwrap())
            .collect();
        let customers: HashSet<&str> = members.iter().map(|m| m.message.author.as_str()).collect();
        let start = threads.iter().map(|m| m.message.created_at).min().unwrap();
        let end = threads.iter().map(|m| m.message.created_at).max().unwrap();
        assert_eq!(row.life.conversations, 5);
        assert_eq!(row.life.customers, customers.len() as u64);
        assert_eq!(row.life.first_at, Some(start.to_rfc3339()));
        assert_eq!(row.life.last_at, Some(end.to_rfc3339()));
        assert_eq!(row.life.lifetime_s, (end - start).num_seconds());
        assert_eq!(
            cases.lifetime_s.median,
            Some((end - start).num_seconds() as f64)
        );
        // The facts of the member conversations name the case; no others do.
        assert_eq!(facts.iter().filter(|f| !f.cases.is_empty()).count(), 5);
    }
}
