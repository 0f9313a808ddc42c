//! The facts CSV is enough to recompute the report: facts -> CSV -> facts -> same figures.

use report::{FactsOptions, ReportOptions};

use crate::{read, report_of};

#[test]
fn csv_round_trip_gives_the_same_figures() {
    let mut messages = read(ingest::Format::Twcs, "twcs/twcs_head5000.csv");
    messages.extend(read(
        ingest::Format::Airline,
        "twitter_us_airline_sentiment/Tweets.csv",
    ));
    let (report, facts) = report_of(messages);
    let mut csv = Vec::new();
    report::facts_csv::write(&facts, &mut csv).unwrap();
    let text = String::from_utf8(csv.clone()).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        report::facts_csv::COLUMNS.join(",")
    );
    let back = report::facts_csv::read(csv.as_slice(), "mem.csv").unwrap();
    assert_eq!(back, facts);
    let again = report::compute(
        &back,
        &report::Evidence::default(),
        &FactsOptions::default(),
        &ReportOptions {
            source: "test".into(),
            ..ReportOptions::default()
        },
    );
    assert_eq!(again.overall, report.overall);
    assert_eq!(again.groups, report.groups);
    assert_eq!(again.agents, report.agents);
    // The airline tweets carry gold sentiment: share negative is known for their brands.
    let united = report.groups.iter().find(|g| g.key == "United").unwrap();
    assert!(united.share_negative.unwrap() > 0.5);
    // TWCS has no sentiment: n/a, not 0.
    let apple = report
        .groups
        .iter()
        .find(|g| g.key == "AppleSupport")
        .unwrap();
    assert_eq!(apple.share_negative, None);
}

#[test]
fn bad_csv_names_file_and_line() {
    let header = report::facts_csv::COLUMNS.join(",");
    let bad = format!("{header}\nx,twitter,conversation,b,t,[],c,notabool\n");
    let err = report::facts_csv::read(bad.as_bytes(), "facts.csv").unwrap_err();
    assert!(err.to_string().contains("facts.csv:2"), "{err}");
}
