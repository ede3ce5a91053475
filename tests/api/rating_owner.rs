//! An earlier year's rating belongs to the unit the person was in on its 31 December.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp, World};

async fn run_2025(app: &TestApp, w: &World, unit: i64) -> Value {
    let (s, run) = app
        .post(
            w.token("root"),
            "/api/v1/evaluations/runs",
            json!({"period": "2025", "unit_id": unit}),
        )
        .await;
    assert_eq!(s, 201, "{run}");
    run
}

fn skipped(run: &Value, staff: i64) -> Option<String> {
    run["skipped"]
        .as_array()?
        .iter()
        .find(|k| k["staff_id"] == staff)
        .and_then(|k| k["reason"].as_str().map(str::to_owned))
}

async fn rating(app: &TestApp, w: &World) -> Value {
    let (s, list) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/evaluations?staff_id={}&period=2025",
                w.member_a1.id
            ),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["total"], 1, "{list}");
    list["items"][0].clone()
}

/// Moved from A1 to B this year: A1's own run of 2025 still rates them (before, only a
/// run over both units did, as A1's listed the people in it now), and B's leaves them
/// out.
async fn the_old_unit_re_runs_a_moved_persons_past_year(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    run_2025(&app, &w, w.p.id).await;
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"unit_id": w.b.id}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let run = run_2025(&app, &w, w.a1.id).await;
    assert_eq!(skipped(&run, w.member_a1.id), None, "{run}");
    assert!(
        run["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i["staff_id"] == w.member_a1.id)),
        "{run}"
    );
    assert_eq!(rating(&app, &w).await["unit_id"], w.a1.id);
    let run = run_2025(&app, &w, w.b.id).await;
    assert!(
        skipped(&run, w.member_a1.id).is_some_and(|r| r.contains("Phòng A1")),
        "{run}"
    );
}

/// Moved to B on 20 December 2025, after A1's run of the year: 2025 is B's, who were
/// their unit on its last day. The transfer files the rating under B, whose side lists
/// and decides it and whose run re-rates it; A's HR no longer does (before, the row
/// stayed A1's, and A's HR could overwrite the decision made for B).
async fn a_move_in_late_december_hands_the_year_to_the_new_unit(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    run_2025(&app, &w, w.p.id).await;
    assert_eq!(rating(&app, &w).await["unit_id"], w.a1.id);
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"unit_id": w.b.id, "moved_on": "2025-12-20"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    // Filed under B at once, so listed (and decided) there before any run again.
    let stored = rating(&app, &w).await;
    assert_eq!(stored["unit_id"], w.b.id, "{stored}");
    for (unit, listed) in [(w.a.id, 0), (w.b.id, 1)] {
        let (s, list) = app
            .get(
                w.token("root"),
                &format!("/api/v1/evaluations?unit_id={unit}&period=2025"),
            )
            .await;
        assert_eq!(s, 200, "{list}");
        let mine = list["items"].as_array().map_or(0, |items| {
            items
                .iter()
                .filter(|i| i["staff_id"] == w.member_a1.id)
                .count()
        });
        assert_eq!(mine, listed, "unit {unit}: {list}");
    }
    let id = stored["id"].as_i64().unwrap();
    let decide = format!("/api/v1/evaluations/{id}/decision");
    let decision = json!({"final_rating": "completed_well", "reason": "Theo đề nghị"});
    let (s, body) = app.put(w.token("hr_a"), &decide, decision.clone()).await;
    assert!(s == 403 || s == 404, "{s} {body}");
    let run = run_2025(&app, &w, w.a1.id).await;
    assert_eq!(run["evaluated"], 0, "not A1's to rate: {run}");
    let run = run_2025(&app, &w, w.b.id).await;
    assert_eq!(skipped(&run, w.member_a1.id), None, "{run}");
    assert_eq!(rating(&app, &w).await["unit_id"], w.b.id);
    let (s, body) = app.put(w.token("admin_p"), &decide, decision).await;
    assert_eq!(s, 200, "{body}");
    // Undone, the transfer files it back under A1.
    let (s, body) = app
        .delete(
            w.token("root"),
            &format!("/api/v1/staff/{}/units/last", w.member_a1.id),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(rating(&app, &w).await["unit_id"], w.a1.id);
}

/// Moved from A1 to B before transfers had days (the record's unit changed, no history),
/// then from B to A with a day: their history places 2025 in B, where they were not.
/// The rating A1 stored stays A1's: B's run of 2025 leaves them out (before c7b68b0's
/// review, it took the rating over).
async fn a_rating_before_the_first_dated_transfer_stays_where_it_was_stored(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    run_2025(&app, &w, w.p.id).await;
    app.exec(&format!(
        "UPDATE staff SET unit_id = {} WHERE id = {}",
        w.b.id, w.member_a1.id
    ));
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"unit_id": w.a.id}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let run = run_2025(&app, &w, w.b.id).await;
    assert!(
        skipped(&run, w.member_a1.id).is_some_and(|r| r.contains("Phòng A1")),
        "{run}"
    );
    assert_eq!(rating(&app, &w).await["unit_id"], w.a1.id);
}

both!(
    a_rating_before_the_first_dated_transfer_stays_where_it_was_stored,
    the_old_unit_re_runs_a_moved_persons_past_year,
    a_move_in_late_december_hands_the_year_to_the_new_unit,
);
