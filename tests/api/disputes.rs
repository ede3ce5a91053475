//! Disputes of late steps end to end: who may raise one (the officer, on their own late
//! step, within the window), evidence, the head's decision (the next level up for a
//! head), the effect on late ratios, the register and the evaluation, what HR sees, the
//! audit trail, and scoping.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, PASSWORD, TestApp, World};
use crate::onestop::{dossiers_of_a, feed, send, stats};

/// A local date-time `days` ago at `hh`:00, in the portal's compact form.
fn ago(days: i64, hh: u32) -> String {
    let day = crate::attendance::today() - chrono::Duration::days(days);
    format!("{}{hh:02}0000", day.format("%Y%m%d"))
}

/// The id of the step of `name` doing `action` in the dossier with this code.
async fn step_id(app: &TestApp, w: &World, code: &str, from: &str, to: &str, action: &str) -> i64 {
    let (_, v) = app
        .get(
            w.token("root"),
            &format!("/api/v1/dossiers?unit_id={}&from={from}&to={to}", w.a.id),
        )
        .await;
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == code)
        .and_then(|d| {
            d["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["action"] == action)
        })
        .and_then(|s| s["id"].as_i64())
        .unwrap_or_else(|| panic!("no step {action} of {code} in {v}"))
}

/// The codes of A's March dossiers listed as late (or not), as A's ratio counts them.
async fn late_list(app: &TestApp, w: &World, late: bool) -> Vec<String> {
    let path = format!(
        "/api/v1/dossiers?unit_id={}&from=2026-03-01&to=2026-03-31&late={late}",
        w.a.id
    );
    let (s, v) = app.get(w.token("root"), &path).await;
    assert_eq!(s, 200, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str().map(str::to_owned))
        .collect()
}

async fn a_dispute_accepted_takes_the_step_out_of_the_late_count(b: Backend) {
    // The March steps are months old: a window of a year lets them be disputed.
    let Some((app, w)) = TestApp::with_world_and(b, |s| s.onestop.dispute_window_days = 365).await
    else {
        return;
    };
    send(&app, w.token("hr_a"), "/api/v1/onestop/dossiers", feed()).await;
    let code = "000.00.12.H42-260302-0001";
    let late = step_id(
        &app,
        &w,
        code,
        "2026-03-01",
        "2026-03-31",
        "Thẩm định hồ sơ",
    )
    .await;
    let on_time = step_id(
        &app,
        &w,
        code,
        "2026-03-01",
        "2026-03-31",
        "Tiếp nhận hồ sơ",
    )
    .await;
    let officer = w.token("staff_a1");
    // The dossier is late through the step.
    assert!(late_list(&app, &w, true).await.contains(&code.to_owned()));

    let (s, _) = app
        .post(
            w.token("head_a"),
            "/api/v1/disputes",
            json!({"step_id": late, "reason": "x"}),
        )
        .await;
    assert_eq!(s, 403, "only the officer who handled it disputes a step");
    let (s, e) = app
        .post(
            w.token("head_a"),
            "/api/v1/disputes",
            json!({"step_id": on_time, "reason": "x"}),
        )
        .await;
    assert_eq!(s, 409, "a step on time has nothing to dispute: {e}");
    let before_bad = app.count("dossier_disputes");
    let (s, _) = app
        .post(
            officer,
            "/api/v1/disputes",
            json!({"step_id": late, "reason": "  "}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(app.count("dossier_disputes"), before_bad);
    let (s, dispute) = app
        .post(
            officer,
            "/api/v1/disputes",
            json!({"step_id": late, "reason": "Hồ sơ giấy đã trình ký ngày 05/3; cập nhật phần mềm chậm"}),
        )
        .await;
    assert_eq!(s, 201, "{dispute}");
    assert_eq!(
        (&dispute["status"], &dispute["overdue"]),
        (&json!("pending"), &json!(false))
    );
    let id = dispute["id"].as_i64().unwrap();
    let (_, outbox) = app.get(w.token("root"), "/api/v1/notifications").await;
    let told = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "dispute")
        .unwrap_or_else(|| panic!("the head is told: {outbox}"));
    assert_eq!(told["recipient_staff_id"], w.head_a.id, "{told}");
    let (s, _) = app
        .post(
            officer,
            "/api/v1/disputes",
            json!({"step_id": late, "reason": "again"}),
        )
        .await;
    assert_eq!(s, 409, "one dispute per step");
    let (s, _) = app
        .put(
            w.token("root"),
            &format!("/api/v1/dossier-steps/{late}/handler"),
            json!({"staff_id": w.head_a.id}),
        )
        .await;
    assert_eq!(s, 409, "a disputed step keeps its officer");

    // Pending: the step still counts, and the ratio says a dispute waits behind it.
    let pending = stats(&app, w.token("hr_a"), w.member_a1.id).await;
    assert_eq!(
        (&pending["late"], &pending["disputes_pending"]),
        (&json!(1), &json!(1)),
        "{pending}"
    );
    let (_, unit) = app
        .get(
            w.token("hr_a"),
            &format!(
                "/api/v1/stats/dossiers?unit_id={}&from=2026-03-01&to=2026-03-31",
                w.a.id
            ),
        )
        .await;
    assert_eq!(unit["disputes_pending"], 1, "{unit}");
    app.province_wide_agrees(w.p.id, 2026);
    let (s, waiting) = app
        .get(w.token("hr_a"), "/api/v1/disputes?status=pending")
        .await;
    assert_eq!(
        (s, &waiting["total"]),
        (200, &json!(1)),
        "HR sees what waits: {waiting}"
    );

    // Evidence by the officer.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde".to_vec();
    let upload = |token: &str| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(png.clone()).file_name("phiếu kiểm soát.png"),
        );
        app.client
            .post(app.url(&format!("/api/v1/disputes/{id}/evidence")))
            .bearer_auth(token.to_owned())
            .multipart(form)
            .send()
    };
    let (s, ev) = crate::helpers::read(upload(officer).await.unwrap()).await;
    assert_eq!(s, 201, "{ev}");
    assert_eq!(ev["filename"], "phiếu kiểm soát.png");
    let (s, _) = crate::helpers::read(upload(w.token("head_a")).await.unwrap()).await;
    assert_eq!(s, 403, "evidence comes from the officer");
    let (s, files) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/disputes/{id}/evidence"),
        )
        .await;
    assert_eq!((s, files.as_array().map(Vec::len)), (200, Some(1)));

    // The head decides.
    let (s, _) = app
        .post(
            officer,
            &format!("/api/v1/disputes/{id}/decision"),
            json!({"outcome": "accepted", "reason": "tự duyệt"}),
        )
        .await;
    assert_eq!(s, 403, "nobody decides their own dispute");
    let (s, _) = app
        .post(
            w.token("hr_a"),
            &format!("/api/v1/disputes/{id}/decision"),
            json!({"outcome": "accepted", "reason": "x"}),
        )
        .await;
    assert_eq!(s, 403, "HR sees, the head decides");
    let (s, decided) = app
        .post(
            w.token("head_a"),
            &format!("/api/v1/disputes/{id}/decision"),
            json!({"outcome": "accepted", "reason": "Đối chiếu sổ theo dõi: trình đúng hạn"}),
        )
        .await;
    assert_eq!(s, 200, "{decided}");
    assert_eq!(decided["status"], "accepted");
    let (s, _) = app
        .post(
            w.token("head_a"),
            &format!("/api/v1/disputes/{id}/decision"),
            json!({"outcome": "rejected", "reason": "x"}),
        )
        .await;
    assert_eq!(s, 409, "decided once");
    // The message asking the head to decide, held back by a mail outage, is not sent once
    // the dispute is decided: before, it went out after the decision, and again at each
    // daily re-send.
    let message = told["id"].as_i64().unwrap();
    app.exec(&format!(
        "UPDATE notifications SET status = 'failed', claimed_by = NULL, claimed_until = NULL, \
         next_attempt_at = '2000-01-01 00:00:00' WHERE id = {message}"
    ));
    let db = app.db.clone();
    let claimed = tokio::task::spawn_blocking(move || {
        let now = congvu::db::now();
        let mut c = db.conn().unwrap();
        let until = now + chrono::Duration::minutes(15);
        congvu::db::outbox::claim(&mut c, message, "sender-a", until, now).unwrap()
    })
    .await
    .unwrap();
    assert!(claimed.is_none(), "not sent");
    let (_, one) = app
        .get(w.token("root"), &format!("/api/v1/notifications/{message}"))
        .await;
    assert_eq!(one["status"], "cancelled", "{one}");

    let after = stats(&app, w.token("hr_a"), w.member_a1.id).await;
    assert_eq!(
        (
            &after["late"],
            &after["on_time"],
            &after["disputes_pending"],
            &after["late_ratio"]
        ),
        (&json!(0), &json!(1), &json!(0), &json!(0.0)),
        "{after}"
    );
    let list = dossiers_of_a(&app, &w).await;
    let step = list
        .iter()
        .flat_map(|d| d["steps"].as_array().unwrap().iter())
        .find(|s| s["id"] == late)
        .unwrap();
    assert_eq!(
        (
            &step["outcome"],
            &step["counted_outcome"],
            &step["dispute"]["status"]
        ),
        (&json!("late"), &json!("on_time"), &json!("accepted")),
        "the record keeps what happened: {step}"
    );
    // The unit's list agrees with its ratio: late only through the accepted step, the
    // dossier is listed on time.
    let listed_late = late_list(&app, &w, true).await;
    assert!(!listed_late.contains(&code.to_owned()), "{listed_late:?}");
    assert!(late_list(&app, &w, false).await.contains(&code.to_owned()));
    let (_, unit) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/stats/dossiers?unit_id={}&from=2026-03-01&to=2026-03-31",
                w.a.id
            ),
        )
        .await;
    assert_eq!(unit["late"], json!(listed_late.len()), "{unit}");
    let (_, violations) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/violations?staff_id={}&from=2026-03-01&to=2026-03-31",
                w.member_a1.id
            ),
        )
        .await;
    assert!(
        !violations.to_string().contains("overdue_task"),
        "no longer a violation: {violations}"
    );
    let (_, audit) = app
        .get(
            w.token("root"),
            &format!("/api/v1/audit?entity=dossier_dispute&entity_id={id}"),
        )
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    for action in ["raise", "attach_evidence", "decide"] {
        assert!(actions.contains(&action), "{action}: {audit}");
    }

    // The evaluation reads the ratio after disputes.
    let (s, run) = app
        .post(
            w.token("root"),
            "/api/v1/evaluations/runs",
            json!({"period": "2026", "unit_id": w.a.id}),
        )
        .await;
    assert_eq!(s, 201, "{run}");
    let lan = run["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["staff_id"] == w.member_a1.id)
        .unwrap_or_else(|| panic!("{run}"));
    assert_eq!(lan["metrics"]["late_dossier_ratio"], 0.0, "{lan}");
    assert_eq!(lan["metrics"]["late_disputes_pending"], 0.0, "{lan}");
    app.province_wide_agrees(w.p.id, 2026);
}

async fn a_head_is_decided_a_level_up_and_the_window_closes(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    // head_a overran their own step three days ago; an old one is past the window.
    let body = json!([
        {"MaHoSo": "HS-HEAD", "TenTTHC": "Cấp phép", "DonViXuLy": "A", "NgayTiepNhan": ago(6, 8),
         "NgayHenTra": ago(1, 17), "NgayKetThucXuLy": ago(3, 10), "TrangThaiHoSo": "10",
         "QuaTrinhXuLy": [{"NguoiXuLy": "Trần Văn Hùng", "NoiDungXuLy": "Ký duyệt", "NgayBatDau": ago(6, 8),
                           "NgayKetThucTheoQuyDinh": ago(5, 17), "ThoiDiemXuLy": ago(3, 10)}]},
        {"MaHoSo": "HS-OLD", "TenTTHC": "Cấp phép", "DonViXuLy": "A", "NgayTiepNhan": ago(40, 8),
         "NgayHenTra": ago(30, 17), "NgayKetThucXuLy": ago(20, 10), "TrangThaiHoSo": "10",
         "QuaTrinhXuLy": [{"NguoiXuLy": "Trần Văn Hùng", "NoiDungXuLy": "Ký duyệt", "NgayBatDau": ago(40, 8),
                           "NgayKetThucTheoQuyDinh": ago(35, 17), "ThoiDiemXuLy": ago(20, 10)}]}
    ]);
    send(&app, w.token("hr_a"), "/api/v1/onestop/dossiers", body).await;
    let from = (crate::attendance::today() - chrono::Duration::days(60)).to_string();
    let to = crate::attendance::today().to_string();
    let recent = step_id(&app, &w, "HS-HEAD", &from, &to, "Ký duyệt").await;
    let old = step_id(&app, &w, "HS-OLD", &from, &to, "Ký duyệt").await;
    let head = w.token("head_a");
    let (s, e) = app
        .post(
            head,
            "/api/v1/disputes",
            json!({"step_id": old, "reason": "x"}),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    assert!(e.to_string().contains("has passed"), "{e}");
    let (s, d) = app
        .post(
            head,
            "/api/v1/disputes",
            json!({"step_id": recent, "reason": "Ký giấy đúng hạn"}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    let id = d["id"].as_i64().unwrap();
    let (s, _) = app
        .post(
            head,
            &format!("/api/v1/disputes/{id}/decision"),
            json!({"outcome": "accepted", "reason": "x"}),
        )
        .await;
    assert_eq!(s, 403, "a head does not decide on themself");

    // The head of the province decides; others do not see it.
    let (s, user) = app
        .post(
            w.token("root"),
            "/api/v1/users",
            json!({"username": "head_p", "password": PASSWORD, "roles": [{"role": "unit_head", "unit_id": w.p.id}]}),
        )
        .await;
    assert_eq!(s, 201, "{user}");
    let head_p = app.token("head_p", PASSWORD).await;
    for who in ["inspector_p", "staff_a1"] {
        let (s, _) = app
            .get(w.token(who), &format!("/api/v1/disputes/{id}"))
            .await;
        assert_eq!(s, 404, "{who}");
        let (_, list): (u16, Value) = app.get(w.token(who), "/api/v1/disputes").await;
        assert_eq!(list["total"], 0, "{who}: {list}");
    }
    let (s, mine) = app.get(head, "/api/v1/disputes").await;
    assert_eq!((s, &mine["total"]), (200, &json!(1)), "their own: {mine}");
    let (s, decided) = app
        .post(
            &head_p,
            &format!("/api/v1/disputes/{id}/decision"),
            json!({"outcome": "rejected", "reason": "Không có chứng cứ"}),
        )
        .await;
    assert_eq!(s, 200, "{decided}");
    assert_eq!(decided["status"], "rejected");
    let (_, v) = app
        .get(
            head,
            &format!(
                "/api/v1/stats/dossiers?staff_id={}&from={from}&to={to}",
                w.head_a.id
            ),
        )
        .await;
    assert_eq!(
        (&v["late"], &v["disputes_pending"]),
        (&json!(2), &json!(0)),
        "rejected: it stands: {v}"
    );
}

/// An officer of A1 disputes a late step, then is promoted to head A, the unit above:
/// A1's head, their subordinate now, and A's other head no longer decide it; the level
/// above A does.
async fn a_promoted_officer_is_decided_above_the_unit_they_head(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let body = json!([
        {"MaHoSo": "HS-A1", "TenTTHC": "Cấp phép", "DonViXuLy": "A1", "NgayTiepNhan": ago(6, 8),
         "NgayHenTra": ago(1, 17), "NgayKetThucXuLy": ago(3, 10), "TrangThaiHoSo": "10",
         "QuaTrinhXuLy": [{"NguoiXuLy": "Nguyễn Thị Lan", "NoiDungXuLy": "Thẩm định", "NgayBatDau": ago(6, 8),
                           "NgayKetThucTheoQuyDinh": ago(5, 17), "ThoiDiemXuLy": ago(3, 10)}]}
    ]);
    send(&app, w.token("hr_a"), "/api/v1/onestop/dossiers", body).await;
    let from = (crate::attendance::today() - chrono::Duration::days(60)).to_string();
    let to = crate::attendance::today().to_string();
    let step = step_id(&app, &w, "HS-A1", &from, &to, "Thẩm định").await;
    let (s, d) = app
        .post(
            w.token("staff_a1"),
            "/api/v1/disputes",
            json!({"step_id": step, "reason": "Hồ sơ giấy chuyển muộn"}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    let decide = format!("/api/v1/disputes/{}/decision", d["id"]);
    // Heads of A1 and of the province.
    for (name, unit) in [("head_a1", w.a1.id), ("head_p", w.p.id)] {
        let (s, user) = app
            .post(
                w.token("root"),
                "/api/v1/users",
                json!({"username": name, "password": PASSWORD,
                       "roles": [{"role": "unit_head", "unit_id": unit}]}),
            )
            .await;
        assert_eq!(s, 201, "{user}");
    }
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"unit_id": w.a.id, "moved_on": to, "is_head": true}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let head_a1 = app.token("head_a1", PASSWORD).await;
    let head_p = app.token("head_p", PASSWORD).await;
    for token in [head_a1.as_str(), w.token("head_a")] {
        let (s, body) = app
            .post(
                token,
                &decide,
                json!({"outcome": "accepted", "reason": "Đồng ý"}),
            )
            .await;
        assert_eq!(s, 403, "{body}");
    }
    let (s, decided) = app
        .post(
            &head_p,
            &decide,
            json!({"outcome": "accepted", "reason": "Đã xác minh phiếu chuyển"}),
        )
        .await;
    assert_eq!(s, 200, "{decided}");
}

both!(
    a_dispute_accepted_takes_the_step_out_of_the_late_count,
    a_head_is_decided_a_level_up_and_the_window_closes,
    a_promoted_officer_is_decided_above_the_unit_they_head,
);
