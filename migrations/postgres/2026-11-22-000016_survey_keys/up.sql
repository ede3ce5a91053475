-- The sender's own id of a survey answer (a kiosk's or the one-stop system's), so that an
-- answer sent again, or an export imported twice, is counted once.
ALTER TABLE surveys ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX surveys_idempotency_key ON surveys (province_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
