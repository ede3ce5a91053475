//! Who a step of the national portal's feed is attributed to, whatever else the same
//! request carries.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp};
use crate::onestop_fixes::{ago, only_step, send};

fn dossier(code: &str, handler: &str) -> Value {
    json!({"MaHoSo": code, "TenTTHC": "Cấp giấy phép xây dựng", "DonViXuLy": "A",
        "NgayTiepNhan": ago(7, 8), "NgayHenTra": ago(4, 17),
        "NgayKetThucXuLy": ago(5, 10), "TrangThaiHoSo": "10",
        "QuaTrinhXuLy": [{"NguoiXuLy": handler, "NoiDungXuLy": "Thẩm định hồ sơ",
            "TrangThai": "2", "NgayBatDau": ago(7, 9), "ThoiDiemXuLy": ago(5, 10)}]})
}

/// One vendor's service writes names in capitals, which no staff record has; the same
/// request's "Nguyễn Thị Lan" is still Lan, in either order.
async fn a_name_in_capitals_does_not_hide_the_same_name_written_normally(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        json!([
            dossier("HS-CAPS-1", "NGUYỄN THỊ LAN"),
            dossier("HS-NAME-1", "Nguyễn Thị Lan")
        ]),
    )
    .await;
    send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        json!([
            dossier("HS-NAME-2", "Nguyễn  Thị Lan"),
            dossier("HS-CAPS-2", "NGUYỄN THỊ LAN")
        ]),
    )
    .await;
    for code in ["HS-NAME-1", "HS-NAME-2"] {
        let step = only_step(&app, &w, code).await;
        assert_eq!(
            (&step["staff_id"], &step["matched_by"]),
            (&json!(w.member_a1.id), &json!("name")),
            "{code}: {step}"
        );
    }
    for code in ["HS-CAPS-1", "HS-CAPS-2"] {
        let step = only_step(&app, &w, code).await;
        assert_eq!(step["staff_id"], Value::Null, "{code}: {step}");
    }
}

both!(a_name_in_capitals_does_not_hide_the_same_name_written_normally);
