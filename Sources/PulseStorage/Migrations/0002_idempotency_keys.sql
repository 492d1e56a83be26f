-- Idempotency keys, per tenant. The gateway claims a key before it publishes (status 'pending', a short lease);
-- once the broker confirmed the command the key is 'in_flight'; the worker marks it 'completed' with its reply in
-- the same transaction as the effect. Same key + same request → the stored reply; another request → 422;
-- still pending or in flight → 409. Kept at least PULSE_IDEMPOTENCY_KEY_HOURS (24) after the last change.
CREATE TABLE idempotency_keys (
    tenant_id     text NOT NULL,
    key           text NOT NULL,
    operation     text NOT NULL,
    request_hash  text NOT NULL,
    message_id    text NOT NULL,
    status        text NOT NULL CHECK (status IN ('pending', 'in_flight', 'completed')),
    reply         jsonb,
    claimed_until timestamptz,             -- a pending claim may be taken over (same request) after this
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, key),
    CHECK ((status = 'completed') = (reply IS NOT NULL))
);
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);
