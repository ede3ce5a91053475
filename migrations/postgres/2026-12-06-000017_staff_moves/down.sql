ALTER TABLE staff DROP COLUMN unit_since;
DROP TABLE staff_moves;
