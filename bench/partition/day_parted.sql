-- day_checkins.sql on the partitioned copy: no partition key, so every month is probed.
\set staff random(1, 50000)
\set d random(0, 360)
SELECT id, at, direction FROM parted WHERE staff_id = :staff AND at >= timestamp '2025-12-05 17:00' + :d * interval '1 day' AND at < timestamp '2025-12-06 17:00' + :d * interval '1 day' ORDER BY at;
