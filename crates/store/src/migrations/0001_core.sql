-- 0001: the core schema: contacts with identities, conversations, messages, analyses.
-- Timestamps are TEXT in one fixed-width form, RFC 3339 UTC with nanoseconds
-- (`2017-10-31T22:10:47.000000000Z`): exact (export is lossless), human readable, and sorting
-- them as text sorts them in time.

-- A person or organisation we talk to. Several identities can point to one contact; merging two
-- contacts moves the identities and leaves the old row with `merged_into` set.
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    display_name TEXT,
    created_at TEXT NOT NULL,
    merged_into INTEGER REFERENCES contacts(id)
);

-- A handle on one channel (twitter user id, email address). Messages point to identities, not
-- contacts, so merging contacts never rewrites messages.
CREATE TABLE identities (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    channel TEXT NOT NULL,
    handle TEXT NOT NULL,
    UNIQUE (channel, handle)
);
CREATE INDEX identities_by_contact ON identities(contact_id);

-- A thread rebuilt from reply chains. `root_external_id` is the top of the chain: the first
-- message, or, while replies arrived before it, the id they reply to (not stored yet).
-- state: open (the customer spoke last), pending (we answered, waiting for the customer),
-- resolved (closed by an agent or a rule; a newer customer message reopens it).
-- AUTOINCREMENT: ids of merged (deleted) conversations are never handed out again, so nothing
-- that remembered an old id (a note, a batch in flight) can land in an unrelated thread.
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    root_external_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'pending', 'resolved')),
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL,
    last_direction TEXT NOT NULL CHECK (last_direction IN ('inbound', 'outbound')),
    message_count INTEGER NOT NULL,
    UNIQUE (channel, root_external_id)
);

-- One message; the columns are the fields of `model::Message` (labels as a JSON object or NULL).
-- (channel, external_id) is the idempotency key.
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    identity_id INTEGER NOT NULL REFERENCES identities(id),
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    author TEXT NOT NULL,
    author_name TEXT,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    in_reply_to TEXT,
    direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
    language TEXT,
    brand TEXT,
    labels TEXT,
    raw TEXT,
    UNIQUE (channel, external_id)
);
CREATE INDEX messages_by_conversation ON messages(conversation_id);
CREATE INDEX messages_by_time ON messages(created_at);

-- What the analysis pipeline learnt about a message: JSON of `model::Analysis`; NULL = queued
-- or not analysable.
CREATE TABLE analyses (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id),
    analysis TEXT,
    model_version TEXT,
    analyzed_at TEXT NOT NULL
);
