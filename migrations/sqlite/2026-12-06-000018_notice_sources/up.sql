-- A notice counts register rows by id, and a row can be deleted and made again for the
-- same violation: a late dossier step handed to B and back to A, a late arrival voided
-- and restored. The new row had no consumption and was counted, and told, again. Each
-- counted row now also keeps what it was (source, reference and code), so the same
-- violation of the same person stays counted under its new id. It is read through the
-- notices (by person and day), so it needs no index of its own.
ALTER TABLE repeat_notice_violations ADD COLUMN source_key TEXT;
UPDATE repeat_notice_violations SET source_key = (
    SELECT v.source || '|' || v.source_ref || '|' || v.code
    FROM violations v WHERE v.id = repeat_notice_violations.violation_id
);
