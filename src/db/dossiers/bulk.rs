//! Many new dossiers at once, for imports: a file of a thousand dossiers was five
//! statements a dossier (two lookups, the insert, its audit row, its steps); new ones now
//! go in as one lookup, one insert, one audit insert and one steps insert per thousand,
//! and their late steps as one insert into the register and one repeat detection
//! (docs/PERFORMANCE.md has the measurements). Dossiers already recorded still go through
//! `upsert` one by one, which compares every field and step.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{
    DossierFields, DossierRow, NewStep, RuleStep, StepFields, needs_register_look, new_steps,
};
use crate::db::AnyConnection;
use crate::db::audit::{self, Entry};
use crate::db::schema::{dossier_steps, dossiers};
use crate::domain::dossiers::Dossier;

/// Rows a statement at most: SQLite allows 32 766 bound values, 13 a dossier here.
const CHUNK: usize = 1000;

/// A dossier row as written in bulk (explicit NULLs, so the same rows go through COPY).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dossiers, treat_none_as_default_value = false)]
pub struct NewDossier {
    pub province_id: i64,
    pub unit_id: i64,
    pub code: String,
    pub procedure_name: String,
    pub received_at: NaiveDateTime,
    pub due_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub status: String,
    pub supplement_requested_at: Option<NaiveDateTime>,
    pub supplement_received_at: Option<NaiveDateTime>,
    pub apology_new_due_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewDossier {
    pub fn new(f: &DossierFields, stamp: NaiveDateTime) -> NewDossier {
        NewDossier {
            province_id: f.province_id,
            unit_id: f.unit_id,
            code: f.code.clone(),
            procedure_name: f.procedure_name.clone(),
            received_at: f.received_at,
            due_at: f.due_at,
            finished_at: f.finished_at,
            status: f.status.clone(),
            supplement_requested_at: f.supplement_requested_at,
            supplement_received_at: f.supplement_received_at,
            apology_new_due_at: f.apology_new_due_at,
            created_at: stamp,
            updated_at: stamp,
        }
    }
}

/// The dossiers of the province already recorded under these codes, by code.
pub fn existing(
    conn: &mut AnyConnection,
    province_id: i64,
    codes: &[&str],
) -> QueryResult<HashMap<String, DossierRow>> {
    let mut found = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        let rows: Vec<DossierRow> = dossiers::table
            .filter(dossiers::province_id.eq(province_id))
            .filter(dossiers::code.eq_any(chunk))
            .select(DossierRow::as_select())
            .load(conn)?;
        found.extend(rows.into_iter().map(|r| (r.code.clone(), r)));
    }
    Ok(found)
}

/// Those of these dossiers that have steps of the national portal's feed (with a log
/// key): their steps are the feed's to write.
pub fn fed(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<HashSet<i64>> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<i64> = dossier_steps::table
            .filter(dossier_steps::dossier_id.eq_any(chunk))
            .filter(dossier_steps::source_key.is_not_null())
            .select(dossier_steps::dossier_id)
            .distinct()
            .load(conn)?;
        found.extend(rows);
    }
    Ok(found)
}

/// Creates dossiers none of which is recorded yet, with their steps, each audited as
/// `upsert` audits a new one, and their late steps in the violation register. `now` is
/// local time.
pub fn create_many(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    new: &[(DossierFields, Vec<StepFields>)],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let stamp = crate::db::now();
    for chunk in new.chunks(CHUNK) {
        let rows: Vec<NewDossier> = chunk
            .iter()
            .map(|(f, _)| NewDossier::new(f, stamp))
            .collect();
        // Multi-row inserts are not available through MultiConnection, but are on each
        // backend.
        let mut created: Vec<DossierRow> = match conn {
            AnyConnection::Postgresql(c) => diesel::insert_into(dossiers::table)
                .values(&rows)
                .returning(DossierRow::as_returning())
                .get_results(c)?,
            AnyConnection::Sqlite(c) => diesel::insert_into(dossiers::table)
                .values(&rows)
                .returning(DossierRow::as_returning())
                .get_results(c)?,
        };
        // RETURNING promises no order: the steps find their dossier by province and code
        // (an import may reach several provinces, and codes are unique per province).
        let by_code: HashMap<(i64, &str), &Vec<StepFields>> = chunk
            .iter()
            .map(|(f, s)| ((f.province_id, f.code.as_str()), s))
            .collect();
        created.sort_by_key(|r| r.id);
        audit::record_many(
            conn,
            created.iter().map(|row| Entry::<(), _> {
                actor_user_id: actor,
                entity: "dossier",
                entity_id: row.id,
                action: "create",
                province_id: Some(row.province_id),
                unit_id: Some(row.unit_id),
                before: None,
                after: Some(row),
            }),
        )?;
        let mut steps = Vec::new();
        // The dossiers that may have late steps, with their rules, for the register.
        let mut late = Vec::new();
        for row in &created {
            let named = by_code
                .get(&(row.province_id, row.code.as_str()))
                .map_or(&[][..], |s| s.as_slice());
            let rows = new_steps(row, named, stamp);
            if needs_register_look(row, named) {
                late.push((row, rules(row, &rows)));
            }
            steps.extend(rows);
        }
        match conn {
            _ if steps.is_empty() => {}
            AnyConnection::Postgresql(c) => {
                diesel::copy_from(dossier_steps::table)
                    .from_insertable(&steps)
                    .execute(c)?;
            }
            AnyConnection::Sqlite(c) => {
                // 10 bound values a step.
                for part in steps.chunks(3000) {
                    diesel::insert_into(dossier_steps::table)
                        .values(part)
                        .execute(c)?;
                }
            }
        }
        super::register::record_new(conn, &late, now)?;
    }
    Ok(())
}

/// A new dossier as the rules see it, from the rows about to be written.
fn rules(row: &DossierRow, steps: &[NewStep]) -> Dossier {
    let steps: Vec<RuleStep> = steps
        .iter()
        .map(|s| RuleStep {
            dossier_id: s.dossier_id,
            step_no: s.step_no,
            staff_id: s.staff_id,
            unit_id: s.unit_id,
            received_at: s.received_at,
            due_at: s.due_at,
            finished_at: s.finished_at,
        })
        .collect();
    row.rules_of(&steps)
}
