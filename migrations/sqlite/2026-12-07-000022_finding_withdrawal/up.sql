-- An upheld finding withdrawn on review (a complaint resolved, the wrong person named):
-- status and outcome `withdrawn`, with when, by whom and why. Its register row goes, and
-- it no longer counts anywhere; the finding itself stays, its history in the audit trail.
-- SQLite cannot change a CHECK constraint in place: the table is built again with the
-- new values allowed and the rows copied, ids kept (SQLite's "12 steps" of ALTER TABLE).
-- Evidence and discipline decisions refer to findings by id, so foreign keys are off
-- while the table is swapped, which SQLite allows only outside a transaction: this
-- migration runs outside diesel's (metadata.toml) in one of its own, and checks the
-- references before it commits.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE findings_new (
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
    status             TEXT NOT NULL CHECK (status IN ('open', 'explanation_requested', 'explained', 'upheld', 'dismissed', 'action_required', 'closed', 'withdrawn')),
    explanation_due_at TIMESTAMP,
    explanation        TEXT,
    explained_at       TIMESTAMP,
    explained_by       BIGINT,
    -- The team's conclusion; the register holds the finding while it is upheld.
    outcome            TEXT CHECK (outcome IN ('upheld', 'dismissed', 'withdrawn')),
    action             TEXT,
    action_due_at      TIMESTAMP,
    discipline_form    TEXT,
    decided_at         TIMESTAMP,
    decided_by         BIGINT,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    client_ref         TEXT,
    withdrawn_at       TIMESTAMP,
    withdrawn_by       BIGINT,
    withdrawn_reason   TEXT
);
INSERT INTO findings_new (id, province_id, inspection_id, unit_id, staff_id, violation_code,
    observed_at, description, severity, status, explanation_due_at, explanation, explained_at,
    explained_by, outcome, action, action_due_at, discipline_form, decided_at, decided_by,
    created_at, updated_at, client_ref)
SELECT id, province_id, inspection_id, unit_id, staff_id, violation_code,
    observed_at, description, severity, status, explanation_due_at, explanation, explained_at,
    explained_by, outcome, action, action_due_at, discipline_form, decided_at, decided_by,
    created_at, updated_at, client_ref
FROM findings;
-- Ids are never used again (the audit trail names them): the counter carries over.
CREATE TEMP TABLE findings_seq AS SELECT seq FROM sqlite_sequence WHERE name = 'findings';
DROP TABLE findings;
ALTER TABLE findings_new RENAME TO findings;
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM temp.findings_seq), 0))
WHERE name = 'findings';
DROP TABLE temp.findings_seq;
CREATE INDEX findings_inspection ON findings (inspection_id);
CREATE INDEX findings_staff ON findings (staff_id);
CREATE UNIQUE INDEX findings_client_ref ON findings (inspection_id, client_ref)
    WHERE client_ref IS NOT NULL;
-- Aborts (a foreign key would be broken) rather than commit a table others lost.
CREATE TEMP TABLE fk_broken (n INTEGER CHECK (n = 0));
INSERT INTO fk_broken SELECT COUNT(*) FROM pragma_foreign_key_check WHERE parent = 'findings';
DROP TABLE fk_broken;
COMMIT;
PRAGMA foreign_keys = ON;
