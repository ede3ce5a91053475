//! A dossier's late steps in the violation register, one row per late step, keyed
//! `"{dossier id}:{step no}"`: kept equal to what the rules say of the dossier.
//!
//! The rows already there are looked up by their exact keys, on the register's unique
//! `(source, source_ref, code)` index. They were looked up by `LIKE '{id}:%'`, which
//! neither database serves from that index (SQLite's LIKE ignores case; PostgreSQL needs
//! the C collation): every dossier scanned all the register's dossier rows, 5.2 s of
//! the 8.4 s PostgreSQL spent on an import of 10 000 dossiers (docs/PERFORMANCE.md).
//! Steps are deleted only as twins merged into the step they are (`fold_late_step`), so a
//! dossier's steps name every row it can have.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::{DossierRow, LATE_STEP_CODE, SOURCE_DOSSIER, StepRow};
use crate::db::AnyConnection;
use crate::db::schema::{dossier_steps, violations};
use crate::domain::disputes::DisputeStatus;
use crate::domain::dossiers::{Dossier, Outcome};

/// Register rows a statement at most: 11 bound values a row, within SQLite's 32 766.
const CHUNK: usize = 1000;

fn source_ref(dossier_id: i64, step_no: i32) -> String {
    format!("{dossier_id}:{step_no}")
}

/// What `sync_late_steps` reads of a dossier's rows in the register.
#[derive(Queryable, Selectable)]
#[diesel(table_name = violations)]
struct Stored {
    id: i64,
    source_ref: String,
    staff_id: Option<i64>,
    unit_id: i64,
    day: NaiveDate,
    detail: Option<String>,
}

/// One late step as the register holds it.
#[derive(Debug, Clone, PartialEq)]
struct LateEntry {
    source_ref: String,
    unit_id: i64,
    staff_id: i64,
    day: NaiveDate,
    detail: String,
}

/// The steps of `row` (as `rules`) late at local time `now`, except those whose dispute
/// was accepted (`excused`: late only in the system, not a violation) and those with no
/// handler to hold to account. A returned or cancelled dossier has none: it counts in no
/// late ratio, and one left unfinished would stay "overdue" in the register for ever.
fn late_entries(
    row: &DossierRow,
    rules: &Dossier,
    excused: &[i32],
    now: NaiveDateTime,
) -> Vec<LateEntry> {
    if !rules.status.counts() {
        return Vec::new();
    }
    rules
        .step_outcomes(now)
        .into_iter()
        .filter(|(no, o)| o.is_late() && !excused.contains(no))
        .filter_map(|(step_no, outcome)| {
            let step = rules.steps.iter().find(|s| s.step_no == step_no)?;
            let staff_id = step.staff_id?;
            // The day it finished late, or the deadline it is overdue by (the dossier's,
            // for the step that held it then; its own moved by the pauses otherwise).
            let day = step
                .finished_at
                .or(rules.judged_due(step))
                .map_or(now.date(), |t| t.date());
            let detail = format!(
                "Hồ sơ {} ({}), bước {}: {}",
                row.code,
                row.procedure_name,
                step_no,
                if outcome == Outcome::Late {
                    "xử lý quá hạn"
                } else {
                    "đang quá hạn"
                }
            );
            Some(LateEntry {
                source_ref: source_ref(row.id, step_no),
                unit_id: step.unit_id.unwrap_or(row.unit_id),
                staff_id,
                day,
                detail,
            })
        })
        .collect()
}

/// Adds these entries of `province_id` to the register, many to a statement. The people
/// they name, for repeat detection.
fn insert(
    conn: &mut AnyConnection,
    entries: &[(i64, LateEntry)],
    stamp: NaiveDateTime,
) -> QueryResult<Vec<i64>> {
    for chunk in entries.chunks(CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(province_id, e)| {
                (
                    violations::province_id.eq(*province_id),
                    violations::unit_id.eq(e.unit_id),
                    violations::staff_id.eq(Some(e.staff_id)),
                    violations::code.eq(LATE_STEP_CODE),
                    violations::day.eq(e.day),
                    violations::minutes.eq(None::<i32>),
                    violations::source.eq(SOURCE_DOSSIER),
                    violations::source_ref.eq(&e.source_ref),
                    violations::detail.eq(Some(&e.detail)),
                    violations::created_at.eq(stamp),
                    violations::updated_at.eq(stamp),
                )
            })
            .collect();
        // Multi-row inserts are not available through MultiConnection, but are on each
        // backend.
        match conn {
            AnyConnection::Postgresql(c) => diesel::insert_into(violations::table)
                .values(&rows)
                .execute(c)?,
            AnyConnection::Sqlite(c) => diesel::insert_into(violations::table)
                .values(&rows)
                .execute(c)?,
        };
    }
    Ok(entries.iter().map(|(_, e)| e.staff_id).collect())
}

/// Makes the dossier's rows in the violation register match its late steps; returns the
/// rows it added.
pub fn sync_late_steps(
    conn: &mut AnyConnection,
    row: &DossierRow,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let steps: Vec<StepRow> = dossier_steps::table
        .filter(dossier_steps::dossier_id.eq(row.id))
        .select(StepRow::as_select())
        .load(conn)?;
    let excused: Vec<i32> = crate::db::disputes::of_dossiers(conn, &[row.id])?
        .remove(&row.id)
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, s)| *s == DisputeStatus::Accepted)
        .map(|(no, _)| no)
        .collect();
    let keys: Vec<String> = steps
        .iter()
        .map(|s| source_ref(row.id, s.step_no))
        .collect();
    let mut existing: Vec<Stored> = Vec::new();
    for chunk in keys.chunks(CHUNK) {
        existing.extend(
            violations::table
                .filter(violations::source.eq(SOURCE_DOSSIER))
                .filter(violations::source_ref.eq_any(chunk))
                .select(Stored::as_select())
                .load(conn)?,
        );
    }
    let stamp = crate::db::now();
    let mut new = Vec::new();
    let mut keep = Vec::new();
    for entry in late_entries(row, &row.rules(&steps), &excused, now) {
        let Some(stored) = existing.iter().find(|v| v.source_ref == entry.source_ref) else {
            keep.push(entry.source_ref.clone());
            new.push((row.province_id, entry));
            continue;
        };
        // A step that changed hands is another person's violation: the old row goes (a
        // notice it went into keeps it as it was) and a new one is counted for the new
        // holder. Updated in place, the new holder's repeats were never looked at, and a
        // notice to the old holder had consumed it for every rule.
        if stored.staff_id != Some(entry.staff_id) {
            new.push((row.province_id, entry));
            continue;
        }
        keep.push(entry.source_ref.clone());
        // Written only when it changed (the step finished late since it was overdue, a
        // deadline moved): the daily sweep looks at every dossier still overdue again.
        if (stored.unit_id, stored.day, stored.detail.as_deref())
            == (entry.unit_id, entry.day, Some(entry.detail.as_str()))
        {
            continue;
        }
        diesel::update(violations::table.find(stored.id))
            .set((
                violations::unit_id.eq(entry.unit_id),
                violations::day.eq(entry.day),
                violations::detail.eq(Some(&entry.detail)),
                violations::updated_at.eq(stamp),
            ))
            .execute(conn)?;
    }
    let gone: Vec<i64> = existing
        .into_iter()
        .filter(|v| !keep.contains(&v.source_ref))
        .map(|v| v.id)
        .collect();
    if !gone.is_empty() {
        diesel::delete(violations::table.filter(violations::id.eq_any(gone))).execute(conn)?;
    }
    let added = insert(conn, &new, stamp)?;
    if !added.is_empty() {
        crate::db::notices::detect_code(conn, &added, LATE_STEP_CODE, stamp)?;
    }
    Ok(new.len())
}

/// Re-checks these dossiers of the province against the register (`sync_late_steps`),
/// on the province's dossier lock, as a feed would; returns the rows added. For the
/// passes over many dossiers, a chunk a transaction: the resync command, the sweep.
pub fn sync_many(
    conn: &mut AnyConnection,
    province_id: i64,
    ids: &[i64],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    crate::db::advisory_lock(conn, crate::db::LockClass::Dossiers, province_id)?;
    let mut added = 0;
    for id in ids {
        if let Some(row) = super::find_by_id(conn, *id)? {
            added += sync_late_steps(conn, &row, now)?;
        }
    }
    Ok(added)
}

/// The unfinished dossiers of the province (in id order) with a deadline passed in
/// `since..=now` (UTC) and not met: the dossier's own, or a step's; and those paused for
/// a supplement past their stored deadline, which the pause may have moved anywhere.
/// Nobody sends such a dossier again (nothing happened to it), so the daily pass
/// (`jobs::notify::enter_fallen_due`) enters its overdue steps in the register. A
/// deadline moved by a supplement pause is judged by `sync_late_steps`; this only finds
/// the candidates, by the deadlines as stored, on the partial indexes of unfinished
/// dossiers and steps (migration 000024).
pub fn fallen_due(
    conn: &mut AnyConnection,
    province_id: i64,
    (since, now): (NaiveDateTime, NaiveDateTime),
) -> QueryResult<Vec<i64>> {
    use crate::db::schema::dossiers;
    use crate::domain::dossiers::DossierStatus;

    let steps_due = dossier_steps::table
        .filter(dossier_steps::province_id.eq(province_id))
        .filter(dossier_steps::finished_at.is_null())
        .filter(dossier_steps::due_at.between(since, now))
        .select(dossier_steps::dossier_id);
    let uncounted = [DossierStatus::Returned, DossierStatus::Cancelled].map(DossierStatus::code);
    dossiers::table
        .filter(dossiers::province_id.eq(province_id))
        // A finished dossier's steps are judged as they were sent: an open step left in
        // one handed back to the citizen is a gap in its log, not a step overdue now.
        .filter(dossiers::finished_at.is_null())
        .filter(dossiers::status.ne_all(uncounted))
        .filter(
            dossiers::due_at
                .between(since, now)
                // A supplement pause moves the deadline by as long as it lasted, maybe
                // past the window: such a dossier is looked at whatever its stored one.
                .or(dossiers::supplement_requested_at
                    .is_not_null()
                    .and(dossiers::due_at.lt(now)))
                .or(dossiers::id.eq_any(steps_due).nullable()),
        )
        .order(dossiers::id)
        .select(dossiers::id)
        .load(conn)
}

/// A step merged into its twin `kept_no` (`congvu admin merge-twin-steps`), the merged
/// step now held by `holder`. Of the two steps' register rows one stays, under the kept
/// step's reference: the one `holder` holds, else the kept step's; the same row, so the
/// notices that counted it keep it counted, and the one violation is counted once. The
/// notices' record follows the reference too (`rename_source`): what they counted of the
/// twin they counted of the kept step, and a step later given the twin's number is a
/// violation of its own. `sync_late_steps` afterwards makes the kept step's row right.
pub fn fold_late_step(
    conn: &mut AnyConnection,
    dossier_id: i64,
    dropped_no: i32,
    kept_no: i32,
    holder: Option<i64>,
) -> QueryResult<()> {
    let (from, to) = (
        source_ref(dossier_id, dropped_no),
        source_ref(dossier_id, kept_no),
    );
    let rows: Vec<(i64, String, Option<i64>)> = violations::table
        .filter(violations::source.eq(SOURCE_DOSSIER))
        .filter(violations::code.eq(LATE_STEP_CODE))
        .filter(violations::source_ref.eq_any([&from, &to]))
        .select((violations::id, violations::source_ref, violations::staff_id))
        .load(conn)?;
    let dropped = rows.iter().find(|(_, r, _)| *r == from);
    let kept = rows.iter().find(|(_, r, _)| *r == to);
    let (stays, goes) = match (dropped, kept) {
        (Some(d), Some(k)) if d.2 == holder && k.2 != holder => (Some(d), Some(k)),
        (Some(d), Some(k)) => (Some(k), Some(d)),
        (Some(d), None) => (Some(d), None),
        _ => (None, None),
    };
    if let Some((id, _, _)) = goes {
        diesel::delete(violations::table.find(*id)).execute(conn)?;
    }
    if let Some((id, r, _)) = stays
        && *r != to
    {
        diesel::update(violations::table.find(*id))
            .set((
                violations::source_ref.eq(&to),
                violations::updated_at.eq(crate::db::now()),
            ))
            .execute(conn)?;
    }
    crate::db::notices::rename_source(conn, SOURCE_DOSSIER, LATE_STEP_CODE, &from, &to)?;
    Ok(())
}

/// The late steps of dossiers just created (each with its rules), none of which has a
/// row in the register or a dispute yet: written together, and the people they name
/// looked at once for repeats, instead of three lookups, an insert a step and a
/// detection a dossier.
pub fn record_new(
    conn: &mut AnyConnection,
    created: &[(&DossierRow, Dossier)],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let entries: Vec<(i64, LateEntry)> = created
        .iter()
        .flat_map(|(row, rules)| {
            late_entries(row, rules, &[], now)
                .into_iter()
                .map(|e| (row.province_id, e))
        })
        .collect();
    let stamp = crate::db::now();
    let added = insert(conn, &entries, stamp)?;
    if !added.is_empty() {
        crate::db::notices::detect_code(conn, &added, LATE_STEP_CODE, stamp)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::dossiers::{DossierStatus, Step};

    fn at(d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, d)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .unwrap()
    }

    fn row() -> DossierRow {
        DossierRow {
            id: 7,
            province_id: 1,
            unit_id: 10,
            code: "H01.1-260301-0001".into(),
            procedure_name: "Cấp giấy phép".into(),
            received_at: at(2, 8),
            due_at: Some(at(9, 17)),
            finished_at: None,
            status: "in_progress".into(),
            supplement_requested_at: None,
            supplement_received_at: None,
            apology_new_due_at: None,
            created_at: at(2, 8),
            updated_at: at(2, 8),
        }
    }

    fn step(no: i32, staff: Option<i64>, due: u32, finished: Option<u32>) -> Step {
        Step {
            step_no: no,
            staff_id: staff,
            unit_id: Some(11),
            received_at: Some(at(2, 8)),
            due_at: Some(at(due, 17)),
            finished_at: finished.map(|d| at(d, 10)),
        }
    }

    fn dossier(steps: Vec<Step>) -> Dossier {
        Dossier {
            status: DossierStatus::InProgress,
            due: Some(at(9, 17)),
            finished: None,
            supplement_requested: None,
            supplement_received: None,
            steps,
        }
    }

    /// A step finished after its deadline is late on the day it finished; one still
    /// open past its deadline is overdue on its due day; one in time, one disputed
    /// successfully and one with no handler are not in the register.
    #[test]
    fn late_steps_become_entries_keyed_by_dossier_and_step() {
        let rules = dossier(vec![
            step(1, Some(100), 3, Some(2)),
            step(2, Some(101), 4, Some(5)),
            step(3, Some(102), 6, None),
            step(4, Some(103), 6, None),
            step(5, None, 6, None),
        ]);
        let entries = late_entries(&row(), &rules, &[4], at(8, 9));
        let got: Vec<(&str, i64, NaiveDate)> = entries
            .iter()
            .map(|e| (e.source_ref.as_str(), e.staff_id, e.day))
            .collect();
        assert_eq!(
            got,
            vec![("7:2", 101, at(5, 0).date()), ("7:3", 102, at(6, 0).date())]
        );
        assert_eq!(entries[0].unit_id, 11);
        assert!(entries[0].detail.ends_with("bước 2: xử lý quá hạn"));
        assert!(entries[1].detail.ends_with("bước 3: đang quá hạn"));
    }

    /// A returned or cancelled dossier's late and overdue steps are not violations: it
    /// counts in no ratio, and a cancelled one is never finished.
    #[test]
    fn returned_and_cancelled_dossiers_have_no_late_steps() {
        for status in [DossierStatus::Returned, DossierStatus::Cancelled] {
            let rules = Dossier {
                status,
                ..dossier(vec![
                    step(1, Some(100), 4, Some(5)),
                    step(2, Some(101), 6, None),
                ])
            };
            assert_eq!(
                late_entries(&row(), &rules, &[], at(8, 9)),
                vec![],
                "{status:?}"
            );
        }
    }
}
