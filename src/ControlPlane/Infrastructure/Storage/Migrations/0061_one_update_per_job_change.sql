-- One UPDATE per job state change instead of two. operation_count_jobs (0004) updated the
-- counters, then the status in a second UPDATE whenever it changed (queued → running on the first
-- lease, running → succeeded on the last completion): every job cost up to five new versions of
-- its operation's row. The status is now derived from the new counters inside the same UPDATE.

CREATE FUNCTION operation_status_of_counts(total integer, pending_approval integer, waiting integer, queued integer,
                                           leased integer, running integer, succeeded integer, failed integer,
                                           cancelled integer, timed_out integer, lost integer, skipped integer)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN total = 0 THEN 'queued'
        WHEN pending_approval = total THEN 'pending_approval'
        WHEN leased + running > 0 THEN 'running'
        WHEN pending_approval + waiting + queued > 0 THEN
            CASE WHEN pending_approval + waiting + queued < total THEN 'running'
                 WHEN queued > 0 THEN 'queued'
                 ELSE 'waiting' END
        WHEN failed + lost + skipped > 0 THEN 'failed'
        WHEN timed_out > 0 THEN 'timed_out'
        WHEN cancelled > 0 THEN 'cancelled'
        ELSE 'succeeded'
    END
$$;

-- The same rule for a row (0004's function, kept for its callers).
CREATE OR REPLACE FUNCTION operation_status_from_counts(o operations) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT operation_status_of_counts(o.jobs_total, o.jobs_pending_approval, o.jobs_waiting, o.jobs_queued, o.jobs_leased,
                                      o.jobs_running, o.jobs_succeeded, o.jobs_failed, o.jobs_cancelled, o.jobs_timed_out,
                                      o.jobs_lost, o.jobs_skipped)
$$;

CREATE OR REPLACE FUNCTION operation_count_jobs(op uuid, old_status text, new_status text, n integer) RETURNS void LANGUAGE plpgsql AS $$
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
        jobs_skipped               = jobs_skipped + CASE WHEN new_status = 'skipped' THEN n ELSE 0 END - CASE WHEN old_status = 'skipped' THEN n ELSE 0 END,
        -- `rejected` and `expired` (approvals, DESIGN.md §14) are final.
        status = CASE WHEN status IN ('rejected', 'expired') THEN status ELSE operation_status_of_counts(
                 jobs_total + CASE WHEN old_status IS NULL THEN n ELSE 0 END,
                 jobs_pending_approval + CASE WHEN new_status = 'pending_approval' THEN n ELSE 0 END - CASE WHEN old_status = 'pending_approval' THEN n ELSE 0 END,
                 jobs_waiting + CASE WHEN new_status = 'waiting' THEN n ELSE 0 END - CASE WHEN old_status = 'waiting' THEN n ELSE 0 END,
                 jobs_queued + CASE WHEN new_status = 'queued' THEN n ELSE 0 END - CASE WHEN old_status = 'queued' THEN n ELSE 0 END,
                 jobs_leased + CASE WHEN new_status = 'leased' THEN n ELSE 0 END - CASE WHEN old_status = 'leased' THEN n ELSE 0 END,
                 jobs_running + CASE WHEN new_status = 'running' THEN n ELSE 0 END - CASE WHEN old_status = 'running' THEN n ELSE 0 END,
                 jobs_succeeded + CASE WHEN new_status = 'succeeded' THEN n ELSE 0 END - CASE WHEN old_status = 'succeeded' THEN n ELSE 0 END,
                 jobs_failed + CASE WHEN new_status = 'failed' THEN n ELSE 0 END - CASE WHEN old_status = 'failed' THEN n ELSE 0 END,
                 jobs_cancelled + CASE WHEN new_status = 'cancelled' THEN n ELSE 0 END - CASE WHEN old_status = 'cancelled' THEN n ELSE 0 END,
                 jobs_timed_out + CASE WHEN new_status = 'timed_out' THEN n ELSE 0 END - CASE WHEN old_status = 'timed_out' THEN n ELSE 0 END,
                 jobs_lost + CASE WHEN new_status = 'lost' THEN n ELSE 0 END - CASE WHEN old_status = 'lost' THEN n ELSE 0 END,
                 jobs_skipped + CASE WHEN new_status = 'skipped' THEN n ELSE 0 END - CASE WHEN old_status = 'skipped' THEN n ELSE 0 END) END,
        updated_at = CASE WHEN status IN ('rejected', 'expired') OR status = operation_status_of_counts(
                 jobs_total + CASE WHEN old_status IS NULL THEN n ELSE 0 END,
                 jobs_pending_approval + CASE WHEN new_status = 'pending_approval' THEN n ELSE 0 END - CASE WHEN old_status = 'pending_approval' THEN n ELSE 0 END,
                 jobs_waiting + CASE WHEN new_status = 'waiting' THEN n ELSE 0 END - CASE WHEN old_status = 'waiting' THEN n ELSE 0 END,
                 jobs_queued + CASE WHEN new_status = 'queued' THEN n ELSE 0 END - CASE WHEN old_status = 'queued' THEN n ELSE 0 END,
                 jobs_leased + CASE WHEN new_status = 'leased' THEN n ELSE 0 END - CASE WHEN old_status = 'leased' THEN n ELSE 0 END,
                 jobs_running + CASE WHEN new_status = 'running' THEN n ELSE 0 END - CASE WHEN old_status = 'running' THEN n ELSE 0 END,
                 jobs_succeeded + CASE WHEN new_status = 'succeeded' THEN n ELSE 0 END - CASE WHEN old_status = 'succeeded' THEN n ELSE 0 END,
                 jobs_failed + CASE WHEN new_status = 'failed' THEN n ELSE 0 END - CASE WHEN old_status = 'failed' THEN n ELSE 0 END,
                 jobs_cancelled + CASE WHEN new_status = 'cancelled' THEN n ELSE 0 END - CASE WHEN old_status = 'cancelled' THEN n ELSE 0 END,
                 jobs_timed_out + CASE WHEN new_status = 'timed_out' THEN n ELSE 0 END - CASE WHEN old_status = 'timed_out' THEN n ELSE 0 END,
                 jobs_lost + CASE WHEN new_status = 'lost' THEN n ELSE 0 END - CASE WHEN old_status = 'lost' THEN n ELSE 0 END,
                 jobs_skipped + CASE WHEN new_status = 'skipped' THEN n ELSE 0 END - CASE WHEN old_status = 'skipped' THEN n ELSE 0 END) THEN updated_at ELSE now() END
     WHERE id = op;
END $$;
