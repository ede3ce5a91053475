//! U+0000 in text, which PostgreSQL cannot store and SQLite would: refused where it comes
//! in, on both databases alike, as a 422 at the field, or as the one row's rejection in
//! bodies of rows, with nothing written (check-ins: `checkin_rules`). Likewise dates of
//! years PostgreSQL does not hold (before 4713 BC), which chrono reads.

use serde_json::{Value, json};

use crate::both;
use crate::dossiers::{HEADER, import_csv};
use crate::helpers::{Backend, TestApp};
use crate::survey_fixes::{CSV_HEADER, at, rejected_lines};

fn lines(report: &Value, key: &str) -> Vec<i64> {
    report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[key].as_i64().unwrap())
        .collect()
}

/// A plain body names the field and writes nothing; the text `\u0000` (a backslash and
/// five characters) is not a NUL and is kept as sent.
async fn a_body_with_nul_is_refused_at_the_field(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let before = app.count("violation_types");
    let (s, body) = app
        .post(
            root,
            "/api/v1/violation-types",
            json!({"code": "nul_test", "label_vi": "Vi\u{0}phạm"}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["label_vi"].is_array(), "{body}");
    assert_eq!(app.count("violation_types"), before, "nothing written");
    let (s, body) = app
        .post(
            root,
            "/api/v1/violation-types",
            json!({"code": "nul_test", "label_vi": "Vi\\u0000phạm"}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["label_vi"], "Vi\\u0000phạm", "{body}");
}

/// A query parameter with `%00` is the parameter's 422, not the database's 500.
async fn a_query_with_nul_is_refused_at_the_parameter(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (s, body) = app
        .get(w.token("root"), "/api/v1/violations?code=late%00")
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["code"].is_array(), "{body}");
    let (s, body) = app
        .get(w.token("root"), "/api/v1/violations?code=late")
        .await;
    assert_eq!(s, 200, "{body}");
}

/// Imports (JSON and CSV): the line with a NUL is rejected naming its column, the others
/// are kept, as with any other bad line.
async fn an_import_line_with_nul_is_rejected_alone(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let (s, report) = app
        .post(
            hr,
            "/api/v1/dossiers/import",
            json!({"dossiers": [
                {"code": "N-1", "procedure": "Thủ tục", "unit_code": "A", "received_at": "2026-03-02T08:00:00", "status": "received"},
                {"code": "N-2", "procedure": "Thủ\u{0}tục", "unit_code": "A", "received_at": "2026-03-02T08:00:00", "status": "received"}
            ]}),
        )
        .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(lines(&report, "line"), vec![2], "{report}");
    assert!(
        report["rejected"][0]["errors"]["procedure"].is_array(),
        "{report}"
    );
    let csv = format!(
        "{HEADER}\nN-3,Thủ tục,A,20260302080000,,,received,,,,,\nN-4,Thủ tục,A\0,20260302080000,,,received,,,,,\n"
    );
    let (s, report) = import_csv(&app, hr, csv.into_bytes(), "text/csv").await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(lines(&report, "line"), vec![3], "{report}");
    assert!(
        report["rejected"][0]["errors"]["unit_code"].is_array(),
        "{report}"
    );
    assert_eq!(app.count("dossiers"), 2);

    let (_, when) = at(-60);
    let csv = format!("{CSV_HEADER}\nA1,{when},có,,,Tốt\nA1,{when},có,,,Tốt\0\n");
    let report = crate::survey_fixes::import(&app, hr, &csv).await;
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(rejected_lines(&report), vec![3], "{report}");
}

/// Bodies of rows reported one by one: the score or the feed's dossier with a NUL is
/// rejected at its path, the others are kept.
async fn a_row_with_nul_is_rejected_alone(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let score = |period: &str, task: &str| {
        json!({"staff_id": w.member_a1.id, "period": period, "general": 25.0,
            "tasks": [{"name": task, "done": true}]})
    };
    let (s, batch) = app
        .post(
            hr,
            "/api/v1/scores/batch",
            json!({"scores": [score("2026-Q1", "Báo cáo"), score("2026-Q2", "Báo\u{0}cáo")]}),
        )
        .await;
    assert_eq!(s, 200, "{batch}");
    assert_eq!(batch["saved"], 1, "{batch}");
    assert_eq!(lines(&batch, "index"), vec![1], "{batch}");
    assert!(
        batch["rejected"][0]["errors"]["tasks[0].name"].is_array(),
        "{batch}"
    );

    let dossier = |code: &str, name: &str| {
        json!({"MaHoSo": code, "TenTTHC": name, "DonViXuLy": "A",
            "NgayTiepNhan": "20260317080000", "NgayHenTra": "20260320", "TrangThaiHoSo": "4",
            "QuaTrinhXuLy": [{"NguoiXuLy": "Trần Văn Hùng", "NoiDungXuLy": "Tiếp nhận hồ sơ",
                "ThoiDiemXuLy": "20260317090000"}]})
    };
    let (s, report) = app
        .post(
            hr,
            "/api/v1/onestop/dossiers",
            json!([dossier("HS-N1", "Đăng ký"), dossier("HS-N2", "Đăng\u{0}ký")]),
        )
        .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(lines(&report, "index"), vec![2], "{report}");
    assert_eq!(report["rejected"][0]["code"], "HS-N2", "{report}");
    assert!(
        report["rejected"][0]["errors"]["TenTTHC"].is_array(),
        "{report}"
    );
    let entry = json!([{"MaHoSo": "HS-N1", "NguoiXuLy": "Trần\u{0}Văn Hùng",
        "NoiDungXuLy": "Thẩm định", "ThoiDiemXuLy": "20260318090000"}]);
    let (s, report) = app.post(hr, "/api/v1/onestop/progress", entry).await;
    assert_eq!(s, 200, "{report}");
    assert!(
        report["rejected"][0]["errors"]["NguoiXuLy"].is_array(),
        "{report}"
    );
}

/// `-5000-01-01` is a date chrono reads and PostgreSQL refuses: a 500 there, stored on
/// SQLite. Every date a body brings is held to 1900-2200 (go-live: from 1990), a 422 at
/// its field on both databases, and nothing is written.
async fn a_date_neither_database_holds_alike_is_refused_at_the_field(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let far = "-5000-01-01";
    let cases: Vec<(&str, String, Value, &str)> = vec![
        (
            "PATCH",
            format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"joined_on": far}),
            "joined_on",
        ),
        (
            "PATCH",
            format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"left_on": "2201-01-01"}),
            "left_on",
        ),
        (
            "PATCH",
            format!("/api/v1/units/{}", w.p.id),
            json!({"attendance_from": far}),
            "attendance_from",
        ),
        (
            "POST",
            "/api/v1/leaves".into(),
            json!({"staff_id": w.member_a1.id, "from": far, "to": far, "kind": "annual"}),
            "from",
        ),
        (
            "POST",
            "/api/v1/schedules".into(),
            json!({"unit_id": w.a.id, "valid_from": far, "weekdays": [1],
            "sessions": [{"start": "07:30", "end": "11:30"}], "grace_minutes": 5}),
            "valid_from",
        ),
        (
            "POST",
            "/api/v1/discipline".into(),
            json!({"staff_id": w.member_a1.id, "form": "khien_trach",
            "decision_no": "9/QĐ", "decided_on": far, "effective_from": "2026-01-05", "reason": "Thử"}),
            "decided_on",
        ),
    ];
    let mut cases = cases;
    cases.push((
        "POST",
        "/api/v1/calendar".into(),
        json!({"date": far, "kind": "holiday", "name": "Xa"}),
        "date",
    ));
    cases.push((
        "POST",
        "/api/v1/calendar".into(),
        json!({"days": [{"date": far, "kind": "holiday", "name": "Xa"}]}),
        "days[0].date",
    ));
    let rows = app.count("audit_log");
    for (method, path, body, field) in cases {
        let (s, v) = match method {
            "PATCH" => app.patch(root, &path, body).await,
            _ => app.post(root, &path, body).await,
        };
        assert_eq!(s, 422, "{method} {path}: {v}");
        assert!(v["errors"][field].is_array(), "{method} {path}: {v}");
    }
    assert_eq!(app.count("audit_log"), rows, "nothing written");
    let (s, v) = app
        .get(
            root,
            &format!("/api/v1/violations?staff_id={}&from={far}", w.member_a1.id),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["errors"]["from"].is_array(), "{v}");
}

both!(
    a_date_neither_database_holds_alike_is_refused_at_the_field,
    a_body_with_nul_is_refused_at_the_field,
    a_query_with_nul_is_refused_at_the_parameter,
    an_import_line_with_nul_is_rejected_alone,
    a_row_with_nul_is_rejected_alone,
);
