DROP TABLE audit_log;
DROP TABLE user_roles;
DROP TABLE users;
DROP TABLE staff;
DROP TABLE units;
