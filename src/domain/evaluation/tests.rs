//! Table-driven tests of the shipped policies, every rule and its boundaries, the NĐ
//! 48/2023 discipline exceptions and the quota.

use chrono::NaiveDate;

use super::engine::{DecisionFact, Facts, Value, counted_in_year, evaluate};
use super::policy::{Metric, Policy, Quota, QuotaBase, parse, parse_new};
use super::presets::PRESETS;
use super::quota::{Candidate, excess, tie_break_violations};
use crate::domain::codes::{Rating, StaffCategory};

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

fn facts(pairs: &[(Metric, Value)]) -> Facts {
    Facts {
        metrics: pairs.iter().copied().collect(),
        ..Facts::default()
    }
}

#[test]
fn shipped_policies_parse_and_cover_the_right_people_and_years() {
    let nd90 = preset("nd90-2020");
    let vc = preset("nd90-vien-chuc");
    let nd335 = preset("nd335-2025");
    let kl91 = preset("kha-kl91");
    assert!(nd90.covers(2025, StaffCategory::CongChuc));
    assert!(!nd90.covers(2026, StaffCategory::CongChuc));
    assert!(nd335.covers(2026, StaffCategory::CongChuc));
    assert!(!nd335.covers(2025, StaffCategory::CongChuc));
    assert!(!nd335.covers(2026, StaffCategory::VienChuc));
    assert!(vc.covers(2026, StaffCategory::VienChuc));
    assert!(!vc.covers(2026, StaffCategory::CongChuc));
    for p in [&nd90, &vc, &nd335, &kl91] {
        assert!(!p.covers(2025, StaffCategory::Contract), "{}", p.code);
    }
    assert_eq!(kl91.province.as_deref(), Some("KHA"));
    assert!(kl91.covers(2022, StaffCategory::VienChuc));
    assert!(!kl91.covers(2021, StaffCategory::VienChuc));
}

#[test]
fn policy_errors_name_the_line() {
    let base = PRESETS[3].1;
    // (text replaced, its replacement, a word on the line the error must name, words of
    // the message)
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "metric = \"late_dossier_ratio\"",
            "metric = \"lateness\"",
            "lateness",
            "unknown variant",
        ),
        (
            "threshold = 10.0\nmax_rating",
            "threshold = 150.0\nmax_rating",
            "150.0",
            "0–100",
        ),
        (
            "threshold = 10.0\nmax_rating",
            "threshold = 9.995\nmax_rating",
            "9.995",
            "two decimals",
        ),
        (
            "threshold = 10.0\nmax_rating",
            "threshold = -1.0\nmax_rating",
            "-1.0",
            "0–100",
        ),
        (
            "effective_from = \"2022-10-27\"",
            "effective_from = \"27/10/2022\"",
            "27/10",
            "not a date",
        ),
        (
            "effective_from = \"2022-10-27\"",
            "effective_from = \"-5000-10-27\"",
            "-5000",
            "between 1900 and 2200",
        ),
        (
            "op = \">=\"\nthreshold = 10.0",
            "op = \"=>\"\nthreshold = 10.0",
            "\"=>\"",
            "unknown variant",
        ),
        (
            "consecutive_years = 2",
            "consecutive_years = 9",
            "consecutive_years",
            "1–5",
        ),
        (
            "max_ranking = \"fair\"",
            "max_ranking = \"great\"",
            "great",
            "unknown variant",
        ),
        (
            "kind = \"overlay\"",
            "kind = \"overlay\"\ncolour = \"blue\"",
            "colour",
            "unknown field",
        ),
        (
            "kind = \"threshold\"\nname",
            "kind = \"threshold\"\nthreshold = 1.0\nname",
            "threshold = 10.0",
            "duplicate",
        ),
        (
            "metric = \"late_dossier_ratio\"\n",
            "",
            "kind = \"threshold\"",
            "needs metric",
        ),
        // What only a base policy's is read, refused in an overlay rather than ignored.
        (
            "kind = \"overlay\"",
            "kind = \"overlay\"\ndefault_rating = \"excellent\"",
            "default_rating",
            "base policy only",
        ),
        (
            "kind = \"overlay\"",
            "kind = \"overlay\"\nregime = \"nd90\"",
            "regime",
            "base policy only",
        ),
        (
            "kind = \"overlay\"",
            "kind = \"overlay\"\nabsence_leave_kinds = [\"sick\"]",
            "absence_leave_kinds",
            "base policy only",
        ),
    ];
    for (from, to, marker, words) in cases {
        assert!(base.contains(from), "{from}");
        let text = base.replacen(from, to, 1);
        let line = text
            .lines()
            .position(|l| l.contains(marker))
            .map(|i| i + 1)
            .unwrap();
        let e = parse_new(&text).expect_err(to);
        assert_eq!(e.line, line, "{to}: {e}");
        assert!(e.message.contains(words), "{to}: {e}");
    }
}

#[test]
fn a_stored_version_with_a_far_end_is_still_read() {
    // A new version may not end in 9999 (a year neither database takes alike), but one
    // stored before that check is read as it was: its rules stay in force.
    let base = PRESETS[3].1;
    let text = base.replacen(
        "effective_from = \"2022-10-27\"",
        "effective_from = \"2022-10-27\"\neffective_to = \"9999-12-31\"",
        1,
    );
    assert!(parse_new(&text).is_err());
    let stored = parse(&text).expect("read as stored");
    assert_eq!(
        stored.effective_to.map(|d| d.to_string()).as_deref(),
        Some("9999-12-31")
    );
}

#[test]
fn a_quota_written_as_a_fraction_is_refused() {
    let nd90 = PRESETS
        .iter()
        .find(|(code, _)| *code == "nd90-2020.toml")
        .unwrap()
        .1;
    let with = |ratio: &str| nd90.replacen("ratio = 20.0", &format!("ratio = {ratio}"), 1);
    let line = nd90.lines().position(|l| l.starts_with("ratio")).unwrap() + 1;
    let e = parse_new(&with("0.2")).expect_err("0.2");
    assert_eq!(e.line, line, "{e}");
    assert!(e.message.contains("write 20 for 20 %"), "{e}");
    // 0 % (nobody excellent) and 1 % are quotas a province may set.
    for ratio in ["0.0", "1.0", "15.0"] {
        assert!(parse_new(&with(ratio)).is_ok(), "{ratio}");
    }
    // A version stored before this check is still read as it was.
    assert!(parse(&with("0.2")).is_ok());
}

fn late(num: i64, den: i64) -> (Metric, Value) {
    (Metric::LateDossierRatio, Value::percent(num, den).unwrap())
}

#[test]
fn late_dossier_boundary_is_exact() {
    let nd90 = preset("nd90-2020");
    let kl91 = preset("kha-kl91");
    let cases = [
        // (late, handled, capped)
        (1, 10, true),         // 10.0 %
        (999, 10_000, false),  // 9.99 %
        (1999, 20_000, false), // 9.995 %: shown as 10.0, still below
        (1, 8, true),          // 12.5 %
        (0, 40, false),
    ];
    for (l, h, capped) in cases {
        let p = evaluate(&nd90, &[&kl91], &facts(&[late(l, h)]));
        let want = if capped {
            Rating::Completed
        } else {
            Rating::CompletedWell
        };
        assert_eq!(p.proposed, Some(want), "{l}/{h}");
        assert_eq!(
            p.max_rating,
            Some(if capped {
                Rating::Completed
            } else {
                Rating::Excellent
            })
        );
        assert_eq!(p.applied.len(), usize::from(capped), "{l}/{h}");
    }
    let p = evaluate(&nd90, &[&kl91], &facts(&[late(1, 8)]));
    let why = &p.applied[0];
    assert_eq!(why.value, Some(12.5));
    assert_eq!(why.threshold, Some(10.0));
    assert_eq!(why.policy, "kha-kl91");
    assert!(
        why.effect.starts_with("at most completed"),
        "{}",
        why.effect
    );
    // Without the overlay (another province), no cap.
    let p = evaluate(&nd90, &[], &facts(&[late(1, 8)]));
    assert_eq!(p.proposed, Some(Rating::CompletedWell));
    // No dossier handled: no ratio, no cap.
    assert_eq!(Value::percent(0, 0), None);
}

/// NĐ 90 Điều 15: the authority's conclusions make a viên chức (and, up to 2025, anyone)
/// not completed, as NĐ 335's triggers b and d do a công chức.
#[test]
fn nd90_conclusions_make_anyone_not_completed() {
    let year = [(Metric::MonthsWorked, Value::count(12))];
    for code in ["nd90-2020", "nd90-vien-chuc"] {
        let policy = preset(code);
        assert_eq!(
            evaluate(&policy, &[], &facts(&year)).proposed,
            Some(Rating::CompletedWell),
            "{code}"
        );
        for finding in ["degradation", "unit_corruption"] {
            let f = Facts {
                upheld_codes: [(finding.to_owned(), 1)].into_iter().collect(),
                ..facts(&year)
            };
            let p = evaluate(&policy, &[], &f);
            assert_eq!(p.proposed, Some(Rating::NotCompleted), "{code} {finding}");
            assert!(
                p.applied.iter().any(|a| a.effect.contains(finding)),
                "{code} {finding}: {:?}",
                p.applied
            );
        }
    }
}

#[test]
fn short_service_lawful_absence_and_maternity() {
    let nd90 = preset("nd90-2020");
    let m = |days: i64| Value::months(days, 365);
    type Case<'a> = (&'a [(Metric, Value)], Option<Rating>, bool);
    let cases: &[Case] = &[
        (&[(Metric::MonthsWorked, m(152))], None, false), // 5 months
        (
            &[(Metric::MonthsWorked, Value::count(6))],
            Some(Rating::CompletedWell),
            true,
        ),
        (
            &[(Metric::MonthsWorked, Value::months(182, 365))], // 5.98 months
            None,
            false,
        ),
        // Maternity leave is why: rated on the time worked.
        (
            &[
                (Metric::MonthsWorked, m(152)),
                (Metric::MaternityMonths, Value::count(6)),
            ],
            Some(Rating::CompletedWell),
            true,
        ),
        // Too little even with the maternity months.
        (
            &[
                (Metric::MonthsWorked, Value::count(2)),
                (Metric::MaternityMonths, Value::count(1)),
            ],
            None,
            false,
        ),
        // Lawful absence: 3 to under 6 months caps at completed.
        (
            &[(Metric::LawfulAbsenceMonths, Value::count(3))],
            Some(Rating::Completed),
            true,
        ),
        (
            &[(Metric::LawfulAbsenceMonths, m(91))],
            Some(Rating::CompletedWell),
            true,
        ), // 2.99
        (
            &[(Metric::LawfulAbsenceMonths, Value::months(182, 365))],
            Some(Rating::Completed),
            true,
        ),
        (
            &[(Metric::LawfulAbsenceMonths, Value::count(6))],
            Some(Rating::CompletedWell),
            true,
        ),
    ];
    for (i, (metrics, want, rated)) in cases.iter().enumerate() {
        let p = evaluate(&nd90, &[], &facts(metrics));
        assert_eq!(p.proposed, *want, "case {i}: {:?}", p.applied);
        assert_eq!(p.rated, *rated, "case {i}");
    }
}

#[test]
fn discipline_in_the_year_and_the_48_2023_exceptions() {
    let nd90 = preset("nd90-2020");
    let decision = |no: &str, on: NaiveDate, acts: &[(i64, i32)]| DecisionFact {
        decision_no: no.into(),
        form: "khien_trach".into(),
        decided_on: on,
        effective_from: on,
        acts: acts.to_vec(),
    };
    let in_2025 = decision("12/QĐ", d(2025, 6, 3), &[(7, 2025)]);
    let counted = counted_in_year(std::slice::from_ref(&in_2025), 2025, &[]);
    assert_eq!(counted.len(), 1);
    let f = Facts {
        discipline: counted,
        ..facts(&[])
    };
    let p = evaluate(&nd90, &[], &f);
    assert_eq!(p.proposed, Some(Rating::NotCompleted));
    assert!(p.applied[0].effect.contains("12/QĐ"), "{:?}", p.applied);
    assert!(p.applied[0].effect.contains("2025-06-03"));
    // A decision of another year does not count in this one.
    assert!(counted_in_year(std::slice::from_ref(&in_2025), 2024, &[]).is_empty());
    // The act of 2024 already made 2024 "not completed": the 2025 decision does not count
    // again. Had 2024 been rated otherwise, it counts.
    let late_decision = decision("3/QĐ", d(2025, 2, 1), &[(9, 2024)]);
    assert!(counted_in_year(std::slice::from_ref(&late_decision), 2025, &[2024]).is_empty());
    assert_eq!(
        counted_in_year(std::slice::from_ref(&late_decision), 2025, &[]).len(),
        1
    );
    // The same act under two decisions in different years counts once, in the first.
    let party = decision("5-QĐ/ĐU", d(2024, 12, 20), &[(11, 2024)]);
    let admin = decision("1/QĐ", d(2025, 1, 10), &[(11, 2024)]);
    let both = [party.clone(), admin];
    assert_eq!(counted_in_year(&both, 2024, &[]).len(), 1);
    assert!(counted_in_year(&both, 2025, &[]).is_empty());
}

#[test]
fn nd335_bands_and_triggers() {
    let nd335 = preset("nd335-2025");
    let score = |centi: i64| {
        (
            Metric::Score,
            Value {
                num: i128::from(centi),
                den: 100,
            },
        )
    };
    let cases = [
        (10_000, Rating::Excellent),
        (9_000, Rating::Excellent),
        (8_999, Rating::CompletedWell),
        (7_000, Rating::CompletedWell),
        (6_999, Rating::Completed),
        (5_000, Rating::Completed),
        (4_999, Rating::NotCompleted),
    ];
    for (c, want) in cases {
        let p = evaluate(&nd335, &[], &facts(&[score(c)]));
        assert_eq!(p.proposed, Some(want), "{c}");
    }
    // Discipline overrides a high score.
    let f = Facts {
        discipline: counted_in_year(
            &[DecisionFact {
                decision_no: "2/QĐ".into(),
                form: "khien_trach".into(),
                decided_on: d(2026, 5, 1),
                effective_from: d(2026, 5, 1),
                acts: vec![],
            }],
            2026,
            &[],
        ),
        ..facts(&[score(9_500)])
    };
    assert_eq!(
        evaluate(&nd335, &[], &f).proposed,
        Some(Rating::NotCompleted)
    );
    // The authority's conclusions, recorded as upheld findings, override the score too.
    for code in ["degradation", "unit_corruption"] {
        let f = Facts {
            upheld_codes: [(code.to_owned(), 1)].into_iter().collect(),
            ..facts(&[score(9_500)])
        };
        let p = evaluate(&nd335, &[], &f);
        assert_eq!(p.proposed, Some(Rating::NotCompleted), "{code}");
        assert!(p.applied.iter().any(|a| a.effect.contains(code)), "{code}");
    }
    // Other upheld findings do not trigger it.
    let f = Facts {
        upheld_codes: [("no_badge".to_owned(), 2)].into_iter().collect(),
        ..facts(&[score(9_500)])
    };
    assert_eq!(evaluate(&nd335, &[], &f).proposed, Some(Rating::Excellent));
    // No score, and a conclusion that allows nothing above not completed: proposed so.
    let f = Facts {
        upheld_codes: [("degradation".to_owned(), 1)].into_iter().collect(),
        ..facts(&[])
    };
    let p = evaluate(&nd335, &[], &f);
    assert_eq!(
        (p.proposed, p.max_rating),
        (Some(Rating::NotCompleted), Some(Rating::NotCompleted)),
        "{:?}",
        p.applied
    );
    // No score yet: nothing to propose; HR decides.
    let p = evaluate(&nd335, &[], &facts(&[]));
    assert_eq!((p.rated, p.proposed), (true, None));
    assert!(
        p.applied[0].effect.starts_with("no proposal"),
        "{:?}",
        p.applied
    );
}

fn cand(id: i64, rating: Rating, score: Option<i64>, code: &str) -> Candidate {
    Candidate {
        id,
        rating,
        score_centi: score,
        late_ratio_centi: 0,
        violations: 0,
        code: code.into(),
    }
}

#[test]
fn an_absence_a_team_also_found_is_one_violation_for_the_quota() {
    let codes = |list: &[(&str, i64)]| {
        list.iter()
            .map(|(c, n)| ((*c).to_owned(), *n))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    // The day's absence in the register, and the upheld finding of it: one.
    assert_eq!(
        tie_break_violations(1, 1, &codes(&[("absent_no_reason", 1)])),
        1
    );
    // A finding of another code is a violation of its own.
    assert_eq!(tie_break_violations(1, 1, &codes(&[("alcohol", 1)])), 2);
    assert_eq!(tie_break_violations(3, 0, &codes(&[])), 3);
}

#[test]
fn the_quota_flags_the_excess_in_a_fixed_order() {
    let quota = Quota {
        ratio: 20.0,
        base: QuotaBase::CompletedWell,
    };
    let mut people: Vec<Candidate> = (0..10)
        .map(|i| cand(i, Rating::CompletedWell, None, &format!("CB{i:03}")))
        .collect();
    // 10 rated completed well allow 2 excellent.
    people.push(cand(100, Rating::Excellent, Some(9_100), "CB100"));
    people.push(cand(101, Rating::Excellent, Some(9_500), "CB101"));
    assert!(excess("A", &people, &quota).is_empty());
    // A third: the lowest score is flagged; equal scores fall back to the staff code.
    people.push(cand(102, Rating::Excellent, Some(9_100), "CB050"));
    let over = excess("A", &people, &quota);
    assert_eq!(over.len(), 1);
    assert_eq!(
        (over[0].id, over[0].position, over[0].allowed, over[0].base),
        (100, 3, 2, 10)
    );
    assert!(
        over[0].explanation.contains("staff code"),
        "{}",
        over[0].explanation
    );
    // Counted against completed well and above, 13 × 20 % still allows only 2.
    let wider = Quota {
        base: QuotaBase::CompletedWellAndAbove,
        ..quota.clone()
    };
    assert_eq!(excess("A", &people, &wider).len(), 1);
    // 4 rated completed well allow none (20 % of 4 is 0.8).
    let small: Vec<Candidate> = (0..4)
        .map(|i| cand(i, Rating::CompletedWell, None, &format!("CB{i}")))
        .chain([cand(9, Rating::Excellent, None, "CB9")])
        .collect();
    assert_eq!(excess("B", &small, &quota).len(), 1);
}

#[test]
fn months_come_from_service_dates_and_leave() {
    use super::facts::{LeaveSpan, Recorded, facts};
    let nd90 = preset("nd90-2020");
    let leave = |from: NaiveDate, to: NaiveDate, kind: &str, half_day: bool| LeaveSpan {
        from,
        to,
        kind: kind.into(),
        half_day,
    };
    let shown = |f: &Facts, m: Metric| f.metrics[&m].shown();
    // Months are calendar months: joined 1 August is five months, whatever the days.
    let r = Recorded {
        joined_on: Some(d(2025, 8, 1)),
        ..Recorded::default()
    };
    let f = facts(2025, &r, &nd90);
    assert_eq!(shown(&f, Metric::MonthsInService), 5.0);
    assert_eq!(shown(&f, Metric::MonthsWorked), 5.0);
    // Six whole months are six, in either half of the year (181 and 184 days).
    for (joined, left) in [(None, Some(d(2025, 6, 30))), (Some(d(2025, 7, 1)), None)] {
        let r = Recorded {
            joined_on: joined,
            left_on: left,
            ..Recorded::default()
        };
        let f = facts(2025, &r, &nd90);
        assert_eq!(shown(&f, Metric::MonthsWorked), 6.0);
        assert!(evaluate(&nd90, &[], &f).rated, "{joined:?} {left:?}");
    }
    // Sick leave 1 February – 30 April is three months exactly: capped.
    let r = Recorded {
        leaves: vec![leave(d(2025, 2, 1), d(2025, 4, 30), "sick", false)],
        ..Recorded::default()
    };
    let f = facts(2025, &r, &nd90);
    assert_eq!(shown(&f, Metric::LawfulAbsenceMonths), 3.0);
    assert_eq!(evaluate(&nd90, &[], &f).proposed, Some(Rating::Completed));
    // A day short of it is not.
    let r = Recorded {
        leaves: vec![leave(d(2025, 2, 2), d(2025, 4, 30), "sick", false)],
        ..Recorded::default()
    };
    let f = facts(2025, &r, &nd90);
    assert_eq!(
        evaluate(&nd90, &[], &f).proposed,
        Some(Rating::CompletedWell)
    );
    // Sick leave overlapping itself counts once; annual leave is working time; a half
    // day counts half; leave outside the year or before joining does not count.
    let r = Recorded {
        leaves: vec![
            leave(d(2025, 3, 1), d(2025, 3, 31), "sick", false),
            leave(d(2025, 3, 15), d(2025, 4, 9), "sick", false),
            leave(d(2025, 5, 5), d(2025, 5, 5), "personal", true),
            leave(d(2025, 6, 1), d(2025, 6, 30), "annual", false),
            leave(d(2024, 12, 20), d(2025, 1, 1), "study", false),
        ],
        ..Recorded::default()
    };
    let f = facts(2025, &r, &nd90);
    // March (1), 9 of April's 30 days (0.3), half of one of May's 31 days (0.016) and
    // 1 January of the study leave (0.032).
    assert_eq!(shown(&f, Metric::LawfulAbsenceMonths), 1.35);
    assert_eq!(shown(&f, Metric::MonthsWorked), 10.65);
    // Sick leave entered week by week, Monday to Friday, from 3 February to 9 May
    // 2025: the weekends between are inside it, so it is the one absence of 3.22
    // months it would be as a single row (before: 2.3, and not capped). A weekend
    // after the last Friday, or next to a half day, is not.
    let weekly: Vec<LeaveSpan> = (0..14)
        .map(|w| {
            let monday = d(2025, 2, 3) + chrono::Duration::weeks(w);
            leave(monday, monday + chrono::Duration::days(4), "sick", false)
        })
        .collect();
    let as_one = vec![leave(d(2025, 2, 3), d(2025, 5, 9), "sick", false)];
    let months_of = |leaves: Vec<LeaveSpan>| {
        let r = Recorded {
            leaves,
            ..Recorded::default()
        };
        shown(&facts(2025, &r, &nd90), Metric::LawfulAbsenceMonths)
    };
    assert_eq!(months_of(weekly.clone()), months_of(as_one));
    let r = Recorded {
        leaves: weekly,
        ..Recorded::default()
    };
    assert_eq!(
        evaluate(&nd90, &[], &facts(2025, &r, &nd90)).proposed,
        Some(Rating::Completed)
    );
    assert_eq!(
        months_of(vec![
            leave(d(2025, 2, 3), d(2025, 2, 7), "sick", false),
            leave(d(2025, 2, 10), d(2025, 2, 10), "sick", true),
        ]),
        months_of(vec![
            leave(d(2025, 2, 3), d(2025, 2, 7), "sick", false),
            leave(d(2025, 2, 10), d(2025, 2, 10), "sick", true),
            leave(d(2025, 2, 8), d(2025, 2, 9), "annual", false),
        ]),
        "a weekend next to a half day is not bridged"
    );
    // Maternity leave is its own metric, and a day on it is not also lawful absence.
    let r = Recorded {
        leaves: vec![
            leave(d(2025, 1, 1), d(2025, 6, 30), "maternity", false),
            leave(d(2025, 6, 1), d(2025, 7, 31), "sick", false),
        ],
        ..Recorded::default()
    };
    let f = facts(2025, &r, &nd90);
    assert_eq!(shown(&f, Metric::MaternityMonths), 6.0);
    assert_eq!(shown(&f, Metric::LawfulAbsenceMonths), 1.0);
    let p = evaluate(&nd90, &[], &f);
    assert!(p.rated, "maternity leave is why: {:?}", p.applied);
    // Late ratio: none without steps (not 0 %), exact with them.
    let f = facts(2025, &Recorded::default(), &nd90);
    assert!(!f.metrics.contains_key(&Metric::LateDossierRatio));
    let r = Recorded {
        late_steps: 1,
        handled_steps: 8,
        ..Recorded::default()
    };
    assert_eq!(
        shown(&facts(2025, &r, &nd90), Metric::LateDossierRatio),
        12.5
    );
}

#[test]
fn repeat_rules_are_data_too() {
    use crate::domain::repeats::{Occurrence, Window, crossings};
    let repeats = preset("vn-repeats");
    assert!(
        repeats.rules.is_empty(),
        "no rating rule: it joins no evaluation"
    );
    let late = &repeats.repeats[0];
    assert_eq!((late.count, late.window_days), (3, Some(30)));
    assert_eq!(repeats.repeats[1].rule().window, Window::CalendarMonth);
    let drink = repeats.repeats[2].rule();
    let once = [Occurrence {
        id: 1,
        code: "alcohol".into(),
        day: d(2026, 5, 4),
    }];
    assert_eq!(crossings(&drink, &once, &[]).len(), 1);
    let base = PRESETS
        .iter()
        .find(|(f, _)| *f == "vn-repeats.toml")
        .unwrap()
        .1;
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "window_days = 30\n",
            "",
            "name = \"Đi muộn",
            "either window_days",
        ),
        (
            "window = \"month\"",
            "window = \"week\"",
            "window = \"week\"",
            "only named window",
        ),
        ("count = 3", "count = 0", "count = 0", "1–50"),
        (
            "codes = [\"late\"]",
            "codes = []",
            "codes = []",
            "no violation code",
        ),
        (
            "escalate_after_days = 3",
            "escalate_after_days = 365",
            "= 365",
            "1–90",
        ),
    ];
    for (from, to, marker, words) in cases {
        assert!(base.contains(from), "{from}");
        let text = base.replacen(from, to, 1);
        let line = text
            .lines()
            .position(|l| l.contains(marker))
            .map(|i| i + 1)
            .unwrap();
        let e = parse_new(&text).expect_err(to);
        assert_eq!(e.line, line, "{to}: {e}");
        assert!(e.message.contains(words), "{to}: {e}");
    }
    // Two rules of one name would take the same violations under one key: the second is
    // refused at its name's line.
    let twice = base.replacen(
        "name = \"Vắng mặt không lý do 2 lần trong tháng\"",
        "name = \"Đi muộn 3 lần trong 30 ngày\"",
        1,
    );
    let e = parse_new(&twice).expect_err("two of one name");
    assert_eq!(e.line, 19, "{e}");
    assert!(e.message.contains("another repeat rule is named"), "{e}");
}

/// Version `id` of province P's overlay "p-late" (one late-dossier rule): `dates` gives its
/// `effective_from` / `effective_to` lines, `categories` its staff.
fn p_late(id: i64, dates: &str, categories: &str) -> super::Stored {
    let text = format!(
        r#"code = "p-late"
name = "Tỉnh P: hồ sơ trễ hạn"
source = "Quy định thử nghiệm"
kind = "overlay"
province = "P"
{dates}
categories = {categories}

[[rule]]
kind = "threshold"
name = "Tỷ lệ hồ sơ trễ hạn từ 10% trở lên"
metric = "late_dossier_ratio"
op = ">="
threshold = 10.0
max_rating = "completed"
source = "Quy định thử nghiệm"
"#
    );
    (id, parse(&text).unwrap())
}

const ALL: &str = r#"["can_bo", "cong_chuc", "vien_chuc"]"#;

/// The shipped presets (ids 1–5) and `extra` versions.
fn stored_with(extra: Vec<super::Stored>) -> Vec<super::Stored> {
    let mut out: Vec<super::Stored> = PRESETS
        .iter()
        .zip(1..)
        .map(|((_, text), id)| (id, parse(text).unwrap()))
        .collect();
    out.extend(extra);
    out
}

/// The ids of "p-late" versions `select` applies, and the base's code.
fn chosen(
    policies: &[super::Stored],
    province: &str,
    category: StaffCategory,
    year: i32,
) -> (String, Vec<i64>) {
    let (base, overlays) = super::select(policies, province, category, year, None).unwrap();
    let ids = overlays
        .iter()
        .filter(|(_, p)| p.code == "p-late")
        .map(|(id, _)| *id)
        .collect();
    (base.1.code.clone(), ids)
}

#[test]
fn a_newer_version_that_ends_a_code_withdraws_it_from_later_years() {
    use StaffCategory::*;
    let policies = stored_with(vec![
        p_late(10, r#"effective_from = "2024-01-01""#, ALL),
        p_late(
            11,
            "effective_from = \"2024-01-01\"\neffective_to = \"2025-12-31\"",
            ALL,
        ),
    ]);
    assert_eq!(
        chosen(&policies, "P", CongChuc, 2025),
        ("nd90-2020".into(), vec![11])
    );
    assert_eq!(
        chosen(&policies, "P", CongChuc, 2026),
        ("nd335-2025".into(), vec![]),
        "v2 ends the code with 2025: v1 does not fill in"
    );
    assert_eq!(chosen(&policies, "P", VienChuc, 2027).1, Vec::<i64>::new());
    // Another province never sees P's code; a forced base still picks its version.
    assert_eq!(chosen(&policies, "Q", CongChuc, 2025).1, Vec::<i64>::new());
    let (base, _) = super::select(&policies, "P", CongChuc, 2025, Some(1)).unwrap();
    assert_eq!((base.0, base.1.code.as_str()), (1, "nd90-2020"));
    assert!(super::select(&policies, "P", CongChuc, 2026, Some(1)).is_none());
}

#[test]
fn a_newer_version_that_narrows_the_categories_leaves_the_others_without_the_code() {
    use StaffCategory::*;
    let policies = stored_with(vec![
        p_late(10, r#"effective_from = "2024-01-01""#, ALL),
        p_late(11, r#"effective_from = "2024-01-01""#, r#"["cong_chuc"]"#),
    ]);
    for year in [2025, 2026] {
        assert_eq!(chosen(&policies, "P", CongChuc, year).1, vec![11], "{year}");
        assert_eq!(
            chosen(&policies, "P", VienChuc, year).1,
            Vec::<i64>::new(),
            "{year}: v1 does not fill in for viên chức"
        );
        assert_eq!(chosen(&policies, "P", CanBo, year).1, Vec::<i64>::new());
    }
}

#[test]
fn a_version_that_starts_later_leaves_the_earlier_years_to_the_older_one() {
    use StaffCategory::*;
    let policies = stored_with(vec![
        p_late(10, r#"effective_from = "2024-01-01""#, ALL),
        p_late(11, r#"effective_from = "2027-01-01""#, r#"["cong_chuc"]"#),
    ]);
    for cat in [CongChuc, VienChuc] {
        assert_eq!(chosen(&policies, "P", cat, 2024).1, vec![10]);
        assert_eq!(chosen(&policies, "P", cat, 2026).1, vec![10]);
    }
    assert_eq!(chosen(&policies, "P", CongChuc, 2027).1, vec![11]);
    assert_eq!(
        chosen(&policies, "P", VienChuc, 2027).1,
        Vec::<i64>::new(),
        "from 2027 v2 decides, and it leaves viên chức out"
    );
    // A version that starts within the year decides the whole year.
    let mid = stored_with(vec![
        p_late(10, r#"effective_from = "2024-01-01""#, ALL),
        p_late(11, r#"effective_from = "2026-07-01""#, r#"["cong_chuc"]"#),
    ]);
    assert_eq!(chosen(&mid, "P", VienChuc, 2025).1, vec![10]);
    assert_eq!(chosen(&mid, "P", VienChuc, 2026).1, Vec::<i64>::new());
}
