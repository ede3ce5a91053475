//! Working-time schedules per unit and validity range (summer and winter timetables).

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::schedules;
use crate::domain::attendance::{Schedule, parse_sessions, parse_weekdays};
use crate::domain::codes::PunchMode;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = schedules)]
pub struct ScheduleRow {
    pub id: i64,
    pub province_id: i64,
    pub unit_id: i64,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub weekdays: String,
    pub sessions: String,
    pub grace_minutes: i32,
    pub punch_mode: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = schedules, treat_none_as_null = true)]
pub struct ScheduleFields {
    pub province_id: i64,
    pub unit_id: i64,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub weekdays: String,
    pub sessions: String,
    pub grace_minutes: i32,
    pub punch_mode: String,
}

impl ScheduleRow {
    pub fn fields(&self) -> ScheduleFields {
        ScheduleFields {
            province_id: self.province_id,
            unit_id: self.unit_id,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            weekdays: self.weekdays.clone(),
            sessions: self.sessions.clone(),
            grace_minutes: self.grace_minutes,
            punch_mode: self.punch_mode.clone(),
        }
    }

    /// The rules of this row; rows are validated on the way in.
    pub fn schedule(&self) -> Schedule {
        Schedule {
            weekdays: parse_weekdays(&self.weekdays),
            sessions: parse_sessions(&self.sessions).unwrap_or_default(),
            grace_minutes: i64::from(self.grace_minutes),
            punch_mode: PunchMode::parse(&self.punch_mode).unwrap_or(PunchMode::Daily),
        }
    }

    pub fn covers(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day <= to)
    }
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<ScheduleRow>> {
    schedules::table
        .find(id)
        .select(ScheduleRow::as_select())
        .first(conn)
        .optional()
}

pub fn for_unit(conn: &mut AnyConnection, unit_id: i64) -> QueryResult<Vec<ScheduleRow>> {
    schedules::table
        .filter(schedules::unit_id.eq(unit_id))
        .order(schedules::valid_from)
        .select(ScheduleRow::as_select())
        .load(conn)
}

/// Schedules of the given units that are valid at some point of `from..=to`.
pub fn for_units_in(
    conn: &mut AnyConnection,
    unit_ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<ScheduleRow>> {
    schedules::table
        .filter(schedules::unit_id.eq_any(unit_ids))
        .filter(schedules::valid_from.le(to))
        .filter(
            schedules::valid_to
                .is_null()
                .or(schedules::valid_to.ge(from)),
        )
        .select(ScheduleRow::as_select())
        .load(conn)
}

/// Another schedule of the same unit whose validity overlaps `from..=to`.
pub fn overlapping(
    conn: &mut AnyConnection,
    unit_id: i64,
    from: NaiveDate,
    to: Option<NaiveDate>,
    except: Option<i64>,
) -> QueryResult<Option<ScheduleRow>> {
    let mut q = schedules::table
        .filter(schedules::unit_id.eq(unit_id))
        .filter(
            schedules::valid_to
                .is_null()
                .or(schedules::valid_to.ge(from)),
        )
        .into_boxed();
    if let Some(to) = to {
        q = q.filter(schedules::valid_from.le(to));
    }
    if let Some(id) = except {
        q = q.filter(schedules::id.ne(id));
    }
    q.select(ScheduleRow::as_select()).first(conn).optional()
}

fn audit_change(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    action: &str,
    before: Option<&ScheduleRow>,
    after: &ScheduleRow,
) -> QueryResult<()> {
    audit::record(
        conn,
        Entry {
            actor_user_id: actor,
            entity: "schedule",
            entity_id: after.id,
            action,
            province_id: Some(after.province_id),
            unit_id: Some(after.unit_id),
            before,
            after: Some(after),
        },
    )
}

pub fn insert(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    f: &ScheduleFields,
) -> QueryResult<ScheduleRow> {
    let now = super::now();
    let row: ScheduleRow = diesel::insert_into(schedules::table)
        .values((
            f,
            schedules::created_at.eq(now),
            schedules::updated_at.eq(now),
        ))
        .get_result(conn)?;
    audit_change(conn, actor, "create", None, &row)?;
    Ok(row)
}

pub fn update(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    before: &ScheduleRow,
    f: &ScheduleFields,
) -> QueryResult<ScheduleRow> {
    let row: ScheduleRow = diesel::update(schedules::table.find(before.id))
        .set((f, schedules::updated_at.eq(super::now())))
        .get_result(conn)?;
    audit_change(conn, actor, "update", Some(before), &row)?;
    Ok(row)
}
