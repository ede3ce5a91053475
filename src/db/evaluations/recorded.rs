//! What the other capabilities recorded about people in a year: the rating engine's
//! input. Loaded for many people at once, one query per source for up to a thousand of
//! them: a province is 50 000 people, and a dozen queries per person was most of the
//! evaluation's time (docs/PERFORMANCE.md).

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{
    discipline_decisions, discipline_findings, evaluations, findings, leaves, period_scores,
    violations,
};
use crate::db::scores::ScoreRow;
use crate::db::staff::StaffRow;
use crate::domain::attendance::to_utc;
use crate::domain::dossiers::{LateRatioFormula, Tally};
use crate::domain::evaluation::engine::DecisionFact;
use crate::domain::evaluation::facts::{LeaveSpan, Recorded};
use crate::domain::evaluation::scoring::{period_bounds, unscorable};

/// People loaded together: bounded IN lists (SQLite takes at most 32 766 values).
const AT_ONCE: usize = 1000;

type Decision = (i64, String, String, NaiveDate, NaiveDate);
/// An earlier evaluation: period, HR's rating, the proposal.
type Earlier = (String, Option<String>, Option<String>);

/// The attendance register's codes the rating counts: late arrivals, early leaves,
/// unexcused absences, in the order of `Register`'s counts.
/// The register's codes the metrics count, by acts: one a day (`DAILY_CODES`).
const REGISTER_CODES: [&str; 3] = crate::domain::repeats::DAILY_CODES;

/// One person's entries of the year in the register, per `REGISTER_CODES`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Register([i64; 3]);

/// What an evaluation of most of a province reads for the whole province at once, in a
/// few large queries, rather than a thousand people at a time: at 50 000 people the
/// per-thousand queries of the dossiers and of the register were over a third of the
/// run (docs/PERFORMANCE.md).
#[derive(Debug, Default)]
pub struct ProvinceWide {
    pub tallies: HashMap<i64, Tally>,
    pub register: HashMap<i64, Register>,
}

impl ProvinceWide {
    /// The year's dossier tallies (`dossiers::DossierRanges`) and register counts of
    /// `staff_ids`, all of `province_id`. With a `side` connection the register is
    /// counted on it while `conn` reads the dossiers, and then it shares the dossiers'
    /// ranges: on the province-year the two took about 1.2 s and 2.7 s of the database's
    /// time one after the other (docs/PERFORMANCE.md). The data are the same either way:
    /// both only read.
    pub fn load(
        conn: &mut AnyConnection,
        side: Option<&mut AnyConnection>,
        province_id: i64,
        staff_ids: &[i64],
        year: i32,
        now: NaiveDateTime,
    ) -> QueryResult<ProvinceWide> {
        let Some((first, last)) = year_bounds(year) else {
            return Ok(ProvinceWide::default());
        };
        let wanted: std::collections::HashSet<i64> = staff_ids.iter().copied().collect();
        let register = |c: &mut AnyConnection| -> QueryResult<HashMap<i64, Register>> {
            let mut register = HashMap::with_capacity(staff_ids.len());
            let whose = Box::new(violations::province_id.eq(province_id));
            for (staff, code, n) in register_counts(c, whose, first, last)? {
                if let Some(staff) = staff.filter(|s| wanted.contains(s)) {
                    add_count(&mut register, staff, &code, n);
                }
            }
            Ok(register)
        };
        let ranges = crate::db::dossiers::DossierRanges::of_province(conn, province_id)?;
        let tallies = |c: &mut AnyConnection| ranges.tally(c, staff_ids, first, last, now);
        let Some(side) = side else {
            return Ok(ProvinceWide {
                tallies: tallies(conn)?,
                register: register(conn)?,
            });
        };
        std::thread::scope(|s| {
            let theirs = s.spawn(|| -> QueryResult<_> {
                let register = register(side)?;
                Ok((register, tallies(side)?))
            });
            let mine = tallies(conn);
            // A panic on the side thread is a bug in this function: pass it on.
            let (register, theirs) = theirs
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))?;
            let mut tallies = mine?;
            for (staff, t) in theirs {
                tallies.entry(staff).or_default().merge(&t);
            }
            Ok(ProvinceWide { tallies, register })
        })
    }
}

/// The first and last day of `year`.
fn year_bounds(year: i32) -> Option<(NaiveDate, NaiveDate)> {
    NaiveDate::from_ymd_opt(year, 1, 1).zip(NaiveDate::from_ymd_opt(year, 12, 31))
}

/// Which violations: a province's, or some people's.
type Whose<'a> = Box<
    dyn BoxableExpression<
            violations::table,
            crate::db::MultiBackend,
            SqlType = diesel::sql_types::Bool,
        > + 'a,
>;

/// (staff, code, acts) of the register's counted codes in `first..=last`, of the
/// violations `whose` selects. An act is a code on a day: an absence the check-ins show
/// and an inspection upheld is two rows but one absence (`domain::repeats::crossings`
/// counts the same way).
fn register_counts(
    conn: &mut AnyConnection,
    whose: Whose<'_>,
    first: NaiveDate,
    last: NaiveDate,
) -> QueryResult<Vec<(Option<i64>, String, i64)>> {
    violations::table
        .filter(whose)
        .filter(violations::day.between(first, last))
        .filter(violations::code.eq_any(REGISTER_CODES))
        .group_by((violations::staff_id, violations::code))
        .select((
            violations::staff_id,
            violations::code,
            diesel::dsl::count(violations::day).aggregate_distinct(),
        ))
        .load(conn)
}

fn add_count(register: &mut HashMap<i64, Register>, staff: i64, code: &str, n: i64) {
    if let Some(i) = REGISTER_CODES.iter().position(|c| *c == code) {
        register.entry(staff).or_default().0[i] += n;
    }
}

/// Everything recorded about each of `people` that the rating of `year` reads, by staff
/// id (everyone has an entry). `now` is local. `wide`, when the caller has loaded it for
/// the province and year, stands in for loading the people's dossiers and register.
pub fn recorded_many(
    conn: &mut AnyConnection,
    people: &[&StaffRow],
    year: i32,
    now: NaiveDateTime,
    formula: LateRatioFormula,
    wide: Option<&ProvinceWide>,
) -> QueryResult<HashMap<i64, Recorded>> {
    let Some((first, last)) = year_bounds(year) else {
        return Ok(people.iter().map(|s| (s.id, Recorded::default())).collect());
    };
    let from_utc = to_utc(first.and_time(NaiveTime::MIN));
    let to_utc_next = to_utc((last + chrono::Duration::days(1)).and_time(NaiveTime::MIN));

    let mut leaves_of: HashMap<i64, Vec<LeaveSpan>> = HashMap::new();
    let mut register: HashMap<i64, Register> = HashMap::new();
    let mut upheld_of: HashMap<i64, Vec<(Option<String>, String)>> = HashMap::new();
    let mut decisions_of: HashMap<i64, Vec<Decision>> = HashMap::new();
    let mut earlier_of: HashMap<i64, Vec<Earlier>> = HashMap::new();
    let mut scores_of: HashMap<i64, Vec<ScoreRow>> = HashMap::new();
    let mut acts: HashMap<i64, Vec<(i64, NaiveDateTime)>> = HashMap::new();
    let mut tallies = HashMap::new();

    let ids: Vec<i64> = people.iter().map(|s| s.id).collect();
    for chunk in ids.chunks(AT_ONCE) {
        let rows: Vec<(i64, NaiveDate, NaiveDate, String, Option<String>)> = leaves::table
            .filter(leaves::staff_id.eq_any(chunk))
            .filter(leaves::status.eq("approved"))
            .filter(leaves::from_date.le(last))
            .filter(leaves::to_date.ge(first))
            .select((
                leaves::staff_id,
                leaves::from_date,
                leaves::to_date,
                leaves::kind,
                leaves::half_day,
            ))
            .load(conn)?;
        for (staff, from, to, kind, half) in rows {
            leaves_of.entry(staff).or_default().push(LeaveSpan {
                from,
                to,
                kind,
                half_day: half.is_some(),
            });
        }

        match wide {
            Some(known) => register.extend(
                chunk
                    .iter()
                    .filter_map(|id| known.register.get(id).map(|r| (*id, *r))),
            ),
            None => {
                let whose = Box::new(violations::staff_id.eq_any(chunk).assume_not_null());
                for (staff, code, n) in register_counts(conn, whose, first, last)? {
                    if let Some(staff) = staff {
                        add_count(&mut register, staff, &code, n);
                    }
                }
            }
        }

        let rows: Vec<(Option<i64>, Option<String>, String)> = findings::table
            .filter(findings::staff_id.eq_any(chunk))
            .filter(findings::outcome.eq("upheld"))
            .filter(findings::observed_at.ge(from_utc))
            .filter(findings::observed_at.lt(to_utc_next))
            .select((
                findings::staff_id,
                findings::severity,
                findings::violation_code,
            ))
            .load(conn)?;
        for (staff, severity, code) in rows {
            if let Some(staff) = staff {
                upheld_of.entry(staff).or_default().push((severity, code));
            }
        }

        let rows: Vec<(i64, Decision)> = discipline_decisions::table
            .filter(discipline_decisions::staff_id.eq_any(chunk))
            .select((
                discipline_decisions::staff_id,
                (
                    discipline_decisions::id,
                    discipline_decisions::decision_no,
                    discipline_decisions::form,
                    discipline_decisions::decided_on,
                    discipline_decisions::effective_from,
                ),
            ))
            .load(conn)?;
        let decision_ids: Vec<i64> = rows.iter().map(|(_, d)| d.0).collect();
        for (staff, d) in rows {
            decisions_of.entry(staff).or_default().push(d);
        }
        let rows: Vec<(i64, i64, NaiveDateTime)> = discipline_findings::table
            .inner_join(findings::table.on(findings::id.eq(discipline_findings::finding_id)))
            .filter(discipline_findings::decision_id.eq_any(&decision_ids))
            .select((
                discipline_findings::decision_id,
                findings::id,
                findings::observed_at,
            ))
            .load(conn)?;
        for (decision, finding, at) in rows {
            acts.entry(decision).or_default().push((finding, at));
        }

        let rows: Vec<(i64, String, Option<String>, Option<String>)> = evaluations::table
            .filter(evaluations::staff_id.eq_any(chunk))
            .select((
                evaluations::staff_id,
                evaluations::period,
                evaluations::final_rating,
                evaluations::proposed_rating,
            ))
            .load(conn)?;
        for (staff, period, fin, proposed) in rows {
            earlier_of
                .entry(staff)
                .or_default()
                .push((period, fin, proposed));
        }

        let rows: Vec<ScoreRow> = period_scores::table
            .filter(period_scores::staff_id.eq_any(chunk))
            .filter(period_scores::year.eq(year))
            .order((period_scores::staff_id, period_scores::period))
            .select(ScoreRow::as_select())
            .load(conn)?;
        for row in rows {
            scores_of.entry(row.staff_id).or_default().push(row);
        }

        match wide {
            Some(known) => tallies.extend(
                chunk
                    .iter()
                    .filter_map(|id| known.tallies.get(id).map(|t| (*id, *t))),
            ),
            None => tallies.extend(crate::db::dossiers::staff_tallies(
                conn, chunk, first, last, now,
            )?),
        }
    }

    let mut out = HashMap::with_capacity(people.len());
    for staff in people {
        let id = staff.id;
        let tally = tallies.get(&id).copied().unwrap_or_default();
        let late_steps = match formula {
            LateRatioFormula::Resolved => tally.late,
            LateRatioFormula::WithOverdue => tally.late + tally.overdue,
        };
        let Register([late_arrivals, early_leaves, unexcused_absences]) =
            register.get(&id).copied().unwrap_or_default();
        let mut upheld_findings = BTreeMap::new();
        let mut upheld_codes = BTreeMap::new();
        for (severity, code) in upheld_of.remove(&id).unwrap_or_default() {
            *upheld_findings
                .entry(severity.unwrap_or_default())
                .or_insert(0) += 1;
            *upheld_codes.entry(code).or_insert(0) += 1;
        }
        let decisions = decisions_of
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .map(
                |(decision, decision_no, form, decided_on, effective_from)| DecisionFact {
                    decision_no,
                    form,
                    decided_on,
                    effective_from,
                    acts: acts
                        .get(&decision)
                        .map(|list| {
                            list.iter()
                                .map(|(f, at)| {
                                    (*f, crate::domain::attendance::to_local(*at).year())
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                },
            )
            .collect();
        let not_completed_years = earlier_of
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, f, p)| {
                f.as_ref()
                    .or(p.as_ref())
                    .is_some_and(|r| r == "not_completed")
            })
            .filter_map(|(period, _, _)| period.parse::<i32>().ok())
            .filter(|y| *y < year)
            .collect();
        // Period scores are few (entered by hand); their points read the dossiers of
        // their period, person by person.
        // A period the person served no day of (their service dates corrected since the
        // score was entered) counts in no average; nor does one not begun.
        let mut periods = Vec::new();
        for row in scores_of.remove(&id).unwrap_or_default() {
            let scorable = period_bounds(&row.period).is_some_and(|(_, first, last)| {
                let service = (staff.joined_on, staff.left_on);
                unscorable((first, last), service, now.date()).is_none()
            });
            if scorable {
                periods.push(crate::db::scores::points(conn, &row, now)?.1);
            }
        }
        out.insert(
            id,
            Recorded {
                joined_on: staff.joined_on,
                left_on: staff.left_on,
                leaves: leaves_of.remove(&id).unwrap_or_default(),
                late_steps: late_steps as i64,
                handled_steps: tally.handled(formula) as i64,
                late_disputes_pending: tally.disputes_pending(formula) as i64,
                late_arrivals,
                early_leaves,
                unexcused_absences,
                upheld_findings,
                upheld_codes,
                decisions,
                not_completed_years,
                periods,
                managed_not_completed: false,
            },
        );
    }
    Ok(out)
}
