use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, PASSWORD, TEST_SECRET, TestApp, read};

async fn login_issues_a_working_token(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let res = app.login("HEAD_A", PASSWORD).await;
    assert_eq!(res.status(), 200, "usernames are case-insensitive");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 480 * 60);
    let token = body["access_token"].as_str().unwrap();
    let (status, me) = app.get(token, "/api/v1/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["username"], "head_a");
    assert_eq!(me["user"]["roles"][0]["role"], "unit_head");
    assert_eq!(me["user"]["roles"][0]["role_label"], "Thủ trưởng đơn vị");
    assert_eq!(me["user"]["roles"][0]["unit_id"], w.a.id);
    assert_eq!(me["staff"]["id"], w.head_a.id);
    assert_eq!(me["staff"]["full_name"], "Trần Văn Hùng");
    assert!(me["user"].get("password_hash").is_none());
}

async fn bad_credentials_are_401_alike(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    app.world().await;
    let (s1, wrong_pw) = read(app.login("head_a", "wrong password").await).await;
    let (s2, no_user) = read(app.login("nobody", "wrong password").await).await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(
        wrong_pw["detail"], no_user["detail"],
        "unknown usernames are not revealed"
    );
    let (status, body) = read(
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("content-type", "application/json")
            .body("{\"username\": ")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = read(
        app.client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "head_a"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"]["password"][0], "is required");
}

async fn missing_forged_expired_and_malformed_tokens_are_401(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let res = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");

    let id = w.user_ids["root"];
    let now = chrono::Utc::now();
    let forged = congvu::auth::jwt::JwtKeys::new(b"another-secret-that-is-32-bytes-long!!", 60)
        .issue(id, now)
        .unwrap();
    let keys = congvu::auth::jwt::JwtKeys::new(TEST_SECRET.as_bytes(), 60);
    let expired = keys.issue(id, now - chrono::Duration::hours(3)).unwrap();
    let valid = keys.issue(id, now).unwrap();
    let tampered = format!("{}x", &valid[..valid.len() - 1]);
    for token in [
        forged.as_str(),
        expired.as_str(),
        "garbage",
        tampered.as_str(),
    ] {
        let (status, body) = app.get(token, "/api/v1/me").await;
        assert_eq!(status, 401, "token {token}: {body}");
    }
    let (status, _) = app.get(&valid, "/api/v1/me").await;
    assert_eq!(status, 200);
}

async fn deactivated_accounts_lose_access_at_once(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (status, _) = app.get(w.token("hr_a"), "/api/v1/me").await;
    assert_eq!(status, 200);
    let path = format!("/api/v1/users/{}", w.user_ids["hr_a"]);
    let (status, body) = app
        .patch(w.token("root"), &path, json!({"is_active": false}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.get(w.token("hr_a"), "/api/v1/me").await;
    assert_eq!(status, 401, "the old token is refused");
    assert_eq!(app.login("hr_a", PASSWORD).await.status(), 401);
    let (status, _) = app
        .patch(w.token("root"), &path, json!({"is_active": true}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.get(w.token("hr_a"), "/api/v1/me").await;
    assert_eq!(status, 401, "reactivation does not revive old sessions");
    assert_eq!(app.login("hr_a", PASSWORD).await.status(), 200);
}

async fn failed_logins_are_throttled_per_username(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, |s| s.auth.max_failed_logins = 3).await else {
        return;
    };
    app.world().await;
    for _ in 0..3 {
        assert_eq!(app.login("head_a", "wrong password").await.status(), 401);
    }
    let res = app.login("head_a", PASSWORD).await;
    assert_eq!(res.status(), 429, "locked even with the right password");
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 15 * 60);
    let (_, body) = read(res).await;
    assert_eq!(body["type"], "/problems/too-many-requests");
    assert_eq!(
        app.login("hr_a", PASSWORD).await.status(),
        200,
        "other usernames are unaffected"
    );
}

async fn failed_logins_are_throttled_per_address(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, |s| s.auth.max_failed_logins_per_ip = 4).await else {
        return;
    };
    app.world().await;
    for name in ["a1", "a2", "a3", "a4"] {
        assert_eq!(app.login(name, "guess-guess").await.status(), 401);
    }
    assert_eq!(
        app.login("hr_a", PASSWORD).await.status(),
        429,
        "the address is locked"
    );
}

async fn users_change_their_own_password(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let path = format!("/api/v1/users/{}", w.user_ids["staff_a1"]);
    let other_session = app.token("staff_a1", PASSWORD).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let change = |current: Option<&str>| match current {
        Some(c) => json!({"password": "mat-khau-moi-2026", "current_password": c}),
        None => json!({"password": "mat-khau-moi-2026"}),
    };
    let (status, body) = app.patch(&other_session, &path, change(None)).await;
    assert_eq!(status, 422, "the current password is required: {body}");
    assert!(body["errors"]["current_password"].is_array());
    let (status, _) = app
        .patch(&other_session, &path, change(Some("wrong one")))
        .await;
    assert_eq!(status, 422);
    let (status, body) = app
        .patch(&other_session, &path, change(Some(PASSWORD)))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.get(&other_session, "/api/v1/me").await;
    assert_eq!(status, 401, "a password change signs out older sessions");
    assert_eq!(app.login("staff_a1", PASSWORD).await.status(), 401);
    let fresh = app.token("staff_a1", "mat-khau-moi-2026").await;
    let (status, _) = app.get(&fresh, "/api/v1/me").await;
    assert_eq!(status, 200);
    let (status, _) = app.patch(&fresh, &path, json!({"is_active": false})).await;
    assert_eq!(status, 422, "nobody deactivates themself");
    let other = format!("/api/v1/users/{}", w.user_ids["hr_a"]);
    let (status, _) = app
        .patch(&fresh, &other, json!({"password": "hijacked-pass"}))
        .await;
    assert_eq!(status, 404, "another user's account is invisible");
}

/// Logging out ends every session of the account, the caller's included; a new login
/// works, and the trail has the logout (before, there was no way to end a session but a
/// password change).
async fn logging_out_ends_the_accounts_sessions(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let office = app.token("head_a", PASSWORD).await;
    let phone = app.token("head_a", PASSWORD).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    for token in [&office, &phone] {
        let (s, _) = app.get(token, "/api/v1/me").await;
        assert_eq!(s, 401);
    }
    let again = app.token("head_a", PASSWORD).await;
    let (s, _) = app.get(&again, "/api/v1/me").await;
    assert_eq!(s, 200);
    let trail = app
        .trail(w.token("root"), "user", w.user_ids["head_a"])
        .await;
    assert!(trail.iter().any(|(a, _)| a == "logout"), "{trail:?}");
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "a session to end");
}

both!(
    logging_out_ends_the_accounts_sessions,
    login_issues_a_working_token,
    bad_credentials_are_401_alike,
    missing_forged_expired_and_malformed_tokens_are_401,
    deactivated_accounts_lose_access_at_once,
    failed_logins_are_throttled_per_username,
    failed_logins_are_throttled_per_address,
    users_change_their_own_password,
);
