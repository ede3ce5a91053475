-- Repeated violations (issue 7): each crossing of a repeat rule's threshold is a notice;
-- the violations it was made of are consumed (linked) so that they never count towards
-- another notice of the same rule. Notifications are the outbox: one email per
-- recipient, with its delivery state, sent by a worker that claims entries with a lease.

CREATE TABLE repeat_notices (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id         BIGINT NOT NULL REFERENCES units (id),
    -- The violator's unit when the notice was made.
    unit_id             BIGINT NOT NULL REFERENCES units (id),
    staff_id            BIGINT NOT NULL REFERENCES staff (id),
    -- The policy code and rule name, as `code/name`: the rule's identity across versions.
    rule_key            TEXT NOT NULL,
    policy_code         TEXT NOT NULL,
    rule_name           TEXT NOT NULL,
    -- The day of the violation that completed the count.
    day                 DATE NOT NULL,
    violation_count     INTEGER NOT NULL,
    -- false: the crossing lies too far back to be news (history loaded late); it is kept
    -- so that its violations stay consumed, and nobody is emailed.
    notified            BOOLEAN NOT NULL,
    -- Unless acknowledged by then, the next level up is told.
    escalate_at         TIMESTAMP,
    escalated_at        TIMESTAMP,
    acknowledged_at     TIMESTAMP,
    acknowledged_by     BIGINT REFERENCES users (id),
    acknowledgement     TEXT,
    created_at          TIMESTAMP NOT NULL
);
CREATE INDEX repeat_notices_staff ON repeat_notices (staff_id, day);
CREATE INDEX repeat_notices_escalation ON repeat_notices (escalate_at);

-- No foreign key to violations: a violation that later disappears (a corrected
-- check-in) stays consumed, so its partners cannot make a second notice with a newcomer.
CREATE TABLE repeat_notice_violations (
    notice_id    BIGINT NOT NULL REFERENCES repeat_notices (id),
    violation_id BIGINT NOT NULL,
    rule_key     TEXT NOT NULL,
    PRIMARY KEY (notice_id, violation_id)
);
-- Exactly one notice per crossing: a violation is consumed once per rule.
CREATE UNIQUE INDEX repeat_notice_violations_once ON repeat_notice_violations (rule_key, violation_id);

CREATE TABLE notifications (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id         BIGINT NOT NULL REFERENCES units (id),
    -- The unit the message is about (the violator's, or the head's for a digest): who
    -- may read it follows from here.
    unit_id             BIGINT NOT NULL REFERENCES units (id),
    -- repeat, escalation or digest.
    kind                TEXT NOT NULL,
    notice_id           BIGINT REFERENCES repeat_notices (id),
    recipient_staff_id  BIGINT REFERENCES staff (id),
    recipient_email     TEXT,
    -- One message per purpose and recipient, even with two processes at work.
    dedupe_key          TEXT NOT NULL UNIQUE,
    -- What the templates render, as JSON, fixed when the message was made.
    payload             TEXT NOT NULL,
    -- pending, sent, failed (to be retried) or dead (given up).
    status              TEXT NOT NULL,
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     TIMESTAMP NOT NULL,
    last_error          TEXT,
    -- A sender's claim: no other process sends the entry before it runs out.
    claimed_by          TEXT,
    claimed_until       TIMESTAMP,
    message_id          TEXT NOT NULL,
    sent_at             TIMESTAMP,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_unit ON notifications (unit_id, created_at);
CREATE INDEX notifications_notice ON notifications (notice_id);

-- Scheduled jobs take a lease so that two server processes never run one job at once.
CREATE TABLE job_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    until       TIMESTAMP NOT NULL
);
