-- 0191: a customer's other conversations are found through their identities; without this
-- index that lookup scans every message.
CREATE INDEX IF NOT EXISTS messages_by_identity ON messages(identity_id);
