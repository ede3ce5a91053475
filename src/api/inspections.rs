//! `/inspections` and `/findings`: inspection records, findings and their guarded
//! workflow (explanation → conclusion → corrective action → closed). A team sees and
//! writes only its own inspections; heads, hr and admins read those of their subtree; a
//! staff member sees and explains only their own findings.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use super::units::visible_unit;
use super::{BASE, blocking, created, local_time};
use crate::auth::AuthUser;
use crate::db::inspections::{self as q, FindingFields, FindingRow, InspectionRow, NewInspection};
use crate::db::{AnyConnection, Db};
use crate::domain::access::{Action, Actor};
use crate::domain::codes::{Role, StaffCategory};
use crate::domain::discipline::{Form, form_problem};
use crate::domain::findings::{Status, Step, inspection_may_close, next};
use crate::domain::text::nfc;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_inspection)
        .service(list_inspections)
        .service(get_inspection)
        .service(close_inspection)
        .service(add_finding)
        .service(explain)
        .service(decide)
        .service(close_finding)
        .service(overdue_findings);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InspectionKind {
    Surprise,
    Scheduled,
    Thematic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    LessSerious,
    Serious,
    VerySerious,
    EspeciallySerious,
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

fn view(i: InspectionRow, team: Vec<i64>, findings: Vec<FindingRow>) -> InspectionView {
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

/// What the caller may do with one inspection.
struct Access {
    member: bool,
    reader: bool,
    /// Staff who may see only the findings about themselves.
    own_staff: Option<i64>,
}

fn access(c: &mut AnyConnection, actor: &Actor, i: &InspectionRow) -> Result<Access, ApiError> {
    let team = q::team(c, i.id)?;
    let unit = crate::db::units::find(c, i.unit_id)?.ok_or(ApiError::NotFound)?;
    Ok(Access {
        member: team.contains(&actor.user_id)
            && actor.visibility(Action::Inspect).subtree(&unit.path),
        reader: actor
            .visibility(Action::ReadInspections)
            .subtree(&unit.path),
        own_staff: actor.staff_id,
    })
}

/// The findings of an inspection the caller may see; 404 when none and no other right.
fn visible(
    c: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> Result<(InspectionRow, Access, Vec<FindingRow>), ApiError> {
    let i = q::find(c, id)?.ok_or(ApiError::NotFound)?;
    let a = access(c, actor, &i)?;
    let all = q::findings_of(c, i.id)?;
    if a.member || a.reader {
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
    let read = auth.can(Action::ReadUnits);
    let inspect = auth.can(Action::Inspect);
    let actor = auth.id();
    let (row, team) = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let unit = visible_unit(c, &read, body.unit_id, "unit_id")?;
            if !inspect.subtree(&unit.path) {
                return Err(ApiError::Forbidden(
                    "inspections need the inspector or admin role over the unit",
                ));
            }
            let mut team: Vec<i64> = body.team.clone();
            team.push(actor);
            team.sort_unstable();
            team.dedup();
            for (i, user) in team.iter().enumerate() {
                let roles = crate::db::users::roles_of(c, *user)?;
                if !roles.iter().any(|r| {
                    Role::parse(&r.role).is_some_and(|r| matches!(r, Role::Inspector | Role::Admin))
                }) {
                    return Err(ApiError::field(
                        &format!("team[{i}]"),
                        "is not an inspector's account",
                    ));
                }
            }
            let text = |s: &Option<String>| s.as_deref().map(nfc).filter(|v| !v.is_empty());
            let row = q::insert(
                c,
                actor,
                &NewInspection {
                    province_id: unit.province_id,
                    unit_id: unit.id,
                    kind: serde_json::to_value(body.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
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
                    created_by: Some(actor),
                },
                &team,
            )?;
            Ok((row, team))
        })
    })
    .await?;
    Ok(created(
        format!("{BASE}/inspections/{}", row.id),
        &view(row, team, Vec::new()),
    ))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListInspections {
    /// Inspections of this unit and the units below it.
    pub unit_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/inspections", tag = "inspections", params(ListInspections),
    responses((status = 200, body = Vec<InspectionView>)), security(("bearer" = [])))]
#[get("/inspections")]
pub async fn list_inspections(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ListInspections>,
) -> Result<web::Json<Vec<InspectionView>>, ApiError> {
    let unit_id = query.unit_id;
    let actor = auth.actor.clone();
    let views = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let reader = actor.visibility(Action::ReadInspections);
            let units: Option<Vec<i64>> = match unit_id {
                Some(u) => Some(super::dossiers::subtree_units(c, &reader, u).unwrap_or_default()),
                None if reader.all => None,
                None => {
                    let mut ids = Vec::new();
                    for path in &reader.subtrees {
                        ids.extend(super::dossiers::ids_within(c, path)?);
                    }
                    Some(ids)
                }
            };
            let mut out = Vec::new();
            for i in q::list(c, units.as_deref(), actor.user_id)? {
                let team = q::team(c, i.id)?;
                let findings = q::findings_of(c, i.id)?;
                out.push(view(i, team, findings));
            }
            Ok::<_, ApiError>(out)
        })
    })
    .await?;
    Ok(web::Json(views))
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
            let (i, _, findings) = visible(c, &actor, id)?;
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
            let (i, a, findings) = visible(c, &actor, id)?;
            if !a.member {
                return Err(ApiError::Forbidden("only the inspection's team closes it"));
            }
            if i.status == "closed" {
                return Err(conflict("the inspection is already closed"));
            }
            let statuses: Vec<Status> = findings
                .iter()
                .filter_map(|f| Status::parse(&f.status))
                .collect();
            inspection_may_close(&statuses, force).map_err(conflict)?;
            let row = q::close(
                c,
                actor.user_id,
                &i,
                force && !statuses.iter().all(|s| s.is_concluded()),
            )?;
            let team = q::team(c, row.id)?;
            Ok(view(row, team, findings))
        })
    })
    .await?;
    Ok(web::Json(v))
}

fn conflict(detail: &str) -> ApiError {
    ApiError::Conflict {
        detail: detail.to_owned(),
        errors: Default::default(),
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFinding {
    /// A code of the violation catalogue (`GET /violation-types`).
    pub violation_code: String,
    pub observed_at: DateTime<FixedOffset>,
    /// The person concerned; omit for a finding about the unit as a whole.
    pub staff_id: Option<i64>,
    #[validate(length(min = 1, max = 5000))]
    pub description: String,
    pub severity: Option<Severity>,
    /// Days given to explain (default 5).
    #[validate(range(min = 1, max = 60))]
    pub explanation_days: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/inspections/{id}/findings", tag = "inspections", request_body = CreateFinding,
    responses((status = 201, body = FindingView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/inspections/{id}/findings")]
pub async fn add_finding(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<CreateFinding>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.0;
    let actor = auth.actor.clone();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let (i, a, _) = visible(c, &actor, id)?;
            if !a.member {
                return Err(ApiError::Forbidden(
                    "only the inspection's team records findings",
                ));
            }
            if i.status == "closed" {
                return Err(conflict("the inspection is closed"));
            }
            let known = crate::db::violation_types::list(c, Some(&[i.province_id]))?;
            if !known.iter().any(|t| t.code == body.violation_code) {
                return Err(ApiError::field(
                    "violation_code",
                    "is not in the violation catalogue",
                ));
            }
            let unit = crate::db::units::find(c, i.unit_id)?.ok_or(ApiError::NotFound)?;
            let (unit_id, staff_id) = match body.staff_id {
                Some(sid) => match crate::db::staff::find_with_path(c, sid)? {
                    Some((s, path)) if crate::domain::units::in_subtree(&path, &unit.path) => {
                        (s.unit_id, Some(s.id))
                    }
                    _ => {
                        return Err(ApiError::field(
                            "staff_id",
                            "no such staff member in the inspected unit",
                        ));
                    }
                },
                None => (unit.id, None),
            };
            let status = crate::domain::findings::initial(staff_id.is_some());
            let severity = body
                .severity
                .and_then(|s| serde_json::to_value(s).ok())
                .and_then(|v| v.as_str().map(str::to_owned));
            Ok(q::insert_finding(
                c,
                actor.user_id,
                &FindingFields {
                    province_id: i.province_id,
                    inspection_id: i.id,
                    unit_id,
                    staff_id,
                    violation_code: body.violation_code.clone(),
                    observed_at: body.observed_at.naive_utc(),
                    description: nfc(&body.description),
                    severity,
                    status: status.code().to_owned(),
                    explanation_due_at: Some(
                        crate::db::now() + Duration::days(body.explanation_days.unwrap_or(5)),
                    ),
                    explanation: None,
                    explained_at: None,
                    explained_by: None,
                    outcome: None,
                    action: None,
                    action_due_at: None,
                    discipline_form: None,
                    decided_at: None,
                    decided_by: None,
                },
            )?)
        })
    })
    .await?;
    Ok(created(
        format!("{BASE}/findings/{}", row.id),
        &FindingView::from(row),
    ))
}

/// A finding with what the caller may do with it: (finding, team member, reader).
fn finding_access(
    c: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> Result<(FindingRow, Access), ApiError> {
    let f = q::find_finding(c, id)?.ok_or(ApiError::NotFound)?;
    let (_, a, visible_findings) = visible(c, actor, f.inspection_id)?;
    if !visible_findings.iter().any(|v| v.id == f.id) {
        return Err(ApiError::NotFound);
    }
    Ok((f, a))
}

fn step(f: &FindingRow, s: Step) -> Result<Status, ApiError> {
    let from = Status::parse(&f.status).unwrap_or(Status::Open);
    next(from, s).map_err(conflict)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Explanation {
    #[validate(length(min = 1, max = 10000))]
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/findings/{id}/explanation", tag = "inspections", request_body = Explanation,
    responses((status = 200, body = FindingView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/findings/{id}/explanation")]
pub async fn explain(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<Explanation>,
) -> Result<web::Json<FindingView>, ApiError> {
    let id = id.into_inner();
    let text = nfc(&body.text);
    let actor = auth.actor.clone();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let (f, _) = finding_access(c, &actor, id)?;
            // The person explains their own finding; the unit's head explains one about
            // the unit as a whole.
            let allowed = match f.staff_id {
                Some(sid) => actor.staff_id == Some(sid),
                None => {
                    let unit = crate::db::units::find(c, f.unit_id)?.ok_or(ApiError::NotFound)?;
                    actor.grants.iter().any(|g| {
                        g.role == Role::UnitHead
                            && g.unit_path
                                .as_deref()
                                .is_some_and(|p| crate::domain::units::in_subtree(&unit.path, p))
                    })
                }
            };
            if !allowed {
                return Err(ApiError::Forbidden(
                    "a finding is explained by the person it is about, or by the unit's head",
                ));
            }
            let status = step(&f, Step::Explain)?;
            let fields = FindingFields {
                status: status.code().to_owned(),
                explanation: Some(text),
                explained_at: Some(crate::db::now()),
                explained_by: Some(actor.user_id),
                ..f.fields()
            };
            Ok(q::update_finding(c, actor.user_id, "explain", &f, &fields)?)
        })
    })
    .await?;
    Ok(web::Json(row.into()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Upheld,
    Dismissed,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub outcome: Outcome,
    /// Corrective action required of the unit or person (upheld findings only).
    #[validate(length(min = 1, max = 5000))]
    pub action: Option<String>,
    pub action_due: Option<NaiveDate>,
    /// The disciplinary form the team recommends, checked against the person's category
    /// and the regime in force today.
    pub discipline_form: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/findings/{id}/decision", tag = "inspections", request_body = Decision,
    responses((status = 200, body = FindingView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/findings/{id}/decision")]
pub async fn decide(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<Decision>,
) -> Result<web::Json<FindingView>, ApiError> {
    let id = id.into_inner();
    let body = body.0;
    let actor = auth.actor.clone();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let (f, a) = finding_access(c, &actor, id)?;
            if !a.member {
                return Err(ApiError::Forbidden(
                    "only the inspection's team concludes findings",
                ));
            }
            let upheld = body.outcome == Outcome::Upheld;
            let mut status = step(&f, if upheld { Step::Uphold } else { Step::Dismiss })?;
            if !upheld && (body.action.is_some() || body.discipline_form.is_some()) {
                return Err(ApiError::field(
                    "outcome",
                    "a dismissed finding takes no action or discipline",
                ));
            }
            if body.action.is_some() {
                status = next(status, Step::RequireAction).map_err(conflict)?;
            }
            if let Some(code) = &body.discipline_form {
                let form = Form::parse(code).ok_or_else(|| {
                    ApiError::field("discipline_form", "is not a disciplinary form")
                })?;
                let person = match f.staff_id {
                    Some(sid) => crate::db::staff::find(c, sid)?.ok_or(ApiError::NotFound)?,
                    None => {
                        return Err(ApiError::field(
                            "discipline_form",
                            "a finding about the unit takes no personal discipline",
                        ));
                    }
                };
                let category =
                    StaffCategory::parse(&person.category).unwrap_or(StaffCategory::Contract);
                let today = crate::domain::attendance::to_local(crate::db::now()).date();
                if let Some(why) = form_problem(form, category, person.is_head, today) {
                    return Err(ApiError::field("discipline_form", why));
                }
            }
            let fields = FindingFields {
                status: status.code().to_owned(),
                outcome: Some(if upheld { "upheld" } else { "dismissed" }.to_owned()),
                action: body.action.as_deref().map(nfc),
                action_due_at: body
                    .action_due
                    .and_then(|d| d.and_hms_opt(23, 59, 59))
                    .map(crate::domain::attendance::to_utc),
                discipline_form: body.discipline_form.clone(),
                decided_at: Some(crate::db::now()),
                decided_by: Some(actor.user_id),
                ..f.fields()
            };
            Ok(q::update_finding(c, actor.user_id, "decide", &f, &fields)?)
        })
    })
    .await?;
    Ok(web::Json(row.into()))
}

#[utoipa::path(post, path = "/api/v1/findings/{id}/close", tag = "inspections",
    responses((status = 200, body = FindingView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/findings/{id}/close")]
pub async fn close_finding(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<FindingView>, ApiError> {
    let id = id.into_inner();
    let actor = auth.actor.clone();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let (f, a) = finding_access(c, &actor, id)?;
            if !a.member {
                return Err(ApiError::Forbidden(
                    "only the inspection's team closes findings",
                ));
            }
            let status = step(&f, Step::Close)?;
            let fields = FindingFields {
                status: status.code().to_owned(),
                ..f.fields()
            };
            Ok(q::update_finding(c, actor.user_id, "close", &f, &fields)?)
        })
    })
    .await?;
    Ok(web::Json(row.into()))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OverdueFindings {
    /// Only the findings of this unit and the units below it.
    pub unit_id: Option<i64>,
}

/// Findings whose explanation or corrective action is overdue: for the team, those of its
/// inspections; for heads, hr and admins, those of their subtree; for a staff member,
/// their own.
#[utoipa::path(get, path = "/api/v1/findings/overdue", tag = "inspections", params(OverdueFindings),
    responses((status = 200, body = Vec<FindingView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/findings/overdue")]
pub async fn overdue_findings(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<OverdueFindings>,
) -> Result<web::Json<Vec<FindingView>>, ApiError> {
    let unit_id = query.unit_id;
    let actor = auth.actor.clone();
    let rows = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let reader = actor.visibility(Action::ReadInspections);
            let units: Option<Vec<i64>> = match unit_id {
                Some(u) => Some(super::dossiers::subtree_units(c, &reader, u)?),
                None if reader.all => None,
                None => {
                    let mut ids = Vec::new();
                    for path in &reader.subtrees {
                        ids.extend(super::dossiers::ids_within(c, path)?);
                    }
                    Some(ids)
                }
            };
            let mut rows = q::waiting_findings(c, units.as_deref(), actor.user_id)?;
            if let Some(own) = actor.staff_id {
                let mine = crate::db::inspections::findings_of_staff(c, own)?;
                rows.extend(mine);
            }
            rows.sort_by_key(|f| f.id);
            rows.dedup_by_key(|f| f.id);
            Ok::<_, ApiError>(rows)
        })
    })
    .await?;
    let now = crate::db::now();
    let overdue = rows
        .into_iter()
        .filter(|f| {
            let status = Status::parse(&f.status).unwrap_or(Status::Open);
            crate::domain::findings::explanation_overdue(status, f.explanation_due_at, now)
                || crate::domain::findings::action_overdue(status, f.action_due_at, now)
        })
        .map(FindingView::from)
        .collect();
    Ok(web::Json(overdue))
}
