//! The catalogue of violation types: national codes (preloaded by the migration) and the
//! codes a province adds.

use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::violation_types;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = violation_types)]
pub struct ViolationTypeRow {
    pub id: i64,
    pub province_id: Option<i64>,
    pub code: String,
    pub label_vi: String,
    pub label_en: Option<String>,
    pub basis: Option<String>,
    pub created_at: chrono::NaiveDateTime,
}

/// National types and those of the given provinces.
pub fn list(
    conn: &mut AnyConnection,
    provinces: Option<&[i64]>,
) -> QueryResult<Vec<ViolationTypeRow>> {
    let mut q = violation_types::table.into_boxed();
    if let Some(p) = provinces {
        q = q.filter(violation_types::province_id.is_null().or(
            violation_types::province_id.eq_any(p.iter().copied().map(Some).collect::<Vec<_>>()),
        ));
    }
    q.order((
        violation_types::province_id.is_not_null(),
        violation_types::id,
    ))
    .select(ViolationTypeRow::as_select())
    .load(conn)
}

/// The Vietnamese label of every code in force in a province: its own types over the
/// national ones (which `list` gives first).
pub fn labels(
    conn: &mut AnyConnection,
    province_id: i64,
) -> QueryResult<std::collections::HashMap<String, String>> {
    Ok(list(conn, Some(&[province_id]))?
        .into_iter()
        .map(|t| (t.code, t.label_vi))
        .collect())
}

/// Whether the code is taken nationally or in the province.
pub fn code_taken(
    conn: &mut AnyConnection,
    province_id: Option<i64>,
    code: &str,
) -> QueryResult<bool> {
    let mut q = violation_types::table
        .filter(violation_types::code.eq(code))
        .into_boxed();
    q = match province_id {
        Some(p) => q.filter(
            violation_types::province_id
                .is_null()
                .or(violation_types::province_id.eq(p)),
        ),
        None => q,
    };
    q.count().get_result::<i64>(conn).map(|n| n > 0)
}

pub struct NewType<'a> {
    pub province_id: Option<i64>,
    pub code: &'a str,
    pub label_vi: &'a str,
    pub label_en: Option<&'a str>,
    pub basis: Option<&'a str>,
}

pub fn insert(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    new: &NewType<'_>,
) -> QueryResult<ViolationTypeRow> {
    let row: ViolationTypeRow = diesel::insert_into(violation_types::table)
        .values((
            violation_types::province_id.eq(new.province_id),
            violation_types::code.eq(new.code),
            violation_types::label_vi.eq(new.label_vi),
            violation_types::label_en.eq(new.label_en),
            violation_types::basis.eq(new.basis),
            violation_types::created_at.eq(super::now()),
        ))
        .get_result(conn)?;
    audit::record(
        conn,
        Entry::<(), _> {
            actor_user_id: actor,
            entity: "violation_type",
            entity_id: row.id,
            action: "create",
            province_id: row.province_id,
            unit_id: row.province_id,
            before: None,
            after: Some(&row),
        },
    )?;
    Ok(row)
}
