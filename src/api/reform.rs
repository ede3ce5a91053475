//! `/units/{id}/reform` and `/accountability`: a unit's administrative-reform ranking for
//! a year (proposed from its score and capped by its late ratio and satisfaction index as
//! the province's policy says, then decided), and the heads who answer for their units'
//! rankings.

use std::collections::{BTreeMap, HashMap};

use actix_web::{get, put, web};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use super::{PageParams, Paged, blocking, local_now, local_time, paginate};
use crate::auth::AuthUser;
use crate::db::reform::{self as q, ReformFields, ReformRow};
use crate::db::units::UnitRow;
use crate::db::{AnyConnection, Db};
use crate::domain::access::{Action, Actor};
use crate::domain::attendance::to_utc;
use crate::domain::codes::{Rating, ReformRanking};
use crate::domain::dossiers::LateRatioFormula;
use crate::domain::evaluation::Stored;
use crate::domain::evaluation::engine::Value;
use crate::domain::evaluation::reform::{
    UnitApplied, UnitFacts, head_flags, propose, unit_policies,
};
use crate::domain::postings::{Earlier, in_unit_during, spells};
use crate::domain::text::nfc;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(get_reform)
        .service(put_reform)
        .service(accountability);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReformView {
    pub unit_id: i64,
    pub year: i32,
    /// Late dossiers of the unit's subtree in the year, in percent (null: none handled),
    /// after disputes.
    pub late_ratio: Option<f64>,
    /// Disputes behind the late dossiers still waiting for a decision.
    pub late_disputes_pending: u64,
    pub satisfaction_index: Option<f64>,
    /// The reform score the province assessed (points).
    pub score: Option<f64>,
    pub proposed_ranking: Option<ReformRanking>,
    /// Its Vietnamese label (API.md: every code comes with one).
    pub proposed_ranking_label: Option<&'static str>,
    pub max_ranking: ReformRanking,
    pub max_ranking_label: &'static str,
    pub applied_rules: Vec<UnitApplied>,
    /// The decided ranking.
    pub ranking: Option<ReformRanking>,
    pub ranking_label: Option<&'static str>,
    pub party_rating: Option<Rating>,
    pub party_rating_label: Option<&'static str>,
    pub reason: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

fn policies(c: &mut AnyConnection) -> Result<Vec<Stored>, ApiError> {
    Ok(crate::db::policies::list(c)?
        .iter()
        .filter_map(|r| r.policy().map(|p| (r.id, p)))
        .collect())
}

/// The unit, when the caller may read its evaluations; 404 otherwise.
fn readable(c: &mut AnyConnection, actor: &Actor, id: i64) -> Result<UnitRow, ApiError> {
    match crate::db::units::find(c, id)? {
        Some(u) if actor.visibility(Action::ReadEvaluations).subtree(&u.path) => Ok(u),
        _ => Err(ApiError::NotFound),
    }
}

fn check_year(year: i32) -> Result<(NaiveDate, NaiveDate), ApiError> {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .zip(NaiveDate::from_ymd_opt(year, 12, 31))
        .filter(|_| (2000..=2100).contains(&year))
        .ok_or_else(|| ApiError::field("year", "must be a year between 2000 and 2100"))
}

/// Computes the unit's view for `year`: metrics, proposal and what was decided.
fn reform_view(
    c: &mut AnyConnection,
    unit: &UnitRow,
    year: i32,
    formula: LateRatioFormula,
) -> Result<ReformView, ApiError> {
    let (first, last) = check_year(year)?;
    let all = policies(c)?;
    let province = crate::db::units::find(c, unit.province_id)?
        .map(|u| u.code)
        .unwrap_or_default();
    let ups = unit_policies(&all, &province, year);
    let ids = super::dossiers::ids_within(c, &unit.path)?;
    let now = local_now();
    let tally = crate::db::dossiers::unit_tally(c, &ids, first, last, now)?;
    let late = match formula {
        LateRatioFormula::Resolved => tally.late,
        LateRatioFormula::WithOverdue => tally.late + tally.overdue,
    };
    let late_ratio = Value::percent(late as i64, tally.handled(formula) as i64);
    let start = to_utc(first.and_time(NaiveTime::MIN));
    let end = to_utc((last + Duration::days(1)).and_time(NaiveTime::MIN));
    let (responses, satisfied) = crate::db::surveys::counts(c, Some(&ids), None, start, end)?;
    let satisfaction = Value::percent(satisfied, responses);
    let saved = q::find(c, unit.id, year)?;
    let facts = UnitFacts {
        late_ratio,
        satisfaction_index: satisfaction,
        score_centi: saved.as_ref().and_then(|s| s.score_centi).map(i64::from),
    };
    let proposal = propose(&ups, &facts);
    let ranking = saved
        .as_ref()
        .and_then(|s| s.ranking.as_deref())
        .and_then(ReformRanking::parse);
    let party_rating = saved
        .as_ref()
        .and_then(|s| s.party_rating.as_deref())
        .and_then(Rating::parse);
    Ok(ReformView {
        unit_id: unit.id,
        year,
        late_ratio: late_ratio.map(Value::shown),
        late_disputes_pending: tally.disputes_pending(formula),
        satisfaction_index: satisfaction.map(Value::shown),
        score: facts.score_centi.map(|s| s as f64 / 100.0),
        proposed_ranking: proposal.proposed,
        proposed_ranking_label: proposal.proposed.map(ReformRanking::label),
        max_ranking: proposal.max_ranking,
        max_ranking_label: proposal.max_ranking.label(),
        applied_rules: proposal.applied,
        ranking,
        ranking_label: ranking.map(ReformRanking::label),
        party_rating,
        party_rating_label: party_rating.map(Rating::label),
        reason: saved.as_ref().and_then(|s| s.reason.clone()),
        decided_by: saved.as_ref().and_then(|s| s.decided_by),
        decided_at: saved.as_ref().map(|s| local_time(s.decided_at)),
    })
}

fn formula_of(
    state: &AppState,
    c: &mut AnyConnection,
    unit: &UnitRow,
) -> Result<LateRatioFormula, ApiError> {
    let code = crate::db::units::find(c, unit.province_id)?.map(|u| u.code);
    Ok(state.dossiers.formula_for(code.as_deref()))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReformQuery {
    pub year: i32,
}

#[utoipa::path(get, path = "/api/v1/units/{id}/reform", tag = "evaluation", params(ReformQuery),
    responses((status = 200, body = ReformView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/units/{id}/reform")]
pub async fn get_reform(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    query: ValidQuery<ReformQuery>,
) -> Result<web::Json<ReformView>, ApiError> {
    let id = id.into_inner();
    let year = query.year;
    let actor = auth.actor.clone();
    let st = state.clone();
    let v = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let unit = readable(c, &actor, id)?;
            let formula = formula_of(&st, c, &unit)?;
            reform_view(c, &unit, year, formula)
        })
    })
    .await?;
    Ok(web::Json(v))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReformDecision {
    /// The decided ranking; other than the one proposed from the score, or above the
    /// highest the rules allow, it needs a reason.
    pub ranking: Option<ReformRanking>,
    /// The reform score the province assessed, in points (two decimals at most).
    #[validate(range(min = 0.0, max = 100.0))]
    pub score: Option<f64>,
    /// The party body's rating of the unit this year (for the excellent-needs-good check).
    pub party_rating: Option<Rating>,
    #[validate(length(min = 1, max = 2000))]
    pub reason: Option<String>,
}

#[utoipa::path(put, path = "/api/v1/units/{id}/reform/{year}", tag = "evaluation", request_body = ReformDecision,
    responses((status = 200, body = ReformView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[put("/units/{id}/reform/{year}")]
pub async fn put_reform(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i32)>,
    body: ValidJson<ReformDecision>,
) -> Result<web::Json<ReformView>, ApiError> {
    let (id, year) = path.into_inner();
    let body = body.0;
    check_year(year)?;
    // As for a person's rating, a year not yet begun has no record to rank: a mistyped
    // year's "weak" would flag the unit's head once it came.
    if year > local_now().year() {
        return Err(ApiError::field("year", "is a year not yet begun"));
    }
    if body.ranking.is_none()
        && body.score.is_none()
        && body.party_rating.is_none()
        && body.reason.as_deref().is_none_or(|r| r.trim().is_empty())
    {
        return Err(ApiError::field(
            "ranking",
            "give at least one of ranking, score, party_rating and reason",
        ));
    }
    let score_centi = match body.score {
        Some(s) => {
            let scaled = s * 100.0;
            if (scaled - scaled.round()).abs() > 1e-6 {
                return Err(ApiError::field("score", "has more than two decimals"));
            }
            Some(scaled.round() as i32)
        }
        None => None,
    };
    let actor = auth.actor.clone();
    let st = state.clone();
    let v = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let unit = readable(c, &actor, id)?;
            if !actor.visibility(Action::Evaluate).subtree(&unit.path) {
                return Err(ApiError::Forbidden(
                    "reform rankings are decided by hr or an admin",
                ));
            }
            // A ranking above the proposal spares the unit's head on the accountability
            // list: as nobody decides their own rating, no head decides their unit's.
            if let Some(own) = actor.staff_id
                && crate::db::staff::find(c, own)?
                    .is_some_and(|me| me.unit_id == unit.id && me.is_head)
            {
                return Err(ApiError::Forbidden(
                    "nobody decides the ranking of the unit they head",
                ));
            }
            let formula = formula_of(&st, c, &unit)?;
            let reason = body
                .reason
                .as_deref()
                .map(nfc)
                .filter(|r| !r.trim().is_empty());
            // Read and merged under the province's evaluation lock: two requests at once
            // (one setting the ranking, one the party rating) would each merge into the
            // same stale row, the second undoing the first; or, both finding none, one
            // would fail on the unique key.
            crate::db::evaluation_run::lock(c, unit.province_id)?;
            let before = q::find(c, unit.id, year)?;
            let ranking_changed = body.ranking.is_some_and(|r| {
                before.as_ref().and_then(|b| b.ranking.as_deref()) != Some(r.code())
            });
            let fields = ReformFields {
                score_centi: score_centi.or(before.as_ref().and_then(|b| b.score_centi)),
                // What the request leaves out stays as it was.
                ranking: body
                    .ranking
                    .map(|r| r.code().to_owned())
                    .or(before.as_ref().and_then(|b| b.ranking.clone())),
                party_rating: body
                    .party_rating
                    .map(|r| r.code().to_owned())
                    .or(before.as_ref().and_then(|b| b.party_rating.clone())),
                // The reason given for another ranking does not explain a new one: a
                // new ranking keeps only a reason sent with it.
                reason: reason.clone().or(if ranking_changed {
                    None
                } else {
                    before.as_ref().and_then(|b| b.reason.clone())
                }),
            };
            q::save(c, actor.user_id, unit.province_id, unit.id, year, &fields)?;
            // Checked against the proposal of the score as saved (a request may set the
            // score and the ranking together); a refusal rolls the save back. As for a
            // person's rating, a decision other than the proposal says why: a unit
            // ranked below its score flags its head, one above it spares them.
            let view = reform_view(c, &unit, year, formula)?;
            // A new ranking needs its own reason; one kept while the score moves under it
            // may lean on the reason already given, but not go without any.
            let reason_given = if ranking_changed {
                reason.is_some()
            } else {
                fields.reason.is_some()
            };
            if (body.ranking.is_some() || body.score.is_some())
                && let Some(r) = view.ranking
                && !reason_given
            {
                let why = if r > view.max_ranking {
                    Some(format!(
                        "{} is above the highest ranking the rules allow ({})",
                        r.code(),
                        view.max_ranking.code()
                    ))
                } else {
                    view.proposed_ranking.filter(|p| *p != r).map(|p| {
                        format!(
                            "{} differs from the ranking proposed from the score ({})",
                            r.code(),
                            p.code()
                        )
                    })
                };
                if let Some(why) = why {
                    return Err(ApiError::field("reason", format!("is required: {why}")));
                }
            }
            Ok(view)
        })
    })
    .await?;
    Ok(web::Json(v))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Flag {
    pub unit_id: i64,
    pub unit_name: String,
    /// The unit's head(s) on record.
    pub heads: Vec<HeadRef>,
    /// Decided rankings by year.
    pub rankings: BTreeMap<i32, ReformRanking>,
    /// The Vietnamese label of each year's ranking (`"2025": "Trung bình"`).
    pub ranking_labels: BTreeMap<i32, &'static str>,
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeadRef {
    pub staff_id: i64,
    pub full_name: String,
    /// When the head left the service, if they have: a head who left in the year still
    /// answers for it, but no longer holds the post.
    pub left_on: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AccountabilityQuery {
    pub year: i32,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/accountability", tag = "evaluation", params(AccountabilityQuery),
    responses((status = 200, body = Paged<Flag>)), security(("bearer" = [])))]
#[get("/accountability")]
pub async fn accountability(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<AccountabilityQuery>,
) -> Result<web::Json<Paged<Flag>>, ApiError> {
    let year = query.year;
    let page = PageParams {
        page: query.page,
        per_page: query.per_page,
    };
    let (first, last) = check_year(year)?;
    let actor = auth.actor.clone();
    let flags = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let reader = actor.visibility(Action::ReadEvaluations);
            let mut unit_ids = Vec::new();
            if reader.all {
                for root in crate::db::units::roots(c)? {
                    unit_ids.extend(super::dossiers::ids_within(c, &root.path)?);
                }
            } else {
                for path in &reader.subtrees {
                    unit_ids.extend(super::dossiers::ids_within(c, path)?);
                }
            }
            let rows = q::of_units(c, &unit_ids)?;
            let mut by_unit: HashMap<i64, Vec<ReformRow>> = HashMap::new();
            for r in rows {
                by_unit.entry(r.unit_id).or_default().push(r);
            }
            let all = policies(c)?;
            let mut out = Vec::new();
            let mut ids: Vec<i64> = by_unit.keys().copied().collect();
            ids.sort_unstable();
            for unit_id in ids {
                let history = &by_unit[&unit_id];
                let Some(unit) = crate::db::units::find(c, unit_id)? else {
                    continue;
                };
                let province = crate::db::units::find(c, unit.province_id)?
                    .map(|u| u.code)
                    .unwrap_or_default();
                let rankings: BTreeMap<i32, ReformRanking> = history
                    .iter()
                    .filter_map(|r| {
                        r.ranking
                            .as_deref()
                            .and_then(ReformRanking::parse)
                            .map(|k| (r.year, k))
                    })
                    .collect();
                let party = history
                    .iter()
                    .find(|r| r.year == year)
                    .and_then(|r| r.party_rating.as_deref())
                    .and_then(Rating::parse);
                let ups = unit_policies(&all, &province, year);
                let reasons = head_flags(&ups, &rankings, party, year);
                if reasons.is_empty() {
                    continue;
                }
                // The unit's heads in service during the year: `is_head` stays set on
                // a record after its holder leaves, and one who left before the year
                // (or joined after it) does not answer for it; nor does one transferred
                // into the unit after it, who ran another unit then (one who was in it
                // during the year, left and came back, does).
                let candidates: Vec<_> = crate::db::attendance::people_below(c, &unit.path)?
                    .into_iter()
                    .filter(|p| p.staff.unit_id == unit.id && p.staff.is_head)
                    .filter(|p| {
                        p.staff.left_on.is_none_or(|d| d.year() >= year)
                            && p.staff.joined_on.is_none_or(|d| d.year() <= year)
                    })
                    .collect();
                let ids: Vec<i64> = candidates.iter().map(|p| p.staff.id).collect();
                let earlier = crate::db::moves::earlier_of(c, &ids)?;
                let heads = candidates
                    .into_iter()
                    .filter(|p| {
                        let moves: Vec<Earlier<i64>> = earlier
                            .get(&p.staff.id)
                            .into_iter()
                            .flatten()
                            .map(|e| Earlier {
                                until: e.until,
                                unit: e.unit.unit_id,
                            })
                            .collect();
                        in_unit_during(&spells(&moves, &unit.id), &unit.id, first, last)
                    })
                    .map(|p| HeadRef {
                        staff_id: p.staff.id,
                        full_name: p.staff.full_name,
                        left_on: p.staff.left_on,
                    })
                    .collect();
                let ranking_labels = rankings.iter().map(|(y, r)| (*y, r.label())).collect();
                out.push(Flag {
                    unit_id,
                    unit_name: unit.name,
                    heads,
                    rankings,
                    ranking_labels,
                    reasons,
                });
            }
            Ok::<_, ApiError>(out)
        })
    })
    .await?;
    Ok(web::Json(paginate(flags, &page, |f| f)))
}
