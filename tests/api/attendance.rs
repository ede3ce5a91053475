//! Attendance end to end: schedules, check-ins (single, batch, late, twice, manual,
//! voided), leave, calendar, derived days, the violation register, timesheets and scoping.

use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp, World};

pub fn today() -> NaiveDate {
    congvu::api::local_now().date()
}

/// A past date at least `n` days ago that is no fixed public holiday.
pub fn past_day(n: i64) -> NaiveDate {
    let mut d = today() - Duration::days(n);
    while congvu::domain::calendar::fixed_holidays(d.year())
        .iter()
        .any(|(h, _)| *h == d)
    {
        d -= Duration::days(1);
    }
    d
}

pub(crate) fn at(day: NaiveDate, time: &str) -> String {
    format!("{day}T{time}+07:00")
}

/// A schedule on the province, working every day of the week so tests do not depend on
/// the weekday they run on.
pub(crate) async fn every_day_schedule(app: &TestApp, w: &World) {
    let (status, body) = app
        .post(
            w.token("root"),
            "/api/v1/schedules",
            json!({"unit_id": w.p.id, "valid_from": (today() - Duration::days(40)).to_string(),
                   "weekdays": [1, 2, 3, 4, 5, 6, 7],
                   "sessions": [{"start": "07:30", "end": "11:30"}, {"start": "13:30", "end": "17:00"}],
                   "grace_minutes": 5}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn day_of(app: &TestApp, token: &str, staff: i64, day: NaiveDate) -> Value {
    let (status, body) = app
        .get(
            token,
            &format!("/api/v1/attendance?staff_id={staff}&from={day}&to={day}"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["items"][0].clone()
}

async fn violations_of(app: &TestApp, w: &World, staff: i64, day: NaiveDate) -> Vec<String> {
    let (status, body) = app
        .get(
            w.token("root"),
            &format!("/api/v1/violations?staff_id={staff}&from={day}&to={day}"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut codes: Vec<String> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    codes
}

pub(crate) async fn checkin(
    app: &TestApp,
    token: &str,
    staff: i64,
    when: &str,
    extra: Value,
) -> (u16, Value) {
    let mut body = json!({"staff_id": staff, "at": when, "source": "mobile"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    app.post(token, "/api/v1/checkins", body).await
}

async fn grace_boundary_and_statuses(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_day_schedule(&app, &w).await;
    let d = past_day(3);
    let root = w.token("root");
    // Creating the schedule registered every past working day without events as absent.
    assert_eq!(
        violations_of(&app, &w, w.member_a1.id, d).await,
        vec!["absent_no_reason"]
    );

    let (s, _) = checkin(
        &app,
        w.token("root"),
        w.member_a1.id,
        &at(d, "07:35:00"),
        json!({}),
    )
    .await;
    assert_eq!(s, 201);
    checkin(
        &app,
        w.token("root"),
        w.member_a1.id,
        &at(d, "17:00:00"),
        json!({}),
    )
    .await;
    let day = day_of(&app, root, w.member_a1.id, d).await;
    assert_eq!(
        day["status"], "present",
        "start + grace exactly is on time: {day}"
    );
    assert_eq!(
        day["worked_minutes"],
        235 + 210,
        "worked time excludes the lunch break"
    );
    assert_eq!(day["first_in"], at(d, "07:35:00"));
    assert!(
        violations_of(&app, &w, w.member_a1.id, d).await.is_empty(),
        "the absence is gone"
    );

    checkin(
        &app,
        root,
        w.member_b.id,
        &at(d, "07:36:00"),
        json!({"source": "kiosk"}),
    )
    .await;
    checkin(
        &app,
        root,
        w.member_b.id,
        &at(d, "16:00:00"),
        json!({"source": "kiosk"}),
    )
    .await;
    let day = day_of(&app, root, w.member_b.id, d).await;
    assert_eq!(day["status"], "late_and_early_leave", "{day}");
    assert_eq!(
        (
            day["late_minutes"].as_i64(),
            day["early_leave_minutes"].as_i64()
        ),
        (Some(6), Some(60))
    );
    assert_eq!(
        violations_of(&app, &w, w.member_b.id, d).await,
        vec!["early_leave", "late"]
    );

    let day = day_of(&app, root, w.head_a.id, d).await;
    assert_eq!(day["status"], "absent");
    assert_eq!(day["status_label"], "Vắng mặt không lý do");
}

async fn midnight_belongs_to_the_local_day(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_day_schedule(&app, &w).await;
    let d = past_day(2);
    let previous = d - Duration::days(1);
    // 23:30 UTC of the previous day is 06:30 in Vietnam.
    let (s, event) = checkin(
        &app,
        w.token("root"),
        w.member_a1.id,
        &format!("{previous}T23:30:00Z"),
        json!({}),
    )
    .await;
    assert_eq!(s, 201, "{event}");
    assert_eq!(event["date"], d.to_string());
    assert_eq!(event["at"], at(d, "06:30:00"));
    let day = day_of(&app, w.token("root"), w.member_a1.id, d).await;
    assert_eq!(day["first_in"], at(d, "06:30:00"));
    assert_eq!(
        day["status"], "incomplete",
        "an arrival without a departure"
    );
}

async fn batches_keep_good_rows_and_ignore_repeats(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_day_schedule(&app, &w).await;
    let (s, device) = app
        .post(
            w.token("root"),
            "/api/v1/users",
            json!({"username": "may.cham.cong", "password": "mat-khau-thiet-bi", "roles": [{"role": "device", "unit_id": w.a.id}]}),
        )
        .await;
    assert_eq!(s, 201, "{device}");
    let token = app.token("may.cham.cong", "mat-khau-thiet-bi").await;
    let days = [past_day(5), past_day(4), past_day(3)];
    // An offline device uploads three days late, newest first, without directions.
    let mut events: Vec<Value> = days
        .iter()
        .rev()
        .flat_map(|d| {
            ["17:02:10", "07:29:40"].map(|t| {
                json!({"staff_id": w.member_a1.id, "at": at(*d, t), "source": "device", "device_id": "KIOSK-01"})
            })
        })
        .collect();
    let good = events.len();
    events.push(
        json!({"staff_id": w.member_b.id, "at": at(days[0], "07:30:00"), "source": "device"}),
    );
    events.push(json!({"staff_id": w.member_a1.id, "at": at(today() + Duration::days(2), "07:30:00"), "source": "device"}));
    events.push(json!({"staff_id": w.member_a1.id, "at": "yesterday", "source": "device"}));
    events.push(
        json!({"staff_id": w.member_a1.id, "at": at(days[0], "12:00:00"), "source": "manual"}),
    );
    let audit_before = app.count("audit_log");
    let (s, result) = app
        .post(&token, "/api/v1/checkins/batch", json!({"events": events}))
        .await;
    assert_eq!(s, 200, "{result}");
    assert_eq!(result["accepted"], good);
    assert_eq!(result["duplicates"], 0);
    let rejected: Vec<i64> = result["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_i64().unwrap())
        .collect();
    assert_eq!(rejected, vec![6, 7, 8, 9], "{result}");
    assert!(
        result["rejected"][0]["errors"]["staff_id"].is_array(),
        "{result}"
    );
    assert!(result["rejected"][1]["errors"]["at"].is_array(), "{result}");
    assert!(result["rejected"][2]["errors"]["at"].is_array(), "{result}");
    assert_eq!(
        app.count("audit_log"),
        audit_before + good as i64,
        "each accepted event is audited"
    );
    // The same upload again changes nothing.
    let (_, again) = app
        .post(
            &token,
            "/api/v1/checkins/batch",
            json!({"events": events[..good]}),
        )
        .await;
    assert_eq!(
        (again["accepted"].as_i64(), again["duplicates"].as_i64()),
        (Some(0), Some(good as i64))
    );
    for d in days {
        let day = day_of(&app, w.token("root"), w.member_a1.id, d).await;
        assert_eq!(day["status"], "present", "{d}: {day}");
        assert_eq!(day["first_in"], at(d, "07:29:40"));
        assert_eq!(day["last_out"], at(d, "17:02:10"));
        assert!(violations_of(&app, &w, w.member_a1.id, d).await.is_empty());
    }
    let (s, _) = app
        .get(
            &token,
            &format!(
                "/api/v1/attendance?staff_id={}&from={}&to={}",
                w.member_a1.id, days[0], days[2]
            ),
        )
        .await;
    assert_eq!(s, 404, "a device reads nothing");
    let too_many: Vec<Value> = (0..5001).map(|_| json!({})).collect();
    let (s, _) = app
        .post(
            &token,
            "/api/v1/checkins/batch",
            json!({"events": too_many}),
        )
        .await;
    assert_eq!(s, 422, "at most 5 000 events");
}

async fn idempotency_keys_and_corrections(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_day_schedule(&app, &w).await;
    let d = past_day(2);
    let staff = w.token("staff_a1");
    let key = json!({"idempotency_key": "phone-7f3a"});
    let head = w.token("head_a");
    let (s1, first) = checkin(&app, head, w.member_a1.id, &at(d, "07:20:00"), key.clone()).await;
    let (s2, second) = checkin(&app, head, w.member_a1.id, &at(d, "07:21:00"), key).await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(
        first["id"], second["id"],
        "the key was seen: the first event is returned"
    );
    let (s, _) = checkin(&app, staff, w.member_b.id, &at(d, "07:20:00"), json!({})).await;
    assert_eq!(s, 422, "staff check in only themselves");
    let (s, body) = checkin(&app, staff, w.member_a1.id, &at(d, "07:25:00"), json!({})).await;
    assert_eq!(s, 422, "nobody backdates their own check-in: {body}");
    let live = chrono::Utc::now().to_rfc3339();
    let (s, _) = checkin(&app, staff, w.member_a1.id, &live, json!({})).await;
    assert_eq!(s, 201, "a live check-in of one's own");
    let (s, _) = checkin(
        &app,
        head,
        w.head_a.id,
        &at(d, "07:25:00"),
        json!({"source": "manual", "reason": "tự sửa"}),
    )
    .await;
    assert_eq!(s, 403, "heads do not correct their own events");
    // Manual corrections need a reason and a head's role.
    let manual =
        json!({"source": "manual", "reason": "Quên chấm công, có xác nhận của trưởng phòng"});
    let (s, _) = checkin(
        &app,
        staff,
        w.member_a1.id,
        &at(d, "17:05:00"),
        manual.clone(),
    )
    .await;
    assert_eq!(s, 403);
    let (s, body) = checkin(
        &app,
        w.token("head_a"),
        w.member_a1.id,
        &at(d, "17:05:00"),
        json!({"source": "manual"}),
    )
    .await;
    assert_eq!(s, 422);
    assert!(body["errors"]["reason"].is_array());
    let (s, correction) = checkin(
        &app,
        w.token("head_a"),
        w.member_a1.id,
        &at(d, "17:05:00"),
        manual,
    )
    .await;
    assert_eq!(s, 201, "{correction}");
    assert_eq!(
        day_of(&app, w.token("root"), w.member_a1.id, d).await["status"],
        "present"
    );
    // Voiding, with a reason, by a head; the event stays, marked void.
    let path = format!("/api/v1/checkins/{}/void", correction["id"]);
    let (s, _) = app.post(staff, &path, json!({"reason": "tự hủy"})).await;
    assert_eq!(s, 403);
    let (s, _) = app.post(w.token("head_a"), &path, json!({})).await;
    assert_eq!(s, 422);
    let (s, voided) = app
        .post(w.token("head_a"), &path, json!({"reason": "Nhập nhầm giờ"}))
        .await;
    assert_eq!(s, 200, "{voided}");
    assert_eq!(voided["void_reason"], "Nhập nhầm giờ");
    let (s, _) = app
        .post(w.token("head_a"), &path, json!({"reason": "lần hai"}))
        .await;
    assert_eq!(s, 409);
    assert_eq!(
        day_of(&app, w.token("root"), w.member_a1.id, d).await["status"],
        "incomplete"
    );
    let (_, events) = app
        .get(
            staff,
            &format!(
                "/api/v1/checkins?staff_id={}&from={d}&to={d}",
                w.member_a1.id
            ),
        )
        .await;
    assert_eq!(
        events["items"].as_array().unwrap().len(),
        2,
        "voided events are kept: {events}"
    );
    let (s, _) = checkin(
        &app,
        staff,
        w.member_a1.id,
        &at(today() + Duration::days(1), "07:30:00"),
        json!({}),
    )
    .await;
    assert_eq!(s, 422, "beyond the clock skew");
}

async fn leave_excuses_absence_once_approved(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_day_schedule(&app, &w).await;
    let d = past_day(4);
    let (s, leave) = app
        .post(
            w.token("staff_a1"),
            "/api/v1/leaves",
            json!({"staff_id": w.member_a1.id, "from": d.to_string(), "to": (d + Duration::days(1)).to_string(), "kind": "sick", "reason": "Sốt xuất huyết"}),
        )
        .await;
    assert_eq!(s, 201, "{leave}");
    assert_eq!(leave["status"], "pending");
    assert_eq!(
        violations_of(&app, &w, w.member_a1.id, d).await,
        vec!["absent_no_reason"],
        "pending leave excuses nothing"
    );
    let path = format!("/api/v1/leaves/{}/approve", leave["id"]);
    let (s, _) = app.post(w.token("staff_a1"), &path, json!({})).await;
    assert_eq!(s, 403, "nobody approves their own leave");
    let (s, approved) = app.post(w.token("head_a"), &path, json!({})).await;
    assert_eq!(s, 200, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert!(violations_of(&app, &w, w.member_a1.id, d).await.is_empty());
    let day = day_of(&app, w.token("root"), w.member_a1.id, d).await;
    assert_eq!(day["status"], "on_leave");
    let (s, _) = app.post(w.token("head_a"), &path, json!({})).await;
    assert_eq!(s, 409, "already decided");
    // A head enters leave for their staff: approved at once. Overlaps are refused.
    let (s, body) = app
        .post(
            w.token("head_a"),
            "/api/v1/leaves",
            json!({"staff_id": w.member_a1.id, "from": d.to_string(), "to": d.to_string(), "kind": "annual"}),
        )
        .await;
    assert_eq!(s, 409, "{body}");
    let d2 = past_day(8);
    let (s, trip) = app
        .post(
            w.token("head_a"),
            "/api/v1/leaves",
            json!({"staff_id": w.member_a1.id, "from": d2.to_string(), "to": d2.to_string(), "kind": "business_trip", "half_day": "morning"}),
        )
        .await;
    assert_eq!(s, 201, "{trip}");
    assert_eq!(trip["status"], "approved");
    assert_eq!(trip["half_day_label"], "Buổi sáng", "{trip}");
    assert_eq!(
        day_of(&app, w.token("root"), w.member_a1.id, d2).await["status"],
        "absent",
        "the afternoon is still due"
    );
    let (s, _) = app
        .post(
            w.token("head_a"),
            "/api/v1/leaves",
            json!({"staff_id": w.member_b.id, "from": d2.to_string(), "to": d2.to_string(), "kind": "annual"}),
        )
        .await;
    assert_eq!(s, 422, "B's staff are beyond A's head");
    // The province's inspector reads everyone, and enters nobody's leave: out of scope.
    let (s, body) = app
        .post(
            w.token("inspector_p"),
            "/api/v1/leaves",
            json!({"staff_id": w.member_b.id, "from": d2.to_string(), "to": d2.to_string(), "kind": "annual"}),
        )
        .await;
    assert_eq!(s, 403, "{body}");
    // Cancelling an approved leave brings the absence back.
    let (s, _) = app
        .post(
            w.token("staff_a1"),
            &format!("/api/v1/leaves/{}/cancel", leave["id"]),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        violations_of(&app, &w, w.member_a1.id, d).await,
        vec!["absent_no_reason"]
    );
    let (_, mine) = app.get(w.token("staff_a1"), "/api/v1/leaves").await;
    assert_eq!(mine["total"], 2);
    // The business trip their head entered is not the person's to undo: they cancel only
    // what they asked for themselves.
    let (s, problem) = app
        .post(
            w.token("staff_a1"),
            &format!("/api/v1/leaves/{}/cancel", trip["id"]),
            json!({}),
        )
        .await;
    assert_eq!(s, 403, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("entered for you"),
        "{problem}"
    );
}

async fn calendar_days_change_past_attendance(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    // Monday to Friday here: a compensatory Saturday must become a working day.
    let (s, _) = app
        .post(
            w.token("root"),
            "/api/v1/schedules",
            json!({"unit_id": w.p.id, "valid_from": (today() - Duration::days(40)).to_string(),
                   "weekdays": [1, 2, 3, 4, 5], "sessions": [{"start": "07:30", "end": "17:00"}], "grace_minutes": 0}),
        )
        .await;
    assert_eq!(s, 201);
    let mut saturday = today() - Duration::days(2);
    while saturday.weekday().number_from_monday() != 6 {
        saturday -= Duration::days(1);
    }
    let friday = saturday - Duration::days(1);
    assert_eq!(
        day_of(&app, w.token("root"), w.member_b.id, saturday).await["status"],
        "weekend"
    );
    let friday_was_holiday = congvu::domain::calendar::fixed_holidays(friday.year())
        .iter()
        .any(|(h, _)| *h == friday);
    let swap = json!({"days": [
        {"date": friday.to_string(), "kind": "day_off", "name": "Nghỉ bù"},
        {"date": saturday.to_string(), "kind": "workday", "name": "Làm bù"},
    ]});
    let (s, body) = app
        .post(w.token("root"), "/api/v1/calendar", swap.clone())
        .await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 2);
    // The same list sent again changes nothing: no entry rewritten, no audit row.
    let audited = || async {
        let (_, audit) = app
            .get(w.token("root"), "/api/v1/audit?entity=calendar_day")
            .await;
        audit["total"].as_i64().unwrap()
    };
    let before = audited().await;
    let (s, again) = app.post(w.token("root"), "/api/v1/calendar", swap).await;
    assert_eq!(s, 201, "{again}");
    assert_eq!(again, body);
    assert_eq!(audited().await, before);
    assert_eq!(
        day_of(&app, w.token("root"), w.member_b.id, friday).await["status"],
        "holiday"
    );
    assert!(
        violations_of(&app, &w, w.member_b.id, friday)
            .await
            .is_empty()
    );
    assert_eq!(
        day_of(&app, w.token("root"), w.member_b.id, saturday).await["status"],
        "absent"
    );
    assert_eq!(
        violations_of(&app, &w, w.member_b.id, saturday).await,
        vec!["absent_no_reason"]
    );
    // The calendar lists the Labour Code's holidays and the entries.
    let (_, year) = app
        .get(
            w.token("staff_a1"),
            &format!("/api/v1/calendar?year={}", saturday.year()),
        )
        .await;
    let items = year["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|d| d["source"] == "labour_code" && d["name"] == "Quốc khánh"),
        "{year}"
    );
    assert!(
        items
            .iter()
            .any(|d| d["date"] == saturday.to_string() && d["kind"] == "workday")
    );
    // Province entries need the province's admin; national ones a global admin.
    let tet = json!({"date": format!("{}-02-17", saturday.year() + 1), "kind": "holiday", "name": "Tết Nguyên đán"});
    let (s, _) = app
        .post(w.token("admin_p"), "/api/v1/calendar", tet.clone())
        .await;
    assert_eq!(s, 403);
    let mut provincial = tet.clone();
    provincial["province_id"] = json!(w.p.id);
    let (s, created) = app
        .post(w.token("admin_p"), "/api/v1/calendar", provincial.clone())
        .await;
    assert_eq!(s, 201);
    assert_eq!(
        created["name"], "Tết Nguyên đán",
        "one day in, one day out: {created}"
    );
    let (s, _) = app
        .post(w.token("admin_p"), "/api/v1/calendar", provincial.clone())
        .await;
    assert_eq!(s, 409, "the day already has an entry");
    // Someone whose roles are in the province sees its entries without naming it; the
    // administrator of every province names the one they want.
    let wanted = created["id"].clone();
    let listed = |token: &'static str, query: String| {
        let app = &app;
        let w = &w;
        let wanted = &wanted;
        async move {
            let (s, list) = app
                .get(
                    w.token(token),
                    &format!("/api/v1/calendar?year={}{query}", saturday.year() + 1),
                )
                .await;
            assert_eq!(s, 200, "{list}");
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["id"] == *wanted)
        }
    };
    assert!(listed("staff_a1", String::new()).await);
    assert!(!listed("root", String::new()).await);
    assert!(listed("root", format!("&province_id={}", w.p.id)).await);
    // A's admin reads the province's calendar, but does not keep it: out of scope
    // (403), adding or removing. Before, 422 "no such unit", on a DELETE's id too.
    let (s, body) = app
        .post(w.token("admin_a"), "/api/v1/calendar", provincial)
        .await;
    assert_eq!(s, 403, "{body}");
    let (s, body) = app
        .delete(
            w.token("admin_a"),
            &format!("/api/v1/calendar/{}", created["id"]),
        )
        .await;
    assert_eq!(s, 403, "{body}");
    let (s, body) = app
        .post(
            w.token("root"),
            "/api/v1/calendar",
            json!({"days": [{"date": "2027-01-01", "kind": "feast", "name": "x"}]}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(body["errors"]["days[0].kind"].is_array(), "{body}");
    // Removing the day off brings Friday's absence back.
    let id = body_id(items, friday);
    let (s, _) = app
        .client
        .delete(app.url(&format!("/api/v1/calendar/{id}")))
        .bearer_auth(w.token("root"))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(s, 204);
    if !friday_was_holiday {
        assert_eq!(
            violations_of(&app, &w, w.member_b.id, friday).await,
            vec!["absent_no_reason"]
        );
    }
}

fn body_id(items: &[Value], day: NaiveDate) -> i64 {
    items
        .iter()
        .find(|d| d["date"] == day.to_string() && d["source"] == "entered")
        .and_then(|d| d["id"].as_i64())
        .expect("entry")
}

async fn timesheets_overview_and_scoping(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_day_schedule(&app, &w).await;
    // A's head does not read the province, whose timetable A follows: asked with
    // `inherited`, A's schedules include it.
    let schedules = |query: String| {
        let app = &app;
        let w = &w;
        async move {
            let (s, list) = app
                .get(
                    w.token("head_a"),
                    &format!("/api/v1/schedules?unit_id={}{query}", w.a.id),
                )
                .await;
            assert_eq!(s, 200, "{list}");
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["unit_id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(schedules(String::new()).await, Vec::<i64>::new());
    assert_eq!(schedules("&inherited=true".into()).await, vec![w.p.id]);
    let d = past_day(1);
    checkin(
        &app,
        w.token("root"),
        w.member_a1.id,
        &at(d, "07:50:00"),
        json!({}),
    )
    .await;
    checkin(
        &app,
        w.token("root"),
        w.member_a1.id,
        &at(d, "17:00:00"),
        json!({}),
    )
    .await;
    let (s, overview) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/units/{}/attendance?date={d}", w.a.id),
        )
        .await;
    assert_eq!(s, 200, "{overview}");
    assert_eq!(overview["counts"]["late"], 1);
    assert_eq!(overview["counts"]["absent"], 1);
    assert_eq!(
        overview["people"][0]["status"], "absent",
        "absent first: {overview}"
    );
    let (s, _) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/units/{}/attendance?date={d}", w.b.id),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .get(
            w.token("staff_a1"),
            &format!("/api/v1/units/{}/attendance", w.a1.id),
        )
        .await;
    assert_eq!(s, 404, "staff do not see their colleagues");
    let (s, _) = app
        .get(
            w.token("head_a"),
            &format!(
                "/api/v1/attendance?staff_id={}&from={d}&to={d}",
                w.member_b.id
            ),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .get(
            w.token("staff_a1"),
            &format!(
                "/api/v1/attendance?staff_id={}&from={d}&to={d}",
                w.head_a.id
            ),
        )
        .await;
    assert_eq!(s, 404);
    let (s, own) = app.get(w.token("staff_a1"), "/api/v1/violations").await;
    assert_eq!(s, 200);
    assert!(
        own["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["staff_id"] == w.member_a1.id)
    );

    let month = format!("{}-{:02}", d.year(), d.month());
    let path = format!(
        "/api/v1/units/{}/timesheet?month={month}&subtree=true",
        w.a.id
    );
    let (s, sheet) = app.get(w.token("head_a"), &path).await;
    assert_eq!(s, 200, "{sheet}");
    assert_eq!(sheet["rows"].as_array().unwrap().len(), 2);
    let row = sheet["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["staff_id"] == w.member_a1.id)
        .unwrap();
    assert_eq!(row["cells"][d.day0() as usize], "M");
    assert_eq!(row["totals"]["late_count"], 1);
    assert_eq!(row["unit_name"], w.a1.name, "the division, on A's sheet");
    // Someone who left A1 years ago and someone who joins it next year have no line in
    // this month's sheet.
    for (code, dates) in [
        (
            "S-A1-CU",
            json!({"joined_on": "2010-01-01", "left_on": "2023-05-31"}),
        ),
        (
            "S-A1-MOI",
            json!({"joined_on": format!("{}-01-01", d.year() + 1)}),
        ),
    ] {
        let mut body = json!({"code": code, "full_name": "Người khác", "unit_id": w.a1.id,
                              "category": "cong_chuc"});
        body.as_object_mut()
            .unwrap()
            .extend(dates.as_object().unwrap().clone());
        app.new_staff(w.token("root"), body).await;
    }
    let (s, sheet) = app.get(w.token("head_a"), &path).await;
    assert_eq!(s, 200, "{sheet}");
    assert_eq!(sheet["rows"].as_array().unwrap().len(), 2, "{sheet}");
    // A month written without its zero is named as the sheet names it.
    let (s, march) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/units/{}/timesheet?month=2026-3", w.a.id),
        )
        .await;
    assert_eq!((s, &march["month"]), (200, &json!("2026-03")), "{march}");
    // A position typed as a formula stays text in the CSV, as in the evaluation sheet.
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"position": "=HYPERLINK(\"http://x\",\"Chuyên viên\")"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let res = app
        .client
        .get(app.url(&format!("{path}&format=csv")))
        .bearer_auth(w.token("head_a"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.bytes().await.unwrap();
    assert_eq!(&csv[..3], &[0xEF, 0xBB, 0xBF], "UTF-8 BOM for Excel");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(
        text.contains("Nguyễn Thị Lan") && text.contains("Họ và tên,Chức vụ,Đơn vị,1,"),
        "{text}"
    );
    assert!(text.contains(&format!(",{},", w.a1.name)), "{text}");
    assert!(text.contains(",\"'=HYPERLINK("), "{text}");
    let res = app
        .client
        .get(app.url(&format!("{path}&format=xlsx")))
        .bearer_auth(w.token("head_a"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(&res.bytes().await.unwrap()[..2], b"PK", "an XLSX is a zip");
    let (s, _) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/units/{}/timesheet?month=2026-13", w.a.id),
        )
        .await;
    assert_eq!(s, 422);
}

async fn the_close_job_registers_absences_of_silent_days(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    // A schedule from today on: nothing in the past is due, and nothing is registered.
    let (s, _) = app
        .post(
            w.token("root"),
            "/api/v1/schedules",
            json!({"unit_id": w.p.id, "valid_from": (today() - Duration::days(1)).to_string(),
                   "weekdays": [1, 2, 3, 4, 5, 6, 7], "sessions": [{"start": "07:30", "end": "17:00"}], "grace_minutes": 5}),
        )
        .await;
    assert_eq!(s, 201);
    let yesterday = today() - Duration::days(1);
    let holiday = congvu::domain::calendar::fixed_holidays(yesterday.year())
        .iter()
        .any(|(h, _)| *h == yesterday);
    let registered = |n: i64| if holiday { 0 } else { n };
    let before = app.count("violations");
    assert_eq!(
        before,
        registered(3),
        "the schedule's own re-derivation covered yesterday"
    );
    let db = app.db.clone();
    let now = congvu::api::local_now();
    let report =
        tokio::task::spawn_blocking(move || congvu::jobs::attendance::close_days(&db, now))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(report.provinces, 1);
    assert_eq!(
        app.count("violations"),
        registered(3),
        "closing again adds nothing"
    );
    let db = app.db.clone();
    let again = tokio::task::spawn_blocking(move || congvu::jobs::attendance::close_days(&db, now))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.days, 0, "already closed through yesterday");
}

async fn schedules_are_checked_and_inherited(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let base = json!({"unit_id": w.a.id, "valid_from": "2026-04-16", "valid_to": "2026-10-15",
                      "weekdays": [1, 2, 3, 4, 5],
                      "sessions": [{"start": "07:00", "end": "11:30"}, {"start": "14:00", "end": "17:30"}],
                      "grace_minutes": 5});
    let (s, summer) = app.post(root, "/api/v1/schedules", base.clone()).await;
    assert_eq!(s, 201, "{summer}");
    assert_eq!(summer["punch_mode"], "daily");
    let mut overlapping = base.clone();
    overlapping["valid_from"] = json!("2026-10-01");
    overlapping["valid_to"] = json!(null);
    let (s, body) = app.post(root, "/api/v1/schedules", overlapping).await;
    assert_eq!(s, 409, "{body}");
    let mut winter = base.clone();
    winter["valid_from"] = json!("2026-10-16");
    winter["valid_to"] = json!("2027-04-15");
    winter["sessions"] =
        json!([{"start": "07:30", "end": "11:30"}, {"start": "13:30", "end": "17:00"}]);
    let (s, _) = app.post(root, "/api/v1/schedules", winter).await;
    assert_eq!(s, 201);
    for (field, value) in [
        ("weekdays", json!([0, 8])),
        ("sessions", json!([{"start": "11:00", "end": "08:00"}])),
        ("sessions", json!([{"start": "7h30", "end": "11:30"}])),
        ("valid_to", json!("2026-01-01")),
        ("grace_minutes", json!(500)),
        ("punch_mode", json!("twice")),
    ] {
        let mut bad = base.clone();
        bad[field] = value;
        bad["valid_from"] = json!("2028-01-01");
        bad["valid_to"] = json!(null);
        if field == "valid_to" {
            bad["valid_to"] = json!("2027-12-31");
        }
        let (s, body) = app.post(root, "/api/v1/schedules", bad).await;
        assert_eq!(s, 422, "{field}: {body}");
    }
    let (s, _) = app
        .post(w.token("head_a"), "/api/v1/schedules", base.clone())
        .await;
    assert_eq!(s, 403);
    let (s, list) = app
        .get(
            w.token("staff_a1"),
            &format!("/api/v1/schedules?unit_id={}", w.a.id),
        )
        .await;
    assert_eq!(s, 404, "staff see their own unit only: {list}");
    let (_, list) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/schedules?unit_id={}", w.a.id),
        )
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert_eq!(list["total"], 2);
    let (s, changed) = app
        .patch(
            root,
            &format!("/api/v1/schedules/{}", summer["id"]),
            json!({"grace_minutes": 10, "punch_mode": "per_session"}),
        )
        .await;
    assert_eq!(s, 200, "{changed}");
    assert_eq!(
        (
            changed["grace_minutes"].as_i64(),
            changed["punch_mode"].as_str()
        ),
        (Some(10), Some("per_session"))
    );
}

async fn leaving_date_ends_the_absences(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_day_schedule(&app, &w).await;
    let d = past_day(3);
    assert_eq!(
        violations_of(&app, &w, w.member_b.id, d).await,
        vec!["absent_no_reason"]
    );
    let (s, _) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_b.id),
            json!({"left_on": (d - Duration::days(1)).to_string()}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        violations_of(&app, &w, w.member_b.id, d).await.is_empty(),
        "no absences after leaving"
    );
    let (_, days) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/attendance?staff_id={}&from={d}&to={d}",
                w.member_b.id
            ),
        )
        .await;
    assert_eq!(days["items"].as_array().unwrap().len(), 0);
    // The leaving date was wrong (a retirement put off): the kiosk's events of the day
    // after it are kept, and judged once the date is cleared. Before, they were 422 and
    // the cleared date left an unexcused absence.
    for t in ["07:25:00", "17:05:00"] {
        let (s, body) = checkin(
            &app,
            w.token("root"),
            w.member_b.id,
            &at(d, t),
            json!({"source": "device"}),
        )
        .await;
        assert_eq!(s, 201, "{body}");
    }
    let (s, _) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_b.id),
            json!({"left_on": null}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(violations_of(&app, &w, w.member_b.id, d).await.is_empty());
    assert_eq!(
        day_of(&app, w.token("root"), w.member_b.id, d).await["status"],
        "present"
    );
}

/// A per-session day whose afternoon has no event is an early departure, and a lone
/// punch at the day's end is a departure: before, the first was `incomplete` with nothing
/// in the register, and the second a late arrival of 575 minutes.
async fn a_missed_session_and_a_lone_evening_punch(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let (status, body) = app
        .post(
            root,
            "/api/v1/schedules",
            json!({"unit_id": w.a.id, "valid_from": (today() - Duration::days(40)).to_string(),
                   "weekdays": [1, 2, 3, 4, 5, 6, 7],
                   "sessions": [{"start": "07:30", "end": "11:30"}, {"start": "13:30", "end": "17:00"}],
                   "grace_minutes": 5, "punch_mode": "per_session"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    every_day_schedule(&app, &w).await;
    let d = past_day(3);
    for (staff, times) in [
        (w.member_a1.id, &["07:28:00", "11:31:00"][..]),
        (w.member_b.id, &["17:05:00"][..]),
    ] {
        for t in times {
            let (s, body) =
                checkin(&app, root, staff, &at(d, t), json!({"source": "device"})).await;
            assert_eq!(s, 201, "{body}");
        }
    }
    let a1 = day_of(&app, root, w.member_a1.id, d).await;
    assert_eq!(
        (&a1["status"], &a1["early_leave_minutes"]),
        (&json!("early_leave"), &json!(210)),
        "{a1}"
    );
    assert_eq!(
        violations_of(&app, &w, w.member_a1.id, d).await,
        ["early_leave"]
    );
    let b = day_of(&app, root, w.member_b.id, d).await;
    assert_eq!(
        (&b["status"], &b["late_minutes"], &b["first_in"]),
        (&json!("incomplete"), &json!(0), &json!(null)),
        "{b}"
    );
    assert!(violations_of(&app, &w, w.member_b.id, d).await.is_empty());
}

both!(
    a_missed_session_and_a_lone_evening_punch,
    leaving_date_ends_the_absences,
    grace_boundary_and_statuses,
    midnight_belongs_to_the_local_day,
    batches_keep_good_rows_and_ignore_repeats,
    idempotency_keys_and_corrections,
    leave_excuses_absence_once_approved,
    calendar_days_change_past_attendance,
    timesheets_overview_and_scoping,
    the_close_job_registers_absences_of_silent_days,
    schedules_are_checked_and_inherited,
);
