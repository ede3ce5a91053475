//! Races around logins and password changes: concurrent guesses against the throttle, guesses
//! of the current password through `PATCH /users/{own id}`, and logins that overlap a
//! password change.

use diesel::prelude::*;
use serde_json::json;
use tokio::task::JoinSet;

use crate::both;
use crate::helpers::{Backend, PASSWORD, TEST_SECRET, TestApp};

/// Fires `n` logins at once (username from `name(i)`), and returns their statuses.
async fn concurrent_logins(app: &TestApp, n: usize, name: fn(usize) -> String) -> Vec<u16> {
    let url = app.url("/api/v1/auth/login");
    let mut set = JoinSet::new();
    for i in 0..n {
        let (client, url) = (app.client.clone(), url.clone());
        set.spawn(async move {
            client
                .post(url)
                .json(&json!({"username": name(i), "password": "wrong password"}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
    }
    let mut statuses = Vec::with_capacity(n);
    while let Some(done) = set.join_next().await {
        statuses.push(done.expect("join").expect("request"));
    }
    statuses
}

async fn concurrent_guesses_for_one_username_are_capped(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, |s| s.auth.max_failed_logins = 3).await else {
        return;
    };
    app.world().await;
    let statuses = concurrent_logins(&app, 20, |_| "head_a".to_owned()).await;
    let verified = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert!(
        verified <= 3,
        "{verified} of 20 concurrent guesses were verified, 3 allowed: {statuses:?}"
    );
    assert_eq!(
        app.login("head_a", PASSWORD).await.status(),
        429,
        "the username is locked even for the right password"
    );
    assert_eq!(app.login("hr_a", PASSWORD).await.status(), 200);
}

/// A guess whose client hangs up before the answer still counts once it was verified:
/// before, the dropped request left its attempt unsettled, counted as nothing, while the
/// hash ran on, so a loop of guesses cut off early never locked anything.
async fn guesses_cut_off_early_still_count(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, |s| s.auth.max_failed_logins = 3).await else {
        return;
    };
    app.world().await;
    // Each guess sent raw and the connection reset a few milliseconds later, before the
    // answer (SO_LINGER 0: the server's next read fails, and it drops the request).
    let address = app.base.trim_start_matches("http://").to_owned();
    let body = r#"{"username": "head_a", "password": "wrong password"}"#;
    let request = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    for _ in 0..3 {
        use tokio::io::AsyncWriteExt;
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        stream.set_zero_linger().unwrap();
        drop(stream);
    }
    // The hashes finish after the hang-ups.
    let mut status = 0;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = app
            .login("head_a", crate::helpers::PASSWORD)
            .await
            .status()
            .as_u16();
        if status == 429 {
            break;
        }
    }
    assert_eq!(status, 429, "locked by the three guesses");
}

async fn concurrent_guesses_from_one_address_are_capped(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, |s| s.auth.max_failed_logins_per_ip = 4).await else {
        return;
    };
    app.world().await;
    let statuses = concurrent_logins(&app, 20, |i| format!("spray.{i}")).await;
    let verified = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        verified <= 4,
        "{verified} of 20 concurrent guesses were verified, 4 allowed: {statuses:?}"
    );
    assert_eq!(
        app.login("hr_a", PASSWORD).await.status(),
        429,
        "the address is locked"
    );
}

async fn wrong_current_passwords_count_as_failed_logins(b: Backend) {
    let Some((app, w)) = TestApp::with_world_and(b, |s| s.auth.max_failed_logins = 3).await else {
        return;
    };
    let path = format!("/api/v1/users/{}", w.user_ids["staff_a1"]);
    let token = w.token("staff_a1");
    let change =
        |current: &str| json!({"password": "mat-khau-moi-2026", "current_password": current});
    for _ in 0..3 {
        let (status, body) = app.patch(token, &path, change("a guess")).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["errors"]["current_password"].is_array(), "{body}");
    }
    assert_eq!(
        app.login("staff_a1", PASSWORD).await.status(),
        429,
        "guesses through the password change lock the login"
    );
    let (status, body) = app.patch(token, &path, change(PASSWORD)).await;
    assert_eq!(status, 429, "the check answers as the login does: {body}");
    assert_eq!(body["type"], "/problems/too-many-requests");
    let (status, body) = app.patch(token, &path, change("another guess")).await;
    assert_eq!(status, 429, "no further guesses are verified: {body}");
    // The password did not change: the old token still works and no write happened.
    let (status, _) = app.get(token, "/api/v1/me").await;
    assert_eq!(status, 200);
    assert_eq!(app.login("hr_a", PASSWORD).await.status(), 200);
}

async fn a_right_current_password_still_changes_it(b: Backend) {
    let Some((app, w)) = TestApp::with_world_and(b, |s| s.auth.max_failed_logins = 3).await else {
        return;
    };
    let path = format!("/api/v1/users/{}", w.user_ids["staff_a1"]);
    let token = w.token("staff_a1");
    let change =
        |current: &str| json!({"password": "mat-khau-moi-2026", "current_password": current});
    for _ in 0..2 {
        let (status, _) = app.patch(token, &path, change("a guess")).await;
        assert_eq!(status, 422);
    }
    let (status, body) = app.patch(token, &path, change(PASSWORD)).await;
    assert_eq!(status, 200, "{body}");
    // The right password cleared the account's failures, as a login does.
    assert_eq!(app.login("staff_a1", "wrong guess").await.status(), 401);
    assert_eq!(
        app.login("staff_a1", "mat-khau-moi-2026").await.status(),
        200
    );
}

/// A login that verified the old password while an administrator changed it must not keep
/// a session, however the two interleave. The login reads the account at once and then
/// spends an argon2 verification; the change hashes first and commits at about the time
/// the verification ends, so the rounds land on both sides of the race.
async fn a_login_overlapping_a_password_change_keeps_no_session(b: Backend) {
    let Some((app, w)) = TestApp::with_world_and(b, |s| s.auth.max_failed_logins = 100).await
    else {
        return;
    };
    let path = format!("/api/v1/users/{}", w.user_ids["staff_a1"]);
    let mut current = PASSWORD.to_owned();
    let mut raced = 0;
    for round in 0..12 {
        let next = format!("mat-khau-vong-{round}");
        let (login, (status, body)) = tokio::join!(
            app.login("staff_a1", &current),
            app.patch(w.token("root"), &path, json!({"password": next})),
        );
        assert_eq!(status, 200, "{body}");
        if login.status() == 200 {
            raced += 1;
            let body: serde_json::Value = login.json().await.expect("json");
            let token = body["access_token"].as_str().expect("token");
            let (status, _) = app.get(token, "/api/v1/me").await;
            assert_eq!(
                status, 401,
                "round {round}: a session opened with the replaced password survived"
            );
        }
        current = next;
    }
    assert!(raced > 0, "no login overlapped a change");
}

/// The mechanism behind the previous test, deterministically: a token carries the
/// credentials it was issued against, so one minted after a change (by the clock) from an
/// account row read before it is refused, and one from the row after it works.
async fn tokens_from_credentials_read_before_a_change_are_refused(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    use congvu::db::schema::users;
    let id = w.user_ids["staff_a1"];
    let stamp = || -> chrono::NaiveDateTime {
        let mut conn = app.db.conn().expect("connection");
        users::table
            .find(id)
            .select(users::credentials_changed_at)
            .first(&mut *conn)
            .expect("user")
    };
    let before = stamp();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (status, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/users/{id}"),
            json!({"password": "mat-khau-moi-2026"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let after = stamp();
    assert!(after > before);
    let keys = congvu::auth::jwt::JwtKeys::new(TEST_SECRET.as_bytes(), 60);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let now = chrono::Utc::now();
    let stale = keys.issue_for_credentials(id, now, before).expect("token");
    let (status, _) = app.get(&stale, "/api/v1/me").await;
    assert_eq!(status, 401, "issued after the change from the old row");
    let fresh = keys.issue_for_credentials(id, now, after).expect("token");
    let (status, _) = app.get(&fresh, "/api/v1/me").await;
    assert_eq!(status, 200);
    let (status, _) = app.get(w.token("staff_a1"), "/api/v1/me").await;
    assert_eq!(status, 401, "older sessions end as before");
}

both!(
    guesses_cut_off_early_still_count,
    concurrent_guesses_for_one_username_are_capped,
    concurrent_guesses_from_one_address_are_capped,
    wrong_current_passwords_count_as_failed_logins,
    a_right_current_password_still_changes_it,
    a_login_overlapping_a_password_change_keeps_no_session,
    tokens_from_credentials_read_before_a_change_are_refused,
);
