//! Reach at its edges: an inspector named in a finding of their own team, a team member
//! beyond their reach, account rows in the audit trail of someone who manages accounts
//! only in part of what they read, a leave decided and cancelled at the same moment, and
//! a deputy entering their head's scores.

use serde_json::{Value, json};

use crate::attendance::past_day;
use crate::both;
use crate::helpers::{Backend, TestApp, World};

const INSPECTOR_PASSWORD: &str = "mat-khau-thanh-tra";

/// An account made by root, logged in.
async fn account(app: &TestApp, w: &World, username: &str, body: Value) -> (i64, String) {
    let mut body = body;
    body["username"] = json!(username);
    body["password"] = json!(INSPECTOR_PASSWORD);
    let (s, user) = app.post(w.token("root"), "/api/v1/users", body).await;
    assert_eq!(s, 201, "{user}");
    let token = app.token(username, INSPECTOR_PASSWORD).await;
    (user["id"].as_i64().unwrap(), token)
}

async fn inspection_of_a(app: &TestApp, w: &World, team: &[i64]) -> Value {
    let (s, insp) = app
        .post(
            w.token("inspector_p"),
            "/api/v1/inspections",
            json!({"unit_id": w.a.id, "kind": "surprise", "started_at": "2026-03-04T07:45:00+07:00",
                   "record_no": "07/BB-KTCV", "team": team}),
        )
        .await;
    assert_eq!(s, 201, "{insp}");
    insp
}

/// An inspector whose own staff record a finding names does not conclude or close it;
/// the rest of the team does.
async fn nobody_concludes_a_finding_about_themself(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    // An inspector of the province whose staff record is in the inspected department.
    let (s, person) = app
        .post(
            w.token("root"),
            "/api/v1/staff",
            json!({"code": "S-A1-TT", "full_name": "Đỗ Văn Thanh", "unit_id": w.a1.id, "category": "cong_chuc"}),
        )
        .await;
    assert_eq!(s, 201, "{person}");
    let (me, token) = account(
        &app,
        &w,
        "tt.thanh",
        json!({"staff_id": person["id"], "roles": [{"role": "inspector", "unit_id": w.p.id}]}),
    )
    .await;
    let insp = inspection_of_a(&app, &w, &[me]).await;
    let (s, finding) = app
        .post(
            w.token("inspector_p"),
            &format!("/api/v1/inspections/{}/findings", insp["id"]),
            json!({"violation_code": "alcohol", "observed_at": "2026-03-04T11:50:00+07:00",
                   "description": "Uống bia trong giờ nghỉ trưa", "staff_id": person["id"]}),
        )
        .await;
    assert_eq!(s, 201, "{finding}");
    let decision = format!("/api/v1/findings/{}/decision", finding["id"]);
    let (s, body) = app
        .post(&token, &decision, json!({"outcome": "dismissed"}))
        .await;
    assert_eq!(s, 403, "{body}");
    let (s, body) = app
        .post(
            w.token("inspector_p"),
            &decision,
            json!({"outcome": "dismissed"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = app
        .post(
            &token,
            &format!("/api/v1/findings/{}/close", finding["id"]),
            json!({}),
        )
        .await;
    assert_eq!(s, 403, "{body}");
}

/// A team member without the inspecting role over the inspected unit sees the inspection
/// neither alone nor in the lists.
async fn a_team_member_beyond_reach_lists_nothing(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (other, token) = account(
        &app,
        &w,
        "tt.so.b",
        json!({"roles": [{"role": "inspector", "unit_id": w.b.id}]}),
    )
    .await;
    // The API refuses such a member now (422 on team[0]); one recorded by an earlier
    // version still must not make the lists leak.
    let (s, body) = app
        .post(
            w.token("inspector_p"),
            "/api/v1/inspections",
            json!({"unit_id": w.a.id, "kind": "surprise", "started_at": "2026-03-04T07:45:00+07:00",
                   "team": [other]}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let insp = inspection_of_a(&app, &w, &[]).await;
    let db = app.db.clone();
    let inspection = insp["id"].as_i64().unwrap();
    tokio::task::spawn_blocking(move || {
        use congvu::db::schema::inspection_team;
        use diesel::prelude::*;
        let mut c = db.conn().unwrap();
        diesel::insert_into(inspection_team::table)
            .values((
                inspection_team::inspection_id.eq(inspection),
                inspection_team::user_id.eq(other),
            ))
            .execute(&mut *c)
            .unwrap();
    })
    .await
    .unwrap();
    let (s, _) = app
        .get(&token, &format!("/api/v1/inspections/{}", insp["id"]))
        .await;
    assert_eq!(s, 404);
    let (s, listed) = app.get(&token, "/api/v1/inspections").await;
    assert_eq!(s, 200, "{listed}");
    assert_eq!(
        listed["items"],
        json!([]),
        "the list agrees with the single read"
    );
    assert_eq!(listed["total"], 0);
    let (s, overdue) = app.get(&token, "/api/v1/findings/overdue").await;
    assert_eq!(s, 200, "{overdue}");
    assert_eq!(overdue["items"], json!([]));
    let (_, mine) = app.get(w.token("inspector_p"), "/api/v1/inspections").await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1), "{mine}");
}

/// hr of the province who administers only department B reads the whole province's trail,
/// but account rows only for accounts wholly within B.
async fn account_rows_follow_the_account_managers_reach(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (_, reader) = account(
        &app,
        &w,
        "hr.admin.b",
        json!({"roles": [{"role": "hr", "unit_id": w.p.id}, {"role": "admin", "unit_id": w.b.id}]}),
    )
    .await;
    let (in_a, _) = account(
        &app,
        &w,
        "truong.a1",
        json!({"roles": [{"role": "unit_head", "unit_id": w.a1.id}]}),
    )
    .await;
    let (in_b, _) = account(
        &app,
        &w,
        "may.so.b",
        json!({"roles": [{"role": "device", "unit_id": w.b.id}]}),
    )
    .await;
    let (s, trail) = app
        .get(&reader, "/api/v1/audit?entity=user&per_page=500")
        .await;
    assert_eq!(s, 200, "{trail}");
    let ids: Vec<i64> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entity_id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&in_b), "{trail}");
    assert!(
        !ids.contains(&in_a),
        "A's account is not B's admin's: {trail}"
    );
    let (_, rest) = app.get(&reader, "/api/v1/audit?per_page=500").await;
    assert!(
        rest["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["entity"] != "user" || e["entity_id"] != in_a),
        "{rest}"
    );
}

/// A head approving a pending leave while the person cancels it: one takes, the other is
/// told it changed, and the trail has one decision.
async fn a_leave_decided_and_cancelled_at_once_takes_one(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let d = past_day(4);
    let (s, leave) = app
        .post(
            w.token("staff_a1"),
            "/api/v1/leaves",
            json!({"staff_id": w.member_a1.id, "from": d.to_string(), "to": d.to_string(), "kind": "annual"}),
        )
        .await;
    assert_eq!(s, 201, "{leave}");
    let path = |what: &str| format!("/api/v1/leaves/{}/{what}", leave["id"]);
    let (approve, cancel) = (path("approve"), path("cancel"));
    let ((a, approved), (c, cancelled)) = tokio::join!(
        app.post(w.token("head_a"), &approve, json!({})),
        app.post(w.token("staff_a1"), &cancel, json!({})),
    );
    // Either order is right: approved then cancelled is a legal sequence, so both may
    // succeed one after the other; what may not happen is both acting on "pending".
    let (_, trail) = app
        .get(
            w.token("root"),
            &format!("/api/v1/audit?entity=leave&entity_id={}", leave["id"]),
        )
        .await;
    let from_pending = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["before"]["status"] == "pending")
        .count();
    assert_eq!(from_pending, 1, "{a} {approved} / {c} {cancelled}: {trail}");
    assert!(a == 200 || c == 200, "{approved} {cancelled}");
}

/// A second province, Q, made by root.
async fn second_province(app: &TestApp, w: &World) -> Value {
    let (s, q) = app
        .post(
            w.token("root"),
            "/api/v1/units",
            json!({"code": "Q", "name": "Tỉnh Thứ Hai", "kind": "province"}),
        )
        .await;
    assert_eq!(s, 201, "{q}");
    q
}

/// Another province's own violation catalogue is answered as if it did not exist.
async fn another_provinces_catalogue_is_not_shown(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let q = second_province(&app, &w).await;
    let list = |p: i64| format!("/api/v1/violation-types?province_id={p}");
    for who in ["staff_a1", "admin_p", "hr_a"] {
        let (s, body) = app
            .get(w.token(who), &list(q["id"].as_i64().unwrap()))
            .await;
        assert_eq!(s, 404, "{who}: {body}");
        let (s, body) = app.get(w.token(who), &list(w.p.id)).await;
        assert_eq!(s, 200, "{who}: {body}");
    }
    let (s, _) = app
        .get(w.token("root"), &list(q["id"].as_i64().unwrap()))
        .await;
    assert_eq!(
        s, 200,
        "an administrator of every unit sees every province's"
    );
}

/// Another province's calendar is answered as if it did not exist, for reading and for
/// deleting its entries.
async fn another_provinces_calendar_is_not_shown(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let q = second_province(&app, &w).await;
    let (s, entry) = app
        .post(
            w.token("root"),
            "/api/v1/calendar",
            json!({"date": "2026-02-17", "kind": "holiday", "name": "Tết Nguyên đán",
                   "province_id": q["id"]}),
        )
        .await;
    assert_eq!(s, 201, "{entry}");
    assert!(entry["id"].is_i64(), "{entry}");
    let list = format!("/api/v1/calendar?year=2026&province_id={}", q["id"]);
    let own = format!("/api/v1/calendar?year=2026&province_id={}", w.p.id);
    for who in ["staff_a1", "admin_p", "hr_a", "head_a"] {
        let (s, body) = app.get(w.token(who), &list).await;
        assert_eq!(s, 404, "{who}: {body}");
        let (s, body) = app.get(w.token(who), &own).await;
        assert_eq!(s, 200, "{who}'s own province: {body}");
    }
    let (s, body) = app.get(w.token("root"), &list).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.to_string().contains("Tết Nguyên đán"), "{body}");
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/calendar/{}", entry["id"])))
        .bearer_auth(w.token("admin_p"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .client
        .delete(app.url("/api/v1/calendar/987654"))
        .bearer_auth(w.token("admin_p"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "the same answer as a missing entry");
}

/// A deputy of A: an account holding the unit_head role on A, beside A's head.
async fn deputy_of_a(app: &TestApp, w: &World) -> String {
    account(
        app,
        w,
        "pho.truong.a",
        json!({"roles": [{"role": "unit_head", "unit_id": w.a.id}]}),
    )
    .await
    .1
}

/// A deputy holding the unit_head role on A scores A's staff and the heads below, but not
/// A's head, whose scores come from the level above (or hr, or an admin).
async fn a_deputy_does_not_score_their_head(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let deputy = deputy_of_a(&app, &w).await;
    let score = |staff: i64| {
        json!({"staff_id": staff, "period": "2026-Q1", "general": 28.0,
            "tasks": [{"name": "Tham mưu văn bản", "done": true}]})
    };
    let (s, body) = app
        .post(&deputy, "/api/v1/scores", score(w.head_a.id))
        .await;
    assert_eq!(s, 403, "{body}");
    let (s, body) = app
        .post(&deputy, "/api/v1/scores", score(w.member_a1.id))
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = app
        .post(w.token("admin_p"), "/api/v1/scores", score(w.head_a.id))
        .await;
    assert_eq!(s, 200, "the level above: {body}");
}

/// A head's leave is decided by the level above (or hr, or an admin), as their scores
/// are: a deputy holding the unit_head role on the head's unit enters it pending and
/// neither approves it nor cancels an approved one; a member's leave they decide.
async fn a_deputy_does_not_decide_their_heads_leave(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let deputy = deputy_of_a(&app, &w).await;
    let day = (crate::attendance::today() + chrono::Duration::days(10)).to_string();
    let leave = |staff: i64| json!({"staff_id": staff, "from": day, "to": day, "kind": "annual"});
    let (s, entered) = app
        .post(&deputy, "/api/v1/leaves", leave(w.head_a.id))
        .await;
    assert_eq!(
        (s, &entered["status"]),
        (201, &json!("pending")),
        "{entered}"
    );
    let id = entered["id"].as_i64().unwrap();
    let (s, body) = app
        .post(&deputy, &format!("/api/v1/leaves/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, 403, "{body}");
    let (s, body) = app
        .post(
            w.token("admin_p"),
            &format!("/api/v1/leaves/{id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!((s, &body["status"]), (200, &json!("approved")), "{body}");
    let (s, body) = app
        .post(&deputy, &format!("/api/v1/leaves/{id}/cancel"), json!({}))
        .await;
    assert_eq!(s, 403, "{body}");
    let (s, member) = app
        .post(&deputy, "/api/v1/leaves", leave(w.member_a1.id))
        .await;
    assert_eq!(
        (s, &member["status"]),
        (201, &json!("approved")),
        "{member}"
    );
}

/// A head's events are corrected and voided from the level above, as their leave is
/// decided: a deputy holding the unit_head role on the head's unit does neither (their
/// head's lateness is not theirs to erase), and still corrects the unit's members.
async fn a_deputy_does_not_correct_their_heads_day(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let deputy = deputy_of_a(&app, &w).await;
    let day = past_day(2);
    let at = |time: &str| format!("{day}T{time}+07:00");
    let (s, late) = app
        .post(
            w.token("root"),
            "/api/v1/checkins",
            json!({"staff_id": w.head_a.id, "at": at("08:10:00"), "source": "kiosk"}),
        )
        .await;
    assert_eq!(s, 201, "{late}");
    let correction = |staff: i64| {
        json!({"staff_id": staff, "at": at("07:25:00"), "source": "manual",
               "direction": "in", "reason": "Quên chấm công"})
    };
    let (s, body) = app
        .post(&deputy, "/api/v1/checkins", correction(w.head_a.id))
        .await;
    assert_eq!(s, 403, "{body}");
    // Nor as a device's event: it re-derived the day all the same (before, 201, and the
    // late arrival left the register). A member's past event is still theirs to send.
    let as_kiosk = |staff: i64| json!({"staff_id": staff, "at": at("07:20:00"), "source": "kiosk", "direction": "in"});
    let (s, body) = app
        .post(&deputy, "/api/v1/checkins", as_kiosk(w.head_a.id))
        .await;
    assert_eq!(s, 403, "{body}");
    let (s, body) = app
        .post(&deputy, "/api/v1/checkins", as_kiosk(w.member_a1.id))
        .await;
    assert_eq!(s, 201, "a member's: {body}");
    let void = format!("/api/v1/checkins/{}/void", late["id"]);
    let (s, body) = app
        .post(&deputy, &void, json!({"reason": "Nhập nhầm"}))
        .await;
    assert_eq!(s, 403, "{body}");
    let (s, body) = app
        .post(&deputy, "/api/v1/checkins", correction(w.member_a1.id))
        .await;
    assert_eq!(s, 201, "a member's: {body}");
    let (s, body) = app
        .post(w.token("admin_p"), &void, json!({"reason": "Nhập nhầm"}))
        .await;
    assert_eq!(s, 200, "the level above: {body}");
}

both!(
    a_deputy_does_not_correct_their_heads_day,
    another_provinces_calendar_is_not_shown,
    a_deputy_does_not_score_their_head,
    a_deputy_does_not_decide_their_heads_leave,
    another_provinces_catalogue_is_not_shown,
    nobody_concludes_a_finding_about_themself,
    a_team_member_beyond_reach_lists_nothing,
    account_rows_follow_the_account_managers_reach,
    a_leave_decided_and_cancelled_at_once_takes_one,
);
