//! Leave requests sent at the same moment.

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
