//! Who a dossier file may name as a step's handler: only people within the importer's
//! reach (as the feed), and a stored step is not handed away from the importer's own
//! officer record nor from an officer beyond their reach (as
//! `PUT /dossier-steps/{id}/handler`).

use std::collections::HashMap;

use super::dossiers::Checked;
use crate::db::AnyConnection;
use crate::db::dossiers::{self, DossierRow, StepFields};
use crate::domain::access::Visibility;

/// Of the province's staff with these codes, those within `scope`: code → (id, unit).
pub(super) fn reachable_staff(
    conn: &mut AnyConnection,
    scope: &Visibility,
    province: i64,
    codes: &[&str],
) -> Result<HashMap<String, (i64, i64)>, diesel::result::Error> {
    Ok(crate::db::staff::by_codes(conn, province, codes)?
        .into_iter()
        .filter(|(s, path)| scope.staff(s.id, path))
        .map(|(s, _)| (s.code, (s.id, s.unit_id)))
        .collect())
}

/// The lines of `group` that would hand a step `before` holds to another officer when
/// that step is the importer's own (`own_staff`) or its officer is beyond `scope`: (line,
/// step number, why).
pub(super) fn unmovable(
    conn: &mut AnyConnection,
    scope: &Visibility,
    own_staff: Option<i64>,
    before: &DossierRow,
    group: &[(u64, Checked, Option<StepFields>)],
    officers: &mut HashMap<i64, Option<String>>,
) -> Result<Vec<(u64, i32, &'static str)>, diesel::result::Error> {
    let named: Vec<&(u64, Checked, Option<StepFields>)> =
        group.iter().filter(|(_, _, s)| s.is_some()).collect();
    if named.is_empty() {
        return Ok(Vec::new());
    }
    let stored = dossiers::with_steps(conn, vec![before.clone()])?
        .pop()
        .map(|(_, s)| s)
        .unwrap_or_default();
    let mut out = Vec::new();
    for (line, _, step) in named {
        let Some(step) = step else { continue };
        let Some(old) = stored
            .iter()
            .find(|c| c.step_no == step.step_no)
            .and_then(|c| c.staff_id)
            .filter(|old| step.staff_id != Some(*old))
        else {
            continue;
        };
        if own_staff == Some(old) {
            out.push((
                *line,
                step.step_no,
                "a step of your own is for another to attribute",
            ));
            continue;
        }
        let path = match officers.get(&old) {
            Some(p) => p.clone(),
            None => {
                let p = crate::db::staff::find_with_path(conn, old)?.map(|(_, path)| path);
                officers.insert(old, p.clone());
                p
            }
        };
        if !path.is_some_and(|p| scope.staff(old, &p)) {
            out.push((
                *line,
                step.step_no,
                "the step's officer works outside your reach",
            ));
        }
    }
    Ok(out)
}
