-- Takes away what scripts/bench-partition added: its check-ins and the partitioned copy.
DELETE FROM checkins WHERE local_date = date '2026-12-05' AND device_id LIKE 'bench-%';
DROP TABLE IF EXISTS parted;
DROP SEQUENCE IF EXISTS parted_id_seq;
VACUUM ANALYZE checkins;
