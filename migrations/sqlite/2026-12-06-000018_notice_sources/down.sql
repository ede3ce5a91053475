ALTER TABLE repeat_notice_violations DROP COLUMN source_key;
