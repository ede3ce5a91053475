//! Disputes of late steps and their evidence files. Each change is audited with the
//! officer's unit; a decided dispute re-syncs the dossier's rows in the violation
//! register, so an accepted one leaves the late count everywhere at once.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::dossiers::{DossierRow, StepRow};
use super::schema::{dispute_evidence, dossier_disputes, dossier_steps, staff, units};
use super::staff::StaffRow;
use crate::domain::codes::NotificationKind;
use crate::domain::disputes::DisputeStatus;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = dossier_disputes)]
pub struct DisputeRow {
    pub id: i64,
    pub province_id: i64,
    pub dossier_id: i64,
    pub step_id: i64,
    pub staff_id: i64,
    pub unit_id: i64,
    pub reason: String,
    pub status: String,
    pub raised_by: i64,
    pub raised_at: NaiveDateTime,
    pub decide_by: NaiveDateTime,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_reason: Option<String>,
}

impl DisputeRow {
    pub fn status(&self) -> DisputeStatus {
        DisputeStatus::parse(&self.status).unwrap_or(DisputeStatus::Pending)
    }
}

#[derive(Debug, Clone, Insertable, Serialize)]
#[diesel(table_name = dossier_disputes)]
pub struct NewDispute {
    pub province_id: i64,
    pub dossier_id: i64,
    pub step_id: i64,
    pub staff_id: i64,
    pub unit_id: i64,
    pub reason: String,
    pub status: String,
    pub raised_by: i64,
    pub raised_at: NaiveDateTime,
    pub decide_by: NaiveDateTime,
}

/// The disputes of these dossiers, by dossier and step number. A dispute speaks for its
/// officer only: on a step since attributed to someone else it decides nothing.
pub fn of_dossiers(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> QueryResult<HashMap<i64, HashMap<i32, DisputeStatus>>> {
    let mut out: HashMap<i64, HashMap<i32, DisputeStatus>> = HashMap::new();
    for chunk in ids.chunks(1000) {
        let found: Vec<(i64, i32, String)> = dossier_disputes::table
            .inner_join(dossier_steps::table)
            .filter(dossier_disputes::dossier_id.eq_any(chunk))
            .filter(dossier_steps::staff_id.eq(dossier_disputes::staff_id.nullable()))
            .select((
                dossier_disputes::dossier_id,
                dossier_steps::step_no,
                dossier_disputes::status,
            ))
            .load(conn)?;
        for (dossier, step_no, status) in found {
            if let Some(s) = DisputeStatus::parse(&status) {
                out.entry(dossier).or_default().insert(step_no, s);
            }
        }
    }
    Ok(out)
}

/// The dispute of each of these steps, by step id.
pub fn of_steps(conn: &mut AnyConnection, step_ids: &[i64]) -> QueryResult<Vec<DisputeRow>> {
    let mut out = Vec::new();
    for chunk in step_ids.chunks(1000) {
        out.extend(
            dossier_disputes::table
                .filter(dossier_disputes::step_id.eq_any(chunk))
                .select(DisputeRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<DisputeRow>> {
    dossier_disputes::table
        .find(id)
        .select(DisputeRow::as_select())
        .first(conn)
        .optional()
}

pub fn of_step(conn: &mut AnyConnection, step_id: i64) -> QueryResult<Option<DisputeRow>> {
    dossier_disputes::table
        .filter(dossier_disputes::step_id.eq(step_id))
        .select(DisputeRow::as_select())
        .first(conn)
        .optional()
}

/// Which of these steps have a dispute, pending or decided: looked up by step (the unique
/// index) so that a feed pays one query per re-sent dossier.
pub fn disputed_steps(
    conn: &mut AnyConnection,
    step_ids: &[i64],
) -> QueryResult<std::collections::HashSet<i64>> {
    Ok(of_steps(conn, step_ids)?
        .into_iter()
        .map(|d| d.step_id)
        .collect())
}

pub fn insert(conn: &mut AnyConnection, new: &NewDispute) -> QueryResult<DisputeRow> {
    let row: DisputeRow = diesel::insert_into(dossier_disputes::table)
        .values(new)
        .get_result(conn)?;
    record(conn, Some(new.raised_by), "raise", None, &row)?;
    Ok(row)
}

/// Records the decision (the caller checked who may decide). None when the dispute was
/// no longer pending: two heads deciding at once, the second finds it decided.
pub fn decide(
    conn: &mut AnyConnection,
    before: &DisputeRow,
    status: DisputeStatus,
    by: i64,
    reason: &str,
) -> QueryResult<Option<DisputeRow>> {
    let changed = diesel::update(
        dossier_disputes::table
            .find(before.id)
            .filter(dossier_disputes::status.eq(DisputeStatus::Pending.code())),
    )
    .set((
        dossier_disputes::status.eq(status.code()),
        dossier_disputes::decided_by.eq(Some(by)),
        dossier_disputes::decided_at.eq(Some(super::now())),
        dossier_disputes::decision_reason.eq(Some(reason)),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Ok(None);
    }
    let row: DisputeRow = dossier_disputes::table
        .find(before.id)
        .select(DisputeRow::as_select())
        .first(conn)?;
    record(conn, Some(by), "decide", Some(before), &row)?;
    Ok(Some(row))
}

fn record(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    action: &str,
    before: Option<&DisputeRow>,
    after: &DisputeRow,
) -> QueryResult<()> {
    audit::record(
        conn,
        Entry {
            actor_user_id: actor,
            entity: "dossier_dispute",
            entity_id: after.id,
            action,
            province_id: Some(after.province_id),
            unit_id: Some(after.unit_id),
            before,
            after: Some(after),
        },
    )
}

/// What a list of disputes may be limited to.
#[derive(Debug, Clone, Default)]
pub struct DisputeFilter {
    pub status: Option<DisputeStatus>,
    /// Officers' units (already limited to what the caller reads).
    pub unit_ids: Option<Vec<i64>>,
    pub staff_id: Option<i64>,
}

/// Disputes, newest first.
pub fn list(conn: &mut AnyConnection, f: &DisputeFilter) -> QueryResult<Vec<DisputeRow>> {
    let mut out = Vec::new();
    let chunks: Vec<Option<Vec<i64>>> = match &f.unit_ids {
        None => vec![None],
        Some(ids) => ids.chunks(1000).map(|c| Some(c.to_vec())).collect(),
    };
    for chunk in chunks {
        let mut q = dossier_disputes::table
            .select(DisputeRow::as_select())
            .into_boxed();
        if let Some(ids) = chunk {
            q = q.filter(dossier_disputes::unit_id.eq_any(ids));
        }
        if let Some(s) = f.status {
            q = q.filter(dossier_disputes::status.eq(s.code()));
        }
        if let Some(id) = f.staff_id {
            q = q.filter(dossier_disputes::staff_id.eq(id));
        }
        out.extend(q.load(conn)?);
    }
    out.sort_by(|a, b| b.raised_at.cmp(&a.raised_at).then(b.id.cmp(&a.id)));
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = dispute_evidence)]
pub struct DisputeEvidenceRow {
    pub id: i64,
    pub province_id: i64,
    pub dispute_id: i64,
    pub sha256: String,
    pub size_bytes: i64,
    pub content_type: String,
    pub filename: Option<String>,
    pub uploaded_by: i64,
    pub uploaded_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, Serialize)]
#[diesel(table_name = dispute_evidence)]
pub struct NewDisputeEvidence {
    pub province_id: i64,
    pub dispute_id: i64,
    pub sha256: String,
    pub size_bytes: i64,
    pub content_type: String,
    pub filename: Option<String>,
    pub uploaded_by: i64,
}

/// Records a file against a dispute; the same content again returns the first record and
/// `false`.
pub fn attach(
    conn: &mut AnyConnection,
    dispute: &DisputeRow,
    new: &NewDisputeEvidence,
) -> QueryResult<(DisputeEvidenceRow, bool)> {
    let existing: Option<DisputeEvidenceRow> = dispute_evidence::table
        .filter(dispute_evidence::dispute_id.eq(new.dispute_id))
        .filter(dispute_evidence::sha256.eq(&new.sha256))
        .select(DisputeEvidenceRow::as_select())
        .first(conn)
        .optional()?;
    if let Some(row) = existing {
        return Ok((row, false));
    }
    let row: DisputeEvidenceRow = diesel::insert_into(dispute_evidence::table)
        .values((new, dispute_evidence::uploaded_at.eq(super::now())))
        .get_result(conn)?;
    audit::record(
        conn,
        Entry::<(), _> {
            actor_user_id: Some(new.uploaded_by),
            entity: "dossier_dispute",
            entity_id: dispute.id,
            action: "attach_evidence",
            province_id: Some(dispute.province_id),
            unit_id: Some(dispute.unit_id),
            before: None,
            after: Some(&row),
        },
    )?;
    Ok((row, true))
}

pub fn evidence_of(
    conn: &mut AnyConnection,
    dispute_id: i64,
) -> QueryResult<Vec<DisputeEvidenceRow>> {
    dispute_evidence::table
        .filter(dispute_evidence::dispute_id.eq(dispute_id))
        .order(dispute_evidence::id)
        .select(DisputeEvidenceRow::as_select())
        .load(conn)
}

/// Tells whoever decides a new dispute: the heads of the step's unit (at `unit_path`, the
/// officer's unit on the step's day), or of the nearest unit above with a head (from the
/// unit above when the officer heads it).
/// With nobody to tell, the message is kept as dead for an administrator to see.
/// Returns the messages queued.
pub fn tell_deciders(
    conn: &mut AnyConnection,
    dispute: &DisputeRow,
    officer: &StaffRow,
    unit_path: &str,
    dossier: &DossierRow,
    step: &StepRow,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mut chain = crate::domain::units::chain(unit_path);
    // From the unit above the one the officer heads, when it is the step's unit or one
    // above it (promoted since): its heads and those below are the officer's to run.
    if officer.is_head
        && let Some(at) = chain.iter().position(|u| *u == officer.unit_id)
    {
        chain.drain(..=at);
    }
    let today = crate::domain::attendance::to_local(now).date();
    let mut heads: Vec<StaffRow> = Vec::new();
    for unit_id in chain {
        heads = staff::table
            .filter(staff::unit_id.eq(unit_id))
            .filter(staff::is_head.eq(true))
            .filter(staff::id.ne(officer.id))
            .filter(staff::left_on.is_null().or(staff::left_on.ge(today)))
            .filter(staff::joined_on.is_null().or(staff::joined_on.le(today)))
            .select(StaffRow::as_select())
            .load(conn)?;
        if !heads.is_empty() {
            break;
        }
    }
    // The message is the step's unit's (the dispute's), as its deciders are: filed under
    // the officer's present unit, a head of the old one would not be its recipient when
    // sent, nor its HR see it.
    let unit_name: String = units::table
        .find(dispute.unit_id)
        .select(units::name)
        .first(conn)?;
    let local = |t: Option<NaiveDateTime>| {
        t.map(|t| crate::domain::attendance::to_local(t).date().to_string())
    };
    let payload = serde_json::json!({
        "dispute_id": dispute.id,
        "decide_by": crate::domain::attendance::to_local(dispute.decide_by).date().to_string(),
        "reason": dispute.reason,
        "officer": {"id": officer.id, "full_name": officer.full_name, "code": officer.code},
        "unit": {"id": dispute.unit_id, "name": unit_name},
        "dossier": {"code": dossier.code, "procedure": dossier.procedure_name},
        "step": {"step_no": step.step_no, "action": step.action,
                 "due_at": local(step.due_at), "finished_at": local(step.finished_at)},
    });
    let targets: Vec<Option<&StaffRow>> = if heads.is_empty() {
        vec![None]
    } else {
        heads.iter().map(Some).collect()
    };
    let mut queued = 0;
    for head in targets {
        let mut payload = payload.clone();
        payload["recipient"] = head.map_or(serde_json::Value::Null, |h| {
            serde_json::json!({"staff_id": h.id, "full_name": h.full_name, "position": h.position})
        });
        let n = super::outbox::NewNotification {
            province_id: dispute.province_id,
            unit_id: dispute.unit_id,
            kind: NotificationKind::Dispute,
            notice_id: None,
            recipient_staff_id: head.map(|h| h.id),
            recipient_email: head.and_then(|h| h.email.clone()),
            dedupe_key: format!(
                "dispute:{}:{}",
                dispute.id,
                head.map_or("nobody".to_owned(), |h| h.id.to_string())
            ),
            payload,
        };
        if super::outbox::enqueue(conn, &n, now)? {
            queued += 1;
        }
    }
    Ok(queued)
}
