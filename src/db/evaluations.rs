//! Evaluations: what the other capabilities recorded about a person in a year (the
//! engine's input), and the stored proposals beside HR's decisions. A re-run replaces the
//! proposal and never the decision; when the proposal changes under a decision, the one
//! HR saw is kept so the change shows.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::{
    discipline_decisions, discipline_findings, evaluations, findings, leaves, violations,
};
use super::staff::StaffRow;
use crate::domain::attendance::to_utc;
use crate::domain::dossiers::LateRatioFormula;
use crate::domain::evaluation::engine::DecisionFact;
use crate::domain::evaluation::facts::{LeaveSpan, Recorded};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = evaluations)]
pub struct EvaluationRow {
    pub id: i64,
    pub province_id: i64,
    pub unit_id: i64,
    pub staff_id: i64,
    pub period: String,
    pub policy_ids: String,
    pub rated: bool,
    pub proposed_rating: Option<String>,
    pub max_rating: Option<String>,
    pub metrics: String,
    pub applied_rules: String,
    pub quota_note: Option<String>,
    pub previous_proposed_rating: Option<String>,
    pub final_rating: Option<String>,
    pub reason: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub evaluated_at: NaiveDateTime,
}

/// A proposal as the engine made it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProposal {
    pub province_id: i64,
    pub unit_id: i64,
    pub staff_id: i64,
    pub period: String,
    pub policy_ids: String,
    pub rated: bool,
    pub proposed_rating: Option<String>,
    pub max_rating: Option<String>,
    pub metrics: String,
    pub applied_rules: String,
    pub quota_note: Option<String>,
}

fn year_bounds(year: i32) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        NaiveDate::from_ymd_opt(year, 1, 1)?,
        NaiveDate::from_ymd_opt(year, 12, 31)?,
    ))
}

/// Everything recorded about `staff` that the rating of `year` reads. `now` is local.
pub fn recorded(
    conn: &mut AnyConnection,
    staff: &StaffRow,
    year: i32,
    now: NaiveDateTime,
    formula: LateRatioFormula,
) -> QueryResult<Recorded> {
    let Some((first, last)) = year_bounds(year) else {
        return Ok(Recorded::default());
    };
    let from_utc = to_utc(first.and_time(NaiveTime::MIN));
    let to_utc_next = to_utc((last + chrono::Duration::days(1)).and_time(NaiveTime::MIN));

    let leave_rows: Vec<(NaiveDate, NaiveDate, String, Option<String>)> = leaves::table
        .filter(leaves::staff_id.eq(staff.id))
        .filter(leaves::status.eq("approved"))
        .filter(leaves::from_date.le(last))
        .filter(leaves::to_date.ge(first))
        .select((
            leaves::from_date,
            leaves::to_date,
            leaves::kind,
            leaves::half_day,
        ))
        .load(conn)?;

    let tally = super::dossiers::staff_tally(conn, staff.id, first, last, now)?;
    let late_steps = match formula {
        LateRatioFormula::Resolved => tally.late,
        LateRatioFormula::WithOverdue => tally.late + tally.overdue,
    };

    let by_code: Vec<(String, i64)> = violations::table
        .filter(violations::staff_id.eq(staff.id))
        .filter(violations::day.between(first, last))
        .filter(violations::code.eq_any(["late", "early_leave", "absent_no_reason"]))
        .group_by(violations::code)
        .select((violations::code, diesel::dsl::count_star()))
        .load(conn)?;
    let count = |code: &str| {
        by_code
            .iter()
            .find(|(c, _)| c == code)
            .map_or(0, |(_, n)| *n)
    };

    let upheld: Vec<(Option<String>, String)> = findings::table
        .filter(findings::staff_id.eq(staff.id))
        .filter(findings::outcome.eq("upheld"))
        .filter(findings::observed_at.ge(from_utc))
        .filter(findings::observed_at.lt(to_utc_next))
        .select((findings::severity, findings::violation_code))
        .load(conn)?;
    let mut upheld_findings = BTreeMap::new();
    let mut upheld_codes = BTreeMap::new();
    for (severity, code) in upheld {
        *upheld_findings
            .entry(severity.unwrap_or_default())
            .or_insert(0) += 1;
        *upheld_codes.entry(code).or_insert(0) += 1;
    }

    let decisions: Vec<(i64, String, String, NaiveDate, NaiveDate)> = discipline_decisions::table
        .filter(discipline_decisions::staff_id.eq(staff.id))
        .select((
            discipline_decisions::id,
            discipline_decisions::decision_no,
            discipline_decisions::form,
            discipline_decisions::decided_on,
            discipline_decisions::effective_from,
        ))
        .load(conn)?;
    let ids: Vec<i64> = decisions.iter().map(|d| d.0).collect();
    let acts: Vec<(i64, i64, NaiveDateTime)> = discipline_findings::table
        .inner_join(findings::table.on(findings::id.eq(discipline_findings::finding_id)))
        .filter(discipline_findings::decision_id.eq_any(&ids))
        .select((
            discipline_findings::decision_id,
            findings::id,
            findings::observed_at,
        ))
        .load(conn)?;
    let decisions = decisions
        .into_iter()
        .map(
            |(id, decision_no, form, decided_on, effective_from)| DecisionFact {
                decision_no,
                form,
                decided_on,
                effective_from,
                acts: acts
                    .iter()
                    .filter(|(d, _, _)| *d == id)
                    .map(|(_, f, at)| (*f, crate::domain::attendance::to_local(*at).year()))
                    .collect(),
            },
        )
        .collect();

    let earlier: Vec<(String, Option<String>, Option<String>)> = evaluations::table
        .filter(evaluations::staff_id.eq(staff.id))
        .select((
            evaluations::period,
            evaluations::final_rating,
            evaluations::proposed_rating,
        ))
        .load(conn)?;
    let not_completed_years = earlier
        .into_iter()
        .filter(|(_, f, p)| {
            f.as_ref()
                .or(p.as_ref())
                .is_some_and(|r| r == "not_completed")
        })
        .filter_map(|(period, _, _)| period.parse::<i32>().ok())
        .filter(|y| *y < year)
        .collect();

    let mut periods = Vec::new();
    for row in super::scores::of_staff(conn, staff.id, year)? {
        periods.push(super::scores::points(conn, &row, now)?.1);
    }

    Ok(Recorded {
        joined_on: staff.joined_on,
        left_on: staff.left_on,
        leaves: leave_rows
            .into_iter()
            .map(|(from, to, kind, half)| LeaveSpan {
                from,
                to,
                kind,
                half_day: half.is_some(),
            })
            .collect(),
        late_steps: late_steps as i64,
        handled_steps: tally.handled(formula) as i64,
        late_disputes_pending: tally.disputes_pending(formula) as i64,
        late_arrivals: count("late"),
        early_leaves: count("early_leave"),
        unexcused_absences: count("absent_no_reason"),
        upheld_findings,
        upheld_codes,
        decisions,
        not_completed_years,
        periods,
        managed_not_completed: false,
    })
}

/// Stores a proposal: inserted, or replacing the previous proposal while keeping HR's
/// decision (and, when the proposal changed under it, what HR saw).
pub fn upsert(conn: &mut AnyConnection, p: &NewProposal) -> QueryResult<EvaluationRow> {
    let now = super::now();
    let existing: Option<EvaluationRow> = evaluations::table
        .filter(evaluations::staff_id.eq(p.staff_id))
        .filter(evaluations::period.eq(&p.period))
        .select(EvaluationRow::as_select())
        .first(conn)
        .optional()?;
    match existing {
        None => diesel::insert_into(evaluations::table)
            .values((
                evaluations::province_id.eq(p.province_id),
                evaluations::unit_id.eq(p.unit_id),
                evaluations::staff_id.eq(p.staff_id),
                evaluations::period.eq(&p.period),
                evaluations::policy_ids.eq(&p.policy_ids),
                evaluations::rated.eq(p.rated),
                evaluations::proposed_rating.eq(&p.proposed_rating),
                evaluations::max_rating.eq(&p.max_rating),
                evaluations::metrics.eq(&p.metrics),
                evaluations::applied_rules.eq(&p.applied_rules),
                evaluations::quota_note.eq(&p.quota_note),
                evaluations::evaluated_at.eq(now),
            ))
            .get_result(conn),
        Some(e) => {
            // The proposal HR decided on, kept once it differs from the new one.
            let previous = if e.final_rating.is_some() && e.proposed_rating != p.proposed_rating {
                e.previous_proposed_rating
                    .clone()
                    .or(e.proposed_rating.clone())
            } else {
                e.previous_proposed_rating.clone()
            };
            diesel::update(evaluations::table.find(e.id))
                .set((
                    evaluations::unit_id.eq(p.unit_id),
                    evaluations::policy_ids.eq(&p.policy_ids),
                    evaluations::rated.eq(p.rated),
                    evaluations::proposed_rating.eq(&p.proposed_rating),
                    evaluations::max_rating.eq(&p.max_rating),
                    evaluations::metrics.eq(&p.metrics),
                    evaluations::applied_rules.eq(&p.applied_rules),
                    evaluations::quota_note.eq(&p.quota_note),
                    evaluations::previous_proposed_rating.eq(previous),
                    evaluations::evaluated_at.eq(now),
                ))
                .get_result(conn)
        }
    }
}

/// The evaluations of `period` for these units.
pub fn list(
    conn: &mut AnyConnection,
    unit_ids: &[i64],
    period: &str,
) -> QueryResult<Vec<EvaluationRow>> {
    evaluations::table
        .filter(evaluations::unit_id.eq_any(unit_ids))
        .filter(evaluations::period.eq(period))
        .order((evaluations::unit_id, evaluations::staff_id))
        .select(EvaluationRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<EvaluationRow>> {
    evaluations::table
        .find(id)
        .select(EvaluationRow::as_select())
        .first(conn)
        .optional()
}

/// HR's decision, audited with the proposal it was made on.
pub fn decide(
    conn: &mut AnyConnection,
    actor: i64,
    before: &EvaluationRow,
    final_rating: &str,
    reason: Option<&str>,
) -> QueryResult<EvaluationRow> {
    let row: EvaluationRow = diesel::update(evaluations::table.find(before.id))
        .set((
            evaluations::final_rating.eq(final_rating),
            evaluations::reason.eq(reason),
            evaluations::decided_by.eq(actor),
            evaluations::decided_at.eq(super::now()),
            // The decision is on the proposal as it stands now.
            evaluations::previous_proposed_rating.eq(None::<String>),
        ))
        .get_result(conn)?;
    audit::record(
        conn,
        Entry {
            actor_user_id: Some(actor),
            entity: "evaluation",
            entity_id: row.id,
            action: "decide",
            province_id: Some(row.province_id),
            unit_id: Some(row.unit_id),
            before: Some(before),
            after: Some(&row),
        },
    )?;
    Ok(row)
}
