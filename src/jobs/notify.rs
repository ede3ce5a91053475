//! The notice jobs: the sweep (every person's violations against the repeat rules, then
//! escalation of notices nobody acted on), the weekly digest to each head, and the daily
//! re-send of messages given up on.

use chrono::{Duration, NaiveDate, NaiveDateTime};

use super::JobError;
use crate::db::{Db, attendance, digests, dossiers, notices, outbox, units};
use crate::domain::attendance::to_local;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    /// Overdue dossier steps entered in the register (`enter_fallen_due`).
    pub overdue_steps: usize,
    pub notices: usize,
    pub messages: usize,
    pub escalations: usize,
    pub failed: usize,
}

/// How far back the sweep looks for deadlines that passed unmet: as far as the close of
/// attendance days catches up after downtime. Older ones were entered by earlier sweeps.
const FALLEN_DUE_DAYS: i64 = 62;

/// Dossiers a transaction in `enter_fallen_due`.
const FALLEN_DUE_CHUNK: usize = 500;

/// Enters in the register the dossier steps that have fallen overdue since the dossier
/// was last sent (`now` UTC): the register was kept in step with a dossier only when it
/// was sent or changed, and a dossier stuck with an officer is the one a feed of changes
/// never sends again, so its overdue step reached no register, notice or digest. Per
/// province, on the province's dossier lock (the feeds'), 500 dossiers a transaction.
pub fn enter_fallen_due(
    db: &Db,
    root: &units::UnitRow,
    now: NaiveDateTime,
) -> Result<usize, JobError> {
    let window = (now - Duration::days(FALLEN_DUE_DAYS), now);
    let local = to_local(now);
    // Found in one statement (a scan of the province's open steps), then entered a chunk
    // a transaction; a dossier finished or sent again meanwhile is judged as it is then.
    let ids = db.read(|c| dossiers::fallen_due(c, root.id, window).map_err(JobError::from))?;
    let mut entered = 0;
    for chunk in ids.chunks(FALLEN_DUE_CHUNK) {
        entered +=
            db.write(|c| dossiers::sync_many(c, root.id, chunk, local).map_err(JobError::from))?;
    }
    Ok(entered)
}

/// Enters the dossier steps fallen overdue (`enter_fallen_due`), detects what the
/// recording transactions may have missed (a rule added since, a province's new policy)
/// or left to the night (what notices that no longer stand counted, released:
/// `notices::detect_releasing`) and escalates unheeded notices; `now` is UTC. One
/// province per transaction, so that one failing does not hold up the others.
pub fn sweep(db: &Db, now: NaiveDateTime) -> Result<SweepReport, JobError> {
    let roots = db.read(|c| units::roots(c).map_err(JobError::from))?;
    let mut report = SweepReport::default();
    for root in roots {
        match enter_fallen_due(db, &root, now) {
            Ok(n) => report.overdue_steps += n,
            Err(e) => {
                tracing::error!(province = root.id, error = %e, "overdue dossier steps not entered for a province");
                report.failed += 1;
            }
        }
        let result = db.write(|c| -> Result<notices::Detected, JobError> {
            let people: Vec<i64> = attendance::people_below(c, &root.path)?
                .iter()
                .map(|p| p.staff.id)
                .collect();
            Ok(notices::detect_releasing(c, &people, now)?)
        });
        match result {
            Ok(found) => {
                report.notices += found.notices;
                report.messages += found.messages;
            }
            Err(e) => {
                tracing::error!(province = root.id, error = %e, "repeat sweep failed for a province");
                report.failed += 1;
            }
        }
    }
    report.escalations = db.write(|c| notices::escalate_due(c, now).map_err(JobError::from))?;
    Ok(report)
}

/// Queues each head's digest of the seven days before `now`'s local date. A digest
/// already queued for the week is not queued again (a restart, a second process).
pub fn weekly_digest(db: &Db, now: NaiveDateTime) -> Result<usize, JobError> {
    weekly_digest_of(db, to_local(now).date(), now)
}

/// The digests a run on `today` makes (the week before it), queued at `now`: a run at
/// start makes those of the last tick, missed when the process was down then.
pub fn weekly_digest_of(db: &Db, today: NaiveDate, now: NaiveDateTime) -> Result<usize, JobError> {
    let (from, to) = crate::domain::digest::week_before(today);
    let heads = db.read(|c| digests::heads(c, today).map_err(JobError::from))?;
    let (mut queued, mut failed) = (0, 0);
    // Worked out once, outside the writer, when a digest is to be made at all: a run at
    // start finds the week's digests queued already.
    let mut void = None;
    for (head, unit) in heads {
        // One head's failure is logged and the others' digests still made; the run then
        // fails, to be tried again for those (`jobs::retry_after`). Before, a read error
        // ended the run there, and the heads after it had no digest that week.
        let made = (|| -> Result<bool, JobError> {
            if db.read(|c| digests::queued(c, head.id, from).map_err(JobError::from))? {
                return Ok(false);
            }
            if void.is_none() {
                void = Some(db.read(|c| digests::withdrawn_open(c).map_err(JobError::from))?);
            }
            let Some(void) = void.as_ref() else {
                return Ok(false);
            };
            db.write(|c| {
                digests::queue(c, &head, &unit, (from, to), void, now).map_err(JobError::from)
            })
        })();
        match made {
            Ok(true) => queued += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::error!(head = head.id, error = %e, "digest not queued");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        return Err(JobError::Partly(format!(
            "{failed} digests not queued ({queued} queued)"
        )));
    }
    Ok(queued)
}

/// Gives the messages given up on in the last `days` days another round of attempts, and
/// those not sent because their notice no longer stood, when it stands again.
pub fn resend_failed(db: &Db, now: NaiveDateTime, days: i64) -> Result<usize, JobError> {
    let since = now - Duration::days(days);
    db.write(|c| -> Result<usize, JobError> {
        Ok(outbox::revive_dead(c, since, now)? + outbox::revive_standing(c, now)?)
    })
}
