-- Issue 14: fewer new versions of an operation's row per job. ./ops bench (pg_stat_statements)
-- showed the counter UPDATE of the operation (operation_count_jobs, 0004/0061) as the largest
-- single cost of a job: four per job (insert, lease, start, completion).

-- 1. leased and running count together in jobs_leased ("leased or running"): the operation's
--    status only ever looks at their sum (operation_status_of_counts), so Start (leased → running)
--    no longer writes the operation at all. jobs_running stays 0.
CREATE FUNCTION job_counted_as(status text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN status = 'running' THEN 'leased' ELSE status END
$$;

UPDATE operations SET jobs_leased = jobs_leased + jobs_running, jobs_running = 0 WHERE jobs_running <> 0;
COMMENT ON COLUMN operations.jobs_leased IS 'jobs leased or running (migration 0071)';
COMMENT ON COLUMN operations.jobs_running IS 'always 0 since migration 0071: running jobs count in jobs_leased';

CREATE OR REPLACE FUNCTION jobs_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM operation_count_jobs(NEW.operation_id, job_counted_as(OLD.status), job_counted_as(NEW.status), 1);
    IF NEW.status = 'queued' THEN
        -- Wakes the agent's Pull on whichever control-plane replica holds it (DESIGN.md §5).
        PERFORM pg_notify('ops_jobs', NEW.agent_id::text);
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER jobs_status_changed_upd ON jobs;
CREATE TRIGGER jobs_status_changed_upd AFTER UPDATE OF status ON jobs
    FOR EACH ROW WHEN (job_counted_as(OLD.status) IS DISTINCT FROM job_counted_as(NEW.status))
    EXECUTE FUNCTION jobs_status_changed();

-- 2. An operation inserted with its counters already set (OperationStore.InsertAsync writes
--    jobs_total and the initial state's count with the row) names itself in the transaction
--    setting ops.jobs_counted before inserting its jobs; the insert trigger skips counting it.
--    Every other insert of jobs is counted as before.
CREATE OR REPLACE FUNCTION jobs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
    counted text := current_setting('ops.jobs_counted', true);
BEGIN
    FOR r IN SELECT operation_id, job_counted_as(status) AS status, count(*)::integer AS n FROM new_jobs GROUP BY 1, 2 LOOP
        IF counted IS NULL OR counted <> r.operation_id::text THEN
            PERFORM operation_count_jobs(r.operation_id, NULL, r.status, r.n);
        END IF;
    END LOOP;
    IF current_setting('ops.wakeups', true) IS DISTINCT FROM 'app' THEN
        PERFORM pg_notify('ops_jobs', a::text) FROM (SELECT DISTINCT agent_id AS a FROM new_jobs WHERE status = 'queued') q;
    END IF;
    RETURN NULL;
END $$;

-- 3. Room on each page for updated versions of an operation's row, so a counter-only update
--    (a fan-out job ending while others still run) can stay a heap-only tuple update.
ALTER TABLE operations SET (fillfactor = 80);
