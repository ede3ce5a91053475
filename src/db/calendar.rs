//! The holiday calendar: national entries and entries for one province.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::calendar_days;
use crate::domain::calendar;
use crate::domain::codes::CalendarKind;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = calendar_days)]
pub struct CalendarRow {
    pub id: i64,
    pub province_id: Option<i64>,
    pub day: NaiveDate,
    pub kind: String,
    pub name: String,
    pub created_at: chrono::NaiveDateTime,
}

impl CalendarRow {
    pub fn entry(&self) -> calendar::Entry {
        calendar::Entry {
            date: self.day,
            kind: CalendarKind::parse(&self.kind).unwrap_or(CalendarKind::Holiday),
            name: self.name.clone(),
            province_id: self.province_id,
        }
    }
}

/// Entries in `from..=to` that apply to any of `provinces` (national ones always).
pub fn entries_in(
    conn: &mut AnyConnection,
    provinces: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<CalendarRow>> {
    calendar_days::table
        .filter(calendar_days::day.between(from, to))
        .filter(
            calendar_days::province_id
                .is_null()
                .or(calendar_days::province_id
                    .eq_any(provinces.iter().copied().map(Some).collect::<Vec<_>>())),
        )
        .order((calendar_days::day, calendar_days::id))
        .select(CalendarRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<CalendarRow>> {
    calendar_days::table
        .find(id)
        .select(CalendarRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_on(
    conn: &mut AnyConnection,
    province_id: Option<i64>,
    day: NaiveDate,
) -> QueryResult<Option<CalendarRow>> {
    let q = calendar_days::table
        .filter(calendar_days::day.eq(day))
        .into_boxed();
    let q = match province_id {
        Some(p) => q.filter(calendar_days::province_id.eq(p)),
        None => q.filter(calendar_days::province_id.is_null()),
    };
    q.select(CalendarRow::as_select()).first(conn).optional()
}

fn audit_change(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    action: &str,
    before: Option<&CalendarRow>,
    after: &CalendarRow,
) -> QueryResult<()> {
    audit::record(
        conn,
        Entry {
            actor_user_id: actor,
            entity: "calendar_day",
            entity_id: after.id,
            action,
            province_id: after.province_id,
            unit_id: after.province_id,
            before,
            after: Some(after),
        },
    )
}

/// Adds the entry, or replaces the kind and name of the one on the same day and scope,
/// and says whether the day is now judged otherwise (a new entry, or another kind): an
/// entry sent again as it stands is left alone, unaudited (a year's list sent again
/// changes nothing, and re-judges no day), and a new name alone is written and audited
/// but judges no day again.
pub fn upsert(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    province_id: Option<i64>,
    day: NaiveDate,
    kind: CalendarKind,
    name: &str,
) -> QueryResult<(CalendarRow, bool)> {
    match find_on(conn, province_id, day)? {
        Some(existing) if existing.kind == kind.code() && existing.name == name => {
            Ok((existing, false))
        }
        Some(existing) => {
            let row: CalendarRow = diesel::update(calendar_days::table.find(existing.id))
                .set((
                    calendar_days::kind.eq(kind.code()),
                    calendar_days::name.eq(name),
                ))
                .get_result(conn)?;
            audit_change(conn, actor, "update", Some(&existing), &row)?;
            let judged = existing.kind != row.kind;
            Ok((row, judged))
        }
        None => {
            let row: CalendarRow = diesel::insert_into(calendar_days::table)
                .values((
                    calendar_days::province_id.eq(province_id),
                    calendar_days::day.eq(day),
                    calendar_days::kind.eq(kind.code()),
                    calendar_days::name.eq(name),
                    calendar_days::created_at.eq(super::now()),
                ))
                .get_result(conn)?;
            audit_change(conn, actor, "create", None, &row)?;
            Ok((row, true))
        }
    }
}

pub fn delete(conn: &mut AnyConnection, actor: Option<i64>, row: &CalendarRow) -> QueryResult<()> {
    diesel::delete(calendar_days::table.find(row.id)).execute(conn)?;
    audit::record(
        conn,
        Entry::<CalendarRow, ()> {
            actor_user_id: actor,
            entity: "calendar_day",
            entity_id: row.id,
            action: "delete",
            province_id: row.province_id,
            unit_id: row.province_id,
            before: Some(row),
            after: None,
        },
    )
}
