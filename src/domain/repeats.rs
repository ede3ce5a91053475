//! Repeated violations (issue 7, first part): when a person's violations of some kinds
//! reach a count within a window, one notice goes out. Each notice consumes the
//! violations that made it, so a fourth late arrival inside the same window does not
//! repeat the third's notice, and only a fresh set in a window of its own makes another.
//! A count of 1 (alcohol, harassment) makes every occurrence its own notice.

use chrono::{Datelike, NaiveDate};

/// How far back violations count together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last `n` days, the day of the newest violation included (rolling).
    Days(u32),
    /// The same calendar month.
    CalendarMonth,
}

impl Window {
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
    /// The day of the violation that completed the count.
    pub day: NaiveDate,
}

/// The crossings not yet noticed. `history` is the person's violations (any order);
/// `consumed` the ids earlier notices were made of. Pure and repeatable: run again with
/// the crossings' ids added to `consumed`, it finds nothing new.
pub fn crossings(rule: &RepeatRule, history: &[Occurrence], consumed: &[i64]) -> Vec<Crossing> {
    let mut matching: Vec<&Occurrence> = history
        .iter()
        .filter(|o| rule.codes.contains(&o.code))
        .filter(|o| !consumed.contains(&o.id))
        .collect();
    matching.sort_by_key(|o| (o.day, o.id));
    let mut out = Vec::new();
    let mut pending: Vec<&Occurrence> = Vec::new();
    for o in matching {
        pending.retain(|p| rule.window.together(p.day, o.day));
        pending.push(o);
        if pending.len() >= rule.count.max(1) {
            out.push(Crossing {
                occurrences: pending.iter().map(|p| p.id).collect(),
                day: o.day,
            });
            pending.clear();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
