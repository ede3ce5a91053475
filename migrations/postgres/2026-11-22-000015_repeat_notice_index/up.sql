-- Repeat detection asks which of a person's register rows a notice already counted, by
-- violation id; the unique (rule_key, violation_id) index cannot answer that, so each
-- question scanned the whole table (160 ms for 1 000 ids against 51 000 rows on the
-- bench's province; docs/PERFORMANCE.md).
CREATE INDEX repeat_notice_violations_violation ON repeat_notice_violations (violation_id);
