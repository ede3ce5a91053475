//! Evaluations: what the other capabilities recorded about a person in a year (the
//! engine's input), and the stored proposals beside HR's decisions. A re-run replaces the
//! proposal and never the decision; when the proposal changes under a decision, the one
//! HR saw is kept so the change shows.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::evaluations;

mod recorded;
mod unnest;
pub use recorded::{ProvinceWide, recorded_many};

#[derive(Debug, Clone, PartialEq, Queryable, QueryableByName, Selectable, Serialize)]
#[diesel(table_name = evaluations)]
pub struct EvaluationRow {
    pub id: i64,
    pub province_id: i64,
    pub unit_id: i64,
    pub staff_id: i64,
    pub period: String,
    pub policy_ids: String,
    pub rated: bool,
    pub proposed_rating: Option<String>,
    pub max_rating: Option<String>,
    pub metrics: String,
    pub applied_rules: String,
    pub quota_note: Option<String>,
    /// The proposal HR decided on, when a re-run has changed it since (`NO_PROPOSAL`: HR
    /// decided while there was none; the audit trail shows that as null, as the API does).
    #[serde(serialize_with = "rating_or_null")]
    pub previous_proposed_rating: Option<String>,
    pub final_rating: Option<String>,
    pub reason: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub evaluated_at: NaiveDateTime,
}

fn rating_or_null<S: serde::Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&v.as_deref().filter(|r| *r != NO_PROPOSAL), s)
}

/// A proposal as the engine made it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProposal {
    pub province_id: i64,
    pub unit_id: i64,
    pub staff_id: i64,
    pub period: String,
    pub policy_ids: String,
    pub rated: bool,
    pub proposed_rating: Option<String>,
    pub max_rating: Option<String>,
    pub metrics: String,
    pub applied_rules: String,
    pub quota_note: Option<String>,
}

/// Proposals a statement on PostgreSQL, which has no limit on binds: fewer round trips,
/// each array still a few megabytes at most.
const PG_ROWS: usize = 5000;

/// Stores proposals: each inserted, or replacing the person's previous proposal for the
/// period while keeping HR's decision (and, when the proposal changed under it, what HR
/// saw). `existing` is each person's standing evaluation of the period, which the run has
/// already loaded. One `INSERT … ON CONFLICT DO UPDATE` per thousand proposals on SQLite
/// and per `PG_ROWS` on PostgreSQL: statements per person were most of a province's run
/// on PostgreSQL (docs/PERFORMANCE.md). The rows come back in the order of `proposals`.
pub fn upsert_many(
    conn: &mut AnyConnection,
    proposals: Vec<(Option<&Standing>, NewProposal)>,
) -> QueryResult<Vec<EvaluationRow>> {
    let now = super::now();
    let order: Vec<i64> = proposals.iter().map(|(_, p)| p.staff_id).collect();
    let rows: Vec<StoredProposal> = proposals
        .into_iter()
        .map(|(existing, p)| StoredProposal {
            // The proposal HR decided on, kept while it differs from the new one: a
            // proposal back at it has not changed under the decision any more.
            // HR's decision on no proposal is kept as NO_PROPOSAL: without it, a proposal
            // made later (the leave corrected, the scores in) read as the one HR overrode.
            previous_proposed_rating: existing
                .filter(|e| e.final_rating.is_some())
                .map(Standing::decided_on)
                .filter(|seen| *seen != p.proposed_rating.as_deref())
                .map(|seen| seen.unwrap_or(NO_PROPOSAL).to_owned()),
            province_id: p.province_id,
            unit_id: p.unit_id,
            staff_id: p.staff_id,
            period: p.period,
            policy_ids: p.policy_ids,
            rated: p.rated,
            proposed_rating: p.proposed_rating,
            max_rating: p.max_rating,
            metrics: p.metrics,
            applied_rules: p.applied_rules,
            quota_note: p.quota_note,
            evaluated_at: now,
        })
        .collect();
    let mut stored: HashMap<i64, EvaluationRow> = HashMap::with_capacity(rows.len());
    let written: Vec<EvaluationRow> = match conn {
        // Any number of rows in one statement, prepared once (`unnest`).
        AnyConnection::Postgresql(c) => {
            let mut written = Vec::with_capacity(rows.len());
            for chunk in rows.chunks(PG_ROWS) {
                written.extend(unnest::Upsert::new(chunk).run(c)?);
            }
            written
        }
        AnyConnection::Sqlite(c) => {
            use diesel::upsert::excluded;
            let mut written = Vec::with_capacity(rows.len());
            // 13 values a row: a thousand rows stay within SQLite's 32 766.
            for chunk in rows.chunks(1000) {
                let set = (
                    evaluations::unit_id.eq(excluded(evaluations::unit_id)),
                    evaluations::policy_ids.eq(excluded(evaluations::policy_ids)),
                    evaluations::rated.eq(excluded(evaluations::rated)),
                    evaluations::proposed_rating.eq(excluded(evaluations::proposed_rating)),
                    evaluations::max_rating.eq(excluded(evaluations::max_rating)),
                    evaluations::metrics.eq(excluded(evaluations::metrics)),
                    evaluations::applied_rules.eq(excluded(evaluations::applied_rules)),
                    evaluations::quota_note.eq(excluded(evaluations::quota_note)),
                    evaluations::previous_proposed_rating
                        .eq(excluded(evaluations::previous_proposed_rating)),
                    evaluations::evaluated_at.eq(excluded(evaluations::evaluated_at)),
                );
                // Upserts are not available through MultiConnection, but are on SQLite.
                written.extend(
                    diesel::insert_into(evaluations::table)
                        .values(chunk)
                        .on_conflict((evaluations::staff_id, evaluations::period))
                        .do_update()
                        .set(set)
                        .returning(EvaluationRow::as_returning())
                        .get_results(c)?,
                );
            }
            written
        }
    };
    stored.extend(written.into_iter().map(|r| (r.staff_id, r)));
    Ok(order.iter().filter_map(|id| stored.remove(id)).collect())
}

#[derive(Insertable)]
#[diesel(table_name = evaluations, treat_none_as_default_value = false)]
struct StoredProposal {
    province_id: i64,
    unit_id: i64,
    staff_id: i64,
    period: String,
    policy_ids: String,
    rated: bool,
    proposed_rating: Option<String>,
    max_rating: Option<String>,
    metrics: String,
    applied_rules: String,
    quota_note: Option<String>,
    previous_proposed_rating: Option<String>,
    evaluated_at: NaiveDateTime,
}

/// What a re-run needs of a stored evaluation: the proposal and HR's decision, without
/// the metrics and rules (most of a row), which the run replaces.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = evaluations)]
pub struct Standing {
    pub staff_id: i64,
    /// The unit that rated it: an earlier year's stays with it.
    pub unit_id: i64,
    pub proposed_rating: Option<String>,
    pub previous_proposed_rating: Option<String>,
    pub final_rating: Option<String>,
    /// The cap and whether the person was rated: a re-run that moves either under a
    /// decision is audited, as the decision may now stand above the cap.
    pub max_rating: Option<String>,
    pub rated: bool,
}

/// `previous_proposed_rating` of a decision made when there was no proposal (the person
/// not rated, or not yet scored) that a later run gave one.
pub const NO_PROPOSAL: &str = "none";

impl Standing {
    /// The proposal HR's decision was made on (None: there was none), whatever re-runs
    /// have proposed since.
    pub fn decided_on(&self) -> Option<&str> {
        match self.previous_proposed_rating.as_deref() {
            Some(NO_PROPOSAL) => None,
            Some(seen) => Some(seen),
            None => self.proposed_rating.as_deref(),
        }
    }
}

/// The standing evaluations of `period` of these people, wherever they were rated.
pub fn standings_of(
    conn: &mut AnyConnection,
    staff_ids: &[i64],
    period: &str,
) -> QueryResult<Vec<Standing>> {
    let mut out = Vec::new();
    // Bounded IN lists: a province is tens of thousands of people.
    for chunk in staff_ids.chunks(1000) {
        out.extend(
            evaluations::table
                .filter(evaluations::staff_id.eq_any(chunk))
                .filter(evaluations::period.eq(period))
                .select(Standing::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// The evaluations of `period` for these units.
pub fn list(
    conn: &mut AnyConnection,
    unit_ids: &[i64],
    period: &str,
) -> QueryResult<Vec<EvaluationRow>> {
    evaluations::table
        .filter(evaluations::unit_id.eq_any(unit_ids))
        .filter(evaluations::period.eq(period))
        .order((evaluations::unit_id, evaluations::staff_id))
        .select(EvaluationRow::as_select())
        .load(conn)
}

/// A person's evaluation of a period, whatever unit it was made in (they may have been
/// transferred since).
pub fn of_staff(
    conn: &mut AnyConnection,
    staff_id: i64,
    period: &str,
) -> QueryResult<Vec<EvaluationRow>> {
    evaluations::table
        .filter(evaluations::staff_id.eq(staff_id))
        .filter(evaluations::period.eq(period))
        .select(EvaluationRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<EvaluationRow>> {
    evaluations::table
        .find(id)
        .select(EvaluationRow::as_select())
        .first(conn)
        .optional()
}

/// Removes the undecided evaluations of `period` of these people (a run no longer rates
/// them), each removal audited with the row.
pub fn withdraw(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    staff_ids: &[i64],
    period: &str,
) -> QueryResult<()> {
    for chunk in staff_ids.chunks(1000) {
        let rows: Vec<EvaluationRow> = diesel::delete(
            evaluations::table
                .filter(evaluations::staff_id.eq_any(chunk))
                .filter(evaluations::period.eq(period))
                .filter(evaluations::final_rating.is_null()),
        )
        .get_results(conn)?;
        for row in &rows {
            audit::record(
                conn,
                Entry::<_, ()> {
                    actor_user_id: actor,
                    entity: "evaluation",
                    entity_id: row.id,
                    action: "withdraw",
                    province_id: Some(row.province_id),
                    unit_id: Some(row.unit_id),
                    before: Some(row),
                    after: None,
                },
            )?;
        }
    }
    Ok(())
}

/// HR's decision, audited with the proposal it was made on.
pub fn decide(
    conn: &mut AnyConnection,
    actor: i64,
    before: &EvaluationRow,
    final_rating: &str,
    reason: Option<&str>,
) -> QueryResult<EvaluationRow> {
    let row: EvaluationRow = diesel::update(evaluations::table.find(before.id))
        .set((
            evaluations::final_rating.eq(final_rating),
            evaluations::reason.eq(reason),
            evaluations::decided_by.eq(actor),
            evaluations::decided_at.eq(super::now()),
            // The decision is on the proposal as it stands now.
            evaluations::previous_proposed_rating.eq(None::<String>),
        ))
        .get_result(conn)?;
    audit::record(
        conn,
        Entry {
            actor_user_id: Some(actor),
            entity: "evaluation",
            entity_id: row.id,
            action: "decide",
            province_id: Some(row.province_id),
            unit_id: Some(row.unit_id),
            before: Some(before),
            after: Some(&row),
        },
    )?;
    Ok(row)
}
