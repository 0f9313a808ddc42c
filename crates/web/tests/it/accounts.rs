//! Accounts: login, sessions with CSRF, tokens, roles.

use serde_json::json;

use crate::harness::TestServer;

#[tokio::test]
async fn health_is_public_and_the_api_needs_auth() {
    let server = TestServer::start().await;
    let anon = server.anonymous();
    let (status, body) = anon.get("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    let (status, body) = anon.get("/api/v1/me").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthenticated");
    let (status, body) = anon.get("/api/v1/nothing-here").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    server.stop().await;
}

#[tokio::test]
async fn login_session_csrf_and_logout() {
    let server = TestServer::start().await;
    let admin = server.login_as("root", "admin").await;
    let (status, me) = admin.get("/api/v1/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["role"], "admin");
    assert!(
        me["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("data_rights"))
    );

    // A cookie-authenticated unsafe request without the CSRF header is refused.
    let cookie_only = reqwest::Client::new();
    let (status, _) = admin.get("/api/v1/me").await;
    assert_eq!(status, 200);
    let resp = cookie_only
        .post(server.url("/api/v1/tokens"))
        .header("cookie", "kv_session=bogus")
        .json(&json!({"name": "x", "scopes": ["read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    // Token creation shows the secret once; the token then works.
    let (status, created) = admin
        .post(
            "/api/v1/tokens",
            json!({"name": "ci", "scopes": ["ingest", "read"]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("kv_"));
    let (_, list) = admin.get("/api/v1/tokens").await;
    assert!(
        !list.to_string().contains(secret),
        "secret must not be listed"
    );
    let resp = reqwest::Client::new()
        .get(server.url("/api/v1/me"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // Bad input names the field.
    let (status, err) = admin
        .post(
            "/api/v1/tokens",
            json!({"name": "ci2", "scopes": ["wirte"]}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        err["error"]["message"].as_str().unwrap().contains("scopes"),
        "{err}"
    );
    let (status, err) = admin
        .post("/api/v1/tokens", json!({"scopes": ["read"]}))
        .await;
    assert_eq!(status, 400);
    assert!(
        err["error"]["message"].as_str().unwrap().contains("name"),
        "{err}"
    );

    // Wrong password.
    let (status, err) = server
        .anonymous()
        .post(
            "/api/v1/session",
            json!({"name": "root", "password": "nope"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["code"], "bad_credentials");

    // Logout ends the session.
    let (status, _) = admin.send("DELETE", "/api/v1/session", None).await;
    assert_eq!(status, 204);
    let (status, _) = admin.get("/api/v1/me").await;
    assert_eq!(status, 401);
    server.stop().await;
}

#[tokio::test]
async fn agent_may_not_administer() {
    let server = TestServer::start().await;
    let agent = server.login_as("anna", "agent").await;
    let (status, body) = agent.get("/api/v1/users").await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "forbidden");
    server.stop().await;
}
