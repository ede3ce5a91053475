DROP INDEX repeat_notice_violations_source;
ALTER TABLE repeat_notice_violations DROP COLUMN source_key;
