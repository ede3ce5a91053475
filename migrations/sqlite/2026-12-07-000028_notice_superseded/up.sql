-- A notice that no longer stood (a violation of it withdrawn) and whose remaining
-- violations went into a later notice with a newcomer: withdrawn for good, whatever comes
-- back, so that no act is told under two notices. NULL: not superseded.
ALTER TABLE repeat_notices ADD COLUMN superseded_by BIGINT;
