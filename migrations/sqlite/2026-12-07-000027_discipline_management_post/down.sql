ALTER TABLE discipline_decisions DROP COLUMN management_post;
