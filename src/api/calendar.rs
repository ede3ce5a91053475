//! `/calendar`: public holidays, days off in lieu and compensatory working days, national
//! or for one province; the Labour Code's fixed holidays are listed for every year.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use super::{blocking, local_now};
use crate::auth::AuthUser;
use crate::db::calendar::{self as q, CalendarRow};
use crate::db::{AnyConnection, Db, attendance};
use crate::domain::access::{Action, Actor, Visibility};
use crate::domain::calendar::fixed_holidays;
use crate::domain::codes::CalendarKind;
use crate::domain::text::nfc;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(add_days).service(list_days).service(delete_day);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDayView {
    /// None for the Labour Code's fixed holidays, which are built in.
    pub id: Option<i64>,
    pub date: NaiveDate,
    pub kind: CalendarKind,
    pub kind_label: &'static str,
    pub name: String,
    /// None: national.
    pub province_id: Option<i64>,
    /// `labour_code` (built in) or `entered`.
    pub source: &'static str,
}

impl From<CalendarRow> for CalendarDayView {
    fn from(r: CalendarRow) -> Self {
        let kind = CalendarKind::parse(&r.kind).unwrap_or(CalendarKind::Holiday);
        CalendarDayView {
            id: Some(r.id),
            date: r.day,
            kind,
            kind_label: kind.label(),
            name: r.name,
            province_id: r.province_id,
            source: "entered",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDayInput {
    #[validate(custom(function = "super::storable_date"))]
    pub date: NaiveDate,
    pub kind: CalendarKind,
    #[validate(custom(function = "super::units::name_rule"))]
    pub name: String,
    /// The province (root unit) it applies to; omit for a national entry.
    pub province_id: Option<i64>,
}

/// A whole year's list in one request.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDays {
    #[validate(length(min = 1, max = 400), nested)]
    pub days: Vec<CalendarDayInput>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListCalendar {
    #[validate(range(min = 1900, max = 2200))]
    pub year: i32,
    /// Also the entries of this province.
    pub province_id: Option<i64>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

/// Who may change entries of `province_id`: an admin of every unit for national ones, an
/// admin of the province's root for the province's.
fn check_scope(
    c: &mut AnyConnection,
    who: &Actor,
    read: &Visibility,
    write: &Visibility,
    province_id: Option<i64>,
    field: &str,
) -> Result<(), ApiError> {
    match province_id {
        None if write.all => Ok(()),
        None => Err(ApiError::Forbidden(
            "national calendar entries need an administrator of every unit",
        )),
        Some(p) => {
            // Everyone in the province reads its calendar: a department's administrator
            // sending its id is out of scope (403), not naming an unknown unit.
            let unit = match crate::db::units::find(c, p)? {
                Some(u)
                    if (who.in_province(u.id) && u.parent_id.is_none())
                        || read.unit(u.id, &u.path) =>
                {
                    u
                }
                _ => return Err(ApiError::field(field, "no such unit")),
            };
            if unit.parent_id.is_some() {
                return Err(ApiError::field(field, "must be a province (a root unit)"));
            }
            if write.subtree(&unit.path) {
                Ok(())
            } else {
                Err(ApiError::Forbidden(
                    "the province's calendar needs the admin role on the province",
                ))
            }
        }
    }
}

/// Re-derives the closed days the entries touch, for everyone they apply to.
fn rederive_days(c: &mut AnyConnection, days: &[(Option<i64>, NaiveDate)]) -> Result<(), ApiError> {
    let now = local_now();
    let past: Vec<&(Option<i64>, NaiveDate)> =
        days.iter().filter(|(_, d)| *d < now.date()).collect();
    if past.is_empty() {
        return Ok(());
    }
    let mut scopes: Vec<Option<i64>> = past.iter().map(|(p, _)| *p).collect();
    scopes.sort_unstable();
    scopes.dedup();
    for scope in scopes {
        let mut provinces: Vec<(i64, String)> = match scope {
            Some(p) => crate::db::units::find(c, p)?
                .map(|u| (u.id, u.path))
                .into_iter()
                .collect(),
            None => crate::db::units::roots(c)?
                .into_iter()
                .map(|u| (u.id, u.path))
                .collect(),
        };
        // The people are read under the attendance locks the re-derivation holds (taken in
        // id order, as everywhere): a transfer committed meanwhile is not derived back.
        provinces.sort_unstable();
        for (id, _) in &provinces {
            crate::db::advisory_lock(c, crate::db::LockClass::Attendance, *id)?;
        }
        for (_, path) in provinces {
            let people = attendance::people_below(c, &path)?;
            for (_, day) in past.iter().filter(|(p, _)| *p == scope) {
                attendance::rederive(c, &people, *day, *day, now)?;
            }
        }
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/calendar", tag = "attendance",
    request_body(content = CalendarDayInput, description = "one day, or `{\"days\": [...]}` for a whole year's list"),
    responses((status = 201, body = CalendarDayView, description = "the day; a list of days for a list"),
              (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/calendar")]
pub async fn add_days(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<super::extract::AnyJson>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0.0;
    let single = body.get("days").is_none();
    let days: Vec<CalendarDayInput> = if !single {
        let many: CalendarDays = super::extract::from_value(body)?;
        many.days
    } else {
        vec![super::extract::from_value::<CalendarDayInput>(body)?]
    };
    let read = auth.can(Action::ReadUnits);
    let write = auth.can(Action::WriteUnits);
    let who = auth.actor.clone();
    let actor = auth.id();
    let rows = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let many = days.len() > 1;
            let mut rows = Vec::with_capacity(days.len());
            let mut touched: Vec<(Option<i64>, NaiveDate)> = Vec::new();
            for (i, d) in days.iter().enumerate() {
                let field = if many {
                    format!("days[{i}].province_id")
                } else {
                    "province_id".to_owned()
                };
                check_scope(c, &who, &read, &write, d.province_id, &field)?;
                // One day at a time adds; a whole list replaces what it names, so sending
                // a year's list again changes nothing.
                if single && q::find_on(c, d.province_id, d.date)?.is_some() {
                    return Err(ApiError::conflict(
                        "date",
                        "this day already has an entry; delete it first or send a list",
                    ));
                }
                let (row, judged) =
                    q::upsert(c, Some(actor), d.province_id, d.date, d.kind, &nfc(&d.name))?;
                // Only the days whose entry is new or changed kind are judged again: a
                // list sent again would otherwise re-derive each of its past days for
                // every person (of every province, for the national list) under their
                // attendance locks.
                if judged {
                    touched.push((row.province_id, row.day));
                }
                rows.push(row);
            }
            rederive_days(c, &touched)?;
            Ok(rows)
        })
    })
    .await?;
    let mut views: Vec<CalendarDayView> = rows.into_iter().map(CalendarDayView::from).collect();
    match (single, views.pop()) {
        (true, Some(view)) => Ok(super::created(
            format!("{}/calendar/{}", super::BASE, view.id.unwrap_or_default()),
            &view,
        )),
        (_, last) => {
            views.extend(last);
            Ok(HttpResponse::Created().json(views))
        }
    }
}

#[utoipa::path(get, path = "/api/v1/calendar", tag = "attendance", params(ListCalendar),
    responses((status = 200, body = super::Paged<CalendarDayView>)), security(("bearer" = [])))]
#[get("/calendar")]
pub async fn list_days(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ListCalendar>,
) -> Result<web::Json<super::Paged<CalendarDayView>>, ApiError> {
    // Another province's calendar is not for those without a role in it: as if it did
    // not exist (the violation catalogue answers the same way).
    if query
        .province_id
        .is_some_and(|p| !auth.actor.in_province(p))
    {
        return Err(ApiError::NotFound);
    }
    let ListCalendar {
        year,
        province_id,
        page,
        per_page,
    } = query.0;
    let page = super::PageParams { page, per_page };
    // Without a province named, the caller's own when their roles are all in one: the
    // days their attendance is judged by, a province's extra Tết day included. (Before,
    // only the national entries were listed.)
    let province_id = province_id.or_else(|| auth.actor.only_province());
    let (from, to) = match (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) {
        (Some(f), Some(t)) => (f, t),
        _ => return Err(ApiError::field("year", "is not a valid year")),
    };
    let rows = blocking(&state, move |db: &Db| {
        db.read(|c| {
            Ok::<_, ApiError>(q::entries_in(
                c,
                &province_id.into_iter().collect::<Vec<_>>(),
                from,
                to,
            )?)
        })
    })
    .await?;
    let mut views: Vec<CalendarDayView> = fixed_holidays(year)
        .into_iter()
        .filter(|(date, _)| {
            !rows
                .iter()
                .any(|r| r.day == *date && r.province_id.is_none())
        })
        .map(|(date, name)| CalendarDayView {
            id: None,
            date,
            kind: CalendarKind::Holiday,
            kind_label: CalendarKind::Holiday.label(),
            name: name.to_owned(),
            province_id: None,
            source: "labour_code",
        })
        .collect();
    views.extend(rows.into_iter().map(CalendarDayView::from));
    views.sort_by_key(|v| (v.date, v.province_id.is_some()));
    Ok(web::Json(super::paginate(views, &page, |v| v)))
}

#[utoipa::path(delete, path = "/api/v1/calendar/{id}", tag = "attendance",
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[delete("/calendar/{id}")]
pub async fn delete_day(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let read = auth.can(Action::ReadUnits);
    let write = auth.can(Action::WriteUnits);
    let who = auth.actor.clone();
    let actor = auth.id();
    blocking(&state, move |db: &Db| {
        db.write(|c| {
            // An entry of a province out of sight is as missing as one that is not.
            let row = q::find(c, id)?
                .filter(|r| r.province_id.is_none_or(|p| who.in_province(p)))
                .ok_or(ApiError::NotFound)?;
            check_scope(c, &who, &read, &write, row.province_id, "id")?;
            q::delete(c, Some(actor), &row)?;
            rederive_days(c, &[(row.province_id, row.day)])
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
