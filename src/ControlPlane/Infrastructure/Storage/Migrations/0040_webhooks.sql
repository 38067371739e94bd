-- Webhooks and their durable outbox (DESIGN.md §15). A delivery row is inserted by a trigger on
-- `events`, in the transaction that writes the event, for every enabled webhook subscribed to its
-- type: an event that commits is delivered at least once; one that rolls back never exists.

CREATE TABLE webhooks (
    name              text PRIMARY KEY,
    url               text NOT NULL,
    events            text[] NOT NULL,
    format            text NOT NULL CHECK (format IN ('standard', 'slack')),
    description       text,
    -- The signing secret, AES-256-GCM encrypted with a key kept outside the database
    -- ($OPS_HOME/webhook-secrets.key or Webhooks:SecretKey): the database alone cannot sign.
    secret_encrypted  bytea NOT NULL,
    enabled           boolean NOT NULL DEFAULT true,
    disabled_reason   text,
    disabled_at       timestamptz,
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

CREATE TABLE webhook_deliveries (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_name      text NOT NULL REFERENCES webhooks (name) ON DELETE CASCADE,
    event_id          bigint NOT NULL REFERENCES events (id),
    message_id        text NOT NULL,                 -- the `webhook-id` header, the same on every attempt
    status            text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL,
    locked_until      timestamptz,                   -- a replica is sending it until then
    last_attempt_at   timestamptz,
    response_status   integer,
    last_error        text,
    created_at        timestamptz NOT NULL,
    finished_at       timestamptz,
    redelivery_of     bigint REFERENCES webhook_deliveries (id) ON DELETE SET NULL
);
-- The head of each webhook's queue: its oldest pending delivery (deliveries are sent in order).
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_name, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_name, id DESC);

CREATE FUNCTION events_to_webhook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (webhook_name, event_id, message_id, status, next_attempt_at, created_at)
    SELECT w.name, NEW.id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), 'pending', NEW.at, NEW.at
      FROM webhooks w
     WHERE w.enabled AND NEW.type = ANY (w.events);
    IF FOUND THEN
        PERFORM pg_notify('ops_webhooks', '');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER events_to_webhook_deliveries AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_to_webhook_deliveries();
