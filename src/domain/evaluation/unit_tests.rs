//! Table-driven tests of units' reform rankings, head accountability and NĐ 335 period
//! scoring.

use chrono::NaiveDate;

use super::engine::Value;
use super::policy::{Policy, parse};
use super::presets::PRESETS;
use crate::domain::codes::Rating;

fn preset(code: &str) -> Policy {
    PRESETS
        .iter()
        .map(|(_, text)| parse(text).unwrap())
        .find(|p| p.code == code)
        .unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn reform_rankings_are_banded_and_capped_exactly() {
    use super::reform::{UnitFacts, propose};
    use crate::domain::codes::ReformRanking::*;
    let kl91 = preset("kha-kl91");
    let cases = [
        // (score centi, late (num, den), satisfaction (num, den), proposed, max)
        (
            Some(9_200),
            Some((4, 100)),
            Some((85, 100)),
            Some(Good),
            Good,
        ),
        (
            Some(9_200),
            Some((5, 100)),
            Some((85, 100)),
            Some(Fair),
            Fair,
        ), // 5.0 % late
        (
            Some(9_200),
            Some((499, 10_000)),
            Some((85, 100)),
            Some(Good),
            Good,
        ), // 4.99 %
        (
            Some(9_200),
            Some((1, 100)),
            Some((80, 100)),
            Some(Fair),
            Fair,
        ), // 80.0 % satisfied
        (
            Some(9_200),
            Some((1, 100)),
            Some((8_001, 10_000)),
            Some(Good),
            Good,
        ), // 80.01 %
        (Some(8_500), None, None, Some(Fair), Good),
        (Some(7_000), None, None, Some(Average), Good),
        (Some(6_999), None, None, Some(Weak), Good),
        (None, Some((6, 100)), None, None, Fair),
    ];
    for (i, (score, late, sat, proposed, max)) in cases.into_iter().enumerate() {
        let pct = |x: Option<(i64, i64)>| x.and_then(|(n, d)| Value::percent(n, d));
        let f = UnitFacts {
            late_ratio: pct(late),
            satisfaction_index: pct(sat),
            score_centi: score,
        };
        let p = propose(&[&kl91], &f);
        assert_eq!(
            (p.proposed, p.max_ranking),
            (proposed, max),
            "case {i}: {:?}",
            p.applied
        );
    }
}

#[test]
fn heads_answer_for_weak_or_repeatedly_average_rankings() {
    use super::reform::head_flags;
    use crate::domain::codes::ReformRanking::{self, *};
    let kl91 = preset("kha-kl91");
    let h = |pairs: &[(i32, ReformRanking)]| pairs.iter().copied().collect();
    type Case<'a> = (
        std::collections::BTreeMap<i32, ReformRanking>,
        Option<Rating>,
        usize,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            h(&[(2024, Average), (2025, Average)]),
            None,
            1,
            "2 years in a row",
        ),
        (h(&[(2024, Fair), (2025, Average)]), None, 0, ""),
        (
            h(&[(2024, Weak), (2025, Average)]),
            None,
            1,
            "2 years in a row",
        ),
        (h(&[(2025, Weak)]), None, 1, "ranked weak in 2025"),
        (h(&[(2025, Average)]), None, 0, ""),
        (h(&[(2025, Fair)]), Some(Rating::Excellent), 1, "party body"),
        (h(&[(2025, Good)]), Some(Rating::Excellent), 0, ""),
        (h(&[(2024, Weak)]), None, 0, ""),
    ];
    for (i, (history, party, n, words)) in cases.iter().enumerate() {
        let flags = head_flags(&[&kl91], history, *party, 2025);
        assert_eq!(flags.len(), *n, "case {i}: {flags:?}");
        assert!(
            flags.iter().all(|f| f.contains(words)),
            "case {i}: {flags:?}"
        );
    }
}

/// A period not begun, or one the person served no day of, is nobody's to score; one
/// they served a single day of (joining on its last day, leaving on its first) is.
#[test]
fn a_period_is_scored_only_once_begun_and_within_service() {
    use super::scoring::unscorable;
    let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
    let q2 = (d(2026, 4, 1), d(2026, 6, 30));
    let today = d(2026, 12, 7);
    assert_eq!(unscorable(q2, (None, None), today), None);
    assert_eq!(unscorable(q2, (Some(d(2026, 6, 30)), None), today), None);
    assert_eq!(unscorable(q2, (None, Some(d(2026, 4, 1))), today), None);
    assert!(unscorable(q2, (Some(d(2026, 7, 1)), None), today).is_some());
    assert!(unscorable(q2, (None, Some(d(2026, 3, 31))), today).is_some());
    assert_eq!(
        unscorable((d(2026, 12, 1), d(2026, 12, 31)), (None, None), today),
        None,
        "the running month"
    );
    assert!(unscorable((d(2027, 1, 1), d(2027, 1, 31)), (None, None), today).is_some());
}

#[test]
fn nd335_task_points_periods_and_the_manager_component() {
    use super::scoring::{PeriodResult, TaskItem, period_bounds, task_centi, year_score};
    let item = |done: bool, delays: u32, quality_failures: u32, excused: bool| TaskItem {
        name: "Báo cáo".into(),
        weight: 1.0,
        done,
        delays,
        quality_failures,
        excused,
    };
    type Case<'a> = (&'a [TaskItem], (i64, i64, i64), Option<i64>);
    let cases: &[Case] = &[
        (
            &[item(true, 0, 0, false), item(true, 0, 0, false)],
            (0, 0, 0),
            Some(7000),
        ),
        // One of two late once: progress 1.75 / 2 → 70 × 5.75 / 6.
        (
            &[item(true, 1, 0, false), item(true, 0, 0, false)],
            (0, 0, 0),
            Some(6708),
        ),
        (
            &[item(true, 1, 0, true), item(true, 0, 0, false)],
            (0, 0, 0),
            Some(7000),
        ),
        // Failed quality twice: half the item's quality points.
        (
            &[item(true, 0, 2, false), item(true, 0, 0, false)],
            (0, 0, 0),
            Some(6417),
        ),
        // Not done: nothing on any axis for it.
        (
            &[item(false, 0, 0, false), item(true, 0, 0, false)],
            (0, 0, 0),
            Some(3500),
        ),
        // Dossier steps count, a late one with one delay.
        (&[item(true, 0, 0, false)], (1, 3, 0), Some(6854)), // 70 × 11.75 / 12
        (&[], (0, 4, 0), Some(7000)),
        (&[], (0, 0, 0), None),
        // A step fallen due unfinished was assigned and not completed: nine on time and
        // one left overdue (70 × 27 / 30) score under nine and one finished late
        // (70 × 29.75 / 30).
        (&[], (0, 9, 1), Some(6300)),
        (&[], (1, 10, 0), Some(6942)),
        (&[], (0, 0, 2), Some(0)),
    ];
    for (i, (items, (late, handled, overdue), want)) in cases.iter().enumerate() {
        assert_eq!(
            task_centi(items, *late, *handled, *overdue),
            *want,
            "case {i}"
        );
    }
    assert_eq!(
        period_bounds("2026-Q2"),
        Some((2026, d(2026, 4, 1), d(2026, 6, 30)))
    );
    assert_eq!(
        period_bounds("2026-02"),
        Some((2026, d(2026, 2, 1), d(2026, 2, 28)))
    );
    for bad in [
        "2026", "2026-13", "2026-Q5", "26-01", "2026-1", "2026-Q0", "+2026-01", "2026-Q01",
        "2026-+1", "2026-q1", " 2026-01",
    ] {
        assert_eq!(period_bounds(bad), None, "{bad}");
    }
    let p = |total, manager| PeriodResult {
        total_centi: total,
        manager_centi: manager,
    };
    // (numerator, denominator) in hundredths.
    let centis = |s: Option<((i128, i128), (i128, i128))>| {
        s.map(|((n, d), (dn, dd))| (n as f64 / d as f64, dn as f64 / dd as f64))
    };
    assert_eq!(year_score(&[], false), None);
    assert_eq!(
        centis(year_score(&[p(9_700, 2_000), p(9_500, 2_000)], false)),
        Some((9_600.0, 0.0))
    );
    assert_eq!(
        centis(year_score(&[p(9_700, 2_000), p(9_500, 2_000)], true)),
        Some((8_600.0, 1_000.0)),
        "the unit's part counts half"
    );
    // 89.99, 90.00, 90.00: an average of 89.9967, not 90, for the bands.
    let ((num, den), _) = year_score(&[p(8_999, 0), p(9_000, 0), p(9_000, 0)], false).unwrap();
    assert!(num < 9_000 * den, "{num}/{den}");
}

/// Version `id` of province P's "p-reform": `units` is what it says about units.
fn p_reform(id: i64, effective_from: &str, units: &str) -> super::Stored {
    let text = format!(
        r#"code = "p-reform"
name = "Tỉnh P: xếp hạng cải cách hành chính"
source = "Quy định thử nghiệm CCHC"
kind = "overlay"
province = "P"
effective_from = "{effective_from}"
categories = ["can_bo", "cong_chuc", "vien_chuc"]

{units}
"#
    );
    (id, parse(&text).unwrap())
}

const LATE_RULE: &str = r#"
[[unit_rule]]
name = "Tỷ lệ hồ sơ trễ hạn của đơn vị từ 5% trở lên"
metric = "late_ratio"
op = ">="
threshold = 5.0
max_ranking = "fair"
source = "Quy định thử nghiệm CCHC"
"#;

/// A rating rule only: nothing about units.
const RATING_ONLY: &str = r#"
[[rule]]
kind = "threshold"
name = "Tỷ lệ hồ sơ trễ hạn từ 10% trở lên"
metric = "late_dossier_ratio"
op = ">="
threshold = 10.0
max_rating = "completed"
source = "Quy định thử nghiệm"
"#;

#[test]
fn a_newer_version_without_unit_rules_withdraws_the_older_ones() {
    use super::reform::unit_policies;
    let codes = |policies: &[super::Stored], province: &str, year: i32| -> Vec<(String, usize)> {
        unit_policies(policies, province, year)
            .into_iter()
            .map(|p| (p.code.clone(), p.unit_rules.len()))
            .collect()
    };
    let v1 = p_reform(10, "2024-01-01", LATE_RULE);
    assert_eq!(
        codes(std::slice::from_ref(&v1), "P", 2026),
        vec![("p-reform".into(), 1)]
    );
    assert!(codes(std::slice::from_ref(&v1), "Q", 2026).is_empty());
    let withdrawn = [v1.clone(), p_reform(11, "2024-01-01", RATING_ONLY)];
    assert!(
        codes(&withdrawn, "P", 2026).is_empty(),
        "v2 says nothing about units: v1's unit rules do not fill in"
    );
    // From 2027 only: 2026 keeps v1's unit rules.
    let later = [v1, p_reform(11, "2027-01-01", RATING_ONLY)];
    assert_eq!(codes(&later, "P", 2026), vec![("p-reform".into(), 1)]);
    assert!(codes(&later, "P", 2027).is_empty());
}
