//! `/disputes`: an officer disputes one of their late dossier steps (with a reason, then
//! evidence files), within `onestop.dispute_window_days` of the step; their unit head
//! (the next level up when the officer is the head) accepts or rejects it with a reason,
//! within `onestop.dispute_decision_days`. Accepted disputes take the step out of the late
//! count and out of the violation register, never out of the record. Officers see their
//! own disputes; heads, HR and admins those of their subtree. Every step is audited.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use super::{BASE, PageParams, Paged, blocking, local_now, local_time};
use crate::auth::AuthUser;
use crate::db::disputes::{
    self as q, DisputeEvidenceRow, DisputeFilter, DisputeRow, NewDispute, NewDisputeEvidence,
};
use crate::db::{AnyConnection, Db};
use crate::domain::access::{Action, Actor, Visibility};
use crate::domain::disputes::{DisputeStatus, may_decide, raise_refusal, window_start};
use crate::domain::text::nfc;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(raise)
        .service(list)
        .service(get_one)
        .service(decide)
        .service(upload)
        .service(list_evidence)
        .service(download);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeEvidenceView {
    pub id: i64,
    pub sha256: String,
    pub size_bytes: i64,
    pub content_type: String,
    pub filename: Option<String>,
    pub uploaded_by: i64,
    pub uploaded_at: DateTime<FixedOffset>,
    pub download: String,
}

impl From<DisputeEvidenceRow> for DisputeEvidenceView {
    fn from(e: DisputeEvidenceRow) -> Self {
        DisputeEvidenceView {
            download: format!("{BASE}/disputes/{}/evidence/{}", e.dispute_id, e.id),
            id: e.id,
            sha256: e.sha256,
            size_bytes: e.size_bytes,
            content_type: e.content_type,
            filename: e.filename,
            uploaded_by: e.uploaded_by,
            uploaded_at: local_time(e.uploaded_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeView {
    pub id: i64,
    pub dossier_id: i64,
    pub step_id: i64,
    pub staff_id: i64,
    /// The step's unit (the officer's on the step's day), whose line decides.
    pub unit_id: i64,
    pub reason: String,
    pub status: DisputeStatus,
    pub status_label: &'static str,
    pub raised_by: i64,
    pub raised_at: DateTime<FixedOffset>,
    /// The head decides by then.
    pub decide_by: DateTime<FixedOffset>,
    /// Pending past `decide_by`.
    pub overdue: bool,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<FixedOffset>>,
    pub decision_reason: Option<String>,
}

impl DisputeView {
    fn new(d: DisputeRow, now_utc: NaiveDateTime) -> Self {
        let status = d.status();
        DisputeView {
            overdue: status == DisputeStatus::Pending && now_utc > d.decide_by,
            id: d.id,
            dossier_id: d.dossier_id,
            step_id: d.step_id,
            staff_id: d.staff_id,
            unit_id: d.unit_id,
            reason: d.reason,
            status,
            status_label: status.label(),
            raised_by: d.raised_by,
            raised_at: local_time(d.raised_at),
            decide_by: local_time(d.decide_by),
            decided_by: d.decided_by,
            decided_at: d.decided_at.map(local_time),
            decision_reason: d.decision_reason,
        }
    }
}

/// The dispute with its unit's path (the step's unit), when the caller may see it: their
/// own, or in a subtree they read disputes of.
fn visible(
    c: &mut AnyConnection,
    actor: &Actor,
    read: &Visibility,
    id: i64,
) -> Result<(DisputeRow, String), ApiError> {
    let d = q::find(c, id)?.ok_or(ApiError::NotFound)?;
    let path = crate::db::units::find(c, d.unit_id)?
        .map(|u| u.path)
        .ok_or(ApiError::NotFound)?;
    if actor.staff_id == Some(d.staff_id) || read.staff(d.staff_id, &path) {
        Ok((d, path))
    } else {
        Err(ApiError::NotFound)
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDisputeBody {
    /// The late step (`steps[].id` in `GET /dossiers`).
    pub step_id: i64,
    /// Why the step was late only in the system (the paper file was done on time …).
    #[validate(length(min = 1, max = 4000))]
    pub reason: String,
}

/// Raises a dispute of one's own late step; attach evidence next
/// (`POST /disputes/{id}/evidence`).
#[utoipa::path(post, path = "/api/v1/disputes", tag = "disputes", request_body = NewDisputeBody,
    responses((status = 201, body = DisputeView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/disputes")]
pub async fn raise(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<NewDisputeBody>,
) -> Result<HttpResponse, ApiError> {
    let NewDisputeBody { step_id, reason } = body.0;
    let reason = nfc(&reason);
    if reason.is_empty() {
        return Err(ApiError::field("reason", "must not be blank"));
    }
    let actor = auth.actor.clone();
    let read = auth.can(Action::ReadStaff);
    let settings = state.onestop.clone();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            // Only one who sees the step (or handled it) waits for the feeds' turn; what
            // is read after it is read afresh.
            let (_, path) = crate::db::dossiers::of_step(c, step_id)?.ok_or(ApiError::NotFound)?;
            let handler = crate::db::dossiers::step_staff(c, step_id)?;
            if !read.subtree(&path) && (handler.is_none() || handler != actor.staff_id) {
                return Err(ApiError::NotFound);
            }
            crate::db::dossiers::take_turn_for_step(c, step_id)?;
            let (dossier, unit_path) =
                crate::db::dossiers::of_step(c, step_id)?.ok_or(ApiError::NotFound)?;
            let steps = crate::db::dossiers::with_steps(c, vec![dossier.clone()])?
                .pop()
                .map(|(_, s)| s)
                .unwrap_or_default();
            let step = steps
                .iter()
                .find(|s| s.id == step_id)
                .ok_or(ApiError::NotFound)?;
            let Some(officer) = step.staff_id.filter(|id| actor.staff_id == Some(*id)) else {
                return Err(if read.subtree(&unit_path) {
                    ApiError::Forbidden("a step is disputed by the officer who handled it")
                } else {
                    ApiError::NotFound
                });
            };
            if q::of_step(c, step_id)?.is_some() {
                return Err(ApiError::conflict(
                    "step_id",
                    "this step has been disputed already",
                ));
            }
            let now = local_now();
            let rules = dossier.rules(&steps);
            let outcome = rules
                .step_outcomes(now)
                .into_iter()
                .find(|(no, _)| *no == step.step_no)
                .map(|(_, o)| o)
                .unwrap_or(crate::domain::dossiers::Outcome::Pending);
            // The window runs from the deadline the rules judged the step by (moved by
            // the supplement pauses), not the raw one.
            let end = window_start(&rules, step.step_no);
            if let Some(why) = raise_refusal(outcome, end, now, settings.dispute_window_days) {
                return Err(ApiError::conflict("step_id", why));
            }
            let (staff, officer_path) =
                crate::db::staff::find_with_path(c, officer)?.ok_or(ApiError::NotFound)?;
            // The step's unit, where its lateness is registered, decides: the heads the
            // officer worked under then, not those of a unit they moved to since.
            let (unit_id, unit_path) = match step.unit_id.filter(|u| *u != staff.unit_id) {
                Some(u) => match crate::db::units::find(c, u)? {
                    Some(unit) => (unit.id, unit.path),
                    None => (staff.unit_id, officer_path),
                },
                None => (staff.unit_id, officer_path),
            };
            let stamp = crate::db::now();
            let row = q::insert(
                c,
                &NewDispute {
                    province_id: dossier.province_id,
                    dossier_id: dossier.id,
                    step_id,
                    staff_id: officer,
                    unit_id,
                    reason: reason.clone(),
                    status: DisputeStatus::Pending.code().to_owned(),
                    raised_by: actor.user_id,
                    raised_at: stamp,
                    decide_by: stamp + Duration::days(settings.dispute_decision_days),
                },
            )?;
            q::tell_deciders(c, &row, &staff, &unit_path, &dossier, step, stamp)?;
            Ok(row)
        })
    })
    .await?;
    let view = DisputeView::new(row, crate::db::now());
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("{BASE}/disputes/{}", view.id)))
        .json(view))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DisputeQuery {
    pub status: Option<DisputeStatus>,
    /// Disputes of steps of this unit and the units below it (the officer's unit on the
    /// step's day).
    pub unit_id: Option<i64>,
    pub staff_id: Option<i64>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

/// Disputes, newest first: one's own, and for heads, HR and admins their subtree's
/// (`?status=pending` is what waits for a decision).
#[utoipa::path(get, path = "/api/v1/disputes", tag = "disputes", params(DisputeQuery),
    responses((status = 200, body = Paged<DisputeView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/disputes")]
pub async fn list(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<DisputeQuery>,
) -> Result<web::Json<Paged<DisputeView>>, ApiError> {
    let query = query.0;
    let page = PageParams {
        page: query.page,
        per_page: query.per_page,
    };
    let actor = auth.actor.clone();
    let read = auth.can(Action::ReadDisputes);
    let rows = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let unit_ids = match query.unit_id {
                Some(id) => Some(super::dossiers::subtree_units(c, &read, id)?),
                None => None,
            };
            let filter = DisputeFilter {
                status: query.status,
                unit_ids,
                staff_id: query.staff_id,
            };
            let mut paths = std::collections::HashMap::new();
            let mut out = Vec::new();
            for d in q::list(c, &filter)? {
                if let std::collections::hash_map::Entry::Vacant(e) = paths.entry(d.unit_id) {
                    e.insert(crate::db::units::find(c, d.unit_id)?.map(|u| u.path));
                }
                let seen = actor.staff_id == Some(d.staff_id)
                    || paths[&d.unit_id]
                        .as_deref()
                        .is_some_and(|p| read.staff(d.staff_id, p));
                if seen {
                    out.push(d);
                }
            }
            Ok::<_, ApiError>(out)
        })
    })
    .await?;
    let now = crate::db::now();
    Ok(web::Json(super::paginate(rows, &page, |d| {
        DisputeView::new(d, now)
    })))
}

#[utoipa::path(get, path = "/api/v1/disputes/{id}", tag = "disputes",
    responses((status = 200, body = DisputeView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/disputes/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<DisputeView>, ApiError> {
    let id = id.into_inner();
    let actor = auth.actor.clone();
    let read = auth.can(Action::ReadDisputes);
    let (row, _) = blocking(&state, move |db: &Db| {
        db.read(|c| visible(c, &actor, &read, id))
    })
    .await?;
    Ok(web::Json(DisputeView::new(row, crate::db::now())))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Accepted,
    Rejected,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub outcome: Decision,
    #[validate(length(min = 1, max = 4000))]
    pub reason: String,
}

/// The head's decision, with a reason. Accepted: the step no longer counts as late (nor
/// in the violation register); rejected: it stands. Decided once.
#[utoipa::path(post, path = "/api/v1/disputes/{id}/decision", tag = "disputes", request_body = DecisionBody,
    responses((status = 200, body = DisputeView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/disputes/{id}/decision")]
pub async fn decide(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<DecisionBody>,
) -> Result<web::Json<DisputeView>, ApiError> {
    let id = id.into_inner();
    let DecisionBody { outcome, reason } = body.0;
    let reason = nfc(&reason);
    if reason.is_empty() {
        return Err(ApiError::field("reason", "must not be blank"));
    }
    let actor = auth.actor.clone();
    let read = auth.can(Action::ReadDisputes);
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let (d, path) = visible(c, &actor, &read, id)?;
            crate::db::dossiers::take_turn_for_step(c, d.step_id)?;
            let (officer, own_path) =
                crate::db::staff::find_with_path(c, d.staff_id)?.ok_or(ApiError::NotFound)?;
            // The unit the officer heads now, when it is the step's or one above it (a
            // promotion since): its heads and those below are theirs to run, not to judge
            // them.
            let heads = (officer.is_head && crate::domain::units::in_subtree(&path, &own_path))
                .then_some(own_path.as_str());
            let decider = actor.staff_id != Some(d.staff_id)
                && actor.grants.iter().any(|g| may_decide(g, &path, heads));
            if !decider {
                return Err(ApiError::Forbidden(
                    "a dispute is decided by a head of the step's unit (the next level up for its head)",
                ));
            }
            if d.status() != DisputeStatus::Pending {
                return Err(ApiError::conflict("outcome", "this dispute has been decided"));
            }
            let status = match outcome {
                Decision::Accepted => DisputeStatus::Accepted,
                Decision::Rejected => DisputeStatus::Rejected,
            };
            let step = crate::db::dossiers::step_staff(c, d.step_id)?;
            if step != Some(d.staff_id) {
                return Err(ApiError::conflict(
                    "outcome",
                    "the step has been attributed to someone else since it was disputed",
                ));
            }
            let row = q::decide(c, &d, status, actor.user_id, &reason)?
                .ok_or_else(|| ApiError::conflict("outcome", "this dispute has been decided"))?;
            if let Some(dossier) = crate::db::dossiers::find_by_id(c, d.dossier_id)? {
                crate::db::dossiers::sync_late_steps(c, &dossier, local_now())?;
            }
            Ok(row)
        })
    })
    .await?;
    Ok(web::Json(DisputeView::new(row, crate::db::now())))
}

/// Attaches an evidence file (a scan of the paper file's hand-over slip, …): by the
/// officer, while the dispute is pending. Multipart, one part named `file`.
#[utoipa::path(post, path = "/api/v1/disputes/{id}/evidence", tag = "disputes",
    request_body(content_type = "multipart/form-data", description = "one part named `file`"),
    responses((status = 201, body = DisputeEvidenceView), (status = 200, body = DisputeEvidenceView),
              (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 413, body = crate::error::Problem),
              (status = 415, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/disputes/{id}/evidence")]
pub async fn upload(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let mut payload = super::evidence::bounded(&req, payload, state.evidence.max_bytes);
    let id = id.into_inner();
    let actor = auth.actor.clone();
    let read = auth.can(Action::ReadDisputes);
    let attachable = move |c: &mut AnyConnection, actor: &Actor| -> Result<DisputeRow, ApiError> {
        let (d, _) = visible(c, actor, &read, id)?;
        if actor.staff_id != Some(d.staff_id) {
            return Err(ApiError::Forbidden(
                "evidence is added by the officer who disputes",
            ));
        }
        if d.status() != DisputeStatus::Pending {
            return Err(ApiError::conflict("file", "this dispute has been decided"));
        }
        Ok(d)
    };
    let check = actor.clone();
    let first = attachable.clone();
    blocking(&state, move |db: &Db| {
        db.read(|c| first(c, &check).map(|_| ()))
    })
    .await?;
    let (filename, bytes) =
        super::evidence::read_file(&mut payload, state.evidence.max_bytes).await?;
    let store = state.evidence.clone();
    let (row, new) = blocking(&state, move |db: &Db| {
        let stored = super::evidence::store_file(&store, &bytes)?;
        db.write(|c| {
            // The decision takes the step's turn too: once it is ours, a decision made
            // meanwhile has committed and is read here, so no file lands after it.
            let d = attachable(c, &actor)?;
            crate::db::dossiers::take_turn_for_step(c, d.step_id)?;
            let d = attachable(c, &actor)?;
            Ok(q::attach(
                c,
                &d,
                &NewDisputeEvidence {
                    province_id: d.province_id,
                    dispute_id: d.id,
                    sha256: stored.sha256.clone(),
                    size_bytes: stored.size as i64,
                    content_type: stored.content_type.to_owned(),
                    filename: filename.clone(),
                    uploaded_by: actor.user_id,
                },
            )?)
        })
    })
    .await?;
    let view = DisputeEvidenceView::from(row);
    let location = view.download.clone();
    Ok(super::evidence::attached(view, location, new))
}

#[utoipa::path(get, path = "/api/v1/disputes/{id}/evidence", tag = "disputes",
    responses((status = 200, body = Vec<DisputeEvidenceView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/disputes/{id}/evidence")]
pub async fn list_evidence(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<DisputeEvidenceView>>, ApiError> {
    let id = id.into_inner();
    let actor = auth.actor.clone();
    let read = auth.can(Action::ReadDisputes);
    let rows = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let (d, _) = visible(c, &actor, &read, id)?;
            Ok::<_, ApiError>(q::evidence_of(c, d.id)?)
        })
    })
    .await?;
    Ok(web::Json(
        rows.into_iter().map(DisputeEvidenceView::from).collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/disputes/{id}/evidence/{evidence_id}", tag = "disputes",
    responses((status = 200, description = "the file, as an attachment"), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/disputes/{id}/evidence/{evidence_id}")]
pub async fn download(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, evidence_id) = path.into_inner();
    let actor = auth.actor.clone();
    let read = auth.can(Action::ReadDisputes);
    let store = state.evidence.clone();
    let (row, bytes) = blocking(&state, move |db: &Db| {
        let row = db.read(|c| {
            let (d, _) = visible(c, &actor, &read, id)?;
            q::evidence_of(c, d.id)?
                .into_iter()
                .find(|e| e.id == evidence_id)
                .ok_or(ApiError::NotFound)
        })?;
        let bytes = super::evidence::read_stored(&store, &row.sha256, row.id)?;
        Ok((row, bytes))
    })
    .await?;
    let name = row
        .filename
        .clone()
        .unwrap_or_else(|| format!("evidence-{}", row.id));
    Ok(super::evidence::file_response(
        name,
        &row.content_type,
        &row.sha256,
        bytes,
    ))
}
