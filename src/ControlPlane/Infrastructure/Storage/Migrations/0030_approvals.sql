-- Approvals (DESIGN.md §14): four eyes on destructive work, bound to exactly what was requested.
-- One row per request for approval of one guarded resource (an operation, a runbook run, a
-- schedule's content); one row per person's decision on it.

CREATE TABLE approvals (
    id              uuid PRIMARY KEY,                 -- UUIDv7: id order is request order
    resource_type   text NOT NULL,                    -- operation, runbook_run, schedule
    resource_id     text NOT NULL,
    request         text NOT NULL,                    -- the canonical JSON exactly as hashed (docs/approvals.md)
    request_hash    text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),  -- lowercase hex SHA-256 of `request` (UTF-8)
    risk            text NOT NULL CHECK (risk IN ('read_only', 'mutating', 'destructive')),
    status          text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
    min_approvals   integer NOT NULL CHECK (min_approvals BETWEEN 1 AND 10),
    requested_by    text NOT NULL,
    requested_role  text,
    requested_at    timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    decided_at      timestamptz,
    decided_by      text                              -- the last decider, or 'system' for an expiry
);
CREATE INDEX approvals_status ON approvals (status, id DESC);
CREATE INDEX approvals_resource ON approvals (resource_type, resource_id, id DESC);
-- The expiry step sleeps until the earliest pending expiry.
CREATE INDEX approvals_pending_expiry ON approvals (expires_at) WHERE status = 'pending';
-- A resource has at most one pending approval at a time.
CREATE UNIQUE INDEX approvals_one_pending ON approvals (resource_type, resource_id) WHERE status = 'pending';

CREATE TABLE approval_decisions (
    approval_id  uuid NOT NULL REFERENCES approvals (id),
    actor        text NOT NULL,
    actor_role   text,
    decision     text NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment      text,
    at           timestamptz NOT NULL,
    PRIMARY KEY (approval_id, actor)                  -- one person counts once
);
