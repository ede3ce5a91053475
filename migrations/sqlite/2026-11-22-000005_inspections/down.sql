DROP TABLE findings;
DROP TABLE inspection_team;
DROP TABLE inspections;
