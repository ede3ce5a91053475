//! Demo data for the evaluation: a few people and units arranged so that every rule of
//! every shipped policy fires at least once in 2025 or 2026, then both years evaluated.
//!
//! 2025 (NĐ 90/2020 for everyone): a reprimand (Home Affairs), a late joiner (Finance),
//! four months of sick leave (Construction), a one-stop officer with late steps (Cam Ranh),
//! the authority's conclusions of degradation and of corruption in a head's unit (Health).
//! 2026: công chức under NĐ 335 with quarterly scores in the reform division (one beyond
//! the excellent quota, one not completed, so their head's unit points count half), a
//! late joiner (Finance); viên chức of the provincial one-stop centre under NĐ 90 (a
//! warning, a late joiner, four months of sick leave, late steps, and the two conclusions
//! in its administration division). Units: the planning
//! division of Construction with late dossiers, Khánh Vĩnh with unhappy citizens and two
//! average years, Vạn Ninh weak, Cam Ranh whose party body is rated excellent on a fair
//! ranking.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::DemoError;
use crate::db::AnyConnection;
use crate::db::staff::{StaffFields, StaffRow};
use crate::db::units::UnitRow;
use crate::domain::codes::LeaveStatus;
use crate::domain::discipline::{Form, regime};
use crate::domain::evaluation::scoring::TaskItem;

fn day(y: i32, m: u32, d: u32) -> Result<NaiveDate, DemoError> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| DemoError::Data(format!("{y}-{m}-{d}")))
}

struct Ctx<'a> {
    units: &'a HashMap<String, UnitRow>,
    staff: &'a HashMap<String, Vec<StaffRow>>,
    hr: i64,
}

impl Ctx<'_> {
    fn unit(&self, suffix: &str) -> Result<&UnitRow, DemoError> {
        let code = format!("{}-{suffix}", super::data::PROVINCE_CODE);
        self.units
            .get(&code)
            .ok_or_else(|| DemoError::Data(format!("demo unit {code} missing")))
    }

    /// The n-th ordinary member of a unit, or its head.
    fn person(&self, suffix: &str, n: Option<usize>) -> Result<&StaffRow, DemoError> {
        let code = format!("{}-{suffix}", super::data::PROVINCE_CODE);
        let list = self.staff.get(&code);
        let found = match n {
            Some(n) => list.and_then(|l| l.iter().filter(|s| !s.is_head).nth(n)),
            None => list.and_then(|l| l.iter().find(|s| s.is_head)),
        };
        found.ok_or_else(|| DemoError::Data(format!("demo unit {code}: no such person")))
    }

    fn joined(&self, c: &mut AnyConnection, p: &StaffRow, on: NaiveDate) -> Result<(), DemoError> {
        crate::db::staff::update(
            c,
            None,
            p,
            &StaffFields {
                joined_on: Some(on),
                ..p.fields()
            },
        )?;
        Ok(())
    }

    fn sick(
        &self,
        c: &mut AnyConnection,
        p: &StaffRow,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(), DemoError> {
        crate::db::leaves::insert(
            c,
            p.unit_id,
            &crate::db::leaves::NewLeave {
                province_id: p.province_id,
                staff_id: p.id,
                from_date: from,
                to_date: to,
                kind: "sick",
                half_day: None,
                reason: Some("Điều trị dài ngày (dữ liệu mẫu)"),
                status: LeaveStatus::Approved,
                requested_by: None,
            },
        )?;
        Ok(())
    }

    fn discipline(
        &self,
        c: &mut AnyConnection,
        p: &StaffRow,
        form: Form,
        no: &str,
        on: NaiveDate,
        reason: &str,
    ) -> Result<(), DemoError> {
        let category = crate::domain::codes::StaffCategory::parse(&p.category)
            .unwrap_or(crate::domain::codes::StaffCategory::CongChuc);
        if let Some(why) = crate::domain::discipline::form_problem(form, category, p.is_head, on) {
            return Err(DemoError::Data(format!("demo discipline {no}: {why}")));
        }
        crate::db::discipline::insert(
            c,
            &crate::db::discipline::NewDecision {
                province_id: p.province_id,
                staff_id: p.id,
                unit_id: p.unit_id,
                form: form.code().into(),
                decision_no: no.into(),
                decided_on: on,
                effective_from: on,
                restricted_until: form.restricted_until(on),
                regime: regime(category, on).name().into(),
                reason: reason.into(),
                created_by: Some(self.hr),
                management_post: Some(p.is_head),
            },
            &[],
        )?;
        Ok(())
    }

    /// Two dossiers of `unit` with a step of `p` each; the first finished late (step and
    /// dossier), the second on time.
    fn dossiers(
        &self,
        c: &mut AnyConnection,
        unit: &str,
        p: &StaffRow,
        prefix: &str,
        year: i32,
    ) -> Result<(), DemoError> {
        let unit_code = format!("{}-{unit}", super::data::PROVINCE_CODE);
        let lines: Vec<(u64, crate::import::dossiers::RawLine)> = [
            ("1", format!("{year}-03-12T10:00:00")),
            ("2", format!("{year}-03-05T10:00:00")),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (n, finished))| {
            let line: crate::import::dossiers::RawLine = [
                ("code", format!("{prefix}-{n}")),
                ("procedure", "Cấp giấy phép xây dựng".into()),
                ("unit_code", unit_code.clone()),
                ("received_at", format!("{year}-03-02T08:00:00")),
                ("due_at", format!("{year}-03-10")),
                ("finished_at", finished.clone()),
                ("status", "finished".into()),
                ("step_no", "1".into()),
                ("step_staff_code", p.code.clone()),
                ("step_received_at", format!("{year}-03-02T08:00:00")),
                ("step_due_at", format!("{year}-03-09T17:00:00")),
                ("step_finished_at", finished),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            (i as u64 + 2, line)
        })
        .collect();
        let everywhere = crate::domain::access::Visibility {
            all: true,
            ..Default::default()
        };
        let now = crate::domain::attendance::to_local(crate::db::now());
        let report =
            crate::import::dossiers::import_lines(c, &everywhere, (None, None), &lines, now)?;
        if let Some(r) = report.rejected.first() {
            return Err(DemoError::Data(format!(
                "demo dossier {prefix}: {:?}",
                r.errors
            )));
        }
        Ok(())
    }

    /// Q1–Q3 2026 scores: general points, three items of which `late` delayed and
    /// `undone` not done, and for a manager their unit's points.
    fn scores(
        &self,
        c: &mut AnyConnection,
        p: &StaffRow,
        general: i32,
        late: u32,
        undone: usize,
        manager: i32,
    ) -> Result<(), DemoError> {
        let items: Vec<TaskItem> = (0..3)
            .map(|i| TaskItem {
                name: ["Tham mưu văn bản", "Báo cáo chuyên đề", "Kiểm tra cơ sở"][i].into(),
                weight: 1.0,
                done: i >= undone,
                delays: if i == 2 { late } else { 0 },
                quality_failures: 0,
                excused: false,
            })
            .collect();
        for q in 1..=3 {
            crate::db::scores::save(
                c,
                self.hr,
                p.unit_id,
                &crate::db::scores::NewScore {
                    province_id: p.province_id,
                    staff_id: p.id,
                    period: format!("2026-Q{q}"),
                    year: 2026,
                    general_centi: general * 100,
                    items: serde_json::to_string(&items).unwrap_or_default(),
                    manager_centi: manager * 100,
                    note: None,
                },
            )?;
        }
        Ok(())
    }

    /// A conclusion about `p` recorded on a thematic inspection of their unit, upheld.
    fn conclusion(
        &self,
        c: &mut AnyConnection,
        p: &StaffRow,
        on: NaiveDate,
        code: &str,
        text: &str,
    ) -> Result<(), DemoError> {
        use crate::db::inspections as q;
        let at = crate::domain::attendance::to_utc(on.and_hms_opt(9, 0, 0).unwrap_or_default());
        let inspection = q::insert(
            c,
            self.hr,
            &q::NewInspection {
                province_id: p.province_id,
                unit_id: p.unit_id,
                kind: "thematic".into(),
                legal_basis: Some("Kết luận kiểm tra của cấp có thẩm quyền (dữ liệu mẫu)".into()),
                record_no: None,
                started_at: at,
                ended_at: Some(at),
                present_count: None,
                total_count: None,
                unit_representative: None,
                refused_to_sign: false,
                summary: Some(text.into()),
                status: "open".into(),
                created_by: Some(self.hr),
                client_ref: None,
            },
            &[self.hr],
        )?;
        let f = q::insert_finding(
            c,
            self.hr,
            &q::FindingFields {
                province_id: p.province_id,
                inspection_id: inspection.id,
                unit_id: p.unit_id,
                staff_id: Some(p.id),
                violation_code: code.into(),
                observed_at: at,
                description: text.into(),
                severity: Some("serious".into()),
                status: "explained".into(),
                explanation_due_at: None,
                explanation: Some("Tiếp thu kết luận".into()),
                explained_at: Some(at),
                explained_by: None,
                outcome: None,
                action: None,
                action_due_at: None,
                discipline_form: None,
                decided_at: None,
                decided_by: None,
                client_ref: None,
            },
        )?;
        let upheld = q::FindingFields {
            status: "upheld".into(),
            outcome: Some("upheld".into()),
            decided_at: Some(at),
            decided_by: Some(self.hr),
            ..f.fields()
        };
        q::update_finding(c, self.hr, "decide", &f, &upheld)?;
        Ok(())
    }

    fn reform(
        &self,
        c: &mut AnyConnection,
        unit: &str,
        year: i32,
        score: Option<i32>,
        ranking: &str,
        party: Option<&str>,
    ) -> Result<(), DemoError> {
        let u = self.unit(unit)?;
        crate::db::reform::save(
            c,
            self.hr,
            u.province_id,
            u.id,
            year,
            &crate::db::reform::ReformFields {
                score_centi: score.map(|s| s * 100),
                ranking: Some(ranking.into()),
                party_rating: party.map(str::to_owned),
                reason: Some("Kết quả chấm điểm CCHC (dữ liệu mẫu)".into()),
            },
        )?;
        Ok(())
    }
}

/// The authority's conclusions the demo records: (catalogue code, what it concluded).
const DEGRADATION: (&str, &str) = (
    "degradation",
    "Kết luận của cấp có thẩm quyền: có biểu hiện suy thoái về lối sống",
);
const UNIT_CORRUPTION: (&str, &str) = (
    "unit_corruption",
    "Cơ quan để xảy ra lãng phí trong mua sắm tài sản, đã bị xử lý",
);

/// Loads the evaluation demo and evaluates 2025 and 2026 with late ratios under
/// `formula`; returns the evaluations made.
pub fn load(
    c: &mut AnyConnection,
    root: &UnitRow,
    units: &HashMap<String, UnitRow>,
    staff: &HashMap<String, Vec<StaffRow>>,
    hr: i64,
    formula: crate::domain::dossiers::LateRatioFormula,
) -> Result<usize, DemoError> {
    let x = Ctx { units, staff, hr };

    // 2025.
    let p = x.person("SNV-TCBC", Some(1))?;
    x.discipline(
        c,
        p,
        Form::KhienTrach,
        "08/QĐ-SNV",
        day(2025, 6, 3)?,
        "Tự ý nghỉ việc 02 ngày",
    )?;
    x.joined(c, x.person("STC-QLG", Some(0))?, day(2025, 8, 1)?)?;
    x.sick(
        c,
        x.person("SXD-QHKT", Some(0))?,
        day(2025, 2, 3)?,
        day(2025, 6, 13)?,
    )?;
    x.dossiers(c, "PCR-MC", x.person("PCR-MC", Some(0))?, "DEMO-2025", 2025)?;

    // 2026: công chức under NĐ 335 in the reform division.
    x.scores(c, x.person("SNV-CCHC", None)?, 28, 0, 0, 20)?;
    x.scores(c, x.person("SNV-CCHC", Some(0))?, 28, 0, 0, 0)?; // excellent
    x.scores(c, x.person("SNV-CCHC", Some(1))?, 18, 1, 0, 0)?; // completed well
    x.scores(c, x.person("SNV-CCHC", Some(2))?, 15, 2, 2, 0)?; // not completed
    x.joined(c, x.person("STC-QLNS", Some(1))?, day(2026, 8, 1)?)?;
    // Viên chức of the one-stop centre under NĐ 90.
    let desk = "TTPVHCC-TNTKQ";
    x.dossiers(c, desk, x.person(desk, Some(0))?, "DEMO-2026", 2026)?;
    x.discipline(
        c,
        x.person(desk, Some(1))?,
        Form::CanhCao,
        "15/QĐ-TTPVHCC",
        day(2026, 4, 10)?,
        "Sách nhiễu người dân",
    )?;
    x.joined(c, x.person(desk, Some(2))?, day(2026, 7, 15)?)?;
    x.sick(
        c,
        x.person(desk, Some(3))?,
        day(2026, 3, 2)?,
        day(2026, 6, 30)?,
    )?;

    // The authority's conclusions (NĐ 335 triggers b and d; NĐ 90 Điều 15 for viên chức
    // and, in 2025, for everyone), as upheld findings.
    let conclusions = [
        ("STC-VP", Some(0), day(2026, 9, 15)?, DEGRADATION),
        ("SXD", None, day(2026, 9, 15)?, UNIT_CORRUPTION),
        ("TTPVHCC-HCTH", Some(0), day(2026, 10, 6)?, DEGRADATION),
        ("TTPVHCC-HCTH", None, day(2026, 10, 6)?, UNIT_CORRUPTION),
        ("SYT-NVY", Some(0), day(2025, 10, 20)?, DEGRADATION),
        ("SYT-NVD", None, day(2025, 10, 20)?, UNIT_CORRUPTION),
    ];
    for (unit, n, on, (code, text)) in conclusions {
        x.conclusion(c, x.person(unit, n)?, on, code, text)?;
    }

    // Units.
    x.dossiers(
        c,
        "SXD-QHKT",
        x.person("SXD-QHKT", Some(1))?,
        "DEMO-QHKT",
        2026,
    )?;
    let xkv = x.unit("XKV")?;
    for (i, satisfied) in [true, false, false, true, false].iter().enumerate() {
        crate::db::surveys::insert(
            c,
            &crate::db::surveys::NewSurvey {
                province_id: xkv.province_id,
                unit_id: xkv.id,
                staff_id: None,
                dossier_code: None,
                submitted_at: crate::domain::attendance::to_utc(
                    day(2026, 5, 4 + i as u32)?
                        .and_hms_opt(9, 0, 0)
                        .unwrap_or_default(),
                ),
                satisfied: *satisfied,
                score: None,
                comment: None,
                created_by: None,
                created_at: crate::db::now(),
                idempotency_key: None,
            },
        )?;
    }
    x.reform(c, "SXD-QHKT", 2026, Some(92), "fair", None)?;
    x.reform(c, "XKV", 2025, Some(74), "average", None)?;
    x.reform(c, "XKV", 2026, Some(75), "average", None)?;
    x.reform(c, "XVN", 2026, Some(62), "weak", None)?;
    x.reform(c, "PCR", 2026, Some(86), "fair", Some("excellent"))?;

    let now = crate::domain::attendance::to_local(crate::db::now());
    let mut evaluated = 0;
    for year in [2025, 2026] {
        let report = crate::db::evaluation_run::run(
            c,
            None,
            None,
            root,
            year,
            None,
            now,
            formula,
            &mut |_, _| {},
        )?;
        evaluated += report.rows.len();
    }
    Ok(evaluated)
}
