//! `/evaluations`: HR runs the year's evaluation of a unit's subtree; congvu proposes each
//! person's rating with the rules that capped it and the numbers behind them; HR decides,
//! with a reason where it departs from the proposal or goes above the cap. Heads read
//! their subtree's; a staff member reads their own.

use std::collections::HashMap;

use actix_web::{get, post, put, web};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use super::{PageParams, Paged, blocking, local_now, local_time};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::db::evaluation_run::{self, Skipped};
use crate::db::evaluations::{self as q, EvaluationRow};
use crate::domain::access::Action;
use crate::domain::codes::Rating;
use crate::domain::text::nfc;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(run).service(list).service(decide);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationView {
    pub id: i64,
    pub staff_id: i64,
    pub staff_code: String,
    pub full_name: String,
    pub unit_id: i64,
    pub period: String,
    /// False: not rated this year (too little time worked); a review still happens.
    pub rated: bool,
    pub proposed_rating: Option<Rating>,
    /// Its Vietnamese label (API.md: every code comes with one).
    pub proposed_rating_label: Option<&'static str>,
    /// The highest rating the rules allow.
    pub max_rating: Option<Rating>,
    pub max_rating_label: Option<&'static str>,
    /// Metric → value (percentages in percent, months with two decimals).
    #[schema(value_type = Object)]
    pub metrics: serde_json::Value,
    /// Every rule that applied: rule, metric, value, threshold, effect, source, policy.
    #[schema(value_type = Vec<Object>)]
    pub applied_rules: serde_json::Value,
    /// Set when the person is beyond the excellent quota of their group, with the order.
    pub quota_note: Option<String>,
    /// The policies applied (base first).
    pub policy_ids: Vec<i64>,
    /// Set when a re-run changed the proposal after HR decided: the proposal HR saw.
    pub previous_proposed_rating: Option<Rating>,
    pub previous_proposed_rating_label: Option<&'static str>,
    /// The proposal is no longer the one HR decided on: `previous_proposed_rating` is that
    /// one, or null when HR decided while there was no proposal.
    pub changed_under_decision: bool,
    pub final_rating: Option<Rating>,
    pub final_rating_label: Option<&'static str>,
    /// The decision stands above the highest rating the current proposal allows (a re-run
    /// lowered the cap after HR decided): HR should look again.
    pub decision_above_cap: bool,
    /// The decision is excellent for someone beyond the excellent quota of their group
    /// (`quota_note`): the quota is a legal cap (RULES.md §1.3), so HR should look again.
    pub decision_over_quota: bool,
    pub reason: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<FixedOffset>>,
    pub evaluated_at: DateTime<FixedOffset>,
}

fn view(e: EvaluationRow, people: &HashMap<i64, (String, String)>) -> EvaluationView {
    let rating = |s: &Option<String>| s.as_deref().and_then(Rating::parse);
    let (code, name) = people.get(&e.staff_id).cloned().unwrap_or_default();
    let review = crate::export::Review::of(&e);
    EvaluationView {
        id: e.id,
        staff_id: e.staff_id,
        staff_code: code,
        full_name: name,
        unit_id: e.unit_id,
        proposed_rating: rating(&e.proposed_rating),
        proposed_rating_label: rating(&e.proposed_rating).map(Rating::label),
        max_rating: rating(&e.max_rating),
        max_rating_label: rating(&e.max_rating).map(Rating::label),
        previous_proposed_rating: rating(&e.previous_proposed_rating),
        previous_proposed_rating_label: rating(&e.previous_proposed_rating).map(Rating::label),
        changed_under_decision: e.previous_proposed_rating.is_some(),
        final_rating: rating(&e.final_rating),
        final_rating_label: rating(&e.final_rating).map(Rating::label),
        decision_above_cap: review.above_cap,
        decision_over_quota: review.over_quota,
        metrics: serde_json::from_str(&e.metrics).unwrap_or_default(),
        applied_rules: serde_json::from_str(&e.applied_rules).unwrap_or_default(),
        policy_ids: serde_json::from_str(&e.policy_ids).unwrap_or_default(),
        period: e.period,
        rated: e.rated,
        quota_note: e.quota_note,
        reason: e.reason,
        decided_by: e.decided_by,
        decided_at: e.decided_at.map(local_time),
        evaluated_at: local_time(e.evaluated_at),
    }
}

fn people_of(
    c: &mut crate::db::AnyConnection,
    rows: &[EvaluationRow],
) -> Result<HashMap<i64, (String, String)>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.staff_id).collect();
    Ok(crate::db::staff::find_many(c, &ids)?
        .into_iter()
        .map(|s| (s.id, (s.code, s.full_name)))
        .collect())
}

fn year_of(period: &str) -> Result<i32, ApiError> {
    period
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| ApiError::field("period", "must be a year, e.g. \"2025\""))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The rating year, e.g. "2025".
    pub period: String,
    /// Everyone in this unit and the units below it.
    pub unit_id: i64,
    /// Use this base policy instead of the one in force.
    pub policy_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    pub period: String,
    pub unit_id: i64,
    pub evaluated: usize,
    pub not_rated: usize,
    /// Decided evaluations whose proposal this run changed (their decision stands).
    pub changed_under_decision: usize,
    pub skipped: Vec<Skipped>,
    /// People this run no longer rates who had an evaluation of the period (their
    /// service dates or category corrected since): removed, or, when decided, kept for
    /// the decision with a proposal that rates nobody.
    pub withdrawn: Vec<Skipped>,
    pub items: Vec<EvaluationView>,
}

/// Why a run cannot be forced onto `policy` for `year` in the province with root code
/// `province`, if it cannot: it must be a base policy, national or the province's own,
/// in force for some category during the year. Any other would leave everyone skipped
/// under a 201, with a run recorded.
fn forced_problem(
    policy: Option<&crate::domain::evaluation::policy::Policy>,
    province: Option<&str>,
    year: i32,
) -> Option<String> {
    use crate::domain::codes::StaffCategory;
    use crate::domain::evaluation::policy::PolicyKind;
    let Some(p) = policy else {
        return Some("no such policy".into());
    };
    if p.kind != PolicyKind::Base {
        return Some(format!(
            "{} is an overlay; a run is forced onto a base policy",
            p.code
        ));
    }
    if p.province
        .as_deref()
        .is_some_and(|code| Some(code) != province)
    {
        return Some(format!("{} is another province's policy", p.code));
    }
    if !StaffCategory::ALL.iter().any(|c| p.covers(year, *c)) {
        return Some(format!("{} is not in force in {year}", p.code));
    }
    None
}

#[utoipa::path(post, path = "/api/v1/evaluations/runs", tag = "evaluation", request_body = RunRequest,
    responses((status = 201, body = RunView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/evaluations/runs")]
pub async fn run(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<RunRequest>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let body = body.0;
    let year = year_of(&body.period)?;
    let now = local_now();
    // A year not yet begun has no record: everyone would be proposed "completed well" on
    // a clean sheet, ready for HR to confirm.
    if year > chrono::Datelike::year(&now) {
        return Err(ApiError::field("period", "is a year not yet begun"));
    }
    let read = auth.can(Action::ReadUnits);
    let evaluate = auth.can(Action::Evaluate);
    let actor = auth.id();
    let settings = state.dossiers.clone();
    let view = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let unit = super::units::visible_unit(c, &read, body.unit_id, "unit_id")?;
            if !evaluate.subtree(&unit.path) {
                return Err(ApiError::Forbidden(
                    "evaluations need the hr or admin role over the unit",
                ));
            }
            let province = crate::db::units::find(c, unit.province_id)?.map(|u| u.code);
            if let Some(id) = body.policy_id {
                let policy = crate::db::policies::find(c, id)?.and_then(|r| r.policy());
                forced_problem(policy.as_ref(), province.as_deref(), year)
                    .map_or(Ok(()), |why| Err(ApiError::field("policy_id", why)))?;
            }
            let formula = settings.formula_for(province.as_deref());
            let report = evaluation_run::run(
                c,
                Some(db),
                Some(actor),
                &unit,
                year,
                body.policy_id,
                now,
                formula,
                &mut |_, _| {},
            )?;
            let people = people_of(c, &report.rows)?;
            let items: Vec<EvaluationView> =
                report.rows.into_iter().map(|r| view(r, &people)).collect();
            Ok(RunView {
                period: year.to_string(),
                unit_id: unit.id,
                evaluated: items.len(),
                not_rated: items.iter().filter(|i| !i.rated).count(),
                changed_under_decision: report.changed_under_decision,
                skipped: report.skipped,
                withdrawn: report.withdrawn,
                items,
            })
        })
    })
    .await?;
    Ok(actix_web::HttpResponse::Created().json(view))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListEvaluations {
    pub period: String,
    /// The evaluations of this unit's subtree.
    pub unit_id: Option<i64>,
    /// One person's (staff may read their own).
    pub staff_id: Option<i64>,
    /// `json` (default), or the sheet as `csv` or `xlsx`.
    pub format: Option<super::timesheet::SheetFormat>,
    /// Pages of the JSON list; a sheet is the whole list.
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/evaluations", tag = "evaluation", params(ListEvaluations),
    responses((status = 200, body = Paged<EvaluationView>,
                 description = "JSON, or the sheet as CSV (UTF-8 with BOM) or XLSX"),
              (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/evaluations")]
pub async fn list(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ListEvaluations>,
) -> Result<actix_web::HttpResponse, ApiError> {
    use super::timesheet::SheetFormat;
    let query = query.0;
    let period = year_of(&query.period)?.to_string();
    let format = query.format.unwrap_or_default();
    let actor = auth.actor.clone();
    // Everything, the sheet's file included, is made on the blocking pool: a province's
    // sheet is tens of thousands of rows, which would hold a web worker (and the
    // check-ins it serves) while compressed.
    let wanted = period.clone();
    let out = blocking(&state, move |db: &Db| {
        let period = wanted;
        db.read(|c| {
            let reader = actor.visibility(Action::ReadEvaluations);
            let rows: Vec<EvaluationRow> = match (query.unit_id, query.staff_id) {
                (Some(unit), None) => {
                    let units = super::dossiers::subtree_units(c, &reader, unit)?;
                    q::list(c, &units, &period)?
                }
                (None, Some(staff)) => {
                    let (person, path) =
                        crate::db::staff::find_with_path(c, staff)?.ok_or(ApiError::NotFound)?;
                    if actor.staff_id != Some(person.id) && !reader.subtree(&path) {
                        return Err(ApiError::NotFound);
                    }
                    q::of_staff(c, person.id, &period)?
                }
                _ => {
                    return Err(ApiError::field(
                        "unit_id",
                        "give either unit_id or staff_id",
                    ));
                }
            };
            if format == SheetFormat::Json {
                // Only the page's rows are shown: their people looked up and their
                // metrics parsed, not the whole subtree's for every page.
                let page = PageParams {
                    page: query.page,
                    per_page: query.per_page,
                };
                let (rows, total) = page.window(rows);
                let people = people_of(c, &rows)?;
                let items = rows.into_iter().map(|r| view(r, &people)).collect();
                return Ok(Listed::Page(Paged::new(items, total, &page)));
            }
            let people = people_of(c, &rows)?;
            let mut wanted: Vec<i64> = rows.iter().map(|r| r.unit_id).collect();
            wanted.extend(query.unit_id);
            wanted.sort_unstable();
            wanted.dedup();
            let unit_names: HashMap<i64, String> = crate::db::units::find_many(c, &wanted)?
                .into_iter()
                .map(|u| (u.id, u.name))
                .collect();
            let sheet = crate::export::Sheet {
                unit_name: query
                    .unit_id
                    .and_then(|u| unit_names.get(&u).cloned())
                    .unwrap_or_default(),
                period: period.clone(),
                rows: rows
                    .iter()
                    .map(|r| {
                        let (code, name) = people.get(&r.staff_id).cloned().unwrap_or_default();
                        let unit = unit_names.get(&r.unit_id).cloned().unwrap_or_default();
                        crate::export::line_of(r, code, name, unit)
                    })
                    .collect(),
            };
            let internal = |e: &dyn std::fmt::Display| ApiError::Internal(e.to_string());
            Ok(match format {
                SheetFormat::Csv => Listed::File(
                    crate::export::to_csv(&sheet).map_err(|e| internal(&e))?,
                    "text/csv; charset=utf-8",
                    "csv",
                ),
                _ => Listed::File(
                    crate::export::to_xlsx(&sheet).map_err(|e| internal(&e))?,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "xlsx",
                ),
            })
        })
    })
    .await?;
    match out {
        Listed::Page(page) => Ok(actix_web::HttpResponse::Ok().json(page)),
        Listed::File(bytes, content_type, ext) => Ok(actix_web::HttpResponse::Ok()
            .content_type(content_type)
            .insert_header((
                "content-disposition",
                format!("attachment; filename=\"xep-loai-{period}.{ext}\""),
            ))
            .body(bytes)),
    }
}

/// What a listing gives: a page of JSON, or the whole sheet as a file.
enum Listed {
    Page(Paged<EvaluationView>),
    File(Vec<u8>, &'static str, &'static str),
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub final_rating: Rating,
    /// Required when the rating is above the highest allowed, differs from the proposal,
    /// or is given to someone the rules leave unrated.
    #[validate(length(min = 1, max = 2000))]
    pub reason: Option<String>,
}

#[utoipa::path(put, path = "/api/v1/evaluations/{id}/decision", tag = "evaluation", request_body = Decision,
    responses((status = 200, body = EvaluationView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[put("/evaluations/{id}/decision")]
pub async fn decide(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<Decision>,
) -> Result<web::Json<EvaluationView>, ApiError> {
    let id = id.into_inner();
    let body = body.0;
    let actor = auth.actor.clone();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let e = q::find(c, id)?.ok_or(ApiError::NotFound)?;
            crate::db::evaluation_run::lock(c, e.province_id)?;
            let e = q::find(c, id)?.ok_or(ApiError::NotFound)?;
            // The running year's rating is the person's present agency's to decide (README,
            // Transfers): after a move, the old unit's HR no longer decides it, the new
            // one's does before running it again. An earlier year's is the unit's they were
            // in on its last day, as its runs rate it (`evaluation_run::rated_here`) and as
            // a transfer files it (`moves::record`): the unit the rating is stored under,
            // by which it is listed too.
            let this_year = chrono::Datelike::year(&super::local_now()).to_string();
            let present = crate::db::staff::find_with_path(c, e.staff_id)?
                .ok_or(ApiError::NotFound)?
                .1;
            let stored = crate::db::units::find(c, e.unit_id)?
                .ok_or(ApiError::NotFound)?
                .path;
            let path = if e.period == this_year {
                &present
            } else {
                &stored
            };
            // Whoever can read the rating (the person, or a reader of the unit it is
            // listed under or of the person's present one) is told why they may not
            // decide it, as the README's access rules promise; anyone else gets 404.
            let reader = actor.visibility(Action::ReadEvaluations);
            let own = actor.staff_id == Some(e.staff_id);
            if !own && !reader.subtree(&present) && !reader.subtree(&stored) {
                return Err(ApiError::NotFound);
            }
            if own {
                return Err(ApiError::Forbidden("nobody decides their own rating"));
            }
            if !actor.visibility(Action::Evaluate).subtree(path) {
                return Err(ApiError::Forbidden(
                    "ratings are decided by hr or an admin over the unit that rates the \
                     person: the running year's by their present unit, an earlier year's by \
                     the unit it is filed under",
                ));
            }
            let proposed = e.proposed_rating.as_deref().and_then(Rating::parse);
            let max = e.max_rating.as_deref().and_then(Rating::parse);
            let reason = body
                .reason
                .as_deref()
                .map(nfc)
                .filter(|r| !r.trim().is_empty());
            let why_needed = if !e.rated {
                Some("the rules leave this person unrated this year")
            } else if max.is_some_and(|m| body.final_rating > m) {
                Some("the rating is above the highest the rules allow")
            } else if body.final_rating == Rating::Excellent && e.quota_note.is_some() {
                // Proposed excellent, but beyond the quota of their group: confirming it
                // would pass a legal cap unremarked (run the evaluation again once other
                // decisions have made room).
                Some("the person is beyond the excellent quota of their group (quota_note)")
            } else if proposed != Some(body.final_rating) {
                Some("the rating differs from the proposal")
            } else {
                None
            };
            if let (Some(why), None) = (why_needed, &reason) {
                return Err(ApiError::field("reason", format!("is required: {why}")));
            }
            let row = q::decide(
                c,
                actor.user_id,
                &e,
                body.final_rating.code(),
                reason.as_deref(),
            )?;
            let people = people_of(c, std::slice::from_ref(&row))?;
            Ok::<_, ApiError>(view(row, &people))
        })
    })
    .await?;
    Ok(web::Json(row))
}
