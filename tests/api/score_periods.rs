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
    let person = app
        .new_staff(
            w.token("root"),
            json!({"code": "S-A1-Q3", "full_name": "Lý Thị Thu", "unit_id": w.a1.id,
                   "category": "cong_chuc", "joined_on": "2026-07-01"}),
        )
        .await;
    let score = |period: &str| {
        json!({"staff_id": person, "period": period, "general": 27.0,
               "tasks": [{"name": "Tham mưu văn bản", "done": true}]})
    };
    let next_year = format!(
        "{}-Q1",
        chrono::Datelike::year(&crate::attendance::today()) + 1
    );
    for period in ["2026-Q2", next_year.as_str()] {
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
            &format!("/api/v1/scores?staff_id={}&year=2026", person),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["total"], 1, "{list}");
}

/// A leaving date recorded after the scores were entered takes the quarters after it out
/// of the year's score (before, the third quarter still counted in the average).
async fn scores_after_a_late_recorded_departure_do_not_count(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let person = app
        .new_staff(
            root,
            json!({"code": "S-A1-DI", "full_name": "Mai Văn Đi", "unit_id": w.a1.id,
                   "category": "cong_chuc", "joined_on": "2026-01-01"}),
        )
        .await;
    for (period, general) in [("2026-Q1", 30.0), ("2026-Q3", 10.0)] {
        let (s, body) = app
            .post(
                w.token("head_a"),
                "/api/v1/scores",
                json!({"staff_id": person, "period": period, "general": general,
                       "tasks": [{"name": "Tham mưu văn bản", "done": true}]}),
            )
            .await;
        assert_eq!(s, 200, "{body}");
    }
    let (s, body) = app
        .patch(
            root,
            &format!("/api/v1/staff/{}", person),
            json!({"left_on": "2026-06-30"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, run) = app
        .post(
            root,
            "/api/v1/evaluations/runs",
            json!({"period": "2026", "unit_id": w.a1.id}),
        )
        .await;
    assert_eq!(s, 201, "{run}");
    let item = run["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["staff_id"] == person).cloned())
        .unwrap_or_else(|| panic!("not rated: {run}"));
    assert_eq!(item["metrics"]["score_periods"], 1.0, "{item}");
    assert_eq!(item["metrics"]["score"], 100.0, "Q1 alone: {item}");
}

both!(
    a_score_outside_service_or_ahead_is_refused,
    scores_after_a_late_recorded_departure_do_not_count,
);
