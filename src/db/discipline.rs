//! Disciplinary decisions and the findings they rest on.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::{discipline_decisions, discipline_findings};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = discipline_decisions)]
pub struct DecisionRow {
    pub id: i64,
    pub province_id: i64,
    pub staff_id: i64,
    pub unit_id: i64,
    pub form: String,
    pub decision_no: String,
    pub decided_on: NaiveDate,
    pub effective_from: NaiveDate,
    pub restricted_until: Option<NaiveDate>,
    pub regime: String,
    pub reason: String,
    pub created_by: Option<i64>,
    pub created_at: chrono::NaiveDateTime,
    /// Whether the person held a management post, as the decision states (None: recorded
    /// before it was kept).
    pub management_post: Option<bool>,
}

#[derive(Debug, Clone, Insertable, Serialize)]
#[diesel(table_name = discipline_decisions)]
pub struct NewDecision {
    pub province_id: i64,
    pub staff_id: i64,
    pub unit_id: i64,
    pub form: String,
    pub decision_no: String,
    pub decided_on: NaiveDate,
    pub effective_from: NaiveDate,
    pub restricted_until: Option<NaiveDate>,
    pub regime: String,
    pub reason: String,
    pub created_by: Option<i64>,
    pub management_post: Option<bool>,
}

pub fn number_taken(
    conn: &mut AnyConnection,
    province_id: i64,
    decision_no: &str,
) -> QueryResult<bool> {
    discipline_decisions::table
        .filter(discipline_decisions::province_id.eq(province_id))
        .filter(discipline_decisions::decision_no.eq(decision_no))
        .count()
        .get_result::<i64>(conn)
        .map(|n| n > 0)
}

pub fn insert(
    conn: &mut AnyConnection,
    new: &NewDecision,
    finding_ids: &[i64],
) -> QueryResult<DecisionRow> {
    let row: DecisionRow = diesel::insert_into(discipline_decisions::table)
        .values((new, discipline_decisions::created_at.eq(super::now())))
        .get_result(conn)?;
    for f in finding_ids {
        diesel::insert_into(discipline_findings::table)
            .values((
                discipline_findings::decision_id.eq(row.id),
                discipline_findings::finding_id.eq(f),
            ))
            .execute(conn)?;
    }
    audit::record(
        conn,
        Entry::<(), _> {
            actor_user_id: new.created_by,
            entity: "discipline",
            entity_id: row.id,
            action: "create",
            province_id: Some(row.province_id),
            unit_id: Some(row.unit_id),
            before: None,
            after: Some(&serde_json::json!({"decision": &row, "finding_ids": finding_ids})),
        },
    )?;
    Ok(row)
}

/// Whether a disciplinary decision rests on this finding.
pub fn rests_on(conn: &mut AnyConnection, finding_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        discipline_findings::table.filter(discipline_findings::finding_id.eq(finding_id)),
    ))
    .get_result(conn)
}

pub fn findings_of(conn: &mut AnyConnection, decision_ids: &[i64]) -> QueryResult<Vec<(i64, i64)>> {
    discipline_findings::table
        .filter(discipline_findings::decision_id.eq_any(decision_ids))
        .select((
            discipline_findings::decision_id,
            discipline_findings::finding_id,
        ))
        .load(conn)
}

/// Decisions about these people taking effect in `from..=to`: the rating year a decision
/// weighs on is the one it takes effect in (`counted_in_year`), so a year's list shows
/// what that year's evaluation counts. Before, it was the decision date: one decided
/// 26/12/2025 and effective 2/1/2026, which makes someone not completed in 2026, was
/// listed under 2025.
pub fn of_staff(
    conn: &mut AnyConnection,
    staff_ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<DecisionRow>> {
    // A thousand people an IN list: a province's are more than SQLite binds at once.
    let mut rows = Vec::new();
    for chunk in staff_ids.chunks(1000) {
        rows.extend(
            discipline_decisions::table
                .filter(discipline_decisions::staff_id.eq_any(chunk))
                .filter(discipline_decisions::effective_from.between(from, to))
                .select(DecisionRow::as_select())
                .load::<DecisionRow>(conn)?,
        );
    }
    rows.sort_unstable_by_key(|r| (r.decided_on, r.id));
    Ok(rows)
}
