//! A province-year at full scale (DESIGN.md, "Scale it must be ready for"), for
//! benchmarks: up to 50 000 staff in a real-shaped tree — departments with divisions,
//! public-service units (schools, clinics) where most viên chức work, and two-tier-era
//! communes — a year of check-ins with the demo's mix of lateness and absence, and the
//! one-stop dossiers of the departments' and communes' desks with their survey answers,
//! and the inspection visits with their findings (`inspections`). The plans are pure and
//! deterministic — the same scale and dates give the same rows — and `load` writes them;
//! days are produced one at a time, so a year of ~50 million events is never held in
//! memory.

pub mod inspections;
pub mod load;

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use super::activity::{mix, person_day};
use crate::domain::codes::Direction;

/// How big a province to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub staff: usize,
    /// Days of activity, ending the day before `today`.
    pub days: i64,
}

impl Scale {
    /// The province DESIGN.md sizes for: 50 000 staff over a year.
    pub const PROVINCE: Scale = Scale {
        staff: 50_000,
        days: 365,
    };
}

/// The root unit's code: one generated province per database.
pub const ROOT_CODE: &str = "QM";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitSpec {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    /// Index of the parent in the list (parents come first).
    pub parent: Option<usize>,
    /// Staff members working in the unit.
    pub people: usize,
    /// Whether the unit keeps a one-stop desk (receives dossiers).
    pub desk: bool,
}

const DEPARTMENTS: &[(&str, &str)] = &[
    ("SNV", "Sở Nội vụ"),
    ("STC", "Sở Tài chính"),
    ("SXD", "Sở Xây dựng"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường"),
    ("SGDDT", "Sở Giáo dục và Đào tạo"),
    ("SYT", "Sở Y tế"),
    ("SCT", "Sở Công Thương"),
    ("STP", "Sở Tư pháp"),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("SKHCN", "Sở Khoa học và Công nghệ"),
    ("SDTTG", "Sở Dân tộc và Tôn giáo"),
    ("SNGV", "Sở Ngoại vụ"),
    ("TTR", "Thanh tra tỉnh"),
    ("VPUB", "Văn phòng UBND tỉnh"),
];

const DIVISIONS: &[&str] = &[
    "Văn phòng",
    "Phòng Tổ chức",
    "Phòng Nghiệp vụ 1",
    "Phòng Nghiệp vụ 2",
    "Phòng Kế hoạch - Tài chính",
];

/// The units and how many people each holds, for `staff` people in all: about 12 % in
/// the departments' divisions, 18 % in the communes, 70 % in public-service units.
pub fn units(staff: usize) -> Vec<UnitSpec> {
    let share = |pct: usize| staff * pct / 100;
    let mut out = vec![UnitSpec {
        code: ROOT_CODE.to_owned(),
        name: "Tỉnh Quy Mô".to_owned(),
        kind: "province",
        parent: None,
        people: 0,
        desk: false,
    }];
    let per_division = share(12) / (DEPARTMENTS.len() * DIVISIONS.len());
    let service_units = (share(70) / 120).max(1);
    let per_service = share(70) / service_units;
    let communes = (share(18) / 60).max(1);
    let per_commune = share(18) / communes;
    let mut dept_index = Vec::new();
    for (code, name) in DEPARTMENTS {
        out.push(UnitSpec {
            code: format!("{ROOT_CODE}-{code}"),
            name: (*name).to_owned(),
            kind: "department",
            parent: Some(0),
            people: 0,
            desk: true,
        });
        let d = out.len() - 1;
        dept_index.push(d);
        for (i, division) in DIVISIONS.iter().enumerate() {
            out.push(UnitSpec {
                code: format!("{ROOT_CODE}-{code}-P{}", i + 1),
                name: (*division).to_owned(),
                kind: "division",
                parent: Some(d),
                people: per_division,
                desk: false,
            });
        }
    }
    // Schools under Education, clinics under Health, the rest spread over the others.
    for i in 0..service_units {
        let parent = match i % 4 {
            0 | 1 => dept_index[4],
            2 => dept_index[5],
            _ => dept_index[i % dept_index.len()],
        };
        let (prefix, name) = match i % 4 {
            0 | 1 => ("TH", "Trường"),
            2 => ("TYT", "Trung tâm y tế"),
            _ => ("TT", "Trung tâm dịch vụ"),
        };
        out.push(UnitSpec {
            code: format!("{ROOT_CODE}-{prefix}{i:04}"),
            name: format!("{name} số {}", i + 1),
            kind: "public_service_unit",
            parent: Some(parent),
            people: per_service,
            desk: false,
        });
    }
    for i in 0..communes {
        out.push(UnitSpec {
            code: format!("{ROOT_CODE}-X{i:03}"),
            name: format!("{} {}", if i % 3 == 0 { "Phường" } else { "Xã" }, i + 1),
            kind: "commune",
            parent: Some(0),
            people: per_commune,
            desk: true,
        });
    }
    // What rounding left over goes to the last commune.
    let placed: usize = out.iter().map(|u| u.people).sum();
    if let Some(last) = out.last_mut() {
        last.people += staff.saturating_sub(placed);
    }
    out
}

const FAMILIES: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Hoàng", "Đặng", "Bùi",
];
const MIDDLES: &[&str] = &["Văn", "Thị", "Hữu", "Ngọc", "Minh", "Thu", "Đức", "Thanh"];
const GIVEN: &[&str] = &[
    "An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hải", "Hương", "Khoa", "Lan", "Linh", "Long",
    "Mai", "Nam", "Phong", "Quang", "Sơn", "Thảo", "Trang", "Tuấn", "Vân", "Yến",
];

/// A person's name: names repeat at this scale, as they do in a real province.
pub fn name(n: usize) -> String {
    let h = mix(n as u64, 11);
    let pick = |list: &[&'static str], salt: u64| list[(mix(h, salt) % list.len() as u64) as usize];
    format!(
        "{} {} {}",
        pick(FAMILIES, 1),
        pick(MIDDLES, 2),
        pick(GIVEN, 3)
    )
}

/// The check-ins of one working day for people `0..people`: arrival and departure as
/// in the demo, and for nine in ten who came, the lunch break's out and in (the noon
/// `lunch` from the end of the morning session to the start of the afternoon one) —
/// about four events a person a day, fifty million a province-year.
pub fn day_events(
    people: usize,
    start: NaiveDateTime,
    end: NaiveDateTime,
    lunch: Option<(NaiveDateTime, NaiveDateTime)>,
) -> impl Iterator<Item = (usize, NaiveDateTime, Option<Direction>)> {
    let day = start.date().num_days_from_ce() as u64;
    (0..people).flat_map(move |person| {
        let h = mix(person as u64, day);
        let (arrival, departure) = person_day(h, start, end);
        // Half the units' devices send directions, the other half do not.
        let directed = person % 2 == 0;
        let dir = move |d: Direction| directed.then_some(d);
        let noon = lunch.filter(|_| arrival.is_some() && !mix(h, 40).is_multiple_of(10));
        let minutes = move |salt: u64| chrono::Duration::minutes((mix(h, salt) % 15) as i64);
        let noon_events = noon.into_iter().flat_map(move |(out, back)| {
            [
                (person, out + minutes(41), dir(Direction::Out)),
                (person, back - minutes(42), dir(Direction::In)),
            ]
        });
        arrival
            .map(|a| (person, a, dir(Direction::In)))
            .into_iter()
            .chain(noon_events)
            .chain(departure.map(|d| (person, d, dir(Direction::Out))))
    })
}

/// One dossier of a desk: days allowed, steps, and whether (and where) it runs late.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierSpec {
    pub desk: usize,
    pub serial: u64,
    pub received: NaiveDateTime,
    pub allowed_days: i64,
    /// Hours each step took; a step whose hours pass its share of the time runs late.
    pub step_hours: Vec<i64>,
}

/// The dossiers a desk receives on `day`: about `per_desk` on average.
pub fn desk_dossiers(desk: usize, day: NaiveDate, per_desk: u64) -> Vec<DossierSpec> {
    let seed = mix(desk as u64, day.num_days_from_ce() as u64);
    let n = per_desk.saturating_sub(1) + seed % 3;
    (0..n)
        .map(|i| {
            let h = mix(seed, i);
            let allowed_days = [1, 3, 5, 7, 10, 15][(h % 6) as usize];
            let steps = 2 + (h >> 8) % 3;
            let budget = allowed_days * 8 / steps as i64;
            let step_hours = (0..steps)
                .map(|s| {
                    let r = mix(h, s + 20) % 100;
                    // About 4 % of steps overrun their share.
                    if r < 4 {
                        budget + 4 + (r as i64)
                    } else {
                        (budget * (50 + r as i64) / 150).max(1)
                    }
                })
                .collect();
            DossierSpec {
                desk,
                serial: i,
                received: day.and_hms_opt(8, 0, 0).unwrap_or_default()
                    + chrono::Duration::minutes((h % 420) as i64),
                allowed_days,
                step_hours,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_holds_everyone_once() {
        for staff in [300, 5_000, 50_000] {
            let u = units(staff);
            assert_eq!(u.iter().map(|u| u.people).sum::<usize>(), staff, "{staff}");
            assert!(
                u.iter()
                    .skip(1)
                    .all(|x| x.parent.is_some_and(|p| p < u.len()))
            );
            let mut codes: Vec<&str> = u.iter().map(|u| u.code.as_str()).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), u.len(), "codes are unique");
        }
        let full = units(50_000);
        let service: usize = full
            .iter()
            .filter(|u| u.kind == "public_service_unit")
            .map(|u| u.people)
            .sum();
        assert!(service * 100 / 50_000 >= 65, "most people are viên chức");
    }

    #[test]
    fn a_day_has_the_usual_mix_and_repeats() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
        let start = d.and_hms_opt(7, 30, 0).unwrap();
        let end = d.and_hms_opt(17, 0, 0).unwrap();
        let lunch = Some((
            d.and_hms_opt(11, 30, 0).unwrap(),
            d.and_hms_opt(13, 30, 0).unwrap(),
        ));
        let events: Vec<_> = day_events(1_000, start, end, lunch).collect();
        assert!((3_600..3_900).contains(&events.len()), "{}", events.len());
        // Each person's first event of the day is their arrival.
        let mut first: std::collections::HashMap<usize, NaiveDateTime> = Default::default();
        for (person, t, _) in &events {
            let slot = first.entry(*person).or_insert(*t);
            *slot = (*slot).min(*t);
        }
        let late = first
            .values()
            .filter(|t| **t > start + chrono::Duration::minutes(5))
            .count();
        assert!((40..120).contains(&late), "{late}");
        assert_eq!(day_events(1_000, start, end, lunch).count(), events.len());
        let dossiers = desk_dossiers(3, d, 6);
        assert_eq!(dossiers, desk_dossiers(3, d, 6), "deterministic");
        assert!(
            dossiers
                .iter()
                .all(|x| (2..=4).contains(&x.step_hours.len()))
        );
    }
}
