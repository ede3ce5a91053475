-- NĐ 335/2025 monthly or quarterly scores of công chức: general criteria points, the
-- assigned task items (scored when the year is evaluated, with the period's dossier
-- steps), and for managers the points that come from their unit's results.

CREATE TABLE period_scores (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id   BIGINT NOT NULL REFERENCES units (id),
    staff_id      BIGINT NOT NULL REFERENCES staff (id),
    -- YYYY-MM or YYYY-Qn.
    period        TEXT NOT NULL,
    year          INTEGER NOT NULL,
    general_centi INTEGER NOT NULL CHECK (general_centi BETWEEN 0 AND 3000),
    -- The task items as JSON.
    items         TEXT NOT NULL,
    manager_centi INTEGER NOT NULL DEFAULT 0 CHECK (manager_centi BETWEEN 0 AND 7000),
    note          TEXT,
    entered_by    BIGINT REFERENCES users (id),
    entered_at    TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX period_scores_staff_period ON period_scores (staff_id, period);
CREATE INDEX period_scores_staff_year ON period_scores (staff_id, year);
