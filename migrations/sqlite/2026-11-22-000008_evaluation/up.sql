-- Rating policies (TOML documents, versioned per code) and the evaluations they produce.

CREATE TABLE policies (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL: a national policy.
    province_id    BIGINT REFERENCES units (id),
    code           TEXT NOT NULL,
    version        INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('base', 'overlay')),
    name           TEXT NOT NULL,
    effective_from DATE NOT NULL,
    effective_to   DATE,
    -- The document as written; it is parsed again when used, so what runs is what was
    -- checked and shown.
    document       TEXT NOT NULL,
    created_by     BIGINT REFERENCES users (id),
    created_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX policies_code_version ON policies (code, version);

CREATE TABLE evaluations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id     BIGINT NOT NULL REFERENCES units (id),
    unit_id         BIGINT NOT NULL REFERENCES units (id),
    staff_id        BIGINT NOT NULL REFERENCES staff (id),
    period          TEXT NOT NULL,
    -- The policies applied (ids, base first), as JSON.
    policy_ids      TEXT NOT NULL,
    rated           BOOLEAN NOT NULL,
    proposed_rating TEXT CHECK (proposed_rating IN ('excellent', 'completed_well', 'completed', 'not_completed')),
    max_rating      TEXT CHECK (max_rating IN ('excellent', 'completed_well', 'completed', 'not_completed')),
    metrics         TEXT NOT NULL,
    applied_rules   TEXT NOT NULL,
    -- Over the excellent quota of its group: the explanation of the order.
    quota_note      TEXT,
    -- When a re-run changed the proposal after HR had decided: the proposal HR saw.
    previous_proposed_rating TEXT,
    final_rating    TEXT CHECK (final_rating IN ('excellent', 'completed_well', 'completed', 'not_completed')),
    reason          TEXT,
    decided_by      BIGINT REFERENCES users (id),
    decided_at      TIMESTAMP,
    evaluated_at    TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX evaluations_staff_period ON evaluations (staff_id, period);
CREATE INDEX evaluations_unit_period ON evaluations (unit_id, period);
