//! Who a step is attributed to: a name in the feed whatever else the same request
//! carries, and a step attributed by hand whatever a later file says.

use serde_json::{Value, json};

use crate::both;
use crate::dossiers::{import_csv, imported, march_csv};
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

/// An administrator attributes HS-1's late step 2 to A's head by hand; the nightly file,
/// unchanged, still names S-A1 for it. The hand's attribution stays, as it does against a
/// re-sent feed.
async fn a_file_sent_again_keeps_a_step_attributed_by_hand(b: Backend) {
    let Some((app, w)) = imported(b).await else {
        return;
    };
    let admin = w.token("admin_p");
    let list = format!(
        "/api/v1/dossiers?unit_id={}&from=2026-03-01&to=2026-03-31",
        w.a.id
    );
    let step_of = |v: &Value| {
        v["items"]
            .as_array()
            .and_then(|l| l.iter().find(|d| d["code"] == "HS-1"))
            .map(|d| d["steps"][1].clone())
            .unwrap()
    };
    let (_, before) = app.get(admin, &list).await;
    let step = step_of(&before);
    assert_eq!(step["staff_id"], w.member_a1.id, "{step}");
    let (s, body) = app
        .put(
            admin,
            &format!("/api/v1/dossier-steps/{}/handler", step["id"]),
            json!({"staff_id": w.head_a.id}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, report) = import_csv(&app, admin, march_csv().into_bytes(), "text/csv").await;
    assert_eq!(s, 200, "{report}");
    let (_, after) = app.get(admin, &list).await;
    let step = step_of(&after);
    assert_eq!(
        (&step["staff_id"], &step["matched_by"]),
        (&json!(w.head_a.id), &json!("manual")),
        "{step}"
    );
}

both!(
    a_name_in_capitals_does_not_hide_the_same_name_written_normally,
    a_file_sent_again_keeps_a_step_attributed_by_hand,
);
