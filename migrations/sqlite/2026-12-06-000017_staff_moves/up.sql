-- A person's earlier units. staff.unit_id is where they are now; each row here says they
-- were in from_unit_id on the days before moved_on (back to their previous move), so that
-- a transfer does not re-judge the days before it under the new unit's schedule, and the
-- old unit's timesheets and register keep them. No rows: always in staff.unit_id.
CREATE TABLE staff_moves (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id     BIGINT NOT NULL REFERENCES staff (id),
    from_unit_id BIGINT NOT NULL REFERENCES units (id),
    moved_on     DATE NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX staff_moves_staff_day ON staff_moves (staff_id, moved_on);
-- The people who were in a unit in a period (its timesheet, a schedule change).
CREATE INDEX staff_moves_from_unit ON staff_moves (from_unit_id, moved_on);
-- The day the person came into their present unit by a transfer (their last move's
-- moved_on); NULL for someone never transferred. Read with the staff record, it tells
-- whether a day is in the present unit without reading staff_moves: a live check-in
-- never needs them.
ALTER TABLE staff ADD COLUMN unit_since DATE;
