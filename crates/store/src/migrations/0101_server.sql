-- 0101: what the live server keeps per conversation for fast filtering and sorting (facets
-- from the latest customer message's analysis, case, assignee, priority), and a record of
-- contact merges so they can be undone.
CREATE TABLE conversation_facets (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id),
    language TEXT,
    sentiment TEXT,
    topics TEXT NOT NULL DEFAULT '',
    case_id INTEGER,
    assignee TEXT,
    priority REAL NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE INDEX facets_by_priority ON conversation_facets(priority DESC, conversation_id DESC);
CREATE INDEX facets_by_assignee ON conversation_facets(assignee);
CREATE TABLE contact_merges (
    id INTEGER PRIMARY KEY,
    from_contact INTEGER NOT NULL,
    into_contact INTEGER NOT NULL,
    identity_ids TEXT NOT NULL,
    merged_at TEXT NOT NULL,
    undone_at TEXT
);
