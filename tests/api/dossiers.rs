//! Dossiers end to end: import (JSON, CSV in several encodings), attribution of lateness,
//! late ratios, overdue lists, the violation register, surveys and scoping.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp, World};

pub(crate) const HEADER: &str = "code,procedure,unit_code,received_at,due_at,finished_at,status,step_no,step_staff_code,step_received_at,step_due_at,step_finished_at";

/// Three dossiers received by A in March 2026:
/// - HS-1 late (due 6/3, done 9/3); step 2 (S-A1) overran its own deadline;
/// - HS-2 on time;
/// - HS-3 late, no step deadlines; S-B held it when its deadline passed.
pub(crate) fn march_csv() -> String {
    [
        HEADER,
        "HS-1,Cấp giấy phép xây dựng,A,20260302080000,20260306170000,20260309100000,finished,1,S-HEAD-A,20260302080000,20260303170000,20260303090000",
        "HS-1,Cấp giấy phép xây dựng,A,20260302080000,20260306170000,20260309100000,finished,2,S-A1,20260303090000,20260305170000,20260309100000",
        "HS-2,Đăng ký kinh doanh,A,2026-03-02T08:00:00,2026-03-10,2026-03-09T15:00:00,finished,1,S-A1,2026-03-02T08:00:00,2026-03-09,2026-03-09T15:00:00",
        "HS-3,Cấp đổi giấy chứng nhận,A,20260302080000,20260310170000,20260316100000,finished,1,S-HEAD-A,20260302080000,,20260304090000",
        "HS-3,Cấp đổi giấy chứng nhận,A,20260302080000,20260310170000,20260316100000,finished,2,S-B,20260304090000,,20260316100000",
    ]
    .join("\n")
}

pub(crate) async fn import_csv(
    app: &TestApp,
    token: &str,
    body: Vec<u8>,
    content_type: &str,
) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/dossiers/import"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    crate::helpers::read(res).await
}

async fn stats(app: &TestApp, token: &str, who: &str) -> (u16, Value) {
    app.get(
        token,
        &format!("/api/v1/stats/dossiers?{who}&from=2026-03-01&to=2026-03-31"),
    )
    .await
}

pub(crate) async fn imported(b: Backend) -> Option<(TestApp, World)> {
    imported_with(b, |_| {}).await
}

async fn imported_with(
    b: Backend,
    tweak: impl FnOnce(&mut congvu::config::Settings),
) -> Option<(TestApp, World)> {
    let (app, w) = TestApp::with_world_and(b, tweak).await?;
    // HS-3 passes through an officer of B: the province's administrator imports it.
    let (s, report) = import_csv(
        &app,
        w.token("admin_p"),
        march_csv().into_bytes(),
        "text/csv",
    )
    .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(
        (
            report["created"].as_i64(),
            report["rejected"].as_array().map(Vec::len)
        ),
        (Some(3), Some(0)),
        "{report}"
    );
    Some((app, w))
}

async fn lateness_is_attributed_to_the_step_that_caused_it(b: Backend) {
    let Some((app, w)) = imported(b).await else {
        return;
    };
    let root = w.token("root");
    let (s, a1) = stats(&app, root, &format!("staff_id={}", w.member_a1.id)).await;
    assert_eq!(s, 200, "{a1}");
    assert_eq!(
        (
            a1["handled"].as_i64(),
            a1["late"].as_i64(),
            a1["late_ratio"].as_f64()
        ),
        (Some(2), Some(1), Some(50.0)),
        "{a1}"
    );
    let (_, holder) = stats(&app, root, &format!("staff_id={}", w.member_b.id)).await;
    assert_eq!(
        holder["late_ratio"], 100.0,
        "S-B held HS-3 when its deadline passed: {holder}"
    );
    let (_, head) = stats(&app, root, &format!("staff_id={}", w.head_a.id)).await;
    assert_eq!(
        (head["handled"].as_i64(), head["late_ratio"].as_f64()),
        (Some(2), Some(0.0))
    );
    let (_, unit) = stats(&app, root, &format!("unit_id={}", w.p.id)).await;
    assert_eq!(
        (
            unit["handled"].as_i64(),
            unit["late"].as_i64(),
            unit["on_time"].as_i64()
        ),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(unit["late_ratio"], 66.67);
    let (_, empty) = stats(&app, root, &format!("unit_id={}", w.b.id)).await;
    assert_eq!(empty["handled"], 0);
    assert!(
        empty["late_ratio"].is_null(),
        "nothing handled: no ratio, not 0 %"
    );
    // The late steps are in the violation register.
    let (_, register) = app.get(root, "/api/v1/violations?code=overdue_task").await;
    let mut who: Vec<i64> = register["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["staff_id"].as_i64().unwrap())
        .collect();
    who.sort();
    let mut expected = vec![w.member_a1.id, w.member_b.id];
    expected.sort();
    assert_eq!(who, expected, "{register}");
    // The dossier list shows the attribution.
    let (s, list) = app
        .get(
            root,
            &format!(
                "/api/v1/dossiers?unit_id={}&from=2026-03-01&to=2026-03-31&late=true",
                w.a.id
            ),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["total"], 2);
    let hs3 = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "HS-3")
        .unwrap();
    assert_eq!(hs3["steps"][1]["outcome"], "late");
    assert_eq!(hs3["steps"][0]["outcome"], "on_time");
    assert_eq!(hs3["procedure"], "Cấp đổi giấy chứng nhận");
    app.province_wide_agrees(w.p.id, 2026);
}

async fn reimport_is_idempotent_and_keeps_history(b: Backend) {
    let Some((app, w)) = imported(b).await else {
        return;
    };
    let hr = w.token("admin_p");
    let audit_before = app.count("audit_log");
    let (_, again) = import_csv(&app, hr, march_csv().into_bytes(), "text/csv").await;
    assert_eq!(
        (
            again["created"].as_i64(),
            again["updated"].as_i64(),
            again["unchanged"].as_i64()
        ),
        (Some(0), Some(0), Some(3))
    );
    assert_eq!(
        app.count("audit_log"),
        audit_before,
        "nothing changed, nothing written"
    );
    assert_eq!(app.count("dossier_steps"), 5, "never double counted");
    // HS-1 corrected in the one-stop system: step 2 finished on time after all.
    let fixed = march_csv()
        .replace("20260306170000,20260309100000,finished,2,S-A1,20260303090000,20260305170000,20260309100000", "20260306170000,20260305100000,finished,2,S-A1,20260303090000,20260305170000,20260305100000")
        .replace("20260306170000,20260309100000,finished,1,S-HEAD-A", "20260306170000,20260305100000,finished,1,S-HEAD-A");
    let (_, changed) = import_csv(&app, hr, fixed.into_bytes(), "text/csv").await;
    assert_eq!(changed["updated"], 1, "{changed}");
    let (_, a1) = stats(
        &app,
        w.token("root"),
        &format!("staff_id={}", w.member_a1.id),
    )
    .await;
    assert_eq!(a1["late_ratio"], 0.0);
    let (_, register) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/violations?staff_id={}&code=overdue_task",
                w.member_a1.id
            ),
        )
        .await;
    assert_eq!(register["total"], 0, "the register follows the correction");
    let (_, trail) = app
        .get(w.token("root"), "/api/v1/audit?entity=dossier")
        .await;
    assert!(
        trail["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "update" && e["before"]["finished_at"].is_string()),
        "history kept: {trail}"
    );
}

async fn bad_lines_are_reported_and_good_ones_kept(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let csv = [
        HEADER,
        "OK-1,Thủ tục,A,20260302080000,20260306170000,,in_progress,1,S-A1,20260302080000,,",
        "BAD-1,Thủ tục,A,yesterday,20260306170000,,in_progress,1,S-A1,,,",
        "BAD-2,Thủ tục,A,20260302080000,20260306170000,,in_progress,1,NGUYEN VAN A,,,",
        "BAD-3,Thủ tục,NOWHERE,20260302080000,20260306170000,,in_progress,,,,,",
        "BAD-4,Thủ tục,A,20260302080000,20260306170000,,lost,,,,,",
        "OK-2,Thủ tục,A,20260302080000,20260306170000,,received,,,,,",
    ]
    .join("\n");
    let (s, report) = import_csv(&app, w.token("hr_a"), csv.into_bytes(), "text/csv").await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["created"], 2);
    let lines: Vec<i64> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, vec![3, 4, 5, 6], "{report}");
    assert!(report["rejected"][0]["errors"]["received_at"].is_array());
    assert!(
        report["rejected"][1]["errors"]["step_staff_code"].is_array(),
        "names are never guessed: {report}"
    );
    assert!(report["rejected"][2]["errors"]["unit_code"].is_array());
    assert!(report["rejected"][3]["errors"]["status"].is_array());
    // JSON rows use the same names; numbers may be numbers.
    let (s, report) = app
        .post(
            w.token("hr_a"),
            "/api/v1/dossiers/import",
            json!({"dossiers": [
                {"code": "J-1", "procedure": "Thủ tục", "unit_code": "A1", "received_at": "2026-03-02T08:00:00",
                 "due_at": "2026-03-06", "status": "in_progress", "step_no": 1, "step_staff_code": "S-A1"},
                {"code": "J-2", "procedure": "Thủ tục", "unit_code": "B", "received_at": "2026-03-02T08:00:00", "status": "received"},
                "not an object",
                // RFC 3339 with an offset, as the API's own times (refused before).
                {"code": "J-3", "procedure": "Thủ tục", "unit_code": "A1", "received_at": "2026-03-02T01:00:00Z",
                 "due_at": "2026-03-06T17:00:00+07:00", "status": "received"}
            ]}),
        )
        .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["created"], 2, "{report}");
    let lines: Vec<i64> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, vec![2, 3], "B is beyond hr of A: {report}");
    let (s, _) = import_csv(&app, w.token("head_a"), b"code\n".to_vec(), "text/csv").await;
    assert_eq!(s, 403, "importing is for admin and hr");
    // A dossier filed under B cannot be taken over from A by sending its code again.
    let b_line = format!("{HEADER}\nX-1,Thủ tục,B,20260302080000,,,received,,,,,");
    let (_, report) = import_csv(&app, w.token("root"), b_line.into_bytes(), "text/csv").await;
    assert_eq!(report["created"], 1);
    let a_line = format!("{HEADER}\nX-1,Thủ tục,A,20260302080000,,,received,,,,,");
    let (_, report) = import_csv(&app, w.token("hr_a"), a_line.into_bytes(), "text/csv").await;
    assert_eq!(
        (report["created"].as_i64(), report["updated"].as_i64()),
        (Some(0), Some(0)),
        "{report}"
    );
    assert!(
        report["rejected"][0]["errors"]["code"].is_array(),
        "{report}"
    );
    let (s, _) = import_csv(&app, w.token("hr_a"), b"x".to_vec(), "text/plain").await;
    assert_eq!(s, 415);
}

async fn files_in_windows_1258_and_utf16_keep_vietnamese(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    // "Nguyễn" with Windows-1258's combining tone marks: ê = 0xEA, tilde = 0xDE.
    let mut cp1258 = format!("{HEADER}\nW-1,Ho so ").into_bytes();
    cp1258.extend_from_slice(b"Nguy\xEA\xDEn,A,20260302080000,,,received,,,,,\n");
    let (s, report) = import_csv(
        &app,
        w.token("hr_a"),
        cp1258,
        "text/csv; charset=windows-1258",
    )
    .await;
    assert_eq!((s, report["created"].as_i64()), (200, Some(1)), "{report}");
    // Excel's "Unicode text": UTF-16 with a BOM, tab-separated, CRLF.
    let utf16_text =
        format!("{HEADER}\r\nW-2,Hồ sơ Trần Thị Ánh,A,20260302080000,,,received,,,,,\r\n")
            .replace(',', "\t");
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in utf16_text.encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    let (s, report) = import_csv(&app, w.token("hr_a"), utf16, "text/csv").await;
    assert_eq!(
        (s, report["created"].as_i64()),
        (200, Some(1)),
        "UTF-16 with a BOM and tabs is recognised: {report}"
    );
    let (_, list) = app
        .get(
            w.token("root"),
            &format!("/api/v1/dossiers/overdue?unit_id={}&within_days=0", w.a.id),
        )
        .await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let (_, all) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/dossiers?unit_id={}&from=2026-01-01&to=2026-12-31",
                w.a.id
            ),
        )
        .await;
    let _ = all;
    let db = app.db.clone();
    let names: Vec<String> = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        let mut c = db.conn().unwrap();
        congvu::db::schema::dossiers::table
            .order(congvu::db::schema::dossiers::code)
            .select(congvu::db::schema::dossiers::procedure_name)
            .load::<String>(&mut *c)
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        names,
        vec!["Ho so Nguyễn".to_owned(), "Hồ sơ Trần Thị Ánh".to_owned()],
        "decoded to NFC"
    );
    // A byte that is not UTF-8 (the Windows-1258 line above, sent undeclared) rejects its
    // line alone, named; before, the whole file was 422 on `body`.
    let mut mixed =
        format!("{HEADER}\nW-3,Ho so,A,20260302080000,,,received,,,,,\nW-4,Ho so ").into_bytes();
    mixed.extend_from_slice(b"Nguy\xEA\xDEn,A,20260302080000,,,received,,,,,\n");
    let (s, report) = import_csv(&app, w.token("hr_a"), mixed, "text/csv").await;
    assert_eq!((s, report["created"].as_i64()), (200, Some(1)), "{report}");
    assert_eq!(report["rejected"][0]["line"], 3, "{report}");
    assert!(
        report["rejected"][0]["errors"]["line"][0]
            .as_str()
            .unwrap()
            .contains("charset=windows-1258"),
        "{report}"
    );
}

async fn overdue_lists_pause_for_supplements_and_formulas_differ(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let now = congvu::api::local_now();
    let day = |d: i64| {
        (now + chrono::Duration::days(d))
            .format("%Y%m%d%H%M%S")
            .to_string()
    };
    let csv = [
        HEADER.to_owned() + ",supplement_requested_at",
        format!(
            "OD-1,Thủ tục,A1,{},{},,in_progress,1,S-A1,{},{},,",
            day(-10),
            day(-2),
            day(-10),
            day(-3)
        ),
        format!(
            "OD-2,Thủ tục,A1,{},{},,awaiting_supplement,,,,,,{}",
            day(-10),
            day(-2),
            day(-5)
        ),
        format!("OD-3,Thủ tục,A1,{},{},,in_progress,,,,,,", day(-1), day(2)),
        format!(
            "OD-4,Thủ tục,A1,{},{},{},finished,,,,,,",
            day(-9),
            day(-4),
            day(-5)
        ),
    ]
    .join("\n");
    let (s, report) = import_csv(&app, w.token("hr_a"), csv.into_bytes(), "text/csv").await;
    assert_eq!((s, report["created"].as_i64()), (200, Some(4)), "{report}");
    let (s, list) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/dossiers/overdue?unit_id={}", w.a.id),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    let codes: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["OD-1"], "OD-2 waits for the citizen: {list}");
    let (_, soon) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/dossiers/overdue?unit_id={}&within_days=3", w.a.id),
        )
        .await;
    assert_eq!(soon["items"].as_array().unwrap().len(), 2);
    let (s, _) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/dossiers/overdue?unit_id={}", w.b.id),
        )
        .await;
    assert_eq!(s, 404);
    let period = format!(
        "from={}&to={}",
        (now - chrono::Duration::days(30)).date(),
        now.date()
    );
    let (_, resolved) = app
        .get(
            w.token("root"),
            &format!("/api/v1/stats/dossiers?unit_id={}&{period}", w.a1.id),
        )
        .await;
    assert_eq!(
        (
            resolved["handled"].as_i64(),
            resolved["late_ratio"].as_f64()
        ),
        (Some(1), Some(0.0)),
        "{resolved}"
    );
    let (_, with_overdue) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/stats/dossiers?unit_id={}&{period}&formula=with_overdue",
                w.a1.id
            ),
        )
        .await;
    assert_eq!(
        (
            with_overdue["handled"].as_i64(),
            with_overdue["late_ratio"].as_f64()
        ),
        (Some(2), Some(50.0)),
        "{with_overdue}"
    );
    // The overdue step is in the register already.
    let (_, register) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/violations?staff_id={}&code=overdue_task",
                w.member_a1.id
            ),
        )
        .await;
    assert_eq!(register["total"], 1, "{register}");
}

async fn dossier_reads_are_scoped(b: Backend) {
    let Some((app, w)) = imported(b).await else {
        return;
    };
    let (s, _) = stats(
        &app,
        w.token("head_a"),
        &format!("staff_id={}", w.member_b.id),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = stats(&app, w.token("head_a"), &format!("unit_id={}", w.b.id)).await;
    assert_eq!(s, 404);
    let (s, own) = stats(
        &app,
        w.token("staff_a1"),
        &format!("staff_id={}", w.member_a1.id),
    )
    .await;
    assert_eq!(
        (s, own["late"].as_i64()),
        (200, Some(1)),
        "staff see their own ratio"
    );
    let (s, _) = stats(&app, w.token("staff_a1"), &format!("unit_id={}", w.a1.id)).await;
    assert_eq!(s, 404, "but not their unit's");
    let (s, _) = app
        .get(
            w.token("staff_a1"),
            &format!(
                "/api/v1/dossiers?unit_id={}&from=2026-03-01&to=2026-03-31",
                w.a.id
            ),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = stats(&app, w.token("root"), "from=2026-03-01&to=2026-03-31").await;
    assert_eq!(s, 422);
}

async fn satisfaction_index_from_answers_and_scores(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let answers = [
        json!({"satisfied": true}),
        json!({"satisfied": false}),
        json!({"score": 5}),
        json!({"score": 4}),
    ];
    for (i, a) in answers.iter().enumerate() {
        let mut body = json!({"unit_id": w.a1.id, "submitted_at": format!("2026-03-0{}T10:00:00+07:00", i + 1), "staff_id": w.member_a1.id});
        body.as_object_mut()
            .unwrap()
            .extend(a.as_object().unwrap().clone());
        let (s, created) = app.post(w.token("head_a"), "/api/v1/surveys", body).await;
        assert_eq!(s, 201, "{created}");
    }
    let csv = "unit_code,submitted_at,satisfied,score,comment\nA1,20260310090000,,3,Chờ lâu\nA1,20260311090000,có,,Cán bộ nhiệt tình\nB,20260311090000,có,,\nA1,20260312090000,maybe,,\n";
    let res = app
        .client
        .post(app.url("/api/v1/surveys/import"))
        .bearer_auth(w.token("head_a"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let (s, report) = crate::helpers::read(res).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["created"], 2);
    let lines: Vec<i64> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, vec![4, 5], "{report}");
    let (s, index) = app
        .get(
            w.token("head_a"),
            &format!(
                "/api/v1/stats/satisfaction?unit_id={}&from=2026-03-01&to=2026-03-31",
                w.a.id
            ),
        )
        .await;
    assert_eq!(s, 200, "{index}");
    // Satisfied: yes, 5, 4, có; not: no, 3. 4 of 6.
    assert_eq!(
        (
            index["responses"].as_i64(),
            index["satisfied"].as_i64(),
            index["index"].as_f64()
        ),
        (Some(6), Some(4), Some(66.67))
    );
    let (_, person) = app
        .get(
            w.token("head_a"),
            &format!(
                "/api/v1/stats/satisfaction?staff_id={}&from=2026-03-01&to=2026-03-31",
                w.member_a1.id
            ),
        )
        .await;
    assert_eq!(person["index"], 75.0);
    let (_, none) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/stats/satisfaction?unit_id={}&from=2026-03-01&to=2026-03-31",
                w.b.id
            ),
        )
        .await;
    assert!(none["index"].is_null(), "no answers: no index");
    let (s, _) = app
        .post(
            w.token("head_a"),
            "/api/v1/surveys",
            json!({"unit_id": w.a1.id, "submitted_at": "2026-03-01T10:00:00+07:00"}),
        )
        .await;
    assert_eq!(s, 422, "an answer is needed");
    let (s, _) = app
        .post(w.token("staff_a1"), "/api/v1/surveys", json!({"unit_id": w.a1.id, "submitted_at": "2026-03-01T10:00:00+07:00", "satisfied": true}))
        .await;
    assert_eq!(s, 403, "staff do not rate themselves");
    let (s, _) = app
        .post(w.token("root"), "/api/v1/users", json!({"username": "kiosk.a1", "password": "mat-khau-kiosk", "roles": [{"role": "device", "unit_id": w.a1.id}]}))
        .await;
    assert_eq!(s, 201);
    let kiosk = app.token("kiosk.a1", "mat-khau-kiosk").await;
    let (s, body) = app
        .post(
            &kiosk,
            "/api/v1/surveys",
            json!({"unit_id": w.a1.id, "submitted_at": "2026-03-01T10:00:00+07:00", "score": 5}),
        )
        .await;
    assert_eq!(s, 201, "a kiosk records answers for its unit: {body}");
    let (s, _) = app
        .post(
            &kiosk,
            "/api/v1/surveys",
            json!({"unit_id": w.b.id, "submitted_at": "2026-03-01T10:00:00+07:00", "score": 5}),
        )
        .await;
    assert_eq!(s, 422, "but not elsewhere");
}

async fn a_province_can_have_its_own_convention(b: Backend) {
    use congvu::domain::dossiers::LateRatioFormula;
    let Some((app, w)) = imported_with(b, |s| {
        s.dossiers
            .late_ratio_formula_by_province
            .insert("P".into(), LateRatioFormula::WithOverdue);
    })
    .await
    else {
        return;
    };
    let (_, unit) = stats(&app, w.token("root"), &format!("unit_id={}", w.a.id)).await;
    assert_eq!(unit["formula"], "with_overdue", "{unit}");
    let (_, chosen) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/stats/dossiers?unit_id={}&from=2026-03-01&to=2026-03-31&formula=resolved",
                w.a.id
            ),
        )
        .await;
    assert_eq!(chosen["formula"], "resolved", "the query wins");
}

/// A file cannot blame an officer beyond its importer's reach, as the feed cannot: an HR
/// officer of A naming B's officer on a late step is refused, with the answer an unknown
/// code gets, and nothing counts against B. The province's administrator may.
async fn a_file_cannot_blame_an_officer_beyond_reach(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let late = |code: &str, staff: &str| {
        format!(
            "{code},Thủ tục,A,20260302080000,20260306170000,20260309100000,finished,1,{staff},20260302080000,20260305170000,20260309100000"
        )
    };
    let csv = [HEADER, &late("HS-B", "S-B"), &late("HS-X", "NO-SUCH-CODE")].join("\n");
    let (s, report) = import_csv(&app, w.token("hr_a"), csv.clone().into_bytes(), "text/csv").await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["created"], 0, "{report}");
    let errors: Vec<&Value> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["errors"]["step_staff_code"])
        .collect();
    assert_eq!(errors.len(), 2, "{report}");
    assert_eq!(
        errors[0], errors[1],
        "beyond reach reads as unknown: {report}"
    );
    assert_eq!(app.count("dossier_steps"), 0);
    let (_, register) = app
        .get(
            w.token("root"),
            &format!("/api/v1/violations?staff_id={}", w.member_b.id),
        )
        .await;
    assert_eq!(register["total"], 0, "{register}");

    let (_, report) = import_csv(&app, w.token("admin_p"), csv.into_bytes(), "text/csv").await;
    assert_eq!(report["created"], 1, "{report}");
    let (_, register) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/violations?staff_id={}&code=overdue_task",
                w.member_b.id
            ),
        )
        .await;
    assert_eq!(register["total"], 1, "{register}");
}

both!(
    a_file_cannot_blame_an_officer_beyond_reach,
    a_province_can_have_its_own_convention,
    lateness_is_attributed_to_the_step_that_caused_it,
    reimport_is_idempotent_and_keeps_history,
    bad_lines_are_reported_and_good_ones_kept,
    files_in_windows_1258_and_utf16_keep_vietnamese,
    overdue_lists_pause_for_supplements_and_formulas_differ,
    dossier_reads_are_scoped,
    satisfaction_index_from_answers_and_scores,
);
