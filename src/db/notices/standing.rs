//! Whether notices still stand. A notice is made of register rows, and a row may go later:
//! a finding withdrawn on review, a late arrival voided by leave granted since, a late
//! step handed to another officer. A notice whose acts no longer reach its count told of
//! a repeat that did not happen: its messages not yet sent are not sent
//! (`outbox::claim`), it does not escalate, and the weekly digest does not count it. Its
//! violations stay consumed until the nightly sweep counts those left with a newcomer in
//! a notice that supersedes it for good (`consumed`). Worked out when asked, from the
//! register as it is: a row that comes back (the leave cancelled) makes the notice stand
//! again, unless it was superseded meanwhile, and none of the many changes that remove
//! rows has to remember the notices.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;

use super::consumed::key_of;
use crate::db::AnyConnection;
use crate::db::inspections::SOURCE_INSPECTION;
use crate::db::schema::{findings, repeat_notice_violations, repeat_notices, violations};
use crate::db::violations::{SOURCE_ATTENDANCE, ViolationRow, attendance_day};
use crate::domain::attendance::to_local;
use crate::domain::repeats::{DAILY_CODES, Occurrence, stands};

/// Notices looked at a round: their records' references go in one IN list, a few per
/// notice (a rule's count), well within SQLite's limit on bound values.
const CHUNK: usize = 100;

/// A record a notice was made of: the notice, the row's id then, its key (`key_of`;
/// none for links older than migration 000018, known by the id alone).
type Link = (i64, i64, Option<String>);

/// What a consumed record's key names: source, reference, code.
fn parts(key: &str) -> Option<(&str, &str, &str)> {
    let (source, rest) = key.split_once('|')?;
    let (reference, code) = rest.rsplit_once('|')?;
    Some((source, reference, code))
}

fn is_link(row: &ViolationRow, link: &Link) -> bool {
    match &link.2 {
        Some(key) => *key == key_of(&row.source, &row.source_ref, &row.code),
        None => row.id == link.1,
    }
}

/// Of the notices with these ids, those that no longer stand (`repeats::stands`).
pub fn withdrawn(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<HashSet<i64>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let all: Vec<(i64, i64, Option<i64>)> = repeat_notices::table
            .filter(repeat_notices::id.eq_any(chunk))
            .select((
                repeat_notices::id,
                repeat_notices::staff_id,
                repeat_notices::superseded_by,
            ))
            .load(conn)?;
        // One superseded is void for good (and has no links left to judge it by).
        let mut notices: Vec<(i64, i64)> = Vec::new();
        for (id, person, superseded_by) in all {
            if superseded_by.is_some() {
                out.insert(id);
            } else {
                notices.push((id, person));
            }
        }
        let links: Vec<Link> = repeat_notice_violations::table
            .filter(repeat_notice_violations::notice_id.eq_any(chunk))
            .select((
                repeat_notice_violations::notice_id,
                repeat_notice_violations::violation_id,
                repeat_notice_violations::source_key,
            ))
            .load(conn)?;
        let acts = daily_acts(conn, links.iter().filter_map(|l| l.2.as_deref()))?;
        let mut refs: Vec<&str> = links
            .iter()
            .filter_map(|l| l.2.as_deref().and_then(parts))
            .map(|(_, r, _)| r)
            .collect();
        refs.sort_unstable();
        refs.dedup();
        let mut days: Vec<NaiveDate> = acts.values().map(|(_, day)| *day).collect();
        days.sort_unstable();
        days.dedup();
        let legacy: Vec<i64> = links
            .iter()
            .filter(|l| l.2.is_none())
            .map(|l| l.1)
            .collect();
        let people: Vec<Option<i64>> = notices.iter().map(|n| Some(n.1)).collect();
        let rows: Vec<ViolationRow> = violations::table
            .filter(violations::staff_id.eq_any(people))
            .filter(
                violations::source_ref
                    .eq_any(refs)
                    .or(violations::code
                        .eq_any(DAILY_CODES)
                        .and(violations::day.eq_any(days)))
                    .or(violations::id.eq_any(legacy)),
            )
            .select(ViolationRow::as_select())
            .load(conn)?;
        for (id, person) in notices {
            let mine: Vec<&Link> = links.iter().filter(|l| l.0 == id).collect();
            // The acts it counted, as its records name them: one a day's act, every other
            // record one. (Its `violation_count` is records, for notices made before acts
            // were counted.)
            let named: HashSet<(&str, NaiveDate)> = mine
                .iter()
                .filter_map(|l| l.2.as_deref().and_then(|k| acts.get(k)))
                .map(|(code, day)| (code.as_str(), *day))
                .collect();
            let told = named.len()
                + mine
                    .iter()
                    .filter(|l| l.2.as_deref().is_none_or(|k| !acts.contains_key(k)))
                    .count();
            let theirs: Vec<&ViolationRow> =
                rows.iter().filter(|r| r.staff_id == Some(person)).collect();
            let intact = mine.iter().all(|l| theirs.iter().any(|r| is_link(r, l)));
            // A day's act also shows in another record of that day: the check-ins' row
            // of an absence an inspection found too, whichever of the two went.
            let daily = named;
            let present: Vec<Occurrence> = theirs
                .iter()
                .filter(|r| {
                    mine.iter().any(|l| is_link(r, l)) || daily.contains(&(r.code.as_str(), r.day))
                })
                .map(|r| Occurrence {
                    id: r.id,
                    code: r.code.clone(),
                    day: r.day,
                })
                .collect();
            if !stands(told, intact, &present) {
                out.insert(id);
            }
        }
    }
    Ok(out)
}

/// (person, code, day) → the notices, with their rule keys, that counted that act.
pub(super) type GoneActs = HashMap<(i64, String, NaiveDate), Vec<(i64, String)>>;

/// The daily acts (`DAILY_CODES`) that notices counted through records gone from the
/// register since: (person, code, day) → the notices that counted them, with their rule
/// keys. `gone`: (notice, rule key, person, record key).
pub(super) fn gone_acts(
    conn: &mut AnyConnection,
    gone: &[(i64, String, i64, String)],
) -> QueryResult<GoneActs> {
    let acts = daily_acts(conn, gone.iter().map(|g| g.3.as_str()))?;
    let mut out = GoneActs::new();
    for (notice, rule, person, key) in gone {
        if let Some((code, day)) = acts.get(key) {
            out.entry((*person, code.clone(), *day))
                .or_default()
                .push((*notice, rule.clone()));
        }
    }
    Ok(out)
}

/// The code and day of each record of a daily act (`DAILY_CODES`) of these keys,
/// whether or not the record is still there: a check-in row's day is in its reference,
/// a finding's is the day it was observed (the finding stays when it is withdrawn).
fn daily_acts<'a>(
    conn: &mut AnyConnection,
    keys: impl Iterator<Item = &'a str>,
) -> QueryResult<HashMap<String, (String, NaiveDate)>> {
    let mut out = HashMap::new();
    let mut found: Vec<(&str, i64, &str)> = Vec::new();
    for key in keys {
        let Some((source, reference, code)) = parts(key) else {
            continue;
        };
        if !DAILY_CODES.contains(&code) {
            continue;
        }
        if source == SOURCE_ATTENDANCE {
            if let Some(day) = attendance_day(reference) {
                out.insert(key.to_owned(), (code.to_owned(), day));
            }
        } else if source == SOURCE_INSPECTION
            && let Ok(id) = reference.parse::<i64>()
        {
            found.push((key, id, code));
        }
    }
    if !found.is_empty() {
        let mut ids: Vec<i64> = found.iter().map(|(_, id, _)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut observed: HashMap<i64, chrono::NaiveDateTime> = HashMap::new();
        for part in ids.chunks(1000) {
            observed.extend(
                findings::table
                    .filter(findings::id.eq_any(part))
                    .select((findings::id, findings::observed_at))
                    .load::<(i64, chrono::NaiveDateTime)>(conn)?,
            );
        }
        for (key, id, code) in found {
            if let Some(at) = observed.get(&id) {
                out.insert(key.to_owned(), (code.to_owned(), to_local(*at).date()));
            }
        }
    }
    Ok(out)
}
