-- Evidence files of findings, and the client references that make an inspector's offline
-- upload idempotent (a retried submission finds what the first one created).

ALTER TABLE inspections ADD COLUMN client_ref TEXT;
-- Per creator: a retry comes from the same account, and another team's reference never
-- collides with (or reveals) this one.
CREATE UNIQUE INDEX inspections_client_ref ON inspections (created_by, client_ref)
    WHERE client_ref IS NOT NULL;

ALTER TABLE findings ADD COLUMN client_ref TEXT;
CREATE UNIQUE INDEX findings_client_ref ON findings (inspection_id, client_ref)
    WHERE client_ref IS NOT NULL;

CREATE TABLE evidence (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id  BIGINT NOT NULL REFERENCES units (id),
    finding_id   BIGINT NOT NULL REFERENCES findings (id),
    -- Hex SHA-256 of the content; the file is stored under this name (content-addressed).
    sha256       TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    -- The type sniffed from the content, never the one the client claimed.
    content_type TEXT NOT NULL,
    filename     TEXT,
    uploaded_by  BIGINT NOT NULL REFERENCES users (id),
    uploaded_at  TIMESTAMP NOT NULL
);
-- The same file attached twice to a finding is one piece of evidence (retried uploads).
CREATE UNIQUE INDEX evidence_finding_sha ON evidence (finding_id, sha256);
