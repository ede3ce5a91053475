//! `/units/{id}/timesheet`: the monthly timesheet of a unit (and its subtree) as JSON, CSV
//! (UTF-8 with a BOM, so Excel shows Vietnamese) or XLSX, in the familiar layout: one row
//! per person, one column per day with a symbol, totals per person.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, web};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::attendance::{UnitDays, unit_days};
use super::extract::ValidQuery;
use super::{blocking, local_now};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::db::attendance as engine;
use crate::domain::access::Action;
use crate::domain::codes::AttendanceStatus;
use crate::domain::timesheet::{LEGEND, Totals, symbol};
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(timesheet);
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SheetFormat {
    #[default]
    Json,
    Csv,
    Xlsx,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TimesheetQuery {
    /// `YYYY-MM`.
    pub month: String,
    pub format: Option<SheetFormat>,
    /// Include the units below (default false).
    pub subtree: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimesheetRow {
    pub staff_id: i64,
    pub code: String,
    pub full_name: String,
    pub position: Option<String>,
    pub unit_id: i64,
    /// The name of `unit_id`: with `subtree`, which division the person is in.
    pub unit_name: String,
    /// One symbol per day of the month (empty for weekends and days without a record).
    pub cells: Vec<String>,
    /// Per day, whether it was a day off for the person (weekend or holiday, as their
    /// schedule and the calendar made it): the workbook shades those. Not in the JSON,
    /// whose cells say it.
    #[serde(skip)]
    #[schema(ignore)]
    pub days_off: Vec<bool>,
    pub totals: Totals,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Timesheet {
    pub unit_id: i64,
    pub unit_name: String,
    pub month: String,
    pub days: Vec<NaiveDate>,
    pub legend: Vec<(String, String)>,
    pub rows: Vec<TimesheetRow>,
}

fn month_range(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    // Years the service can hold, as for every range of days (`check_range`): chrono's
    // extremes overflow the time-zone arithmetic.
    if !(1990..=2100).contains(&first.year()) {
        return None;
    }
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)?
    };
    Some((first, next.pred_opt()?))
}

#[utoipa::path(get, path = "/api/v1/units/{id}/timesheet", tag = "attendance", params(TimesheetQuery),
    responses((status = 200, body = Timesheet, description = "JSON, or text/csv, or an XLSX workbook"),
              (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/units/{id}/timesheet")]
pub async fn timesheet(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    query: ValidQuery<TimesheetQuery>,
) -> Result<HttpResponse, ApiError> {
    let unit_id = id.into_inner();
    let query = query.0;
    let (from, to) = month_range(&query.month)
        .ok_or_else(|| ApiError::field("month", "must be YYYY-MM, 1990 to 2100"))?;
    let subtree = query.subtree.unwrap_or(false);
    let read = auth.can(Action::ReadStaff);
    // As the sheet names it (its title, its file): `2026-3` is March, shown `2026-03`.
    let month = from.format("%Y-%m").to_string();
    let format = query.format.unwrap_or_default();
    // The file is made on the blocking pool too: a department's month is thousands of
    // rows, whose compression would hold a web worker and the check-ins it serves.
    let out = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let now = local_now();
            let UnitDays { unit, people, days } =
                unit_days(c, &read, unit_id, subtree, (from, to), now)?;
            let mut sheet = build(
                unit.id,
                unit.name,
                month,
                (from, to),
                now.date(),
                &people,
                &days,
            );
            let mut ids: Vec<i64> = sheet.rows.iter().map(|r| r.unit_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let names: HashMap<i64, String> = crate::db::units::find_many(c, &ids)?
                .into_iter()
                .map(|u| (u.id, u.name))
                .collect();
            for row in &mut sheet.rows {
                row.unit_name = names.get(&row.unit_id).cloned().unwrap_or_default();
            }
            let file = format!("bang-cham-cong-{}-{}", sheet.unit_id, sheet.month);
            let internal = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
            Ok::<_, ApiError>(match format {
                SheetFormat::Json => Made::Json(Box::new(sheet)),
                SheetFormat::Csv => Made::File(
                    to_csv(&sheet).map_err(|e| ApiError::Internal(e.to_string()))?,
                    "text/csv; charset=utf-8",
                    format!("{file}.csv"),
                ),
                SheetFormat::Xlsx => Made::File(
                    to_xlsx(&sheet).map_err(internal)?,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    format!("{file}.xlsx"),
                ),
            })
        })
    })
    .await?;
    Ok(match out {
        Made::Json(sheet) => HttpResponse::Ok().json(sheet),
        Made::File(bytes, content_type, name) => HttpResponse::Ok()
            .content_type(content_type)
            .insert_header((
                "content-disposition",
                format!("attachment; filename=\"{name}\""),
            ))
            .body(bytes),
    })
}

/// A timesheet as asked for: JSON, or a file with its type and name.
enum Made {
    Json(Box<Timesheet>),
    File(Vec<u8>, &'static str, String),
}

fn build(
    unit_id: i64,
    unit_name: String,
    month: String,
    (from, to): (NaiveDate, NaiveDate),
    today: NaiveDate,
    people: &[engine::Person],
    days: &[engine::Derived],
) -> Timesheet {
    let dates: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
    let mut by_person: HashMap<i64, Vec<&engine::Derived>> = HashMap::new();
    for d in days {
        by_person.entry(d.staff_id).or_default().push(d);
    }
    let rows = people
        .iter()
        .map(|p| {
            let mine = by_person.get(&p.staff.id).map(Vec::as_slice).unwrap_or(&[]);
            let mut totals = Totals::default();
            let day_of = |date: &NaiveDate| mine.iter().find(|d| d.record.date == *date);
            // A compensatory working Saturday is a working day, a weekday of Tết off; a
            // day without a record falls back on the weekend.
            let days_off = dates
                .iter()
                .map(|date| match day_of(date) {
                    Some(d) => matches!(
                        d.record.status,
                        AttendanceStatus::Weekend | AttendanceStatus::Holiday
                    ),
                    None => date.weekday().number_from_monday() >= 6,
                })
                .collect();
            let cells = dates
                .iter()
                .map(|date| match day_of(date) {
                    Some(d) => {
                        let r = &d.record;
                        // Today is shown as it stands, and counted once it is over: at
                        // 09:00 someone not in yet is not an absence to be paid for, nor
                        // a lunch punch an early departure.
                        if *date < today {
                            totals.add(
                                r.status,
                                d.leave,
                                r.late_minutes,
                                r.early_leave_minutes,
                                r.worked_minutes,
                            );
                        }
                        symbol(r.status, d.leave)
                    }
                    None => String::new(),
                })
                .collect();
            TimesheetRow {
                staff_id: p.staff.id,
                code: p.staff.code.clone(),
                full_name: p.staff.full_name.clone(),
                position: p.staff.position.clone(),
                // The unit of the person's last day here, where the sheet has one.
                unit_id: mine.last().map_or(p.staff.unit_id, |d| d.unit_id),
                unit_name: String::new(),
                cells,
                days_off,
                totals,
            }
        })
        .collect();
    Timesheet {
        unit_id,
        unit_name,
        month,
        days: dates,
        legend: LEGEND
            .iter()
            .map(|(s, l)| ((*s).to_owned(), (*l).to_owned()))
            .collect(),
        rows,
    }
}

const TOTAL_HEADERS: [&str; 9] = [
    "Ngày công",
    "Số lần đi muộn",
    "Số phút đi muộn",
    "Số lần về sớm",
    "Số phút về sớm",
    "Vắng không lý do",
    "Ngày nghỉ phép",
    "Ngày đi công tác",
    "Giờ làm việc",
];

fn header(sheet: &Timesheet) -> Vec<String> {
    let mut h: Vec<String> = ["STT", "Mã cán bộ", "Họ và tên", "Chức vụ", "Đơn vị"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    h.extend(sheet.days.iter().map(|d| d.day().to_string()));
    h.extend(TOTAL_HEADERS.iter().map(|s| (*s).to_owned()));
    h
}

fn totals_row(t: &Totals) -> [String; 9] {
    [
        t.days_worked.to_string(),
        t.late_count.to_string(),
        t.late_minutes.to_string(),
        t.early_leave_count.to_string(),
        t.early_leave_minutes.to_string(),
        t.absent_days.to_string(),
        t.leave_days.to_string(),
        t.business_trip_days.to_string(),
        format!("{:.1}", hours(t.worked_minutes)),
    ]
}

/// The totals as numbers, for the workbook: HR sums and sorts them in Excel, which a cell
/// of text defeats. Hours to the tenth, as the CSV writes them.
fn totals_numbers(t: &Totals) -> [f64; 9] {
    [
        t.days_worked.value(),
        f64::from(t.late_count),
        t.late_minutes as f64,
        f64::from(t.early_leave_count),
        t.early_leave_minutes as f64,
        t.absent_days.value(),
        t.leave_days.value(),
        t.business_trip_days.value(),
        hours(t.worked_minutes),
    ]
}

/// Minutes as hours to the tenth, one rounding for the CSV and the workbook alike.
fn hours(minutes: i64) -> f64 {
    (minutes as f64 / 6.0).round() / 10.0
}

fn to_csv(sheet: &Timesheet) -> Result<Vec<u8>, csv::Error> {
    // The BOM makes Excel read the file as UTF-8 instead of the local code page.
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(header(sheet))?;
        for (i, row) in sheet.rows.iter().enumerate() {
            // Codes, names and positions come from users: none may run as a formula.
            let mut record = vec![
                (i + 1).to_string(),
                crate::export::inert(row.code.clone()),
                crate::export::inert(row.full_name.clone()),
                crate::export::inert(row.position.clone().unwrap_or_default()),
                crate::export::inert(row.unit_name.clone()),
            ];
            record.extend(row.cells.iter().cloned());
            record.extend(totals_row(&row.totals));
            w.write_record(record)?;
        }
        w.flush()?;
    }
    Ok(out)
}

fn to_xlsx(sheet: &Timesheet) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("Bảng chấm công")?;
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7");
    let cell = Format::new()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin);
    let text = Format::new().set_border(FormatBorder::Thin);
    let weekend = cell.clone().set_background_color("#EEEEEE");
    let columns = header(sheet);
    let last_col = u16::try_from(columns.len().saturating_sub(1)).unwrap_or(u16::MAX);
    ws.merge_range(
        0,
        0,
        0,
        last_col,
        &format!("BẢNG CHẤM CÔNG THÁNG {}", sheet.month),
        &title,
    )?;
    ws.merge_range(
        1,
        0,
        1,
        last_col,
        &sheet.unit_name,
        &Format::new().set_align(FormatAlign::Center),
    )?;
    for (c, name) in columns.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        ws.write_string_with_format(3, c, name, &head)?;
    }
    ws.set_column_width(0, 5)?;
    ws.set_column_width(1, 11)?;
    ws.set_column_width(2, 26)?;
    ws.set_column_width(3, 22)?;
    ws.set_column_width(4, 22)?;
    let first_day_col: u16 = 5;
    for (i, _) in sheet.days.iter().enumerate() {
        ws.set_column_width(first_day_col + u16::try_from(i).unwrap_or(0), 4)?;
    }
    for (i, row) in sheet.rows.iter().enumerate() {
        let r = 4 + u32::try_from(i).unwrap_or(u32::MAX - 4);
        ws.write_number_with_format(r, 0, (i + 1) as f64, &cell)?;
        ws.write_string_with_format(r, 1, &row.code, &text)?;
        ws.write_string_with_format(r, 2, &row.full_name, &text)?;
        ws.write_string_with_format(r, 3, row.position.as_deref().unwrap_or(""), &text)?;
        ws.write_string_with_format(r, 4, &row.unit_name, &text)?;
        for (d, symbol) in row.cells.iter().enumerate() {
            let off = row.days_off.get(d).copied().unwrap_or(false);
            let fmt = if off { &weekend } else { &cell };
            ws.write_string_with_format(
                r,
                first_day_col + u16::try_from(d).unwrap_or(0),
                symbol,
                fmt,
            )?;
        }
        let totals_col = first_day_col + u16::try_from(sheet.days.len()).unwrap_or(0);
        for (k, value) in totals_numbers(&row.totals).into_iter().enumerate() {
            ws.write_number_with_format(
                r,
                totals_col + u16::try_from(k).unwrap_or(0),
                value,
                &cell,
            )?;
        }
    }
    let legend_row = 6 + u32::try_from(sheet.rows.len()).unwrap_or(0);
    ws.write_string_with_format(legend_row, 2, "Ký hiệu", &Format::new().set_bold())?;
    for (k, (symbol, label)) in sheet.legend.iter().enumerate() {
        let r = legend_row + 1 + u32::try_from(k).unwrap_or(0);
        ws.write_string(r, 2, format!("{symbol}: {label}"))?;
    }
    ws.set_freeze_panes(4, first_day_col)?;
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::{Totals, month_range, totals_numbers, totals_row};
    use crate::domain::timesheet::Days;

    #[test]
    fn the_workbook_totals_are_the_csv_totals_as_numbers() {
        let t = Totals {
            days_worked: Days::halves(41),
            late_count: 3,
            late_minutes: 47,
            early_leave_count: 1,
            early_leave_minutes: 10,
            absent_days: Days::halves(1),
            leave_days: Days::halves(2),
            business_trip_days: Days::halves(3),
            worked_minutes: 9_875,
        };
        assert_eq!(
            totals_numbers(&t),
            [20.5, 3.0, 47.0, 1.0, 10.0, 0.5, 1.0, 1.5, 164.6]
        );
        let text: Vec<f64> = totals_row(&t).iter().map(|v| v.parse().unwrap()).collect();
        assert_eq!(text, totals_numbers(&t));
        // 160.35 hours: one rounding, so the two files agree.
        let t = Totals {
            worked_minutes: 9_621,
            ..t
        };
        assert_eq!(totals_row(&t)[8], "160.4");
        assert_eq!(totals_numbers(&t)[8], 160.4);
    }

    /// The style of a cell in the worksheet's XML.
    fn style(xml: &str, cell: &str) -> String {
        let at = xml.find(&format!("<c r=\"{cell}\"")).expect(cell);
        let c = &xml[at..at + xml[at..].find('>').unwrap()];
        c.split("s=\"")
            .nth(1)
            .unwrap_or_default()
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// The workbook shades the person's days off as the calendar made them: a
    /// compensatory working Saturday is not shaded, a Friday of Tết is.
    #[test]
    fn the_workbook_shades_days_off_not_saturdays() {
        use chrono::NaiveDate;
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let sheet = super::Timesheet {
            unit_id: 1,
            unit_name: "Phòng A".into(),
            month: "2026-03".into(),
            days: vec![day(5), day(6), day(7), day(8)],
            legend: Vec::new(),
            rows: vec![super::TimesheetRow {
                staff_id: 1,
                code: "CB1".into(),
                full_name: "Nguyễn Văn A".into(),
                position: None,
                unit_id: 1,
                unit_name: "Phòng A".into(),
                cells: vec!["+".into(), "L".into(), "+".into(), String::new()],
                days_off: vec![false, true, false, true],
                totals: Totals::default(),
            }],
        };
        let xml = crate::export::tests::sheet_xml(&super::to_xlsx(&sheet).unwrap());
        // Thursday F5, Friday G5 (off), Saturday H5 (worked), Sunday I5 (off).
        let (thu, fri, sat, sun) = (
            style(&xml, "F5"),
            style(&xml, "G5"),
            style(&xml, "H5"),
            style(&xml, "I5"),
        );
        assert_eq!(thu, sat, "a working Saturday is a working day");
        assert!(
            xml.contains("topLeftCell=\"F5\""),
            "the names and units stay in view beside the days: {xml}"
        );
        assert_eq!(fri, sun, "a holiday is a day off");
        assert_ne!(thu, fri);
    }

    #[test]
    fn months() {
        let (f, t) = month_range("2026-02").unwrap();
        assert_eq!(
            (f.to_string(), t.to_string()),
            ("2026-02-01".into(), "2026-02-28".into())
        );
        let (_, t) = month_range("2024-12").unwrap();
        assert_eq!(t.to_string(), "2024-12-31");
        assert!(month_range("2026-13").is_none());
        assert!(month_range("March").is_none());
        assert!(month_range("1989-12").is_none() && month_range("2101-01").is_none());
        assert!(month_range("+262142-01").is_none());
    }
}
