//! The checks of the portal's fields: both date forms, vendor status codes through the
//! province's configuration, and field-level messages named as the portal names them
//! (`QuaTrinhXuLy[1].TrangThai`).

use chrono::NaiveDateTime;
use serde_json::{Map, Value};

use crate::config::onestop::Codes;
use crate::domain::dossiers::{DossierStatus, parse_local};
use crate::domain::onestop::{LogEntry, StepState};
use crate::domain::text::nfc;
use crate::error::FieldErrors;

/// A value as text: strings trimmed and NFC, numbers as written; empty is absent.
pub(super) fn text(o: &Map<String, Value>, key: &str) -> Option<String> {
    match o.get(key)? {
        Value::String(s) => Some(nfc(s)).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

const TIME_FORMS: &str =
    "expected yyyyMMddHHmmss or yyyy-MM-ddTHH:mm:ss[.fff] (local time), or RFC 3339 with an offset";

/// A local date-time in either of the portal's forms. A deadline given as a bare day
/// ends at the day's end.
fn time(
    o: &Map<String, Value>,
    key: &str,
    deadline: bool,
    prefix: &str,
    errors: &mut FieldErrors,
) -> Option<NaiveDateTime> {
    let raw = text(o, key)?;
    let parsed = parse_local(&raw, deadline);
    if parsed.is_none() {
        errors
            .entry(format!("{prefix}{key}"))
            .or_default()
            .push(format!("{raw:?}: {TIME_FORMS}"));
    }
    parsed
}

fn push(errors: &mut FieldErrors, field: String, message: impl Into<String>) {
    errors.entry(field).or_default().push(message.into());
}

/// One processing-log entry, with its field names prefixed for errors.
pub(super) fn check_entry(
    o: &Map<String, Value>,
    codes: &Codes,
    prefix: &str,
    errors: &mut FieldErrors,
) -> Option<LogEntry> {
    let before = errors.len();
    let handler_name = text(o, "NguoiXuLy");
    let handler_account = text(o, "TaiKhoanXuLy");
    if handler_name.is_none() && handler_account.is_none() {
        push(
            errors,
            format!("{prefix}NguoiXuLy"),
            "NguoiXuLy or TaiKhoanXuLy is required",
        );
    }
    let at = time(o, "ThoiDiemXuLy", false, prefix, errors);
    let started = time(o, "NgayBatDau", false, prefix, errors);
    let due = time(o, "NgayKetThucTheoQuyDinh", true, prefix, errors);
    let state = match text(o, "TrangThai") {
        Some(code) => match codes.step(&code) {
            Some(s) => Some(s),
            None => {
                push(
                    errors,
                    format!("{prefix}TrangThai"),
                    format!("unknown step status {code:?}: map it under [onestop.step_status]"),
                );
                None
            }
        },
        None if at.is_some() => Some(StepState::Done),
        None => Some(StepState::InProgress),
    };
    if state == Some(StepState::Done) && at.is_none() && errors.len() == before {
        push(
            errors,
            format!("{prefix}ThoiDiemXuLy"),
            "a finished step needs the time it was done",
        );
    }
    (errors.len() == before).then(|| LogEntry {
        handler_name,
        handler_account,
        action: text(o, "NoiDungXuLy"),
        state: state.unwrap_or(StepState::InProgress),
        at,
        started,
        due,
    })
}

/// A dossier checked, in local time.
pub(super) struct Checked {
    pub(super) code: String,
    pub(super) procedure: String,
    pub(super) received: NaiveDateTime,
    pub(super) due: Option<NaiveDateTime>,
    pub(super) finished: Option<NaiveDateTime>,
    pub(super) status: DossierStatus,
    pub(super) supplement_requested: Option<NaiveDateTime>,
    pub(super) supplement_received: Option<NaiveDateTime>,
    pub(super) apology_new_due: Option<NaiveDateTime>,
    /// Which of the optional groups the send carried at all (a key, even empty or
    /// null): the supplement's request and receipt times, and the reschedule
    /// (`NgayHenTraTruoc`, `NgayHenTraMoi`). One left out keeps what is stored.
    pub(super) sent: Sent,
    pub(super) log: Vec<LogEntry>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Sent {
    pub(super) supplement_requested: bool,
    pub(super) supplement_received: bool,
    pub(super) reschedule: bool,
}

pub(super) fn check_dossier(o: &Map<String, Value>, codes: &Codes) -> Result<Checked, FieldErrors> {
    let mut errors = FieldErrors::new();
    let code = text(o, "MaHoSo");
    if code.is_none() {
        push(&mut errors, "MaHoSo".into(), "is required");
    }
    let unit_code = text(o, "DonViXuLy");
    if unit_code.is_none() {
        push(
            &mut errors,
            "DonViXuLy".into(),
            "is required: the code of the handling unit",
        );
    }
    let procedure = text(o, "TenTTHC").or_else(|| text(o, "MaTTHC"));
    if procedure.is_none() {
        push(
            &mut errors,
            "MaTTHC".into(),
            "MaTTHC or TenTTHC is required",
        );
    }
    let received = time(o, "NgayTiepNhan", false, "", &mut errors);
    if received.is_none() && !errors.contains_key("NgayTiepNhan") {
        push(&mut errors, "NgayTiepNhan".into(), "is required");
    }
    let promised = time(o, "NgayHenTra", true, "", &mut errors);
    let before = time(o, "NgayHenTraTruoc", true, "", &mut errors);
    let after = time(o, "NgayHenTraMoi", true, "", &mut errors);
    // A rescheduled dossier (apology letter) keeps its first date: it stays late.
    let due = before.or(promised);
    let apology_new_due = after.or(promised.filter(|p| before.is_some_and(|b| *p != b)));
    let finished = time(o, "NgayKetThucXuLy", false, "", &mut errors).or(time(
        o,
        "NgayTra",
        false,
        "",
        &mut errors,
    ));
    let status = match text(o, "TrangThaiHoSo") {
        None => {
            push(&mut errors, "TrangThaiHoSo".into(), "is required");
            None
        }
        Some(raw) => {
            let s = codes.dossier(&raw);
            if s.is_none() {
                push(
                    &mut errors,
                    "TrangThaiHoSo".into(),
                    format!("unknown status {raw:?}: map it under [onestop.dossier_status]"),
                );
            }
            s
        }
    };
    if status == Some(DossierStatus::Finished) && finished.is_none() {
        push(
            &mut errors,
            "NgayKetThucXuLy".into(),
            "a finished dossier needs it (or NgayTra)",
        );
    }
    // Supplements: the fields on the dossier, or the first of a list of requests.
    let first_supplement = ["DanhSachHoSoBoSung", "HoSoBoSung"]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_array).and_then(|l| l.first()))
        .and_then(Value::as_object);
    let supplement = first_supplement.unwrap_or(o);
    let supplement_requested = time(supplement, "NgayBoSung", false, "", &mut errors);
    let supplement_received = time(supplement, "NgayTiepNhanBoSung", false, "", &mut errors);
    let sent = Sent {
        supplement_requested: supplement.contains_key("NgayBoSung"),
        supplement_received: supplement.contains_key("NgayTiepNhanBoSung"),
        reschedule: o.contains_key("NgayHenTraTruoc") || o.contains_key("NgayHenTraMoi"),
    };
    let mut log = Vec::new();
    match o.get("QuaTrinhXuLy") {
        None | Some(Value::Null) => {}
        Some(Value::Array(entries)) => {
            for (i, e) in entries.iter().enumerate() {
                let prefix = format!("QuaTrinhXuLy[{i}].");
                match e.as_object() {
                    Some(e) => {
                        if let (Some(own), Some(code)) = (text(e, "MaHoSo"), &code)
                            && own != *code
                        {
                            push(
                                &mut errors,
                                format!("{prefix}MaHoSo"),
                                "differs from the dossier's",
                            );
                        }
                        log.extend(check_entry(e, codes, &prefix, &mut errors));
                    }
                    None => push(
                        &mut errors,
                        format!("QuaTrinhXuLy[{i}]"),
                        "must be an object",
                    ),
                }
            }
        }
        Some(_) => push(
            &mut errors,
            "QuaTrinhXuLy".into(),
            "must be a list of entries",
        ),
    }
    match (code, unit_code, procedure, received, status) {
        (Some(code), Some(_), Some(procedure), Some(received), Some(status))
            if errors.is_empty() =>
        {
            Ok(Checked {
                code,
                procedure,
                received,
                due,
                finished,
                status,
                supplement_requested,
                supplement_received,
                apology_new_due,
                sent,
                log,
            })
        }
        _ => Err(errors),
    }
}
