//! What working out whether notices still stand costs (`db::notices::withdrawn`) over the
//! generated province's notices: the weekly digest's pass over every told notice nobody
//! acknowledged (`digests::withdrawn_open`), and a sender's claim, which asks it of one
//! notice at a time. The baseline is the one `COUNT` of those notices that a digest read
//! before notices could be withdrawn.

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
