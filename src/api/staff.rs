//! `/staff`: the people whose discipline congvu keeps.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery, double_option};
use super::units::{code_rule, name_rule, visible_unit};
use super::{BASE, PageParams, Paged, blocking, created, local_time};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::db::staff::{self as q, StaffFields, StaffFilter, StaffRow};
use crate::domain::access::Action;
use crate::domain::codes::StaffCategory;
use crate::domain::text::nfc;
use crate::error::{ApiError, FieldErrors};
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_staff)
        .service(list_staff)
        .service(get_staff)
        .service(update_staff);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffView {
    pub id: i64,
    pub code: String,
    pub full_name: String,
    pub unit_id: i64,
    pub province_id: i64,
    pub category: StaffCategory,
    /// Vietnamese label of `category`.
    pub category_label: &'static str,
    pub position: Option<String>,
    pub email: Option<String>,
    pub is_head: bool,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    /// The first day in `unit_id`, for someone transferred there (`GET …/units` has the
    /// earlier units); null for someone never transferred.
    pub unit_since: Option<NaiveDate>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl From<StaffRow> for StaffView {
    fn from(r: StaffRow) -> Self {
        let category = StaffCategory::parse(&r.category).unwrap_or(StaffCategory::Contract);
        StaffView {
            id: r.id,
            code: r.code,
            full_name: r.full_name,
            unit_id: r.unit_id,
            province_id: r.province_id,
            category,
            category_label: category.label(),
            position: r.position,
            email: r.email,
            is_head: r.is_head,
            joined_on: r.joined_on,
            left_on: r.left_on,
            unit_since: r.unit_since,
            created_at: local_time(r.created_at),
            updated_at: local_time(r.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStaff {
    #[validate(custom(function = "code_rule"))]
    pub code: String,
    #[validate(custom(function = "name_rule"))]
    pub full_name: String,
    pub unit_id: i64,
    pub category: StaffCategory,
    #[validate(length(max = 200))]
    pub position: Option<String>,
    #[validate(email, length(max = 254))]
    pub email: Option<String>,
    #[serde(default)]
    pub is_head: bool,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
}

/// Absent fields stay as they are; `null` clears an optional field.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStaff {
    #[validate(custom(function = "code_rule"))]
    pub code: Option<String>,
    #[validate(custom(function = "name_rule"))]
    pub full_name: Option<String>,
    /// Moves the person to another unit of the same province.
    pub unit_id: Option<i64>,
    /// With a new `unit_id`: the first day in the new unit (default today; not in the
    /// future, and after the person's last transfer). The days before it stay with the
    /// old unit: its schedule, its timesheets, its register.
    pub moved_on: Option<NaiveDate>,
    pub category: Option<StaffCategory>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub position: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub is_head: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub joined_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub left_on: Option<Option<NaiveDate>>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListStaff {
    /// Only the staff of this unit.
    pub unit_id: Option<i64>,
    /// With `unit_id`: also the staff of every unit below it.
    #[serde(default)]
    pub subtree: bool,
    pub code: Option<String>,
    pub is_head: Option<bool>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

/// Rules across fields, and the ones validator cannot express on double options.
fn check_fields(f: &StaffFields) -> Result<(), ApiError> {
    let mut errors = FieldErrors::new();
    let mut fail = |field: &str, message: &str| {
        errors
            .entry(field.to_owned())
            .or_default()
            .push(message.to_owned());
    };
    if matches!((f.joined_on, f.left_on), (Some(joined), Some(left)) if left < joined) {
        fail("left_on", "must not be before joined_on");
    }
    for (field, day) in [("joined_on", f.joined_on), ("left_on", f.left_on)] {
        if day.is_some_and(|d| !crate::domain::calendar::storable(d)) {
            fail(field, crate::domain::calendar::NOT_STORABLE);
        }
    }
    if f.position.as_ref().is_some_and(|p| p.chars().count() > 200) {
        fail("position", "must be at most 200 characters long");
    }
    if f.email
        .as_ref()
        .is_some_and(|e| e.len() > 254 || !validator::ValidateEmail::validate_email(e))
    {
        fail("email", "must be a valid email address");
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn clean(s: Option<String>) -> Option<String> {
    s.map(|v| nfc(&v)).filter(|v| !v.is_empty())
}

#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", request_body = CreateStaff,
    responses((status = 201, body = StaffView), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/staff")]
pub async fn create_staff(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<CreateStaff>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let read = auth.can(Action::ReadUnits);
    let write = auth.can(Action::WriteStaff);
    let actor = auth.id();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let unit = visible_unit(c, &read, body.unit_id, "unit_id")?;
            if !write.subtree(&unit.path) {
                return Err(ApiError::Forbidden(
                    "adding staff here needs the admin or hr role on this unit",
                ));
            }
            let fields = StaffFields {
                province_id: unit.province_id,
                unit_id: unit.id,
                code: body.code,
                full_name: nfc(&body.full_name),
                category: body.category.code().to_owned(),
                position: clean(body.position),
                email: body
                    .email
                    .map(|e| e.trim().to_owned())
                    .filter(|e| !e.is_empty()),
                is_head: body.is_head,
                joined_on: body.joined_on,
                left_on: body.left_on,
            };
            check_fields(&fields)?;
            if q::code_taken(c, fields.province_id, &fields.code, None)? {
                return Err(ApiError::conflict(
                    "code",
                    "another staff member of this province has this code",
                ));
            }
            let row = q::insert(c, Some(actor), &fields)?;
            // Entered once the province judges attendance (after its go-live), the
            // person could not check in on the days before the record existed, whatever
            // their joining date: those days are no absences when a change re-derives
            // them (`known_on`). Entered by the go-live, the go-live bounds them.
            let today = super::local_now().date();
            let go_live = crate::db::units::attendance_starts(c, &[row.province_id])?
                .remove(&row.province_id);
            if go_live.is_none_or(|first| first < today) {
                return Ok(q::set_known_from(c, row.id, today)?);
            }
            Ok(row)
        })
    })
    .await?;
    Ok(created(
        format!("{BASE}/staff/{}", row.id),
        &StaffView::from(row),
    ))
}

#[utoipa::path(get, path = "/api/v1/staff", tag = "staff", params(ListStaff),
    responses((status = 200, body = Paged<StaffView>)), security(("bearer" = [])))]
#[get("/staff")]
pub async fn list_staff(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ListStaff>,
) -> Result<web::Json<Paged<StaffView>>, ApiError> {
    let query = query.0;
    let page = PageParams {
        page: query.page,
        per_page: query.per_page,
    };
    let read_units = auth.can(Action::ReadUnits);
    let read = auth.can(Action::ReadStaff);
    let (rows, total) = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let mut filter = StaffFilter {
                unit_id: query.unit_id,
                code: query.code,
                is_head: query.is_head,
                ..StaffFilter::default()
            };
            if let Some(unit_id) = query.unit_id {
                let unit = match crate::db::units::find(c, unit_id)? {
                    Some(u) if read_units.unit(u.id, &u.path) => u,
                    _ => return Err(ApiError::NotFound),
                };
                if query.subtree {
                    filter.subtree_of = Some(unit.path);
                }
            }
            Ok(q::list(c, &read, &filter, page.per_page(), page.offset())?)
        })
    })
    .await?;
    Ok(web::Json(Paged::new(
        rows.into_iter().map(StaffView::from).collect(),
        total,
        &page,
    )))
}

#[utoipa::path(get, path = "/api/v1/staff/{id}", tag = "staff",
    responses((status = 200, body = StaffView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/staff/{id}")]
pub async fn get_staff(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<StaffView>, ApiError> {
    let id = id.into_inner();
    let read = auth.can(Action::ReadStaff);
    let row = blocking(&state, move |db: &Db| {
        db.read(|c| match q::find_with_path(c, id)? {
            Some((s, path)) if read.staff(s.id, &path) => Ok(s),
            _ => Err(ApiError::NotFound),
        })
    })
    .await?;
    Ok(web::Json(row.into()))
}

/// A staff record the caller reads, with its unit's path, for a change: changes of one
/// record take turns (`LockClass::Staff`), so each reads what the one before it wrote.
pub(super) fn locked(
    c: &mut crate::db::AnyConnection,
    read: &crate::domain::access::Visibility,
    id: i64,
) -> Result<(StaffRow, String), ApiError> {
    crate::db::advisory_lock(c, crate::db::LockClass::Staff, id)?;
    match q::find_with_path(c, id)? {
        Some((s, path)) if read.staff(s.id, &path) => Ok((s, path)),
        _ => Err(ApiError::NotFound),
    }
}

#[utoipa::path(patch, path = "/api/v1/staff/{id}", tag = "staff", request_body = UpdateStaff,
    responses((status = 200, body = StaffView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[patch("/staff/{id}")]
pub async fn update_staff(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<UpdateStaff>,
) -> Result<web::Json<StaffView>, ApiError> {
    let id = id.into_inner();
    let body = body.0;
    let read_units = auth.can(Action::ReadUnits);
    let read = auth.can(Action::ReadStaff);
    let write = auth.can(Action::WriteStaff);
    let actor = auth.id();
    let own = auth.actor.staff_id == Some(id);
    let (row, changed) = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let (current, path) = locked(c, &read, id)?;
            if !write.subtree(&path) {
                return Err(ApiError::Forbidden(
                    "changing staff records needs the admin or hr role on their unit",
                ));
            }
            // What decides whether and how someone is rated and who rates them (the
            // category, the service dates, heading a unit, the unit) is never changed by
            // that person, as nobody decides their own rating; nor their name, by which
            // the one-stop feed attributes steps (renamed as a handler whose steps are
            // kept aside, they could take them), nor their code, by which a dossier file
            // does (given a colleague's old code, the file's lines for it would be
            // theirs); their contact details are.
            if own
                && (body.unit_id.is_some_and(|u| u != current.unit_id)
                    || body.code.as_deref().is_some_and(|c| c != current.code)
                    || body
                        .full_name
                        .as_deref()
                        .is_some_and(|n| nfc(n) != current.full_name)
                    || body.category.is_some_and(|c| c.code() != current.category)
                    || body.is_head.is_some_and(|h| h != current.is_head)
                    || body.joined_on.is_some_and(|j| j != current.joined_on)
                    || body.left_on.is_some_and(|l| l != current.left_on))
            {
                return Err(ApiError::Forbidden(
                    "your own code, name, unit, category, head role and service dates are \
                     for another administrator or HR officer to change",
                ));
            }
            let mut next = current.fields();
            let now = super::local_now();
            let today = now.date();
            let mut moved_on = None;
            let mut moved_to = None;
            if let Some(unit_id) = body.unit_id.filter(|u| *u != current.unit_id) {
                let unit = visible_unit(c, &read_units, unit_id, "unit_id")?;
                if !write.subtree(&unit.path) {
                    return Err(ApiError::Forbidden(
                        "moving staff there needs the admin or hr role on that unit",
                    ));
                }
                if unit.province_id != current.province_id {
                    return Err(ApiError::field(
                        "unit_id",
                        "staff cannot be moved to another province",
                    ));
                }
                let day = body.moved_on.unwrap_or(today);
                // unit_since is the day of the last transfer.
                let last = current.unit_since;
                if let Some(why) = crate::domain::postings::move_conflict(day, today, last) {
                    return Err(ApiError::field("moved_on", why));
                }
                next.unit_id = unit.id;
                moved_on = Some(day);
                moved_to = Some(unit);
            } else if body.moved_on.is_some() {
                return Err(ApiError::field(
                    "moved_on",
                    "goes with a new unit_id (the day of a transfer)",
                ));
            }
            if let Some(code) = body.code {
                next.code = code;
            }
            if let Some(name) = body.full_name {
                next.full_name = nfc(&name);
            }
            if let Some(cat) = body.category {
                next.category = cat.code().to_owned();
            }
            if let Some(position) = body.position {
                next.position = clean(position);
            }
            if let Some(email) = body.email {
                next.email = email.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
            }
            if let Some(h) = body.is_head {
                next.is_head = h;
            } else if moved_on.is_some() {
                // Heading a unit is a post in it: someone transferred out of it no longer
                // heads it, and is not the new unit's head unless the transfer says so
                // (`is_head: true`). Kept, the flag made them the new unit's head.
                next.is_head = false;
            }
            if let Some(j) = body.joined_on {
                next.joined_on = j;
            }
            if let Some(l) = body.left_on {
                next.left_on = l;
            }
            check_fields(&next)?;
            if next == current.fields() {
                return Ok((current, false));
            }
            // A leaving date ends the linked account's access (its roles lapse the day
            // after). Someone whose account holds roles beyond the writer's reach (the
            // province's administrator, filed in a department) is not locked out, or let
            // back in, by that department's HR.
            // The account's lock first, as a role edit takes it: a wider role granted at
            // this moment is seen here, and the sessions a departure ends stay ended.
            if next.left_on != current.left_on
                && let Some(account) = crate::db::users::account_of_staff(c, current.id)?
            {
                crate::db::advisory_lock(c, crate::db::LockClass::Account, account)?;
            }
            if next.left_on != current.left_on
                && crate::db::users::roles_of_staff(c, current.id)?
                    .iter()
                    .any(|path| match path {
                        Some(p) => !write.subtree(p),
                        // A role on no unit: only a writer reaching every unit covers it.
                        None => !write.all,
                    })
            {
                return Err(ApiError::Forbidden(
                    "this person's account holds roles beyond your reach: their leaving \
                     date is for an administrator over those roles to change",
                ));
            }
            if next.code != current.code
                && q::code_taken(c, next.province_id, &next.code, Some(current.id))?
            {
                return Err(ApiError::conflict(
                    "code",
                    "another staff member of this province has this code",
                ));
            }
            let mut row = q::update(c, Some(actor), &current, &next)?;
            if let (Some(day), Some(unit)) = (moved_on, &moved_to) {
                // The roles of the unit left end with the posts there (the writer reaches
                // that unit, as moving people out of it needs); undoing gives them back.
                let from = (current.unit_id, path.as_str());
                let roles = crate::db::posts::end(c, Some(actor), row.id, from, unit)?;
                let transfer = crate::db::moves::Transfer {
                    staff_id: row.id,
                    province_id: row.province_id,
                    from_unit_id: current.unit_id,
                    to_unit_id: row.unit_id,
                    moved_on: day,
                    posts: crate::db::posts::Posts {
                        was_head: Some(current.is_head),
                        roles,
                    },
                };
                crate::db::moves::record(c, Some(actor), &transfer, crate::db::now())?;
                row.unit_since = Some(day);
            }
            // Joining and leaving dates bound the days that count, and the unit decides
            // the schedule: the register's recent past follows such changes, and a date
            // moved further back re-derives all the days between its old and new value
            // (a departure recorded four months late leaves no absences after it); a
            // transfer re-derives the days since it took effect, under the new unit.
            if (row.joined_on, row.left_on, row.unit_id)
                != (current.joined_on, current.left_on, current.unit_id)
            {
                let first_registered = if current.joined_on.is_none() && row.joined_on.is_some() {
                    crate::db::violations::first_from_attendance(c, row.id)?
                } else {
                    None
                };
                let dates_from = crate::domain::attendance::dates_rederive_from(
                    (current.joined_on, current.left_on),
                    (row.joined_on, row.left_on),
                    first_registered,
                    now.date(),
                    crate::db::attendance::RETRO_DAYS,
                );
                // A transfer is two years back at most (move_conflict), as the dates are.
                let from = moved_on.map_or(dates_from, |day| dates_from.min(day));
                // The person (their unit's path and parents) is read under the lock the
                // re-derivation holds, as for leave: a unit move committed while this
                // waited would otherwise judge the days under the old parents' schedule.
                crate::db::advisory_lock(c, crate::db::LockClass::Attendance, row.province_id)?;
                let people = crate::db::attendance::people(c, &[row.id])?;
                crate::db::attendance::rederive(c, &people, from, now.date(), now)?;
            }
            // A departure already past ends the person's sessions for good, as a
            // deactivation does: clearing the date again does not revive old tokens.
            if row.left_on != current.left_on && row.left_on.is_some_and(|l| l < now.date()) {
                crate::db::users::end_sessions_of_staff(c, row.id)?;
            }
            Ok((row, true))
        })
    })
    .await?;
    // The cached accounts may hold what just changed (roles, paths, staff units); a
    // request that changed nothing leaves them (the cache spares the database at the
    // rush, and anyone with HR's role could empty it at will).
    if changed {
        state.actors.clear();
    }
    Ok(web::Json(row.into()))
}
