//! Every route from the endpoint table (the same table the OpenAPI document is built from):
//! 401 without credentials, 403 for roles and scopes that lack the permission.

use serde_json::json;
use web::Permission;

use crate::harness::TestServer;

fn concrete(path: &str) -> String {
    path.replace("{id}", "1")
        .replace("{source}", "shop")
        .replace("{slug}", "x")
}

#[tokio::test]
async fn every_route_needs_the_right_credentials() {
    let server = TestServer::start().await;
    let anon = server.anonymous();
    let agent = server.login_as("anna", "agent").await;
    let exec = server.login_as("eva", "executive").await;
    let lead = server.login_as("lea", "lead").await;
    let ingest_only = server.token("ingest").await;
    let read_only = server.token("read").await;

    // The document lists exactly the table's routes.
    let (_, doc) = anon.get("/api/openapi.json").await;
    let endpoints = web::api::endpoints();
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(documented, endpoints.len());

    for e in &endpoints {
        let path = concrete(e.path);
        let method = e.method.as_str();
        let body = (method != "GET" && method != "DELETE").then(|| json!({}));
        let (status, _) = anon.send(method, &path, body.clone()).await;
        match e.permission {
            Permission::Public => assert_ne!(status, 401, "{e:?} is public"),
            _ => assert_eq!(status, 401, "{e:?} without credentials"),
        }
        let checks = [
            (&agent, web::Role::Agent.permissions(), "agent"),
            (&exec, web::Role::Executive.permissions(), "executive"),
            (&lead, web::Role::Lead.permissions(), "lead"),
            (
                &ingest_only,
                web::Scope::Ingest.permissions(),
                "ingest token",
            ),
            (&read_only, web::Scope::Read.permissions(), "read token"),
        ];
        for (client, perms, who) in checks {
            if matches!(e.permission, Permission::Public | Permission::Signed) {
                continue;
            }
            let (status, body) = client.send(method, &path, body.clone()).await;
            if perms.contains(e.permission) {
                assert!(
                    status != 401 && status != 403,
                    "{e:?} as {who}: {status} {body}"
                );
            } else {
                assert_eq!(status, 403, "{e:?} as {who}: {body}");
            }
        }
    }
    server.stop().await;
}
