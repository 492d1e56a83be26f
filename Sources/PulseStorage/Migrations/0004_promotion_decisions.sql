-- Promotion decisions beyond promote/reject: a candidate waiting for a person's approval, a promotion that lost a
-- race for the production pointer (evaluated against a champion that is no longer production), and a rollback.
-- A model taken out of production by a rollback is 'rolled-back', so a later rollback steps further back instead of
-- returning to it.
ALTER TABLE models DROP CONSTRAINT models_stage_check;
ALTER TABLE models ADD CONSTRAINT models_stage_check
    CHECK (stage IN ('candidate', 'production', 'archived', 'rejected', 'rolled-back'));

ALTER TABLE promotions DROP CONSTRAINT promotions_decision_check;
ALTER TABLE promotions ADD CONSTRAINT promotions_decision_check
    CHECK (decision IN ('promoted', 'rejected', 'awaiting-approval', 'conflict', 'rollback'));

-- Who decided (an approver, whoever asked for a rollback; NULL for the policy alone), their note, and the
-- evaluation the decision read.
ALTER TABLE promotions
    ADD COLUMN actor text,
    ADD COLUMN note text,
    ADD COLUMN evaluation_id text REFERENCES evaluations (id);

CREATE INDEX promotions_model_idx ON promotions (tenant_id, model_id, created_at);
