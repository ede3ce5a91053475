-- One durable check-in into parted, as the rush writes them: a random person of the generated
-- province (staff 1-50 000 of province 1), a random key; the day after the generated year.
\set staff random(1, 50000)
\set sec random(0, 3599)
INSERT INTO parted (province_id, staff_id, at, local_date, direction, source, device_id, idempotency_key, created_at) VALUES (1, :staff, timestamp '2026-12-05 00:00:00' + :sec * interval '1 second', date '2026-12-05', 'in', 'device', 'bench-' || :client_id, md5(random()::text), now()) ON CONFLICT DO NOTHING RETURNING id;
