//! The rating engine: a person's facts for a year and the policies that cover them → the
//! proposed rating, the highest allowed, and every rule that applied with its numbers.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::policy::{Metric, Op, Policy, Regime, Rule};
use crate::domain::codes::Rating;

/// An exact value `num / den` (percentages carry the ×100 in `num`), so thresholds are
/// compared without rounding: 9.995 % is below 10 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Value {
    pub num: i128,
    pub den: i128,
}

impl Value {
    pub fn count(n: i64) -> Self {
        Value {
            num: i128::from(n),
            den: 1,
        }
    }

    /// `part / whole` in percent; None when `whole` is 0 (no ratio, not 0 %).
    pub fn percent(part: i64, whole: i64) -> Option<Self> {
        (whole > 0).then(|| Value {
            num: i128::from(part) * 100,
            den: i128::from(whole),
        })
    }

    /// Days as months of a year of `days_in_year` days (for tests that need a value of
    /// months; the metrics count calendar months).
    #[cfg(test)]
    pub fn months(days: i64, days_in_year: i64) -> Self {
        Value {
            num: i128::from(days) * 12,
            den: i128::from(days_in_year.max(1)),
        }
    }

    /// For people: two decimals.
    pub fn shown(self) -> f64 {
        if self.den == 0 {
            return 0.0;
        }
        ((self.num as f64 / self.den as f64) * 100.0).round() / 100.0
    }

    fn holds(self, op: Op, threshold_centi: i64) -> bool {
        op.holds(self.num, self.den, i128::from(threshold_centi))
    }

    fn below_centi(self, centi: i64) -> bool {
        self.holds(Op::Lt, centi)
    }
}

/// A disciplinary decision that counts in the rating year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DisciplineFact {
    pub form: String,
    pub decided_on: NaiveDate,
    pub decision_no: String,
}

/// A recorded decision, with what the NĐ 48/2023 exceptions need to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionFact {
    pub decision_no: String,
    pub form: String,
    pub decided_on: NaiveDate,
    /// The year it counts in is the year it takes effect.
    pub effective_from: NaiveDate,
    /// The upheld findings (acts) it rests on, with the year each was observed.
    pub acts: Vec<(i64, i32)>,
}

/// The decisions that count against a rating year (NĐ 90/2020 Điều 2 as amended by NĐ
/// 48/2023): those taking effect in it, except
/// - a decision whose acts all belong to earlier years in which the person was already
///   rated not completed (those acts have counted once);
/// - a decision for an act that an earlier-year decision already covers (the same act
///   counts in one year only, e.g. a party and an administrative decision).
pub fn counted_in_year(
    decisions: &[DecisionFact],
    year: i32,
    not_completed_years: &[i32],
) -> Vec<DisciplineFact> {
    use chrono::Datelike;
    decisions
        .iter()
        .filter(|d| d.effective_from.year() == year)
        .filter(|d| {
            d.acts.is_empty()
                || !d
                    .acts
                    .iter()
                    .all(|(_, act_year)| *act_year < year && not_completed_years.contains(act_year))
        })
        .filter(|d| {
            !decisions.iter().any(|other| {
                other.effective_from.year() < year
                    && other
                        .acts
                        .iter()
                        .any(|(f, _)| d.acts.iter().any(|(g, _)| f == g))
            })
        })
        .map(|d| DisciplineFact {
            form: d.form.clone(),
            decided_on: d.decided_on,
            decision_no: d.decision_no.clone(),
        })
        .collect()
}

/// What is known about one person for the year.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub metrics: BTreeMap<Metric, Value>,
    pub discipline: Vec<DisciplineFact>,
    /// Upheld findings of the year by catalogue code.
    pub upheld_codes: BTreeMap<String, i64>,
}

/// A rule that applied, with the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Applied {
    pub rule: String,
    pub metric: Option<Metric>,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    /// What it did, in words: "at most completed", "not rated", "from the score".
    pub effect: String,
    pub source: String,
    /// The policy it comes from.
    pub policy: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Proposal {
    /// False: too little time worked in the year to be rated (a review still happens).
    pub rated: bool,
    pub proposed: Option<Rating>,
    /// The highest rating the rules allow.
    pub max_rating: Option<Rating>,
    pub applied: Vec<Applied>,
}

fn centi_shown(c: i64) -> f64 {
    c as f64 / 100.0
}

/// Evaluates one person under `base` and the `overlays` that cover them.
pub fn evaluate(base: &Policy, overlays: &[&Policy], facts: &Facts) -> Proposal {
    let mut applied = Vec::new();
    let mut start = base.default_rating.unwrap_or(Rating::Completed);
    let mut cap = Rating::Excellent;
    let mut rated = true;
    let mut scored = false;
    let metric = |m: Metric| facts.metrics.get(&m).copied();

    for policy in std::iter::once(base).chain(overlays.iter().copied()) {
        for rule in &policy.rules {
            let mut record = |metric: Option<Metric>,
                              value: Option<Value>,
                              threshold: Option<f64>,
                              effect: String,
                              source: &str| {
                applied.push(Applied {
                    rule: rule.name().to_owned(),
                    metric,
                    value: value.map(Value::shown),
                    threshold,
                    effect,
                    source: source.to_owned(),
                    policy: policy.code.clone(),
                });
            };
            match rule {
                Rule::Threshold {
                    metric: m,
                    op,
                    threshold_centi,
                    max_rating,
                    source,
                    ..
                } => {
                    if let Some(v) = metric(*m)
                        && v.holds(*op, *threshold_centi)
                    {
                        cap = cap.min(*max_rating);
                        record(
                            Some(*m),
                            Some(v),
                            Some(centi_shown(*threshold_centi)),
                            format!(
                                "at most {}: {} {} {}",
                                max_rating.code(),
                                v.shown(),
                                op.symbol(),
                                centi_shown(*threshold_centi)
                            ),
                            source,
                        );
                    }
                }
                Rule::DisciplineInYear { rating, source, .. } => {
                    if !facts.discipline.is_empty() {
                        cap = cap.min(*rating);
                        let list: Vec<String> = facts
                            .discipline
                            .iter()
                            .map(|d| format!("{} ({}) on {}", d.form, d.decision_no, d.decided_on))
                            .collect();
                        record(
                            Some(Metric::DisciplineDecisions),
                            Some(Value::count(facts.discipline.len() as i64)),
                            None,
                            format!("{}: disciplined {}", rating.code(), list.join("; ")),
                            source,
                        );
                    }
                }
                Rule::ShortService {
                    below_months,
                    source,
                    ..
                } => {
                    let worked = metric(Metric::MonthsWorked).unwrap_or(Value::count(12));
                    let below = below_months * 100;
                    if worked.below_centi(below) {
                        let maternity = metric(Metric::MaternityMonths).unwrap_or(Value::count(0));
                        let with_maternity = Value {
                            num: worked.num * maternity.den + maternity.num * worked.den,
                            den: worked.den * maternity.den,
                        };
                        if maternity.num > 0 && !with_maternity.below_centi(below) {
                            record(
                                Some(Metric::MonthsWorked),
                                Some(worked),
                                Some(*below_months as f64),
                                format!(
                                    "rated on the time actually worked: {} months worked and {} of maternity leave",
                                    worked.shown(),
                                    maternity.shown()
                                ),
                                source,
                            );
                        } else {
                            rated = false;
                            record(
                                Some(Metric::MonthsWorked),
                                Some(worked),
                                Some(*below_months as f64),
                                format!(
                                    "not rated: worked {} months, under {below_months}",
                                    worked.shown()
                                ),
                                source,
                            );
                        }
                    }
                }
                Rule::LawfulAbsence {
                    from_months,
                    below_months,
                    max_rating,
                    source,
                    ..
                } => {
                    if let Some(v) = metric(Metric::LawfulAbsenceMonths)
                        && v.holds(Op::Ge, from_months * 100)
                        && v.below_centi(below_months * 100)
                    {
                        cap = cap.min(*max_rating);
                        record(
                            Some(Metric::LawfulAbsenceMonths),
                            Some(v),
                            Some(*from_months as f64),
                            format!(
                                "at most {}: {} months of lawful absence, {from_months} to under {below_months}",
                                max_rating.code(),
                                v.shown()
                            ),
                            source,
                        );
                    }
                }
                Rule::FindingCodes {
                    codes,
                    max_rating,
                    source,
                    ..
                } => {
                    let found: Vec<String> = codes
                        .iter()
                        .filter(|c| facts.upheld_codes.get(*c).is_some_and(|n| *n > 0))
                        .cloned()
                        .collect();
                    if !found.is_empty() {
                        cap = cap.min(*max_rating);
                        let n: i64 = found.iter().filter_map(|c| facts.upheld_codes.get(c)).sum();
                        record(
                            Some(Metric::UpheldFindings),
                            Some(Value::count(n)),
                            None,
                            format!(
                                "at most {}: upheld finding {}",
                                max_rating.code(),
                                found.join(", ")
                            ),
                            source,
                        );
                    }
                }
                Rule::ScoreBands {
                    excellent,
                    completed_well,
                    completed,
                    source,
                    ..
                } => {
                    if policy.regime == Some(Regime::Nd335)
                        && let Some(score) = metric(Metric::Score)
                    {
                        let band = if !score.below_centi(excellent * 100) {
                            Rating::Excellent
                        } else if !score.below_centi(completed_well * 100) {
                            Rating::CompletedWell
                        } else if !score.below_centi(completed * 100) {
                            Rating::Completed
                        } else {
                            Rating::NotCompleted
                        };
                        start = band;
                        scored = true;
                        record(
                            Some(Metric::Score),
                            Some(score),
                            None,
                            format!(
                                "{} from the score {} (bands {excellent} / {completed_well} / {completed})",
                                band.code(),
                                score.shown()
                            ),
                            source,
                        );
                    }
                }
            }
        }
    }
    // Under NĐ 335 the score is the basis: without one there is nothing to propose, and
    // HR decides (the caps still show). Unless a rule allows nothing above not completed
    // (discipline in the year, the authority's conclusions): no score could lift that,
    // and the proposal is "not completed whatever the score" (README). Before, such a
    // person without a score had no proposal.
    let needs_score = base.regime == Some(Regime::Nd335)
        && base
            .rules
            .iter()
            .any(|r| matches!(r, Rule::ScoreBands { .. }));
    if rated && needs_score && !scored && cap > Rating::NotCompleted {
        applied.push(Applied {
            rule: "no period score".into(),
            metric: Some(Metric::Score),
            value: None,
            threshold: None,
            effect: "no proposal: no monthly or quarterly score is recorded; HR decides".into(),
            source: base.source.clone(),
            policy: base.code.clone(),
        });
        return Proposal {
            rated,
            proposed: None,
            max_rating: Some(cap),
            applied,
        };
    }
    if !rated {
        return Proposal {
            rated,
            proposed: None,
            max_rating: None,
            applied,
        };
    }
    Proposal {
        rated,
        proposed: Some(start.min(cap)),
        max_rating: Some(cap),
        applied,
    }
}
