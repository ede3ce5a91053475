//! The "excellent" quota (NĐ 48/2023; NĐ 335/2025 khoản 5a): within each unit and group
//! with similar duties, those rated excellent may be at most a share of those rated
//! completed well (or completed well and above, as the policy says). When more are
//! proposed, the excess is flagged in a fixed order and HR decides.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::policy::{Quota, QuotaBase};
use crate::domain::codes::Rating;
use crate::domain::repeats::DAILY_CODES;

/// One person of a group, with what orders them when the quota is short.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: i64,
    pub rating: Rating,
    /// NĐ 335 score in hundredths, higher first; None after any score.
    pub score_centi: Option<i64>,
    /// Late dossier ratio in hundredths of a percent, lower first (none counts as 0).
    pub late_ratio_centi: i64,
    /// Late arrivals, early leaves, unexcused absences and upheld findings, fewer first.
    pub violations: i64,
    /// Staff code: the last tie-break, so the order never depends on chance.
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Excess {
    pub id: i64,
    /// 1-based position among those proposed excellent.
    pub position: usize,
    pub proposed: usize,
    pub allowed: usize,
    pub base: usize,
    pub explanation: String,
}

/// The violations that order a tie for the quota, as acts: the register's late
/// arrivals, early departures and unexcused absences (one a day each) and the upheld
/// findings, less those of an attendance code (`upheld_codes`), whose rows are among the
/// register's acts already: an absence a team also found counts once.
pub fn tie_break_violations(
    register_acts: i64,
    upheld_findings: i64,
    upheld_codes: &BTreeMap<String, i64>,
) -> i64 {
    let daily: i64 = DAILY_CODES
        .iter()
        .filter_map(|c| upheld_codes.get(*c))
        .sum();
    register_acts + (upheld_findings - daily).max(0)
}

/// The people of one group beyond the quota.
pub fn excess(group: &str, people: &[Candidate], quota: &Quota) -> Vec<Excess> {
    let base = people
        .iter()
        .filter(|p| match quota.base {
            QuotaBase::CompletedWell => p.rating == Rating::CompletedWell,
            QuotaBase::CompletedWellAndAbove => p.rating >= Rating::CompletedWell,
        })
        .count();
    let ratio_centi = (quota.ratio * 100.0).round() as usize;
    let allowed = base * ratio_centi / 10_000;
    let mut excellent: Vec<&Candidate> = people
        .iter()
        .filter(|p| p.rating == Rating::Excellent)
        .collect();
    if excellent.len() <= allowed {
        return Vec::new();
    }
    excellent.sort_by(|a, b| {
        let score = |c: &Candidate| std::cmp::Reverse(c.score_centi.unwrap_or(i64::MIN));
        score(a)
            .cmp(&score(b))
            .then(a.late_ratio_centi.cmp(&b.late_ratio_centi))
            .then(a.violations.cmp(&b.violations))
            .then(a.code.cmp(&b.code))
    });
    let proposed = excellent.len();
    let base_name = match quota.base {
        QuotaBase::CompletedWell => "completed well",
        QuotaBase::CompletedWellAndAbove => "completed well or above",
    };
    excellent
        .into_iter()
        .enumerate()
        .skip(allowed)
        .map(|(i, c)| Excess {
            id: c.id,
            position: i + 1,
            proposed,
            allowed,
            base,
            explanation: format!(
                "{group}: {proposed} proposed excellent, the quota of {}% of {base} rated {base_name} allows {allowed}; \
                 ranked {} by score (higher first), late dossier ratio, violations (fewer first), then staff code",
                quota.ratio,
                i + 1
            ),
        })
        .collect()
}
