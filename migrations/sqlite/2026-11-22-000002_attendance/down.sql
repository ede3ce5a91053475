DROP TABLE job_state;
DROP TABLE violations;
DROP TABLE checkins;
DROP TABLE leaves;
DROP TABLE calendar_days;
DROP TABLE schedules;
