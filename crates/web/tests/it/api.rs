//! The JSON API end to end: ingest -> analysed and searchable, idempotent re-ingest, reply,
//! note, assign, state, label correction, merge/un-merge, export and erase.

use serde_json::{Value, json};

use crate::harness::TestServer;

pub fn message(id: &str, author: &str, text: &str, reply_to: Option<&str>) -> Value {
    let mut m = json!({
        "channel": "twitter",
        "external_id": id,
        "author": author,
        "text": text,
        "created_at": "2026-11-24T10:00:00Z",
        "direction": "inbound",
        "visibility": "public",
    });
    if let Some(r) = reply_to {
        m["in_reply_to"] = json!(r);
    }
    m
}

#[tokio::test]
async fn ingest_is_analysed_searchable_and_idempotent() {
    let server = TestServer::start().await;
    let ingest = server.token("ingest").await;
    let agent = server.login_as("anna", "agent").await;
    let batch = json!([
        message(
            "1",
            "kunde1",
            "Die Lieferungen kommen seit Wochen zu spät, ich bin sauer",
            None
        ),
        message(
            "2",
            "kunde2",
            "My parcel was delivered to the wrong address",
            None
        ),
    ]);
    let (status, first) = ingest.post("/api/v1/messages", batch.clone()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["inserted"], 2);
    assert_eq!(first["results"][0]["inserted"], true, "{first}");
    // Same batch again: stored once.
    let (status, body) = ingest
        .post("/api/v1/messages", json!({"messages": batch}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["inserted"], 0);
    assert_eq!(body["duplicates"], 2);
    assert_eq!(
        body["results"],
        json!([
            {"id": first["results"][0]["id"], "inserted": false},
            {"id": first["results"][1]["id"], "inserted": false},
        ])
    );
    server.settle().await;

    let (status, hits) = agent.get("/api/v1/search?q=Lieferung").await;
    assert_eq!(status, 200, "{hits}");
    assert_eq!(hits["total"], 1, "{hits}");
    let hit = &hits["hits"][0];
    assert!(
        hit["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<b>Lieferungen</b>"),
        "{hit}"
    );
    let conversation = hit["conversation_id"].as_i64().unwrap();
    let (status, conv) = agent
        .get(&format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(status, 200);
    let analysis = &conv["messages"][0]["analysis"];
    assert_eq!(analysis["language"], "de", "{conv}");
    let (_, hits) = agent.get("/api/v1/search?q=deliver&language=en").await;
    assert_eq!(hits["total"], 1, "{hits}");
    let (_, hits) = agent.get("/api/v1/search?q=deliver&language=de").await;
    assert_eq!(hits["total"], 0, "{hits}");

    let (status, list) = agent.get("/api/v1/conversations?sort=age&limit=1").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["conversations"].as_array().unwrap().len(), 1);
    let next = list["next"].as_str().unwrap().to_owned();
    let (_, page2) = agent
        .get(&format!(
            "/api/v1/conversations?sort=age&limit=1&cursor={}",
            urlencode(&next)
        ))
        .await;
    assert_eq!(
        page2["conversations"].as_array().unwrap().len(),
        1,
        "{page2}"
    );
    assert_ne!(
        page2["conversations"][0]["id"],
        list["conversations"][0]["id"]
    );
    assert!(page2["next"].is_null());

    // Bad input names the field.
    let (status, err) = ingest
        .post("/api/v1/messages", json!([{"channel": "twitter"}]))
        .await;
    assert_eq!(status, 400);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("external_id"),
        "{err}"
    );
    let (status, err) = agent.get("/api/v1/conversations?sort=sideways").await;
    assert_eq!(status, 400);
    assert!(
        err["error"]["message"].as_str().unwrap().contains("sort"),
        "{err}"
    );
    server.stop().await;
}

/// Concurrent requests with overlapping messages (group commit merges them into one
/// transaction when they meet): each message is stored once, and every request learns for
/// each of its messages the stored id and whether it was the one that stored it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_overlapping_batches_store_each_message_once() {
    let server = TestServer::start().await;
    let ingest = std::sync::Arc::new(server.token("ingest").await);
    const WORKERS: usize = 6;
    const ROUNDS: usize = 8;
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let ingest = ingest.clone();
        tasks.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for r in 0..ROUNDS {
                // 40 ids overlapping the next worker's request of the same round by 20, and
                // the previous round's requests; the first id twice in the request.
                let start = (r * WORKERS + w) * 20;
                let mut ids: Vec<String> = (start..start + 40).map(|i| format!("m{i}")).collect();
                ids.push(ids[0].clone());
                let batch: Vec<Value> = ids
                    .iter()
                    .map(|id| message(id, &format!("k{}", id.len()), &format!("Text {id}"), None))
                    .collect();
                let (status, body) = ingest.post("/api/v1/messages", json!(batch)).await;
                assert_eq!(status, 200, "{body}");
                answers.push((ids, body));
            }
            answers
        }));
    }
    let mut stored_as: std::collections::HashMap<String, i64> = Default::default();
    let mut inserted_by: std::collections::HashMap<String, usize> = Default::default();
    for t in tasks {
        for (ids, body) in t.await.unwrap() {
            let results = body["results"].as_array().unwrap();
            assert_eq!(results.len(), ids.len(), "{body}");
            let inserted = results.iter().filter(|r| r["inserted"] == true).count();
            assert_eq!(body["inserted"], inserted as u64, "{body}");
            assert_eq!(body["duplicates"], (ids.len() - inserted) as u64, "{body}");
            assert_eq!(
                results[ids.len() - 1]["inserted"],
                false,
                "the repeat: {body}"
            );
            for (id, r) in ids.iter().zip(results) {
                let got = r["id"].as_i64().unwrap();
                assert_eq!(*stored_as.entry(id.clone()).or_insert(got), got, "{id}");
                if r["inserted"] == true {
                    *inserted_by.entry(id.clone()).or_default() += 1;
                }
            }
        }
    }
    let distinct = (ROUNDS * WORKERS - 1) * 20 + 40;
    assert_eq!(stored_as.len(), distinct);
    assert_eq!(
        inserted_by.len(),
        distinct,
        "every message inserted by some request"
    );
    assert!(inserted_by.values().all(|&n| n == 1), "and by one only");
    let db = server.state.engine().db().clone();
    db.read(|s| {
        assert_eq!(s.message_count().unwrap(), distinct as u64);
        for (id, stored) in &stored_as {
            assert_eq!(
                s.message("twitter", id).unwrap().unwrap().id,
                *stored,
                "{id}"
            );
        }
    });
    server.stop().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn act_on_a_conversation() {
    let server = TestServer::start().await;
    let ingest = server.token("ingest").await;
    let agent = server.login_as("anna", "agent").await;
    server.login_as("ben", "agent").await;
    ingest
        .post(
            "/api/v1/messages",
            json!([message("10", "kunde", "Wo bleibt meine Bestellung?", None)]),
        )
        .await;
    server.settle().await;
    let (_, list) = agent.get("/api/v1/conversations").await;
    let id = list["conversations"][0]["id"].as_i64().unwrap();

    let (status, reply) = agent
        .post(
            &format!("/api/v1/conversations/{id}/reply"),
            json!({"text": "Wir kümmern uns sofort."}),
        )
        .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["message"]["message"]["direction"], "outbound");
    let (status, _) = agent
        .post(
            &format!("/api/v1/conversations/{id}/notes"),
            json!({"text": "Kunde ist Stammkunde"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = agent
        .post(
            &format!("/api/v1/conversations/{id}/assign"),
            json!({"assignee": "ben"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, err) = agent
        .post(
            &format!("/api/v1/conversations/{id}/assign"),
            json!({"assignee": "nobody"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("assignee")
    );
    let (status, _) = agent
        .post(
            &format!("/api/v1/conversations/{id}/state"),
            json!({"state": "resolved"}),
        )
        .await;
    assert_eq!(status, 200);
    // The workflow stage ends the clock of a resolved conversation; its owner stays.
    server.tick().await;

    let (_, conv) = agent.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(conv["messages"].as_array().unwrap().len(), 2, "{conv}");
    assert_eq!(
        conv["messages"][1]["message"]["text"],
        "Wir kümmern uns sofort."
    );
    assert_eq!(conv["notes"][0]["author"], "anna");
    assert_eq!(conv["conversation"]["assignee"], "ben");
    assert_eq!(conv["conversation"]["state"], "resolved");
    let (_, mine) = agent.get("/api/v1/conversations?assignee=ben").await;
    assert_eq!(mine["conversations"].as_array().unwrap().len(), 1);

    // A label correction is kept as training data (lead may export it).
    let mid = conv["messages"][0]["id"].as_i64().unwrap();
    let (status, c) = agent
        .post(
            &format!("/api/v1/messages/{mid}/labels"),
            json!({"task": "sentiment", "label": "negative"}),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    let lead = server.login_as("lea", "lead").await;
    let resp = lead
        .http
        .get(server.url("/api/v1/training-data"))
        .send()
        .await
        .unwrap();
    let jsonl = resp.text().await.unwrap();
    let line: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(line["labels"]["sentiment"], "negative");
    assert_eq!(line["external_id"], "10");
    server.stop().await;
}

#[tokio::test]
async fn merge_unmerge_export_and_erase() {
    let server = TestServer::start().await;
    let ingest = server.token("ingest").await;
    let admin = server.login_as("root", "admin").await;
    let mut email = message(
        "m1",
        "erika@example.org",
        "Meine Rechnung Zauberwort ist falsch",
        None,
    );
    email["channel"] = json!("email");
    email["visibility"] = json!("private");
    ingest
        .post(
            "/api/v1/messages",
            json!([
                message(
                    "t1",
                    "erika_tw",
                    "Zauberwort Kundenservice antwortet nicht",
                    None
                ),
                email,
                message("t2", "other", "Zauberwort auch bei mir", None)
            ]),
        )
        .await;
    server.settle().await;
    let (_, tw) = admin
        .get("/api/v1/contacts?channel=twitter&handle=erika_tw")
        .await;
    let (_, em) = admin
        .get("/api/v1/contacts?channel=email&handle=erika%40example.org")
        .await;
    let (tw, em) = (
        tw["contact"]["id"].as_i64().unwrap(),
        em["contact"]["id"].as_i64().unwrap(),
    );

    let (status, merged) = admin
        .post(&format!("/api/v1/contacts/{em}/merge"), json!({"into": tw}))
        .await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!(merged["contact"]["identities"].as_array().unwrap().len(), 2);
    let (status, un) = admin
        .post(&format!("/api/v1/contacts/{em}/unmerge"), json!({}))
        .await;
    assert_eq!(status, 200, "{un}");
    assert_eq!(un["contact"]["identities"][0][0], "email");
    let (_, tw_now) = admin.get(&format!("/api/v1/contacts/{tw}")).await;
    assert_eq!(tw_now["contact"]["identities"].as_array().unwrap().len(), 1);
    // Merge again for the data-rights part.
    admin
        .post(&format!("/api/v1/contacts/{em}/merge"), json!({"into": tw}))
        .await;

    let (status, export) = admin.get(&format!("/api/v1/contacts/{tw}/export")).await;
    assert_eq!(status, 200);
    assert_eq!(export["messages"].as_array().unwrap().len(), 2, "{export}");

    let (_, before) = admin.get("/api/v1/search?q=Zauberwort").await;
    assert_eq!(before["total"], 3);
    let (status, erased) = admin
        .send("DELETE", &format!("/api/v1/contacts/{tw}"), None)
        .await;
    assert_eq!(status, 200, "{erased}");
    assert_eq!(erased["erased"]["messages"], 2);
    let (_, after) = admin.get("/api/v1/search?q=Zauberwort").await;
    assert_eq!(after["total"], 1, "{after}");
    assert_eq!(after["hits"][0]["message"]["author"], "other");
    let (_, gone) = admin
        .get("/api/v1/contacts?channel=twitter&handle=erika_tw")
        .await;
    assert!(gone["error"].is_object(), "{gone}");
    let (_, audit) = admin.get("/api/v1/audit").await;
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "contact.erase")
    );
    // The erased text is not in the audit log either.
    assert!(!audit.to_string().contains("Rechnung"));
    server.stop().await;
}

#[tokio::test]
async fn signed_webhook_intake() {
    let secret = "whsec-test";
    let config = web::ServerConfig {
        webhook_secret: Some(secret.into()),
        ..Default::default()
    };
    let server = TestServer::start_with(config).await;
    let body = serde_json::to_vec(&json!([message("w1", "x", "via webhook", None)])).unwrap();
    let now = chrono::Utc::now().timestamp();
    let http = reqwest::Client::new();
    let send = |ts: i64, sig: String| {
        http.post(server.url("/api/v1/webhooks/shop"))
            .header("content-type", "application/json")
            .header("x-kundenversteher-timestamp", ts.to_string())
            .header("x-kundenversteher-signature", sig)
            .body(body.clone())
            .send()
    };
    let ok = send(now, web::api::messages::sign(secret, now, &body))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let bad = send(now, web::api::messages::sign("wrong", now, &body))
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let old = send(
        now - 3600,
        web::api::messages::sign(secret, now - 3600, &body),
    )
    .await
    .unwrap();
    assert_eq!(old.status(), 401);
    server.stop().await;
}

#[tokio::test]
async fn report_figures_over_the_api() {
    let server = TestServer::start().await;
    let ingest = server.token("ingest").await;
    let lead = server.login_as("lena", "lead").await;
    let question = message("10", "kunde10", "Wo bleibt meine Erstattung?", None);
    let mut reply = message(
        "11",
        "FirmaHilfe",
        "Die Erstattung ist unterwegs.",
        Some("10"),
    );
    reply["direction"] = json!("outbound");
    reply["created_at"] = json!("2026-11-24T10:30:00Z");
    let unanswered = message("12", "kunde12", "Hallo? Niemand da?", None);
    let (status, body) = ingest
        .post("/api/v1/messages", json!([question, reply, unanswered]))
        .await;
    assert_eq!(status, 200, "{body}");
    server.settle().await;
    let (status, report) = lead.get("/api/v1/report").await;
    assert_eq!(status, 200, "{report}");
    assert!(report["method"].is_object(), "{report}");
    // Groups are by brand by default: the answered conversation belongs to the brand that
    // replied, the unanswered one to no brand.
    let groups = report["groups"].as_array().expect("groups");
    let sum = |key: &str| {
        groups
            .iter()
            .map(|g| g[key].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    assert_eq!(sum("inbound_conversations"), 2, "{report}");
    assert_eq!(sum("responded_conversations"), 1, "{report}");
    let brand = groups
        .iter()
        .find(|g| g["key"] == "FirmaHilfe")
        .expect("brand group");
    assert_eq!(brand["response_rate"], 1.0, "{report}");
    assert_eq!(brand["first_response_time_s"]["median"], 1800.0, "{report}");
}
