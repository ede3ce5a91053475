//! The tallies behind late ratios, after disputes: an accepted dispute takes a step (and a
//! dossier late only through excused steps) out of the late count, and every tally says
//! how many disputes are still pending behind it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::QueryResult;

use super::{RuleDossier, RuleStep, of_staff_many_since, of_units_since, with_steps};
use crate::db::{AnyConnection, disputes};
use crate::domain::attendance::to_utc;
use crate::domain::disputes::{dossier_counted, pending_behind};
use crate::domain::dossiers::{Dossier, Tally, in_period};

/// The outcomes of the steps this person handled in `from..=to` (local days): steps
/// finished in it, or fallen due in it and still unfinished at `now` (local), each as it
/// stands after its dispute.
pub fn staff_tally(
    conn: &mut AnyConnection,
    staff_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<Tally> {
    Ok(staff_tallies(conn, &[staff_id], from, to, now)?
        .remove(&staff_id)
        .unwrap_or_default())
}

/// `staff_tally` for many people at once (up to a thousand: their ids go into IN lists):
/// the same counts, from one load of the dossiers any of them handled.
pub fn staff_tallies(
    conn: &mut AnyConnection,
    staff_ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<HashMap<i64, Tally>> {
    let since = to_utc(from.and_time(NaiveTime::MIN));
    let wanted: std::collections::HashSet<i64> = staff_ids.iter().copied().collect();
    let mut out: HashMap<i64, Tally> = HashMap::new();
    let found = of_staff_many_since(conn, staff_ids, since)?;
    let ids: Vec<i64> = found.iter().map(|d| d.id).collect();
    let rows = with_steps(conn, found)?;
    let disputes = disputes::of_dossiers(conn, &ids)?;
    for (d, steps) in &rows {
        tally_dossier(
            &mut out,
            &wanted,
            &d.rules(steps),
            disputes.get(&d.id),
            (from, to, now),
        );
    }
    Ok(out)
}

/// At most this many dossier ids are read together by `DossierRanges::tally`.
const ID_RANGE: i64 = 20_000;

/// `staff_tallies` for many people of one province at once (any number), for the
/// evaluation of a whole province or department: the province's dossiers are read once,
/// in ranges of ids with their steps beside them. Loading them person by person read
/// each dossier's steps by id, two million random reads for a province-year, most of a
/// year's evaluation (docs/PERFORMANCE.md). The same counts: a dossier none of whose
/// steps can fall in the period adds nothing to anyone.
///
/// The ranges are handed out one at a time to whichever connection asks next: two
/// connections counting between them each read about half, and while one waits for its
/// rows the other's thread counts. One after the other, the pass was the largest part of
/// the province-year's evaluation (docs/PERFORMANCE.md).
pub struct DossierRanges {
    province_id: i64,
    next: AtomicI64,
    high: i64,
    size: i64,
}

impl DossierRanges {
    pub fn of_province(conn: &mut AnyConnection, province_id: i64) -> QueryResult<Self> {
        use diesel::dsl::{max, min};
        use diesel::prelude::*;

        use crate::db::schema::dossiers;

        let (low, high): (Option<i64>, Option<i64>) = dossiers::table
            .filter(dossiers::province_id.eq(province_id))
            .select((min(dossiers::id), max(dossiers::id)))
            .first(conn)?;
        let (low, high) = match (low, high) {
            (Some(low), Some(high)) => (low, high),
            // No dossier: an empty range.
            _ => (1, 0),
        };
        // Enough ranges to share out even on a small province, at most ID_RANGE ids each.
        let size = ((high - low) / 32 + 1).clamp(1, ID_RANGE);
        Ok(DossierRanges {
            province_id,
            next: AtomicI64::new(low),
            high,
            size,
        })
    }

    /// The next range not yet taken, `start..end`.
    fn take(&self) -> Option<(i64, i64)> {
        let start = self.next.fetch_add(self.size, Ordering::Relaxed);
        (start <= self.high).then(|| (start, start.saturating_add(self.size)))
    }

    /// The tallies of `staff_ids` (all of this province) from the ranges left, read on
    /// `conn` until none is. Called from several threads, each on its own connection,
    /// their tallies merged (`Tally::merge`) are those of one call alone.
    pub fn tally(
        &self,
        conn: &mut AnyConnection,
        staff_ids: &[i64],
        from: NaiveDate,
        to: NaiveDate,
        now: NaiveDateTime,
    ) -> QueryResult<HashMap<i64, Tally>> {
        use diesel::prelude::*;

        use crate::db::schema::{dossier_steps, dossiers};

        let since = to_utc(from.and_time(NaiveTime::MIN));
        let wanted: std::collections::HashSet<i64> = staff_ids.iter().copied().collect();
        let mut out: HashMap<i64, Tally> = HashMap::new();
        while let Some((start, end)) = self.take() {
            let found: Vec<RuleDossier> = dossiers::table
                .filter(dossiers::province_id.eq(self.province_id))
                .filter(dossiers::id.ge(start))
                .filter(dossiers::id.lt(end))
                .select(RuleDossier::as_select())
                .load(conn)?;
            let mut steps_of: HashMap<i64, Vec<RuleStep>> = HashMap::new();
            for s in dossier_steps::table
                .filter(dossier_steps::dossier_id.ge(start))
                .filter(dossier_steps::dossier_id.lt(end))
                .select(RuleStep::as_select())
                .load(conn)?
            {
                steps_of.entry(s.dossier_id).or_default().push(s);
            }
            // Only dossiers `of_staff_many_since` would have found: the disputes are read
            // for those alone.
            let rows: Vec<(RuleDossier, Vec<RuleStep>)> = found
                .into_iter()
                .filter_map(|d| {
                    let steps = steps_of.remove(&d.id).unwrap_or_default();
                    steps
                        .iter()
                        .any(|s| {
                            s.staff_id.is_some_and(|id| wanted.contains(&id))
                                && s.finished_at.is_none_or(|f| f >= since)
                        })
                        .then_some((d, steps))
                })
                .collect();
            let ids: Vec<i64> = rows.iter().map(|(d, _)| d.id).collect();
            let disputes = disputes::of_dossiers(conn, &ids)?;
            for (d, steps) in &rows {
                tally_dossier(
                    &mut out,
                    &wanted,
                    &d.rules(steps),
                    disputes.get(&d.id),
                    (from, to, now),
                );
            }
        }
        Ok(out)
    }
}

/// Adds the outcomes of one dossier's steps handled by `wanted` people that fall in the
/// period (`from..=to` as of `now`, local) to their tallies.
fn tally_dossier(
    out: &mut HashMap<i64, Tally>,
    wanted: &std::collections::HashSet<i64>,
    rules: &Dossier,
    disputed: Option<&HashMap<i32, crate::domain::disputes::DisputeStatus>>,
    (from, to, now): (NaiveDate, NaiveDate, NaiveDateTime),
) {
    if !rules.status.counts() {
        return;
    }
    for (no, outcome) in rules.step_outcomes(now) {
        let Some(step) = rules.steps.iter().find(|s| s.step_no == no) else {
            continue;
        };
        let Some(staff) = step.staff_id.filter(|s| wanted.contains(s)) else {
            continue;
        };
        // The period of an unfinished step is that of the deadline its lateness is judged
        // by: its own (moved by supplement pauses) once passed, else the dossier's, which
        // an overdue step holding the dossier is late by.
        if in_period(rules.judged_due(step), step.finished_at, from, to, now) {
            out.entry(staff)
                .or_default()
                .add_disputed(outcome, disputed.and_then(|m| m.get(&no)).copied());
        }
    }
}

/// The outcomes of the dossiers of these units in `from..=to` (local days): finished in
/// it, or fallen due in it and unfinished at `now` (local). A dossier late only through
/// steps whose disputes were accepted counts as it would have without them.
pub fn unit_tally(
    conn: &mut AnyConnection,
    unit_ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<Tally> {
    let since = to_utc(from.and_time(NaiveTime::MIN));
    let mut tally = Tally::default();
    let found = of_units_since(conn, unit_ids, since)?;
    let ids: Vec<i64> = found.iter().map(|d| d.id).collect();
    let rows = with_steps(conn, found)?;
    let disputes = disputes::of_dossiers(conn, &ids)?;
    let none = HashMap::new();
    for (d, steps) in &rows {
        let rules = d.rules(steps);
        if rules.status.counts() && in_period(rules.due(), rules.finished, from, to, now) {
            let disputed = disputes.get(&d.id).unwrap_or(&none);
            let steps = rules.step_outcomes(now);
            let outcome = rules.outcome(now);
            if outcome.is_late() && pending_behind(&steps, disputed) {
                tally.add_pending(outcome);
            }
            tally.add(dossier_counted(outcome, &steps, disputed));
        }
    }
    Ok(tally)
}
