-- An upheld finding withdrawn on review (a complaint resolved, the wrong person named):
-- status and outcome `withdrawn`, with when, by whom and why. Its register row goes, and
-- it no longer counts anywhere; the finding itself stays, its history in the audit trail.
ALTER TABLE findings ADD COLUMN withdrawn_at TIMESTAMP;
ALTER TABLE findings ADD COLUMN withdrawn_by BIGINT;
ALTER TABLE findings ADD COLUMN withdrawn_reason TEXT;
ALTER TABLE findings DROP CONSTRAINT findings_status_check;
ALTER TABLE findings ADD CONSTRAINT findings_status_check CHECK (status IN ('open',
    'explanation_requested', 'explained', 'upheld', 'dismissed', 'action_required', 'closed',
    'withdrawn'));
ALTER TABLE findings DROP CONSTRAINT findings_outcome_check;
ALTER TABLE findings ADD CONSTRAINT findings_outcome_check
    CHECK (outcome IN ('upheld', 'dismissed', 'withdrawn'));
