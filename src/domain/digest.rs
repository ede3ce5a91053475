//! The weekly digest a head receives about their subtree: the week's violations counted
//! by kind and by person, the people with most first.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate};

use super::repeats::DAILY_CODES;

/// One violation of the week, as the digest shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub staff_id: i64,
    pub staff_name: String,
    pub unit_name: String,
    pub code: String,
    pub day: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonLine {
    pub staff_id: i64,
    pub staff_name: String,
    pub unit_name: String,
    pub count: usize,
    /// Codes with their counts, by code.
    pub codes: Vec<(String, usize)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    pub total: usize,
    /// Codes with their counts, most frequent first.
    pub by_code: Vec<(String, usize)>,
    /// People with most violations first (then by name); at most `top` of them.
    pub people: Vec<PersonLine>,
    /// How many people had a violation, including those beyond `top`.
    pub people_count: usize,
}

/// The week a digest made on `today` covers: the seven days before it (Monday to
/// Sunday when it runs on a Monday).
pub fn week_before(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (today - Duration::days(7), today - Duration::days(1))
}

/// The ISO week of a digest period, for its one-per-week key: `2026-W10`.
pub fn week_key(from: NaiveDate) -> String {
    let w = from.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// Counts acts, as the repeat rules and the evaluation do: a day's absence (or late
/// arrival, or early departure) that an inspection also found is one.
pub fn summarize(entries: &[Entry], top: usize) -> Summary {
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    let mut people: BTreeMap<i64, PersonLine> = BTreeMap::new();
    let mut days_seen: HashSet<(i64, &str, NaiveDate)> = HashSet::new();
    let mut total = 0;
    for e in entries {
        if DAILY_CODES.contains(&e.code.as_str()) && !days_seen.insert((e.staff_id, &e.code, e.day))
        {
            continue;
        }
        total += 1;
        *by_code.entry(&e.code).or_default() += 1;
        let line = people.entry(e.staff_id).or_insert_with(|| PersonLine {
            staff_id: e.staff_id,
            staff_name: e.staff_name.clone(),
            unit_name: e.unit_name.clone(),
            count: 0,
            codes: Vec::new(),
        });
        line.count += 1;
        match line.codes.iter_mut().find(|(c, _)| *c == e.code) {
            Some((_, n)) => *n += 1,
            None => line.codes.push((e.code.clone(), 1)),
        }
    }
    let mut by_code: Vec<(String, usize)> = by_code
        .into_iter()
        .map(|(c, n)| (c.to_owned(), n))
        .collect();
    by_code.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut people: Vec<PersonLine> = people.into_values().collect();
    for p in &mut people {
        p.codes.sort();
    }
    people.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.staff_name.cmp(&b.staff_name))
            .then_with(|| a.staff_id.cmp(&b.staff_id))
    });
    let people_count = people.len();
    people.truncate(top);
    Summary {
        total,
        by_code,
        people,
        people_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn e(staff_id: i64, name: &str, code: &str) -> Entry {
        Entry {
            staff_id,
            staff_name: name.into(),
            unit_name: "Phòng A".into(),
            code: code.into(),
            day: d(3, 3),
        }
    }

    #[test]
    fn most_first_and_counted_by_kind() {
        let entries = vec![
            e(2, "Lê Văn B", "late"),
            e(1, "Nguyễn Văn A", "late"),
            e(2, "Lê Văn B", "absent_no_reason"),
            e(3, "Trần Thị C", "late"),
            Entry {
                day: d(3, 4),
                ..e(2, "Lê Văn B", "late")
            },
        ];
        let s = summarize(&entries, 2);
        assert_eq!(s.total, 5);
        assert_eq!(
            s.by_code,
            vec![("late".to_owned(), 4), ("absent_no_reason".to_owned(), 1)]
        );
        assert_eq!(s.people_count, 3);
        assert_eq!(s.people.len(), 2);
        assert_eq!(s.people[0].staff_id, 2);
        assert_eq!(
            s.people[0].codes,
            vec![("absent_no_reason".to_owned(), 1), ("late".to_owned(), 2)]
        );
        assert_eq!(s.people[1].staff_name, "Nguyễn Văn A", "ties by name");
        assert_eq!(summarize(&[], 10), Summary::default());
    }

    #[test]
    fn an_absence_also_found_by_an_inspection_is_one() {
        // The day's absence from the check-ins and the upheld finding of it; and two
        // findings of alcohol on one day, which are two acts.
        let entries = vec![
            e(2, "Lê Văn B", "absent_no_reason"),
            e(2, "Lê Văn B", "absent_no_reason"),
            e(2, "Lê Văn B", "alcohol"),
            e(2, "Lê Văn B", "alcohol"),
        ];
        let s = summarize(&entries, 10);
        assert_eq!(s.total, 3);
        assert_eq!(
            s.people[0].codes,
            vec![
                ("absent_no_reason".to_owned(), 1),
                ("alcohol".to_owned(), 2)
            ]
        );
    }

    #[test]
    fn the_week_before_a_monday() {
        // Monday 9 March 2026: Monday 2 to Sunday 8 March, ISO week 10.
        assert_eq!(week_before(d(3, 9)), (d(3, 2), d(3, 8)));
        assert_eq!(week_key(d(3, 2)), "2026-W10");
        // Across the new year: 29 December 2025 is in ISO week 1 of 2026.
        assert_eq!(
            week_key(NaiveDate::from_ymd_opt(2025, 12, 29).unwrap()),
            "2026-W01"
        );
    }
}
