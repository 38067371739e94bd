-- Output trimming in O(chunk) per append (issue 16, item 1): the head of a job's output (the
-- longest prefix of chunks within half the output bound) is tracked on the job, so an append
-- that crosses the bound deletes only the oldest chunks after the head, found through the
-- primary key, instead of summing every stored chunk.
ALTER TABLE jobs
    ADD COLUMN output_attempt       integer NOT NULL DEFAULT 0,      -- attempt the output_* bookkeeping describes
    ADD COLUMN output_head_seq      bigint  NOT NULL DEFAULT 0,      -- last seq of the kept head
    ADD COLUMN output_head_bytes    bigint  NOT NULL DEFAULT 0,      -- bytes of the kept head
    ADD COLUMN output_head_closed   boolean NOT NULL DEFAULT false;  -- a chunk did not fit: the head is complete

-- Jobs that already stored output describe it again from their chunks on their next append of
-- that attempt (output_attempt = -attempt keeps their dropped seq); any other attempt starts afresh.
UPDATE jobs SET output_attempt = CASE WHEN output_bytes > 0 THEN -attempt ELSE attempt END;
