//! `[onestop]`: how the national portal's feed is read, and the dispute periods. Vendors
//! (VNPT iGate, Viettel, OpenCPS …) code statuses differently, so the codes are data: the
//! defaults below are the portal's dossier statuses, and a province whose system sends
//! other codes lists them under `[onestop.by_province.<CODE>]`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::domain::dossiers::DossierStatus;
use crate::domain::onestop::{StepState, handle_key};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OneStopSettings {
    /// Days after a late step (its end, or its deadline while it is overdue) in which its
    /// officer may dispute it.
    pub dispute_window_days: i64,
    /// Days the head has to decide a dispute; after them it is shown overdue.
    pub dispute_decision_days: i64,
    /// `TrangThaiHoSo` codes (or texts) to congvu's dossier statuses.
    pub dossier_status: BTreeMap<String, DossierStatus>,
    /// Processing-log `TrangThai` codes (or texts) to `done` / `in_progress`.
    pub step_status: BTreeMap<String, StepState>,
    /// A province's own codes, by the code of its root unit; they add to the defaults and
    /// replace those with the same key.
    pub by_province: BTreeMap<String, VendorCodes>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VendorCodes {
    pub dossier_status: BTreeMap<String, DossierStatus>,
    pub step_status: BTreeMap<String, StepState>,
}

impl Default for OneStopSettings {
    fn default() -> Self {
        use DossierStatus::*;
        // The portal's TrangThaiHoSo list: 1 new registration, 2 received, 3 not received,
        // 4 in progress, 5 supplement requested, 6 financial obligation requested, 7
        // withdrawn by the citizen, 8 processing stopped, 9 processed, 10 result returned.
        let dossier_status = [
            ("1", Received),
            ("2", Received),
            ("3", Returned),
            ("4", InProgress),
            ("5", AwaitingSupplement),
            ("6", AwaitingSupplement),
            ("7", Cancelled),
            ("8", Cancelled),
            ("9", Finished),
            ("10", Finished),
        ];
        let step_status = [
            ("0", StepState::InProgress),
            ("1", StepState::InProgress),
            ("2", StepState::Done),
            ("3", StepState::Done),
            ("đang xử lý", StepState::InProgress),
            ("chờ xử lý", StepState::InProgress),
            ("đã xử lý", StepState::Done),
            ("hoàn thành", StepState::Done),
            ("chuyển xử lý", StepState::Done),
        ];
        OneStopSettings {
            dispute_window_days: 10,
            dispute_decision_days: 5,
            dossier_status: dossier_status
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            step_status: step_status
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            by_province: BTreeMap::new(),
        }
    }
}

/// The codes in force for one province, keys in the compared form.
#[derive(Debug, Clone, Default)]
pub struct Codes {
    dossier: BTreeMap<String, DossierStatus>,
    step: BTreeMap<String, StepState>,
}

impl Codes {
    /// A dossier status: the province's code, else congvu's own code.
    pub fn dossier(&self, raw: &str) -> Option<DossierStatus> {
        self.dossier
            .get(&handle_key(raw))
            .copied()
            .or_else(|| DossierStatus::parse(raw))
    }

    /// A step state: the province's code, else `done` / `in_progress`.
    pub fn step(&self, raw: &str) -> Option<StepState> {
        let key = handle_key(raw);
        self.step.get(&key).copied().or(match key.as_str() {
            "done" => Some(StepState::Done),
            "in_progress" => Some(StepState::InProgress),
            _ => None,
        })
    }
}

impl OneStopSettings {
    pub fn codes_for(&self, province_code: Option<&str>) -> Codes {
        let mut dossier: BTreeMap<String, DossierStatus> = self
            .dossier_status
            .iter()
            .map(|(k, v)| (handle_key(k), *v))
            .collect();
        let mut step: BTreeMap<String, StepState> = self
            .step_status
            .iter()
            .map(|(k, v)| (handle_key(k), *v))
            .collect();
        if let Some(own) = province_code.and_then(|c| self.by_province.get(c)) {
            dossier.extend(own.dossier_status.iter().map(|(k, v)| (handle_key(k), *v)));
            step.extend(own.step_status.iter().map(|(k, v)| (handle_key(k), *v)));
        }
        Codes { dossier, step }
    }

    pub fn check(&self) -> Result<(), String> {
        if !(1..=365).contains(&self.dispute_window_days) {
            return Err("onestop.dispute_window_days must be between 1 and 365".into());
        }
        if !(1..=90).contains(&self.dispute_decision_days) {
            return Err("onestop.dispute_decision_days must be between 1 and 90".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_province_adds_its_vendor_codes_to_the_portal_defaults() {
        let mut s = OneStopSettings::default();
        s.by_province.insert(
            "KHA".into(),
            VendorCodes {
                dossier_status: BTreeMap::from([("DA_TRA".into(), DossierStatus::Finished)]),
                step_status: BTreeMap::from([("1".into(), StepState::Done)]),
            },
        );
        let kha = s.codes_for(Some("KHA"));
        assert_eq!(kha.dossier("da_tra"), Some(DossierStatus::Finished));
        assert_eq!(kha.dossier("4"), Some(DossierStatus::InProgress));
        assert_eq!(
            kha.step("1"),
            Some(StepState::Done),
            "the province's own wins"
        );
        let other = s.codes_for(Some("BTR"));
        assert_eq!(other.step("1"), Some(StepState::InProgress));
        assert_eq!(other.step(" Đã  xử lý "), Some(StepState::Done));
        assert_eq!(other.dossier("finished"), Some(DossierStatus::Finished));
        assert_eq!(other.dossier("42"), None);
    }
}
