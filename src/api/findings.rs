//! `/findings`: recording findings on an inspection and their guarded workflow
//! (explanation → conclusion → corrective action → closed), and the overdue list.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use super::inspections::{Access, FindingView, Severity, conflict, visible};
use super::{BASE, PageParams, Paged, blocking, created};
use crate::auth::AuthUser;
use crate::db::inspections::{self as q, FindingFields, FindingRow, InspectionRow};
use crate::db::{AnyConnection, Db};
use crate::domain::access::Actor;
use crate::domain::codes::{Role, StaffCategory};
use crate::domain::discipline::{Form, form_problem};
use crate::domain::findings::{Status, Step, next};
use crate::domain::text::nfc;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(overdue_findings)
        .service(add_finding)
        .service(explain)
        .service(decide)
        .service(close_finding)
        .service(withdraw_finding);
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFinding {
    /// The device's own reference of the finding; repeated with the same reference on the
    /// same inspection, the request returns the first one's finding (200).
    #[validate(length(min = 1, max = 100))]
    pub client_ref: Option<String>,
    /// A code of the violation catalogue (`GET /violation-types`).
    pub violation_code: String,
    pub observed_at: DateTime<FixedOffset>,
    /// The person concerned; omit for a finding about the unit as a whole.
    pub staff_id: Option<i64>,
    #[validate(length(min = 1, max = 5000))]
    pub description: String,
    pub severity: Option<Severity>,
    /// Days given to explain (default 5).
    #[validate(range(min = 1, max = 60))]
    pub explanation_days: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/inspections/{id}/findings", tag = "inspections", request_body = CreateFinding,
    responses((status = 201, body = FindingView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/inspections/{id}/findings")]
pub async fn add_finding(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<CreateFinding>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.0;
    let actor = auth.actor.clone();
    let (row, new) = blocking(&state, move |db: &Db| {
        db.write(|c| {
            q::lock(c, id)?;
            let (i, a, _) = visible(c, &actor, id)?;
            if !a.member {
                return Err(ApiError::Forbidden(
                    "only the inspection's team records findings",
                ));
            }
            if let Some(existing) = existing_finding(c, i.id, &body)? {
                return Ok((existing, false));
            }
            Ok((insert_finding(c, actor.user_id, &i, &body)?, true))
        })
    })
    .await?;
    if !new {
        return Ok(HttpResponse::Ok().json(FindingView::from(row)));
    }
    Ok(created(
        format!("{BASE}/findings/{}", row.id),
        &FindingView::from(row),
    ))
}

/// The finding recorded earlier under the same `client_ref` on this inspection; a
/// reference reused for another finding (another code or person) is a conflict.
pub(super) fn existing_finding(
    c: &mut AnyConnection,
    inspection_id: i64,
    body: &CreateFinding,
) -> Result<Option<FindingRow>, ApiError> {
    let Some(r) = &body.client_ref else {
        return Ok(None);
    };
    let Some(existing) = q::finding_by_client_ref(c, inspection_id, r)? else {
        return Ok(None);
    };
    if existing.violation_code != body.violation_code || existing.staff_id != body.staff_id {
        return Err(ApiError::conflict(
            "client_ref",
            "already names another finding of this inspection (its code or person differ)",
        ));
    }
    Ok(Some(existing))
}

/// Records a finding on an open inspection (the caller has checked it is on the team).
/// It was observed during the visit, and the person belonged to the inspected unit's
/// subtree then.
pub(super) fn insert_finding(
    c: &mut AnyConnection,
    actor: i64,
    i: &InspectionRow,
    body: &CreateFinding,
) -> Result<FindingRow, ApiError> {
    if i.status == "closed" {
        return Err(conflict("the inspection is closed"));
    }
    let known = crate::db::violation_types::list(c, Some(&[i.province_id]))?;
    if !known.iter().any(|t| t.code == body.violation_code) {
        return Err(ApiError::field(
            "violation_code",
            "is not in the violation catalogue",
        ));
    }
    // A finding is what the visit saw: from the inspection's first day (a team may note
    // what it sees on arrival) to now, give or take a clock's skew. An earlier date would
    // also reach people who were in the unit long ago.
    let observed = body.observed_at.naive_utc();
    let to_day = |t| crate::domain::attendance::to_local(t).date();
    if to_day(observed) < to_day(i.started_at) {
        return Err(ApiError::field(
            "observed_at",
            "is before the inspection began",
        ));
    }
    if observed > crate::db::now() + Duration::minutes(5) {
        return Err(ApiError::field("observed_at", "is in the future"));
    }
    if i.ended_at
        .is_some_and(|end| observed > end + Duration::minutes(5))
    {
        return Err(ApiError::field(
            "observed_at",
            "is after the inspection ended",
        ));
    }
    let unit = crate::db::units::find(c, i.unit_id)?.ok_or(ApiError::NotFound)?;
    // The person is judged in the unit they were in when observed: someone transferred
    // since is still found against the unit inspected, and the register keeps it there.
    let observed_day = to_day(observed);
    let (unit_id, staff_id) = match body.staff_id {
        Some(sid) => {
            // Someone not yet or no longer in service that day was not there to be seen.
            let then = match crate::db::staff::find_with_path(c, sid)? {
                Some((s, path)) if s.in_service_on(observed_day) => {
                    Some(crate::db::moves::posted_on(c, &s, &path, observed_day)?)
                }
                _ => None,
            };
            match then {
                Some(at) if crate::domain::units::in_subtree(&at.path, &unit.path) => {
                    (at.unit_id, Some(sid))
                }
                _ => {
                    return Err(ApiError::field(
                        "staff_id",
                        "no such staff member in the inspected unit",
                    ));
                }
            }
        }
        None => (unit.id, None),
    };
    let status = crate::domain::findings::initial(staff_id.is_some());
    Ok(q::insert_finding(
        c,
        actor,
        &FindingFields {
            province_id: i.province_id,
            inspection_id: i.id,
            unit_id,
            staff_id,
            violation_code: body.violation_code.clone(),
            observed_at: observed,
            description: nfc(&body.description),
            severity: body.severity.map(|s| s.code().to_owned()),
            status: status.code().to_owned(),
            explanation_due_at: crate::domain::findings::explanation_due(
                crate::db::now(),
                body.explanation_days.unwrap_or(5),
            ),
            explanation: None,
            explained_at: None,
            explained_by: None,
            outcome: None,
            action: None,
            action_due_at: None,
            discipline_form: None,
            decided_at: None,
            decided_by: None,
            client_ref: body.client_ref.clone(),
        },
    )?)
}

/// `finding_access` for a write: the inspection's row is locked first (`q::lock`).
pub(super) fn finding_for_write(
    c: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> Result<(FindingRow, Access), ApiError> {
    if let Some(inspection) = q::inspection_of(c, id)? {
        q::lock(c, inspection)?;
    }
    finding_access(c, actor, id)
}

/// A finding with what the caller may do with it: (finding, team member, reader).
pub(super) fn finding_access(
    c: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> Result<(FindingRow, Access), ApiError> {
    let f = q::find_finding(c, id)?.ok_or(ApiError::NotFound)?;
    let (_, a, visible_findings) = visible(c, actor, f.inspection_id)?;
    if !visible_findings.iter().any(|v| v.id == f.id) {
        return Err(ApiError::NotFound);
    }
    Ok((f, a))
}

/// A team member whose own staff record a finding names (an inspector of the inspected
/// unit's subtree) neither concludes nor closes it: the rest of the team does.
fn not_about_self(actor: &Actor, f: &FindingRow) -> Result<(), ApiError> {
    if actor.staff_id.is_some() && actor.staff_id == f.staff_id {
        return Err(ApiError::Forbidden(
            "a finding about yourself is concluded by the rest of the team",
        ));
    }
    // A unit's finding is explained by a head over the unit, who may also be on the team
    // (an administrator's account is a head's too): nobody judges their own explanation.
    if f.explained_by == Some(actor.user_id) {
        return Err(ApiError::Forbidden(
            "a finding you explained is concluded by the rest of the team",
        ));
    }
    Ok(())
}

/// The person explains their own finding; the unit's head explains one about the unit
/// as a whole.
pub(super) fn may_explain(
    c: &mut AnyConnection,
    actor: &Actor,
    f: &FindingRow,
) -> Result<bool, ApiError> {
    Ok(match f.staff_id {
        Some(sid) => actor.staff_id == Some(sid),
        None => {
            let unit = crate::db::units::find(c, f.unit_id)?.ok_or(ApiError::NotFound)?;
            actor.grants.iter().any(|g| {
                g.role == Role::UnitHead
                    && g.unit_path
                        .as_deref()
                        .is_some_and(|p| crate::domain::units::in_subtree(&unit.path, p))
            })
        }
    })
}

fn step(f: &FindingRow, s: Step) -> Result<Status, ApiError> {
    let from = Status::parse(&f.status).unwrap_or(Status::Open);
    next(from, s).map_err(conflict)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Explanation {
    #[validate(length(min = 1, max = 10000))]
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/findings/{id}/explanation", tag = "inspections", request_body = Explanation,
    responses((status = 200, body = FindingView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/findings/{id}/explanation")]
pub async fn explain(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<Explanation>,
) -> Result<web::Json<FindingView>, ApiError> {
    let id = id.into_inner();
    let text = nfc(&body.text);
    // An explanation of blanks explains nothing, and there is one per finding: it
    // opened the way to upholding at once, and the person could not explain again.
    if text.is_empty() {
        return Err(ApiError::field("text", "is blank"));
    }
    let actor = auth.actor.clone();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let (f, _) = finding_for_write(c, &actor, id)?;
            let allowed = may_explain(c, &actor, &f)?;
            if !allowed {
                return Err(ApiError::Forbidden(
                    "a finding is explained by the person it is about, or by the unit's head",
                ));
            }
            let status = step(&f, Step::Explain)?;
            let fields = FindingFields {
                status: status.code().to_owned(),
                explanation: Some(text),
                explained_at: Some(crate::db::now()),
                explained_by: Some(actor.user_id),
                ..f.fields()
            };
            Ok(q::update_finding(c, actor.user_id, "explain", &f, &fields)?)
        })
    })
    .await?;
    Ok(web::Json(row.into()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Upheld,
    Dismissed,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub outcome: Outcome,
    /// Corrective action required of the unit or person (upheld findings only).
    #[validate(length(min = 1, max = 5000))]
    pub action: Option<String>,
    pub action_due: Option<NaiveDate>,
    /// The disciplinary form the team recommends, checked against the person's category
    /// and the regime in force today.
    pub discipline_form: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/findings/{id}/decision", tag = "inspections", request_body = Decision,
    responses((status = 200, body = FindingView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/findings/{id}/decision")]
pub async fn decide(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<Decision>,
) -> Result<web::Json<FindingView>, ApiError> {
    let id = id.into_inner();
    let body = body.0;
    if let Some(due) = body.action_due {
        super::storable_day("action_due", due)?;
    }
    let actor = auth.actor.clone();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let (f, a) = finding_for_write(c, &actor, id)?;
            if !a.member {
                return Err(ApiError::Forbidden(
                    "only the inspection's team concludes findings",
                ));
            }
            not_about_self(&actor, &f)?;
            let upheld = body.outcome == Outcome::Upheld;
            if upheld {
                let from = Status::parse(&f.status).unwrap_or(Status::Open);
                crate::domain::findings::may_uphold(from, f.explanation_due_at, crate::db::now())
                    .map_err(conflict)?;
            }
            let mut status = step(&f, if upheld { Step::Uphold } else { Step::Dismiss })?;
            if !upheld
                && (body.action.is_some()
                    || body.action_due.is_some()
                    || body.discipline_form.is_some())
            {
                return Err(ApiError::field(
                    "outcome",
                    "a dismissed finding takes no action or discipline",
                ));
            }
            // The deadline is an action's: alone, it was stored and never tracked. (An
            // action may still come without one, as API.md has it; it is then not listed
            // overdue.) An action of blanks is none.
            if body.action.as_deref().is_some_and(|a| nfc(a).is_empty()) {
                return Err(ApiError::field("action", "is blank"));
            }
            if body.action.is_none() && body.action_due.is_some() {
                return Err(ApiError::field(
                    "action",
                    "is required with an action_due: the deadline is an action's",
                ));
            }
            if body.action.is_some() {
                status = next(status, Step::RequireAction).map_err(conflict)?;
            }
            if let Some(code) = &body.discipline_form {
                let form = Form::parse(code).ok_or_else(|| {
                    ApiError::field("discipline_form", "is not a disciplinary form")
                })?;
                let person = match f.staff_id {
                    Some(sid) => crate::db::staff::find(c, sid)?.ok_or(ApiError::NotFound)?,
                    None => {
                        return Err(ApiError::field(
                            "discipline_form",
                            "a finding about the unit takes no personal discipline",
                        ));
                    }
                };
                let category =
                    StaffCategory::parse(&person.category).unwrap_or(StaffCategory::Contract);
                let today = crate::domain::attendance::to_local(crate::db::now()).date();
                // congvu knows heads, not deputies: a recommendation for someone who heads
                // no unit may name a manager's form too; the decision states the post
                // (`POST /discipline`, `management_post`).
                let problem = |manages| form_problem(form, category, manages, today);
                let why = if person.is_head {
                    problem(true)
                } else {
                    problem(true).and(problem(false))
                };
                if let Some(why) = why {
                    return Err(ApiError::field("discipline_form", why));
                }
            }
            let fields = FindingFields {
                status: status.code().to_owned(),
                outcome: Some(if upheld { "upheld" } else { "dismissed" }.to_owned()),
                action: body.action.as_deref().map(nfc),
                action_due_at: body
                    .action_due
                    .and_then(|d| d.and_hms_opt(23, 59, 59))
                    .map(crate::domain::attendance::to_utc),
                discipline_form: body.discipline_form.clone(),
                decided_at: Some(crate::db::now()),
                decided_by: Some(actor.user_id),
                ..f.fields()
            };
            Ok(q::update_finding(c, actor.user_id, "decide", &f, &fields)?)
        })
    })
    .await?;
    Ok(web::Json(row.into()))
}

#[utoipa::path(post, path = "/api/v1/findings/{id}/close", tag = "inspections",
    responses((status = 200, body = FindingView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/findings/{id}/close")]
pub async fn close_finding(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<FindingView>, ApiError> {
    let id = id.into_inner();
    let actor = auth.actor.clone();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let (f, a) = finding_for_write(c, &actor, id)?;
            if !a.member {
                return Err(ApiError::Forbidden(
                    "only the inspection's team closes findings",
                ));
            }
            not_about_self(&actor, &f)?;
            let status = step(&f, Step::Close)?;
            let fields = FindingFields {
                status: status.code().to_owned(),
                ..f.fields()
            };
            Ok(q::update_finding(c, actor.user_id, "close", &f, &fields)?)
        })
    })
    .await?;
    Ok(web::Json(row.into()))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// Why the conclusion no longer stands: the complaint's resolution, the wrong person
    /// named …
    #[validate(length(min = 1, max = 2000))]
    pub reason: String,
}

/// Withdraws an upheld finding on review, closed or not: the inspection's team or an
/// administrator above the inspected unit (of every unit, for a province's own
/// inspection), never the person it names. It no longer counts
/// anywhere: its register row goes (repeats, the digest, the evaluation's next run).
#[utoipa::path(post, path = "/api/v1/findings/{id}/withdraw", tag = "inspections", request_body = Withdrawal,
    responses((status = 200, body = FindingView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/findings/{id}/withdraw")]
pub async fn withdraw_finding(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<Withdrawal>,
) -> Result<web::Json<FindingView>, ApiError> {
    let id = id.into_inner();
    let reason = nfc(body.0.reason.trim());
    if reason.is_empty() {
        return Err(ApiError::field("reason", "must say why"));
    }
    let actor = auth.actor.clone();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let (f, a) = finding_for_write(c, &actor, id)?;
            let inspection = q::find(c, f.inspection_id)?.ok_or(ApiError::NotFound)?;
            let unit = crate::db::units::find(c, inspection.unit_id)?.ok_or(ApiError::NotFound)?;
            // An administrator above the inspected unit, not one of the unit itself (who
            // may head it, and would undo the inspectors' conclusions about their own).
            let withdraw = actor.visibility(crate::domain::access::Action::WithdrawFindings);
            let admin_above = match crate::domain::units::parent_path(&unit.path) {
                Some(parent) => withdraw.subtree(parent),
                None => withdraw.all,
            };
            if !a.member && !admin_above {
                return Err(ApiError::Forbidden(
                    "withdrawing a finding is for the inspection's team and administrators above the unit",
                ));
            }
            // Never by the person found, nor by whoever explained a unit's finding.
            not_about_self(&actor, &f)?;
            if f.outcome.as_deref() != Some(Status::Upheld.code()) {
                return Err(conflict("only an upheld finding is withdrawn"));
            }
            if crate::db::discipline::rests_on(c, f.id)? {
                return Err(conflict(
                    "a disciplinary decision rests on this finding: it stands while the \
                     decision does (annulling a decision is not recorded here)",
                ));
            }
            step(&f, Step::Withdraw)?;
            Ok(q::withdraw_finding(c, actor.user_id, &f, &reason)?)
        })
    })
    .await?;
    Ok(web::Json(row.into()))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OverdueFindings {
    /// Only the findings of this unit and the units below it.
    pub unit_id: Option<i64>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

/// Findings whose explanation or corrective action is overdue: for the team, those of its
/// inspections; for heads, hr and admins, those of their subtree; for a staff member,
/// their own.
#[utoipa::path(get, path = "/api/v1/findings/overdue", tag = "inspections", params(OverdueFindings),
    responses((status = 200, body = Paged<FindingView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/findings/overdue")]
pub async fn overdue_findings(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<OverdueFindings>,
) -> Result<web::Json<Paged<FindingView>>, ApiError> {
    let unit_id = query.unit_id;
    let page = PageParams {
        page: query.page,
        per_page: query.per_page,
    };
    let actor = auth.actor.clone();
    let rows = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let listed = super::inspections::reader_units(c, &actor, unit_id)?;
            let units = listed.units.clone();
            // Each inspection's rows only where its whole is visible (as for one read).
            let waiting = q::waiting_findings(c, listed.units.as_deref(), listed.member)?;
            let mut ids: Vec<i64> = waiting.iter().map(|f| f.inspection_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let inspections = q::find_many(c, &ids)?;
            let whole = super::inspections::seen_whole(c, &actor, &inspections)?;
            let mut rows: Vec<_> = waiting
                .into_iter()
                .filter(|f| whole.contains_key(&f.inspection_id))
                .collect();
            if let Some(own) = actor.staff_id {
                let mine = crate::db::inspections::findings_of_staff(c, own)?;
                // Within the unit asked for, when one is.
                rows.extend(mine.into_iter().filter(|f| {
                    unit_id.is_none() || units.as_ref().is_some_and(|u| u.contains(&f.unit_id))
                }));
            }
            rows.sort_by_key(|f| f.id);
            rows.dedup_by_key(|f| f.id);
            Ok::<_, ApiError>(rows)
        })
    })
    .await?;
    let now = crate::db::now();
    let overdue: Vec<FindingRow> = rows
        .into_iter()
        .filter(|f| {
            let status = Status::parse(&f.status).unwrap_or(Status::Open);
            crate::domain::findings::explanation_overdue(status, f.explanation_due_at, now)
                || crate::domain::findings::action_overdue(status, f.action_due_at, now)
        })
        .collect();
    Ok(web::Json(super::paginate(
        overdue,
        &page,
        FindingView::from,
    )))
}
