//! Units' reform results per year: the assessed score, the decided ranking and the party
//! body's rating, each change audited.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::unit_reform;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = unit_reform)]
pub struct ReformRow {
    pub id: i64,
    pub province_id: i64,
    pub unit_id: i64,
    pub year: i32,
    pub score_centi: Option<i32>,
    pub ranking: Option<String>,
    pub party_rating: Option<String>,
    pub reason: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReformFields {
    pub score_centi: Option<i32>,
    pub ranking: Option<String>,
    pub party_rating: Option<String>,
    pub reason: Option<String>,
}

pub fn find(conn: &mut AnyConnection, unit_id: i64, year: i32) -> QueryResult<Option<ReformRow>> {
    unit_reform::table
        .filter(unit_reform::unit_id.eq(unit_id))
        .filter(unit_reform::year.eq(year))
        .select(ReformRow::as_select())
        .first(conn)
        .optional()
}

/// Every recorded year of these units.
pub fn of_units(conn: &mut AnyConnection, unit_ids: &[i64]) -> QueryResult<Vec<ReformRow>> {
    unit_reform::table
        .filter(unit_reform::unit_id.eq_any(unit_ids))
        .order((unit_reform::unit_id, unit_reform::year))
        .select(ReformRow::as_select())
        .load(conn)
}

/// Records a unit's year (insert or replace), audited with what it replaced.
pub fn save(
    conn: &mut AnyConnection,
    actor: i64,
    province_id: i64,
    unit_id: i64,
    year: i32,
    f: &ReformFields,
) -> QueryResult<ReformRow> {
    let before = find(conn, unit_id, year)?;
    let now = super::now();
    let row: ReformRow = match &before {
        Some(b) => diesel::update(unit_reform::table.find(b.id))
            .set((
                unit_reform::score_centi.eq(f.score_centi),
                unit_reform::ranking.eq(&f.ranking),
                unit_reform::party_rating.eq(&f.party_rating),
                unit_reform::reason.eq(&f.reason),
                unit_reform::decided_by.eq(actor),
                unit_reform::decided_at.eq(now),
            ))
            .get_result(conn)?,
        None => diesel::insert_into(unit_reform::table)
            .values((
                unit_reform::province_id.eq(province_id),
                unit_reform::unit_id.eq(unit_id),
                unit_reform::year.eq(year),
                unit_reform::score_centi.eq(f.score_centi),
                unit_reform::ranking.eq(&f.ranking),
                unit_reform::party_rating.eq(&f.party_rating),
                unit_reform::reason.eq(&f.reason),
                unit_reform::decided_by.eq(actor),
                unit_reform::decided_at.eq(now),
            ))
            .get_result(conn)?,
    };
    audit::record(
        conn,
        Entry {
            actor_user_id: Some(actor),
            entity: "unit_reform",
            entity_id: row.id,
            action: if before.is_some() { "update" } else { "create" },
            province_id: Some(province_id),
            unit_id: Some(unit_id),
            before: before.as_ref(),
            after: Some(&row),
        },
    )?;
    Ok(row)
}
