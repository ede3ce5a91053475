//! A province's first day of judged attendance (`attendance_from`, its go-live): a
//! timetable entered with a start long past makes no absences of the days before it.

use chrono::Duration;
use serde_json::{Value, json};

use crate::attendance::{at, today};
use crate::both;
use crate::helpers::{Backend, TestApp, World};

/// Absences and late arrivals the register holds of `staff`.
async fn register(app: &TestApp, w: &World, staff: i64) -> Vec<Value> {
    let (s, body) = app
        .get(
            w.token("root"),
            &format!("/api/v1/violations?staff_id={staff}&per_page=500"),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    body["items"].as_array().cloned().unwrap_or_default()
}

/// The statuses of `staff`'s derived days over the last `days` days.
async fn days(app: &TestApp, w: &World, staff: i64, days: i64) -> Vec<(String, String)> {
    let (s, body) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/attendance?staff_id={staff}&from={}&to={}",
                today() - Duration::days(days),
                today() - Duration::days(1)
            ),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_owned(),
                d["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn a_new_province_judges_nothing_before_its_first_day(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    // Go-live: the province, a department, a person and a timetable "since a month ago".
    let (s, province) = app
        .post(
            root,
            "/api/v1/units",
            json!({"code": "HP", "name": "Thành phố Hải Phòng", "kind": "province"}),
        )
        .await;
    assert_eq!(s, 201, "{province}");
    assert_eq!(province["attendance_from"], today().to_string());
    let (s, dept) = app
        .post(
            root,
            "/api/v1/units",
            json!({"code": "SNV", "name": "Sở Nội vụ", "kind": "department",
                   "parent_id": province["id"]}),
        )
        .await;
    assert_eq!(s, 201, "{dept}");
    assert_eq!(dept["attendance_from"], Value::Null);
    let staff = app
        .new_staff(
            root,
            json!({"code": "HP-1", "full_name": "Vũ Thị Lan", "unit_id": dept["id"],
                   "category": "cong_chuc", "joined_on": "2015-03-01"}),
        )
        .await;
    let (s, body) = app
        .post(
            root,
            "/api/v1/schedules",
            json!({"unit_id": province["id"],
                   "valid_from": (today() - Duration::days(30)).to_string(),
                   "weekdays": [1, 2, 3, 4, 5, 6, 7],
                   "sessions": [{"start": "07:30", "end": "17:00"}], "grace_minutes": 5}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    // Before: a month of absences, each a register row, for days nobody could check in.
    assert_eq!(register(&app, &w, staff).await, Vec::<Value>::new());
    assert_eq!(days(&app, &w, staff, 30).await, vec![]);
    // A kiosk's backlog from before go-live is kept, and judges nothing either.
    let before = today() - Duration::days(10);
    let (s, backlog) = app
        .post(
            root,
            "/api/v1/checkins",
            json!({"staff_id": staff, "at": at(before, "08:10:00"), "source": "device",
                   "direction": "in", "device_id": "KIOSK-HP"}),
        )
        .await;
    assert_eq!(s, 201, "{backlog}");
    assert_eq!(register(&app, &w, staff).await, Vec::<Value>::new());

    // Moved five days back: those days are judged now, absences where nobody came.
    let path = format!("/api/v1/units/{}", province["id"]);
    let go_live = today() - Duration::days(5);
    let (s, body) = app
        .patch(root, &path, json!({"attendance_from": go_live.to_string()}))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["attendance_from"], go_live.to_string());
    let judged = days(&app, &w, staff, 30).await;
    assert_eq!(judged.len(), 5, "{judged:?}");
    assert_eq!(judged[0].0, go_live.to_string());
    let absent = judged.iter().filter(|(_, s)| s == "absent").count();
    let rows = register(&app, &w, staff).await;
    assert_eq!(rows.len(), absent, "{rows:?}");
    assert!(
        rows.iter().all(|r| r["code"] == "absent_no_reason"),
        "{rows:?}"
    );
    assert!(absent >= 4, "{judged:?}"); // at most one of five days a holiday
    // Moved to include the backlog's day: it is judged late.
    let (s, body) = app
        .patch(root, &path, json!({"attendance_from": before.to_string()}))
        .await;
    assert_eq!(s, 200, "{body}");
    let rows = register(&app, &w, staff).await;
    assert!(
        rows.iter()
            .any(|r| r["code"] == "late" && r["date"] == before.to_string()),
        "{rows:?}"
    );
    // Not later again past that day's check-in: the province was in use then, and one
    // PATCH would wipe what its register holds. Nothing changes.
    let (s, body) = app
        .patch(root, &path, json!({"attendance_from": today().to_string()}))
        .await;
    assert_eq!(s, 409, "{body}");
    assert!(
        body["errors"]["attendance_from"][0]
            .as_str()
            .unwrap()
            .contains(&before.to_string()),
        "{body}"
    );
    let (_, got) = app.get(root, &path).await;
    assert_eq!(got["attendance_from"], before.to_string(), "{got}");
    assert!(!register(&app, &w, staff).await.is_empty());
    // The kiosk's test event voided, back to today: the register is empty again.
    let (s, body) = app
        .post(
            root,
            &format!("/api/v1/checkins/{}/void", backlog["id"]),
            json!({"reason": "Sự kiện thử máy trước khi vận hành"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = app
        .patch(root, &path, json!({"attendance_from": today().to_string()}))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(register(&app, &w, staff).await, Vec::<Value>::new());
    // A mistyped year is refused rather than stopping the judging for decades.
    let (s, body) = app
        .patch(root, &path, json!({"attendance_from": "2062-01-01"}))
        .await;
    assert_eq!(s, 422, "{body}");
    let (s, body) = app
        .post(
            root,
            "/api/v1/units",
            json!({"code": "DN", "name": "Thành phố Đà Nẵng", "kind": "province",
                   "attendance_from": "2062-01-01"}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["attendance_from"].is_array(), "{body}");

    // Only a province has one: 422 on the field, nothing changed.
    let dept_path = format!("/api/v1/units/{}", dept["id"]);
    let (s, body) = app
        .patch(
            root,
            &dept_path,
            json!({"attendance_from": today().to_string()}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["attendance_from"].is_array(), "{body}");
    let (s, body) = app
        .post(
            root,
            "/api/v1/units",
            json!({"code": "STC", "name": "Sở Tài chính", "kind": "department",
                   "parent_id": province["id"], "attendance_from": "2026-01-01"}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["attendance_from"].is_array(), "{body}");
    let (_, got) = app.get(root, &dept_path).await;
    assert_eq!(got["attendance_from"], Value::Null, "{got}");
    // A province from before this field judges all along, as it did.
    let (_, p) = app.get(root, &format!("/api/v1/units/{}", w.p.id)).await;
    assert_eq!(p["attendance_from"], Value::Null, "{p}");
}

/// Someone entered long after go-live, with or without a joining date, could not check
/// in before their record existed: a timetable entered since judges those days only
/// where a check-in or a leave was recorded for them (before, each was an absence in the
/// register); the days from the record's creation are judged as usual.
async fn a_record_entered_late_gets_no_absences_before_it_existed(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let staff = app
        .new_staff(
            root,
            json!({"code": "S-A1-MOI", "full_name": "Phan Thị Mới", "unit_id": w.a1.id,
                   "category": "cong_chuc"}),
        )
        .await;
    // Entered properly, with a joining date long past: the same.
    let (s, colleague) = app
        .post(
            root,
            "/api/v1/staff",
            json!({"code": "S-A1-CU", "full_name": "Đặng Văn Cũ", "unit_id": w.a1.id,
                   "category": "cong_chuc", "joined_on": "2015-03-01"}),
        )
        .await;
    assert_eq!(s, 201, "{colleague}");
    let colleague = colleague["id"].as_i64().unwrap();
    // A leave approved for a day before the record existed is recorded, so judged.
    let away = (today() - Duration::days(12)).to_string();
    let (s, leave) = app
        .post(
            w.token("hr_a"),
            "/api/v1/leaves",
            json!({"staff_id": staff, "from": away, "to": away, "kind": "annual"}),
        )
        .await;
    assert_eq!(s, 201, "{leave}");
    // Half a day's leave is not: its other half would be judged absent.
    let half = (today() - Duration::days(14)).to_string();
    let (s, leave) = app
        .post(
            w.token("hr_a"),
            "/api/v1/leaves",
            json!({"staff_id": staff, "from": half, "to": half, "kind": "annual",
                   "half_day": "morning"}),
        )
        .await;
    assert_eq!(s, 201, "{leave}");
    let loaded = today() - Duration::days(10);
    let (s, backlog) = app
        .post(
            root,
            "/api/v1/checkins",
            json!({"staff_id": staff, "at": at(loaded, "08:10:00"), "source": "device",
                   "direction": "in", "device_id": "KIOSK-A1"}),
        )
        .await;
    assert_eq!(s, 201, "{backlog}");
    let (s, body) = app
        .post(
            root,
            "/api/v1/schedules",
            json!({"unit_id": w.a1.id,
                   "valid_from": (today() - Duration::days(30)).to_string(),
                   "weekdays": [1, 2, 3, 4, 5, 6, 7],
                   "sessions": [{"start": "07:30", "end": "17:00"}], "grace_minutes": 5}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let judged = days(&app, &w, staff, 30).await;
    assert_eq!(
        judged.iter().map(|(d, _)| d.as_str()).collect::<Vec<_>>(),
        vec![away.clone(), loaded.to_string()],
        "only the days with a leave or a check-in: {judged:?}"
    );
    assert_eq!(judged[0].1, "on_leave", "{judged:?}");
    assert_eq!(days(&app, &w, colleague, 30).await, vec![]);
    assert!(
        register(&app, &w, staff)
            .await
            .iter()
            .all(|r| r["code"] != "absent_no_reason"),
        "no absence before the record existed"
    );
}

/// Moving the go-live is a province administrator's change: a unit head cannot. A
/// province from before the field, in use for a while, cannot be given a go-live after
/// its check-ins: that would wipe its register.
async fn only_an_administrator_moves_the_go_live(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let path = format!("/api/v1/units/{}", w.p.id);
    let body = json!({"attendance_from": today().to_string()});
    for who in ["head_a", "hr_a", "admin_a"] {
        let (s, got) = app.patch(w.token(who), &path, body.clone()).await;
        assert!(s == 403 || s == 404, "{who}: {s} {got}");
    }
    let used = today() - Duration::days(40);
    let (s, got) = app
        .post(
            w.token("root"),
            "/api/v1/checkins",
            json!({"staff_id": w.member_a1.id, "at": at(used, "07:20:00"), "source": "device",
                   "direction": "in", "device_id": "KIOSK-A"}),
        )
        .await;
    assert_eq!(s, 201, "{got}");
    let (s, got) = app.patch(w.token("admin_p"), &path, body).await;
    assert_eq!(s, 409, "{got}");
    let (_, p) = app.get(w.token("admin_p"), &path).await;
    assert_eq!(p["attendance_from"], Value::Null, "{p}");
    // On or before its first day in use is fine.
    let (s, got) = app
        .patch(
            w.token("admin_p"),
            &path,
            json!({"attendance_from": used.to_string()}),
        )
        .await;
    assert_eq!(s, 200, "{got}");
    assert_eq!(got["attendance_from"], used.to_string());
}

both!(
    a_record_entered_late_gets_no_absences_before_it_existed,
    a_new_province_judges_nothing_before_its_first_day,
    only_an_administrator_moves_the_go_live,
);
