//! The outbox sender: claims due entries one at a time, renders and sends each, and
//! records the outcome under its claim. A failure is retried with exponential backoff;
//! after the last attempt the entry is dead until the daily re-send or an operator's
//! retry. Any number of senders may run against one database: an entry is sent by the
//! one that claimed it.

use chrono::Duration;
use lettre::message::Mailbox;

use super::{Mailer, Outgoing, SendError, templates};
use crate::config::Settings;
use crate::db::Db;
use crate::db::outbox::{self, NotificationRow};
use crate::domain::codes::NotificationKind;
use crate::domain::outbox::{AfterFailure, RetryPolicy};

/// How long a claim holds: longer than any one delivery may take (smtp.timeout_secs is at
/// most ten minutes).
const LEASE_MINUTES: i64 = 15;
/// Entries looked at per round.
const BATCH: i64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    #[error("mail settings: {0}")]
    Settings(String),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("database: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("worker: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// What one run of the sender did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    /// Failed, to be tried again.
    pub failed: usize,
    /// Given up.
    pub dead: usize,
}

#[derive(Clone)]
pub struct Sender {
    db: Db,
    mailer: Mailer,
    from: Mailbox,
    retry: RetryPolicy,
    link_base: String,
    /// This process's name on its claims.
    holder: String,
}

impl Sender {
    pub fn new(db: Db, settings: &Settings, holder: &str) -> Result<Sender, SenderError> {
        let mailer = Mailer::from_settings(&settings.smtp, &settings.data_dir)
            .map_err(SenderError::Settings)?;
        let from: Mailbox = settings
            .smtp
            .from
            .parse()
            .map_err(|e| SenderError::Settings(format!("smtp.from: {e}")))?;
        Ok(Sender {
            db,
            mailer,
            from,
            retry: settings.notify.retry_policy(),
            link_base: settings.notify.link_base.clone(),
            holder: holder.to_owned(),
        })
    }

    /// Sends everything due now; returns when nothing due is left unclaimed.
    pub async fn send_due(&self) -> Result<SendReport, SenderError> {
        let mut report = SendReport::default();
        loop {
            let now = crate::db::now();
            let db = self.db.clone();
            let ids = tokio::task::spawn_blocking(move || {
                db.read(|c| outbox::due(c, now, BATCH).map_err(SenderError::from))
            })
            .await??;
            let round = ids.len();
            for id in ids {
                self.send_one(id, &mut report).await?;
            }
            if round < usize::try_from(BATCH).unwrap_or(usize::MAX) {
                return Ok(report);
            }
        }
    }

    async fn send_one(&self, id: i64, report: &mut SendReport) -> Result<(), SenderError> {
        let now = crate::db::now();
        let (db, holder) = (self.db.clone(), self.holder.clone());
        let claimed = tokio::task::spawn_blocking(move || {
            db.write(|c| {
                outbox::claim(c, id, &holder, now + Duration::minutes(LEASE_MINUTES), now)
                    .map_err(SenderError::from)
            })
        })
        .await??;
        // Another sender has it, or it is not to be sent (given up, or cancelled).
        let Some(row) = claimed else {
            return Ok(());
        };
        let outcome = self.deliver(&row).await;
        let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
        let (db, holder, retry) = (self.db.clone(), self.holder.clone(), self.retry);
        let done = crate::db::now();
        let failure = outcome
            .err()
            .map(|e| (retry.after_failure(attempts, e.permanent, done), e.message));
        match &failure {
            None => report.sent += 1,
            Some((AfterFailure::Retry(_), _)) => report.failed += 1,
            Some((AfterFailure::Dead, _)) => report.dead += 1,
        }
        tokio::task::spawn_blocking(move || {
            db.write(|c| {
                match &failure {
                    None => outbox::mark_sent(c, id, &holder, done),
                    Some((after, error)) => {
                        // The address stays in the outbox's last_error (for administrators)
                        // and out of the log: a refusal quotes it, and an invalid one is it.
                        tracing::warn!(notification = id, attempts, error = %redacted(error), "notification not delivered");
                        outbox::mark_failed(c, id, &holder, *after, error, done)
                    }
                }
                .map_err(SenderError::from)
            })
        })
        .await??;
        Ok(())
    }

    async fn deliver(&self, row: &NotificationRow) -> Result<(), SendError> {
        let Some(kind) = NotificationKind::parse(&row.kind) else {
            return Err(SendError::permanent(format!("unknown kind {:?}", row.kind)));
        };
        let payload: serde_json::Value = serde_json::from_str(&row.payload)
            .map_err(|e| SendError::permanent(format!("payload: {e}")))?;
        let Some(email) = row
            .recipient_email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
        else {
            return Err(SendError::permanent(
                "no email address on the recipient's staff record",
            ));
        };
        let rendered = templates::render(kind, &payload, row.id, &self.link_base)
            .map_err(SendError::permanent)?;
        let name = payload["recipient"]["full_name"].as_str();
        self.mailer
            .send(
                &self.from,
                &Outgoing {
                    to_name: name,
                    to_email: email,
                    rendered: &rendered,
                    message_id: &row.message_id,
                    file_name: format!("{:06}-{}.eml", row.id, row.kind),
                },
            )
            .await
    }
}

/// An error's text with every word that holds an email address replaced.
pub fn redacted(error: &str) -> String {
    error
        .split(' ')
        .map(|w| if w.contains('@') { "[address]" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_stay_out_of_the_log() {
        assert_eq!(
            super::redacted("permanent error (550): <hung.tv@khanhhoa.gov.vn>: no such user"),
            "permanent error (550): [address] no such user"
        );
        assert_eq!(super::redacted("connection refused"), "connection refused");
    }
}
