-- The day a staff record entered without a joining date was created: before it, a day
-- without check-ins is no absence (the person could not check in before the record
-- existed). NULL for records with a joining date and for those created before this
-- column, which are judged as before.
ALTER TABLE staff ADD COLUMN known_from DATE;
