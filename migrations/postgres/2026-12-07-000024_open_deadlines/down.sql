DROP INDEX dossiers_open_due;
DROP INDEX dossier_steps_open_due;
