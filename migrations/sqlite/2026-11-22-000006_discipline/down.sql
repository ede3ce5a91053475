DROP TABLE discipline_findings;
DROP TABLE discipline_decisions;
