//! What earlier notices consumed of a history: the violations each rule has counted,
//! by id, by what the register row is (its key: the same violation made again under a
//! new id), and by the day's act of a record gone since. A notice superseded
//! (`superseded_by`) counts nothing any more: its links are deleted when it is
//! superseded, what the new notice took is counted under that one, and the rest is free.
//!
//! The nightly sweep also releases what notices that no longer stand counted
//! (`notices::withdrawn`): late on the 1st, 3rd and 5th, the 3rd excused, and late again
//! on the 8th, the 1st, 5th and 8th are a repeat of their own, and the notice made of them
//! supersedes the old one for good, so the 3rd coming back does not make the same acts
//! told under two notices. Only the sweep does it: it runs on what is committed, once a
//! night, while a change's own detection may see a state its transaction is about to
//! undo (a unit moved and its go-live moved back in one request), and checking standing
//! there would cost every closed day.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;

use super::standing;
use crate::db::AnyConnection;
use crate::db::schema::{repeat_notice_violations, repeat_notices};
use crate::db::violations::ViolationRow;

/// What earlier notices counted of a history.
#[derive(Debug, Default)]
pub(super) struct Consumed {
    /// Rule key → the ids of the history its notices counted.
    pub by_rule: HashMap<String, HashSet<i64>>,
    /// Violation id → the notices that counted it and no longer stand, with their rule
    /// keys: released, and superseded by a notice that takes it (`release` only).
    pub released: HashMap<i64, Vec<(i64, String)>>,
}

/// From which day on a person's notices have their standing worked out, to release
/// their violations (`repeats::whole_from`): `base`, lowered for a person with a finding
/// concluded lately (`by_person`).
#[derive(Debug)]
pub(super) struct Reach {
    pub base: NaiveDate,
    pub by_person: HashMap<i64, NaiveDate>,
}

impl Reach {
    fn first_day(&self, person: i64) -> NaiveDate {
        self.by_person.get(&person).copied().unwrap_or(self.base)
    }
}

/// One record a notice counted, as the history holds it: (notice, rule key, violation).
type Counted = (i64, String, i64);

/// What the notices of `chunk` (these people) counted of `history`, their violations.
/// With `release`, that of notices within its reach that no longer stand is `released`
/// rather than consumed.
pub(super) fn of(
    conn: &mut AnyConnection,
    chunk: &[i64],
    history: &[ViolationRow],
    release: Option<&Reach>,
) -> QueryResult<Consumed> {
    let mut counted: Vec<Counted> = Vec::new();
    let violation_ids: Vec<i64> = history.iter().map(|v| v.id).collect();
    for part in violation_ids.chunks(1000) {
        // A superseded notice has no links left (`record`): no join to leave it out.
        let rows: Vec<Counted> = repeat_notice_violations::table
            .filter(repeat_notice_violations::violation_id.eq_any(part))
            .select((
                repeat_notice_violations::notice_id,
                repeat_notice_violations::rule_key,
                repeat_notice_violations::violation_id,
            ))
            .load(conn)?;
        counted.extend(rows);
    }
    // Notices that may no longer stand: one of their records is not in the history. A
    // link from before records had keys (migration 000018) never makes a notice so: such
    // a notice keeps its violations, which errs on telling less.
    let mut unsure: HashSet<i64> = HashSet::new();
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
        type Link = (i64, String, i64, NaiveDate, Option<String>);
        let rows: Vec<Link> = repeat_notice_violations::table
            .inner_join(
                repeat_notices::table
                    .on(repeat_notices::id.eq(repeat_notice_violations::notice_id)),
            )
            .filter(repeat_notices::staff_id.eq_any(chunk))
            .filter(repeat_notices::day.ge(first - Duration::days(366)))
            .filter(repeat_notice_violations::source_key.is_not_null())
            .select((
                repeat_notice_violations::notice_id,
                repeat_notice_violations::rule_key,
                repeat_notices::staff_id,
                repeat_notices::day,
                repeat_notice_violations::source_key,
            ))
            .load(conn)?;
        let mut gone: Vec<(i64, String, i64, String)> = Vec::new();
        for (notice, rule, person, day, key) in rows {
            let Some(key) = key else { continue };
            match by_source.get(&(person, key.clone())) {
                Some(ids) => counted.extend(ids.iter().map(|id| (notice, rule.clone(), *id))),
                // Not loaded: gone, or older than the history (a notice's records lie
                // on or before its day, so one before `first` shares no day with it).
                None if day >= first => {
                    if release.is_some_and(|r| day >= r.first_day(person)) {
                        unsure.insert(notice);
                    }
                    gone.push((notice, rule, person, key));
                }
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
                if let Some(notices) = acts.get(&(s, v.code.clone(), v.day)) {
                    counted.extend(notices.iter().map(|(n, rule)| (*n, rule.clone(), v.id)));
                }
            }
        }
    }
    let void = if !unsure.is_empty() {
        let ids: Vec<i64> = unsure.into_iter().collect();
        standing::withdrawn(conn, &ids)?
    } else {
        HashSet::new()
    };
    let mut out = Consumed::default();
    for (notice, rule, id) in counted {
        if void.contains(&notice) {
            out.released.entry(id).or_default().push((notice, rule));
        } else {
            out.by_rule.entry(rule).or_default().insert(id);
        }
    }
    Ok(out)
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
