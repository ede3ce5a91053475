//! Citizens' satisfaction surveys.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::schema::surveys;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = surveys)]
pub struct SurveyRow {
    pub id: i64,
    pub province_id: i64,
    pub unit_id: i64,
    pub staff_id: Option<i64>,
    pub dossier_code: Option<String>,
    pub submitted_at: NaiveDateTime,
    pub satisfied: bool,
    pub score: Option<i32>,
    pub comment: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = surveys)]
pub struct NewSurvey {
    pub province_id: i64,
    pub unit_id: i64,
    pub staff_id: Option<i64>,
    pub dossier_code: Option<String>,
    pub submitted_at: NaiveDateTime,
    pub satisfied: bool,
    pub score: Option<i32>,
    pub comment: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// Survey answers are data points, not changes to anything: they are not audited one by
/// one (a kiosk sends thousands).
pub fn insert(conn: &mut AnyConnection, new: &NewSurvey) -> QueryResult<SurveyRow> {
    diesel::insert_into(surveys::table)
        .values(new)
        .get_result(conn)
}

/// (responses, satisfied) of the given units, or of one person, in `[from, to)` (UTC).
pub fn counts(
    conn: &mut AnyConnection,
    unit_ids: Option<&[i64]>,
    staff_id: Option<i64>,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<(i64, i64)> {
    let filtered = || {
        let mut q = surveys::table
            .filter(surveys::submitted_at.ge(from))
            .filter(surveys::submitted_at.lt(to))
            .into_boxed();
        if let Some(units) = unit_ids {
            q = q.filter(surveys::unit_id.eq_any(units.to_vec()));
        }
        if let Some(s) = staff_id {
            q = q.filter(surveys::staff_id.eq(s));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let satisfied: i64 = filtered()
        .filter(surveys::satisfied.eq(true))
        .count()
        .get_result(conn)?;
    Ok((total, satisfied))
}
