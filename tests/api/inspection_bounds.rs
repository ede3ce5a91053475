//! What a visit may record: people in service on the day observed, within the visit;
//! and an upheld finding withdrawn on review.

use chrono::{Duration, FixedOffset, Utc};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp};

/// `now + minutes` in Vietnam's time, as RFC 3339.
fn vn(minutes: i64) -> String {
    let vn = FixedOffset::east_opt(7 * 3600).unwrap();
    (Utc::now() + Duration::minutes(minutes))
        .with_timezone(&vn)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

async fn inspection(app: &TestApp, token: &str, unit: i64, started_at: &str) -> i64 {
    let (s, insp) = app
        .post(
            token,
            "/api/v1/inspections",
            json!({"unit_id": unit, "kind": "surprise", "started_at": started_at}),
        )
        .await;
    assert_eq!(s, 201, "{insp}");
    insp["id"].as_i64().unwrap()
}

async fn finding(app: &TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    app.post(token, &format!("/api/v1/inspections/{id}/findings"), body)
        .await
}

/// Someone who left before the day observed, or joined after it, was not there to be
/// seen, nor served a citizen: the finding and the survey answer are refused as about an
/// unknown person, and nothing is stored.
async fn a_person_out_of_service_is_not_found_nor_rated_by_citizens(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let inspector = w.token("inspector_p");
    let id = inspection(&app, inspector, w.a.id, &vn(-60)).await;
    let today = crate::attendance::today();
    let person = format!("/api/v1/staff/{}", w.member_a1.id);
    for change in [
        json!({"left_on": (today - Duration::days(10)).to_string()}),
        json!({"left_on": null, "joined_on": (today + Duration::days(10)).to_string()}),
    ] {
        let (s, p) = app.patch(w.token("root"), &person, change.clone()).await;
        assert_eq!(s, 200, "{p}");
        let (s, problem) = finding(
            &app,
            inspector,
            id,
            json!({"violation_code": "no_badge", "observed_at": vn(-30),
                   "description": "Không đeo thẻ", "staff_id": w.member_a1.id}),
        )
        .await;
        assert_eq!(s, 422, "{change}: {problem}");
        assert!(problem["errors"]["staff_id"].is_array(), "{problem}");
        let (s, problem) = app
            .post(
                w.token("hr_a"),
                "/api/v1/surveys",
                json!({"unit_id": w.a1.id, "submitted_at": vn(-30), "satisfied": false,
                       "staff_id": w.member_a1.id}),
            )
            .await;
        assert_eq!(s, 422, "{change}: {problem}");
        assert!(problem["errors"]["staff_id"].is_array(), "{problem}");
    }
    assert_eq!(app.count("findings"), 0);
    assert_eq!(app.count("surveys"), 0);
    // In service again, the same requests are taken.
    let (s, _) = app
        .patch(w.token("root"), &person, json!({"joined_on": null}))
        .await;
    assert_eq!(s, 200);
    let (s, f) = finding(
        &app,
        inspector,
        id,
        json!({"violation_code": "no_badge", "observed_at": vn(-30),
               "description": "Không đeo thẻ", "staff_id": w.member_a1.id}),
    )
    .await;
    assert_eq!(s, 201, "{f}");
}

/// A finding lies within its visit: not after the visit's end (5 minutes' skew allowed).
async fn a_finding_lies_within_its_visit(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let inspector = w.token("inspector_p");
    let (s, ended) = app
        .post(
            inspector,
            "/api/v1/inspections",
            json!({"unit_id": w.a.id, "kind": "surprise", "started_at": vn(-180), "ended_at": vn(-60)}),
        )
        .await;
    assert_eq!(s, 201, "{ended}");
    let id = ended["id"].as_i64().unwrap();
    let seen = |at: String| json!({"violation_code": "no_badge", "observed_at": at, "description": "Không đeo thẻ"});
    let (s, problem) = finding(&app, inspector, id, seen(vn(-30))).await;
    assert_eq!(s, 422, "{problem}");
    assert!(problem["errors"]["observed_at"].is_array(), "{problem}");
    assert_eq!(app.count("findings"), 0);
    let (s, f) = finding(&app, inspector, id, seen(vn(-58))).await;
    assert_eq!(s, 201, "within the skew: {f}");
}

/// member_a1's finding of `code`, explained and upheld by the team: its id.
async fn upheld(app: &TestApp, w: &crate::helpers::World, inspection: i64, code: &str) -> i64 {
    let inspector = w.token("inspector_p");
    let (s, f) = finding(
        app,
        inspector,
        inspection,
        json!({"violation_code": code, "observed_at": vn(-30), "description": "Vi phạm",
               "staff_id": w.member_a1.id}),
    )
    .await;
    assert_eq!(s, 201, "{f}");
    let id = f["id"].as_i64().unwrap();
    crate::notice_fixes::explained_and_upheld(app, w, id).await;
    id
}

async fn in_register(app: &TestApp, w: &crate::helpers::World, code: &str) -> usize {
    let (s, body) = app
        .get(
            w.token("root"),
            &format!("/api/v1/violations?staff_id={}&code={code}", w.member_a1.id),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    body["items"].as_array().unwrap().len()
}

/// An upheld finding is withdrawn on review by the team or an administrator over the unit,
/// with a reason, never by the person it names nor by HR: it leaves the register, and
/// says when and why. A dismissed or withdrawn one is not withdrawn.
async fn an_upheld_finding_is_withdrawn_on_review(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let inspector = w.token("inspector_p");
    let id = inspection(&app, inspector, w.a.id, &vn(-60)).await;
    let first = upheld(&app, &w, id, "no_badge").await;
    let second = upheld(&app, &w, id, "smoking").await;
    assert_eq!(in_register(&app, &w, "no_badge").await, 1);
    let withdraw = |f: i64| format!("/api/v1/findings/{f}/withdraw");
    let reason = json!({"reason": "Khiếu nại được giải quyết: nhầm người"});
    let (s, body) = app
        .post(inspector, &withdraw(first), json!({"reason": " "}))
        .await;
    assert_eq!(s, 422, "{body}");
    for who in ["hr_a", "head_a"] {
        let (s, body) = app
            .post(w.token(who), &withdraw(first), reason.clone())
            .await;
        assert_eq!(s, 403, "{who}: {body}");
    }
    let (s, body) = app
        .post(w.token("staff_a1"), &withdraw(first), reason.clone())
        .await;
    assert!(s == 403 || s == 404, "{body}");
    assert_eq!(
        in_register(&app, &w, "no_badge").await,
        1,
        "nothing changed"
    );
    let (s, body) = app.post(inspector, &withdraw(first), reason.clone()).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        (&body["status"], &body["outcome"]),
        (&json!("withdrawn"), &json!("withdrawn"))
    );
    assert_eq!(body["withdrawn_reason"], reason["reason"], "{body}");
    assert!(body["withdrawn_at"].is_string(), "{body}");
    assert_eq!(in_register(&app, &w, "no_badge").await, 0);
    let (s, body) = app.post(inspector, &withdraw(first), reason.clone()).await;
    assert_eq!(s, 409, "once: {body}");
    // An administrator of the inspected unit itself does not undo the inspectors'
    // conclusions about it; one above it does, off the team. Not while a disciplinary
    // decision rests on the finding.
    let (s, body) = app
        .post(w.token("admin_a"), &withdraw(second), reason.clone())
        .await;
    assert_eq!(s, 403, "{body}");
    let today = crate::attendance::today().to_string();
    let (s, decision) = app
        .post(
            w.token("hr_a"),
            "/api/v1/discipline",
            json!({"staff_id": w.member_a1.id, "form": "khien_trach", "decision_no": "09/QĐ",
                   "decided_on": today, "effective_from": today, "reason": "Hút thuốc",
                   "finding_ids": [second]}),
        )
        .await;
    assert_eq!(s, 201, "{decision}");
    let (s, body) = app
        .post(w.token("admin_p"), &withdraw(second), reason.clone())
        .await;
    assert_eq!(s, 409, "{body}");
    assert_eq!(in_register(&app, &w, "smoking").await, 1);
    let third = upheld(&app, &w, id, "dress").await;
    let (s, body) = app
        .post(w.token("admin_p"), &withdraw(third), reason.clone())
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(in_register(&app, &w, "dress").await, 0);
    // Nothing is added to a withdrawn finding.
    let res = app
        .client
        .post(app.url(&format!("/api/v1/findings/{third}/evidence")))
        .bearer_auth(inspector)
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 x".to_vec()).file_name("a.pdf"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 409);
    // A dismissed finding has nothing to withdraw.
    let (s, f) = finding(
        &app,
        inspector,
        id,
        json!({"violation_code": "no_badge", "observed_at": vn(-30), "description": "Không đeo thẻ"}),
    )
    .await;
    assert_eq!(s, 201, "{f}");
    let (s, body) = app
        .post(
            inspector,
            &format!("/api/v1/findings/{}/decision", f["id"]),
            json!({"outcome": "dismissed"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = app
        .post(
            inspector,
            &withdraw(f["id"].as_i64().unwrap()),
            reason.clone(),
        )
        .await;
    assert_eq!(s, 409, "{body}");
    let (_, trail) = app
        .get(
            w.token("root"),
            &format!("/api/v1/audit?entity=finding&entity_id={first}"),
        )
        .await;
    assert!(
        trail["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "withdraw"),
        "{trail}"
    );
}

/// Another team's inspector reads the register, not what the team wrote of its finding;
/// the team, the unit's line and the person do.
async fn another_teams_inspector_reads_no_findings_description(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let id = inspection(&app, w.token("inspector_p"), w.a.id, &vn(-60)).await;
    upheld(&app, &w, id, "no_badge").await;
    let (s, _) = app
        .post(
            w.token("root"),
            "/api/v1/users",
            json!({"username": "tt.khac", "password": "mat-khau-thanh-tra",
                   "roles": [{"role": "inspector", "unit_id": w.p.id}]}),
        )
        .await;
    assert_eq!(s, 201);
    let other = app.token("tt.khac", "mat-khau-thanh-tra").await;
    let path = format!(
        "/api/v1/violations?staff_id={}&code=no_badge",
        w.member_a1.id
    );
    for (token, shown) in [
        (other.as_str(), false),
        (w.token("inspector_p"), true),
        (w.token("head_a"), true),
        (w.token("staff_a1"), true),
    ] {
        let (s, body) = app.get(token, &path).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["total"], 1, "{body}");
        assert_eq!(body["items"][0]["detail"].is_string(), shown, "{body}");
    }
}

both!(
    another_teams_inspector_reads_no_findings_description,
    an_upheld_finding_is_withdrawn_on_review,
    a_person_out_of_service_is_not_found_nor_rated_by_citizens,
    a_finding_lies_within_its_visit,
);
