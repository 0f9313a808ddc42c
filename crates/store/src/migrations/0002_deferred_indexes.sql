-- 0002: secondary indexes a bulk import into an empty store drops and builds once at the end
-- (sorting once is far cheaper than a million random B-tree inserts). The definitions wait
-- here, in the same transaction as the DROP, so a killed import loses none: the next import,
-- or the next open when no import holds the lock, builds them again (messages.rs).
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY,
    sql TEXT NOT NULL
);
