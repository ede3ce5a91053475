-- The day a staff record was created, when its province already judged attendance then
-- (after its go-live): before it, a day with nothing recorded (no check-in, no leave) is
-- no absence, as the person could not check in before the record existed. NULL for
-- records entered by the go-live and for those created before this column, which are
-- judged as before.
ALTER TABLE staff ADD COLUMN known_from DATE;
