//! One-stop dossiers and their steps: idempotent upserts by dossier code (each change
//! audited, so a dossier keeps its history), the loads behind the statistics, and the
//! late steps kept in the violation register.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::{dossier_steps, dossiers};
use crate::domain::attendance::to_local;
use crate::domain::dossiers::{Dossier, DossierStatus, Step};

mod bulk;
mod lookups;
mod register;
mod stats;
pub use bulk::{NewDossier, create_many, existing, fed};
pub use lookups::{
    by_code_anywhere, find_by_code, find_by_id, of_step, places_of_codes, step_day, step_staff,
    take_turn_for_step,
};
pub use register::{fallen_due, fold_late_step, sync_late_steps, sync_many};
pub use stats::{DossierRanges, staff_tallies, staff_tally, unit_tally};

pub const SOURCE_DOSSIER: &str = "dossier";
/// The violation type of a dossier step done after its deadline (RULES.md §4.4).
pub const LATE_STEP_CODE: &str = "overdue_task";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = dossiers)]
pub struct DossierRow {
    pub id: i64,
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

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = dossier_steps)]
pub struct StepRow {
    pub id: i64,
    pub province_id: i64,
    pub dossier_id: i64,
    pub step_no: i32,
    pub staff_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub received_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// What the one-stop feed said: the handler's name and account, and what was done.
    pub handler_name: Option<String>,
    pub handler_account: Option<String>,
    pub action: Option<String>,
    /// How the handler was attributed (`MatchedBy`), or why not (`HandlerIssue`).
    pub matched_by: Option<String>,
    pub handler_issue: Option<String>,
}

/// The fields of a dossier as imported (UTC instants).
#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = dossiers, treat_none_as_null = true)]
pub struct DossierFields {
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
}

impl DossierFields {
    /// What a re-send (a file or the feed) keeps of the stored dossier `old`, its own
    /// fields otherwise as sent; `now` is UTC, as the fields are.
    /// - Without the reschedule (`rescheduled`: the apology column, or the portal's
    ///   `NgayHenTraTruoc`/`NgayHenTraMoi`), a deadline that is the stored apology's new
    ///   date keeps the first deadline: the dossier stays late (README). Before, an export
    ///   or service sending the present `NgayHenTra` alone made a late dossier early.
    /// - A pause seen by its status alone is timed when seen (`observed_pause`).
    pub fn keep_from(&mut self, old: &DossierRow, rescheduled: bool, now: NaiveDateTime) {
        if !rescheduled && old.apology_new_due_at.is_some() && self.due_at == old.apology_new_due_at
        {
            self.due_at = old.due_at;
            self.apology_new_due_at = old.apology_new_due_at;
        }
        if let (Some(was), Some(status)) = (
            DossierStatus::parse(&old.status),
            DossierStatus::parse(&self.status),
        ) {
            (self.supplement_requested_at, self.supplement_received_at) =
                crate::domain::dossiers::observed_pause(
                    was,
                    status,
                    (self.supplement_requested_at, self.supplement_received_at),
                    old.supplement_requested_at,
                    self.finished_at,
                    now,
                );
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepFields {
    pub step_no: i32,
    pub staff_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub received_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
}

impl DossierRow {
    fn fields(&self) -> DossierFields {
        DossierFields {
            province_id: self.province_id,
            unit_id: self.unit_id,
            code: self.code.clone(),
            procedure_name: self.procedure_name.clone(),
            received_at: self.received_at,
            due_at: self.due_at,
            finished_at: self.finished_at,
            status: self.status.clone(),
            supplement_requested_at: self.supplement_requested_at,
            supplement_received_at: self.supplement_received_at,
            apology_new_due_at: self.apology_new_due_at,
        }
    }

    /// The dossier as the rules see it, in local time.
    pub fn rules(&self, steps: &[StepRow]) -> Dossier {
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
        self.rules_of(&steps)
    }

    /// The dossier as the rules see it, with these steps.
    fn rules_of(&self, steps: &[RuleStep]) -> Dossier {
        RuleDossier {
            id: self.id,
            status: self.status.clone(),
            received_at: self.received_at,
            due_at: self.due_at,
            finished_at: self.finished_at,
            supplement_requested_at: self.supplement_requested_at,
            supplement_received_at: self.supplement_received_at,
        }
        .rules(steps)
    }
}

/// What the rules read of a dossier (`RuleStep`, of a step): a province-year's
/// evaluation reads two million steps, and the feed's texts and the stamps are no part
/// of any rule.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dossiers)]
pub struct RuleDossier {
    pub id: i64,
    pub status: String,
    pub received_at: NaiveDateTime,
    pub due_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub supplement_requested_at: Option<NaiveDateTime>,
    pub supplement_received_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dossier_steps)]
pub struct RuleStep {
    pub dossier_id: i64,
    pub step_no: i32,
    pub staff_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub received_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
}

impl RuleDossier {
    /// The dossier as the rules see it, in local time.
    pub fn rules(&self, steps: &[RuleStep]) -> Dossier {
        let local = |t: Option<NaiveDateTime>| t.map(to_local);
        let mut steps: Vec<Step> = steps
            .iter()
            .map(|s| Step {
                step_no: s.step_no,
                staff_id: s.staff_id,
                unit_id: s.unit_id,
                received_at: local(s.received_at),
                due_at: local(s.due_at),
                finished_at: local(s.finished_at),
            })
            .collect();
        steps.sort_by_key(|s| s.step_no);
        // A step with no start (a file without `step_received_at`) began when the last
        // other step before it ended, or when the dossier came in, as the feed infers a
        // start its log does not give (`inferred_start`). Without one it held the dossier
        // at no time: a late dossier's lateness went to none of its officers, whereas the
        // same steps sent by the feed made the officer who held it late.
        // (Only then: the evaluation reads two million steps, nearly all with a start.)
        if steps.iter().any(|s| s.received_at.is_none()) {
            let ends: Vec<NaiveDateTime> = steps.iter().filter_map(|s| s.finished_at).collect();
            let received = to_local(self.received_at);
            for step in steps.iter_mut().filter(|s| s.received_at.is_none()) {
                step.received_at = Some(crate::domain::onestop::inferred_start(
                    step.finished_at,
                    &ends,
                    received,
                ));
            }
        }
        Dossier {
            status: DossierStatus::parse(&self.status).unwrap_or(DossierStatus::InProgress),
            due: local(self.due_at),
            finished: local(self.finished_at),
            supplement_requested: local(self.supplement_requested_at),
            supplement_received: local(self.supplement_received_at),
            steps,
        }
    }
}

/// What an import did to one dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
}

/// Inserts the dossier or brings it up to date, with its steps (by step number; steps
/// not named stay), and its late steps in the violation register. `now` is local time.
pub fn upsert(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    fields: &DossierFields,
    steps: &[StepFields],
    now: NaiveDateTime,
) -> QueryResult<Upserted> {
    let stamp = super::now();
    let (row, mut outcome) = upsert_row(conn, actor, fields, |_, _| {})?;
    if outcome == Upserted::Created {
        insert_new_steps(conn, &row, steps, stamp)?;
    }
    let current: Vec<StepRow> = if outcome == Upserted::Created {
        Vec::new()
    } else {
        dossier_steps::table
            .filter(dossier_steps::dossier_id.eq(row.id))
            .select(StepRow::as_select())
            .load(conn)?
    };
    // A new dossier's steps are all in already. A step named twice (a file with its open
    // and its finished line) is merged once, as its last line says, as for a new dossier:
    // merging each line found no row for the second and inserted the step again.
    let to_merge = if outcome == Upserted::Created {
        Vec::new()
    } else {
        last_per_step(steps)
    };
    // A disputed step (pending or decided) keeps its officer whatever a later file says,
    // as the feed's steps do: moved, its dispute could no longer be decided, and an
    // accepted one would stop excusing it.
    let disputed = if to_merge.is_empty() {
        Default::default()
    } else {
        let ids: Vec<i64> = current.iter().map(|c| c.id).collect();
        crate::db::disputes::disputed_steps(conn, &ids)?
    };
    for named in to_merge {
        let kept;
        let s = match current
            .iter()
            .find(|c| c.step_no == named.step_no && disputed.contains(&c.id))
        {
            Some(c) => {
                kept = StepFields {
                    staff_id: c.staff_id,
                    unit_id: c.unit_id,
                    ..named.clone()
                };
                &kept
            }
            None => named,
        };
        let values = (
            dossier_steps::staff_id.eq(s.staff_id),
            dossier_steps::unit_id.eq(s.unit_id),
            dossier_steps::received_at.eq(s.received_at),
            dossier_steps::due_at.eq(s.due_at),
            dossier_steps::finished_at.eq(s.finished_at),
        );
        match current.iter().find(|c| c.step_no == s.step_no) {
            Some(c)
                if (
                    c.staff_id,
                    c.unit_id,
                    c.received_at,
                    c.due_at,
                    c.finished_at,
                ) == (
                    s.staff_id,
                    s.unit_id,
                    s.received_at,
                    s.due_at,
                    s.finished_at,
                ) => {}
            Some(c) => {
                diesel::update(dossier_steps::table.find(c.id))
                    .set((values, dossier_steps::updated_at.eq(stamp)))
                    .execute(conn)?;
                audit::record(
                    conn,
                    Entry {
                        actor_user_id: actor,
                        entity: "dossier_step",
                        entity_id: c.id,
                        action: "update",
                        province_id: Some(row.province_id),
                        unit_id: Some(row.unit_id),
                        before: Some(c),
                        after: Some(s),
                    },
                )?;
                if outcome == Upserted::Unchanged {
                    outcome = Upserted::Updated;
                }
            }
            None => {
                diesel::insert_into(dossier_steps::table)
                    .values((
                        dossier_steps::province_id.eq(row.province_id),
                        dossier_steps::dossier_id.eq(row.id),
                        dossier_steps::step_no.eq(s.step_no),
                        values,
                        dossier_steps::created_at.eq(stamp),
                        dossier_steps::updated_at.eq(stamp),
                    ))
                    .execute(conn)?;
                if outcome == Upserted::Unchanged {
                    outcome = Upserted::Updated;
                }
            }
        }
    }
    match outcome {
        // Unchanged and finished: nothing can have moved. An unfinished one may have
        // fallen overdue since it was last sent.
        Upserted::Unchanged if row.finished_at.is_some() => {}
        Upserted::Created if !needs_register_look(&row, steps) => {}
        _ => {
            sync_late_steps(conn, &row, now)?;
        }
    }
    Ok(outcome)
}

/// Inserts the dossier or brings its own fields up to date (audited), steps aside. A
/// stored dossier's fields are first passed with it to `keep`, which takes from it what
/// the sender left out.
pub fn upsert_row(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    fields: &DossierFields,
    keep: impl FnOnce(&DossierRow, &mut DossierFields),
) -> QueryResult<(DossierRow, Upserted)> {
    let existing: Option<DossierRow> = dossiers::table
        .filter(dossiers::province_id.eq(fields.province_id))
        .filter(dossiers::code.eq(&fields.code))
        .select(DossierRow::as_select())
        .first(conn)
        .optional()?;
    let stamp = super::now();
    let mut merged = fields.clone();
    if let Some(old) = &existing {
        keep(old, &mut merged);
    }
    let fields = &merged;
    let (row, outcome) = match existing {
        None => {
            let row: DossierRow = diesel::insert_into(dossiers::table)
                .values((
                    fields,
                    dossiers::created_at.eq(stamp),
                    dossiers::updated_at.eq(stamp),
                ))
                .get_result(conn)?;
            (row, Upserted::Created)
        }
        Some(old) if old.fields() == *fields => (old, Upserted::Unchanged),
        Some(old) => {
            let row: DossierRow = diesel::update(dossiers::table.find(old.id))
                .set((fields, dossiers::updated_at.eq(stamp)))
                .get_result(conn)?;
            audit_change(conn, actor, "update", Some(&old), &row)?;
            (row, Upserted::Updated)
        }
    };
    if outcome == Upserted::Created {
        audit_change(conn, actor, "create", None, &row)?;
    }
    Ok((row, outcome))
}

/// A step row as written in bulk (explicit NULLs, so the same rows go through COPY).
#[derive(Insertable)]
#[diesel(table_name = dossier_steps, treat_none_as_default_value = false)]
pub struct NewStep {
    pub province_id: i64,
    pub dossier_id: i64,
    pub step_no: i32,
    pub staff_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub received_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The steps of a new dossier in one statement (the same step number twice: the last
/// wins). Multi-row inserts are not available through MultiConnection, but are on each
/// backend; one round trip instead of one per step matters on PostgreSQL.
fn insert_new_steps(
    conn: &mut AnyConnection,
    row: &DossierRow,
    steps: &[StepFields],
    stamp: NaiveDateTime,
) -> QueryResult<()> {
    let rows = new_steps(row, steps, stamp);
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        AnyConnection::Postgresql(c) => diesel::insert_into(dossier_steps::table)
            .values(&rows)
            .execute(c)?,
        AnyConnection::Sqlite(c) => diesel::insert_into(dossier_steps::table)
            .values(&rows)
            .execute(c)?,
    };
    Ok(())
}

/// The rows of a new dossier's steps, by step number (the same number twice: the last
/// wins).
fn new_steps(row: &DossierRow, steps: &[StepFields], stamp: NaiveDateTime) -> Vec<NewStep> {
    last_per_step(steps)
        .into_iter()
        .map(|s| NewStep {
            province_id: row.province_id,
            dossier_id: row.id,
            step_no: s.step_no,
            staff_id: s.staff_id,
            unit_id: s.unit_id,
            received_at: s.received_at,
            due_at: s.due_at,
            finished_at: s.finished_at,
            created_at: stamp,
            updated_at: stamp,
        })
        .collect()
}

/// Each step number's last line, in step order: later lines of a file are newer.
fn last_per_step(steps: &[StepFields]) -> Vec<&StepFields> {
    let mut by_no: std::collections::BTreeMap<i32, &StepFields> = std::collections::BTreeMap::new();
    for s in steps {
        by_no.insert(s.step_no, s);
    }
    by_no.into_values().collect()
}

/// Whether a new dossier may have late steps for the register: a step unfinished or
/// finished after its deadline, or the dossier itself unfinished or late. A new dossier
/// has no rows in the register yet, so one finished in time throughout needs no look.
fn needs_register_look(row: &DossierRow, steps: &[StepFields]) -> bool {
    steps.iter().any(|s| {
        s.finished_at.is_none()
            || s.due_at
                .is_some_and(|d| s.finished_at.is_some_and(|f| f > d))
    }) || row
        .finished_at
        .is_none_or(|f| row.due_at.is_some_and(|d| f > d))
}

fn audit_change(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    action: &str,
    before: Option<&DossierRow>,
    after: &DossierRow,
) -> QueryResult<()> {
    audit::record(
        conn,
        Entry {
            actor_user_id: actor,
            entity: "dossier",
            entity_id: after.id,
            action,
            province_id: Some(after.province_id),
            unit_id: Some(after.unit_id),
            before,
            after: Some(after),
        },
    )
}

/// Dossiers with their steps.
pub fn with_steps(
    conn: &mut AnyConnection,
    rows: Vec<DossierRow>,
) -> QueryResult<Vec<(DossierRow, Vec<StepRow>)>> {
    let mut by_dossier: HashMap<i64, Vec<StepRow>> = HashMap::new();
    let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
    for chunk in ids.chunks(1000) {
        for s in dossier_steps::table
            .filter(dossier_steps::dossier_id.eq_any(chunk))
            .order((dossier_steps::dossier_id, dossier_steps::step_no))
            .select(StepRow::as_select())
            .load(conn)?
        {
            by_dossier.entry(s.dossier_id).or_default().push(s);
        }
    }
    Ok(rows
        .into_iter()
        .map(|d| {
            let steps = by_dossier.remove(&d.id).unwrap_or_default();
            (d, steps)
        })
        .collect())
}

/// Dossiers received by the given units that could fall in a period from `from_utc` on:
/// finished since then, or not finished at all.
pub fn of_units_since(
    conn: &mut AnyConnection,
    unit_ids: &[i64],
    from_utc: NaiveDateTime,
) -> QueryResult<Vec<DossierRow>> {
    let mut out = Vec::new();
    for chunk in unit_ids.chunks(1000) {
        out.extend(
            dossiers::table
                .filter(dossiers::unit_id.eq_any(chunk))
                .filter(
                    dossiers::finished_at
                        .is_null()
                        .or(dossiers::finished_at.ge(from_utc)),
                )
                .select(DossierRow::as_select())
                .load(conn)?,
        );
    }
    // One order over every part, ties by id: the list is paged from it, and dossiers
    // received at the same minute (a bare date is midnight) came back in any order, so
    // a page could repeat one and skip another.
    out.sort_by_key(|d| (d.received_at, d.id));
    Ok(out)
}

/// Unfinished dossiers received by the given units.
pub fn open_of_units(conn: &mut AnyConnection, unit_ids: &[i64]) -> QueryResult<Vec<DossierRow>> {
    let mut out = Vec::new();
    for chunk in unit_ids.chunks(1000) {
        out.extend(
            dossiers::table
                .filter(dossiers::unit_id.eq_any(chunk))
                .filter(dossiers::finished_at.is_null())
                .select(DossierRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// Dossiers in which this person handled a step that could fall in a period from
/// `from_utc` on.
/// Dossiers with a step by any of these people (at most a thousand) unfinished or
/// finished from `from_utc` on, each once.
pub fn of_staff_many_since(
    conn: &mut AnyConnection,
    staff_ids: &[i64],
    from_utc: NaiveDateTime,
) -> QueryResult<Vec<DossierRow>> {
    let ids = dossier_steps::table
        .filter(dossier_steps::staff_id.eq_any(staff_ids))
        .filter(
            dossier_steps::finished_at
                .is_null()
                .or(dossier_steps::finished_at.ge(from_utc)),
        )
        .select(dossier_steps::dossier_id);
    dossiers::table
        .filter(dossiers::id.eq_any(ids))
        .order((dossiers::received_at, dossiers::id))
        .select(DossierRow::as_select())
        .load(conn)
}

pub fn of_staff_since(
    conn: &mut AnyConnection,
    staff_id: i64,
    from_utc: NaiveDateTime,
) -> QueryResult<Vec<DossierRow>> {
    of_staff_many_since(conn, &[staff_id], from_utc)
}
