-- 0202: what the live workflow stage decided, next to the other conversation facets so the
-- inbox can filter and sort on it: the team the conversation is routed to and the nearest
-- response-time target (state: running, warning, breached, paused; NULL when none runs).
ALTER TABLE conversation_facets ADD COLUMN team TEXT;
ALTER TABLE conversation_facets ADD COLUMN sla_state TEXT;
ALTER TABLE conversation_facets ADD COLUMN sla_due_at TEXT;
CREATE INDEX facets_by_team ON conversation_facets (team);
CREATE INDEX facets_by_sla_due ON conversation_facets (sla_due_at) WHERE sla_due_at IS NOT NULL;
