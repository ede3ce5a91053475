//! `congvu admin resync-dossier-register`: every dossier's late steps entered in the
//! violation register again, as this version judges them. The register is kept in step
//! with each dossier when it is sent or changed; a version that judges steps differently
//! (how a supplement pause moves a step's deadline, say) changes nothing for dossiers
//! nobody sends again, until this is run once. A province and 500 dossiers a transaction.

use diesel::prelude::*;

use super::BoxError;
use crate::db::dossiers::{LATE_STEP_CODE, SOURCE_DOSSIER, sync_many};
use crate::db::onestop::twins::next_dossiers;
use crate::db::schema::violations;
use crate::db::{AnyConnection, Db, units};

/// Dossiers a transaction.
const CHUNK: i64 = 500;

pub(super) fn resync_dossier_register(db: &Db, province: Option<&str>) -> Result<(), String> {
    let roots = match province {
        None => db
            .read(|c| -> Result<_, BoxError> { Ok(units::roots(c)?) })
            .map_err(|e| e.to_string())?,
        Some(code) => vec![super::imports::province_root(db, code)?],
    };
    for root in &roots {
        let before = db
            .read(|c| -> Result<_, BoxError> { Ok(late_steps(c, root.id)?) })
            .map_err(|e| e.to_string())?;
        let (mut after, mut dossiers) = (0, 0);
        loop {
            let now = crate::api::local_now();
            let done = db
                .write(|c| -> Result<_, BoxError> {
                    let ids = next_dossiers(c, root.id, after, CHUNK)?;
                    sync_many(c, root.id, &ids, now)?;
                    Ok(ids)
                })
                .map_err(|e| e.to_string())?;
            let Some(&last) = done.last() else { break };
            after = last;
            dossiers += done.len();
        }
        let now_entered = db
            .read(|c| -> Result<_, BoxError> { Ok(late_steps(c, root.id)?) })
            .map_err(|e| e.to_string())?;
        println!(
            "{}: {dossiers} dossiers, late steps in the register {before} before, {now_entered} now",
            root.code
        );
    }
    Ok(())
}

fn late_steps(c: &mut AnyConnection, province_id: i64) -> QueryResult<i64> {
    violations::table
        .filter(violations::province_id.eq(province_id))
        .filter(violations::code.eq(LATE_STEP_CODE))
        // Inspection findings are filed under the same code; only the dossiers' count.
        .filter(violations::source.eq(SOURCE_DOSSIER))
        .count()
        .get_result(c)
}
