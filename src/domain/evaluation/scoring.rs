//! NĐ 335/2025 scoring of công chức: each month or quarter, 30 points for the general
//! criteria and 70 for task results, measured on quantity (done ÷ assigned), quality
//! (each failed quality check takes 25 % of the item's quality points) and progress
//! (each delay takes 25 % of the item's progress points); excused items lose nothing.
//! Dossier steps the person handled in the period count as items, a late one with one
//! delay. The year's score is the average of the periods; for a manager, the part of it
//! that comes from their unit's results counts half when someone they manage is rated
//! not completed.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// One assigned product or work item (after conversion, "đã quy đổi").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskItem {
    #[validate(length(min = 1, max = 500))]
    pub name: String,
    /// The item's weight after conversion (default 1).
    #[serde(default = "one")]
    #[validate(range(min = 0.01, max = 100.0))]
    pub weight: f64,
    pub done: bool,
    /// Delays past the deadline (each takes 25 % of the progress points).
    #[serde(default)]
    #[validate(range(max = 4))]
    pub delays: u32,
    /// Failed quality checks (each takes 25 % of the quality points).
    #[serde(default)]
    #[validate(range(max = 4))]
    pub quality_failures: u32,
    /// The cause was objective and confirmed: no deduction.
    #[serde(default)]
    pub excused: bool,
}

fn one() -> f64 {
    1.0
}

/// Task points in hundredths (0–7000) from the items and the period's dossier steps:
/// `late` of the `handled` ones finished in it, and `overdue` ones fallen due in it and
/// still unfinished, which were assigned and not completed (nothing on any axis, like an
/// item not done: leaving a step overdue must not score better than finishing it late).
/// Nothing assigned: None (the period has no task result).
pub fn task_centi(
    items: &[TaskItem],
    late_steps: i64,
    handled_steps: i64,
    overdue_steps: i64,
) -> Option<i64> {
    let mut assigned = 0.0;
    let (mut quantity, mut quality, mut progress) = (0.0, 0.0, 0.0);
    let share = |n: u32, excused: bool| {
        if excused {
            1.0
        } else {
            (1.0 - 0.25 * f64::from(n)).max(0.0)
        }
    };
    for i in items {
        assigned += i.weight;
        if i.done {
            quantity += i.weight;
            quality += i.weight * share(i.quality_failures, i.excused);
            progress += i.weight * share(i.delays, i.excused);
        }
    }
    let handled = handled_steps.max(0) as f64;
    let late = late_steps.clamp(0, handled_steps.max(0)) as f64;
    assigned += handled + overdue_steps.max(0) as f64;
    quantity += handled;
    quality += handled;
    progress += (handled - late) + late * 0.75;
    if assigned <= 0.0 {
        return None;
    }
    let axes = (quantity + quality + progress) / (3.0 * assigned);
    Some((axes * 7000.0).round() as i64)
}

/// The year and the first and last day of a period written `YYYY-MM` or `YYYY-Qn`
/// (exactly so: four digits, then two digits or Q and one digit).
pub fn period_bounds(period: &str) -> Option<(i32, NaiveDate, NaiveDate)> {
    let (year, rest) = period.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let canonical = year.len() == 4
        && digits(year)
        && ((rest.len() == 2 && digits(rest))
            || (rest.len() == 2 && rest.starts_with('Q') && digits(&rest[1..])));
    if !canonical {
        return None;
    }
    let year: i32 = year.parse().ok().filter(|y| (2000..=2100).contains(y))?;
    let (first_month, months) = match rest.strip_prefix('Q') {
        Some(q) => {
            let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
            ((q - 1) * 3 + 1, 3)
        }
        None => (rest.parse().ok().filter(|m| (1..=12).contains(m))?, 1),
    };
    let first = NaiveDate::from_ymd_opt(year, first_month, 1)?;
    let last = first
        .checked_add_months(chrono::Months::new(months))?
        .pred_opt()?;
    Some((year, first, last))
}

/// Why nobody scores a person for the period `first..=last`, if nobody does: it has not
/// begun by `today` (nothing was done in it yet), or the person was in service on none of
/// its days (`joined_on` and `left_on` inclusive). Such a score would count in the year's
/// average for months the person was not there.
pub fn unscorable(
    (first, last): (NaiveDate, NaiveDate),
    (joined_on, left_on): (Option<NaiveDate>, Option<NaiveDate>),
    today: NaiveDate,
) -> Option<&'static str> {
    if first > today {
        Some("has not begun yet")
    } else if joined_on.is_some_and(|j| j > last) || left_on.is_some_and(|l| l < first) {
        Some("the person was not in service in this period")
    } else {
        None
    }
}

/// Whether a period is a quarter (`YYYY-Qn`) rather than a month.
pub fn is_quarter(period: &str) -> bool {
    period.contains('Q')
}

/// A period's result, in hundredths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodResult {
    /// General criteria (0–3000) plus task points (0–7000).
    pub total_centi: i64,
    /// For a manager: the part of the task points that comes from their unit's results.
    pub manager_centi: i64,
}

/// A year's score in hundredths, as an exact fraction (numerator, denominator).
pub type Centis = (i128, i128);

/// The year's score (the periods' average, less half the manager component when someone
/// they manage is rated not completed) and that deduction, in hundredths, as exact
/// fractions: the score bands compare them without rounding, as every threshold is
/// compared (an average of 89.9967 is not 90).
pub fn year_score(
    periods: &[PeriodResult],
    managed_not_completed: bool,
) -> Option<(Centis, Centis)> {
    if periods.is_empty() {
        return None;
    }
    let n = periods.len() as i128;
    let total: i128 = periods.iter().map(|p| i128::from(p.total_centi)).sum();
    let manager: i128 = periods.iter().map(|p| i128::from(p.manager_centi)).sum();
    // Over 2n: the average is total / n, the deduction half the manager part's average.
    let deduction = if managed_not_completed { manager } else { 0 };
    Some(((2 * total - deduction, 2 * n), (deduction, 2 * n)))
}
