-- Disciplinary decisions (quyết định kỷ luật) and the findings they rest on.

CREATE TABLE discipline_decisions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id      BIGINT NOT NULL REFERENCES units (id),
    staff_id         BIGINT NOT NULL REFERENCES staff (id),
    unit_id          BIGINT NOT NULL REFERENCES units (id),
    form             TEXT NOT NULL CHECK (form IN ('khien_trach', 'canh_cao', 'ha_bac_luong', 'giang_chuc', 'cach_chuc', 'buoc_thoi_viec', 'bai_nhiem')),
    decision_no      TEXT NOT NULL,
    decided_on       DATE NOT NULL,
    effective_from   DATE NOT NULL,
    -- The last day on which the decision holds back promotion and appointment.
    restricted_until DATE,
    -- The decree the form was checked against.
    regime           TEXT NOT NULL,
    reason           TEXT NOT NULL,
    created_by       BIGINT,
    created_at       TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX discipline_decision_no ON discipline_decisions (province_id, decision_no);
CREATE INDEX discipline_staff ON discipline_decisions (staff_id, decided_on);

CREATE TABLE discipline_findings (
    decision_id BIGINT NOT NULL REFERENCES discipline_decisions (id) ON DELETE CASCADE,
    finding_id  BIGINT NOT NULL REFERENCES findings (id),
    PRIMARY KEY (decision_id, finding_id)
);
