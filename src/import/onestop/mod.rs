//! The national portal's shapes (ONESTOP.md): dossiers as `DongBoHoSoMC` sends them, each
//! with its processing log (`QuaTrinhXuLy`), and log entries alone as
//! `CapNhatTienDoHoSoMC` sends them. Each dossier is checked whole (a log written in part
//! would attribute lateness wrongly); bad ones are reported and the good ones written.
//! Fields the portal defines and congvu does not use are ignored: vendors add their own.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::config::onestop::{Codes, OneStopSettings};

mod check;
use crate::db::dossiers::{self, DossierFields, DossierRow, Upserted};
use crate::db::onestop::handles::Matcher;
use crate::db::onestop::{FeedStep, merge_log};
use crate::db::units::UnitRow;
use crate::db::{AnyConnection, units};
use crate::domain::access::Visibility;
use crate::domain::attendance::to_utc;
use crate::domain::onestop::{LogEntry, in_order, step_day};
use crate::error::FieldErrors;
use check::{check_dossier, check_entry, text};

#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct FeedRejected {
    /// 1-based position in the list sent.
    pub index: u64,
    /// `MaHoSo`, when it could be read.
    pub code: Option<String>,
    pub errors: FieldErrors,
}

#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct FeedReport {
    pub created: u64,
    pub updated: u64,
    /// Sent again without a change.
    pub unchanged: u64,
    /// Steps of this request whose handler fits nobody, or several people: kept aside
    /// for an administrator (`GET /onestop/handlers/unmatched`).
    pub unattributed_steps: u64,
    pub rejected: Vec<FeedRejected>,
}

/// The items of a body: one object, a list, or a list under `data`, `dossiers`, `HoSo` or
/// `entries` (how exports and gateways wrap it).
pub fn items(body: Value) -> Result<Vec<Value>, &'static str> {
    match body {
        Value::Array(list) => Ok(list),
        Value::Object(mut o) => {
            for key in ["data", "dossiers", "HoSo", "entries"] {
                if let Some(Value::Array(list)) = o.remove(key) {
                    return Ok(list);
                }
            }
            Ok(vec![Value::Object(o)])
        }
        _ => Err("send a JSON object, a list of them, or {\"data\": [...]}"),
    }
}

/// Waits for any other import of these provinces' dossiers to end (`LockClass::Dossiers`):
/// all of them, in id order, before the feed reads what is recorded or writes anything, so
/// two feeds reaching the same provinces in another order, or an import, cannot wait on
/// each other in a circle.
fn take_turns(
    conn: &mut AnyConnection,
    provinces: std::collections::BTreeSet<i64>,
) -> diesel::QueryResult<()> {
    for province in provinces {
        crate::db::advisory_lock(conn, crate::db::LockClass::Dossiers, province)?;
    }
    Ok(())
}

/// What stays the same through one request: units, province codes, matchers.
struct Batch<'a> {
    scope: &'a Visibility,
    settings: &'a OneStopSettings,
    units: HashMap<String, Result<UnitRow, &'static str>>,
    codes: HashMap<i64, Codes>,
    matchers: HashMap<i64, Matcher>,
    report: FeedReport,
    /// The staff record of whoever sends the feed: a stored step does not become theirs,
    /// nor stop being theirs, by what they send (`merge_log`).
    own_staff: Option<i64>,
}

impl<'a> Batch<'a> {
    fn new(scope: &'a Visibility, settings: &'a OneStopSettings, own_staff: Option<i64>) -> Self {
        Batch {
            own_staff,
            scope,
            settings,
            units: HashMap::new(),
            codes: HashMap::new(),
            matchers: HashMap::new(),
            report: FeedReport::default(),
        }
    }

    fn unit(
        &mut self,
        conn: &mut AnyConnection,
        code: &str,
    ) -> diesel::QueryResult<Result<UnitRow, &'static str>> {
        if let Some(u) = self.units.get(code) {
            return Ok(u.clone());
        }
        let resolved = super::importable_unit(
            conn,
            self.scope,
            code,
            "no unit you may import for has this code",
        )?;
        self.units.insert(code.to_owned(), resolved.clone());
        Ok(resolved)
    }

    /// The status codes of the province a unit belongs to.
    fn codes(&mut self, conn: &mut AnyConnection, province_id: i64) -> diesel::QueryResult<Codes> {
        if let Some(c) = self.codes.get(&province_id) {
            return Ok(c.clone());
        }
        let code = units::find(conn, province_id)?.map(|u| u.code);
        let codes = self.settings.codes_for(code.as_deref());
        self.codes.insert(province_id, codes.clone());
        Ok(codes)
    }

    /// Rejects an item with U+0000 in its text, at the text's path: PostgreSQL would
    /// refuse it, SQLite keep it (`domain::text::NUL_MESSAGE`).
    fn refuses_nul(&mut self, index: usize, code: Option<&String>, item: &Value) -> bool {
        let Some(path) = crate::domain::text::nul_path(item) else {
            return false;
        };
        let code = code.filter(|c| !c.contains('\0')).cloned();
        self.reject(
            index,
            code,
            FieldErrors::from([(path, vec![crate::domain::text::NUL_MESSAGE.to_owned()])]),
        );
        true
    }

    fn reject(&mut self, index: usize, code: Option<String>, errors: FieldErrors) {
        self.report.rejected.push(FeedRejected {
            index: index as u64 + 1,
            code,
            errors,
        });
    }

    /// The log entries as steps of this dossier, in the order they happened.
    fn feed_steps(
        &mut self,
        conn: &mut AnyConnection,
        unit: &UnitRow,
        mut log: Vec<LogEntry>,
    ) -> diesel::QueryResult<Vec<FeedStep>> {
        in_order(&mut log);
        let scope = self.scope;
        let matcher = self
            .matchers
            .entry(unit.province_id)
            .or_insert_with(|| Matcher::new(unit.province_id, scope.clone()));
        let mut out = Vec::with_capacity(log.len());
        let utc = |t: Option<NaiveDateTime>| t.map(to_utc);
        for e in log {
            let (resolution, unit_id) = matcher.resolve(
                conn,
                &unit.path,
                e.handler_account.as_deref(),
                e.handler_name.as_deref(),
                step_day(e.started.or(e.at), e.finished()),
            )?;
            out.push(FeedStep {
                key: e.key(),
                open_key: e.open_key(),
                who_what: e.who_what(),
                resolution,
                unit_id,
                handler_name: e.handler_name.clone(),
                handler_account: e.handler_account.clone(),
                action: e.action.clone(),
                started_at: utc(e.started),
                due_at: utc(e.due),
                finished_at: utc(e.finished()),
            });
        }
        Ok(out)
    }

    /// Writes the log onto the dossier and re-syncs its late steps when anything moved.
    fn write_log(
        &mut self,
        conn: &mut AnyConnection,
        actor: Option<i64>,
        row: &DossierRow,
        outcome: Upserted,
        steps: &[FeedStep],
        now: NaiveDateTime,
    ) -> diesel::QueryResult<()> {
        let merged = merge_log(conn, (actor, self.own_staff), row, steps)?;
        self.report.unattributed_steps += merged.unattributed;
        let outcome = match outcome {
            Upserted::Unchanged if merged.changed => Upserted::Updated,
            o => o,
        };
        // Unchanged and finished: nothing can have moved; an unfinished one may have
        // fallen overdue since it was last sent.
        if outcome != Upserted::Unchanged || row.finished_at.is_none() {
            dossiers::sync_late_steps(conn, row, now)?;
        }
        match outcome {
            Upserted::Created => self.report.created += 1,
            Upserted::Updated => self.report.updated += 1,
            Upserted::Unchanged => self.report.unchanged += 1,
        }
        Ok(())
    }
}

/// `DongBoHoSoMC`: dossiers with their logs, in the caller's transaction. `scope` is
/// where the caller may import; `now` is local time.
pub fn import_dossiers(
    conn: &mut AnyConnection,
    scope: &Visibility,
    settings: &OneStopSettings,
    (actor, own_staff): (Option<i64>, Option<i64>),
    items: &[Value],
    now: NaiveDateTime,
) -> diesel::QueryResult<FeedReport> {
    let mut batch = Batch::new(scope, settings, own_staff);
    let mut provinces = std::collections::BTreeSet::new();
    for o in items.iter().filter_map(Value::as_object) {
        if let Some(unit_code) = text(o, "DonViXuLy")
            && let Ok(unit) = batch.unit(conn, &unit_code)?
        {
            provinces.insert(unit.province_id);
        }
    }
    take_turns(conn, provinces)?;
    for (index, item) in items.iter().enumerate() {
        let Some(o) = item.as_object() else {
            batch.reject(
                index,
                None,
                FieldErrors::from([("dossier".into(), vec!["must be an object".into()])]),
            );
            continue;
        };
        let code = text(o, "MaHoSo");
        if batch.refuses_nul(index, code.as_ref(), item) {
            continue;
        }
        let Some(unit_code) = text(o, "DonViXuLy") else {
            batch.reject(
                index,
                code,
                FieldErrors::from([(
                    "DonViXuLy".into(),
                    vec!["is required: the code of the handling unit".into()],
                )]),
            );
            continue;
        };
        let unit = match batch.unit(conn, &unit_code)? {
            Ok(u) => u,
            Err(message) => {
                batch.reject(
                    index,
                    code,
                    FieldErrors::from([("DonViXuLy".into(), vec![message.into()])]),
                );
                continue;
            }
        };
        let codes = batch.codes(conn, unit.province_id)?;
        let checked = match check_dossier(o, &codes) {
            Ok(c) => c,
            Err(errors) => {
                batch.reject(index, code, errors);
                continue;
            }
        };
        if super::filed_beyond_reach(conn, scope, &unit, &checked.code)? {
            batch.reject(
                index,
                code,
                FieldErrors::from([(
                    "MaHoSo".into(),
                    vec!["this dossier belongs to a unit outside your reach".into()],
                )]),
            );
            continue;
        }
        let utc = |t: Option<NaiveDateTime>| t.map(to_utc);
        let fields = DossierFields {
            province_id: unit.province_id,
            unit_id: unit.id,
            code: checked.code.clone(),
            procedure_name: checked.procedure.clone(),
            received_at: to_utc(checked.received),
            due_at: utc(checked.due),
            finished_at: utc(checked.finished),
            status: checked.status.code().to_owned(),
            supplement_requested_at: utc(checked.supplement_requested),
            supplement_received_at: utc(checked.supplement_received),
            apology_new_due_at: utc(checked.apology_new_due),
        };
        let sent = checked.sent;
        let steps = batch.feed_steps(conn, &unit, checked.log)?;
        let keep = |old: &DossierRow, f: &mut DossierFields| {
            kept_by_a_resend(old, f, sent, to_utc(now));
        };
        let (row, outcome) = dossiers::upsert_row(conn, actor, &fields, keep)?;
        batch.write_log(conn, actor, &row, outcome, &steps, now)?;
    }
    Ok(batch.report)
}

/// What a re-sent dossier keeps of the stored one (`upsert_row`'s `keep`): the supplement
/// times a send leaves out (before, one without `NgayBoSung` un-moved a deadline the
/// pause had moved), and what every re-send keeps (`DossierFields::keep_from`). `now` is
/// UTC, as the fields are.
fn kept_by_a_resend(
    old: &DossierRow,
    f: &mut DossierFields,
    sent: check::Sent,
    now: NaiveDateTime,
) {
    if !sent.supplement_requested {
        f.supplement_requested_at = old.supplement_requested_at;
    }
    if !sent.supplement_received {
        f.supplement_received_at = old.supplement_received_at;
    }
    f.keep_from(old, sent.reschedule, now);
}

/// `CapNhatTienDoHoSoMC`: log entries of dossiers already sent, each naming its `MaHoSo`.
pub fn import_progress(
    conn: &mut AnyConnection,
    scope: &Visibility,
    settings: &OneStopSettings,
    (actor, own_staff): (Option<i64>, Option<i64>),
    items: &[Value],
    now: NaiveDateTime,
) -> diesel::QueryResult<FeedReport> {
    let mut batch = Batch::new(scope, settings, own_staff);
    // A dossier code with its entries (`{"MaHoSo", "QuaTrinhXuLy": [...]}`) is those
    // entries, each with the code. Each keeps where it was sent: its item's position
    // (what a rejection's `index` gives) and the field path of its errors. Before, they
    // were counted after the flattening, so an item after one with three entries was
    // reported as the fourth.
    let mut flat: Vec<(usize, String, Value)> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match item.get("QuaTrinhXuLy").and_then(Value::as_array) {
            Some(entries) => flat.extend(entries.iter().enumerate().map(|(k, e)| {
                let mut e = e.clone();
                if let (Some(o), Some(code)) = (e.as_object_mut(), item.get("MaHoSo")) {
                    o.entry("MaHoSo").or_insert_with(|| code.clone());
                }
                (
                    index,
                    format!("[{}].QuaTrinhXuLy[{}].", index + 1, k + 1),
                    e,
                )
            })),
            None => flat.push((index, format!("[{}].", index + 1), item.clone())),
        }
    }
    // Entries by dossier, in the order the dossiers first appear.
    let mut order: Vec<String> = Vec::new();
    type Entries<'a> = Vec<(usize, &'a str, &'a Map<String, Value>)>;
    let mut by_code: HashMap<String, Entries> = HashMap::new();
    for (index, prefix, item) in &flat {
        let index = *index;
        let Some(o) = item.as_object() else {
            batch.reject(
                index,
                None,
                FieldErrors::from([("entry".into(), vec!["must be an object".into()])]),
            );
            continue;
        };
        let Some(code) = text(o, "MaHoSo") else {
            batch.reject(
                index,
                None,
                FieldErrors::from([("MaHoSo".into(), vec!["is required".into()])]),
            );
            continue;
        };
        if batch.refuses_nul(index, Some(&code), item) {
            continue;
        }
        if !by_code.contains_key(&code) {
            order.push(code.clone());
        }
        by_code.entry(code).or_default().push((index, prefix, o));
    }
    // The provinces of the dossiers named, locked before any is read for writing.
    let codes: Vec<&str> = order.iter().map(String::as_str).collect();
    let provinces = dossiers::places_of_codes(conn, &codes)?
        .into_iter()
        .filter(|(_, path)| scope.subtree(path))
        .map(|(province, _)| province)
        .collect();
    take_turns(conn, provinces)?;
    for code in order {
        let entries = by_code.remove(&code).unwrap_or_default();
        let first = entries.first().map_or(0, |(i, _, _)| *i);
        let mut found: Vec<(DossierRow, UnitRow)> = dossiers::by_code_anywhere(conn, &code)?
            .into_iter()
            .filter(|(_, u)| scope.subtree(&u.path))
            .collect();
        let (row, unit) = match found.len() {
            1 => found.remove(0),
            0 => {
                batch.reject(
                    first,
                    Some(code),
                    FieldErrors::from([(
                        "MaHoSo".into(),
                        vec![
                            "no such dossier within your reach: send it (DongBoHoSoMC) first"
                                .into(),
                        ],
                    )]),
                );
                continue;
            }
            _ => {
                batch.reject(
                    first,
                    Some(code),
                    FieldErrors::from([(
                        "MaHoSo".into(),
                        vec!["several provinces have a dossier with this code".into()],
                    )]),
                );
                continue;
            }
        };
        let codes = batch.codes(conn, unit.province_id)?;
        let mut errors = FieldErrors::new();
        let mut log = Vec::new();
        for (_, prefix, o) in &entries {
            log.extend(check_entry(o, &codes, prefix, &mut errors));
        }
        if !errors.is_empty() {
            batch.reject(first, Some(code), errors);
            continue;
        }
        let steps = batch.feed_steps(conn, &unit, log)?;
        batch.write_log(conn, actor, &row, Upserted::Unchanged, &steps, now)?;
    }
    batch.report.rejected.sort_by_key(|r| r.index);
    Ok(batch.report)
}
