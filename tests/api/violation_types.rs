use serde_json::json;

use crate::both;
use crate::helpers::{Backend, TestApp};

async fn the_catalogue_is_preloaded_and_provinces_extend_it(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (s, list) = app
        .get(w.token("staff_a1"), "/api/v1/violation-types")
        .await;
    assert_eq!(s, 200, "{list}");
    let codes: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    for code in [
        "late",
        "early_leave",
        "absent_no_reason",
        "leave_office",
        "no_badge",
        "alcohol",
        "smoking",
        "private_work",
        "harassment",
        "overdue_task",
        "shirking",
        "gambling",
        "conduct",
        "dress",
    ] {
        assert!(codes.contains(&code), "{code} missing: {codes:?}");
    }
    let alcohol = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "alcohol")
        .unwrap();
    assert!(alcohol["label_vi"].as_str().unwrap().contains("rượu, bia"));
    assert!(alcohol["basis"].as_str().unwrap().contains("26/CT-TTg"));
    // The conclusions that make someone not completed name both decrees (migration 29).
    for code in ["degradation", "unit_corruption"] {
        let basis = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["code"] == code)
            .and_then(|t| t["basis"].as_str())
            .unwrap_or_default();
        assert!(
            basis.contains("335/2025") && basis.contains("90/2020"),
            "{code}: {basis}"
        );
    }

    let cafe = json!({"code": "cafe_hours", "label_vi": "Ngồi quán cà phê trong giờ làm việc", "province_id": w.p.id, "basis": "Chỉ thị của UBND tỉnh"});
    let (s, created) = app
        .post(w.token("admin_p"), "/api/v1/violation-types", cafe.clone())
        .await;
    assert_eq!(s, 201, "{created}");
    let (s, _) = app
        .post(w.token("admin_p"), "/api/v1/violation-types", cafe.clone())
        .await;
    assert_eq!(s, 409);
    let (s, _) = app
        .post(
            w.token("admin_p"),
            "/api/v1/violation-types",
            json!({"code": "late", "label_vi": "Muộn", "province_id": w.p.id}),
        )
        .await;
    assert_eq!(s, 409, "a national code cannot be redefined");
    let (s, _) = app
        .post(
            w.token("admin_p"),
            "/api/v1/violation-types",
            json!({"code": "new_national", "label_vi": "Mới"}),
        )
        .await;
    assert_eq!(
        s, 403,
        "national types are for administrators of every unit"
    );
    let (s, _) = app
        .post(
            w.token("hr_a"),
            "/api/v1/violation-types",
            json!({"code": "x_y", "label_vi": "X", "province_id": w.p.id}),
        )
        .await;
    assert_eq!(s, 422, "hr of A does not see the province root");
    let (s, body) = app
        .post(
            w.token("root"),
            "/api/v1/violation-types",
            json!({"code": "Bad Code", "label_vi": ""}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        body["errors"]["code"].is_array() && body["errors"]["label_vi"].is_array(),
        "{body}"
    );
    let (_, with_province) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/violation-types?province_id={}", w.p.id),
        )
        .await;
    assert_eq!(with_province["items"].as_array().unwrap().len(), 17);
    let (_, national) = app.get(w.token("head_a"), "/api/v1/violation-types").await;
    assert_eq!(national["items"].as_array().unwrap().len(), 16);
}

both!(the_catalogue_is_preloaded_and_provinces_extend_it);
