-- 0203: an agent can set a conversation back to open; that is a clock event too
-- ('reopened'). SQLite cannot change a CHECK constraint, so the table is rebuilt.
CREATE TABLE clock_events_new (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    kind TEXT NOT NULL CHECK (kind IN ('pending', 'resolved', 'reopened')),
    at TEXT NOT NULL
);
INSERT INTO clock_events_new (id, conversation_id, kind, at)
    SELECT id, conversation_id, kind, at FROM clock_events;
DROP TABLE clock_events;
ALTER TABLE clock_events_new RENAME TO clock_events;
CREATE INDEX clock_events_conversation ON clock_events (conversation_id, at);
