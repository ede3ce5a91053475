//! The baseline of the province-year's evaluation: the metrics of everyone in the
//! generated province that a GROUP BY can state — the register's late arrivals, early
//! leaves and unexcused absences, and the dossier steps each person finished — computed by
//! two hand-written GROUP BY queries, timed, and compared person by person with what
//! congvu's run stored (`congvu evaluate`, run just before). Late steps are not among
//! them: which step a late dossier is blamed on, and deadlines moved by supplement pauses,
//! are rules rather than a grouping (RULES.md §5).

use std::collections::HashMap;
use std::time::Instant;

use chrono::NaiveDate;
use congvu::db::Db;
use congvu::db::schema::{dossier_steps, dossiers, evaluations, violations};
use congvu::domain::attendance::to_utc;
use diesel::prelude::*;

use super::baseline::{BoxError, staff_range};

/// The register's codes and the metrics the rating reads them as.
const METRICS: [(&str, &str); 3] = [
    ("late", "late_arrivals"),
    ("early_leave", "early_leaves"),
    ("absent_no_reason", "unexcused_absences"),
];

pub fn compare(url: &str, year: i32) -> Result<(), BoxError> {
    let range = staff_range(url)?;
    let (first, last) = NaiveDate::from_ymd_opt(year, 1, 1)
        .zip(NaiveDate::from_ymd_opt(year, 12, 31))
        .ok_or("no such year")?;
    let mut c = Db::raw_connection(url)?;

    let started = Instant::now();
    let counts: Vec<(Option<i64>, String, i64)> = violations::table
        .filter(violations::province_id.eq(range.province_id))
        .filter(violations::day.between(first, last))
        .filter(violations::code.eq_any(METRICS.map(|(code, _)| code)))
        .group_by((violations::staff_id, violations::code))
        .select((
            violations::staff_id,
            violations::code,
            // Acts, as congvu counts them: a code on a day, however many records.
            diesel::dsl::count(violations::day).aggregate_distinct(),
        ))
        .load(&mut c)?;
    // Steps finished in the year (local time) of dossiers not returned or cancelled.
    let start = to_utc(first.and_time(chrono::NaiveTime::MIN));
    let end = to_utc((last + chrono::Duration::days(1)).and_time(chrono::NaiveTime::MIN));
    let steps: Vec<(Option<i64>, i64)> = dossier_steps::table
        .inner_join(dossiers::table)
        .filter(dossiers::province_id.eq(range.province_id))
        .filter(dossiers::status.ne_all(["returned", "cancelled"]))
        .filter(dossier_steps::finished_at.ge(start))
        .filter(dossier_steps::finished_at.lt(end))
        .group_by(dossier_steps::staff_id)
        .select((dossier_steps::staff_id, diesel::dsl::count_star()))
        .load(&mut c)?;
    let seconds = started.elapsed().as_secs_f64();

    let mut expected: HashMap<(i64, &str), i64> = HashMap::new();
    for (staff, code, n) in &counts {
        if let (Some(staff), Some((_, metric))) = (staff, METRICS.iter().find(|(c, _)| c == code)) {
            expected.insert((*staff, *metric), *n);
        }
    }
    for (staff, n) in &steps {
        if let Some(staff) = staff {
            expected.insert((*staff, "dossier_steps"), *n);
        }
    }
    let stored: Vec<(i64, String)> = evaluations::table
        .filter(evaluations::province_id.eq(range.province_id))
        .filter(evaluations::period.eq(year.to_string()))
        .select((evaluations::staff_id, evaluations::metrics))
        .load(&mut c)?;
    if stored.is_empty() {
        return Err(
            format!("no evaluation of {year} is stored: run `congvu evaluate` first").into(),
        );
    }
    let mut mismatches = 0;
    for (staff, metrics) in &stored {
        let metrics: HashMap<String, f64> = serde_json::from_str(metrics)?;
        for metric in METRICS.iter().map(|(_, m)| *m).chain(["dossier_steps"]) {
            let want = expected.get(&(*staff, metric)).copied().unwrap_or(0);
            let got = metrics.get(metric).copied().unwrap_or(0.0);
            if got != want as f64 {
                mismatches += 1;
                if mismatches <= 5 {
                    eprintln!(
                        "staff {staff}: {metric} is {got} in congvu's run, {want} by GROUP BY"
                    );
                }
            }
        }
    }
    println!(
        "evaluation_baseline seconds={seconds:.3} people={} mismatches={mismatches}",
        stored.len()
    );
    Ok(())
}
