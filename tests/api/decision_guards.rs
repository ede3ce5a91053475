//! Who decides what: nobody ranks the unit they head, a reader of a rating who may not
//! decide it is told so, a decision past the excellent quota says why, and a reform
//! decision is made of what was sent with it.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp};

async fn a_head_holding_hr_does_not_rank_their_own_unit(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    // A's head is also A's hr.
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/users/{}", w.user_ids["head_a"]),
            json!({"roles": [{"role": "unit_head", "unit_id": w.a.id},
                             {"role": "hr", "unit_id": w.a.id}]}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let reform = |unit: i64, year: i32| format!("/api/v1/units/{unit}/reform/{year}");
    let (s, problem) = app
        .put(
            w.token("head_a"),
            &reform(w.a.id, 2025),
            json!({"ranking": "good", "reason": "Tự đánh giá"}),
        )
        .await;
    assert_eq!(s, 403, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("they head"),
        "{problem}"
    );
    // A division under it is not theirs to be flagged for: they may rank it.
    let (s, view) = app
        .put(
            w.token("head_a"),
            &reform(w.a1.id, 2025),
            json!({"ranking": "good", "reason": "Theo kết quả kiểm tra"}),
        )
        .await;
    assert_eq!(s, 200, "{view}");
    let (s, view) = app
        .put(
            w.token("hr_a"),
            &reform(w.a.id, 2025),
            json!({"ranking": "good", "reason": "Theo kết quả kiểm tra"}),
        )
        .await;
    assert_eq!(s, 200, "{view}");
}

async fn a_reform_decision_is_what_was_sent_with_it(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let path = format!("/api/v1/units/{}/reform/2025", w.a1.id);
    for empty in [json!({}), json!({"reason": "  "})] {
        let (s, problem) = app.put(hr, &path, empty).await;
        assert_eq!(s, 422, "an empty decision writes nothing: {problem}");
    }
    assert_eq!(app.count("unit_reform"), 0);
    let next = chrono::Datelike::year(&crate::attendance::today()) + 1;
    let (s, problem) = app
        .put(
            hr,
            &format!("/api/v1/units/{}/reform/{next}", w.a1.id),
            json!({"ranking": "weak", "reason": "Gõ nhầm năm"}),
        )
        .await;
    assert_eq!(s, 422, "{problem}");
    assert!(problem["errors"]["year"].is_array(), "{problem}");
    let (s, view) = app
        .put(
            hr,
            &path,
            json!({"ranking": "weak", "reason": "Chậm triển khai một cửa"}),
        )
        .await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(view["reason"], "Chậm triển khai một cửa");
    // Another ranking without a reason of its own does not carry the old one.
    let (s, view) = app.put(hr, &path, json!({"ranking": "fair"})).await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(
        (&view["ranking"], &view["reason"]),
        (&json!("fair"), &Value::Null),
        "{view}"
    );
}

/// A person reading their own rating, or a reader of the unit it is listed under, is
/// told why they may not decide it (403), not that it does not exist.
async fn a_reader_of_a_rating_is_told_why_they_may_not_decide_it(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (s, run) = app
        .post(
            w.token("root"),
            "/api/v1/evaluations/runs",
            json!({"period": "2025", "unit_id": w.a.id}),
        )
        .await;
    assert_eq!(s, 201, "{run}");
    let (s, own) = app
        .get(
            w.token("staff_a1"),
            &format!(
                "/api/v1/evaluations?period=2025&staff_id={}",
                w.member_a1.id
            ),
        )
        .await;
    assert_eq!((s, &own["total"]), (200, &json!(1)), "{own}");
    let decide = format!("/api/v1/evaluations/{}/decision", own["items"][0]["id"]);
    let (s, problem) = app
        .put(
            w.token("staff_a1"),
            &decide,
            json!({"final_rating": "excellent", "reason": "Tự xếp"}),
        )
        .await;
    assert_eq!(s, 403, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("own rating"),
        "{problem}"
    );
    let (s, problem) = app
        .put(
            w.token("head_a"),
            &decide,
            json!({"final_rating": "excellent", "reason": "Đề nghị"}),
        )
        .await;
    assert_eq!(s, 403, "the head reads it and hr decides it: {problem}");
    let (s, problem) = app
        .put(
            w.token("staff_a1"),
            &format!("/api/v1/evaluations/{}/decision", {
                let (_, b) = app
                    .get(
                        w.token("root"),
                        &format!("/api/v1/evaluations?period=2025&staff_id={}", w.head_a.id),
                    )
                    .await;
                b["items"][0]["id"].clone()
            }),
            json!({"final_rating": "excellent", "reason": "x"}),
        )
        .await;
    assert_eq!(s, 404, "another's rating stays unknown: {problem}");
    // The list's pages: the page's rows, with the whole list's total.
    let (s, all) = app
        .get(
            w.token("root"),
            &format!("/api/v1/evaluations?period=2025&unit_id={}", w.a.id),
        )
        .await;
    assert_eq!(s, 200, "{all}");
    let total = all["total"].as_i64().unwrap();
    assert!(total >= 2, "{all}");
    let (s, second) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/evaluations?period=2025&unit_id={}&per_page=1&page=2",
                w.a.id
            ),
        )
        .await;
    assert_eq!(s, 200, "{second}");
    assert_eq!(second["total"], total);
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["items"][0]["id"], all["items"][1]["id"]);
    assert_eq!(
        second["items"][0]["full_name"], all["items"][1]["full_name"],
        "the page's people are named"
    );
}

/// The demo's 2026 has one person beyond the excellent quota: confirming their
/// excellent passes a legal cap, so it says why and is flagged for a second look.
async fn an_excellent_beyond_the_quota_says_why(b: Backend) {
    let Some((app, summary)) = TestApp::with_demo(b).await else {
        return;
    };
    let hr = app.token("demo.hr", congvu::demo::DEMO_PASSWORD).await;
    let (s, list) = app
        .get(
            &hr,
            &format!(
                "/api/v1/evaluations?period=2026&unit_id={}&per_page=500",
                summary.province_id
            ),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    let beyond = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["quota_note"].is_string())
        .cloned()
        .expect("one beyond the quota");
    assert_eq!(beyond["proposed_rating"], "excellent", "{beyond}");
    let decide = format!("/api/v1/evaluations/{}/decision", beyond["id"]);
    let (s, problem) = app
        .put(&hr, &decide, json!({"final_rating": "excellent"}))
        .await;
    assert_eq!(s, 422, "{problem}");
    assert!(
        problem["errors"]["reason"][0]
            .as_str()
            .unwrap_or_default()
            .contains("quota"),
        "{problem}"
    );
    let (s, decided) = app
        .put(
            &hr,
            &decide,
            json!({"final_rating": "excellent", "reason": "Được Hội đồng thi đua đề nghị"}),
        )
        .await;
    assert_eq!(s, 200, "{decided}");
    assert_eq!(decided["decision_over_quota"], true, "{decided}");
    let res = app
        .client
        .get(app.url(&format!(
            "/api/v1/evaluations?period=2026&unit_id={}&format=csv",
            summary.province_id
        )))
        .bearer_auth(&hr)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(text.contains("Xuất sắc vượt tỷ lệ cho phép"), "{text}");
    // Below the quota's line a rating needs no such reason.
    let (s, lowered) = app
        .put(
            &hr,
            &decide,
            json!({"final_rating": "completed_well", "reason": "Theo tỷ lệ"}),
        )
        .await;
    assert_eq!(s, 200, "{lowered}");
    assert_eq!(lowered["decision_over_quota"], false, "{lowered}");
}

/// A re-run that lowers only the cap under HR's excellent (the proposal staying
/// completed well) is on the trail, as a changed proposal is.
async fn a_cap_lowered_under_a_decision_is_audited(b: Backend) {
    use crate::evaluation::{OVERLAY, dossiers, item, post_toml, reproposals};
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let overlay = OVERLAY.replace(
        "max_rating = \"completed\"",
        "max_rating = \"completed_well\"",
    );
    let (s, body) = post_toml(&app, w.token("admin_p"), &overlay).await;
    assert_eq!(s, 201, "{body}");
    let run = json!({"period": "2025", "unit_id": w.a.id});
    let (s, first) = app
        .post(w.token("root"), "/api/v1/evaluations/runs", run.clone())
        .await;
    assert_eq!(s, 201, "{first}");
    let a1 = item(&first, w.member_a1.id).clone();
    assert_eq!(
        (&a1["proposed_rating"], &a1["max_rating"]),
        (&json!("completed_well"), &json!("excellent")),
        "{a1}"
    );
    let (s, decided) = app
        .put(
            w.token("hr_a"),
            &format!("/api/v1/evaluations/{}/decision", a1["id"]),
            json!({"final_rating": "excellent", "reason": "Sáng kiến cấp tỉnh"}),
        )
        .await;
    assert_eq!(s, 200, "{decided}");
    // One of two steps late: capped at completed well, which is still the proposal.
    dossiers(&app, &w, "HS", 1).await;
    let (s, second) = app
        .post(w.token("root"), "/api/v1/evaluations/runs", run)
        .await;
    assert_eq!(s, 201, "{second}");
    let a1 = item(&second, w.member_a1.id);
    assert_eq!(
        (
            &a1["proposed_rating"],
            &a1["max_rating"],
            &a1["decision_above_cap"]
        ),
        (
            &json!("completed_well"),
            &json!("completed_well"),
            &json!(true)
        ),
        "{a1}"
    );
    let moved = reproposals(&app, w.token("root"), &a1["id"]).await;
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(
        (
            &moved[0]["before"]["max_rating"],
            &moved[0]["after"]["max_rating"]
        ),
        (&json!("excellent"), &json!("completed_well")),
        "{moved:?}"
    );
}

both!(
    a_cap_lowered_under_a_decision_is_audited,
    a_head_holding_hr_does_not_rank_their_own_unit,
    a_reform_decision_is_what_was_sent_with_it,
    a_reader_of_a_rating_is_told_why_they_may_not_decide_it,
    an_excellent_beyond_the_quota_says_why,
);
