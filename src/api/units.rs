//! `/units`: the unit tree of each province.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use super::{BASE, PageParams, Paged, blocking, created, local_time};
use crate::auth::AuthUser;
use crate::db::units::{self as q, UnitFilter, UnitRow};
use crate::db::{AnyConnection, Db};
use crate::domain::access::{Action, Visibility};
use crate::domain::attendance::start_moved_days;
use crate::domain::codes::UnitKind;
use crate::domain::text::{is_valid_code, nfc};
use crate::domain::units::move_conflict;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_unit)
        .service(list_units)
        .service(get_unit)
        .service(update_unit);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    /// Vietnamese label of `kind`.
    pub kind_label: &'static str,
    pub parent_id: Option<i64>,
    /// The root unit (province) of this unit's tree.
    pub province_id: i64,
    /// A province's first day of judged attendance (its go-live): the days before it are
    /// judged for nobody. Null on other units, and on provinces created before this field
    /// existed (judged all along).
    pub attendance_from: Option<NaiveDate>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl From<UnitRow> for UnitView {
    fn from(r: UnitRow) -> Self {
        let kind = UnitKind::parse(&r.kind).unwrap_or(UnitKind::Other);
        UnitView {
            id: r.id,
            code: r.code,
            name: r.name,
            kind,
            kind_label: kind.label(),
            parent_id: r.parent_id,
            province_id: r.province_id,
            attendance_from: r.attendance_from,
            created_at: local_time(r.created_at),
            updated_at: local_time(r.updated_at),
        }
    }
}

const ONLY_PROVINCES: &str = "only a province (a root unit) has a first day of judged attendance";

/// How far ahead a province's go-live may be set: a date ahead stops judging until then,
/// and a mistyped year would stop it for decades.
const GO_LIVE_AHEAD_DAYS: i64 = 366;
const TOO_FAR_AHEAD: &str = "may be at most a year ahead";

/// What is wrong with a go-live day, if anything: more than a year ahead, or before the
/// service's dates (chrono takes years before 4713 BC, which PostgreSQL refuses with a 500
/// and SQLite would store).
fn go_live_error(day: NaiveDate) -> Option<&'static str> {
    if chrono::Datelike::year(&day) < 1990 {
        Some("must be a day from 1990 on")
    } else if day > super::local_now().date() + chrono::Duration::days(GO_LIVE_AHEAD_DAYS) {
        Some(TOO_FAR_AHEAD)
    } else {
        None
    }
}

/// Its people and the days to re-derive, if any, when a province's go-live moves to `day`.
/// Moving it later un-judges days and clears what the register holds of them: never past
/// a day the province was in use (an event not voided), so that one PATCH cannot wipe
/// months of a running province's register. Moving it earlier judges days that were not
/// judged: always allowed.
fn go_live_change(
    c: &mut AnyConnection,
    province: &UnitRow,
    day: NaiveDate,
) -> Result<Option<(Vec<crate::db::attendance::Person>, NaiveDate, NaiveDate)>, ApiError> {
    if let Some(why) = go_live_error(day) {
        return Err(ApiError::field("attendance_from", why));
    }
    let today = super::local_now().date();
    let Some((first, last)) = start_moved_days(province.attendance_from, day, today) else {
        return Ok(None);
    };
    // Past days' events re-derive under this lock: one committed between the check
    // below and the re-derivation would have its day un-judged. The people are read under
    // it too, so none transferred meanwhile is derived as they were.
    crate::db::advisory_lock(c, crate::db::LockClass::Attendance, province.id)?;
    let people = crate::db::attendance::people_below(c, &province.path)?;
    if province.attendance_from.is_none_or(|old| day > old) {
        let ids: Vec<i64> = people.iter().map(|p| p.staff.id).collect();
        if let Some(used) = crate::db::checkins::first_day_in_use(c, &ids, first, last)? {
            return Err(ApiError::conflict(
                "attendance_from",
                format!(
                    "check-ins are recorded on {used}, so the province was in use then: \
                     its go-live can be no later than {used}"
                ),
            ));
        }
    }
    Ok(Some((people, first, last)))
}

pub(crate) fn code_rule(code: &str) -> Result<(), validator::ValidationError> {
    if is_valid_code(code) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("code").with_message(
            "must be 1–50 characters of ASCII letters, digits, '.', '_' or '-'".into(),
        ))
    }
}

pub(crate) fn name_rule(name: &str) -> Result<(), validator::ValidationError> {
    let len = name.trim().chars().count();
    if (1..=200).contains(&len) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("length")
            .with_message("must be between 1 and 200 characters long".into()))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnit {
    #[validate(custom(function = "code_rule"))]
    pub code: String,
    #[validate(custom(function = "name_rule"))]
    pub name: String,
    /// None creates a new province root (administrators of every unit only).
    pub parent_id: Option<i64>,
    pub kind: UnitKind,
    /// A province's first day of judged attendance (its go-live); default the day it is
    /// created. Only for a province.
    pub attendance_from: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUnit {
    #[validate(custom(function = "code_rule"))]
    pub code: Option<String>,
    #[validate(custom(function = "name_rule"))]
    pub name: Option<String>,
    pub kind: Option<UnitKind>,
    /// Moves the unit and its whole subtree under another unit of the same province.
    pub parent_id: Option<i64>,
    /// A province's first day of judged attendance. Moving it re-derives the days between
    /// the old and the new day (two years back at most). Only for a province.
    pub attendance_from: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListUnits {
    /// Only the children of this unit.
    pub parent_id: Option<i64>,
    /// Only units in the subtree of this unit (itself included).
    pub within: Option<i64>,
    pub kind: Option<UnitKind>,
    pub code: Option<String>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

/// A unit referred to in a request body, if the caller can see it. An invisible unit gets
/// the same answer as a missing one, so its existence is not revealed.
pub(crate) fn visible_unit(
    conn: &mut AnyConnection,
    read: &Visibility,
    id: i64,
    field: &str,
) -> Result<UnitRow, ApiError> {
    match q::find(conn, id)? {
        Some(u) if read.unit(u.id, &u.path) => Ok(u),
        _ => Err(ApiError::field(field, "no such unit")),
    }
}

#[utoipa::path(post, path = "/api/v1/units", tag = "units", request_body = CreateUnit,
    responses((status = 201, body = UnitView), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/units")]
pub async fn create_unit(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<CreateUnit>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let read = auth.can(Action::ReadUnits);
    let write = auth.can(Action::WriteUnits);
    let actor = auth.id();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let parent = match body.parent_id {
                Some(pid) => {
                    let parent = visible_unit(c, &read, pid, "parent_id")?;
                    // Read again under the province's tree lock: a move committed in
                    // between may have changed the parent's path.
                    q::lock_tree(c, parent.province_id)?;
                    let parent = visible_unit(c, &read, pid, "parent_id")?;
                    if !write.subtree(&parent.path) {
                        return Err(ApiError::Forbidden(
                            "creating units here needs the admin role on this unit",
                        ));
                    }
                    if body.kind == UnitKind::Province {
                        return Err(ApiError::field(
                            "kind",
                            "only a root unit can be a province",
                        ));
                    }
                    if body.attendance_from.is_some() {
                        return Err(ApiError::field("attendance_from", ONLY_PROVINCES));
                    }
                    Some(parent)
                }
                None => {
                    if !write.all {
                        return Err(ApiError::Forbidden(
                            "only an administrator of every unit can create a province",
                        ));
                    }
                    if body.kind != UnitKind::Province {
                        return Err(ApiError::field(
                            "kind",
                            "a unit without a parent must be a province",
                        ));
                    }
                    None
                }
            };
            if q::code_taken(c, parent.as_ref().map(|p| p.province_id), &body.code, None)? {
                return Err(ApiError::conflict(
                    "code",
                    "another unit of the province has this code",
                ));
            }
            // A new province starts judging attendance the day it is created: its staff,
            // schedules and devices come in over the following days, and a timetable
            // entered with a start long past must not make absences of the days before.
            if let Some(why) = body.attendance_from.and_then(go_live_error) {
                return Err(ApiError::field("attendance_from", why));
            }
            let attendance_from = body.attendance_from.or(Some(super::local_now().date()));
            Ok(q::insert(
                c,
                Some(actor),
                parent.as_ref(),
                &body.code,
                &nfc(&body.name),
                body.kind.code(),
                attendance_from,
            )?)
        })
    })
    .await?;
    Ok(created(
        format!("{BASE}/units/{}", row.id),
        &UnitView::from(row),
    ))
}

#[utoipa::path(get, path = "/api/v1/units", tag = "units", params(ListUnits),
    responses((status = 200, body = Paged<UnitView>)), security(("bearer" = [])))]
#[get("/units")]
pub async fn list_units(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ListUnits>,
) -> Result<web::Json<Paged<UnitView>>, ApiError> {
    let query = query.0;
    let page = PageParams {
        page: query.page,
        per_page: query.per_page,
    };
    let read = auth.can(Action::ReadUnits);
    let (rows, total) = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let within = match query.within {
                Some(id) => match q::find(c, id)? {
                    Some(u) if read.unit(u.id, &u.path) => Some(u.path),
                    _ => return Err(ApiError::NotFound),
                },
                None => None,
            };
            let filter = UnitFilter {
                parent_id: query.parent_id,
                kind: query.kind.map(|k| k.code().to_owned()),
                code: query.code,
                within,
            };
            Ok(q::list(c, &read, &filter, page.per_page(), page.offset())?)
        })
    })
    .await?;
    Ok(web::Json(Paged::new(
        rows.into_iter().map(UnitView::from).collect(),
        total,
        &page,
    )))
}

#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "units",
    responses((status = 200, body = UnitView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/units/{id}")]
pub async fn get_unit(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<UnitView>, ApiError> {
    let id = id.into_inner();
    let read = auth.can(Action::ReadUnits);
    let row = blocking(&state, move |db: &Db| {
        db.read(|c| match q::find(c, id)? {
            Some(u) if read.unit(u.id, &u.path) => Ok(u),
            _ => Err(ApiError::NotFound),
        })
    })
    .await?;
    Ok(web::Json(row.into()))
}

/// What follows a province by its root unit's code rather than its id: the policies whose
/// `province` is the code (any version: past years are evaluated by the old ones) and the
/// settings keyed by it. Renamed, the province would lose them without a word (its
/// overlays, its late-ratio convention, its vendor's status codes), or take over
/// another's.
fn naming_province(
    c: &mut AnyConnection,
    keyed: &[(&'static str, Vec<String>)],
    code: &str,
) -> Result<Vec<String>, ApiError> {
    let mut policies: Vec<String> = crate::db::policies::list(c)?
        .iter()
        .filter_map(|r| r.policy())
        .filter(|p| p.province.as_deref() == Some(code))
        .map(|p| format!("policy {}", p.code))
        .collect();
    policies.dedup();
    let settings = keyed
        .iter()
        .filter(|(_, codes)| codes.iter().any(|c| c == code))
        .map(|(name, _)| format!("setting {name}"));
    Ok(policies.into_iter().chain(settings).collect())
}

#[utoipa::path(patch, path = "/api/v1/units/{id}", tag = "units", request_body = UpdateUnit,
    responses((status = 200, body = UnitView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[patch("/units/{id}")]
pub async fn update_unit(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<UpdateUnit>,
) -> Result<web::Json<UnitView>, ApiError> {
    let id = id.into_inner();
    let body = body.0;
    let read = auth.can(Action::ReadUnits);
    let write = auth.can(Action::WriteUnits);
    let actor = auth.id();
    let own_staff = auth.actor.staff_id;
    // The settings keyed by a province's code, for the rename check below.
    let keyed: Vec<(&'static str, Vec<String>)> = vec![
        (
            "dossiers.late_ratio_formula_by_province",
            state
                .dossiers
                .late_ratio_formula_by_province
                .keys()
                .cloned()
                .collect(),
        ),
        (
            "onestop.by_province",
            state.onestop.by_province.keys().cloned().collect(),
        ),
    ];
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let find_visible = |c: &mut AnyConnection| match q::find(c, id)? {
                Some(u) if read.unit(u.id, &u.path) => Ok(u),
                _ => Err(ApiError::NotFound),
            };
            // Every change of a unit writes the whole row from what it read, moves rewrite
            // paths, and a province's own fields are the whole province's: hold its tree
            // lock and work on a fresh row, so that two administrators' changes take turns,
            // each on the other's result (and the reach is checked on the path as it is).
            let unit = find_visible(c)?;
            q::lock_tree(c, unit.province_id)?;
            let unit = find_visible(c)?;
            if !write.subtree(&unit.path) {
                return Err(ApiError::Forbidden(
                    "changing this unit needs the admin role on it",
                ));
            }
            // The path of the caller's own record: the unit holding it, and those above, are
            // moved or given another kind by another administrator.
            let own_path = crate::db::staff::unit_path_of(c, own_staff)?;
            let mut moved_under = None;
            if let Some(new_pid) = body.parent_id.filter(|p| Some(*p) != unit.parent_id) {
                if unit.parent_id.is_none() {
                    return Err(ApiError::field(
                        "parent_id",
                        "a province cannot be moved under another unit",
                    ));
                }
                // Moving the unit that holds one's own record chooses who heads, rates and
                // is told about oneself, as a transfer of oneself would (403 there too).
                if own_path
                    .as_deref()
                    .is_some_and(|own| crate::domain::units::in_subtree(own, &unit.path))
                {
                    return Err(ApiError::Forbidden(
                        "the unit holding your own staff record is moved by another administrator",
                    ));
                }
                let parent = visible_unit(c, &read, new_pid, "parent_id")?;
                if !write.subtree(&parent.path) {
                    return Err(ApiError::Forbidden(
                        "moving a unit there needs the admin role on the new parent",
                    ));
                }
                if parent.province_id != unit.province_id {
                    return Err(ApiError::field(
                        "parent_id",
                        "a unit cannot be moved to another province",
                    ));
                }
                if let Some(why) = move_conflict(&unit.path, &parent.path) {
                    return Err(ApiError::field("parent_id", why));
                }
                moved_under = Some(parent);
            }
            let mut next = unit.clone();
            if let Some(code) = &body.code {
                next.code = code.clone();
            }
            if let Some(name) = &body.name {
                next.name = nfc(name);
            }
            if let Some(kind) = body.kind {
                next.kind = kind.code().to_owned();
            }
            // A unit's kind says which agency its people's excellent quota counts in (a
            // division belongs to the department above, a public service unit counts
            // alone): like a move, it is for another administrator to change when it
            // moves one's own group, the unit holding one's record, one above it, or one
            // within one's agency (a division made a public service unit leaves its
            // colleagues' count).
            if next.kind != unit.kind
                && let Some(own) = own_path.as_deref()
                && own.starts_with(&format!("/{}/", unit.province_id))
            {
                let agency = crate::db::evaluation_run::agency_path(c, unit.province_id, own)?;
                if crate::domain::units::in_subtree(own, &unit.path)
                    || crate::domain::units::in_subtree(&unit.path, &agency)
                {
                    return Err(ApiError::Forbidden(
                        "the kind of a unit of your own agency, or above it, is changed by \
                         another administrator",
                    ));
                }
            }
            let is_root = unit.parent_id.is_none();
            if is_root != (next.kind == UnitKind::Province.code()) {
                return Err(ApiError::field(
                    "kind",
                    "a root unit, and only a root unit, is a province",
                ));
            }
            let mut go_live_moved = None;
            if let Some(day) = body
                .attendance_from
                .filter(|d| Some(*d) != unit.attendance_from)
            {
                if !is_root {
                    return Err(ApiError::field("attendance_from", ONLY_PROVINCES));
                }
                go_live_moved = go_live_change(c, &unit, day)?;
                next.attendance_from = Some(day);
            }
            if is_root && next.code != unit.code {
                // Policies of the province are stored under the tree lock, which a
                // province's change took above.
                for (code, what) in [
                    (&unit.code, "this province"),
                    (&next.code, "another province"),
                ] {
                    let naming = naming_province(c, &keyed, code)?;
                    if !naming.is_empty() {
                        return Err(ApiError::conflict(
                            "code",
                            format!(
                                "{} {} {what} by the code {code}; a province's code cannot \
                                 change while rules or settings follow it",
                                naming.join(", "),
                                if naming.len() == 1 { "names" } else { "name" }
                            ),
                        ));
                    }
                }
            }
            let province = unit.parent_id.map(|_| unit.province_id);
            // A province's own code is one of its units' codes too: a root renamed to a
            // department's code would make every line naming either ambiguous.
            if next.code != unit.code
                && (q::code_taken(c, province, &next.code, Some(unit.id))?
                    || (is_root && q::code_taken(c, Some(unit.id), &next.code, Some(unit.id))?))
            {
                return Err(ApiError::conflict(
                    "code",
                    "another unit of the province has this code",
                ));
            }
            let mut current = unit.clone();
            if let Some(parent) = moved_under {
                current = q::move_subtree(c, Some(actor), &unit, &parent)?;
                // The subtree now inherits schedules from its new parents.
                let now = super::local_now();
                let from = now.date() - chrono::Duration::days(crate::db::attendance::RETRO_DAYS);
                // The people are read under the attendance lock the re-derivation holds: a
                // transfer out committed while this waited would be derived back here.
                crate::db::advisory_lock(c, crate::db::LockClass::Attendance, unit.province_id)?;
                let people =
                    crate::db::attendance::people_ever_below(c, &current.path, None, from)?;
                crate::db::attendance::rederive(c, &people, from, now.date(), now)?;
            }
            if next.code != unit.code
                || next.name != unit.name
                || next.kind != unit.kind
                || next.attendance_from != unit.attendance_from
            {
                next.parent_id = current.parent_id;
                current = q::update_fields(c, Some(actor), &current, &next)?;
            }
            if let Some((people, first, last)) = go_live_moved {
                // The days whose judging this turns on or off, for everyone in the province.
                crate::db::attendance::rederive(c, &people, first, last, super::local_now())?;
            }
            Ok(current)
        })
    })
    .await?;
    // The cached accounts may hold what just changed (roles, paths, staff units).
    state.actors.clear();
    Ok(web::Json(row.into()))
}
