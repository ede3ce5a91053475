//! From what the other capabilities recorded to the metrics the rules read: pure
//! arithmetic over counts, dates and leave, so every boundary is testable.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::engine::{DecisionFact, Facts, Value, counted_in_year};
use super::policy::{Metric, Policy};
use super::scoring::{PeriodResult, year_score};

/// An approved leave: first and last day, kind, and whether it is half a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveSpan {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kind: String,
    pub half_day: bool,
}

/// What is recorded about a person, for one rating year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub leaves: Vec<LeaveSpan>,
    /// Dossier steps late and handled in the year (under the province's formula).
    pub late_steps: i64,
    pub handled_steps: i64,
    /// Of `late_steps`, those whose dispute is still pending.
    pub late_disputes_pending: i64,
    pub late_arrivals: i64,
    pub early_leaves: i64,
    pub unexcused_absences: i64,
    /// Upheld findings about the person observed in the year, by severity code (`""`
    /// when none was given).
    pub upheld_findings: BTreeMap<String, i64>,
    /// The same findings by catalogue code.
    pub upheld_codes: BTreeMap<String, i64>,
    /// Every decision about the person (the exceptions look across years).
    pub decisions: Vec<DecisionFact>,
    /// Earlier years in which the person was rated not completed.
    pub not_completed_years: Vec<i32>,
    /// The period results (NĐ 335) of the year.
    pub periods: Vec<PeriodResult>,
    /// Someone this manager manages is rated not completed this year.
    pub managed_not_completed: bool,
}

/// A common multiple of every month length (28–31 days): a day of a month of `n` days is
/// `MONTH_UNIT / n` of a month, exactly.
const MONTH_UNIT: i128 = 377_580;

fn month_share(day: NaiveDate) -> i128 {
    use chrono::Datelike;
    let first = day.with_day(1).unwrap_or(day);
    let length = first
        .checked_add_months(chrono::Months::new(1))
        .map_or(30, |next| (next - first).num_days());
    MONTH_UNIT / i128::from(length.max(1))
}

/// `month_share` summed over the days from `from` to `to`, both included (zero when `to`
/// is earlier), a month at a time: every person's service is a span of up to a year,
/// and a day at a time that was the evaluation's largest cost of its own on a
/// province (docs/PERFORMANCE.md).
fn span_share(from: NaiveDate, to: NaiveDate) -> i128 {
    use chrono::Datelike;
    let mut total = 0;
    let mut day = from;
    while day <= to {
        let next_month = day
            .with_day(1)
            .and_then(|first| first.checked_add_months(chrono::Months::new(1)));
        let last = next_month
            .and_then(|n| n.pred_opt())
            .map_or(to, |l| l.min(to));
        total += i128::from((last - day).num_days() + 1) * month_share(day);
        match last.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    total
}

/// The days from `from` to `to`, both included (none when `to` is earlier).
fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// Fills the Saturdays and Sundays between two whole days of `days` (half-days by date)
/// with nothing else between them.
fn bridge_weekends(days: &mut BTreeMap<NaiveDate, i64>) {
    use chrono::{Datelike, Weekday};
    let whole: Vec<NaiveDate> = days
        .iter()
        .filter(|(_, halves)| **halves == 2)
        .map(|(d, _)| *d)
        .collect();
    for pair in whole.windows(2) {
        let gap: Vec<NaiveDate> = pair[0]
            .iter_days()
            .skip(1)
            .take_while(|d| *d < pair[1])
            .collect();
        if !gap.is_empty()
            && gap
                .iter()
                .all(|d| matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        {
            for d in gap {
                days.insert(d, 2);
            }
        }
    }
}

/// The metrics of `year` under `policy` (whose leave kinds count as lawful absence).
pub fn facts(year: i32, recorded: &Recorded, policy: &Policy) -> Facts {
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Facts::default();
    };
    let start = recorded.joined_on.map_or(first, |j| j.max(first));
    let end = recorded.left_on.map_or(last, |l| l.min(last));
    // Half-days, each day counted once even where leaves overlap.
    let mut absence: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut maternity: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for l in &recorded.leaves {
        let target = if l.kind == "maternity" {
            &mut maternity
        } else if policy.absence_leave_kinds.contains(&l.kind) {
            &mut absence
        } else {
            continue;
        };
        let weight = if l.half_day { 1 } else { 2 };
        for day in days(l.from.max(start), l.to.min(end)) {
            let slot = target.entry(day).or_insert(0);
            *slot = (*slot + weight).min(2);
        }
    }
    // A weekend between two whole days of it is inside the absence: leave entered week
    // by week, Monday to Friday (as sick leave often is), is one absence, and counted
    // without its weekends three months of it were 2.45.
    bridge_weekends(&mut absence);
    bridge_weekends(&mut maternity);
    // A day on maternity leave is not also lawful absence.
    for day in maternity.keys() {
        absence.remove(day);
    }
    // Months as the law counts them: a whole calendar month is one month whatever its
    // length (1/1–30/6 is six months), a part of a month the share of its days.
    let months = |half_days: &mut dyn Iterator<Item = (NaiveDate, i64)>| Value {
        num: half_days
            .map(|(d, halves)| i128::from(halves) * month_share(d))
            .sum(),
        den: 2 * MONTH_UNIT,
    };
    let service = Value {
        num: 2 * span_share(start, end),
        den: 2 * MONTH_UNIT,
    };
    let absent = months(&mut absence.iter().map(|(d, h)| (*d, *h)));
    let on_maternity = months(&mut maternity.iter().map(|(d, h)| (*d, *h)));
    let worked = Value {
        num: (service.num - absent.num - on_maternity.num).max(0),
        den: service.den,
    };

    let mut metrics = BTreeMap::new();
    metrics.insert(Metric::MonthsInService, service);
    metrics.insert(Metric::MonthsWorked, worked);
    metrics.insert(Metric::LawfulAbsenceMonths, absent);
    metrics.insert(Metric::MaternityMonths, on_maternity);
    if let Some(ratio) = Value::percent(recorded.late_steps, recorded.handled_steps) {
        metrics.insert(Metric::LateDossierRatio, ratio);
    }
    metrics.insert(Metric::DossierSteps, Value::count(recorded.handled_steps));
    metrics.insert(
        Metric::LateDisputesPending,
        Value::count(recorded.late_disputes_pending),
    );
    metrics.insert(Metric::LateArrivals, Value::count(recorded.late_arrivals));
    metrics.insert(Metric::EarlyLeaves, Value::count(recorded.early_leaves));
    metrics.insert(
        Metric::UnexcusedAbsences,
        Value::count(recorded.unexcused_absences),
    );
    let upheld = |s: &str| recorded.upheld_findings.get(s).copied().unwrap_or(0);
    metrics.insert(
        Metric::UpheldFindings,
        Value::count(recorded.upheld_findings.values().sum()),
    );
    for (metric, code) in [
        (Metric::UpheldFindingsLessSerious, "less_serious"),
        (Metric::UpheldFindingsSerious, "serious"),
        (Metric::UpheldFindingsVerySerious, "very_serious"),
        (
            Metric::UpheldFindingsEspeciallySerious,
            "especially_serious",
        ),
    ] {
        metrics.insert(metric, Value::count(upheld(code)));
    }
    let discipline = counted_in_year(&recorded.decisions, year, &recorded.not_completed_years);
    metrics.insert(
        Metric::DisciplineDecisions,
        Value::count(discipline.len() as i64),
    );
    if let Some((score, deduction)) = year_score(&recorded.periods, recorded.managed_not_completed)
    {
        metrics.insert(
            Metric::Score,
            Value {
                num: score.0,
                den: 100 * score.1,
            },
        );
        metrics.insert(
            Metric::ScorePeriods,
            Value::count(recorded.periods.len() as i64),
        );
        if deduction.0 > 0 {
            metrics.insert(
                Metric::ManagerDeduction,
                Value {
                    num: deduction.0,
                    den: 100 * deduction.1,
                },
            );
        }
    }
    Facts {
        metrics,
        discipline,
        upheld_codes: recorded.upheld_codes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use proptest::prelude::*;

    use super::{MONTH_UNIT, days, month_share, span_share};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn day_by_day(from: NaiveDate, to: NaiveDate) -> i128 {
        days(from, to).map(month_share).sum()
    }

    /// Whole months count one each whatever their length, February of a leap year too;
    /// a part of a month the share of its days; an empty span nothing.
    #[test]
    fn spans_count_months_as_the_law_does() {
        assert_eq!(span_share(d(2024, 1, 1), d(2024, 12, 31)), 12 * MONTH_UNIT);
        assert_eq!(span_share(d(2024, 2, 1), d(2024, 2, 29)), MONTH_UNIT);
        assert_eq!(span_share(d(2026, 1, 1), d(2026, 6, 30)), 6 * MONTH_UNIT);
        assert_eq!(span_share(d(2026, 2, 15), d(2026, 2, 28)), MONTH_UNIT / 2);
        assert_eq!(span_share(d(2026, 3, 5), d(2026, 3, 4)), 0);
        assert_eq!(
            span_share(d(2026, 12, 31), d(2026, 12, 31)),
            MONTH_UNIT / 31
        );
    }

    proptest! {
        /// A month at a time is exactly the sum of the days' shares.
        #[test]
        fn a_month_at_a_time_equals_day_by_day(start in 0i64..1500, length in -5i64..800) {
            let from = d(2023, 1, 1) + chrono::Duration::days(start);
            let to = from + chrono::Duration::days(length);
            prop_assert_eq!(span_share(from, to), day_by_day(from, to));
        }
    }
}
