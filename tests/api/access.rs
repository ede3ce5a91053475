//! Every endpoint, for every role, on an object inside and outside the role's reach.
//! Invisible objects answer 404 (or 422 when named in a body), visible ones that the role
//! may not change answer 403.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp};

#[rustfmt::skip]
const EXPECTED: [(&str, [u16; 19]); 7] = [
    //              units: get A1, get B, post A1, post B, patch A1, patch B | staff: get A1, get B, post A1, post B, patch A1, patch B | users: list, get, post A1, post B, patch | audit | me
    ("root",        [200, 200, 201, 201, 200, 200, 200, 200, 201, 201, 200, 200, 200, 200, 201, 201, 200, 200, 200]),
    ("admin_p",     [200, 200, 201, 201, 200, 200, 200, 200, 201, 201, 200, 200, 200, 200, 201, 201, 200, 200, 200]),
    ("admin_a",     [200, 404, 201, 422, 200, 404, 200, 404, 201, 422, 200, 404, 200, 200, 201, 422, 200, 200, 200]),
    ("hr_a",        [200, 404, 403, 422, 403, 404, 200, 404, 201, 422, 200, 404, 403, 404, 403, 403, 404, 200, 200]),
    ("head_a",      [200, 404, 403, 422, 403, 404, 200, 404, 403, 422, 403, 404, 403, 404, 403, 403, 404, 403, 200]),
    ("inspector_p", [200, 200, 403, 403, 403, 403, 200, 200, 403, 403, 403, 403, 403, 404, 403, 403, 404, 403, 200]),
    ("staff_a1",    [200, 404, 403, 422, 403, 404, 200, 404, 403, 422, 403, 404, 403, 404, 403, 403, 404, 403, 200]),
];

async fn every_endpoint_for_every_role(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (status, target) = app
        .post(
            w.token("root"),
            "/api/v1/users",
            json!({"username": "target", "password": "mat-khau-dich", "roles": [{"role": "hr", "unit_id": w.a1.id}]}),
        )
        .await;
    assert_eq!(status, 201);
    let target = target["id"].as_i64().unwrap();

    for (who, expected) in EXPECTED {
        let token = w.token(who);
        let unit = |parent: i64, i: usize| json!({"code": format!("U-{who}-{i}"), "name": "Đơn vị mới", "kind": "division", "parent_id": parent});
        let staff = |unit: i64, i: usize| json!({"code": format!("S-{who}-{i}"), "full_name": "Người mới", "unit_id": unit, "category": "cong_chuc"});
        let user = |unit: i64, i: usize| json!({"username": format!("u.{who}.{i}"), "password": "mat-khau-moi-1", "roles": [{"role": "hr", "unit_id": unit}]});
        let rename = json!({"name": format!("Đổi tên bởi {who}")});
        let position = json!({"position": format!("Chức vụ do {who} đặt")});
        let requests: [(&str, String, Option<Value>); 19] = [
            ("GET", format!("/api/v1/units/{}", w.a1.id), None),
            ("GET", format!("/api/v1/units/{}", w.b.id), None),
            ("POST", "/api/v1/units".into(), Some(unit(w.a1.id, 2))),
            ("POST", "/api/v1/units".into(), Some(unit(w.b.id, 3))),
            (
                "PATCH",
                format!("/api/v1/units/{}", w.a1.id),
                Some(rename.clone()),
            ),
            ("PATCH", format!("/api/v1/units/{}", w.b.id), Some(rename)),
            ("GET", format!("/api/v1/staff/{}", w.member_a1.id), None),
            ("GET", format!("/api/v1/staff/{}", w.member_b.id), None),
            ("POST", "/api/v1/staff".into(), Some(staff(w.a1.id, 8))),
            ("POST", "/api/v1/staff".into(), Some(staff(w.b.id, 9))),
            (
                "PATCH",
                format!("/api/v1/staff/{}", w.member_a1.id),
                Some(position.clone()),
            ),
            (
                "PATCH",
                format!("/api/v1/staff/{}", w.member_b.id),
                Some(position),
            ),
            ("GET", "/api/v1/users".into(), None),
            ("GET", format!("/api/v1/users/{target}"), None),
            ("POST", "/api/v1/users".into(), Some(user(w.a1.id, 14))),
            ("POST", "/api/v1/users".into(), Some(user(w.b.id, 15))),
            (
                "PATCH",
                format!("/api/v1/users/{target}"),
                Some(json!({"is_active": true})),
            ),
            ("GET", "/api/v1/audit".into(), None),
            ("GET", "/api/v1/me".into(), None),
        ];
        for ((method, path, body), want) in requests.into_iter().zip(expected) {
            let (status, answer) = match (method, body) {
                ("GET", _) => app.get(token, &path).await,
                ("POST", Some(body)) => app.post(token, &path, body).await,
                (_, Some(body)) => app.patch(token, &path, body).await,
                _ => unreachable!(),
            };
            assert_eq!(status, want, "{who}: {method} {path} answered {answer}");
        }
    }
}

both!(every_endpoint_for_every_role);
