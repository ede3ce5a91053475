-- Whether a notice is about a head's own violations (its person headed the unit it is
-- about when it was made). Such a notice goes to the level above, and only that level
-- reads and acknowledges it, not the head's deputies nor the unit's own administrator.
-- It was worked out from the person's present record: once the head was transferred or
-- stepped down, or had the flag cleared for a moment, the deputies read and acknowledged
-- it (ending its escalation). Notices made before this are marked as their person's
-- record stands now, as they were read until now.
ALTER TABLE repeat_notices ADD COLUMN about_head BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE repeat_notices SET about_head = TRUE
WHERE EXISTS (
    SELECT 1 FROM staff
    WHERE staff.id = repeat_notices.staff_id
      AND staff.is_head = TRUE
      AND staff.unit_id = repeat_notices.unit_id
);
