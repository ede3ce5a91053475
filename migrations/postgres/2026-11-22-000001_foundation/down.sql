DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE user_roles;
DROP TABLE users;
DROP TABLE staff;
DROP TABLE units;
