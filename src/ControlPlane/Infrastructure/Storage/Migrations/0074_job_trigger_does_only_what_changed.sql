-- Issue 14: the statement trigger of 0073 ran its four queries over the transition tables for
-- every UPDATE of jobs, also for the many that change no status (a heartbeat's or an output
-- append's lease and byte counters, a delivered cancellation) and for Start (leased → running is
-- counted the same, 0071). At about 0.1 ms a query that was most of a lease statement's time. One
-- query now says which step has work: the counters (a job changed how it is counted), the
-- wake-ups (a job became queued), the rollouts (a batch job ended); the steps themselves are
-- those of 0073, unchanged, in the same order.

CREATE OR REPLACE FUNCTION jobs_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    counts_changed boolean;
    requeued boolean;
    batch_ended boolean;
BEGIN
    -- One look at the transition tables says which of the three steps has anything to do.
    SELECT coalesce(bool_or(job_counted_as(o.status) IS DISTINCT FROM job_counted_as(n.status)), false),
           coalesce(bool_or(n.status = 'queued'), false),
           coalesce(bool_or(n.batch IS NOT NULL AND NOT job_is_unfinished(n.status)), false)
      INTO counts_changed, requeued, batch_ended
      FROM old_jobs o JOIN new_jobs n ON n.id = o.id
     WHERE o.status IS DISTINCT FROM n.status;

    IF counts_changed THEN
        PERFORM 1 FROM operations
         WHERE id IN (SELECT n.operation_id FROM old_jobs o JOIN new_jobs n ON n.id = o.id
                       WHERE job_counted_as(o.status) IS DISTINCT FROM job_counted_as(n.status))
         ORDER BY id FOR UPDATE;

        WITH changes AS (
            SELECT n.operation_id AS op, job_counted_as(o.status) AS was, job_counted_as(n.status) AS now
              FROM old_jobs o JOIN new_jobs n ON n.id = o.id
             WHERE job_counted_as(o.status) IS DISTINCT FROM job_counted_as(n.status)
        ), d AS (
            SELECT op,
                   sum((now = 'pending_approval')::int - (was = 'pending_approval')::int)::int AS pending_approval,
                   sum((now = 'waiting')::int - (was = 'waiting')::int)::int AS waiting,
                   sum((now = 'queued')::int - (was = 'queued')::int)::int AS queued,
                   sum((now = 'leased')::int - (was = 'leased')::int)::int AS leased,
                   sum((now = 'succeeded')::int - (was = 'succeeded')::int)::int AS succeeded,
                   sum((now = 'failed')::int - (was = 'failed')::int)::int AS failed,
                   sum((now = 'cancelled')::int - (was = 'cancelled')::int)::int AS cancelled,
                   sum((now = 'timed_out')::int - (was = 'timed_out')::int)::int AS timed_out,
                   sum((now = 'lost')::int - (was = 'lost')::int)::int AS lost,
                   sum((now = 'skipped')::int - (was = 'skipped')::int)::int AS skipped
              FROM changes GROUP BY op
        ), c AS (
            SELECT o.id,
                   o.jobs_pending_approval + d.pending_approval AS pending_approval, o.jobs_waiting + d.waiting AS waiting,
                   o.jobs_queued + d.queued AS queued, o.jobs_leased + d.leased AS leased,
                   o.jobs_succeeded + d.succeeded AS succeeded, o.jobs_failed + d.failed AS failed,
                   o.jobs_cancelled + d.cancelled AS cancelled, o.jobs_timed_out + d.timed_out AS timed_out,
                   o.jobs_lost + d.lost AS lost, o.jobs_skipped + d.skipped AS skipped,
                   CASE WHEN o.status IN ('rejected', 'expired') THEN o.status  -- final (approvals, DESIGN.md §14)
                        ELSE operation_status_of_counts(o.jobs_total, o.jobs_pending_approval + d.pending_approval, o.jobs_waiting + d.waiting,
                                 o.jobs_queued + d.queued, o.jobs_leased + d.leased, o.jobs_running, o.jobs_succeeded + d.succeeded,
                                 o.jobs_failed + d.failed, o.jobs_cancelled + d.cancelled, o.jobs_timed_out + d.timed_out,
                                 o.jobs_lost + d.lost, o.jobs_skipped + d.skipped) END AS status
              FROM operations o JOIN d ON d.op = o.id
        )
        UPDATE operations o
           SET jobs_pending_approval = c.pending_approval, jobs_waiting = c.waiting, jobs_queued = c.queued, jobs_leased = c.leased,
               jobs_succeeded = c.succeeded, jobs_failed = c.failed, jobs_cancelled = c.cancelled, jobs_timed_out = c.timed_out,
               jobs_lost = c.lost, jobs_skipped = c.skipped,
               status = c.status,
               updated_at = CASE WHEN c.status = o.status THEN o.updated_at ELSE now() END
          FROM c WHERE o.id = c.id;
    END IF;

    -- Wakes the Pulls of agents with newly queued work on whichever replica holds them (DESIGN.md §5).
    IF requeued THEN
        PERFORM pg_notify('ops_jobs', a::text)
           FROM (SELECT DISTINCT n.agent_id AS a FROM old_jobs o JOIN new_jobs n ON n.id = o.id
                  WHERE n.status = 'queued' AND o.status IS DISTINCT FROM 'queued') q;
    END IF;

    -- Rollouts (0010): an operation whose batch job ended may release its next batch.
    IF batch_ended THEN
        PERFORM rollout_advance(op, clock_timestamp())
           FROM (SELECT DISTINCT n.operation_id AS op FROM old_jobs o JOIN new_jobs n ON n.id = o.id
                  WHERE n.batch IS NOT NULL AND o.status IS DISTINCT FROM n.status AND NOT job_is_unfinished(n.status)
                  ORDER BY 1) r;
    END IF;
    RETURN NULL;
END $$;

