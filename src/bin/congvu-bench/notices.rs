//! What notices that may no longer stand cost, over the generated province's notices:
//! - `measure`: working out whether they stand (`db::notices::withdrawn`) in the weekly
//!   digest's pass over every told notice nobody acknowledged
//!   (`digests::withdrawn_open`), and in a sender's claim, which asks it of one notice at
//!   a time, beside the one `COUNT` of those notices a digest read before;
//! - `detection`: the nightly sweep's detection, which releases what withdrawn notices
//!   counted, beside a change's detection of the same people.

use std::time::Instant;

use congvu::db::schema::repeat_notices;
use congvu::db::{Db, digests, notices};
use diesel::prelude::*;

use super::baseline::BoxError;

pub fn measure(url: &str, runs: usize, singles: usize) -> Result<(), BoxError> {
    let mut c = Db::raw_connection(url)?;
    let open: Vec<i64> = repeat_notices::table
        .filter(repeat_notices::notified.eq(true))
        .filter(repeat_notices::acknowledged_at.is_null())
        .order(repeat_notices::id)
        .select(repeat_notices::id)
        .load(&mut c)?;
    let total: i64 = repeat_notices::table.count().get_result(&mut c)?;
    // Spread over the year's notices rather than the oldest few.
    let step = (open.len() / singles.max(1)).max(1);
    let sample: Vec<i64> = open.iter().step_by(step).take(singles).copied().collect();
    for run in 1..=runs {
        let started = Instant::now();
        let counted: i64 = repeat_notices::table
            .filter(repeat_notices::notified.eq(true))
            .filter(repeat_notices::acknowledged_at.is_null())
            .count()
            .get_result(&mut c)?;
        let count_secs = started.elapsed().as_secs_f64();

        let started = Instant::now();
        let void = digests::withdrawn_open(&mut c)?;
        let pass_secs = started.elapsed().as_secs_f64();

        let started = Instant::now();
        for id in &sample {
            notices::withdrawn(&mut c, &[*id])?;
        }
        let single_ms = started.elapsed().as_secs_f64() * 1000.0 / sample.len().max(1) as f64;
        println!(
            "notices run={run} notices={total} open={counted} withdrawn={} \
             count_seconds={count_secs:.4} pass_seconds={pass_secs:.3} \
             pass_ratio={:.0} singles={} single_ms={single_ms:.3}",
            void.len(),
            pass_secs / count_secs.max(1e-9),
            sample.len(),
        );
    }
    Ok(())
}

/// Times the nightly sweep's detection over everyone (`notices::detect_releasing`)
/// beside `notices::detect` over the same people (a change's detection, of a few), each
/// in a transaction rolled back. Beforehand, in the same transaction, one violation of
/// every `every`-th notice leaves the register (as a leave granted later voids a late
/// arrival), so that some notices no longer stand and the sweep has something to release.
pub fn detection(url: &str, runs: usize, every: usize) -> Result<(), BoxError> {
    use congvu::db::schema::{repeat_notice_violations, violations};
    let mut c = Db::raw_connection(url)?;
    let roots = congvu::db::units::roots(&mut c)?;
    let mut people: Vec<i64> = Vec::new();
    for root in &roots {
        people.extend(
            congvu::db::attendance::people_below(&mut c, &root.path)?
                .iter()
                .map(|p| p.staff.id),
        );
    }
    // In an order both databases agree on (ids are given in another order by each), so
    // that the same acts are voided on both and the notices made can be compared.
    let links: Vec<(i64, i64)> = repeat_notice_violations::table
        .inner_join(
            repeat_notices::table.on(repeat_notices::id.eq(repeat_notice_violations::notice_id)),
        )
        .inner_join(violations::table.on(violations::id.eq(repeat_notice_violations::violation_id)))
        .order((
            repeat_notices::staff_id,
            repeat_notices::rule_key,
            repeat_notices::day,
            violations::day,
            violations::code,
            violations::source,
            violations::source_ref,
        ))
        .select((
            repeat_notice_violations::notice_id,
            repeat_notice_violations::violation_id,
        ))
        .load(&mut c)?;
    // One violation of every `every`-th notice: its first (a notice's links are together).
    let mut firsts: Vec<i64> = Vec::new();
    let mut last_notice = None;
    let mut seen = 0usize;
    for (notice, violation) in &links {
        if last_notice != Some(*notice) {
            last_notice = Some(*notice);
            if seen.is_multiple_of(every.max(1)) {
                firsts.push(*violation);
            }
            seen += 1;
        }
    }
    let now = congvu::db::now();
    let all: Vec<i64> = repeat_notices::table
        .select(repeat_notices::id)
        .load(&mut c)?;
    for run in 1..=runs {
        for release in [false, true] {
            // Seconds, what was made, notices withdrawn by the voiding, notices superseded.
            let mut timed = (0.0, congvu::db::notices::Detected::default(), 0, 0);
            let result = c.transaction::<(), diesel::result::Error, _>(|c| {
                for part in firsts.chunks(1000) {
                    diesel::delete(violations::table.filter(violations::id.eq_any(part)))
                        .execute(c)?;
                }
                let started = Instant::now();
                let found = if release {
                    notices::detect_releasing(c, &people, now)?
                } else {
                    notices::detect(c, &people, now)?
                };
                let seconds = started.elapsed().as_secs_f64();
                let superseded: i64 = repeat_notices::table
                    .filter(repeat_notices::superseded_by.is_not_null())
                    .count()
                    .get_result(c)?;
                // After detection, as a notice superseded counts as withdrawn too.
                let withdrawn = notices::withdrawn(c, &all)?.len();
                timed = (seconds, found, withdrawn, superseded);
                Err(diesel::result::Error::RollbackTransaction)
            });
            match result {
                Err(diesel::result::Error::RollbackTransaction) | Ok(()) => {}
                Err(e) => return Err(e.into()),
            }
            println!(
                "detection run={run} release={release} people={} voided={} withdrawn={} \
                 seconds={:.3} notices_made={} superseded={}",
                people.len(),
                firsts.len(),
                timed.2,
                timed.0,
                timed.1.notices,
                timed.3,
            );
        }
    }
    Ok(())
}
