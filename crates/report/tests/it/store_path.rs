//! The report from the store (streamed one conversation at a time, as `kundenversteher report`
//! does) equals the report built from the same files in memory.

use report::{Annotated, BrandIndex, FactsBuilder, FactsOptions, ReportOptions};

use crate::{read, report_of};

#[test]
fn store_stream_gives_the_same_figures_as_the_files() {
    let mut messages = read(ingest::Format::Twcs, "twcs/twcs_head5000.csv");
    messages.extend(read(
        ingest::Format::Airline,
        "twitter_us_airline_sentiment/Tweets.csv",
    ));
    let mut store = store::Store::open_in_memory().unwrap();
    let plain: Vec<model::Message> = messages.iter().map(|a| a.message.clone()).collect();
    store.insert_messages(&plain).unwrap();
    // The airline file repeats 155 tweet ids; the store keeps the first of each, so compare
    // with the messages the store kept.
    let mut kept: Vec<Annotated> = Vec::new();
    store
        .for_each_message(|m| {
            kept.push(m.message.into());
            Ok(())
        })
        .unwrap();
    let (want, _) = report_of(kept);

    let opts = FactsOptions::default();
    let mut brands = BrandIndex::default();
    for b in store.report_brands().unwrap() {
        brands.insert(&b);
    }
    let mut builder = FactsBuilder::new(&opts, brands);
    let mut facts = Vec::new();
    let mut buf: Vec<Annotated> = Vec::new();
    store
        .for_each_report_conversation(|c| {
            buf.clear();
            buf.extend(
                c.messages
                    .drain(..)
                    .map(|(message, analysis)| Annotated { message, analysis }),
            );
            facts.extend(builder.conversation(&c.key, &mut buf));
        })
        .unwrap();
    let got = report::compute(
        &facts,
        &builder.evidence,
        &opts,
        &ReportOptions {
            source: "test".into(),
            ..ReportOptions::default()
        },
    );
    assert_eq!(got.population, want.population);
    assert_eq!(got.overall, want.overall);
    assert_eq!(got.groups, want.groups);
    assert_eq!(got.agents, want.agents);
    assert_eq!(got.deflection.phrases, want.deflection.phrases);
}
