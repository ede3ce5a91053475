//! Closing attendance days. A working day with no event at all changes nothing in the
//! database, so its absences would never reach the violation register; once a day is
//! over, this job derives it for everyone and brings the register in line. It remembers
//! per province the last day it closed and catches up after downtime (at most
//! `MAX_CATCH_UP_DAYS`). Later changes to closed days re-derive them where they happen.

use chrono::{Duration, NaiveDate, NaiveDateTime};

use super::JobError;
use crate::db::{Db, attendance, jobs, units};

pub const CLOSED_THROUGH: &str = "attendance_closed_through";
pub const MAX_CATCH_UP_DAYS: i64 = 62;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CloseReport {
    pub provinces: usize,
    pub days: usize,
    pub added: usize,
    pub removed: usize,
    pub failed: usize,
}

/// Closes every province's days through the day before `now` (local time).
pub fn close_days(db: &Db, now: NaiveDateTime) -> Result<CloseReport, JobError> {
    let yesterday = now.date() - Duration::days(1);
    let roots = db.read(|c| units::roots(c).map_err(JobError::from))?;
    let mut report = CloseReport::default();
    for root in roots {
        // One province per transaction: a large or failing province does not hold up the
        // others; a failed one is tried again at the next run.
        let result = db.write(|c| -> Result<(), JobError> {
            // Taken before anything is read: the people are those after a transfer that
            // committed while this waited (not derived back into their old unit), and a
            // second server closing the same province at once finds the days closed.
            crate::db::advisory_lock(c, crate::db::LockClass::Attendance, root.id)?;
            let last = jobs::get(c, CLOSED_THROUGH, root.id)?
                .and_then(|v| NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok());
            let from = last.map_or(yesterday, |d| d + Duration::days(1));
            let from = from.max(yesterday - Duration::days(MAX_CATCH_UP_DAYS));
            if from > yesterday {
                return Ok(());
            }
            let people = attendance::people_below(c, &root.path)?;
            let stats = attendance::rederive(c, &people, from, yesterday, now)?;
            jobs::set(c, CLOSED_THROUGH, root.id, &yesterday.to_string())?;
            report.provinces += 1;
            report.days += usize::try_from((yesterday - from).num_days() + 1).unwrap_or(0);
            report.added += stats.added;
            report.removed += stats.removed;
            Ok(())
        });
        if let Err(e) = result {
            tracing::error!(province = root.id, error = %e, "closing attendance failed for a province");
            report.failed += 1;
        }
    }
    Ok(report)
}
