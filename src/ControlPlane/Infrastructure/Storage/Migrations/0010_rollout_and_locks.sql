-- Rollout and locks (DESIGN.md §11), driven by the database itself: a job reaching a terminal
-- state advances its operation's rollout in the same transaction (trigger), an operation or run
-- reaching a terminal state releases its locks and grants them to the next waiters in FIFO order
-- (trigger). Only due times (a batch pause, a lock-wait timeout) need the control plane's
-- RolloutReleaser, woken by NOTIFY ops_rollout and sleeping until the next due time.
--
-- C# twins: Features/Dispatch/RolloutReleaser.cs, Features/Locks/LockStore.cs.

-- 1. Rollout state of an operation.
ALTER TABLE operations
    ADD COLUMN rollout               jsonb,                     -- the rollout as requested ({batchSize, batchPauseSeconds, maxErrors})
    ADD COLUMN rollout_batch_size    integer,                   -- resolved batch size; NULL: no rollout
    ADD COLUMN rollout_pause_seconds integer NOT NULL DEFAULT 0,
    ADD COLUMN rollout_max_errors    integer NOT NULL DEFAULT 0,-- resolved error budget (failed + timed out + lost jobs allowed)
    ADD COLUMN rollout_batches       integer NOT NULL DEFAULT 0,
    ADD COLUMN rollout_batch         integer NOT NULL DEFAULT 0,-- the last released batch, 0 before the first
    ADD COLUMN rollout_gated         boolean NOT NULL DEFAULT false, -- a health gate must pass after each batch (runbook steps)
    ADD COLUMN rollout_gate_passed   integer NOT NULL DEFAULT 0,-- the last batch whose health gate passed
    ADD COLUMN rollout_next_at       timestamptz,               -- the next batch is released then (its pause elapsed)
    ADD COLUMN rollout_stopped       text,                      -- why no further batch is released
    ADD COLUMN locks                 text[] NOT NULL DEFAULT '{}', -- explicit and implicit lock keys
    ADD COLUMN lock_timeout_seconds  integer NOT NULL DEFAULT 3600,
    ADD COLUMN run_id                uuid,                      -- the runbook run whose step (or health gate) this is
    ADD COLUMN run_step              text;
CREATE INDEX operations_rollout_due ON operations (rollout_next_at) WHERE rollout_next_at IS NOT NULL;
CREATE INDEX operations_run ON operations (run_id) WHERE run_id IS NOT NULL;

-- A waiting job has no deadline yet: it starts when the job is released, so a job held back by
-- earlier batches or a lock never times out for waiting.
ALTER TABLE jobs ALTER COLUMN deadline_at DROP NOT NULL;
ALTER TABLE jobs
    ADD COLUMN batch        integer,       -- 1-based rollout batch; NULL without a rollout
    ADD COLUMN released_at  timestamptz;   -- when it left `waiting` (set once)
CREATE INDEX jobs_operation_batch ON jobs (operation_id, batch) WHERE batch IS NOT NULL;

-- Releases the waiting jobs of one batch (or all of them with batch NULL): queued now, deadline
-- from now. The row trigger of 0004 wakes their agents (NOTIFY ops_jobs).
CREATE FUNCTION operation_release_jobs(op uuid, which_batch integer, at timestamptz) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    UPDATE jobs j
       SET status = 'queued', queued_at = at, released_at = at,
           deadline_at = at + make_interval(secs => o.timeout_seconds)
      FROM operations o
     WHERE o.id = op AND j.operation_id = op AND j.status = 'waiting'
       AND (which_batch IS NULL OR j.batch = which_batch);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- Starts an operation whose locks are held (or that has none): without a rollout every job is
-- released, with one the first batch.
CREATE FUNCTION operation_start(op uuid, at timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    o operations;
BEGIN
    SELECT * INTO o FROM operations WHERE id = op FOR UPDATE;
    IF NOT FOUND OR operation_is_terminal(o.status) OR o.cancel_requested_at IS NOT NULL THEN
        RETURN;
    END IF;
    IF o.rollout_batch_size IS NULL THEN
        PERFORM operation_release_jobs(op, NULL, at);
    ELSIF o.rollout_batch = 0 THEN
        UPDATE operations SET rollout_batch = 1 WHERE id = op;
        PERFORM operation_release_jobs(op, 1, at);
    END IF;
END $$;

-- Advances a rollout (DESIGN.md §11): when more jobs failed, timed out or were lost than the
-- error budget allows, the waiting jobs become `skipped` (jobs in flight finish); otherwise, when
-- every job of the current batch is terminal, its health gate passed (runbook steps) and the
-- pause elapsed, the next batch is released. Called by the job trigger below (same transaction
-- as the job's terminal state) and by the RolloutReleaser when a pause ends.
CREATE FUNCTION rollout_advance(op uuid, at timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    o operations;
    failures integer;
    unfinished integer;
BEGIN
    SELECT * INTO o FROM operations WHERE id = op FOR UPDATE;
    IF NOT FOUND OR o.rollout_batch_size IS NULL OR o.rollout_batch = 0 OR o.rollout_stopped IS NOT NULL
       OR o.cancel_requested_at IS NOT NULL THEN
        RETURN;
    END IF;
    IF o.jobs_waiting = 0 THEN
        IF o.rollout_next_at IS NOT NULL THEN
            UPDATE operations SET rollout_next_at = NULL WHERE id = op;
        END IF;
        RETURN;
    END IF;
    failures := o.jobs_failed + o.jobs_timed_out + o.jobs_lost;
    IF failures > o.rollout_max_errors THEN
        UPDATE operations
           SET rollout_next_at = NULL,
               rollout_stopped = format('%s job(s) failed, timed out or were lost, more than maxErrors %s: no further batch is released',
                                        failures, o.rollout_max_errors)
         WHERE id = op;
        UPDATE jobs SET status = 'skipped', finished_at = at,
                        error = format('not released: the rollout''s error budget was spent (%s failed, maxErrors %s)', failures, o.rollout_max_errors)
         WHERE operation_id = op AND status = 'waiting';
        RETURN;
    END IF;
    SELECT count(*) INTO unfinished FROM jobs
     WHERE operation_id = op AND batch = o.rollout_batch AND job_is_unfinished(status);
    IF unfinished > 0 THEN
        RETURN;
    END IF;
    IF o.rollout_gated AND o.rollout_gate_passed < o.rollout_batch THEN
        -- The runbook engine runs the step's health gate, then calls rollout_advance again.
        IF o.run_id IS NOT NULL THEN
            PERFORM pg_notify('ops_runbooks', o.run_id::text);
        END IF;
        RETURN;
    END IF;
    IF o.rollout_pause_seconds > 0 AND o.rollout_next_at IS NULL THEN
        UPDATE operations SET rollout_next_at = at + make_interval(secs => o.rollout_pause_seconds) WHERE id = op;
        PERFORM pg_notify('ops_rollout', op::text);
        RETURN;
    END IF;
    IF o.rollout_next_at IS NOT NULL AND o.rollout_next_at > at THEN
        RETURN;
    END IF;
    UPDATE operations SET rollout_batch = rollout_batch + 1, rollout_next_at = NULL WHERE id = op;
    PERFORM operation_release_jobs(op, o.rollout_batch + 1, at);
END $$;

-- After the counters of 0004 (triggers fire in name order: jobs_status_changed_upd first).
CREATE FUNCTION jobs_status_then_rollout() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollout_advance(NEW.operation_id, clock_timestamp());
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_status_then_rollout AFTER UPDATE OF status ON jobs
    FOR EACH ROW WHEN (NEW.batch IS NOT NULL AND OLD.status IS DISTINCT FROM NEW.status AND NOT job_is_unfinished(NEW.status))
    EXECUTE FUNCTION jobs_status_then_rollout();

-- 2. Locks. A lock name has at most one holder (primary key); waiters queue FIFO by request time.
CREATE TABLE lock_holders (
    name         text PRIMARY KEY,
    holder_type  text NOT NULL CHECK (holder_type IN ('operation', 'runbook_run')),
    holder_id    uuid NOT NULL,
    acquired_at  timestamptz NOT NULL
);
CREATE INDEX lock_holders_holder ON lock_holders (holder_type, holder_id);

CREATE TABLE lock_waiters (
    name          text NOT NULL,
    holder_type   text NOT NULL CHECK (holder_type IN ('operation', 'runbook_run')),
    holder_id     uuid NOT NULL,
    requested_at  timestamptz NOT NULL,
    wait_until    timestamptz NOT NULL,
    PRIMARY KEY (name, holder_type, holder_id)
);
CREATE INDEX lock_waiters_holder ON lock_waiters (holder_type, holder_id);
CREATE INDEX lock_waiters_due ON lock_waiters (wait_until);

-- Every lock manipulation runs under this transaction-level advisory lock ("ops-lock"), so taking
-- several locks at once is all or nothing and FIFO order is decided by one writer at a time.
CREATE FUNCTION lock_manager_enter() RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(7309475721802444651)
$$;

-- Takes every lock of `names` for the holder at once, or queues it behind the current holder and
-- earlier waiters (FIFO by request time, then holder id). Returns whether they are held now.
CREATE FUNCTION lock_try_acquire(htype text, hid uuid, names text[], requested timestamptz, wait_until timestamptz) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(cardinality(names), 0) = 0 THEN
        RETURN true;
    END IF;
    PERFORM lock_manager_enter();
    IF EXISTS (SELECT 1 FROM lock_holders h
                WHERE h.name = ANY (names) AND NOT (h.holder_type = htype AND h.holder_id = hid))
       OR EXISTS (SELECT 1 FROM lock_waiters w
                   WHERE w.name = ANY (names) AND NOT (w.holder_type = htype AND w.holder_id = hid)
                     AND (w.requested_at, w.holder_id) < (requested, hid)) THEN
        INSERT INTO lock_waiters (name, holder_type, holder_id, requested_at, wait_until)
        SELECT DISTINCT n, htype, hid, requested, wait_until FROM unnest(names) AS n
        ON CONFLICT DO NOTHING;
        PERFORM pg_notify('ops_rollout', hid::text);
        RETURN false;
    END IF;
    INSERT INTO lock_holders (name, holder_type, holder_id, acquired_at)
    SELECT DISTINCT n, htype, hid, clock_timestamp() FROM unnest(names) AS n
    ON CONFLICT (name) DO NOTHING;
    DELETE FROM lock_waiters WHERE holder_type = htype AND holder_id = hid;
    RETURN true;
END $$;

-- The lock keys a holder asked for.
CREATE FUNCTION lock_holder_names(htype text, hid uuid) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT CASE htype WHEN 'operation' THEN (SELECT locks FROM operations WHERE id = hid) END
$$;

-- A waiter got its locks: the operation starts (replaced in 0011 to start runbook runs too).
CREATE FUNCTION lock_granted(htype text, hid uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF htype = 'operation' THEN
        PERFORM operation_start(hid, clock_timestamp());
    END IF;
END $$;

-- Offers the locks `names` to their waiters, oldest first.
CREATE FUNCTION lock_grant_waiters(names text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    w record;
BEGIN
    IF coalesce(cardinality(names), 0) = 0 THEN
        RETURN;
    END IF;
    FOR w IN SELECT holder_type, holder_id, min(requested_at) AS requested_at, min(wait_until) AS wait_until
               FROM lock_waiters WHERE holder_id IN (SELECT holder_id FROM lock_waiters WHERE name = ANY (names))
              GROUP BY holder_type, holder_id
              ORDER BY min(requested_at), holder_id LOOP
        IF lock_try_acquire(w.holder_type, w.holder_id, lock_holder_names(w.holder_type, w.holder_id), w.requested_at, w.wait_until) THEN
            PERFORM lock_granted(w.holder_type, w.holder_id);
        END IF;
    END LOOP;
END $$;

-- A holder reached a terminal state: its locks are freed (and its queue places dropped) and
-- handed to the next waiters, in the same transaction.
CREATE FUNCTION lock_release(htype text, hid uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    freed text[];
    dropped text[];
BEGIN
    PERFORM lock_manager_enter();
    WITH d AS (DELETE FROM lock_waiters WHERE holder_type = htype AND holder_id = hid RETURNING name)
    SELECT array_agg(name) INTO dropped FROM d;
    WITH d AS (DELETE FROM lock_holders WHERE holder_type = htype AND holder_id = hid RETURNING name)
    SELECT array_agg(name) INTO freed FROM d;
    PERFORM lock_grant_waiters(coalesce(freed, '{}') || coalesce(dropped, '{}'));
END $$;

-- A waiter's lockTimeoutSeconds passed (replaced in 0011 for runbook runs): its waiting jobs
-- end `skipped` with the reason, and its queue places go to the next waiters.
CREATE FUNCTION lock_wait_expired(htype text, hid uuid, at timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    lock_name text;
    held_by text;
BEGIN
    PERFORM lock_manager_enter();
    SELECT w.name, h.holder_type || ' ' || h.holder_id INTO lock_name, held_by
      FROM lock_waiters w LEFT JOIN lock_holders h ON h.name = w.name
     WHERE w.holder_type = htype AND w.holder_id = hid AND w.wait_until <= at
     ORDER BY h.name IS NULL, w.name LIMIT 1;
    IF lock_name IS NULL THEN
        RETURN;
    END IF;
    IF htype = 'operation' THEN
        UPDATE jobs SET status = 'skipped', finished_at = at,
                        error = format('not released: the wait for lock %s (held by %s) passed lockTimeoutSeconds', lock_name, coalesce(held_by, 'an earlier waiter'))
         WHERE operation_id = hid AND status = 'waiting';
    END IF;
    PERFORM lock_release(htype, hid);
END $$;

-- An operation reaching a terminal state releases its locks; a pending pause is dropped.
CREATE FUNCTION operations_status_then_locks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(NEW.locks) > 0 THEN
        PERFORM lock_release('operation', NEW.id);
    END IF;
    IF NEW.rollout_next_at IS NOT NULL THEN
        UPDATE operations SET rollout_next_at = NULL WHERE id = NEW.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER operations_status_then_locks AFTER UPDATE OF status ON operations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND operation_is_terminal(NEW.status))
    EXECUTE FUNCTION operations_status_then_locks();
