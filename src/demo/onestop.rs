//! A national-portal (DVCQG) feed for the demo's Department of Home Affairs, loaded
//! through the real feed import: an officer mapped by account (who has a namesake in
//! the department, so their name alone decides nothing), handlers nobody is mapped to
//! (the reception desk, an inter-agency officer), steps with no deadline of their own,
//! and two disputes — one waiting for the head, one accepted.

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

use crate::db::AnyConnection;
use crate::db::staff::{StaffFields, StaffRow};
use crate::domain::access::Visibility;
use crate::domain::attendance::to_local;
use crate::domain::disputes::DisputeStatus;

use super::DemoError;

/// Who appears in the feed.
pub struct Cast<'a> {
    pub unit_code: &'a str,
    /// The officer with the one-stop account.
    pub officer: &'a StaffRow,
    pub account: &'a str,
    pub head: &'a StaffRow,
}

/// `days` before `today` at `hh`:`mm`, in the portal's compact form…
fn compact(today: NaiveDate, days: i64, hh: u32, mm: u32) -> String {
    format!(
        "{}{hh:02}{mm:02}00",
        (today - Duration::days(days)).format("%Y%m%d")
    )
}

/// … and in its ISO-like form.
fn iso(today: NaiveDate, days: i64, hh: u32, mm: u32) -> String {
    format!(
        "{}T{hh:02}:{mm:02}:00",
        (today - Duration::days(days)).format("%Y-%m-%d")
    )
}

/// The feed: four dossiers of the last two weeks with their processing logs, and the
/// officer's routine dossiers of the autumn, on time (one late step in a dozen).
pub fn feed(today: NaiveDate, cast: &Cast) -> Vec<Value> {
    let officer = cast.officer.full_name.as_str();
    let head = cast.head.full_name.as_str();
    let reception = "Phạm Thị Ngọc Hân";
    let unit = cast.unit_code;
    let routine = (0..10).map(|i| {
        let days = 20 + 7 * i;
        json!({"MaHoSo": format!("000.00.05.H34-DEMO-R{i:02}"), "TenTTHC": "Xác nhận thời gian công tác",
            "DonViXuLy": unit, "NgayTiepNhan": compact(today, days, 8, 0), "NgayHenTra": compact(today, days - 3, 17, 0),
            "NgayKetThucXuLy": compact(today, days - 2, 10, 0), "TrangThaiHoSo": "10",
            "QuaTrinhXuLy": [
                {"NguoiXuLy": reception, "NoiDungXuLy": "Tiếp nhận hồ sơ", "ThoiDiemXuLy": compact(today, days, 8, 30)},
                {"NguoiXuLy": officer, "TaiKhoanXuLy": cast.account, "NoiDungXuLy": "Xử lý hồ sơ",
                 "NgayKetThucTheoQuyDinh": compact(today, days - 2, 17, 0), "ThoiDiemXuLy": compact(today, days - 2, 9, 0)}
            ]})
    });
    let mut out: Vec<Value> = routine.collect();
    out.extend([
        // Late at the officer's step, by its own deadline: the officer disputes it.
        json!({"MaHoSo": "000.00.05.H34-DEMO-0001", "MaTTHC": "1.012345", "TenTTHC": "Thi tuyển công chức",
        "DonViXuLy": unit, "NgayTiepNhan": compact(today, 12, 8, 0), "NgayHenTra": compact(today, 7, 17, 0),
        "NgayKetThucXuLy": compact(today, 6, 10, 0), "TrangThaiHoSo": "10",
        "QuaTrinhXuLy": [
            {"NguoiXuLy": reception, "NoiDungXuLy": "Tiếp nhận hồ sơ", "TrangThai": "2",
             "ThoiDiemXuLy": compact(today, 12, 8, 30), "NgayBatDau": "", "NgayKetThucTheoQuyDinh": ""},
            {"NguoiXuLy": officer, "TaiKhoanXuLy": cast.account, "NoiDungXuLy": "Thẩm định hồ sơ",
             "TrangThai": "2", "NgayBatDau": iso(today, 12, 8, 30),
             "NgayKetThucTheoQuyDinh": iso(today, 9, 17, 0), "ThoiDiemXuLy": iso(today, 6, 9, 0)},
            {"NguoiXuLy": head, "NoiDungXuLy": "Ký duyệt", "TrangThai": "2",
             "ThoiDiemXuLy": compact(today, 6, 10, 0)}
        ]}),
        // No step has a deadline: the officer held it when the dossier's passed. The
        // head accepted the dispute (the paper file was signed on time).
        json!({"MaHoSo": "000.00.05.H34-DEMO-0002", "TenTTHC": "Nâng ngạch công chức", "DonViXuLy": unit,
        "NgayTiepNhan": iso(today, 10, 8, 0), "NgayHenTra": iso(today, 7, 17, 0),
        "NgayKetThucXuLy": iso(today, 5, 15, 0), "TrangThaiHoSo": "10",
        "QuaTrinhXuLy": [
            {"NguoiXuLy": reception, "NoiDungXuLy": "Tiếp nhận hồ sơ", "ThoiDiemXuLy": iso(today, 10, 8, 15)},
            {"NguoiXuLy": officer, "TaiKhoanXuLy": cast.account, "NoiDungXuLy": "Thẩm định hồ sơ",
             "TrangThai": "Đã xử lý", "ThoiDiemXuLy": iso(today, 5, 15, 0)}
        ]}),
        // The officer's name without an account: two people bear it, so it waits.
        json!({"MaHoSo": "000.00.05.H34-DEMO-0003", "TenTTHC": "Xác nhận thời gian công tác", "DonViXuLy": unit,
        "NgayTiepNhan": compact(today, 9, 9, 0), "NgayHenTra": compact(today, 4, 17, 0),
        "NgayKetThucXuLy": compact(today, 5, 11, 0), "TrangThaiHoSo": "9",
        "QuaTrinhXuLy": [
            {"NguoiXuLy": officer, "NoiDungXuLy": "Xử lý hồ sơ", "ThoiDiemXuLy": compact(today, 5, 11, 0)}
        ]}),
        // Inter-agency and still open: an officer of another agency nobody has mapped.
        json!({"MaHoSo": "000.00.05.H34-DEMO-0004", "TenTTHC": "Thẩm định đề án vị trí việc làm", "DonViXuLy": unit,
        "NgayTiepNhan": compact(today, 4, 8, 0), "NgayHenTra": compact(today, -6, 17, 0), "TrangThaiHoSo": "4",
        "QuaTrinhXuLy": [
            {"NguoiXuLy": reception, "NoiDungXuLy": "Tiếp nhận hồ sơ", "ThoiDiemXuLy": compact(today, 4, 8, 20)},
            {"NguoiXuLy": "Lê Văn Liên", "ChucDanh": "Chuyên viên Sở Tài chính", "NoiDungXuLy": "Cho ý kiến liên thông",
             "TrangThai": "1", "NgayKetThucTheoQuyDinh": compact(today, -1, 17, 0)}
        ]}),
    ]);
    out
}

/// Loads the feed and the two disputes. Returns the number of dossiers.
pub fn load(
    c: &mut AnyConnection,
    cast: &Cast,
    namesake_unit: i64,
    admin: i64,
    officer_user: i64,
    head_user: i64,
) -> Result<u64, DemoError> {
    use crate::db::{disputes, dossiers, onestop::handles};
    let now = to_local(crate::db::now());
    crate::db::staff::insert(
        c,
        None,
        &StaffFields {
            unit_id: namesake_unit,
            code: format!("{}-TT", cast.officer.code),
            position: None,
            email: None,
            is_head: false,
            // A former officer of the same name: old dossiers still name them, and the
            // name alone tells the two apart no more than it did then.
            joined_on: NaiveDate::from_ymd_opt(2008, 9, 1),
            left_on: NaiveDate::from_ymd_opt(2024, 6, 30),
            ..cast.officer.fields()
        },
    )?;
    handles::add(c, admin, cast.officer, "account", cast.account)?;
    let everywhere = Visibility {
        all: true,
        ..Visibility::default()
    };
    let settings = crate::config::onestop::OneStopSettings::default();
    let items = feed(now.date(), cast);
    let report = crate::import::onestop::import_dossiers(
        c,
        &everywhere,
        &settings,
        (None, None),
        &items,
        now,
    )?;
    if let Some(r) = report.rejected.first() {
        return Err(DemoError::Data(format!(
            "demo feed item {} rejected: {:?}",
            r.index, r.errors
        )));
    }
    let stamp = crate::db::now();
    for (code, decided) in [
        ("000.00.05.H34-DEMO-0001", false),
        ("000.00.05.H34-DEMO-0002", true),
    ] {
        let Some(row) = dossiers::find_by_code(c, cast.officer.province_id, code)? else {
            continue;
        };
        let steps = dossiers::with_steps(c, vec![row.clone()])?;
        let Some(step) = steps
            .first()
            .and_then(|(_, s)| s.iter().find(|s| s.staff_id == Some(cast.officer.id)))
        else {
            continue;
        };
        let dispute = disputes::insert(
            c,
            &disputes::NewDispute {
                province_id: row.province_id,
                dossier_id: row.id,
                step_id: step.id,
                staff_id: cast.officer.id,
                unit_id: cast.officer.unit_id,
                reason: "Hồ sơ giấy đã chuyển trình đúng hạn (sổ theo dõi Mẫu 06); phần mềm cập nhật sau".into(),
                status: DisputeStatus::Pending.code().into(),
                raised_by: officer_user,
                raised_at: stamp,
                decide_by: stamp + Duration::days(settings.dispute_decision_days),
            },
        )?;
        if !decided
            && let Some((officer, path)) = crate::db::staff::find_with_path(c, cast.officer.id)?
        {
            disputes::tell_deciders(c, &dispute, &officer, &path, &row, step, stamp)?;
        }
        if decided {
            let _ = disputes::decide(
                c,
                &dispute,
                DisputeStatus::Accepted,
                head_user,
                "Đối chiếu phiếu kiểm soát quá trình: chuyển đúng hạn",
            )?;
            dossiers::sync_late_steps(c, &row, now)?;
        }
    }
    Ok(report.created)
}
