-- 0301: member messages of each case per day, kept by triggers on case_messages, so the cases
-- page draws its sparklines from a few rows per case instead of joining every member message
-- (a join over 63 k members took 200 ms at 1 M messages; the page's goal is 100 ms).
CREATE TABLE case_days (
    case_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (case_id, day)
) WITHOUT ROWID;
INSERT INTO case_days (case_id, day, n)
    SELECT cm.case_id, substr(m.created_at, 1, 10), COUNT(*)
    FROM case_messages cm JOIN messages m ON m.id = cm.message_id
    GROUP BY cm.case_id, substr(m.created_at, 1, 10);
-- `INSERT OR IGNORE` of a member already stored inserts no row, so this does not fire for it.
CREATE TRIGGER case_days_on_member AFTER INSERT ON case_messages BEGIN
    INSERT INTO case_days (case_id, day, n)
        SELECT NEW.case_id, substr(created_at, 1, 10), 1 FROM messages WHERE id = NEW.message_id
        ON CONFLICT (case_id, day) DO UPDATE SET n = n + 1;
END;
-- Erasure deletes the member before its message, so the message's day is still there.
CREATE TRIGGER case_days_on_member_gone AFTER DELETE ON case_messages BEGIN
    UPDATE case_days SET n = n - 1
        WHERE case_id = OLD.case_id
          AND day = (SELECT substr(created_at, 1, 10) FROM messages WHERE id = OLD.message_id);
    DELETE FROM case_days WHERE case_id = OLD.case_id AND n <= 0;
END;
