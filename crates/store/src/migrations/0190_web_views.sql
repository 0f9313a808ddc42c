-- 0190: what the web interface reads fast and keeps itself: inbox ordering indexes and the
-- knowledge-base articles (public pages at /kb, searchable with FTS5).
CREATE INDEX IF NOT EXISTS conversations_by_last ON conversations(last_at);
CREATE INDEX IF NOT EXISTS conversations_by_state_last ON conversations(state, last_at);
CREATE INDEX IF NOT EXISTS identities_by_handle ON identities(handle);

CREATE TABLE kb_articles (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    language TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    source_conversation INTEGER,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE VIRTUAL TABLE kb_search USING fts5(title, body, content='kb_articles', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER kb_articles_ai AFTER INSERT ON kb_articles BEGIN
  INSERT INTO kb_search(rowid, title, body) VALUES (new.id, new.title, new.body);
END;
