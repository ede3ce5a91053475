//! Demo attendance: a summer/winter timetable, this year's calendar with Tết and a
//! compensatory Saturday, and about two months of check-ins with the usual share of late
//! arrivals, early departures, absences and leave. Pure and deterministic: the same
//! people and the same `today` give the same data.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};

use crate::domain::attendance::Session;
use crate::domain::calendar::{DayKind, Entry, day_kind};
use crate::domain::codes::{CalendarKind, Direction, LeaveKind};

/// One timetable of the demo province.
pub struct DemoSchedule {
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub sessions: Vec<Session>,
}

/// Lunar New Year (mùng 1 Tết) by year; the demo's calendar knows these years.
const LUNAR_NEW_YEAR: &[(i32, u32, u32)] = &[
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
    (2029, 2, 13),
    (2030, 2, 3),
];

fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Winter (16/10–15/4) and summer (16/4–15/10) timetables around `today`, in the way of
/// the northern provinces (RULES.md §3.2).
pub fn schedules(today: NaiveDate) -> Vec<DemoSchedule> {
    let y = today.year();
    let winter = vec![
        Session {
            start: time(7, 30),
            end: time(11, 30),
        },
        Session {
            start: time(13, 30),
            end: time(17, 0),
        },
    ];
    let summer = vec![
        Session {
            start: time(7, 0),
            end: time(11, 30),
        },
        Session {
            start: time(14, 0),
            end: time(17, 30),
        },
    ];
    [
        (date(y - 1, 10, 16), date(y, 4, 15), winter.clone()),
        (date(y, 4, 16), date(y, 10, 15), summer),
        (date(y, 10, 16), date(y + 1, 4, 15), winter),
    ]
    .into_iter()
    .filter_map(|(from, to, sessions)| {
        Some(DemoSchedule {
            valid_from: from?,
            valid_to: Some(to?),
            sessions,
        })
    })
    .collect()
}

/// This year's national calendar: five days of Tết, an extra day off in lieu made up on a
/// Saturday two weeks later, and Hùng Kings' Day is left to the Labour Code's fixed list
/// plus what an administrator enters.
pub fn calendar(year: i32) -> Vec<Entry> {
    let Some(lny) = LUNAR_NEW_YEAR
        .iter()
        .find(|(y, _, _)| *y == year)
        .and_then(|(y, m, d)| date(*y, *m, *d))
    else {
        return Vec::new();
    };
    let mut out: Vec<Entry> = (-1..=3)
        .map(|k| Entry {
            date: lny + Duration::days(k),
            kind: CalendarKind::Holiday,
            name: "Tết Nguyên đán".into(),
            province_id: None,
        })
        .collect();
    let in_lieu = lny + Duration::days(4);
    out.push(Entry {
        date: in_lieu,
        kind: CalendarKind::DayOff,
        name: "Nghỉ bù dịp Tết Nguyên đán".into(),
        province_id: None,
    });
    let mut saturday = lny + Duration::days(10);
    while saturday.weekday().number_from_monday() != 6 {
        saturday += Duration::days(1);
    }
    out.push(Entry {
        date: saturday,
        kind: CalendarKind::Workday,
        name: format!("Làm bù cho ngày {}", in_lieu.format("%d/%m")),
        province_id: None,
    });
    out
}

/// A check-in event of the demo, in local time.
pub struct DemoEvent {
    pub person: usize,
    pub at: NaiveDateTime,
    pub direction: Option<Direction>,
}

pub struct DemoLeave {
    pub person: usize,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kind: LeaveKind,
}

pub struct Activity {
    pub from: NaiveDate,
    pub events: Vec<DemoEvent>,
    pub leaves: Vec<DemoLeave>,
}

/// A small deterministic hash, so the demo needs no random-number generator.
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    let mut x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 29)
}

/// One person's arrival and departure on a working day from `start` to `end`, decided by
/// the hash `h` of person and day: 3 % absent, 8 % late, 4 % leaving early, 1 % forgetting
/// to check out.
pub(crate) fn person_day(
    h: u64,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    let roll = h % 100;
    if roll < 3 {
        return (None, None); // absent without reason
    }
    let jitter = |range: u64, salt: u64| i64::try_from(mix(h, salt) % range).unwrap_or(0);
    let arrival = if roll < 11 {
        start + Duration::minutes(6 + jitter(40, 1)) // late
    } else {
        start - Duration::minutes(jitter(25, 2)) + Duration::seconds(jitter(60, 3))
    };
    let departure = if (11..15).contains(&roll) {
        end - Duration::minutes(10 + jitter(60, 4)) // early
    } else {
        end + Duration::minutes(jitter(30, 5)) + Duration::seconds(jitter(60, 6))
    };
    // roll 15: forgot to check out.
    (Some(arrival), (roll != 15).then_some(departure))
}

/// Check-ins of `people` people on the working days of the ~two months before `today`.
pub fn activity(people: usize, today: NaiveDate) -> Activity {
    let from = today - Duration::days(61);
    let timetables = schedules(today);
    let mut entries = calendar(from.year());
    if today.year() != from.year() {
        entries.extend(calendar(today.year()));
    }
    let mut events = Vec::new();
    let mut leaves = Vec::new();
    // Every twelfth person takes two days of leave in the period (sick or annual).
    for person in (0..people).step_by(12) {
        let start = from + Duration::days(i64::try_from(mix(person as u64, 7) % 50).unwrap_or(0));
        let kind = if person % 24 == 0 {
            LeaveKind::Sick
        } else {
            LeaveKind::Annual
        };
        leaves.push(DemoLeave {
            person,
            from: start,
            to: start + Duration::days(1),
            kind,
        });
    }
    for day in from.iter_days().take_while(|d| *d < today) {
        let Some(tt) = timetables
            .iter()
            .find(|t| t.valid_from <= day && t.valid_to.is_none_or(|to| day <= to))
        else {
            continue;
        };
        if day_kind(day, &[1, 2, 3, 4, 5], &entries) != DayKind::Workday {
            continue;
        }
        let (Some(first), Some(last)) = (tt.sessions.first(), tt.sessions.last()) else {
            continue;
        };
        let start = day.and_time(first.start);
        let end = day.and_time(last.end);
        for person in 0..people {
            if leaves
                .iter()
                .any(|l| l.person == person && l.from <= day && day <= l.to)
            {
                continue;
            }
            let (arrival, departure) = person_day(
                mix(person as u64, day.num_days_from_ce() as u64),
                start,
                end,
            );
            // Half the units' devices send directions, the other half do not.
            let directed = person % 2 == 0;
            events.extend(arrival.map(|at| DemoEvent {
                person,
                at,
                direction: directed.then_some(Direction::In),
            }));
            events.extend(departure.map(|at| DemoEvent {
                person,
                at,
                direction: directed.then_some(Direction::Out),
            }));
        }
    }
    Activity {
        from,
        events,
        leaves,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timetables_switch_by_season() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let s = schedules(today);
        assert_eq!(s.len(), 3);
        let summer = s
            .iter()
            .find(|t| t.sessions[0].start == time(7, 0))
            .unwrap();
        assert_eq!(
            summer.valid_from,
            NaiveDate::from_ymd_opt(2026, 4, 16).unwrap()
        );
    }

    #[test]
    fn calendar_has_tet_and_a_compensatory_saturday() {
        let c = calendar(2026);
        assert!(
            c.iter()
                .any(|e| e.date == NaiveDate::from_ymd_opt(2026, 2, 17).unwrap()
                    && e.kind == CalendarKind::Holiday)
        );
        let sat = c.iter().find(|e| e.kind == CalendarKind::Workday).unwrap();
        assert_eq!(sat.date.weekday().number_from_monday(), 6);
        assert!(calendar(1990).is_empty());
    }

    #[test]
    fn activity_has_the_usual_mix() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let a = activity(200, today);
        assert!(a.events.len() > 10_000, "{}", a.events.len());
        assert!(
            a.events
                .iter()
                .all(|e| e.at.date() < today && e.at.date() >= a.from)
        );
        let late = a
            .events
            .iter()
            .filter(|e| {
                e.direction != Some(Direction::Out)
                    && e.at.time() > time(7, 35)
                    && e.at.time() < time(12, 0)
            })
            .count();
        assert!(late > 300, "some late arrivals: {late}");
        assert!(!a.leaves.is_empty());
        assert_eq!(
            activity(200, today).events.len(),
            a.events.len(),
            "deterministic"
        );
    }
}
