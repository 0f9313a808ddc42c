//! The workflow configuration, webhook receivers and notification log over the API, and the
//! admin page's forms that edit the same configuration: versions, validation with the place
//! of a mistake named, permissions, secrets shown once, CSRF.

use serde_json::{Value, json};

use crate::harness::{Client, TestServer};

const EXAMPLE_TOML: &str = include_str!("../../../workflow/example.toml");

fn small_config() -> Value {
    json!({
        "teams": [
            {"id": "technik", "name": "Technik", "skills": {"topics": ["stoerung"]},
             "members": [{"id": "tina", "capacity": 3}, {"id": "lars", "role": "lead"}]},
            {"id": "service"}
        ],
        "routing": {
            "default_team": "service",
            "rules": [{"name": "outages", "team": "technik", "when": {"topics": ["stoerung"]}}]
        }
    })
}

async fn put_toml(client: &Client, text: &str) -> (u16, Value) {
    let resp = client
        .http
        .put(format!("{}/api/v1/workflow", client.base))
        .header("content-type", "application/toml")
        .body(text.to_owned())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn configuration_is_versioned_validated_and_audited() {
    let server = TestServer::start().await;
    let admin = server.login_as("adam", "admin").await;
    let lead = server.login_as("lea", "lead").await;

    let (status, body) = admin.get("/api/v1/workflow").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"version": null, "config": null}));

    let (status, saved) = admin
        .send("PUT", "/api/v1/workflow", Some(small_config()))
        .await;
    assert_eq!(status, 200, "{saved}");
    let v1 = saved["version"].as_i64().unwrap();
    let (_, got) = lead.get("/api/v1/workflow").await;
    assert_eq!(got["version"], v1);
    assert_eq!(got["config"]["teams"][0]["members"][0]["id"], "tina");
    assert_eq!(got["config"]["routing"]["rules"][0]["team"], "technik");
    // defaults are filled in and written out
    assert_eq!(got["config"]["teams"][1]["members"], json!([]));
    assert_eq!(got["config"]["routing"]["by_skill"], true);

    // TOML works too: the documented example.
    let (status, saved) = put_toml(&admin, EXAMPLE_TOML).await;
    assert_eq!(status, 200, "{saved}");
    let v2 = saved["version"].as_i64().unwrap();
    assert!(v2 > v1);
    let (_, got) = admin.get("/api/v1/workflow").await;
    assert_eq!(got["config"]["teams"].as_array().unwrap().len(), 3);
    assert_eq!(got["config"]["assignment"], "least_loaded");
    // What GET answers can be PUT back unchanged (the API's round trip).
    let (status, again) = admin
        .send("PUT", "/api/v1/workflow", Some(got["config"].clone()))
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["config"], got["config"]);

    // Mistakes are refused with 422 naming the place, and nothing is saved.
    let mut bad = small_config();
    bad["routing"]["rules"][0]["team"] = json!("marketing");
    let (status, err) = admin.send("PUT", "/api/v1/workflow", Some(bad)).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"]["code"], "invalid_config");
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("routing.rules[0]") && msg.contains("marketing"),
        "{msg}"
    );
    let mut bad = small_config();
    bad["teams"][0]["members"][0]["capacity"] = json!("viele");
    let (status, err) = admin.send("PUT", "/api/v1/workflow", Some(bad)).await;
    assert_eq!(status, 422, "{err}");
    let mut bad = small_config();
    bad["routing"]["colour"] = json!(1);
    let (status, err) = admin.send("PUT", "/api/v1/workflow", Some(bad)).await;
    assert_eq!(status, 422, "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("colour"));
    let (status, err) = put_toml(
        &admin,
        "[routing]\ndefault_team = \"a\"\n[[teams]]\nid = \"a\"\n[[sla]]\nname = \"p\"\ncalendar = \"mars\"\n",
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sla[0] (`p`): calendar `mars`"),
        "{err}"
    );
    let (status, err) = put_toml(&admin, "[routing\n").await;
    assert_eq!(status, 422, "{err}");
    let (_, got) = admin.get("/api/v1/workflow").await;
    assert!(got["version"].as_i64().unwrap() > v2);
    assert_eq!(
        got["config"]["teams"].as_array().unwrap().len(),
        3,
        "unchanged"
    );

    // Only admins write.
    let (status, _) = lead
        .send("PUT", "/api/v1/workflow", Some(small_config()))
        .await;
    assert_eq!(status, 403);

    let (_, audit) = admin.get("/api/v1/audit").await;
    let saves = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "workflow.save")
        .count();
    assert_eq!(saves, 3, "{audit}");
    server.stop().await;
}

#[tokio::test]
async fn webhooks_keep_their_secret_and_notifications_are_listed() {
    let server = TestServer::start().await;
    let admin = server.login_as("adam", "admin").await;
    let agent = server.login_as("anna", "agent").await;

    for (url, why) in [
        ("ftp://hooks.example.com/x", "http"),
        ("javascript:alert(1)", "http"),
        ("https://", "host"),
        ("https://exa mple.com/x", "spaces"),
    ] {
        let (status, err) = admin.post("/api/v1/webhooks", json!({"url": url})).await;
        assert_eq!(status, 400, "{url}: {err}");
        let msg = err["error"]["message"].as_str().unwrap();
        assert!(msg.contains("`url`") && msg.contains(why), "{url}: {msg}");
    }
    let long = format!("https://hooks.example.com/{}", "a".repeat(3000));
    let (status, _) = admin.post("/api/v1/webhooks", json!({"url": long})).await;
    assert_eq!(status, 400);
    let (status, _) = admin
        .post(
            "/api/v1/webhooks",
            json!({"url": "https://h.example.com", "secret": "short"}),
        )
        .await;
    assert_eq!(status, 400);

    let (status, created) = admin
        .post(
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/hook"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32, "a generated secret: {secret}");
    let id = created["webhook"]["id"].as_i64().unwrap();
    let (status, list) = admin.get("/api/v1/webhooks").await;
    assert_eq!(status, 200);
    assert_eq!(list["webhooks"][0]["url"], "http://127.0.0.1:9/hook");
    assert!(
        !list.to_string().contains(&secret) && list["webhooks"][0].get("secret").is_none(),
        "the secret is never listed: {list}"
    );
    // The store keeps it for signing.
    let stored = server.state.read(|s| s.webhooks()).await.unwrap();
    assert_eq!(stored[0].secret, secret);
    let (status, _) = agent.get("/api/v1/webhooks").await;
    assert_eq!(status, 403);

    let (status, _) = admin
        .send("DELETE", &format!("/api/v1/webhooks/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = admin
        .send("DELETE", &format!("/api/v1/webhooks/{id}"), None)
        .await;
    assert_eq!(status, 404);
    let (_, list) = admin.get("/api/v1/webhooks").await;
    assert_eq!(list["webhooks"], json!([]));

    // The notification log, filtered by conversation.
    server
        .state
        .db(|s| {
            let at = chrono::Utc::now();
            s.log_notification("sla.escalation", Some(7), &json!({"step": 1}), at)?;
            s.log_notification("sla.escalation", Some(7), &json!({"step": 2}), at)?;
            s.log_notification("alert", None, &json!({"key": "c1"}), at)
        })
        .await
        .unwrap();
    let (status, all) = agent.get("/api/v1/notifications").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["notifications"].as_array().unwrap().len(), 3);
    let (_, seven) = agent.get("/api/v1/notifications?conversation=7").await;
    let steps: Vec<i64> = seven["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["body"]["step"].as_i64().unwrap())
        .collect();
    assert_eq!(steps, [2, 1], "newest first");
    let (status, _) = agent.get("/api/v1/notifications?conversation=x").await;
    assert_eq!(status, 400);
    server.stop().await;
}

/// The session's CSRF token, for form posts.
async fn csrf(client: &Client) -> String {
    let (_, me) = client.get("/api/v1/me").await;
    me["csrf"].as_str().unwrap().to_owned()
}

async fn post_form(client: &Client, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let resp = client
        .http
        .post(format!("{}{path}", client.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish(),
        )
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn version(client: &Client) -> String {
    let (_, got) = client.get("/api/v1/workflow").await;
    got["version"]
        .as_i64()
        .map(|v| v.to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn admin_page_forms_save_versions_and_show_mistakes() {
    let server = TestServer::start().await;
    let admin = server.login_as("adam", "admin").await;
    let (status, _) = admin
        .send("PATCH", "/api/v1/me", Some(json!({"language": "en"})))
        .await;
    assert_eq!(status, 200);
    let token = csrf(&admin).await;

    // Without the CSRF field nothing happens.
    let (status, _) = post_form(
        &admin,
        "/admin/workflow",
        &[("action", "team.save"), ("id", "technik"), ("version", "")],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(version(&admin).await, "");

    // The first team becomes the default team.
    let (status, page) = post_form(
        &admin,
        "/admin/workflow",
        &[
            ("csrf", &token),
            ("version", ""),
            ("action", "team.save"),
            ("id", "technik"),
            ("name", "Technik <Stör>"),
            ("topics", "stoerung, internet"),
            ("languages", "de,en"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        (page.contains("Technik &lt;Stör&gt;") || page.contains("Technik &#60;Stör&#62;"))
            && !page.contains("Technik <Stör>"),
        "admin text is escaped"
    );
    let v = version(&admin).await;
    assert!(!v.is_empty());
    let (_, got) = admin.get("/api/v1/workflow").await;
    assert_eq!(got["config"]["routing"]["default_team"], "technik");
    assert_eq!(
        got["config"]["teams"][0]["skills"]["topics"],
        json!(["stoerung", "internet"])
    );

    let fields = [
        ("csrf", token.as_str()),
        ("version", v.as_str()),
        ("action", "member.save"),
        ("team", "technik"),
        ("id", "tina"),
        ("role", "lead"),
        ("capacity", "4"),
    ];
    let (status, _) = post_form(&admin, "/admin/workflow", &fields).await;
    assert_eq!(status, 200);
    let v = version(&admin).await;
    let (status, _) = post_form(
        &admin,
        "/admin/workflow",
        &[
            ("csrf", &token),
            ("version", &v),
            ("action", "rule.save"),
            ("name", "outages"),
            ("team", "technik"),
            ("topics", "stoerung"),
            ("visibility", "public"),
            ("min_negativity", "0.6"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let (_, got) = admin.get("/api/v1/workflow").await;
    assert_eq!(got["config"]["teams"][0]["members"][0]["role"], "lead");
    let rule = &got["config"]["routing"]["rules"][0];
    assert_eq!(rule["when"]["visibility"], "public");
    let neg = rule["when"]["min_negativity"].as_f64().unwrap();
    assert!((neg - 0.6).abs() < 1e-6, "{neg}");

    // A rule for a team that does not exist: refused by the workflow validation, shown.
    let v = version(&admin).await;
    let (status, page) = post_form(
        &admin,
        "/admin/workflow",
        &[
            ("csrf", &token),
            ("version", &v),
            ("action", "rule.save"),
            ("name", "marketing"),
            ("team", "marketing"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("Not saved:") && page.contains("team `marketing` is not defined"),
        "{}",
        &page[..page.len().min(2000)]
    );
    // Removing the team the rule uses: refused the same way.
    let (status, page) = post_form(
        &admin,
        "/admin/workflow",
        &[
            ("csrf", &token),
            ("version", &v),
            ("action", "team.delete"),
            ("id", "technik"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("routing.rules[0]"));
    // A form mistake names the field.
    let (status, page) = post_form(
        &admin,
        "/admin/workflow",
        &[
            ("csrf", &token),
            ("version", &v),
            ("action", "sla.save"),
            ("name", "fast"),
            ("calendar", "always"),
            ("first", "soon"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("First response: a whole number of minutes"));
    assert_eq!(version(&admin).await, v, "nothing saved");

    // An edit based on an old version does not overwrite a newer one.
    let (status, page) = post_form(
        &admin,
        "/admin/workflow",
        &[
            ("csrf", &token),
            ("version", "1"),
            ("action", "team.save"),
            ("id", "billing"),
        ],
    )
    .await;
    assert_eq!(status, 409);
    assert!(page.contains("changed meanwhile"));

    // SLA policy and webhook through the page; the secret is shown once.
    let (status, _) = post_form(
        &admin,
        "/admin/workflow",
        &[
            ("csrf", &token),
            ("version", &v),
            ("action", "sla.save"),
            ("name", "social"),
            ("channels", "twitter"),
            ("priorities", "high"),
            ("priorities", "urgent"),
            ("calendar", "always"),
            ("first", "30"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let (_, got) = admin.get("/api/v1/workflow").await;
    assert_eq!(
        got["config"]["sla"][0]["when"]["priorities"],
        json!(["high", "urgent"])
    );
    let (status, page) = post_form(
        &admin,
        "/admin/webhooks",
        &[
            ("csrf", &token),
            ("action", "add"),
            ("url", "https://hooks.example.com/kv"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let secret = server.state.read(|s| s.webhooks()).await.unwrap()[0]
        .secret
        .clone();
    assert!(page.contains(&secret), "shown once after creation");
    let resp = admin.http.get(server.url("/admin")).send().await.unwrap();
    let page = resp.text().await.unwrap();
    assert!(page.contains("https://hooks.example.com/kv"));
    assert!(!page.contains(&secret), "and never again");
    let (status, page) = post_form(
        &admin,
        "/admin/webhooks",
        &[
            ("csrf", &token),
            ("action", "add"),
            ("url", "file:///etc/passwd"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("Not saved:") && page.contains("`url`"));

    // The inbox offers the configured teams and members as filters.
    let resp = admin
        .http
        .get(server.url("/inbox?team=technik&sla=breached"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("<option value=\"technik\" selected>"),
        "team choice"
    );
    assert!(page.contains("<option value=\"tina\">"), "member choice");
    server.stop().await;
}
