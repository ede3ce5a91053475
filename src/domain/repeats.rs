//! Repeated violations (issue 7, first part): when a person's violations of some kinds
//! reach a count within a window, one notice goes out. Each notice consumes the
//! violations that made it, so a fourth late arrival inside the same window does not
//! repeat the third's notice, and only a fresh set in a window of its own makes another.
//! A count of 1 (alcohol, harassment) makes every occurrence its own notice.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate};

/// How far back violations count together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last `n` days, the day of the newest violation included (rolling).
    Days(u32),
    /// The same calendar month.
    CalendarMonth,
}

impl Window {
    /// How many days it can span, for loading enough history.
    fn span_days(self) -> i64 {
        match self {
            Window::Days(n) => i64::from(n),
            Window::CalendarMonth => 31,
        }
    }

    /// The window in the words of a notice: "trong 30 ngày", "trong cùng một tháng".
    pub fn label(self) -> String {
        match self {
            Window::Days(1) => "trong cùng một ngày".to_owned(),
            Window::Days(n) => format!("trong {n} ngày"),
            Window::CalendarMonth => "trong cùng một tháng".to_owned(),
        }
    }

    fn together(self, older: NaiveDate, newer: NaiveDate) -> bool {
        match self {
            Window::Days(n) => (newer - older).num_days() < i64::from(n),
            Window::CalendarMonth => older.year() == newer.year() && older.month() == newer.month(),
        }
    }
}

/// One repeat rule of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatRule {
    pub codes: Vec<String>,
    pub count: usize,
    pub window: Window,
}

/// A violation of one person from the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub id: i64,
    pub code: String,
    pub day: NaiveDate,
}

/// A threshold crossed: the violations that made it, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crossing {
    pub occurrences: Vec<i64>,
    /// The acts counted (`acts`): fewer than `occurrences` when an act has two records.
    pub acts: usize,
    /// The day of the violation that completed the count.
    pub day: NaiveDate,
}

/// The codes the attendance derivation writes at most once a person and day. An
/// inspection finding of one of them on a day the check-ins also show is the same act:
/// an absence the check-ins show and a team also found and upheld is two rows of the
/// register (each with its source and evidence) and one absence. Counted twice, one
/// unexcused absence would complete a "2 in a month" rule by itself (RULES.md §2.1: one
/// violation, one count).
pub const DAILY_CODES: [&str; 3] = ["late", "early_leave", "absent_no_reason"];

/// A person's violations grouped into acts, oldest first (by day, then by the first
/// record's id), each with its records' ids in order: one act per code and day of the
/// `DAILY_CODES`, and every other record an act of its own (two late dossier steps, or
/// two findings of alcohol, on one day are two acts).
fn acts<'a>(history: impl IntoIterator<Item = &'a Occurrence>) -> Vec<(NaiveDate, Vec<i64>)> {
    let mut by_act: HashMap<(&str, NaiveDate, Option<i64>), Vec<i64>> = HashMap::new();
    for o in history {
        let own = (!DAILY_CODES.contains(&o.code.as_str())).then_some(o.id);
        by_act
            .entry((o.code.as_str(), o.day, own))
            .or_default()
            .push(o.id);
    }
    let mut out: Vec<(NaiveDate, Vec<i64>)> = by_act
        .into_iter()
        .map(|((_, day, _), mut ids)| {
            ids.sort_unstable();
            (day, ids)
        })
        .collect();
    out.sort_by_key(|(day, ids)| (*day, ids[0]));
    out
}

/// The crossings not yet noticed. `history` is the person's violations (any order);
/// `consumed` the ids earlier notices were made of. Counts acts (`acts`), not rows: an
/// act one of whose records a notice already counted (the day's absence, before the
/// finding of it was upheld) is not counted again, and a crossing takes all of its acts'
/// records. Pure and repeatable: run again with the
/// crossings' ids added to `consumed`, it finds nothing new.
pub fn crossings(rule: &RepeatRule, history: &[Occurrence], consumed: &[i64]) -> Vec<Crossing> {
    let matching = acts(history.iter().filter(|o| rule.codes.contains(&o.code)));
    let mut out = Vec::new();
    let mut pending: Vec<(NaiveDate, Vec<i64>)> = Vec::new();
    for (day, ids) in matching {
        if ids.iter().any(|id| consumed.contains(id)) {
            continue;
        }
        pending.retain(|(p, _)| rule.window.together(*p, day));
        pending.push((day, ids));
        if pending.len() >= rule.count.max(1) {
            out.push(Crossing {
                occurrences: pending.iter().flat_map(|(_, ids)| ids.clone()).collect(),
                acts: pending.len(),
                day,
            });
            pending.clear();
        }
    }
    out
}

/// Whether a notice still stands. `told` is the acts it counted; `intact`, whether every
/// record it was made of is still in the register as its person's; `present`, those of
/// its person's records that still show its acts (its own, and another record of one of
/// its daily acts, such as the upheld finding of a day's absence). A record withdrawn
/// since (a finding withdrawn on review, a late arrival voided by leave granted later, a
/// late step handed to another officer) may leave fewer acts than the rule's count: the
/// head was told of a repeat that did not happen, and it is not escalated. An intact
/// notice stands whatever its count says (notices made before acts were counted counted
/// records).
pub fn stands(told: usize, intact: bool, present: &[Occurrence]) -> bool {
    intact || acts(present).len() >= told
}

/// How far back a crossing is still news. A crossing whose last violation lies further
/// back (history loaded at go-live, a device's upload from months ago) is recorded, so
/// its violations stay consumed, but nobody is emailed about it. 45 days cover the
/// usual delays: an offline device's backlog, or a dossier import a few weeks late.
pub const NEWS_DAYS: i64 = 45;

fn recent(day: NaiveDate, today: NaiveDate) -> bool {
    (today - day).num_days() < NEWS_DAYS
}

/// Whether a crossing is worth telling at `today`. `day` is the day of the violation
/// that completed the count. `concluded` is the local day on which the most recently
/// concluded of its inspection findings entered the register, if it has any.
///
/// Why findings are judged by when they were concluded as well: a finding's day is the
/// visit, but it enters the register only when the team upholds it, which may not be
/// before its explanation deadline (up to 60 days) and is often later. Judged by its
/// day alone, a finding upheld 45 days after the visit would be consumed in silence
/// and its head never told. An upheld finding is a team's decision taken today, one
/// finding at a time, so it is news when it is taken.
///
/// Why only findings: attendance and dossier violations enter the register in bulk when
/// history is loaded (a month of a device's check-ins, the one-stop system's past
/// dossiers), so the day they were recorded says nothing about news; only their own day
/// does, and old history stays quiet. Findings loaded in bulk (the generated province)
/// carry the time their team decided, as upholding them one by one would have.
pub fn is_news(day: NaiveDate, concluded: Option<NaiveDate>, today: NaiveDate) -> bool {
    recent(day, today) || concluded.is_some_and(|c| recent(c, today))
}

/// The widest window of these rules, in days.
fn widest(rules: &[ScopedRule]) -> i64 {
    rules
        .iter()
        .map(|r| r.rule.window.span_days())
        .max()
        .unwrap_or(0)
}

/// The first day of history to load with a violation of `day`: the windows before it
/// (twice, so that the grouping of the oldest pending violations is the one an earlier
/// run saw).
pub fn history_before(rules: &[ScopedRule], day: NaiveDate) -> NaiveDate {
    day - Duration::days(2 * widest(rules))
}

/// The first day of history the detector needs at `today` for these rules: every
/// crossing whose day can still make it news, and the windows before it. A finding
/// concluded recently about an older day is news too; the detector loads the history
/// before its day separately (`history_before`).
pub fn history_from(rules: &[ScopedRule], today: NaiveDate) -> NaiveDate {
    history_before(rules, today - Duration::days(NEWS_DAYS))
}

/// The first day of a notice whose standing the nightly sweep works out, to release its
/// violations if it no longer stands. A crossing a newcomer makes with an older notice's
/// violations lies within the newcomer's rule's window (at most the widest) after that
/// notice's day, and so, from the history loaded from `from` (`history_from`) on, more
/// than 45 days back: not news. Unless it holds a finding concluded lately (`is_news`):
/// `lately` are the days of the history's findings so concluded, and a crossing may take
/// violations of the window before each.
pub fn whole_from(
    rules: &[ScopedRule],
    from: NaiveDate,
    lately: impl IntoIterator<Item = NaiveDate>,
) -> NaiveDate {
    let span = Duration::days(widest(rules));
    lately
        .into_iter()
        .map(|day| day - span)
        .fold(from + span, NaiveDate::min)
}

/// A repeat rule with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedRule {
    /// `policy_code/name`: the rule's identity across versions of its policy.
    pub key: String,
    pub policy_code: String,
    pub name: String,
    pub source: String,
    /// From a province's own policy; else a national default.
    pub provincial: bool,
    pub rule: RepeatRule,
    /// Unless the head acknowledges the notice within these days, the next level up is
    /// told; None: never.
    pub escalate_after_days: Option<u32>,
}

pub fn rule_key(policy_code: &str, name: &str) -> String {
    format!("{policy_code}/{name}")
}

/// The rules that apply in a province: all of its own, and each national default none
/// of whose codes the province's own rules cover (a province that sets its own rule for
/// late arrivals replaces the national one rather than adding a second notice).
pub fn applicable(rules: &[ScopedRule]) -> Vec<ScopedRule> {
    let provincial: HashSet<&str> = rules
        .iter()
        .filter(|r| r.provincial)
        .flat_map(|r| r.rule.codes.iter().map(String::as_str))
        .collect();
    rules
        .iter()
        .filter(|r| r.provincial || !r.rule.codes.iter().any(|c| provincial.contains(c.as_str())))
        .cloned()
        .collect()
}

/// The violations `rule` may not count again for a person: those its own notices used,
/// and those used by a rule that no longer applies to the person (`applying` are the
/// rules that do) when `rule` counts their code. A province's own rule replacing the
/// national one, a rule renamed in a new version of its policy, or a province rule
/// withdrawn would otherwise tell the same crossing again under the new rule's name.
/// Rules that apply side by side keep counting apart. `consumed`: rule key → violations.
pub fn used_by(
    rule: &ScopedRule,
    applying: &[ScopedRule],
    consumed: &HashMap<String, HashSet<i64>>,
    occurrences: &[Occurrence],
) -> Vec<i64> {
    // `consumed` covers everyone of a chunk, and this runs per person and rule: each of the
    // person's occurrences is looked up in it, rather than a set of all of it built again.
    let live: HashSet<&str> = applying.iter().map(|r| r.key.as_str()).collect();
    let retired = |id: i64| {
        consumed
            .iter()
            .any(|(key, ids)| !live.contains(key.as_str()) && ids.contains(&id))
    };
    let own = consumed.get(&rule.key);
    occurrences
        .iter()
        .filter(|o| {
            own.is_some_and(|ids| ids.contains(&o.id))
                || (rule.rule.codes.contains(&o.code) && retired(o.id))
        })
        .map(|o| o.id)
        .collect()
}

/// The notices a crossing of `rule` supersedes. `released`: violation → the notices no
/// longer standing that counted it, with their rule keys. Those of the rule itself, or of
/// a rule that no longer applies (whose violations `rule` would otherwise count as used,
/// `used_by`), whose violations the crossing takes: told with a newcomer now, they are
/// not told again under the old notice when its withdrawn violation comes back. One of a
/// rule applying side by side counts apart and is left alone.
pub fn superseded(
    rule: &ScopedRule,
    applying: &[ScopedRule],
    released: &HashMap<i64, Vec<(i64, String)>>,
    crossing: &Crossing,
) -> Vec<i64> {
    let live: HashSet<&str> = applying.iter().map(|r| r.key.as_str()).collect();
    let mut out: Vec<i64> = crossing
        .occurrences
        .iter()
        .filter_map(|id| released.get(id))
        .flatten()
        .filter(|(_, key)| *key == rule.key || !live.contains(key.as_str()))
        .map(|(notice, _)| *notice)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A unit on the way up from the violator's unit, with the staff who head it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitHeads {
    pub unit_id: i64,
    pub heads: Vec<i64>,
}

/// Who is told at `level` (0: the notice itself, 1: its escalation). `chain` runs from
/// the violator's own unit up to the province. The notice goes to the heads of the
/// nearest unit that has one, skipping every unit the violator heads (a head's
/// violations go to the next level up); an escalation goes to the next such unit above
/// that. None when nobody is left above.
pub fn recipients(chain: &[UnitHeads], violator: i64, level: usize) -> Option<&UnitHeads> {
    chain
        .iter()
        .filter(|u| !u.heads.is_empty() && !u.heads.contains(&violator))
        .nth(level)
}

/// Who an escalation goes to: the heads of the next unit with heads above the one whose
/// heads the notice was sent to (`addressed`), in the chain as it is today. When none of
/// those is in it any more (they left, or were replaced), or the notice found nobody, the
/// first unit with heads today: those now in charge where the notice stopped.
pub fn escalation_recipients<'a>(
    chain: &'a [UnitHeads],
    violator: i64,
    addressed: &[i64],
) -> Option<&'a UnitHeads> {
    let levels: Vec<&UnitHeads> = chain
        .iter()
        .filter(|u| !u.heads.is_empty() && !u.heads.contains(&violator))
        .collect();
    match levels
        .iter()
        .position(|u| u.heads.iter().any(|h| addressed.contains(h)))
    {
        Some(i) => levels.get(i + 1).copied(),
        None => levels.first().copied(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_escalation_goes_above_those_told() {
        let chain = |division: Vec<i64>| {
            vec![
                UnitHeads {
                    unit_id: 3,
                    heads: division,
                },
                UnitHeads {
                    unit_id: 2,
                    heads: vec![20],
                },
                UnitHeads {
                    unit_id: 1,
                    heads: vec![10],
                },
            ]
        };
        let to = |c: &[UnitHeads], addressed: &[i64]| {
            escalation_recipients(c, 99, addressed).map(|u| u.unit_id)
        };
        // Told the division's head: the department's.
        assert_eq!(to(&chain(vec![30]), &[30]), Some(2));
        // The division had no head then and has one now: the notice went to the
        // department's director, so the escalation goes to the province, not back down.
        assert_eq!(to(&chain(vec![31]), &[20]), Some(1));
        // The division's head told has left (no head now): the department's.
        assert_eq!(to(&chain(vec![]), &[30]), Some(2));
        // Told the top: nobody above.
        assert_eq!(to(&chain(vec![30]), &[10]), None);
        // The notice found nobody then: whoever heads the nearest unit now.
        assert_eq!(to(&chain(vec![31]), &[]), Some(3));
    }

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn late(days: &[(u32, u32)]) -> Vec<Occurrence> {
        days.iter()
            .enumerate()
            .map(|(i, (m, day))| Occurrence {
                id: i as i64 + 1,
                code: "late".into(),
                day: d(*m, *day),
            })
            .collect()
    }

    fn three_in_30() -> RepeatRule {
        RepeatRule {
            codes: vec!["late".into()],
            count: 3,
            window: Window::Days(30),
        }
    }

    #[test]
    fn a_notice_stands_while_its_acts_do() {
        let all = late(&[(3, 2), (3, 9), (3, 20)]);
        assert!(stands(3, true, &all));
        // One late arrival voided since: two acts are left of three.
        assert!(!stands(3, false, &all[..2]));
        // A day's absence told with its upheld finding: the check-ins' row voided, the
        // finding still shows the act.
        let absent = |id: i64, day: u32| Occurrence {
            id,
            code: "absent_no_reason".into(),
            day: d(3, day),
        };
        assert!(stands(2, false, &[absent(1, 2), absent(3, 9)]));
        assert!(!stands(2, false, &[absent(1, 2)]));
        // Nothing of it is left.
        assert!(!stands(1, false, &[]));
        // Made before acts were counted: two records of one act counted as two.
        assert!(stands(3, true, &[absent(1, 2), absent(2, 2), absent(3, 9)]));
    }

    #[test]
    fn the_third_late_arrival_in_30_days_crosses_once() {
        let rule = three_in_30();
        type Case<'a> = (&'a [(u32, u32)], &'a [&'a [i64]]);
        let cases: &[Case] = &[
            (&[(3, 2), (3, 9)], &[]),
            (&[(3, 2), (3, 9), (3, 20)], &[&[1, 2, 3]]),
            // The fourth inside the same window repeats nothing.
            (&[(3, 2), (3, 9), (3, 20), (3, 25)], &[&[1, 2, 3]]),
            // 30 days apart is outside a 30-day window (2 March and 1 April).
            (&[(3, 2), (3, 9), (4, 1)], &[]),
            (&[(3, 2), (3, 9), (3, 31)], &[&[1, 2, 3]]),
            // A fresh set makes a second notice.
            (
                &[(3, 2), (3, 9), (3, 20), (3, 25), (4, 10), (4, 12)],
                &[&[1, 2, 3], &[4, 5, 6]],
            ),
            // Spread out: never three in any 30 days.
            (&[(1, 5), (2, 10), (3, 15), (4, 20)], &[]),
        ];
        for (i, (days, want)) in cases.iter().enumerate() {
            let got: Vec<Vec<i64>> = crossings(&rule, &late(days), &[])
                .into_iter()
                .map(|c| c.occurrences)
                .collect();
            let want: Vec<Vec<i64>> = want.iter().map(|w| w.to_vec()).collect();
            assert_eq!(got, want, "case {i}");
        }
    }

    #[test]
    fn an_act_recorded_twice_counts_once() {
        let rule = RepeatRule {
            codes: vec!["absent_no_reason".into()],
            count: 2,
            window: Window::CalendarMonth,
        };
        let absent = |id: i64, day: u32| Occurrence {
            id,
            code: "absent_no_reason".into(),
            day: d(3, day),
        };
        // The check-ins' absence on 3 March, and the inspection's finding of it.
        let mut history = vec![absent(2, 3), absent(1, 3)];
        assert!(crossings(&rule, &history, &[]).is_empty());
        history.push(absent(3, 10));
        let first = crossings(&rule, &history, &[]);
        assert_eq!(first.len(), 1, "{first:?}");
        assert_eq!(first[0].occurrences, vec![1, 2, 3]);
        assert_eq!(first[0].acts, 2);
        // An act one of whose records a notice counted is not counted again by its other
        // record (a finding upheld after the notice).
        let consumed = [1, 3];
        history.extend([absent(4, 3), absent(5, 20)]);
        assert!(crossings(&rule, &history, &consumed).is_empty());
        history.push(absent(6, 25));
        let second = crossings(&rule, &history, &consumed);
        assert_eq!(second.len(), 1, "{second:?}");
        assert_eq!(
            (second[0].occurrences.clone(), second[0].acts),
            (vec![5, 6], 2)
        );
        // Two codes on one day are two acts.
        let both = RepeatRule {
            codes: vec!["late".into(), "early_leave".into()],
            count: 2,
            window: Window::Days(1),
        };
        let day = vec![
            Occurrence {
                id: 1,
                code: "late".into(),
                day: d(3, 3),
            },
            Occurrence {
                id: 2,
                code: "early_leave".into(),
                day: d(3, 3),
            },
        ];
        assert_eq!(crossings(&both, &day, &[]).len(), 1);
        // Other codes are acts one record each: two late dossier steps on one day.
        let steps = RepeatRule {
            codes: vec!["overdue_task".into()],
            count: 2,
            window: Window::Days(30),
        };
        let two = vec![
            Occurrence {
                id: 1,
                code: "overdue_task".into(),
                day: d(3, 3),
            },
            Occurrence {
                id: 2,
                code: "overdue_task".into(),
                day: d(3, 3),
            },
        ];
        assert_eq!(crossings(&steps, &two, &[])[0].acts, 2);
    }

    #[test]
    fn detection_is_repeatable_and_order_free() {
        let rule = three_in_30();
        let mut history = late(&[(3, 20), (3, 2), (3, 9), (3, 25)]);
        let first = crossings(&rule, &history, &[]);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].day, d(3, 20));
        let consumed: Vec<i64> = first.iter().flat_map(|c| c.occurrences.clone()).collect();
        assert!(crossings(&rule, &history, &consumed).is_empty());
        // Recorded later (an offline upload): it joins the pending ones.
        history.extend(late(&[(3, 27), (3, 28)]).into_iter().map(|mut o| {
            o.id += 10;
            o
        }));
        let more = crossings(&rule, &history, &consumed);
        assert_eq!(more.len(), 1, "{more:?}");
        assert_eq!(more[0].occurrences.len(), 3);
    }

    #[test]
    fn once_is_enough_for_the_gravest() {
        let rule = RepeatRule {
            codes: vec!["alcohol".into(), "harassment".into()],
            count: 1,
            window: Window::Days(1),
        };
        let history = vec![
            Occurrence {
                id: 1,
                code: "alcohol".into(),
                day: d(5, 4),
            },
            Occurrence {
                id: 2,
                code: "late".into(),
                day: d(5, 4),
            },
            Occurrence {
                id: 3,
                code: "harassment".into(),
                day: d(5, 4),
            },
        ];
        let got = crossings(&rule, &history, &[]);
        assert_eq!(got.len(), 2, "each occurrence is a notice: {got:?}");
        assert_eq!(crossings(&rule, &history, &[1, 3]), vec![]);
    }

    #[test]
    fn a_calendar_month_window() {
        let rule = RepeatRule {
            codes: vec!["absent_no_reason".into()],
            count: 2,
            window: Window::CalendarMonth,
        };
        let absent = |id: i64, m: u32, day: u32| Occurrence {
            id,
            code: "absent_no_reason".into(),
            day: d(m, day),
        };
        // 31 January and 1 February are a day apart but in two months.
        assert!(crossings(&rule, &[absent(1, 1, 31), absent(2, 2, 1)], &[]).is_empty());
        assert_eq!(
            crossings(&rule, &[absent(1, 2, 2), absent(2, 2, 27)], &[]).len(),
            1
        );
    }

    fn scoped(code: &str, name: &str, codes: &[&str], provincial: bool) -> ScopedRule {
        ScopedRule {
            key: rule_key(code, name),
            policy_code: code.into(),
            name: name.into(),
            source: String::new(),
            provincial,
            rule: RepeatRule {
                codes: codes.iter().map(|c| c.to_string()).collect(),
                count: 3,
                window: Window::Days(30),
            },
            escalate_after_days: Some(7),
        }
    }

    #[test]
    fn a_province_rule_replaces_the_national_default_for_its_codes() {
        let rules = vec![
            scoped("vn-repeats", "late", &["late"], false),
            scoped("vn-repeats", "absent", &["absent_no_reason"], false),
            scoped("vn-repeats", "grave", &["alcohol", "harassment"], false),
            scoped("kha", "late", &["late", "early_leave"], true),
            scoped("kha", "drink", &["alcohol"], true),
        ];
        let keys: Vec<String> = applicable(&rules).into_iter().map(|r| r.key).collect();
        assert_eq!(keys, ["vn-repeats/absent", "kha/late", "kha/drink"]);
        let national_only = applicable(&rules[..3]);
        assert_eq!(national_only.len(), 3);
    }

    /// What a rule that no longer applies used stays used for the rules that now count
    /// its code; rules applying side by side count apart.
    #[test]
    fn violations_used_by_a_retired_rule_stay_used() {
        let national = scoped("vn-repeats", "late", &["late"], false);
        let provincial = scoped("kha", "late", &["late", "early_leave"], true);
        let quarterly = scoped("kha", "late quarter", &["late"], true);
        let mut occurrences = late(&[(3, 2), (3, 9), (3, 20), (3, 25)]);
        occurrences.push(Occurrence {
            id: 9,
            code: "absent_no_reason".into(),
            day: d(3, 21),
        });
        let consumed: HashMap<String, HashSet<i64>> = HashMap::from([
            (national.key.clone(), HashSet::from([1, 2, 3, 9])),
            (quarterly.key.clone(), HashSet::from([4])),
        ]);
        let applying = vec![provincial.clone(), quarterly.clone()];
        let mut used = used_by(&provincial, &applying, &consumed, &occurrences);
        used.sort_unstable();
        assert_eq!(
            used,
            [1, 2, 3],
            "the national rule's, of the codes it counts"
        );
        assert_eq!(
            used_by(&quarterly, &applying, &consumed, &occurrences),
            [1, 2, 3, 4]
        );
        // Back to the national rule alone: what the province's rules used stays used.
        let national_only = vec![national.clone()];
        let mut used = used_by(&national, &national_only, &consumed, &occurrences);
        used.sort_unstable();
        assert_eq!(used, [1, 2, 3, 4, 9]);
    }

    /// Late on the 1st, 3rd and 5th made notice 10; the 3rd was excused, and with the 8th
    /// the 1st and 5th make a crossing: it supersedes notice 10 of its own rule, or of a
    /// rule retired since, and not notice 11 of a rule counting side by side.
    #[test]
    fn a_crossing_supersedes_the_withdrawn_notices_whose_violations_it_takes() {
        let rule = scoped("kha", "late", &["late"], true);
        let quarterly = scoped("kha", "late quarter", &["late"], true);
        let national = scoped("vn-repeats", "late", &["late"], false);
        let history = late(&[(3, 1), (3, 5), (3, 8)]);
        let crossing = crossings(&rule.rule, &history, &[]).remove(0);
        let applying = vec![rule.clone(), quarterly.clone()];
        let released = |key: &str, notice: i64| {
            HashMap::from([
                (1, vec![(notice, key.to_owned())]),
                (2, vec![(notice, key.to_owned())]),
            ])
        };
        assert_eq!(
            superseded(&rule, &applying, &released(&rule.key, 10), &crossing),
            [10]
        );
        assert_eq!(
            superseded(&rule, &applying, &released(&national.key, 10), &crossing),
            [10],
            "a retired rule's"
        );
        assert!(
            superseded(&rule, &applying, &released(&quarterly.key, 11), &crossing).is_empty(),
            "side by side"
        );
        assert!(superseded(&rule, &applying, &HashMap::new(), &crossing).is_empty());
    }

    #[test]
    fn news_is_45_days_deep() {
        let today = d(6, 30);
        assert!(is_news(today, None, today));
        assert!(is_news(today - Duration::days(44), None, today));
        assert!(!is_news(today - Duration::days(45), None, today));
        let rules = vec![scoped("vn", "late", &["late"], false)];
        assert_eq!(history_from(&rules, today), today - Duration::days(45 + 60));
        assert_eq!(history_before(&rules, today), today - Duration::days(60));
        // A notice of the history's first 30 days may have records before it; a crossing
        // within 30 days of those lies 45 days back or more.
        let from = history_from(&rules, today);
        let whole = whole_from(&rules, from, []);
        assert_eq!(whole, from + Duration::days(30));
        assert!(!is_news(whole + Duration::days(29), None, today));
        // A finding of 90 days back concluded today is news: the notices of the 30 days
        // before it are looked at too.
        let finding = today - Duration::days(90);
        assert!(is_news(finding, Some(today), today));
        assert_eq!(
            whole_from(&rules, from, [finding]),
            finding - Duration::days(30)
        );
    }

    #[test]
    fn a_finding_concluded_late_is_news_when_it_is_concluded() {
        let today = d(6, 30);
        let visit = today - Duration::days(70);
        // Upheld today, 70 days after the visit: news.
        assert!(is_news(visit, Some(today), today));
        assert!(is_news(visit, Some(today - Duration::days(44)), today));
        // Concluded long ago (bulk-loaded history): quiet, like any old history.
        assert!(!is_news(visit, Some(today - Duration::days(45)), today));
        assert!(!is_news(visit, None, today));
    }

    #[test]
    fn heads_are_told_and_heads_go_one_level_up() {
        // Division 9 (head 90) in department 4 (head 40) in the province 1 (head 10);
        // division 8 has no head of its own.
        let chain = vec![
            UnitHeads {
                unit_id: 9,
                heads: vec![90],
            },
            UnitHeads {
                unit_id: 4,
                heads: vec![40],
            },
            UnitHeads {
                unit_id: 1,
                heads: vec![10],
            },
        ];
        let at =
            |violator: i64, level: usize| recipients(&chain, violator, level).map(|u| u.unit_id);
        assert_eq!(at(91, 0), Some(9), "a member: their own head");
        assert_eq!(at(91, 1), Some(4), "escalated: the department");
        assert_eq!(
            at(90, 0),
            Some(4),
            "the division's head: the department's head"
        );
        assert_eq!(at(90, 1), Some(1));
        assert_eq!(
            recipients(&chain[2..], 10, 0),
            None,
            "nobody above the province's head"
        );
        let headless = vec![
            UnitHeads {
                unit_id: 8,
                heads: vec![],
            },
            UnitHeads {
                unit_id: 4,
                heads: vec![40],
            },
        ];
        assert_eq!(recipients(&headless, 81, 0).map(|u| u.unit_id), Some(4));
        assert_eq!(recipients(&headless, 81, 1), None);
    }

    #[test]
    fn windows_in_words() {
        assert_eq!(Window::Days(30).label(), "trong 30 ngày");
        assert_eq!(Window::Days(1).label(), "trong cùng một ngày");
        assert_eq!(Window::CalendarMonth.label(), "trong cùng một tháng");
    }
}
