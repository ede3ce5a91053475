ALTER TABLE staff_moves DROP COLUMN roles_after;
ALTER TABLE staff_moves DROP COLUMN roles_before;
ALTER TABLE staff_moves DROP COLUMN was_head;
