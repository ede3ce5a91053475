DROP INDEX checkins_key;
CREATE UNIQUE INDEX checkins_key ON checkins (staff_id, idempotency_key);
CREATE INDEX checkins_staff_day ON checkins (staff_id, local_date);
