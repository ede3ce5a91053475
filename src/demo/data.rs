//! Deterministic demo data for a realistic province ("Tỉnh Khánh Hòa").
//!
//! The tree follows the 2025 two-tier local government: provincial agencies
//! and communes/wards sit directly under the province, with no districts.
//! Everything is computed from the constant tables below with fixed index
//! arithmetic, so every call returns the same value and the loader can rely
//! on stable codes across runs.

use std::collections::HashSet;
use std::iter::{once, repeat_n};

use chrono::NaiveDate;

/// One unit of the demo tree. `parent_code` is None only for the province root.
#[derive(Debug, Clone)]
pub struct DemoUnit {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DemoStaff {
    pub code: String,
    pub full_name: String,
    pub unit_code: String,
    pub category: &'static str,
    pub position: Option<String>,
    pub email: Option<String>,
    pub is_head: bool,
    pub joined_on: NaiveDate,
}

/// Units are ordered so that every parent precedes its children, which lets
/// the loader insert them in one pass.
#[derive(Debug, Clone)]
pub struct DemoProvince {
    pub units: Vec<DemoUnit>,
    pub staff: Vec<DemoStaff>,
}

/// Code of the demo province root, used by the loader to detect that the demo is already loaded.
pub const PROVINCE_CODE: &str = "KHA";

const PROVINCE_NAME: &str = "Tỉnh Khánh Hòa";
const EMAIL_DOMAIN: &str = "khanhhoa.gov.vn";

const CB: &str = "can_bo";
const CC: &str = "cong_chuc";
const VC: &str = "vien_chuc";
const HD: &str = "contract";

/// (position, category)
type Post = (&'static str, &'static str);

/// Staffing pattern of a unit: one head, some deputies, then rank-and-file
/// posts taken cyclically from `rank`.
struct Roster {
    head: Post,
    deputy: Post,
    rank: &'static [Post],
}

// Kept compact so the rosters read as a table; rustfmt would spread each
// one over a dozen lines.
#[rustfmt::skip]
mod rosters {
    use super::{CB, CC, HD, Roster, VC};

    pub const DEPT_LEAD: Roster = Roster { head: ("Giám đốc Sở", CC), deputy: ("Phó Giám đốc Sở", CC), rank: &[("Lái xe", HD)] };
    pub const UBND_OFFICE_LEAD: Roster = Roster { head: ("Chánh Văn phòng UBND tỉnh", CC), deputy: ("Phó Chánh Văn phòng UBND tỉnh", CC), rank: &[("Lái xe", HD)] };
    pub const CENTER_LEAD: Roster = Roster { head: ("Giám đốc Trung tâm", VC), deputy: ("Phó Giám đốc Trung tâm", VC), rank: &[] };
    pub const DEPT_OFFICE: Roster = Roster {
        head: ("Chánh Văn phòng", CC), deputy: ("Phó Chánh Văn phòng", CC),
        rank: &[("Chuyên viên", CC), ("Kế toán", CC), ("Văn thư", CC), ("Bảo vệ", HD), ("Chuyên viên", CC), ("Tạp vụ", HD)],
    };
    pub const DIVISION: Roster = Roster {
        head: ("Trưởng phòng", CC), deputy: ("Phó Trưởng phòng", CC),
        rank: &[("Chuyên viên chính", CC), ("Chuyên viên", CC), ("Chuyên viên", CC), ("Cán sự", CC)],
    };
    pub const ADMIN_DIVISION: Roster = Roster {
        head: ("Trưởng phòng", CC), deputy: ("Phó Trưởng phòng", CC),
        rank: &[("Kế toán", CC), ("Văn thư", CC), ("Lái xe", HD), ("Tạp vụ", HD)],
    };
    pub const CENTER_ADMIN: Roster = Roster {
        head: ("Trưởng phòng", VC), deputy: ("Phó Trưởng phòng", VC),
        rank: &[("Kế toán", VC), ("Chuyên viên", VC), ("Bảo vệ", HD)],
    };
    pub const CENTER_DESK: Roster = Roster {
        head: ("Trưởng phòng", VC), deputy: ("Phó Trưởng phòng", VC),
        rank: &[("Viên chức tiếp nhận hồ sơ", VC), ("Viên chức tiếp nhận hồ sơ", VC), ("Kỹ thuật viên công nghệ thông tin", VC)],
    };
    // Communes without their own offices keep their civil servants on the
    // commune unit itself, hence the commune-level posts here.
    pub const WARD_LEAD: Roster = Roster {
        head: ("Chủ tịch UBND phường", CB), deputy: ("Phó Chủ tịch UBND phường", CB),
        rank: &[("Công chức Văn phòng - Thống kê", CC), ("Công chức Tư pháp - Hộ tịch", CC), ("Công chức Địa chính - Xây dựng", CC)],
    };
    pub const COMMUNE_LEAD: Roster = Roster {
        head: ("Chủ tịch UBND xã", CB), deputy: ("Phó Chủ tịch UBND xã", CB),
        rank: &[
            ("Công chức Văn phòng - Thống kê", CC), ("Công chức Tư pháp - Hộ tịch", CC), ("Công chức Địa chính - Nông nghiệp", CC),
            ("Công chức Tài chính - Kế toán", CC), ("Công chức Văn hóa - Xã hội", CC),
        ],
    };
    pub const COMMUNE_OFFICE: Roster = Roster {
        head: ("Chánh Văn phòng HĐND và UBND", CC), deputy: ("Phó Chánh Văn phòng HĐND và UBND", CC),
        rank: &[("Chuyên viên", CC), ("Văn thư", CC), ("Lái xe", HD)],
    };
    pub const ONE_STOP: Roster = Roster {
        head: ("Tổ trưởng Bộ phận Một cửa", CC), deputy: ("Tổ phó Bộ phận Một cửa", CC),
        rank: &[("Công chức tiếp nhận hồ sơ", CC)],
    };
}
use rosters::*;

/// (code below the root, name, kind, roster, deputies, rank-and-file count).
/// The parent is the code with its last `-` segment removed, so the table
/// order must keep parents first.
#[rustfmt::skip]
type Row = (&'static str, &'static str, &'static str, &'static Roster, usize, usize);

#[rustfmt::skip]
const UNITS: &[Row] = &[
    ("VP", "Văn phòng UBND tỉnh", "department", &UBND_OFFICE_LEAD, 3, 1),
    ("VP-TH", "Phòng Tổng hợp", "division", &DIVISION, 1, 3),
    ("VP-KT", "Phòng Kinh tế", "division", &DIVISION, 1, 2),
    ("VP-HCTC", "Phòng Hành chính - Tổ chức", "division", &ADMIN_DIVISION, 1, 3),
    ("SNV", "Sở Nội vụ", "department", &DEPT_LEAD, 2, 0),
    ("SNV-VP", "Văn phòng Sở", "division", &DEPT_OFFICE, 1, 3),
    ("SNV-TCBC", "Phòng Tổ chức, biên chế", "division", &DIVISION, 1, 2),
    ("SNV-CCVC", "Phòng Công chức, viên chức", "division", &DIVISION, 1, 3),
    ("SNV-CCHC", "Phòng Cải cách hành chính", "division", &DIVISION, 1, 2),
    ("STC", "Sở Tài chính", "department", &DEPT_LEAD, 2, 1),
    ("STC-VP", "Văn phòng Sở", "division", &DEPT_OFFICE, 1, 3),
    ("STC-QLNS", "Phòng Quản lý ngân sách", "division", &DIVISION, 1, 3),
    ("STC-QLDT", "Phòng Quản lý đầu tư", "division", &DIVISION, 1, 2),
    ("STC-QLG", "Phòng Quản lý giá và công sản", "division", &DIVISION, 1, 1),
    ("SXD", "Sở Xây dựng", "department", &DEPT_LEAD, 2, 0),
    ("SXD-VP", "Văn phòng Sở", "division", &DEPT_OFFICE, 1, 3),
    ("SXD-QLXD", "Phòng Quản lý xây dựng", "division", &DIVISION, 1, 3),
    ("SXD-QHKT", "Phòng Quy hoạch - Kiến trúc", "division", &DIVISION, 1, 2),
    ("SXD-QLGT", "Phòng Quản lý giao thông", "division", &DIVISION, 0, 2),
    ("SNNMT", "Sở Nông nghiệp và Môi trường", "department", &DEPT_LEAD, 3, 0),
    ("SNNMT-VP", "Văn phòng Sở", "division", &DEPT_OFFICE, 1, 3),
    ("SNNMT-QLDD", "Phòng Quản lý đất đai", "division", &DIVISION, 1, 3),
    ("SNNMT-MT", "Phòng Môi trường", "division", &DIVISION, 1, 3),
    ("SNNMT-KHTC", "Phòng Kế hoạch - Tài chính", "division", &DIVISION, 1, 2),
    ("SYT", "Sở Y tế", "department", &DEPT_LEAD, 2, 0),
    ("SYT-VP", "Văn phòng Sở", "division", &DEPT_OFFICE, 1, 3),
    ("SYT-NVY", "Phòng Nghiệp vụ Y", "division", &DIVISION, 1, 3),
    ("SYT-NVD", "Phòng Nghiệp vụ Dược", "division", &DIVISION, 1, 2),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "department", &DEPT_LEAD, 2, 0),
    ("SGDDT-VP", "Văn phòng Sở", "division", &DEPT_OFFICE, 1, 3),
    ("SGDDT-GDPT", "Phòng Giáo dục phổ thông", "division", &DIVISION, 1, 3),
    ("SGDDT-TCCB", "Phòng Tổ chức cán bộ", "division", &DIVISION, 1, 2),
    ("TTPVHCC", "Trung tâm Phục vụ hành chính công tỉnh", "public_service_unit", &CENTER_LEAD, 1, 0),
    ("TTPVHCC-HCTH", "Phòng Hành chính - Tổng hợp", "division", &CENTER_ADMIN, 1, 3),
    ("TTPVHCC-TNTKQ", "Phòng Tiếp nhận và Trả kết quả", "division", &CENTER_DESK, 1, 4),
    ("PNT", "Phường Nha Trang", "commune", &WARD_LEAD, 2, 0),
    ("PNT-VP", "Văn phòng HĐND và UBND", "division", &COMMUNE_OFFICE, 1, 3),
    ("PNT-KTHTDT", "Phòng Kinh tế, Hạ tầng và Đô thị", "division", &DIVISION, 1, 2),
    ("PNT-MC", "Bộ phận Một cửa", "division", &ONE_STOP, 0, 2),
    ("PCR", "Phường Cam Ranh", "commune", &WARD_LEAD, 2, 0),
    ("PCR-VP", "Văn phòng HĐND và UBND", "division", &COMMUNE_OFFICE, 1, 2),
    ("PCR-MC", "Bộ phận Một cửa", "division", &ONE_STOP, 0, 2),
    ("PNH", "Phường Ninh Hòa", "commune", &WARD_LEAD, 2, 1),
    ("PNH-KTHTDT", "Phòng Kinh tế, Hạ tầng và Đô thị", "division", &DIVISION, 1, 2),
    ("PNH-MC", "Bộ phận Một cửa", "division", &ONE_STOP, 0, 2),
    ("XDK", "Xã Diên Khánh", "commune", &COMMUNE_LEAD, 2, 2),
    ("XDK-MC", "Bộ phận Một cửa", "division", &ONE_STOP, 0, 2),
    ("XVN", "Xã Vạn Ninh", "commune", &COMMUNE_LEAD, 2, 2),
    ("XVN-MC", "Bộ phận Một cửa", "division", &ONE_STOP, 0, 2),
    ("XKV", "Xã Khánh Vĩnh", "commune", &COMMUNE_LEAD, 1, 4),
];

/// Weights roughly follow the frequency of family names in South Central
/// Vietnam, where Võ and Huỳnh are more common than in the North.
#[rustfmt::skip]
const FAMILIES: &[(&str, u32)] = &[
    ("Nguyễn", 32), ("Trần", 11), ("Lê", 10), ("Phạm", 6), ("Huỳnh", 6), ("Võ", 6),
    ("Phan", 5), ("Hoàng", 3), ("Vũ", 2), ("Đặng", 3), ("Bùi", 2), ("Đỗ", 2),
    ("Hồ", 3), ("Ngô", 2), ("Dương", 2), ("Lý", 1),
];
const MALE_MIDDLE: &[&str] = &["Văn", "Hữu", "Đức", "Quốc", "Minh", "Thanh", "Công", "Xuân"];
#[rustfmt::skip]
const FEMALE_MIDDLE: &[&str] = &[
    "Thị", "Ngọc", "Thu", "Thanh", "Hoài", "Mỹ", "Thị Thu", "Thị Ngọc", "Thị Thanh", "Thị Mỹ",
];
/// Given names never repeat a middle name, so "Thu Thu"-like names cannot occur.
const MALE_GIVEN: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Huy", "Khang", "Khoa", "Kiên",
    "Long", "Lộc", "Nam", "Nghĩa", "Phong", "Phúc", "Quang", "Sơn", "Tài", "Thắng", "Thịnh",
    "Toàn", "Trung", "Tuấn", "Việt", "Vinh", "Tùng", "Hưng",
];
const FEMALE_GIVEN: &[&str] = &[
    "Hà", "Hương", "Lan", "Linh", "Mai", "Ngân", "Nhung", "Oanh", "Phương", "Thảo", "Trang", "Vân",
    "Yến", "Hạnh", "Hằng", "Dung", "Giang", "Huyền", "Loan", "Tâm", "Trinh", "Uyên", "Nga", "Hiền",
    "Châu", "Anh", "Diễm", "Duyên", "Quỳnh", "Thủy",
];

/// Explicit Vietnamese letter folding; a generic NFD-and-drop-marks approach
/// would miss đ/Đ, which have no decomposition.
#[rustfmt::skip]
const FOLD: &[(&str, char)] = &[
    ("àáảãạăằắẳẵặâầấẩẫậ", 'a'), ("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", 'A'),
    ("èéẻẽẹêềếểễệ", 'e'), ("ÈÉẺẼẸÊỀẾỂỄỆ", 'E'),
    ("ìíỉĩị", 'i'), ("ÌÍỈĨỊ", 'I'),
    ("òóỏõọôồốổỗộơờớởỡợ", 'o'), ("ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ", 'O'),
    ("ùúủũụưừứửữự", 'u'), ("ÙÚỦŨỤƯỪỨỬỮỰ", 'U'),
    ("ỳýỷỹỵ", 'y'), ("ỲÝỶỸỴ", 'Y'),
    ("đ", 'd'), ("Đ", 'D'),
];

fn strip_diacritics(s: &str) -> String {
    s.chars()
        .map(|c| {
            FOLD.iter()
                .find(|(set, _)| set.contains(c))
                .map_or(c, |&(_, ascii)| ascii)
        })
        .collect()
}

/// Integer hash (murmur3 finaliser) so that names and dates look scattered
/// while staying a pure function of the staff index.
fn mix(a: u32, b: u32) -> u32 {
    let mut x = a.wrapping_mul(0x9E37_79B9) ^ b.wrapping_mul(0x85EB_CA6B).rotate_left(13);
    x ^= x >> 16;
    x = x.wrapping_mul(0x7FEB_352D);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846C_A68B);
    x ^ (x >> 16)
}

fn pick<'a>(list: &[&'a str], h: u32) -> &'a str {
    list[h as usize % list.len()]
}

fn pick_family(h: u32) -> &'static str {
    let total: u32 = FAMILIES.iter().map(|&(_, w)| w).sum();
    let mut r = h % total;
    for &(name, weight) in FAMILIES {
        if r < weight {
            return name;
        }
        r -= weight;
    }
    FAMILIES[0].0
}

/// Returns (full name, given name, family name); retries with a new salt
/// until the full name is unused.
fn pick_name(n: u32, used: &mut HashSet<String>) -> (String, &'static str, &'static str) {
    let mut salt = 0;
    loop {
        let female = mix(n, salt) % 100 < 45;
        let (middles, givens) = if female {
            (FEMALE_MIDDLE, FEMALE_GIVEN)
        } else {
            (MALE_MIDDLE, MALE_GIVEN)
        };
        let family = pick_family(mix(n, salt + 1));
        let middle = pick(middles, mix(n, salt + 2));
        let given = pick(givens, mix(n, salt + 3));
        let full = format!("{family} {middle} {given}");
        if used.insert(full.clone()) {
            return (full, given, family);
        }
        salt += 4;
    }
}

/// Leaders joined earlier than rank-and-file staff; contract workers latest.
fn joined_on(n: u32, tier: usize) -> NaiveDate {
    const RANGES: [(i32, u32); 4] = [(1995, 12), (1997, 16), (2000, 25), (2006, 19)];
    let (from, span) = RANGES[tier];
    let h = mix(n, 101);
    let year = from + (h % span) as i32;
    let month = 1 + (h / 31) % 12;
    let day = 1 + (h / 401) % 28;
    // Day ≤ 28 is valid in every month, so the default is never reached.
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// The whole demo province; the same value on every call.
pub fn province() -> DemoProvince {
    let mut units = vec![DemoUnit {
        code: PROVINCE_CODE.to_string(),
        name: PROVINCE_NAME.to_string(),
        kind: "province",
        parent_code: None,
    }];
    let mut staff: Vec<DemoStaff> = Vec::new();
    let mut names = HashSet::new();
    let mut locals = HashSet::new();

    for &(suffix, name, kind, roster, deputies, rank) in UNITS {
        let code = format!("{PROVINCE_CODE}-{suffix}");
        let parent = match suffix.rsplit_once('-') {
            Some((up, _)) => format!("{PROVINCE_CODE}-{up}"),
            None => PROVINCE_CODE.to_string(),
        };
        units.push(DemoUnit {
            code: code.clone(),
            name: name.to_string(),
            kind,
            parent_code: Some(parent),
        });

        // The address names the agency or commune, not the division, so moving
        // between divisions keeps the address.
        let agency = suffix
            .split('-')
            .next()
            .unwrap_or(suffix)
            .to_ascii_lowercase();
        let posts = once(roster.head)
            .chain(repeat_n(roster.deputy, deputies))
            .chain(roster.rank.iter().copied().cycle().take(rank));
        for (i, (position, category)) in posts.enumerate() {
            let n = staff.len() as u32 + 1;
            let (full_name, given, family) = pick_name(n, &mut names);
            let tier = match i {
                0 => 0,
                i if i <= deputies => 1,
                _ if category == HD => 3,
                _ => 2,
            };
            // Drivers, guards and cleaners have no official mailbox.
            let email = (category != HD).then(|| {
                let base = strip_diacritics(&format!("{given}{family}")).to_ascii_lowercase();
                let mut local = base.clone();
                let mut k = 2;
                while !locals.insert(format!("{local}.{agency}")) {
                    local = format!("{base}{k}");
                    k += 1;
                }
                format!("{local}.{agency}@{EMAIL_DOMAIN}")
            });
            staff.push(DemoStaff {
                code: format!("CB{n:05}"),
                full_name,
                unit_code: code.clone(),
                category,
                position: Some(position.to_string()),
                email,
                is_head: i == 0,
                joined_on: joined_on(n, tier),
            });
        }
    }
    DemoProvince { units, staff }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use unicode_normalization::is_nfc;

    const KINDS: &[&str] = &[
        "province",
        "department",
        "district",
        "commune",
        "division",
        "public_service_unit",
        "other",
    ];

    #[test]
    fn staff_count_in_range() {
        let n = province().staff.len();
        assert!((190..=220).contains(&n), "{n} staff");
    }

    #[test]
    fn codes_are_unique_and_well_formed() {
        let p = province();
        let units: HashSet<_> = p.units.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(units.len(), p.units.len());
        let staff: HashSet<_> = p.staff.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(staff.len(), p.staff.len());
        for code in units.iter().chain(&staff) {
            assert!(
                code.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'),
                "{code}"
            );
        }
    }

    #[test]
    fn references_resolve_and_parents_come_first() {
        let p = province();
        let mut seen = HashSet::new();
        for u in &p.units {
            assert!(KINDS.contains(&u.kind), "{}", u.kind);
            if let Some(parent) = &u.parent_code {
                assert!(seen.contains(parent.as_str()), "{} before {parent}", u.code);
            }
            seen.insert(u.code.as_str());
        }
        for s in &p.staff {
            assert!(seen.contains(s.unit_code.as_str()), "{}", s.unit_code);
        }
    }

    #[test]
    fn exactly_one_root() {
        let p = province();
        let roots: Vec<_> = p.units.iter().filter(|u| u.parent_code.is_none()).collect();
        assert_eq!(roots.len(), 1);
        assert_eq!(roots[0].code, PROVINCE_CODE);
        assert_eq!(roots[0].kind, "province");
        assert_eq!(roots[0].name, "Tỉnh Khánh Hòa");
        assert!(!p.units.iter().any(|u| u.kind == "district"));
    }

    #[test]
    fn every_non_root_unit_has_staff_and_one_head() {
        let p = province();
        let mut heads: HashMap<&str, (usize, usize)> = HashMap::new();
        for s in &p.staff {
            let e = heads.entry(s.unit_code.as_str()).or_default();
            e.0 += 1;
            e.1 += usize::from(s.is_head);
            if s.is_head {
                let pos = s.position.as_deref().unwrap();
                assert!(!pos.starts_with("Phó") && s.category != "contract", "{pos}");
            }
        }
        for u in p.units.iter().filter(|u| u.parent_code.is_some()) {
            let (count, head) = heads.get(u.code.as_str()).copied().unwrap_or_default();
            assert!(count > 0, "{} has no staff", u.code);
            assert_eq!(head, 1, "{} heads in {}", head, u.code);
        }
        assert!(!heads.contains_key(PROVINCE_CODE));
    }

    #[test]
    fn strings_are_nfc_and_names_unique() {
        let p = province();
        let names: HashSet<_> = p.staff.iter().map(|s| s.full_name.as_str()).collect();
        assert_eq!(names.len(), p.staff.len());
        let texts = p.units.iter().map(|u| u.name.as_str()).chain(
            p.staff
                .iter()
                .flat_map(|s| [Some(s.full_name.as_str()), s.position.as_deref()])
                .flatten(),
        );
        for t in texts {
            assert!(is_nfc(t), "{t:?} is not NFC");
        }
    }

    #[test]
    fn emails_are_unique_ascii_on_the_domain() {
        let p = province();
        let emails: Vec<_> = p.staff.iter().filter_map(|s| s.email.as_deref()).collect();
        assert!(emails.len() > 150);
        assert_eq!(emails.iter().collect::<HashSet<_>>().len(), emails.len());
        for e in emails {
            assert!(e.is_ascii() && e.ends_with("@khanhhoa.gov.vn"), "{e}");
            assert!(!e.contains(' ') && e == e.to_ascii_lowercase(), "{e}");
        }
    }

    #[test]
    fn dates_and_categories_are_plausible() {
        let p = province();
        let lo = NaiveDate::from_ymd_opt(1995, 1, 1).unwrap();
        let hi = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        for s in &p.staff {
            assert!((lo..=hi).contains(&s.joined_on), "{}", s.joined_on);
            assert!([CB, CC, VC, HD].contains(&s.category));
        }
        for cat in [CB, CC, VC, HD] {
            assert!(p.staff.iter().any(|s| s.category == cat), "no {cat}");
        }
    }

    #[test]
    fn strip_diacritics_folds_vietnamese() {
        assert_eq!(strip_diacritics("Nguyễn Thị Thu Hà"), "Nguyen Thi Thu Ha");
        assert_eq!(strip_diacritics("ĐẶNG Đức Đạt"), "DANG Duc Dat");
        let all: String = FOLD.iter().map(|&(set, _)| set).collect();
        assert!(strip_diacritics(&all).is_ascii());
    }

    #[test]
    fn deterministic() {
        let key = |p: DemoProvince| {
            let u: Vec<_> = p.units.into_iter().map(|u| (u.code, u.name)).collect();
            let s: Vec<_> = p
                .staff
                .into_iter()
                .map(|s| (s.code, s.full_name, s.email, s.joined_on))
                .collect();
            (u, s)
        };
        assert_eq!(key(province()), key(province()));
    }
}
