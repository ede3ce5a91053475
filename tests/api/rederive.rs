//! What a change to a person re-derives: a departure recorded months late takes the
//! violations registered after it out of the register.

use chrono::{Duration, NaiveDate};
use serde_json::json;

use crate::attendance::{past_day, today};
use crate::both;
use crate::helpers::{Backend, TestApp, World};

/// A timetable for the whole province, every day of the last `days`.
async fn every_day(app: &TestApp, w: &World, days: i64) {
    let (s, body) = app
        .post(
            w.token("root"),
            "/api/v1/schedules",
            json!({"unit_id": w.p.id, "valid_from": (today() - Duration::days(days)).to_string(),
                   "weekdays": [1, 2, 3, 4, 5, 6, 7],
                   "sessions": [{"start": "07:30", "end": "11:30"}, {"start": "13:30", "end": "17:00"}],
                   "grace_minutes": 5}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
}

/// A device's backlog: member_a1 in at 08:10 on `day`, late.
async fn late_arrival(app: &TestApp, w: &World, day: NaiveDate) {
    let (s, body) = app
        .post(
            w.token("root"),
            "/api/v1/checkins",
            json!({"staff_id": w.member_a1.id, "at": format!("{day}T08:10:00+07:00"),
                   "source": "device", "direction": "in", "device_id": "KIOSK-A"}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
}

/// member_a1's late arrivals in the register on `from..=to`.
async fn lates(app: &TestApp, w: &World, from: NaiveDate, to: NaiveDate) -> i64 {
    let (s, body) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/violations?staff_id={}&from={from}&to={to}&code=late",
                w.member_a1.id
            ),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    body["total"].as_i64().unwrap()
}

async fn dates_of_member(app: &TestApp, w: &World, body: serde_json::Value) {
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
            body,
        )
        .await;
    assert_eq!(s, 200, "{body}");
}

async fn a_late_recorded_departure_clears_the_days_after_it(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_day(&app, &w, 120).await;
    let day = past_day(80);
    late_arrival(&app, &w, day).await;
    assert_eq!(lates(&app, &w, day, day).await, 1);
    // HR learns that the person left 85 days ago.
    dates_of_member(&app, &w, json!({"left_on": past_day(85).to_string()})).await;
    assert_eq!(
        lates(&app, &w, day, day).await,
        0,
        "a day after leaving holds no violation"
    );
}

/// A joining date set on someone recorded without one takes the violations registered
/// before it out of the register, however far back they lie.
async fn a_joining_date_set_late_clears_the_days_before_it(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_day(&app, &w, 150).await;
    for n in [85, 75] {
        late_arrival(&app, &w, past_day(n)).await;
    }
    assert_eq!(lates(&app, &w, past_day(150), today()).await, 2);
    // HR fills in the joining date the record lacked: 70 days ago.
    dates_of_member(&app, &w, json!({"joined_on": past_day(70).to_string()})).await;
    assert_eq!(
        lates(&app, &w, past_day(150), today()).await,
        0,
        "no violation before joining"
    );
}

/// Dates beyond what the service holds are a field error, not a failed request.
async fn dates_out_of_range_are_refused(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let (s, body) = app
        .get(
            root,
            &format!("/api/v1/units/{}/attendance?date=-262144-01-01", w.a.id),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let (s, body) = app
        .get(
            root,
            &format!(
                "/api/v1/attendance?staff_id={}&from=-262144-01-01&to=-262144-01-02",
                w.member_a1.id
            ),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["from"].is_array(), "{body}");
}

/// Admins adding overlapping schedules for one unit at the same moment: one is kept, the
/// others are told of the overlap.
async fn overlapping_schedules_at_once_keep_one(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let schedule = |days: i64| {
        json!({"unit_id": w.a.id, "valid_from": (today() - Duration::days(days)).to_string(),
               "weekdays": [1, 2, 3, 4, 5],
               "sessions": [{"start": "07:30", "end": "11:30"}, {"start": "13:30", "end": "17:00"}],
               "grace_minutes": 5})
    };
    let (a, b2, c, d) = tokio::join!(
        app.post(w.token("root"), "/api/v1/schedules", schedule(10)),
        app.post(w.token("admin_a"), "/api/v1/schedules", schedule(11)),
        app.post(w.token("admin_p"), "/api/v1/schedules", schedule(12)),
        app.post(w.token("root"), "/api/v1/schedules", schedule(13)),
    );
    let mut statuses = vec![a.0, b2.0, c.0, d.0];
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        vec![201, 409, 409, 409],
        "{a:?} {b2:?} {c:?} {d:?}"
    );
    assert_eq!(app.count("schedules"), 1);
}

both!(
    a_joining_date_set_late_clears_the_days_before_it,
    overlapping_schedules_at_once_keep_one,
    a_late_recorded_departure_clears_the_days_after_it,
    dates_out_of_range_are_refused,
);
