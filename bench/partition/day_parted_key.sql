-- day_parted.sql with the local date too, so that the planner leaves out the other months.
\set staff random(1, 50000)
\set d random(0, 360)
SELECT id, at, direction FROM parted WHERE staff_id = :staff AND at >= timestamp '2025-12-05 17:00' + :d * interval '1 day' AND at < timestamp '2025-12-06 17:00' + :d * interval '1 day' AND local_date = date '2025-12-06' + (:d)::int ORDER BY at;
