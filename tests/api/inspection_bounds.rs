//! What a visit may record: people in service on the day observed.

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

both!(a_person_out_of_service_is_not_found_nor_rated_by_citizens,);
