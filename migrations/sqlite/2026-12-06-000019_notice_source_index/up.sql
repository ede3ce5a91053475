-- A step merged into its twin (`congvu admin merge-twin-steps`) takes over what the
-- notices counted of it: their rows for the twin's register entry are re-keyed to the kept
-- step's, found by their key. Without an index, each merged step scanned the whole table.
CREATE INDEX repeat_notice_violations_source ON repeat_notice_violations (source_key);
