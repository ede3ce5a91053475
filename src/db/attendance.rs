//! Derives attendance for many people over a range of days from stored events, schedules,
//! the calendar and leave, in a fixed number of queries whatever the number of people or
//! days, and keeps the violation register equal to the derivation for closed days.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{staff, units};
use super::staff::StaffRow;
use super::violations::{SyncStats, Wanted, sync_attendance};
use super::{calendar, checkins, leaves, moves, schedules};
use crate::domain::attendance::{
    DayRecord, Progress, Punch, derive_day, first_judged, known_on, to_local,
};
use crate::domain::calendar::{Entry, day_kind};
use crate::domain::codes::{AttendanceStatus, Direction, HalfDay, LeaveKind};
use crate::domain::leave::DayLeave;
use crate::domain::postings::{Earlier, unit_on};
use crate::domain::units::chain;

/// How far back a change to rules that apply to many days (a schedule, a unit's place in
/// the tree, a person's unit or dates) re-derives the register; the same window as the
/// close job's catch-up. Changes to single days (events, leave, calendar entries)
/// re-derive exactly those days.
pub const RETRO_DAYS: i64 = 62;

/// A person with the materialised path of their unit (which gives the units whose
/// schedules they inherit).
#[derive(Debug, Clone)]
pub struct Person {
    pub staff: StaffRow,
    pub unit_path: String,
}

/// The people with these staff ids.
pub fn people(conn: &mut AnyConnection, staff_ids: &[i64]) -> QueryResult<Vec<Person>> {
    let rows: Vec<(StaffRow, String)> = staff::table
        .inner_join(units::table)
        .filter(staff::id.eq_any(staff_ids))
        .select((StaffRow::as_select(), units::path))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(staff, unit_path)| Person { staff, unit_path })
        .collect())
}

/// Everyone whose unit lies in the subtree with this path.
pub fn people_below(conn: &mut AnyConnection, path: &str) -> QueryResult<Vec<Person>> {
    let (low, high) = crate::domain::units::subtree_range(path);
    let rows: Vec<(StaffRow, String)> = staff::table
        .inner_join(units::table)
        .filter(units::path.ge(low))
        .filter(units::path.lt(high))
        .order((units::path, staff::code))
        .select((StaffRow::as_select(), units::path))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(staff, unit_path)| Person { staff, unit_path })
        .collect())
}

/// Everyone who was in the subtree at `path` (or, with `only`, in that one unit of it) on
/// some day from `from` on: the people in it now, and those who have moved out of it
/// since (a unit's timesheet of a past month, a schedule change that reaches back past a
/// transfer).
pub fn people_ever_below(
    conn: &mut AnyConnection,
    path: &str,
    only: Option<i64>,
    from: NaiveDate,
) -> QueryResult<Vec<Person>> {
    let mut found = people_below(conn, path)?;
    if let Some(unit) = only {
        found.retain(|p| p.staff.unit_id == unit);
    }
    let known: std::collections::HashSet<i64> = found.iter().map(|p| p.staff.id).collect();
    let gone: Vec<i64> = moves::left_after(conn, path, only, from)?
        .into_iter()
        .filter(|id| !known.contains(id))
        .collect();
    for chunk in gone.chunks(PEOPLE_AT_ONCE) {
        found.extend(people(conn, chunk)?);
    }
    Ok(found)
}

/// One derived day of one person.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    pub staff_id: i64,
    /// The unit the person was in that day, whose schedule judged it.
    pub unit_id: i64,
    pub record: DayRecord,
    /// The approved leave on the day, if any: its kinds by half (for timesheets).
    pub leave: Option<DayLeave>,
}

/// People derived together: their ids go into IN lists (SQLite takes at most 32 766
/// values in a statement, and a province has up to 50 000 people), and their events are
/// held in memory at once.
const PEOPLE_AT_ONCE: usize = 1000;

/// Derives every person's days in `from..=to` that have started by `now` (local time).
/// Days outside a person's employment, before their province's first day of judged
/// attendance, or with no schedule in force for their unit or any unit above it, have no
/// record.
pub fn derive(
    conn: &mut AnyConnection,
    people: &[Person],
    from: NaiveDate,
    to: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<Vec<Derived>> {
    let mut out = Vec::new();
    for chunk in people.chunks(PEOPLE_AT_ONCE) {
        out.extend(derive_some(conn, chunk, from, to, now)?);
    }
    Ok(out)
}

fn derive_some(
    conn: &mut AnyConnection,
    people: &[Person],
    from: NaiveDate,
    to: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<Vec<Derived>> {
    let today = now.date();
    let to = to.min(today);
    if people.is_empty() || from > to {
        return Ok(Vec::new());
    }
    let staff_ids: Vec<i64> = people.iter().map(|p| p.staff.id).collect();
    // Only someone who came into their present unit after `from` has days in the range
    // under an earlier one; for everybody else no move is read.
    let earlier = if people.iter().any(|p| !p.staff.in_present_unit_on(from)) {
        moves::earlier_of(conn, &staff_ids)?
    } else {
        HashMap::new()
    };
    let mut unit_ids: Vec<i64> = people
        .iter()
        .flat_map(|p| chain(&p.unit_path))
        .chain(earlier.values().flatten().flat_map(|e| chain(&e.unit.path)))
        .collect();
    unit_ids.sort_unstable();
    unit_ids.dedup();
    let mut provinces: Vec<i64> = people.iter().map(|p| p.staff.province_id).collect();
    provinces.sort_unstable();
    provinces.dedup();
    let go_live = super::units::attendance_starts(conn, &provinces)?;

    let mut schedules_by_unit: HashMap<i64, Vec<schedules::ScheduleRow>> = HashMap::new();
    for s in schedules::for_units_in(conn, &unit_ids, from, to)? {
        schedules_by_unit.entry(s.unit_id).or_default().push(s);
    }
    let entries: Vec<Entry> = calendar::entries_in(conn, &provinces, from, to)?
        .iter()
        .map(|r| r.entry())
        .collect();
    let mut leave_by_staff: HashMap<i64, Vec<leaves::LeaveRow>> = HashMap::new();
    for l in leaves::approved_in(conn, &staff_ids, from, to)? {
        leave_by_staff.entry(l.staff_id).or_default().push(l);
    }
    let mut punches: HashMap<(i64, NaiveDate), Vec<Punch>> = HashMap::new();
    for c in checkins::valid_in(conn, &staff_ids, from, to)? {
        let at = to_local(c.at);
        punches
            .entry((c.staff_id, at.date()))
            .or_default()
            .push(Punch {
                at,
                direction: c.direction.as_deref().and_then(Direction::parse),
            });
    }

    let mut out = Vec::new();
    let mut entries_of: HashMap<i64, Vec<Entry>> = HashMap::new();
    for person in people {
        let s = &person.staff;
        let province_entries = entries_of.entry(s.province_id).or_insert_with(|| {
            entries
                .iter()
                .filter(|e| e.province_id.is_none_or(|p| p == s.province_id))
                .cloned()
                .collect()
        });
        // Each unit the person has been in, with the units above it, nearest first.
        let current = (s.unit_id, chain(&person.unit_path));
        let spells: Vec<Earlier<(i64, Vec<i64>)>> = earlier
            .get(&s.id)
            .into_iter()
            .flatten()
            .map(|e| Earlier {
                until: e.until,
                unit: (e.unit.unit_id, chain(&e.unit.path)),
            })
            .collect();
        let start = first_judged(from, s.joined_on, go_live.get(&s.province_id).copied());
        let end = s.left_on.map_or(to, |l| l.min(to));
        for day in start.iter_days().take_while(|d| *d <= end) {
            // A whole day's leave: half a day's would judge the other half absent.
            let on_leave = || {
                leave_by_staff.get(&s.id).is_some_and(|ls| {
                    ls.iter()
                        .any(|l| l.from_date <= day && day <= l.to_date && l.half_day.is_none())
                })
            };
            if !known_on(
                day,
                s.known_from,
                punches.contains_key(&(s.id, day)) || on_leave(),
            ) {
                continue;
            }
            let (unit_id, units) = unit_on(&spells, &current, day);
            let schedule = units.iter().find_map(|u| {
                schedules_by_unit
                    .get(u)?
                    .iter()
                    .filter(|r| r.covers(day))
                    .max_by_key(|r| r.valid_from)
            });
            let Some(schedule) = schedule.map(|r| r.schedule()) else {
                continue;
            };
            let kind = day_kind(day, &schedule.weekdays, province_entries);
            // A day may have two half-day leaves, one a half.
            let day_leave = DayLeave::of(
                leave_by_staff
                    .get(&s.id)
                    .into_iter()
                    .flatten()
                    .filter(|l| l.from_date <= day && day <= l.to_date)
                    .map(|l| {
                        (
                            LeaveKind::parse(&l.kind).unwrap_or(LeaveKind::Other),
                            l.half_day.as_deref().and_then(HalfDay::parse),
                        )
                    }),
            );
            let leave = day_leave.map(DayLeave::cover);
            let progress = if day < today {
                Progress::Closed
            } else {
                Progress::Open { now }
            };
            let day_punches = punches.get(&(s.id, day)).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(record) = derive_day(day, kind, &schedule, leave, day_punches, progress) {
                out.push(Derived {
                    staff_id: s.id,
                    unit_id: *unit_id,
                    record,
                    leave: day_leave,
                });
            }
        }
    }
    Ok(out)
}

/// On PostgreSQL, serialises re-derivations per province (advisory lock class 2, held to
/// the end of the transaction). Without it two transactions adding the arrival and the
/// departure of the same day would each derive without the other's event and the last
/// to commit would decide the register. Provinces are locked in id order, so two
/// transactions never wait on each other in a circle. SQLite serialises every write anyway.
pub fn lock_attendance(conn: &mut AnyConnection, people: &[Person]) -> QueryResult<()> {
    let mut provinces: Vec<i64> = people.iter().map(|p| p.staff.province_id).collect();
    provinces.sort_unstable();
    provinces.dedup();
    for p in provinces {
        super::advisory_lock(conn, super::LockClass::Attendance, p)?;
    }
    Ok(())
}

/// The violations a closed day's record stands for, in the register of the unit the
/// person was in that day.
pub fn violations_of(person: &StaffRow, d: &Derived) -> Vec<Wanted> {
    let r = &d.record;
    let minutes = |m: i64| Some(i32::try_from(m).unwrap_or(i32::MAX));
    let wanted = |code: &'static str, minutes: Option<i32>| Wanted {
        province_id: person.province_id,
        unit_id: d.unit_id,
        staff_id: person.id,
        code,
        day: r.date,
        minutes,
    };
    if r.status == AttendanceStatus::Absent {
        return vec![wanted("absent_no_reason", None)];
    }
    // Lateness and early departure count whatever else is wrong with the day: a missing
    // departure punch must not hide a late arrival.
    let mut out = Vec::new();
    if r.late_minutes > 0 {
        out.push(wanted("late", minutes(r.late_minutes)));
    }
    if r.early_leave_minutes > 0 {
        out.push(wanted("early_leave", minutes(r.early_leave_minutes)));
    }
    out
}

/// Re-derives `people` on `from..=to` and brings their attendance violations in line, for
/// the days already over at `now`. Called in the transaction of every change that can
/// alter those days: an event, a void, a leave decision, a calendar entry, a schedule.
pub fn rederive(
    conn: &mut AnyConnection,
    people: &[Person],
    from: NaiveDate,
    to: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<SyncStats> {
    let yesterday = now.date().pred_opt().unwrap_or(now.date());
    let to = to.min(yesterday);
    if people.is_empty() || from > to {
        return Ok(SyncStats::default());
    }
    lock_attendance(conn, people)?;
    let mut stats = SyncStats::default();
    // A thousand people at a time: bounded IN lists and bounded memory, for a province's
    // nightly close as for a year derived at once.
    for chunk in people.chunks(PEOPLE_AT_ONCE) {
        let records = derive_some(conn, chunk, from, to, now)?;
        let by_id: HashMap<i64, &StaffRow> = chunk.iter().map(|p| (p.staff.id, &p.staff)).collect();
        let wanted: Vec<Wanted> = records
            .iter()
            .filter_map(|d| by_id.get(&d.staff_id).map(|s| violations_of(s, d)))
            .flatten()
            .collect();
        let ids: Vec<i64> = chunk.iter().map(|p| p.staff.id).collect();
        let s = sync_attendance(conn, &ids, from, to, &wanted)?;
        stats.added += s.added;
        stats.removed += s.removed;
        stats.updated += s.updated;
        stats.added_staff.extend(s.added_staff);
    }
    // New violations may complete a repeat rule's count: its notice goes into the outbox
    // in this same transaction.
    if !stats.added_staff.is_empty() {
        super::notices::detect(conn, &stats.added_staff, super::now())?;
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::AttendanceStatus;

    fn person() -> StaffRow {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 3, 4)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        StaffRow {
            id: 7,
            province_id: 1,
            unit_id: 4,
            code: "X".into(),
            full_name: "X".into(),
            category: "cong_chuc".into(),
            position: None,
            email: None,
            is_head: false,
            joined_on: None,
            left_on: None,
            created_at: now,
            updated_at: now,
            unit_since: None,
            known_from: None,
        }
    }

    fn record(status: AttendanceStatus, late: i64, early: i64) -> DayRecord {
        DayRecord {
            date: chrono::NaiveDate::from_ymd_opt(2026, 3, 4).unwrap(),
            status,
            first_in: None,
            last_out: None,
            late_minutes: late,
            early_leave_minutes: early,
            worked_minutes: 0,
        }
    }

    #[test]
    fn a_missing_punch_does_not_hide_lateness() {
        let codes = |r: DayRecord| -> Vec<&'static str> {
            let d = Derived {
                staff_id: 7,
                unit_id: 9,
                record: r,
                leave: None,
            };
            violations_of(&person(), &d)
                .iter()
                .map(|w| w.code)
                .collect()
        };
        assert_eq!(
            codes(record(AttendanceStatus::Incomplete, 90, 0)),
            vec!["late"]
        );
        assert_eq!(
            codes(record(AttendanceStatus::LateAndEarlyLeave, 5, 6)),
            vec!["late", "early_leave"]
        );
        assert_eq!(
            codes(record(AttendanceStatus::Absent, 0, 0)),
            vec!["absent_no_reason"]
        );
        assert!(codes(record(AttendanceStatus::OnLeave, 0, 0)).is_empty());
        assert!(codes(record(AttendanceStatus::Present, 0, 0)).is_empty());
    }

    #[test]
    fn violations_go_to_the_unit_of_the_day() {
        let d = Derived {
            staff_id: 7,
            unit_id: 9,
            record: record(AttendanceStatus::Absent, 0, 0),
            leave: None,
        };
        assert_eq!(violations_of(&person(), &d)[0].unit_id, 9);
    }

    #[test]
    fn unit_chain_is_nearest_first() {
        assert_eq!(chain("/1/4/9/"), vec![9, 4, 1]);
        assert_eq!(chain("/1/"), vec![1]);
    }
}
