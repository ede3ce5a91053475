//! `congvu import dossiers` (the CSV format, streamed) and `congvu import onestop` (an
//! export of the national portal's feed): the same checks as the API, one transaction
//! per batch, with a progress bar on the terminal.

use super::BoxError;
use crate::config::onestop::OneStopSettings;
use crate::db::Db;
use crate::db::units;
use crate::domain::access::Visibility;
use crate::import::onestop::{self, FeedReport, import_progress, items};

/// `congvu import onestop`: as `POST /onestop/dossiers` (or `/onestop/progress`). Returns
/// how many items were rejected.
pub(super) fn import_onestop(
    db: &Db,
    settings: &OneStopSettings,
    scope: &Visibility,
    file: &std::path::Path,
    progress: bool,
    batch: usize,
) -> Result<usize, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let text =
        crate::import::decode(&bytes, None).map_err(|e| format!("{}: {e}", file.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", file.display()))?;
    let list = items(value).map_err(|e| format!("{}: {e}", file.display()))?;
    let bar = indicatif::ProgressBar::new(list.len() as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    let mut total = FeedReport::default();
    for (n, chunk) in list.chunks(batch).enumerate() {
        let now = crate::domain::attendance::to_local(crate::db::now());
        let mut report = db
            .write(|c| -> Result<_, BoxError> {
                Ok(if progress {
                    import_progress(c, scope, settings, (None, None), chunk, now)?
                } else {
                    onestop::import_dossiers(c, scope, settings, (None, None), chunk, now)?
                })
            })
            .map_err(|e| format!("import stopped after {} items: {e}", n * batch))?;
        // Positions in the file, not in the batch: the item's, and those its errors name.
        for r in &mut report.rejected {
            r.index += (n * batch) as u64;
            r.errors = std::mem::take(&mut r.errors)
                .into_iter()
                .map(|(path, messages)| (in_file(&path, n * batch), messages))
                .collect();
        }
        total.created += report.created;
        total.updated += report.updated;
        total.unchanged += report.unchanged;
        total.unattributed_steps += report.unattributed_steps;
        total.rejected.extend(report.rejected);
        bar.inc(chunk.len() as u64);
        bar.set_message(format!(
            "{} new, {} updated, {} rejected",
            total.created,
            total.updated,
            total.rejected.len()
        ));
    }
    bar.finish_and_clear();
    for r in total.rejected.iter().take(50) {
        let reasons: Vec<String> = r
            .errors
            .iter()
            .map(|(f, m)| format!("{f}: {}", m.join("; ")))
            .collect();
        eprintln!(
            "item {} ({}): {}",
            r.index,
            r.code.as_deref().unwrap_or("?"),
            reasons.join(", ")
        );
    }
    if total.rejected.len() > 50 {
        eprintln!("… and {} more rejected items", total.rejected.len() - 50);
    }
    println!(
        "{} items: {} dossiers created, {} updated, {} unchanged, {} rejected; {} steps kept aside for handler mapping",
        list.len(),
        total.created,
        total.updated,
        total.unchanged,
        total.rejected.len(),
        total.unattributed_steps
    );
    Ok(total.rejected.len())
}

/// A batch's field path (`[2].QuaTrinhXuLy[1].NguoiXuLy`, the batch's second item) as
/// the file's, `offset` items further.
fn in_file(path: &str, offset: usize) -> String {
    if let Some(rest) = path.strip_prefix('[')
        && let Some((n, tail)) = rest.split_once(']')
        && let Ok(n) = n.parse::<usize>()
    {
        return format!("[{}]{tail}", n + offset);
    }
    path.to_owned()
}

/// Where an import may write: one province, or every unit.
pub(super) fn import_scope(
    db: &Db,
    province: Option<&str>,
) -> Result<crate::domain::access::Visibility, String> {
    use crate::domain::access::Visibility;
    Ok(match province {
        None => Visibility {
            all: true,
            ..Visibility::default()
        },
        Some(code) => Visibility {
            subtrees: vec![province_root(db, code)?.path],
            ..Visibility::default()
        },
    })
}

/// The province (root unit) with this code.
pub(super) fn province_root(db: &Db, code: &str) -> Result<units::UnitRow, String> {
    db.read(|c| -> Result<_, BoxError> { Ok(units::find_by_code(c, code)?) })
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|u| u.parent_id.is_none())
        .ok_or_else(|| format!("no province has the code {code:?}"))
}

/// `congvu import dossiers`: streams the file through the same checks as the API, one
/// transaction per batch, with a progress bar on the terminal. Returns how many lines were
/// rejected.
pub(super) fn import_dossiers(
    db: &Db,
    file: &std::path::Path,
    province: Option<&str>,
    encoding: Option<&str>,
    batch: usize,
) -> Result<usize, String> {
    use crate::import::dossiers::{CsvStream, ImportReport, import_lines};

    let scope = import_scope(db, province)?;
    let handle = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let size = handle.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = indicatif::ProgressBar::new(size);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}")
    {
        bar.set_style(style);
    }
    let input =
        crate::import::decoding_reader(bar.wrap_read(std::io::BufReader::new(handle)), encoding)?;
    let mut stream = CsvStream::new(input).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut total = ImportReport::default();
    let mut lines_read: u64 = 0;
    loop {
        let (lines, rejected) = stream.next_batch(batch);
        if lines.is_empty() && rejected.is_empty() {
            break;
        }
        lines_read += (lines.len() + rejected.len()) as u64;
        let now = crate::domain::attendance::to_local(crate::db::now());
        let report = db
            .write(|c| -> Result<_, BoxError> {
                Ok(import_lines(c, &scope, (None, None), &lines, now)?)
            })
            .map_err(|e| format!("import stopped after {lines_read} lines: {e}"))?;
        total.merge(report);
        total.rejected.extend(rejected);
        bar.set_message(format!(
            "{lines_read} lines, {} new, {} updated, {} rejected",
            total.created,
            total.updated,
            total.rejected.len()
        ));
    }
    bar.finish_and_clear();
    total.rejected.sort_by_key(|r| r.line);
    for r in total.rejected.iter().take(50) {
        let reasons: Vec<String> = r
            .errors
            .iter()
            .map(|(f, m)| format!("{f}: {}", m.join("; ")))
            .collect();
        eprintln!("line {}: {}", r.line, reasons.join(", "));
    }
    if total.rejected.len() > 50 {
        eprintln!("… and {} more rejected lines", total.rejected.len() - 50);
    }
    println!(
        "{lines_read} lines: {} dossiers created, {} updated, {} unchanged, {} lines rejected",
        total.created,
        total.updated,
        total.unchanged,
        total.rejected.len()
    );
    Ok(total.rejected.len())
}

/// `congvu demo --scale province`: the generated province-year, with a progress bar.
pub(super) fn load_scale(db: &Db, scale: crate::demo::scale::Scale) -> Result<(), String> {
    let bar = indicatif::ProgressBar::new(scale.days as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} days {msg} ({elapsed})")
    {
        bar.set_style(style);
    }
    let started = std::time::Instant::now();
    let done = crate::demo::scale::load::load(db, scale, &|day, so_far| {
        bar.set_position(day);
        bar.set_message(format!(
            "{} check-ins, {} dossier steps",
            so_far.checkins, so_far.steps
        ));
    })
    .map_err(|e| format!("demo --scale: {e}"))?;
    bar.finish_and_clear();
    if done.already_loaded {
        eprintln!("A generated province is already loaded; nothing was written.");
    } else {
        eprintln!(
            "Generated a province-year in {:.1} s: {} units, {} staff, {} check-ins, {} dossiers with {} steps and {} survey answers, {} inspections with {} findings over {} days; {} entries in the violation register.",
            started.elapsed().as_secs_f64(),
            done.units,
            done.staff,
            done.checkins,
            done.dossiers,
            done.steps,
            done.surveys,
            done.inspections,
            done.findings,
            scale.days,
            done.violations
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::in_file;

    #[test]
    fn a_batch_field_path_is_the_files() {
        assert_eq!(
            in_file("[2].QuaTrinhXuLy[1].NguoiXuLy", 500),
            "[502].QuaTrinhXuLy[1].NguoiXuLy"
        );
        assert_eq!(in_file("MaHoSo", 500), "MaHoSo");
        assert_eq!(
            in_file("QuaTrinhXuLy[1].NguoiXuLy", 500),
            "QuaTrinhXuLy[1].NguoiXuLy"
        );
    }
}
