-- Fewer indexes for every check-in to maintain (measured in docs/PERFORMANCE.md):
-- events are read by person and instant on the checkins_instant key, not by local date,
-- and only events that carry an idempotency key need that key's uniqueness indexed.
DROP INDEX checkins_staff_day;
DROP INDEX checkins_key;
CREATE UNIQUE INDEX checkins_key ON checkins (staff_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
