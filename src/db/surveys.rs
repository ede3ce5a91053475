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
    /// Whether `row` records the same answer: to the second, and comments trimmed, as a
    /// kiosk's export of an answer it sent as JSON (with milliseconds) has it.
    fn same_as(&self, row: &SurveyRow) -> bool {
        use chrono::SubsecRound;
        let comment = |c: &Option<String>| c.as_deref().map(str::trim).map(str::to_owned);
        (
            self.unit_id,
            self.staff_id,
            &self.dossier_code,
            self.submitted_at.trunc_subsecs(0),
            self.satisfied,
            self.score,
            comment(&self.comment),
        ) == (
            row.unit_id,
            row.staff_id,
            &row.dossier_code,
            row.submitted_at.trunc_subsecs(0),
            row.satisfied,
            row.score,
            comment(&row.comment),
        )
    }
}

/// Records an answer once per key and province: an answer sent again under its key
/// (a kiosk's retry, an export imported twice) is found, not counted again. Without a key
/// every answer is a new one. An answer entered by someone is audited: answers raise a
/// unit's satisfaction index, and so its reform cap and its head's accountability, so
/// who keyed in which answers must be traceable (a kiosk's are audited as its account's).
pub fn record(conn: &mut AnyConnection, new: &NewSurvey) -> QueryResult<Recorded> {
    let Some(key) = &new.idempotency_key else {
        return insert_audited(conn, new).map(Recorded::Created);
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
        None => match conn.transaction(|c| insert_audited(c, new)) {
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

fn insert_audited(conn: &mut AnyConnection, new: &NewSurvey) -> QueryResult<SurveyRow> {
    let row = insert(conn, new)?;
    super::audit::record(
        conn,
        super::audit::Entry {
            actor_user_id: row.created_by,
            entity: "survey",
            entity_id: row.id,
            action: "create",
            province_id: Some(row.province_id),
            unit_id: Some(row.unit_id),
            before: None::<&()>,
            after: Some(&row),
        },
    )?;
    Ok(row)
}

/// An answer stored as it is, unaudited: the demo's generated answers, which nobody
/// entered.
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
    // One statement, so that both counts see the same answers: two would let an answer
    // committed between them count as satisfied and not as a response.
    let mut q = surveys::table
        .group_by(surveys::satisfied)
        .select((surveys::satisfied, diesel::dsl::count_star()))
        .filter(surveys::submitted_at.ge(from))
        .filter(surveys::submitted_at.lt(to))
        .into_boxed();
    if let Some(units) = unit_ids {
        q = q.filter(surveys::unit_id.eq_any(units.to_vec()));
    }
    if let Some(s) = staff_id {
        q = q.filter(surveys::staff_id.eq(s));
    }
    let groups: Vec<(bool, i64)> = q.load(conn)?;
    let total = groups.iter().map(|(_, n)| n).sum();
    let satisfied = groups.iter().filter(|(s, _)| *s).map(|(_, n)| n).sum();
    Ok((total, satisfied))
}
