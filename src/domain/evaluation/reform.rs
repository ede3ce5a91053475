//! Units: the administrative-reform (CCHC) ranking a unit may get from its reform score,
//! capped by the policy's unit rules (Khánh Hòa KL 91: ≥ 5 % late dossiers or a
//! satisfaction index ≤ 80 % → not "good"), and the heads who answer for their unit's
//! rankings over the years.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::engine::Value;
use super::policy::{Policy, UnitMetric};
use crate::domain::codes::{Rating, ReformRanking};

/// What is known about a unit for a year.
#[derive(Debug, Clone, Default)]
pub struct UnitFacts {
    pub late_ratio: Option<Value>,
    pub satisfaction_index: Option<Value>,
    /// The reform score (points, 0–100) the province assessed, in hundredths.
    pub score_centi: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UnitApplied {
    pub rule: String,
    pub metric: Option<UnitMetric>,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub effect: String,
    pub source: String,
    pub policy: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReformProposal {
    /// From the score's band, capped; None without a score.
    pub proposed: Option<ReformRanking>,
    pub max_ranking: ReformRanking,
    pub applied: Vec<UnitApplied>,
}

/// The policies of `province` in force in `year` that say anything about units. Per code,
/// the newest version started by the end of `year` decides (see `super::newest_per_code`):
/// if it has ended before `year` or says nothing about units, the code has no unit rules
/// that year, even where an older version had some.
pub fn unit_policies<'a>(
    policies: &'a [super::Stored],
    province: &str,
    year: i32,
) -> Vec<&'a Policy> {
    let started = |p: &Policy| {
        super::started_by(p, year) && p.province.as_deref().is_none_or(|c| c == province)
    };
    let applies = |p: &Policy| {
        chrono::NaiveDate::from_ymd_opt(year, 1, 1)
            .is_some_and(|start| p.effective_to.is_none_or(|to| to >= start))
            && (p.reform_bands.is_some() || !p.unit_rules.is_empty() || p.accountability.is_some())
    };
    super::newest_per_code(policies, started, applies)
        .into_iter()
        .map(|(_, p)| p)
        .collect()
}

pub fn propose(policies: &[&Policy], facts: &UnitFacts) -> ReformProposal {
    let mut applied = Vec::new();
    let mut cap = ReformRanking::Good;
    let mut proposed = None;
    for p in policies {
        if let (Some(bands), Some(score)) = (&p.reform_bands, facts.score_centi) {
            let band = bands
                .iter()
                .find(|(_, min)| score >= min * 100)
                .map_or(ReformRanking::Weak, |(r, _)| *r);
            proposed = Some(band);
            applied.push(UnitApplied {
                rule: "reform score band".into(),
                metric: None,
                value: Some(score as f64 / 100.0),
                threshold: None,
                effect: format!(
                    "{} from the score {} (bands {})",
                    band.code(),
                    score as f64 / 100.0,
                    bands
                        .iter()
                        .map(|(r, min)| format!("{} ≥ {min}", r.code()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                source: p.source.clone(),
                policy: p.code.clone(),
            });
        }
        for r in &p.unit_rules {
            let value = match r.metric {
                UnitMetric::LateRatio => facts.late_ratio,
                UnitMetric::SatisfactionIndex => facts.satisfaction_index,
            };
            if let Some(v) = value
                && r.op.holds(v.num, v.den, i128::from(r.threshold_centi))
            {
                cap = cap.min(r.max_ranking);
                applied.push(UnitApplied {
                    rule: r.name.clone(),
                    metric: Some(r.metric),
                    value: Some(v.shown()),
                    threshold: Some(r.threshold_centi as f64 / 100.0),
                    effect: format!(
                        "at most {}: {} {} {}",
                        r.max_ranking.code(),
                        v.shown(),
                        r.op.symbol(),
                        r.threshold_centi as f64 / 100.0
                    ),
                    source: r.source.clone(),
                    policy: p.code.clone(),
                });
            }
        }
    }
    ReformProposal {
        proposed: proposed.map(|r| r.min(cap)),
        max_ranking: cap,
        applied,
    }
}

/// Why the head of a unit answers for its rankings in `year` (empty: they do not).
/// `rankings` are the decided rankings by year; `party_rating` is the party body's rating
/// of the unit in `year`, where known.
pub fn head_flags(
    policies: &[&Policy],
    rankings: &BTreeMap<i32, ReformRanking>,
    party_rating: Option<Rating>,
    year: i32,
) -> Vec<String> {
    let mut out = Vec::new();
    let Some(this_year) = rankings.get(&year).copied() else {
        return out;
    };
    for p in policies {
        let Some(a) = &p.accountability else {
            continue;
        };
        if this_year <= a.single_year_ranking {
            out.push(format!(
                "ranked {} in {year} ({}; {})",
                this_year.code(),
                a.single_year_ranking.code(),
                a.source
            ));
        }
        let years: Vec<i32> = (0..a.consecutive_years).map(|k| year - k as i32).collect();
        if this_year > a.single_year_ranking
            && years
                .iter()
                .all(|y| rankings.get(y).is_some_and(|r| *r <= a.ranking))
        {
            let list: Vec<String> = years
                .iter()
                .rev()
                .filter_map(|y| rankings.get(y).map(|r| format!("{} in {y}", r.code())))
                .collect();
            out.push(format!(
                "{} or lower {} years in a row: {} ({})",
                a.ranking.code(),
                a.consecutive_years,
                list.join(", "),
                a.source
            ));
        }
        if let Some(required) = a.party_excellent_requires
            && party_rating == Some(Rating::Excellent)
            && this_year < required
        {
            out.push(format!(
                "the party body is rated excellent but the unit is ranked {} in {year}, not {} ({})",
                this_year.code(),
                required.code(),
                a.source
            ));
        }
    }
    out
}
