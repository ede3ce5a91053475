//! `congvu admin merge-twin-steps`: the one-stop steps earlier versions stored twice,
//! reported first and merged with `--apply`, a province and 500 dossiers a transaction.

use super::BoxError;
use crate::db::onestop::twins::{Found, Kind, next_dossiers, scan};
use crate::db::{Db, LockClass, advisory_lock, units};

/// Dossiers a transaction.
const CHUNK: i64 = 500;

pub(super) fn merge_twin_steps(db: &Db, province: Option<&str>, apply: bool) -> Result<(), String> {
    let roots = match province {
        None => db
            .read(|c| -> Result<_, BoxError> { Ok(units::roots(c)?) })
            .map_err(|e| e.to_string())?,
        Some(code) => vec![super::imports::province_root(db, code)?],
    };
    let (mut merged, mut dossiers, mut left) = (0, 0, 0);
    for root in &roots {
        let mut after = 0;
        loop {
            let ids = db
                .read(|c| -> Result<_, BoxError> { Ok(next_dossiers(c, root.id, after, CHUNK)?) })
                .map_err(|e| e.to_string())?;
            let Some(&last) = ids.last() else { break };
            after = last;
            let now = crate::api::local_now();
            let found = if apply {
                db.write(|c| -> Result<_, BoxError> {
                    advisory_lock(c, LockClass::Dossiers, root.id)?;
                    Ok(scan(c, &ids, true, now)?)
                })
            } else {
                db.read(|c| -> Result<_, BoxError> { Ok(scan(c, &ids, false, now)?) })
            }
            .map_err(|e| e.to_string())?;
            let mut seen = std::collections::HashSet::new();
            for f in &found {
                println!("{}: {}", root.code, line(f, apply));
                match f.kind {
                    Kind::Merge { .. } => {
                        merged += f.steps.len() - 1;
                        if seen.insert(f.dossier.clone()) {
                            dossiers += 1;
                        }
                    }
                    Kind::Disputed | Kind::Unsure => left += 1,
                }
            }
        }
    }
    let verb = if apply { "merged" } else { "to merge" };
    println!("{merged} twin steps {verb} in {dossiers} dossiers; {left} groups left alone");
    if !apply && merged > 0 {
        println!("nothing was changed: run again with --apply to merge them");
    }
    Ok(())
}

fn line(f: &Found, apply: bool) -> String {
    let steps: Vec<String> = f.steps.iter().map(i32::to_string).collect();
    let about: Vec<&str> = [f.handler.as_str(), f.action.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    let what = format!(
        "dossier {} steps {} ({})",
        f.dossier,
        steps.join(", "),
        about.join(", ")
    );
    match f.kind {
        Kind::Merge { kept } if apply => format!("{what}: merged into step {kept}"),
        Kind::Merge { kept } => format!("{what}: one step, to be merged into step {kept}"),
        Kind::Disputed => format!("{what}: one step disputed more than once, left alone"),
        Kind::Unsure => format!("{what}: alike only in a chain (perhaps two rounds), left alone"),
    }
}
