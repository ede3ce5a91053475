//! `/users`: accounts and the roles they hold on units.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::auth::throttled;
use super::extract::{ValidJson, ValidQuery};
use super::units::visible_unit;
use super::{BASE, PageParams, Paged, blocking, created, local_time};
use crate::auth::{AuthUser, password};
use crate::db::users::{self as q, AccountChange, NewGrant, NewUser, RoleRow, UserRow};
use crate::db::{AnyConnection, Db};
use crate::domain::access::{Action, Visibility};
use crate::domain::codes::Role;
use crate::domain::text::{is_valid_username, normalize_username};
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_user)
        .service(list_users)
        .service(get_user)
        .service(update_user);
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoleView {
    pub role: Role,
    pub role_label: &'static str,
    /// None: the role reaches every unit.
    pub unit_id: Option<i64>,
}

impl From<&RoleRow> for RoleView {
    fn from(r: &RoleRow) -> Self {
        let role = Role::parse(&r.role).unwrap_or(Role::Staff);
        RoleView {
            role,
            role_label: role.label(),
            unit_id: r.unit_id,
        }
    }
}

/// An account. The password hash never leaves the server.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub staff_id: Option<i64>,
    pub province_id: Option<i64>,
    pub is_active: bool,
    pub roles: Vec<RoleView>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl UserView {
    pub fn new(u: &UserRow, roles: &[RoleRow]) -> Self {
        UserView {
            id: u.id,
            username: u.username.clone(),
            staff_id: u.staff_id,
            province_id: u.province_id,
            is_active: u.is_active,
            roles: roles.iter().map(RoleView::from).collect(),
            created_at: local_time(u.created_at),
            updated_at: local_time(u.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleGrant {
    pub role: Role,
    /// The unit the role is held on; omit for a role that reaches every unit.
    pub unit_id: Option<i64>,
}

fn username_rule(u: &str) -> Result<(), ValidationError> {
    if is_valid_username(&normalize_username(u)) {
        Ok(())
    } else {
        Err(ValidationError::new("username")
            .with_message("must be 3–64 characters of letters, digits, '.', '_' or '-'".into()))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[validate(custom(function = "username_rule"))]
    pub username: String,
    #[validate(length(min = 8, max = 128))]
    pub password: String,
    pub staff_id: Option<i64>,
    #[validate(
        length(min = 1, max = 20, message = "must hold between 1 and 20 roles"),
        nested
    )]
    pub roles: Vec<RoleGrant>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[validate(length(min = 8, max = 128))]
    pub password: Option<String>,
    /// Required when changing your own password, so a stolen token cannot take over the
    /// account.
    #[validate(length(min = 1, max = 128))]
    pub current_password: Option<String>,
    pub is_active: Option<bool>,
    /// Replaces all roles of the account.
    #[validate(
        length(min = 1, max = 20, message = "must hold between 1 and 20 roles"),
        nested
    )]
    pub roles: Option<Vec<RoleGrant>>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListUsers {
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

/// Checks that the caller may grant each role, and resolves the provinces of their units.
/// `caller_path` is the unit of the caller's own staff record: an account linked to
/// nobody (`staff_id` None) gets no role that reaches it, a device's included, unless it
/// holds that role already (`held`: a roles change keeps or narrows what it had).
fn resolve_grants(
    c: &mut AnyConnection,
    (read, manage): (&Visibility, &Visibility),
    grants: &[RoleGrant],
    (staff_id, held): (Option<i64>, &[RoleRow]),
    caller_path: Option<&str>,
) -> Result<Vec<NewGrant>, ApiError> {
    let mut out: Vec<NewGrant> = Vec::with_capacity(grants.len());
    for (i, g) in grants.iter().enumerate() {
        let (province_id, path) = match g.unit_id {
            Some(unit_id) => {
                let unit = visible_unit(c, read, unit_id, &format!("roles[{i}].unit_id"))?;
                if !manage.subtree(&unit.path) {
                    return Err(ApiError::Forbidden(
                        "granting roles on this unit needs the admin role on it",
                    ));
                }
                (Some(unit.province_id), Some(unit.path))
            }
            None if manage.all => (None, None),
            None => {
                return Err(ApiError::Forbidden(
                    "only an administrator of every unit can grant a role on every unit",
                ));
            }
        };
        // Every rule against deciding about oneself (one's rating, disputes, leave, record)
        // knows a person by the staff record their account is linked to: a second account
        // linked to nobody, with hr or unit_head over one's own unit, decided all of them
        // for its maker, and outlived their leaving. A device is such an account too: a
        // kiosk over one's own unit sent one's own check-ins backdated (90 days, where
        // one's own are live only) and survey answers about oneself.
        let reaches_caller = caller_path.is_some_and(|own| {
            path.as_deref()
                .is_none_or(|p| crate::domain::units::in_subtree(own, p))
        });
        let had = held
            .iter()
            .any(|h| h.role == g.role.code() && h.unit_id == g.unit_id);
        if staff_id.is_none() && reaches_caller && !had {
            return Err(ApiError::Forbidden(
                "an account linked to no staff record may not hold a role over your own \
                 record: link it to the person who holds it, or have another administrator \
                 create it",
            ));
        }
        if g.role == Role::Staff && staff_id.is_none() {
            return Err(ApiError::field(
                &format!("roles[{i}].role"),
                "the staff role needs a linked staff_id",
            ));
        }
        // A kiosk is nobody: linked to a person, its token would be that person's own
        // (their leave requests, evaluations, findings), and the person could not have
        // an account of their own.
        if g.role == Role::Device && staff_id.is_some() {
            return Err(ApiError::field(
                &format!("roles[{i}].role"),
                "a device account is linked to no staff member",
            ));
        }
        if out
            .iter()
            .any(|o| o.role == g.role && o.unit_id == g.unit_id)
        {
            return Err(ApiError::field(
                &format!("roles[{i}]"),
                "the same role on the same unit is listed twice",
            ));
        }
        out.push(NewGrant {
            role: g.role,
            unit_id: g.unit_id,
            province_id,
        });
    }
    Ok(out)
}

/// Whether the caller administers every unit the account's roles and staff record are on,
/// so a department's admin cannot touch an account that reaches beyond the department.
fn manages_account(
    c: &mut AnyConnection,
    manage: &Visibility,
    user: &UserRow,
) -> Result<bool, ApiError> {
    if manage.all {
        return Ok(true);
    }
    let roles = q::roles_of(c, user.id)?;
    if roles.iter().any(|r| r.unit_id.is_none()) {
        return Ok(false);
    }
    let mut unit_ids: Vec<i64> = roles.iter().filter_map(|r| r.unit_id).collect();
    if let Some(sid) = user.staff_id {
        unit_ids.extend(crate::db::staff::find(c, sid)?.map(|s| s.unit_id));
    }
    if unit_ids.is_empty() {
        return Ok(false);
    }
    let units = crate::db::units::find_many(c, &unit_ids)?;
    Ok(units.iter().all(|u| manage.subtree(&u.path)))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = UserView), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let manage = auth.can(Action::ManageUsers);
    if manage.is_empty() {
        return Err(ApiError::Forbidden(
            "managing accounts needs the admin role",
        ));
    }
    let username = normalize_username(&body.username);
    if body.password == username || body.password == body.username {
        return Err(ApiError::field("password", "must not be the username"));
    }
    let read_units = auth.can(Action::ReadUnits);
    let read_staff = auth.can(Action::ReadStaff);
    let actor = auth.id();
    let own_staff = auth.actor.staff_id;
    let (user, roles) = blocking(&state, move |db: &Db| {
        let hash = password::hash(&body.password).map_err(|e| ApiError::Internal(e.to_string()))?;
        db.write(|c| {
            let mut province_id = None;
            if let Some(sid) = body.staff_id {
                let (staff, path) = match crate::db::staff::find_with_path(c, sid)? {
                    Some((s, p)) if read_staff.staff(s.id, &p) => (s, p),
                    _ => return Err(ApiError::field("staff_id", "no such staff member")),
                };
                if !manage.subtree(&path) {
                    return Err(ApiError::Forbidden(
                        "linking this staff member needs the admin role on their unit",
                    ));
                }
                if q::staff_linked(c, sid)? {
                    return Err(ApiError::conflict(
                        "staff_id",
                        "this staff member already has an account",
                    ));
                }
                province_id = Some(staff.province_id);
            }
            let caller_path = crate::db::staff::unit_path_of(c, own_staff)?;
            let grants = resolve_grants(
                c,
                (&read_units, &manage),
                &body.roles,
                (body.staff_id, &[]),
                caller_path.as_deref(),
            )?;
            province_id = province_id.or_else(|| grants.iter().find_map(|g| g.province_id));
            if q::username_taken(c, &username)? {
                return Err(ApiError::conflict("username", "this username is taken"));
            }
            let new = NewUser {
                username: &username,
                password_hash: &hash,
                staff_id: body.staff_id,
                province_id,
            };
            Ok(q::insert(c, Some(actor), &new, &grants)?)
        })
    })
    .await?;
    Ok(created(
        format!("{BASE}/users/{}", user.id),
        &UserView::new(&user, &roles),
    ))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListUsers),
    responses((status = 200, body = Paged<UserView>), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ListUsers>,
) -> Result<web::Json<Paged<UserView>>, ApiError> {
    let page = PageParams {
        page: query.page,
        per_page: query.per_page,
    };
    let manage = auth.can(Action::ManageUsers);
    if manage.is_empty() {
        return Err(ApiError::Forbidden("listing accounts needs the admin role"));
    }
    let (users, roles) = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let unit_ids = if manage.all {
                Vec::new()
            } else {
                let filter = crate::db::units::UnitFilter::default();
                crate::db::units::list(c, &manage, &filter, i64::MAX, 0)?
                    .0
                    .into_iter()
                    .map(|u| u.id)
                    .collect()
            };
            let (users, total) = q::list(c, manage.all, &unit_ids, page.per_page(), page.offset())?;
            let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
            Ok::<_, ApiError>(((users, total), q::roles_of_many(c, &ids)?))
        })
    })
    .await?;
    let (users, total) = users;
    let mut by_user: HashMap<i64, Vec<RoleRow>> = HashMap::new();
    for r in roles {
        by_user.entry(r.user_id).or_default().push(r);
    }
    let items = users
        .iter()
        .map(|u| UserView::new(u, by_user.get(&u.id).map(Vec::as_slice).unwrap_or(&[])))
        .collect();
    Ok(web::Json(Paged::new(items, total, &page)))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    responses((status = 200, body = UserView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<UserView>, ApiError> {
    let id = id.into_inner();
    let manage = auth.can(Action::ManageUsers);
    let own = auth.id() == id;
    let view = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let user = q::find(c, id)?.ok_or(ApiError::NotFound)?;
            if !own && !manages_account(c, &manage, &user)? {
                return Err(ApiError::NotFound);
            }
            Ok(UserView::new(&user, &q::roles_of(c, id)?))
        })
    })
    .await?;
    Ok(web::Json(view))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UpdateUser,
    responses((status = 200, body = UserView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem),
              (status = 429, body = crate::error::Problem, description = "too many wrong passwords for the account or address; see Retry-After")),
    security(("bearer" = [])))]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<UpdateUser>,
) -> Result<web::Json<UserView>, ApiError> {
    let id = id.into_inner();
    let body = body.0;
    let manage = auth.can(Action::ManageUsers);
    let read_units = auth.can(Action::ReadUnits);
    let actor = auth.id();
    let own_staff = auth.actor.staff_id;
    let own = actor == id;
    if own && (body.is_active == Some(false) || body.roles.is_some()) {
        return Err(ApiError::field(
            if body.roles.is_some() {
                "roles"
            } else {
                "is_active"
            },
            "you cannot deactivate your own account or change your own roles",
        ));
    }
    let admin_change = body.is_active.is_some() || body.roles.is_some();
    // The hash the current password was verified against, outside the write turn.
    let verified_hash = if own && body.password.is_some() {
        Some(
            verify_current_password(
                &state,
                &req,
                &auth.user.username,
                id,
                &manage,
                admin_change,
                body.current_password.clone(),
            )
            .await?,
        )
    } else {
        None
    };
    // Someone who may not make the change is answered before a password is hashed: a
    // hash takes 19 MiB and tens of milliseconds, and anyone signed in could otherwise
    // have the server hash at will for accounts they cannot even see. Checked again in
    // the write below, under the account's lock.
    if body.password.is_some() && !own {
        let manage = manage.clone();
        blocking(&state, move |db: &Db| {
            db.read(|c| {
                let user = q::find(c, id)?.ok_or(ApiError::NotFound)?;
                authorize_update(c, &manage, own, admin_change, &user)
            })
        })
        .await?;
    }
    let (user, roles, changed) = blocking(&state, move |db: &Db| {
        let hash = match &body.password {
            Some(p) => Some(password::hash(p).map_err(|e| ApiError::Internal(e.to_string()))?),
            None => None,
        };
        db.write(|c| {
            crate::db::advisory_lock(c, crate::db::LockClass::Account, id)?;
            let user = q::find(c, id)?.ok_or(ApiError::NotFound)?;
            authorize_update(c, &manage, own, admin_change, &user)?;
            // The password may have changed since it was verified above.
            if own && body.password.is_some() && verified_hash.as_ref() != Some(&user.password_hash)
            {
                return Err(ApiError::field(
                    "current_password",
                    "is not your current password",
                ));
            }
            if body.password.as_deref() == Some(user.username.as_str()) {
                return Err(ApiError::field("password", "must not be the username"));
            }
            let grants = match &body.roles {
                Some(r) => {
                    let caller_path = crate::db::staff::unit_path_of(c, own_staff)?;
                    let held = q::roles_of(c, user.id)?;
                    Some(resolve_grants(
                        c,
                        (&read_units, &manage),
                        r,
                        (user.staff_id, &held),
                        caller_path.as_deref(),
                    )?)
                }
                None => None,
            };
            // A request that changes nothing writes nothing: no audit row, no emptied
            // cache (anyone may send one about their own account, as often as they like).
            if hash.is_none()
                && body.is_active.is_none_or(|a| a == user.is_active)
                && grants.is_none()
            {
                let roles = q::roles_of(c, user.id)?;
                return Ok((user, roles, false));
            }
            let change = AccountChange {
                password_hash: hash,
                is_active: body.is_active,
                grants,
            };
            let (user, roles) = q::update(c, Some(actor), &user, &change)?;
            Ok((user, roles, true))
        })
    })
    .await?;
    // The cached account may hold what just changed (password, activity, roles).
    if changed {
        state.actors.clear();
    }
    Ok(web::Json(UserView::new(&user, &roles)))
}

/// Who may make a change: anyone may change their own password; everything else
/// (`admin_change`: activity or roles) is an admin's.
fn authorize_update(
    c: &mut AnyConnection,
    manage: &Visibility,
    own: bool,
    admin_change: bool,
    user: &UserRow,
) -> Result<(), ApiError> {
    let manages = manages_account(c, manage, user)?;
    if !own && !manages {
        return Err(ApiError::NotFound);
    }
    if !manages && admin_change {
        return Err(ApiError::Forbidden(
            "changing accounts needs the admin role",
        ));
    }
    Ok(())
}

/// Checks `current_password` for a change of one's own password and answers the hash it
/// matched. It is verified outside any write transaction (on SQLite that would hold the
/// single writer turn for the whole argon2 verification), and it is a guess like a login's:
/// it counts in the login throttle for the account and the address, and once either is
/// locked it is refused as a login is.
async fn verify_current_password(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    username: &str,
    id: i64,
    manage: &Visibility,
    admin_change: bool,
    current: Option<String>,
) -> Result<String, ApiError> {
    let manage = manage.clone();
    let log = (
        "password change refused: too many failed attempts",
        "wrong current password",
    );
    let verified = throttled(
        state,
        super::auth::client_of(req, state),
        username,
        log,
        move |db: &Db| {
            let user = db.read(|c| {
                let user = q::find(c, id)?.ok_or(ApiError::NotFound)?;
                authorize_update(c, &manage, true, admin_change, &user)?;
                Ok::<_, ApiError>(user)
            })?;
            let current = current.ok_or_else(|| {
                ApiError::field(
                    "current_password",
                    "is required to change your own password",
                )
            })?;
            Ok(if password::verify(&current, &user.password_hash) {
                super::auth::Checked::Passed(user.password_hash)
            } else {
                super::auth::Checked::Failed
            })
        },
    )
    .await?;
    verified.ok_or_else(|| ApiError::field("current_password", "is not your current password"))
}
