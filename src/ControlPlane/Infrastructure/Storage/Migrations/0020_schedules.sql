-- Schedules (DESIGN.md §13): a cron expression in a time zone that starts an operation or a
-- runbook run at each slot, and the record of every slot. A slot starts at most once across
-- replicas and restarts: the scheduler claims a schedule's due slots under the schedule row's
-- lock (FOR UPDATE SKIP LOCKED) and the unique key (schedule_id, slot_at) backs it up.
--
-- C# twins: src/ControlPlane/Features/Schedules/ScheduleSlotStatus.cs (slot states) and
-- ScheduleOverlap.cs (overlap policies).

CREATE TABLE schedules (
    id                      uuid PRIMARY KEY,
    name                    text NOT NULL,
    cron                    text NOT NULL,
    time_zone               text NOT NULL,
    operation               jsonb,                      -- {kind, parameters, target, timeoutSeconds?, priority?, …} or NULL
    runbook                 text,                       -- a runbook name, or NULL
    parameters              jsonb,                      -- the runbook's parameters
    overlap                 text NOT NULL CHECK (overlap IN ('skip', 'buffer_one', 'allow', 'cancel_other')),
    catchup_window_seconds  integer NOT NULL CHECK (catchup_window_seconds >= 0),
    jitter_seconds          integer NOT NULL CHECK (jitter_seconds >= 0),
    paused                  boolean NOT NULL,
    description             text,
    locks                   text[] NOT NULL DEFAULT '{}',
    content_hash            bytea NOT NULL,             -- SHA-256 of the saved content: the same PUT again changes nothing
    version                 integer NOT NULL,           -- 1, then +1 on every content change
    created_by              text NOT NULL,
    created_at              timestamptz NOT NULL,
    updated_by              text NOT NULL,
    updated_at              timestamptz NOT NULL,
    deleted_at              timestamptz,
    deleted_by              text,
    -- The scheduler's cursor: the next slot not yet handled and when it is due (slot + jitter).
    next_slot_at            timestamptz,
    next_due_at             timestamptz,
    -- overlap = buffer_one: the one slot waiting for the previous run to end.
    buffered_slot_at        timestamptz,
    CHECK ((operation IS NULL) <> (runbook IS NULL))
);
CREATE UNIQUE INDEX schedules_name ON schedules (name) WHERE deleted_at IS NULL;
CREATE INDEX schedules_due ON schedules (next_due_at) WHERE deleted_at IS NULL AND NOT paused;

CREATE TABLE schedule_slots (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule_id   uuid NOT NULL REFERENCES schedules (id),
    slot_at       timestamptz NOT NULL,               -- the scheduled time (a manual trigger: the time of the request)
    fired_at      timestamptz,                        -- when it started, was skipped or was found missed
    finished_at   timestamptz,
    status        text NOT NULL CHECK (status IN ('started', 'succeeded', 'failed', 'skipped', 'missed')),
    late          boolean NOT NULL DEFAULT false,     -- started after its due time (catch-up, buffer_one)
    manual        boolean NOT NULL DEFAULT false,     -- POST …/trigger
    triggered_by  text,
    operation_id  uuid REFERENCES operations (id),
    run_id        uuid,                               -- a runbook run (DESIGN.md §12)
    outcome       text,                               -- the final status of its operation or run
    error         text,
    UNIQUE (schedule_id, slot_at)
);
CREATE INDEX schedule_slots_list ON schedule_slots (schedule_id, id DESC);
CREATE INDEX schedule_slots_operation ON schedule_slots (operation_id) WHERE operation_id IS NOT NULL;
CREATE INDEX schedule_slots_run ON schedule_slots (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX schedule_slots_unfinished ON schedule_slots (schedule_id) WHERE status = 'started';

-- Records the outcome of the slots that started `settled_operation` or `settled_run` (one is given),
-- emits schedule.slot_succeeded (internal) or schedule.slot_failed (DESIGN.md §15) in the
-- same transaction, and wakes the schedulers (buffer_one waits for this) on every replica.
CREATE FUNCTION schedule_slots_settle(settled_operation uuid, settled_run uuid, final_status text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    s record;
BEGIN
    FOR s IN
        UPDATE schedule_slots sl
           SET status = CASE WHEN final_status = 'succeeded' THEN 'succeeded' ELSE 'failed' END,
               outcome = final_status,
               finished_at = clock_timestamp()
          FROM schedules sc
         WHERE sc.id = sl.schedule_id
           AND sl.status = 'started'
           AND ((settled_operation IS NOT NULL AND sl.operation_id = settled_operation) OR (settled_run IS NOT NULL AND sl.run_id = settled_run))
        RETURNING sl.schedule_id, sc.name, sl.slot_at, sl.status, sl.operation_id, sl.run_id
    LOOP
        PERFORM emit_event(
            CASE WHEN s.status = 'succeeded' THEN 'schedule.slot_succeeded' ELSE 'schedule.slot_failed' END,
            'schedule', s.name,
            jsonb_strip_nulls(jsonb_build_object('schedule', s.name, 'slotAt', to_char(s.slot_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'status', s.status,
                                                 'operationId', s.operation_id, 'runId', s.run_id)));
        PERFORM pg_notify('ops_schedules', s.schedule_id::text);
    END LOOP;
END $$;

-- An operation reaching a terminal state settles the slot that started it.
CREATE FUNCTION schedule_slots_operation_finished() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF operation_is_terminal(NEW.status) THEN
        PERFORM schedule_slots_settle(NEW.id, NULL, NEW.status);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER schedule_slots_operation_finished AFTER UPDATE OF status ON operations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION schedule_slots_operation_finished();

-- A runbook run reaching a terminal state (its runbook_run.* event, DESIGN.md §15, data {id, status})
-- settles the slot that started it.
CREATE FUNCTION schedule_slots_run_finished() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.data ? 'id' AND NEW.data->>'id' ~ '^[0-9a-fA-F-]{36}$' THEN
        PERFORM schedule_slots_settle(NULL, (NEW.data->>'id')::uuid,
                                      coalesce(NEW.data->>'status', substr(NEW.type, length('runbook_run.') + 1)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER schedule_slots_run_finished AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.type IN ('runbook_run.succeeded', 'runbook_run.failed', 'runbook_run.rolled_back', 'runbook_run.cancelled'))
    EXECUTE FUNCTION schedule_slots_run_finished();
