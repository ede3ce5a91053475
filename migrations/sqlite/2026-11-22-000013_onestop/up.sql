-- One-stop integration (ONESTOP.md): the national portal's processing log kept on each
-- step (who the feed named, and why they are not attributed yet), the accounts and
-- aliases that map those names to staff, and officers' disputes of late steps.

-- What the feed said about the handler; staff_id is set only when a mapping decided it.
ALTER TABLE dossier_steps ADD COLUMN handler_name TEXT;
ALTER TABLE dossier_steps ADD COLUMN handler_account TEXT;
-- NoiDungXuLy: what was done ("Tiếp nhận hồ sơ", "Ký duyệt" …).
ALTER TABLE dossier_steps ADD COLUMN action TEXT;
-- How a feed step's handler was attributed: account, alias, name, manual (NULL for the
-- CSV import, whose staff codes decide).
ALTER TABLE dossier_steps ADD COLUMN matched_by TEXT;
-- Why the feed's handler is not attributed: unknown, ambiguous. NULL otherwise.
ALTER TABLE dossier_steps ADD COLUMN handler_issue TEXT;
-- The identity of a log entry within its dossier, so that a re-sent entry is recognised.
ALTER TABLE dossier_steps ADD COLUMN source_key TEXT;
CREATE UNIQUE INDEX dossier_steps_source_key ON dossier_steps (dossier_id, source_key)
    WHERE source_key IS NOT NULL;
CREATE INDEX dossier_steps_unattributed ON dossier_steps (province_id, handler_issue)
    WHERE handler_issue IS NOT NULL;

-- A name in the feed is matched against staff names exactly (NFC) within the dossier's unit.
CREATE INDEX staff_name ON staff (province_id, full_name);

-- One-stop accounts (TaiKhoanXuLy) and name aliases (NguoiXuLy spellings) of staff.
CREATE TABLE staff_handles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id BIGINT NOT NULL REFERENCES units (id),
    staff_id    BIGINT NOT NULL REFERENCES staff (id),
    kind        TEXT NOT NULL CHECK (kind IN ('account', 'alias')),
    -- As entered, and the form matching compares (NFC, trimmed, single spaces, lower case).
    display     TEXT NOT NULL,
    value       TEXT NOT NULL,
    created_by  BIGINT,
    created_at  TIMESTAMP NOT NULL
);
-- An account is one person's; an alias may be shared (matching then stays ambiguous).
CREATE UNIQUE INDEX staff_handles_account ON staff_handles (province_id, value)
    WHERE kind = 'account';
CREATE UNIQUE INDEX staff_handles_own ON staff_handles (staff_id, kind, value);
CREATE INDEX staff_handles_value ON staff_handles (province_id, kind, value);

-- An officer's dispute of one of their late steps, decided by their head.
CREATE TABLE dossier_disputes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id     BIGINT NOT NULL REFERENCES units (id),
    dossier_id      BIGINT NOT NULL REFERENCES dossiers (id),
    step_id         BIGINT NOT NULL REFERENCES dossier_steps (id),
    staff_id        BIGINT NOT NULL REFERENCES staff (id),
    -- The officer's unit when the dispute was raised (scoping, and who decides).
    unit_id         BIGINT NOT NULL REFERENCES units (id),
    reason          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    raised_by       BIGINT NOT NULL REFERENCES users (id),
    raised_at       TIMESTAMP NOT NULL,
    -- The head decides by then; after it, the next level up may decide too.
    decide_by       TIMESTAMP NOT NULL,
    decided_by      BIGINT REFERENCES users (id),
    decided_at      TIMESTAMP,
    decision_reason TEXT
);
-- One dispute per step: a rejected one stands.
CREATE UNIQUE INDEX dossier_disputes_step ON dossier_disputes (step_id);
CREATE INDEX dossier_disputes_status ON dossier_disputes (province_id, status);
CREATE INDEX dossier_disputes_staff ON dossier_disputes (staff_id);

CREATE TABLE dispute_evidence (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id  BIGINT NOT NULL REFERENCES units (id),
    dispute_id   BIGINT NOT NULL REFERENCES dossier_disputes (id),
    sha256       TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    filename     TEXT,
    uploaded_by  BIGINT NOT NULL REFERENCES users (id),
    uploaded_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX dispute_evidence_sha ON dispute_evidence (dispute_id, sha256);
