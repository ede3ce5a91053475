//! Survey answers: the officer an answer names must be within the submitter's reach and
//! the answer's unit, and an answer may not be dated ahead of the server's clock.

use chrono::{Duration, FixedOffset, Utc};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp, World};

pub(crate) const CSV_HEADER: &str = "unit_code,submitted_at,satisfied,score,staff_code,comment";

/// `now + minutes` in Vietnam's time, as RFC 3339 (the JSON) and as the one-stop
/// systems' `yyyyMMddHHmmss` local time (the CSV).
pub(crate) fn at(minutes: i64) -> (String, String) {
    let vn = FixedOffset::east_opt(7 * 3600).unwrap();
    let t = (Utc::now() + Duration::minutes(minutes)).with_timezone(&vn);
    (
        t.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        t.format("%Y%m%d%H%M%S").to_string(),
    )
}

async fn answer(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    app.post(token, "/api/v1/surveys", body).await
}

pub(crate) async fn import(app: &TestApp, token: &str, csv: &str) -> Value {
    let res = app
        .client
        .post(app.url("/api/v1/surveys/import"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let (s, report) = crate::helpers::read(res).await;
    assert_eq!(s, 200, "{report}");
    report
}

pub(crate) fn rejected_lines(report: &Value) -> Vec<i64> {
    report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_i64().unwrap())
        .collect()
}

fn staff_error(problem: &Value) -> Value {
    problem["errors"]["staff_id"].clone()
}

async fn an_answer_names_only_an_officer_within_reach_and_unit(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (when, _) = at(-60);
    let body = |unit: i64, staff: i64| json!({"unit_id": unit, "submitted_at": when, "satisfied": true, "staff_id": staff});
    // member_b works in B, beyond the reach of A's head and hr: as unknown as an id that
    // does not exist.
    for who in ["head_a", "hr_a"] {
        let (s, problem) = answer(&app, w.token(who), body(w.a1.id, w.member_b.id)).await;
        assert_eq!(s, 422, "{who}: {problem}");
        assert_eq!(
            staff_error(&problem),
            json!(["no such staff member"]),
            "{who}: {problem}"
        );
        let (s, unknown) = answer(&app, w.token(who), body(w.a1.id, 999_999)).await;
        assert_eq!(s, 422, "{unknown}");
        assert_eq!(staff_error(&unknown), staff_error(&problem));
    }
    // Within reach, but not of the answer's unit: head_a works in A, above A1.
    let (s, problem) = answer(&app, w.token("hr_a"), body(w.a1.id, w.head_a.id)).await;
    assert_eq!(s, 422, "{problem}");
    assert_eq!(staff_error(&problem), json!(["no such staff member"]));
    // Even the administrator of everything cannot file an answer about B's officer
    // under A.
    let (s, problem) = answer(&app, w.token("root"), body(w.a.id, w.member_b.id)).await;
    assert_eq!(s, 422, "{problem}");
    assert_eq!(staff_error(&problem), json!(["no such staff member"]));
    assert_eq!(app.count("surveys"), 0, "nothing stored");

    // The officers of the unit and of the units below it can be named.
    let (s, created) = answer(&app, w.token("head_a"), body(w.a1.id, w.member_a1.id)).await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["staff_id"], w.member_a1.id);
    let (s, created) = answer(&app, w.token("hr_a"), body(w.a.id, w.member_a1.id)).await;
    assert_eq!(s, 201, "{created}");
    let (s, created) = answer(&app, w.token("root"), body(w.b.id, w.member_b.id)).await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(app.count("surveys"), 3);
}

async fn an_import_line_naming_an_officer_beyond_reach_is_rejected(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (_, when) = at(-60);
    let csv = [
        CSV_HEADER.to_owned(),
        format!("A1,{when},có,,S-A1,"),
        format!("A1,{when},có,,S-B,Officer of B"),
        format!("A1,{when},,5,S-NOBODY,Unknown code"),
        format!("A1,{when},không,,S-HEAD-A,Above A1"),
        format!("A,{when},,4,S-A1,"),
    ]
    .join("\n");
    for who in ["head_a", "hr_a"] {
        let before = app.count("surveys");
        let report = import(&app, w.token(who), &csv).await;
        assert_eq!(report["created"], 2, "{who}: {report}");
        assert_eq!(rejected_lines(&report), vec![3, 4, 5], "{who}: {report}");
        let errors: Vec<Value> = report["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["errors"].clone())
            .collect();
        // An officer beyond reach reads exactly like a code nobody has.
        assert_eq!(errors[0], errors[1], "{who}: {report}");
        assert_eq!(errors[0], errors[2], "{who}: {report}");
        assert!(errors[0]["staff_code"].is_array(), "{who}: {report}");
        assert_eq!(app.count("surveys"), before + 2, "{who}");
    }
}

async fn an_answer_dated_ahead_of_the_clock_is_refused(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (tomorrow, _) = at(24 * 60);
    let (s, problem) = answer(
        &app,
        w.token("head_a"),
        json!({"unit_id": w.a1.id, "submitted_at": tomorrow, "satisfied": true}),
    )
    .await;
    assert_eq!(s, 422, "{problem}");
    assert!(problem["errors"]["submitted_at"].is_array(), "{problem}");
    let (soon, _) = at(30);
    let (s, problem) = answer(
        &app,
        w.token("head_a"),
        json!({"unit_id": w.a1.id, "submitted_at": soon, "score": 5}),
    )
    .await;
    assert_eq!(s, 422, "{problem}");
    assert!(problem["errors"]["submitted_at"].is_array(), "{problem}");
    assert_eq!(app.count("surveys"), 0, "nothing stored");

    // A kiosk a minute fast, and an answer of an hour ago, are fine.
    for minutes in [1, -60] {
        let (when, _) = at(minutes);
        let (s, created) = answer(
            &app,
            w.token("head_a"),
            json!({"unit_id": w.a1.id, "submitted_at": when, "score": 4, "staff_id": w.member_a1.id}),
        )
        .await;
        assert_eq!(s, 201, "{minutes}: {created}");
    }
    assert_eq!(app.count("surveys"), 2);
}

async fn an_import_line_dated_ahead_of_the_clock_is_rejected(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (_, past) = at(-60);
    let (_, fast) = at(1);
    let (_, future) = at(24 * 60);
    let csv = [
        CSV_HEADER.to_owned(),
        format!("A1,{past},có,,S-A1,"),
        format!("A1,{future},có,,,Tomorrow"),
        format!("A1,{fast},,5,,A minute fast"),
    ]
    .join("\n");
    let report = import(&app, w.token("hr_a"), &csv).await;
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(rejected_lines(&report), vec![3], "{report}");
    assert!(
        report["rejected"][0]["errors"]["submitted_at"].is_array(),
        "{report}"
    );
    assert_eq!(app.count("surveys"), 2);
    // The rejected answer did not reach tomorrow's index.
    let day = |w: &World| {
        format!(
            "/api/v1/stats/satisfaction?unit_id={}&from={}&to={}",
            w.a.id,
            Utc::now().date_naive() - Duration::days(2),
            Utc::now().date_naive() + Duration::days(3)
        )
    };
    let (s, index) = app.get(w.token("hr_a"), &day(&w)).await;
    assert_eq!(s, 200, "{index}");
    assert_eq!(index["responses"], 2, "{index}");
}

/// A head does not key in answers about themself, one by one or in a file: their own
/// index and their unit's would be theirs to raise. Hr may.
async fn nobody_enters_answers_about_themself(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (when, stamp) = at(-60);
    let about_head =
        json!({"unit_id": w.a.id, "submitted_at": when, "score": 5, "staff_id": w.head_a.id});
    let (s, problem) = answer(&app, w.token("head_a"), about_head.clone()).await;
    assert_eq!(s, 403, "{problem}");
    let csv = [
        CSV_HEADER.to_owned(),
        format!("A,{stamp},,5,S-HEAD-A,"),
        format!("A1,{stamp},,5,S-A1,"),
    ]
    .join("\n");
    let report = import(&app, w.token("head_a"), &csv).await;
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(rejected_lines(&report), vec![2], "{report}");
    let (s, created) = answer(&app, w.token("hr_a"), about_head).await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(app.count("surveys"), 2);
}

both!(
    nobody_enters_answers_about_themself,
    an_answer_names_only_an_officer_within_reach_and_unit,
    an_import_line_naming_an_officer_beyond_reach_is_rejected,
    an_answer_dated_ahead_of_the_clock_is_refused,
    an_import_line_dated_ahead_of_the_clock_is_rejected,
);
