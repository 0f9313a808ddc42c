//! Issue #6 end to end through the API: a negative public message about a topic the
//! technicians own is routed and assigned to a technician within one pipeline pass, misses
//! its response-time target on a simulated clock, and escalates to the agent (warning), the
//! lead (breach) and an executive (an hour later); a webhook receiver checks the signature
//! of every notification and sees each step in order.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{Duration, TimeZone, Utc};
use engine::{EngineConfig, ManualClock};
use serde_json::{Value, json};

use crate::harness::TestServer;

const SECRET: &str = "webhook-geheimnis";

type Seen = Arc<Mutex<Vec<Value>>>;

async fn receive(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers
        .get(notify::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if notify::verify(
        SECRET,
        signature,
        &body,
        std::time::Duration::from_secs(300),
    )
    .is_err()
    {
        return StatusCode::UNAUTHORIZED;
    }
    seen.lock()
        .unwrap()
        .push(serde_json::from_slice(&body).unwrap());
    StatusCode::NO_CONTENT
}

/// A webhook receiver on port 0; returns its URL and what it received (verified only).
async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

/// Waits until the receiver holds an event matching `pred`.
async fn wait_for(seen: &Seen, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..500 {
        if let Some(v) = seen.lock().unwrap().iter().find(|v| pred(v)) {
            return v.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!(
        "webhook receiver never saw {what}; it saw {:#?}",
        seen.lock().unwrap()
    );
}

fn escalation(step: u64) -> impl Fn(&Value) -> bool {
    move |v| v["event"] == "sla.escalation" && v["step"] == step
}

const CONFIG: &str = r#"
[routing]
default_team = "social"

[[routing.rules]]
name = "wlan-technik"
team = "technik"
[routing.rules.when]
topics = ["Connectivity"]

[[teams]]
id = "social"
name = "Social Media"
[[teams.members]]
id = "sina"

[[teams]]
id = "technik"
name = "Technik"
[teams.skills]
topics = ["Connectivity"]
[[teams.members]]
id = "tina"
role = "agent"
capacity = 3
[[teams.members]]
id = "lars"
role = "lead"
capacity = 0

[[executives]]
id = "eva"
role = "executive"
"#;

fn engine_config(clock: &Arc<ManualClock>) -> EngineConfig {
    EngineConfig {
        clock: clock.clone(),
        tick: std::time::Duration::from_millis(50),
        ..EngineConfig::default()
    }
}

/// A server on a simulated clock at `t0` with the technicians' configuration and a webhook
/// receiver, holding one negative public message about the WLAN; returns the conversation id
/// once it is assigned.
async fn technicians_with_one_complaint(
    clock: &Arc<ManualClock>,
    t0: chrono::DateTime<Utc>,
) -> (TestServer, Seen, i64) {
    let server = TestServer::start_engine(web::ServerConfig::default(), engine_config(clock)).await;
    let (url, seen) = receiver().await;
    let admin = server.login_as("admin", "admin").await;
    let (status, body) = admin
        .post("/api/v1/webhooks", json!({"url": url, "secret": SECRET}))
        .await;
    assert!(status == 200 || status == 201, "{status} {body}");
    let resp = admin
        .http
        .put(server.url("/api/v1/workflow"))
        .header("content-type", "application/toml")
        .body(CONFIG)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    assert!(
        server
            .state
            .engine()
            .next_ticks(std::time::Duration::from_secs(10))
            .await
    );

    let ingest = server.token("ingest").await;
    let (status, body) = ingest
        .post(
            "/api/v1/messages",
            json!([{
                "channel": "twitter",
                "external_id": "wlan-1",
                "author": "pendlerin",
                "text": "Kein WLAN im ICE, total nervig und ärgerlich. Die Bahn ist einfach nur schlecht.",
                "created_at": t0,
                "direction": "inbound",
                "visibility": "public",
            }]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    server.settle().await;
    let assigned = wait_for(&seen, "the assignment", |v| {
        v["event"] == "conversation.assigned"
    })
    .await;
    // one pass: routed by topic to the technicians, assigned to the technician
    assert_eq!(assigned["team"], "technik", "{assigned}");
    assert_eq!(assigned["member"], "tina", "{assigned}");
    let id = assigned["conversation_id"].as_i64().unwrap();
    (server, seen, id)
}

/// `(event, step)` of everything the receiver got about conversation `id`, in order.
fn steps(seen: &Seen, id: i64) -> Vec<(String, Value)> {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|v| v["conversation_id"] == id)
        .map(|v| (v["event"].as_str().unwrap().to_owned(), v["step"].clone()))
        .collect()
}

fn assigned_then(escalations: &[u64]) -> Vec<(String, Value)> {
    let mut out = vec![("conversation.assigned".to_owned(), Value::Null)];
    out.extend(
        escalations
            .iter()
            .map(|s| ("sla.escalation".to_owned(), json!(s))),
    );
    out
}

#[tokio::test]
async fn negative_public_message_is_routed_assigned_and_escalated_to_the_executives() {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(t0));
    let (server, seen, id) = technicians_with_one_complaint(&clock, t0).await;
    let engine = server.state.engine().clone();
    let lead = server.login_as("lea", "lead").await;
    let (status, conv) = lead.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(status, 200, "{conv}");
    assert_eq!(conv["conversation"]["assignee"], "tina", "{conv}");
    let analysis = &conv["messages"][0]["analysis"];
    assert_eq!(analysis["sentiment"]["label"], "negative", "{analysis}");
    assert_eq!(analysis["topics"][0]["label"], "Connectivity", "{analysis}");

    // the public negative policy: first answer within 30 minutes, around the clock; the
    // agent is warned in the last quarter, the lead told at the breach
    clock.advance(Duration::minutes(24));
    let warning = wait_for(&seen, "the warning to the agent", escalation(0)).await;
    assert_eq!(warning["notify"], "agent");
    assert_eq!(warning["recipients"], json!(["tina"]));
    assert!(engine.next_ticks(std::time::Duration::from_secs(10)).await);
    assert_eq!(
        steps(&seen, id),
        assigned_then(&[0]),
        "the lead must not hear of it before the breach"
    );
    // The list by response target due soonest carries the due time the stage stored.
    let (status, list) = lead.get("/api/v1/conversations?sort=due&limit=1").await;
    assert_eq!(status, 200, "{list}");
    let row = &list["conversations"][0];
    assert_eq!(row["id"], id, "{list}");
    assert_eq!(
        row["sla_due_at"],
        json!(t0 + Duration::minutes(30)),
        "{list}"
    );
    assert!(
        matches!(row["sla_state"].as_str(), Some("running" | "warning")),
        "{list}"
    );
    assert!(
        list["next"].is_null(),
        "one conversation with a target: {list}"
    );

    clock.advance(Duration::minutes(7));
    let breach = wait_for(&seen, "the breach to the lead", escalation(1)).await;
    assert_eq!(breach["notify"], "lead");
    assert_eq!(breach["recipients"], json!(["lars"]));
    assert_eq!(breach["target"], "first_response");
    assert_eq!(breach["policy"], "public-negative");

    clock.advance(Duration::minutes(61));
    let executive = wait_for(&seen, "the step to the executives", escalation(2)).await;
    assert_eq!(executive["notify"], "executive");
    assert_eq!(executive["recipients"], json!(["eva"]));

    // in this order, each step once, and the log the pages show agrees
    assert!(engine.next_ticks(std::time::Duration::from_secs(10)).await);
    assert_eq!(steps(&seen, id), assigned_then(&[0, 1, 2]));
    let (status, log) = lead
        .get(&format!("/api/v1/notifications?conversation={id}"))
        .await;
    assert_eq!(status, 200, "{log}");
    assert!(log.to_string().contains("sla.escalation"), "{log}");
    server.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_the_assignment_and_sends_no_step_twice() {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(t0));
    let (server, seen, id) = technicians_with_one_complaint(&clock, t0).await;
    clock.advance(Duration::minutes(31));
    wait_for(&seen, "the breach to the lead", escalation(1)).await;

    let server = server
        .restart(web::ServerConfig::default(), engine_config(&clock))
        .await;
    let engine = server.state.engine().clone();
    assert!(engine.next_ticks(std::time::Duration::from_secs(10)).await);
    let lead = server.login_as("lea", "lead").await;
    let (_, conv) = lead.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(conv["conversation"]["assignee"], "tina", "{conv}");
    assert_eq!(
        steps(&seen, id),
        assigned_then(&[0, 1]),
        "nothing sent twice"
    );

    clock.advance(Duration::minutes(60));
    wait_for(&seen, "the step to the executives", escalation(2)).await;
    assert!(engine.next_ticks(std::time::Duration::from_secs(10)).await);
    assert_eq!(steps(&seen, id), assigned_then(&[0, 1, 2]));
    server.stop().await;
}
