-- Issue 14: NOTIFY off the commit path, and agent-token revocations pushed to every replica.
--
-- 1. A job insert sent `NOTIFY ops_jobs` per agent from its statement trigger (0004), so every
--    submit took PostgreSQL's notify-queue lock at COMMIT and submissions committed one at a time.
--    A caller that wakes the agents itself after commit (POST /api/v1/operations: in-process at
--    once, other replicas through one debounced notification, AgentWakeupPublisher) says so with
--    `set_config('ops.wakeups', 'app', true)` in its transaction; every other path (runbook steps,
--    schedules, rollout releases, requeues) still notifies from the trigger.
CREATE OR REPLACE FUNCTION jobs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT operation_id, status, count(*)::integer AS n FROM new_jobs GROUP BY operation_id, status LOOP
        PERFORM operation_count_jobs(r.operation_id, NULL, r.status, r.n);
    END LOOP;
    IF current_setting('ops.wakeups', true) IS DISTINCT FROM 'app' THEN
        PERFORM pg_notify('ops_jobs', a::text) FROM (SELECT DISTINCT agent_id AS a FROM new_jobs WHERE status = 'queued') q;
    END IF;
    RETURN NULL;
END $$;

-- 2. Replicas cache agent tokens (AgentTokenCache): a revocation (or a deleted agent) is announced
--    on `ops_agent_tokens` with the agent id, so every replica refuses its next call.
CREATE FUNCTION agents_token_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ops_agent_tokens', (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER agents_token_changed AFTER UPDATE OF revoked_at, token_hash ON agents
    FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.token_hash IS DISTINCT FROM NEW.token_hash)
    EXECUTE FUNCTION agents_token_changed();
CREATE TRIGGER agents_token_deleted AFTER DELETE ON agents
    FOR EACH ROW EXECUTE FUNCTION agents_token_changed();
