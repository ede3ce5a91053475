DROP TABLE surveys;
DROP TABLE dossier_steps;
DROP TABLE dossiers;
