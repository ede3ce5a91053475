//! Who a dossier file may name as a step's handler: only people within the importer's
//! reach (as the feed), and a stored step is not handed away from the importer's own
//! officer record nor from an officer beyond their reach (as
//! `PUT /dossier-steps/{id}/handler`).

use std::collections::HashMap;

use super::dossiers::Checked;
use crate::db::AnyConnection;
use crate::db::dossiers::{StepFields, StepRow};
use crate::domain::access::Visibility;
use crate::domain::onestop::MatchedBy;

/// A step's officer as a file names them: their id, their present unit with the day
/// they came into it (the step's own day decides its unit, `moves::PostingCache`), and
/// whether the importer reaches them there.
#[derive(Debug, Clone, Copy)]
pub(super) struct Officer {
    pub id: i64,
    pub unit: (i64, Option<chrono::NaiveDate>),
    pub reached_now: bool,
}

/// The province's staff with these codes, by code, each with whether `scope` reaches
/// them in their present unit. One it does not may still be named for a step done while
/// they were in a unit it reaches (`reaches_on_the_day`).
pub(super) fn province_staff(
    conn: &mut AnyConnection,
    scope: &Visibility,
    province: i64,
    codes: &[&str],
) -> Result<HashMap<String, Officer>, diesel::result::Error> {
    Ok(crate::db::staff::by_codes(conn, province, codes)?
        .into_iter()
        .map(|(s, path)| {
            let reached_now = scope.staff(s.id, &path);
            (
                s.code,
                Officer {
                    id: s.id,
                    unit: (s.unit_id, s.unit_since),
                    reached_now,
                },
            )
        })
        .collect())
}

/// Whether the importer may name `officer` for a step whose officer was in `unit_on_day`
/// that day: reached where they are now, or in the unit they were in that day (as
/// check-ins of the days before a transfer are). Before, only the present unit counted:
/// the old department's file of the month before a transfer had every line of the
/// officer who moved rejected, and their late steps were never recorded.
pub(super) fn reaches_on_the_day(
    conn: &mut AnyConnection,
    scope: &Visibility,
    officer: &Officer,
    unit_on_day: i64,
    paths: &mut HashMap<i64, Option<String>>,
) -> Result<bool, diesel::result::Error> {
    if officer.reached_now {
        return Ok(true);
    }
    if unit_on_day == officer.unit.0 {
        return Ok(false);
    }
    let path = match paths.get(&unit_on_day) {
        Some(p) => p.clone(),
        None => {
            let p = crate::db::units::find(conn, unit_on_day)?.map(|u| u.path);
            paths.insert(unit_on_day, p.clone());
            p
        }
    };
    Ok(path.is_some_and(|p| scope.subtree(&p)))
}

/// The steps of `group` that would be handed away from their `stored` officer when the
/// line names no officer, that step is the importer's own (`own_staff`), its officer is
/// beyond `scope`, or it was attributed by hand: (the line
/// that names the step last, as the merge takes it, the step number, the stored officer
/// and their unit, why).
pub(super) fn unmovable(
    conn: &mut AnyConnection,
    scope: &Visibility,
    own_staff: Option<i64>,
    stored: &[StepRow],
    group: &[(u64, Checked, Option<StepFields>)],
    officers: &mut HashMap<i64, Option<String>>,
) -> Result<Vec<Unmovable>, diesel::result::Error> {
    // A step named twice (open, then finished) is merged as its last line says.
    let mut last: Vec<(u64, &StepFields)> = Vec::new();
    for (line, _, step) in group {
        let Some(step) = step else { continue };
        last.retain(|(_, s)| s.step_no != step.step_no);
        last.push((*line, step));
    }
    let mut out = Vec::new();
    for (line, step) in last {
        let Some((old, old_unit, manual)) = stored
            .iter()
            .find(|c| c.step_no == step.step_no)
            .and_then(|c| {
                let manual = c.matched_by.as_deref() == Some(MatchedBy::Manual.code());
                c.staff_id.map(|id| (id, c.unit_id, manual))
            })
            .filter(|(old, _, _)| step.staff_id != Some(*old))
        else {
            continue;
        };
        let path = match officers.get(&old) {
            Some(p) => p.clone(),
            None => {
                let p = crate::db::staff::find_with_path(conn, old)?.map(|(_, path)| path);
                officers.insert(old, p.clone());
                p
            }
        };
        // An administrator's attribution by hand is a correction the next export, still
        // naming the officer corrected, must not undo (a re-sent feed does not either).
        // Nor does the file hand an officer's step to whoever sends it: that moves its
        // lateness (or an on-time step's credit) onto their own record, which another
        // administrator does (as by hand, `PUT /dossier-steps/{id}/handler`).
        let to_sender = own_staff.is_some() && step.staff_id == own_staff;
        // A line without the officer's code (an export that leaves the column empty) says
        // nothing of who did the step: taken as "nobody", it wiped the officer and their
        // register row without a word.
        let why = step
            .staff_id
            .is_none()
            .then_some("the line names no officer")
            .or(scope.keeps_step(own_staff, old, path.as_deref()))
            .or(manual.then_some("the step was attributed by hand"))
            .or(to_sender.then_some("a step is attributed to you by another administrator"));
        if let Some(why) = why {
            out.push(Unmovable {
                line,
                step_no: step.step_no,
                staff_id: old,
                unit_id: old_unit,
                why,
            });
        }
    }
    Ok(out)
}

/// A step a file may not hand away: the line naming it, its number, and the officer (and
/// unit) it keeps.
pub(super) struct Unmovable {
    pub line: u64,
    pub step_no: i32,
    pub staff_id: i64,
    pub unit_id: Option<i64>,
    pub why: &'static str,
}
