DROP TABLE evidence;
DROP INDEX findings_client_ref;
ALTER TABLE findings DROP COLUMN client_ref;
DROP INDEX inspections_client_ref;
ALTER TABLE inspections DROP COLUMN client_ref;
