//! Who a step is attributed to: a name in the feed whatever else the same request
//! carries, and a step attributed by hand whatever a later file says.

use serde_json::{Value, json};

use crate::both;
use crate::dossiers::{import_csv, imported, march_csv};
use crate::helpers::{Backend, TestApp, World};
use crate::onestop_fixes::{ago, late_dossier, map_account, only_step, send};

fn dossier(code: &str, handler: &str) -> Value {
    json!({"MaHoSo": code, "TenTTHC": "Cấp giấy phép xây dựng", "DonViXuLy": "A",
        "NgayTiepNhan": ago(7, 8), "NgayHenTra": ago(4, 17),
        "NgayKetThucXuLy": ago(5, 10), "TrangThaiHoSo": "10",
        "QuaTrinhXuLy": [{"NguoiXuLy": handler, "NoiDungXuLy": "Thẩm định hồ sơ",
            "TrangThai": "2", "NgayBatDau": ago(7, 9), "ThoiDiemXuLy": ago(5, 10)}]})
}

/// Attributes a step (as `GET /dossiers` shows it) to `staff` by hand, expecting it taken.
async fn attribute(app: &TestApp, token: &str, step: &Value, staff: i64) {
    let (s, body) = app
        .put(
            token,
            &format!("/api/v1/dossier-steps/{}/handler", step["id"]),
            json!({"staff_id": staff}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
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
    attribute(&app, admin, &step, w.head_a.id).await;
    let (s, report) = import_csv(&app, admin, march_csv().into_bytes(), "text/csv").await;
    assert_eq!(s, 200, "{report}");
    // The line naming S-A1 for it is reported: the importer learns their file is stale.
    assert_eq!(
        report["rejected"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    assert_eq!(
        report["rejected"][0]["errors"]["step_staff_code"][0],
        "the step was attributed by hand: the step keeps its officer, the rest of the line is taken",
        "{report}"
    );
    let (_, after) = app.get(admin, &list).await;
    let step = step_of(&after);
    assert_eq!(
        (&step["staff_id"], &step["matched_by"]),
        (&json!(w.head_a.id), &json!("manual")),
        "{step}"
    );
}

/// Lan's late steps were done in A1; she has since moved to B. A file or a feed sent again
/// after the move keeps them A1's (their register rows, their heads' notices); a step she
/// did in B is B's.
async fn a_step_stays_with_the_unit_of_its_day_after_a_transfer(b: Backend) {
    let Some((app, w)) = imported(b).await else {
        return;
    };
    let root = w.token("root");
    map_account(&app, &w, w.member_a1.id, "lan.nt").await;
    send(
        &app,
        w.token("admin_p"),
        "/api/v1/onestop/dossiers",
        late_dossier("HS-FEED", "lan.nt", 7),
    )
    .await;
    let moved_on = crate::attendance::today() - chrono::Duration::days(2);
    crate::transfers::transfer(&app, &w, w.b.id, moved_on).await;
    let (s, report) = import_csv(&app, root, march_csv().into_bytes(), "text/csv").await;
    assert_eq!(s, 200, "{report}");
    send(
        &app,
        w.token("admin_p"),
        "/api/v1/onestop/dossiers",
        late_dossier("HS-FEED", "lan.nt", 7),
    )
    .await;
    let (_, march) = app
        .get(
            root,
            &format!(
                "/api/v1/dossiers?staff_id={}&from=2026-03-01&to=2026-03-31",
                w.member_a1.id
            ),
        )
        .await;
    let units: Vec<(Value, Value)> = march["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["steps"].as_array().unwrap().clone())
        .filter(|s| s["staff_id"] == w.member_a1.id)
        .map(|s| (s["step_no"].clone(), s["unit_id"].clone()))
        .collect();
    assert_eq!(
        units,
        vec![(json!(2), json!(w.a1.id)), (json!(1), json!(w.a1.id))]
    );
    let feed = only_step(&app, &w, "HS-FEED").await;
    assert_eq!(feed["unit_id"], w.a1.id, "done before the move: {feed}");
    // Attributed to her by hand, a step of March is A1's too.
    attribute(&app, root, &feed, w.member_a1.id).await;
    let feed = only_step(&app, &w, "HS-FEED").await;
    assert_eq!(
        (&feed["unit_id"], &feed["matched_by"]),
        (&json!(w.a1.id), &json!("manual")),
        "{feed}"
    );
    let (_, register) = app
        .get(
            root,
            &format!(
                "/api/v1/violations?staff_id={}&code=overdue_task",
                w.member_a1.id
            ),
        )
        .await;
    let register_units: Vec<&Value> = register["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["unit_id"])
        .collect();
    assert!(
        !register_units.is_empty() && register_units.iter().all(|u| **u == w.a1.id),
        "{register}"
    );
    // A step she does in B after the move is B's.
    let mut after = late_dossier("HS-IN-B", "lan.nt", 1);
    after["DonViXuLy"] = json!("B");
    after["NgayTiepNhan"] = json!(ago(1, 8));
    after["NgayKetThucXuLy"] = json!(ago(1, 10));
    after["QuaTrinhXuLy"][0]["NgayBatDau"] = json!(ago(1, 9));
    after["QuaTrinhXuLy"][0]["ThoiDiemXuLy"] = json!(ago(1, 10));
    send(&app, w.token("admin_p"), "/api/v1/onestop/dossiers", after).await;
    let (_, list) = app
        .get(
            root,
            &format!(
                "/api/v1/dossiers?unit_id={}&from={}&to={}",
                w.b.id,
                crate::attendance::today() - chrono::Duration::days(30),
                crate::attendance::today()
            ),
        )
        .await;
    assert_eq!(list["items"][0]["steps"][0]["unit_id"], w.b.id, "{list}");
}

/// The feed's dossier `code`, its step handled by "Nguyễn Thị Lan" (no account), sent by
/// the province's administrator.
async fn named_by_the_feed(app: &TestApp, w: &World, code: &str) {
    let lan = dossier(code, "Nguyễn Thị Lan");
    send(
        app,
        w.token("admin_p"),
        "/api/v1/onestop/dossiers",
        json!([lan]),
    )
    .await;
}

/// Lan's step was matched by her name in A. She moves to B, and another Nguyễn Thị Lan
/// joins A. The feed sent again names "Nguyễn Thị Lan", whom A now holds once: the new
/// namesake. The step stays Lan's.
async fn a_namesake_who_came_in_later_takes_no_step(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    named_by_the_feed(&app, &w, "HS-NAMED").await;
    let step = only_step(&app, &w, "HS-NAMED").await;
    assert_eq!(step["staff_id"], w.member_a1.id, "{step}");
    crate::transfers::transfer(&app, &w, w.b.id, crate::attendance::today()).await;
    let (s, newcomer) = app
        .post(
            root,
            "/api/v1/staff",
            json!({"code": "S-A-LAN2", "full_name": "Nguyễn Thị Lan", "unit_id": w.a.id,
                   "category": "cong_chuc"}),
        )
        .await;
    assert_eq!(s, 201, "{newcomer}");
    named_by_the_feed(&app, &w, "HS-NAMED").await;
    let step = only_step(&app, &w, "HS-NAMED").await;
    assert_eq!(
        (&step["staff_id"], &step["matched_by"]),
        (&json!(w.member_a1.id), &json!("name")),
        "not the newcomer {}: {step}",
        newcomer["id"]
    );
}

/// Lan disputes a late step she did in A1 after moving to B: A1's line (A's head, A1
/// having none) is told and decides, not B's, where the step's lateness is not.
async fn a_dispute_goes_to_the_heads_of_the_steps_unit(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    map_account(&app, &w, w.member_a1.id, "lan.nt").await;
    send(
        &app,
        w.token("admin_p"),
        "/api/v1/onestop/dossiers",
        late_dossier("HS-DISPUTED", "lan.nt", 7),
    )
    .await;
    let step = only_step(&app, &w, "HS-DISPUTED").await;
    assert_eq!(step["unit_id"], w.a1.id, "{step}");
    crate::transfers::transfer(&app, &w, w.b.id, crate::attendance::today()).await;
    let (s, dispute) = app
        .post(
            w.token("staff_a1"),
            "/api/v1/disputes",
            json!({"step_id": step["id"], "reason": "Hệ thống lỗi, hồ sơ đã xử lý đúng hạn"}),
        )
        .await;
    assert_eq!(s, 201, "{dispute}");
    let (_, told) = app
        .get(w.token("head_a"), "/api/v1/notifications?kind=dispute")
        .await;
    let message = &told["items"][0];
    assert_eq!(message["recipient_staff_id"], w.head_a.id, "{told}");
    assert_eq!(
        message["unit_id"], w.a1.id,
        "filed under the step's unit: {told}"
    );
    // When the sender takes it, A's head is still a head over its unit: it goes out.
    let db = app.db.clone();
    let id = message["id"].as_i64().unwrap();
    let claimed = tokio::task::spawn_blocking(move || {
        let mut c = db.conn().unwrap();
        let now = congvu::db::now();
        congvu::db::outbox::claim(
            &mut c,
            id,
            "sender-a",
            now + chrono::Duration::minutes(5),
            now,
        )
        .unwrap()
    })
    .await
    .unwrap();
    assert!(claimed.is_some(), "not kept back as dead");
    let (s, decided) = app
        .post(
            w.token("head_a"),
            &format!("/api/v1/disputes/{}/decision", dispute["id"]),
            json!({"outcome": "accepted", "reason": "Đã xác minh"}),
        )
        .await;
    assert_eq!(s, 200, "{decided}");
}

/// A correction still moves a step matched by name: Lan's joining date, corrected to after
/// the step, leaves the other Nguyễn Thị Lan of A (in service then) the only one it fits.
async fn a_corrected_joining_date_moves_a_step_to_the_namesake(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    named_by_the_feed(&app, &w, "HS-JOINED").await;
    assert_eq!(
        only_step(&app, &w, "HS-JOINED").await["staff_id"],
        w.member_a1.id
    );
    let (s, other) = app
        .post(
            root,
            "/api/v1/staff",
            json!({"code": "S-A-LAN2", "full_name": "Nguyễn Thị Lan", "unit_id": w.a.id,
                   "category": "cong_chuc", "joined_on": "2020-01-01"}),
        )
        .await;
    assert_eq!(s, 201, "{other}");
    let yesterday = crate::attendance::today() - chrono::Duration::days(1);
    let (s, body) = app
        .patch(
            root,
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"joined_on": yesterday.to_string()}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    named_by_the_feed(&app, &w, "HS-JOINED").await;
    let step = only_step(&app, &w, "HS-JOINED").await;
    assert_eq!(step["staff_id"], other["id"], "{step}");
}

both!(
    a_corrected_joining_date_moves_a_step_to_the_namesake,
    a_dispute_goes_to_the_heads_of_the_steps_unit,
    a_namesake_who_came_in_later_takes_no_step,
    a_step_stays_with_the_unit_of_its_day_after_a_transfer,
    a_name_in_capitals_does_not_hide_the_same_name_written_normally,
    a_file_sent_again_keeps_a_step_attributed_by_hand,
);
