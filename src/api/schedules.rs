//! `/schedules`: working hours per unit and season, inherited down the unit tree.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use super::units::visible_unit;
use super::{BASE, blocking, created, local_now, local_time};
use crate::auth::AuthUser;
use crate::db::schedules::{self as q, ScheduleFields, ScheduleRow};
use crate::db::{AnyConnection, Db, attendance};
use crate::domain::access::Action;
use crate::domain::attendance::{
    Session, format_sessions, format_weekdays, parse_clock, parse_sessions, parse_weekdays,
    sessions_problem,
};
use crate::domain::codes::PunchMode;
use crate::error::{ApiError, FieldErrors};
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_schedule)
        .service(list_schedules)
        .service(get_schedule)
        .service(update_schedule);
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionDto {
    /// `HH:MM`, local time.
    #[schema(example = "07:30")]
    pub start: String,
    #[schema(example = "11:30")]
    pub end: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleView {
    pub id: i64,
    pub unit_id: i64,
    pub province_id: i64,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// ISO weekdays, 1 = Monday.
    pub weekdays: Vec<u8>,
    pub sessions: Vec<SessionDto>,
    pub grace_minutes: i32,
    pub punch_mode: PunchMode,
    pub punch_mode_label: &'static str,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl From<ScheduleRow> for ScheduleView {
    fn from(r: ScheduleRow) -> Self {
        let mode = PunchMode::parse(&r.punch_mode).unwrap_or(PunchMode::Daily);
        ScheduleView {
            id: r.id,
            unit_id: r.unit_id,
            province_id: r.province_id,
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            weekdays: parse_weekdays(&r.weekdays),
            sessions: parse_sessions(&r.sessions)
                .unwrap_or_default()
                .iter()
                .map(|s| SessionDto {
                    start: s.start.format("%H:%M").to_string(),
                    end: s.end.format("%H:%M").to_string(),
                })
                .collect(),
            grace_minutes: r.grace_minutes,
            punch_mode: mode,
            punch_mode_label: mode.label(),
            created_at: local_time(r.created_at),
            updated_at: local_time(r.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSchedule {
    pub unit_id: i64,
    pub valid_from: NaiveDate,
    /// Inclusive; omit for open-ended.
    pub valid_to: Option<NaiveDate>,
    pub weekdays: Vec<u8>,
    pub sessions: Vec<SessionDto>,
    #[validate(range(min = 0, max = 120))]
    pub grace_minutes: i32,
    /// Once a day (default) or per session.
    pub punch_mode: Option<PunchMode>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSchedule {
    pub valid_from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "super::extract::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub valid_to: Option<Option<NaiveDate>>,
    pub weekdays: Option<Vec<u8>>,
    pub sessions: Option<Vec<SessionDto>>,
    #[validate(range(min = 0, max = 120))]
    pub grace_minutes: Option<i32>,
    pub punch_mode: Option<PunchMode>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListSchedules {
    pub unit_id: i64,
    /// Also the schedules of the units above it, nearest first, which the unit follows
    /// where it has none of its own (default false: the unit's own).
    pub inherited: Option<bool>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

/// Checks the parts of a schedule that span fields, returning its stored forms.
fn checked(
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    weekdays: &[u8],
    sessions: &[SessionDto],
) -> Result<(String, String), ApiError> {
    let mut errors = FieldErrors::new();
    for (field, day) in [("valid_from", Some(valid_from)), ("valid_to", valid_to)] {
        if day.is_some_and(|d| !crate::domain::calendar::storable(d)) {
            errors.insert(
                field.into(),
                vec![crate::domain::calendar::NOT_STORABLE.into()],
            );
        }
    }
    if valid_to.is_some_and(|to| to < valid_from) {
        errors.insert(
            "valid_to".into(),
            vec!["must not be before valid_from".into()],
        );
    }
    let mut days = weekdays.to_vec();
    days.sort_unstable();
    days.dedup();
    if days.is_empty() || days.len() != weekdays.len() || days.iter().any(|d| !(1..=7).contains(d))
    {
        errors.insert(
            "weekdays".into(),
            vec!["must be distinct ISO weekdays 1 (Monday) to 7 (Sunday)".into()],
        );
    }
    let mut parsed: Vec<Session> = Vec::new();
    for (i, s) in sessions.iter().enumerate() {
        match (parse_clock(&s.start), parse_clock(&s.end)) {
            (Some(start), Some(end)) => parsed.push(Session { start, end }),
            _ => {
                errors.insert(format!("sessions[{i}]"), vec!["times must be HH:MM".into()]);
            }
        }
    }
    if parsed.len() == sessions.len()
        && let Some(problem) = sessions_problem(&parsed)
    {
        errors.insert("sessions".into(), vec![problem.into()]);
    }
    if errors.is_empty() {
        Ok((format_weekdays(&days), format_sessions(&parsed)))
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Re-derives the closed days a schedule change may alter: every person in the unit's
/// subtree in the window (those transferred out since, too) over the old and the new
/// validity.
fn rederive_for(
    c: &mut AnyConnection,
    unit_path: &str,
    ranges: &[(NaiveDate, Option<NaiveDate>)],
) -> Result<(), ApiError> {
    let now = local_now();
    let earliest = now.date() - chrono::Duration::days(attendance::RETRO_DAYS);
    let people = attendance::people_ever_below(c, unit_path, None, earliest)?;
    for (from, to) in ranges {
        attendance::rederive(
            c,
            &people,
            (*from).max(earliest),
            to.unwrap_or(now.date()),
            now,
        )?;
    }
    Ok(())
}

fn overlap_conflict(other: &ScheduleRow) -> ApiError {
    ApiError::conflict(
        "valid_from",
        format!(
            "overlaps schedule {} of the same unit (from {}{})",
            other.id,
            other.valid_from,
            other
                .valid_to
                .map(|t| format!(" to {t}"))
                .unwrap_or_default()
        ),
    )
}

#[utoipa::path(post, path = "/api/v1/schedules", tag = "attendance", request_body = CreateSchedule,
    responses((status = 201, body = ScheduleView), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/schedules")]
pub async fn create_schedule(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<CreateSchedule>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let (weekdays, sessions) = checked(
        body.valid_from,
        body.valid_to,
        &body.weekdays,
        &body.sessions,
    )?;
    let read = auth.can(Action::ReadUnits);
    let write = auth.can(Action::WriteUnits);
    let actor = auth.id();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let province = visible_unit(c, &read, body.unit_id, "unit_id")?.province_id;
            // Two admins adding overlapping schedules at once on PostgreSQL would both
            // find no overlap: the province's attendance lock, which the re-derivation
            // below takes anyway, makes them take turns. The unit is read under it, as a
            // unit move holds it: a path read before would re-derive nobody.
            crate::db::advisory_lock(c, crate::db::LockClass::Attendance, province)?;
            let unit = visible_unit(c, &read, body.unit_id, "unit_id")?;
            if !write.subtree(&unit.path) {
                return Err(ApiError::Forbidden(
                    "schedules need the admin role on the unit",
                ));
            }
            if let Some(other) = q::overlapping(c, unit.id, body.valid_from, body.valid_to, None)? {
                return Err(overlap_conflict(&other));
            }
            let row = q::insert(
                c,
                Some(actor),
                &ScheduleFields {
                    province_id: unit.province_id,
                    unit_id: unit.id,
                    valid_from: body.valid_from,
                    valid_to: body.valid_to,
                    weekdays,
                    sessions,
                    grace_minutes: body.grace_minutes,
                    punch_mode: body
                        .punch_mode
                        .unwrap_or(PunchMode::Daily)
                        .code()
                        .to_owned(),
                },
            )?;
            rederive_for(c, &unit.path, &[(row.valid_from, row.valid_to)])?;
            Ok(row)
        })
    })
    .await?;
    Ok(created(
        format!("{BASE}/schedules/{}", row.id),
        &ScheduleView::from(row),
    ))
}

#[utoipa::path(get, path = "/api/v1/schedules", tag = "attendance", params(ListSchedules),
    responses((status = 200, body = super::Paged<ScheduleView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/schedules")]
pub async fn list_schedules(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ListSchedules>,
) -> Result<web::Json<super::Paged<ScheduleView>>, ApiError> {
    let unit_id = query.unit_id;
    let page = super::PageParams {
        page: query.page,
        per_page: query.per_page,
    };
    let inherited = query.inherited.unwrap_or(false);
    let read = auth.can(Action::ReadUnits);
    let rows = blocking(&state, move |db: &Db| {
        db.read(|c| match crate::db::units::find(c, unit_id)? {
            Some(u) if read.unit(u.id, &u.path) => {
                if !inherited {
                    return Ok(q::for_unit(c, u.id)?);
                }
                // Whoever reads a unit reads the hours it is judged by, held above it
                // (the province's timetable, typically) as much as its own.
                let mut rows = Vec::new();
                for id in ancestry(&u.path) {
                    rows.extend(q::for_unit(c, id)?);
                }
                Ok(rows)
            }
            _ => Err(ApiError::NotFound),
        })
    })
    .await?;
    Ok(web::Json(super::paginate(rows, &page, ScheduleView::from)))
}

/// The ids of the units on `path`, the unit itself first and the province last.
fn ancestry(path: &str) -> Vec<i64> {
    path.split('/')
        .filter_map(|id| id.parse::<i64>().ok())
        .rev()
        .collect()
}

/// A schedule and its unit's path, if the caller sees the unit.
fn visible_schedule(
    c: &mut AnyConnection,
    read: &crate::domain::access::Visibility,
    id: i64,
) -> Result<(ScheduleRow, String), ApiError> {
    let row = q::find(c, id)?.ok_or(ApiError::NotFound)?;
    match crate::db::units::find(c, row.unit_id)? {
        Some(u) if read.unit(u.id, &u.path) => Ok((row, u.path)),
        _ => Err(ApiError::NotFound),
    }
}

#[utoipa::path(get, path = "/api/v1/schedules/{id}", tag = "attendance",
    responses((status = 200, body = ScheduleView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/schedules/{id}")]
pub async fn get_schedule(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<ScheduleView>, ApiError> {
    let id = id.into_inner();
    let read = auth.can(Action::ReadUnits);
    let (row, _) = blocking(&state, move |db: &Db| {
        db.read(|c| visible_schedule(c, &read, id))
    })
    .await?;
    Ok(web::Json(row.into()))
}

#[utoipa::path(patch, path = "/api/v1/schedules/{id}", tag = "attendance", request_body = UpdateSchedule,
    responses((status = 200, body = ScheduleView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[patch("/schedules/{id}")]
pub async fn update_schedule(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<UpdateSchedule>,
) -> Result<web::Json<ScheduleView>, ApiError> {
    let id = id.into_inner();
    let body = body.0;
    let read = auth.can(Action::ReadUnits);
    let write = auth.can(Action::WriteUnits);
    let actor = auth.id();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            // Read under the province's attendance lock, which schedule changes and unit
            // moves take: a schedule read before it would be written back whole over a
            // change made meanwhile (each field not in the request taken from the stale
            // copy), with a wrong `before` in the audit.
            let province = visible_schedule(c, &read, id)?.0.province_id;
            crate::db::advisory_lock(c, crate::db::LockClass::Attendance, province)?;
            let (current, path) = visible_schedule(c, &read, id)?;
            if !write.subtree(&path) {
                return Err(ApiError::Forbidden(
                    "schedules need the admin role on the unit",
                ));
            }
            let valid_from = body.valid_from.unwrap_or(current.valid_from);
            let valid_to = body.valid_to.unwrap_or(current.valid_to);
            let weekdays = body
                .weekdays
                .unwrap_or_else(|| parse_weekdays(&current.weekdays));
            let sessions = match body.sessions {
                Some(s) => s,
                None => ScheduleView::from(current.clone()).sessions,
            };
            let (weekdays, sessions) = checked(valid_from, valid_to, &weekdays, &sessions)?;
            if let Some(other) =
                q::overlapping(c, current.unit_id, valid_from, valid_to, Some(current.id))?
            {
                return Err(overlap_conflict(&other));
            }
            let fields = ScheduleFields {
                valid_from,
                valid_to,
                weekdays,
                sessions,
                grace_minutes: body.grace_minutes.unwrap_or(current.grace_minutes),
                punch_mode: body
                    .punch_mode
                    .map_or(current.punch_mode.clone(), |m| m.code().to_owned()),
                ..current.fields()
            };
            if fields == current.fields() {
                return Ok(current);
            }
            let row = q::update(c, Some(actor), &current, &fields)?;
            rederive_for(
                c,
                &path,
                &[
                    (current.valid_from, current.valid_to),
                    (row.valid_from, row.valid_to),
                ],
            )?;
            Ok(row)
        })
    })
    .await?;
    Ok(web::Json(row.into()))
}
