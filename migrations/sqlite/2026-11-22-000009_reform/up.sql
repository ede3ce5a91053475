-- Units' administrative-reform (CCHC) results per year: the score the province assessed,
-- the ranking decided, and the party body's rating of the unit (for the KL 91 check).

CREATE TABLE unit_reform (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id  BIGINT NOT NULL REFERENCES units (id),
    unit_id      BIGINT NOT NULL REFERENCES units (id),
    year         INTEGER NOT NULL,
    -- Reform score in hundredths of a point (0–10000).
    score_centi  INTEGER CHECK (score_centi BETWEEN 0 AND 10000),
    ranking      TEXT CHECK (ranking IN ('good', 'fair', 'average', 'weak')),
    party_rating TEXT CHECK (party_rating IN ('excellent', 'completed_well', 'completed', 'not_completed')),
    reason       TEXT,
    decided_by   BIGINT REFERENCES users (id),
    decided_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX unit_reform_unit_year ON unit_reform (unit_id, year);
