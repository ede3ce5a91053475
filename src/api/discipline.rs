//! `/discipline`: disciplinary decisions. The form must be one the law allows for the
//! person's category (and management post) under the regime in force on the decision
//! date; the decision records how long it holds back promotion and which upheld findings
//! it rests on.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::attendance::{visible_person, visible_staff_ids};
use super::extract::{ValidJson, ValidQuery};
use super::{BASE, PageParams, Paged, blocking, created, paginate};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::db::discipline::{self as q, DecisionRow, NewDecision};
use crate::domain::access::Action;
use crate::domain::codes::StaffCategory;
use crate::domain::discipline::{Form, form_problem, regime};
use crate::domain::text::nfc;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_decision).service(list_decisions);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    pub id: i64,
    pub staff_id: i64,
    pub unit_id: i64,
    pub form: String,
    pub form_label: &'static str,
    pub decision_no: String,
    pub decided_on: NaiveDate,
    pub effective_from: NaiveDate,
    /// The last day on which it holds back promotion and appointment (none for forms that
    /// end the service or the post).
    pub restricted_until: Option<NaiveDate>,
    pub regime: String,
    pub reason: String,
    pub finding_ids: Vec<i64>,
    /// Whether the person held a management post, as the decision states (null: recorded
    /// before congvu kept it).
    pub management_post: Option<bool>,
}

fn view(d: DecisionRow, findings: Vec<i64>) -> DecisionView {
    let form_label = Form::parse(&d.form).map_or("", Form::label);
    DecisionView {
        id: d.id,
        staff_id: d.staff_id,
        unit_id: d.unit_id,
        form: d.form,
        form_label,
        decision_no: d.decision_no,
        decided_on: d.decided_on,
        effective_from: d.effective_from,
        restricted_until: d.restricted_until,
        regime: d.regime,
        reason: d.reason,
        finding_ids: findings,
        management_post: d.management_post,
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDecision {
    pub staff_id: i64,
    /// `khien_trach`, `canh_cao`, `ha_bac_luong`, `giang_chuc`, `cach_chuc`,
    /// `buoc_thoi_viec`, `bai_nhiem`.
    pub form: String,
    #[validate(length(min = 1, max = 100))]
    pub decision_no: String,
    pub decided_on: NaiveDate,
    pub effective_from: NaiveDate,
    #[validate(length(min = 1, max = 5000))]
    pub reason: String,
    /// Upheld findings about this person that the decision rests on.
    #[serde(default)]
    pub finding_ids: Vec<i64>,
    /// Whether the person holds a management post, which decides the forms allowed
    /// (`giang_chuc`, `cach_chuc` are for managers). Default: whether they head their
    /// unit; a deputy head, whom congvu does not know to hold one, is `true`. A head
    /// always holds one (422 on `false`).
    pub management_post: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListDecisions {
    pub staff_id: Option<i64>,
    pub unit_id: Option<i64>,
    /// Decisions taking effect in this year: those its rating counts.
    #[validate(range(min = 1900, max = 2200))]
    pub year: Option<i32>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/discipline", tag = "inspections", request_body = CreateDecision,
    responses((status = 201, body = DecisionView), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/discipline")]
pub async fn create_decision(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<CreateDecision>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let form = Form::parse(&body.form)
        .ok_or_else(|| ApiError::field("form", "is not a disciplinary form"))?;
    super::storable_day("decided_on", body.decided_on)?;
    super::storable_day("effective_from", body.effective_from)?;
    if body.effective_from < body.decided_on {
        return Err(ApiError::field(
            "effective_from",
            "must not be before decided_on",
        ));
    }
    // One number however it is typed: " 12/QĐ-UBND" and a decomposed "Đ" are the same
    // decision as "12/QĐ-UBND", and would otherwise pass the check below as new.
    let decision_no = nfc(body.decision_no.trim());
    for (i, id) in body.finding_ids.iter().enumerate() {
        if body.finding_ids[..i].contains(id) {
            return Err(ApiError::field(
                &format!("finding_ids[{i}]"),
                "is listed twice",
            ));
        }
    }
    let read = auth.can(Action::ReadStaff);
    let write = auth.can(Action::WriteStaff);
    let actor = auth.id();
    let own = auth.actor.staff_id;
    let (row, findings) = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let person = visible_person(c, &read, body.staff_id)
                .map_err(|_| ApiError::field("staff_id", "no such staff member"))?;
            if !write.subtree(&person.unit_path) {
                return Err(ApiError::Forbidden(
                    "disciplinary decisions are recorded by hr or an admin over the person",
                ));
            }
            if own == Some(person.staff.id) {
                return Err(ApiError::Forbidden(
                    "nobody records a disciplinary decision about themself",
                ));
            }
            let category =
                StaffCategory::parse(&person.staff.category).unwrap_or(StaffCategory::Contract);
            let manages = match body.management_post {
                Some(false) if person.staff.is_head => {
                    return Err(ApiError::field(
                        "management_post",
                        "the person heads their unit, a management post",
                    ));
                }
                given => given.unwrap_or(person.staff.is_head),
            };
            if let Some(why) = form_problem(form, category, manages, body.decided_on) {
                return Err(ApiError::field("form", why));
            }
            // Under the inspections' locks, as their findings' changes are: a finding
            // withdrawn at this moment is not linked to a new decision. Taken in one
            // order, so that two decisions naming the same findings cannot deadlock.
            let mut inspections = Vec::new();
            for id in &body.finding_ids {
                inspections.extend(crate::db::inspections::inspection_of(c, *id)?);
            }
            inspections.sort_unstable();
            inspections.dedup();
            for inspection in inspections {
                crate::db::inspections::lock(c, inspection)?;
            }
            for (i, id) in body.finding_ids.iter().enumerate() {
                let found = crate::db::inspections::find_finding(c, *id)?.filter(|f| {
                    f.staff_id == Some(person.staff.id) && f.outcome.as_deref() == Some("upheld")
                });
                let Some(found) = found else {
                    return Err(ApiError::field(
                        &format!("finding_ids[{i}]"),
                        "is not an upheld finding about this person",
                    ));
                };
                // A decision punishes acts already done: dated before one (a January
                // slip of the year, 2025 for 2026), it counted in the rating year before
                // the act, and its promotion bar had run out before it was made.
                let act = crate::domain::attendance::to_local(found.observed_at).date();
                if body.decided_on < act {
                    return Err(ApiError::field(
                        "decided_on",
                        format!(
                            "is before the act it punishes (finding_ids[{i}] was observed on {act})"
                        ),
                    ));
                }
            }
            if q::number_taken(c, person.staff.province_id, &decision_no)? {
                return Err(ApiError::conflict(
                    "decision_no",
                    "a decision with this number is already recorded",
                ));
            }
            // An act is punished once, with one form (RULES.md §2.1): a second decision on
            // the same finding punished it twice, and made the person not completed in two
            // rating years. (Checked under the inspections' locks taken above.)
            for (i, id) in body.finding_ids.iter().enumerate() {
                if q::rests_on(c, *id)? {
                    return Err(ApiError::conflict(
                        &format!("finding_ids[{i}]"),
                        "another disciplinary decision already rests on this finding: an act \
                         is punished once",
                    ));
                }
            }
            let restricted_until = form.restricted_until(body.effective_from);
            let row = q::insert(
                c,
                &NewDecision {
                    province_id: person.staff.province_id,
                    staff_id: person.staff.id,
                    unit_id: person.staff.unit_id,
                    form: form.code().to_owned(),
                    decision_no,
                    decided_on: body.decided_on,
                    effective_from: body.effective_from,
                    restricted_until,
                    regime: regime(category, body.decided_on).name().to_owned(),
                    reason: nfc(&body.reason),
                    created_by: Some(actor),
                    management_post: Some(manages),
                },
                &body.finding_ids,
            )?;
            Ok((row, body.finding_ids.clone()))
        })
    })
    .await?;
    Ok(created(
        format!("{BASE}/discipline/{}", row.id),
        &view(row, findings),
    ))
}

#[utoipa::path(get, path = "/api/v1/discipline", tag = "inspections", params(ListDecisions),
    responses((status = 200, body = Paged<DecisionView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/discipline")]
pub async fn list_decisions(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ListDecisions>,
) -> Result<web::Json<Paged<DecisionView>>, ApiError> {
    let ListDecisions {
        staff_id,
        unit_id,
        year,
        page,
        per_page,
    } = query.0;
    let page = PageParams { page, per_page };
    // Decisions are read by those who read the ratings they weigh on (hr, admins, heads
    // over the person) and by the person: not by an inspector, who reads staff records
    // but not another team's findings, nor the ratings (before, any inspector listed
    // every decision in reach, with its reason and the findings it rests on).
    let mut read = auth.can(Action::ReadEvaluations);
    read.staff_ids.extend(auth.actor.staff_id);
    let read_units = auth.can(Action::ReadUnits);
    let (rows, links) = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let ids = visible_staff_ids(c, &read, &read_units, staff_id, unit_id)?;
            // Bounded years: both databases store dates in a limited range.
            let (first, last) = year.map_or((1900, 2200), |y| (y, y));
            let (Some(from), Some(to)) = (
                NaiveDate::from_ymd_opt(first, 1, 1),
                NaiveDate::from_ymd_opt(last, 12, 31),
            ) else {
                return Err(ApiError::field("year", "is not a valid year"));
            };
            let rows = q::of_staff(c, &ids, from, to)?;
            let decision_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let links = q::findings_of(c, &decision_ids)?;
            Ok::<_, ApiError>((rows, links))
        })
    })
    .await?;
    let mut by_decision: HashMap<i64, Vec<i64>> = HashMap::new();
    for (d, f) in links {
        by_decision.entry(d).or_default().push(f);
    }
    Ok(web::Json(paginate(rows, &page, |r| {
        let findings = by_decision.remove(&r.id).unwrap_or_default();
        view(r, findings)
    })))
}
