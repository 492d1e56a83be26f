-- Pulse metadata schema, version 1. Bytes live in the object store; everything else lives here.

CREATE TABLE datasources (
    id            text PRIMARY KEY,
    tenant_id     text NOT NULL,
    name          text NOT NULL,
    kind          text NOT NULL,
    sealed_config text NOT NULL,              -- AES-256-GCM, never returned
    allowlist     text[] NOT NULL,
    status        text NOT NULL CHECK (status IN ('registered', 'valid', 'invalid')),
    validation    jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

CREATE TABLE extraction_jobs (
    id             text PRIMARY KEY,
    tenant_id      text NOT NULL,
    datasource_id  text NOT NULL REFERENCES datasources (id),
    view_name      text NOT NULL,
    request        jsonb NOT NULL,
    status         text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    attempts       int NOT NULL DEFAULT 0,
    cursor_after   text,
    cursor_up_to   text,
    cursor_min     text,
    cursor_max     text,
    row_count      bigint,
    columns        jsonb,
    parts          jsonb,
    error          text,
    run_id         text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz
);
CREATE INDEX extraction_jobs_source_idx ON extraction_jobs (tenant_id, datasource_id, view_name, status, finished_at);

CREATE TABLE datasets (
    id         text PRIMARY KEY,
    tenant_id  text NOT NULL,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

CREATE TABLE dataset_versions (
    id            text PRIMARY KEY,
    tenant_id     text NOT NULL,
    dataset_id    text NOT NULL REFERENCES datasets (id),
    version       int NOT NULL CHECK (version >= 1),
    content_hash  text NOT NULL,
    row_count     bigint NOT NULL,
    manifest_key  text NOT NULL,
    manifest      jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dataset_id, version)
);

-- A finalised dataset version never changes: enforce it in the database too.
CREATE FUNCTION dataset_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'dataset version % is immutable', OLD.id USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER dataset_versions_no_update BEFORE UPDATE OR DELETE ON dataset_versions
    FOR EACH ROW EXECUTE FUNCTION dataset_versions_immutable();

CREATE TABLE dataset_version_extractions (
    dataset_version_id text NOT NULL REFERENCES dataset_versions (id),
    extraction_id      text NOT NULL REFERENCES extraction_jobs (id),
    position           int NOT NULL,
    PRIMARY KEY (dataset_version_id, extraction_id)
);

CREATE TABLE training_jobs (
    id                 text PRIMARY KEY,
    tenant_id          text NOT NULL,
    dataset_version_id text NOT NULL REFERENCES dataset_versions (id),
    model_name         text NOT NULL,
    request            jsonb NOT NULL,
    status             text NOT NULL CHECK (status IN ('completed', 'failed')),
    model_id           text,
    run_id             text,
    error              text,
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE models (
    id                 text PRIMARY KEY,
    tenant_id          text NOT NULL,
    name               text NOT NULL,
    version            int NOT NULL,
    stage              text NOT NULL CHECK (stage IN ('candidate', 'production', 'archived', 'rejected')),
    training_job_id    text NOT NULL REFERENCES training_jobs (id),
    dataset_version_id text NOT NULL REFERENCES dataset_versions (id),
    model_key          text NOT NULL,
    manifest_key       text NOT NULL,
    feature_spec       jsonb NOT NULL,
    training_config    jsonb NOT NULL,
    holdout_metrics    jsonb NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    stage_changed_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name, version)
);
-- At most one production model per name.
CREATE UNIQUE INDEX models_one_production ON models (tenant_id, name) WHERE stage = 'production';

CREATE TABLE evaluations (
    id                text PRIMARY KEY,
    tenant_id         text NOT NULL,
    model_id          text NOT NULL REFERENCES models (id),
    champion_id       text REFERENCES models (id),
    metrics           jsonb NOT NULL,
    champion_metrics  jsonb,
    holdout_rows      bigint NOT NULL,
    run_id            text,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE promotions (
    id                text PRIMARY KEY,
    tenant_id         text NOT NULL,
    model_id          text NOT NULL REFERENCES models (id),
    previous_model_id text REFERENCES models (id),
    decision          text NOT NULL CHECK (decision IN ('promoted', 'rejected')),
    reason            text NOT NULL,
    policy            jsonb NOT NULL,
    evidence          jsonb NOT NULL,
    run_id            text,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE predictions (
    id          text PRIMARY KEY,
    tenant_id   text NOT NULL,
    model_id    text NOT NULL REFERENCES models (id),
    message_id  text NOT NULL,
    row_key     text,
    score       double precision NOT NULL,
    inputs      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX predictions_model_idx ON predictions (tenant_id, model_id, created_at);

CREATE TABLE feedback (
    id            text PRIMARY KEY,
    tenant_id     text NOT NULL,
    prediction_id text NOT NULL UNIQUE REFERENCES predictions (id),
    outcome       double precision NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE drift_reports (
    id          text PRIMARY KEY,
    tenant_id   text NOT NULL,
    model_id    text NOT NULL REFERENCES models (id),
    window_rows bigint NOT NULL,
    max_psi     double precision NOT NULL,
    report      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE retraining_decisions (
    id          text PRIMARY KEY,
    tenant_id   text NOT NULL,
    model_name  text NOT NULL,
    model_id    text REFERENCES models (id),
    retrain     boolean NOT NULL,
    reasons     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE retraining_runs (
    id                  text PRIMARY KEY,
    tenant_id           text NOT NULL,
    model_name          text NOT NULL,
    champion_id         text NOT NULL REFERENCES models (id),
    status              text NOT NULL CHECK (status IN ('running', 'promoted', 'rejected', 'failed')),
    reason              text,
    config              jsonb NOT NULL,
    extraction_id       text,
    dataset_version_id  text,
    candidate_model_id  text,
    outcome             text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz
);
-- No two retraining runs of one model at once.
CREATE UNIQUE INDEX retraining_runs_one_running ON retraining_runs (tenant_id, model_name) WHERE status = 'running';

CREATE TABLE lineage_edges (
    tenant_id  text NOT NULL,
    from_kind  text NOT NULL,
    from_id    text NOT NULL,
    to_kind    text NOT NULL,
    to_id      text NOT NULL,
    relation   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (from_id, to_id)
);
CREATE INDEX lineage_edges_to_idx ON lineage_edges (to_id);

-- Transactional outbox: events commit with the state change that caused them; a relay publishes them.
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    message_id   text NOT NULL UNIQUE,
    tenant_id    text NOT NULL,
    exchange     text NOT NULL,
    routing_key  text NOT NULL,
    envelope     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;

-- Inbox: which messages each consumer has handled, with the reply it gave, committed with the effect.
CREATE TABLE inbox (
    consumer     text NOT NULL,
    message_id   text NOT NULL,
    tenant_id    text NOT NULL,
    operation    text NOT NULL,
    status       int NOT NULL,
    reply        jsonb NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
