-- 0201: who is told (webhook receivers, editable by admins) and what was told (the log of
-- every notification the live workflow produced: assignments, warnings, escalations, alerts).
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    conversation_id INTEGER,
    body TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX notifications_by_conversation ON notifications (conversation_id, id);
