-- Dispatch bookkeeping for the agent protocol (DESIGN.md §4–5).
ALTER TABLE jobs
    ADD COLUMN cancel_delivered_at  timestamptz,          -- when a Pull handed the cancellation to the agent
    ADD COLUMN completed_attempt    integer,              -- attempt whose Complete the agent had accepted
    ADD COLUMN output_trimmed_seq   bigint NOT NULL DEFAULT 0,  -- highest seq dropped from the middle of the output
    ADD COLUMN output_total_bytes   bigint NOT NULL DEFAULT 0;  -- bytes the agent produced (stored or not)

-- Cancellations waiting for their agent's next Pull.
CREATE INDEX jobs_cancel_pending ON jobs (agent_id)
    WHERE cancel_requested_at IS NOT NULL AND cancel_delivered_at IS NULL AND leased_at IS NOT NULL;
-- Deadlines of unfinished jobs, for the reaper.
CREATE INDEX jobs_deadline ON jobs (deadline_at)
    WHERE status IN ('pending_approval', 'queued', 'leased', 'running');
