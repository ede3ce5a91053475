//! What earlier notices consumed of a history: the violations each rule has counted,
//! by id, by what the register row is (its key: the same violation made again under a
//! new id), and by the day's act of a record gone since.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;

use super::standing;
use crate::db::AnyConnection;
use crate::db::schema::{repeat_notice_violations, repeat_notices};
use crate::db::violations::ViolationRow;

/// Rule key → the ids of `history` (these people's violations) its notices counted.
pub(super) fn by_rule(
    conn: &mut AnyConnection,
    chunk: &[i64],
    history: &[ViolationRow],
) -> QueryResult<HashMap<String, HashSet<i64>>> {
    let mut consumed: HashMap<String, HashSet<i64>> = HashMap::new();
    let violation_ids: Vec<i64> = history.iter().map(|v| v.id).collect();
    for part in violation_ids.chunks(1000) {
        let rows: Vec<(String, i64)> = repeat_notice_violations::table
            .filter(repeat_notice_violations::violation_id.eq_any(part))
            .select((
                repeat_notice_violations::rule_key,
                repeat_notice_violations::violation_id,
            ))
            .load(conn)?;
        for (key, id) in rows {
            consumed.entry(key).or_default().insert(id);
        }
    }
    // The same violation of the same person under a new id (the row deleted and made
    // again) stays counted by the notices that counted it. A notice's day is its last
    // violation's, so the notices of the history's days are found by the person's
    // (staff_id, day) index; a year's slack covers a row made again on a later day.
    let by_source: HashMap<(i64, String), Vec<i64>> =
        history.iter().fold(HashMap::new(), |mut map, v| {
            if let Some(s) = v.staff_id {
                map.entry((s, source_key(v))).or_default().push(v.id);
            }
            map
        });
    if let Some(first) = history.iter().map(|v| v.day).min() {
        let rows: Vec<(String, i64, NaiveDate, Option<String>)> = repeat_notice_violations::table
            .inner_join(
                repeat_notices::table
                    .on(repeat_notices::id.eq(repeat_notice_violations::notice_id)),
            )
            .filter(repeat_notices::staff_id.eq_any(chunk))
            .filter(repeat_notices::day.ge(first - Duration::days(366)))
            .filter(repeat_notice_violations::source_key.is_not_null())
            .select((
                repeat_notice_violations::rule_key,
                repeat_notices::staff_id,
                repeat_notices::day,
                repeat_notice_violations::source_key,
            ))
            .load(conn)?;
        let mut gone: Vec<(String, i64, String)> = Vec::new();
        for (rule, person, day, key) in rows {
            let Some(key) = key else { continue };
            match by_source.get(&(person, key.clone())) {
                Some(ids) => consumed.entry(rule).or_default().extend(ids),
                // Not loaded: gone, or older than the history (a notice's records lie
                // on or before its day, so one before `first` shares no day with it).
                None if day >= first => gone.push((rule, person, key)),
                None => {}
            }
        }
        // A day's act counted through a record gone since (the check-in row of a
        // late arrival an earlier check-in voids) stays counted through its other
        // record, the finding of it: counted again, the act would make a second
        // notice of the rule.
        let acts = standing::gone_acts(conn, &gone)?;
        if !acts.is_empty() {
            for v in history {
                let Some(s) = v.staff_id else { continue };
                if let Some(rules) = acts.get(&(s, v.code.clone(), v.day)) {
                    for rule in rules {
                        consumed.entry(rule.clone()).or_default().insert(v.id);
                    }
                }
            }
        }
    }
    Ok(consumed)
}

/// What a register row is, whatever its id: the same source, reference and code are the
/// same violation (migration 000018 fills older rows the same way).
pub(super) fn source_key(v: &ViolationRow) -> String {
    key_of(&v.source, &v.source_ref, &v.code)
}

pub(super) fn key_of(source: &str, source_ref: &str, code: &str) -> String {
    format!("{source}|{source_ref}|{code}")
}

/// A register row that is now another's reference (a step merged into its twin): what
/// the notices counted under the old reference they have counted under the new one, so
/// the row stays counted whoever holds it, and whatever later takes the old reference
/// is not taken as counted.
pub fn rename_source(
    conn: &mut AnyConnection,
    source: &str,
    code: &str,
    from_ref: &str,
    to_ref: &str,
) -> QueryResult<usize> {
    diesel::update(
        repeat_notice_violations::table
            .filter(repeat_notice_violations::source_key.eq(key_of(source, from_ref, code))),
    )
    .set(repeat_notice_violations::source_key.eq(key_of(source, to_ref, code)))
    .execute(conn)
}
