//! The HTTP API: thin actix handlers, one module per resource. Handlers parse and check
//! input, decide access with `domain::access`, and run their database work in one
//! blocking closure (one transaction for writes).

pub mod attendance;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod checkins;
pub mod discipline;
pub mod disputes;
pub mod dossiers;
pub mod evaluations;
pub mod evidence;
pub mod extract;
pub mod findings;
pub mod health;
pub mod inspections;
pub mod leaves;
pub mod notifications;
pub mod onestop;
pub mod openapi;
pub mod policies;
pub mod reform;
pub mod schedules;
pub mod scores;
pub mod staff;
pub mod submissions;
pub mod surveys;
pub mod timesheet;
pub mod transfers;
pub mod units;
pub mod users;
pub mod violation_types;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::ApiError;
use crate::startup::AppState;

pub const BASE: &str = "/api/v1";

/// Mounts every route; shared by the server and by tests.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .configure(auth::routes)
            .configure(units::routes)
            .configure(staff::routes)
            .configure(transfers::routes)
            .configure(users::routes)
            .configure(audit::routes)
            .configure(schedules::routes)
            .configure(calendar::routes)
            .configure(leaves::routes)
            .configure(checkins::routes)
            .configure(attendance::routes)
            .configure(timesheet::routes)
            .configure(dossiers::routes)
            .configure(surveys::routes)
            .configure(violation_types::routes)
            .configure(inspections::routes)
            .configure(findings::routes)
            .configure(evidence::routes)
            .configure(discipline::routes)
            .configure(policies::routes)
            .configure(evaluations::routes)
            .configure(reform::routes)
            .configure(scores::routes)
            .configure(notifications::routes)
            .configure(onestop::routes)
            .configure(disputes::routes),
    )
    .configure(health::routes)
    .configure(openapi::routes);
}

/// Runs database work on a blocking thread, as diesel is synchronous.
pub async fn blocking<T, F>(state: &web::Data<AppState>, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&crate::db::Db) -> Result<T, ApiError> + Send + 'static,
{
    let db = state.db.clone();
    web::block(move || f(&db)).await?
}

/// Page selection shared by list endpoints (`?page=&per_page=`); the whole query of a
/// list that takes nothing else.
#[derive(Debug, Clone, Copy, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// 1-based page number (default 1).
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    /// Items per page (default 50, at most 500).
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

impl PageParams {
    pub fn page(&self) -> i64 {
        self.page.unwrap_or(1)
    }
    pub fn per_page(&self) -> i64 {
        self.per_page.unwrap_or(50)
    }
    pub fn offset(&self) -> i64 {
        (self.page() - 1) * self.per_page()
    }
    /// This page's part of an in-memory list, and the list's length: for a list whose
    /// items cost a query each to show, only the page's are shown.
    pub fn window<R>(&self, rows: Vec<R>) -> (Vec<R>, i64) {
        let total = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let rows = rows
            .into_iter()
            .skip(usize::try_from(self.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(self.per_page()).unwrap_or(0))
            .collect();
        (rows, total)
    }
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T: ToSchema> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T: ToSchema> Paged<T> {
    pub fn new(items: Vec<T>, total: i64, p: &PageParams) -> Self {
        Paged {
            items,
            total,
            page: p.page(),
            per_page: p.per_page(),
        }
    }
}

/// One page of an in-memory list (for lists that are small by nature: one person's
/// events in a range, a unit's schedules, a year's calendar).
pub fn paginate<R, T: ToSchema>(
    rows: Vec<R>,
    p: &PageParams,
    view: impl FnMut(R) -> T,
) -> Paged<T> {
    let (rows, total) = p.window(rows);
    Paged::new(rows.into_iter().map(view).collect(), total, p)
}

/// Stored UTC instants are shown in Vietnam's time with its offset (+07:00).
pub fn local_time(utc: NaiveDateTime) -> DateTime<FixedOffset> {
    chrono_tz::Asia::Ho_Chi_Minh
        .from_utc_datetime(&utc)
        .fixed_offset()
}

/// 201 with a Location header.
pub fn created<T: Serialize>(location: String, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location))
        .json(body)
}

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// The current local time in Asia/Ho_Chi_Minh, as attendance sees it.
pub fn local_now() -> chrono::NaiveDateTime {
    crate::domain::attendance::to_local(crate::db::now())
}

/// A date both databases hold alike (`domain::calendar::storable`), or 422 on `field`.
pub(crate) fn storable_day(field: &str, day: chrono::NaiveDate) -> Result<(), ApiError> {
    use crate::domain::calendar::{NOT_STORABLE, storable};
    if storable(day) {
        Ok(())
    } else {
        Err(ApiError::field(field, NOT_STORABLE))
    }
}

/// `storable_day` for a field validator checks.
pub(crate) fn storable_date(day: &chrono::NaiveDate) -> Result<(), validator::ValidationError> {
    use crate::domain::calendar::{NOT_STORABLE, storable};
    if storable(*day) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("range").with_message(NOT_STORABLE.into()))
    }
}

/// Attendance times (local wall-clock) with Vietnam's offset.
pub fn local_wall_time(local: NaiveDateTime) -> DateTime<FixedOffset> {
    local_time(crate::domain::attendance::to_utc(local))
}
