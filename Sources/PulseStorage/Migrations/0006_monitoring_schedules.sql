-- A model name watched on a timer: every `every_minutes` the drift monitor measures drift, decides on retraining
-- and may start a run (`settings` is the pulse.monitoring.schedule.v1 payload). `next_due_at` is claimed with
-- FOR UPDATE SKIP LOCKED, so several drift-monitor processes run each tick once.
CREATE TABLE monitoring_schedules (
    tenant_id     text        NOT NULL,
    model_name    text        NOT NULL,
    every_minutes integer     NOT NULL CHECK (every_minutes BETWEEN 1 AND 10080),
    settings      jsonb       NOT NULL,
    enabled       boolean     NOT NULL DEFAULT true,
    next_due_at   timestamptz NOT NULL,
    last_run_at   timestamptz,
    last_outcome  jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, model_name)
);
CREATE INDEX monitoring_schedules_due_idx ON monitoring_schedules (next_due_at) WHERE enabled;
