//! Writes a generated province-year: the tree and staff in bulk, then one transaction per
//! day of check-ins and dossiers — PostgreSQL `COPY` (binary) for the event rows,
//! multi-row inserts on SQLite — with a progress bar. Seed rows are not audited one by
//! one; the load is audited as one entry, like the demo's.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::{Scale, UnitSpec, day_events, desk_dossiers, inspections, name, units};
use crate::db::checkins::NewCheckin;
use crate::db::dossiers::{NewDossier, NewStep};
use crate::db::schema::{dossier_steps, dossiers, staff};
use crate::db::surveys::NewSurvey;
use crate::db::units::UnitRow;
use crate::db::{AnyConnection, Db, calendar};
use crate::demo::DemoError;
use crate::demo::activity;
use crate::domain::attendance::{to_local, to_utc};
use crate::domain::calendar::{DayKind, day_kind};

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Loaded {
    pub already_loaded: bool,
    pub units: usize,
    pub staff: usize,
    pub checkins: u64,
    pub dossiers: u64,
    pub steps: u64,
    pub surveys: u64,
    pub inspections: u64,
    pub findings: u64,
    /// Entries of the violation register derived from the generated days.
    pub violations: u64,
}

#[derive(Insertable)]
#[diesel(table_name = staff)]
struct NewStaff {
    province_id: i64,
    unit_id: i64,
    code: String,
    full_name: String,
    category: &'static str,
    is_head: bool,
    joined_on: Option<NaiveDate>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// The tree's rows and the staff as (staff id, unit id), in plan order.
type Setup = (Vec<UnitRow>, Vec<(i64, i64)>);

/// Rows per multi-row statement on SQLite (its limit is 32 766 bound values).
const SQLITE_ROWS: usize = 2_000;

/// Loads the province-year into an empty database (one generated province per database;
/// a second run changes nothing). `progress` is told each day written.
pub fn load(db: &Db, scale: Scale, progress: &dyn Fn(u64, &Loaded)) -> Result<Loaded, DemoError> {
    let today = to_local(crate::db::now()).date();
    let from = today - Duration::days(scale.days);
    // What is finished, concluded or explained is judged as of today's first minute, not
    // the moment each day is written: two loads on the same day, on either database, make
    // the same province (a dossier finishing at 14:00 yesterday was finished or not by
    // when the load reached that day before).
    let as_of = today.and_time(chrono::NaiveTime::MIN);
    let plan = units(scale.staff);
    let setup = db.write(|c| -> Result<Option<Setup>, DemoError> {
        if !crate::db::units::find_by_code(c, super::ROOT_CODE)?.is_empty() {
            return Ok(None);
        }
        let rows = insert_units(c, &plan)?;
        let people = insert_staff(c, &plan, &rows, from)?;
        let root = &rows[0];
        crate::demo::insert_timetables(c, root, today, Some(from))?;
        Ok(Some((rows, people)))
    })?;
    let Some((rows, people)) = setup else {
        return Ok(Loaded {
            already_loaded: true,
            ..Loaded::default()
        });
    };
    let mut done = Loaded {
        units: rows.len(),
        staff: people.len(),
        ..Loaded::default()
    };
    let timetables = activity::schedules(today);
    let mut entries = Vec::new();
    for year in from.year()..=today.year() {
        entries.extend(activity::calendar(year));
    }
    // Days off, holidays and Tết are in the calendar the derivation reads.
    db.write(|c| -> Result<(), DemoError> {
        for e in &entries {
            calendar::upsert(c, None, None, e.date, e.kind, &e.name)?;
        }
        Ok(())
    })?;
    let desks: Vec<(usize, &UnitRow)> = plan
        .iter()
        .zip(&rows)
        .enumerate()
        .filter(|(_, (spec, _))| spec.desk)
        .map(|(i, (_, row))| (i, row))
        .collect();
    // Handlers of a desk's dossiers: the people of the desk's unit and those below it.
    let paths: std::collections::HashMap<i64, &str> =
        rows.iter().map(|r| (r.id, r.path.as_str())).collect();
    let handlers: Vec<Vec<(i64, i64)>> = desks
        .iter()
        .map(|(_, desk)| {
            people
                .iter()
                .copied()
                .filter(|(_, unit)| {
                    paths
                        .get(unit)
                        .is_some_and(|p| crate::domain::units::in_subtree(p, &desk.path))
                })
                .collect()
        })
        .collect();
    // The units inspectors visit, with their members (head first, as inserted).
    let mut members: std::collections::HashMap<i64, Vec<i64>> = Default::default();
    for (staff_id, unit) in &people {
        members.entry(*unit).or_default().push(*staff_id);
    }
    let targets: Vec<(&UnitRow, &[i64])> = rows
        .iter()
        .filter_map(|r| members.get(&r.id).map(|m| (r, m.as_slice())))
        .collect();
    // A few visits a working day at full scale: some 750 a year.
    let visits_per_day = (scale.staff as u64 / 15_000).max(1);
    // About 2 million steps a year at full scale: ~2 700 dossiers of ~3 steps a working day.
    let per_desk = (scale.staff as u64 * 2_700 / 50_000 / desks.len().max(1) as u64).max(1);
    for (n, day) in from.iter_days().take_while(|d| *d < today).enumerate() {
        let Some(tt) = timetables
            .iter()
            .find(|t| t.valid_from <= day && t.valid_to.is_none_or(|to| day <= to))
            .or(timetables.first())
        else {
            continue;
        };
        if day_kind(day, &[1, 2, 3, 4, 5], &entries) != DayKind::Workday {
            progress(n as u64 + 1, &done);
            continue;
        }
        let (Some(first), Some(last)) = (tt.sessions.first(), tt.sessions.last()) else {
            continue;
        };
        let created = crate::db::now();
        let events: Vec<NewCheckin> = day_events(
            people.len(),
            day.and_time(first.start),
            day.and_time(last.end),
            (tt.sessions.len() > 1).then(|| (day.and_time(first.end), day.and_time(last.start))),
        )
        .map(|(person, at, direction)| NewCheckin {
            province_id: rows[0].id,
            staff_id: people[person].0,
            at: to_utc(at),
            local_date: at.date(),
            direction: direction.map(|d| d.code().to_owned()),
            source: "device".into(),
            device_id: format!("MCC-{}", people[person].1),
            idempotency_key: None,
            reason: None,
            created_by: None,
            created_at: created,
        })
        .collect();
        let (d, s, a, v) = db.write(|c| -> Result<_, DemoError> {
            copy_checkins(c, &events)?;
            let mut written = (0, 0, 0);
            for ((_, desk), staff_ids) in desks.iter().zip(&handlers) {
                let (d, s, a) = write_dossiers(c, desk, staff_ids, day, per_desk, created, as_of)?;
                written.0 += d;
                written.1 += s;
                written.2 += a;
            }
            let v = inspections::write_visits(c, &targets, day, visits_per_day, as_of)?;
            Ok((written.0, written.1, written.2, v))
        })?;
        done.checkins += events.len() as u64;
        done.dossiers += d;
        done.steps += s;
        done.surveys += a;
        done.inspections += v.inspections;
        done.findings += v.findings;
        progress(n as u64 + 1, &done);
    }
    done.violations = derive_register(db, rows[0].id, &people, from, as_of)?;
    db.write(|c| -> Result<(), DemoError> {
        Ok(crate::db::audit::record(
            c,
            crate::db::audit::Entry::<(), _> {
                actor_user_id: None,
                entity: "demo",
                entity_id: rows[0].id,
                action: "load_scale",
                province_id: Some(rows[0].id),
                unit_id: Some(rows[0].id),
                before: None,
                after: Some(&serde_json::json!({
                    "units": done.units, "staff": done.staff, "checkins": done.checkins,
                    "dossiers": done.dossiers, "steps": done.steps, "days": scale.days,
                    "surveys": done.surveys, "inspections": done.inspections,
                    "findings": done.findings,
                    "violations": done.violations,
                })),
            },
        )?)
    })?;
    // PostgreSQL plans by its statistics, and tens of millions of rows just loaded have
    // none until autovacuum gets to them (never, where it is off): on the province-year
    // an evaluation took 9 to 11 s on a database never analysed or vacuumed, and 7.6 to
    // 8.1 s after (docs/PERFORMANCE.md). SQLite's plans were not measured to need it.
    db.read(|c| -> Result<(), DemoError> {
        if let crate::db::AnyConnection::Postgresql(pg) = c {
            diesel::connection::SimpleConnection::batch_execute(pg, "ANALYZE")?;
        }
        Ok(())
    })?;
    Ok(done)
}

/// The violation register of the generated days, as the nightly close would have kept
/// it (and marked closed, so that the server's close does not redo them): derived a
/// thousand people and a month at a time, since a year of everyone's events at once
/// would not fit in memory.
fn derive_register(
    db: &Db,
    province_id: i64,
    people: &[(i64, i64)],
    from: NaiveDate,
    now: NaiveDateTime,
) -> Result<u64, DemoError> {
    // As of the day the load began, like the days it wrote, should it run past midnight.
    let yesterday = now.date() - Duration::days(1);
    let ids: Vec<i64> = people.iter().map(|(id, _)| *id).collect();
    let mut added = 0;
    let mut start = from;
    while start <= yesterday {
        let end = (start + Duration::days(30)).min(yesterday);
        for chunk in ids.chunks(1000) {
            added += db.write(|c| -> Result<usize, DemoError> {
                let persons = crate::db::attendance::people(c, chunk)?;
                Ok(crate::db::attendance::rederive(c, &persons, start, end, now)?.added)
            })?;
        }
        start = end + Duration::days(1);
    }
    db.write(|c| -> Result<(), DemoError> {
        Ok(crate::db::jobs::set(
            c,
            crate::jobs::attendance::CLOSED_THROUGH,
            province_id,
            &yesterday.to_string(),
        )?)
    })?;
    Ok(added as u64)
}

fn insert_units(c: &mut AnyConnection, plan: &[UnitSpec]) -> Result<Vec<UnitRow>, DemoError> {
    let mut rows: Vec<UnitRow> = Vec::with_capacity(plan.len());
    for u in plan {
        let parent = u.parent.and_then(|p| rows.get(p)).cloned();
        rows.push(crate::db::units::insert(
            c,
            None,
            parent.as_ref(),
            &u.code,
            &u.name,
            u.kind,
            None,
        )?);
    }
    Ok(rows)
}

/// The staff in multi-row inserts; returns (staff id, unit id) in plan order. The first
/// person of every unit with people heads it.
fn insert_staff(
    c: &mut AnyConnection,
    plan: &[UnitSpec],
    rows: &[UnitRow],
    joined: NaiveDate,
) -> Result<Vec<(i64, i64)>, DemoError> {
    let now = crate::db::now();
    let mut all = Vec::new();
    let mut n = 0usize;
    for (spec, row) in plan.iter().zip(rows) {
        for i in 0..spec.people {
            n += 1;
            all.push(NewStaff {
                province_id: row.province_id,
                unit_id: row.id,
                code: format!("QM{n:06}"),
                full_name: name(n),
                category: if spec.kind == "public_service_unit" {
                    "vien_chuc"
                } else {
                    "cong_chuc"
                },
                is_head: i == 0,
                joined_on: Some(joined - Duration::days(400)),
                created_at: now,
                updated_at: now,
            });
        }
    }
    let mut out = Vec::with_capacity(all.len());
    for chunk in all.chunks(SQLITE_ROWS / 2) {
        let ids: Vec<(i64, i64)> = match c {
            AnyConnection::Postgresql(c) => diesel::insert_into(staff::table)
                .values(chunk)
                .returning((staff::id, staff::unit_id))
                .get_results(c)?,
            AnyConnection::Sqlite(c) => diesel::insert_into(staff::table)
                .values(chunk)
                .returning((staff::id, staff::unit_id))
                .get_results(c)?,
        };
        out.extend(ids);
    }
    Ok(out)
}

/// A day's check-ins: `COPY` on PostgreSQL, multi-row inserts on SQLite.
fn copy_checkins(c: &mut AnyConnection, events: &[NewCheckin]) -> Result<(), DemoError> {
    use crate::db::schema::checkins;
    match c {
        AnyConnection::Postgresql(c) => {
            diesel::copy_from(checkins::table)
                .from_insertable(events)
                .execute(c)?;
        }
        AnyConnection::Sqlite(c) => {
            for chunk in events.chunks(SQLITE_ROWS) {
                diesel::insert_into(checkins::table)
                    .values(chunk)
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// The dossiers a desk received on `day`, finished (or not yet, when after `now`, local)
/// by its handlers one step after another, and the survey answers of the finished ones:
/// (dossiers, steps, answers). `created` stamps the rows.
fn write_dossiers(
    c: &mut AnyConnection,
    desk: &UnitRow,
    handlers: &[(i64, i64)],
    day: NaiveDate,
    per_desk: u64,
    created: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<(u64, u64, u64), DemoError> {
    if handlers.is_empty() {
        return Ok((0, 0, 0));
    }
    let specs = desk_dossiers(desk.id as usize, day, per_desk);
    let rows: Vec<NewDossier> = specs
        .iter()
        .map(|d| {
            let due = d.received + Duration::days(d.allowed_days);
            let finished = d.received + Duration::hours(d.step_hours.iter().sum());
            let done = finished < now;
            NewDossier {
                province_id: desk.province_id,
                unit_id: desk.id,
                code: format!("{}-{}-{:03}", desk.code, day.format("%y%m%d"), d.serial),
                procedure_name: "Thủ tục hành chính".into(),
                received_at: to_utc(d.received),
                due_at: Some(to_utc(due)),
                finished_at: done.then(|| to_utc(finished)),
                status: if done { "finished" } else { "in_progress" }.into(),
                supplement_requested_at: None,
                supplement_received_at: None,
                apology_new_due_at: None,
                created_at: created,
                updated_at: created,
            }
        })
        .collect();
    if rows.is_empty() {
        return Ok((0, 0, 0));
    }
    let ids: Vec<i64> = match c {
        AnyConnection::Postgresql(c) => diesel::insert_into(dossiers::table)
            .values(&rows)
            .returning(dossiers::id)
            .get_results(c)?,
        AnyConnection::Sqlite(c) => diesel::insert_into(dossiers::table)
            .values(&rows)
            .returning(dossiers::id)
            .get_results(c)?,
    };
    let mut steps = Vec::new();
    let mut answers = Vec::new();
    for ((d, id), row) in specs.iter().zip(&ids).zip(&rows) {
        let share = d.allowed_days * 24 / d.step_hours.len() as i64;
        let mut at = d.received;
        for (no, hours) in d.step_hours.iter().enumerate() {
            let (staff_id, unit_id) =
                handlers[(activity::mix(*id as u64, no as u64) % handlers.len() as u64) as usize];
            let end = at + Duration::hours(*hours);
            steps.push(NewStep {
                province_id: desk.province_id,
                dossier_id: *id,
                step_no: no as i32 + 1,
                staff_id: Some(staff_id),
                unit_id: Some(unit_id),
                received_at: Some(to_utc(at)),
                due_at: Some(to_utc(at + Duration::hours(share))),
                finished_at: (end < now).then(|| to_utc(end)),
                created_at: created,
                updated_at: created,
            });
            at = end;
        }
        // The citizen rates the desk and the step's handler who gave the result.
        let answer = row
            .finished_at
            .zip(steps.last())
            .and_then(|(finished, step)| {
                let seed = activity::mix(
                    d.desk as u64 ^ (d.serial << 32),
                    d.received.and_utc().timestamp() as u64,
                );
                inspections::survey_of(seed, finished).map(|a| (a, step.staff_id))
            })
            // An answer given after the day began is not given yet.
            .filter(|((_, at), _)| to_local(*at) < now);
        if let Some(((score, at), staff_id)) = answer {
            answers.push(NewSurvey {
                province_id: desk.province_id,
                unit_id: desk.id,
                staff_id,
                dossier_code: Some(row.code.clone()),
                submitted_at: at,
                satisfied: crate::domain::dossiers::satisfied(None, Some(score), 4),
                score: Some(score),
                comment: None,
                created_by: None,
                created_at: created,
                idempotency_key: None,
            });
        }
    }
    inspections::insert_surveys(c, &answers)?;
    match c {
        AnyConnection::Postgresql(c) => {
            diesel::copy_from(dossier_steps::table)
                .from_insertable(&steps)
                .execute(c)?;
        }
        AnyConnection::Sqlite(c) => {
            for chunk in steps.chunks(SQLITE_ROWS / 2) {
                diesel::insert_into(dossier_steps::table)
                    .values(chunk)
                    .execute(c)?;
            }
        }
    }
    Ok((ids.len() as u64, steps.len() as u64, answers.len() as u64))
}
