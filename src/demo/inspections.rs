//! Demo inspections, one per stage of the follow-up:
//! - three weeks ago, a surprise visit to Nha Trang ward's one-stop desk, closed: a clerk
//!   drinking at lunch (explained, upheld, reprimand decided ten days ago on the strength
//!   of it) and name cards missing (upheld, corrective action due in two weeks);
//! - last week, a thematic check of working hours at the Home Affairs office, still open:
//!   an absence whose explanation is overdue, private work explained and awaiting the
//!   team's conclusion, and smoking dismissed after the explanation;
//! - yesterday, a surprise visit to the administrative reform division: a late arrival of
//!   `demo.staff`, who is asked to explain it.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::DemoError;
use crate::db::AnyConnection;
use crate::db::discipline::{self, NewDecision};
use crate::db::inspections::{self as q, FindingFields, FindingRow, InspectionRow, NewInspection};
use crate::db::staff::StaffRow;
use crate::db::units::UnitRow;
use crate::domain::attendance::to_utc;
use crate::domain::codes::StaffCategory;
use crate::domain::discipline::{Form, form_problem, regime};
use crate::domain::findings::{Status, Step, initial, inspection_may_close, next};

/// Who the demo's inspections are done and decided by.
pub struct Actors {
    pub inspector: i64,
    pub hr: i64,
}

/// One inspection visit: where, what kind, how many days ago, the record's number, who
/// was present of how many, who signed for the unit, and the team's summary.
struct Visit<'a> {
    unit: &'a UnitRow,
    kind: &'a str,
    days_ago: i64,
    record_no: &'a str,
    counts: (i32, i32),
    representative: &'a str,
    summary: &'a str,
}

struct Ctx<'a> {
    actors: &'a Actors,
    today: NaiveDate,
}

impl Ctx<'_> {
    fn at(&self, days_ago: i64, h: u32, m: u32) -> NaiveDateTime {
        let time = NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
        to_utc((self.today - Duration::days(days_ago)).and_time(time))
    }

    fn inspection(&self, c: &mut AnyConnection, v: Visit) -> Result<InspectionRow, DemoError> {
        let Visit {
            unit,
            kind,
            days_ago,
            record_no,
            counts,
            representative,
            summary,
        } = v;
        Ok(q::insert(
            c,
            self.actors.inspector,
            &NewInspection {
                province_id: unit.province_id,
                unit_id: unit.id,
                kind: kind.into(),
                legal_basis: Some(
                    "Quyết định số 45/QĐ-SNV về thành lập Đoàn kiểm tra công vụ năm 2026".into(),
                ),
                record_no: Some(record_no.into()),
                started_at: self.at(days_ago, 7, 45),
                ended_at: Some(self.at(days_ago, 11, 30)),
                present_count: Some(counts.0),
                total_count: Some(counts.1),
                unit_representative: Some(representative.into()),
                refused_to_sign: false,
                summary: Some(summary.into()),
                status: "open".into(),
                created_by: Some(self.actors.inspector),
                client_ref: None,
            },
            &[self.actors.inspector],
        )?)
    }

    fn finding(
        &self,
        c: &mut AnyConnection,
        i: &InspectionRow,
        person: Option<&StaffRow>,
        code: &str,
        observed: NaiveDateTime,
        description: &str,
    ) -> Result<FindingRow, DemoError> {
        Ok(q::insert_finding(
            c,
            self.actors.inspector,
            &FindingFields {
                province_id: i.province_id,
                inspection_id: i.id,
                unit_id: person.map_or(i.unit_id, |p| p.unit_id),
                staff_id: person.map(|p| p.id),
                violation_code: code.into(),
                observed_at: observed,
                description: description.into(),
                severity: Some("less_serious".into()),
                status: initial(person.is_some()).code().into(),
                explanation_due_at: Some(observed + Duration::days(5)),
                explanation: None,
                explained_at: None,
                explained_by: None,
                outcome: None,
                action: None,
                action_due_at: None,
                discipline_form: None,
                decided_at: None,
                decided_by: None,
                client_ref: None,
            },
        )?)
    }

    /// One workflow step, through the same guard as the API.
    fn step(
        &self,
        c: &mut AnyConnection,
        f: FindingRow,
        step: Step,
        change: impl FnOnce(&mut FindingFields),
    ) -> Result<FindingRow, DemoError> {
        let from = Status::parse(&f.status).unwrap_or(Status::Open);
        let to = next(from, step).map_err(|e| DemoError::Data(e.to_owned()))?;
        let mut fields = FindingFields {
            status: to.code().into(),
            ..f.fields()
        };
        change(&mut fields);
        let action = match step {
            Step::Explain => "explain",
            Step::Close => "close",
            _ => "decide",
        };
        Ok(q::update_finding(
            c,
            self.actors.inspector,
            action,
            &f,
            &fields,
        )?)
    }

    fn explain(
        &self,
        c: &mut AnyConnection,
        f: FindingRow,
        text: &str,
        at: NaiveDateTime,
    ) -> Result<FindingRow, DemoError> {
        self.step(c, f, Step::Explain, |x| {
            x.explanation = Some(text.into());
            x.explained_at = Some(at);
        })
    }

    fn conclude(
        &self,
        c: &mut AnyConnection,
        f: FindingRow,
        upheld: bool,
        form: Option<Form>,
        at: NaiveDateTime,
    ) -> Result<FindingRow, DemoError> {
        let inspector = self.actors.inspector;
        self.step(
            c,
            f,
            if upheld { Step::Uphold } else { Step::Dismiss },
            |x| {
                x.outcome = Some(if upheld { "upheld" } else { "dismissed" }.into());
                x.decided_at = Some(at);
                x.decided_by = Some(inspector);
                x.discipline_form = form.map(|f| f.code().into());
            },
        )
    }
}

fn unit<'a>(units: &'a HashMap<String, UnitRow>, code: &str) -> Result<&'a UnitRow, DemoError> {
    units
        .get(code)
        .ok_or_else(|| DemoError::Data(format!("demo unit {code} missing")))
}

/// The n-th ordinary member of a unit (heads are kept out of the findings).
fn member<'a>(
    staff: &'a HashMap<String, Vec<StaffRow>>,
    code: &str,
    n: usize,
) -> Result<&'a StaffRow, DemoError> {
    staff
        .get(code)
        .and_then(|list| list.iter().filter(|s| !s.is_head).nth(n))
        .ok_or_else(|| DemoError::Data(format!("demo unit {code} has too few members")))
}

/// Loads the demo inspections; returns (inspections, findings, decisions).
pub fn load(
    c: &mut AnyConnection,
    actors: &Actors,
    units: &HashMap<String, UnitRow>,
    staff: &HashMap<String, Vec<StaffRow>>,
    today: NaiveDate,
) -> Result<(usize, usize, usize), DemoError> {
    let x = Ctx { actors, today };
    let root = super::data::PROVINCE_CODE;

    // Closed, with a disciplinary decision.
    let desk = format!("{root}-PNT-MC");
    let i1 = x.inspection(
        c,
        Visit {
            unit: unit(units, &desk)?,
            kind: "surprise",
            days_ago: 21,
            record_no: "03/BB-ĐKTCV",
            counts: (2, 3),
            representative: "Trưởng Bộ phận Một cửa",
            summary: "Một công chức uống rượu trong giờ nghỉ trưa rồi tiếp công dân; nhiều người không đeo thẻ.",
        },
    )?;
    let clerk = member(staff, &desk, 0)?;
    let drink = x.finding(
        c,
        &i1,
        Some(clerk),
        "alcohol",
        x.at(21, 13, 20),
        "Có mùi rượu bia khi tiếp công dân đầu giờ chiều (đo nồng độ cồn 0,12 mg/lít khí thở).",
    )?;
    let drink = x.explain(
        c,
        drink,
        "Tôi có uống một lon bia trong bữa trưa liên hoan, xin nhận khuyết điểm.",
        x.at(19, 9, 0),
    )?;
    let form = Form::KhienTrach;
    let drink = x.conclude(c, drink, true, Some(form), x.at(15, 14, 0))?;
    let drink = x.step(c, drink, Step::Close, |_| {})?;
    let badge = x.finding(
        c,
        &i1,
        None,
        "no_badge",
        x.at(21, 7, 50),
        "Hai trong ba người tại quầy không đeo thẻ công chức.",
    )?;
    let badge = x.explain(
        c,
        badge,
        "Thẻ đang làm lại theo mẫu mới của tỉnh.",
        x.at(18, 10, 0),
    )?;
    let badge = x.conclude(c, badge, true, None, x.at(15, 14, 10))?;
    let due = to_utc((today + Duration::days(14)).and_time(NaiveTime::MIN));
    x.step(c, badge, Step::RequireAction, |f| {
        f.action = Some("Cấp đủ thẻ và nhắc nhở đeo thẻ trong giờ làm việc.".into());
        f.action_due_at = Some(due);
    })?;
    let statuses: Vec<Status> = q::findings_of(c, i1.id)?
        .iter()
        .filter_map(|f| Status::parse(&f.status))
        .collect();
    inspection_may_close(&statuses, false).map_err(|e| DemoError::Data(e.to_owned()))?;
    q::close(c, actors.inspector, &i1, false)?;

    let decided_on = today - Duration::days(10);
    let category = StaffCategory::parse(&clerk.category).unwrap_or(StaffCategory::CongChuc);
    if let Some(why) = form_problem(form, category, clerk.is_head, decided_on) {
        return Err(DemoError::Data(format!("demo discipline: {why}")));
    }
    discipline::insert(
        c,
        &NewDecision {
            province_id: clerk.province_id,
            staff_id: clerk.id,
            unit_id: clerk.unit_id,
            form: form.code().into(),
            decision_no: "12/QĐ-UBND".into(),
            decided_on,
            effective_from: decided_on,
            restricted_until: form.restricted_until(decided_on),
            regime: regime(category, decided_on).name().into(),
            reason: "Uống rượu bia trong giờ làm việc (biên bản 03/BB-ĐKTCV).".into(),
            created_by: Some(actors.hr),
            management_post: Some(clerk.is_head),
        },
        &[drink.id],
    )?;

    // Open, with findings at each stage.
    let office = format!("{root}-SNV-VP");
    let i2 = x.inspection(
        c,
        Visit {
            unit: unit(units, &office)?,
            kind: "thematic",
            days_ago: 6,
            record_no: "05/BB-ĐKTCV",
            counts: (3, 4),
            representative: "Chánh Văn phòng Sở",
            summary: "Kiểm tra chuyên đề việc chấp hành giờ giấc làm việc.",
        },
    )?;
    x.finding(
        c,
        &i2,
        Some(member(staff, &office, 0)?),
        "absent_no_reason",
        x.at(6, 8, 0),
        "Vắng mặt cả buổi sáng, không có đơn xin phép.",
    )?;
    let side_job = x.finding(
        c,
        &i2,
        Some(member(staff, &office, 1)?),
        "private_work",
        x.at(6, 9, 30),
        "Đang bán hàng trực tuyến trên máy tính cơ quan.",
    )?;
    x.explain(
        c,
        side_job,
        "Tôi chỉ trả lời tin nhắn của người nhà trong vài phút.",
        x.at(4, 16, 0),
    )?;
    let smoke = x.finding(
        c,
        &i2,
        Some(member(staff, &office, 2)?),
        "smoking",
        x.at(6, 10, 15),
        "Hút thuốc lá ở hành lang tầng 2.",
    )?;
    let smoke = x.explain(
        c,
        smoke,
        "Tôi đứng ở khu vực được phép hút thuốc ngoài sân, có camera ghi lại.",
        x.at(5, 8, 30),
    )?;
    x.conclude(c, smoke, false, None, x.at(3, 15, 0))?;

    // Yesterday: demo.staff (the first member of the reform division) is asked to explain.
    let reform = format!("{root}-SNV-CCHC");
    let i3 = x.inspection(
        c,
        Visit {
            unit: unit(units, &reform)?,
            kind: "surprise",
            days_ago: 1,
            record_no: "07/BB-ĐKTCV",
            counts: (2, 3),
            representative: "Trưởng phòng Cải cách hành chính",
            summary: "Kiểm tra đột xuất đầu giờ sáng.",
        },
    )?;
    x.finding(
        c,
        &i3,
        Some(member(staff, &reform, 0)?),
        "late",
        x.at(1, 7, 58),
        "Có mặt lúc 07:58, sau giờ bắt đầu làm việc 07:30.",
    )?;
    let findings = [&i1, &i2, &i3]
        .iter()
        .map(|i| q::findings_of(c, i.id).map(|f| f.len()))
        .sum::<Result<usize, _>>()?;
    Ok((3, findings, 1))
}
