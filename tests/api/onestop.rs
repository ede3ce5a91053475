//! The national portal's feed end to end: both date forms, idempotent re-sends, progress
//! updates of an open step, vendor codes by configuration, handler matching (account,
//! unambiguous name, the ambiguous namesake), steps without deadlines, and retroactive
//! attribution once an administrator maps a handler.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp, World};

/// Dossier 1: late; Lan's step overran its own deadline (ISO dates), head_a's step has no
/// deadline and no start. Dossier 2: late, no step deadlines; the handler "N. T. Lan" is
/// nobody yet and held the dossier when its deadline passed.
pub fn feed() -> Value {
    json!({"data": [
        {"MaHoSo": "000.00.12.H42-260302-0001", "MaTTHC": "1.004227", "TenTTHC": "Cấp giấy phép xây dựng",
         "DonViXuLy": "A", "NgayTiepNhan": "20260302080000", "NgayHenTra": "2026-03-06T17:00:00",
         "NgayKetThucXuLy": "20260309100000", "TrangThaiHoSo": "10", "HinhThuc": 1, "ChuHoSo": "ignored",
         "QuaTrinhXuLy": [
            {"NguoiXuLy": "Nguyễn Thị Lan", "NoiDungXuLy": "Thẩm định hồ sơ", "TrangThai": "2",
             "ThoiDiemXuLy": "2026-03-09T10:00:00.000", "NgayBatDau": "20260302083000",
             "NgayKetThucTheoQuyDinh": "20260305170000"},
            {"NguoiXuLy": "Trần  Văn Hùng", "NoiDungXuLy": "Tiếp nhận hồ sơ", "TrangThai": "2",
             "ThoiDiemXuLy": "20260302083000", "NgayBatDau": "", "NgayKetThucTheoQuyDinh": ""}
         ]},
        {"MaHoSo": "000.00.12.H42-260310-0002", "TenTTHC": "Cấp đổi giấy chứng nhận", "DonViXuLy": "A",
         "NgayTiepNhan": "2026-03-10T08:00:00", "NgayHenTra": "20260312170000",
         "NgayKetThucXuLy": "2026-03-16T10:00:00", "TrangThaiHoSo": 10,
         "QuaTrinhXuLy": [
            {"NguoiXuLy": "Trần Văn Hùng", "NoiDungXuLy": "Tiếp nhận hồ sơ", "ThoiDiemXuLy": "20260310090000"},
            {"NguoiXuLy": "N. T. Lan", "NoiDungXuLy": "Thẩm định hồ sơ", "TrangThai": "Đã xử lý",
             "ThoiDiemXuLy": "20260316100000"}
         ]}
    ]})
}

pub async fn send(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (s, report) = app.post(token, path, body).await;
    assert_eq!(s, 200, "{report}");
    report
}

pub async fn stats(app: &TestApp, token: &str, staff_id: i64) -> Value {
    let (s, v) = app
        .get(
            token,
            &format!("/api/v1/stats/dossiers?staff_id={staff_id}&from=2026-03-01&to=2026-03-31"),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

/// The dossiers of A in March, by code.
pub async fn dossiers_of_a(app: &TestApp, w: &World) -> Vec<Value> {
    let (s, v) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/dossiers?unit_id={}&from=2026-03-01&to=2026-03-31",
                w.a.id
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["items"].as_array().cloned().unwrap_or_default()
}

fn dossier<'a>(list: &'a [Value], code: &str) -> &'a Value {
    list.iter()
        .find(|d| d["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {list:?}"))
}

fn step<'a>(d: &'a Value, action: &str, name: &str) -> &'a Value {
    d["steps"]
        .as_array()
        .and_then(|s| {
            s.iter()
                .find(|s| s["action"] == action && s["handler_name"] == name)
        })
        .unwrap_or_else(|| panic!("no step {action} by {name} in {d}"))
}

async fn the_feed_reads_both_date_forms_and_re_sends_change_nothing(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let first = send(&app, hr, "/api/v1/onestop/dossiers", feed()).await;
    assert_eq!(
        (
            &first["created"],
            &first["unattributed_steps"],
            &first["rejected"]
        ),
        (&json!(2), &json!(1), &json!([])),
        "{first}"
    );
    let audit_rows = app.count("audit_log");
    let again = send(&app, hr, "/api/v1/onestop/dossiers", feed()).await;
    assert_eq!(
        (&again["created"], &again["updated"], &again["unchanged"]),
        (&json!(0), &json!(0), &json!(2)),
        "a re-sent update changes nothing: {again}"
    );
    assert_eq!(app.count("audit_log"), audit_rows, "and records nothing");
    assert_eq!(app.count("dossier_steps"), 4);

    let list = dossiers_of_a(&app, &w).await;
    let d1 = dossier(&list, "000.00.12.H42-260302-0001");
    assert_eq!(d1["status"], "finished");
    assert_eq!(
        d1["due_at"], "2026-03-06T17:00:00+07:00",
        "ISO form, local time"
    );
    let lan = step(d1, "Thẩm định hồ sơ", "Nguyễn Thị Lan");
    assert_eq!(
        (&lan["staff_id"], &lan["matched_by"], &lan["outcome"]),
        (&json!(w.member_a1.id), &json!("name"), &json!("late")),
        "{lan}"
    );
    let hung = step(d1, "Tiếp nhận hồ sơ", "Trần  Văn Hùng");
    assert_eq!(
        hung["staff_id"], w.head_a.id,
        "spaces do not matter: {hung}"
    );
    assert_eq!(
        hung["outcome"], "on_time",
        "no deadline of its own: never late by itself"
    );
    assert_eq!(
        hung["received_at"], "2026-03-02T08:00:00+07:00",
        "the first step began at receipt"
    );
    assert_eq!(
        lan["step_no"], 2,
        "steps are numbered in the order they happened"
    );

    // Dossier 2: no step deadlines. The step that held it when its deadline passed (12/3)
    // carries the lateness: the one that began when the reception ended.
    let d2 = dossier(&list, "000.00.12.H42-260310-0002");
    let held = step(d2, "Thẩm định hồ sơ", "N. T. Lan");
    assert_eq!(held["received_at"], "2026-03-10T09:00:00+07:00", "{held}");
    assert_eq!(held["outcome"], "late");
    assert_eq!(
        (&held["staff_id"], &held["handler_issue"]),
        (&Value::Null, &json!("unknown")),
        "nobody is guessed"
    );
    let head = stats(&app, hr, w.head_a.id).await;
    assert_eq!(
        (&head["handled"], &head["late"]),
        (&json!(2), &json!(0)),
        "{head}"
    );
    let member = stats(&app, hr, w.member_a1.id).await;
    assert_eq!(
        (&member["handled"], &member["late"]),
        (&json!(1), &json!(1)),
        "{member}"
    );

    // A step first sent in progress, then done (CapNhatTienDoHoSoMC): the same step.
    let open = json!({"MaHoSo": "HS-OPEN", "TenTTHC": "Đăng ký kinh doanh", "DonViXuLy": "A",
    "NgayTiepNhan": "20260317080000", "NgayHenTra": "20260320", "TrangThaiHoSo": "4",
    "QuaTrinhXuLy": [
        {"NguoiXuLy": "Trần Văn Hùng", "NoiDungXuLy": "Tiếp nhận hồ sơ", "ThoiDiemXuLy": "20260317090000"},
        {"NguoiXuLy": "Nguyễn Thị Lan", "NoiDungXuLy": "Thẩm định hồ sơ", "TrangThai": "1"}
    ]});
    let open_again = open.clone();
    let r = send(&app, hr, "/api/v1/onestop/dossiers", open).await;
    assert_eq!(r["created"], 1, "{r}");
    let done = json!([{"MaHoSo": "HS-OPEN", "NguoiXuLy": "Nguyễn Thị Lan", "NoiDungXuLy": "Thẩm định hồ sơ",
        "TrangThai": "2", "ThoiDiemXuLy": "20260325100000"}]);
    let r = send(&app, hr, "/api/v1/onestop/progress", done.clone()).await;
    assert_eq!(
        (&r["updated"], &r["rejected"]),
        (&json!(1), &json!([])),
        "{r}"
    );
    let r = send(&app, hr, "/api/v1/onestop/progress", done).await;
    assert_eq!(r["unchanged"], 1, "the update re-sent: {r}");
    let r = send(&app, hr, "/api/v1/onestop/dossiers", open_again).await;
    assert_eq!(r["rejected"], json!([]), "{r}");
    assert_eq!(
        app.count("dossier_steps"),
        6,
        "the open step was finished, not added, and a stale re-send of it adds nothing"
    );
    let list = dossiers_of_a(&app, &w).await;
    let open = dossier(&list, "HS-OPEN");
    let finished = step(open, "Thẩm định hồ sơ", "Nguyễn Thị Lan");
    assert_eq!(finished["finished_at"], "2026-03-25T10:00:00+07:00");
    assert_eq!(finished["received_at"], "2026-03-17T09:00:00+07:00");
    assert_eq!(
        finished["outcome"], "late",
        "held the dossier past its due day (20/3)"
    );
    let (s, unknown) = app
        .post(
            hr,
            "/api/v1/onestop/progress",
            json!({"MaHoSo": "HS-NONE", "NguoiXuLy": "X"}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        unknown["rejected"][0]["errors"]["MaHoSo"][0]
            .as_str()
            .unwrap()
            .contains("send it")
    );
    // A rejection names the item as sent, and the entry within it: before, the entries
    // of items before it were counted, and the second item here was the fourth.
    let entry =
        |who: &str| json!({"NguoiXuLy": who, "NoiDungXuLy": "Thẩm định hồ sơ", "TrangThai": "1"});
    let (s, r) = app
        .post(
            hr,
            "/api/v1/onestop/progress",
            json!([
                {"MaHoSo": "HS-OPEN", "QuaTrinhXuLy": [entry("Nguyễn Thị Lan"), entry("Nguyễn Thị Lan"), entry("Nguyễn Thị Lan")]},
                {"MaHoSo": "000.00.12.H42-260302-0001", "QuaTrinhXuLy": [entry("Nguyễn Thị Lan"), {"NoiDungXuLy": "x"}]}
            ]),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let bad = &r["rejected"][0];
    assert_eq!(
        (&bad["index"], &bad["code"]),
        (&json!(2), &json!("000.00.12.H42-260302-0001")),
        "{r}"
    );
    assert!(
        bad["errors"]["[2].QuaTrinhXuLy[2].NguoiXuLy"].is_array(),
        "{r}"
    );
}

async fn bad_dossiers_are_reported_and_vendor_codes_come_from_configuration(b: Backend) {
    let Some((app, w)) = TestApp::with_world_and(b, |s| {
        s.onestop.by_province.insert(
            "P".into(),
            congvu::config::onestop::VendorCodes {
                dossier_status: [(
                    "DA_TRA".to_owned(),
                    congvu::domain::dossiers::DossierStatus::Finished,
                )]
                .into(),
                step_status: [("XONG".to_owned(), congvu::domain::onestop::StepState::Done)].into(),
            },
        );
    })
    .await
    else {
        return;
    };
    let body = json!([
        {"MaHoSo": "GOOD", "TenTTHC": "P", "DonViXuLy": "A1", "NgayTiepNhan": "20260302080000",
         "NgayHenTra": "20260306170000", "NgayKetThucXuLy": "20260305100000", "TrangThaiHoSo": "DA_TRA",
         "QuaTrinhXuLy": [{"NguoiXuLy": "Nguyễn Thị Lan", "TrangThai": "XONG", "ThoiDiemXuLy": "20260305100000"}]},
        {"MaHoSo": "BAD", "TenTTHC": "P", "DonViXuLy": "A", "NgayTiepNhan": "02/03/2026 8h",
         "TrangThaiHoSo": "99",
         "QuaTrinhXuLy": [{"NguoiXuLy": "Nguyễn Thị Lan", "TrangThai": "?"}, {"NoiDungXuLy": "Ký"}]},
        {"MaHoSo": "ELSEWHERE", "TenTTHC": "P", "DonViXuLy": "B", "NgayTiepNhan": "20260302080000",
         "TrangThaiHoSo": "4"}
    ]);
    let before = app.count("dossiers");
    let r = send(&app, w.token("hr_a"), "/api/v1/onestop/dossiers", body).await;
    assert_eq!(r["created"], 1, "the good one is kept: {r}");
    let rejected = r["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2, "{r}");
    let bad = &rejected[0];
    assert_eq!((&bad["index"], &bad["code"]), (&json!(2), &json!("BAD")));
    for field in [
        "NgayTiepNhan",
        "TrangThaiHoSo",
        "QuaTrinhXuLy[0].TrangThai",
        "QuaTrinhXuLy[1].NguoiXuLy",
    ] {
        assert!(bad["errors"].get(field).is_some(), "{field}: {bad}");
    }
    assert!(
        bad["errors"]["TrangThaiHoSo"][0]
            .as_str()
            .unwrap()
            .contains("onestop.dossier_status")
    );
    assert_eq!(
        rejected[1]["errors"]["DonViXuLy"][0],
        "no unit you may import for has this code"
    );
    assert_eq!(app.count("dossiers"), before + 1);
    // Another province's vendor code means nothing here; staff cannot feed.
    let (s, _) = app
        .post(w.token("staff_a1"), "/api/v1/onestop/dossiers", json!([]))
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .client
        .post(app.url("/api/v1/onestop/dossiers"))
        .bearer_auth(w.token("hr_a"))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(s, 415);
    // The export file as an upload (UTF-16 with BOM, as some Windows tools write it).
    let text = feed().to_string();
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(utf16).file_name("dvcqg-2026-03.json"),
    );
    let res = app
        .client
        .post(app.url("/api/v1/onestop/dossiers"))
        .bearer_auth(w.token("hr_a"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (s, r) = crate::helpers::read(res).await;
    assert_eq!((s, &r["created"]), (200, &json!(2)), "{r}");
}

async fn handlers_match_by_account_then_one_name_and_namesakes_wait(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let (s, twin) = app
        .post(
            root,
            "/api/v1/staff",
            json!({"code": "S-A-LAN", "full_name": "Nguyễn Thị Lan",
            "unit_id": w.a.id, "category": "cong_chuc"}),
        )
        .await;
    assert_eq!(s, 201, "{twin}");
    let twin_id = twin["id"].as_i64().unwrap();
    let r = send(&app, w.token("hr_a"), "/api/v1/onestop/dossiers", feed()).await;
    assert_eq!(
        r["unattributed_steps"], 2,
        "the shared name and the unknown one: {r}"
    );

    let (s, aside) = app
        .get(w.token("hr_a"), "/api/v1/onestop/handlers/unmatched")
        .await;
    assert_eq!(s, 200, "{aside}");
    let ambiguous = aside["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["reason"] == "ambiguous")
        .unwrap_or_else(|| panic!("{aside}"));
    assert_eq!(ambiguous["name"], "Nguyễn Thị Lan");
    let mut candidates: Vec<i64> = ambiguous["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["staff_id"].as_i64().unwrap())
        .collect();
    candidates.sort_unstable();
    let mut both_lans = vec![w.member_a1.id, twin_id];
    both_lans.sort_unstable();
    assert_eq!(candidates, both_lans);
    let step_id = ambiguous["step_ids"][0].as_i64().unwrap();
    let (s, _) = app
        .get(w.token("staff_a1"), "/api/v1/onestop/handlers/unmatched")
        .await;
    assert_eq!(s, 403);

    // An account decides over any name.
    let path = format!("/api/v1/staff/{}/onestop-handles", w.member_a1.id);
    let (s, added) = app
        .post(root, &path, json!({"kind": "account", "value": "LanNT"}))
        .await;
    assert_eq!(s, 201, "{added}");
    let (s, taken) = app
        .post(
            root,
            &format!("/api/v1/staff/{twin_id}/onestop-handles"),
            json!({"kind": "account", "value": "lannt"}),
        )
        .await;
    assert_eq!(s, 409, "an account is one person's: {taken}");
    let (s, _) = app
        .post(
            w.token("hr_a"),
            &path,
            json!({"kind": "alias", "value": "Lan"}),
        )
        .await;
    assert_eq!(s, 403, "mapping is for administrators");
    let (s, _) = app
        .post(root, &path, json!({"kind": "nickname", "value": "Lan"}))
        .await;
    assert_eq!(s, 422);
    let by_account = json!([{"MaHoSo": "HS-ACC", "TenTTHC": "P", "DonViXuLy": "A", "NgayTiepNhan": "20260302080000",
        "NgayHenTra": "20260306170000", "NgayKetThucXuLy": "20260305100000", "TrangThaiHoSo": "10",
        "QuaTrinhXuLy": [{"NguoiXuLy": "Nguyễn Thị Lan", "TaiKhoanXuLy": " lanNT ", "NoiDungXuLy": "Ký duyệt",
            "ThoiDiemXuLy": "20260305100000"}]}]);
    let r = send(
        &app,
        w.token("hr_a"),
        "/api/v1/onestop/dossiers",
        by_account,
    )
    .await;
    assert_eq!(r["unattributed_steps"], 0, "{r}");
    // An account of someone beyond the importer's reach attributes nothing.
    let b_path = format!("/api/v1/staff/{}/onestop-handles", w.member_b.id);
    let (s, _) = app
        .post(root, &b_path, json!({"kind": "account", "value": "tuanlm"}))
        .await;
    assert_eq!(s, 201);
    let foreign = json!([{"MaHoSo": "HS-FOREIGN", "TenTTHC": "P", "DonViXuLy": "A",
        "NgayTiepNhan": "20260302080000", "TrangThaiHoSo": "4",
        "QuaTrinhXuLy": [{"TaiKhoanXuLy": "tuanlm", "NoiDungXuLy": "Ký duyệt", "TrangThai": "1"}]}]);
    let r = send(&app, w.token("hr_a"), "/api/v1/onestop/dossiers", foreign).await;
    assert_eq!(
        r["unattributed_steps"], 1,
        "hr of A cannot give B's officer steps: {r}"
    );
    let list = dossiers_of_a(&app, &w).await;
    let acc = step(dossier(&list, "HS-ACC"), "Ký duyệt", "Nguyễn Thị Lan");
    assert_eq!(
        (&acc["staff_id"], &acc["matched_by"]),
        (&json!(w.member_a1.id), &json!("account"))
    );

    // The namesake's step, attributed by hand, stays so when the feed is sent again.
    let (s, done) = app
        .put(
            root,
            &format!("/api/v1/dossier-steps/{step_id}/handler"),
            json!({"staff_id": twin_id}),
        )
        .await;
    assert_eq!(s, 200, "{done}");
    send(&app, w.token("hr_a"), "/api/v1/onestop/dossiers", feed()).await;
    let list = dossiers_of_a(&app, &w).await;
    let manual = step(
        dossier(&list, "000.00.12.H42-260302-0001"),
        "Thẩm định hồ sơ",
        "Nguyễn Thị Lan",
    );
    assert_eq!(
        (&manual["staff_id"], &manual["matched_by"]),
        (&json!(twin_id), &json!("manual"))
    );
    let twin_stats = stats(&app, root, twin_id).await;
    assert_eq!(twin_stats["late"], 1, "{twin_stats}");
    let (_, audit) = app
        .get(
            root,
            &format!("/api/v1/audit?entity=dossier_step&entity_id={step_id}"),
        )
        .await;
    assert!(audit.to_string().contains("attribute"), "{audit}");
}

async fn a_mapped_handler_gets_their_steps_retroactively(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    send(&app, w.token("hr_a"), "/api/v1/onestop/dossiers", feed()).await;
    let before = stats(&app, root, w.member_a1.id).await;
    assert_eq!(before["late"], 1);
    let path = format!("/api/v1/staff/{}/onestop-handles", w.member_a1.id);
    let (s, added) = app
        .post(root, &path, json!({"kind": "alias", "value": "n. t.  LAN"}))
        .await;
    assert_eq!(s, 201, "{added}");
    assert_eq!(added["attributed"], 1, "{added}");
    assert_eq!(added["handle"]["value"], "n. t.  LAN", "kept as entered");
    let after = stats(&app, root, w.member_a1.id).await;
    assert_eq!(
        (&after["handled"], &after["late"]),
        (&json!(2), &json!(1 + 1)),
        "{after}"
    );
    let (_, aside) = app.get(root, "/api/v1/onestop/handlers/unmatched").await;
    assert_eq!(aside["items"], json!([]), "nothing left aside");
    let (_, violations) = app
        .get(
            root,
            &format!(
                "/api/v1/violations?staff_id={}&from=2026-03-01&to=2026-03-31",
                w.member_a1.id
            ),
        )
        .await;
    let overdue = violations["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["code"] == "overdue_task")
        .count();
    assert_eq!(overdue, 2, "the register follows: {violations}");
    let (_, handles) = app.get(w.token("hr_a"), &path).await;
    assert_eq!(handles.as_array().map(Vec::len), Some(1), "{handles}");
    let id = handles[0]["id"].as_i64().unwrap();
    let res = app
        .client
        .delete(app.url(&format!("{path}/{id}")))
        .bearer_auth(root)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let kept = stats(&app, root, w.member_a1.id).await;
    assert_eq!(
        kept["late"], 2,
        "removing a mapping keeps what it attributed"
    );
}

both!(
    the_feed_reads_both_date_forms_and_re_sends_change_nothing,
    bad_dossiers_are_reported_and_vendor_codes_come_from_configuration,
    handlers_match_by_account_then_one_name_and_namesakes_wait,
    a_mapped_handler_gets_their_steps_retroactively,
);
