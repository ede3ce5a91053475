-- The daily sweep finds the dossiers whose deadline (theirs or a step's) has passed
-- unmet: only unfinished rows, few beside a province's millions of finished steps.
CREATE INDEX dossier_steps_open_due ON dossier_steps (province_id, due_at) WHERE finished_at IS NULL;
CREATE INDEX dossiers_open_due ON dossiers (province_id, due_at) WHERE finished_at IS NULL;
