//! `congvu admin merge-twin-steps`: the steps earlier versions stored twice — a feed entry
//! sent otherwise, or sent after its dossier came by file (`domain::step_twins`) —
//! reported, and with `apply` merged: the twin deleted, the kept step given what both
//! said, the register and the inferred starts made right again.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Values, infer_starts, load, set_step};
use crate::db::AnyConnection;
use crate::db::audit::{self, Entry};
use crate::db::dossiers::{self, DossierRow, StepRow};
use crate::db::schema::{dossier_steps, dossiers as dossier_rows};
use crate::domain::step_twins::{Stored, Twins, twins};

/// What was found of one group of twins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub dossier: String,
    /// The handler as the log names them (account, else name) and the action.
    pub handler: String,
    pub action: String,
    /// The group's step numbers.
    pub steps: Vec<i32>,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One step, merged (when applied) into the step numbered `kept`.
    Merge { kept: i32 },
    /// Disputed more than once: left for a person.
    Disputed,
    /// Twins only along a chain, perhaps two rounds: left alone.
    Unsure,
}

/// The next `limit` dossiers of the province after `after` (by id), to look at together.
pub fn next_dossiers(
    conn: &mut AnyConnection,
    province_id: i64,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    dossier_rows::table
        .filter(dossier_rows::province_id.eq(province_id))
        .filter(dossier_rows::id.gt(after))
        .order(dossier_rows::id)
        .limit(limit)
        .select(dossier_rows::id)
        .load(conn)
}

fn stored(row: &StepRow, key: Option<String>, disputed: bool) -> Stored {
    Stored {
        id: row.id,
        step_no: row.step_no,
        key,
        handler_name: row.handler_name.clone(),
        handler_account: row.handler_account.clone(),
        action: row.action.clone(),
        received_at: row.received_at,
        due_at: row.due_at,
        finished_at: row.finished_at,
        staff_id: row.staff_id,
        unit_id: row.unit_id,
        matched_by: row.matched_by.clone(),
        handler_issue: row.handler_issue.clone(),
        updated_at: row.updated_at,
        disputed,
    }
}

/// The twins among these dossiers' feed steps; with `apply`, merged. Applying, the
/// caller holds the province's dossier lock in a transaction. `now` is local time, for
/// the register.
pub fn scan(
    conn: &mut AnyConnection,
    dossier_ids: &[i64],
    apply: bool,
    now: NaiveDateTime,
) -> QueryResult<Vec<Found>> {
    let rows: Vec<DossierRow> = dossier_rows::table
        .filter(dossier_rows::id.eq_any(dossier_ids))
        .order(dossier_rows::id)
        .select(DossierRow::as_select())
        .load(conn)?;
    let steps: Vec<(StepRow, Option<String>)> = dossier_steps::table
        .filter(dossier_steps::dossier_id.eq_any(dossier_ids))
        .order((dossier_steps::dossier_id, dossier_steps::step_no))
        .select((StepRow::as_select(), dossier_steps::source_key))
        .load(conn)?;
    let ids: Vec<i64> = steps.iter().map(|(s, _)| s.id).collect();
    let disputed = crate::db::disputes::disputed_steps(conn, &ids)?;
    let mut of_dossier: HashMap<i64, Vec<Stored>> = HashMap::new();
    for (s, k) in steps {
        let d = disputed.contains(&s.id);
        of_dossier
            .entry(s.dossier_id)
            .or_default()
            .push(stored(&s, k, d));
    }
    let mut out = Vec::new();
    for dossier in &rows {
        let Some(mine) = of_dossier.get(&dossier.id).filter(|m| m.len() > 1) else {
            continue;
        };
        let found = twins(mine);
        let mut merged_any = false;
        for group in &found {
            out.push(report(dossier, mine, group));
            if let (true, Twins::Merge { merged, dropped }) = (apply, group) {
                merge(conn, dossier, mine, merged, dropped)?;
                merged_any = true;
            }
        }
        if merged_any {
            let now_stored = load(conn, dossier.id)?;
            infer_starts(conn, dossier, &now_stored)?;
            dossiers::sync_late_steps(conn, dossier, now)?;
        }
    }
    Ok(out)
}

fn report(dossier: &DossierRow, steps: &[Stored], group: &Twins) -> Found {
    let (ids, kind) = match group {
        Twins::Merge { merged, dropped } => {
            let mut ids = dropped.clone();
            ids.push(merged.id);
            (
                ids,
                Kind::Merge {
                    kept: merged.step_no,
                },
            )
        }
        Twins::Disputed(ids) => (ids.clone(), Kind::Disputed),
        Twins::Unsure(ids) => (ids.clone(), Kind::Unsure),
    };
    let members: Vec<&Stored> = steps.iter().filter(|s| ids.contains(&s.id)).collect();
    let first = |f: fn(&Stored) -> Option<&String>| {
        members
            .iter()
            .find_map(|s| f(s))
            .cloned()
            .unwrap_or_default()
    };
    let mut numbers: Vec<i32> = members.iter().map(|s| s.step_no).collect();
    numbers.sort_unstable();
    Found {
        dossier: dossier.code.clone(),
        handler: match first(|s| s.handler_account.as_ref()) {
            a if a.is_empty() => first(|s| s.handler_name.as_ref()),
            a => a,
        },
        action: first(|s| s.action.as_ref()),
        steps: numbers,
        kind,
    }
}

/// Deletes the twins `dropped` (their register rows folded into the kept step's) and
/// gives the kept step the merged values, each change in the audit trail.
fn merge(
    conn: &mut AnyConnection,
    dossier: &DossierRow,
    steps: &[Stored],
    merged: &Stored,
    dropped: &[i64],
) -> QueryResult<()> {
    let audit = |conn: &mut AnyConnection,
                 id: i64,
                 action: &str,
                 before: Option<&Stored>,
                 after: Option<&Stored>| {
        audit::record(
            conn,
            Entry {
                actor_user_id: None,
                entity: "dossier_step",
                entity_id: id,
                action,
                province_id: Some(dossier.province_id),
                unit_id: Some(dossier.unit_id),
                before,
                after,
            },
        )
    };
    for twin in steps.iter().filter(|s| dropped.contains(&s.id)) {
        dossiers::fold_late_step(
            conn,
            dossier.id,
            twin.step_no,
            merged.step_no,
            merged.staff_id,
        )?;
        diesel::delete(dossier_steps::table.find(twin.id)).execute(conn)?;
        audit(conn, twin.id, "delete", Some(twin), None)?;
    }
    let before = steps.iter().find(|s| s.id == merged.id);
    let values = values_of(merged);
    if before.map(values_of).as_ref() != Some(&values) {
        set_step(conn, merged.id, &values, crate::db::now())?;
        audit(conn, merged.id, "update", before, Some(merged))?;
    }
    Ok(())
}

/// The columns a feed step sets, as the step is to be.
fn values_of(s: &Stored) -> Values {
    Values {
        staff_id: s.staff_id,
        unit_id: s.unit_id,
        matched_by: s.matched_by.clone(),
        handler_issue: s.handler_issue.clone(),
        handler_name: s.handler_name.clone(),
        handler_account: s.handler_account.clone(),
        action: s.action.clone(),
        received_at: s.received_at,
        due_at: s.due_at,
        finished_at: s.finished_at,
        source_key: s.key.clone(),
    }
}
