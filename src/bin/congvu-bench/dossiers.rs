//! The dossier import's benchmark inputs and its baseline: request bodies for
//! POST /dossiers/import (new dossiers of the generated province's desks, three steps
//! each, handled by its staff), and the same dossiers and steps written by COPY.

use std::io::Write;
use std::path::Path;

use chrono::{Duration, NaiveDateTime};
use congvu::db::dossiers::{NewDossier, NewStep};
use congvu::db::schema::{dossier_steps, dossiers, staff, units};
use congvu::db::{AnyConnection, Db};
use congvu::domain::attendance::{to_local, to_utc};
use diesel::prelude::*;

use super::baseline::BoxError;

/// Steps of each generated dossier.
const STEPS: usize = 3;

/// Desks (departments and communes) and handlers (their staff) of the generated province.
struct Province {
    province_id: i64,
    desks: Vec<(i64, String)>,
    handlers: Vec<(i64, i64, String)>,
}

fn province(c: &mut AnyConnection) -> Result<Province, BoxError> {
    let desks: Vec<(i64, i64, String)> = units::table
        .filter(units::kind.eq_any(["department", "commune"]))
        .order(units::id)
        .select((units::province_id, units::id, units::code))
        .load(c)?;
    let Some(province_id) = desks.first().map(|d| d.0) else {
        return Err("the generated province has no desks".into());
    };
    let desk_ids: Vec<i64> = desks.iter().map(|d| d.1).collect();
    let handlers: Vec<(i64, i64, String)> = staff::table
        .filter(staff::unit_id.eq_any(&desk_ids))
        .order(staff::id)
        .select((staff::id, staff::unit_id, staff::code))
        .load(c)?;
    if handlers.is_empty() {
        return Err("the generated province's desks have no staff".into());
    }
    Ok(Province {
        province_id,
        desks: desks.into_iter().map(|(_, id, code)| (id, code)).collect(),
        handlers,
    })
}

/// Dossier `i` of a run: its desk, code, reception, deadline and whether it is finished,
/// and its steps' handlers and times (local).
struct Planned {
    desk: usize,
    code: String,
    received: NaiveDateTime,
    due: NaiveDateTime,
    finished: Option<NaiveDateTime>,
    steps: Vec<(usize, NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>)>,
}

fn plan(p: &Province, tag: &str, i: usize) -> Planned {
    let desk = i % p.desks.len();
    let received = to_local(congvu::db::now()) - Duration::days(3) + Duration::seconds(i as i64);
    let due = received + Duration::days(5);
    let finished = (!i.is_multiple_of(4)).then(|| received + Duration::hours(30));
    let steps = (0..STEPS)
        .map(|s| {
            let start = received + Duration::hours(10 * s as i64);
            let end = start + Duration::hours(10);
            let handler = (i * 7919 + s) % p.handlers.len();
            (
                handler,
                start,
                start + Duration::hours(13),
                finished.map(|_| end),
            )
        })
        .collect();
    Planned {
        desk,
        code: format!("BENCH-{tag}-{i:07}"),
        received,
        due,
        finished,
        steps,
    }
}

fn fmt(t: NaiveDateTime) -> String {
    t.format("%Y%m%d%H%M%S").to_string()
}

/// `files` import bodies of `size` dossiers each (`dossiers-N.json`), a line a step.
pub fn write_files(url: &str, dir: &Path, files: usize, size: usize) -> Result<(), BoxError> {
    let mut c = Db::raw_connection(url)?;
    let p = province(&mut c)?;
    let tag = chrono::Utc::now().timestamp_millis().to_string();
    std::fs::create_dir_all(dir)?;
    for f in 0..files {
        let mut lines = Vec::with_capacity(size * STEPS);
        for i in f * size..(f + 1) * size {
            let d = plan(&p, &tag, i);
            for (no, (handler, start, due, end)) in d.steps.iter().enumerate() {
                lines.push(serde_json::json!({
                    "code": d.code,
                    "procedure": "Thủ tục hành chính",
                    "unit_code": p.desks[d.desk].1,
                    "received_at": fmt(d.received),
                    "due_at": fmt(d.due),
                    "finished_at": d.finished.map(fmt),
                    "status": if d.finished.is_some() { "finished" } else { "in_progress" },
                    "step_no": no + 1,
                    "step_staff_code": p.handlers[*handler].2,
                    "step_received_at": fmt(*start),
                    "step_due_at": fmt(*due),
                    "step_finished_at": end.map(fmt),
                }));
            }
        }
        let mut out = std::io::BufWriter::new(std::fs::File::create(
            dir.join(format!("dossiers-{f}.json")),
        )?);
        serde_json::to_writer(&mut out, &serde_json::json!({ "dossiers": lines }))?;
        out.flush()?;
    }
    Ok(())
}

/// The same kind of dossiers and steps in one transaction: COPY of the dossiers, one query
/// for their ids, COPY of the steps (PostgreSQL); multi-row inserts on SQLite. Returns
/// the steps written.
pub fn copy(url: &str, count: usize) -> Result<usize, BoxError> {
    let mut c = Db::raw_connection(url)?;
    let p = province(&mut c)?;
    let tag = format!("copy{}", chrono::Utc::now().timestamp_millis());
    let planned: Vec<Planned> = (0..count).map(|i| plan(&p, &tag, i)).collect();
    let now = congvu::db::now();
    let rows: Vec<NewDossier> = planned
        .iter()
        .map(|d| NewDossier {
            province_id: p.province_id,
            unit_id: p.desks[d.desk].0,
            code: d.code.clone(),
            procedure_name: "Thủ tục hành chính".into(),
            received_at: to_utc(d.received),
            due_at: Some(to_utc(d.due)),
            finished_at: d.finished.map(to_utc),
            status: if d.finished.is_some() {
                "finished"
            } else {
                "in_progress"
            }
            .into(),
            supplement_requested_at: None,
            supplement_received_at: None,
            apology_new_due_at: None,
            created_at: now,
            updated_at: now,
        })
        .collect();
    let written = c.transaction(|c| -> Result<usize, BoxError> {
        match c {
            AnyConnection::Postgresql(pg) => {
                diesel::copy_from(dossiers::table)
                    .from_insertable(&rows)
                    .execute(pg)?;
            }
            AnyConnection::Sqlite(lite) => {
                for chunk in rows.chunks(1000) {
                    diesel::insert_into(dossiers::table)
                        .values(chunk)
                        .execute(lite)?;
                }
            }
        }
        let mut ids = std::collections::HashMap::new();
        for chunk in rows.chunks(1000) {
            let codes: Vec<&str> = chunk.iter().map(|d| d.code.as_str()).collect();
            ids.extend(
                dossiers::table
                    .filter(dossiers::province_id.eq(p.province_id))
                    .filter(dossiers::code.eq_any(codes))
                    .select((dossiers::code, dossiers::id))
                    .load::<(String, i64)>(c)?,
            );
        }
        let mut steps = Vec::with_capacity(count * STEPS);
        for d in &planned {
            let dossier_id = *ids.get(&d.code).ok_or("a copied dossier is missing")?;
            for (no, (handler, start, due, end)) in d.steps.iter().enumerate() {
                let (staff_id, unit_id, _) = &p.handlers[*handler];
                steps.push(NewStep {
                    province_id: p.province_id,
                    dossier_id,
                    step_no: no as i32 + 1,
                    staff_id: Some(*staff_id),
                    unit_id: Some(*unit_id),
                    received_at: Some(to_utc(*start)),
                    due_at: Some(to_utc(*due)),
                    finished_at: end.map(to_utc),
                    created_at: now,
                    updated_at: now,
                });
            }
        }
        match c {
            AnyConnection::Postgresql(pg) => {
                diesel::copy_from(dossier_steps::table)
                    .from_insertable(&steps)
                    .execute(pg)?;
            }
            AnyConnection::Sqlite(lite) => {
                for chunk in steps.chunks(2000) {
                    diesel::insert_into(dossier_steps::table)
                        .values(chunk)
                        .execute(lite)?;
                }
            }
        }
        Ok(steps.len())
    })?;
    Ok(written)
}
