//! A transfer ends the person's posts in the unit they leave: heading it, and the roles
//! their account held there; undoing the transfer gives them back.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp, World};

async fn roles(app: &TestApp, token: &str) -> Vec<(String, Option<i64>)> {
    let (s, me) = app.get(token, "/api/v1/me").await;
    assert_eq!(s, 200, "{me}");
    let mut roles: Vec<(String, Option<i64>)> = me["user"]["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["role"].as_str().unwrap_or("").to_owned(),
                r["unit_id"].as_i64(),
            )
        })
        .collect();
    roles.sort();
    roles
}

/// Root undoes the person's last transfer.
async fn undo(app: &TestApp, w: &World, staff: i64) -> Value {
    let (s, row) = app
        .delete(
            w.token("root"),
            &format!("/api/v1/staff/{staff}/units/last"),
        )
        .await;
    assert_eq!(s, 200, "{row}");
    row
}

async fn transfer(app: &TestApp, w: &World, staff: i64, body: Value) -> Value {
    let (s, row) = app
        .patch(w.token("root"), &format!("/api/v1/staff/{staff}"), body)
        .await;
    assert_eq!(s, 200, "{row}");
    row
}

/// A's head moved to B no longer heads A nor reads it (before, the unit_head role on A
/// stayed, and `is_head` made them B's head); undoing the transfer makes them A's head
/// again with their role.
async fn a_transferred_head_leaves_the_post_behind(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let head = w.token("head_a");
    let staff_of_a = format!("/api/v1/staff?unit_id={}", w.a.id);
    let (s, _) = app.get(head, &staff_of_a).await;
    assert_eq!(s, 200);

    let row = transfer(&app, &w, w.head_a.id, json!({"unit_id": w.b.id})).await;
    assert_eq!(row["is_head"], false, "{row}");
    assert_eq!(
        roles(&app, head).await,
        vec![],
        "the head's role on A ended"
    );
    let (s, body) = app.get(head, &staff_of_a).await;
    assert!(s == 403 || s == 404, "{s} {body}");
    let (s, trail) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/audit?entity=user&entity_id={}",
                w.user_ids["head_a"]
            ),
        )
        .await;
    assert_eq!(s, 200, "{trail}");
    assert!(
        trail["items"]
            .as_array()
            .is_some_and(|rows| rows.iter().any(|r| r["action"] == "update")),
        "the role's end is the account's change: {trail}"
    );

    let row = undo(&app, &w, w.head_a.id).await;
    assert_eq!(row["is_head"], true, "{row}");
    assert_eq!(
        roles(&app, head).await,
        vec![("unit_head".to_owned(), Some(w.a.id))]
    );
    let (s, _) = app.get(head, &staff_of_a).await;
    assert_eq!(s, 200);

    // Moved to head B, the transfer says so; the role on B is for an administrator.
    let row = transfer(
        &app,
        &w,
        w.head_a.id,
        json!({"unit_id": w.b.id, "is_head": true}),
    )
    .await;
    assert_eq!(row["is_head"], true, "{row}");
}

/// The staff role goes with the person: a member of A1 moved to B holds it on B (before,
/// it stayed on A1, whose units they still read).
async fn the_staff_role_follows_the_person(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let member = w.token("staff_a1");
    assert_eq!(
        roles(&app, member).await,
        vec![("staff".to_owned(), Some(w.a1.id))]
    );
    transfer(&app, &w, w.member_a1.id, json!({"unit_id": w.b.id})).await;
    assert_eq!(
        roles(&app, member).await,
        vec![("staff".to_owned(), Some(w.b.id))]
    );
    undo(&app, &w, w.member_a1.id).await;
    assert_eq!(
        roles(&app, member).await,
        vec![("staff".to_owned(), Some(w.a1.id))]
    );
}

/// Moving down into a unit below the one they ran ends the headship and its role too,
/// though the role would still reach the new unit; a role given since the transfer stays
/// when it is undone.
async fn a_head_moved_down_no_longer_runs_the_unit(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let head = w.token("head_a");
    transfer(&app, &w, w.head_a.id, json!({"unit_id": w.a1.id})).await;
    assert_eq!(roles(&app, head).await, vec![]);
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/users/{}", w.user_ids["head_a"]),
            json!({"roles": [{"role": "inspector", "unit_id": w.p.id}]}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    undo(&app, &w, w.head_a.id).await;
    assert_eq!(
        roles(&app, head).await,
        vec![
            ("inspector".to_owned(), Some(w.p.id)),
            ("unit_head".to_owned(), Some(w.a.id)),
        ]
    );
}

/// hr ends the roles of the unit left by recording a transfer, but undoing it gives back
/// only what they could grant: the staff role, not an admin role (for an administrator
/// over it to give back, through `/users`).
async fn an_hr_undo_gives_back_no_admin_role(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/users/{}", w.user_ids["staff_a1"]),
            json!({"roles": [{"role": "staff", "unit_id": w.a1.id},
                             {"role": "admin", "unit_id": w.a1.id}]}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let member = w.token("staff_a1");
    let hr = w.token("hr_a");
    let path = format!("/api/v1/staff/{}", w.member_a1.id);
    let (s, row) = app.patch(hr, &path, json!({"unit_id": w.a.id})).await;
    assert_eq!(s, 200, "{row}");
    assert_eq!(
        roles(&app, member).await,
        vec![("staff".to_owned(), Some(w.a.id))]
    );
    let (s, row) = app.delete(hr, &format!("{path}/units/last")).await;
    assert_eq!(s, 200, "{row}");
    assert_eq!(
        roles(&app, member).await,
        vec![("staff".to_owned(), Some(w.a1.id))],
        "hr gives back no admin role"
    );
    // The account's trail names it, for an administrator to give back; the staff
    // record's trail, which the undoing HR officer reads, shows no account's roles
    // (before: the transfer_undone row listed them).
    let account = w.user_ids["staff_a1"];
    let (s, trail) = app
        .get(
            w.token("root"),
            &format!("/api/v1/audit?entity=user&entity_id={account}"),
        )
        .await;
    assert_eq!(s, 200, "{trail}");
    let withheld = trail["items"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["action"] == "roles_not_restored"))
        .cloned()
        .unwrap_or_else(|| panic!("no roles_not_restored row: {trail}"));
    assert_eq!(
        withheld["after"]["not_restored"],
        json!([{"role": "admin", "unit_id": w.a1.id, "province_id": w.p.id}]),
        "{withheld}"
    );
    let (s, staff_trail) = app
        .get(
            hr,
            &format!("/api/v1/audit?entity=staff&entity_id={}", w.member_a1.id),
        )
        .await;
    assert_eq!(s, 200, "{staff_trail}");
    assert!(
        !staff_trail.to_string().contains("\"admin\""),
        "{staff_trail}"
    );
}

both!(
    a_transferred_head_leaves_the_post_behind,
    the_staff_role_follows_the_person,
    a_head_moved_down_no_longer_runs_the_unit,
    an_hr_undo_gives_back_no_admin_role,
);
