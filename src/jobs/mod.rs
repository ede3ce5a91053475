//! Background jobs on cron schedules (local time, Asia/Ho_Chi_Minh).

pub mod attendance;

use std::str::FromStr;

use chrono::Utc;
use cron::Schedule;

use crate::db::Db;
use crate::domain::attendance::TZ;

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

/// Runs the attendance close job once now (to catch up after downtime), then on every
/// tick of `schedule`, until the process stops.
pub async fn run(db: Db, schedule: Schedule) {
    loop {
        let job_db = db.clone();
        let result = tokio::task::spawn_blocking(move || {
            attendance::close_days(
                &job_db,
                crate::domain::attendance::to_local(crate::db::now()),
            )
        })
        .await;
        match result {
            Ok(Ok(report)) if report.days > 0 => {
                tracing::info!(
                    provinces = report.provinces,
                    days = report.days,
                    added = report.added,
                    removed = report.removed,
                    "attendance closed"
                )
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "attendance close job failed"),
            Err(e) => tracing::error!(error = %e, "attendance close job panicked"),
        }
        let Some(next) = schedule.upcoming(TZ).next() else {
            return;
        };
        let wait = (next.with_timezone(&Utc) - Utc::now())
            .to_std()
            .unwrap_or_default();
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::parse_schedule;

    #[test]
    fn cron_expressions() {
        assert!(parse_schedule("0 5 0 * * *").is_ok());
        assert!(
            parse_schedule("5 0 * * *").is_ok(),
            "crontab style gets seconds"
        );
        assert!(parse_schedule("every night").is_err());
    }
}
