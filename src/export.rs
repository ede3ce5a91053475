//! The evaluation sheet HR files and prints: one row per person with the proposal, the
//! cap and the rules behind it, the main metrics, the quota note and the decision, under
//! Vietnamese headings. CSV carries a BOM so Excel reads it as UTF-8.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use crate::db::evaluations::EvaluationRow;
use crate::domain::codes::Rating;

/// One person's line.
#[derive(Debug, Clone, Default)]
pub struct SheetRow {
    pub code: String,
    pub full_name: String,
    pub unit: String,
    pub rated: bool,
    pub proposed: Option<Rating>,
    pub max: Option<Rating>,
    pub metrics: serde_json::Value,
    pub applied: serde_json::Value,
    pub quota_note: Option<String>,
    pub final_rating: Option<Rating>,
    pub reason: Option<String>,
    pub review: Review,
}

/// Why HR should look at a decision again, as the API flags it: the filed sheet must not
/// show a decision above a cap a re-run lowered, or made on another proposal, as settled.
#[derive(Debug, Clone, Default)]
pub struct Review {
    /// The decision is above the highest rating the current proposal allows.
    pub above_cap: bool,
    /// The proposal changed after the decision: Some(the one decided on, None when there
    /// was none).
    pub changed_from: Option<Option<Rating>>,
    /// The decision is excellent for someone beyond the excellent quota of their group.
    pub over_quota: bool,
}

fn rating(code: &Option<String>) -> Option<Rating> {
    code.as_deref().and_then(Rating::parse)
}

impl Review {
    /// What a stored evaluation gives HR to look at again.
    pub fn of(e: &EvaluationRow) -> Review {
        let final_rating = rating(&e.final_rating);
        Review {
            above_cap: matches!(
                (final_rating, rating(&e.max_rating)),
                (Some(f), Some(m)) if f > m
            ),
            // `previous_proposed_rating` is set while the proposal differs from the one
            // decided on ("none" when there was none, which reads as no rating).
            changed_from: e
                .previous_proposed_rating
                .is_some()
                .then(|| rating(&e.previous_proposed_rating)),
            over_quota: final_rating == Some(Rating::Excellent) && e.quota_note.is_some(),
        }
    }

    fn text(&self) -> String {
        let mut out = Vec::new();
        if self.above_cap {
            out.push("Kết quả cao hơn mức cao nhất được xếp".to_owned());
        }
        match self.changed_from {
            Some(Some(seen)) => out.push(format!(
                "Đề xuất đã thay đổi sau khi quyết định (trước: {})",
                seen.label()
            )),
            Some(None) => {
                out.push("Đề xuất đã thay đổi sau khi quyết định (trước: chưa có)".to_owned())
            }
            None => {}
        }
        if self.over_quota {
            out.push("Xuất sắc vượt tỷ lệ cho phép (xem ghi chú tỷ lệ)".to_owned());
        }
        out.join("; ")
    }
}

/// A stored evaluation's line, with the person's code and name and their unit's name: the
/// same for the API's sheet and `congvu evaluate --out`.
pub fn line_of(e: &EvaluationRow, code: String, full_name: String, unit: String) -> SheetRow {
    SheetRow {
        code,
        full_name,
        unit,
        rated: e.rated,
        proposed: rating(&e.proposed_rating),
        max: rating(&e.max_rating),
        metrics: serde_json::from_str(&e.metrics).unwrap_or_default(),
        applied: serde_json::from_str(&e.applied_rules).unwrap_or_default(),
        quota_note: e.quota_note.clone(),
        final_rating: rating(&e.final_rating),
        reason: e.reason.clone(),
        review: Review::of(e),
    }
}

/// A unit's sheet for a period.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub unit_name: String,
    pub period: String,
    pub rows: Vec<SheetRow>,
}

const HEADINGS: &[&str] = &[
    "STT",
    "Mã cán bộ",
    "Họ và tên",
    "Đơn vị",
    "Xếp loại đề xuất",
    "Mức cao nhất được xếp",
    "Tỷ lệ hồ sơ trễ hạn (%)",
    "Số lần đi muộn",
    "Số lần về sớm",
    "Vắng không lý do",
    "Vi phạm bị kết luận",
    "Kỷ luật trong năm",
    "Số tháng công tác",
    "Điểm (NĐ 335)",
    "Căn cứ áp dụng",
    "Vượt tỷ lệ xuất sắc",
    "Kết quả xếp loại",
    "Lý do",
    "Cần xem lại",
];

/// Whether column `c` of `HEADINGS` holds numbers: the row number and the metrics (not
/// a staff code, which may be all digits with leading zeros).
fn number_column(c: usize) -> bool {
    c == 0 || (6..=13).contains(&c)
}

fn label(r: Option<Rating>) -> String {
    r.map(|r| r.label().to_owned()).unwrap_or_default()
}

fn metric(row: &SheetRow, name: &str) -> String {
    match row.metrics.get(name).and_then(serde_json::Value::as_f64) {
        Some(v) if v.fract() == 0.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.2}"),
        None => String::new(),
    }
}

fn cells(i: usize, row: &SheetRow) -> Vec<String> {
    // The rule's Vietnamese name, the person's value against the threshold, the source.
    let number = |v: &serde_json::Value| {
        v.as_f64().map(|x| {
            if x.fract() == 0.0 {
                format!("{x:.0}")
            } else {
                format!("{x:.2}").replace('.', ",")
            }
        })
    };
    let rules: Vec<String> = row
        .applied
        .as_array()
        .map(|list| {
            list.iter()
                .map(|a| {
                    let mut text = a["rule"].as_str().unwrap_or_default().to_owned();
                    match (number(&a["value"]), number(&a["threshold"])) {
                        (Some(v), Some(t)) => text.push_str(&format!(": {v} (ngưỡng {t})")),
                        (Some(v), None) => text.push_str(&format!(": {v}")),
                        _ => {}
                    }
                    format!("{text} — {}", a["source"].as_str().unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default();
    vec![
        (i + 1).to_string(),
        row.code.clone(),
        row.full_name.clone(),
        row.unit.clone(),
        if row.rated {
            label(row.proposed)
        } else {
            "Không xếp loại".to_owned()
        },
        label(row.max),
        metric(row, "late_dossier_ratio"),
        metric(row, "late_arrivals"),
        metric(row, "early_leaves"),
        metric(row, "unexcused_absences"),
        metric(row, "upheld_findings"),
        metric(row, "discipline_decisions"),
        metric(row, "months_worked"),
        metric(row, "score"),
        rules.join("; "),
        row.quota_note.clone().unwrap_or_default(),
        label(row.final_rating),
        row.reason.clone().unwrap_or_default(),
        row.review.text(),
    ]
}

/// A cell Excel would run as a formula (`=`, `+`, `-`, `@` first) is kept as text with a
/// leading apostrophe: names and reasons come from users.
pub fn inert(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

pub fn to_csv(sheet: &Sheet) -> Result<Vec<u8>, csv::Error> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(HEADINGS)?;
        for (i, row) in sheet.rows.iter().enumerate() {
            w.write_record(cells(i, row).into_iter().map(inert))?;
        }
        w.flush()?;
    }
    Ok(out)
}

pub fn to_xlsx(sheet: &Sheet) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("Xếp loại chất lượng")?;
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7");
    let text = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let last = u16::try_from(HEADINGS.len() - 1).unwrap_or(u16::MAX);
    ws.merge_range(
        0,
        0,
        0,
        last,
        &format!("KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG NĂM {}", sheet.period),
        &title,
    )?;
    ws.merge_range(
        1,
        0,
        1,
        last,
        &sheet.unit_name,
        &Format::new().set_align(FormatAlign::Center),
    )?;
    for (c, name) in HEADINGS.iter().enumerate() {
        ws.write_string_with_format(3, u16::try_from(c).unwrap_or(u16::MAX), *name, &head)?;
    }
    let widths = [
        5, 11, 24, 22, 22, 22, 10, 8, 8, 8, 8, 8, 8, 8, 50, 40, 22, 30, 40,
    ];
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(u16::try_from(c).unwrap_or(u16::MAX), *w)?;
    }
    for (i, row) in sheet.rows.iter().enumerate() {
        let r = 4 + u32::try_from(i).unwrap_or(u32::MAX - 4);
        for (c, value) in cells(i, row).iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            // The row number and the metrics are numbers in the workbook, so that HR can
            // sum, sort and filter them; the CSV has them as Excel reads numbers anyway.
            match value.parse::<f64>() {
                Ok(n) if number_column(c) => ws.write_number_with_format(r, col, n, &text)?,
                _ => ws.write_string_with_format(r, col, value, &text)?,
            };
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn sheet() -> Sheet {
        Sheet {
            unit_name: "Sở Nội vụ".into(),
            period: "2025".into(),
            rows: vec![SheetRow {
                code: "CB00001".into(),
                full_name: "Nguyễn Thị Lan".into(),
                unit: "Phòng A1".into(),
                rated: true,
                proposed: Some(Rating::Completed),
                max: Some(Rating::Completed),
                metrics: serde_json::json!({"late_dossier_ratio": 12.5, "late_arrivals": 3.0}),
                applied: serde_json::json!([{"rule": "Tỷ lệ hồ sơ trễ hạn từ 10% trở lên",
                    "effect": "at most completed: 12.5 ≥ 10", "source": "KL 91-KL/TU",
                    "value": 12.5, "threshold": 10.0}]),
                ..SheetRow::default()
            }],
        }
    }

    #[test]
    fn csv_has_a_bom_vietnamese_headings_and_the_rule() {
        let bytes = to_csv(&sheet()).unwrap();
        assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(text.starts_with("STT,Mã cán bộ,Họ và tên"), "{text}");
        assert!(text.contains("Hoàn thành nhiệm vụ"));
        assert!(text.contains(",12.50,3,"), "{text}");
        assert!(
            text.contains("Tỷ lệ hồ sơ trễ hạn từ 10% trở lên: 12,50 (ngưỡng 10) — KL 91-KL/TU"),
            "{text}"
        );
    }

    #[test]
    fn a_decision_to_look_at_again_says_so() {
        let mut s = sheet();
        s.rows[0].final_rating = Some(Rating::CompletedWell);
        s.rows[0].review = Review {
            above_cap: true,
            changed_from: Some(Some(Rating::CompletedWell)),
            over_quota: false,
        };
        let text = String::from_utf8(to_csv(&s).unwrap()).unwrap();
        assert!(
            text.lines().next().unwrap().ends_with(",Lý do,Cần xem lại"),
            "{text}"
        );
        assert!(
            text.contains("Kết quả cao hơn mức cao nhất được xếp; Đề xuất đã thay đổi sau khi quyết định (trước: Hoàn thành tốt nhiệm vụ)"),
            "{text}"
        );
        s.rows[0].review = Review {
            above_cap: false,
            changed_from: Some(None),
            over_quota: true,
        };
        let text = String::from_utf8(to_csv(&s).unwrap()).unwrap();
        assert!(
            text.contains("(trước: chưa có); Xuất sắc vượt tỷ lệ cho phép"),
            "{text}"
        );
    }

    #[test]
    fn csv_cells_never_run_as_formulas() {
        let mut s = sheet();
        s.rows[0].reason = Some("=HYPERLINK(\"http://x\")".into());
        let text = String::from_utf8(to_csv(&s).unwrap()).unwrap();
        assert!(text.contains("'=HYPERLINK"), "{text}");
    }

    #[test]
    fn xlsx_is_a_zip() {
        let bytes = to_xlsx(&sheet()).unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }

    /// The worksheet's XML of a workbook written by `to_xlsx`.
    pub(crate) fn sheet_xml(bytes: &[u8]) -> String {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        xml
    }

    #[test]
    fn metrics_are_numbers_in_the_workbook_and_codes_text() {
        let mut s = sheet();
        s.rows[0].code = "00123".into();
        let xml = sheet_xml(&to_xlsx(&s).unwrap());
        // Row 5 (the first person): STT in A, the late ratio in G, late arrivals in H.
        for (cell, value) in [("A5", "1"), ("G5", "12.5"), ("H5", "3")] {
            let at = xml.find(&format!("<c r=\"{cell}\"")).expect(cell);
            let c = &xml[at..at + xml[at..].find("</c>").unwrap()];
            assert!(!c.contains("t=\"s\""), "{cell} is a number: {c}");
            assert!(c.contains(&format!("<v>{value}</v>")), "{c}");
        }
        let at = xml.find("<c r=\"B5\"").unwrap();
        let b5 = &xml[at..at + xml[at..].find("</c>").unwrap()];
        assert!(b5.contains("t=\"s\""), "a staff code stays text: {b5}");
    }
}
