-- A random person's check-ins of a random day of the generated year, by instant (UTC; the
-- local day starts at 17:00 UTC the day before), as the day's close reads them.
\set staff random(1, 50000)
\set d random(0, 360)
SELECT id, at, direction FROM checkins WHERE staff_id = :staff AND at >= timestamp '2025-12-05 17:00' + :d * interval '1 day' AND at < timestamp '2025-12-06 17:00' + :d * interval '1 day' ORDER BY at;
