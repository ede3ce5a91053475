//! Requests sent at the same moment: leave, period scores, reform decisions.

use serde_json::json;

use crate::attendance::past_day;
use crate::both;
use crate::helpers::{Backend, TestApp};

/// A double submit, or the person's head entering the same day as they do: one leave is
/// stored and the others are told it overlaps, on PostgreSQL as on SQLite.
async fn leaves_sent_at_once_for_one_day_store_one(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let day = past_day(3).to_string();
    let body = json!({"staff_id": w.member_a1.id, "from": day, "to": day, "kind": "annual"});
    let mut set = tokio::task::JoinSet::new();
    for i in 0..8 {
        let who = if i % 2 == 0 { "head_a" } else { "hr_a" };
        let request = app
            .client
            .post(app.url("/api/v1/leaves"))
            .bearer_auth(w.token(who))
            .json(&body);
        set.spawn(async move { request.send().await.map(|r| r.status().as_u16()) });
    }
    let mut statuses = Vec::new();
    while let Some(done) = set.join_next().await {
        statuses.push(done.expect("join").expect("request"));
    }
    statuses.sort_unstable();
    assert_eq!(statuses, vec![201, 409, 409, 409, 409, 409, 409, 409]);
    let (_, list) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/leaves?staff_id={}", w.member_a1.id),
        )
        .await;
    assert_eq!(list["total"], 1, "{list}");
}

both!(leaves_sent_at_once_for_one_day_store_one);

/// A month and its quarter scored at the same moment: a year is scored by months or by
/// quarters, so one is stored and the other refused, on PostgreSQL as on SQLite.
async fn a_month_and_its_quarter_sent_at_once_store_one(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let mut set = tokio::task::JoinSet::new();
    for i in 0..8 {
        let period = if i % 2 == 0 { "2026-03" } else { "2026-Q1" };
        let body = json!({"staff_id": w.member_a1.id, "period": period, "general": 28.0,
                          "tasks": [{"name": "Tham mưu văn bản", "done": true}]});
        let request = app
            .client
            .post(app.url("/api/v1/scores"))
            .bearer_auth(w.token("head_a"))
            .json(&body);
        set.spawn(async move { request.send().await.map(|r| r.status().as_u16()) });
    }
    let mut statuses = Vec::new();
    while let Some(done) = set.join_next().await {
        statuses.push(done.expect("join").expect("request"));
    }
    let (_, scores) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/scores?staff_id={}&year=2026", w.member_a1.id),
        )
        .await;
    assert_eq!(scores["total"], 1, "{statuses:?} {scores}");
}

/// Two decisions on one unit's reform year at once, each on another field: both stay.
async fn two_reform_decisions_at_once_both_stay(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let path = format!("/api/v1/units/{}/reform/2025", w.a.id);
    let mut set = tokio::task::JoinSet::new();
    for body in [
        json!({"ranking": "fair", "reason": "Theo kết quả chấm điểm"}),
        json!({"party_rating": "excellent"}),
    ] {
        let request = app
            .client
            .put(app.url(&path))
            .bearer_auth(w.token("hr_a"))
            .json(&body);
        set.spawn(async move { request.send().await.map(|r| r.status().as_u16()) });
    }
    while let Some(done) = set.join_next().await {
        assert_eq!(done.expect("join").expect("request"), 200);
    }
    let (_, reform) = app
        .get(
            w.token("hr_a"),
            &format!("/api/v1/units/{}/reform?year=2025", w.a.id),
        )
        .await;
    assert_eq!(
        (&reform["ranking"], &reform["party_rating"]),
        (&json!("fair"), &json!("excellent")),
        "{reform}"
    );
    // Each code with its label (API.md).
    assert_eq!(
        (&reform["ranking_label"], &reform["party_rating_label"]),
        (&json!("Khá"), &json!("Hoàn thành xuất sắc nhiệm vụ")),
        "{reform}"
    );
    assert!(reform["max_ranking_label"].is_string(), "{reform}");
}

both!(
    a_month_and_its_quarter_sent_at_once_store_one,
    two_reform_decisions_at_once_both_stay
);
