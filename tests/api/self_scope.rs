//! What is about oneself is not one's own to read or to change, whatever one's roles:
//! the audit trail of a repeat notice about one's violations, one's staff code, and one's
//! one-stop accounts and aliases.

use serde_json::{Value, json};

use crate::attendance::past_day;
use crate::both;
use crate::helpers::{Backend, PASSWORD, TestApp, World};
use crate::notice_fixes::{list, setup};
use crate::notifications::late;
use crate::onestop_fixes::head_as_admin;

/// Replaces the roles of `account` (as the root administrator) and signs it in again.
async fn with_roles(app: &TestApp, w: &World, account: &str, roles: Value) -> String {
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/users/{}", w.user_ids[account]),
            json!({ "roles": roles }),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    app.token(account, PASSWORD).await
}

/// The notices' ids in the audit trail's `repeat_notice` rows the reader gets.
async fn notices_in_trail(app: &TestApp, token: &str) -> Vec<i64> {
    let (s, body) = app.get(token, "/api/v1/audit?entity=repeat_notice").await;
    assert_eq!(s, 200, "{body}");
    let mut ids: Vec<i64> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["entity_id"].as_i64())
        .collect();
    ids.sort_unstable();
    assert_eq!(body["total"], ids.len(), "{body}");
    ids
}

/// A notice about the head of A went to the level above, and one about a member of A1
/// to the head: acknowledged, each with a note, both rows are filed under the unit of
/// the violations. The trail shows them as `/notifications` shows the notices: the
/// member, though hr of A1, reads nothing of theirs, and A's own hr and admin nothing of
/// their head's. Before, both read them, with what the superior wrote.
async fn the_trail_of_a_notice_is_hidden_as_the_notice_is(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    setup(&app, &w).await;
    for n in [7, 5, 4] {
        late(&app, &w, w.head_a.id, past_day(n)).await;
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let all = list(&app, w.token("root"), "?kind=repeat").await;
    let of = |staff: i64| -> (i64, i64) {
        let item = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["notice"]["staff_id"] == staff)
            .unwrap();
        (
            item["id"].as_i64().unwrap(),
            item["notice"]["id"].as_i64().unwrap(),
        )
    };
    let ((head_msg, head_notice), (member_msg, member_notice)) =
        (of(w.head_a.id), of(w.member_a1.id));
    for (token, msg) in [("admin_p", head_msg), ("head_a", member_msg)] {
        let (s, body) = app
            .post(
                w.token(token),
                &format!("/api/v1/notifications/{msg}/acknowledge"),
                json!({"note": "Đã yêu cầu kiểm điểm, đề nghị xem xét kỷ luật."}),
            )
            .await;
        assert_eq!(s, 200, "{body}");
    }
    // The member is also hr of A1, where their notice is filed.
    let member_hr = with_roles(
        &app,
        &w,
        "staff_a1",
        json!([{"role": "staff", "unit_id": w.a1.id}, {"role": "hr", "unit_id": w.a1.id}]),
    )
    .await;

    let mut both = vec![head_notice, member_notice];
    both.sort_unstable();
    assert_eq!(notices_in_trail(&app, w.token("admin_p")).await, both);
    assert_eq!(notices_in_trail(&app, w.token("root")).await, both);
    for token in ["admin_a", "hr_a"] {
        assert_eq!(
            notices_in_trail(&app, w.token(token)).await,
            vec![member_notice],
            "{token}"
        );
    }
    assert_eq!(notices_in_trail(&app, &member_hr).await, Vec::<i64>::new());
    // The rest of their unit's trail they still read.
    let (s, body) = app.get(&member_hr, "/api/v1/audit").await;
    assert_eq!(s, 200, "{body}");
    assert!(body["total"].as_i64().unwrap() > 0, "{body}");
}

/// The head of A1's own notice went to the head of A, who acknowledges it. Made also
/// administrator of A1 alone, the head of A reads their own acknowledgement in the trail,
/// which A1's own roles do not.
async fn ones_own_acknowledgement_stays_in_ones_trail(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    setup(&app, &w).await;
    let head_a1 = app
        .new_staff(
            w.token("root"),
            json!({"code": "S-HEAD-A1", "full_name": "Lê Văn Tổ", "unit_id": w.a1.id,
                   "category": "cong_chuc", "is_head": true, "position": "Trưởng phòng"}),
        )
        .await;
    for n in [7, 5, 4] {
        late(&app, &w, head_a1, past_day(n)).await;
    }
    let told = list(&app, w.token("head_a"), "?kind=repeat").await;
    assert_eq!(told["total"], 1, "{told}");
    let (s, body) = app
        .post(
            w.token("head_a"),
            &format!(
                "/api/v1/notifications/{}/acknowledge",
                told["items"][0]["id"]
            ),
            json!({"note": "Đã nhắc nhở."}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let notice = body["notice"]["id"].as_i64().unwrap();
    let head_admin = with_roles(
        &app,
        &w,
        "head_a",
        json!([{"role": "unit_head", "unit_id": w.a.id}, {"role": "admin", "unit_id": w.a1.id}]),
    )
    .await;
    assert_eq!(notices_in_trail(&app, &head_admin).await, vec![notice]);
    assert_eq!(
        notices_in_trail(&app, w.token("admin_a")).await,
        vec![notice]
    );
    // The member of A1 made its administrator reads nothing of it.
    let member_admin = with_roles(
        &app,
        &w,
        "staff_a1",
        json!([{"role": "admin", "unit_id": w.a1.id}]),
    )
    .await;
    assert_eq!(
        notices_in_trail(&app, &member_admin).await,
        Vec::<i64>::new()
    );
}

/// The head of A, also its administrator: their own code and their own one-stop alias
/// are another administrator's to change. Given a colleague's old code, a dossier file's
/// lines for it would be theirs; their alias removed, the feed's next steps under it go
/// to nobody. Before, both were 2xx.
async fn ones_own_code_and_handles_are_for_another_administrator(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let admin_head = head_as_admin(&app, &w).await;
    let own = format!("/api/v1/staff/{}", w.head_a.id);
    let (s, body) = app
        .patch(&admin_head, &own, json!({"code": "S-A1-OLD"}))
        .await;
    assert_eq!(s, 403, "{body}");
    // The same code, and contact details, are theirs to send.
    let (_, me) = app.get(&admin_head, &own).await;
    let (s, body) = app
        .patch(
            &admin_head,
            &own,
            json!({"code": me["code"], "email": "truong.a@example.vn"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = app
        .patch(w.token("admin_p"), &own, json!({"code": "S-HEAD-A2"}))
        .await;
    assert_eq!(s, 200, "{body}");

    let handles = format!("/api/v1/staff/{}/onestop-handles", w.head_a.id);
    let (s, added) = app
        .post(
            w.token("admin_p"),
            &handles,
            json!({"kind": "account", "value": "truong.a"}),
        )
        .await;
    assert_eq!(s, 201, "{added}");
    let one = format!("{handles}/{}", added["handle"]["id"]);
    let (s, body) = app.delete(&admin_head, &one).await;
    assert_eq!(s, 403, "{body}");
    let listed = |body: &Value| body.as_array().map_or(0, Vec::len);
    let (_, kept) = app.get(w.token("admin_p"), &handles).await;
    assert_eq!(listed(&kept), 1, "{kept}");
    let (s, body) = app.delete(w.token("admin_p"), &one).await;
    assert_eq!(s, 204, "{body}");
}

/// An administrator does not make themself a second account linked to nobody with a
/// role over their own record: the rules against deciding about oneself know a person by
/// their account's staff record, so such an account decided the maker's rating,
/// disputes and record, and outlived their leaving. A kiosk over their unit is such an
/// account too (it sent their own check-ins backdated, and survey answers about them);
/// a role on a unit below their own, a kiosk there included, is still theirs to make.
async fn a_second_account_over_ones_own_record_is_for_another(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let head = with_roles(
        &app,
        &w,
        "head_a",
        json!([{"role": "unit_head", "unit_id": w.a.id}, {"role": "admin", "unit_id": w.a.id}]),
    )
    .await;
    let account = |name: &str, role: &str, unit: i64| json!({"username": name, "password": "mat-khau-du-dai", "roles": [{"role": role, "unit_id": unit}]});
    let before = app.count("users");
    for role in ["hr", "unit_head", "admin", "device"] {
        let (s, body) = app
            .post(&head, "/api/v1/users", account("hung.2", role, w.a.id))
            .await;
        assert_eq!(s, 403, "{role}: {body}");
    }
    assert_eq!(app.count("users"), before);
    for (name, role, unit) in [("kiosk.a1", "device", w.a1.id), ("hr.a1", "hr", w.a1.id)] {
        let (s, body) = app
            .post(&head, "/api/v1/users", account(name, role, unit))
            .await;
        assert_eq!(s, 201, "{name}: {body}");
    }
    // Nor is such an account given the role afterwards.
    let (_, list) = app.get(&head, "/api/v1/users").await;
    let id = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "hr.a1")
        .unwrap()["id"]
        .clone();
    let (s, body) = app
        .patch(
            &head,
            &format!("/api/v1/users/{id}"),
            json!({"roles": [{"role": "hr", "unit_id": w.a.id}]}),
        )
        .await;
    assert_eq!(s, 403, "{body}");
    // Another administrator makes it.
    let (s, made) = app
        .post(
            w.token("admin_p"),
            "/api/v1/users",
            account("hr.a", "hr", w.a.id),
        )
        .await;
    assert_eq!(s, 201, "{made}");
    // Its roles kept or narrowed are still this administrator's to set; only one it did
    // not hold is refused.
    let path = format!("/api/v1/users/{}", made["id"]);
    for (roles, status) in [
        (json!([{"role": "hr", "unit_id": w.a.id}]), 200),
        (
            json!([{"role": "hr", "unit_id": w.a.id}, {"role": "unit_head", "unit_id": w.a.id}]),
            403,
        ),
        (json!([{"role": "hr", "unit_id": w.a1.id}]), 200),
    ] {
        let (s, body) = app.patch(&head, &path, json!({ "roles": roles })).await;
        assert_eq!(s, status, "{roles}: {body}");
    }
}

/// Moving the unit that holds one's own record chooses who heads, rates and is told
/// about oneself: another administrator does it (before: 200). A unit below one's own
/// is still theirs to move.
async fn ones_own_unit_is_moved_by_another(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let head = with_roles(
        &app,
        &w,
        "head_a",
        json!([{"role": "admin", "unit_id": w.p.id}]),
    )
    .await;
    for (who, unit, status) in [
        (head.as_str(), w.a.id, 403),
        (head.as_str(), w.a1.id, 200),
        (w.token("admin_p"), w.a.id, 200),
    ] {
        let (s, body) = app
            .patch(
                who,
                &format!("/api/v1/units/{unit}"),
                json!({"parent_id": w.b.id}),
            )
            .await;
        assert_eq!(s, status, "{unit}: {body}");
    }
    // Nor do they change its kind, which decides the agency their excellent quota
    // counts in, or the kind of B, above it since admin_p moved A there; A1, moved
    // beside A, stays theirs.
    for (who, unit, status) in [
        (head.as_str(), w.a.id, 403),
        (head.as_str(), w.b.id, 403),
        (head.as_str(), w.a1.id, 200),
        (w.token("admin_p"), w.a.id, 200),
    ] {
        let (s, body) = app
            .patch(
                who,
                &format!("/api/v1/units/{unit}"),
                json!({"kind": "public_service_unit"}),
            )
            .await;
        assert_eq!(s, status, "{unit}: {body}");
    }
    // Nor a division of their own agency A, whose kind would take it out of A's count.
    let a2 = app
        .post(
            w.token("root"),
            "/api/v1/units",
            json!({"code": "A2", "name": "Phòng A2", "kind": "division", "parent_id": w.a.id}),
        )
        .await
        .1["id"]
        .clone();
    let (s, body) = app
        .patch(
            head.as_str(),
            &format!("/api/v1/units/{a2}"),
            json!({"kind": "public_service_unit"}),
        )
        .await;
    assert_eq!(s, 403, "{body}");
    // A province is not renamed to one of its own units' codes.
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/units/{}", w.p.id),
            json!({"code": w.a1.code}),
        )
        .await;
    assert_eq!(s, 409, "{body}");
    assert_eq!(
        body["errors"]["code"][0], "another unit of the province has this code",
        "{body}"
    );
}

both!(
    ones_own_unit_is_moved_by_another,
    a_second_account_over_ones_own_record_is_for_another,
    the_trail_of_a_notice_is_hidden_as_the_notice_is,
    ones_own_acknowledgement_stays_in_ones_trail,
    ones_own_code_and_handles_are_for_another_administrator,
);
