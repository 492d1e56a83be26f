-- Drift reports get a verdict; a window too small to mean anything is recorded as 'insufficient-data' with its
-- counts and no statistics (so no max_psi).
ALTER TABLE drift_reports ALTER COLUMN max_psi DROP NOT NULL;
ALTER TABLE drift_reports ADD COLUMN verdict text NOT NULL DEFAULT 'stable'
    CHECK (verdict IN ('insufficient-data', 'stable', 'moderate', 'significant'));
-- Reports recorded before verdicts existed get the one their PSI implies (the same bands as DriftVerdict).
UPDATE drift_reports SET verdict = CASE WHEN max_psi >= 0.25 THEN 'significant' WHEN max_psi >= 0.1 THEN 'moderate' ELSE 'stable' END;
CREATE INDEX drift_reports_model_idx ON drift_reports (model_id, created_at);

-- A run started inside the cooldown says so.
ALTER TABLE retraining_runs ADD COLUMN forced boolean NOT NULL DEFAULT false;
-- The cooldown looks up a model name's latest run.
CREATE INDEX retraining_runs_model_idx ON retraining_runs (tenant_id, model_name, created_at);

-- Live performance reads the most recent feedback of a tenant.
CREATE INDEX feedback_recent_idx ON feedback (tenant_id, created_at);
