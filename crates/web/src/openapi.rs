//! The OpenAPI 3.1 document, generated from the endpoint table in `api/mod.rs` plus the
//! schemas below. Hand-built rather than derived (utoipa): the table already holds path,
//! method, permission and summary, and one source keeps router and document in step (a test
//! checks every routed path appears here).

use serde_json::{Map, Value, json};

use crate::api::endpoints;
use crate::auth::Permission;

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for e in endpoints() {
        let entry = paths
            .entry(e.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        let mut parameters: Vec<Value> = path_params(e.path)
            .into_iter()
            .map(|name| {
                json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}})
            })
            .collect();
        for (name, description) in e.query {
            parameters.push(json!({"name": name, "in": "query", "required": false,
                "description": description, "schema": {"type": "string"}}));
        }
        let mut op = json!({
            "summary": e.summary,
            "tags": [e.tag],
            "operationId": operation_id(e.method.as_str(), e.path),
            "x-permission": e.permission.as_str(),
            "parameters": parameters,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {}}},
                "400": {"$ref": "#/components/responses/Error"},
            },
        });
        match e.permission {
            Permission::Public => {
                op["security"] = json!([]);
            }
            Permission::Signed => {
                op["security"] = json!([{"webhookSignature": []}]);
                op["responses"]["401"] = json!({"$ref": "#/components/responses/Error"});
            }
            _ => {
                op["responses"]["401"] = json!({"$ref": "#/components/responses/Error"});
                op["responses"]["403"] = json!({"$ref": "#/components/responses/Error"});
            }
        }
        if let Some(schema) = e.request {
            op["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
            });
        }
        entry[e.method.as_str().to_ascii_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Kundenversteher API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "JSON API of Kundenversteher. Every operation lists the permission it needs in `x-permission`; docs/API.md has the table of roles and scopes.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "API token from `kundenversteher token create`"},
                "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE},
                "webhookSignature": {"type": "apiKey", "in": "header", "name": "X-Kundenversteher-Signature",
                    "description": "`sha256=` + hex HMAC-SHA256 over `TIMESTAMP.BODY` with the shared secret; TIMESTAMP (unix seconds) in X-Kundenversteher-Timestamp"},
            },
            "responses": {
                "Error": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
            "schemas": schemas(),
        },
    })
}

fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_ascii_lowercase();
    for seg in path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "api" && *s != "v1")
    {
        id.push('_');
        id.extend(seg.chars().filter(|c| c.is_alphanumeric() || *c == '_'));
    }
    id.replace(".json", "")
}

fn schemas() -> Value {
    json!({
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string", "description": "stable machine-readable code"},
                "message": {"type": "string", "description": "names the field when the input is at fault"}
            }}}
        },
        "Login": {"type": "object", "required": ["name", "password"], "properties": {
            "name": {"type": "string"}, "password": {"type": "string", "format": "password"}}},
        "MeUpdate": {"type": "object", "required": ["language"], "properties": {
            "language": {"type": "string", "enum": ["de", "en"]}}},
        "NewUser": {"type": "object", "required": ["name", "role", "password"], "properties": {
            "name": {"type": "string"}, "role": {"type": "string", "enum": ["agent", "lead", "executive", "admin"]},
            "password": {"type": "string", "minLength": 10}}},
        "NewToken": {"type": "object", "required": ["name", "scopes"], "properties": {
            "name": {"type": "string"},
            "scopes": {"type": "array", "items": {"type": "string", "enum": ["ingest", "read", "act", "admin"]}}}},
        "Message": {
            "type": "object",
            "description": "One message in the JSONL interchange schema (docs/JSONL.md).",
            "required": ["channel", "external_id", "author", "text", "created_at", "direction", "visibility"],
            "properties": {
                "channel": {"type": "string"}, "external_id": {"type": "string"},
                "author": {"type": "string"}, "author_name": {"type": "string"},
                "text": {"type": "string", "maxLength": model::MAX_TEXT_BYTES},
                "created_at": {"type": "string", "format": "date-time"},
                "in_reply_to": {"type": "string"},
                "direction": {"type": "string", "enum": ["inbound", "outbound"]},
                "visibility": {"type": "string", "enum": ["public", "private"]},
                "language": {"type": "string"}, "brand": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "raw": {"type": "string"}
            }
        },
        "Text": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
        "Assign": {"type": "object", "required": ["assignee"], "properties": {"assignee": {"type": ["string", "null"]}}},
        "State": {"type": "object", "required": ["state"], "properties": {"state": {"type": "string", "enum": ["open", "pending", "resolved"]}}},
        "Label": {"type": "object", "required": ["task", "label"], "properties": {"task": {"type": "string"}, "label": {"type": "string"}}},
        "Merge": {"type": "object", "required": ["into"], "properties": {"into": {"type": "integer"}}},
        "WorkflowConfig": {
            "type": "object",
            "description": "The workflow configuration (docs/WORKFLOW.md, crates/workflow/example.toml): teams, routing, assignment, priority, calendars, sla, escalation, executives, canned. Send it as JSON, or as TOML with `Content-Type: application/toml`; 422 names the field of a mistake.",
            "required": ["routing"],
            "properties": {
                "teams": {"type": "array", "items": {"type": "object"}},
                "routing": {"type": "object", "required": ["default_team"]},
                "assignment": {"type": "string", "enum": ["round_robin", "least_loaded"]},
                "sla": {"type": "array", "items": {"type": "object"}},
            }},
        "NewWebhook": {"type": "object", "required": ["url"], "properties": {
            "url": {"type": "string", "description": "http(s) address, at most 2048 bytes"},
            "secret": {"type": "string", "description": "HMAC secret; generated (and returned once) when absent"}}},
        "MessageBatch": {"oneOf": [
            {"$ref": "#/components/schemas/Message"},
            {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
            {"type": "object", "required": ["messages"], "properties": {"messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}}}}
        ]},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_is_documented_once() {
        let doc = document();
        let mut seen = std::collections::HashSet::new();
        for e in endpoints() {
            let op = &doc["paths"][e.path][e.method.as_str().to_ascii_lowercase()];
            assert!(op.is_object(), "{e:?} missing from the document");
            assert_eq!(op["x-permission"], e.permission.as_str());
            assert!(
                seen.insert((e.method.clone(), e.path)),
                "{e:?} twice in the table"
            );
            if let Some(schema) = e.request {
                assert!(
                    doc["components"]["schemas"][schema].is_object(),
                    "schema {schema}"
                );
            }
        }
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
