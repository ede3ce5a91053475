-- Withdrawn findings go back to upheld (their register rows are not restored).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE findings_old (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id        BIGINT NOT NULL REFERENCES units (id),
    inspection_id      BIGINT NOT NULL REFERENCES inspections (id),
    unit_id            BIGINT NOT NULL REFERENCES units (id),
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
    outcome            TEXT CHECK (outcome IN ('upheld', 'dismissed')),
    action             TEXT,
    action_due_at      TIMESTAMP,
    discipline_form    TEXT,
    decided_at         TIMESTAMP,
    decided_by         BIGINT,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    client_ref         TEXT
);
INSERT INTO findings_old (id, province_id, inspection_id, unit_id, staff_id, violation_code,
    observed_at, description, severity, status, explanation_due_at, explanation, explained_at,
    explained_by, outcome, action, action_due_at, discipline_form, decided_at, decided_by,
    created_at, updated_at, client_ref)
SELECT id, province_id, inspection_id, unit_id, staff_id, violation_code,
    observed_at, description, severity,
    CASE status WHEN 'withdrawn' THEN 'upheld' ELSE status END,
    explanation_due_at, explanation, explained_at, explained_by,
    CASE outcome WHEN 'withdrawn' THEN 'upheld' ELSE outcome END,
    action, action_due_at, discipline_form, decided_at, decided_by,
    created_at, updated_at, client_ref
FROM findings;
-- Ids are never used again (the audit trail names them): the counter carries over.
CREATE TEMP TABLE findings_seq AS SELECT seq FROM sqlite_sequence WHERE name = 'findings';
DROP TABLE findings;
ALTER TABLE findings_old RENAME TO findings;
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
