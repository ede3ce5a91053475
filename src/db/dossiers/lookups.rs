//! Single dossiers found by code, id or one of their steps.

use diesel::prelude::*;

use super::DossierRow;
use crate::db::AnyConnection;
use crate::db::schema::{dossier_steps, dossiers, units};
use crate::db::units::UnitRow;

/// Waits for the turn of the step's province among the writers of its dossiers
/// (`LockClass::Dossiers`, as imports and feeds take it): taken before the step and its
/// register entries are read to be changed, so that a hand attribution, a new mapping or
/// a dispute and a feed re-sending the same dossier do not each write from what they read
/// (a lost attribution, the same register row inserted twice, or a deadlock's 500).
pub fn take_turn_for_step(conn: &mut AnyConnection, step_id: i64) -> QueryResult<()> {
    let province: Option<i64> = dossier_steps::table
        .find(step_id)
        .select(dossier_steps::province_id)
        .first(conn)
        .optional()?;
    if let Some(p) = province {
        crate::db::advisory_lock(conn, crate::db::LockClass::Dossiers, p)?;
    }
    Ok(())
}

pub fn find_by_code(
    conn: &mut AnyConnection,
    province_id: i64,
    code: &str,
) -> QueryResult<Option<DossierRow>> {
    dossiers::table
        .filter(dossiers::province_id.eq(province_id))
        .filter(dossiers::code.eq(code))
        .select(DossierRow::as_select())
        .first(conn)
        .optional()
}

/// The dossiers with this code in any province, with their units (the caller keeps those
/// within its reach).
pub fn by_code_anywhere(
    conn: &mut AnyConnection,
    code: &str,
) -> QueryResult<Vec<(DossierRow, UnitRow)>> {
    dossiers::table
        .inner_join(units::table)
        .filter(dossiers::code.eq(code))
        .select((DossierRow::as_select(), UnitRow::as_select()))
        .load(conn)
}

/// The province and unit path of every dossier with one of these codes, anywhere: which
/// provinces a feed of updates will touch, a query per thousand codes (for the lock it
/// takes first; the dossiers themselves are read after it).
pub fn places_of_codes(
    conn: &mut AnyConnection,
    codes: &[&str],
) -> QueryResult<Vec<(i64, String)>> {
    let mut out = Vec::new();
    for chunk in codes.chunks(1000) {
        out.extend(
            dossiers::table
                .inner_join(units::table)
                .filter(dossiers::code.eq_any(chunk))
                .select((dossiers::province_id, units::path))
                .load::<(i64, String)>(conn)?,
        );
    }
    Ok(out)
}

/// The dossier a step belongs to, with the path of the dossier's unit.
pub fn of_step(
    conn: &mut AnyConnection,
    step_id: i64,
) -> QueryResult<Option<(DossierRow, String)>> {
    dossier_steps::table
        .inner_join(dossiers::table.inner_join(units::table))
        .filter(dossier_steps::id.eq(step_id))
        .select((DossierRow::as_select(), units::path))
        .first(conn)
        .optional()
}

pub fn find_by_id(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<DossierRow>> {
    dossiers::table
        .find(id)
        .select(DossierRow::as_select())
        .first(conn)
        .optional()
}

/// Who a step is attributed to.
pub fn step_staff(conn: &mut AnyConnection, step_id: i64) -> QueryResult<Option<i64>> {
    dossier_steps::table
        .find(step_id)
        .select(dossier_steps::staff_id)
        .first::<Option<i64>>(conn)
        .optional()
        .map(Option::flatten)
}

/// The local day a step belongs to (finished, else begun), for the unit its officer was
/// in then; None when the step is gone or has neither time.
pub fn step_day(conn: &mut AnyConnection, step_id: i64) -> QueryResult<Option<chrono::NaiveDate>> {
    let times: Option<(Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>)> =
        dossier_steps::table
            .find(step_id)
            .select((dossier_steps::received_at, dossier_steps::finished_at))
            .first(conn)
            .optional()?;
    let local = |t: Option<chrono::NaiveDateTime>| t.map(crate::domain::attendance::to_local);
    Ok(times.and_then(|(received, finished)| {
        crate::domain::onestop::step_day(local(received), local(finished))
    }))
}
