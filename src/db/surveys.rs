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
    pub idempotency_key: Option<String>,
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
    pub idempotency_key: Option<String>,
}

/// What became of an answer sent with its key.
#[derive(Debug)]
pub enum Recorded {
    Created(SurveyRow),
    /// Recorded before under the same key, with the same values.
    Again(SurveyRow),
    /// Recorded before under the same key, with other values: the first one stands.
    Conflict(SurveyRow),
}

impl NewSurvey {
    /// Whether `row` records the same answer.
    fn same_as(&self, row: &SurveyRow) -> bool {
        (
            self.unit_id,
            self.staff_id,
            &self.dossier_code,
            self.submitted_at,
            self.satisfied,
            self.score,
            &self.comment,
        ) == (
            row.unit_id,
            row.staff_id,
            &row.dossier_code,
            row.submitted_at,
            row.satisfied,
            row.score,
            &row.comment,
        )
    }
}

/// Records an answer once per key and province: an answer sent again under its key
/// (a kiosk's retry, an export imported twice) is found, not counted again. Without a key
/// every answer is a new one.
pub fn record(conn: &mut AnyConnection, new: &NewSurvey) -> QueryResult<Recorded> {
    let Some(key) = &new.idempotency_key else {
        return insert(conn, new).map(Recorded::Created);
    };
    let existing = |conn: &mut AnyConnection| {
        surveys::table
            .filter(surveys::province_id.eq(new.province_id))
            .filter(surveys::idempotency_key.eq(key))
            .select(SurveyRow::as_select())
            .first(conn)
            .optional()
    };
    let found = match existing(conn)? {
        Some(row) => row,
        // A savepoint: on PostgreSQL a unique violation (the same key sent at the same
        // moment by another request) would otherwise abort the whole transaction.
        None => match conn.transaction(|c| insert(c, new)) {
            Ok(row) => return Ok(Recorded::Created(row)),
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => existing(conn)?.ok_or(diesel::result::Error::NotFound)?,
            Err(e) => return Err(e),
        },
    };
    Ok(if new.same_as(&found) {
        Recorded::Again(found)
    } else {
        Recorded::Conflict(found)
    })
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
