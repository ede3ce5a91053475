ALTER TABLE repeat_notices DROP COLUMN about_head;
