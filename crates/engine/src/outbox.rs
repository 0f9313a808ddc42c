//! Telling people: every notification the live stages produce (an assignment, an escalation
//! step, an alert) is logged in the store first and then queued for the webhooks. The log is
//! what the pages show; the webhook queue never blocks the pipeline (see `notify`).

use model::Timestamp;
use serde_json::{Value, json};

use crate::Db;

/// Webhook event names, stable for receivers (docs/WORKFLOW.md lists the bodies).
pub mod event {
    pub const ASSIGNED: &str = "conversation.assigned";
    pub const QUEUED: &str = "conversation.queued";
    pub const ESCALATION: &str = "sla.escalation";
    pub const ALERT: &str = "alert";
}

/// The notification log plus, when webhooks are configured, the notifier.
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    notifier: Option<notify::Notifier>,
}

impl Outbox {
    /// Log only (batch replays, or no tokio runtime for the webhook task).
    pub fn log_only() -> Self {
        Outbox { notifier: None }
    }

    pub fn with_notifier(notifier: notify::Notifier) -> Self {
        Outbox {
            notifier: Some(notifier),
        }
    }

    pub fn notifier(&self) -> Option<&notify::Notifier> {
        self.notifier.as_ref()
    }

    /// Logs and queues `{"event": kind, "at": at, "conversation_id": …, …fields}`.
    pub fn send(
        &self,
        db: &Db,
        kind: &str,
        conversation_id: Option<i64>,
        at: Timestamp,
        fields: Value,
    ) {
        let mut body = json!({"event": kind, "at": at, "conversation_id": conversation_id});
        if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), fields) {
            b.extend(extra);
        }
        if let Err(error) = db.write(|s| s.log_notification(kind, conversation_id, &body, at)) {
            tracing::error!(message = "logging a notification", %error, kind);
        }
        metrics::counter!("notifications_total", "event" => kind.to_owned()).increment(1);
        if let Some(n) = &self.notifier
            && let Err(error) = n.send(&body)
        {
            tracing::error!(message = "queueing a webhook", %error, kind);
        }
    }

    /// Makes the notifier deliver to the webhooks stored now (called on every tick; cheap).
    pub fn refresh_webhooks(&self, db: &Db) {
        let Some(n) = &self.notifier else {
            return;
        };
        match db.read(|s| s.webhooks()) {
            Ok(rows) => {
                let hooks: Vec<notify::Webhook> = rows
                    .into_iter()
                    .map(|w| notify::Webhook {
                        url: w.url,
                        secret: w.secret,
                    })
                    .collect();
                if *n.webhooks() != hooks {
                    n.set_webhooks(hooks);
                }
            }
            Err(error) => tracing::error!(message = "reading webhooks", %error),
        }
    }
}
