DROP INDEX surveys_idempotency_key;
ALTER TABLE surveys DROP COLUMN idempotency_key;
