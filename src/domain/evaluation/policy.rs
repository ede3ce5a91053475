//! Rating policies as data: a TOML document says which staff and years it covers and
//! which rules, with which thresholds and effects, it applies. Parsing checks every value
//! and names the line of the first problem, so a province edits a threshold without a
//! release and learns at once when the edit is wrong.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::codes::{Rating, ReformRanking, StaffCategory};

/// What a policy is to the others that cover the same person and year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// The rating regime itself (one per person and year: a province's own base policy
    /// wins over the national one).
    Base,
    /// Extra rules a province adds on top of the base (e.g. Khánh Hòa KL 91).
    Overlay,
}

/// How the starting rating is found before the rules cap it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// NĐ 90/2020 (as amended by NĐ 48/2023): criteria, with `default_rating` as the start.
    Nd90,
    /// NĐ 335/2025: the year's score (average of the period scores) sets the band.
    Nd335,
}

/// The measurable facts rules compare against thresholds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Late dossier steps ÷ steps handled, in percent.
    LateDossierRatio,
    /// Dossier steps handled (the ratio's denominator).
    DossierSteps,
    /// Of the late steps, those whose dispute waits for the head: the ratio is read
    /// after disputes, so it may still fall by these.
    LateDisputesPending,
    LateArrivals,
    EarlyLeaves,
    UnexcusedAbsences,
    UpheldFindings,
    UpheldFindingsLessSerious,
    UpheldFindingsSerious,
    UpheldFindingsVerySerious,
    UpheldFindingsEspeciallySerious,
    /// Disciplinary decisions that count in the rating year.
    DisciplineDecisions,
    MonthsInService,
    MonthsWorked,
    LawfulAbsenceMonths,
    MaternityMonths,
    /// The year's score under NĐ 335/2025 (0–100): the average of the period scores.
    Score,
    /// Periods scored in the year.
    ScorePeriods,
    /// Points a manager lost because someone they manage is rated not completed.
    ManagerDeduction,
}

impl Metric {
    /// Whether values are percentages (thresholds then lie in 0–100).
    pub fn is_percent(self) -> bool {
        matches!(self, Metric::LateDossierRatio | Metric::Score)
    }
}

/// Unit metrics for reform rankings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UnitMetric {
    /// Late dossiers ÷ dossiers handled by the unit and its subtree, in percent.
    LateRatio,
    /// Satisfied answers ÷ survey answers, in percent.
    SatisfactionIndex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Op {
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "<")]
    Lt,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Ge => "≥",
            Op::Gt => ">",
            Op::Le => "≤",
            Op::Lt => "<",
        }
    }

    /// Compares `num / den` with `threshold_centi / 100` exactly (no rounding: 9.995 %
    /// is below 10 %).
    pub fn holds(self, num: i128, den: i128, threshold_centi: i128) -> bool {
        if den <= 0 {
            return false;
        }
        let left = num * 100;
        let right = threshold_centi * den;
        match self {
            Op::Ge => left >= right,
            Op::Gt => left > right,
            Op::Le => left <= right,
            Op::Lt => left < right,
        }
    }
}

/// Who the "excellent" quota counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuotaBase {
    /// Those rated completed well (HD 21-HD/BTCTW; NĐ 335 khoản 5a).
    CompletedWell,
    /// Those rated completed well or excellent.
    CompletedWellAndAbove,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Quota {
    /// Percent of the base.
    pub ratio: f64,
    pub base: QuotaBase,
}

/// One rule of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// `metric op threshold` caps the rating at `max_rating`.
    Threshold {
        name: String,
        metric: Metric,
        op: Op,
        /// Hundredths: 10.0 → 1000.
        threshold_centi: i64,
        max_rating: Rating,
        source: String,
    },
    /// Disciplined in the rating year → `rating` (NĐ 48/2023: not completed).
    DisciplineInYear {
        name: String,
        rating: Rating,
        source: String,
    },
    /// Worked under `below_months` in the year → no rating, unless maternity leave is why.
    ShortService {
        name: String,
        below_months: i64,
        source: String,
    },
    /// Lawful absence of `from_months` to under `below_months` → at most `max_rating`.
    LawfulAbsence {
        name: String,
        from_months: i64,
        below_months: i64,
        max_rating: Rating,
        source: String,
    },
    /// An upheld finding of one of these catalogue codes in the year → at most
    /// `max_rating` (NĐ 335/2025 triggers b and d: conclusions recorded as findings).
    FindingCodes {
        name: String,
        codes: Vec<String>,
        max_rating: Rating,
        source: String,
    },
    /// NĐ 335/2025 bands: the lowest score of each rating.
    ScoreBands {
        name: String,
        excellent: i64,
        completed_well: i64,
        completed: i64,
        source: String,
    },
}

impl Rule {
    pub fn name(&self) -> &str {
        match self {
            Rule::Threshold { name, .. }
            | Rule::DisciplineInYear { name, .. }
            | Rule::ShortService { name, .. }
            | Rule::LawfulAbsence { name, .. }
            | Rule::FindingCodes { name, .. }
            | Rule::ScoreBands { name, .. } => name,
        }
    }
}

/// A unit rule: `metric op threshold` keeps the reform ranking at or below `max_ranking`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UnitRule {
    pub name: String,
    pub metric: UnitMetric,
    pub op: Op,
    pub threshold_centi: i64,
    pub max_ranking: ReformRanking,
    pub source: String,
}

/// When heads answer for their unit's ranking.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Accountability {
    /// Flag the head when the unit is ranked this (or lower) in consecutive years …
    pub ranking: ReformRanking,
    pub consecutive_years: i64,
    /// … or this (or lower) in any one year.
    pub single_year_ranking: ReformRanking,
    /// A party body rated excellent must have at least this ranking.
    pub party_excellent_requires: Option<ReformRanking>,
    pub source: String,
}

/// A checked policy document.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Policy {
    pub code: String,
    pub name: String,
    pub kind: PolicyKind,
    /// The code of the province's root unit; None for a national policy.
    pub province: Option<String>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub categories: Vec<StaffCategory>,
    pub regime: Option<Regime>,
    /// Where no score or criterion says otherwise, the rating proposed before caps.
    pub default_rating: Option<Rating>,
    pub quota: Option<Quota>,
    /// Leave kinds that count as lawful absence (`nghỉ không tham gia công tác`).
    pub absence_leave_kinds: Vec<String>,
    pub rules: Vec<Rule>,
    pub reform_bands: Option<Vec<(ReformRanking, i64)>>,
    pub unit_rules: Vec<UnitRule>,
    pub accountability: Option<Accountability>,
    /// When repeated violations notify (issue 7's detector reads these).
    pub repeats: Vec<RepeatPolicy>,
    pub source: String,
}

/// A repeat rule: `count` violations of `codes` within the window notify the unit's head
/// (the next level up when the violator is a head, or when the head has not acted on a
/// notice within `escalate_after_days`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RepeatPolicy {
    pub name: String,
    pub codes: Vec<String>,
    pub count: usize,
    /// Rolling days; None: the calendar month.
    pub window_days: Option<u32>,
    pub escalate_after_days: Option<u32>,
    pub source: String,
}

impl RepeatPolicy {
    /// The detector's form of the rule.
    pub fn rule(&self) -> crate::domain::repeats::RepeatRule {
        use crate::domain::repeats::{RepeatRule, Window};
        RepeatRule {
            codes: self.codes.clone(),
            count: self.count,
            window: self.window_days.map_or(Window::CalendarMonth, Window::Days),
        }
    }
}

impl Policy {
    /// Whether it covers a rating year for this category.
    pub fn covers(&self, year: i32, category: StaffCategory) -> bool {
        let (Some(first), Some(last)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return false;
        };
        self.effective_from <= last
            && self.effective_to.is_none_or(|to| to >= first)
            && self.categories.contains(&category)
    }
}

/// A policy document that does not hold, with the line (1-based) of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct PolicyError {
    pub line: usize,
    pub message: String,
}

pub use super::document::{parse, parse_new};
