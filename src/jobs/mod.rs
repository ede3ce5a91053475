//! Background jobs on cron schedules, interpreted in local time (Asia/Ho_Chi_Minh), and
//! the outbox sender. Each job runs in a loop of its own, so a run that outlasts its
//! interval delays the next tick rather than overlapping it; across server processes a
//! lease in the database lets one run a job while the others skip that tick.

pub mod attendance;
pub mod notify;

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
    /// Part of the run failed (each part logged) and the rest was done.
    #[error("{0}")]
    Partly(String),
}

/// After a failed run, the job is tried again this long after, twice as long after each
/// failure in a row, up to `RETRY_AT_MOST`, while that is before its next tick. Before,
/// a failure (the database unreachable for a minute) waited for the next tick: a day
/// for the sweep, a week for the digest.
const RETRY_FIRST_MINUTES: i64 = 5;
const RETRY_AT_MOST_MINUTES: i64 = 60;

/// How long after the `failures`-th failure in a row the job is tried again.
fn retry_after(failures: u32) -> chrono::Duration {
    let minutes = RETRY_FIRST_MINUTES.saturating_mul(1 << failures.saturating_sub(1).min(8));
    chrono::Duration::minutes(minutes.min(RETRY_AT_MOST_MINUTES))
}

/// How long a job's lease holds when its process dies mid-run.
const LEASE_MINUTES: i64 = 60;

/// How often a running job renews its lease.
const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Parses a cron expression: 6 or 7 fields, seconds first (`0 5 0 * * *` is 00:05:00
/// daily), whose numbered weekdays count from Sunday = 1 as the cron crate (Quartz) does.
/// A 5-field crontab line gets `0` seconds prepended, and its weekdays are read as
/// crontab's (0 or 7 Sunday, 1 Monday): `0 7 * * 1` runs on Mondays.
pub fn parse_schedule(expr: &str) -> Result<Schedule, String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let expr = match fields.as_slice() {
        [minute, hour, day, month, weekday] => format!(
            "0 {minute} {hour} {day} {month} {}",
            crontab_weekdays(weekday).map_err(|e| format!("{expr:?}: {e}"))?
        ),
        _ => expr.to_owned(),
    };
    Schedule::from_str(&expr).map_err(|e| format!("{expr:?} is not a cron expression: {e}"))
}

/// A crontab day-of-week field in names, which mean the same to crontab and to the cron
/// crate; its numbers do not (crontab's 1 is Monday, the crate's Sunday). Numbers, ranges
/// and steps are spelt out day by day; an item with names (`Fri`, `Mon-Fri`) is kept as
/// it is, so `1,Fri` is Monday and Friday.
fn crontab_weekdays(field: &str) -> Result<String, String> {
    const NAMES: [&str; 8] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    if field == "*" || field == "?" {
        return Ok(field.to_owned());
    }
    let day = |s: &str| match s.parse::<usize>() {
        Ok(n) if n <= 7 => Ok(n),
        _ => Err(format!("{s:?} is not a weekday (0-7, 0 and 7 are Sunday)")),
    };
    let mut days: Vec<&str> = Vec::new();
    for item in field.split(',') {
        if item.chars().any(|c| c.is_ascii_alphabetic()) {
            if item.chars().any(|c| c.is_ascii_digit()) {
                // `1-Fri`: the crate would read its 1 as Sunday.
                return Err(format!("{item:?} mixes a weekday number with a name"));
            }
            days.push(item);
            continue;
        }
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, step.parse::<usize>().ok().filter(|s| *s > 0)),
            None => (item, Some(1)),
        };
        let step = step.ok_or_else(|| format!("{item:?} has no valid step"))?;
        // `*/2` and `1/2` run through 7, as crontab's do (7 is Sunday again).
        let (first, last) = match range.split_once('-') {
            _ if range == "*" => (0, 7),
            Some((a, b)) => (day(a)?, day(b)?),
            None if item.contains('/') => (day(range)?, 7),
            None => (day(range)?, day(range)?),
        };
        if first > last {
            return Err(format!("{range:?} runs backwards"));
        }
        for n in (first..=last).step_by(step) {
            if !days.contains(&NAMES[n]) {
                days.push(NAMES[n]);
            }
        }
    }
    Ok(days.join(","))
}

/// The first tick of `schedule` after `after`, reading the schedule in Vietnam's time.
pub fn next_tick(schedule: &Schedule, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    schedule
        .after(&after.with_timezone(&TZ))
        .next()
        .map(|t| t.with_timezone(&Utc))
}

/// The last tick of `schedule` at or before `now`, within the week before it (the digest's
/// period), in Vietnam's time.
pub fn last_tick(schedule: &Schedule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    schedule
        .after(&(now - chrono::Duration::days(8)).with_timezone(&TZ))
        .take_while(|t| t.with_timezone(&Utc) <= now)
        .last()
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

/// Which jobs' first runs another waits for at start: the digest reads the register the
/// close job's and the sweep's catch-ups complete after downtime (days closed, dossier
/// steps fallen due while the service was down), and a digest made short is final (one
/// per head and week).
#[derive(Default)]
struct StartOrder {
    /// Run only once each of these is notified.
    after: Vec<Arc<tokio::sync::Notify>>,
    /// Notified once the first run (or the start, without one) is over.
    signals: Option<Arc<tokio::sync::Notify>>,
}

impl StartOrder {
    /// Lets those waiting for the first run go, once.
    fn first_run_over(&mut self) {
        if let Some(done) = self.signals.take() {
            done.notify_one();
        }
    }
}

/// A job's work: blocking, on the database; it logs what it did.
type Work = Arc<dyn Fn(&Db) -> Result<(), JobError> + Send + Sync>;

/// Runs `work` on every tick of `schedule` (and once at start when `at_start`), under
/// the job's lease, then wakes the sender for what the run queued.
#[allow(clippy::too_many_arguments)]
async fn on_schedule(
    db: Db,
    holder: Arc<String>,
    wake: Arc<tokio::sync::Notify>,
    name: &'static str,
    schedule: Schedule,
    at_start: bool,
    work: Work,
    mut order: StartOrder,
) {
    let mut due_now = at_start;
    let mut failures: u32 = 0;
    for first in &order.after {
        first.notified().await;
    }
    loop {
        // The lease another process held when this tick was skipped.
        let mut held: Option<Lease> = None;
        if due_now {
            let (job_db, job_holder, job) = (db.clone(), holder.clone(), work.clone());
            let ran = tokio::task::spawn_blocking(move || -> Result<Ran, JobError> {
                let now = crate::db::now();
                let until = now + chrono::Duration::minutes(LEASE_MINUTES);
                // Through `Db::write`, like every other write: on SQLite a write beside
                // it would find the database locked.
                let leased = job_db.write(|c| {
                    crate::db::jobs::try_lease(c, name, &job_holder, until, now)
                        .map_err(JobError::from)
                })?;
                if !leased {
                    let lease =
                        job_db.read(|c| crate::db::jobs::lease(c, name).map_err(JobError::from))?;
                    // Released between the two reads (its end no longer ahead): that run
                    // is over, nothing to watch. Watched, it stayed as it was and was
                    // taken for abandoned: the job ran twice, with a false warning.
                    let read_at = crate::db::now();
                    return Ok(Ran::Skipped(lease.filter(|l| l.1 > read_at)));
                }
                let result = std::thread::scope(|scope| {
                    // The lease renewed every ten minutes while the job runs: a live run
                    // that outlasts it is not taken for abandoned (`looked`) and run a
                    // second time beside it.
                    let (stop, stopped) = std::sync::mpsc::channel::<()>();
                    let (renew_db, renew_holder) = (&job_db, &job_holder);
                    scope.spawn(move || {
                        while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                            stopped.recv_timeout(RENEW_EVERY)
                        {
                            let now = crate::db::now();
                            let until = now + chrono::Duration::minutes(LEASE_MINUTES);
                            let renewed = renew_db.write(|c| {
                                crate::db::jobs::try_lease(c, name, renew_holder, until, now)
                                    .map_err(JobError::from)
                            });
                            if let Err(e) = renewed {
                                tracing::warn!(job = name, error = %e, "the job's lease was not renewed");
                            }
                        }
                    });
                    let result = job(&job_db);
                    drop(stop);
                    result
                });
                job_db.write(|c| {
                    crate::db::jobs::release(c, name, &job_holder, crate::db::now())
                        .map_err(JobError::from)
                })?;
                result.map(|()| Ran::Done)
            })
            .await;
            failures = match ran {
                Ok(Ok(Ran::Done)) => {
                    wake.notify_one();
                    0
                }
                Ok(Ok(Ran::Skipped(lease))) => {
                    tracing::info!(job = name, "another process runs this job now: skipped");
                    held = lease;
                    0
                }
                Ok(Err(e)) => {
                    // What a partial run queued goes out meanwhile.
                    wake.notify_one();
                    tracing::error!(job = name, error = %e, "job failed");
                    failures + 1
                }
                Err(e) => {
                    tracing::error!(job = name, error = %e, "job panicked");
                    failures + 1
                }
            };
        }
        due_now = true;
        let Some(next) = next_tick(&schedule, Utc::now()) else {
            order.first_run_over();
            return;
        };
        if failures > 0 {
            // A failed first run still lets those waiting for it go: waiting for its
            // retries, one province's bad data would hold every digest back for a day.
            order.first_run_over();
            let again = Utc::now() + retry_after(failures);
            if again < next {
                tracing::info!(job = name, at = %again, "the job will be tried again");
                tokio::time::sleep((again - Utc::now()).to_std().unwrap_or_default()).await;
                continue;
            }
        }
        // A process that died mid-run leaves its lease to run out with the work undone: a
        // restart over Monday 07:00 skipped the digest for the dead process's lease and
        // then waited a week, the week's remaining digests lost. So the lease is looked
        // at again when it runs out, before the next tick.
        // A lease renewed since (the run was alive then) is looked at again when its new
        // end comes: its holder may have died after renewing it.
        let mut abandoned = false;
        while let Some(seen) = held.take() {
            let Some(at) = look_again_at(&seen, next) else {
                break;
            };
            tokio::time::sleep((at - Utc::now()).to_std().unwrap_or_default()).await;
            let job_db = db.clone();
            let read = tokio::task::spawn_blocking(move || {
                job_db.read(|c| crate::db::jobs::lease(c, name).map_err(JobError::from))
            })
            .await;
            let Ok(Ok(now)) = read else { break };
            match looked(&seen, now.as_ref(), crate::db::now()) {
                Looked::Abandoned => abandoned = true,
                Looked::Renewed(lease) => held = Some(lease),
                Looked::Done => {}
            }
        }
        if abandoned {
            tracing::warn!(
                job = name,
                "the process that held this job's lease stopped mid-run: running it now"
            );
            continue;
        }
        // The first run (or the start, without one) is over, once: run (done, or failed
        // above), or, when another process held the lease, that process's run over
        // (released, or abandoned and run here). Before, a skipped first run signalled
        // at once, and the digest was made (once a week, for good) before the days it
        // reports were closed.
        order.first_run_over();
        tokio::time::sleep((next - Utc::now()).to_std().unwrap_or_default()).await;
    }
}

/// A job lease: its holder and when it runs out (UTC).
type Lease = (String, chrono::NaiveDateTime);

/// What a scheduled run came to.
enum Ran {
    Done,
    /// Another process held the lease (as read then).
    Skipped(Option<Lease>),
}

/// When to look again at a lease another process held at a skipped tick: just after it
/// runs out, if that is before the next tick.
fn look_again_at(lease: &Lease, next_tick: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let at = lease.1.and_utc() + chrono::Duration::seconds(5);
    (at < next_tick).then_some(at)
}

/// What a lease seen at a skipped tick says when looked at again, once it ran out.
#[derive(Debug, PartialEq, Eq)]
enum Looked {
    /// Still as it was: its holder never released it (stopped mid-run).
    Abandoned,
    /// Its holder renewed it (its end is still ahead), so it was alive then: look again
    /// when this runs out. Before, a renewed lease was taken for released, and a holder
    /// that died after renewing it left the work undone until the next tick.
    Renewed(Lease),
    /// Released (its end moved back to the release), or taken by another since: that run
    /// did the work.
    Done,
}

/// Judges the lease `now` (read at `at`) against the lease `seen` at a skipped tick. A
/// renewal puts the end an hour past the renewal, a release at the release, so a lease
/// of the same holder whose end moved is still running when its end is ahead of `at`.
fn looked(seen: &Lease, now: Option<&Lease>, at: chrono::NaiveDateTime) -> Looked {
    match now {
        Some(lease) if lease == seen => Looked::Abandoned,
        Some(lease) if lease.0 == seen.0 && lease.1 > at => Looked::Renewed(lease.clone()),
        _ => Looked::Done,
    }
}

/// A run whose `failed` parts (each logged) are to be tried again.
fn partly(failed: usize, what: &str) -> Result<(), JobError> {
    if failed == 0 {
        Ok(())
    } else {
        Err(JobError::Partly(format!("{failed} {what}")))
    }
}

/// Starts every job and the outbox sender for the life of the process.
pub fn spawn_all(db: Db, settings: &Settings) {
    let holder = Arc::new(instance_name());
    let wake = Arc::new(tokio::sync::Notify::new());
    let resend_days = settings.notify.resend_days;
    let jobs = &settings.jobs;
    let digest_schedule = parse_schedule(&jobs.weekly_digest).ok();
    // Closing days and the sweep also run at start, to catch up after downtime; so does
    // the digest, for its last tick (a restart in Monday's maintenance window would lose
    // the week's digest; one already queued is not queued again). The re-send waits for
    // its time.
    let table: [(&'static str, &str, bool, Work); 4] = [
        (
            "close_attendance",
            &jobs.close_attendance,
            true,
            Arc::new(|db: &Db| {
                let r = attendance::close_days(db, to_local(crate::db::now()))?;
                if r.days > 0 {
                    tracing::info!(
                        provinces = r.provinces,
                        days = r.days,
                        added = r.added,
                        removed = r.removed,
                        "attendance closed"
                    );
                }
                partly(r.failed, "provinces' days not closed")
            }),
        ),
        (
            "repeat_sweep",
            &jobs.repeat_sweep,
            true,
            Arc::new(|db: &Db| {
                let r = notify::sweep(db, crate::db::now())?;
                if r.overdue_steps + r.messages + r.escalations > 0 {
                    tracing::info!(
                        overdue_steps = r.overdue_steps,
                        notices = r.notices,
                        messages = r.messages,
                        escalations = r.escalations,
                        "repeat sweep"
                    );
                }
                partly(r.failed, "provinces not swept")
            }),
        ),
        (
            "weekly_digest",
            &jobs.weekly_digest,
            true,
            Arc::new(move |db: &Db| {
                let now = crate::db::now();
                let Some(tick) = digest_schedule
                    .as_ref()
                    .and_then(|s| last_tick(s, now.and_utc()))
                else {
                    return Ok(());
                };
                let n = notify::weekly_digest_of(db, to_local(tick.naive_utc()).date(), now)?;
                if n > 0 {
                    tracing::info!(digests = n, "weekly digests queued");
                }
                Ok(())
            }),
        ),
        (
            "resend_failed",
            &jobs.resend_failed,
            false,
            Arc::new(move |db: &Db| {
                let n = notify::resend_failed(db, crate::db::now(), resend_days)?;
                if n > 0 {
                    tracing::info!(messages = n, "messages given up on are tried again");
                }
                Ok(())
            }),
        ),
    ];
    let closed = Arc::new(tokio::sync::Notify::new());
    let swept = Arc::new(tokio::sync::Notify::new());
    for (name, expr, at_start, work) in table {
        let mut order = match name {
            "close_attendance" => StartOrder {
                signals: Some(closed.clone()),
                ..StartOrder::default()
            },
            "repeat_sweep" => StartOrder {
                signals: Some(swept.clone()),
                ..StartOrder::default()
            },
            "weekly_digest" => StartOrder {
                after: vec![closed.clone(), swept.clone()],
                ..StartOrder::default()
            },
            _ => StartOrder::default(),
        };
        match parse_schedule(expr) {
            Ok(schedule) => {
                tokio::spawn(on_schedule(
                    db.clone(),
                    holder.clone(),
                    wake.clone(),
                    name,
                    schedule,
                    at_start,
                    work,
                    order,
                ));
            }
            Err(e) => {
                tracing::error!(job = name, error = %e, "job not scheduled");
                // Nobody waits for a job that never runs.
                order.first_run_over();
            }
        }
    }
    match Sender::new(db, settings, &holder) {
        Ok(sender) => {
            let interval = std::time::Duration::from_secs(settings.notify.send_interval_secs);
            tokio::spawn(async move {
                loop {
                    match sender.send_due().await {
                        Ok(r) if r.sent + r.failed + r.dead > 0 => {
                            tracing::info!(
                                sent = r.sent,
                                failed = r.failed,
                                dead = r.dead,
                                "outbox"
                            )
                        }
                        Ok(_) => {}
                        Err(e) => tracing::error!(error = %e, "outbox sender failed"),
                    }
                    let _ = tokio::time::timeout(interval, wake.notified()).await;
                }
            });
        }
        Err(e) => tracing::error!(error = %e, "outbox sender not started"),
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
        assert!(parse_schedule("0 7 * * 8").is_err());
        assert!(parse_schedule("0 7 * * 5-1").is_err());
    }

    /// A crontab line's weekdays are crontab's: 1 is Monday, 0 and 7 Sunday. Read as the
    /// cron crate reads numbers, a Monday digest would go out on Sundays.
    #[test]
    fn crontab_weekdays_are_crontabs() {
        assert_eq!(crontab_weekdays("1").unwrap(), "Mon");
        assert_eq!(crontab_weekdays("1-5").unwrap(), "Mon,Tue,Wed,Thu,Fri");
        assert_eq!(crontab_weekdays("0,7").unwrap(), "Sun");
        assert_eq!(crontab_weekdays("5-7").unwrap(), "Fri,Sat,Sun");
        assert_eq!(crontab_weekdays("*/2").unwrap(), "Sun,Tue,Thu,Sat");
        assert_eq!(crontab_weekdays("1-5/2").unwrap(), "Mon,Wed,Fri");
        assert_eq!(crontab_weekdays("*").unwrap(), "*");
        assert_eq!(crontab_weekdays("Mon-Fri").unwrap(), "Mon-Fri");
        assert_eq!(crontab_weekdays("1,Fri").unwrap(), "Mon,Fri");
        assert!(crontab_weekdays("1-Fri").is_err());
        assert_eq!(crontab_weekdays("1/2").unwrap(), "Mon,Wed,Fri,Sun");
        // Monday 07:00 in Vietnam (Sunday 2026-03-01 is followed by Monday 2026-03-02,
        // whose 07:00 local is 00:00 UTC).
        let monday = parse_schedule("0 7 * * 1").unwrap();
        assert_eq!(
            next_tick(&monday, utc(2026, 2, 28, 12, 0)),
            Some(utc(2026, 3, 2, 0, 0))
        );
        // In a 6-field expression numbers stay the crate's: 2 is Monday.
        let quartz = parse_schedule("0 0 7 * * 2").unwrap();
        assert_eq!(
            next_tick(&quartz, utc(2026, 2, 28, 12, 0)),
            Some(utc(2026, 3, 2, 0, 0))
        );
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
        // Started on Monday at 09:00 local after a night down, the digest's last tick is
        // that Monday's 07:00 (00:00 UTC), made up at start; on the tick itself, the tick.
        assert_eq!(
            last_tick(&digest, utc(2026, 3, 9, 2, 0)),
            Some(utc(2026, 3, 9, 0, 0))
        );
        assert_eq!(
            last_tick(&digest, utc(2026, 3, 9, 0, 0)),
            Some(utc(2026, 3, 9, 0, 0))
        );
        // On Sunday it is the Monday before.
        assert_eq!(
            last_tick(&digest, utc(2026, 3, 8, 16, 30)),
            Some(utc(2026, 3, 2, 0, 0))
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
    fn an_abandoned_lease_is_looked_at_again_when_it_runs_out() {
        // Monday 07:00 (00:00 UTC): the digest was skipped for a dead process's lease,
        // running to 08:00 local. It is looked at again at 01:00:05 UTC, not next Monday.
        let until = utc(2026, 12, 7, 1, 0).naive_utc();
        let lease = ("host:1:dead".to_owned(), until);
        let next_week = utc(2026, 12, 14, 0, 0);
        assert_eq!(
            look_again_at(&lease, next_week),
            Some(utc(2026, 12, 7, 1, 0) + chrono::Duration::seconds(5))
        );
        // A lease that outlasts the next tick: that tick looks.
        assert_eq!(look_again_at(&lease, utc(2026, 12, 7, 0, 30)), None);
        // Unchanged once run out: abandoned. Released (its end moved back) or taken
        // again: that run did the work.
        let at = until + chrono::Duration::seconds(5);
        assert_eq!(looked(&lease, Some(&lease), at), Looked::Abandoned);
        let released = (
            "host:1:dead".to_owned(),
            until - chrono::Duration::minutes(50),
        );
        assert_eq!(looked(&lease, Some(&released), at), Looked::Done);
        let other = (
            "host:2:live".to_owned(),
            until + chrono::Duration::minutes(60),
        );
        assert_eq!(looked(&lease, Some(&other), at), Looked::Done);
        assert_eq!(looked(&lease, None, at), Looked::Done);
        // Renewed by its holder (alive at 00:50 UTC, its end then 01:50): looked at again
        // then; unchanged at 01:50:05, the holder died after renewing it. Before, the
        // moved end read as a release and the week's digests were lost.
        let renewed = (
            "host:1:dead".to_owned(),
            until + chrono::Duration::minutes(50),
        );
        assert_eq!(
            looked(&lease, Some(&renewed), at),
            Looked::Renewed(renewed.clone())
        );
        let later = renewed.1 + chrono::Duration::seconds(5);
        assert_eq!(looked(&renewed, Some(&renewed), later), Looked::Abandoned);
        // Renewed, then released after the first end: done when looked at again.
        let released_late = (
            "host:1:dead".to_owned(),
            until + chrono::Duration::minutes(3),
        );
        assert_eq!(looked(&renewed, Some(&released_late), later), Looked::Done);
    }

    #[test]
    fn a_failed_run_is_tried_again_sooner_than_its_next_tick() {
        let minutes: Vec<i64> = (1..=6).map(|n| retry_after(n).num_minutes()).collect();
        assert_eq!(minutes, [5, 10, 20, 40, 60, 60]);
        assert_eq!(retry_after(u32::MAX).num_minutes(), 60);
        assert!(partly(0, "x").is_ok());
        assert_eq!(
            partly(2, "provinces not swept").unwrap_err().to_string(),
            "2 provinces not swept"
        );
    }

    #[test]
    fn instance_names_differ() {
        assert_ne!(instance_name(), instance_name());
    }
}
