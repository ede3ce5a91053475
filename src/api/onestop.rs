//! `/onestop`: the national portal's synchronisation feed (`DongBoHoSoMC` dossiers with
//! their processing logs, `CapNhatTienDoHoSoMC` log entries), posted by the one-stop
//! system or uploaded as an export file; the handlers kept aside; and the mapping of
//! handlers to staff (accounts, aliases, single steps), which attributes their steps
//! retroactively.

use actix_multipart::Multipart;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::attendance::visible_person;
use super::extract::{ValidJson, ValidQuery, parse_json_rows};
use super::{PageParams, Paged, blocking, local_now, local_time};
use crate::auth::AuthUser;
use crate::db::onestop::handles::{self, HandleRow};
use crate::db::{AnyConnection, Db};
use crate::domain::access::Action;
use crate::domain::onestop::{HandlerIssue, MatchedBy, handle_key};
use crate::error::ApiError;
use crate::import::onestop::{FeedReport, import_dossiers, import_progress, items};
use crate::startup::AppState;

/// A feed or an export: the portal's exports of a province-month run to tens of MB.
const MAX_FEED_BYTES: usize = 64 * 1024 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/onestop/dossiers")
            .app_data(web::PayloadConfig::new(MAX_FEED_BYTES))
            .route(web::post().to(post_dossiers)),
    )
    .service(
        web::resource("/onestop/progress")
            .app_data(web::PayloadConfig::new(MAX_FEED_BYTES))
            .route(web::post().to(post_progress)),
    )
    .service(unmatched)
    .service(list_handles)
    .service(add_handle)
    .service(remove_handle)
    .service(attribute_step);
}

/// The feed's items from a JSON body, or from an export file uploaded as
/// `multipart/form-data` (part `file`, UTF-8 or BOM-marked UTF-16 JSON).
async fn feed_items(
    req: &HttpRequest,
    body: web::Bytes,
) -> Result<Vec<serde_json::Value>, ApiError> {
    let mime = req.mime_type().ok().flatten();
    let json = match mime
        .as_ref()
        .map(|m| (m.type_().as_str(), m.subtype().as_str()))
    {
        Some(("application", "json")) => body.to_vec(),
        Some(("multipart", "form-data")) => {
            let stream =
                futures_util::stream::once(
                    async move { Ok::<_, actix_web::error::PayloadError>(body) },
                );
            let mut parts = Multipart::new(req.headers(), stream);
            let (_, bytes) = super::evidence::read_file(&mut parts, MAX_FEED_BYTES).await?;
            crate::import::decode(&bytes, None)
                .map_err(|e| ApiError::field("file", e))?
                .into_bytes()
        }
        _ => {
            return Err(ApiError::UnsupportedMediaType(
                "send application/json, or the export file as multipart/form-data".into(),
            ));
        }
    };
    // Each dossier or entry checks its own text (`import::onestop`).
    let value: serde_json::Value = parse_json_rows(&json)?;
    items(value).map_err(|e| ApiError::field("body", e))
}

/// `DongBoHoSoMC`: dossiers with their processing logs (`QuaTrinhXuLy`), in the portal's
/// field names and either of its date forms; one dossier, a list, or `{"data": [...]}`,
/// or an export file. Idempotent: a dossier or entry sent again changes nothing. Bad
/// dossiers are reported and the good ones kept; handlers that fit nobody are kept aside.
#[utoipa::path(post, path = "/api/v1/onestop/dossiers", tag = "onestop",
    request_body(content = Object, description = "JSON, or multipart/form-data with the export in part `file`"),
    responses((status = 200, body = FeedReport), (status = 403, body = crate::error::Problem),
              (status = 415, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn post_dossiers(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<FeedReport>, ApiError> {
    feed(state, auth, req, body, false).await
}

/// `CapNhatTienDoHoSoMC`: processing-log entries of dossiers already sent, each with its
/// `MaHoSo`. Entries of one dossier are checked together.
#[utoipa::path(post, path = "/api/v1/onestop/progress", tag = "onestop",
    request_body(content = Object, description = "log entries: one, a list, or {\"data\": [...]}"),
    responses((status = 200, body = FeedReport), (status = 403, body = crate::error::Problem),
              (status = 415, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn post_progress(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<FeedReport>, ApiError> {
    feed(state, auth, req, body, true).await
}

async fn feed(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    body: web::Bytes,
    progress: bool,
) -> Result<web::Json<FeedReport>, ApiError> {
    let scope = auth.can(Action::ImportDossiers);
    if scope.is_empty() {
        return Err(ApiError::Forbidden(
            "the one-stop feed needs the admin or hr role",
        ));
    }
    let list = feed_items(&req, body).await?;
    let settings = state.onestop.clone();
    let actor = (Some(auth.id()), auth.actor.staff_id);
    let report = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let now = local_now();
            Ok::<_, ApiError>(if progress {
                import_progress(c, &scope, &settings, actor, &list, now)?
            } else {
                import_dossiers(c, &scope, &settings, actor, &list, now)?
            })
        })
    })
    .await?;
    Ok(web::Json(report))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Candidate {
    pub staff_id: i64,
    pub full_name: String,
    pub unit_id: i64,
}

/// A handler the feed names that fits nobody, or several people.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedView {
    /// The unit whose dossiers name the handler (matching looks within it).
    pub unit_id: i64,
    pub account: Option<String>,
    pub name: Option<String>,
    pub reason: HandlerIssue,
    pub steps: usize,
    /// The steps, to attribute one by one when an account or alias cannot tell.
    pub step_ids: Vec<i64>,
    pub first_at: Option<DateTime<FixedOffset>>,
    pub last_at: Option<DateTime<FixedOffset>>,
    /// For an ambiguous name: the people it fits.
    pub candidates: Vec<Candidate>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UnmatchedQuery {
    /// Only dossiers of this unit and the units below it.
    pub unit_id: Option<i64>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

/// The handlers kept aside, most steps first: map each with an account or alias on a
/// staff member (`POST /staff/{id}/onestop-handles`), or attribute steps one by one.
#[utoipa::path(get, path = "/api/v1/onestop/handlers/unmatched", tag = "onestop", params(UnmatchedQuery),
    responses((status = 200, body = Paged<UnmatchedView>), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/onestop/handlers/unmatched")]
pub async fn unmatched(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<UnmatchedQuery>,
) -> Result<web::Json<Paged<UnmatchedView>>, ApiError> {
    let read = auth.can(Action::ImportDossiers);
    if read.is_empty() {
        return Err(ApiError::Forbidden(
            "the handlers kept aside are for admin and hr",
        ));
    }
    let UnmatchedQuery {
        unit_id: within,
        page,
        per_page,
    } = query.0;
    let page = PageParams { page, per_page };
    let views = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let root = match within {
                Some(id) => match crate::db::units::find(c, id)? {
                    Some(u) if read.subtree(&u.path) => Some(u.path),
                    _ => return Err(ApiError::NotFound),
                },
                None => None,
            };
            let mut groups = handles::aside(c, |path| {
                read.subtree(path)
                    && root
                        .as_deref()
                        .is_none_or(|r| crate::domain::units::in_subtree(path, r))
            })?;
            // Most steps first; the namesakes are looked up for the page's groups only.
            groups.sort_by_key(|g| std::cmp::Reverse(g.step_ids.len()));
            let (shown, total) = page.window(groups);
            let mut out = Vec::with_capacity(shown.len());
            for g in shown {
                let candidates = match (&g.issue, &g.name) {
                    (HandlerIssue::Ambiguous, Some(name)) => {
                        let steps = (g.first_at, g.last_at);
                        handles::namesakes(c, g.province_id, &g.unit_path, name, steps)?
                            .into_iter()
                            .map(|(staff_id, full_name, unit_id)| Candidate {
                                staff_id,
                                full_name,
                                unit_id,
                            })
                            .collect()
                    }
                    _ => Vec::new(),
                };
                out.push(UnmatchedView {
                    unit_id: g.unit_id,
                    account: g.account,
                    name: g.name,
                    reason: g.issue,
                    steps: g.step_ids.len(),
                    step_ids: g.step_ids,
                    first_at: g.first_at.map(local_time),
                    last_at: g.last_at.map(local_time),
                    candidates,
                });
            }
            Ok(Paged::new(out, total, &page))
        })
    })
    .await?;
    Ok(web::Json(views))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandleView {
    pub id: i64,
    pub staff_id: i64,
    /// `account` or `alias`.
    pub kind: String,
    pub value: String,
    pub created_at: DateTime<FixedOffset>,
}

impl From<HandleRow> for HandleView {
    fn from(h: HandleRow) -> Self {
        HandleView {
            id: h.id,
            staff_id: h.staff_id,
            kind: h.kind,
            value: h.display,
            created_at: local_time(h.created_at),
        }
    }
}

/// A staff member's one-stop accounts and name aliases.
#[utoipa::path(get, path = "/api/v1/staff/{id}/onestop-handles", tag = "onestop",
    responses((status = 200, body = Vec<HandleView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/staff/{id}/onestop-handles")]
pub async fn list_handles(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<HandleView>>, ApiError> {
    let id = id.into_inner();
    let read = auth.can(Action::ReadStaff);
    let rows = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let person = visible_person(c, &read, id)?;
            Ok::<_, ApiError>(handles::of_staff(c, person.staff.id)?)
        })
    })
    .await?;
    Ok(web::Json(rows.into_iter().map(HandleView::from).collect()))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHandle {
    /// `account` (the one-stop login, `TaiKhoanXuLy`) or `alias` (a spelling of the
    /// name, `NguoiXuLy`).
    #[validate(custom(function = "kind_code"))]
    pub kind: String,
    #[validate(length(min = 1, max = 200))]
    pub value: String,
}

fn kind_code(kind: &str) -> Result<(), validator::ValidationError> {
    match kind {
        "account" | "alias" => Ok(()),
        _ => {
            Err(validator::ValidationError::new("kind")
                .with_message("must be account or alias".into()))
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandleAdded {
    pub handle: HandleView,
    /// Steps kept aside that this mapping (with the others) now attributes.
    pub attributed: u64,
}

/// Maps a one-stop account or a name alias to a staff member, and attributes the steps
/// kept aside that now fit one person (retroactively, audited). An account is one
/// person's; an alias may be shared, and a shared one decides nothing.
#[utoipa::path(post, path = "/api/v1/staff/{id}/onestop-handles", tag = "onestop", request_body = NewHandle,
    responses((status = 201, body = HandleAdded), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/staff/{id}/onestop-handles")]
pub async fn add_handle(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<NewHandle>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let read = auth.can(Action::ReadStaff);
    let map = auth.can(Action::MapHandlers);
    let actor = auth.id();
    let own = auth.actor.staff_id;
    let NewHandle { kind, value } = body.0;
    if handle_key(&value).is_empty() {
        return Err(ApiError::field("value", "must not be blank"));
    }
    let added = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let person = visible_person(c, &read, id)?;
            if !map.staff(person.staff.id, &person.unit_path) {
                return Err(ApiError::Forbidden(
                    "mapping one-stop handlers needs the admin role",
                ));
            }
            // An account or alias brings its steps, and their lateness, with it.
            if own == Some(person.staff.id) {
                return Err(ApiError::Forbidden(
                    "your own one-stop accounts and aliases are mapped by another administrator",
                ));
            }
            // Re-attributing writes steps and the register as a feed does: one at a time
            // per province.
            crate::db::advisory_lock(c, crate::db::LockClass::Dossiers, person.staff.province_id)?;
            let key = handle_key(&value);
            if kind == "account"
                && let Some(holder) = handles::account_holder(c, person.staff.province_id, &key)?
            {
                // Who holds it is not said: they may be beyond the caller's reach.
                return Err(ApiError::conflict(
                    "value",
                    if holder == person.staff.id {
                        "this person already has this account"
                    } else {
                        "this account belongs to someone else in the province"
                    },
                ));
            }
            if handles::of_staff(c, person.staff.id)?
                .iter()
                .any(|h| h.kind == kind && h.value == key)
            {
                return Err(ApiError::conflict("value", "this person already has it"));
            }
            let row = handles::add(c, actor, &person.staff, &kind, &value)?;
            let attributed =
                handles::reattribute(c, actor, &map, person.staff.province_id, local_now())?;
            Ok(HandleAdded {
                handle: row.into(),
                attributed,
            })
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(added))
}

/// Removes an account or alias. Steps it attributed stay attributed.
#[utoipa::path(delete, path = "/api/v1/staff/{id}/onestop-handles/{handle_id}", tag = "onestop",
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[delete("/staff/{id}/onestop-handles/{handle_id}")]
pub async fn remove_handle(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, handle_id) = path.into_inner();
    let read = auth.can(Action::ReadStaff);
    let map = auth.can(Action::MapHandlers);
    let actor = auth.id();
    let own = auth.actor.staff_id;
    blocking(&state, move |db: &Db| {
        db.write(|c| {
            let person = visible_person(c, &read, id)?;
            if !map.staff(person.staff.id, &person.unit_path) {
                return Err(ApiError::Forbidden(
                    "mapping one-stop handlers needs the admin role",
                ));
            }
            // Removed, one's own account leaves the feed's next steps to a name, or to
            // nobody (kept aside): their lateness with them, as adding one would bring.
            if own == Some(person.staff.id) {
                return Err(ApiError::Forbidden(
                    "your own one-stop accounts and aliases are mapped by another administrator",
                ));
            }
            let row = handles::of_staff(c, person.staff.id)?
                .into_iter()
                .find(|h| h.id == handle_id)
                .ok_or(ApiError::NotFound)?;
            Ok(handles::remove(c, actor, person.staff.unit_id, &row)?)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepHandler {
    pub staff_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepAttributed {
    pub step_id: i64,
    pub staff_id: i64,
    pub matched_by: MatchedBy,
}

/// Attributes one step by hand: for a namesake the feed cannot tell apart. A re-sent
/// feed never overrides it.
#[utoipa::path(put, path = "/api/v1/dossier-steps/{id}/handler", tag = "onestop", request_body = StepHandler,
    responses((status = 200, body = StepAttributed), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[put("/dossier-steps/{id}/handler")]
pub async fn attribute_step(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<StepHandler>,
) -> Result<web::Json<StepAttributed>, ApiError> {
    let step_id = id.into_inner();
    let staff_id = body.0.staff_id;
    let read = auth.can(Action::ReadStaff);
    let map = auth.can(Action::MapHandlers);
    let actor = auth.id();
    let own = auth.actor.staff_id;
    blocking(&state, move |db: &Db| {
        db.write(|c| {
            let find = |c: &mut AnyConnection| {
                crate::db::dossiers::of_step(c, step_id)?
                    .filter(|(_, path)| read.subtree(path))
                    .ok_or(ApiError::NotFound)
            };
            let (_, unit_path) = find(c)?;
            if !map.subtree(&unit_path) {
                return Err(ApiError::Forbidden(
                    "mapping one-stop handlers needs the admin role",
                ));
            }
            // Only one who may attribute waits for the feeds' turn, and reads the
            // dossier again once it has it.
            crate::db::dossiers::take_turn_for_step(c, step_id)?;
            let (dossier, _) = find(c)?;
            // A dispute speaks for the officer who raised it: moving the step would leave
            // it deciding someone else's lateness.
            if crate::db::disputes::of_step(c, step_id)?.is_some() {
                return Err(ApiError::conflict(
                    "staff_id",
                    "the step is disputed by its officer; it keeps its attribution",
                ));
            }
            // Moving a step moves its lateness (an inter-agency dossier's step of another
            // department is that department's administrators' to attribute).
            if let Some(current) = crate::db::dossiers::step_staff(c, step_id)? {
                let path = crate::db::staff::find_with_path(c, current)?.map(|(_, p)| p);
                if let Some(why) = map.keeps_step(own, current, path.as_deref()) {
                    return Err(ApiError::Forbidden(why));
                }
            }
            let person = visible_person(c, &read, staff_id)
                .map_err(|_| ApiError::field("staff_id", "no such staff member"))?;
            // Taking steps moves their lateness onto oneself, as giving one's own away
            // moves it off (`keeps_step`): both are another administrator's to do.
            if own == Some(person.staff.id) {
                return Err(ApiError::Forbidden(
                    "a step is attributed to you by another administrator",
                ));
            }
            // Inter-agency dossiers pass through other units: the person need not work
            // in the dossier's unit, only within the administrator's reach.
            if !map.staff(person.staff.id, &person.unit_path) {
                return Err(ApiError::field("staff_id", "works outside your reach"));
            }
            // The unit the person was in on the step's day, as the feed attributes it.
            let day = crate::db::dossiers::step_day(c, step_id)?;
            let unit = crate::db::moves::PostingCache::default().unit_id_on(
                c,
                person.staff.id,
                (person.staff.unit_id, person.staff.unit_since),
                day,
            )?;
            handles::set_handler(
                c,
                Some(actor),
                step_id,
                person.staff.id,
                Some(unit),
                MatchedBy::Manual,
            )?;
            crate::db::dossiers::sync_late_steps(c, &dossier, local_now())?;
            Ok(StepAttributed {
                step_id,
                staff_id: person.staff.id,
                matched_by: MatchedBy::Manual,
            })
        })
    })
    .await
    .map(web::Json)
}
