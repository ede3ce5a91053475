//! Evidence files on findings (multipart upload, type and size limits, who may add and
//! download them) and the offline submission of a whole inspection record.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp, World, read};

const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R', 0, 0, 0,
    1,
];
const JPEG: &[u8] = &[
    0xff, 0xd8, 0xff, 0xe0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1,
];

async fn upload(
    app: &TestApp,
    token: &str,
    finding: &Value,
    name: &str,
    bytes: &[u8],
) -> (u16, Value) {
    let form = Form::new().part(
        "file",
        Part::bytes(bytes.to_vec())
            .file_name(name.to_owned())
            // What the client claims does not matter: the content decides.
            .mime_str("application/octet-stream")
            .expect("mime"),
    );
    let res = app
        .client
        .post(app.url(&format!("/api/v1/findings/{}/evidence", finding["id"])))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("request");
    read(res).await
}

/// An inspection of A with a finding about member_a1 and one about the unit.
async fn inspection_with_findings(app: &TestApp, w: &World) -> (Value, Value, Value) {
    let inspector = w.token("inspector_p");
    let (s, insp) = app
        .post(inspector, "/api/v1/inspections", json!({"unit_id": w.a.id, "kind": "surprise", "started_at": "2026-03-04T07:45:00+07:00"}))
        .await;
    assert_eq!(s, 201, "{insp}");
    let path = format!("/api/v1/inspections/{}/findings", insp["id"]);
    let (s, personal) = app
        .post(inspector, &path, json!({"violation_code": "alcohol", "observed_at": "2026-03-04T11:50:00+07:00", "staff_id": w.member_a1.id, "description": "Uống bia giờ nghỉ trưa"}))
        .await;
    assert_eq!(s, 201);
    let (s, unit_wide) = app
        .post(inspector, &path, json!({"violation_code": "no_badge", "observed_at": "2026-03-04T07:50:00+07:00", "description": "Nhiều người không đeo thẻ"}))
        .await;
    assert_eq!(s, 201);
    (insp, personal, unit_wide)
}

async fn evidence_is_stored_once_and_shown_only_to_those_who_see_the_finding(b: Backend) {
    let Some((app, w)) = TestApp::with_world_and(b, |s| s.evidence.max_bytes = 4096).await else {
        return;
    };
    let (_, personal, unit_wide) = inspection_with_findings(&app, &w).await;
    let inspector = w.token("inspector_p");

    let (s, photo) = upload(&app, inspector, &personal, "ảnh bàn nhậu.png", PNG).await;
    assert_eq!(s, 201, "{photo}");
    assert_eq!(photo["content_type"], "image/png");
    assert_eq!(photo["size_bytes"], PNG.len());
    assert_eq!(photo["filename"], "ảnh bàn nhậu.png");
    let sha = photo["sha256"].as_str().unwrap().to_owned();
    assert_eq!(sha.len(), 64);
    let (s, again) = upload(&app, inspector, &personal, "retry.png", PNG).await;
    assert_eq!(s, 200, "a retried upload is the same evidence");
    assert_eq!(again["id"], photo["id"]);
    assert_eq!(app.count("evidence"), 1);

    // The person adds to their own finding's evidence; the head to the unit's.
    let (s, _) = upload(&app, w.token("staff_a1"), &personal, "don.jpg", JPEG).await;
    assert_eq!(s, 201);
    let (s, _) = upload(&app, w.token("head_a"), &unit_wide, "bang.jpg", JPEG).await;
    assert_eq!(s, 201, "same bytes on another finding is another record");
    let (s, _) = upload(&app, w.token("head_a"), &personal, "x.jpg", JPEG).await;
    assert_eq!(
        s, 403,
        "the head sees the person's finding but does not explain it"
    );
    let (s, _) = upload(&app, w.token("staff_a1"), &unit_wide, "x.jpg", JPEG).await;
    assert_eq!(s, 404, "staff do not see the unit's findings");
    let (s, _) = upload(&app, w.token("hr_a"), &personal, "x.jpg", JPEG).await;
    assert_eq!(s, 403);

    // Limits: the content decides the type; size is capped; one part named "file".
    let (s, p) = upload(
        &app,
        inspector,
        &personal,
        "notes.png",
        b"plain text, not a photo",
    )
    .await;
    assert_eq!(s, 415, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("image/jpeg"), "{p}");
    let mut big = PNG.to_vec();
    big.resize(5000, 0);
    let (s, _) = upload(&app, inspector, &personal, "big.png", &big).await;
    assert_eq!(s, 413);
    let res = app
        .client
        .post(app.url(&format!("/api/v1/findings/{}/evidence", personal["id"])))
        .bearer_auth(inspector)
        .multipart(Form::new().text("note", "no file"))
        .send()
        .await
        .unwrap();
    let (s, p) = read(res).await;
    assert_eq!(s, 422, "{p}");
    assert!(p["errors"]["file"].is_array());
    let (s, _) = app
        .post(
            inspector,
            &format!("/api/v1/findings/{}/evidence", personal["id"]),
            json!({}),
        )
        .await;
    assert_eq!(s, 415, "JSON is not multipart");
    // A body of one endless line, with no boundary in sight: refused once past the file's
    // limit and its envelope (64 KiB), rather than buffered to its end.
    let res = app
        .client
        .post(app.url(&format!("/api/v1/findings/{}/evidence", personal["id"])))
        .bearer_auth(inspector)
        .header("content-type", "multipart/form-data; boundary=X")
        .body(vec![b'a'; 4096 + 64 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(
        app.count("evidence"),
        4 - 1,
        "nothing rejected was recorded"
    );

    // Downloads follow the finding's visibility.
    let list_path = format!("/api/v1/findings/{}/evidence", personal["id"]);
    for who in ["inspector_p", "head_a", "hr_a", "admin_a", "staff_a1"] {
        let (s, list) = app.get(w.token(who), &list_path).await;
        assert_eq!(s, 200, "{who}");
        assert_eq!(list.as_array().unwrap().len(), 2, "{who}");
        // The person named sees what they attached themselves, not who of the team
        // attached the rest; those who see the whole inspection see both.
        let by: Vec<&Value> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["uploaded_by"])
            .collect();
        if who == "staff_a1" {
            assert!(by.contains(&&Value::Null), "{list}");
            assert!(by.contains(&&json!(w.user_ids["staff_a1"])), "{list}");
        } else {
            assert!(by.iter().all(|b| b.is_i64()), "{who}: {list}");
        }
        let res = app
            .client
            .get(app.url(photo["download"].as_str().unwrap()))
            .bearer_auth(w.token(who))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{who}");
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        let disposition = res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(disposition.starts_with("attachment"), "{disposition}");
        assert!(disposition.contains("UTF-8''"), "{disposition}");
        assert_eq!(res.headers()["etag"], format!("\"{sha}\"").as_str());
        assert_eq!(res.bytes().await.unwrap().as_ref(), PNG, "{who}");
    }
    let (s, _) = app
        .post(w.token("root"), "/api/v1/users", json!({"username": "tt.khac", "password": "mat-khau-thanh-tra", "roles": [{"role": "inspector", "unit_id": w.p.id}]}))
        .await;
    assert_eq!(s, 201);
    let other_team = app.token("tt.khac", "mat-khau-thanh-tra").await;
    let (s, _) = app
        .get(&other_team, photo["download"].as_str().unwrap())
        .await;
    assert_eq!(s, 404, "another team does not see it");
    let (s, _) = app.get(&other_team, &list_path).await;
    assert_eq!(s, 404);
    let unit_list = format!("/api/v1/findings/{}/evidence", unit_wide["id"]);
    let (s, _) = app.get(w.token("staff_a1"), &unit_list).await;
    assert_eq!(s, 404);
    let (s, _) = app
        .get(
            inspector,
            &format!(
                "/api/v1/findings/{}/evidence/{}",
                unit_wide["id"], photo["id"]
            ),
        )
        .await;
    assert_eq!(s, 404, "evidence is reached only through its own finding");

    // Uploads are audited on the finding.
    let (_, audit) = app
        .get(
            w.token("root"),
            &format!("/api/v1/audit?entity=finding&entity_id={}", personal["id"]),
        )
        .await;
    let items = audit["items"].as_array().unwrap();
    assert_eq!(
        items
            .iter()
            .filter(|e| e["action"] == "attach_evidence")
            .count(),
        2,
        "{audit}"
    );

    // A closed finding takes no more evidence.
    let f = format!("/api/v1/findings/{}", personal["id"]);
    let (s, _) = app
        .post(
            inspector,
            &format!("{f}/decision"),
            json!({"outcome": "dismissed"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app.post(inspector, &format!("{f}/close"), json!({})).await;
    assert_eq!(s, 200);
    let (s, _) = upload(&app, inspector, &personal, "late.jpg", JPEG).await;
    assert_eq!(s, 409);
    let (s, _) = app.get(w.token("head_a"), &list_path).await;
    assert_eq!(s, 200, "evidence stays readable after closing");
}

fn submission(w: &World, findings: &[(&str, &str, Option<i64>)], close: bool) -> Value {
    let findings: Vec<Value> = findings
        .iter()
        .map(|(r, code, staff)| {
            let mut f = json!({"client_ref": r, "violation_code": code, "observed_at": "2026-03-04T08:05:00+07:00",
                               "description": "Ghi nhận tại chỗ"});
            if let Some(s) = staff {
                f["staff_id"] = json!(s);
            }
            f
        })
        .collect();
    let mut body = json!({
        "inspection": {"client_ref": "3f1c9a52-phone-1", "unit_id": w.a.id, "kind": "surprise",
                       "started_at": "2026-03-04T07:45:00+07:00", "present_count": 36, "total_count": 42,
                       "unit_representative": "Nguyễn Văn Hùng", "refused_to_sign": false},
        "findings": findings,
    });
    if close {
        body["close"] = json!({"with_open_findings": true});
    }
    body
}

async fn an_offline_record_sent_twice_is_created_once(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let inspector = w.token("inspector_p");
    let url = "/api/v1/inspections/submissions";
    let two = [
        ("f-1", "absent_no_reason", Some(w.member_a1.id)),
        ("f-2", "no_badge", None),
    ];
    let (s, first) = app.post(inspector, url, submission(&w, &two, false)).await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["created"], true);
    assert_eq!(first["findings_created"], json!(["f-1", "f-2"]));
    assert_eq!(first["inspection"]["findings"].as_array().unwrap().len(), 2);
    let id = first["inspection"]["id"].clone();

    // The connection dropped before the answer arrived: the phone sends it again.
    let (s, retry) = app.post(inspector, url, submission(&w, &two, false)).await;
    assert_eq!(s, 200, "{retry}");
    assert_eq!(retry["created"], false);
    assert_eq!(retry["findings_existing"], json!(["f-1", "f-2"]));
    assert_eq!(retry["inspection"]["id"], id);
    assert_eq!((app.count("inspections"), app.count("findings")), (1, 2));

    // Later the record is sent with a finding added and closed on site.
    let three = [two[0], two[1], ("f-3", "alcohol", Some(w.member_a1.id))];
    let (s, more) = app.post(inspector, url, submission(&w, &three, true)).await;
    assert_eq!(s, 201, "{more}");
    assert_eq!(more["findings_created"], json!(["f-3"]));
    assert_eq!(more["inspection"]["status"], "closed");
    assert_eq!(more["inspection"]["closed_with_open_findings"], true);
    let (s, again) = app.post(inspector, url, submission(&w, &three, true)).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!((app.count("inspections"), app.count("findings")), (1, 3));
    let audits = app.count("audit_log");

    // Two copies racing each other (a retry while the first is still being written).
    let race = submission(&w, &two, false);
    let mut race = race.clone();
    race["inspection"]["client_ref"] = json!("race-1");
    let (x, y) = tokio::join!(
        app.post(inspector, url, race.clone()),
        app.post(inspector, url, race.clone())
    );
    let mut statuses = [x.0, y.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 201], "{} {}", x.1, y.1);
    assert_eq!((app.count("inspections"), app.count("findings")), (2, 5));
    assert!(app.count("audit_log") > audits);

    // A bad finding rejects the whole record; the paths name it.
    let mut bad = submission(
        &w,
        &[
            ("g-1", "no_badge", None),
            ("g-2", "alcohol", Some(w.member_b.id)),
        ],
        false,
    );
    bad["inspection"]["client_ref"] = json!("bad-1");
    let (s, p) = app.post(inspector, url, bad).await;
    assert_eq!(s, 422, "{p}");
    assert!(p["errors"]["findings[1].staff_id"].is_array(), "{p}");
    let (s, p) = app
        .post(inspector, url, json!({"inspection": {"unit_id": w.a.id, "kind": "surprise", "started_at": "2026-03-05T07:45:00+07:00"},
                                     "findings": [{"violation_code": "no_badge", "observed_at": "2026-03-05T08:00:00+07:00", "description": "x"}]}))
        .await;
    assert_eq!(s, 422);
    assert!(p["errors"]["inspection.client_ref"].is_array(), "{p}");
    assert!(p["errors"]["findings[0].client_ref"].is_array(), "{p}");
    let mut dup = submission(
        &w,
        &[("h-1", "no_badge", None), ("h-1", "dress", None)],
        false,
    );
    dup["inspection"]["client_ref"] = json!("dup-1");
    let (s, p) = app.post(inspector, url, dup).await;
    assert_eq!(s, 422, "{p}");
    assert_eq!((app.count("inspections"), app.count("findings")), (2, 5));

    // A reference reused for another record is a conflict, not a silent merge.
    let mut other = submission(&w, &two, false);
    other["inspection"]["unit_id"] = json!(w.a1.id);
    let (s, _) = app.post(inspector, url, other).await;
    assert_eq!(s, 409);
    // Only inspectors submit; a head's attempt is refused.
    let mut by_head = submission(&w, &two, false);
    by_head["inspection"]["client_ref"] = json!("head-1");
    let (s, _) = app.post(w.token("head_a"), url, by_head).await;
    assert_eq!(s, 403);

    // The single-object endpoints take the same references.
    let one = json!({"client_ref": "single-1", "unit_id": w.a.id, "kind": "scheduled", "started_at": "2026-04-01T08:00:00+07:00"});
    let (s, a) = app
        .post(inspector, "/api/v1/inspections", one.clone())
        .await;
    assert_eq!(s, 201);
    let (s, b2) = app.post(inspector, "/api/v1/inspections", one).await;
    assert_eq!((s, &b2["id"]), (200, &a["id"]));
    let f = json!({"client_ref": "sf-1", "violation_code": "dress", "observed_at": "2026-04-01T08:10:00+07:00", "description": "Trang phục không đúng quy định"});
    let path = format!("/api/v1/inspections/{}/findings", a["id"]);
    let (s, f1) = app.post(inspector, &path, f.clone()).await;
    assert_eq!(s, 201);
    let (s, f2) = app.post(inspector, &path, f).await;
    assert_eq!((s, &f2["id"]), (200, &f1["id"]));
    let (s, _) = app
        .post(inspector, &path, json!({"client_ref": "sf-1", "violation_code": "smoking", "observed_at": "2026-04-01T08:10:00+07:00", "description": "x"}))
        .await;
    assert_eq!(s, 409, "a reference reused for another finding");
}

both!(
    evidence_is_stored_once_and_shown_only_to_those_who_see_the_finding,
    an_offline_record_sent_twice_is_created_once,
);
