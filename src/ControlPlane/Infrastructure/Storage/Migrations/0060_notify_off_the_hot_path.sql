-- NOTIFY off the dispatch hot path. A transaction that sends any notification takes PostgreSQL's
-- notify queue lock at COMMIT, so concurrent committers queue on it ("Lock:object COMMIT" in
-- pg_stat_activity): ./ops bench showed every Pull (the last_seen_at touch) and every Complete
-- (an operation becoming terminal) waiting there. Notifications stay where a consumer needs them:
-- ops_jobs (queued work), ops_webhooks (deliveries created), ops_alerts (new samples), ops_rollout,
-- ops_runbooks, ops_schedules (their own operations only).

-- 1. Events: the webhook deliveries trigger (0040) already notifies ops_webhooks when an event has
--    subscribers, and alerts' schedule streaks notify ops_alerts; nothing consumes ops_events.
CREATE OR REPLACE FUNCTION emit_event(type text, resource_type text, resource_id text, data jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    event_id bigint;
BEGIN
    INSERT INTO events (type, at, resource_type, resource_id, data)
    VALUES (type, clock_timestamp(), resource_type, resource_id, coalesce(data, '{}'))
    RETURNING id INTO event_id;
    RETURN event_id;
END $$;

-- 2. Operations becoming terminal: the events above, without a notification nobody listens to.
CREATE OR REPLACE FUNCTION operations_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'succeeded' THEN
        PERFORM emit_event('operation.succeeded', 'operation', NEW.id::text,
            jsonb_build_object('id', NEW.id, 'kind', NEW.kind, 'status', NEW.status, 'createdBy', NEW.created_by, 'jobs', NEW.jobs_total));
    ELSIF NEW.status IN ('failed', 'timed_out') THEN
        PERFORM emit_event('operation.failed', 'operation', NEW.id::text,
            jsonb_build_object('id', NEW.id, 'kind', NEW.kind, 'status', NEW.status, 'createdBy', NEW.created_by, 'jobs', NEW.jobs_total,
                               'failedJobs', NEW.jobs_failed + NEW.jobs_lost + NEW.jobs_skipped, 'timedOutJobs', NEW.jobs_timed_out));
    END IF;
    RETURN NULL;
END $$;

-- 3. Alerts evaluate agents on new samples and revocations, not on every Pull's last_seen_at
--    touch; a touch after a long silence (the agent is back, or the time moved backwards) still
--    wakes them, and agent_offline is evaluated at its due time anyway.
DROP TRIGGER agents_sample_to_alerts ON agents;
CREATE TRIGGER agents_sample_to_alerts AFTER UPDATE OF last_stats, last_seen_at, revoked_at ON agents
    FOR EACH ROW WHEN (OLD.last_stats IS DISTINCT FROM NEW.last_stats
                       OR OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
                       OR OLD.last_seen_at IS NULL
                       OR NEW.last_seen_at < OLD.last_seen_at
                       OR NEW.last_seen_at - OLD.last_seen_at > interval '60 seconds')
    EXECUTE FUNCTION agents_sample_to_alerts();
