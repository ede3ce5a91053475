//! Demo one-stop dossiers and surveys for the year before `today`, shaped so that the
//! rules have something to bite on: two land officers cross 10 % late steps, Cam Ranh's
//! desk crosses 5 % late dossiers, and Vạn Ninh's satisfaction falls to about 75 %.
//! Pure and deterministic; the rows are in the import format, so loading them exercises
//! the real import.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::data::{DemoStaff, PROVINCE_CODE};
use crate::import::dossiers::RawLine;

/// (procedure, handling division suffix or None when the desk itself decides, days allowed)
const PROCEDURES: &[(&str, Option<&str>, i64)] = &[
    (
        "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        Some("SXD-QLXD"),
        15,
    ),
    (
        "Đăng ký biến động quyền sử dụng đất",
        Some("SNNMT-QLDD"),
        10,
    ),
    (
        "Cấp đổi giấy chứng nhận quyền sử dụng đất",
        Some("SNNMT-QLDD"),
        7,
    ),
    ("Đăng ký hộ kinh doanh", Some("STC-QLDT"), 3),
    ("Chứng thực bản sao từ bản chính", None, 1),
    ("Đăng ký khai sinh", None, 1),
];

/// One-stop desks and the share of their dossiers that run late (in thousandths).
const DESKS: &[(&str, u64)] = &[
    ("PNT-MC", 5),
    ("PCR-MC", 60),
    ("PNH-MC", 5),
    ("XDK-MC", 5),
    ("XVN-MC", 5),
    ("TTPVHCC-TNTKQ", 0),
];

/// The land division's first two officers (by code) are slow: 15 % of their steps run
/// late, against 1 % for others.
const SLOW_DIVISION: &str = "SNNMT-QLDD";
const SLOW_OFFICERS: usize = 2;

fn mix(a: u64, b: u64) -> u64 {
    let mut x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0xD1B5_4A32_D192_ED03);
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 32)
}

fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y%m%d%H%M%S").to_string()
}

fn unit(suffix: &str) -> String {
    format!("{PROVINCE_CODE}-{suffix}")
}

/// A working-hours instant `hours` after `from`, skipping nights and weekends roughly.
fn later(from: NaiveDateTime, hours: i64) -> NaiveDateTime {
    let mut t = from + Duration::hours(hours);
    if t.time() > NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN) {
        t += Duration::hours(15);
    }
    t
}

/// The import lines (one per step) of about `per_day` dossiers a working day.
pub fn lines(staff: &[DemoStaff], today: NaiveDate, per_day: u64) -> Vec<RawLine> {
    let members = |unit_code: &str| -> Vec<&DemoStaff> {
        staff
            .iter()
            .filter(|s| s.unit_code == unit_code && !s.is_head)
            .collect()
    };
    let head_of = |unit_code: &str| staff.iter().find(|s| s.unit_code == unit_code && s.is_head);
    let mut out = Vec::new();
    let start = today - Duration::days(365);
    let mut n: u64 = 0;
    for day in start
        .iter_days()
        .take_while(|d| *d < today - Duration::days(1))
    {
        if chrono::Datelike::weekday(&day).number_from_monday() > 5 {
            continue;
        }
        for k in 0..per_day {
            n += 1;
            let h = mix(n, k);
            let (desk, desk_late) = DESKS[(h % DESKS.len() as u64) as usize];
            let (procedure, division, days) =
                PROCEDURES[((h >> 8) % PROCEDURES.len() as u64) as usize];
            let desk_unit = unit(desk);
            let clerks = members(&desk_unit);
            let Some(clerk) = clerks.get(((h >> 16) % clerks.len().max(1) as u64) as usize) else {
                continue;
            };
            let received = day.and_hms_opt(7, 30, 0).unwrap_or_default()
                + Duration::minutes(((h >> 20) % 540) as i64);
            let due = received + Duration::days(days);
            let late_dossier = (h >> 24) % 1000 < desk_late;
            let mut steps: Vec<(&DemoStaff, NaiveDateTime, NaiveDateTime, NaiveDateTime)> =
                Vec::new();
            // Step 1: the desk receives and checks.
            let s1_end = later(received, 1 + ((h >> 30) % 3) as i64);
            steps.push((clerk, received, received + Duration::hours(4), s1_end));
            let mut at = s1_end;
            if let Some(division) = division {
                let div_unit = unit(division);
                let officers = members(&div_unit);
                if let Some(officer) =
                    officers.get(((h >> 34) % officers.len().max(1) as u64) as usize)
                {
                    let slow = division == SLOW_DIVISION
                        && officers
                            .iter()
                            .take(SLOW_OFFICERS)
                            .any(|o| o.code == officer.code);
                    let late_rate = if slow { 150 } else { 10 };
                    let step_due = at + Duration::days(days - 2).max(Duration::hours(8));
                    let late_step = late_dossier || (h >> 40) % 1000 < late_rate;
                    let end = if late_step {
                        step_due + Duration::days(1 + ((h >> 44) % 4) as i64)
                    } else {
                        at + Duration::hours(8 + ((h >> 44) % 24) as i64)
                    };
                    steps.push((officer, at, step_due, end));
                    at = end;
                }
                if let Some(head) = head_of(&div_unit) {
                    let end = later(at, 2);
                    steps.push((head, at, at + Duration::days(1), end));
                    at = end;
                }
            } else if late_dossier {
                at = due + Duration::hours(6);
                if let Some(first) = steps.first_mut() {
                    first.3 = at;
                }
            }
            let finished = later(at, 1);
            let finished_in_time = finished <= due;
            for (no, (who, from, step_due, end)) in steps.iter().enumerate() {
                let mut line = RawLine::new();
                let mut put = |k: &str, v: String| {
                    line.insert(k.to_owned(), v);
                };
                put(
                    "code",
                    format!(
                        "000.00.{:02}.H42-{}-{:04}",
                        (h >> 50) % 90 + 10,
                        day.format("%y%m%d"),
                        n % 10_000
                    ),
                );
                put("procedure", procedure.to_owned());
                put("unit_code", desk_unit.clone());
                put("received_at", stamp(received));
                put("due_at", stamp(due));
                put("finished_at", stamp(finished));
                put("status", "finished".to_owned());
                put("step_no", (no + 1).to_string());
                put("step_staff_code", who.code.clone());
                put("step_received_at", stamp(*from));
                put("step_due_at", stamp(*step_due));
                put("step_finished_at", stamp(*end));
                if !finished_in_time {
                    put("apology_new_due_at", stamp(due + Duration::days(3)));
                }
                out.push(line);
            }
        }
    }
    out
}

/// One survey answer: desk unit code, local time, score 1–5.
pub struct Answer {
    pub unit_code: String,
    pub at: NaiveDateTime,
    pub score: i32,
}

/// Satisfaction answers for the year: about one a desk and working day; Vạn Ninh's desk
/// gets low scores a quarter of the time.
pub fn answers(today: NaiveDate) -> Vec<Answer> {
    let start = today - Duration::days(365);
    let mut out = Vec::new();
    for (d, day) in start.iter_days().take_while(|d| *d < today).enumerate() {
        if chrono::Datelike::weekday(&day).number_from_monday() > 5 {
            continue;
        }
        for (i, (desk, _)) in DESKS.iter().enumerate() {
            let h = mix(d as u64, i as u64 + 100);
            let unhappy_share = if *desk == "XVN-MC" { 250 } else { 70 };
            let wobble = i32::from((h >> 12) % 2 == 1);
            let score = if h % 1000 < unhappy_share {
                2 + wobble
            } else {
                4 + wobble
            };
            out.push(Answer {
                unit_code: unit(desk),
                at: day.and_hms_opt(10, 0, 0).unwrap_or_default()
                    + Duration::minutes(((h >> 20) % 400) as i64),
                score,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_of_dossiers_with_the_shapes_the_rules_need() {
        let staff = super::super::data::province().staff;
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let lines = lines(&staff, today, 12);
        let codes: std::collections::HashSet<&String> = lines.iter().map(|l| &l["code"]).collect();
        assert!(
            codes.len() > 2_500,
            "thousands of dossiers: {}",
            codes.len()
        );
        assert!(lines.len() > 2 * codes.len(), "several steps each");
        assert!(
            lines
                .iter()
                .all(|l| staff.iter().any(|s| s.code == l["step_staff_code"]))
        );
        let a = answers(today);
        let xvn: Vec<&Answer> = a
            .iter()
            .filter(|x| x.unit_code.ends_with("XVN-MC"))
            .collect();
        let happy = xvn.iter().filter(|x| x.score >= 4).count() as f64 / xvn.len() as f64;
        assert!(happy <= 0.80, "{happy}");
    }
}
