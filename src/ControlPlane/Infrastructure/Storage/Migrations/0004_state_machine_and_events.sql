-- The job and operation state machines of DESIGN.md §5, written once for SQL, per-operation job
-- counters (an operation of N jobs costs O(N) in all, not O(N²)), and the event log that
-- webhooks, runbooks, schedules and alerts consume (DESIGN.md §12–15).
--
-- C# twin: src/ControlPlane/Features/Jobs/JobStates.cs. Both must list the same states.

-- 1. States: `waiting` (held back by a rollout or a lock) and `skipped` (never released).
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check CHECK (status IN (
    'pending_approval', 'waiting', 'queued', 'leased', 'running',
    'succeeded', 'failed', 'cancelled', 'timed_out', 'lost', 'skipped'));

-- A job that has not reached a terminal state.
CREATE FUNCTION job_is_unfinished(status text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT status IN ('pending_approval', 'waiting', 'queued', 'leased', 'running')
$$;

-- A terminal state that counts against an operation (and a rollout's error budget).
CREATE FUNCTION job_is_failure(status text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT status IN ('failed', 'timed_out', 'lost', 'skipped')
$$;

-- An operation that will not change any more.
CREATE FUNCTION operation_is_terminal(status text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT status IN ('succeeded', 'failed', 'cancelled', 'timed_out', 'rejected', 'expired')
$$;

DROP INDEX jobs_deadline;
CREATE INDEX jobs_deadline ON jobs (deadline_at) WHERE job_is_unfinished(status);

-- 2. Counters: one column per job state, kept by the triggers below.
ALTER TABLE operations
    ADD COLUMN jobs_total            integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_pending_approval integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_waiting          integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_queued           integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_leased           integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_running          integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_succeeded        integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_failed           integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_cancelled        integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_timed_out        integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_lost             integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_skipped          integer NOT NULL DEFAULT 0;

UPDATE operations o SET
    jobs_total            = c.total,
    jobs_pending_approval = c.pending_approval,
    jobs_queued           = c.queued,
    jobs_leased           = c.leased,
    jobs_running          = c.running,
    jobs_succeeded        = c.succeeded,
    jobs_failed           = c.failed,
    jobs_cancelled        = c.cancelled,
    jobs_timed_out        = c.timed_out,
    jobs_lost             = c.lost
  FROM (SELECT operation_id,
               count(*) AS total,
               count(*) FILTER (WHERE status = 'pending_approval') AS pending_approval,
               count(*) FILTER (WHERE status = 'queued') AS queued,
               count(*) FILTER (WHERE status = 'leased') AS leased,
               count(*) FILTER (WHERE status = 'running') AS running,
               count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
               count(*) FILTER (WHERE status = 'failed') AS failed,
               count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
               count(*) FILTER (WHERE status = 'timed_out') AS timed_out,
               count(*) FILTER (WHERE status = 'lost') AS lost
          FROM jobs GROUP BY operation_id) c
 WHERE o.id = c.operation_id;

-- An operation's status from its counters (DESIGN.md §5): pending_approval while every job
-- waits for approval; running as soon as one job is in flight or has finished while others
-- remain; queued / waiting before that; then failed (any failed, timed-out after another
-- failure, lost or skipped job), timed_out, cancelled, or succeeded (all jobs).
CREATE FUNCTION operation_status_from_counts(o operations) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN o.jobs_total = 0 THEN 'queued'
        WHEN o.jobs_pending_approval = o.jobs_total THEN 'pending_approval'
        WHEN o.jobs_leased + o.jobs_running > 0 THEN 'running'
        WHEN o.jobs_pending_approval + o.jobs_waiting + o.jobs_queued > 0 THEN
            CASE WHEN o.jobs_pending_approval + o.jobs_waiting + o.jobs_queued < o.jobs_total THEN 'running'
                 WHEN o.jobs_queued > 0 THEN 'queued'
                 ELSE 'waiting' END
        WHEN o.jobs_failed + o.jobs_lost + o.jobs_skipped > 0 THEN 'failed'
        WHEN o.jobs_timed_out > 0 THEN 'timed_out'
        WHEN o.jobs_cancelled > 0 THEN 'cancelled'
        ELSE 'succeeded'
    END
$$;

-- Moves `n` jobs of operation `op` from `old_status` (NULL: newly inserted) to `new_status`,
-- then re-derives the operation's status. `rejected` and `expired` (set by approvals,
-- DESIGN.md §14) are final and never overwritten. One UPDATE, two when the status changes.
CREATE FUNCTION operation_count_jobs(op uuid, old_status text, new_status text, n integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    o operations;
    derived text;
BEGIN
    UPDATE operations SET
        jobs_total            = jobs_total + CASE WHEN old_status IS NULL THEN n ELSE 0 END,
        jobs_pending_approval      = jobs_pending_approval + CASE WHEN new_status = 'pending_approval' THEN n ELSE 0 END - CASE WHEN old_status = 'pending_approval' THEN n ELSE 0 END,
        jobs_waiting               = jobs_waiting + CASE WHEN new_status = 'waiting' THEN n ELSE 0 END - CASE WHEN old_status = 'waiting' THEN n ELSE 0 END,
        jobs_queued                = jobs_queued + CASE WHEN new_status = 'queued' THEN n ELSE 0 END - CASE WHEN old_status = 'queued' THEN n ELSE 0 END,
        jobs_leased                = jobs_leased + CASE WHEN new_status = 'leased' THEN n ELSE 0 END - CASE WHEN old_status = 'leased' THEN n ELSE 0 END,
        jobs_running               = jobs_running + CASE WHEN new_status = 'running' THEN n ELSE 0 END - CASE WHEN old_status = 'running' THEN n ELSE 0 END,
        jobs_succeeded             = jobs_succeeded + CASE WHEN new_status = 'succeeded' THEN n ELSE 0 END - CASE WHEN old_status = 'succeeded' THEN n ELSE 0 END,
        jobs_failed                = jobs_failed + CASE WHEN new_status = 'failed' THEN n ELSE 0 END - CASE WHEN old_status = 'failed' THEN n ELSE 0 END,
        jobs_cancelled             = jobs_cancelled + CASE WHEN new_status = 'cancelled' THEN n ELSE 0 END - CASE WHEN old_status = 'cancelled' THEN n ELSE 0 END,
        jobs_timed_out             = jobs_timed_out + CASE WHEN new_status = 'timed_out' THEN n ELSE 0 END - CASE WHEN old_status = 'timed_out' THEN n ELSE 0 END,
        jobs_lost                  = jobs_lost + CASE WHEN new_status = 'lost' THEN n ELSE 0 END - CASE WHEN old_status = 'lost' THEN n ELSE 0 END,
        jobs_skipped               = jobs_skipped + CASE WHEN new_status = 'skipped' THEN n ELSE 0 END - CASE WHEN old_status = 'skipped' THEN n ELSE 0 END
     WHERE id = op
    RETURNING * INTO o;
    IF NOT FOUND OR o.status IN ('rejected', 'expired') THEN
        RETURN;
    END IF;
    derived := operation_status_from_counts(o);
    IF derived IS DISTINCT FROM o.status THEN
        UPDATE operations SET status = derived, updated_at = now() WHERE id = op;
    END IF;
END $$;

-- Row trigger on a job's status change: O(1) counter update of its operation.
CREATE OR REPLACE FUNCTION jobs_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM operation_count_jobs(NEW.operation_id, OLD.status, NEW.status, 1);
    IF NEW.status = 'queued' THEN
        -- Wakes the agent's Pull on whichever control-plane replica holds it (DESIGN.md §5).
        PERFORM pg_notify('ops_jobs', NEW.agent_id::text);
    END IF;
    RETURN NULL;
END $$;

-- Statement trigger on insert: one counter update per operation however many jobs fan out,
-- and one notification per distinct agent with queued work.
CREATE FUNCTION jobs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT operation_id, status, count(*)::integer AS n FROM new_jobs GROUP BY operation_id, status LOOP
        PERFORM operation_count_jobs(r.operation_id, NULL, r.status, r.n);
    END LOOP;
    PERFORM pg_notify('ops_jobs', a::text) FROM (SELECT DISTINCT agent_id AS a FROM new_jobs WHERE status = 'queued') q;
    RETURN NULL;
END $$;

DROP TRIGGER jobs_status_changed_ins ON jobs;
CREATE TRIGGER jobs_inserted AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION jobs_inserted();

-- 3. The event log (DESIGN.md §15): every state change that leaves the process is written here
-- in the transaction of the change. Consumers (webhook deliveries, runbook engine, schedules,
-- alerts) read it by id; `NOTIFY ops_events, '<id>'` wakes them on every replica.
CREATE TABLE events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type           text NOT NULL,                 -- operation.succeeded, approval.requested, …
    at             timestamptz NOT NULL,
    resource_type  text NOT NULL,                 -- operation, runbook_run, approval, schedule, alert, agent
    resource_id    text NOT NULL,
    data           jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_resource ON events (resource_type, resource_id, id);

CREATE FUNCTION emit_event(type text, resource_type text, resource_id text, data jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    event_id bigint;
BEGIN
    INSERT INTO events (type, at, resource_type, resource_id, data)
    VALUES (type, clock_timestamp(), resource_type, resource_id, coalesce(data, '{}'))
    RETURNING id INTO event_id;
    PERFORM pg_notify('ops_events', event_id::text);
    RETURN event_id;
END $$;

-- An operation reaching a terminal state emits operation.succeeded or operation.failed (failed,
-- timed out; DESIGN.md §15), and always wakes internal consumers through ops_operations.
CREATE FUNCTION operations_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF operation_is_terminal(NEW.status) THEN
        IF NEW.status = 'succeeded' THEN
            PERFORM emit_event('operation.succeeded', 'operation', NEW.id::text,
                jsonb_build_object('id', NEW.id, 'kind', NEW.kind, 'status', NEW.status, 'createdBy', NEW.created_by, 'jobs', NEW.jobs_total));
        ELSIF NEW.status IN ('failed', 'timed_out') THEN
            PERFORM emit_event('operation.failed', 'operation', NEW.id::text,
                jsonb_build_object('id', NEW.id, 'kind', NEW.kind, 'status', NEW.status, 'createdBy', NEW.created_by, 'jobs', NEW.jobs_total,
                                   'failedJobs', NEW.jobs_failed + NEW.jobs_lost + NEW.jobs_skipped, 'timedOutJobs', NEW.jobs_timed_out));
        END IF;
        PERFORM pg_notify('ops_operations', NEW.id::text);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER operations_status_changed AFTER UPDATE OF status ON operations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION operations_status_changed();
