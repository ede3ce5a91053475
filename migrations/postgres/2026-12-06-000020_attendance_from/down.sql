ALTER TABLE units DROP COLUMN attendance_from;
