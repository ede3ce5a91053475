//! `/dossiers`: the one-stop import, the dossiers with their steps, the morning list of
//! overdue dossiers, and `/stats/dossiers` (late ratios per person or unit).

use actix_web::{HttpMessage, HttpRequest, get, web};
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::attendance::{check_range, visible_person};
use super::extract::{ValidQuery, parse_json_rows};
use super::{PageParams, Paged, blocking, local_now, local_time, paginate};
use crate::auth::AuthUser;
use crate::db::dossiers::{self as q, DossierRow, StepRow};
use crate::db::{AnyConnection, Db};
use crate::domain::access::{Action, Visibility};
use crate::domain::attendance::to_utc;
use crate::domain::dossiers::{DossierStatus, LateRatioFormula, Outcome, Tally, in_period};
use crate::error::ApiError;
use crate::import::dossiers::{CsvStream, ImportReport, import_lines, read_json};
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/dossiers/import")
            // One-stop exports are large; bigger ones go through `congvu import dossiers`.
            .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
            .route(web::post().to(import_dossiers)),
    )
    .service(overdue)
    .service(list_dossiers)
    .service(dossier_stats);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct DossierImport {
    /// One object per step line, with the CSV's column names.
    #[validate(length(min = 1, max = 500000))]
    #[schema(value_type = Vec<Object>)]
    pub dossiers: Vec<serde_json::Value>,
}

/// Imports dossiers: `application/json` (`{"dossiers": [...]}`) or `text/csv`, whose
/// charset may be declared (`text/csv; charset=windows-1258`); without one, UTF-8 (with
/// or without BOM) and BOM-marked UTF-16 are recognised. Idempotent by dossier code; bad
/// lines are reported and the good ones kept.
#[utoipa::path(post, path = "/api/v1/dossiers/import", tag = "dossiers",
    request_body(content = DossierImport, description = "JSON, or a CSV file (text/csv)"),
    responses((status = 200, body = ImportReport), (status = 403, body = crate::error::Problem),
              (status = 415, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn import_dossiers(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<ImportReport>, ApiError> {
    let scope = auth.can(Action::ImportDossiers);
    if scope.is_empty() {
        return Err(ApiError::Forbidden(
            "importing dossiers needs the admin or hr role",
        ));
    }
    let mime = req.mime_type().ok().flatten();
    let (lines, mut rejected) = match mime
        .as_ref()
        .map(|m| (m.type_().as_str(), m.subtype().as_str()))
    {
        Some(("application", "json")) => {
            let parsed: DossierImport = parse_json_rows(&body)?;
            validator::Validate::validate(&parsed)?;
            read_json(parsed.dossiers)
        }
        Some(("text", "csv")) => {
            let charset = mime
                .as_ref()
                .and_then(|m| m.get_param("charset"))
                .map(|c| c.as_str().to_owned());
            // Read as `congvu import dossiers` reads a file: a line with bytes that are
            // not valid in the encoding is rejected on its own, the others kept. Before,
            // one bad byte in a large export refused it whole, naming no line.
            let input = crate::import::decoding_reader(&body[..], charset.as_deref())
                .map_err(|e| ApiError::field("body", e))?;
            let mut stream =
                CsvStream::new(input).map_err(|e| ApiError::field("body", e.to_string()))?;
            stream.next_batch(usize::MAX)
        }
        _ => {
            return Err(ApiError::UnsupportedMediaType(
                "send application/json or text/csv".into(),
            ));
        }
    };
    let actor = auth.id();
    let own = auth.actor.staff_id;
    let mut report = blocking(&state, move |db: &Db| {
        db.write(|c| {
            Ok::<_, ApiError>(import_lines(
                c,
                &scope,
                (Some(actor), own),
                &lines,
                local_now(),
            )?)
        })
    })
    .await?;
    rejected.append(&mut report.rejected);
    rejected.sort_by_key(|r| r.line);
    report.rejected = rejected;
    Ok(web::Json(report))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepDispute {
    pub id: i64,
    pub status: crate::domain::disputes::DisputeStatus,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    /// What a dispute names (`POST /disputes`).
    pub id: i64,
    pub step_no: i32,
    pub staff_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub received_at: Option<DateTime<FixedOffset>>,
    pub due_at: Option<DateTime<FixedOffset>>,
    pub finished_at: Option<DateTime<FixedOffset>>,
    /// Against its own deadline, with the dossier's lateness attributed; as recorded,
    /// whatever a dispute decided (`counted_outcome` is what ratios count).
    pub outcome: Outcome,
    /// The outcome after an accepted dispute (late becomes on time).
    pub counted_outcome: Outcome,
    pub dispute: Option<StepDispute>,
    /// The one-stop feed's handler, what they did, and how they were attributed (or why
    /// not: `unknown`, `ambiguous`).
    pub handler_name: Option<String>,
    pub handler_account: Option<String>,
    pub action: Option<String>,
    pub matched_by: Option<String>,
    pub handler_issue: Option<String>,
}

/// The disputes of the steps of these dossiers, by step id.
pub(crate) fn step_disputes(
    c: &mut AnyConnection,
    rows: &[(DossierRow, Vec<StepRow>)],
) -> Result<HashMap<i64, StepDispute>, ApiError> {
    let ids: Vec<i64> = rows
        .iter()
        .flat_map(|(_, s)| s.iter().map(|s| s.id))
        .collect();
    Ok(crate::db::disputes::of_steps(c, &ids)?
        .into_iter()
        .map(|d| {
            let status = d.status();
            (d.step_id, StepDispute { id: d.id, status })
        })
        .collect())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DossierView {
    pub id: i64,
    pub code: String,
    pub procedure: String,
    pub unit_id: i64,
    pub status: DossierStatus,
    pub status_label: &'static str,
    pub received_at: DateTime<FixedOffset>,
    pub due_at: Option<DateTime<FixedOffset>>,
    /// The deadline after pauses for supplements.
    pub effective_due_at: Option<DateTime<FixedOffset>>,
    pub finished_at: Option<DateTime<FixedOffset>>,
    pub apology_new_due_at: Option<DateTime<FixedOffset>>,
    pub outcome: Outcome,
    pub steps: Vec<StepView>,
}

fn view(
    d: &DossierRow,
    steps: &[StepRow],
    disputes: &HashMap<i64, StepDispute>,
    now: chrono::NaiveDateTime,
) -> DossierView {
    let rules = d.rules(steps);
    let outcomes = rules.step_outcomes(now);
    let status = DossierStatus::parse(&d.status).unwrap_or(DossierStatus::InProgress);
    DossierView {
        id: d.id,
        code: d.code.clone(),
        procedure: d.procedure_name.clone(),
        unit_id: d.unit_id,
        status,
        status_label: status.label(),
        received_at: local_time(d.received_at),
        due_at: d.due_at.map(local_time),
        effective_due_at: rules.due().map(|t| local_time(to_utc(t))),
        finished_at: d.finished_at.map(local_time),
        apology_new_due_at: d.apology_new_due_at.map(local_time),
        outcome: rules.outcome(now),
        steps: steps
            .iter()
            .map(|s| {
                let outcome = outcomes
                    .iter()
                    .find(|(no, _)| *no == s.step_no)
                    .map_or(Outcome::Pending, |(_, o)| *o);
                let dispute = disputes.get(&s.id).map(|d| StepDispute {
                    id: d.id,
                    status: d.status,
                });
                StepView {
                    id: s.id,
                    step_no: s.step_no,
                    staff_id: s.staff_id,
                    unit_id: s.unit_id,
                    received_at: s.received_at.map(local_time),
                    due_at: s.due_at.map(local_time),
                    finished_at: s.finished_at.map(local_time),
                    outcome,
                    counted_outcome: crate::domain::disputes::counted(
                        outcome,
                        dispute.as_ref().map(|d| d.status),
                    ),
                    dispute,
                    handler_name: s.handler_name.clone(),
                    handler_account: s.handler_account.clone(),
                    action: s.action.clone(),
                    matched_by: s.matched_by.clone(),
                    handler_issue: s.handler_issue.clone(),
                }
            })
            .collect(),
    }
}

/// The unit ids of a subtree the caller reads as a whole (404 otherwise).
pub(crate) fn subtree_units(
    c: &mut AnyConnection,
    read: &Visibility,
    unit_id: i64,
) -> Result<Vec<i64>, ApiError> {
    let unit = match crate::db::units::find(c, unit_id)? {
        Some(u) if read.subtree(&u.path) => u,
        _ => return Err(ApiError::NotFound),
    };
    ids_within(c, &unit.path)
}

/// The ids of every unit in the subtree with this path.
pub(crate) fn ids_within(c: &mut AnyConnection, path: &str) -> Result<Vec<i64>, ApiError> {
    let filter = crate::db::units::UnitFilter {
        within: Some(path.to_owned()),
        ..Default::default()
    };
    let all = Visibility {
        all: true,
        ..Visibility::default()
    };
    Ok(crate::db::units::list(c, &all, &filter, i64::MAX, 0)?
        .0
        .into_iter()
        .map(|u| u.id)
        .collect())
}

fn day_start_utc(d: NaiveDate) -> chrono::NaiveDateTime {
    to_utc(d.and_time(NaiveTime::MIN))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DossierQuery {
    pub unit_id: Option<i64>,
    pub staff_id: Option<i64>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Only late (or overdue) dossiers.
    pub late: Option<bool>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

/// Dossiers of a unit (with its subtree) or of a person's steps that fall in the period:
/// finished in it, or fallen due in it unfinished.
#[utoipa::path(get, path = "/api/v1/dossiers", tag = "dossiers", params(DossierQuery),
    responses((status = 200, body = Paged<DossierView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/dossiers")]
pub async fn list_dossiers(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<DossierQuery>,
) -> Result<web::Json<Paged<DossierView>>, ApiError> {
    let query = query.0;
    check_range(query.from, query.to)?;
    let page = PageParams {
        page: query.page,
        per_page: query.per_page,
    };
    let read = auth.can(Action::ReadStaff);
    let now = local_now();
    let listed = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let since = day_start_utc(query.from);
            let (rows, person) = match (query.staff_id, query.unit_id) {
                (Some(id), _) => {
                    let person = visible_person(c, &read, id)?;
                    (
                        q::of_staff_since(c, person.staff.id, since)?,
                        Some(person.staff.id),
                    )
                }
                (None, Some(unit)) => {
                    let units = subtree_units(c, &read, unit)?;
                    (q::of_units_since(c, &units, since)?, None)
                }
                (None, None) => return Err(ApiError::field("unit_id", "give unit_id or staff_id")),
            };
            // The units of a person's dossiers the caller reads as a whole: elsewhere (an
            // inter-agency dossier, the unit the person has left) only the person's own
            // steps are shown, not the other officers'.
            let read_whole: HashSet<i64> = match person {
                Some(_) => {
                    let ids: Vec<i64> = rows.iter().map(|d| d.unit_id).collect();
                    crate::db::units::find_many(c, &ids)?
                        .into_iter()
                        .filter(|u| read.subtree(&u.path))
                        .map(|u| u.id)
                        .collect()
                }
                None => HashSet::new(),
            };
            let rows = q::with_steps(c, rows)?;
            let disputes = step_disputes(c, &rows)?;
            Ok((rows, disputes, person, read_whole))
        })
    })
    .await?;
    let (rows, disputes, person, read_whole) = listed;
    let items: Vec<DossierView> = rows
        .iter()
        .filter(|(d, steps)| {
            let rules = d.rules(steps);
            match person {
                // A person's list is of their steps, as their tally counts them: a step
                // finished in the period or fallen due in it unfinished, late or on time
                // by its own outcome (an accepted dispute included), not by the dossier's.
                Some(who) => person_steps_match(&rules, steps, &disputes, who, &query, now),
                // Asked for late or on time, a returned or cancelled dossier is neither: it
                // counts in no ratio, and the list agrees with the ratios.
                // Late as the unit's ratio counts it: not a dossier late only through
                // steps whose disputes were accepted (`unit_tally`).
                None => {
                    in_period(rules.due(), rules.finished, query.from, query.to, now)
                        && query.late.is_none_or(|late| {
                            let disputed: HashMap<i32, crate::domain::disputes::DisputeStatus> =
                                steps
                                    .iter()
                                    .filter_map(|s| Some((s.step_no, disputes.get(&s.id)?.status)))
                                    .collect();
                            let counted = crate::domain::disputes::dossier_counted(
                                rules.outcome(now),
                                &rules.step_outcomes(now),
                                &disputed,
                            );
                            rules.status.counts() && counted.is_late() == late
                        })
                }
            }
        })
        .map(|(d, steps)| {
            let mut v = view(d, steps, &disputes, now);
            if let Some(who) = person.filter(|_| !read_whole.contains(&d.unit_id)) {
                v.steps.retain(|s| s.staff_id == Some(who));
            }
            v
        })
        .collect();
    Ok(web::Json(super::paginate(items, &page, |v| v)))
}

/// Whether one of `who`'s steps of this dossier is in the period asked for, and late or
/// not as asked, counted as `/stats/dossiers?staff_id=` counts it.
fn person_steps_match(
    rules: &crate::domain::dossiers::Dossier,
    steps: &[StepRow],
    disputes: &HashMap<i64, StepDispute>,
    who: i64,
    query: &DossierQuery,
    now: chrono::NaiveDateTime,
) -> bool {
    let outcomes = rules.step_outcomes(now);
    rules
        .steps
        .iter()
        .filter(|s| s.staff_id == Some(who))
        .any(|s| {
            let outcome = outcomes
                .iter()
                .find(|(no, _)| *no == s.step_no)
                .map_or(Outcome::Pending, |(_, o)| *o);
            let dispute = steps
                .iter()
                .find(|row| row.step_no == s.step_no)
                .and_then(|row| disputes.get(&row.id))
                .map(|d| d.status);
            in_period(
                rules.judged_due(s),
                s.finished_at,
                query.from,
                query.to,
                now,
            ) && query.late.is_none_or(|late| {
                // Paused or pending, a step is neither late nor on time: the tally leaves it
                // out.
                let counted = crate::domain::disputes::counted(outcome, dispute);
                rules.status.counts()
                    && !matches!(counted, Outcome::Pending | Outcome::Paused)
                    && counted.is_late() == late
            })
        })
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OverdueQuery {
    pub unit_id: i64,
    /// Also the dossiers falling due by the end of this many days from today (0: later
    /// today, 1: by the end of tomorrow); without it, those overdue now.
    #[validate(range(min = 0, max = 60))]
    pub within_days: Option<i64>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

/// What a head checks every morning: the unit's unfinished dossiers that are overdue or
/// fall due within `within_days`, soonest first. Dossiers waiting for a supplement asked
/// for before their deadline are left out: their clock is stopped.
#[utoipa::path(get, path = "/api/v1/dossiers/overdue", tag = "dossiers", params(OverdueQuery),
    responses((status = 200, body = Paged<DossierView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/dossiers/overdue")]
pub async fn overdue(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<OverdueQuery>,
) -> Result<web::Json<Paged<DossierView>>, ApiError> {
    let OverdueQuery {
        unit_id,
        within_days,
        page,
        per_page,
    } = query.0;
    let page = PageParams { page, per_page };
    let read = auth.can(Action::ReadStaff);
    let now = local_now();
    let horizon = crate::domain::dossiers::due_horizon(now, within_days);
    let rows = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let units = subtree_units(c, &read, unit_id)?;
            let open = q::open_of_units(c, &units)?;
            let rows = q::with_steps(c, open)?;
            let disputes = step_disputes(c, &rows)?;
            Ok::<_, ApiError>((rows, disputes))
        })
    })
    .await?;
    let (rows, disputes) = rows;
    let mut items: Vec<(chrono::NaiveDateTime, &(DossierRow, Vec<StepRow>))> = rows
        .iter()
        .filter_map(|row| {
            let rules = row.0.rules(&row.1);
            let due = rules.due()?;
            let open = rules.finished.is_none() && rules.status.counts() && !rules.paused();
            (open && due <= horizon).then_some((due, row))
        })
        .collect();
    items.sort_by_key(|(due, (d, _))| (*due, d.id));
    Ok(web::Json(paginate(items, &page, |(_, (d, steps))| {
        view(d, steps, &disputes, now)
    })))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    pub staff_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Overrides the configured convention.
    pub formula: Option<LateRatioFormula>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DossierStats {
    /// What the ratio divides by under `formula`.
    pub handled: u64,
    /// Finished by the deadline (early ones included).
    pub on_time: u64,
    /// Of `on_time`, finished on a day before the due day.
    pub early: u64,
    /// Finished after the deadline.
    pub late: u64,
    /// Unfinished and past the deadline.
    pub overdue: u64,
    /// Percent; null when nothing was handled. After disputes: accepted ones are not late.
    pub late_ratio: Option<f64>,
    /// Of `late` and `overdue`, how many wait for a head's decision on a dispute: the
    /// ratio may still fall by that much.
    pub disputes_pending: u64,
    pub formula: LateRatioFormula,
}

impl DossierStats {
    fn new(t: Tally, formula: LateRatioFormula) -> Self {
        DossierStats {
            handled: t.handled(formula),
            on_time: t.early + t.on_time,
            early: t.early,
            late: t.late,
            overdue: t.overdue,
            late_ratio: t.late_ratio(formula),
            disputes_pending: t.disputes_pending(formula),
            formula,
        }
    }
}

/// A person's late ratio counts the steps they handled (lateness attributed as the README
/// explains); a unit's counts the dossiers it (or a unit below it) received.
#[utoipa::path(get, path = "/api/v1/stats/dossiers", tag = "dossiers", params(StatsQuery),
    responses((status = 200, body = DossierStats), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/stats/dossiers")]
pub async fn dossier_stats(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<StatsQuery>,
) -> Result<web::Json<DossierStats>, ApiError> {
    let query = query.0;
    check_range(query.from, query.to)?;
    let settings = state.dossiers.clone();
    let read = auth.can(Action::ReadStaff);
    let now = local_now();
    let (tally, province_id) = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let (tally, province_id) = match (query.staff_id, query.unit_id) {
                (Some(id), None) => {
                    let person = visible_person(c, &read, id)?;
                    let tally = q::staff_tally(c, person.staff.id, query.from, query.to, now)?;
                    (tally, person.staff.province_id)
                }
                (None, Some(unit)) => {
                    let units = subtree_units(c, &read, unit)?;
                    let province_id = crate::db::units::find(c, unit)?.map_or(0, |u| u.province_id);
                    (
                        q::unit_tally(c, &units, query.from, query.to, now)?,
                        province_id,
                    )
                }
                _ => {
                    return Err(ApiError::field(
                        "staff_id",
                        "give either staff_id or unit_id",
                    ));
                }
            };
            let code = crate::db::units::find(c, province_id)?.map(|u| u.code);
            Ok((tally, code))
        })
    })
    .await?;
    // The query's choice, else the province's convention, else the default.
    let formula = query
        .formula
        .unwrap_or_else(|| settings.formula_for(province_id.as_deref()));
    Ok(web::Json(DossierStats::new(tally, formula)))
}
