use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use proptest::prelude::*;

use super::*;
use crate::domain::calendar::{DayKind, Entry, day_kind};
use crate::domain::codes::{AttendanceStatus as S, CalendarKind};

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 4).unwrap() // a Wednesday
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
    date().and_time(NaiveTime::from_hms_opt(h, m, s).unwrap())
}

fn schedule(mode: PunchMode) -> Schedule {
    Schedule {
        weekdays: vec![1, 2, 3, 4, 5],
        sessions: vec![
            Session {
                start: t(7, 30),
                end: t(11, 30),
            },
            Session {
                start: t(13, 30),
                end: t(17, 0),
            },
        ],
        grace_minutes: 5,
        punch_mode: mode,
    }
}

fn punch(at: NaiveDateTime, direction: Option<Direction>) -> Punch {
    Punch { at, direction }
}

fn undirected(times: &[NaiveDateTime]) -> Vec<Punch> {
    times.iter().map(|t| punch(*t, None)).collect()
}

fn day(punches: &[Punch]) -> DayRecord {
    derive_day(
        date(),
        DayKind::Workday,
        &schedule(PunchMode::Daily),
        None,
        punches,
        Progress::Closed,
    )
    .unwrap()
}

#[test]
fn on_time_day_is_present_with_worked_minutes_excluding_lunch() {
    let r = day(&undirected(&[at(7, 25, 0), at(17, 5, 0)]));
    assert_eq!(r.status, S::Present);
    assert_eq!((r.late_minutes, r.early_leave_minutes), (0, 0));
    assert_eq!(r.worked_minutes, 240 + 210);
    assert_eq!(r.first_in, Some(at(7, 25, 0)));
    assert_eq!(r.last_out, Some(at(17, 5, 0)));
}

#[test]
fn grace_minute_exactly_is_not_late_one_minute_more_is() {
    let r = day(&undirected(&[at(7, 35, 0), at(17, 0, 0)]));
    assert_eq!(r.status, S::Present, "07:35:00 with 5 minutes of grace");
    let r = day(&undirected(&[at(7, 35, 59), at(17, 0, 0)]));
    assert_eq!(
        r.status,
        S::Present,
        "seconds within the grace minute do not count"
    );
    let r = day(&undirected(&[at(7, 36, 0), at(17, 0, 0)]));
    assert_eq!(r.status, S::Late);
    assert_eq!(
        r.late_minutes, 6,
        "counted from the session start, not from the grace"
    );
}

#[test]
fn early_leave_counts_to_the_session_end() {
    let r = day(&undirected(&[at(7, 30, 0), at(16, 55, 0)]));
    assert_eq!(r.status, S::Present, "within the grace");
    let r = day(&undirected(&[at(7, 30, 0), at(16, 54, 30)]));
    assert_eq!(r.status, S::Present, "16:54:30 rounds up to 16:55");
    let r = day(&undirected(&[at(7, 30, 0), at(16, 0, 0)]));
    assert_eq!((r.status, r.early_leave_minutes), (S::EarlyLeave, 60));
    let r = day(&undirected(&[at(8, 0, 0), at(16, 0, 0)]));
    assert_eq!(
        (r.status, r.late_minutes, r.early_leave_minutes),
        (S::LateAndEarlyLeave, 30, 60)
    );
}

#[test]
fn missing_events_make_absent_or_incomplete() {
    assert_eq!(day(&[]).status, S::Absent);
    let r = day(&undirected(&[at(7, 20, 0)]));
    assert_eq!(
        r.status,
        S::Incomplete,
        "a single event: arrival without departure"
    );
    assert_eq!(r.last_out, None);
    let r = day(&[punch(at(17, 0, 0), Some(Direction::Out))]);
    assert_eq!(r.status, S::Incomplete, "a departure without arrival");
    assert_eq!(r.first_in, None);
}

#[test]
fn a_lone_undirected_punch_late_in_the_day_is_the_departure() {
    // The morning punch forgotten: 17:05 alone leaves, it does not arrive 575 minutes
    // late. The stretch's middle (12:15 for 07:30-17:00) decides.
    let r = day(&undirected(&[at(17, 5, 0)]));
    assert_eq!(
        (r.status, r.first_in, r.last_out, r.late_minutes),
        (S::Incomplete, None, Some(at(17, 5, 0)), 0)
    );
    let r = day(&undirected(&[at(16, 0, 0)]));
    assert_eq!(
        (r.last_out, r.early_leave_minutes),
        (Some(at(16, 0, 0)), 60)
    );
    let r = day(&undirected(&[at(12, 14, 0)]));
    assert_eq!((r.first_in, r.late_minutes), (Some(at(12, 14, 0)), 284));
    let r = day(&undirected(&[at(12, 15, 0)]));
    assert_eq!((r.first_in, r.last_out), (None, Some(at(12, 15, 0))));
    // A directed "in" says what it is, whenever it comes.
    let r = day(&[punch(at(17, 5, 0), Some(Direction::In))]);
    assert_eq!((r.first_in, r.late_minutes), (Some(at(17, 5, 0)), 575));
}

#[test]
fn a_double_tap_is_one_punch() {
    // A fingerprint reader read twice, 20 seconds apart: no departure at 07:30:20 and
    // no 569 minutes of early leave; two minutes apart is still the tap, more is not.
    let r = day(&undirected(&[at(7, 30, 0), at(7, 30, 20)]));
    assert_eq!(
        (r.status, r.last_out, r.early_leave_minutes),
        (S::Incomplete, None, 0)
    );
    let r = day(&undirected(&[at(7, 30, 0), at(7, 32, 0)]));
    assert_eq!((r.status, r.last_out), (S::Incomplete, None));
    let r = day(&undirected(&[at(7, 30, 0), at(7, 32, 1)]));
    assert_eq!(
        (r.last_out, r.early_leave_minutes),
        (Some(at(7, 32, 1)), 567)
    );
    // Late in the day the tap is a departure, as one punch would be.
    let r = day(&undirected(&[at(17, 0, 0), at(17, 0, 15)]));
    assert_eq!((r.first_in, r.last_out), (None, Some(at(17, 0, 0))));
    // A directed "out" right after is a departure as sent.
    let r = day(&[
        punch(at(7, 30, 0), None),
        punch(at(7, 30, 20), Some(Direction::Out)),
    ]);
    assert_eq!(r.last_out, Some(at(7, 30, 20)));
}

#[test]
fn directions_pick_arrival_and_departure() {
    let r = day(&[
        punch(at(7, 0, 0), Some(Direction::Out)),
        punch(at(7, 40, 0), Some(Direction::In)),
        punch(at(12, 0, 0), Some(Direction::Out)),
        punch(at(13, 20, 0), Some(Direction::In)),
        punch(at(17, 10, 0), Some(Direction::Out)),
    ]);
    assert_eq!(r.first_in, Some(at(7, 40, 0)));
    assert_eq!(r.last_out, Some(at(17, 10, 0)));
    assert_eq!((r.status, r.late_minutes), (S::Late, 10));
}

#[test]
fn the_first_event_arrives_and_a_return_without_departure_is_incomplete() {
    // A kiosk without directions at 07:20, then the phone's "in" at 07:40.
    let r = day(&[
        punch(at(7, 20, 0), None),
        punch(at(7, 40, 0), Some(Direction::In)),
        punch(at(17, 0, 0), None),
    ]);
    assert_eq!((r.status, r.first_in), (S::Present, Some(at(7, 20, 0))));
    // An "out" at 16:00 and a later undirected event at 17:05: the later one leaves.
    let r = day(&[
        punch(at(7, 30, 0), Some(Direction::In)),
        punch(at(16, 0, 0), Some(Direction::Out)),
        punch(at(17, 5, 0), None),
    ]);
    assert_eq!((r.status, r.last_out), (S::Present, Some(at(17, 5, 0))));
    // Back from lunch and never checked out.
    let r = day(&[
        punch(at(7, 30, 0), Some(Direction::In)),
        punch(at(11, 30, 0), Some(Direction::Out)),
        punch(at(13, 30, 0), Some(Direction::In)),
    ]);
    assert_eq!((r.status, r.last_out), (S::Incomplete, None));
}

#[test]
fn half_a_day_of_leave_on_a_single_session_schedule() {
    let mut s = schedule(PunchMode::Daily);
    s.sessions = vec![Session {
        start: t(8, 0),
        end: t(17, 0),
    }];
    let morning_off = Some(LeaveCover::Half(HalfDay::Morning));
    let r = derive_day(
        date(),
        DayKind::Workday,
        &s,
        morning_off,
        &[],
        Progress::Closed,
    )
    .unwrap();
    assert_eq!(r.status, S::Absent, "the afternoon half is still due");
    let on_time = undirected(&[at(12, 25, 0), at(17, 0, 0)]);
    let r = derive_day(
        date(),
        DayKind::Workday,
        &s,
        morning_off,
        &on_time,
        Progress::Closed,
    )
    .unwrap();
    assert_eq!(
        r.status,
        S::Present,
        "due from 12:30, the middle of the session"
    );
    let late = undirected(&[at(13, 0, 0), at(17, 0, 0)]);
    let r = derive_day(
        date(),
        DayKind::Workday,
        &s,
        morning_off,
        &late,
        Progress::Closed,
    )
    .unwrap();
    assert_eq!((r.status, r.late_minutes), (S::Late, 30));
}

#[test]
fn open_day_is_not_judged_before_it_ends() {
    let open = |h, m| Progress::Open { now: at(h, m, 0) };
    let s = schedule(PunchMode::Daily);
    assert_eq!(
        derive_day(date(), DayKind::Workday, &s, None, &[], open(7, 30)),
        None,
        "before the late threshold"
    );
    let at_35_30 = Progress::Open { now: at(7, 35, 30) };
    assert_eq!(
        derive_day(date(), DayKind::Workday, &s, None, &[], at_35_30),
        None,
        "07:35:59 is still on time with 5 minutes' grace"
    );
    let r = derive_day(date(), DayKind::Workday, &s, None, &[], open(7, 36)).unwrap();
    assert_eq!(r.status, S::Absent, "not in at 07:36");
    let r = derive_day(date(), DayKind::Workday, &s, None, &[], open(8, 0)).unwrap();
    assert_eq!(r.status, S::Absent, "not in at 08:00");
    let arrived = undirected(&[at(7, 50, 0)]);
    let r = derive_day(date(), DayKind::Workday, &s, None, &arrived, open(9, 0)).unwrap();
    assert_eq!(
        (r.status, r.late_minutes),
        (S::Late, 20),
        "late, not incomplete, while the day runs"
    );
    let on_time = undirected(&[at(7, 20, 0)]);
    let r = derive_day(date(), DayKind::Workday, &s, None, &on_time, open(9, 0)).unwrap();
    assert_eq!(r.status, S::Present);
    let r = derive_day(date(), DayKind::Workday, &s, None, &on_time, open(17, 30)).unwrap();
    assert_eq!(r.status, S::Incomplete, "no departure after the day's end");
}

#[test]
fn leave_excuses_whole_or_half_days() {
    let s = schedule(PunchMode::Daily);
    let r = derive_day(
        date(),
        DayKind::Workday,
        &s,
        Some(LeaveCover::Full),
        &[],
        Progress::Closed,
    )
    .unwrap();
    assert_eq!(r.status, S::OnLeave);
    // Morning off: expected from 13:30.
    let afternoon = undirected(&[at(13, 25, 0), at(17, 0, 0)]);
    let r = derive_day(
        date(),
        DayKind::Workday,
        &s,
        Some(LeaveCover::Half(HalfDay::Morning)),
        &afternoon,
        Progress::Closed,
    )
    .unwrap();
    assert_eq!((r.status, r.worked_minutes), (S::Present, 210));
    // Afternoon off: expected until 11:30.
    let morning = undirected(&[at(7, 30, 0), at(11, 31, 0)]);
    let r = derive_day(
        date(),
        DayKind::Workday,
        &s,
        Some(LeaveCover::Half(HalfDay::Afternoon)),
        &morning,
        Progress::Closed,
    )
    .unwrap();
    assert_eq!(r.status, S::Present);
    let r = derive_day(
        date(),
        DayKind::Workday,
        &s,
        Some(LeaveCover::Half(HalfDay::Afternoon)),
        &[],
        Progress::Closed,
    )
    .unwrap();
    assert_eq!(
        r.status,
        S::Absent,
        "half a day of leave does not excuse the other half"
    );
}

#[test]
fn half_a_day_of_leave_on_three_sessions_takes_its_side_of_noon() {
    let sessions = |times: &[(u32, u32)]| Schedule {
        sessions: times
            .iter()
            .map(|(a, b)| Session {
                start: t(*a, 0),
                end: t(*b, 0),
            })
            .collect(),
        ..schedule(PunchMode::Daily)
    };
    let judge = |s: &Schedule, half: HalfDay, punches: &[NaiveDateTime]| {
        derive_day(
            date(),
            DayKind::Workday,
            s,
            Some(LeaveCover::Half(half)),
            &undirected(punches),
            Progress::Closed,
        )
        .unwrap()
        .status
    };
    // An evening session: the afternoon's leave excuses 13:00 and 18:00, the morning
    // is due.
    let evening = sessions(&[(7, 11), (13, 17), (18, 20)]);
    assert_eq!(
        judge(&evening, HalfDay::Afternoon, &[at(6, 55, 0), at(11, 0, 0)]),
        S::Present
    );
    // The morning's leave leaves 13:00 to 20:00 due.
    assert_eq!(
        judge(&evening, HalfDay::Morning, &[at(12, 55, 0), at(20, 0, 0)]),
        S::Present
    );
    assert_eq!(
        judge(&evening, HalfDay::Morning, &[at(12, 55, 0), at(17, 0, 0)]),
        S::EarlyLeave
    );
    // Two morning sessions: the morning's leave excuses both.
    let two_mornings = sessions(&[(7, 9), (10, 11), (13, 17)]);
    assert_eq!(
        judge(
            &two_mornings,
            HalfDay::Morning,
            &[at(13, 0, 0), at(17, 0, 0)]
        ),
        S::Present
    );
    assert_eq!(
        judge(
            &two_mornings,
            HalfDay::Afternoon,
            &[at(7, 0, 0), at(11, 0, 0)]
        ),
        S::Present
    );
    // Wholly before noon: halved by count.
    let early = sessions(&[(6, 8), (9, 11)]);
    assert_eq!(
        judge(&early, HalfDay::Morning, &[at(9, 0, 0), at(11, 0, 0)]),
        S::Present
    );
}

#[test]
fn per_session_punching_judges_each_session() {
    let s = schedule(PunchMode::PerSession);
    let punches = undirected(&[at(7, 40, 0), at(11, 30, 0), at(13, 45, 0), at(16, 30, 0)]);
    let r = derive_day(
        date(),
        DayKind::Workday,
        &s,
        None,
        &punches,
        Progress::Closed,
    )
    .unwrap();
    assert_eq!(r.status, S::LateAndEarlyLeave);
    assert_eq!(r.late_minutes, 10 + 15);
    assert_eq!(r.early_leave_minutes, 30);
    assert_eq!(r.worked_minutes, 230 + 165);
    let morning_only = undirected(&[at(7, 30, 0), at(11, 30, 0)]);
    let r = derive_day(
        date(),
        DayKind::Workday,
        &s,
        None,
        &morning_only,
        Progress::Closed,
    )
    .unwrap();
    assert_eq!(
        (r.status, r.early_leave_minutes, r.late_minutes),
        (S::EarlyLeave, 210, 0),
        "the afternoon was not punched: left at lunch"
    );
    let afternoon_only = undirected(&[at(13, 30, 0), at(17, 0, 0)]);
    let r = derive_day(
        date(),
        DayKind::Workday,
        &s,
        None,
        &afternoon_only,
        Progress::Closed,
    )
    .unwrap();
    assert_eq!(
        (r.status, r.late_minutes, r.early_leave_minutes),
        (S::Late, 240, 0),
        "the morning was not punched: came in after lunch"
    );
    // 07:30 and 17:00 only, at the lunch break nothing: each session lacks one punch,
    // and the 17:00 punch is the afternoon's departure, not an arrival 210 minutes late.
    let r = derive_day(
        date(),
        DayKind::Workday,
        &s,
        None,
        &undirected(&[at(7, 30, 0), at(17, 0, 0)]),
        Progress::Closed,
    )
    .unwrap();
    assert_eq!(
        (r.status, r.late_minutes, r.early_leave_minutes),
        (S::Incomplete, 0, 0)
    );
    // A lone 17:05 (the other punches forgotten): the afternoon's departure, and the
    // morning is not charged, nobody knowing when they came. A lone 13:25 is the
    // afternoon's arrival, the morning missed: late by it, shown as arriving then.
    let one = |t: NaiveDateTime| {
        derive_day(
            date(),
            DayKind::Workday,
            &s,
            None,
            &undirected(&[t]),
            Progress::Closed,
        )
        .unwrap()
    };
    let r = one(at(17, 5, 0));
    assert_eq!(
        (r.status, r.late_minutes, r.first_in, r.last_out),
        (S::Incomplete, 0, None, Some(at(17, 5, 0)))
    );
    let r = one(at(13, 25, 0));
    assert_eq!(
        (r.status, r.late_minutes, r.first_in, r.last_out),
        (S::Incomplete, 240, Some(at(13, 25, 0)), None)
    );
    // A lone morning arrival: the afternoon is not charged either.
    let r = one(at(7, 28, 0));
    assert_eq!(
        (r.status, r.early_leave_minutes, r.first_in),
        (S::Incomplete, 0, Some(at(7, 28, 0)))
    );
    let r = derive_day(
        date(),
        DayKind::Workday,
        &s,
        None,
        &morning_only,
        Progress::Open { now: at(12, 0, 0) },
    )
    .unwrap();
    assert_eq!(r.status, S::Present, "the afternoon has not started");
}

#[test]
fn weekends_and_holidays_are_not_judged() {
    let s = schedule(PunchMode::Daily);
    let r = derive_day(date(), DayKind::Weekend, &s, None, &[], Progress::Closed).unwrap();
    assert_eq!(r.status, S::Weekend);
    let worked = undirected(&[at(8, 0, 0), at(10, 0, 0)]);
    let r = derive_day(
        date(),
        DayKind::Holiday,
        &s,
        None,
        &worked,
        Progress::Closed,
    )
    .unwrap();
    assert_eq!(
        (r.status, r.late_minutes, r.worked_minutes),
        (S::Holiday, 0, 120)
    );
    // Over lunch, the break is not counted, as on a working day; the hours outside the
    // schedule are.
    let all_day = undirected(&[at(6, 30, 0), at(18, 0, 0)]);
    let r = derive_day(
        date(),
        DayKind::Weekend,
        &s,
        None,
        &all_day,
        Progress::Closed,
    )
    .unwrap();
    let lunch = (t(13, 30) - t(11, 30)).num_minutes();
    assert_eq!(r.worked_minutes, 11 * 60 + 30 - lunch);
}

#[test]
fn tet_and_a_compensatory_saturday() {
    let s = schedule(PunchMode::Daily);
    let tet = NaiveDate::from_ymd_opt(2026, 2, 17).unwrap();
    let saturday = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
    let entries = [
        Entry {
            date: tet,
            kind: CalendarKind::Holiday,
            name: "Tết Nguyên đán".into(),
            province_id: None,
        },
        Entry {
            date: saturday,
            kind: CalendarKind::Workday,
            name: "Làm bù".into(),
            province_id: None,
        },
    ];
    let kind = day_kind(tet, &s.weekdays, &entries);
    let r = derive_day(tet, kind, &s, None, &[], Progress::Closed).unwrap();
    assert_eq!(r.status, S::Holiday, "no absence on Tết");
    let kind = day_kind(saturday, &s.weekdays, &entries);
    let r = derive_day(saturday, kind, &s, None, &[], Progress::Closed).unwrap();
    assert_eq!(
        r.status,
        S::Absent,
        "the compensatory Saturday is a working day"
    );
}

#[test]
fn local_dates_and_midnight() {
    // 23:30 UTC is 06:30 the next morning in Vietnam.
    let utc = NaiveDate::from_ymd_opt(2026, 3, 3)
        .unwrap()
        .and_hms_opt(23, 30, 0)
        .unwrap();
    let local = to_local(utc);
    assert_eq!(local, at(6, 30, 0));
    assert_eq!(to_utc(local), utc);
    // Events of another local date are not this day's.
    let r = day(&undirected(&[
        at(7, 30, 0),
        NaiveDate::from_ymd_opt(2026, 3, 5)
            .unwrap()
            .and_hms_opt(0, 5, 0)
            .unwrap(),
    ]));
    assert_eq!(r.status, S::Incomplete);
    let (start, end) = utc_range(date(), date());
    assert_eq!(
        start,
        NaiveDate::from_ymd_opt(2026, 3, 3)
            .unwrap()
            .and_hms_opt(17, 0, 0)
            .unwrap()
    );
    assert_eq!(
        end - start,
        chrono::Duration::hours(24),
        "no DST in Asia/Ho_Chi_Minh"
    );
}

#[test]
fn session_rules() {
    assert!(sessions_problem(&schedule(PunchMode::Daily).sessions).is_none());
    assert!(sessions_problem(&[]).is_some());
    assert!(
        sessions_problem(&[Session {
            start: t(9, 0),
            end: t(8, 0)
        }])
        .is_some()
    );
    let overlapping = [
        Session {
            start: t(7, 0),
            end: t(12, 0),
        },
        Session {
            start: t(11, 0),
            end: t(17, 0),
        },
    ];
    assert!(sessions_problem(&overlapping).is_some());
}

fn punch_strategy() -> impl Strategy<Value = Punch> {
    (0u32..24, 0u32..60, 0u32..60, 0u8..3).prop_map(|(h, m, s, d)| Punch {
        at: at(h, m, s),
        direction: match d {
            0 => None,
            1 => Some(Direction::In),
            _ => Some(Direction::Out),
        },
    })
}

proptest! {
    /// The record depends only on the set of events: any order, any duplicates.
    #[test]
    fn order_and_duplicates_do_not_matter(
        punches in prop::collection::vec(punch_strategy(), 0..12),
        order in prop::collection::vec(any::<prop::sample::Index>(), 0..24),
        per_session in any::<bool>(),
        open_at in prop::option::of(0u32..24),
    ) {
        let mode = if per_session { PunchMode::PerSession } else { PunchMode::Daily };
        let s = schedule(mode);
        let progress = match open_at {
            Some(h) => Progress::Open { now: at(h, 0, 0) },
            None => Progress::Closed,
        };
        let base = derive_day(date(), DayKind::Workday, &s, None, &punches, progress);
        // Rearranged: a permutation picked by `order`, with picked events repeated.
        let mut shuffled = punches.clone();
        shuffled.reverse();
        if !punches.is_empty() {
            for index in &order {
                shuffled.push(punches[index.index(punches.len())]);
                let i = index.index(shuffled.len());
                shuffled.swap(0, i);
            }
        }
        prop_assert_eq!(derive_day(date(), DayKind::Workday, &s, None, &shuffled, progress), base);
    }
}

/// A date change re-derives the recent window, or back to the earliest date that moved,
/// within two years.
#[test]
fn a_moved_date_widens_the_rederived_days() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d);
    let recent = today - chrono::Duration::days(62);
    // Nothing moved, or a unit change only: the recent window.
    assert_eq!(
        dates_rederive_from((None, None), (None, None), None, today, 62),
        recent
    );
    // A departure recorded four months late.
    assert_eq!(
        dates_rederive_from((None, None), (None, day(8, 1)), None, today, 62),
        day(8, 1).unwrap()
    );
    // A departure date corrected from August to November: from August.
    assert_eq!(
        dates_rederive_from((None, day(8, 1)), (None, day(11, 20)), None, today, 62),
        day(8, 1).unwrap()
    );
    // A joining date moved later, from January to March.
    assert_eq!(
        dates_rederive_from((day(1, 5), None), (day(3, 1), None), None, today, 62),
        day(1, 5).unwrap()
    );
    // A recent change stays within the window; an ancient one stops at two years.
    assert_eq!(
        dates_rederive_from((None, None), (None, day(11, 30)), None, today, 62),
        recent
    );
    // A joining date set where there was none: the violations registered before it go,
    // from the first the register holds; days never registered stay unjudged, and the
    // days after it, in service before and after, are not judged again.
    assert_eq!(
        dates_rederive_from((None, None), (day(3, 2), None), day(1, 5), today, 62),
        day(1, 5).unwrap()
    );
    assert_eq!(
        dates_rederive_from((None, None), (day(3, 2), None), None, today, 62),
        recent
    );
    assert_eq!(
        dates_rederive_from((None, None), (day(3, 2), None), day(4, 1), today, 62),
        recent
    );
    let joined_2015 = NaiveDate::from_ymd_opt(2015, 3, 1);
    assert_eq!(
        dates_rederive_from((None, None), (joined_2015, None), day(10, 1), today, 62),
        recent
    );
    let long_ago = NaiveDate::from_ymd_opt(2015, 1, 1);
    assert_eq!(
        dates_rederive_from((long_ago, None), (None, None), None, today, 62),
        today - chrono::Duration::days(DATES_BACK_DAYS)
    );
}

/// A person's days are judged from the latest of the range's start, their joining day and
/// their province's go-live.
#[test]
fn days_before_go_live_or_joining_are_not_judged() {
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    assert_eq!(first_judged(day(1, 1), None, None), day(1, 1));
    assert_eq!(first_judged(day(1, 1), Some(day(3, 2)), None), day(3, 2));
    assert_eq!(first_judged(day(1, 1), None, Some(day(6, 1))), day(6, 1));
    assert_eq!(
        first_judged(day(1, 1), Some(day(3, 2)), Some(day(6, 1))),
        day(6, 1)
    );
    assert_eq!(
        first_judged(day(7, 1), Some(day(3, 2)), Some(day(6, 1))),
        day(7, 1)
    );
}

/// A record entered after go-live without a joining date is judged from the day after its
/// creation, and on that day or before it only on the days with a check-in.
#[test]
fn days_before_a_record_was_known_are_judged_only_with_a_check_in() {
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    assert!(
        known_on(day(3, 1), None, false),
        "no such date: judged as before"
    );
    assert!(!known_on(day(3, 1), Some(day(3, 2)), false));
    assert!(known_on(day(3, 1), Some(day(3, 2)), true));
    assert!(
        !known_on(day(3, 2), Some(day(3, 2)), false),
        "the day itself, entered during it: no absence"
    );
    assert!(
        known_on(day(3, 2), Some(day(3, 2)), true),
        "with a check-in"
    );
    assert!(known_on(day(3, 3), Some(day(3, 2)), false), "the day after");
}

/// Moving a province's go-live re-derives the days between the two, within two years.
#[test]
fn a_moved_go_live_rederives_the_days_between() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    let floor = today - chrono::Duration::days(DATES_BACK_DAYS);
    // Later: the days it stops judging; earlier: the days it starts judging.
    assert_eq!(
        start_moved_days(Some(day(10, 1)), day(11, 15), today),
        Some((day(10, 1), day(11, 14)))
    );
    assert_eq!(
        start_moved_days(Some(day(11, 15)), day(10, 1), today),
        Some((day(10, 1), day(11, 14)))
    );
    assert_eq!(start_moved_days(Some(day(10, 1)), day(10, 1), today), None);
    // Judged all along until now: everything before the new day, as far as two years.
    assert_eq!(
        start_moved_days(None, day(11, 15), today),
        Some((floor, day(11, 14)))
    );
    // Both older than two years: nothing left to re-derive.
    let ancient = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    assert_eq!(start_moved_days(None, ancient, today), None);
    assert_eq!(start_moved_days(Some(ancient), floor, today), None);
    // A day exactly on the floor moved one day later: that day alone.
    assert_eq!(
        start_moved_days(Some(floor), floor + chrono::Duration::days(1), today),
        Some((floor, floor))
    );
}
