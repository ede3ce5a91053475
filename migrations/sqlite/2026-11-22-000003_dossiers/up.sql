-- One-stop dossiers with their handling steps, and citizens' satisfaction surveys.

CREATE TABLE dossiers (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id             BIGINT NOT NULL REFERENCES units (id),
    -- The unit that received the dossier.
    unit_id                 BIGINT NOT NULL REFERENCES units (id),
    code                    TEXT NOT NULL,
    procedure_name          TEXT NOT NULL,
    -- UTC instants.
    received_at             TIMESTAMP NOT NULL,
    due_at                  TIMESTAMP,
    finished_at             TIMESTAMP,
    status                  TEXT NOT NULL CHECK (status IN ('received', 'in_progress', 'awaiting_supplement', 'finished', 'returned', 'cancelled')),
    -- The clock stops while the citizen supplements documents.
    supplement_requested_at TIMESTAMP,
    supplement_received_at  TIMESTAMP,
    -- Apology letter (phiếu xin lỗi và hẹn lại ngày trả kết quả): the new return date. The
    -- dossier stays late.
    apology_new_due_at      TIMESTAMP,
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX dossiers_code ON dossiers (province_id, code);
CREATE INDEX dossiers_unit ON dossiers (unit_id, received_at);

CREATE TABLE dossier_steps (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id BIGINT NOT NULL REFERENCES units (id),
    dossier_id  BIGINT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    step_no     INTEGER NOT NULL,
    staff_id    BIGINT REFERENCES staff (id),
    -- The handler's unit when the step was done.
    unit_id     BIGINT REFERENCES units (id),
    received_at TIMESTAMP,
    due_at      TIMESTAMP,
    finished_at TIMESTAMP,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX dossier_steps_no ON dossier_steps (dossier_id, step_no);
CREATE INDEX dossier_steps_staff ON dossier_steps (staff_id, finished_at);

CREATE TABLE surveys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id  BIGINT NOT NULL REFERENCES units (id),
    unit_id      BIGINT NOT NULL REFERENCES units (id),
    staff_id     BIGINT REFERENCES staff (id),
    dossier_code TEXT,
    submitted_at TIMESTAMP NOT NULL,
    -- Whether the citizen was satisfied, decided at entry from a yes/no answer or a score.
    satisfied    BOOLEAN NOT NULL,
    score        INTEGER CHECK (score BETWEEN 1 AND 5),
    comment      TEXT,
    created_by   BIGINT,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX surveys_unit ON surveys (unit_id, submitted_at);
CREATE INDEX surveys_staff ON surveys (staff_id, submitted_at);
