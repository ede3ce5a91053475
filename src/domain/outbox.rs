//! When an outbox entry is tried again. A failed delivery waits `base`, then twice that,
//! and so on up to `max` between attempts; after `max_attempts` it is given up (dead)
//! until the daily re-send or an operator's retry gives it a fresh round. A refusal of the
//! recipient's mailbox is given up at once (`refuses_mailbox`).

use chrono::{Duration, NaiveDateTime};

/// Whether a mail server's permanent reply (`code`, and its `text`) refuses the
/// recipient's mailbox, which no retry mends. Other permanent replies are about the
/// sender's set-up (530 and 535: the credentials; 554: relay or policy; a sender address
/// refused) and hold for every message alike: given up at once, one changed password would
/// kill the whole outbox, so they are retried like an outage and die only after the last
/// attempt. The enhanced status code (RFC 3463), when the reply has one, decides: 5.1.1,
/// 5.1.2, 5.1.3, 5.1.6 and 5.1.10 (the destination address: Office 365 answers an unknown
/// recipient 5.1.10) and 5.2.x but 5.2.2 (the mailbox; a full one may empty) refuse the
/// recipient; 5.1.7 and 5.1.8 (the sender's address) and 5.7.x (policy) do not. Without
/// one, 550, 551 and 553 (RFC 5321's mailbox replies) do.
pub fn refuses_mailbox(code: u16, text: &str) -> bool {
    let enhanced = text
        .split(|c: char| c.is_whitespace() || c == ':')
        .find_map(|w| {
            let mut parts = w.split('.');
            let class = parts.next()?;
            let subject: u16 = parts.next()?.parse().ok()?;
            let detail: u16 = parts.next()?.parse().ok()?;
            (class == "5" && parts.next().is_none()).then_some((subject, detail))
        });
    match enhanced {
        Some((1, detail)) => matches!(detail, 1 | 2 | 3 | 6 | 10),
        Some((2, detail)) => detail != 2,
        Some(_) => false,
        None => matches!(code, 550 | 551 | 553),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_secs: u64,
    pub max_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this instant.
    Retry(NaiveDateTime),
    /// Give up.
    Dead,
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt (1-based).
    pub fn delay(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(32);
        let secs = self
            .base_secs
            .saturating_mul(1u64 << doublings)
            .min(self.max_secs.max(self.base_secs));
        Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000))
    }

    /// What follows the `attempts`-th failed attempt.
    pub fn after_failure(
        &self,
        attempts: u32,
        permanent: bool,
        now: NaiveDateTime,
    ) -> AfterFailure {
        if permanent || attempts >= self.max_attempts {
            AfterFailure::Dead
        } else {
            AfterFailure::Retry(now + self.delay(attempts))
        }
    }

    /// How long a mail server may be down before entries start dying: the sum of the
    /// waits between the attempts.
    pub fn tolerated_outage(&self) -> Duration {
        (1..self.max_attempts).map(|a| self.delay(a)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_refused_mailbox_is_final() {
        for code in [550, 551, 553] {
            assert!(refuses_mailbox(code, "Mailbox unavailable"), "{code}");
        }
        for setup in [530, 535, 552, 554, 500, 421, 451] {
            assert!(!refuses_mailbox(setup, "Invalid credentials"), "{setup}");
        }
        // The enhanced code decides: the recipient's address or mailbox, not the
        // sender's (Postfix's sender-login mismatch, Office 365's SendAsDenied).
        let refusal = "permanent error (550): 5.1.1 <x@y.vn>: Recipient address rejected";
        assert!(refuses_mailbox(550, refusal));
        assert!(!refuses_mailbox(
            552,
            "permanent error (552): 5.2.2 Mailbox full"
        ));
        assert!(refuses_mailbox(
            550,
            "permanent error (550): 5.2.1 Mailbox disabled"
        ));
        let office = "permanent error (550): 5.1.10 RESOLVER.ADR.RecipientNotFound";
        assert!(refuses_mailbox(550, office));
        let sender = "permanent error (553): 5.7.1 <congvu@x.vn>: Sender address rejected";
        assert!(!refuses_mailbox(553, sender));
        let send_as = "permanent error (550): 5.7.60 Client does not have permissions";
        assert!(!refuses_mailbox(550, send_as));
        assert!(!refuses_mailbox(
            553,
            "permanent error (553): 5.1.8 Sender domain"
        ));
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            base_secs: 60,
            max_secs: 3600,
        }
    }

    fn t0() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 3, 2)
            .unwrap()
            .and_hms_opt(1, 0, 0)
            .unwrap()
    }

    #[test]
    fn waits_double_up_to_the_cap() {
        let p = policy();
        let mins: Vec<i64> = (1..=9).map(|a| p.delay(a).num_minutes()).collect();
        assert_eq!(mins, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(p.delay(1_000), Duration::hours(1), "no overflow");
    }

    #[test]
    fn an_hour_long_outage_loses_nothing() {
        let p = policy();
        assert!(
            p.tolerated_outage() > Duration::hours(1),
            "{}",
            p.tolerated_outage()
        );
        assert_eq!(p.tolerated_outage(), Duration::minutes(243));
    }

    #[test]
    fn the_last_attempt_and_permanent_refusals_give_up() {
        let p = policy();
        assert_eq!(
            p.after_failure(1, false, t0()),
            AfterFailure::Retry(t0() + Duration::minutes(1))
        );
        assert_eq!(
            p.after_failure(9, false, t0()),
            AfterFailure::Retry(t0() + Duration::hours(1))
        );
        assert_eq!(p.after_failure(10, false, t0()), AfterFailure::Dead);
        assert_eq!(p.after_failure(1, true, t0()), AfterFailure::Dead);
    }
}
