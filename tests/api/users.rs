use serde_json::json;

use crate::both;
use crate::helpers::{Backend, PASSWORD, TestApp};

async fn admin_creates_accounts_with_roles(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (_, person) = app
        .post(
            w.token("hr_a"),
            "/api/v1/staff",
            json!({"code": "S-NEW", "full_name": "Phạm Quốc Bảo", "unit_id": w.a1.id, "category": "cong_chuc"}),
        )
        .await;
    let (status, body) = app
        .post(
            w.token("admin_a"),
            "/api/v1/users",
            json!({"username": "Truong.Phong", "password": "mat-khau-dai-du", "staff_id": person["id"],
                   "roles": [{"role": "unit_head", "unit_id": w.a1.id}, {"role": "inspector", "unit_id": w.a.id}]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["username"], "truong.phong");
    assert!(body.get("password").is_none() && body.get("password_hash").is_none());
    assert_eq!(body["roles"].as_array().unwrap().len(), 2);
    let token = app.token("truong.phong", "mat-khau-dai-du").await;
    let (_, units) = app.get(&token, "/api/v1/units").await;
    assert_eq!(units["total"], 2);
    let (status, got) = app
        .get(w.token("admin_a"), &format!("/api/v1/users/{}", body["id"]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(got["staff_id"], person["id"]);
    let (_, list) = app.get(w.token("admin_a"), "/api/v1/users").await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"truong.phong") && names.contains(&"hr_a"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"root") && !names.contains(&"admin_p"),
        "{names:?}"
    );
    let (_, all) = app.get(w.token("root"), "/api/v1/users").await;
    assert_eq!(all["total"], 8);
}

async fn account_rules_are_enforced(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let before = app.count("users");
    let roles_before = app.count("user_roles");
    let cases = [
        (
            "admin_a",
            json!({"username": "x.p", "password": "long-enough-1", "roles": [{"role": "hr", "unit_id": w.p.id}]}),
            422,
        ),
        // A kiosk linked to a person would act as that person.
        (
            "root",
            json!({"username": "kiosk.b", "password": "long-enough-1", "staff_id": w.member_b.id,
                   "roles": [{"role": "device", "unit_id": w.b.id}]}),
            422,
        ),
        (
            "admin_a",
            json!({"username": "x.g", "password": "long-enough-1", "roles": [{"role": "hr"}]}),
            403,
        ),
        (
            "admin_p",
            json!({"username": "x.g", "password": "long-enough-1", "roles": [{"role": "hr"}]}),
            403,
        ),
        (
            "hr_a",
            json!({"username": "x.h", "password": "long-enough-1", "roles": [{"role": "hr", "unit_id": w.a.id}]}),
            403,
        ),
        (
            "admin_a",
            json!({"username": "x.s", "password": "long-enough-1", "roles": [{"role": "staff", "unit_id": w.a.id}]}),
            422,
        ),
        (
            "admin_a",
            json!({"username": "x.d", "password": "long-enough-1", "staff_id": w.head_a.id, "roles": [{"role": "staff", "unit_id": w.a.id}]}),
            409,
        ),
        (
            "admin_a",
            json!({"username": "hr_a", "password": "long-enough-1", "roles": [{"role": "hr", "unit_id": w.a.id}]}),
            409,
        ),
        (
            "admin_a",
            json!({"username": "x.w", "password": "short", "roles": [{"role": "hr", "unit_id": w.a.id}]}),
            422,
        ),
        (
            "admin_a",
            json!({"username": "x.w", "password": "long-enough-1", "roles": []}),
            422,
        ),
        (
            "admin_a",
            json!({"username": "x!", "password": "long-enough-1", "roles": [{"role": "hr", "unit_id": w.a.id}]}),
            422,
        ),
        (
            "admin_a",
            json!({"username": "x.r", "password": "long-enough-1", "roles": [{"role": "root", "unit_id": w.a.id}]}),
            422,
        ),
        (
            "admin_a",
            json!({"username": "x.b", "password": "long-enough-1", "staff_id": w.member_b.id, "roles": [{"role": "hr", "unit_id": w.a.id}]}),
            422,
        ),
    ];
    for (who, body, expected) in cases {
        let (status, answer) = app.post(w.token(who), "/api/v1/users", body.clone()).await;
        assert_eq!(status, expected, "{who} {body}: {answer}");
        assert!(
            !answer.to_string().contains("long-enough-1"),
            "passwords are never echoed"
        );
        assert!(
            !answer.to_string().contains("short"),
            "passwords are never echoed: {answer}"
        );
    }
    let (_, body) = app
        .post(w.token("admin_a"), "/api/v1/users", json!({"username": "x.w", "password": "short", "roles": [{"role": "hr", "unit_id": w.a.id}]}))
        .await;
    assert_eq!(
        body["errors"]["password"][0],
        "must be between 8 and 128 characters long"
    );
    let (_, body) = app
        .post(w.token("admin_a"), "/api/v1/users", json!({"username": "x.r", "password": "long-enough-1", "roles": [{"role": "root", "unit_id": w.a.id}]}))
        .await;
    assert!(body["errors"]["roles[0].role"].is_array(), "{body}");
    assert_eq!(app.count("users"), before, "failed requests write nothing");
    assert_eq!(app.count("user_roles"), roles_before);
}

async fn admins_manage_only_accounts_inside_their_subtree(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    for (target, visible) in [
        ("hr_a", true),
        ("head_a", true),
        ("admin_p", false),
        ("root", false),
        ("inspector_p", false),
    ] {
        let (status, _) = app
            .get(
                w.token("admin_a"),
                &format!("/api/v1/users/{}", w.user_ids[target]),
            )
            .await;
        assert_eq!(
            status,
            if visible { 200 } else { 404 },
            "admin_a reading {target}"
        );
    }
    let (status, body) = app
        .patch(
            w.token("admin_a"),
            &format!("/api/v1/users/{}", w.user_ids["hr_a"]),
            json!({"roles": [{"role": "hr", "unit_id": w.a1.id}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["roles"][0]["unit_id"], w.a1.id);
    let (_, units) = app.get(w.token("hr_a"), "/api/v1/units").await;
    assert_eq!(units["total"], 1, "the narrower role applies at once");
    let (status, _) = app
        .patch(
            w.token("admin_a"),
            &format!("/api/v1/users/{}", w.user_ids["admin_p"]),
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app.get(w.token("head_a"), "/api/v1/users").await;
    assert_eq!(status, 403);
    let (status, _) = app
        .post(w.token("head_a"), "/api/v1/users", json!({"username": "x.y", "password": PASSWORD, "roles": [{"role": "hr", "unit_id": w.a.id}]}))
        .await;
    assert_eq!(status, 403);
}

/// Someone who has left the service holds none of their roles, deactivated or not: their
/// session ends and they cannot open one. And a change that changes nothing writes
/// nothing: no audit row for anyone to pile up.
async fn leavers_hold_no_roles_and_empty_changes_write_nothing(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let head = w.user_ids["head_a"];
    let trail = format!("/api/v1/audit?entity=user&entity_id={head}");
    let (_, before) = app.get(w.token("root"), &trail).await;
    for _ in 0..3 {
        let (s, body) = app
            .patch(
                w.token("head_a"),
                &format!("/api/v1/users/{head}"),
                json!({}),
            )
            .await;
        assert_eq!(s, 200, "{body}");
    }
    let (_, after) = app.get(w.token("root"), &trail).await;
    assert_eq!(
        after["total"], before["total"],
        "no audit rows for nothing: {after}"
    );

    let (s, _) = app.get(w.token("staff_a1"), "/api/v1/me").await;
    assert_eq!(s, 200);
    let yesterday = crate::attendance::today() - chrono::Duration::days(1);
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"left_on": yesterday.to_string()}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, _) = app.get(w.token("staff_a1"), "/api/v1/me").await;
    assert_eq!(s, 401, "the session ends with the service");
    let (s, _) = app
        .post(
            "",
            "/api/v1/auth/login",
            json!({"username": "staff_a1", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 401, "and none opens");
    // The date was a mistake: cleared, the person logs in again, but the session the
    // departure ended stays ended.
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"left_on": null}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, _) = app.get(w.token("staff_a1"), "/api/v1/me").await;
    assert_eq!(s, 401, "the old session is not revived");
    let (s, _) = app
        .post(
            "",
            "/api/v1/auth/login",
            json!({"username": "staff_a1", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 200);
}

both!(
    leavers_hold_no_roles_and_empty_changes_write_nothing,
    admin_creates_accounts_with_roles,
    account_rules_are_enforced,
    admins_manage_only_accounts_inside_their_subtree,
);
