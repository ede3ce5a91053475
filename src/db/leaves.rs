//! Leave and business trips, which excuse absence once approved.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::leaves;
use crate::domain::codes::LeaveStatus;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = leaves)]
pub struct LeaveRow {
    pub id: i64,
    pub province_id: i64,
    pub staff_id: i64,
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    pub kind: String,
    pub half_day: Option<String>,
    pub reason: Option<String>,
    pub status: String,
    pub requested_by: Option<i64>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<chrono::NaiveDateTime>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

pub struct NewLeave<'a> {
    pub province_id: i64,
    pub staff_id: i64,
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    pub kind: &'a str,
    pub half_day: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub status: LeaveStatus,
    /// None for seeded demo data.
    pub requested_by: Option<i64>,
}

fn audit_change(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    action: &str,
    unit_id: i64,
    before: Option<&LeaveRow>,
    after: &LeaveRow,
) -> QueryResult<()> {
    audit::record(
        conn,
        Entry {
            actor_user_id: actor,
            entity: "leave",
            entity_id: after.id,
            action,
            province_id: Some(after.province_id),
            unit_id: Some(unit_id),
            before,
            after: Some(after),
        },
    )
}

/// Inserts a leave; `unit_id` is the person's unit, for the audit trail's scope.
pub fn insert(conn: &mut AnyConnection, unit_id: i64, new: &NewLeave<'_>) -> QueryResult<LeaveRow> {
    let now = super::now();
    let decided = new.status == LeaveStatus::Approved;
    let row: LeaveRow = diesel::insert_into(leaves::table)
        .values((
            leaves::province_id.eq(new.province_id),
            leaves::staff_id.eq(new.staff_id),
            leaves::from_date.eq(new.from_date),
            leaves::to_date.eq(new.to_date),
            leaves::kind.eq(new.kind),
            leaves::half_day.eq(new.half_day),
            leaves::reason.eq(new.reason),
            leaves::status.eq(new.status.code()),
            leaves::requested_by.eq(new.requested_by),
            leaves::decided_by.eq(new.requested_by.filter(|_| decided)),
            leaves::decided_at.eq(decided.then_some(now)),
            leaves::created_at.eq(now),
            leaves::updated_at.eq(now),
        ))
        .get_result(conn)?;
    audit_change(conn, new.requested_by, "create", unit_id, None, &row)?;
    Ok(row)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<LeaveRow>> {
    leaves::table
        .find(id)
        .select(LeaveRow::as_select())
        .first(conn)
        .optional()
}

/// Moves the leave from the status it had when read (`before`) to `status`; `None` when
/// it has moved meanwhile: on PostgreSQL a head's approval and the person's cancellation
/// at the same moment both read it pending, and only the first may take.
pub fn decide(
    conn: &mut AnyConnection,
    actor: i64,
    unit_id: i64,
    before: &LeaveRow,
    status: LeaveStatus,
) -> QueryResult<Option<LeaveRow>> {
    let now = super::now();
    let row: Option<LeaveRow> = diesel::update(
        leaves::table
            .find(before.id)
            .filter(leaves::status.eq(&before.status)),
    )
    .set((
        leaves::status.eq(status.code()),
        leaves::decided_by.eq(Some(actor)),
        leaves::decided_at.eq(Some(now)),
        leaves::updated_at.eq(now),
    ))
    .get_result(conn)
    .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    audit_change(
        conn,
        Some(actor),
        status.code(),
        unit_id,
        Some(before),
        &row,
    )?;
    Ok(Some(row))
}

/// Approved leave of these people overlapping `from..=to`.
pub fn approved_in(
    conn: &mut AnyConnection,
    staff_ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<LeaveRow>> {
    leaves::table
        .filter(leaves::staff_id.eq_any(staff_ids))
        .filter(leaves::status.eq(LeaveStatus::Approved.code()))
        .filter(leaves::from_date.le(to))
        .filter(leaves::to_date.ge(from))
        .select(LeaveRow::as_select())
        .load(conn)
}

/// Approved or pending leave of one person overlapping `from..=to`, to refuse doubles.
pub fn active_overlapping(
    conn: &mut AnyConnection,
    staff_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<LeaveRow>> {
    leaves::table
        .filter(leaves::staff_id.eq(staff_id))
        .filter(leaves::status.eq_any([LeaveStatus::Approved.code(), LeaveStatus::Pending.code()]))
        .filter(leaves::from_date.le(to))
        .filter(leaves::to_date.ge(from))
        .select(LeaveRow::as_select())
        .load(conn)
}

/// Leave of the given people (or, with `status`, only in that state), newest first: the
/// page `offset..offset + limit`, and how many there are. The people may be a province
/// (tens of thousands): their ids go into IN lists a thousand at a time, within SQLite's
/// bound on variables, and only the keys are read that way; the page's rows are read by id.
pub fn list(
    conn: &mut AnyConnection,
    staff_ids: &[i64],
    status: Option<LeaveStatus>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<LeaveRow>, i64)> {
    let mut keys: Vec<(NaiveDate, i64)> = Vec::new();
    for chunk in staff_ids.chunks(1000) {
        let mut q = leaves::table
            .filter(leaves::staff_id.eq_any(chunk))
            .into_boxed();
        if let Some(s) = status {
            q = q.filter(leaves::status.eq(s.code()));
        }
        keys.extend(
            q.select((leaves::from_date, leaves::id))
                .load::<(NaiveDate, i64)>(conn)?,
        );
    }
    // Newest first, as one ORDER BY from_date DESC, id DESC would give.
    keys.sort_unstable_by(|a, b| b.cmp(a));
    let total = i64::try_from(keys.len()).unwrap_or(i64::MAX);
    let page: Vec<i64> = keys
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|(_, id)| *id)
        .collect();
    let mut rows: Vec<LeaveRow> = leaves::table
        .filter(leaves::id.eq_any(&page))
        .select(LeaveRow::as_select())
        .load(conn)?;
    rows.sort_unstable_by_key(|r| std::cmp::Reverse((r.from_date, r.id)));
    Ok((rows, total))
}
