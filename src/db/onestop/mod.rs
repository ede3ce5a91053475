//! The national portal's processing log written onto dossier steps: each entry is one
//! step, recognised again by its key when it is re-sent (so a re-sent update changes
//! nothing twice), its handler attributed only as `handles` decided, and its start, when
//! the log has none, taken from the hand-over before it.

pub mod handles;
pub mod twins;

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::dossiers::{DossierRow, StepRow};
use super::schema::dossier_steps;
use crate::domain::attendance::to_local;
use crate::domain::onestop::{
    MatchedBy, Resolution, StepFace, file_start_key, fits_file_step, handle_key, inferred_start,
    key_has_log_start, key_has_start, same_step,
};

/// A processing-log entry ready to be written (UTC instants).
#[derive(Debug, Clone)]
pub struct FeedStep {
    pub key: String,
    /// The key this step had while open, when the log gave it no start.
    pub open_key: String,
    /// Who and what: the start of every key the step can have.
    pub who_what: String,
    pub resolution: Resolution,
    /// The attributed person's unit.
    pub unit_id: Option<i64>,
    pub handler_name: Option<String>,
    pub handler_account: Option<String>,
    pub action: Option<String>,
    /// `NgayBatDau`; when empty the start is inferred.
    pub started_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
}

/// The columns a feed step sets, compared to tell a change from a re-send.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
struct Values {
    staff_id: Option<i64>,
    unit_id: Option<i64>,
    matched_by: Option<String>,
    handler_issue: Option<String>,
    handler_name: Option<String>,
    handler_account: Option<String>,
    action: Option<String>,
    received_at: Option<NaiveDateTime>,
    due_at: Option<NaiveDateTime>,
    finished_at: Option<NaiveDateTime>,
    source_key: Option<String>,
}

impl Values {
    fn of(row: &StepRow, key: Option<String>) -> Self {
        Values {
            staff_id: row.staff_id,
            unit_id: row.unit_id,
            matched_by: row.matched_by.clone(),
            handler_issue: row.handler_issue.clone(),
            handler_name: row.handler_name.clone(),
            handler_account: row.handler_account.clone(),
            action: row.action.clone(),
            received_at: row.received_at,
            due_at: row.due_at,
            finished_at: row.finished_at,
            source_key: key,
        }
    }

    /// What the entry says, keeping an attribution the entry cannot improve on: one of a
    /// stronger kind (a manual one above all), and any one when the entry's handler fits
    /// nobody now (a mapping removed since keeps what it attributed). An account held
    /// beyond the writer's reach says as much as an account: it takes the step from a
    /// namesake matched by name or alias, and keeps it with its holder. A disputed step
    /// (pending or decided) keeps its attribution whatever the entry says, as the manual
    /// route does: the dispute speaks for its officer, and moved it could never be
    /// decided, or an accepted one would silently stop counting. A step stored with an
    /// officer neither becomes the sender's (`own`) nor stops being theirs by what they
    /// send, as by hand and by file (`Visibility::keeps_step`): moving a step moves its
    /// lateness, and the sender's own is for another to move.
    fn wanted(
        step: &FeedStep,
        existing: Option<&Values>,
        disputed: bool,
        officer_left: bool,
        own: Option<i64>,
    ) -> Self {
        let (mut staff_id, mut unit_id, mut matched_by, mut issue) = match &step.resolution {
            Resolution::Staff(id, how) => {
                (Some(*id), step.unit_id, Some(how.code().to_owned()), None)
            }
            other => (None, None, None, other.issue().map(|i| i.code().to_owned())),
        };
        // How much the entry says about who did the step.
        let says = match &step.resolution {
            Resolution::Staff(_, how) => how.rank(),
            Resolution::BeyondReach(_) => MatchedBy::Account.rank(),
            Resolution::Unresolved(_) => 0,
        };
        // Kept from the sender's reach: the step keeps the handler it was stored under
        // too, or the sender's next identical send would find it named as now.
        let mut sender_kept = false;
        if let Some(old) = existing {
            let held =
                matches!(step.resolution, Resolution::BeyondReach(h) if old.staff_id == Some(h));
            let old_rank = MatchedBy::rank_of(old.matched_by.as_deref());
            // A step kept aside (nobody's yet) becomes the sender's only as the entry
            // named it before (what now resolves it, a mapping or a name, is another
            // administrator's doing): an entry re-sent naming another handler does not
            // give the sender a step kept aside for a colleague's ambiguous name.
            // Compared as each is matched: accounts by their key, names as staff records
            // are (case kept), so a name re-sent in another case that now finds the
            // sender counts as renamed too.
            let account = |s: &Option<String>| s.as_deref().map(handle_key);
            let name = |s: &Option<String>| s.as_deref().map(handles::spaced);
            let renamed = account(&step.handler_account) != account(&old.handler_account)
                || name(&step.handler_name) != name(&old.handler_name);
            let own_step = own.is_some()
                && (old.staff_id == own
                    || (staff_id == own && (old.staff_id.is_some() || renamed)));
            sender_kept = own_step && old.staff_id != staff_id;
            let keep = disputed
                || sender_kept
                || (old.staff_id.is_some()
                    && (held || says == 0 || old_rank > says || officer_left));
            if keep {
                (staff_id, unit_id, matched_by, issue) = (
                    old.staff_id,
                    old.unit_id,
                    old.matched_by.clone(),
                    old.handler_issue.clone(),
                );
            }
        }
        Values {
            staff_id,
            unit_id,
            matched_by,
            handler_issue: issue,
            // What an earlier send said and this one leaves out stays: an account kept
            // aside is what a mapping added later attributes by.
            handler_name: match existing {
                Some(old) if sender_kept => old.handler_name.clone(),
                _ => step
                    .handler_name
                    .clone()
                    .or(existing.and_then(|e| e.handler_name.clone())),
            },
            handler_account: match existing {
                Some(old) if sender_kept => old.handler_account.clone(),
                _ => step
                    .handler_account
                    .clone()
                    .or(existing.and_then(|e| e.handler_account.clone())),
            },
            action: step
                .action
                .clone()
                .or(existing.and_then(|e| e.action.clone())),
            // An inferred start is filled in by `infer_starts` afterwards; keep the one
            // stored so that a re-send compares equal.
            received_at: step.started_at.or(existing.and_then(|e| e.received_at)),
            // A vendor's other service may leave the step's deadline out, and a feed entry
            // of a step imported by file often has none (the field is optional): the step
            // is not thereby without one. A wrong deadline is corrected by a send giving
            // the right one.
            due_at: step.due_at.or(existing.and_then(|e| e.due_at)),
            finished_at: step.finished_at,
            source_key: Some(step.key.clone()),
        }
    }
}

/// Whether `officer`, in service on the step's `day`, works outside the dossier's unit now.
fn left_the_unit(
    conn: &mut AnyConnection,
    officer: i64,
    dossier_unit: i64,
    day: Option<chrono::NaiveDate>,
) -> QueryResult<bool> {
    let Some((person, path)) = crate::db::staff::find_with_path(conn, officer)? else {
        return Ok(false);
    };
    let Some(unit) = crate::db::units::find(conn, dossier_unit)? else {
        return Ok(false);
    };
    let served = day.is_none_or(|d| person.in_service_on(d));
    Ok(served && !crate::domain::units::in_subtree(&path, &unit.path))
}

/// Gives a stored step the columns a feed step sets.
fn set_step(
    conn: &mut AnyConnection,
    id: i64,
    v: &Values,
    stamp: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(dossier_steps::table.find(id))
        .set((
            dossier_steps::staff_id.eq(v.staff_id),
            dossier_steps::unit_id.eq(v.unit_id),
            dossier_steps::matched_by.eq(&v.matched_by),
            dossier_steps::handler_issue.eq(&v.handler_issue),
            dossier_steps::handler_name.eq(&v.handler_name),
            dossier_steps::handler_account.eq(&v.handler_account),
            dossier_steps::action.eq(&v.action),
            dossier_steps::received_at.eq(v.received_at),
            dossier_steps::due_at.eq(v.due_at),
            dossier_steps::finished_at.eq(v.finished_at),
            dossier_steps::source_key.eq(&v.source_key),
            dossier_steps::updated_at.eq(stamp),
        ))
        .execute(conn)
}

fn load(conn: &mut AnyConnection, dossier_id: i64) -> QueryResult<Vec<(StepRow, Option<String>)>> {
    dossier_steps::table
        .filter(dossier_steps::dossier_id.eq(dossier_id))
        .order(dossier_steps::step_no)
        .select((StepRow::as_select(), dossier_steps::source_key))
        .load(conn)
}

/// What writing a log did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Merged {
    pub changed: bool,
    /// Steps of the log that stay without a staff member.
    pub unattributed: u64,
}

/// Writes the entries onto the dossier's steps: an entry seen before (by its key, or an
/// open step now done) updates its step, a new one becomes the next step.
pub fn merge_log(
    conn: &mut AnyConnection,
    (actor, own_staff): (Option<i64>, Option<i64>),
    dossier: &DossierRow,
    steps: &[FeedStep],
) -> QueryResult<Merged> {
    let mut current = load(conn, dossier.id)?;
    // Only steps stored before this write can be disputed.
    let ids: Vec<i64> = current.iter().map(|(r, _)| r.id).collect();
    let disputed = crate::db::disputes::disputed_steps(conn, &ids)?;
    let mut changed = false;
    let mut unattributed = 0;
    let stamp = super::now();
    // Steps a done entry of this log names by their exact key (that entry is the step, so
    // another cannot be), and those a done entry took by a looser match in this write:
    // neither is free to be found by a looser match again. A step named or taken by an
    // open entry is: the same log may carry the step in progress and, without its start,
    // done.
    let named: HashSet<&str> = steps
        .iter()
        .filter(|s| s.finished_at.is_some())
        .map(|s| s.key.as_str())
        .collect();
    let mut taken = HashSet::new();
    let contested = contested(steps, &current);
    for step in steps {
        let exact = current
            .iter()
            .find(|(_, k)| k.as_deref() == Some(step.key.as_str()))
            .or_else(|| {
                step.finished_at.and(current.iter().find(|(r, k)| {
                    k.as_deref() == Some(step.open_key.as_str()) && r.finished_at.is_none()
                }))
            });
        let loose = match exact {
            Some(_) => None,
            None => resent(step, &current, &named, &taken)
                .or_else(|| imported(step, &current, &taken, &contested)),
        };
        let found = exact.or(loose).cloned();
        // An open entry re-sent after the same person's same step was done (a retry, or
        // out of order) is stale: not a new step left open for ever, nor a reason to
        // reopen the step it names. One that began after that round was done is the
        // next round of the step (the same officer examining the file again after a
        // supplement), and is a step of its own.
        let stale = step.finished_at.is_none()
            && match &found {
                Some((r, _)) => r.finished_at.is_some(),
                // The officer's same step done, stored; or, for an entry without its
                // start (which it has none to give), in this very log, whose done form may
                // take a step imported by file, which has no key to compare.
                None => {
                    let done_by = |f: Option<NaiveDateTime>| {
                        f.is_some_and(|f| step.started_at.is_none_or(|s| s <= f))
                    };
                    current.iter().any(|(r, k)| {
                        done_by(r.finished_at)
                            && k.as_deref().is_some_and(|k| k.starts_with(&step.who_what))
                    }) || (step.started_at.is_none()
                        && steps
                            .iter()
                            .any(|d| d.who_what == step.who_what && d.finished_at.is_some()))
                }
            };
        if stale {
            continue;
        }
        if let (Some((row, _)), Some(_)) = (loose, step.finished_at) {
            taken.insert(row.id);
        }
        let old = found.as_ref().map(|(r, k)| Values::of(r, k.clone()));
        let is_disputed = found
            .as_ref()
            .is_some_and(|(r, _)| disputed.contains(&r.id));
        // Names and aliases are looked for among the people the dossier's unit holds now:
        // one that fitted the step's officer and now fits someone else, the officer having
        // left the unit since (in service on the step's day), means people moved (a
        // namesake came in), not that the step was someone else's. A correction (the
        // officer's name, or a joining date after the step) still moves it.
        let officer_left = match (&step.resolution, old.as_ref().and_then(|o| o.staff_id)) {
            (Resolution::Staff(new_id, how), Some(old_id))
                if *new_id != old_id
                    && how.rank() <= MatchedBy::Alias.rank()
                    && old.as_ref().is_some_and(|o| {
                        (1..=MatchedBy::Alias.rank())
                            .contains(&MatchedBy::rank_of(o.matched_by.as_deref()))
                    }) =>
            {
                let day = crate::domain::onestop::step_day(
                    step.started_at.map(to_local),
                    step.finished_at.map(to_local),
                );
                left_the_unit(conn, old_id, dossier.unit_id, day)?
            }
            _ => false,
        };
        let mut new = Values::wanted(step, old.as_ref(), is_disputed, officer_left, own_staff);
        // A step found by a looser match keeps its key, so that a vendor alternating two
        // forms of the entry changes nothing on each send; only a start the log gives for
        // the first time changes it (without one in the key, the start would be inferred
        // over the log's, and a file's start gives way to the log's).
        if loose.is_some()
            && let Some(old_key) = old.as_ref().and_then(|o| o.source_key.as_deref())
            && (key_has_log_start(old_key) || !key_has_log_start(&step.key))
        {
            new.source_key = Some(old_key.to_owned());
        }
        // A step imported by file taken by an entry without a start keeps the start the
        // file gave (inferred, it would be replaced), marked as the file's: a start the
        // log gives later may differ from it a little and still be this step.
        if let Some((row, None)) = loose
            && !key_has_start(&step.key)
            && let Some(start) = row.received_at
        {
            let key = file_start_key(&step.who_what, to_local(start));
            if !current
                .iter()
                .any(|(_, k)| k.as_deref() == Some(key.as_str()))
            {
                new.source_key = Some(key);
            }
        }
        if new.staff_id.is_none() {
            unattributed += 1;
        }
        match found {
            Some(_) if old.as_ref() == Some(&new) => {}
            Some((row, _)) => {
                set_step(conn, row.id, &new, stamp)?;
                audit::record(
                    conn,
                    Entry {
                        actor_user_id: actor,
                        entity: "dossier_step",
                        entity_id: row.id,
                        action: "update",
                        province_id: Some(dossier.province_id),
                        unit_id: Some(dossier.unit_id),
                        before: old.as_ref(),
                        after: Some(&new),
                    },
                )?;
                changed = true;
                current = load(conn, dossier.id)?;
            }
            None => {
                let next = current.iter().map(|(r, _)| r.step_no).max().unwrap_or(0) + 1;
                diesel::insert_into(dossier_steps::table)
                    .values((
                        dossier_steps::province_id.eq(dossier.province_id),
                        dossier_steps::dossier_id.eq(dossier.id),
                        dossier_steps::step_no.eq(next),
                        dossier_steps::staff_id.eq(new.staff_id),
                        dossier_steps::unit_id.eq(new.unit_id),
                        dossier_steps::matched_by.eq(&new.matched_by),
                        dossier_steps::handler_issue.eq(&new.handler_issue),
                        dossier_steps::handler_name.eq(&new.handler_name),
                        dossier_steps::handler_account.eq(&new.handler_account),
                        dossier_steps::action.eq(&new.action),
                        dossier_steps::received_at.eq(new.received_at),
                        dossier_steps::due_at.eq(new.due_at),
                        dossier_steps::finished_at.eq(new.finished_at),
                        dossier_steps::source_key.eq(&new.source_key),
                        dossier_steps::created_at.eq(stamp),
                        dossier_steps::updated_at.eq(stamp),
                    ))
                    .execute(conn)?;
                changed = true;
                current = load(conn, dossier.id)?;
            }
        }
    }
    if infer_starts(conn, dossier, &current)? {
        changed = true;
    }
    Ok(Merged {
        changed,
        unattributed,
    })
}

/// The one stored feed step a re-sent entry is, when its key matched none because the
/// vendor sent the entry's fields otherwise this time (`same_step`); none when no step
/// or more than one fits, so that nothing is merged by a guess.
fn resent<'a>(
    step: &FeedStep,
    current: &'a [(StepRow, Option<String>)],
    named: &HashSet<&str>,
    taken: &HashSet<i64>,
) -> Option<&'a (StepRow, Option<String>)> {
    let entry = StepFace {
        account: step.handler_account.as_deref(),
        name: step.handler_name.as_deref(),
        action: step.action.as_deref(),
        started: step.started_at,
        finished: step.finished_at,
    };
    let mut fits = current.iter().filter(|(row, key)| {
        let Some(key) = key.as_deref() else {
            return false;
        };
        let stored = StepFace {
            account: row.handler_account.as_deref(),
            name: row.handler_name.as_deref(),
            action: row.action.as_deref(),
            started: row.received_at.filter(|_| key_has_log_start(key)),
            finished: row.finished_at,
        };
        !named.contains(key) && !taken.contains(&row.id) && same_step(entry, stored)
    });
    match (fits.next(), fits.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// Whether `row`, a step imported by file (no log key), is the one the entry is: the
/// officer the entry's handler is, and `fits_file_step`.
fn file_step_fits(step: &FeedStep, row: &StepRow) -> bool {
    let person = match step.resolution {
        Resolution::Staff(id, _) | Resolution::BeyondReach(id) => id,
        Resolution::Unresolved(_) => return false,
    };
    let entry = StepFace {
        action: step.action.as_deref(),
        started: step.started_at,
        finished: step.finished_at,
        ..StepFace::default()
    };
    let file = StepFace {
        started: row.received_at,
        finished: row.finished_at,
        ..StepFace::default()
    };
    row.staff_id == Some(person) && fits_file_step(entry, file)
}

/// The steps imported by file that two done entries of this log fit: which of them is
/// the step would be a guess, so neither takes it.
fn contested(steps: &[FeedStep], current: &[(StepRow, Option<String>)]) -> HashSet<i64> {
    current
        .iter()
        .filter(|(row, key)| {
            key.is_none()
                && steps
                    .iter()
                    .filter(|s| s.finished_at.is_some() && file_step_fits(s, row))
                    .count()
                    > 1
        })
        .map(|(row, _)| row.id)
        .collect()
}

/// The one step imported by file (no log key: the dossier came by file before the feed
/// reached it) that an entry is (`file_step_fits`), and that no other done entry of the
/// log fits. Taken, it gets the entry's key and is the feed's from then on. Without
/// this, every dossier imported by file and then sent by the feed (a province moving
/// from CSV exports to the portal's feed) had each step twice, counted twice in its
/// officer's handled and late steps.
fn imported<'a>(
    step: &FeedStep,
    current: &'a [(StepRow, Option<String>)],
    taken: &HashSet<i64>,
    contested: &HashSet<i64>,
) -> Option<&'a (StepRow, Option<String>)> {
    let mut fits = current.iter().filter(|(row, key)| {
        key.is_none()
            && !taken.contains(&row.id)
            && !contested.contains(&row.id)
            && file_step_fits(step, row)
    });
    match (fits.next(), fits.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// Gives each feed step without a start in the log the end of the hand-over before it
/// (see `inferred_start`); recomputed on every write, so entries arriving out of order
/// settle to the same starts.
fn infer_starts(
    conn: &mut AnyConnection,
    dossier: &DossierRow,
    steps: &[(StepRow, Option<String>)],
) -> QueryResult<bool> {
    let mut changed = false;
    for (row, key) in steps {
        if key.as_deref().is_none_or(key_has_start) {
            continue;
        }
        let ends: Vec<NaiveDateTime> = steps
            .iter()
            .filter(|(other, _)| other.id != row.id)
            .filter_map(|(other, _)| other.finished_at)
            .collect();
        let start = inferred_start(row.finished_at, &ends, dossier.received_at);
        if row.received_at != Some(start) {
            diesel::update(dossier_steps::table.find(row.id))
                .set(dossier_steps::received_at.eq(Some(start)))
                .execute(conn)?;
            changed = true;
        }
    }
    Ok(changed)
}
