//! `/scores`: the monthly or quarterly scores of NĐ 335/2025, entered by the person's
//! manager, hr or an admin (never by the person for themself). The task points are
//! computed from the items and the period's dossier steps whenever the score is read,
//! so a late import still counts.

use actix_web::{get, post, web};
use chrono::{DateTime, FixedOffset};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use super::{PageParams, Paged, blocking, local_now, local_time};
use crate::auth::AuthUser;
use crate::db::scores::{self as q, NewScore, ScoreRow};
use crate::db::{AnyConnection, Db};
use crate::domain::access::{Action, Actor};
use crate::domain::evaluation::scoring::{TaskItem, is_quarter, period_bounds, unscorable};
use crate::domain::text::nfc;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(batch).service(save).service(list);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    pub staff_id: i64,
    /// `YYYY-MM` (monthly) or `YYYY-Qn` (quarterly).
    pub period: String,
    /// General criteria, 0–30 points.
    #[validate(range(min = 0.0, max = 30.0))]
    pub general: f64,
    /// The items assigned in the period (dossier steps are added by congvu).
    #[validate(length(min = 1, max = 500), nested)]
    pub tasks: Vec<TaskItem>,
    /// For a manager: the part of the task points that comes from their unit's results
    /// (0–70); it counts half in the year when someone they manage is not completed.
    #[validate(range(min = 0.0, max = 70.0))]
    pub manager_points: Option<f64>,
    #[validate(length(max = 2000))]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreView {
    pub id: i64,
    pub staff_id: i64,
    pub period: String,
    pub general: f64,
    /// Task points (0–70) from the items and the period's dossier steps, as of now.
    pub task_points: f64,
    pub manager_points: f64,
    /// General plus task points.
    pub total: f64,
    pub tasks: Vec<TaskItem>,
    pub note: Option<String>,
    pub entered_by: Option<i64>,
    pub entered_at: DateTime<FixedOffset>,
}

fn view(c: &mut AnyConnection, row: ScoreRow) -> Result<ScoreView, ApiError> {
    let (task, result) = q::points(c, &row, local_now())?;
    Ok(ScoreView {
        id: row.id,
        staff_id: row.staff_id,
        general: f64::from(row.general_centi) / 100.0,
        task_points: task as f64 / 100.0,
        manager_points: result.manager_centi as f64 / 100.0,
        total: result.total_centi as f64 / 100.0,
        tasks: serde_json::from_str(&row.items).unwrap_or_default(),
        period: row.period,
        note: row.note,
        entered_by: row.entered_by,
        entered_at: local_time(row.entered_at),
    })
}

fn centi(field: &str, v: f64) -> Result<i32, ApiError> {
    let scaled = v * 100.0;
    if (scaled - scaled.round()).abs() > 1e-6 {
        return Err(ApiError::field(field, "has more than two decimals"));
    }
    Ok(scaled.round() as i32)
}

#[utoipa::path(post, path = "/api/v1/scores", tag = "evaluation", request_body = ScoreInput,
    responses((status = 200, body = ScoreView), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/scores")]
pub async fn save(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<ScoreInput>,
) -> Result<web::Json<ScoreView>, ApiError> {
    let body = body.0;
    let actor = auth.actor.clone();
    let v = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let row = save_one(c, &actor, &body)?;
            view(c, row)
        })
    })
    .await?;
    Ok(web::Json(v))
}

/// Checks and stores one period's score for `actor`.
fn save_one(c: &mut AnyConnection, actor: &Actor, body: &ScoreInput) -> Result<ScoreRow, ApiError> {
    let (year, first, last) = period_bounds(&body.period)
        .ok_or_else(|| ApiError::field("period", "must be YYYY-MM or YYYY-Qn"))?;
    let general = centi("general", body.general)?;
    let manager = centi("manager_points", body.manager_points.unwrap_or(0.0))?;
    // A person's scores take turns with each other and with changes of their record
    // (`LockClass::Staff`): the person is read under it, so a leaving date recorded at
    // this moment is seen by the service check below. So do a month and its quarter sent
    // at once, each seeing the other for the check further down.
    crate::db::advisory_lock(c, crate::db::LockClass::Staff, body.staff_id)?;
    let read = actor.visibility(Action::ReadStaff);
    let person = super::attendance::visible_person(c, &read, body.staff_id)
        .map_err(|_| ApiError::field("staff_id", "no such staff member"))?;
    if !actor.may_score(person.staff.id, &person.unit_path, person.staff.is_head) {
        return Err(ApiError::Forbidden(
            "period scores are entered by the person's manager (for a unit's head, the \
             level above), hr or an admin",
        ));
    }
    let service = (person.staff.joined_on, person.staff.left_on);
    if let Some(why) = unscorable((first, last), service, super::local_now().date()) {
        return Err(ApiError::field("period", why));
    }
    // A year is scored by months or by quarters, not both: the average would count the
    // same months twice.
    let quarterly = is_quarter(&body.period);
    if q::of_staff(c, person.staff.id, year)?
        .iter()
        .any(|r| is_quarter(&r.period) != quarterly)
    {
        return Err(ApiError::field(
            "period",
            format!(
                "{year} is already scored {} for this person",
                if quarterly { "by month" } else { "by quarter" }
            ),
        ));
    }
    Ok(q::save(
        c,
        actor.user_id,
        person.staff.unit_id,
        &NewScore {
            province_id: person.staff.province_id,
            staff_id: person.staff.id,
            period: body.period.clone(),
            year,
            general_centi: general,
            items: serde_json::to_string(&body.tasks).unwrap_or_default(),
            manager_centi: manager,
            note: body.note.as_deref().map(nfc),
        },
    )?)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreBatch {
    /// Up to 2 000 period scores, e.g. exported from the task-assignment system.
    #[validate(length(min = 1, max = 2000))]
    pub scores: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rejected {
    pub index: usize,
    #[schema(value_type = Object)]
    pub errors: crate::error::FieldErrors,
    pub detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    pub saved: usize,
    pub rejected: Vec<Rejected>,
}

/// `POST /scores/batch`: many period scores at once (an import from the task system).
/// Like check-in batches, good entries are kept and each rejected one is reported with
/// its index; each entry is written in a savepoint, so a bad one leaves nothing behind.
#[utoipa::path(post, path = "/api/v1/scores/batch", tag = "evaluation", request_body = ScoreBatch,
    responses((status = 200, body = BatchResult), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/scores/batch")]
pub async fn batch(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<ScoreBatch, true>,
) -> Result<web::Json<BatchResult>, ApiError> {
    let entries = body.0.scores;
    let actor = auth.actor.clone();
    let result = blocking(&state, move |db: &Db| {
        db.write(|c| {
            // Each entry takes its person's lock (`save_one`), held to the end of the
            // batch: taken first here, all in one order, two batches naming the same
            // people in other orders wait for each other instead of deadlocking.
            let mut people: Vec<i64> = entries
                .iter()
                .filter_map(|v| v.get("staff_id").and_then(serde_json::Value::as_i64))
                .collect();
            people.sort_unstable();
            people.dedup();
            for id in people {
                crate::db::advisory_lock(c, crate::db::LockClass::Staff, id)?;
            }
            let mut saved = 0;
            let mut rejected = Vec::new();
            for (index, value) in entries.into_iter().enumerate() {
                let outcome = super::extract::from_value::<ScoreInput>(value)
                    .and_then(|input| c.transaction(|c| save_one(c, &actor, &input)));
                match outcome {
                    Ok(_) => saved += 1,
                    Err(e) => {
                        let problem = e.problem();
                        if problem.status >= 500 {
                            return Err(e);
                        }
                        rejected.push(Rejected {
                            index,
                            errors: problem.errors,
                            detail: problem.detail,
                        });
                    }
                }
            }
            Ok::<_, ApiError>(BatchResult { saved, rejected })
        })
    })
    .await?;
    Ok(web::Json(result))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ScoreQuery {
    pub staff_id: i64,
    #[validate(range(min = 2000, max = 2100))]
    pub year: i32,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/scores", tag = "evaluation", params(ScoreQuery),
    responses((status = 200, body = Paged<ScoreView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/scores")]
pub async fn list(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ScoreQuery>,
) -> Result<web::Json<Paged<ScoreView>>, ApiError> {
    let ScoreQuery {
        staff_id,
        year,
        page,
        per_page,
    } = query.0;
    let page = PageParams { page, per_page };
    let actor = auth.actor.clone();
    let items = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let (person, path) =
                crate::db::staff::find_with_path(c, staff_id)?.ok_or(ApiError::NotFound)?;
            if actor.staff_id != Some(person.id)
                && !actor.visibility(Action::ReadEvaluations).subtree(&path)
            {
                return Err(ApiError::NotFound);
            }
            let (rows, total) = page.window(q::of_staff(c, person.id, year)?);
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(view(c, row)?);
            }
            Ok(Paged::new(out, total, &page))
        })
    })
    .await?;
    Ok(web::Json(items))
}
