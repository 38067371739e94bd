-- Issue 14: an operation reaching a terminal status ran three PL/pgSQL row triggers, each its own
-- call: the operation.* event (0060), the locks and rollout timer (0010), the schedule slot (0020),
-- whose settlement went through schedule_slots_settle's query for an operation OR a run. Under the
-- closed loop of ./ops bench that settlement alone was 0.08–0.1 ms of PostgreSQL time per
-- operation, for operations that almost never have a slot (or a lock). One trigger function now does the three steps,
-- in the order they ran (the event, then the locks, then the slot; the runbook step of 0011 keeps
-- its own trigger, which an operation started by a slot never fires: a slot starts an operation or
-- a run, and a run's operations are the ones with run_id), and finds the slot by its index on
-- operation_id.

CREATE OR REPLACE FUNCTION operations_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s record;
BEGIN
    -- 1. operation.succeeded or operation.failed (failed, timed out; DESIGN.md §15).
    IF NEW.status = 'succeeded' THEN
        PERFORM emit_event('operation.succeeded', 'operation', NEW.id::text,
            jsonb_build_object('id', NEW.id, 'kind', NEW.kind, 'status', NEW.status, 'createdBy', NEW.created_by, 'jobs', NEW.jobs_total));
    ELSIF NEW.status IN ('failed', 'timed_out') THEN
        PERFORM emit_event('operation.failed', 'operation', NEW.id::text,
            jsonb_build_object('id', NEW.id, 'kind', NEW.kind, 'status', NEW.status, 'createdBy', NEW.created_by, 'jobs', NEW.jobs_total,
                               'failedJobs', NEW.jobs_failed + NEW.jobs_lost + NEW.jobs_skipped, 'timedOutJobs', NEW.jobs_timed_out));
    END IF;

    -- 2. Its locks go to the next waiter, and a finished rollout has no next batch due (0010).
    IF cardinality(NEW.locks) > 0 THEN
        PERFORM lock_release('operation', NEW.id);
    END IF;
    IF NEW.rollout_next_at IS NOT NULL THEN
        UPDATE operations SET rollout_next_at = NULL WHERE id = NEW.id;
    END IF;

    -- 3. The schedule slot that started it is settled, with its event and the schedulers' wake-up (0020).
    FOR s IN
        UPDATE schedule_slots sl
           SET status = CASE WHEN NEW.status = 'succeeded' THEN 'succeeded' ELSE 'failed' END,
               outcome = NEW.status,
               finished_at = clock_timestamp()
          FROM schedules sc
         WHERE sl.operation_id = NEW.id AND sl.status = 'started' AND sc.id = sl.schedule_id
        RETURNING sl.schedule_id, sc.name, sl.slot_at, sl.status, sl.operation_id
    LOOP
        PERFORM emit_event(
            CASE WHEN s.status = 'succeeded' THEN 'schedule.slot_succeeded' ELSE 'schedule.slot_failed' END,
            'schedule', s.name,
            jsonb_strip_nulls(jsonb_build_object('schedule', s.name, 'slotAt', to_char(s.slot_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'status', s.status,
                                                 'operationId', s.operation_id)));
        PERFORM pg_notify('ops_schedules', s.schedule_id::text);
    END LOOP;
    RETURN NULL;
END $$;

DROP TRIGGER operations_status_then_locks ON operations;
DROP FUNCTION operations_status_then_locks();
DROP TRIGGER schedule_slots_operation_finished ON operations;
DROP FUNCTION schedule_slots_operation_finished();
