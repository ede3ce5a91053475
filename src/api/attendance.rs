//! Derived attendance: a person's days, a unit's morning overview, and the violation
//! register. Attendance is derived on read from the stored events, so it always reflects
//! the latest data; the register keeps the violations of closed days.

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::{get, web};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::ValidQuery;
use super::{PageParams, Paged, blocking, local_now, local_time, local_wall_time};
use crate::auth::AuthUser;
use crate::db::attendance::{self as engine, Derived, Person};
use crate::db::moves::Posted;
use crate::db::violations::{self, ViolationFilter, ViolationRow};
use crate::db::{AnyConnection, Db};
use crate::domain::access::{Action, Visibility};
use crate::domain::codes::AttendanceStatus;
use crate::domain::postings::{Earlier, unit_on};
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(attendance)
        .service(overview)
        .service(list_violations);
}

/// Longest range one request derives.
const MAX_DAYS: i64 = 366;

#[derive(Debug, Serialize, ToSchema)]
pub struct DayView {
    pub date: NaiveDate,
    pub status: AttendanceStatus,
    pub status_label: &'static str,
    pub first_in: Option<DateTime<FixedOffset>>,
    pub last_out: Option<DateTime<FixedOffset>>,
    pub late_minutes: i64,
    pub early_leave_minutes: i64,
    pub worked_minutes: i64,
}

impl From<&Derived> for DayView {
    fn from(d: &Derived) -> Self {
        let r = &d.record;
        DayView {
            date: r.date,
            status: r.status,
            status_label: r.status.label(),
            first_in: r.first_in.map(local_wall_time),
            last_out: r.last_out.map(local_wall_time),
            late_minutes: r.late_minutes,
            early_leave_minutes: r.early_leave_minutes,
            worked_minutes: r.worked_minutes,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttendanceList {
    pub staff_id: i64,
    pub items: Vec<DayView>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AttendanceQuery {
    pub staff_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

pub(crate) fn check_range(from: NaiveDate, to: NaiveDate) -> Result<(), ApiError> {
    // Dates the service can hold: chrono's extremes overflow the time-zone arithmetic.
    for (field, day) in [("from", from), ("to", to)] {
        if !(1990..=2100).contains(&day.year()) {
            return Err(ApiError::field(
                field,
                "must be a date between 1990 and 2100",
            ));
        }
    }
    if to < from {
        return Err(ApiError::field("to", "must not be before from"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(ApiError::field("to", "at most 366 days at a time"));
    }
    Ok(())
}

/// A person the caller may read, with their unit path.
pub(crate) fn visible_person(
    c: &mut AnyConnection,
    read: &Visibility,
    staff_id: i64,
) -> Result<Person, ApiError> {
    match crate::db::staff::find_with_path(c, staff_id)? {
        Some((staff, unit_path)) if read.staff(staff.id, &unit_path) => {
            Ok(Person { staff, unit_path })
        }
        _ => Err(ApiError::NotFound),
    }
}

/// A person whose record the caller reads (`Whole`), or, after a transfer, only the days
/// they were in a unit the caller reads (`Days`): the old unit's head still reads and
/// voids what happened in their unit. Anyone else is 404.
pub(crate) enum Reach {
    Whole(Person),
    Days {
        person: Person,
        earlier: Vec<Earlier<Posted>>,
        now: Posted,
    },
}

impl Reach {
    pub(crate) fn person(&self) -> &Person {
        match self {
            Reach::Whole(p) | Reach::Days { person: p, .. } => p,
        }
    }

    /// Whether the caller reads the person's `day`.
    pub(crate) fn covers(&self, read: &Visibility, day: NaiveDate) -> bool {
        match self {
            Reach::Whole(_) => true,
            Reach::Days {
                person,
                earlier,
                now,
            } => read.staff(person.staff.id, &unit_on(earlier, now, day).path),
        }
    }
}

pub(crate) fn reach(
    c: &mut AnyConnection,
    read: &Visibility,
    staff_id: i64,
) -> Result<Reach, ApiError> {
    let (staff, unit_path) =
        crate::db::staff::find_with_path(c, staff_id)?.ok_or(ApiError::NotFound)?;
    if read.staff(staff.id, &unit_path) {
        return Ok(Reach::Whole(Person { staff, unit_path }));
    }
    let earlier = crate::db::moves::earlier_of(c, &[staff.id])?
        .remove(&staff.id)
        .unwrap_or_default();
    if !earlier.iter().any(|e| read.staff(staff.id, &e.unit.path)) {
        return Err(ApiError::NotFound);
    }
    let now = Posted {
        unit_id: staff.unit_id,
        path: unit_path.clone(),
    };
    Ok(Reach::Days {
        person: Person { staff, unit_path },
        earlier,
        now,
    })
}

/// The staff ids a list is about: one person, a unit's subtree (the people in it the caller
/// may read), or the caller themself.
pub(crate) fn visible_staff_ids(
    c: &mut AnyConnection,
    read: &Visibility,
    read_units: &Visibility,
    staff_id: Option<i64>,
    unit_id: Option<i64>,
) -> Result<Vec<i64>, ApiError> {
    if let Some(id) = staff_id {
        return Ok(vec![visible_person(c, read, id)?.staff.id]);
    }
    if let Some(unit_id) = unit_id {
        let unit = match crate::db::units::find(c, unit_id)? {
            Some(u) if read_units.unit(u.id, &u.path) => u,
            _ => return Err(ApiError::NotFound),
        };
        return Ok(engine::people_below(c, &unit.path)?
            .into_iter()
            .filter(|p| read.staff(p.staff.id, &p.unit_path))
            .map(|p| p.staff.id)
            .collect());
    }
    if !read.all && read.subtrees.is_empty() {
        return Ok(read.staff_ids.clone());
    }
    Err(ApiError::field("staff_id", "give staff_id or unit_id"))
}

#[utoipa::path(get, path = "/api/v1/attendance", tag = "attendance", params(AttendanceQuery),
    responses((status = 200, body = AttendanceList), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/attendance")]
pub async fn attendance(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<AttendanceQuery>,
) -> Result<web::Json<AttendanceList>, ApiError> {
    let AttendanceQuery { staff_id, from, to } = query.0;
    check_range(from, to)?;
    let read = auth.can(Action::ReadStaff);
    let days = blocking(&state, move |db: &Db| {
        db.read(|c| {
            // After a transfer, the old unit's line reads the days the person was theirs.
            let reach = reach(c, &read, staff_id)?;
            let mut days = engine::derive(c, &[reach.person().clone()], from, to, local_now())?;
            days.retain(|d| reach.covers(&read, d.record.date));
            Ok::<_, ApiError>(days)
        })
    })
    .await?;
    Ok(web::Json(AttendanceList {
        staff_id,
        items: days.iter().map(DayView::from).collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonDay {
    pub staff_id: i64,
    pub code: String,
    pub full_name: String,
    pub unit_id: i64,
    pub status: AttendanceStatus,
    pub status_label: &'static str,
    pub first_in: Option<DateTime<FixedOffset>>,
    pub late_minutes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    pub unit_id: i64,
    pub date: NaiveDate,
    /// People per status code.
    pub counts: BTreeMap<String, usize>,
    /// Everyone with a record that day, late and absent people first.
    pub people: Vec<PersonDay>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    /// Default: today.
    pub date: Option<NaiveDate>,
    /// Include the units below (default true).
    pub subtree: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/units/{id}/attendance", tag = "attendance", params(OverviewQuery),
    responses((status = 200, body = Overview), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/units/{id}/attendance")]
pub async fn overview(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    query: ValidQuery<OverviewQuery>,
) -> Result<web::Json<Overview>, ApiError> {
    let unit_id = id.into_inner();
    let now = local_now();
    let date = query.date.unwrap_or(now.date());
    check_range(date, date)?;
    let subtree = query.subtree.unwrap_or(true);
    let read = auth.can(Action::ReadStaff);
    let UnitDays { people, days, .. } = blocking(&state, move |db: &Db| {
        db.read(|c| unit_days(c, &read, unit_id, subtree, (date, date), now))
    })
    .await?;
    // By id: a province's overview is 50 000 people, and a search of the list for each
    // of their days would be quadratic.
    let people: HashMap<i64, &Person> = people.iter().map(|p| (p.staff.id, p)).collect();
    let mut counts = BTreeMap::new();
    let mut list: Vec<PersonDay> = days
        .iter()
        .filter_map(|d| {
            let p = people.get(&d.staff_id)?;
            *counts.entry(d.record.status.code().to_owned()).or_insert(0) += 1;
            Some(PersonDay {
                staff_id: p.staff.id,
                code: p.staff.code.clone(),
                full_name: p.staff.full_name.clone(),
                unit_id: d.unit_id,
                status: d.record.status,
                status_label: d.record.status.label(),
                first_in: d.record.first_in.map(local_wall_time),
                late_minutes: d.record.late_minutes,
            })
        })
        .collect();
    let rank = |s: AttendanceStatus| match s {
        AttendanceStatus::Absent => 0,
        AttendanceStatus::Late | AttendanceStatus::LateAndEarlyLeave => 1,
        AttendanceStatus::Incomplete | AttendanceStatus::EarlyLeave => 2,
        _ => 3,
    };
    list.sort_by_key(|p| rank(p.status));
    Ok(web::Json(Overview {
        unit_id,
        date,
        counts,
        people: list,
    }))
}

/// The people of a unit (and its subtree) on the days `from..=to`, with their days spent
/// there, for a caller who reads the whole unit. Someone transferred in or out during the
/// range counts for the days they were in it: a past month's timesheet keeps who worked
/// there then. People in it now who have no days at all but were employed during the
/// range (no schedule in force, say) are listed with none, as the unit's own; one who left
/// before it or joined after it is not (a 2026 timesheet does not list whoever left in
/// 2023).
pub(crate) fn unit_days(
    c: &mut AnyConnection,
    read: &Visibility,
    unit_id: i64,
    subtree: bool,
    (from, to): (NaiveDate, NaiveDate),
    now: chrono::NaiveDateTime,
) -> Result<UnitDays, ApiError> {
    let unit = match crate::db::units::find(c, unit_id)? {
        Some(u) if read.subtree(&u.path) => u,
        _ => return Err(ApiError::NotFound),
    };
    let units: HashSet<i64> = if subtree {
        super::dossiers::ids_within(c, &unit.path)?
            .into_iter()
            .collect()
    } else {
        HashSet::from([unit.id])
    };
    let only = (!subtree).then_some(unit.id);
    let mut people = engine::people_ever_below(c, &unit.path, only, from)?;
    let mut days = engine::derive(c, &people, from, to, now)?;
    let with_days: HashSet<i64> = days.iter().map(|d| d.staff_id).collect();
    days.retain(|d| units.contains(&d.unit_id));
    let kept: HashSet<i64> = days.iter().map(|d| d.staff_id).collect();
    people.retain(|p| {
        kept.contains(&p.staff.id)
            || (units.contains(&p.staff.unit_id)
                && !with_days.contains(&p.staff.id)
                && p.staff.joined_on.is_none_or(|j| j <= to)
                && p.staff.left_on.is_none_or(|l| l >= from))
    });
    Ok(UnitDays { unit, people, days })
}

/// A unit's people and their days in it, from `unit_days`.
pub(crate) struct UnitDays {
    pub unit: crate::db::units::UnitRow,
    pub people: Vec<Person>,
    pub days: Vec<Derived>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ViolationView {
    pub id: i64,
    pub staff_id: Option<i64>,
    pub unit_id: i64,
    /// A violation type code (`late`, `early_leave`, `absent_no_reason`, …).
    pub code: String,
    pub date: NaiveDate,
    pub minutes: Option<i32>,
    /// `attendance`, `inspection`, `dossier`.
    pub source: String,
    pub source_ref: String,
    pub detail: Option<String>,
    pub created_at: DateTime<FixedOffset>,
}

impl From<ViolationRow> for ViolationView {
    fn from(v: ViolationRow) -> Self {
        ViolationView {
            id: v.id,
            staff_id: v.staff_id,
            unit_id: v.unit_id,
            code: v.code,
            date: v.day,
            minutes: v.minutes,
            source: v.source,
            source_ref: v.source_ref,
            detail: v.detail,
            created_at: local_time(v.created_at),
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ViolationQuery {
    pub staff_id: Option<i64>,
    /// The violations of this unit and the units below it.
    pub unit_id: Option<i64>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub code: Option<String>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

/// The register shows an inspection finding's description (`detail`) only to those who
/// may read the inspection: the person found, heads, HR and admins over its unit, and its
/// team. Another team's inspector, who reads the register as a whole, sees the violation
/// without what the team wrote of it, as its inspections are hidden from them.
fn without_other_teams_findings(
    c: &mut AnyConnection,
    auth: &AuthUser,
    rows: &mut [ViolationRow],
) -> Result<(), ApiError> {
    let readers = auth.can(Action::ReadInspections);
    let own = auth.actor.staff_id;
    let from_findings = |v: &ViolationRow| {
        v.source == crate::db::inspections::SOURCE_INSPECTION
            && v.detail.is_some()
            && (own.is_none() || v.staff_id != own)
    };
    if readers.all || !rows.iter().any(from_findings) {
        return Ok(());
    }
    let mut unit_ids: Vec<i64> = rows
        .iter()
        .filter(|v| from_findings(v))
        .map(|v| v.unit_id)
        .collect();
    unit_ids.sort_unstable();
    unit_ids.dedup();
    let paths: HashMap<i64, String> = crate::db::units::find_many(c, &unit_ids)?
        .into_iter()
        .map(|u| (u.id, u.path))
        .collect();
    let unread = |v: &ViolationRow| {
        from_findings(v)
            && !paths
                .get(&v.unit_id)
                .is_some_and(|p| readers.unit(v.unit_id, p))
    };
    let ids: Vec<i64> = rows
        .iter()
        .filter(|v| unread(v))
        .filter_map(|v| v.source_ref.parse().ok())
        .collect();
    let team = crate::db::inspections::on_team(c, &ids, auth.id())?;
    for v in rows.iter_mut() {
        if unread(v) && !v.source_ref.parse().is_ok_and(|id: i64| team.contains(&id)) {
            v.detail = None;
        }
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/violations", tag = "attendance", params(ViolationQuery),
    responses((status = 200, body = Paged<ViolationView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/violations")]
pub async fn list_violations(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ViolationQuery>,
) -> Result<web::Json<Paged<ViolationView>>, ApiError> {
    let query = query.0;
    for (field, day) in [("from", query.from), ("to", query.to)] {
        if let Some(day) = day {
            super::storable_day(field, day)?;
        }
    }
    let page = PageParams {
        page: query.page,
        per_page: query.per_page,
    };
    let read = auth.can(Action::ReadStaff);
    let (rows, total) = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let mut filter = ViolationFilter {
                from: query.from,
                to: query.to,
                code: query.code,
                ..ViolationFilter::default()
            };
            if let Some(id) = query.staff_id {
                filter.staff_id = Some(visible_person(c, &read, id)?.staff.id);
            } else if let Some(unit_id) = query.unit_id {
                let unit = match crate::db::units::find(c, unit_id)? {
                    Some(u) if read.subtree(&u.path) => u,
                    _ => return Err(ApiError::NotFound),
                };
                filter.unit_ids = Some(super::dossiers::ids_within(c, &unit.path)?);
            } else if !read.all {
                if read.subtrees.is_empty() {
                    // Only themself: a staff member's own record.
                    match read.staff_ids.first() {
                        Some(id) => filter.staff_id = Some(*id),
                        None => return Ok((Vec::new(), 0)),
                    }
                } else {
                    let mut ids = Vec::new();
                    for path in &read.subtrees {
                        ids.extend(super::dossiers::ids_within(c, path)?);
                    }
                    filter.unit_ids = Some(ids);
                }
            }
            let (mut rows, total) = violations::list(c, &filter, page.per_page(), page.offset())?;
            without_other_teams_findings(c, &auth, &mut rows)?;
            Ok((rows, total))
        })
    })
    .await?;
    Ok(web::Json(Paged::new(
        rows.into_iter().map(ViolationView::from).collect(),
        total,
        &page,
    )))
}
