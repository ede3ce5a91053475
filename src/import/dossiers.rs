//! The dossier import: one line per handling step, lines sharing a `code` are one dossier
//! (API.md). Each line is checked on its own; bad lines are reported with their number and
//! reasons and the good ones are written, idempotently by dossier code.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;
use utoipa::ToSchema;

use super::handlers::{province_staff, reaches_on_the_day, unmovable};
use crate::db::AnyConnection;
use crate::db::dossiers::{self, DossierFields, DossierRow, StepFields, Upserted};
use crate::db::units::UnitRow;
use crate::domain::access::Visibility;
use crate::domain::attendance::to_utc;
use crate::domain::dossiers::{DossierStatus, parse_local};
use crate::error::FieldErrors;

/// A line as read: column name to non-empty value (an empty one only for the
/// [`CLEARABLE`] columns, where it says "clear it").
pub type RawLine = HashMap<String, String>;

/// The optional columns a line may leave out: without the column (or the JSON key) the
/// stored value stays, so a file that never carried them does not erase a supplement
/// recorded by an earlier file; with the column empty (or `null`) the value is cleared.
const CLEARABLE: &[&str] = &[
    "supplement_requested_at",
    "supplement_received_at",
    "apology_new_due_at",
];

/// Whether a line keeps this value: a non-empty one, or any of a [`CLEARABLE`] column.
fn kept(column: &str, value: &str) -> bool {
    !value.is_empty() || CLEARABLE.contains(&column)
}

/// A CSV record as a line, each value through `value`. A short record (trailing empty
/// cells dropped) has the header's other columns empty, not absent.
fn raw_line(
    headers: &[String],
    record: &csv::StringRecord,
    value: impl Fn(&str) -> String,
) -> RawLine {
    headers
        .iter()
        .enumerate()
        .map(|(i, k)| (k, record.get(i).unwrap_or_default()))
        .filter(|(k, v)| kept(k, v))
        .map(|(k, v)| (k.clone(), value(v)))
        .collect()
}

/// The columns of API.md, plus congvu's optional ones for supplements and apologies.
pub const COLUMNS: &[&str] = &[
    "code",
    "procedure",
    "unit_code",
    "received_at",
    "due_at",
    "finished_at",
    "status",
    "step_no",
    "step_staff_code",
    "step_received_at",
    "step_due_at",
    "step_finished_at",
    "supplement_requested_at",
    "supplement_received_at",
    "apology_new_due_at",
];

#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct Rejected {
    /// The line number in the file (the header is line 1), or the 1-based position in a
    /// JSON list.
    pub line: u64,
    pub errors: FieldErrors,
}

#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    /// Dossiers (or survey answers, by their keys) sent again without a change.
    pub unchanged: u64,
    pub rejected: Vec<Rejected>,
}

impl ImportReport {
    pub fn merge(&mut self, other: ImportReport) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.rejected.extend(other.rejected);
    }
}

/// The field separator of a file, from its header line: a tab for Excel's "Unicode text"
/// (UTF-16, tab-separated), a semicolon for a CSV saved where the decimal mark is a
/// comma (as in Vietnamese Excel), else a comma. The header's names hold none of them.
fn delimiter_of(header: &[u8]) -> u8 {
    let line = header.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |d: u8| line.iter().filter(|b| **b == d).count();
    [b'\t', b';']
        .into_iter()
        .find(|d| count(*d) > 0 && count(b',') == 0)
        .unwrap_or(b',')
}

/// Reads CSV text with a header row into numbered lines; a line the CSV reader cannot
/// split is reported as rejected.
pub fn read_csv(text: &str, first_line: u64) -> (Vec<(u64, RawLine)>, Vec<Rejected>) {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter_of(text.as_bytes()))
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_lowercase()).collect(),
        Err(e) => {
            return (
                Vec::new(),
                vec![Rejected {
                    line: 1,
                    errors: FieldErrors::from([("header".to_owned(), vec![e.to_string()])]),
                }],
            );
        }
    };
    let mut lines = Vec::new();
    let mut rejected = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let number = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(first_line + i as u64 + 1, |p| p.line());
        match record {
            Ok(r) => lines.push((number, raw_line(&headers, &r, str::to_owned))),
            Err(e) => rejected.push(Rejected {
                line: number,
                errors: FieldErrors::from([("line".to_owned(), vec![e.to_string()])]),
            }),
        }
    }
    (refuse_nul(lines, &mut rejected), rejected)
}

/// The lines without U+0000 in any value; each other one is rejected, naming its columns
/// (`domain::text::NUL_MESSAGE`). Every reader of lines ends here, so CSV and JSON, the API
/// and the command line refuse the same lines on both databases.
fn refuse_nul(lines: Vec<(u64, RawLine)>, rejected: &mut Vec<Rejected>) -> Vec<(u64, RawLine)> {
    lines
        .into_iter()
        .filter(|(number, raw)| {
            let mut bad: Vec<&String> = raw
                .iter()
                .filter(|(k, v)| k.contains('\0') || v.contains('\0'))
                .map(|(k, _)| k)
                .collect();
            bad.sort();
            if bad.is_empty() {
                return true;
            }
            rejected.push(Rejected {
                line: *number,
                errors: bad
                    .into_iter()
                    .map(|k| (k.clone(), vec![crate::domain::text::NUL_MESSAGE.to_owned()]))
                    .collect(),
            });
            false
        })
        .collect()
}

/// Reads CSV from a stream in batches, so files of hundreds of thousands of lines are
/// never held in memory whole. Values are NFC-normalised (the stream is decoded as it is
/// read, see [`super::decoding_reader`]).
type HeaderThenRest<R> = std::io::Chain<std::io::Cursor<Vec<u8>>, std::io::BufReader<R>>;

pub struct CsvStream<R: std::io::Read> {
    reader: csv::Reader<HeaderThenRest<R>>,
    headers: Vec<String>,
}

impl<R: std::io::Read> CsvStream<R> {
    pub fn new(input: R) -> Result<Self, csv::Error> {
        use std::io::{BufRead, Read};
        // The header line is read first for its separator, then given back to the reader.
        let mut input = std::io::BufReader::new(input);
        let mut header = Vec::new();
        // At most 64 KiB of it: a file without line breaks is not held whole.
        (&mut input)
            .take(64 * 1024)
            .read_until(b'\n', &mut header)?;
        let delimiter = delimiter_of(&header);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(std::io::Cursor::new(header).chain(input));
        let headers = reader
            .headers()?
            .iter()
            .map(|s| s.trim().to_lowercase())
            .collect();
        Ok(CsvStream { reader, headers })
    }

    /// Up to `n` more lines (fewer at the end; none when the file is done).
    pub fn next_batch(&mut self, n: usize) -> (Vec<(u64, RawLine)>, Vec<Rejected>) {
        let mut lines = Vec::new();
        let mut rejected = Vec::new();
        let mut record = csv::StringRecord::new();
        while lines.len() + rejected.len() < n {
            match self.reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    let number = record.position().map_or(0, |p| p.line());
                    // The streaming decoder stands U+FFFD in for bytes it cannot decode:
                    // such a line would store mangled names, so it is refused.
                    if record.iter().any(|v| v.contains('\u{FFFD}')) {
                        rejected.push(Rejected {
                            line: number,
                            errors: FieldErrors::from([(
                                "line".to_owned(),
                                vec![
                                    "has bytes that are not valid in the file's encoding \
                                     (UTF-8 unless another is declared: charset=windows-1258 \
                                     in the request's Content-Type, --encoding on the \
                                     command line)"
                                        .to_owned(),
                                ],
                            )]),
                        });
                        continue;
                    }
                    lines.push((
                        number,
                        raw_line(&self.headers, &record, |v| v.nfc().collect()),
                    ));
                }
                Err(e) => {
                    let number = e.position().map_or(0, |p| p.line());
                    rejected.push(Rejected {
                        line: number,
                        errors: FieldErrors::from([("line".to_owned(), vec![e.to_string()])]),
                    });
                    // An I/O or encoding error ends the stream; a malformed line does not.
                    if !matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. }) {
                        break;
                    }
                }
            }
        }
        (refuse_nul(lines, &mut rejected), rejected)
    }
}

/// Reads JSON rows (objects with the CSV's column names) into numbered lines.
pub fn read_json(rows: Vec<serde_json::Value>) -> (Vec<(u64, RawLine)>, Vec<Rejected>) {
    let mut lines = Vec::new();
    let mut rejected = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        let number = i as u64 + 1;
        match row {
            serde_json::Value::Object(map) => lines.push((
                number,
                map.into_iter()
                    .filter_map(|(k, v)| {
                        let text = match v {
                            serde_json::Value::Null => String::new(),
                            // NFC as a file's lines (README): an NFD name sent as JSON
                            // was stored apart, and each file after it an update.
                            serde_json::Value::String(s) => s.trim().nfc().collect(),
                            other => other.to_string(),
                        };
                        let k = k.to_lowercase();
                        kept(&k, &text).then_some((k, text))
                    })
                    .collect(),
            )),
            _ => rejected.push(Rejected {
                line: number,
                errors: FieldErrors::from([("line".to_owned(), vec!["must be an object".into()])]),
            }),
        }
    }
    (refuse_nul(lines, &mut rejected), rejected)
}

/// A line whose own fields are well formed (codes still to be resolved).
#[derive(Debug, Clone)]
pub(super) struct Checked {
    code: String,
    procedure: String,
    unit_code: String,
    received_at: NaiveDateTime,
    due_at: Option<NaiveDateTime>,
    finished_at: Option<NaiveDateTime>,
    status: DossierStatus,
    /// The [`CLEARABLE`] columns: `None` when the line leaves the column out (the stored
    /// value stays), `Some(None)` when it is empty (cleared).
    supplement_requested_at: Option<Option<NaiveDateTime>>,
    supplement_received_at: Option<Option<NaiveDateTime>>,
    apology_new_due_at: Option<Option<NaiveDateTime>>,
    step: Option<CheckedStep>,
}

#[derive(Debug, Clone)]
struct CheckedStep {
    step_no: i32,
    staff_code: Option<String>,
    received_at: Option<NaiveDateTime>,
    due_at: Option<NaiveDateTime>,
    finished_at: Option<NaiveDateTime>,
}

fn check(raw: &RawLine) -> Result<Checked, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut fail = |field: &str, message: &str| {
        errors
            .entry(field.to_owned())
            .or_default()
            .push(message.to_owned());
    };
    for key in raw.keys() {
        if !COLUMNS.contains(&key.as_str()) {
            fail(key, "is not a column of the import format");
        }
    }
    let text = |field: &str| raw.get(field).cloned();
    let mut required = |field: &str| match text(field) {
        Some(v) => v,
        None => {
            fail(field, "is required");
            String::new()
        }
    };
    let code = required("code");
    let procedure = required("procedure");
    let unit_code = required("unit_code");
    let status_text = required("status");
    let received_text = required("received_at");
    // Dates (deadlines given as a bare day mean the end of that day).
    let mut time = |field: &str, end_of_day: bool| -> Option<NaiveDateTime> {
        let value = raw.get(field).filter(|v| !v.is_empty())?;
        let parsed = parse_local(value, end_of_day);
        if parsed.is_none() {
            fail(
                field,
                "is not a date-time (yyyyMMddHHmmss, yyyy-MM-ddTHH:mm:ss, or RFC 3339 with an offset)",
            );
        }
        parsed
    };
    let received_at = time("received_at", false);
    let due_at = time("due_at", true);
    let finished_at = time("finished_at", false);
    let step_received = time("step_received_at", false);
    let step_due = time("step_due_at", true);
    let step_finished = time("step_finished_at", false);
    let mut given =
        |field: &str, end_of_day: bool| raw.contains_key(field).then(|| time(field, end_of_day));
    let supplement_requested_at = given("supplement_requested_at", false);
    let supplement_received_at = given("supplement_received_at", false);
    let apology_new_due_at = given("apology_new_due_at", true);
    let status = DossierStatus::parse(&status_text);
    if status.is_none() && !status_text.is_empty() {
        fail(
            "status",
            "must be received, in_progress, awaiting_supplement, finished, returned or cancelled",
        );
    }
    let step_no = match raw.get("step_no") {
        None => None,
        Some(v) => match v.parse::<i32>() {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                fail("step_no", "must be a whole number from 1");
                None
            }
        },
    };
    let has_step_fields = [
        "step_staff_code",
        "step_received_at",
        "step_due_at",
        "step_finished_at",
    ]
    .iter()
    .any(|f| raw.contains_key(*f));
    if has_step_fields && step_no.is_none() && !raw.contains_key("step_no") {
        fail("step_no", "is required with step columns");
    }
    if let (Some(r), Some(f)) = (received_at, finished_at)
        && f < r
    {
        fail("finished_at", "is before received_at");
    }
    if status == Some(DossierStatus::Finished) && finished_at.is_none() {
        fail("finished_at", "is required for a finished dossier");
    }
    if code.len() > 100 {
        fail("code", "must be at most 100 characters");
    }
    if !errors.is_empty() || received_text.is_empty() {
        return Err(errors);
    }
    let (Some(received_at), Some(status)) = (received_at, status) else {
        return Err(errors);
    };
    Ok(Checked {
        code,
        procedure,
        unit_code,
        received_at,
        due_at,
        finished_at,
        status,
        supplement_requested_at,
        supplement_received_at,
        apology_new_due_at,
        step: step_no.map(|step_no| CheckedStep {
            step_no,
            staff_code: raw.get("step_staff_code").cloned(),
            received_at: step_received,
            due_at: step_due,
            finished_at: step_finished,
        }),
    })
}

/// Resolves codes and writes one batch of lines in the caller's transaction. `scope` is
/// where the caller may import (units outside it are "no such unit"); `now` is local time.
pub fn import_lines(
    conn: &mut AnyConnection,
    scope: &Visibility,
    (actor, own_staff): (Option<i64>, Option<i64>),
    lines: &[(u64, RawLine)],
    now: NaiveDateTime,
) -> Result<ImportReport, diesel::result::Error> {
    let mut report = ImportReport::default();
    let mut unit_cache: HashMap<String, Result<UnitRow, &'static str>> = HashMap::new();
    // Each handler's id and unit, or none when no one of the province has the code.
    let mut staff_cache: HashMap<(i64, String), Option<super::handlers::Officer>> = HashMap::new();
    let mut postings = crate::db::moves::PostingCache::default();
    let mut unit_paths: HashMap<i64, Option<String>> = HashMap::new();
    // Dossiers in file order, each with its good lines.
    type Group = (u64, UnitRow, Vec<(u64, Checked, Option<StepFields>)>);
    let mut groups: BTreeMap<(i64, String), Group> = BTreeMap::new();
    // Handlers looked up at once: a query per thousand codes of a province, where one
    // per handler was most of a large feed's time (docs/PERFORMANCE.md).
    let mut wanted: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for (_, raw) in lines {
        let (Some(unit_code), Some(code)) = (raw.get("unit_code"), raw.get("step_staff_code"))
        else {
            continue;
        };
        if let Ok(unit) = resolve_unit(conn, scope, &mut unit_cache, unit_code)? {
            wanted
                .entry(unit.province_id)
                .or_default()
                .push(code.as_str());
        }
    }
    for (province, mut codes) in wanted {
        codes.sort_unstable();
        codes.dedup();
        let found = province_staff(conn, scope, province, &codes)?;
        for code in codes {
            staff_cache.insert((province, code.to_owned()), found.get(code).copied());
        }
    }
    for (number, raw) in lines {
        let checked = match check(raw) {
            Ok(c) => c,
            Err(errors) => {
                report.rejected.push(Rejected {
                    line: *number,
                    errors,
                });
                continue;
            }
        };
        let unit = match resolve_unit(conn, scope, &mut unit_cache, &checked.unit_code)? {
            Ok(u) => u,
            Err(message) => {
                report.rejected.push(Rejected {
                    line: *number,
                    errors: FieldErrors::from([("unit_code".to_owned(), vec![message.to_owned()])]),
                });
                continue;
            }
        };
        let step = match &checked.step {
            None => None,
            Some(s) => {
                let staff = match &s.staff_code {
                    None => None,
                    Some(code) => {
                        let key = (unit.province_id, code.clone());
                        let found = match staff_cache.get(&key) {
                            Some(f) => *f,
                            None => {
                                let f = province_staff(conn, scope, unit.province_id, &[code])?
                                    .remove(code);
                                staff_cache.insert(key, f);
                                f
                            }
                        };
                        // The officer's unit on the step's day (finished, else begun): a
                        // step done before a transfer is the old unit's, as the register
                        // keeps it, and the old unit's importer names them for it.
                        let day = s.finished_at.or(s.received_at).map(|t| t.date());
                        let reached = match found {
                            Some(o) => {
                                let unit_id = postings.unit_id_on(conn, o.id, o.unit, day)?;
                                reaches_on_the_day(conn, scope, &o, unit_id, &mut unit_paths)?
                                    .then_some((o, unit_id))
                            }
                            None => None,
                        };
                        match reached {
                            Some(f) => Some(f),
                            None => {
                                // Handlers are matched by code, never guessed from a name;
                                // one beyond the importer's reach is not theirs to blame
                                // (as in the feed), and the answer does not say they exist.
                                report.rejected.push(Rejected {
                                    line: *number,
                                    errors: FieldErrors::from([(
                                        "step_staff_code".to_owned(),
                                        vec![
                                            "no staff member within your reach has this code"
                                                .to_owned(),
                                        ],
                                    )]),
                                });
                                continue;
                            }
                        }
                    }
                };
                let utc = |t: Option<NaiveDateTime>| t.map(to_utc);
                Some(StepFields {
                    step_no: s.step_no,
                    staff_id: staff.map(|(o, _)| o.id),
                    unit_id: staff.map(|(_, unit_id)| unit_id),
                    received_at: utc(s.received_at),
                    due_at: utc(s.due_at),
                    finished_at: utc(s.finished_at),
                })
            }
        };
        let key = (unit.province_id, checked.code.clone());
        let entry = groups
            .entry(key)
            .or_insert_with(|| (*number, unit.clone(), Vec::new()));
        // The dossier's own fields come from its last line: later lines are newer.
        entry.1 = unit;
        entry.2.push((*number, checked, step));
    }
    let mut ordered: Vec<Group> = groups.into_values().collect();
    ordered.sort_by_key(|(first, _, _)| *first);
    // The dossiers already recorded, looked up at once: the new ones (most of a feed) go
    // in together, the others one by one through the upsert's comparisons.
    let mut recorded = HashMap::new();
    let mut provinces: Vec<i64> = ordered.iter().map(|(_, u, _)| u.province_id).collect();
    provinces.sort_unstable();
    provinces.dedup();
    for province in provinces {
        // Wait for any other import of the province's dossiers to end before reading what
        // is recorded (`LockClass::Dossiers`); provinces in id order.
        crate::db::advisory_lock(conn, crate::db::LockClass::Dossiers, province)?;
        let codes: Vec<&str> = ordered
            .iter()
            .filter(|(_, u, _)| u.province_id == province)
            .filter_map(|(_, _, g)| g.last().map(|(_, c, _)| c.code.as_str()))
            .collect();
        for (code, row) in dossiers::existing(conn, province, &codes)? {
            recorded.insert((province, code), row);
        }
    }
    let ids: Vec<i64> = recorded.values().map(|r| r.id).collect();
    let fed = dossiers::fed(conn, &ids)?;
    // Their steps, a query per thousand dossiers, for whom a file may hand them to.
    let stored: HashMap<i64, Vec<dossiers::StepRow>> =
        dossiers::with_steps(conn, recorded.values().cloned().collect())?
            .into_iter()
            .map(|(d, steps)| (d.id, steps))
            .collect();
    let mut new = Vec::new();
    // Officers of stored steps: their unit's path, once each.
    let mut officers: HashMap<i64, Option<String>> = HashMap::new();
    for (_, unit, group) in ordered {
        let Some((_, last, _)) = group.last() else {
            continue;
        };
        let before = recorded.get(&(unit.province_id, last.code.clone()));
        // A dossier refused as a whole is reported on each of its lines: the report
        // accounts for every line of the file (created, updated, unchanged or rejected).
        let refuse = |report: &mut ImportReport, message: &str| {
            for (line, _, _) in &group {
                report.rejected.push(Rejected {
                    line: *line,
                    errors: FieldErrors::from([("code".to_owned(), vec![message.to_owned()])]),
                });
            }
        };
        if super::beyond_reach(conn, scope, &unit, before)? {
            refuse(
                &mut report,
                "this dossier belongs to a unit outside your reach",
            );
            continue;
        }
        let utc = |t: Option<NaiveDateTime>| t.map(to_utc);
        // An optional column from the dossier's last line that has it, else as stored.
        let optional = |pick: fn(&Checked) -> Option<Option<NaiveDateTime>>,
                        stored: fn(&DossierRow) -> Option<NaiveDateTime>| {
            group
                .iter()
                .rev()
                .find_map(|(_, c, _)| pick(c))
                .map_or_else(|| before.and_then(stored), utc)
        };
        let mut fields = DossierFields {
            province_id: unit.province_id,
            unit_id: unit.id,
            code: last.code.clone(),
            procedure_name: last.procedure.clone(),
            received_at: to_utc(last.received_at),
            due_at: utc(last.due_at),
            finished_at: utc(last.finished_at),
            status: last.status.code().to_owned(),
            supplement_requested_at: optional(
                |c| c.supplement_requested_at,
                |d| d.supplement_requested_at,
            ),
            supplement_received_at: optional(
                |c| c.supplement_received_at,
                |d| d.supplement_received_at,
            ),
            apology_new_due_at: optional(|c| c.apology_new_due_at, |d| d.apology_new_due_at),
        };
        let mut steps: Vec<StepFields> = group.iter().filter_map(|(_, _, s)| s.clone()).collect();
        // A file numbers its steps, the feed its log entries: a file's step 2 is not the
        // feed's, and written over it would put one officer's step under another's key.
        // Nor are the dossier's own fields the file's to write: the feed's supplement
        // rounds are not the file's columns.
        if before.is_some_and(|b| fed.contains(&b.id)) {
            refuse(
                &mut report,
                "the national portal's feed writes this dossier: send it by the feed only",
            );
            continue;
        }
        let Some(before) = before else {
            new.push((fields, steps));
            continue;
        };
        // A file's apology column is its reschedule (`DossierFields::keep_from`).
        let rescheduled = group.iter().any(|(_, c, _)| c.apology_new_due_at.is_some());
        fields.keep_from(before, rescheduled, to_utc(now));
        // A line that hands a stored step to someone else moves its lateness: not away
        // from the importer's own step, nor from an officer beyond their reach (as
        // `PUT /dossier-steps/{id}/handler`). The step keeps its officer and the rest of
        // the line is taken, as for a disputed step; the line is reported.
        let steps_of = stored.get(&before.id).map_or(&[][..], Vec::as_slice);
        for kept in unmovable(conn, scope, own_staff, steps_of, &group, &mut officers)? {
            for s in steps.iter_mut().filter(|s| s.step_no == kept.step_no) {
                s.staff_id = Some(kept.staff_id);
                s.unit_id = kept.unit_id;
            }
            report.rejected.push(Rejected {
                line: kept.line,
                errors: FieldErrors::from([(
                    "step_staff_code".to_owned(),
                    vec![format!(
                        "{}: the step keeps its officer, the rest of the line is taken",
                        kept.why
                    )],
                )]),
            });
        }
        match dossiers::upsert(conn, actor, &fields, &steps, now)? {
            Upserted::Created => report.created += 1,
            Upserted::Updated => report.updated += 1,
            Upserted::Unchanged => report.unchanged += 1,
        }
    }
    dossiers::create_many(conn, actor, &new, now)?;
    report.created += new.len() as u64;
    report.rejected.sort_by_key(|r| r.line);
    Ok(report)
}

/// The unit a line names, once per code.
fn resolve_unit(
    conn: &mut AnyConnection,
    scope: &Visibility,
    cache: &mut HashMap<String, Result<UnitRow, &'static str>>,
    code: &str,
) -> Result<Result<UnitRow, &'static str>, diesel::result::Error> {
    if let Some(u) = cache.get(code) {
        return Ok(u.clone());
    }
    let resolved = super::importable_unit(conn, scope, code, "no such unit")?;
    cache.insert(code.to_owned(), resolved.clone());
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawLine {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn lines_are_checked_field_by_field() {
        let good = raw(&[
            ("code", "000.00.12.H42-260304-0001"),
            ("procedure", "Cấp giấy phép xây dựng"),
            ("unit_code", "KHA-SXD"),
            ("received_at", "20260304080000"),
            ("due_at", "2026-03-18"),
            ("status", "in_progress"),
            ("step_no", "1"),
            ("step_staff_code", "CB00001"),
        ]);
        let c = check(&good).unwrap();
        assert_eq!(
            c.due_at.unwrap().to_string(),
            "2026-03-18 23:59:59",
            "a due day ends at its end"
        );
        assert_eq!(c.step.unwrap().step_no, 1);
        let mut bad = good.clone();
        bad.insert("status".into(), "lost".into());
        bad.insert("received_at".into(), "yesterday".into());
        bad.insert("step_no".into(), "0".into());
        bad.insert("colour".into(), "red".into());
        bad.remove("code");
        let errors = check(&bad).unwrap_err();
        for field in ["status", "received_at", "step_no", "colour", "code"] {
            assert!(errors.contains_key(field), "{field}: {errors:?}");
        }
    }

    #[test]
    fn csv_lines_keep_their_numbers() {
        let text = "code,procedure,unit_code,received_at,status\nA,P,U,20260304080000,received\nB,\"P, with comma\",U,20260304080000,received\n";
        let (lines, rejected) = read_csv(text, 1);
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(lines.len(), 2);
        assert_eq!(
            (lines[0].0, lines[1].0),
            (2, 3),
            "numbers are the file's lines"
        );
        assert_eq!(lines[1].1["procedure"], "P, with comma");
    }

    /// An empty optional column says "clear" and an absent one "keep": a line that drops
    /// its trailing empty cells still has the header's columns, empty.
    #[test]
    fn optional_columns_are_empty_on_short_lines_and_absent_without_a_header() {
        let text =
            "code,status,supplement_requested_at,apology_new_due_at\nA,received,,\nB,received\n";
        let (lines, _) = read_csv(text, 1);
        for (_, line) in &lines {
            assert_eq!(
                line.get("supplement_requested_at").map(String::as_str),
                Some("")
            );
            assert_eq!(line.get("apology_new_due_at").map(String::as_str), Some(""));
        }
        let (lines, _) = read_csv("code,status,due_at\nA,received,\n", 1);
        assert!(!lines[0].1.contains_key("supplement_requested_at"));
        assert!(
            !lines[0].1.contains_key("due_at"),
            "other columns keep only values"
        );
    }

    #[test]
    fn tabs_and_semicolons_separate_when_the_header_says_so() {
        // Excel's "Unicode text" is tab-separated; a CSV saved with a comma for the
        // decimal mark uses semicolons. Commas inside the values stay in them.
        for sep in ["\t", ";", ","] {
            let text = if sep == "," {
                "code,procedure,unit_code\nA,\"Cấp phép, gia hạn\",U\n".to_owned()
            } else {
                format!("code{sep}procedure{sep}unit_code\nA{sep}Cấp phép, gia hạn{sep}U\n")
            };
            let (lines, rejected) = read_csv(&text, 1);
            assert!(rejected.is_empty(), "{sep:?}: {rejected:?}");
            assert_eq!(lines[0].1["procedure"], "Cấp phép, gia hạn", "{sep:?}");
            assert_eq!(lines[0].1["unit_code"], "U", "{sep:?}");
            let mut stream = CsvStream::new(text.as_bytes()).unwrap();
            let (lines, rejected) = stream.next_batch(10);
            assert!(rejected.is_empty(), "{sep:?}: {rejected:?}");
            assert_eq!(lines[0].1["procedure"], "Cấp phép, gia hạn", "{sep:?}");
        }
    }
}
