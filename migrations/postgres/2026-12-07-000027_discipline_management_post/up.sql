-- Whether the person held a management post when disciplined, as the decision states it:
-- it decides the forms allowed (giáng chức, cách chức are for managers), and congvu knows
-- only heads of units, not deputies. NULL for decisions recorded before it was kept.
ALTER TABLE discipline_decisions ADD COLUMN management_post BOOLEAN;
