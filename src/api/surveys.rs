//! `/surveys` and `/stats/satisfaction`: citizens' answers (yes/no or a 1–5 score) from
//! kiosks, the web or paper forms, and the satisfaction index per unit and period.

use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, post, web};
use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, SubsecRound,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::attendance::{check_range, visible_person};
use super::extract::{ValidJson, ValidQuery};
use super::{blocking, local_time};
use crate::auth::AuthUser;
use crate::db::surveys::{self as q, NewSurvey, Recorded, SurveyRow};
use crate::db::{AnyConnection, Db};
use crate::domain::access::{Action, Visibility};
use crate::domain::attendance::{to_local, to_utc};
use crate::domain::dossiers::{parse_local, satisfaction_index, satisfied};
use crate::domain::text::nfc;
use crate::domain::units::in_subtree;
use crate::error::{ApiError, FieldErrors};
use crate::import::dossiers::{ImportReport, Rejected, read_csv};
use crate::startup::AppState;

/// How far ahead of the server's clock an answer may be dated (a kiosk's clock drifts, as
/// a check-in device's does); a later one would count toward a period not yet begun.
const MAX_SKEW_MINUTES: i64 = 5;

/// What a reference to an unknown officer, or one beyond the caller's reach or outside the
/// answer's unit, gets in `POST /surveys`.
fn no_such_staff() -> ApiError {
    ApiError::field("staff_id", "no such staff member")
}

/// The same for a line of the CSV import, which names officers by code: an unknown code
/// and one of an officer the importer cannot name read alike.
fn no_staff_code() -> ApiError {
    ApiError::field(
        "staff_code",
        "no staff member of the province has this code",
    )
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_survey)
        .service(import_surveys)
        .service(satisfaction);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyView {
    pub id: i64,
    pub unit_id: i64,
    pub staff_id: Option<i64>,
    pub dossier_code: Option<String>,
    pub submitted_at: DateTime<FixedOffset>,
    pub satisfied: bool,
    pub score: Option<i32>,
    pub comment: Option<String>,
    pub idempotency_key: Option<String>,
}

impl From<SurveyRow> for SurveyView {
    fn from(r: SurveyRow) -> Self {
        SurveyView {
            id: r.id,
            unit_id: r.unit_id,
            staff_id: r.staff_id,
            dossier_code: r.dossier_code,
            submitted_at: local_time(r.submitted_at),
            satisfied: r.satisfied,
            score: r.score,
            comment: r.comment,
            idempotency_key: r.idempotency_key,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSurvey {
    pub unit_id: i64,
    pub submitted_at: DateTime<FixedOffset>,
    /// A yes/no answer; or give `score`.
    pub satisfied: Option<bool>,
    /// 1–5; satisfied from `dossiers.satisfied_min_score` (default 4) up.
    #[validate(range(min = 1, max = 5))]
    pub score: Option<i32>,
    /// The officer the answer is about, if any.
    pub staff_id: Option<i64>,
    #[validate(length(max = 100))]
    pub dossier_code: Option<String>,
    #[validate(length(max = 2000))]
    pub comment: Option<String>,
    /// The sender's own id of the answer: sent again under it, the answer is recorded
    /// once (200 with the answer recorded first). Unique per province.
    #[validate(length(min = 1, max = 200))]
    pub idempotency_key: Option<String>,
}

/// The key an answer is recorded under: trimmed, empty as none.
fn answer_key(key: Option<&str>) -> Option<String> {
    key.map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
}

/// A 409 for a key recorded before with other values: the first answer stands. (Which
/// answer is not said: it may be in a unit beyond the sender's reach.)
fn key_conflict() -> ApiError {
    ApiError::conflict(
        "idempotency_key",
        "already recorded in the province with other values; the first answer stands \
         (keys must be unique in the province: prefix them with the kiosk's or the \
         system's own id)",
    )
}

/// Resolves and checks one answer into a row.
#[allow(clippy::too_many_arguments)]
fn prepare(
    c: &mut AnyConnection,
    read: &Visibility,
    record: &Visibility,
    recorder: Option<i64>,
    unit_id: i64,
    staff_id: Option<i64>,
    unknown_staff: fn() -> ApiError,
    submitted_at: NaiveDateTime,
    flag: Option<bool>,
    score: Option<i32>,
    threshold: i32,
) -> Result<(i64, Option<i64>, bool), ApiError> {
    // A kiosk's account reads no units but records for its subtree.
    let unit = match crate::db::units::find(c, unit_id)? {
        Some(u) if read.unit(u.id, &u.path) || record.subtree(&u.path) => u,
        _ => return Err(ApiError::field("unit_id", "no such unit")),
    };
    if !record.subtree(&unit.path) {
        return Err(ApiError::Forbidden(
            "entering surveys needs the admin, hr, unit_head or device role on the unit",
        ));
    }
    if submitted_at > crate::db::now() + Duration::minutes(MAX_SKEW_MINUTES) {
        return Err(ApiError::field(
            "submitted_at",
            "is in the future (beyond the allowed clock skew)",
        ));
    }
    // As an imported line's date: no answer predates the years an administration's
    // records span (and PostgreSQL refuses a timestamp before 4713 BC with a 500).
    if to_local(submitted_at).year() < 1990 {
        return Err(ApiError::field("submitted_at", "is before 1990"));
    }
    if flag.is_none() && score.is_none() {
        return Err(ApiError::field(
            "satisfied",
            "give satisfied (yes/no) or a score",
        ));
    }
    // The officer must have worked in the answer's unit or below it on the day of the
    // answer (which the recorder reaches, checked above); anyone else reads as unknown.
    // The day's unit, not today's: a kiosk's backlog or a paper form keyed in after the
    // officer's transfer is still about the unit the citizen met them in.
    let day = to_local(submitted_at).date();
    let staff = match staff_id {
        Some(id) => match crate::db::staff::find_with_path(c, id)? {
            Some((person, path))
                if person.in_service_on(day)
                    && in_subtree(
                        &crate::db::moves::posted_on(c, &person, &path, day)?.path,
                        &unit.path,
                    ) =>
            {
                Some(person.id)
            }
            _ => return Err(unknown_staff()),
        },
        None => None,
    };
    // Citizens' answers about an officer raise their index and their unit's (and so the
    // reform cap and the head's accountability): never keyed in about oneself.
    if staff.is_some() && staff == recorder {
        return Err(ApiError::Forbidden(
            "an answer about yourself is for someone else to enter",
        ));
    }
    Ok((unit.province_id, staff, satisfied(flag, score, threshold)))
}

#[utoipa::path(post, path = "/api/v1/surveys", tag = "dossiers", request_body = CreateSurvey,
    responses((status = 201, body = SurveyView), (status = 200, body = SurveyView, description = "sent again under its idempotency_key"),
              (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/surveys")]
pub async fn create_survey(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<CreateSurvey>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let read = auth.can(Action::ReadUnits);
    let record = auth.can(Action::RecordSurveys);
    let recorder = auth.actor.staff_id;
    let threshold = state.dossiers.satisfied_min_score;
    let actor = auth.id();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let (province_id, staff_id, is_satisfied) = prepare(
                c,
                &read,
                &record,
                recorder,
                body.unit_id,
                body.staff_id,
                no_such_staff,
                body.submitted_at.naive_utc(),
                body.satisfied,
                body.score,
                threshold,
            )?;
            Ok::<_, ApiError>(q::record(
                c,
                &NewSurvey {
                    province_id,
                    unit_id: body.unit_id,
                    staff_id,
                    dossier_code: body
                        .dossier_code
                        .map(|d| d.trim().to_owned())
                        .filter(|d| !d.is_empty()),
                    // Microseconds, as PostgreSQL keeps them: an answer sent again with
                    // nanoseconds must compare equal to the one stored.
                    submitted_at: body.submitted_at.naive_utc().trunc_subsecs(6),
                    satisfied: is_satisfied,
                    score: body.score,
                    // Trimmed, as an imported line's cells are: the same answer imported
                    // later from the kiosk's export must compare equal.
                    comment: body
                        .comment
                        .as_deref()
                        .map(str::trim)
                        .map(nfc)
                        .filter(|c| !c.is_empty()),
                    created_by: Some(actor),
                    created_at: crate::db::now(),
                    idempotency_key: answer_key(body.idempotency_key.as_deref()),
                },
            )?)
        })
    })
    .await?;
    match row {
        Recorded::Created(row) => Ok(HttpResponse::Created().json(SurveyView::from(row))),
        Recorded::Again(row) => Ok(HttpResponse::Ok().json(SurveyView::from(row))),
        Recorded::Conflict(_) => Err(key_conflict()),
    }
}

/// Imports a CSV of answers (a kiosk's export or typed-in paper forms) with the columns
/// `unit_code, submitted_at, satisfied, score, staff_code, dossier_code, comment` and
/// optionally `idempotency_key` (a line whose key was recorded before is `unchanged`);
/// `satisfied` takes yes/no, có/không, true/false or 1/0. Encodings as for dossiers.
#[utoipa::path(post, path = "/api/v1/surveys/import", tag = "dossiers",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 415, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/surveys/import")]
pub async fn import_surveys(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<ImportReport>, ApiError> {
    let mime = req.mime_type().ok().flatten();
    if !mime
        .as_ref()
        .is_some_and(|m| m.type_() == "text" && m.subtype() == "csv")
    {
        return Err(ApiError::UnsupportedMediaType("send text/csv".into()));
    }
    let charset = mime
        .as_ref()
        .and_then(|m| m.get_param("charset"))
        .map(|c| c.as_str().to_owned());
    let text =
        crate::import::decode(&body, charset.as_deref()).map_err(|e| ApiError::field("body", e))?;
    let (lines, rejected) = read_csv(&text, 1);
    let read = auth.can(Action::ReadUnits);
    let record = auth.can(Action::RecordSurveys);
    let recorder = auth.actor.staff_id;
    let threshold = state.dossiers.satisfied_min_score;
    let actor = auth.id();
    let report = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let mut report = ImportReport {
                rejected,
                ..ImportReport::default()
            };
            for (line, raw) in &lines {
                match survey_line(c, &read, &record, recorder, raw, threshold, actor) {
                    Ok(new) => match q::record(c, &new)? {
                        Recorded::Created(_) => report.created += 1,
                        Recorded::Again(_) => report.unchanged += 1,
                        Recorded::Conflict(_) => report.rejected.push(Rejected {
                            line: *line,
                            errors: key_conflict().problem().errors,
                        }),
                    },
                    // The database failed, not the line: the whole import fails. Reported
                    // as a rejected line, PostgreSQL's aborted transaction would fail every
                    // line after it, or its commit roll back what the report says was kept.
                    Err(e @ (ApiError::Internal(_) | ApiError::Unavailable(_))) => return Err(e),
                    Err(e) => {
                        let problem = e.problem();
                        let errors = if problem.errors.is_empty() {
                            FieldErrors::from([("line".to_owned(), vec![problem.detail])])
                        } else {
                            problem.errors
                        };
                        report.rejected.push(Rejected {
                            line: *line,
                            errors,
                        });
                    }
                }
            }
            report.rejected.sort_by_key(|r| r.line);
            Ok::<_, ApiError>(report)
        })
    })
    .await?;
    Ok(web::Json(report))
}

fn survey_line(
    c: &mut AnyConnection,
    read: &Visibility,
    record: &Visibility,
    recorder: Option<i64>,
    raw: &crate::import::dossiers::RawLine,
    threshold: i32,
    actor: i64,
) -> Result<NewSurvey, ApiError> {
    let unit_code = raw
        .get("unit_code")
        .ok_or_else(|| ApiError::field("unit_code", "is required"))?;
    let mut found: Vec<_> = crate::db::units::find_by_code(c, unit_code)?
        .into_iter()
        .filter(|u| read.unit(u.id, &u.path) || record.subtree(&u.path))
        .collect();
    if found.len() != 1 {
        return Err(ApiError::field("unit_code", "no such unit (or several)"));
    }
    let unit = found.remove(0);
    let submitted = raw
        .get("submitted_at")
        .and_then(|s| parse_local(s, false))
        .ok_or_else(|| ApiError::field("submitted_at", "is required as a date-time"))?;
    let flag = match raw.get("satisfied").map(|s| s.to_lowercase()) {
        None => None,
        Some(s) => Some(match s.as_str() {
            "yes" | "true" | "1" | "có" | "co" | "hài lòng" => true,
            "no" | "false" | "0" | "không" | "khong" | "không hài lòng" => false,
            _ => return Err(ApiError::field("satisfied", "must be yes or no")),
        }),
    };
    let score = match raw.get("score") {
        None => None,
        Some(s) => match s.parse::<i32>() {
            Ok(n) if (1..=5).contains(&n) => Some(n),
            _ => return Err(ApiError::field("score", "must be 1 to 5")),
        },
    };
    let staff_id = match raw.get("staff_code") {
        None => None,
        Some(code) => Some(
            crate::db::staff::find_by_code(c, unit.province_id, code)?
                .ok_or_else(no_staff_code)?
                .id,
        ),
    };
    let submitted_at = to_utc(submitted);
    let (province_id, staff_id, is_satisfied) = prepare(
        c,
        read,
        record,
        recorder,
        unit.id,
        staff_id,
        no_staff_code,
        submitted_at,
        flag,
        score,
        threshold,
    )?;
    Ok(NewSurvey {
        province_id,
        unit_id: unit.id,
        staff_id,
        dossier_code: match raw.get("dossier_code") {
            Some(code) if code.chars().count() > 100 => {
                return Err(ApiError::field(
                    "dossier_code",
                    "must be at most 100 characters",
                ));
            }
            code => code.cloned(),
        },
        submitted_at,
        satisfied: is_satisfied,
        score,
        comment: match raw.get("comment") {
            Some(c) if c.chars().count() > 2000 => {
                return Err(ApiError::field(
                    "comment",
                    "must be at most 2000 characters",
                ));
            }
            c => c.map(|c| nfc(c)),
        },
        created_by: Some(actor),
        created_at: crate::db::now(),
        idempotency_key: match answer_key(raw.get("idempotency_key").map(String::as_str)) {
            Some(key) if key.chars().count() > 200 => {
                return Err(ApiError::field(
                    "idempotency_key",
                    "must be at most 200 characters",
                ));
            }
            key => key,
        },
    })
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SatisfactionQuery {
    pub unit_id: Option<i64>,
    /// The answers about one officer.
    pub staff_id: Option<i64>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Satisfaction {
    pub responses: i64,
    pub satisfied: i64,
    /// Percent; null without responses.
    pub index: Option<f64>,
}

#[utoipa::path(get, path = "/api/v1/stats/satisfaction", tag = "dossiers", params(SatisfactionQuery),
    responses((status = 200, body = Satisfaction), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/stats/satisfaction")]
pub async fn satisfaction(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<SatisfactionQuery>,
) -> Result<web::Json<Satisfaction>, ApiError> {
    let SatisfactionQuery {
        unit_id,
        staff_id,
        from,
        to,
    } = query.0;
    check_range(from, to)?;
    let read = auth.can(Action::ReadStaff);
    let start = to_utc(from.and_time(NaiveTime::MIN));
    let end = to_utc((to + Duration::days(1)).and_time(NaiveTime::MIN));
    let (responses, satisfied) = blocking(&state, move |db: &Db| {
        db.read(|c| match (unit_id, staff_id) {
            // One or the other: a unit's filter silently dropped would give the officer's
            // answers in every unit as the unit's.
            (Some(_), Some(_)) => Err(ApiError::field(
                "staff_id",
                "give either unit_id or staff_id, not both",
            )),
            (None, Some(id)) => {
                let person = visible_person(c, &read, id)?;
                Ok(q::counts(c, None, Some(person.staff.id), start, end)?)
            }
            (Some(unit), None) => {
                let ids = super::dossiers::subtree_units(c, &read, unit)?;
                Ok(q::counts(c, Some(&ids), None, start, end)?)
            }
            (None, None) => Err(ApiError::field("unit_id", "give unit_id or staff_id")),
        })
    })
    .await?;
    let index = satisfaction_index(
        u64::try_from(responses).unwrap_or(0),
        u64::try_from(satisfied).unwrap_or(0),
    );
    Ok(web::Json(Satisfaction {
        responses,
        satisfied,
        index,
    }))
}
