DROP TABLE job_leases;
DROP TABLE notifications;
DROP TABLE repeat_notice_violations;
DROP TABLE repeat_notices;
