//! Customer and staff text never reaches the HTML raw; deflection and churn come through.

use model::{Direction, Labels, Message, Visibility};
use report::Annotated;
use report::render::Lang;

use crate::report_of;

fn msg(
    id: &str,
    reply: Option<&str>,
    author: &str,
    dir: Direction,
    at: &str,
    text: &str,
) -> Message {
    Message {
        channel: "web".into(),
        external_id: id.into(),
        author: author.into(),
        author_name: None,
        text: text.into(),
        created_at: at.parse().unwrap(),
        in_reply_to: reply.map(str::to_owned),
        direction: dir,
        visibility: Visibility::Public,
        language: Some("de".into()),
        brand: None,
        labels: Labels::new(),
        raw: None,
    }
}

#[test]
fn xss_payloads_are_escaped_everywhere() {
    let payload = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let mut churn = msg(
        "1",
        None,
        "\"><svg onload=alert(3)>",
        Direction::Inbound,
        "2024-03-04T09:00:00Z",
        &format!("Nie wieder! {payload}"),
    );
    churn.labels.insert("churn".into(), "1".into());
    churn.labels.insert("topic".into(), payload.into());
    churn.labels.insert("sentiment".into(), "negative".into());
    let mut reply = msg(
        "2",
        Some("1"),
        "<b>Brand</b>",
        Direction::Outbound,
        "2024-03-04T09:30:00Z",
        &format!("Aus organisatorischen Gründen geht das nicht. {payload}"),
    );
    reply.labels.insert("team".into(), payload.into());
    let messages: Vec<Annotated> = vec![churn.into(), reply.into()];
    let (report, _) = report_of(messages);
    assert_eq!(report.deflection.deflected_replies, 1);
    assert_eq!(report.deflection.examples.len(), 1);
    assert_eq!(report.lost_customers.customers, 1);
    assert_eq!(report.lost_customers.list[0].status, "followed_up");
    for lang in [Lang::De, Lang::En] {
        let html = report::render::html::page(&report, lang);
        for raw in [
            "<script>alert",
            "<img src=x",
            "<svg onload",
            "<b>Brand",
            "\"><svg",
        ] {
            assert!(!html.contains(raw), "raw {raw:?} in HTML");
        }
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("&lt;b&gt;Brand&lt;/b&gt;"));
    }
}
