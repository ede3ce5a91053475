-- Inspections (biên bản kiểm tra công vụ) and their findings.

CREATE TABLE inspections (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id         BIGINT NOT NULL REFERENCES units (id),
    unit_id             BIGINT NOT NULL REFERENCES units (id),
    kind                TEXT NOT NULL CHECK (kind IN ('surprise', 'scheduled', 'thematic')),
    -- The decision that set up the team.
    legal_basis         TEXT,
    record_no           TEXT,
    started_at          TIMESTAMP NOT NULL,
    ended_at            TIMESTAMP,
    present_count       INTEGER,
    total_count         INTEGER,
    unit_representative TEXT,
    refused_to_sign     BOOLEAN NOT NULL DEFAULT FALSE,
    summary             TEXT,
    status              TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    closed_with_open_findings BOOLEAN NOT NULL DEFAULT FALSE,
    created_by          BIGINT,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX inspections_unit ON inspections (unit_id, started_at);

CREATE TABLE inspection_team (
    inspection_id BIGINT NOT NULL REFERENCES inspections (id) ON DELETE CASCADE,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (inspection_id, user_id)
);

CREATE TABLE findings (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id        BIGINT NOT NULL REFERENCES units (id),
    inspection_id      BIGINT NOT NULL REFERENCES inspections (id),
    unit_id            BIGINT NOT NULL REFERENCES units (id),
    -- NULL: about the unit as a whole.
    staff_id           BIGINT REFERENCES staff (id),
    violation_code     TEXT NOT NULL,
    observed_at        TIMESTAMP NOT NULL,
    description        TEXT NOT NULL,
    severity           TEXT CHECK (severity IN ('less_serious', 'serious', 'very_serious', 'especially_serious')),
    status             TEXT NOT NULL CHECK (status IN ('open', 'explanation_requested', 'explained', 'upheld', 'dismissed', 'action_required', 'closed')),
    explanation_due_at TIMESTAMP,
    explanation        TEXT,
    explained_at       TIMESTAMP,
    explained_by       BIGINT,
    -- The team's conclusion; the register holds the finding while it is upheld.
    outcome            TEXT CHECK (outcome IN ('upheld', 'dismissed')),
    action             TEXT,
    action_due_at      TIMESTAMP,
    discipline_form    TEXT,
    decided_at         TIMESTAMP,
    decided_by         BIGINT,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX findings_inspection ON findings (inspection_id);
CREATE INDEX findings_staff ON findings (staff_id);
