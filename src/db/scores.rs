//! NĐ 335/2025 period scores as entered; their task points are computed when read, with
//! the dossier steps the person handled in the period as they stand then.

use chrono::{NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::period_scores;
use crate::domain::evaluation::scoring::{PeriodResult, TaskItem, period_bounds, task_centi};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = period_scores)]
pub struct ScoreRow {
    pub id: i64,
    pub province_id: i64,
    pub staff_id: i64,
    pub period: String,
    pub year: i32,
    pub general_centi: i32,
    pub items: String,
    pub manager_centi: i32,
    pub note: Option<String>,
    pub entered_by: Option<i64>,
    pub entered_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewScore {
    pub province_id: i64,
    pub staff_id: i64,
    pub period: String,
    pub year: i32,
    pub general_centi: i32,
    pub items: String,
    pub manager_centi: i32,
    pub note: Option<String>,
}

/// Records a period's score (replacing an earlier entry for the same period), audited.
pub fn save(
    conn: &mut AnyConnection,
    actor: i64,
    unit_id: i64,
    s: &NewScore,
) -> QueryResult<ScoreRow> {
    let before: Option<ScoreRow> = period_scores::table
        .filter(period_scores::staff_id.eq(s.staff_id))
        .filter(period_scores::period.eq(&s.period))
        .select(ScoreRow::as_select())
        .first(conn)
        .optional()?;
    let now = super::now();
    let row: ScoreRow = match &before {
        Some(b) => diesel::update(period_scores::table.find(b.id))
            .set((
                period_scores::general_centi.eq(s.general_centi),
                period_scores::items.eq(&s.items),
                period_scores::manager_centi.eq(s.manager_centi),
                period_scores::note.eq(&s.note),
                period_scores::entered_by.eq(actor),
                period_scores::entered_at.eq(now),
            ))
            .get_result(conn)?,
        None => diesel::insert_into(period_scores::table)
            .values((
                period_scores::province_id.eq(s.province_id),
                period_scores::staff_id.eq(s.staff_id),
                period_scores::period.eq(&s.period),
                period_scores::year.eq(s.year),
                period_scores::general_centi.eq(s.general_centi),
                period_scores::items.eq(&s.items),
                period_scores::manager_centi.eq(s.manager_centi),
                period_scores::note.eq(&s.note),
                period_scores::entered_by.eq(actor),
                period_scores::entered_at.eq(now),
            ))
            .get_result(conn)?,
    };
    audit::record(
        conn,
        Entry {
            actor_user_id: Some(actor),
            entity: "period_score",
            entity_id: row.id,
            action: if before.is_some() { "update" } else { "create" },
            province_id: Some(row.province_id),
            unit_id: Some(unit_id),
            before: before.as_ref(),
            after: Some(&row),
        },
    )?;
    Ok(row)
}

pub fn of_staff(conn: &mut AnyConnection, staff_id: i64, year: i32) -> QueryResult<Vec<ScoreRow>> {
    period_scores::table
        .filter(period_scores::staff_id.eq(staff_id))
        .filter(period_scores::year.eq(year))
        .order(period_scores::period)
        .select(ScoreRow::as_select())
        .load(conn)
}

/// A period's points: (task points, total, manager part), in hundredths. `now` is local.
pub fn points(
    conn: &mut AnyConnection,
    row: &ScoreRow,
    now: NaiveDateTime,
) -> QueryResult<(i64, PeriodResult)> {
    let items: Vec<TaskItem> = serde_json::from_str(&row.items).unwrap_or_default();
    let (late, handled, overdue) = match period_bounds(&row.period) {
        Some((_, first, last)) if first.and_time(NaiveTime::MIN) <= now => {
            let t = super::dossiers::staff_tally(conn, row.staff_id, first, last, now)?;
            let finished = t.early + t.on_time + t.late;
            (t.late as i64, finished as i64, t.overdue as i64)
        }
        _ => (0, 0, 0),
    };
    let task = task_centi(&items, late, handled, overdue).unwrap_or(0);
    Ok((
        task,
        PeriodResult {
            total_centi: i64::from(row.general_centi) + task,
            manager_centi: i64::from(row.manager_centi).min(task),
        },
    ))
}
