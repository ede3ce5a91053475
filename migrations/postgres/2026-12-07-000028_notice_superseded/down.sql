ALTER TABLE repeat_notices DROP COLUMN superseded_by;
