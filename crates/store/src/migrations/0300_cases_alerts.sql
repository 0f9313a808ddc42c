-- 0300: cases (groups of similar customer messages, kept by the live case stage) and the
-- early-warning alerts (latest event per alert, with acknowledgement).
CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    label TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    size INTEGER NOT NULL,
    customers INTEGER NOT NULL,
    negative INTEGER NOT NULL DEFAULT 0,
    topics TEXT NOT NULL DEFAULT '',
    channels TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
CREATE INDEX cases_by_last_seen ON cases (last_seen DESC);
CREATE TABLE case_messages (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    message_id INTEGER NOT NULL REFERENCES messages(id),
    PRIMARY KEY (case_id, message_id)
) WITHOUT ROWID;
CREATE INDEX case_messages_by_message ON case_messages (message_id);
CREATE TABLE alerts (
    alert_id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    event TEXT NOT NULL,
    severity TEXT NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    alert TEXT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at TEXT
);
CREATE INDEX alerts_by_started ON alerts (started_at DESC);
