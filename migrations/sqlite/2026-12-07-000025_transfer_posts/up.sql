-- What a transfer ended of the person's posts in the unit they left, so that undoing it
-- gives them back: whether they headed it (a transfer ends headship), and their account's
-- roles before and after it (JSON lists of {role, unit_id, province_id}; the roles held
-- on the unit left end, the staff role moves with them). NULL for transfers recorded
-- before this version, whose undoing leaves headship and roles as they are.
ALTER TABLE staff_moves ADD COLUMN was_head BOOLEAN;
ALTER TABLE staff_moves ADD COLUMN roles_before TEXT;
ALTER TABLE staff_moves ADD COLUMN roles_after TEXT;
