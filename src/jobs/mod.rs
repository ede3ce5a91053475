//! Background jobs on cron schedules, interpreted in local time (Asia/Ho_Chi_Minh), and
//! the outbox sender. Each job runs in a loop of its own, so a run that outlasts its
//! interval delays the next tick rather than overlapping it; across server processes a
//! lease in the database lets one run a job while the others skip that tick.

pub mod attendance;
pub mod notify;

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use cron::Schedule;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::attendance::{TZ, to_local};
use crate::notify::sender::Sender;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("database: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
}

/// How long a job's lease holds when its process dies mid-run.
const LEASE_MINUTES: i64 = 60;

/// Parses a cron expression: 6 or 7 fields, seconds first (`0 5 0 * * *` is 00:05:00
/// daily). A 5-field crontab line gets `0` seconds prepended.
pub fn parse_schedule(expr: &str) -> Result<Schedule, String> {
    let fields = expr.split_whitespace().count();
    let expr = if fields == 5 {
        format!("0 {expr}")
    } else {
        expr.to_owned()
    };
    Schedule::from_str(&expr).map_err(|e| format!("{expr:?} is not a cron expression: {e}"))
}

/// The first tick of `schedule` after `after`, reading the schedule in Vietnam's time.
pub fn next_tick(schedule: &Schedule, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    schedule
        .after(&after.with_timezone(&TZ))
        .next()
        .map(|t| t.with_timezone(&Utc))
}

/// A name for this process on leases and claims: host, process id and a random part.
pub fn instance_name() -> String {
    let mut bytes = [0u8; 4];
    let random = getrandom::fill(&mut bytes)
        .map(|_| u32::from_le_bytes(bytes))
        .unwrap_or_default();
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "congvu".into());
    format!("{host}:{}:{random:08x}", std::process::id())
}

/// Runs `work` on every tick of `schedule` (and once at start when `at_start`), under
/// the job's lease.
async fn on_schedule<F, Fut>(
    db: Db,
    holder: Arc<String>,
    name: &'static str,
    schedule: Schedule,
    at_start: bool,
    work: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut due_now = at_start;
    loop {
        if due_now {
            let (lease_db, lease_holder) = (db.clone(), holder.clone());
            let leased = tokio::task::spawn_blocking(move || {
                let now = crate::db::now();
                let mut conn = lease_db.conn()?;
                crate::db::jobs::try_lease(
                    &mut conn,
                    name,
                    &lease_holder,
                    now + chrono::Duration::minutes(LEASE_MINUTES),
                    now,
                )
                .map_err(JobError::from)
            })
            .await;
            match leased {
                Ok(Ok(true)) => {
                    work().await;
                    let (release_db, release_holder) = (db.clone(), holder.clone());
                    let _ = tokio::task::spawn_blocking(move || {
                        let mut conn = release_db.conn()?;
                        crate::db::jobs::release(&mut conn, name, &release_holder, crate::db::now())
                            .map_err(JobError::from)
                    })
                    .await;
                }
                Ok(Ok(false)) => {
                    tracing::info!(job = name, "another process runs this job now: skipped")
                }
                Ok(Err(e)) => tracing::error!(job = name, error = %e, "job lease failed"),
                Err(e) => tracing::error!(job = name, error = %e, "job lease panicked"),
            }
        }
        due_now = true;
        let Some(next) = next_tick(&schedule, Utc::now()) else {
            return;
        };
        tokio::time::sleep((next - Utc::now()).to_std().unwrap_or_default()).await;
    }
}

/// Runs blocking job work off the async threads and logs its outcome.
async fn run_blocking<T, F>(name: &'static str, f: F) -> Option<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, JobError> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Some(v),
        Ok(Err(e)) => {
            tracing::error!(job = name, error = %e, "job failed");
            None
        }
        Err(e) => {
            tracing::error!(job = name, error = %e, "job panicked");
            None
        }
    }
}

/// Starts every job and the outbox sender for the life of the process.
pub fn spawn_all(db: Db, settings: &Settings) {
    let holder = Arc::new(instance_name());
    let sender = match Sender::new(db.clone(), settings, &holder) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!(error = %e, "outbox sender not started");
            None
        }
    };
    let wake = Arc::new(tokio::sync::Notify::new());
    let schedule = |name: &str, expr: &str| match parse_schedule(expr) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!(job = name, error = %e, "job not scheduled");
            None
        }
    };
    let jobs = &settings.jobs;
    if let Some(s) = schedule("close_attendance", &jobs.close_attendance) {
        let job_db = db.clone();
        tokio::spawn(on_schedule(
            db.clone(),
            holder.clone(),
            "close_attendance",
            s,
            true,
            move || {
                let job_db = job_db.clone();
                async move {
                    let report = run_blocking("close_attendance", move || {
                        attendance::close_days(&job_db, to_local(crate::db::now()))
                    })
                    .await;
                    if let Some(r) = report.filter(|r| r.days > 0) {
                        tracing::info!(
                            provinces = r.provinces,
                            days = r.days,
                            added = r.added,
                            removed = r.removed,
                            "attendance closed"
                        );
                    }
                }
            },
        ));
    }
    if let Some(s) = schedule("repeat_sweep", &jobs.repeat_sweep) {
        let (job_db, wake) = (db.clone(), wake.clone());
        tokio::spawn(on_schedule(
            db.clone(),
            holder.clone(),
            "repeat_sweep",
            s,
            true,
            move || {
                let (job_db, wake) = (job_db.clone(), wake.clone());
                async move {
                    let report = run_blocking("repeat_sweep", move || {
                        notify::sweep(&job_db, crate::db::now())
                    })
                    .await;
                    if let Some(r) = report.filter(|r| r.messages + r.escalations > 0) {
                        tracing::info!(
                            notices = r.notices,
                            messages = r.messages,
                            escalations = r.escalations,
                            "repeat sweep"
                        );
                        wake.notify_one();
                    }
                }
            },
        ));
    }
    if let Some(s) = schedule("weekly_digest", &jobs.weekly_digest) {
        let (job_db, wake) = (db.clone(), wake.clone());
        tokio::spawn(on_schedule(
            db.clone(),
            holder.clone(),
            "weekly_digest",
            s,
            false,
            move || {
                let (job_db, wake) = (job_db.clone(), wake.clone());
                async move {
                    if let Some(n) = run_blocking("weekly_digest", move || {
                        notify::weekly_digest(&job_db, crate::db::now())
                    })
                    .await
                    {
                        tracing::info!(digests = n, "weekly digests queued");
                        wake.notify_one();
                    }
                }
            },
        ));
    }
    if let Some(s) = schedule("resend_failed", &jobs.resend_failed) {
        let (job_db, wake, days) = (db.clone(), wake.clone(), settings.notify.resend_days);
        tokio::spawn(on_schedule(
            db.clone(),
            holder.clone(),
            "resend_failed",
            s,
            false,
            move || {
                let (job_db, wake) = (job_db.clone(), wake.clone());
                async move {
                    let revived = run_blocking("resend_failed", move || {
                        notify::resend_failed(&job_db, crate::db::now(), days)
                    })
                    .await;
                    if let Some(n) = revived.filter(|n| *n > 0) {
                        tracing::info!(messages = n, "messages given up on are tried again");
                        wake.notify_one();
                    }
                }
            },
        ));
    }
    if let Some(sender) = sender {
        let interval = std::time::Duration::from_secs(settings.notify.send_interval_secs);
        tokio::spawn(async move {
            loop {
                match sender.send_due().await {
                    Ok(r) if r.sent + r.failed + r.dead > 0 => {
                        tracing::info!(sent = r.sent, failed = r.failed, dead = r.dead, "outbox")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "outbox sender failed"),
                }
                let _ = tokio::time::timeout(interval, wake.notified()).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn cron_expressions() {
        assert!(parse_schedule("0 5 0 * * *").is_ok());
        assert!(
            parse_schedule("5 0 * * *").is_ok(),
            "crontab style gets seconds"
        );
        assert!(parse_schedule("every night").is_err());
    }

    #[test]
    fn schedules_are_read_in_vietnam_time() {
        // 00:05 in Hà Nội is 17:05 UTC of the day before.
        let close = parse_schedule("0 5 0 * * *").unwrap();
        assert_eq!(
            next_tick(&close, utc(2026, 3, 1, 16, 59)),
            Some(utc(2026, 3, 1, 17, 5))
        );
        assert_eq!(
            next_tick(&close, utc(2026, 3, 1, 17, 5)),
            Some(utc(2026, 3, 2, 17, 5))
        );
        // Monday 07:00 local: on Sunday 23:30 UTC it is already Monday 06:30 in Vietnam,
        // so the digest is half an hour away, not a week.
        let digest = parse_schedule("0 0 7 * * Mon").unwrap();
        assert_eq!(
            next_tick(&digest, utc(2026, 3, 1, 23, 30)),
            Some(utc(2026, 3, 2, 0, 0))
        );
        // Sunday 23:30 local (16:30 UTC) is still Sunday: 7½ hours.
        assert_eq!(
            next_tick(&digest, utc(2026, 3, 8, 16, 30)),
            Some(utc(2026, 3, 9, 0, 0))
        );
        // Across the new year, and no daylight saving in any season.
        assert_eq!(
            next_tick(&close, utc(2026, 12, 31, 17, 0)),
            Some(utc(2026, 12, 31, 17, 5))
        );
        assert_eq!(
            next_tick(&close, utc(2026, 6, 30, 18, 0)),
            Some(utc(2026, 7, 1, 17, 5))
        );
    }

    #[test]
    fn the_shipped_schedules_parse() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings::load_from(Default::default(), dir.path()).unwrap();
        for (name, expr) in s.jobs.all() {
            assert!(parse_schedule(expr).is_ok(), "{name}: {expr}");
        }
    }

    #[test]
    fn instance_names_differ() {
        assert_ne!(instance_name(), instance_name());
    }
}
