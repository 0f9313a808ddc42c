-- 0200: workflow state the server keeps (crates/workflow holds the rules): the workflow
-- configuration in versions, assignments, the clock events the messages do not carry
-- (pending, resolved), escalation steps already sent. (Knowledge-base articles are in 0190.)
-- Timestamps in the store's one text form (see time.rs).
CREATE TABLE workflow_config (
    version INTEGER PRIMARY KEY,
    toml TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
CREATE TABLE assignments (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    team TEXT NOT NULL,
    member TEXT,
    assigned_at TEXT NOT NULL,
    released_at TEXT
);
CREATE INDEX assignments_open ON assignments (conversation_id) WHERE released_at IS NULL;
CREATE TABLE clock_events (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    kind TEXT NOT NULL CHECK (kind IN ('pending', 'resolved')),
    at TEXT NOT NULL
);
CREATE INDEX clock_events_conversation ON clock_events (conversation_id, at);
CREATE TABLE escalations_fired (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    target TEXT NOT NULL,
    step INTEGER NOT NULL,
    fired_at TEXT NOT NULL
);
CREATE INDEX escalations_fired_conversation ON escalations_fired (conversation_id);
