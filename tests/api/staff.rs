use serde_json::json;

use crate::both;
use crate::helpers::{Backend, TestApp};

async fn hr_adds_staff_in_nfc(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    // "Nguyễn Thị Ánh" typed with combining marks (NFD), as some phones send it.
    let nfd = "Nguye\u{302}\u{303}n Thi\u{323} A\u{301}nh";
    let (status, body) = app
        .post(
            w.token("hr_a"),
            "/api/v1/staff",
            json!({"code": "CB-9", "full_name": nfd, "unit_id": w.a1.id, "category": "vien_chuc",
                   "position": "Chuyên viên", "email": "anh.nguyen@example.gov.vn", "joined_on": "2020-03-01"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["full_name"], "Nguyễn Thị Ánh");
    assert_eq!(body["category_label"], "Viên chức");
    assert_eq!(body["province_id"], w.p.id);
    assert_eq!(body["is_head"], false);
    let (status, got) = app
        .get(w.token("head_a"), &format!("/api/v1/staff/{}", body["id"]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(got["joined_on"], "2020-03-01");
}

async fn staff_validation_and_conflicts_write_nothing(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let before = app.count("staff");
    let audit_before = app.count("audit_log");
    let (status, body) = app
        .post(hr, "/api/v1/staff", json!({"code": "S-A1", "full_name": "Trùng Mã", "unit_id": w.a.id, "category": "cong_chuc"}))
        .await;
    assert_eq!(status, 409, "codes are unique in the province: {body}");
    assert!(body["errors"]["code"].is_array());
    let (status, body) = app
        .post(
            hr,
            "/api/v1/staff",
            json!({"code": "OK-1", "full_name": "A", "unit_id": w.a.id, "category": "intern",
                   "email": "not-an-email", "joined_on": "2024-13-01"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["errors"]["category"].is_array() || body["errors"]["joined_on"].is_array(),
        "{body}"
    );
    let (status, body) = app
        .post(hr, "/api/v1/staff", json!({"code": "OK-1", "full_name": "A", "unit_id": w.a.id, "category": "contract", "email": "x@"}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"]["email"][0], "must be a valid email address");
    let (status, body) = app
        .post(
            hr,
            "/api/v1/staff",
            json!({"code": "OK-1", "full_name": "A", "unit_id": w.a.id, "category": "contract",
                   "joined_on": "2024-05-01", "left_on": "2024-04-30"}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body["errors"]["left_on"].is_array());
    assert_eq!(app.count("staff"), before);
    assert_eq!(app.count("audit_log"), audit_before);
}

async fn staff_access_per_role(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let all = [w.head_a.id, w.member_a1.id, w.member_b.id];
    for (who, visible) in [
        ("root", vec![true, true, true]),
        ("admin_a", vec![true, true, false]),
        ("hr_a", vec![true, true, false]),
        ("head_a", vec![true, true, false]),
        ("inspector_p", vec![true, true, true]),
        ("staff_a1", vec![false, true, false]),
    ] {
        for (id, expected) in all.iter().zip(visible.iter()) {
            let (status, _) = app.get(w.token(who), &format!("/api/v1/staff/{id}")).await;
            assert_eq!(
                status,
                if *expected { 200 } else { 404 },
                "{who} reading staff {id}"
            );
        }
        let (_, list) = app.get(w.token(who), "/api/v1/staff").await;
        assert_eq!(
            list["total"],
            visible.iter().filter(|v| **v).count(),
            "{who} list {list}"
        );
    }
    let (_, list) = app
        .get(
            w.token("root"),
            &format!("/api/v1/staff?unit_id={}", w.a.id),
        )
        .await;
    assert_eq!(list["total"], 1, "unit only");
    let (_, list) = app
        .get(
            w.token("root"),
            &format!("/api/v1/staff?unit_id={}&subtree=true", w.a.id),
        )
        .await;
    assert_eq!(list["total"], 2, "with the subtree");
    let (status, _) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/staff?unit_id={}", w.b.id),
        )
        .await;
    assert_eq!(status, 404);
    let (_, list) = app
        .get(
            w.token("staff_a1"),
            &format!("/api/v1/staff?unit_id={}", w.a1.id),
        )
        .await;
    assert_eq!(
        list["total"], 1,
        "a staff member sees only themself in their unit"
    );

    let create = |unit: i64| json!({"code": format!("N-{unit}"), "full_name": "Mới", "unit_id": unit, "category": "cong_chuc"});
    for (who, unit, status) in [
        ("hr_a", w.a1.id, 201),
        ("admin_a", w.a.id, 201),
        ("hr_a", w.b.id, 422),
        ("head_a", w.a.id, 403),
        ("inspector_p", w.b.id, 403),
        ("staff_a1", w.a1.id, 403),
    ] {
        let body = if who == "admin_a" {
            json!({"code": "N-ADMIN", "full_name": "Mới", "unit_id": unit, "category": "cong_chuc"})
        } else {
            create(unit)
        };
        let (got, body) = app.post(w.token(who), "/api/v1/staff", body).await;
        assert_eq!(got, status, "{who} creating in {unit}: {body}");
    }
}

async fn staff_updates_clear_and_move(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let path = format!("/api/v1/staff/{}", w.member_a1.id);
    let (status, body) = app
        .patch(
            w.token("hr_a"),
            &path,
            json!({"position": "Phó Trưởng phòng", "email": "lan@example.gov.vn"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["position"], "Phó Trưởng phòng");
    let (status, body) = app
        .patch(
            w.token("hr_a"),
            &path,
            json!({"position": null, "is_head": true}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(body["position"].is_null(), "null clears");
    assert_eq!(body["email"], "lan@example.gov.vn", "absent keeps");
    assert_eq!(body["is_head"], true);
    let (status, body) = app
        .patch(w.token("hr_a"), &path, json!({"unit_id": w.a.id}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["unit_id"], w.a.id);
    let (status, _) = app
        .patch(w.token("hr_a"), &path, json!({"unit_id": w.b.id}))
        .await;
    assert_eq!(status, 422, "B is outside hr_a's reach");
    let (status, _) = app
        .patch(w.token("head_a"), &path, json!({"position": "X"}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .patch(w.token("staff_a1"), &path, json!({"position": "X"}))
        .await;
    assert_eq!(status, 403, "staff cannot edit their own record");
    let (status, _) = app
        .patch(
            w.token("hr_a"),
            &format!("/api/v1/staff/{}", w.member_b.id),
            json!({"position": "X"}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .patch(w.token("hr_a"), &path, json!({"code": "S-B"}))
        .await;
    assert_eq!(status, 409, "code of another staff member");
}

/// An HR officer does not change what decides their own rating (category, service
/// dates, head role, unit); their contact details they may, and another HR officer the
/// rest.
async fn nobody_changes_what_rates_themself(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (s, me) = app
        .post(
            w.token("root"),
            "/api/v1/staff",
            json!({"code": "S-HR-A", "full_name": "Võ Thị Nhân", "unit_id": w.a.id,
                   "category": "cong_chuc"}),
        )
        .await;
    assert_eq!(s, 201, "{me}");
    let (s, body) = app
        .post(
            w.token("root"),
            "/api/v1/users",
            json!({"username": "nhan.vt", "password": crate::helpers::PASSWORD,
                   "staff_id": me["id"], "roles": [{"role": "hr", "unit_id": w.a.id}]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let token = app.token("nhan.vt", crate::helpers::PASSWORD).await;
    let path = format!("/api/v1/staff/{}", me["id"]);
    for change in [
        json!({"category": "contract"}),
        json!({"left_on": "2025-12-31"}),
        json!({"joined_on": "2027-01-01"}),
        json!({"is_head": true}),
        json!({"unit_id": w.a1.id}),
    ] {
        let (s, body) = app.patch(&token, &path, change.clone()).await;
        assert_eq!(s, 403, "{change}: {body}");
    }
    let (s, body) = app
        .patch(
            &token,
            &path,
            json!({"email": "nhan.vt@khanhhoa.gov.vn", "category": "cong_chuc"}),
        )
        .await;
    assert_eq!(s, 200, "contact details, and a field left as it is: {body}");
    let (s, body) = app
        .patch(w.token("hr_a"), &path, json!({"category": "vien_chuc"}))
        .await;
    assert_eq!(s, 200, "{body}");
    // Transferred by another, the officer does not undo it themself.
    let (s, body) = app
        .patch(w.token("hr_a"), &path, json!({"unit_id": w.a1.id}))
        .await;
    assert_eq!(s, 200, "{body}");
    let undo = |token: String| {
        let url = app.url(&format!("{path}/units/last"));
        let client = app.client.clone();
        async move {
            let res = client.delete(url).bearer_auth(token).send().await.unwrap();
            res.status().as_u16()
        }
    };
    assert_eq!(undo(token.clone()).await, 403);
    assert_eq!(undo(w.token("hr_a").to_owned()).await, 200);
}

/// The province's director has an administrator's account linked to a staff record filed
/// in department A. A's HR cannot end it by giving the record a leaving date, which would
/// lock the director out of the province; an administrator over the province can. A's HR
/// still records the departures of A's own people.
async fn a_leaving_date_does_not_lock_out_an_account_beyond_reach(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let (s, director) = app
        .post(
            root,
            "/api/v1/staff",
            json!({"code": "S-DIR", "full_name": "Võ Văn Giám", "unit_id": w.a.id,
                   "category": "cong_chuc"}),
        )
        .await;
    assert_eq!(s, 201, "{director}");
    let (s, body) = app
        .post(
            root,
            "/api/v1/users",
            json!({"username": "giam.doc", "password": "mat-khau-dai-du", "staff_id": director["id"],
                   "roles": [{"role": "admin", "unit_id": w.p.id}]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let yesterday = (crate::attendance::today() - chrono::Duration::days(1)).to_string();
    let path = format!("/api/v1/staff/{}", director["id"]);
    let (s, body) = app
        .patch(w.token("hr_a"), &path, json!({"left_on": yesterday}))
        .await;
    assert_eq!(s, 403, "{body}");
    assert_eq!(app.login("giam.doc", "mat-khau-dai-du").await.status(), 200);
    let (s, _) = app
        .patch(w.token("hr_a"), &path, json!({"position": "Giám đốc Sở"}))
        .await;
    assert_eq!(s, 200, "other fields are HR's as before");
    let (s, body) = app
        .patch(
            w.token("hr_a"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"left_on": yesterday}),
        )
        .await;
    assert_eq!(s, 200, "A's own people's departures are A's HR's: {body}");
    let (s, body) = app
        .patch(w.token("admin_p"), &path, json!({"left_on": yesterday}))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(app.login("giam.doc", "mat-khau-dai-du").await.status(), 401);
    // A role on no unit: only an administrator of every unit records that departure.
    let (s, officer) = app
        .post(
            root,
            "/api/v1/staff",
            json!({"code": "S-HR-ALL", "full_name": "Đỗ Thị Nhân", "unit_id": w.a.id,
                   "category": "cong_chuc"}),
        )
        .await;
    assert_eq!(s, 201, "{officer}");
    let (s, body) = app
        .post(
            root,
            "/api/v1/users",
            json!({"username": "hr.tinh", "password": "mat-khau-dai-du",
                   "staff_id": officer["id"], "roles": [{"role": "hr"}]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let path = format!("/api/v1/staff/{}", officer["id"]);
    let (s, _) = app
        .patch(w.token("admin_p"), &path, json!({"left_on": yesterday}))
        .await;
    assert_eq!(s, 403, "admin_p reaches P, not every unit");
    let (s, body) = app.patch(root, &path, json!({"left_on": yesterday})).await;
    assert_eq!(s, 200, "{body}");
}

both!(
    a_leaving_date_does_not_lock_out_an_account_beyond_reach,
    nobody_changes_what_rates_themself,
    hr_adds_staff_in_nfc,
    staff_validation_and_conflicts_write_nothing,
    staff_access_per_role,
    staff_updates_clear_and_move,
);
