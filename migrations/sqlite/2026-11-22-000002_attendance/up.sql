-- Attendance: schedules, the holiday calendar, leave, check-in events, the violation
-- register (fed by attendance now, by inspections and dossiers later) and job progress.

CREATE TABLE schedules (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id   BIGINT NOT NULL REFERENCES units (id),
    unit_id       BIGINT NOT NULL REFERENCES units (id),
    valid_from    DATE NOT NULL,
    -- Inclusive; NULL: open-ended.
    valid_to      DATE,
    -- ISO weekdays worked, '1,2,3,4,5'.
    weekdays      TEXT NOT NULL,
    -- Sessions of a working day, '07:30-11:30,13:30-17:00'.
    sessions      TEXT NOT NULL,
    grace_minutes INTEGER NOT NULL,
    punch_mode    TEXT NOT NULL CHECK (punch_mode IN ('daily', 'per_session')),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX schedules_unit ON schedules (unit_id, valid_from);

CREATE TABLE calendar_days (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL: a national entry; otherwise the province it applies to.
    province_id BIGINT REFERENCES units (id),
    day         DATE NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('holiday', 'day_off', 'workday')),
    name        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX calendar_days_day ON calendar_days (COALESCE(province_id, 0), day);

CREATE TABLE leaves (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id  BIGINT NOT NULL REFERENCES units (id),
    staff_id     BIGINT NOT NULL REFERENCES staff (id),
    from_date    DATE NOT NULL,
    to_date      DATE NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('annual', 'sick', 'maternity', 'business_trip', 'study', 'personal', 'other')),
    half_day     TEXT CHECK (half_day IN ('morning', 'afternoon')),
    reason       TEXT,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    requested_by BIGINT,
    decided_by   BIGINT,
    decided_at   TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX leaves_staff ON leaves (staff_id, from_date);

CREATE TABLE checkins (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id     BIGINT NOT NULL REFERENCES units (id),
    staff_id        BIGINT NOT NULL REFERENCES staff (id),
    -- The instant, UTC.
    at              TIMESTAMP NOT NULL,
    -- The date in Asia/Ho_Chi_Minh the instant falls on, for day queries.
    local_date      DATE NOT NULL,
    direction       TEXT CHECK (direction IN ('in', 'out')),
    source          TEXT NOT NULL CHECK (source IN ('kiosk', 'mobile', 'device', 'manual')),
    device_id       TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT,
    reason          TEXT,
    created_by      BIGINT,
    created_at      TIMESTAMP NOT NULL,
    -- Events are voided with a reason, never deleted.
    voided_at       TIMESTAMP,
    voided_by       BIGINT,
    void_reason     TEXT
);
CREATE INDEX checkins_staff_day ON checkins (staff_id, local_date);
-- The same key for the same person is the same event, and so is the same instant from the
-- same device: devices that upload twice create nothing new.
CREATE UNIQUE INDEX checkins_key ON checkins (staff_id, idempotency_key);
CREATE UNIQUE INDEX checkins_instant ON checkins (staff_id, at, device_id);

CREATE TABLE violations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id BIGINT NOT NULL REFERENCES units (id),
    unit_id     BIGINT NOT NULL REFERENCES units (id),
    staff_id    BIGINT REFERENCES staff (id),
    -- A violation type code: late, early_leave, absent_no_reason, …
    code        TEXT NOT NULL,
    day         DATE NOT NULL,
    minutes     INTEGER,
    -- Where it comes from ('attendance', later 'inspection', 'dossier') and which record.
    source      TEXT NOT NULL,
    source_ref  TEXT NOT NULL,
    detail      TEXT,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX violations_source ON violations (source, source_ref, code);
CREATE INDEX violations_staff_day ON violations (staff_id, day);
CREATE INDEX violations_unit_day ON violations (unit_id, day);

-- Progress of background jobs, e.g. the last day whose attendance was closed per province.
CREATE TABLE job_state (
    name        TEXT NOT NULL,
    province_id BIGINT NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (name, province_id)
);
