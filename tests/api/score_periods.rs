//! Period scores are for periods the person served in, once begun.

use serde_json::json;

use crate::both;
use crate::helpers::{Backend, TestApp};

/// A person who joined on 1 July 2026 has no second quarter to be scored for (before, a
/// score of it was stored and counted in the year's average); their third quarter is
/// scored, and next year's first is refused as not begun.
async fn a_score_outside_service_or_ahead_is_refused(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (s, person) = app
        .post(
            w.token("root"),
            "/api/v1/staff",
            json!({"code": "S-A1-Q3", "full_name": "Lý Thị Thu", "unit_id": w.a1.id,
                   "category": "cong_chuc", "joined_on": "2026-07-01"}),
        )
        .await;
    assert_eq!(s, 201, "{person}");
    let score = |period: &str| {
        json!({"staff_id": person["id"], "period": period, "general": 27.0,
               "tasks": [{"name": "Tham mưu văn bản", "done": true}]})
    };
    for period in ["2026-Q2", "2027-Q1"] {
        let (s, body) = app
            .post(w.token("head_a"), "/api/v1/scores", score(period))
            .await;
        assert_eq!(s, 422, "{period}: {body}");
        assert!(body["errors"]["period"].is_array(), "{body}");
    }
    let (s, body) = app
        .post(w.token("head_a"), "/api/v1/scores", score("2026-Q3"))
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, list) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/scores?staff_id={}&year=2026", person["id"]),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["total"], 1, "{list}");
}

both!(a_score_outside_service_or_ahead_is_refused);
