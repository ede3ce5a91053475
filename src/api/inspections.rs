//! `/inspections` and `/findings`: inspection records, findings and their guarded
//! workflow (explanation → conclusion → corrective action → closed). A team sees and
//! writes only its own inspections; heads, hr and admins read those of their subtree; a
//! staff member sees and explains only their own findings.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use super::units::visible_unit;
use super::{BASE, PageParams, Paged, blocking, created, local_time};
use crate::auth::AuthUser;
use crate::db::inspections::{self as q, FindingRow, InspectionRow, NewInspection};
use crate::db::{AnyConnection, Db};
use crate::domain::access::{Action, Actor};
use crate::domain::codes::Role;
use crate::domain::findings::{Status, inspection_may_close};
use crate::domain::text::nfc;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // `/inspections/submissions` before `/inspections/{id}` would not matter for a POST,
    // but keep literal paths first anyway.
    cfg.service(super::submissions::submit)
        .service(create_inspection)
        .service(list_inspections)
        .service(get_inspection)
        .service(close_inspection);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InspectionKind {
    Surprise,
    Scheduled,
    Thematic,
}

impl InspectionKind {
    pub fn code(self) -> &'static str {
        match self {
            InspectionKind::Surprise => "surprise",
            InspectionKind::Scheduled => "scheduled",
            InspectionKind::Thematic => "thematic",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    LessSerious,
    Serious,
    VerySerious,
    EspeciallySerious,
}

impl Severity {
    pub fn code(self) -> &'static str {
        match self {
            Severity::LessSerious => "less_serious",
            Severity::Serious => "serious",
            Severity::VerySerious => "very_serious",
            Severity::EspeciallySerious => "especially_serious",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingView {
    pub id: i64,
    pub inspection_id: i64,
    pub unit_id: i64,
    pub staff_id: Option<i64>,
    pub violation_code: String,
    pub observed_at: DateTime<FixedOffset>,
    pub description: String,
    pub severity: Option<String>,
    pub status: String,
    pub status_label: &'static str,
    pub explanation_due_at: Option<DateTime<FixedOffset>>,
    pub explanation: Option<String>,
    pub outcome: Option<String>,
    pub action: Option<String>,
    pub action_due_at: Option<DateTime<FixedOffset>>,
    pub discipline_form: Option<String>,
    /// An upheld finding withdrawn on review: when and why.
    pub withdrawn_at: Option<DateTime<FixedOffset>>,
    pub withdrawn_reason: Option<String>,
}

impl From<FindingRow> for FindingView {
    fn from(f: FindingRow) -> Self {
        let status = Status::parse(&f.status).unwrap_or(Status::Open);
        FindingView {
            id: f.id,
            inspection_id: f.inspection_id,
            unit_id: f.unit_id,
            staff_id: f.staff_id,
            violation_code: f.violation_code,
            observed_at: local_time(f.observed_at),
            description: f.description,
            severity: f.severity,
            status: f.status,
            status_label: status.label(),
            explanation_due_at: f.explanation_due_at.map(local_time),
            explanation: f.explanation,
            outcome: f.outcome,
            action: f.action,
            action_due_at: f.action_due_at.map(local_time),
            discipline_form: f.discipline_form,
            withdrawn_at: f.withdrawn_at.map(local_time),
            withdrawn_reason: f.withdrawn_reason,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InspectionView {
    pub id: i64,
    pub unit_id: i64,
    pub kind: String,
    pub legal_basis: Option<String>,
    pub record_no: Option<String>,
    pub started_at: DateTime<FixedOffset>,
    pub ended_at: Option<DateTime<FixedOffset>>,
    pub present_count: Option<i32>,
    pub total_count: Option<i32>,
    pub unit_representative: Option<String>,
    pub refused_to_sign: bool,
    pub summary: Option<String>,
    pub status: String,
    pub closed_with_open_findings: bool,
    pub team: Vec<i64>,
    /// The findings the caller may see.
    pub findings: Vec<FindingView>,
}

pub(super) fn view(i: InspectionRow, team: Vec<i64>, findings: Vec<FindingRow>) -> InspectionView {
    InspectionView {
        id: i.id,
        unit_id: i.unit_id,
        kind: i.kind,
        legal_basis: i.legal_basis,
        record_no: i.record_no,
        started_at: local_time(i.started_at),
        ended_at: i.ended_at.map(local_time),
        present_count: i.present_count,
        total_count: i.total_count,
        unit_representative: i.unit_representative,
        refused_to_sign: i.refused_to_sign,
        summary: i.summary,
        status: i.status,
        closed_with_open_findings: i.closed_with_open_findings,
        team,
        findings: findings.into_iter().map(FindingView::from).collect(),
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInspection {
    /// The device's own reference of the record (e.g. a UUID). A request repeated with
    /// the same reference by the same account returns the first one's inspection (200)
    /// instead of creating another.
    #[validate(length(min = 1, max = 100))]
    pub client_ref: Option<String>,
    pub unit_id: i64,
    pub kind: InspectionKind,
    pub started_at: DateTime<FixedOffset>,
    pub ended_at: Option<DateTime<FixedOffset>>,
    #[validate(length(max = 100))]
    pub record_no: Option<String>,
    /// The decision that set up the team.
    #[validate(length(max = 500))]
    pub legal_basis: Option<String>,
    /// Accounts on the team (inspectors); the creator is always on it.
    #[serde(default)]
    #[validate(length(max = 30))]
    pub team: Vec<i64>,
    #[validate(range(min = 0))]
    pub present_count: Option<i32>,
    #[validate(range(min = 0))]
    pub total_count: Option<i32>,
    #[validate(length(max = 200))]
    pub unit_representative: Option<String>,
    #[serde(default)]
    pub refused_to_sign: bool,
    #[validate(length(max = 5000))]
    pub summary: Option<String>,
}

/// The inspections a reader's list covers.
pub(super) struct Listed {
    /// The units whose inspections are listed; None: every unit.
    pub units: Option<Vec<i64>>,
    /// The reader's user id, whose own inspections are listed besides (none when the list
    /// is of one unit's subtree).
    pub member: Option<i64>,
}

/// What a reader's list covers: the subtree of `unit_id`, for those who read or inspect
/// it (404 otherwise), or everything they reach and the inspections they are on.
/// Which of those they see is decided per inspection afterwards (`seen_whole`).
pub(super) fn reader_units(
    c: &mut AnyConnection,
    actor: &Actor,
    unit_id: Option<i64>,
) -> Result<Listed, ApiError> {
    let reader = actor.visibility(Action::ReadInspections);
    Ok(match unit_id {
        Some(u) => {
            let unit = match crate::db::units::find(c, u)? {
                Some(unit)
                    if reader.subtree(&unit.path)
                        || actor.visibility(Action::Inspect).subtree(&unit.path) =>
                {
                    unit
                }
                _ => return Err(ApiError::NotFound),
            };
            Listed {
                units: Some(super::dossiers::ids_within(c, &unit.path)?),
                member: None,
            }
        }
        None if reader.all => Listed {
            units: None,
            member: None,
        },
        None => {
            let mut ids = Vec::new();
            for path in &reader.subtrees {
                ids.extend(super::dossiers::ids_within(c, path)?);
            }
            Listed {
                units: Some(ids),
                member: Some(actor.user_id),
            }
        }
    })
}

/// Records an inspection for `actor`, who must hold the inspector or admin role over the
/// unit and is always on the team; every other member must be an inspector's account.
pub(super) fn insert_inspection(
    c: &mut AnyConnection,
    actor: &Actor,
    body: &CreateInspection,
) -> Result<(InspectionRow, Vec<i64>), ApiError> {
    let unit = visible_unit(
        c,
        &actor.visibility(Action::ReadUnits),
        body.unit_id,
        "unit_id",
    )?;
    if !actor.visibility(Action::Inspect).subtree(&unit.path) {
        return Err(ApiError::Forbidden(
            "inspections need the inspector or admin role over the unit",
        ));
    }
    super::storable_day("started_at", body.started_at.naive_utc().date())?;
    // A visit recorded ahead of its time refused every finding until it came (a finding
    // is not observed before the visit began).
    if body.started_at.naive_utc() > crate::db::now() + chrono::Duration::minutes(5) {
        return Err(ApiError::field("started_at", "is in the future"));
    }
    if let (Some(present), Some(total)) = (body.present_count, body.total_count)
        && present > total
    {
        return Err(ApiError::field("present_count", "is more than total_count"));
    }
    if let Some(ended) = body.ended_at {
        super::storable_day("ended_at", ended.naive_utc().date())?;
        if ended < body.started_at {
            return Err(ApiError::field("ended_at", "must not be before started_at"));
        }
    }
    let mut team: Vec<i64> = body.team.clone();
    team.push(actor.user_id);
    team.sort_unstable();
    team.dedup();
    // Every member inspects this unit: an inspector's or admin's role over it. One held
    // elsewhere only would give no access to the record, and answering it apart from "not
    // an inspector" would tell who inspects in other provinces.
    for (i, user) in body.team.iter().enumerate() {
        let roles = crate::db::users::roles_of(c, *user)?;
        let inspecting: Vec<Option<i64>> = roles
            .iter()
            .filter(|r| {
                Role::parse(&r.role).is_some_and(|r| matches!(r, Role::Inspector | Role::Admin))
            })
            .map(|r| r.unit_id)
            .collect();
        let on: Vec<i64> = inspecting.iter().flatten().copied().collect();
        let reaches = inspecting.contains(&None)
            || crate::db::units::find_many(c, &on)?
                .iter()
                .any(|u| crate::domain::units::in_subtree(&unit.path, &u.path));
        if !reaches {
            return Err(ApiError::field(
                &format!("team[{i}]"),
                "is not the account of an inspector over this unit",
            ));
        }
    }
    let text = |s: &Option<String>| s.as_deref().map(nfc).filter(|v| !v.is_empty());
    let row = q::insert(
        c,
        actor.user_id,
        &NewInspection {
            province_id: unit.province_id,
            unit_id: unit.id,
            kind: body.kind.code().to_owned(),
            legal_basis: text(&body.legal_basis),
            record_no: text(&body.record_no),
            started_at: body.started_at.naive_utc(),
            ended_at: body.ended_at.map(|t| t.naive_utc()),
            present_count: body.present_count,
            total_count: body.total_count,
            unit_representative: text(&body.unit_representative),
            refused_to_sign: body.refused_to_sign,
            summary: text(&body.summary),
            status: "open".into(),
            created_by: Some(actor.user_id),
            client_ref: body.client_ref.clone(),
        },
        &team,
    )?;
    Ok((row, team))
}

/// What the caller may do with one inspection.
pub(super) struct Access {
    pub member: bool,
    pub reader: bool,
    /// Staff who may see only the findings about themselves.
    pub own_staff: Option<i64>,
}

impl Access {
    /// Whether the caller sees the whole inspection: a team member within their
    /// inspecting reach, or a reader of its unit. The lists apply the same rule as a
    /// single read: a team member added from elsewhere, or whose role has since moved,
    /// sees nothing of it.
    pub(super) fn whole(&self) -> bool {
        self.member || self.reader
    }
}

fn access(c: &mut AnyConnection, actor: &Actor, i: &InspectionRow) -> Result<Access, ApiError> {
    let team = q::team(c, i.id)?;
    let unit = crate::db::units::find(c, i.unit_id)?.ok_or(ApiError::NotFound)?;
    Ok(access_on(actor, &unit.path, &team))
}

/// What the caller may do with an inspection of the unit at `path`, with this team.
fn access_on(actor: &Actor, path: &str, team: &[i64]) -> Access {
    Access {
        member: team.contains(&actor.user_id) && actor.visibility(Action::Inspect).subtree(path),
        reader: actor.visibility(Action::ReadInspections).subtree(path),
        own_staff: actor.staff_id,
    }
}

/// The inspections of a list the caller sees whole (`Access::whole`), each with its team: a
/// fixed number of queries however long the list, where one by one took three each.
pub(super) fn seen_whole(
    c: &mut AnyConnection,
    actor: &Actor,
    list: &[InspectionRow],
) -> Result<HashMap<i64, Vec<i64>>, ApiError> {
    let ids: Vec<i64> = list.iter().map(|i| i.id).collect();
    let mut teams = q::teams_of(c, &ids)?;
    let mut unit_ids: Vec<i64> = list.iter().map(|i| i.unit_id).collect();
    unit_ids.sort_unstable();
    unit_ids.dedup();
    let mut paths = HashMap::new();
    for part in unit_ids.chunks(500) {
        for u in crate::db::units::find_many(c, part)? {
            paths.insert(u.id, u.path);
        }
    }
    let mut out = HashMap::new();
    for i in list {
        let team = teams.remove(&i.id).unwrap_or_default();
        if let Some(path) = paths.get(&i.unit_id)
            && access_on(actor, path, &team).whole()
        {
            out.insert(i.id, team);
        }
    }
    Ok(out)
}

/// The findings of an inspection the caller may see; 404 when none and no other right.
pub(super) fn visible(
    c: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> Result<(InspectionRow, Access, Vec<FindingRow>), ApiError> {
    let i = q::find(c, id)?.ok_or(ApiError::NotFound)?;
    let a = access(c, actor, &i)?;
    let all = q::findings_of(c, i.id)?;
    if a.whole() {
        return Ok((i, a, all));
    }
    let own: Vec<FindingRow> = all
        .into_iter()
        .filter(|f| f.staff_id.is_some() && f.staff_id == a.own_staff)
        .collect();
    if own.is_empty() {
        return Err(ApiError::NotFound);
    }
    Ok((i, a, own))
}

#[utoipa::path(post, path = "/api/v1/inspections", tag = "inspections", request_body = CreateInspection,
    responses((status = 201, body = InspectionView), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/inspections")]
pub async fn create_inspection(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<CreateInspection>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let actor = auth.actor.clone();
    let (v, new) = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let (row, team, new) = find_or_insert_inspection(c, &actor, &body)?;
            let findings = if new {
                Vec::new()
            } else {
                q::findings_of(c, row.id)?
            };
            Ok((view(row, team, findings), new))
        })
    })
    .await?;
    if !new {
        return Ok(HttpResponse::Ok().json(v));
    }
    Ok(created(format!("{BASE}/inspections/{}", v.id), &v))
}

/// Creates the inspection, or finds the one this account already created under the same
/// `client_ref` (then `false`). The reference must not be reused for another record.
pub(super) fn find_or_insert_inspection(
    c: &mut AnyConnection,
    actor: &Actor,
    body: &CreateInspection,
) -> Result<(InspectionRow, Vec<i64>, bool), ApiError> {
    let Some(client_ref) = &body.client_ref else {
        let (row, team) = insert_inspection(c, actor, body)?;
        return Ok((row, team, true));
    };
    q::lock_submissions(c, actor.user_id)?;
    let Some(existing) = q::find_by_client_ref(c, actor.user_id, client_ref)? else {
        let (row, team) = insert_inspection(c, actor, body)?;
        return Ok((row, team, true));
    };
    let same = existing.unit_id == body.unit_id
        && existing.kind == body.kind.code()
        && existing.started_at.and_utc().timestamp() == body.started_at.timestamp();
    if !same {
        return Err(ApiError::conflict(
            "client_ref",
            "already names another of your inspections (its unit, kind or start differ)",
        ));
    }
    q::lock(c, existing.id)?;
    // The row as it stands under the lock: the one read before it may predate a
    // colleague's closing, and a finding checked against it would slip into the closed
    // inspection (and a `close` in the same record overwrite their end time).
    let (existing, a, _) = visible(c, actor, existing.id)?;
    if !a.member {
        return Err(ApiError::Forbidden(
            "you are no longer on this inspection's team",
        ));
    }
    let team = q::team(c, existing.id)?;
    Ok((existing, team, false))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListInspections {
    /// Inspections of this unit and the units below it.
    pub unit_id: Option<i64>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/inspections", tag = "inspections", params(ListInspections),
    responses((status = 200, body = Paged<InspectionView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/inspections")]
pub async fn list_inspections(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ListInspections>,
) -> Result<web::Json<Paged<InspectionView>>, ApiError> {
    let unit_id = query.unit_id;
    let page = PageParams {
        page: query.page,
        per_page: query.per_page,
    };
    let actor = auth.actor.clone();
    let (views, total) = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let listed = reader_units(c, &actor, unit_id)?;
            let list = q::list(c, listed.units.as_deref(), listed.member)?;
            // The teams, read once for the check and the view; what the reader sees is
            // decided per inspection, so the page is cut from those, newest first, and
            // only its findings are read.
            let mut teams = seen_whole(c, &actor, &list)?;
            let mut shown: Vec<(InspectionRow, Option<Vec<FindingRow>>)> = list
                .into_iter()
                .filter(|i| teams.contains_key(&i.id))
                .map(|i| (i, None))
                .collect();
            // Beside them, without a unit asked for, the inspections with findings about
            // the reader, shown as `get_inspection` shows them to the person found:
            // before, staff found nothing here, nor in the overdue list until their time
            // to explain had passed, and could be upheld without having seen the finding.
            if let (None, Some(own)) = (unit_id, actor.staff_id) {
                let mut about_me: HashMap<i64, Vec<FindingRow>> = HashMap::new();
                for f in q::findings_about(c, own)? {
                    if !teams.contains_key(&f.inspection_id) {
                        about_me.entry(f.inspection_id).or_default().push(f);
                    }
                }
                let ids: Vec<i64> = about_me.keys().copied().collect();
                for i in q::find_many(c, &ids)? {
                    let found = about_me.remove(&i.id);
                    shown.push((reduced(i), found));
                }
                shown.sort_by_key(|(i, _)| std::cmp::Reverse((i.started_at, i.id)));
            }
            let total = i64::try_from(shown.len()).unwrap_or(i64::MAX);
            let on_page: Vec<(InspectionRow, Option<Vec<FindingRow>>)> = shown
                .into_iter()
                .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
                .take(usize::try_from(page.per_page()).unwrap_or(0))
                .collect();
            let ids: Vec<i64> = on_page
                .iter()
                .filter(|(_, own)| own.is_none())
                .map(|(i, _)| i.id)
                .collect();
            let mut findings = q::findings_of_many(c, &ids)?;
            let out: Vec<InspectionView> = on_page
                .into_iter()
                .map(|(i, own)| match own {
                    Some(own) => view(i, Vec::new(), own),
                    None => {
                        let team = teams.remove(&i.id).unwrap_or_default();
                        let found = findings.remove(&i.id).unwrap_or_default();
                        view(i, team, found)
                    }
                })
                .collect();
            Ok::<_, ApiError>((out, total))
        })
    })
    .await?;
    Ok(web::Json(Paged::new(views, total, &page)))
}

/// An inspection as someone who sees only the findings about themself sees it: the
/// visit's identity (unit, kind, times, record number and basis), not the record's
/// summary, headcounts, representative or team (left out by the caller).
fn reduced(i: InspectionRow) -> InspectionRow {
    InspectionRow {
        summary: None,
        unit_representative: None,
        present_count: None,
        total_count: None,
        refused_to_sign: false,
        ..i
    }
}

#[utoipa::path(get, path = "/api/v1/inspections/{id}", tag = "inspections",
    responses((status = 200, body = InspectionView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/inspections/{id}")]
pub async fn get_inspection(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<InspectionView>, ApiError> {
    let id = id.into_inner();
    let actor = auth.actor.clone();
    let v = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let (i, a, findings) = visible(c, &actor, id)?;
            if !a.whole() {
                return Ok(view(reduced(i), Vec::new(), findings));
            }
            let team = q::team(c, i.id)?;
            Ok::<_, ApiError>(view(i, team, findings))
        })
    })
    .await?;
    Ok(web::Json(v))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInspection {
    /// Close although findings are still open.
    #[serde(default)]
    pub with_open_findings: bool,
}

#[utoipa::path(post, path = "/api/v1/inspections/{id}/close", tag = "inspections", request_body = CloseInspection,
    responses((status = 200, body = InspectionView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/inspections/{id}/close")]
pub async fn close_inspection(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: Option<web::Json<CloseInspection>>,
) -> Result<web::Json<InspectionView>, ApiError> {
    let id = id.into_inner();
    let force = body.is_some_and(|b| b.with_open_findings);
    let actor = auth.actor.clone();
    let v = blocking(&state, move |db: &Db| {
        db.write(|c| {
            q::lock(c, id)?;
            let (i, a, findings) = visible(c, &actor, id)?;
            if !a.member {
                return Err(ApiError::Forbidden("only the inspection's team closes it"));
            }
            let row = close_record(c, actor.user_id, &i, &findings, force)?;
            let team = q::team(c, row.id)?;
            Ok(view(row, team, findings))
        })
    })
    .await?;
    Ok(web::Json(v))
}

/// Closes an inspection (for a team member): every finding concluded, or `force`.
pub(super) fn close_record(
    c: &mut AnyConnection,
    actor: i64,
    i: &InspectionRow,
    findings: &[FindingRow],
    force: bool,
) -> Result<InspectionRow, ApiError> {
    if i.status == "closed" {
        return Err(conflict("the inspection is already closed"));
    }
    let statuses: Vec<Status> = findings
        .iter()
        .filter_map(|f| Status::parse(&f.status))
        .collect();
    inspection_may_close(&statuses, force).map_err(conflict)?;
    Ok(q::close(
        c,
        actor,
        i,
        force && !statuses.iter().all(|s| s.is_concluded()),
    )?)
}

pub(super) fn conflict(detail: &str) -> ApiError {
    ApiError::Conflict {
        detail: detail.to_owned(),
        errors: Default::default(),
    }
}
