DROP TABLE period_scores;
