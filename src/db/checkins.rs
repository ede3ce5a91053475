//! Check-in events: kept as received, duplicates recognised, corrections voided rather
//! than deleted.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::checkins;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = checkins)]
pub struct CheckinRow {
    pub id: i64,
    pub province_id: i64,
    pub staff_id: i64,
    pub at: NaiveDateTime,
    pub local_date: NaiveDate,
    pub direction: Option<String>,
    pub source: String,
    pub device_id: String,
    pub idempotency_key: Option<String>,
    pub reason: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub voided_at: Option<NaiveDateTime>,
    pub voided_by: Option<i64>,
    pub void_reason: Option<String>,
}

// Explicit NULLs rather than column defaults: the same rows go through PostgreSQL's COPY.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = checkins, treat_none_as_default_value = false)]
pub struct NewCheckin {
    pub province_id: i64,
    pub staff_id: i64,
    pub at: NaiveDateTime,
    pub local_date: NaiveDate,
    pub direction: Option<String>,
    pub source: String,
    pub device_id: String,
    pub idempotency_key: Option<String>,
    pub reason: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// The event this one duplicates: the same person with the same idempotency key, or at
/// the same instant from the same device.
pub fn existing(conn: &mut AnyConnection, new: &NewCheckin) -> QueryResult<Option<CheckinRow>> {
    if let Some(key) = &new.idempotency_key {
        let by_key = checkins::table
            .filter(checkins::staff_id.eq(new.staff_id))
            .filter(checkins::idempotency_key.eq(key))
            .select(CheckinRow::as_select())
            .first(conn)
            .optional()?;
        if by_key.is_some() {
            return Ok(by_key);
        }
    }
    checkins::table
        .filter(checkins::staff_id.eq(new.staff_id))
        .filter(checkins::at.eq(new.at))
        .filter(checkins::device_id.eq(&new.device_id))
        .select(CheckinRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut AnyConnection, unit_id: i64, new: &NewCheckin) -> QueryResult<CheckinRow> {
    let row: CheckinRow = diesel::insert_into(checkins::table)
        .values(new)
        .get_result(conn)?;
    audit::record(
        conn,
        Entry::<(), _> {
            actor_user_id: new.created_by,
            entity: "checkin",
            entity_id: row.id,
            action: "create",
            province_id: Some(row.province_id),
            unit_id: Some(unit_id),
            before: None,
            after: Some(&row),
        },
    )?;
    Ok(row)
}

/// Inserts many events at once, unaudited: only for seeding demo data, which the caller
/// audits as one load.
pub fn insert_seed(conn: &mut AnyConnection, rows: &[NewCheckin]) -> QueryResult<usize> {
    let mut n = 0;
    // Multi-row inserts are not available through MultiConnection, but are on each backend.
    for chunk in rows.chunks(500) {
        n += match conn {
            AnyConnection::Postgresql(c) => diesel::insert_into(checkins::table)
                .values(chunk)
                .execute(c)?,
            AnyConnection::Sqlite(c) => diesel::insert_into(checkins::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(n)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<CheckinRow>> {
    checkins::table
        .find(id)
        .select(CheckinRow::as_select())
        .first(conn)
        .optional()
}

pub fn void(
    conn: &mut AnyConnection,
    actor: i64,
    unit_id: i64,
    before: &CheckinRow,
    reason: &str,
) -> QueryResult<CheckinRow> {
    let row: CheckinRow = diesel::update(checkins::table.find(before.id))
        .set((
            checkins::voided_at.eq(Some(super::now())),
            checkins::voided_by.eq(Some(actor)),
            checkins::void_reason.eq(Some(reason)),
        ))
        .get_result(conn)?;
    audit::record(
        conn,
        Entry {
            actor_user_id: Some(actor),
            entity: "checkin",
            entity_id: row.id,
            action: "void",
            province_id: Some(row.province_id),
            unit_id: Some(unit_id),
            before: Some(before),
            after: Some(&row),
        },
    )?;
    Ok(row)
}

/// Valid (not voided) events of these people on local dates `from..=to`.
pub fn valid_in(
    conn: &mut AnyConnection,
    staff_ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<CheckinRow>> {
    checkins::table
        .filter(checkins::staff_id.eq_any(staff_ids))
        .filter(checkins::local_date.between(from, to))
        .filter(checkins::voided_at.is_null())
        .order((checkins::staff_id, checkins::at))
        .select(CheckinRow::as_select())
        .load(conn)
}

/// Every event of one person on local dates `from..=to`, voided ones included.
pub fn of_staff(
    conn: &mut AnyConnection,
    staff_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<CheckinRow>> {
    checkins::table
        .filter(checkins::staff_id.eq(staff_id))
        .filter(checkins::local_date.between(from, to))
        .order(checkins::at)
        .select(CheckinRow::as_select())
        .load(conn)
}
