//! Inspections, their teams and findings; upheld findings in the violation register.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::{findings, inspection_team, inspections, violations};

pub const SOURCE_INSPECTION: &str = "inspection";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = inspections)]
pub struct InspectionRow {
    pub id: i64,
    pub province_id: i64,
    pub unit_id: i64,
    pub kind: String,
    pub legal_basis: Option<String>,
    pub record_no: Option<String>,
    pub started_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
    pub present_count: Option<i32>,
    pub total_count: Option<i32>,
    pub unit_representative: Option<String>,
    pub refused_to_sign: bool,
    pub summary: Option<String>,
    pub status: String,
    pub closed_with_open_findings: bool,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The creator's own reference of an offline submission.
    pub client_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Insertable, Serialize)]
#[diesel(table_name = inspections)]
pub struct NewInspection {
    pub province_id: i64,
    pub unit_id: i64,
    pub kind: String,
    pub legal_basis: Option<String>,
    pub record_no: Option<String>,
    pub started_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
    pub present_count: Option<i32>,
    pub total_count: Option<i32>,
    pub unit_representative: Option<String>,
    pub refused_to_sign: bool,
    pub summary: Option<String>,
    pub status: String,
    pub created_by: Option<i64>,
    pub client_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = findings)]
pub struct FindingRow {
    pub id: i64,
    pub province_id: i64,
    pub inspection_id: i64,
    pub unit_id: i64,
    pub staff_id: Option<i64>,
    pub violation_code: String,
    pub observed_at: NaiveDateTime,
    pub description: String,
    pub severity: Option<String>,
    pub status: String,
    pub explanation_due_at: Option<NaiveDateTime>,
    pub explanation: Option<String>,
    pub explained_at: Option<NaiveDateTime>,
    pub explained_by: Option<i64>,
    pub outcome: Option<String>,
    pub action: Option<String>,
    pub action_due_at: Option<NaiveDateTime>,
    pub discipline_form: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub client_ref: Option<String>,
    /// An upheld finding withdrawn on review: when, by whom, why (`withdraw_finding`).
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_by: Option<i64>,
    pub withdrawn_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = findings, treat_none_as_null = true)]
pub struct FindingFields {
    pub province_id: i64,
    pub inspection_id: i64,
    pub unit_id: i64,
    pub staff_id: Option<i64>,
    pub violation_code: String,
    pub observed_at: NaiveDateTime,
    pub description: String,
    pub severity: Option<String>,
    pub status: String,
    pub explanation_due_at: Option<NaiveDateTime>,
    pub explanation: Option<String>,
    pub explained_at: Option<NaiveDateTime>,
    pub explained_by: Option<i64>,
    pub outcome: Option<String>,
    pub action: Option<String>,
    pub action_due_at: Option<NaiveDateTime>,
    pub discipline_form: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<i64>,
    pub client_ref: Option<String>,
}

impl FindingRow {
    pub fn fields(&self) -> FindingFields {
        FindingFields {
            province_id: self.province_id,
            inspection_id: self.inspection_id,
            unit_id: self.unit_id,
            staff_id: self.staff_id,
            violation_code: self.violation_code.clone(),
            observed_at: self.observed_at,
            description: self.description.clone(),
            severity: self.severity.clone(),
            status: self.status.clone(),
            explanation_due_at: self.explanation_due_at,
            explanation: self.explanation.clone(),
            explained_at: self.explained_at,
            explained_by: self.explained_by,
            outcome: self.outcome.clone(),
            action: self.action.clone(),
            action_due_at: self.action_due_at,
            discipline_form: self.discipline_form.clone(),
            decided_at: self.decided_at,
            decided_by: self.decided_by,
            client_ref: self.client_ref.clone(),
        }
    }
}

pub fn insert(
    conn: &mut AnyConnection,
    actor: i64,
    new: &NewInspection,
    team: &[i64],
) -> QueryResult<InspectionRow> {
    let now = super::now();
    let row: InspectionRow = diesel::insert_into(inspections::table)
        .values((
            new,
            inspections::created_at.eq(now),
            inspections::updated_at.eq(now),
        ))
        .get_result(conn)?;
    for user in team {
        diesel::insert_into(inspection_team::table)
            .values((
                inspection_team::inspection_id.eq(row.id),
                inspection_team::user_id.eq(user),
            ))
            .execute(conn)?;
    }
    audit::record(
        conn,
        Entry::<(), _> {
            actor_user_id: Some(actor),
            entity: "inspection",
            entity_id: row.id,
            action: "create",
            province_id: Some(row.province_id),
            unit_id: Some(row.unit_id),
            before: None,
            after: Some(&serde_json::json!({"inspection": &row, "team": team})),
        },
    )?;
    Ok(row)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<InspectionRow>> {
    inspections::table
        .find(id)
        .select(InspectionRow::as_select())
        .first(conn)
        .optional()
}

/// The inspections with these ids, for a list that names many.
pub fn find_many(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<InspectionRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for part in ids.chunks(500) {
        out.extend(
            inspections::table
                .filter(inspections::id.eq_any(part))
                .select(InspectionRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// The teams of these inspections, each ordered as `team` orders it.
pub fn teams_of(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<HashMap<i64, Vec<i64>>> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for part in ids.chunks(500) {
        let rows: Vec<(i64, i64)> = inspection_team::table
            .filter(inspection_team::inspection_id.eq_any(part))
            .order((inspection_team::inspection_id, inspection_team::user_id))
            .select((inspection_team::inspection_id, inspection_team::user_id))
            .load(conn)?;
        for (inspection, user) in rows {
            out.entry(inspection).or_default().push(user);
        }
    }
    Ok(out)
}

/// The findings of these inspections, each's ordered as `findings_of` orders them.
pub fn findings_of_many(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> QueryResult<HashMap<i64, Vec<FindingRow>>> {
    let mut out: HashMap<i64, Vec<FindingRow>> = HashMap::new();
    for part in ids.chunks(500) {
        let rows: Vec<FindingRow> = findings::table
            .filter(findings::inspection_id.eq_any(part))
            .order((findings::inspection_id, findings::id))
            .select(FindingRow::as_select())
            .load(conn)?;
        for f in rows {
            out.entry(f.inspection_id).or_default().push(f);
        }
    }
    Ok(out)
}

pub fn team(conn: &mut AnyConnection, inspection_id: i64) -> QueryResult<Vec<i64>> {
    inspection_team::table
        .filter(inspection_team::inspection_id.eq(inspection_id))
        .order(inspection_team::user_id)
        .select(inspection_team::user_id)
        .load(conn)
}

/// The inspections of these units (None: all) and, with `member`, those they are on.
pub fn list(
    conn: &mut AnyConnection,
    unit_ids: Option<&[i64]>,
    member: Option<i64>,
) -> QueryResult<Vec<InspectionRow>> {
    let mut q = inspections::table.into_boxed();
    match (unit_ids, member) {
        (Some(units), Some(member)) => {
            let mine = inspection_team::table
                .filter(inspection_team::user_id.eq(member))
                .select(inspection_team::inspection_id);
            q = q.filter(
                inspections::id
                    .eq_any(mine)
                    .or(inspections::unit_id.eq_any(units.to_vec())),
            );
        }
        (Some(units), None) => q = q.filter(inspections::unit_id.eq_any(units.to_vec())),
        (None, _) => {}
    }
    q.order((inspections::started_at.desc(), inspections::id.desc()))
        .select(InspectionRow::as_select())
        .load(conn)
}

pub fn close(
    conn: &mut AnyConnection,
    actor: i64,
    before: &InspectionRow,
    forced: bool,
) -> QueryResult<InspectionRow> {
    let now = super::now();
    let row: InspectionRow = diesel::update(inspections::table.find(before.id))
        .set((
            inspections::status.eq("closed"),
            inspections::ended_at.eq(before.ended_at.or(Some(now))),
            inspections::closed_with_open_findings.eq(forced),
            inspections::updated_at.eq(now),
        ))
        .get_result(conn)?;
    audit::record(
        conn,
        Entry {
            actor_user_id: Some(actor),
            entity: "inspection",
            entity_id: row.id,
            action: "close",
            province_id: Some(row.province_id),
            unit_id: Some(row.unit_id),
            before: Some(before),
            after: Some(&row),
        },
    )?;
    Ok(row)
}

pub fn findings_of(conn: &mut AnyConnection, inspection_id: i64) -> QueryResult<Vec<FindingRow>> {
    findings::table
        .filter(findings::inspection_id.eq(inspection_id))
        .order(findings::id)
        .select(FindingRow::as_select())
        .load(conn)
}

/// Findings still waiting for an explanation or a corrective action, of the given units
/// (None: every unit) and, with `member`, of the inspections they are on the team of.
pub fn waiting_findings(
    conn: &mut AnyConnection,
    unit_ids: Option<&[i64]>,
    member: Option<i64>,
) -> QueryResult<Vec<FindingRow>> {
    let mut q = findings::table
        .filter(findings::status.eq_any(["open", "explanation_requested", "action_required"]))
        .into_boxed();
    match (unit_ids, member) {
        (Some(units), Some(member)) => {
            let mine = inspection_team::table
                .filter(inspection_team::user_id.eq(member))
                .select(inspection_team::inspection_id);
            q = q.filter(
                findings::inspection_id
                    .eq_any(mine)
                    .or(findings::unit_id.eq_any(units.to_vec())),
            );
        }
        (Some(units), None) => q = q.filter(findings::unit_id.eq_any(units.to_vec())),
        (None, _) => {}
    }
    q.order(findings::id)
        .select(FindingRow::as_select())
        .load(conn)
}

/// The findings about one person that are still waiting.
pub fn findings_of_staff(conn: &mut AnyConnection, staff_id: i64) -> QueryResult<Vec<FindingRow>> {
    findings::table
        .filter(findings::staff_id.eq(staff_id))
        .filter(findings::status.eq_any(["open", "explanation_requested", "action_required"]))
        .select(FindingRow::as_select())
        .load(conn)
}

/// Every finding about one person, whatever its status, as a single read shows them to
/// the person found.
pub fn findings_about(conn: &mut AnyConnection, staff_id: i64) -> QueryResult<Vec<FindingRow>> {
    findings::table
        .filter(findings::staff_id.eq(staff_id))
        .order(findings::id)
        .select(FindingRow::as_select())
        .load(conn)
}

/// Of these findings, those of inspections `user` is on the team of.
pub fn on_team(
    conn: &mut AnyConnection,
    finding_ids: &[i64],
    user: i64,
) -> QueryResult<std::collections::HashSet<i64>> {
    let mut out = std::collections::HashSet::new();
    for part in finding_ids.chunks(500) {
        let teams = inspection_team::table
            .filter(inspection_team::user_id.eq(user))
            .select(inspection_team::inspection_id);
        let ids: Vec<i64> = findings::table
            .filter(findings::id.eq_any(part))
            .filter(findings::inspection_id.eq_any(teams))
            .select(findings::id)
            .load(conn)?;
        out.extend(ids);
    }
    Ok(out)
}

pub fn find_finding(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<FindingRow>> {
    findings::table
        .find(id)
        .select(FindingRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_finding(
    conn: &mut AnyConnection,
    actor: i64,
    f: &FindingFields,
) -> QueryResult<FindingRow> {
    let now = super::now();
    let row: FindingRow = diesel::insert_into(findings::table)
        .values((
            f,
            findings::created_at.eq(now),
            findings::updated_at.eq(now),
        ))
        .get_result(conn)?;
    audit_finding(conn, actor, "create", None, &row)?;
    Ok(row)
}

/// Writes a finding's new state (one workflow step), audited, and keeps its row in the
/// violation register: there while the team's conclusion is "upheld", gone otherwise
/// (a dismissed finding leaves no trace there, only in the audit trail).
pub fn update_finding(
    conn: &mut AnyConnection,
    actor: i64,
    action: &str,
    before: &FindingRow,
    f: &FindingFields,
) -> QueryResult<FindingRow> {
    let row: FindingRow = diesel::update(findings::table.find(before.id))
        .set((f, findings::updated_at.eq(super::now())))
        .get_result(conn)?;
    audit_finding(conn, actor, action, Some(before), &row)?;
    sync_register(conn, &row)?;
    Ok(row)
}

/// Withdraws an upheld finding on review: it is `withdrawn` (status and outcome), with
/// when, by whom and why; its register row goes (so it no longer counts in repeats, the
/// digest or the evaluation); audited as `withdraw`.
pub fn withdraw_finding(
    conn: &mut AnyConnection,
    actor: i64,
    before: &FindingRow,
    reason: &str,
) -> QueryResult<FindingRow> {
    let now = super::now();
    let withdrawn = crate::domain::findings::Status::Withdrawn.code();
    let row: FindingRow = diesel::update(findings::table.find(before.id))
        .set((
            findings::status.eq(withdrawn),
            findings::outcome.eq(Some(withdrawn)),
            findings::withdrawn_at.eq(Some(now)),
            findings::withdrawn_by.eq(Some(actor)),
            findings::withdrawn_reason.eq(Some(reason)),
            findings::updated_at.eq(now),
        ))
        .get_result(conn)?;
    audit_finding(conn, actor, "withdraw", Some(before), &row)?;
    sync_register(conn, &row)?;
    Ok(row)
}

fn audit_finding(
    conn: &mut AnyConnection,
    actor: i64,
    action: &str,
    before: Option<&FindingRow>,
    after: &FindingRow,
) -> QueryResult<()> {
    audit::record(
        conn,
        Entry {
            actor_user_id: Some(actor),
            entity: "finding",
            entity_id: after.id,
            action,
            province_id: Some(after.province_id),
            unit_id: Some(after.unit_id),
            before,
            after: Some(after),
        },
    )
}

fn sync_register(conn: &mut AnyConnection, f: &FindingRow) -> QueryResult<()> {
    let source_ref = f.id.to_string();
    let upheld = f.outcome.as_deref() == Some("upheld");
    let existing: Option<i64> = violations::table
        .filter(violations::source.eq(SOURCE_INSPECTION))
        .filter(violations::source_ref.eq(&source_ref))
        .select(violations::id)
        .first(conn)
        .optional()?;
    match (upheld, existing) {
        (true, None) => {
            let now = super::now();
            diesel::insert_into(violations::table)
                .values((
                    violations::province_id.eq(f.province_id),
                    violations::unit_id.eq(f.unit_id),
                    violations::staff_id.eq(f.staff_id),
                    violations::code.eq(&f.violation_code),
                    violations::day.eq(crate::domain::attendance::to_local(f.observed_at).date()),
                    violations::minutes.eq(None::<i32>),
                    violations::source.eq(SOURCE_INSPECTION),
                    violations::source_ref.eq(&source_ref),
                    violations::detail.eq(Some(&f.description)),
                    violations::created_at.eq(now),
                    violations::updated_at.eq(now),
                ))
                .execute(conn)?;
            // An upheld finding may be the one that tells the head (alcohol: at once).
            if let Some(person) = f.staff_id {
                super::notices::detect_code(conn, &[person], &f.violation_code, now)?;
            }
        }
        (false, Some(id)) => {
            diesel::delete(violations::table.find(id)).execute(conn)?;
        }
        _ => {}
    }
    Ok(())
}

/// The inspection a user created under their own offline reference.
pub fn find_by_client_ref(
    conn: &mut AnyConnection,
    creator: i64,
    client_ref: &str,
) -> QueryResult<Option<InspectionRow>> {
    inspections::table
        .filter(inspections::created_by.eq(creator))
        .filter(inspections::client_ref.eq(client_ref))
        .select(InspectionRow::as_select())
        .first(conn)
        .optional()
}

/// On PostgreSQL, serialises one user's offline submissions (advisory lock class 3, key =
/// user id, to the end of the transaction): a phone that retries while its first upload
/// is still being written must find that upload, not race it into the unique index.
/// SQLite serialises every write anyway.
pub fn lock_submissions(conn: &mut AnyConnection, user_id: i64) -> QueryResult<()> {
    super::advisory_lock(conn, super::LockClass::Submissions, user_id)
}

pub fn finding_by_client_ref(
    conn: &mut AnyConnection,
    inspection_id: i64,
    client_ref: &str,
) -> QueryResult<Option<FindingRow>> {
    findings::table
        .filter(findings::inspection_id.eq(inspection_id))
        .filter(findings::client_ref.eq(client_ref))
        .select(FindingRow::as_select())
        .first(conn)
        .optional()
}

/// On PostgreSQL, locks an inspection's row to the end of the transaction. Every write to
/// an inspection or its findings (a workflow step, a new finding, evidence, closing)
/// takes it before reading, so each one sees what the one before it wrote: an
/// explanation is never overwritten by a conclusion computed from the row as it was, and
/// no finding slips into an inspection as it closes. SQLite serialises every write anyway.
pub fn lock(conn: &mut AnyConnection, inspection_id: i64) -> QueryResult<()> {
    if let AnyConnection::Postgresql(c) = conn {
        diesel::sql_query("SELECT id FROM inspections WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::BigInt, _>(inspection_id)
            .execute(c)?;
    }
    Ok(())
}

/// The inspection a finding belongs to (it never changes).
pub fn inspection_of(conn: &mut AnyConnection, finding_id: i64) -> QueryResult<Option<i64>> {
    findings::table
        .find(finding_id)
        .select(findings::inspection_id)
        .first(conn)
        .optional()
}
