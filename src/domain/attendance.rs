//! Daily attendance, derived from check-in events, the schedule, the calendar and leave.
//! Everything here works on local time in Asia/Ho_Chi_Minh (UTC+7 all year, no DST);
//! callers convert stored UTC instants with [`to_local`].
//!
//! The result depends only on the set of events of the day: their order and duplicates do
//! not matter (see the property test), so events that arrive late or twice re-derive to
//! the same day.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};
use chrono_tz::Tz;

use super::calendar::DayKind;
use super::codes::{AttendanceStatus, Direction, HalfDay, PunchMode};

pub const TZ: Tz = chrono_tz::Asia::Ho_Chi_Minh;

/// A stored UTC instant as local wall-clock time.
pub fn to_local(utc: NaiveDateTime) -> NaiveDateTime {
    TZ.from_utc_datetime(&utc).naive_local()
}

/// The UTC instant of a local wall-clock time. Vietnam has had no DST since 1975, so every
/// local time maps to exactly one instant.
pub fn to_utc(local: NaiveDateTime) -> NaiveDateTime {
    match TZ.from_local_datetime(&local).earliest() {
        Some(t) => t.naive_utc(),
        None => local - Duration::hours(7),
    }
}

/// UTC bounds `[start, end)` of the local dates `from..=to`, for range queries.
pub fn utc_range(from: NaiveDate, to: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
    let start = to_utc(from.and_time(NaiveTime::MIN));
    let end = to_utc((to + Duration::days(1)).and_time(NaiveTime::MIN));
    (start, end)
}

/// How far back a change of a person's joining or leaving date re-derives at most: two
/// years hold every rating year still open.
pub const DATES_BACK_DAYS: i64 = 731;

/// The first day to re-derive when a person's (joining, leaving) dates go from `old` to
/// `new`: `retro_days` before `today` (the window a change of unit or schedule takes),
/// or the earliest of the dates that moved when that is older, so that a departure
/// recorded months late leaves no absences registered after it (nor a joining date moved
/// later any before it); never more than `DATES_BACK_DAYS`.
///
/// A joining date set where there was none changes the days before it only (no date
/// meant "in service all along"), and of those only the ones the register holds need
/// undoing: from `first_registered` (the person's first day in the register from
/// attendance) when that lies before the new date, else the recent window. Re-deriving
/// from the joining date itself, often years back, would judge days before the service
/// had anyone's check-ins (before go-live) and register every one as an absence.
pub fn dates_rederive_from(
    old: (Option<NaiveDate>, Option<NaiveDate>),
    new: (Option<NaiveDate>, Option<NaiveDate>),
    first_registered: Option<NaiveDate>,
    today: NaiveDate,
    retro_days: i64,
) -> NaiveDate {
    let moved = |a: Option<NaiveDate>, b: Option<NaiveDate>| {
        if a == b {
            None
        } else {
            a.into_iter().chain(b).min()
        }
    };
    let joined = match (old.0, new.0) {
        (None, Some(j)) => first_registered.filter(|f| *f < j),
        (a, b) => moved(a, b),
    };
    let recent = today - Duration::days(retro_days);
    let floor = today - Duration::days(DATES_BACK_DAYS);
    [joined, moved(old.1, new.1)]
        .into_iter()
        .flatten()
        .fold(recent, NaiveDate::min)
        .max(floor)
}

/// The first day of `from..` the register judges for a person: none before they joined,
/// nor before their province's first day of judged attendance (`province_start`, its
/// go-live: the days before it had no check-ins to judge).
pub fn first_judged(
    from: NaiveDate,
    joined_on: Option<NaiveDate>,
    province_start: Option<NaiveDate>,
) -> NaiveDate {
    [joined_on, province_start]
        .into_iter()
        .flatten()
        .fold(from, NaiveDate::max)
}

/// Whether the register judges `day` for a person whose record was created on
/// `known_from`, after their province's go-live: every day after it, and the day itself
/// or one before only when something was recorded for it (`recorded`: a check-in, an
/// approved leave). A day without either is no absence: nobody could check in as
/// someone the service did not know yet, and on the day a record is entered (at 14:00,
/// say) the person was not yet on the kiosk. Before, that day was an absence.
pub fn known_on(day: NaiveDate, known_from: Option<NaiveDate>, recorded: bool) -> bool {
    recorded || known_from.is_none_or(|first| day > first)
}

/// The days `[first, last]` a province's first day of judged attendance moving from `old`
/// (None: judged all along) to `new` turns judging on or off, none older than
/// `DATES_BACK_DAYS` before `today` (re-deriving them brings the register in line); None
/// when no such day is left.
pub fn start_moved_days(
    old: Option<NaiveDate>,
    new: NaiveDate,
    today: NaiveDate,
) -> Option<(NaiveDate, NaiveDate)> {
    let floor = today - Duration::days(DATES_BACK_DAYS);
    let old = old.unwrap_or(floor).max(floor);
    let new = new.max(floor);
    let first = old.min(new);
    let last = old.max(new) - Duration::days(1);
    (first <= last).then_some((first, last))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Session {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// ISO weekdays worked, 1 = Monday.
    pub weekdays: Vec<u8>,
    /// Sessions of a working day, in order, not overlapping.
    pub sessions: Vec<Session>,
    pub grace_minutes: i64,
    pub punch_mode: PunchMode,
}

/// Why a schedule's sessions are unusable, if they are.
pub fn sessions_problem(sessions: &[Session]) -> Option<&'static str> {
    if sessions.is_empty() {
        return Some("needs at least one session");
    }
    if sessions.iter().any(|s| s.start >= s.end) {
        return Some("each session must end after it starts");
    }
    if sessions.windows(2).any(|w| w[1].start < w[0].end) {
        return Some("sessions must be in order and must not overlap");
    }
    None
}

/// Parses a clock time `HH:MM`.
pub fn parse_clock(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

/// Sessions as stored: `07:30-11:30,13:30-17:00`.
pub fn format_sessions(sessions: &[Session]) -> String {
    sessions
        .iter()
        .map(|s| format!("{}-{}", s.start.format("%H:%M"), s.end.format("%H:%M")))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn parse_sessions(s: &str) -> Option<Vec<Session>> {
    s.split(',')
        .map(|part| {
            let (start, end) = part.split_once('-')?;
            Some(Session {
                start: parse_clock(start)?,
                end: parse_clock(end)?,
            })
        })
        .collect()
}

/// Weekdays as stored: `1,2,3,4,5`.
pub fn format_weekdays(days: &[u8]) -> String {
    days.iter().map(u8::to_string).collect::<Vec<_>>().join(",")
}

pub fn parse_weekdays(s: &str) -> Vec<u8> {
    s.split(',').filter_map(|d| d.trim().parse().ok()).collect()
}

/// One check-in event, in local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Punch {
    pub at: NaiveDateTime,
    pub direction: Option<Direction>,
}

/// Approved leave on a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveCover {
    Full,
    Half(HalfDay),
}

/// Whether the day is over (its record is final) or still running at local time `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Closed,
    Open { now: NaiveDateTime },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRecord {
    pub date: NaiveDate,
    pub status: AttendanceStatus,
    /// Local time of the arrival and of the departure.
    pub first_in: Option<NaiveDateTime>,
    pub last_out: Option<NaiveDateTime>,
    pub late_minutes: i64,
    pub early_leave_minutes: i64,
    pub worked_minutes: i64,
}

fn floor_minute(t: NaiveDateTime) -> NaiveDateTime {
    t.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
}

fn ceil_minute(t: NaiveDateTime) -> NaiveDateTime {
    let floor = floor_minute(t);
    if floor == t {
        t
    } else {
        floor + Duration::minutes(1)
    }
}

/// Events without a direction this close after the arrival are the same tap twice (a
/// fingerprint reader's double read), not a departure.
const DOUBLE_TAP: Duration = Duration::minutes(2);

/// Arrival and departure among punches sorted by time, for the expected stretch
/// `start..end`. The arrival is the earliest event that is not an "out" (a device that
/// sends no direction: its first event); the departure the latest that is not an "in"
/// and comes after the arrival (an undirected one more than `DOUBLE_TAP` after it). A
/// check-in after that departure means the person came back and has not left: no
/// departure. A lone event without a direction in the second half of the stretch is the
/// departure, the arrival unpunched: read as an arrival, a forgotten morning punch made
/// the 17:00 punch 9½ hours late.
fn arrival_departure(
    punches: &[Punch],
    (start, end): (NaiveDateTime, NaiveDateTime),
) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    let arrival = punches.iter().find(|p| p.direction != Some(Direction::Out));
    let last_in = punches
        .iter()
        .rev()
        .find(|p| p.direction == Some(Direction::In))
        .map(|p| p.at);
    let departure = punches
        .iter()
        .rev()
        .find(|p| p.direction != Some(Direction::In))
        .filter(|d| {
            arrival.is_none_or(|a| match d.direction {
                None => d.at > a.at + DOUBLE_TAP,
                Some(_) => d.at > a.at,
            })
        })
        .map(|p| p.at)
        .filter(|d| last_in.is_none_or(|i| i < *d));
    let lone = arrival.filter(|a| {
        punches
            .iter()
            .all(|p| p.direction.is_none() && p.at <= a.at + DOUBLE_TAP)
    });
    match lone {
        Some(a) if a.at >= start + (end - start) / 2 => (None, Some(a.at)),
        _ => (arrival.map(|p| p.at), departure),
    }
}

fn minutes(d: Duration) -> i64 {
    d.num_minutes().max(0)
}

/// Minutes of `[from, to]` that fall inside the session on `date`.
fn overlap(date: NaiveDate, s: &Session, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
    let start = from.max(date.and_time(s.start));
    let end = to.min(date.and_time(s.end));
    if end > start { minutes(end - start) } else { 0 }
}

/// What one stretch of expected work (a whole day, or one session) yields.
#[derive(Debug, Default)]
struct Stretch {
    late: i64,
    early: i64,
    worked: i64,
    missing: bool,
}

fn judge(
    date: NaiveDate,
    sessions: &[Session],
    punches: &[Punch],
    grace: i64,
    progress: Progress,
) -> Stretch {
    let (Some(first), Some(last)) = (sessions.first(), sessions.last()) else {
        return Stretch::default();
    };
    let start = date.and_time(first.start);
    let end = date.and_time(last.end);
    let grace = Duration::minutes(grace);
    let (arrival, departure) = arrival_departure(punches, (start, end));
    let mut out = Stretch::default();
    if let Some(a) = arrival.map(floor_minute)
        && a > start + grace
    {
        out.late = minutes(a - start);
    }
    if let Some(d) = departure.map(ceil_minute)
        && d < end - grace
    {
        out.early = minutes(end - d);
    }
    if let (Some(a), Some(d)) = (arrival, departure) {
        out.worked = sessions.iter().map(|s| overlap(date, s, a, d)).sum();
    }
    let over = match progress {
        Progress::Closed => true,
        Progress::Open { now } => now >= end,
    };
    // No arrival (only "out" events, or no event in a session that is over), or no
    // departure once the stretch is over: the record cannot be complete.
    out.missing =
        (arrival.is_none() && (over || !punches.is_empty())) || (departure.is_none() && over);
    out
}

/// A session of a per-session day with no event at all, on a day with events in
/// another: once it is over, its whole length is late arrival (`Charge::Late`: the person
/// came in later) or early departure (`Charge::Early`: they left and did not come back),
/// as daily punching counts a day's missed start and end. Before, it made
/// the day `incomplete` (one punch without its pair) and cost nothing: someone who
/// punched the morning and went home had no violation and a full day on the timesheet.
fn missed(date: NaiveDate, s: &Session, charge: Option<Charge>, progress: Progress) -> Stretch {
    let (start, end) = (date.and_time(s.start), date.and_time(s.end));
    if matches!(progress, Progress::Open { now } if now < end) {
        return Stretch::default();
    }
    let length = minutes(end - start);
    match charge {
        Some(Charge::Early) => Stretch {
            early: length,
            ..Stretch::default()
        },
        Some(Charge::Late) => Stretch {
            late: length,
            ..Stretch::default()
        },
        // Unknown: the day is incomplete by the punch the other session lacks.
        None => Stretch::default(),
    }
}

/// What a missed session counts as.
#[derive(Debug, Clone, Copy)]
enum Charge {
    Late,
    Early,
}

/// Each session of `expected` with the events it owns: those up to halfway through the
/// breaks around it.
fn session_events(
    date: NaiveDate,
    expected: &[Session],
    punches: &[Punch],
) -> Vec<(Session, Vec<Punch>)> {
    let bounds: Vec<NaiveDateTime> = expected
        .windows(2)
        .map(|w| {
            let gap = date.and_time(w[1].start) - date.and_time(w[0].end);
            date.and_time(w[0].end) + gap / 2
        })
        .collect();
    expected
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let lower = i.checked_sub(1).map(|j| bounds[j]);
            let upper = bounds.get(i).copied();
            let mine = punches
                .iter()
                .filter(|p| lower.is_none_or(|l| p.at >= l) && upper.is_none_or(|u| p.at < u))
                .copied()
                .collect();
            (*s, mine)
        })
        .collect()
}

/// The sessions half a day of leave leaves due. The morning is the sessions that start
/// before noon, the afternoon those from noon on, however many each has (a timetable of
/// 07:00-09:00, 09:30-11:30 and 13:30-17:00 has a morning of two; one with an evening
/// session an afternoon of two). A timetable wholly on one side of noon is halved by
/// count, its first half the morning. Before, the morning was the first session alone
/// and the afternoon the last, so an afternoon's leave still expected 13:30 of a day
/// with an evening session.
fn left_by_half(sessions: &[Session], half: HalfDay) -> &[Session] {
    let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN);
    let before = sessions.iter().take_while(|s| s.start < noon).count();
    let split = match before {
        0 => sessions.len().div_ceil(2),
        n if n == sessions.len() => sessions.len().div_ceil(2),
        n => n,
    };
    match half {
        HalfDay::Morning => &sessions[split..],
        HalfDay::Afternoon => &sessions[..split],
    }
}

/// The attendance record of one person on one local date; None when there is nothing to
/// record yet (a working day still before its first session's late threshold, with no
/// event).
pub fn derive_day(
    date: NaiveDate,
    kind: DayKind,
    schedule: &Schedule,
    leave: Option<LeaveCover>,
    punches: &[Punch],
    progress: Progress,
) -> Option<DayRecord> {
    let mut punches: Vec<Punch> = punches
        .iter()
        .filter(|p| p.at.date() == date)
        .copied()
        .collect();
    punches.sort();
    punches.dedup();
    // With a single session, half a day of leave takes half of it.
    let split: Vec<Session>;
    let sessions: &[Session] = match (leave, schedule.sessions.as_slice()) {
        (Some(LeaveCover::Half(_)), [only]) => {
            let middle = only.start + (only.end - only.start) / 2;
            split = vec![
                Session {
                    start: only.start,
                    end: middle,
                },
                Session {
                    start: middle,
                    end: only.end,
                },
            ];
            &split
        }
        _ => &schedule.sessions,
    };
    let expected: &[Session] = match leave {
        None => sessions,
        Some(LeaveCover::Full) => &[],
        Some(LeaveCover::Half(half)) => left_by_half(sessions, half),
    };
    // The day's arrival and departure as the stretch due reads them (the whole
    // timetable's on a day with nothing due).
    let due = if expected.is_empty() {
        &schedule.sessions
    } else {
        expected
    };
    let stretch = match (due.first(), due.last()) {
        (Some(f), Some(l)) => (date.and_time(f.start), date.and_time(l.end)),
        _ => (date.and_time(NaiveTime::MIN), date.and_time(NaiveTime::MIN)),
    };
    // With per-session punching, each session's own events, read as that session reads
    // them (events up to halfway through the breaks around it).
    let own_events: Vec<(Session, Vec<Punch>)> = if schedule.punch_mode == PunchMode::PerSession {
        session_events(date, expected, &punches)
    } else {
        Vec::new()
    };
    let read: Vec<(Option<NaiveDateTime>, Option<NaiveDateTime>)> = own_events
        .iter()
        .map(|(s, mine)| arrival_departure(mine, (date.and_time(s.start), date.and_time(s.end))))
        .collect();
    // The day's arrival and departure as its judgement reads them: per session, the first
    // session's arrival and the last one's departure.
    let (first_in, last_out) = if read.is_empty() {
        arrival_departure(&punches, stretch)
    } else {
        (
            read.iter().find_map(|(a, _)| *a),
            read.iter().rev().find_map(|(_, d)| *d),
        )
    };
    let record = |status, late, early, worked| DayRecord {
        date,
        status,
        first_in,
        last_out,
        late_minutes: late,
        early_leave_minutes: early,
        worked_minutes: worked,
    };
    // A day off worked counts the time between arrival and departure less the breaks the
    // schedule keeps between its sessions (lunch), as a working day's hours do.
    let span = match (first_in, last_out) {
        (Some(a), Some(d)) => {
            let breaks: i64 = schedule
                .sessions
                .windows(2)
                .map(|w| {
                    let gap = Session {
                        start: w[0].end,
                        end: w[1].start,
                    };
                    overlap(date, &gap, a, d)
                })
                .sum();
            minutes(d - a) - breaks
        }
        _ => 0,
    };
    match kind {
        DayKind::Weekend => return Some(record(AttendanceStatus::Weekend, 0, 0, span)),
        DayKind::Holiday => return Some(record(AttendanceStatus::Holiday, 0, 0, span)),
        DayKind::Workday => {}
    }
    let (Some(first), Some(_)) = (expected.first(), expected.last()) else {
        return Some(record(AttendanceStatus::OnLeave, 0, 0, 0));
    };
    if punches.is_empty() {
        // Arrivals count by the minute: with 5 minutes' grace 07:35:59 is still on time,
        // so nobody is absent so far before 07:36.
        let threshold = date.and_time(first.start) + Duration::minutes(schedule.grace_minutes + 1);
        return match progress {
            Progress::Open { now } if now < threshold => None,
            _ => Some(record(AttendanceStatus::Absent, 0, 0, 0)),
        };
    }
    let stretches: Vec<Stretch> = match schedule.punch_mode {
        PunchMode::Daily => vec![judge(
            date,
            expected,
            &punches,
            schedule.grace_minutes,
            progress,
        )],
        PunchMode::PerSession => own_events
            .iter()
            .enumerate()
            .map(|(i, (s, mine))| {
                if !mine.is_empty() {
                    return judge(
                        date,
                        std::slice::from_ref(s),
                        mine,
                        schedule.grace_minutes,
                        progress,
                    );
                }
                // A missed session is charged only where the punched ones say which: early
                // after a session left with a departure, late before one begun with an
                // arrival. Next to a session missing that punch (a lone 17:05, the
                // morning's punches forgotten), nobody knows when they came or went.
                let punched = |j: &usize| !own_events[*j].1.is_empty();
                let charge = match (0..i).rev().find(punched) {
                    Some(before) => read[before].1.map(|_| Charge::Early),
                    None => (i + 1..own_events.len())
                        .find(punched)
                        .and_then(|after| read[after].0.map(|_| Charge::Late)),
                };
                missed(date, s, charge, progress)
            })
            .collect(),
    };
    let late: i64 = stretches.iter().map(|s| s.late).sum();
    let early: i64 = stretches.iter().map(|s| s.early).sum();
    let worked: i64 = stretches.iter().map(|s| s.worked).sum();
    let status = if stretches.iter().any(|s| s.missing) {
        AttendanceStatus::Incomplete
    } else {
        match (late > 0, early > 0) {
            (true, true) => AttendanceStatus::LateAndEarlyLeave,
            (true, false) => AttendanceStatus::Late,
            (false, true) => AttendanceStatus::EarlyLeave,
            (false, false) => AttendanceStatus::Present,
        }
    };
    Some(record(status, late, early, worked))
}

#[cfg(test)]
mod tests;
