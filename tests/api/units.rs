use serde_json::json;

use crate::both;
use crate::helpers::{Backend, TestApp};

async fn admin_builds_a_tree(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let (status, prov) = app
        .post(
            root,
            "/api/v1/units",
            json!({"code": "HN", "name": "Thành phố Hà Nội", "kind": "province"}),
        )
        .await;
    assert_eq!(status, 201, "{prov}");
    assert_eq!(prov["kind_label"], "Tỉnh, thành phố");
    assert_eq!(prov["province_id"], prov["id"]);
    assert!(prov["created_at"].as_str().unwrap().ends_with("+07:00"));
    let (status, dept) = app
        .post(
            root,
            "/api/v1/units",
            json!({"code": "SNV", "name": "Sở Nội vụ", "kind": "department", "parent_id": prov["id"]}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(dept["parent_id"], prov["id"]);
    assert_eq!(dept["province_id"], prov["id"]);
    let (status, got) = app
        .get(root, &format!("/api/v1/units/{}", dept["id"]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(got["name"], "Sở Nội vụ");
    // The same code is fine under another parent, but not twice under one.
    let (status, _) = app
        .post(root, "/api/v1/units", json!({"code": "SNV", "name": "Sở Nội vụ P", "kind": "department", "parent_id": w.p.id}))
        .await;
    assert_eq!(status, 201);
    let units_before = app.count("units");
    let audit_before = app.count("audit_log");
    let (status, body) = app
        .post(
            root,
            "/api/v1/units",
            json!({"code": "SNV", "name": "Trùng", "kind": "department", "parent_id": w.p.id}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["errors"]["code"].is_array());
    assert_eq!(
        app.count("units"),
        units_before,
        "a conflict writes nothing"
    );
    assert_eq!(app.count("audit_log"), audit_before);
}

async fn invalid_units_are_422_per_field_and_write_nothing(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let before = app.count("units");
    let (status, body) = app
        .post(
            root,
            "/api/v1/units",
            json!({"code": "có dấu", "name": "", "kind": "division", "parent_id": w.a.id}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["errors"]["code"].is_array(), "{body}");
    assert!(body["errors"]["name"].is_array(), "{body}");
    let (status, body) = app
        .post(
            root,
            "/api/v1/units",
            json!({"code": "X", "name": "X", "kind": "planet", "parent_id": w.a.id}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        body["errors"]["kind"][0]
            .as_str()
            .unwrap()
            .contains("unknown variant")
    );
    let (status, body) = app
        .post(
            root,
            "/api/v1/units",
            json!({"code": "X", "name": "X", "kind": "province", "parent_id": w.a.id}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body["errors"]["kind"].is_array());
    let (status, body) = app
        .post(
            root,
            "/api/v1/units",
            json!({"code": "X", "name": "X", "kind": "division", "parent_id": 999_999}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"]["parent_id"][0], "no such unit");
    let (status, _) = app
        .post(root, "/api/v1/units", json!({"code": "X", "name": "X", "kind": "division", "parent_id": w.a.id, "colour": "red"}))
        .await;
    assert_eq!(status, 422, "unknown fields are rejected");
    let res = app
        .client
        .post(app.url("/api/v1/units"))
        .bearer_auth(root)
        .header("content-type", "text/plain")
        .body("code=X")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let res = app
        .client
        .post(app.url("/api/v1/units"))
        .bearer_auth(root)
        .header("content-type", "application/json")
        .body(format!(
            "{{\"code\": \"X\", \"name\": \"{}\"}}",
            "x".repeat(9 * 1024 * 1024)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413, "bodies over the limit are refused");
    assert_eq!(app.count("units"), before);
}

async fn unit_reads_are_scoped_per_role(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let expect = [
        ("root", 4),
        ("admin_p", 4),
        ("admin_a", 2),
        ("hr_a", 2),
        ("head_a", 2),
        ("inspector_p", 4),
        ("staff_a1", 1),
    ];
    for (who, n) in expect {
        let (status, body) = app.get(w.token(who), "/api/v1/units").await;
        assert_eq!(status, 200);
        assert_eq!(body["total"], n, "{who} sees {body}");
    }
    for (who, unit, visible) in [
        ("head_a", w.a1.id, true),
        ("head_a", w.b.id, false),
        ("head_a", w.p.id, false),
        ("staff_a1", w.a1.id, true),
        ("staff_a1", w.a.id, false),
        ("inspector_p", w.b.id, true),
    ] {
        let (status, _) = app
            .get(w.token(who), &format!("/api/v1/units/{unit}"))
            .await;
        assert_eq!(
            status,
            if visible { 200 } else { 404 },
            "{who} on unit {unit}"
        );
    }
    let (status, _) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/units?within={}", w.b.id),
        )
        .await;
    assert_eq!(status, 404, "an invisible unit in a filter is not found");
    let (status, _) = app.get(w.token("root"), "/api/v1/units/987654").await;
    assert_eq!(status, 404);
    let (status, _) = app.get(w.token("root"), "/api/v1/units/abc").await;
    assert_eq!(status, 404);
    let (_, body) = app
        .get(w.token("root"), &format!("/api/v1/units?within={}", w.a.id))
        .await;
    assert_eq!(body["total"], 2);
    let (_, body) = app
        .get(
            w.token("root"),
            &format!("/api/v1/units?parent_id={}", w.p.id),
        )
        .await;
    assert_eq!(body["total"], 2);
    let (_, body) = app
        .get(w.token("root"), "/api/v1/units?kind=department")
        .await;
    assert_eq!(body["total"], 2);
}

async fn unit_writes_need_admin_on_the_unit(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let new_under = |parent: i64, code: &str| json!({"code": code, "name": "Mới", "kind": "division", "parent_id": parent});
    for (who, parent, code, status) in [
        ("admin_a", w.a.id, "N", 201),
        ("admin_a", w.b.id, "N2", 422),
        ("hr_a", w.a.id, "N2", 403),
        ("head_a", w.a.id, "N2", 403),
        ("inspector_p", w.a.id, "N2", 403),
        ("staff_a1", w.a1.id, "N2", 403),
        // A code is the province's: imports and feeds name units by it.
        ("admin_p", w.b.id, "N", 409),
        ("admin_p", w.b.id, "N2", 201),
    ] {
        let (got, body) = app
            .post(w.token(who), "/api/v1/units", new_under(parent, code))
            .await;
        assert_eq!(got, status, "{who} under {parent}: {body}");
    }
    let province = json!({"code": "HP", "name": "Thành phố Hải Phòng", "kind": "province"});
    let (status, _) = app
        .post(w.token("admin_p"), "/api/v1/units", province.clone())
        .await;
    assert_eq!(status, 403, "only a global admin creates provinces");
    let (status, _) = app.post(w.token("root"), "/api/v1/units", province).await;
    assert_eq!(status, 201);

    let path = format!("/api/v1/units/{}", w.a1.id);
    let (status, body) = app
        .patch(w.token("admin_a"), &path, json!({"name": "Phòng Tổng hợp"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "Phòng Tổng hợp");
    let (status, _) = app
        .patch(w.token("head_a"), &path, json!({"name": "X"}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .patch(
            w.token("admin_a"),
            &format!("/api/v1/units/{}", w.b.id),
            json!({"name": "X"}),
        )
        .await;
    assert_eq!(status, 404, "invisible units are not found");
    let (status, _) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/units/{}", w.p.id),
            json!({"kind": "department"}),
        )
        .await;
    assert_eq!(status, 422, "a root stays a province");
}

async fn moving_a_unit_moves_its_subtree_and_access(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let path = format!("/api/v1/units/{}", w.a.id);
    let (status, body) = app
        .patch(w.token("root"), &path, json!({"parent_id": w.a1.id}))
        .await;
    assert_eq!(status, 422, "not under its own child: {body}");
    let (status, _) = app
        .patch(
            w.token("admin_a"),
            &format!("/api/v1/units/{}", w.a1.id),
            json!({"parent_id": w.b.id}),
        )
        .await;
    assert_eq!(status, 422, "admin of A cannot see B");
    let (status, body) = app
        .patch(
            w.token("admin_p"),
            &format!("/api/v1/units/{}", w.a1.id),
            json!({"parent_id": w.b.id}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["parent_id"], w.b.id);
    let (status, _) = app
        .get(w.token("head_a"), &format!("/api/v1/units/{}", w.a1.id))
        .await;
    assert_eq!(status, 404, "A's head no longer reaches A1");
    let (status, _) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
        )
        .await;
    assert_eq!(status, 404, "nor its staff");
    let (_, body) = app
        .get(w.token("root"), &format!("/api/v1/units?within={}", w.b.id))
        .await;
    assert_eq!(body["total"], 2);
    let (status, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/units/{}", w.a1.id),
            json!({"code": "B"}),
        )
        .await;
    assert_eq!(
        status, 409,
        "codes are unique in the province (imports name units by them): {body}"
    );
}

async fn lists_are_paginated(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let (_, first) = app.get(root, "/api/v1/units?per_page=3").await;
    assert_eq!(
        (
            first["total"].as_i64(),
            first["items"].as_array().unwrap().len()
        ),
        (Some(4), 3)
    );
    assert_eq!(
        (first["page"].as_i64(), first["per_page"].as_i64()),
        (Some(1), Some(3))
    );
    let (_, second) = app.get(root, "/api/v1/units?per_page=3&page=2").await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    let (_, beyond) = app.get(root, "/api/v1/units?page=9").await;
    assert_eq!(beyond["items"].as_array().unwrap().len(), 0);
    let (_, default) = app.get(root, "/api/v1/units").await;
    assert_eq!(default["per_page"], 50);
    for bad in ["per_page=501", "per_page=0", "page=0", "page=x"] {
        let (status, body) = app.get(root, &format!("/api/v1/units?{bad}")).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
}

/// Policies and settings follow a province by its root's code: while any does, the code
/// stays, rather than the province losing them (or taking over another's) without a word.
async fn a_provinces_code_stays_while_rules_follow_it(b: Backend) {
    let Some((app, w)) = TestApp::with_world_and(b, |s| {
        s.dossiers.late_ratio_formula_by_province.insert(
            "GLA".into(),
            congvu::domain::dossiers::LateRatioFormula::WithOverdue,
        );
    })
    .await
    else {
        return;
    };
    let root = w.token("root");
    let province = format!("/api/v1/units/{}", w.p.id);
    // Nothing names P yet: renamed and back.
    for code in ["P2", "P"] {
        let (s, body) = app.patch(root, &province, json!({"code": code})).await;
        assert_eq!(s, 200, "{body}");
    }
    // Not to a code the settings give another province.
    let (s, body) = app.patch(root, &province, json!({"code": "GLA"})).await;
    assert_eq!(s, 409, "{body}");
    let why = body["errors"]["code"][0].as_str().unwrap_or_default();
    assert!(
        why.contains("setting dossiers.late_ratio_formula_by_province"),
        "{body}"
    );
    let overlay = "code = \"p-own\"\nname = \"Tỉnh P\"\nsource = \"Quy định của tỉnh\"\n\
                   kind = \"overlay\"\nprovince = \"P\"\neffective_from = \"2024-01-01\"\n\
                   categories = [\"cong_chuc\"]\n";
    let (s, body) = app
        .post(
            w.token("admin_p"),
            "/api/v1/policies",
            json!({"document": overlay}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let (s, body) = app.patch(root, &province, json!({"code": "P2"})).await;
    assert_eq!(s, 409, "{body}");
    let why = body["errors"]["code"][0].as_str().unwrap_or_default();
    assert!(why.contains("policy p-own"), "{body}");
    let (_, unit) = app.get(root, &province).await;
    assert_eq!(unit["code"], "P", "{unit}");
    // Other units' codes and the province's name still change.
    let (s, body) = app
        .patch(root, &province, json!({"name": "Tỉnh P mới"}))
        .await;
    assert_eq!(s, 200, "{body}");
}

/// Two administrators change two fields of one unit at the same moment, again and again:
/// each change is made on the other's result, so neither is lost.
async fn two_changes_of_a_unit_at_once_both_stay(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let path = format!("/api/v1/units/{}", w.a1.id);
    for round in 0..6 {
        let name = format!("Phòng A1 ({round})");
        let code = format!("A1-{round}");
        let by_name = app
            .client
            .patch(app.url(&path))
            .bearer_auth(w.token("root"))
            .json(&json!({"name": name}))
            .send();
        let by_code = app
            .client
            .patch(app.url(&path))
            .bearer_auth(w.token("admin_p"))
            .json(&json!({"code": code}))
            .send();
        let (a, b) = tokio::join!(by_name, by_code);
        assert_eq!(
            (a.unwrap().status().as_u16(), b.unwrap().status().as_u16()),
            (200, 200)
        );
        let (_, unit) = app.get(w.token("root"), &path).await;
        assert_eq!(
            (&unit["name"], &unit["code"]),
            (&json!(name), &json!(code)),
            "round {round}"
        );
    }
}

both!(
    two_changes_of_a_unit_at_once_both_stay,
    a_provinces_code_stays_while_rules_follow_it,
    admin_builds_a_tree,
    invalid_units_are_422_per_field_and_write_nothing,
    unit_reads_are_scoped_per_role,
    unit_writes_need_admin_on_the_unit,
    moving_a_unit_moves_its_subtree_and_access,
    lists_are_paginated,
);
