-- The operation-status trigger of 0001 aggregated the operation's jobs twice per changed row,
-- and on every inserted job too (an operation fanned out to N agents cost O(N²) row visits).
-- Jobs are inserted 'queued' under an operation created 'queued', so an insert cannot change
-- the operation's status: it only wakes the agent. An update aggregates once.
CREATE OR REPLACE FUNCTION jobs_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    derived text;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        derived := operation_status_of(NEW.operation_id);
        UPDATE operations
           SET status = derived, updated_at = now()
         WHERE id = NEW.operation_id AND status IS DISTINCT FROM derived;
    END IF;
    IF NEW.status = 'queued' THEN
        -- Wakes the agent's Pull on whichever control-plane replica holds it (DESIGN.md §5).
        PERFORM pg_notify('ops_jobs', NEW.agent_id::text);
    END IF;
    RETURN NULL;
END $$;
