//! Half a day of leave in the monthly timesheet: the day shows both halves, and the totals
//! count the leave half and the other half as worked or absent; the two halves of one day
//! may be two leaves of two kinds.

use chrono::Datelike;
use serde_json::{Value, json};

use crate::attendance::{at, checkin, every_day_schedule, past_day, today};
use crate::both;
use crate::helpers::{Backend, TestApp};

async fn half_days_of_leave_count_half(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_day_schedule(&app, &w).await;
    // Three past days of one month, none a holiday.
    let mut days: Vec<chrono::NaiveDate> = (1..30).map(past_day).collect();
    days.dedup();
    let (d1, d2, d3) = days
        .windows(3)
        .find(|p| p[0].month() == p[2].month())
        .map(|p| (p[0], p[1], p[2]))
        .unwrap();
    let head = w.token("head_a");
    let leave_of = |day: chrono::NaiveDate, half: &str, kind: &str| {
        json!({"staff_id": w.member_a1.id, "from": day.to_string(), "to": day.to_string(),
            "kind": kind, "half_day": half})
    };
    let leave = |day, half| leave_of(day, half, "annual");
    // d1: the morning on leave, the afternoon on time.
    let (s, body) = app.post(head, "/api/v1/leaves", leave(d1, "morning")).await;
    assert_eq!(s, 201, "{body}");
    for time in ["13:25:00", "17:05:00"] {
        let (s, body) = checkin(
            &app,
            w.token("root"),
            w.member_a1.id,
            &at(d1, time),
            json!({}),
        )
        .await;
        assert_eq!(s, 201, "{body}");
    }
    // d2: the afternoon on leave, nobody in the morning.
    let (s, body) = app
        .post(head, "/api/v1/leaves", leave(d2, "afternoon"))
        .await;
    assert_eq!(s, 201, "{body}");

    // d3: annual leave in the morning, a business trip in the afternoon: two leaves.
    let (s, body) = app.post(head, "/api/v1/leaves", leave(d3, "morning")).await;
    assert_eq!(s, 201, "{body}");
    let (s, body) = app
        .post(
            head,
            "/api/v1/leaves",
            leave_of(d3, "afternoon", "business_trip"),
        )
        .await;
    assert_eq!(s, 201, "the other half of the day: {body}");
    let (s, body) = app.post(head, "/api/v1/leaves", leave(d3, "morning")).await;
    assert_eq!(s, 409, "the same half twice: {body}");

    let month = format!("{}-{:02}", d1.year(), d1.month());
    let (s, sheet) = app
        .get(
            head,
            &format!(
                "/api/v1/units/{}/timesheet?month={month}&subtree=true",
                w.a.id
            ),
        )
        .await;
    assert_eq!(s, 200, "{sheet}");
    let row: &Value = sheet["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["staff_id"] == w.member_a1.id)
        .unwrap();
    assert_eq!(row["cells"][d1.day0() as usize], "P/+", "{row}");
    assert_eq!(row["cells"][d2.day0() as usize], "V/P", "{row}");
    assert_eq!(row["cells"][d3.day0() as usize], "P/CT", "{row}");
    let totals = &row["totals"];
    assert_eq!(totals["days_worked"], json!(0.5), "{totals}");
    // d1's and d2's halves and d3's morning; d3's afternoon was work elsewhere.
    assert_eq!(totals["leave_days"], json!(1.5), "{totals}");
    assert_eq!(totals["business_trip_days"], json!(0.5), "{totals}");
    let absent = totals["absent_days"].as_f64().unwrap();
    assert_eq!(
        absent.fract(),
        0.5,
        "the morning of d2 is half a day: {totals}"
    );
    let legend = sheet["legend"].to_string();
    assert!(legend.contains("X/Y"), "{legend}");
}

/// Today is shown as it stands and counted once it is over: the totals are what HR pays
/// from, and the day is not.
async fn today_is_shown_but_not_yet_counted(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_day_schedule(&app, &w).await;
    let today = today();
    let head = w.token("head_a");
    let (s, body) = app
        .post(
            head,
            "/api/v1/leaves",
            json!({"staff_id": w.member_a1.id, "from": today.to_string(),
                   "to": today.to_string(), "kind": "annual"}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let month = format!("{}-{:02}", today.year(), today.month());
    let (s, sheet) = app
        .get(
            head,
            &format!("/api/v1/units/{}/timesheet?month={month}", w.a1.id),
        )
        .await;
    assert_eq!(s, 200, "{sheet}");
    let row = &sheet["rows"][0];
    assert_eq!(row["staff_id"], w.member_a1.id, "{sheet}");
    let cell = &row["cells"][today.day0() as usize];
    let holiday = [(1, 1), (4, 30), (5, 1), (9, 2)].contains(&(today.month(), today.day()));
    if !holiday {
        assert_eq!(cell, "P", "today's cell shows the leave: {row}");
    }
    assert_eq!(row["totals"]["leave_days"], 0, "not counted yet: {row}");
    // The file has the early departures' minutes beside their count, as the JSON has.
    let csv = app
        .client
        .get(app.url(&format!(
            "/api/v1/units/{}/timesheet?month={month}&format=csv",
            w.a1.id
        )))
        .bearer_auth(head)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.ends_with("Vắng không lý do,Ngày nghỉ phép,Ngày đi công tác,Giờ làm việc"),
        "{header}"
    );
    let (s, body) = app
        .get(
            head,
            &format!("/api/v1/units/{}/timesheet?month=+262142-01", w.a1.id),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["errors"]["month"][0], "must be YYYY-MM, 1990 to 2100");
}

both!(
    half_days_of_leave_count_half,
    today_is_shown_but_not_yet_counted
);
