//! `/leaves`: leave and business trips. A person's own request waits for their head; one
//! entered by a head, hr or an admin is approved at once. Approved leave excuses absence.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use super::{BASE, PageParams, Paged, blocking, created, local_now, local_time};
use crate::auth::AuthUser;
use crate::db::leaves::{self as q, LeaveRow, NewLeave};
use crate::db::{AnyConnection, Db, attendance};
use crate::domain::access::{Action, Actor, Visibility};
use crate::domain::codes::{HalfDay, LeaveKind, LeaveStatus};
use crate::domain::leave::clash;
use crate::domain::text::nfc;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_leave)
        .service(list_leaves)
        .service(get_leave)
        .service(approve_leave)
        .service(reject_leave)
        .service(cancel_leave);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeaveView {
    pub id: i64,
    pub staff_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kind: LeaveKind,
    pub kind_label: &'static str,
    pub half_day: Option<HalfDay>,
    /// Its Vietnamese label (API.md: every code comes with one).
    pub half_day_label: Option<&'static str>,
    pub reason: Option<String>,
    pub status: LeaveStatus,
    pub status_label: &'static str,
    pub requested_by: Option<i64>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
}

impl From<LeaveRow> for LeaveView {
    fn from(r: LeaveRow) -> Self {
        let kind = LeaveKind::parse(&r.kind).unwrap_or(LeaveKind::Other);
        let status = LeaveStatus::parse(&r.status).unwrap_or(LeaveStatus::Pending);
        let half_day = r.half_day.as_deref().and_then(HalfDay::parse);
        LeaveView {
            id: r.id,
            staff_id: r.staff_id,
            from: r.from_date,
            to: r.to_date,
            kind,
            kind_label: kind.label(),
            half_day,
            half_day_label: half_day.map(HalfDay::label),
            reason: r.reason,
            status,
            status_label: status.label(),
            requested_by: r.requested_by,
            decided_by: r.decided_by,
            decided_at: r.decided_at.map(local_time),
            created_at: local_time(r.created_at),
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLeave {
    pub staff_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kind: LeaveKind,
    /// Only for a single day: which half it covers.
    pub half_day: Option<HalfDay>,
    #[validate(length(max = 1000))]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListLeaves {
    pub staff_id: Option<i64>,
    /// The leave of this unit's people (with its subtree).
    pub unit_id: Option<i64>,
    pub status: Option<LeaveStatus>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

/// Re-derives the closed days of an approved leave (or one that no longer is).
fn rederive_leave(c: &mut AnyConnection, leave: &LeaveRow) -> Result<(), ApiError> {
    // The person is read under the attendance lock the re-derivation holds: a transfer
    // committed while this waited would otherwise be derived back.
    crate::db::advisory_lock(c, crate::db::LockClass::Attendance, leave.province_id)?;
    let people = attendance::people(c, &[leave.staff_id])?;
    attendance::rederive(c, &people, leave.from_date, leave.to_date, local_now())?;
    Ok(())
}

/// A leave and its person's unit path, if the caller may see that person.
/// A leave the reader sees, with its person and their unit's path.
fn visible_leave(
    c: &mut AnyConnection,
    read: &Visibility,
    id: i64,
) -> Result<(LeaveRow, crate::db::staff::StaffRow, String), ApiError> {
    let leave = q::find(c, id)?.ok_or(ApiError::NotFound)?;
    match crate::db::staff::find_with_path(c, leave.staff_id)? {
        Some((s, path)) if read.staff(s.id, &path) => Ok((leave, s, path)),
        _ => Err(ApiError::NotFound),
    }
}

#[utoipa::path(post, path = "/api/v1/leaves", tag = "attendance", request_body = CreateLeave,
    responses((status = 201, body = LeaveView), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/leaves")]
pub async fn create_leave(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<CreateLeave>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    super::storable_day("from", body.from)?;
    super::storable_day("to", body.to)?;
    if body.to < body.from {
        return Err(ApiError::field("to", "must not be before from"));
    }
    if (body.to - body.from).num_days() > 366 {
        return Err(ApiError::field(
            "to",
            "a leave spans at most a year; enter longer ones in parts",
        ));
    }
    if body.half_day.is_some() && body.from != body.to {
        return Err(ApiError::field(
            "half_day",
            "only a single day can be taken by halves",
        ));
    }
    let decide = auth.can(Action::DecideLeave);
    let read = auth.can(Action::ReadStaff);
    let own_staff = auth.actor.staff_id;
    let manager = auth.actor.clone();
    let actor = auth.id();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            // One person's leaves take turns: two sent at once (a double submit, or the
            // person and their head entering the same days) would each find no overlap
            // and both be stored, the day then showing whichever loads first. Taken before
            // the person is read, as a transfer takes it: the unit that decides whether
            // the leave is approved is the one it is stored under.
            crate::db::advisory_lock(c, crate::db::LockClass::Staff, body.staff_id)?;
            let (person, path) = match crate::db::staff::find_with_path(c, body.staff_id)? {
                Some((s, p)) if Some(s.id) == own_staff || decide.staff(s.id, &p) => (s, p),
                // Someone the caller reads (an inspector's) is out of scope, not unknown.
                Some((s, p)) if read.staff(s.id, &p) => {
                    return Err(ApiError::Forbidden(
                        "entering someone's leave needs the unit_head, hr or admin role over them",
                    ));
                }
                _ => return Err(ApiError::field("staff_id", "no such staff member")),
            };
            // One's own request waits for a head, even a head's own; and a head's entered
            // by a deputy or a co-head waits for the level above (`Actor::manages`).
            let status = if manager.manages(Action::DecideLeave, person.id, &path, person.is_head) {
                LeaveStatus::Approved
            } else {
                LeaveStatus::Pending
            };
            // The two halves of one day may be two leaves (annual leave in the morning, a
            // business trip in the afternoon); any other overlap is refused.
            let half = body.half_day;
            if let Some(other) = q::active_overlapping(c, person.id, body.from, body.to)?
                .iter()
                .find(|o| {
                    clash(
                        (body.from, body.to, half),
                        (
                            o.from_date,
                            o.to_date,
                            o.half_day.as_deref().and_then(HalfDay::parse),
                        ),
                    )
                })
            {
                return Err(ApiError::conflict(
                    "from",
                    format!(
                        "overlaps leave {} ({} to {})",
                        other.id, other.from_date, other.to_date
                    ),
                ));
            }
            let reason = body.reason.as_deref().map(nfc).filter(|r| !r.is_empty());
            let row = q::insert(
                c,
                person.unit_id,
                &NewLeave {
                    province_id: person.province_id,
                    staff_id: person.id,
                    from_date: body.from,
                    to_date: body.to,
                    kind: body.kind.code(),
                    half_day: body.half_day.map(HalfDay::code),
                    reason: reason.as_deref(),
                    status,
                    requested_by: Some(actor),
                },
            )?;
            if status == LeaveStatus::Approved {
                rederive_leave(c, &row)?;
            }
            Ok(row)
        })
    })
    .await?;
    Ok(created(
        format!("{BASE}/leaves/{}", row.id),
        &LeaveView::from(row),
    ))
}

#[utoipa::path(get, path = "/api/v1/leaves", tag = "attendance", params(ListLeaves),
    responses((status = 200, body = Paged<LeaveView>)), security(("bearer" = [])))]
#[get("/leaves")]
pub async fn list_leaves(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ListLeaves>,
) -> Result<web::Json<Paged<LeaveView>>, ApiError> {
    let query = query.0;
    let page = PageParams {
        page: query.page,
        per_page: query.per_page,
    };
    let read = auth.can(Action::ReadStaff);
    let read_units = auth.can(Action::ReadUnits);
    let (rows, total) = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let staff_ids = super::attendance::visible_staff_ids(
                c,
                &read,
                &read_units,
                query.staff_id,
                query.unit_id,
            )?;
            Ok(q::list(
                c,
                &staff_ids,
                query.status,
                page.per_page(),
                page.offset(),
            )?)
        })
    })
    .await?;
    Ok(web::Json(Paged::new(
        rows.into_iter().map(LeaveView::from).collect(),
        total,
        &page,
    )))
}

#[utoipa::path(get, path = "/api/v1/leaves/{id}", tag = "attendance",
    responses((status = 200, body = LeaveView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/leaves/{id}")]
pub async fn get_leave(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<LeaveView>, ApiError> {
    let id = id.into_inner();
    let read = auth.can(Action::ReadStaff);
    let (row, _, _) = blocking(&state, move |db: &Db| {
        db.read(|c| visible_leave(c, &read, id))
    })
    .await?;
    Ok(web::Json(row.into()))
}

/// Moves a leave to `to`, checking who may: heads, hr and admins over the person decide
/// (never on their own leave); the person may cancel a leave they asked for themselves,
/// not one a head, hr or an admin entered for them (a sick leave or business trip HR
/// recorded is theirs to undo).
async fn transition(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: i64,
    to: LeaveStatus,
) -> Result<web::Json<LeaveView>, ApiError> {
    let read = auth.can(Action::ReadStaff);
    let actor: Actor = auth.actor.clone();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            // The person's turn first, as entering a leave and a transfer take it: a
            // decision that read the person in their old unit while a transfer moved them
            // would let the old unit's head decide for the new one.
            if let Some(leave) = q::find(c, id)? {
                crate::db::advisory_lock(c, crate::db::LockClass::Staff, leave.staff_id)?;
            }
            let (leave, person, path) = visible_leave(c, &read, id)?;
            let unit_id = person.unit_id;
            let own = actor.staff_id == Some(leave.staff_id);
            let asked_myself = own && leave.requested_by == Some(actor.user_id);
            // Heads, hr and admins over the person, never on their own leave; a head's is
            // for the level above, not a deputy or co-head of their unit.
            let decider = actor.manages(Action::DecideLeave, person.id, &path, person.is_head);
            let current = LeaveStatus::parse(&leave.status).unwrap_or(LeaveStatus::Pending);
            let allowed_from: &[LeaveStatus] = match to {
                LeaveStatus::Approved | LeaveStatus::Rejected => {
                    if !decider {
                        return Err(ApiError::Forbidden(if own {
                            "your own leave is decided by your head"
                        } else {
                            "deciding leave needs the unit_head, hr or admin role over the person"
                        }));
                    }
                    &[LeaveStatus::Pending]
                }
                _ => {
                    if !decider && !asked_myself {
                        return Err(ApiError::Forbidden(if own {
                            "a leave entered for you by a head, hr or an admin is cancelled by them"
                        } else {
                            "only the person or their head can cancel a leave"
                        }));
                    }
                    &[LeaveStatus::Pending, LeaveStatus::Approved]
                }
            };
            if !allowed_from.contains(&current) {
                return Err(ApiError::Conflict {
                    detail: format!(
                        "the leave is {} and cannot become {}",
                        current.code(),
                        to.code()
                    ),
                    errors: Default::default(),
                });
            }
            let row = q::decide(c, actor.user_id, unit_id, &leave, to)?.ok_or_else(|| {
                ApiError::Conflict {
                    detail: "the leave was decided or cancelled meanwhile".into(),
                    errors: Default::default(),
                }
            })?;
            if current == LeaveStatus::Approved || to == LeaveStatus::Approved {
                rederive_leave(c, &row)?;
            }
            Ok(row)
        })
    })
    .await?;
    Ok(web::Json(row.into()))
}

#[utoipa::path(post, path = "/api/v1/leaves/{id}/approve", tag = "attendance",
    responses((status = 200, body = LeaveView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/leaves/{id}/approve")]
pub async fn approve_leave(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<LeaveView>, ApiError> {
    transition(state, auth, id.into_inner(), LeaveStatus::Approved).await
}

#[utoipa::path(post, path = "/api/v1/leaves/{id}/reject", tag = "attendance",
    responses((status = 200, body = LeaveView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/leaves/{id}/reject")]
pub async fn reject_leave(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<LeaveView>, ApiError> {
    transition(state, auth, id.into_inner(), LeaveStatus::Rejected).await
}

#[utoipa::path(post, path = "/api/v1/leaves/{id}/cancel", tag = "attendance",
    responses((status = 200, body = LeaveView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/leaves/{id}/cancel")]
pub async fn cancel_leave(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<LeaveView>, ApiError> {
    transition(state, auth, id.into_inner(), LeaveStatus::Cancelled).await
}
