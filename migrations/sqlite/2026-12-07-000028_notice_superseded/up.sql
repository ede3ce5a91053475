-- A notice that no longer stood (a violation of it withdrawn) and whose remaining
-- violations the nightly sweep counted, with a newcomer, in a later notice of the rule
-- (or of a rule counting its codes since its own no longer applies):
-- void for good, whatever comes back, and what it counted is no longer its own, so that
-- no act is told under two notices of a rule. NULL: not superseded.
ALTER TABLE repeat_notices ADD COLUMN superseded_by BIGINT;
