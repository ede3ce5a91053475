//! Disciplinary forms (RULES.md §2.1): which forms the law allows for a person, by their
//! category, whether they hold a management post, and the regime in force on the
//! decision date; and how long each form holds back promotion (§2.2).

use chrono::{Datelike, Months, NaiveDate};

use super::codes::StaffCategory;

/// The forms of API.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    KhienTrach,
    CanhCao,
    HaBacLuong,
    GiangChuc,
    CachChuc,
    BuocThoiViec,
    BaiNhiem,
}

impl Form {
    pub const ALL: [Form; 7] = [
        Form::KhienTrach,
        Form::CanhCao,
        Form::HaBacLuong,
        Form::GiangChuc,
        Form::CachChuc,
        Form::BuocThoiViec,
        Form::BaiNhiem,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Form::KhienTrach => "khien_trach",
            Form::CanhCao => "canh_cao",
            Form::HaBacLuong => "ha_bac_luong",
            Form::GiangChuc => "giang_chuc",
            Form::CachChuc => "cach_chuc",
            Form::BuocThoiViec => "buoc_thoi_viec",
            Form::BaiNhiem => "bai_nhiem",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Form::KhienTrach => "Khiển trách",
            Form::CanhCao => "Cảnh cáo",
            Form::HaBacLuong => "Hạ bậc lương",
            Form::GiangChuc => "Giáng chức",
            Form::CachChuc => "Cách chức",
            Form::BuocThoiViec => "Buộc thôi việc",
            Form::BaiNhiem => "Bãi nhiệm",
        }
    }

    pub fn parse(code: &str) -> Option<Form> {
        Form::ALL.into_iter().find(|f| f.code() == code)
    }

    /// Months during which the decision holds back promotion, planning and appointment
    /// (Luật 52/2019: 12 for reprimand, warning and salary-step reduction; 24 for demotion
    /// and removal from post). None where the person leaves the service or the post.
    pub fn restriction_months(self) -> Option<u32> {
        match self {
            Form::KhienTrach | Form::CanhCao | Form::HaBacLuong => Some(12),
            Form::GiangChuc | Form::CachChuc => Some(24),
            Form::BuocThoiViec | Form::BaiNhiem => None,
        }
    }

    /// The last day a decision taking effect on `effective_from` holds back promotion:
    /// the effective day counts as the first, so the period ends the day before the
    /// corresponding day (1/3/2023 → 29/2/2024); a period ending in a month without the
    /// corresponding day ends on that month's last day (Bộ luật Dân sự 2015, art. 148:
    /// 29/2/2024 → 28/2/2025).
    pub fn restricted_until(self, effective_from: NaiveDate) -> Option<NaiveDate> {
        let months = self.restriction_months()?;
        let corresponding = effective_from.checked_add_months(Months::new(months))?;
        if corresponding.day() == effective_from.day() {
            corresponding.pred_opt()
        } else {
            // chrono clamped it to the month's last day: there is no corresponding day.
            Some(corresponding)
        }
    }
}

/// The regime a decision falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regime {
    /// NĐ 112/2020/NĐ-CP as amended by NĐ 71/2023 (cán bộ and công chức until 30/6/2025;
    /// viên chức, whose rules NĐ 172 did not replace).
    Nd112,
    /// NĐ 172/2025/NĐ-CP for cán bộ and công chức from 1/7/2025.
    Nd172,
}

impl Regime {
    pub fn name(self) -> &'static str {
        match self {
            Regime::Nd112 => "Nghị định 112/2020/NĐ-CP (sửa đổi bởi Nghị định 71/2023/NĐ-CP)",
            Regime::Nd172 => "Nghị định 172/2025/NĐ-CP",
        }
    }
}

/// The first day of NĐ 172/2025.
pub fn nd172_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 1).unwrap_or(NaiveDate::MIN)
}

pub fn regime(category: StaffCategory, decided_on: NaiveDate) -> Regime {
    match category {
        StaffCategory::CanBo | StaffCategory::CongChuc if decided_on >= nd172_from() => {
            Regime::Nd172
        }
        _ => Regime::Nd112,
    }
}

/// The forms allowed for a person of `category` (holding a management post or not) on
/// `decided_on`. Contract workers are under the Labour Code, not these decrees: none.
pub fn allowed_forms(category: StaffCategory, manages: bool, decided_on: NaiveDate) -> Vec<Form> {
    use Form::*;
    match (category, regime(category, decided_on)) {
        (StaffCategory::CanBo, Regime::Nd112) => vec![KhienTrach, CanhCao, CachChuc, BaiNhiem],
        (StaffCategory::CanBo, Regime::Nd172) => vec![KhienTrach, CanhCao, CachChuc, BaiNhiem],
        (StaffCategory::CongChuc, Regime::Nd112) if manages => {
            vec![KhienTrach, CanhCao, GiangChuc, CachChuc, BuocThoiViec]
        }
        (StaffCategory::CongChuc, Regime::Nd112) => {
            vec![KhienTrach, CanhCao, HaBacLuong, BuocThoiViec]
        }
        (StaffCategory::CongChuc, Regime::Nd172) if manages => {
            vec![KhienTrach, CanhCao, CachChuc, BuocThoiViec]
        }
        (StaffCategory::CongChuc, Regime::Nd172) => vec![KhienTrach, CanhCao, BuocThoiViec],
        (StaffCategory::VienChuc, _) if manages => {
            vec![KhienTrach, CanhCao, CachChuc, BuocThoiViec]
        }
        (StaffCategory::VienChuc, _) => vec![KhienTrach, CanhCao, BuocThoiViec],
        (StaffCategory::Contract, _) => Vec::new(),
    }
}

/// Why `form` cannot be decided for this person on this date, in words for the user.
pub fn form_problem(
    form: Form,
    category: StaffCategory,
    manages: bool,
    decided_on: NaiveDate,
) -> Option<String> {
    let allowed = allowed_forms(category, manages, decided_on);
    if allowed.contains(&form) {
        return None;
    }
    if allowed.is_empty() {
        return Some(format!(
            "{} staff are disciplined under the Labour Code, not by these forms",
            category.label()
        ));
    }
    let names: Vec<&str> = allowed.iter().map(|f| f.label()).collect();
    Some(format!(
        "{} is not a form for {}{} under {} on {decided_on}; allowed: {}",
        form.label(),
        category.label().to_lowercase(),
        if manages {
            " holding a management post"
        } else {
            ""
        },
        regime(category, decided_on).name(),
        names.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_regime_changes_on_1_july_2025_for_can_bo_and_cong_chuc() {
        assert_eq!(
            regime(StaffCategory::CongChuc, d(2025, 6, 30)),
            Regime::Nd112
        );
        assert_eq!(
            regime(StaffCategory::CongChuc, d(2025, 7, 1)),
            Regime::Nd172
        );
        assert_eq!(
            regime(StaffCategory::VienChuc, d(2026, 1, 1)),
            Regime::Nd112,
            "viên chức keep their rules"
        );
    }

    #[test]
    fn salary_step_reduction_and_demotion_end_with_nd172() {
        let before = d(2025, 6, 30);
        let after = d(2025, 7, 1);
        assert!(form_problem(Form::HaBacLuong, StaffCategory::CongChuc, false, before).is_none());
        let why = form_problem(Form::HaBacLuong, StaffCategory::CongChuc, false, after).unwrap();
        assert!(
            why.contains("172/2025") && why.contains("Khiển trách"),
            "{why}"
        );
        assert!(form_problem(Form::GiangChuc, StaffCategory::CongChuc, true, before).is_none());
        assert!(form_problem(Form::GiangChuc, StaffCategory::CongChuc, true, after).is_some());
        assert!(form_problem(Form::CachChuc, StaffCategory::CongChuc, true, after).is_none());
        assert!(
            form_problem(Form::CachChuc, StaffCategory::CongChuc, false, after).is_some(),
            "no post to remove from"
        );
    }

    #[test]
    fn categories_have_their_own_forms() {
        assert!(form_problem(Form::BaiNhiem, StaffCategory::CanBo, false, d(2026, 3, 1)).is_none());
        assert!(
            form_problem(Form::BaiNhiem, StaffCategory::CongChuc, true, d(2026, 3, 1)).is_some()
        );
        assert!(
            form_problem(
                Form::BuocThoiViec,
                StaffCategory::CanBo,
                false,
                d(2026, 3, 1)
            )
            .is_some()
        );
        assert!(
            form_problem(
                Form::KhienTrach,
                StaffCategory::Contract,
                false,
                d(2026, 3, 1)
            )
            .unwrap()
            .contains("Labour Code")
        );
    }

    #[test]
    fn restriction_periods() {
        assert_eq!(Form::KhienTrach.restriction_months(), Some(12));
        assert_eq!(Form::CachChuc.restriction_months(), Some(24));
        assert_eq!(Form::BuocThoiViec.restriction_months(), None);
        // The effective day is the first held back; a period ending in a month without
        // the corresponding day ends on that month's last day.
        assert_eq!(
            Form::KhienTrach.restricted_until(d(2025, 1, 31)),
            Some(d(2026, 1, 30))
        );
        assert_eq!(
            Form::CanhCao.restricted_until(d(2024, 2, 29)),
            Some(d(2025, 2, 28))
        );
        assert_eq!(
            Form::CanhCao.restricted_until(d(2024, 3, 1)),
            Some(d(2025, 2, 28))
        );
        assert_eq!(
            Form::KhienTrach.restricted_until(d(2025, 1, 1)),
            Some(d(2025, 12, 31))
        );
        assert_eq!(
            Form::GiangChuc.restricted_until(d(2025, 7, 1)),
            Some(d(2027, 6, 30))
        );
        // Into a leap year: the day before 1/3 is 29/2.
        assert_eq!(
            Form::KhienTrach.restricted_until(d(2023, 3, 1)),
            Some(d(2024, 2, 29))
        );
        assert_eq!(
            Form::GiangChuc.restricted_until(d(2022, 3, 1)),
            Some(d(2024, 2, 29))
        );
        assert_eq!(Form::BaiNhiem.restricted_until(d(2025, 7, 1)), None);
        assert_eq!(Form::parse("canh_cao"), Some(Form::CanhCao));
        assert_eq!(Form::parse("fine"), None);
    }
}
