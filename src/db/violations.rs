//! The violation register: every violation whatever its source. Attendance rows are kept
//! equal to what the derivation says for closed days; later sources (inspections,
//! dossiers) add their own.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::violations;
use super::{AnyConnection, MultiBackend};

pub const SOURCE_ATTENDANCE: &str = "attendance";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = violations)]
pub struct ViolationRow {
    pub id: i64,
    pub province_id: i64,
    pub unit_id: i64,
    pub staff_id: Option<i64>,
    pub code: String,
    pub day: NaiveDate,
    pub minutes: Option<i32>,
    pub source: String,
    pub source_ref: String,
    pub detail: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

/// A violation as a source says it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub province_id: i64,
    pub unit_id: i64,
    pub staff_id: i64,
    pub code: &'static str,
    pub day: NaiveDate,
    pub minutes: Option<i32>,
}

/// What a sync changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncStats {
    pub added: usize,
    pub removed: usize,
    pub updated: usize,
    /// The people who have a new violation (repeat detection looks at them only).
    pub added_staff: Vec<i64>,
}

fn attendance_ref(staff_id: i64, day: NaiveDate) -> String {
    format!("{staff_id}:{day}")
}

/// The day of an attendance row's reference (`attendance_ref`).
pub fn attendance_day(source_ref: &str) -> Option<NaiveDate> {
    let (_, day) = source_ref.split_once(':')?;
    day.parse().ok()
}

/// The first day the register holds of a person from attendance.
pub fn first_from_attendance(
    conn: &mut AnyConnection,
    staff_id: i64,
) -> QueryResult<Option<NaiveDate>> {
    violations::table
        .filter(violations::staff_id.eq(staff_id))
        .filter(violations::source.eq(SOURCE_ATTENDANCE))
        .select(diesel::dsl::min(violations::day))
        .first(conn)
}

/// Makes the attendance violations of `staff_ids` on `from..=to` exactly `wanted`: rows
/// that no longer hold are removed, new ones added, changed minutes updated. Rows that
/// stay keep their ids (later notices refer to them).
pub fn sync_attendance(
    conn: &mut AnyConnection,
    staff_ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
    wanted: &[Wanted],
) -> QueryResult<SyncStats> {
    let existing: Vec<ViolationRow> = violations::table
        .filter(violations::source.eq(SOURCE_ATTENDANCE))
        .filter(
            violations::staff_id.eq_any(staff_ids.iter().copied().map(Some).collect::<Vec<_>>()),
        )
        .filter(violations::day.between(from, to))
        .select(ViolationRow::as_select())
        .load(conn)?;
    let mut have: HashMap<(String, String), ViolationRow> = existing
        .into_iter()
        .map(|v| ((v.source_ref.clone(), v.code.clone()), v))
        .collect();
    let mut stats = SyncStats::default();
    let now = super::now();
    for w in wanted {
        let source_ref = attendance_ref(w.staff_id, w.day);
        match have.remove(&(source_ref.clone(), w.code.to_owned())) {
            Some(row) if row.minutes == w.minutes && row.unit_id == w.unit_id => {}
            Some(row) => {
                diesel::update(violations::table.find(row.id))
                    .set((
                        violations::minutes.eq(w.minutes),
                        violations::unit_id.eq(w.unit_id),
                        violations::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                stats.updated += 1;
            }
            None => {
                diesel::insert_into(violations::table)
                    .values((
                        violations::province_id.eq(w.province_id),
                        violations::unit_id.eq(w.unit_id),
                        violations::staff_id.eq(Some(w.staff_id)),
                        violations::code.eq(w.code),
                        violations::day.eq(w.day),
                        violations::minutes.eq(w.minutes),
                        violations::source.eq(SOURCE_ATTENDANCE),
                        violations::source_ref.eq(&source_ref),
                        violations::created_at.eq(now),
                        violations::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                stats.added += 1;
                stats.added_staff.push(w.staff_id);
            }
        }
    }
    let gone: Vec<i64> = have.into_values().map(|v| v.id).collect();
    for chunk in gone.chunks(500) {
        stats.removed +=
            diesel::delete(violations::table.filter(violations::id.eq_any(chunk))).execute(conn)?;
    }
    Ok(stats)
}

#[derive(Debug, Default)]
pub struct ViolationFilter {
    pub staff_id: Option<i64>,
    /// Units whose violations are listed (a subtree, resolved by the caller).
    pub unit_ids: Option<Vec<i64>>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub code: Option<String>,
}

fn filtered(f: &ViolationFilter) -> violations::BoxedQuery<'static, MultiBackend> {
    let mut q = violations::table.into_boxed();
    if let Some(s) = f.staff_id {
        q = q.filter(violations::staff_id.eq(s));
    }
    if let Some(units) = &f.unit_ids {
        q = q.filter(violations::unit_id.eq_any(units.clone()));
    }
    if let Some(from) = f.from {
        q = q.filter(violations::day.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(violations::day.le(to));
    }
    if let Some(c) = &f.code {
        q = q.filter(violations::code.eq(c.clone()));
    }
    q
}

pub fn list(
    conn: &mut AnyConnection,
    f: &ViolationFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<ViolationRow>, i64)> {
    let total = filtered(f).count().get_result(conn)?;
    let items = filtered(f)
        .order((violations::day.desc(), violations::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(ViolationRow::as_select())
        .load(conn)?;
    Ok((items, total))
}
