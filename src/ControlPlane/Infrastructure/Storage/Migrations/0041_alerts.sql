-- Alert rules and alerts (DESIGN.md §15). Host rules are evaluated as heartbeat samples arrive:
-- a trigger on agents.last_stats / last_seen_at sends NOTIFY ops_alerts 'agent:<id>' (the
-- heartbeat path itself is untouched). Schedule rules read per-schedule streaks kept by a trigger
-- on `events` in the transaction of each schedule.slot_failed / schedule.slot_succeeded event.

CREATE TABLE alert_rules (
    name                  text PRIMARY KEY,
    kind                  text NOT NULL CHECK (kind IN ('host', 'schedule')),
    metric                text CHECK (metric IN ('cpu_percent', 'memory_used_percent', 'load1', 'disk_free_bytes', 'disk_free_percent', 'agent_offline')),
    mount                 text,
    op                    text CHECK (op IN ('<', '>')),
    threshold             double precision,
    for_seconds           integer NOT NULL DEFAULT 0 CHECK (for_seconds >= 0),
    target_labels         jsonb,
    schedule              text,
    consecutive_failures  integer CHECK (consecutive_failures > 0),
    severity              text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    runbook               text,
    parameters            jsonb,
    description           text,
    created_by            text NOT NULL,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL
);

-- One row per alert instance. At most one active (pending or firing) alert per rule and subject
-- (the agent and mount, or the schedule): the unique index deduplicates across replicas.
-- Resolved alerts stay as history; the next occurrence is a new alert.
CREATE TABLE alerts (
    id               uuid PRIMARY KEY,
    rule_name        text NOT NULL,
    subject          text NOT NULL,              -- '<agent id>' | '<agent id>|<mount>' | 'schedule:<name>'
    agent_id         uuid REFERENCES agents (id),
    mount            text,
    schedule         text,
    severity         text NOT NULL,
    state            text NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
    value            double precision,
    pending_since    timestamptz NOT NULL,
    due_at           timestamptz,                -- pending: when it fires if it still matches
    fired_at         timestamptz,
    resolved_at      timestamptz,
    updated_at       timestamptz NOT NULL,
    remediation      jsonb                       -- what starting the rule's runbook did
);
CREATE UNIQUE INDEX alerts_active ON alerts (rule_name, subject) WHERE state IN ('pending', 'firing');
CREATE INDEX alerts_state ON alerts (state, id DESC);
CREATE INDEX alerts_due ON alerts (due_at) WHERE state = 'pending';

-- agent.offline is emitted once per silence: the agent's last_seen_at when it was noticed.
CREATE TABLE agent_offline_notices (
    agent_id      uuid NOT NULL REFERENCES agents (id),
    last_seen_at  timestamptz NOT NULL,
    noticed_at    timestamptz NOT NULL,
    PRIMARY KEY (agent_id, last_seen_at)
);

-- Consecutive failed slots per schedule, from the schedules' events.
CREATE TABLE schedule_streaks (
    schedule              text PRIMARY KEY,
    consecutive_failures  integer NOT NULL,
    last_status           text NOT NULL,
    last_slot_at          text,
    last_event_id         bigint NOT NULL,
    updated_at            timestamptz NOT NULL
);

CREATE FUNCTION agents_sample_to_alerts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ops_alerts', 'agent:' || NEW.id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER agents_sample_to_alerts AFTER UPDATE OF last_stats, last_seen_at, revoked_at ON agents
    FOR EACH ROW EXECUTE FUNCTION agents_sample_to_alerts();

CREATE FUNCTION events_to_schedule_streaks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    name text := NEW.data ->> 'schedule';
BEGIN
    IF name IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO schedule_streaks AS s (schedule, consecutive_failures, last_status, last_slot_at, last_event_id, updated_at)
    VALUES (name, CASE WHEN NEW.type = 'schedule.slot_failed' THEN 1 ELSE 0 END,
            CASE WHEN NEW.type = 'schedule.slot_failed' THEN 'failed' ELSE 'succeeded' END, NEW.data ->> 'slotAt', NEW.id, NEW.at)
    ON CONFLICT (schedule) DO UPDATE
       SET consecutive_failures = CASE WHEN NEW.type = 'schedule.slot_failed' THEN s.consecutive_failures + 1 ELSE 0 END,
           last_status = EXCLUDED.last_status, last_slot_at = EXCLUDED.last_slot_at,
           last_event_id = EXCLUDED.last_event_id, updated_at = EXCLUDED.updated_at;
    PERFORM pg_notify('ops_alerts', 'schedule:' || name);
    RETURN NULL;
END $$;
CREATE TRIGGER events_to_schedule_streaks AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.type IN ('schedule.slot_failed', 'schedule.slot_succeeded'))
    EXECUTE FUNCTION events_to_schedule_streaks();
