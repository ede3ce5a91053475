-- Withdrawn findings go back to upheld (their register rows are not restored).
UPDATE findings SET status = 'upheld' WHERE status = 'withdrawn';
UPDATE findings SET outcome = 'upheld' WHERE outcome = 'withdrawn';
ALTER TABLE findings DROP CONSTRAINT findings_outcome_check;
ALTER TABLE findings ADD CONSTRAINT findings_outcome_check CHECK (outcome IN ('upheld', 'dismissed'));
ALTER TABLE findings DROP CONSTRAINT findings_status_check;
ALTER TABLE findings ADD CONSTRAINT findings_status_check CHECK (status IN ('open',
    'explanation_requested', 'explained', 'upheld', 'dismissed', 'action_required', 'closed'));
ALTER TABLE findings DROP COLUMN withdrawn_reason;
ALTER TABLE findings DROP COLUMN withdrawn_by;
ALTER TABLE findings DROP COLUMN withdrawn_at;
