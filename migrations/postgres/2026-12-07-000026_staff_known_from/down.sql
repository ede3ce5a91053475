ALTER TABLE staff DROP COLUMN known_from;
