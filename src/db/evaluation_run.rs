//! One evaluation run: every person of a unit's subtree for a rating year, through the
//! policies that cover them, the engine, and the quota of each group; the proposals are
//! stored beside HR's decisions in one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::QueryResult;
use serde::Serialize;
use utoipa::ToSchema;

use super::AnyConnection;
use super::audit::{self, Entry};

use super::attendance::Person;
use super::evaluations::{self, EvaluationRow, NewProposal};
use super::moves::Posted;
use super::staff::StaffRow;
use super::units::UnitRow;
use crate::domain::codes::{Rating, StaffCategory};
use crate::domain::dossiers::LateRatioFormula;
use crate::domain::evaluation::engine::{Applied, Proposal, evaluate};
use crate::domain::evaluation::facts::{Recorded, facts};
use crate::domain::evaluation::policy::{Metric, Policy};
use crate::domain::evaluation::quota::{Candidate, excess, tie_break_violations};
use crate::domain::evaluation::select;
use crate::domain::postings::unit_on;
use crate::domain::units::in_subtree;

/// People from whom an evaluation reads the province's dossiers and register in one pass
/// rather than each thousand people's. On the generated province-year a thousand
/// people's dossiers took about 0.5 s and the pass about 4 s (docs/PERFORMANCE.md): the
/// pass pays from some eight thousand people on.
const ONE_PASS_FROM: usize = 8_000;

/// People whose records are read a part at a time: up to a thousand (their ids go into
/// IN lists, which SQLite bounds).
const PART: usize = 1000;

/// People from whom a run reads the next part of the records on a second connection
/// while it rates the part before: below that, a few milliseconds of reading.
pub const PIPELINE_FROM: usize = 200;

/// Someone the run could not rate, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Skipped {
    pub staff_id: i64,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct RunReport {
    pub rows: Vec<EvaluationRow>,
    pub skipped: Vec<Skipped>,
    /// Decided evaluations whose proposal this run changed.
    pub changed_under_decision: usize,
    /// People with an evaluation of the period whom this run no longer rates (their
    /// service dates or category were corrected since): an undecided evaluation is
    /// removed, a decided one kept for its decision on a proposal that says why.
    pub withdrawn: Vec<Skipped>,
}

struct Evaluated {
    staff_id: i64,
    is_head: bool,
    /// A head, or scored on their unit's results (`manager_points`): a deputy.
    manager: bool,
    unit_path: String,
    recorded: Recorded,
    overlays: Vec<i64>,
    unit_id: i64,
    province_id: i64,
    code: String,
    group: String,
    base: (i64, String),
    policy_ids: Vec<i64>,
    proposal: Proposal,
    metrics: BTreeMap<Metric, f64>,
    late_centi: i64,
    violations: i64,
    score_centi: Option<i64>,
}

/// Unit kinds that are an agency of their own for the excellent quota ("trong phạm vi
/// cùng một cơ quan, tổ chức, đơn vị", RULES.md §1.3 and §1.4): a department, a district, a
/// commune, a public service unit. Divisions (and `other`) belong to the one above them.
const AGENCY_KINDS: [&str; 4] = ["department", "district", "commune", "public_service_unit"];

/// The agency a unit belongs to: the nearest unit of its path, itself first, that is one
/// (`agencies`); else, as before kinds counted, the unit directly under the province
/// (a board entered as `other` counts apart from the province's own staff), or the
/// province. Before, it was always the unit directly under the province, so a commune
/// under a district, or a hospital under the Department of Health, shared the
/// district's or the department's quota.
fn agency_of(path: &str, agencies: &HashSet<i64>) -> i64 {
    // Nearest first: [unit, …, the unit under the province, the province].
    let chain = crate::domain::units::chain(path);
    chain
        .iter()
        .find(|id| agencies.contains(id))
        .or(chain.iter().rev().nth(1))
        .or(chain.last())
        .copied()
        .unwrap_or(0)
}

/// The path of the agency whose excellent quota counts the people of the unit at `path`,
/// in the province `province_id`.
pub fn agency_path(conn: &mut AnyConnection, province_id: i64, path: &str) -> QueryResult<String> {
    let id = agency_of(path, &agencies(conn, province_id)?);
    let marker = format!("/{id}/");
    Ok(path
        .find(&marker)
        .map_or_else(|| path.to_owned(), |i| path[..i + marker.len()].to_owned()))
}

/// The province's units that are agencies of their own (`AGENCY_KINDS`).
fn agencies(conn: &mut AnyConnection, province_id: i64) -> QueryResult<HashSet<i64>> {
    use super::schema::units;
    use diesel::prelude::*;
    Ok(units::table
        .filter(units::province_id.eq(province_id))
        .filter(units::kind.eq_any(AGENCY_KINDS))
        .select(units::id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}

/// A value in hundredths, exactly rounded (ordering keys must not depend on display).
fn centi(v: crate::domain::evaluation::engine::Value) -> i64 {
    if v.den == 0 {
        return 0;
    }
    let scaled = v.num * 100;
    let rounded = (2 * scaled + v.den) / (2 * v.den);
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// On PostgreSQL, one evaluation write per province at a time (advisory lock class 5):
/// two runs over overlapping subtrees, or a run and a decision, would otherwise race on
/// the same rows. SQLite serialises every write anyway.
pub fn lock(conn: &mut AnyConnection, province_id: i64) -> QueryResult<()> {
    super::advisory_lock(conn, super::LockClass::Evaluations, province_id)
}

/// Whom a run of `year` over `unit`'s subtree rates, as posted when: for the running year,
/// the people in it now (a transferred person's new agency rates them); for an earlier
/// year, those in it on 31 December (README, "Ratings"), also those who have moved out
/// since, each with that unit (its agency's quota, its HR's decision). Also returned:
/// those whose year ended before their first dated transfer, whose history may not know
/// where they were (`stored_elsewhere`). Whoever came in
/// since is the old unit's to rate, named in `skipped`: re-run by the new unit, the
/// rating (and HR's decision on it) would move from the unit that made it.
fn rated_here(
    conn: &mut AnyConnection,
    unit: &UnitRow,
    year: i32,
    now: NaiveDateTime,
    skipped: &mut Vec<Skipped>,
) -> QueryResult<(Vec<Person>, HashSet<i64>)> {
    let last_day = NaiveDate::from_ymd_opt(year, 12, 31);
    let Some(last_day) = last_day.filter(|_| year < now.year()) else {
        return Ok((
            super::attendance::people_below(conn, &unit.path)?,
            HashSet::new(),
        ));
    };
    let mut undated = HashSet::new();
    let everyone = super::attendance::people_ever_below(conn, &unit.path, None, last_day)?;
    let mut here = Vec::with_capacity(everyone.len());
    let mut elsewhere: Vec<(i64, i64)> = Vec::new();
    for part in everyone.chunks(PART) {
        // Only those who came into their unit after the year's end have moved since.
        let ids: Vec<i64> = part
            .iter()
            .filter(|p| !p.staff.in_present_unit_on(last_day))
            .map(|p| p.staff.id)
            .collect();
        let earlier = if ids.is_empty() {
            HashMap::new()
        } else {
            super::moves::earlier_of(conn, &ids)?
        };
        for person in part {
            let present = Posted {
                unit_id: person.staff.unit_id,
                path: person.unit_path.clone(),
            };
            let spells = earlier.get(&person.staff.id).map_or(&[][..], Vec::as_slice);
            // Before their first dated transfer, a move made before transfers had days
            // may hide where they were.
            if spells
                .first()
                .map_or(person.staff.unit_since.is_none(), |first| {
                    last_day < first.until
                })
            {
                undated.insert(person.staff.id);
            }
            let then = unit_on(spells, &present, last_day);
            if in_subtree(&then.path, &unit.path) {
                here.push(Person {
                    staff: StaffRow {
                        unit_id: then.unit_id,
                        ..person.staff.clone()
                    },
                    unit_path: then.path.clone(),
                });
            } else {
                elsewhere.push((person.staff.id, then.unit_id));
            }
        }
    }
    here.sort_by(|a, b| (&a.unit_path, &a.staff.code).cmp(&(&b.unit_path, &b.staff.code)));
    let ids: Vec<i64> = elsewhere.iter().map(|(_, u)| *u).collect();
    let units: HashMap<i64, UnitRow> = super::units::find_many(conn, &ids)?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    for (staff_id, unit_id) in elsewhere {
        let name = units
            .get(&unit_id)
            .map_or_else(String::new, |u| format!("{} ({})", u.name, u.code));
        skipped.push(Skipped {
            staff_id,
            reason: format!("{year} is rated by {name}, their unit on 31 December {year}"),
        });
    }
    Ok((here, undated))
}

/// Those of `people` whose rating of an earlier `year` is not stored under a unit outside
/// `unit`'s subtree while the year ended before their first dated transfer (`undated`: a
/// move made before transfers had days may hide where they were, their history placing
/// them in their first recorded unit); the others are named in `skipped` and left alone.
/// Everyone else's is filed by their transfers and their unit of 31 December.
fn stored_elsewhere(
    conn: &mut AnyConnection,
    people: Vec<Person>,
    existing: &HashMap<i64, evaluations::Standing>,
    undated: &HashSet<i64>,
    (unit, year): (&UnitRow, i32),
    skipped: &mut Vec<Skipped>,
) -> QueryResult<Vec<Person>> {
    // The running year's is the present unit's, however it is stored (`undated` is empty).
    if undated.is_empty() {
        return Ok(people);
    }
    let mut raters: Vec<i64> = existing.values().map(|e| e.unit_id).collect();
    raters.sort_unstable();
    raters.dedup();
    let raters: HashMap<i64, UnitRow> = super::units::find_many(conn, &raters)?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(people
        .into_iter()
        .filter(|p| {
            // Only for a year before someone's first dated transfer: the others' ratings
            // are filed by their transfers, and their unit of 31 December decides.
            if !undated.contains(&p.staff.id) {
                return true;
            }
            let Some(rater) = existing
                .get(&p.staff.id)
                .and_then(|e| raters.get(&e.unit_id))
                .filter(|r| !in_subtree(&r.path, &unit.path))
            else {
                return true;
            };
            skipped.push(Skipped {
                staff_id: p.staff.id,
                reason: format!("{year} was rated by {} ({})", rater.name, rater.code),
            });
            false
        })
        .collect())
}

/// Runs the evaluation of `year` for the staff of `unit`'s subtree. `now` is local time;
/// `formula` is the province's late-ratio convention; `forced` picks the base policy;
/// `progress` hears (done, total) as people are evaluated. `actor` is None for the
/// command line. `db`, the pool `conn` came from, lends a large run a second
/// connection (when it has one to spare) to read two things at once.
#[allow(clippy::too_many_arguments)]
pub fn run(
    conn: &mut AnyConnection,
    db: Option<&super::Db>,
    actor: Option<i64>,
    unit: &UnitRow,
    year: i32,
    forced: Option<i64>,
    now: NaiveDateTime,
    formula: LateRatioFormula,
    progress: &mut dyn FnMut(usize, usize),
) -> QueryResult<RunReport> {
    let period = year.to_string();
    lock(conn, unit.province_id)?;
    let policies: Vec<(i64, Policy)> = super::policies::list(conn)?
        .iter()
        .filter_map(|r| r.policy().map(|p| (r.id, p)))
        .collect();
    let province = super::units::find(conn, unit.province_id)?
        .map(|u| u.code)
        .unwrap_or_default();
    let agencies = agencies(conn, unit.province_id)?;
    let mut skipped = Vec::new();
    let (people, undated) = rated_here(conn, unit, year, now, &mut skipped)?;
    let existing: HashMap<i64, evaluations::Standing> = evaluations::standings_of(
        conn,
        &people.iter().map(|p| p.staff.id).collect::<Vec<_>>(),
        &period,
    )?
    .into_iter()
    .map(|e| (e.staff_id, e))
    .collect();
    // A past rating of someone transferred before transfers had days stays with the
    // unit that stored it.
    let people = stored_elsewhere(
        conn,
        people,
        &existing,
        &undated,
        (unit, year),
        &mut skipped,
    )?;

    // A second connection, when the pool has one to spare, reads beside this one: the
    // province-wide passes share it, and then it reads each next part of the people's
    // records while this thread rates the part before. Both only read, each statement
    // what is committed when it runs, as one connection's statements would.
    let mut side = if people.len() >= PIPELINE_FROM {
        db.and_then(super::Db::spare)
    } else {
        None
    };
    // Many people's dossiers and register entries are read in a few passes over the
    // province rather than a thousand people at a time (docs/PERFORMANCE.md).
    let wide = if people.len() >= ONE_PASS_FROM {
        let ids: Vec<i64> = people.iter().map(|p| p.staff.id).collect();
        Some(evaluations::ProvinceWide::load(
            conn,
            side.as_deref_mut(),
            unit.province_id,
            &ids,
            year,
            now,
        )?)
    } else {
        None
    };
    let mut done: Vec<Evaluated> = Vec::new();
    // Those not rated now who have an evaluation of the period: (id, province, unit, why).
    let mut gone: Vec<(i64, i64, i64, String)> = Vec::new();
    let mut take = |part: &[Person], mut records: HashMap<_, _>, offset: usize| {
        for (n, person) in part.iter().enumerate() {
            progress(offset + n, people.len());
            let recorded = records.remove(&person.staff.id).unwrap_or_default();
            let rated = existing.contains_key(&person.staff.id);
            match rate(
                person,
                recorded,
                year,
                &policies,
                (&province, &agencies),
                forced,
            ) {
                Ok(Some(e)) => done.push(e),
                Ok(None) => {
                    if rated {
                        let s = &person.staff;
                        let why = format!("not in service in {year}");
                        gone.push((s.id, s.province_id, s.unit_id, why));
                    }
                }
                Err(s) => {
                    // A run forced onto one base policy leaves out whom it does not
                    // cover; their evaluations under the policy in force stand.
                    if rated && forced.is_none() {
                        let p = &person.staff;
                        gone.push((p.id, p.province_id, p.unit_id, s.reason.clone()));
                    }
                    skipped.push(s);
                }
            }
        }
    };
    // What everyone recorded is loaded a part (up to a thousand people) at a time.
    let read = |c: &mut AnyConnection, part: &[Person]| {
        let staff: Vec<&StaffRow> = part.iter().map(|p| &p.staff).collect();
        evaluations::recorded_many(c, &staff, year, now, formula, wide.as_ref())
    };
    match side.as_deref_mut() {
        Some(side) => {
            // Two parts at least, so that reading one overlaps rating the other.
            let size = PART.min(people.len().div_ceil(2)).max(1);
            let everyone: &[Person] = &people;
            std::thread::scope(|s| -> QueryResult<()> {
                let (sent, received) = std::sync::mpsc::sync_channel(1);
                let reader = s.spawn(move || {
                    for part in everyone.chunks(size) {
                        let records = read(side, part);
                        let failed = records.is_err();
                        // Stops when the rating stopped (and dropped its end) or on error.
                        if sent.send(records).is_err() || failed {
                            break;
                        }
                    }
                });
                for (k, records) in received.iter().enumerate() {
                    let offset = k * size;
                    let part = &everyone[offset..(offset + size).min(everyone.len())];
                    take(part, records?, offset);
                }
                // A panic on the reading thread is a bug in this function: pass it on.
                reader
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p));
                Ok(())
            })?;
        }
        None => {
            for (k, part) in people.chunks(PART).enumerate() {
                let records = read(conn, part)?;
                take(part, records, k * PART);
            }
        }
    }
    drop(side);

    // A manager's unit-results points count half when someone they manage is rated not
    // completed (NĐ 335/2025): evaluate managers again knowing their staff's results.
    // Managers are the heads and whoever is scored on their unit's results (a deputy's
    // `manager_points`: RULES.md §1.4 names the deputy level). A head manages everyone
    // below them; a deputy the same people but their unit's head and fellow managers.
    // (Whoever's staff made a manager below not completed is below the managers above as
    // well, so the halving never needs to climb.)
    let stands = |e: &Evaluated| {
        existing
            .get(&e.staff_id)
            .and_then(|x| x.final_rating.as_deref())
            .and_then(Rating::parse)
            .or(e.proposal.proposed)
    };
    // (unit path, staff, head or manager) of everyone not completed.
    let not_completed: Vec<(String, i64, bool)> = done
        .iter()
        .filter(|e| stands(e) == Some(Rating::NotCompleted))
        .map(|e| (e.unit_path.clone(), e.staff_id, e.manager))
        .collect();
    for e in done
        .iter_mut()
        .filter(|e| e.manager && !e.recorded.periods.is_empty())
    {
        let manages_one = not_completed.iter().any(|(path, id, manager)| {
            *id != e.staff_id
                && crate::domain::units::in_subtree(path, &e.unit_path)
                && (e.is_head || !(*manager && *path == e.unit_path))
        });
        if !manages_one {
            continue;
        }
        let Some(base) = policies.iter().find(|(id, _)| *id == e.base.0) else {
            continue;
        };
        e.recorded.managed_not_completed = true;
        let f = facts(year, &e.recorded, &base.1);
        let overlays: Vec<&Policy> = policies
            .iter()
            .filter(|(id, _)| e.overlays.contains(id))
            .map(|(_, p)| p)
            .collect();
        e.proposal = evaluate(&base.1, &overlays, &f);
        e.metrics = f.metrics.iter().map(|(m, v)| (*m, v.shown())).collect();
        e.score_centi = f.metrics.get(&Metric::Score).copied().map(centi);
    }

    // The quota, per group, on the rating that stands: HR's where decided.
    let mut notes: HashMap<i64, String> = HashMap::new();
    let mut groups: BTreeMap<&str, Vec<&Evaluated>> = BTreeMap::new();
    for e in &done {
        groups.entry(e.group.as_str()).or_default().push(e);
    }
    for (group, members) in groups {
        let Some(quota) = policies
            .iter()
            .find(|(id, _)| *id == members[0].base.0)
            .and_then(|(_, p)| p.quota.clone())
        else {
            continue;
        };
        let candidates: Vec<Candidate> = members
            .iter()
            .filter_map(|e| {
                let decided = existing
                    .get(&e.staff_id)
                    .and_then(|x| x.final_rating.as_deref())
                    .and_then(Rating::parse);
                Some(Candidate {
                    id: e.staff_id,
                    rating: decided.or(e.proposal.proposed)?,
                    score_centi: e.score_centi,
                    late_ratio_centi: e.late_centi,
                    violations: e.violations,
                    code: e.code.clone(),
                })
            })
            .collect();
        for x in excess(group, &candidates, &quota) {
            notes.insert(x.id, x.explanation);
        }
    }

    let mut proposals = Vec::with_capacity(done.len());
    let mut changed_under_decision = 0;
    for e in done {
        let proposed = e.proposal.proposed.map(|r| r.code().to_owned());
        let previous = existing.get(&e.staff_id);
        // Changed from the proposal HR decided on, not from the last run's: a proposal back
        // at it needs no second look.
        if let Some(old) = previous
            && old.final_rating.is_some()
            && old.decided_on() != proposed.as_deref()
        {
            changed_under_decision += 1;
        }
        proposals.push((
            previous,
            NewProposal {
                province_id: e.province_id,
                // An earlier year's is the unit's the person was in on 31 December
                // (`rated_here`), whichever unit's run rated it before.
                unit_id: e.unit_id,
                staff_id: e.staff_id,
                period: period.clone(),
                policy_ids: serde_json::to_string(&e.policy_ids).unwrap_or_default(),
                rated: e.proposal.rated,
                proposed_rating: proposed,
                max_rating: e.proposal.max_rating.map(|r| r.code().to_owned()),
                metrics: serde_json::to_string(&e.metrics).unwrap_or_default(),
                applied_rules: serde_json::to_string(&e.proposal.applied).unwrap_or_default(),
                quota_note: notes.remove(&e.staff_id),
            },
        ));
    }
    // An evaluation of someone the run no longer rates would keep rating them for a year
    // they were not in service. Undecided, it goes; decided, HR's decision stays beside
    // a proposal that rates nobody and says why, and counts as changed under it.
    let mut withdrawn = Vec::with_capacity(gone.len());
    let mut undecided = Vec::new();
    for (staff_id, province_id, unit_id, reason) in gone {
        let Some(old) = existing.get(&staff_id) else {
            continue;
        };
        if old.final_rating.is_none() {
            undecided.push(staff_id);
        } else {
            // Its proposal is now none: changed if HR decided on one.
            if old.decided_on().is_some() {
                changed_under_decision += 1;
            }
            let applied = [Applied {
                rule: "in the rating's scope".to_owned(),
                metric: None,
                value: None,
                threshold: None,
                effect: format!("not rated: {reason}"),
                source: String::new(),
                policy: String::new(),
            }];
            proposals.push((
                Some(old),
                NewProposal {
                    province_id,
                    unit_id,
                    staff_id,
                    period: period.clone(),
                    policy_ids: "[]".to_owned(),
                    rated: false,
                    proposed_rating: None,
                    max_rating: None,
                    metrics: "{}".to_owned(),
                    applied_rules: serde_json::to_string(&applied).unwrap_or_default(),
                    quota_note: None,
                },
            ));
        }
        withdrawn.push(Skipped { staff_id, reason });
    }
    evaluations::withdraw(conn, actor, &undecided, &period)?;
    let rows = evaluations::upsert_many(conn, proposals)?;
    audit_changed_proposals(conn, actor, &existing, &rows)?;
    progress(people.len(), people.len());
    audit::record(
        conn,
        Entry::<(), _> {
            actor_user_id: actor,
            entity: "evaluation_run",
            entity_id: unit.id,
            action: "run",
            province_id: Some(unit.province_id),
            unit_id: Some(unit.id),
            before: None,
            after: Some(&serde_json::json!({
                "period": period,
                "evaluated": rows.len(),
                "skipped": skipped.len(),
                "changed_under_decision": changed_under_decision,
                "withdrawn": withdrawn.len(),
            })),
        },
    )?;
    Ok(RunReport {
        rows,
        skipped,
        changed_under_decision,
        withdrawn,
    })
}

/// One audit row (`repropose`) for each stored evaluation whose proposal this re-run
/// changed, or, under a decision, whose cap or rated flag it changed (a new upheld
/// finding lowering the cap under an excellent decision leaves the proposal as it was),
/// with the proposal before and after it and HR's decision: the run's own row says only
/// how many. A first proposal, or one the re-run left as it was, writes none, so a
/// province's yearly run adds a row for each person whose record moved the rating.
fn audit_changed_proposals(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    existing: &HashMap<i64, evaluations::Standing>,
    rows: &[EvaluationRow],
) -> QueryResult<()> {
    let changed: Vec<(&EvaluationRow, serde_json::Value, serde_json::Value)> = rows
        .iter()
        .filter_map(|row| {
            let old = existing.get(&row.staff_id)?;
            let moved = old.proposed_rating != row.proposed_rating
                || (old.final_rating.is_some()
                    && (old.max_rating != row.max_rating || old.rated != row.rated));
            moved.then(|| {
                let before = serde_json::json!({
                    "proposed_rating": old.proposed_rating,
                    "max_rating": old.max_rating,
                    "rated": old.rated,
                    "final_rating": old.final_rating,
                });
                let after = serde_json::json!({
                    "proposed_rating": row.proposed_rating,
                    "max_rating": row.max_rating,
                    "rated": row.rated,
                    "final_rating": row.final_rating,
                    "applied_rules": serde_json::from_str::<serde_json::Value>(&row.applied_rules)
                        .unwrap_or_default(),
                });
                (row, before, after)
            })
        })
        .collect();
    // In one statement (COPY on PostgreSQL), however many moved.
    audit::record_many(
        conn,
        changed.iter().map(|(row, before, after)| Entry {
            actor_user_id: actor,
            entity: "evaluation",
            entity_id: row.id,
            action: "repropose",
            province_id: Some(row.province_id),
            unit_id: Some(row.unit_id),
            before: Some(before),
            after: Some(after),
        }),
    )
}

/// Rates one person from what they `recorded`: None when they were not in service in
/// `year`, an error when no policy covers them.
fn rate(
    person: &Person,
    recorded: Recorded,
    year: i32,
    policies: &[(i64, Policy)],
    (province, agencies): (&str, &HashSet<i64>),
    forced: Option<i64>,
) -> Result<Option<Evaluated>, Skipped> {
    let s = &person.staff;
    // Only those in service at some time in the year.
    if s.joined_on.is_some_and(|d| d.year() > year) || s.left_on.is_some_and(|d| d.year() < year) {
        return Ok(None);
    }
    let category = StaffCategory::parse(&s.category).unwrap_or(StaffCategory::Contract);
    let Some((base, overlays)) = select(policies, province, category, year, forced) else {
        return Err(Skipped {
            staff_id: s.id,
            reason: format!("no rating policy covers {} in {year}", category.label()),
        });
    };
    let f = facts(year, &recorded, &base.1);
    // Managers: the heads, and whoever is scored on their unit's results (a deputy).
    let manager = s.is_head || recorded.periods.iter().any(|p| p.manager_centi > 0);
    let overlay_policies: Vec<&Policy> = overlays.iter().map(|(_, p)| p).collect();
    let proposal = evaluate(&base.1, &overlay_policies, &f);
    let value = |m: Metric| f.metrics.get(&m).copied();
    let late_centi = value(Metric::LateDossierRatio).map_or(0, centi);
    let count = |m: Metric| value(m).map_or(0, |v| v.shown() as i64);
    let violations = tie_break_violations(
        count(Metric::LateArrivals) + count(Metric::EarlyLeaves) + count(Metric::UnexcusedAbsences),
        count(Metric::UpheldFindings),
        &recorded.upheld_codes,
    );
    Ok(Some(Evaluated {
        staff_id: s.id,
        is_head: s.is_head,
        manager,
        unit_path: person.unit_path.clone(),
        overlays: overlays.iter().map(|(id, _)| *id).collect(),
        recorded,
        unit_id: s.unit_id,
        province_id: s.province_id,
        code: s.code.clone(),
        // The quota counts per agency (`agency_of`) and per group with similar duties,
        // here those of one category, under the same rules, managers and staff apart
        // (under NĐ 90 until 2025 cán bộ, công chức and viên chức shared one group).
        group: format!(
            "agency {} · {} · {} · {}",
            agency_of(&person.unit_path, agencies),
            category.code(),
            base.1.code,
            if manager { "managers" } else { "staff" }
        ),
        base: (base.0, base.1.code.clone()),
        policy_ids: std::iter::once(base.0)
            .chain(overlays.iter().map(|(id, _)| *id))
            .collect(),
        metrics: f.metrics.iter().map(|(m, v)| (*m, v.shown())).collect(),
        late_centi,
        violations,
        score_centi: value(Metric::Score).map(centi),
        proposal,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agency_is_the_nearest_unit_that_is_one() {
        // Province 1; department 4 with division 9; district 5 with commune 6 and its
        // division 7; public service unit 8 (a hospital) under department 4.
        let agencies: HashSet<i64> = [4, 5, 6, 8].into_iter().collect();
        assert_eq!(agency_of("/1/4/9/", &agencies), 4);
        assert_eq!(agency_of("/1/4/", &agencies), 4);
        assert_eq!(
            agency_of("/1/5/6/7/", &agencies),
            6,
            "a commune of a district"
        );
        assert_eq!(agency_of("/1/5/", &agencies), 5);
        assert_eq!(
            agency_of("/1/4/8/", &agencies),
            8,
            "a hospital of a department"
        );
        assert_eq!(agency_of("/1/", &agencies), 1, "the province's own staff");
        assert_eq!(agency_of("/1/3/", &agencies), 3, "an `other` unit: its own");
        assert_eq!(agency_of("/1/3/2/", &agencies), 3, "below an `other` unit");
    }
}
