-- A month-partitioned copy of congvu's check-ins (`parted`), beside the real table in the same
-- database, for scripts/bench-partition (docs/PERFORMANCE.md, sixth round). Made for the
-- generated province-year (local dates 2025-12 to 2026-12; others go to the default).
\timing on
DROP TABLE IF EXISTS parted;
DROP SEQUENCE IF EXISTS parted_id_seq;
CREATE SEQUENCE parted_id_seq;
CREATE TABLE parted (
  id bigint NOT NULL DEFAULT nextval('parted_id_seq'),
  province_id bigint NOT NULL REFERENCES units(id),
  staff_id bigint NOT NULL REFERENCES staff(id),
  at timestamp NOT NULL,
  local_date date NOT NULL,
  direction text CHECK (direction IN ('in','out')),
  source text NOT NULL CHECK (source IN ('kiosk','mobile','device','manual')),
  device_id text NOT NULL DEFAULT '',
  idempotency_key text,
  reason text,
  created_by bigint,
  created_at timestamp NOT NULL,
  voided_at timestamp,
  voided_by bigint,
  void_reason text
) PARTITION BY RANGE (local_date);
DO $$
DECLARE m date := date '2025-12-01';
BEGIN
  WHILE m < date '2027-01-01' LOOP
    EXECUTE format('CREATE TABLE parted_%s PARTITION OF parted FOR VALUES FROM (%L) TO (%L)',
                   to_char(m, 'YYYYMM'), m, m + interval '1 month');
    m := m + interval '1 month';
  END LOOP;
END $$;
CREATE TABLE parted_default PARTITION OF parted DEFAULT;
INSERT INTO parted SELECT * FROM checkins;
SELECT setval('parted_id_seq', (SELECT max(id) FROM parted));
-- A partitioned table's unique indexes must hold the partition key.
ALTER TABLE parted ADD PRIMARY KEY (id, local_date);
CREATE UNIQUE INDEX parted_instant ON parted (staff_id, at, device_id, local_date);
CREATE UNIQUE INDEX parted_key ON parted (staff_id, idempotency_key, local_date) WHERE idempotency_key IS NOT NULL;
VACUUM ANALYZE parted;
VACUUM ANALYZE checkins;
SELECT pg_size_pretty(pg_total_relation_size('checkins')) AS plain, (SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits WHERE inhparent = 'parted'::regclass) AS parted;
