-- Foundation: the unit tree, staff, accounts with roles, and the append-only audit trail.
-- Every table carries province_id (the root unit) so a national deployment can be
-- distributed by province without schema surgery.

CREATE TABLE units (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The root unit of this unit's tree; equals id for the root itself. No foreign key:
    -- the root's own id is only known after its insert.
    province_id BIGINT NOT NULL,
    parent_id   BIGINT REFERENCES units (id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('province', 'department', 'district', 'commune', 'division', 'public_service_unit', 'other')),
    -- Materialised path of ids, '/1/4/9/': a subtree is every path with this prefix,
    -- queried as a byte-ordered range.
    path        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
-- Codes are unique among siblings; roots (parent_id NULL) are siblings of each other.
CREATE UNIQUE INDEX units_sibling_code ON units (COALESCE(parent_id, 0), code);
CREATE INDEX units_path ON units (path);
CREATE INDEX units_province ON units (province_id);

CREATE TABLE staff (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id BIGINT NOT NULL REFERENCES units (id),
    unit_id     BIGINT NOT NULL REFERENCES units (id),
    code        TEXT NOT NULL,
    full_name   TEXT NOT NULL,
    category    TEXT NOT NULL CHECK (category IN ('can_bo', 'cong_chuc', 'vien_chuc', 'contract')),
    position    TEXT,
    email       TEXT,
    is_head     BOOLEAN NOT NULL DEFAULT FALSE,
    joined_on   DATE,
    left_on     DATE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX staff_province_code ON staff (province_id, code);
CREATE INDEX staff_unit ON staff (unit_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL for an account whose roles reach every province (the first administrator).
    province_id   BIGINT REFERENCES units (id),
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    staff_id      BIGINT REFERENCES staff (id),
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    -- Tokens issued before this instant are refused: a password change or a
    -- deactivation signs out every session of the account.
    credentials_changed_at TIMESTAMP NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (username);
CREATE UNIQUE INDEX users_staff ON users (staff_id);

CREATE TABLE user_roles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    province_id BIGINT REFERENCES units (id),
    role        TEXT NOT NULL CHECK (role IN ('admin', 'hr', 'unit_head', 'inspector', 'staff', 'device')),
    -- NULL: the role reaches every unit.
    unit_id     BIGINT REFERENCES units (id),
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX user_roles_unique ON user_roles (user_id, role, COALESCE(unit_id, 0));
CREATE INDEX user_roles_unit ON user_roles (unit_id);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id   BIGINT,
    -- The unit the audited object belongs to, so audit reads can be scoped to a subtree.
    unit_id       BIGINT,
    actor_user_id BIGINT,
    at            TIMESTAMP NOT NULL,
    entity        TEXT NOT NULL,
    entity_id     BIGINT NOT NULL,
    action        TEXT NOT NULL,
    before_json   TEXT,
    after_json    TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_log_at ON audit_log (at);

-- The audit trail is append-only: the database itself refuses edits and deletions.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
