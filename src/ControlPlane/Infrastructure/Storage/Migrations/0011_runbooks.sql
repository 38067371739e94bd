-- Runbooks (DESIGN.md §12): versioned documents, runs and their steps. The engine
-- (Features/Runbooks/RunbookEngine.cs) advances a run under its row lock, woken by
-- NOTIFY ops_runbooks, '<run id>' from the triggers below.

CREATE TABLE runbook_names (
    name            text PRIMARY KEY,
    latest_version  integer NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    archived_at     timestamptz,
    archived_by     text
);

CREATE TABLE runbooks (
    name          text NOT NULL REFERENCES runbook_names (name),
    version       integer NOT NULL CHECK (version > 0),
    document      jsonb NOT NULL,
    content_hash  bytea NOT NULL,          -- SHA-256 of the canonical JSON document
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE runbook_runs (
    id                    uuid PRIMARY KEY,
    runbook               text NOT NULL,
    version               integer NOT NULL,
    parameters            jsonb NOT NULL,      -- validated, defaults applied
    status                text NOT NULL CHECK (status IN ('pending_approval', 'waiting', 'running', 'succeeded', 'failed',
                                                          'rolled_back', 'cancelled', 'rejected', 'expired')),
    phase                 text NOT NULL DEFAULT 'main' CHECK (phase IN ('main', 'rollback', 'finally')),
    outcome               text,                -- the status the run ends with once its remaining phases ran
    locks                 text[] NOT NULL DEFAULT '{}',
    lock_timeout_seconds  integer NOT NULL DEFAULT 3600,
    requested_by          text NOT NULL,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    started_at            timestamptz,
    finished_at           timestamptz,
    cancel_requested_at   timestamptz,
    cancel_requested_by   text,
    error                 text,
    idempotency_key       text,
    request_hash          bytea,
    FOREIGN KEY (runbook, version) REFERENCES runbooks (name, version)
);
CREATE UNIQUE INDEX runbook_runs_idempotency ON runbook_runs (requested_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runbook_runs_active ON runbook_runs (id) WHERE status IN ('waiting', 'running');
CREATE INDEX runbook_runs_runbook ON runbook_runs (runbook, id DESC);
CREATE INDEX runbook_runs_status ON runbook_runs (status, id DESC);

CREATE FUNCTION runbook_run_is_terminal(status text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT status IN ('succeeded', 'failed', 'rolled_back', 'cancelled', 'rejected', 'expired')
$$;

CREATE TABLE runbook_run_steps (
    run_id        uuid NOT NULL REFERENCES runbook_runs (id),
    phase         text NOT NULL CHECK (phase IN ('main', 'rollback', 'finally')),
    position      integer NOT NULL,
    name          text NOT NULL,
    status        text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled')),
    operation_id  uuid REFERENCES operations (id),
    started_at    timestamptz,
    finished_at   timestamptz,
    error         text,
    gates         jsonb NOT NULL DEFAULT '[]',   -- [{batch, operationId}] health gates run after the step's batches
    PRIMARY KEY (run_id, phase, position)
);

-- Runbook runs hold locks too.
CREATE OR REPLACE FUNCTION lock_holder_names(htype text, hid uuid) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT CASE htype
        WHEN 'operation' THEN (SELECT locks FROM operations WHERE id = hid)
        WHEN 'runbook_run' THEN (SELECT locks FROM runbook_runs WHERE id = hid)
    END
$$;

CREATE OR REPLACE FUNCTION lock_granted(htype text, hid uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF htype = 'operation' THEN
        PERFORM operation_start(hid, clock_timestamp());
    ELSIF htype = 'runbook_run' THEN
        UPDATE runbook_runs SET status = 'running', started_at = clock_timestamp(), updated_at = clock_timestamp()
         WHERE id = hid AND status = 'waiting';
        PERFORM pg_notify('ops_runbooks', hid::text);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION lock_wait_expired(htype text, hid uuid, at timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    lock_name text;
    held_by text;
    reason text;
    r runbook_runs;
BEGIN
    PERFORM lock_manager_enter();
    SELECT w.name, h.holder_type || ' ' || h.holder_id INTO lock_name, held_by
      FROM lock_waiters w LEFT JOIN lock_holders h ON h.name = w.name
     WHERE w.holder_type = htype AND w.holder_id = hid AND w.wait_until <= at
     ORDER BY h.name IS NULL, w.name LIMIT 1;
    IF lock_name IS NULL THEN
        RETURN;
    END IF;
    reason := format('the wait for lock %s (held by %s) passed lockTimeoutSeconds', lock_name, coalesce(held_by, 'an earlier waiter'));
    IF htype = 'operation' THEN
        UPDATE jobs SET status = 'skipped', finished_at = at, error = 'not released: ' || reason
         WHERE operation_id = hid AND status = 'waiting';
    ELSIF htype = 'runbook_run' THEN
        UPDATE runbook_run_steps SET status = 'skipped', error = 'the run never started: ' || reason
         WHERE run_id = hid AND status = 'pending';
        UPDATE runbook_runs SET status = 'failed', finished_at = at, updated_at = at, error = reason
         WHERE id = hid AND status = 'waiting'
        RETURNING * INTO r;
        IF FOUND THEN
            PERFORM emit_event('runbook_run.failed', 'runbook_run', r.id::text,
                jsonb_build_object('id', r.id, 'runbook', r.runbook, 'version', r.version, 'status', r.status, 'requestedBy', r.requested_by));
        END IF;
    END IF;
    PERFORM lock_release(htype, hid);
END $$;

-- A run reaching a terminal state releases its locks in the same transaction.
CREATE FUNCTION runbook_runs_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF runbook_run_is_terminal(NEW.status) AND cardinality(NEW.locks) > 0 THEN
        PERFORM lock_release('runbook_run', NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER runbook_runs_status_changed AFTER UPDATE OF status ON runbook_runs
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION runbook_runs_status_changed();

-- A run's operation (a step or a health gate) reaching a terminal state wakes the engine.
CREATE FUNCTION operations_status_then_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ops_runbooks', NEW.run_id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER operations_status_then_run AFTER UPDATE OF status ON operations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.run_id IS NOT NULL AND operation_is_terminal(NEW.status))
    EXECUTE FUNCTION operations_status_then_run();
