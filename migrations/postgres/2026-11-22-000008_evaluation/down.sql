DROP TABLE evaluations;
DROP TABLE policies;
