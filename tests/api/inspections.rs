//! Inspections end to end: who may open and see them, the findings' guarded workflow,
//! disciplinary forms, and upheld findings in the violation register.

use serde_json::json;

use crate::both;
use crate::helpers::{Backend, TestApp};

async fn an_inspection_from_first_visit_to_closing(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let inspector = w.token("inspector_p");
    let body = json!({"unit_id": w.a.id, "kind": "surprise", "started_at": "2026-03-04T07:45:00+07:00",
                      "record_no": "01/BB-KTCV", "legal_basis": "Quyết định 15/QĐ-SNV", "present_count": 36, "total_count": 42});
    let (s, _) = app
        .post(w.token("head_a"), "/api/v1/inspections", body.clone())
        .await;
    assert_eq!(s, 403, "heads do not inspect");
    // More present than on the roll, or a visit ahead of its time: 422 (before, stored;
    // the second then refused every finding until it came).
    for (field, bad) in [
        ("present_count", json!({"present_count": 43})),
        (
            "started_at",
            json!({"started_at": "2099-01-05T08:00:00+07:00"}),
        ),
    ] {
        let mut wrong = body.clone();
        for (k, v) in bad.as_object().unwrap() {
            wrong[k] = v.clone();
        }
        let (s, e) = app.post(inspector, "/api/v1/inspections", wrong).await;
        assert_eq!((s, e["errors"][field].is_array()), (422, true), "{e}");
    }
    let (s, insp) = app.post(inspector, "/api/v1/inspections", body).await;
    assert_eq!(s, 201, "{insp}");
    assert_eq!(insp["team"], json!([w.user_ids["inspector_p"]]));
    let path = format!("/api/v1/inspections/{}", insp["id"]);

    let finding = |code: &str, staff: Option<i64>| {
        let mut f = json!({"violation_code": code, "observed_at": "2026-03-04T11:50:00+07:00", "description": "Uống bia trong giờ nghỉ trưa", "severity": "less_serious"});
        if let Some(s) = staff {
            f["staff_id"] = json!(s);
        }
        f
    };
    let (s, personal) = app
        .post(
            inspector,
            &format!("{path}/findings"),
            finding("alcohol", Some(w.member_a1.id)),
        )
        .await;
    assert_eq!(s, 201, "{personal}");
    assert_eq!(personal["status"], "explanation_requested");
    let (s, unit_wide) = app
        .post(
            inspector,
            &format!("{path}/findings"),
            finding("no_badge", None),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(unit_wide["status"], "open");
    let (s, _) = app
        .post(
            inspector,
            &format!("{path}/findings"),
            finding("karaoke", None),
        )
        .await;
    assert_eq!(s, 422, "codes come from the catalogue");
    let (s, _) = app
        .post(
            inspector,
            &format!("{path}/findings"),
            finding("alcohol", Some(w.member_b.id)),
        )
        .await;
    assert_eq!(s, 422, "B is not the inspected unit");
    let (s, _) = app
        .post(
            w.token("head_a"),
            &format!("{path}/findings"),
            finding("alcohol", None),
        )
        .await;
    assert_eq!(s, 403);

    // Who sees what.
    for (who, findings) in [
        ("head_a", 2),
        ("hr_a", 2),
        ("admin_a", 2),
        ("staff_a1", 1),
        ("inspector_p", 2),
    ] {
        let (s, got) = app.get(w.token(who), &path).await;
        assert_eq!(s, 200, "{who}: {got}");
        assert_eq!(got["findings"].as_array().unwrap().len(), findings, "{who}");
        // Someone who sees only their own finding sees the visit, not the record's
        // headcounts, summary, representative or team.
        let whole = findings == 2;
        assert_eq!(got["present_count"] == 36, whole, "{who}: {got}");
        assert_eq!(got["record_no"], "01/BB-KTCV", "{who}");
        assert_eq!(
            got["team"].as_array().unwrap().is_empty(),
            !whole,
            "{who}: {got}"
        );
    }
    let (s, _) = app
        .post(w.token("root"), "/api/v1/users", json!({"username": "tt.khac", "password": "mat-khau-thanh-tra", "roles": [{"role": "inspector", "unit_id": w.p.id}]}))
        .await;
    assert_eq!(s, 201);
    let other = app.token("tt.khac", "mat-khau-thanh-tra").await;
    let (s, _) = app.get(&other, &path).await;
    assert_eq!(s, 404, "another team does not see it");
    let (_, listed) = app.get(w.token("head_a"), "/api/v1/inspections").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["total"], 1);
    // The person found lists the visit with their own finding, as they read it, before
    // their time to explain has passed (before: nothing until it was overdue).
    let (s, mine) = app.get(w.token("staff_a1"), "/api/v1/inspections").await;
    assert_eq!(s, 200, "{mine}");
    assert_eq!(mine["total"], 1, "{mine}");
    let (_, read) = app.get(w.token("staff_a1"), &path).await;
    assert_eq!(mine["items"][0], read, "listed as read");
    assert_eq!(read["findings"][0]["id"], personal["id"]);
    let (_, none) = app.get(&other, "/api/v1/inspections").await;
    assert_eq!(none["total"], 0, "{none}");

    // Guards.
    let personal_path = format!("/api/v1/findings/{}", personal["id"]);
    let unit_path = format!("/api/v1/findings/{}", unit_wide["id"]);
    let (s, _) = app
        .post(inspector, &format!("{personal_path}/close"), json!({}))
        .await;
    assert_eq!(s, 409, "not closed before it is concluded");
    let (s, _) = app
        .post(inspector, &format!("{path}/close"), json!({}))
        .await;
    assert_eq!(s, 409, "findings are still open");
    // Explanations: the person for theirs, the head for the unit's.
    let (s, _) = app
        .post(
            w.token("head_a"),
            &format!("{personal_path}/explanation"),
            json!({"text": "x"}),
        )
        .await;
    assert_eq!(s, 403);
    // Blanks explain nothing, and there is one explanation (before, taken).
    let (s, e) = app
        .post(
            w.token("staff_a1"),
            &format!("{personal_path}/explanation"),
            json!({"text": "   "}),
        )
        .await;
    assert_eq!((s, e["errors"]["text"].is_array()), (422, true), "{e}");
    let (s, explained) = app
        .post(
            w.token("staff_a1"),
            &format!("{personal_path}/explanation"),
            json!({"text": "Tôi xin rút kinh nghiệm."}),
        )
        .await;
    assert_eq!(s, 200, "{explained}");
    assert_eq!(explained["status"], "explained");
    // Explained, it is still listed with the visit, as read (before: the list held the
    // person's waiting findings only, and the visit went from it).
    let (_, mine) = app.get(w.token("staff_a1"), "/api/v1/inspections").await;
    let (_, read) = app.get(w.token("staff_a1"), &path).await;
    assert_eq!(
        (&mine["total"], &mine["items"][0]),
        (&json!(1), &read),
        "{mine}"
    );
    let (s, _) = app
        .post(
            w.token("staff_a1"),
            &format!("{unit_path}/explanation"),
            json!({"text": "x"}),
        )
        .await;
    assert_eq!(s, 404, "staff do not see the unit's findings");
    let (s, _) = app
        .post(
            w.token("head_a"),
            &format!("{unit_path}/explanation"),
            json!({"text": "Đã nhắc nhở toàn đơn vị."}),
        )
        .await;
    assert_eq!(s, 200);

    // Conclusions, with the discipline form checked against category and regime.
    let (s, _) = app
        .post(
            w.token("head_a"),
            &format!("{personal_path}/decision"),
            json!({"outcome": "upheld"}),
        )
        .await;
    assert_eq!(s, 403, "the team concludes");
    let (s, body) = app
        .post(
            inspector,
            &format!("{personal_path}/decision"),
            json!({"outcome": "upheld", "discipline_form": "ha_bac_luong"}),
        )
        .await;
    assert_eq!(s, 422, "no salary-step reduction under NĐ 172/2025: {body}");
    assert!(
        body["errors"]["discipline_form"][0]
            .as_str()
            .unwrap()
            .contains("172/2025"),
        "{body}"
    );
    // A deadline without an action, or an action of blanks, is no action (before, stored
    // and never tracked); a dismissed finding takes neither.
    for (field, bad) in [
        (
            "action",
            json!({"outcome": "upheld", "action": "   ", "action_due": "2026-03-20"}),
        ),
        (
            "action",
            json!({"outcome": "upheld", "action_due": "2026-03-20"}),
        ),
        (
            "outcome",
            json!({"outcome": "dismissed", "action_due": "2026-03-20"}),
        ),
    ] {
        let (s, e) = app
            .post(inspector, &format!("{personal_path}/decision"), bad)
            .await;
        assert_eq!((s, e["errors"][field].is_array()), (422, true), "{e}");
    }
    let (s, upheld) = app
        .post(inspector, &format!("{personal_path}/decision"), json!({"outcome": "upheld", "discipline_form": "khien_trach", "action": "Viết bản kiểm điểm", "action_due": "2026-03-20"}))
        .await;
    assert_eq!(s, 200, "{upheld}");
    assert_eq!(upheld["status"], "action_required");
    let (s, dismissed) = app
        .post(
            inspector,
            &format!("{unit_path}/decision"),
            json!({"outcome": "dismissed"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(dismissed["status"], "dismissed");
    let (s, _) = app
        .post(
            inspector,
            &format!("{unit_path}/decision"),
            json!({"outcome": "upheld"}),
        )
        .await;
    assert_eq!(s, 409, "a conclusion stands");
    let (_, register) = app
        .get(w.token("root"), "/api/v1/violations?code=alcohol")
        .await;
    assert_eq!(
        register["total"], 1,
        "the upheld finding is in the register: {register}"
    );
    assert_eq!(register["items"][0]["staff_id"], w.member_a1.id);
    let (_, register) = app
        .get(w.token("root"), "/api/v1/violations?code=no_badge")
        .await;
    assert_eq!(
        register["total"], 0,
        "a dismissed finding leaves no trace there"
    );
    for p in [&personal_path, &unit_path] {
        let (s, _) = app.post(inspector, &format!("{p}/close"), json!({})).await;
        assert_eq!(s, 200);
    }
    let (s, closed) = app
        .post(inspector, &format!("{path}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{closed}");
    assert_eq!(closed["status"], "closed");
    let (s, _) = app
        .post(
            inspector,
            &format!("{path}/findings"),
            finding("alcohol", None),
        )
        .await;
    assert_eq!(s, 409, "a closed record takes no more findings");
    let (_, trail) = app
        .get(w.token("root"), "/api/v1/audit?entity=finding")
        .await;
    assert!(
        trail["total"].as_i64().unwrap() >= 8,
        "every transition is audited: {trail}"
    );
}

async fn an_inspection_may_close_with_open_findings_only_explicitly(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let inspector = w.token("inspector_p");
    let (_, insp) = app
        .post(inspector, "/api/v1/inspections", json!({"unit_id": w.b.id, "kind": "thematic", "started_at": "2026-03-05T08:00:00+07:00"}))
        .await;
    let path = format!("/api/v1/inspections/{}", insp["id"]);
    app.post(inspector, &format!("{path}/findings"), json!({"violation_code": "late", "observed_at": "2026-03-05T08:10:00+07:00", "staff_id": w.member_b.id, "description": "Đến muộn 40 phút"}))
        .await;
    let (s, _) = app
        .post(inspector, &format!("{path}/close"), json!({}))
        .await;
    assert_eq!(s, 409);
    let (s, closed) = app
        .post(
            inspector,
            &format!("{path}/close"),
            json!({"with_open_findings": true}),
        )
        .await;
    assert_eq!(s, 200, "{closed}");
    assert_eq!(closed["closed_with_open_findings"], true);
    let (s, _) = app.get(w.token("head_a"), &path).await;
    assert_eq!(s, 404, "A's head does not see B's inspections");
}

async fn overdue_explanations_are_listed_for_those_concerned(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let inspector = w.token("inspector_p");
    let (_, insp) = app
        .post(inspector, "/api/v1/inspections", json!({"unit_id": w.a.id, "kind": "surprise", "started_at": "2026-03-05T08:00:00+07:00"}))
        .await;
    let path = format!("/api/v1/inspections/{}/findings", insp["id"]);
    let (_, mine) = app
        .post(inspector, &path, json!({"violation_code": "no_badge", "observed_at": "2026-03-05T08:10:00+07:00", "staff_id": w.member_a1.id, "description": "Không đeo thẻ"}))
        .await;
    let (_, later) = app
        .post(inspector, &path, json!({"violation_code": "smoking", "observed_at": "2026-03-05T08:20:00+07:00", "staff_id": w.head_a.id, "description": "Hút thuốc trong phòng"}))
        .await;
    // The first deadline has passed.
    let id = mine["id"].as_i64().unwrap();
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        use congvu::db::schema::findings;
        use diesel::prelude::*;
        let mut c = db.conn().unwrap();
        diesel::update(findings::table.find(id))
            .set(
                findings::explanation_due_at.eq(Some(
                    chrono::NaiveDate::from_ymd_opt(2026, 3, 10)
                        .unwrap()
                        .and_hms_opt(0, 0, 0)
                        .unwrap(),
                )),
            )
            .execute(&mut *c)
            .unwrap();
    })
    .await
    .unwrap();
    for (who, expected) in [
        ("inspector_p", 1),
        ("head_a", 1),
        ("staff_a1", 1),
        ("hr_a", 1),
    ] {
        let (s, list) = app.get(w.token(who), "/api/v1/findings/overdue").await;
        assert_eq!(s, 200, "{who}: {list}");
        let ids: Vec<i64> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids.len(), expected, "{who}: {list}");
        assert_eq!(ids[0], id, "{who}");
        assert!(!ids.contains(&later["id"].as_i64().unwrap()));
    }
    let (s, _) = app
        .get(
            w.token("staff_a1"),
            &format!("/api/v1/findings/overdue?unit_id={}", w.b.id),
        )
        .await;
    assert_eq!(s, 404, "a unit beyond one's reach");
}

async fn disciplinary_decisions_follow_the_regime_in_force(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let inspector = w.token("inspector_p");
    let (_, insp) = app
        .post(inspector, "/api/v1/inspections", json!({"unit_id": w.a.id, "kind": "surprise", "started_at": "2026-03-05T08:00:00+07:00"}))
        .await;
    let (_, finding) = app
        .post(
            inspector,
            &format!("/api/v1/inspections/{}/findings", insp["id"]),
            json!({"violation_code": "alcohol", "observed_at": "2026-03-05T12:00:00+07:00", "staff_id": w.member_a1.id, "description": "Uống rượu buổi trưa"}),
        )
        .await;
    let (s, body) = app
        .post(
            inspector,
            &format!("/api/v1/findings/{}/decision", finding["id"]),
            json!({"outcome": "upheld"}),
        )
        .await;
    assert_eq!(s, 409, "the person may still explain: {body}");
    let (s, _) = app
        .post(
            w.token("staff_a1"),
            &format!("/api/v1/findings/{}/explanation", finding["id"]),
            json!({"text": "Tôi xin nhận khuyết điểm."}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .post(
            inspector,
            &format!("/api/v1/findings/{}/decision", finding["id"]),
            json!({"outcome": "upheld"}),
        )
        .await;
    assert_eq!(s, 200);
    let decision = |no: &str, form: &str, on: &str| {
        json!({"staff_id": w.member_a1.id, "form": form, "decision_no": no, "decided_on": on, "effective_from": on,
               "reason": "Vi phạm quy định về sử dụng rượu, bia", "finding_ids": [finding["id"]]})
    };
    let (s, _) = app
        .post(
            w.token("head_a"),
            "/api/v1/discipline",
            decision("01/QĐ", "khien_trach", "2026-03-25"),
        )
        .await;
    assert_eq!(s, 403, "recorded by hr or an admin");
    let (s, body) = app
        .post(
            w.token("hr_a"),
            "/api/v1/discipline",
            decision("01/QĐ", "ha_bac_luong", "2026-03-25"),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(
        body["errors"]["form"][0]
            .as_str()
            .unwrap()
            .contains("172/2025"),
        "{body}"
    );
    let (s, made) = app
        .post(
            w.token("hr_a"),
            "/api/v1/discipline",
            decision("01/QĐ", "khien_trach", "2026-03-25"),
        )
        .await;
    assert_eq!(s, 201, "{made}");
    assert_eq!(made["restricted_until"], "2027-03-24", "twelve months");
    assert_eq!(made["form_label"], "Khiển trách");
    assert_eq!(made["finding_ids"], json!([finding["id"]]));
    let (s, _) = app
        .post(
            w.token("hr_a"),
            "/api/v1/discipline",
            decision("01/QĐ", "canh_cao", "2026-03-26"),
        )
        .await;
    assert_eq!(s, 409, "decision numbers are unique in the province");
    // However it is typed.
    let (s, body) = app
        .post(
            w.token("hr_a"),
            "/api/v1/discipline",
            decision(" 01/QĐ ", "canh_cao", "2026-03-26"),
        )
        .await;
    assert_eq!(s, 409, "{body}");
    assert!(body["errors"]["decision_no"].is_array(), "{body}");
    // A second decision on the same act: it is punished once (before, 201).
    let (s, body) = app
        .post(
            w.token("hr_a"),
            "/api/v1/discipline",
            decision("06/QĐ", "canh_cao", "2026-04-10"),
        )
        .await;
    assert_eq!(s, 409, "{body}");
    assert!(body["errors"]["finding_ids[0]"].is_array(), "{body}");
    let mut twice = decision("04/QĐ", "canh_cao", "2026-03-26");
    twice["finding_ids"] = json!([finding["id"], finding["id"]]);
    let (s, body) = app.post(w.token("hr_a"), "/api/v1/discipline", twice).await;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["finding_ids[1]"].is_array(), "{body}");
    // Nobody records a decision about themself: an hr account of the province linked to
    // B's officer.
    let (s, body) = app
        .post(
            w.token("root"),
            "/api/v1/users",
            json!({"username": "hr_self", "password": crate::helpers::PASSWORD,
                   "staff_id": w.member_b.id, "roles": [{"role": "hr", "unit_id": w.p.id}]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let hr_self = app.token("hr_self", crate::helpers::PASSWORD).await;
    let mut about_self = decision("05/QĐ", "khien_trach", "2024-05-02");
    about_self["staff_id"] = json!(w.member_b.id);
    about_self["finding_ids"] = json!([]);
    let (s, body) = app
        .post(&hr_self, "/api/v1/discipline", about_self.clone())
        .await;
    assert_eq!(s, 403, "{body}");
    let (s, body) = app
        .post(w.token("admin_p"), "/api/v1/discipline", about_self)
        .await;
    assert_eq!(s, 201, "another officer may: {body}");
    // A decision is not dated before the act it punishes (observed 5/3/2026).
    let (s, body) = app
        .post(
            w.token("hr_a"),
            "/api/v1/discipline",
            decision("02/QĐ", "ha_bac_luong", "2025-06-30"),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(
        body["errors"]["decided_on"][0]
            .as_str()
            .unwrap()
            .contains("2026-03-05"),
        "{body}"
    );
    let mut earlier = decision("02/QĐ", "ha_bac_luong", "2025-06-30");
    earlier["finding_ids"] = json!([]);
    let (s, old) = app
        .post(w.token("hr_a"), "/api/v1/discipline", earlier)
        .await;
    assert_eq!(s, 201, "allowed under NĐ 112/2020 on 30/6/2025: {old}");
    let (s, _) = app
        .post(w.token("hr_a"), "/api/v1/discipline", json!({"staff_id": w.member_a1.id, "form": "canh_cao", "decision_no": "03/QĐ", "decided_on": "2026-04-01", "effective_from": "2026-04-01", "reason": "x", "finding_ids": [999999]}))
        .await;
    assert_eq!(s, 422, "only upheld findings about the person");
    let (s, own) = app.get(w.token("staff_a1"), "/api/v1/discipline").await;
    assert_eq!(s, 200);
    assert_eq!(own["items"].as_array().unwrap().len(), 2, "{own}");
    let (_, year) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/discipline?unit_id={}&year=2026", w.a.id),
        )
        .await;
    assert_eq!(year["items"].as_array().unwrap().len(), 1);
    let (s, _) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/discipline?staff_id={}", w.member_b.id),
        )
        .await;
    assert_eq!(s, 404);
    // A year lists the decisions taking effect in it, as its rating counts them: one of
    // 26/12/2025 effective 2/1/2026 is 2026's (before: 2025's).
    let mut new_year = decision("06/QĐ", "khien_trach", "2025-12-26");
    new_year["effective_from"] = json!("2026-01-02");
    new_year["finding_ids"] = json!([]);
    let (s, body) = app
        .post(w.token("hr_a"), "/api/v1/discipline", new_year)
        .await;
    assert_eq!(s, 201, "{body}");
    for (year, numbers) in [(2026, vec!["06/QĐ", "01/QĐ"]), (2025, vec!["02/QĐ"])] {
        let (_, listed) = app
            .get(
                w.token("head_a"),
                &format!("/api/v1/discipline?unit_id={}&year={year}", w.a.id),
            )
            .await;
        let got: Vec<&str> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["decision_no"].as_str().unwrap())
            .collect();
        assert_eq!(got, numbers, "{year}: {listed}");
    }
    // An inspector reads staff records, not the decisions about them (their reasons and
    // findings): before, the province's inspector listed every one.
    let (s, seen) = app
        .get(
            w.token("inspector_p"),
            &format!("/api/v1/discipline?unit_id={}", w.p.id),
        )
        .await;
    assert_eq!((s, &seen["total"]), (200, &json!(0)), "{seen}");
    let (s, _) = app
        .get(
            w.token("inspector_p"),
            &format!("/api/v1/discipline?staff_id={}", w.member_a1.id),
        )
        .await;
    assert_eq!(s, 404);
}

/// The list reads teams, units and findings for all its inspections at once: each still
/// comes with its own team and findings, and only those the reader sees whole.
async fn lists_keep_each_inspection_with_its_own_findings(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let inspector = w.token("inspector_p");
    let mut made = Vec::new();
    for (unit, findings) in [(w.a.id, 2), (w.b.id, 1), (w.a.id, 0), (w.a1.id, 1)] {
        let (s, insp) = app
            .post(
                inspector,
                "/api/v1/inspections",
                json!({"unit_id": unit, "kind": "surprise", "started_at": "2026-03-04T07:45:00+07:00"}),
            )
            .await;
        assert_eq!(s, 201, "{insp}");
        let id = insp["id"].as_i64().unwrap();
        for _ in 0..findings {
            let (s, f) = app
                .post(
                    inspector,
                    &format!("/api/v1/inspections/{id}/findings"),
                    json!({"violation_code": "no_badge", "observed_at": "2026-03-04T08:10:00+07:00",
                           "description": "Không đeo thẻ công chức", "severity": "less_serious"}),
                )
                .await;
            assert_eq!(s, 201, "{f}");
        }
        made.push((id, unit, findings));
    }
    let shape = |list: &serde_json::Value| {
        let mut got: Vec<(i64, usize, serde_json::Value)> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let id = i["id"].as_i64().unwrap();
                let findings = i["findings"].as_array().unwrap();
                assert!(findings.iter().all(|f| f["inspection_id"] == id), "{i}");
                (id, findings.len(), i["team"].clone())
            })
            .collect();
        got.sort_by_key(|g| g.0);
        got
    };
    let team = json!([w.user_ids["inspector_p"]]);
    let (s, all) = app.get(inspector, "/api/v1/inspections").await;
    assert_eq!(s, 200, "{all}");
    let want: Vec<_> = made
        .iter()
        .map(|(id, _, n)| (*id, *n as usize, team.clone()))
        .collect();
    assert_eq!(shape(&all), want);
    // The head of A sees A's three (A1 is below A), not B's.
    let (_, theirs) = app.get(w.token("head_a"), "/api/v1/inspections").await;
    let want: Vec<_> = made
        .iter()
        .filter(|(_, unit, _)| *unit != w.b.id)
        .map(|(id, _, n)| (*id, *n as usize, team.clone()))
        .collect();
    assert_eq!(shape(&theirs), want);
    // Pages, newest first (started the same minute: the later made first), as every list.
    let (s, first) = app
        .get(inspector, "/api/v1/inspections?page=1&per_page=3")
        .await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(
        (&first["total"], &first["per_page"]),
        (&json!(4), &json!(3))
    );
    let (_, second) = app
        .get(inspector, "/api/v1/inspections?page=2&per_page=3")
        .await;
    let mut ids: Vec<i64> = [&first, &second]
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().iter())
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    let newest_first = ids.clone();
    ids.sort_unstable();
    assert_eq!(ids, made.iter().map(|m| m.0).collect::<Vec<_>>());
    assert_eq!(newest_first, ids.iter().rev().copied().collect::<Vec<_>>());
    // An inspector lists one unit's subtree they inspect: A's two and A1's one.
    let (s, of_a) = app
        .get(
            inspector,
            &format!("/api/v1/inspections?unit_id={}", w.a.id),
        )
        .await;
    assert_eq!(s, 200, "{of_a}");
    assert_eq!(of_a["total"], 3, "{of_a}");
}

/// The team inspects this unit: an inspector of another province is refused like an
/// account that inspects nothing. And a member who also heads the unit, and explained its
/// finding, does not conclude it.
async fn a_team_over_the_unit_and_nobody_judges_their_own_explanation(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let (s, q) = app
        .post(
            root,
            "/api/v1/units",
            json!({"code": "Q", "name": "Tỉnh Thứ Hai", "kind": "province"}),
        )
        .await;
    assert_eq!(s, 201, "{q}");
    let account = |name: &str, roles: serde_json::Value| json!({"username": name, "password": "mat-khau-thanh-tra", "roles": roles});
    let (s, elsewhere) = app
        .post(
            root,
            "/api/v1/users",
            account("tt.q", json!([{"role": "inspector", "unit_id": q["id"]}])),
        )
        .await;
    assert_eq!(s, 201, "{elsewhere}");
    let (s, both_hats) = app
        .post(
            root,
            "/api/v1/users",
            account(
                "tt.a",
                json!([{"role": "inspector", "unit_id": w.p.id}, {"role": "unit_head", "unit_id": w.a.id}]),
            ),
        )
        .await;
    assert_eq!(s, 201, "{both_hats}");
    let visit = |team: serde_json::Value| {
        json!({"unit_id": w.a.id, "kind": "surprise", "started_at": "2026-03-04T07:45:00+07:00",
               "team": team})
    };
    let inspector = w.token("inspector_p");
    let (s, body) = app
        .post(
            inspector,
            "/api/v1/inspections",
            visit(json!([elsewhere["id"]])),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["team[0]"].is_array(), "{body}");
    let (s, insp) = app
        .post(
            inspector,
            "/api/v1/inspections",
            visit(json!([both_hats["id"]])),
        )
        .await;
    assert_eq!(s, 201, "{insp}");
    let (s, finding) = app
        .post(
            inspector,
            &format!("/api/v1/inspections/{}/findings", insp["id"]),
            json!({"violation_code": "no_badge", "observed_at": "2026-03-04T08:00:00+07:00",
                   "description": "Không đeo thẻ"}),
        )
        .await;
    assert_eq!(s, 201, "{finding}");
    let path = format!("/api/v1/findings/{}", finding["id"]);
    let head = app.token("tt.a", "mat-khau-thanh-tra").await;
    let (s, body) = app
        .post(
            &head,
            &format!("{path}/explanation"),
            json!({"text": "Đã nhắc nhở"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = app
        .post(
            &head,
            &format!("{path}/decision"),
            json!({"outcome": "dismissed"}),
        )
        .await;
    assert_eq!(s, 403, "{body}");
    let (s, body) = app
        .post(
            inspector,
            &format!("{path}/decision"),
            json!({"outcome": "upheld"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
}

both!(
    a_team_over_the_unit_and_nobody_judges_their_own_explanation,
    lists_keep_each_inspection_with_its_own_findings,
    disciplinary_decisions_follow_the_regime_in_force,
    overdue_explanations_are_listed_for_those_concerned,
    an_inspection_from_first_visit_to_closing,
    an_inspection_may_close_with_open_findings_only_explicitly,
);
