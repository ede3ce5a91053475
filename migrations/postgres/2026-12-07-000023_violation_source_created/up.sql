-- The weekly digest lists the inspection findings concluded during the week about an
-- earlier visit: read by source and the time the register row was made, not by day.
CREATE INDEX violations_source_created ON violations (source, created_at);
