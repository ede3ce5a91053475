//! Working days: the weekly pattern of a schedule, the public holidays of the Labour Code
//! (Điều 112), and the calendar entries an administrator adds each year (Tết, the days off
//! in lieu and the compensatory working Saturdays announced for CBCCVC).

use chrono::{Datelike, NaiveDate};

use super::codes::CalendarKind;

/// How a date counts for a person whose schedule works on `weekdays`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Workday,
    Weekend,
    /// A public holiday or a day off in lieu.
    Holiday,
}

/// A calendar entry that applies to a date: national (`province_id` None) or for one
/// province.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub date: NaiveDate,
    pub kind: CalendarKind,
    pub name: String,
    pub province_id: Option<i64>,
}

/// Whether a date lies in the years both databases hold alike, 1900 to 2200: chrono reads
/// years before 4713 BC, which PostgreSQL refuses (an error) and SQLite stores.
pub fn storable(day: NaiveDate) -> bool {
    (1900..=2200).contains(&day.year())
}

/// What a date outside `storable` is told.
pub const NOT_STORABLE: &str = "must be a date between 1900 and 2200";

/// The Labour Code's holidays on fixed solar dates. Tết (lunar, with the days the Prime
/// Minister sets each year), Hùng Kings' Day (10/3 lunar) and the day next to National
/// Day change every year and are entered with the calendar.
pub fn fixed_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    [
        (1, 1, "Tết Dương lịch"),
        (4, 30, "Ngày Chiến thắng"),
        (5, 1, "Ngày Quốc tế lao động"),
        (9, 2, "Quốc khánh"),
    ]
    .into_iter()
    .filter_map(|(m, d, name)| NaiveDate::from_ymd_opt(year, m, d).map(|date| (date, name)))
    .collect()
}

/// ISO weekday number, 1 = Monday … 7 = Sunday.
pub fn iso_weekday(date: NaiveDate) -> u8 {
    // number_from_monday is 1..=7, so the cast cannot truncate.
    date.weekday().number_from_monday() as u8
}

/// The kind of `date`. A province's own entry wins over a national one, an entry wins
/// over the fixed holidays, and those win over the weekly pattern.
pub fn day_kind(date: NaiveDate, weekdays: &[u8], entries: &[Entry]) -> DayKind {
    let entry = entries
        .iter()
        .filter(|e| e.date == date)
        .max_by_key(|e| e.province_id.is_some());
    match entry.map(|e| e.kind) {
        Some(CalendarKind::Holiday | CalendarKind::DayOff) => DayKind::Holiday,
        Some(CalendarKind::Workday) => DayKind::Workday,
        None if fixed_holidays(date.year()).iter().any(|(d, _)| *d == date) => DayKind::Holiday,
        None if weekdays.contains(&iso_weekday(date)) => DayKind::Workday,
        None => DayKind::Weekend,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn entry(date: NaiveDate, kind: CalendarKind, province: Option<i64>) -> Entry {
        Entry {
            date,
            kind,
            name: "x".into(),
            province_id: province,
        }
    }

    const MON_FRI: &[u8] = &[1, 2, 3, 4, 5];

    #[test]
    fn weekly_pattern() {
        assert_eq!(
            day_kind(d(2026, 3, 2), MON_FRI, &[]),
            DayKind::Workday,
            "Monday"
        );
        assert_eq!(
            day_kind(d(2026, 3, 7), MON_FRI, &[]),
            DayKind::Weekend,
            "Saturday"
        );
        assert_eq!(
            day_kind(d(2026, 3, 7), &[1, 2, 3, 4, 5, 6], &[]),
            DayKind::Workday,
            "one-stop desk on Saturdays"
        );
        assert_eq!(iso_weekday(d(2026, 3, 8)), 7);
    }

    #[test]
    fn fixed_holidays_and_entries() {
        assert_eq!(day_kind(d(2026, 9, 2), MON_FRI, &[]), DayKind::Holiday);
        assert_eq!(day_kind(d(2026, 4, 30), MON_FRI, &[]), DayKind::Holiday);
        assert_eq!(fixed_holidays(2026).len(), 4);
        // Tết 2026: 14–22 February (entered by an administrator).
        let tet: Vec<Entry> = (16..=20)
            .map(|day| entry(d(2026, 2, day), CalendarKind::Holiday, None))
            .collect();
        assert_eq!(day_kind(d(2026, 2, 17), MON_FRI, &tet), DayKind::Holiday);
        assert_eq!(day_kind(d(2026, 2, 23), MON_FRI, &tet), DayKind::Workday);
        // A compensatory working Saturday, and a day off in lieu.
        let swap = [
            entry(d(2026, 1, 3), CalendarKind::Workday, None),
            entry(d(2026, 1, 2), CalendarKind::DayOff, None),
        ];
        assert_eq!(day_kind(d(2026, 1, 3), MON_FRI, &swap), DayKind::Workday);
        assert_eq!(day_kind(d(2026, 1, 2), MON_FRI, &swap), DayKind::Holiday);
    }

    #[test]
    fn province_entry_wins_over_national() {
        let date = d(2026, 5, 4);
        let entries = [
            entry(date, CalendarKind::DayOff, None),
            entry(date, CalendarKind::Workday, Some(1)),
        ];
        assert_eq!(day_kind(date, MON_FRI, &entries), DayKind::Workday);
        let entries = [
            entry(date, CalendarKind::Workday, Some(1)),
            entry(date, CalendarKind::DayOff, None),
        ];
        assert_eq!(
            day_kind(date, MON_FRI, &entries),
            DayKind::Workday,
            "order does not matter"
        );
    }
}
