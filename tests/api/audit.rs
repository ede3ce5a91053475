use diesel::RunQueryDsl;
use serde_json::json;

use crate::both;
use crate::helpers::{Backend, PASSWORD, TestApp};

async fn every_write_is_audited_with_before_and_after(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (_, unit) = app
        .post(
            w.token("admin_a"),
            "/api/v1/units",
            json!({"code": "A2", "name": "Phòng A2", "kind": "division", "parent_id": w.a.id}),
        )
        .await;
    let (_, unit) = app
        .patch(
            w.token("admin_a"),
            &format!("/api/v1/units/{}", unit["id"]),
            json!({"name": "Phòng A hai"}),
        )
        .await;
    let (status, trail) = app
        .get(
            w.token("admin_a"),
            &format!("/api/v1/audit?entity=unit&entity_id={}", unit["id"]),
        )
        .await;
    assert_eq!(status, 200, "{trail}");
    assert_eq!(trail["total"], 2);
    let update = &trail["items"][0];
    assert_eq!(update["action"], "update", "newest first");
    assert_eq!(update["actor_user_id"], w.user_ids["admin_a"]);
    assert_eq!(update["before"]["name"], "Phòng A2");
    assert_eq!(update["after"]["name"], "Phòng A hai");
    assert!(update["at"].as_str().unwrap().ends_with("+07:00"));
    let create = &trail["items"][1];
    assert_eq!(create["action"], "create");
    assert!(create["before"].is_null());

    let (_, user) = app
        .post(w.token("admin_a"), "/api/v1/users", json!({"username": "moi", "password": "mat-khau-bi-mat", "roles": [{"role": "hr", "unit_id": w.a1.id}]}))
        .await;
    let (_, trail) = app
        .get(
            w.token("admin_a"),
            &format!("/api/v1/audit?entity=user&entity_id={}", user["id"]),
        )
        .await;
    assert_eq!(trail["total"], 1);
    let text = trail.to_string();
    assert!(
        !text.contains("mat-khau-bi-mat") && !text.contains("argon2"),
        "no secret in the trail: {text}"
    );
}

async fn audit_reads_are_scoped(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    app.patch(
        w.token("root"),
        &format!("/api/v1/units/{}", w.b.id),
        json!({"name": "Sở B mới"}),
    )
    .await;
    app.patch(
        w.token("root"),
        &format!("/api/v1/units/{}", w.a1.id),
        json!({"name": "Phòng A1 mới"}),
    )
    .await;
    let (status, all) = app
        .get(w.token("root"), "/api/v1/audit?entity=unit&action=update")
        .await;
    assert_eq!(status, 422, "unknown filters are rejected: {all}");
    let (_, all) = app.get(w.token("root"), "/api/v1/audit?entity=unit").await;
    let (_, hr) = app.get(w.token("hr_a"), "/api/v1/audit?entity=unit").await;
    let ids = |v: &serde_json::Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["entity_id"].as_i64().unwrap())
            .collect()
    };
    assert!(ids(&all).contains(&w.b.id));
    assert!(ids(&hr).contains(&w.a1.id));
    assert!(
        !ids(&hr).contains(&w.b.id),
        "hr of A does not see B's changes"
    );
    // Account snapshots: only for those who manage accounts, and only for accounts wholly
    // inside their reach.
    let (status, wide) = app
        .post(
            w.token("root"),
            "/api/v1/users",
            json!({"username": "rong", "password": "mat-khau-rong", "roles": [{"role": "hr", "unit_id": w.a.id}, {"role": "hr", "unit_id": w.b.id}]}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, narrow) = app
        .post(
            w.token("root"),
            "/api/v1/users",
            json!({"username": "hep", "password": "mat-khau-hep", "roles": [{"role": "hr", "unit_id": w.a1.id}]}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, admin_view) = app
        .get(w.token("admin_a"), "/api/v1/audit?entity=user")
        .await;
    assert!(ids(&admin_view).contains(&narrow["id"].as_i64().unwrap()));
    assert!(
        !ids(&admin_view).contains(&wide["id"].as_i64().unwrap()),
        "reaches B too"
    );
    let (_, hr_view) = app.get(w.token("hr_a"), "/api/v1/audit?entity=user").await;
    assert_eq!(hr_view["total"], 0, "hr does not read account snapshots");
    let (_, users) = app.get(w.token("admin_a"), "/api/v1/users").await;
    let names: Vec<&str> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"hep") && !names.contains(&"rong"),
        "{names:?}"
    );
    for who in ["head_a", "inspector_p", "staff_a1"] {
        let (status, _) = app.get(w.token(who), "/api/v1/audit").await;
        assert_eq!(status, 403, "{who}");
    }
}

async fn the_audit_table_is_append_only(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    app.world().await;
    let rows = app.count("audit_log");
    assert!(rows > 0);
    let mut conn = app.db.conn().unwrap();
    let update = diesel::sql_query("UPDATE audit_log SET action = 'tampered'").execute(&mut *conn);
    assert!(update.is_err(), "updates are refused");
    let delete = diesel::sql_query("DELETE FROM audit_log").execute(&mut *conn);
    assert!(delete.is_err(), "deletes are refused");
    drop(conn);
    assert_eq!(app.count("audit_log"), rows);
}

/// Logins are in the trail of the account, for those who manage it: who opened a session
/// and from where. Failed attempts are not (only in the server log): a row for an existing
/// account alone would tell it from a name that does not exist.
async fn logins_are_audited_and_failures_are_not(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let head = w.user_ids["head_a"];
    let trail = format!("/api/v1/audit?entity=user&entity_id={head}");
    let logins = |items: &serde_json::Value| {
        items["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] == "login")
            .cloned()
            .collect::<Vec<_>>()
    };
    let (_, before) = app.get(w.token("admin_a"), &trail).await;
    let opened = logins(&before).len();
    let rows = app.count("audit_log");

    assert_eq!(app.login("head_a", "wrong password").await.status(), 401);
    assert_eq!(
        app.login("no_such_user", "wrong password").await.status(),
        401
    );
    assert_eq!(app.count("audit_log"), rows, "failures write nothing");
    assert_eq!(app.login("head_a", PASSWORD).await.status(), 200);
    let (_, after) = app.get(w.token("admin_a"), &trail).await;
    let ok = logins(&after);
    assert_eq!(ok.len(), opened + 1, "{after}");
    assert_eq!(ok[0]["actor_user_id"], head);
    assert_eq!(ok[0]["after"], json!({"client": "127.0.0.1"}));
    assert_eq!(ok[0]["unit_id"], w.a.id, "filed under the account's unit");
    assert_eq!(app.count("audit_log"), rows + 1);

    // Those who do not manage the account do not see its logins.
    let (status, hr) = app.get(w.token("hr_a"), &trail).await;
    assert_eq!(status, 200);
    assert_eq!(hr["items"], json!([]), "{hr}");
    let (status, _) = app.get(w.token("head_a"), &trail).await;
    assert_eq!(status, 403);
}

both!(
    every_write_is_audited_with_before_and_after,
    audit_reads_are_scoped,
    the_audit_table_is_append_only,
    logins_are_audited_and_failures_are_not,
);
