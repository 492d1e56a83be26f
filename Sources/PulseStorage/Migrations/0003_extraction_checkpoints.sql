-- Resumable extraction: a checkpoint per finished part, committed while the extraction runs, so a retry or a
-- redelivery continues after the last committed part instead of starting again.
-- (Version 0002 belongs to another change; the migrator applies whatever versions it has not recorded, in order,
-- so this file does not depend on it and it does not depend on this one.)

ALTER TABLE extraction_jobs
    -- Progress, shown by GET /extractions/{id} while the job runs: rows and parts in committed checkpoints, and
    -- how many rows the running attempt expects in all (checkpointed + what its plan still counts).
    ADD COLUMN rows_done         bigint NOT NULL DEFAULT 0,
    ADD COLUMN parts_done        int NOT NULL DEFAULT 0,
    ADD COLUMN rows_planned      bigint,
    -- Rows the latest attempt took over from a checkpoint instead of reading them (0: it started from the beginning).
    ADD COLUMN resumed_from_rows bigint,
    ADD COLUMN checkpointed_at   timestamptz,
    -- The cursor and key, as the source prints them, of the last row of the last checkpointed part: a resumed
    -- attempt reads only rows after it. NULL resume_cursor = no checkpoint; NULL resume_key with a cursor = that
    -- row's key was NULL.
    ADD COLUMN resume_cursor     text,
    ADD COLUMN resume_key        text,
    -- The part size of the first attempt, kept so a resumed attempt cuts the same parts.
    ADD COLUMN rows_per_part     int CHECK (rows_per_part > 0);

-- The parts of the checkpoint, in order. Deleted when the job completes: it then lists all its parts in
-- extraction_jobs.parts.
CREATE TABLE extraction_checkpoint_parts (
    extraction_id    text NOT NULL REFERENCES extraction_jobs (id) ON DELETE CASCADE,
    position         int NOT NULL CHECK (position >= 0),
    object_key       text NOT NULL,
    row_count        bigint NOT NULL CHECK (row_count > 0),
    sha256           text NOT NULL,
    compressed_bytes bigint NOT NULL,
    committed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (extraction_id, position)
);
