//! A transfer between units: the days before it stay with the old unit (its schedule, its
//! register, its timesheet), the days from it on belong to the new one, and the person's
//! units over time can be read back.

use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{Value, json};

use crate::attendance::{at, checkin, every_day_schedule, past_day, today};
use crate::both;
use crate::helpers::{Backend, TestApp, World};

/// B starts at 08:00, half an hour after the province's 07:30: 07:50 is late in A1 and on
/// time in B.
async fn later_schedule_for_b(app: &TestApp, w: &World) {
    let (s, body) = app
        .post(
            w.token("root"),
            "/api/v1/schedules",
            json!({"unit_id": w.b.id, "valid_from": (today() - Duration::days(40)).to_string(),
                   "weekdays": [1, 2, 3, 4, 5, 6, 7],
                   "sessions": [{"start": "08:00", "end": "12:00"}, {"start": "13:30", "end": "17:00"}],
                   "grace_minutes": 5}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
}

/// Moves member_a1 to `unit` from `day` (root's request), expecting it taken.
pub(crate) async fn transfer(app: &TestApp, w: &World, unit: i64, day: NaiveDate) {
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"unit_id": unit, "moved_on": day.to_string()}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["unit_id"], unit, "{body}");
}

/// The late arrivals in the register on `day`, as (unit id, minutes).
async fn late_on(app: &TestApp, w: &World, day: NaiveDate) -> Vec<(i64, i64)> {
    let (s, body) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/violations?staff_id={}&from={day}&to={day}&code=late",
                w.member_a1.id
            ),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["unit_id"].as_i64().unwrap(),
                v["minutes"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// The units `staff` is listed under in a unit's morning overview of `day`.
async fn listed(app: &TestApp, token: &str, unit: i64, day: NaiveDate, staff: i64) -> Vec<i64> {
    let (s, body) = app
        .get(
            token,
            &format!("/api/v1/units/{unit}/attendance?date={day}"),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    body["people"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["staff_id"] == staff)
        .map(|p| p["unit_id"].as_i64().unwrap())
        .collect()
}

async fn sheet_of(app: &TestApp, token: &str, unit: i64, month: &str) -> (u16, Value) {
    app.get(
        token,
        &format!("/api/v1/units/{unit}/timesheet?month={month}"),
    )
    .await
}

fn row_of(sheet: &Value, staff: i64) -> Option<Value> {
    sheet["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["staff_id"] == staff)
        .cloned()
}

async fn a_transfer_keeps_the_days_before_it_with_the_old_unit(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_day_schedule(&app, &w).await;
    later_schedule_for_b(&app, &w).await;
    let root = w.token("root");
    let before = past_day(20);
    let moved_on = before + Duration::days(1);
    let after = past_day(5);
    for day in [before, after] {
        let (s, body) = checkin(&app, root, w.member_a1.id, &at(day, "07:50:00"), json!({})).await;
        assert_eq!(s, 201, "{body}");
    }
    assert_eq!(late_on(&app, &w, before).await, vec![(w.a1.id, 20)]);
    assert_eq!(late_on(&app, &w, after).await, vec![(w.a1.id, 20)]);

    let path = format!("/api/v1/staff/{}", w.member_a1.id);
    transfer(&app, &w, w.b.id, moved_on).await;
    // From the move on, the days are B's: 07:50 is on time there.
    assert!(late_on(&app, &w, after).await.is_empty());
    // A day before it, derived again (its departure arrives from a device's backlog), is
    // still judged under A1's schedule and stays in A1's register.
    let (s, body) = checkin(
        &app,
        root,
        w.member_a1.id,
        &at(before, "17:05:00"),
        json!({}),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(late_on(&app, &w, before).await, vec![(w.a1.id, 20)]);
    let (s, body) = app
        .get(
            root,
            &format!(
                "/api/v1/attendance?staff_id={}&from={before}&to={before}",
                w.member_a1.id
            ),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["items"][0]["late_minutes"], 20, "{body}");

    // The morning overviews: A1 on the day before the move, B on the day after.
    let id = w.member_a1.id;
    assert_eq!(listed(&app, root, w.a1.id, before, id).await, vec![w.a1.id]);
    assert_eq!(
        listed(&app, root, w.a.id, before, id).await,
        vec![w.a1.id],
        "A's subtree"
    );
    assert!(listed(&app, root, w.b.id, before, id).await.is_empty());
    assert!(listed(&app, root, w.a1.id, after, id).await.is_empty());
    assert_eq!(listed(&app, root, w.b.id, after, id).await, vec![w.b.id]);

    // The month of the day before the move: A1's sheet has the person up to the move, B's
    // from it; a day is never in both.
    let month = format!("{}-{:02}", before.year(), before.month());
    let sheet = |token, unit| sheet_of(&app, token, unit, &month);
    let (s, a1_sheet) = sheet(w.token("head_a"), w.a1.id).await;
    assert_eq!(s, 200, "{a1_sheet}");
    let row = row_of(&a1_sheet, id).expect("A1's sheet keeps the person");
    assert_ne!(row["cells"][before.day0() as usize], "", "{row}");
    assert_eq!(row["unit_id"], w.a1.id);
    if moved_on.month() == before.month() {
        assert_eq!(row["cells"][moved_on.day0() as usize], "", "{row}");
    }
    let (s, _) = sheet(w.token("head_a"), w.b.id).await;
    assert_eq!(s, 404, "B is outside head_a's reach");
    let (s, b_sheet) = sheet(root, w.b.id).await;
    assert_eq!(s, 200, "{b_sheet}");
    let row = row_of(&b_sheet, id).expect("B's sheet has the person from the move");
    assert_eq!(row["cells"][before.day0() as usize], "", "{row}");
    if moved_on.month() == before.month() {
        assert_ne!(row["cells"][moved_on.day0() as usize], "", "{row}");
    }

    // A1 moves its start to 08:00: the register of its past days follows, for the person
    // transferred out as for those still there.
    let (s, body) = app
        .post(
            root,
            "/api/v1/schedules",
            json!({"unit_id": w.a1.id, "valid_from": (today() - Duration::days(40)).to_string(),
                   "weekdays": [1, 2, 3, 4, 5, 6, 7],
                   "sessions": [{"start": "08:00", "end": "12:00"}, {"start": "13:30", "end": "17:00"}],
                   "grace_minutes": 5}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    assert!(late_on(&app, &w, before).await.is_empty());

    // The person's units over time.
    let (s, body) = app.get(root, &format!("{path}/units")).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body,
        json!([
            {"unit_id": w.a1.id, "unit_code": "A1", "unit_name": "Phòng A1",
             "from": null, "to": before.to_string()},
            {"unit_id": w.b.id, "unit_code": "B", "unit_name": "Sở B",
             "from": moved_on.to_string(), "to": null},
        ])
    );
    let (s, _) = app.get(w.token("hr_a"), &format!("{path}/units")).await;
    assert_eq!(s, 404, "the person is now outside hr_a's reach");
    // B's hr reads the newcomer's spell in A1 by its dates, not A1's code or name (before,
    // they named a unit of another department); the person reads their own whole.
    let (s, body) = app
        .post(
            root,
            "/api/v1/users",
            json!({"username": "hr.b", "password": "mat-khau-du-dai",
                   "roles": [{"role": "hr", "unit_id": w.b.id}]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let hr_b = app.token("hr.b", "mat-khau-du-dai").await;
    let (s, body) = app.get(&hr_b, &format!("{path}/units")).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body[0],
        json!({"unit_id": w.a1.id, "unit_code": null, "unit_name": null,
               "from": null, "to": before.to_string()})
    );
    assert_eq!(body[1]["unit_code"], "B", "{body}");
    let (s, body) = app.get(w.token("staff_a1"), &format!("{path}/units")).await;
    assert_eq!((s, &body[0]["unit_code"]), (200, &json!("A1")), "{body}");
}

async fn a_transfer_day_is_checked_and_wrong_ones_change_nothing(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let path = format!("/api/v1/staff/{}", w.member_a1.id);
    let refused = |body: Value, why: &'static str| {
        let (app, path) = (&app, &path);
        async move {
            let (s, problem) = app.patch(root, path, body).await;
            assert_eq!(s, 422, "{why}: {problem}");
            assert!(problem.to_string().contains("moved_on"), "{why}: {problem}");
        }
    };
    let tomorrow = today() + Duration::days(1);
    refused(
        json!({"unit_id": w.b.id, "moved_on": tomorrow.to_string()}),
        "in the future",
    )
    .await;
    refused(
        json!({"moved_on": today().to_string()}),
        "without a new unit",
    )
    .await;
    transfer(&app, &w, w.b.id, past_day(10)).await;
    refused(
        json!({"unit_id": w.a1.id, "moved_on": past_day(30).to_string()}),
        "before the last transfer",
    )
    .await;
    // Nothing of the refused requests stayed: still in B, one move.
    let (s, body) = app.get(root, &format!("{path}/units")).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 2, "{body}");
    assert_eq!(body[1]["unit_id"], w.b.id);
    assert_eq!(app.count("staff_moves"), 1);
    let (s, trail) = app
        .get(
            root,
            &format!("/api/v1/audit?entity=staff&entity_id={}", w.member_a1.id),
        )
        .await;
    assert_eq!(s, 200, "{trail}");
    let transfers: Vec<&Value> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "transfer")
        .collect();
    // In the trail of both units: A1's (left) and B's (joined).
    let mut filed: Vec<i64> = transfers
        .iter()
        .map(|e| e["unit_id"].as_i64().unwrap())
        .collect();
    filed.sort_unstable();
    let mut both = vec![w.a1.id, w.b.id];
    both.sort_unstable();
    assert_eq!(filed, both, "{trail}");
    assert_eq!(transfers[0]["after"]["moved_on"], past_day(10).to_string());
    assert_eq!(transfers[0]["after"]["from_unit_id"], w.a1.id);
    // So A's hr, who no longer reads the person, reads the departure (before, it was
    // filed under B alone).
    let trail_of_a = |action: &'static str| {
        let app = &app;
        let w = &w;
        async move {
            let trail = app.trail(w.token("hr_a"), "staff", w.member_a1.id).await;
            trail.iter().filter(|(a, _)| a == action).count()
        }
    };
    assert_eq!(trail_of_a("transfer").await, 1);
    refused(
        json!({"unit_id": w.a1.id, "moved_on": (today() - Duration::days(800)).to_string()}),
        "more than two years back",
    )
    .await;

    // The transfer was a mistake: undone, the person is in A1 again as if it had never
    // happened; there is nothing more to undo. B is beyond hr_a's reach.
    let last = format!("{path}/units/last");
    let (s, _) = app.delete(w.token("hr_a"), &last).await;
    assert_eq!(s, 404, "the person is in B, beyond hr_a");
    let (s, body) = app.delete(root, &last).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["unit_id"], w.a1.id, "{body}");
    assert_eq!(body["unit_since"], Value::Null, "{body}");
    assert_eq!(
        trail_of_a("transfer_undone").await,
        1,
        "the person's return"
    );
    let (s, body) = app.get(root, &format!("{path}/units")).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 1, "{body}");
    let (s, body) = app.delete(root, &last).await;
    assert_eq!(s, 409, "{body}");
    assert_eq!(app.count("staff_moves"), 0);

    // Then the right transfer, from today (the default day).
    let (s, body) = app.patch(root, &path, json!({"unit_id": w.a.id})).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["unit_since"], today().to_string(), "{body}");
    let (s, body) = app.get(root, &format!("{path}/units")).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body[1]["unit_id"], w.a.id, "{body}");
    assert_eq!(body[1]["from"], today().to_string(), "{body}");
}

/// An undone transfer takes its days back: they are judged under the old unit again.
async fn an_undone_transfer_gives_the_days_back(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_day_schedule(&app, &w).await;
    later_schedule_for_b(&app, &w).await;
    let root = w.token("root");
    let day = past_day(5);
    let (s, body) = checkin(&app, root, w.member_a1.id, &at(day, "07:50:00"), json!({})).await;
    assert_eq!(s, 201, "{body}");
    let path = format!("/api/v1/staff/{}", w.member_a1.id);
    transfer(&app, &w, w.b.id, past_day(10)).await;
    assert!(late_on(&app, &w, day).await.is_empty(), "on time in B");
    let (s, body) = app.delete(root, &format!("{path}/units/last")).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(late_on(&app, &w, day).await, vec![(w.a1.id, 20)]);
}

/// A kiosk of the old unit, offline over a transfer, uploads its backlog afterwards: the
/// events of the days before the transfer are taken, those from it on are not its to send.
async fn the_old_units_kiosk_still_uploads_the_days_before(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_day_schedule(&app, &w).await;
    let root = w.token("root");
    let (s, body) = app
        .post(
            root,
            "/api/v1/users",
            json!({"username": "kiosk.a1", "password": "mat-khau-kiosk",
                   "roles": [{"role": "device", "unit_id": w.a1.id}]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let kiosk = app.token("kiosk.a1", "mat-khau-kiosk").await;
    let moved_on = past_day(3);
    transfer(&app, &w, w.b.id, moved_on).await;
    let before = moved_on - Duration::days(1);
    let event = |day: NaiveDate| {
        json!({"staff_id": w.member_a1.id, "at": at(day, "07:50:00"), "source": "device",
               "device_id": "KIOSK-A1"})
    };
    let (s, body) = app
        .post(
            &kiosk,
            "/api/v1/checkins/batch",
            json!({"events": [event(before), event(moved_on)]}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["accepted"], 1, "{body}");
    assert_eq!(body["rejected"][0]["index"], 1, "{body}");
    assert!(
        body["rejected"][0]["errors"]["staff_id"].is_array(),
        "{body}"
    );
    assert_eq!(late_on(&app, &w, before).await, vec![(w.a1.id, 20)]);
    let (s, body) = app.post(&kiosk, "/api/v1/checkins", event(moved_on)).await;
    assert_eq!(s, 422, "a day in B is not the A1 kiosk's: {body}");

    // A's head lists the person's events of the days in A1 (not those in B) and voids the
    // kiosk's upload; B's days are not theirs.
    let (s, body) = checkin(
        &app,
        root,
        w.member_a1.id,
        &at(moved_on, "07:40:00"),
        json!({}),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let in_b = body["id"].clone();
    let head = w.token("head_a");
    let (s, list) = app
        .get(
            head,
            &format!(
                "/api/v1/checkins?staff_id={}&from={before}&to={moved_on}",
                w.member_a1.id
            ),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["at"], at(before, "07:50:00"), "{list}");
    let (s, body) = app
        .post(
            head,
            &format!("/api/v1/checkins/{}/void", items[0]["id"]),
            json!({"reason": "Thiết bị ghi nhầm"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert!(late_on(&app, &w, before).await.is_empty());
    // Their derived days likewise: A1's days, not B's (before, 404 for all).
    let (s, days) = app
        .get(
            head,
            &format!(
                "/api/v1/attendance?staff_id={}&from={before}&to={moved_on}",
                w.member_a1.id
            ),
        )
        .await;
    assert_eq!(s, 200, "{days}");
    let dates: Vec<&str> = days["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["date"].as_str())
        .collect();
    assert!(dates.contains(&before.to_string().as_str()), "{days}");
    assert!(!dates.contains(&moved_on.to_string().as_str()), "{days}");
    let (s, body) = app
        .post(
            head,
            &format!("/api/v1/checkins/{in_b}/void"),
            json!({"reason": "Không phải của đơn vị"}),
        )
        .await;
    assert_eq!(s, 404, "{body}");
}

/// Two transfers of one person sent at once: the second sees the first, so the history
/// never loses a unit (two moves out of A1, B gone) whichever lands first.
async fn two_transfers_at_once_keep_one_history(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let path = format!("/api/v1/staff/{}", w.member_a1.id);
    for round in 0..5 {
        let (to_b, to_a) = (past_day(40 - 6 * round), past_day(37 - 6 * round));
        let (first, second) = tokio::join!(
            app.patch(
                root,
                &path,
                json!({"unit_id": w.b.id, "moved_on": to_b.to_string()})
            ),
            app.patch(
                root,
                &path,
                json!({"unit_id": w.a.id, "moved_on": to_a.to_string()})
            ),
        );
        for (s, body) in [&first, &second] {
            assert!(*s == 200 || *s == 422, "{s} {body}");
        }
        let (s, spells) = app.get(root, &format!("{path}/units")).await;
        assert_eq!(s, 200, "{spells}");
        let units: Vec<i64> = spells
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["unit_id"].as_i64().unwrap())
            .collect();
        assert!(
            units.windows(2).all(|p| p[0] != p[1]),
            "round {round}: a unit lost between two spells: {spells}"
        );
        let (_, person) = app.get(root, &path).await;
        assert_eq!(
            units.last(),
            person["unit_id"].as_i64().as_ref(),
            "{spells}"
        );
        // Back to A1 for the next round, from the day after the last move.
        let (s, body) = app
            .patch(
                root,
                &path,
                json!({"unit_id": w.a1.id, "moved_on": past_day(35 - 6 * round).to_string()}),
            )
            .await;
        assert_eq!(s, 200, "{body}");
    }
}

/// A finding is about the unit the person was in when observed: a visit to A before the
/// transfer may find against them after it, and the register keeps it with A1; what is
/// observed after it may not, and nothing is observed before the visit began.
async fn a_finding_follows_the_unit_of_the_visit(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let moved_on = past_day(3);
    transfer(&app, &w, w.b.id, moved_on).await;
    let inspector = w.token("inspector_p");
    let visit = |day: NaiveDate| at(day, "08:00:00");
    let (s, insp) = app
        .post(
            inspector,
            "/api/v1/inspections",
            json!({"unit_id": w.a.id, "kind": "surprise", "started_at": visit(past_day(5))}),
        )
        .await;
    assert_eq!(s, 201, "{insp}");
    let findings = format!("/api/v1/inspections/{}/findings", insp["id"]);
    let finding = |day: NaiveDate| {
        json!({"violation_code": "no_badge", "observed_at": at(day, "08:10:00"),
               "staff_id": w.member_a1.id, "description": "Không đeo thẻ"})
    };
    let (s, body) = app.post(inspector, &findings, finding(past_day(5))).await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["unit_id"], w.a1.id, "{body}");
    let (s, body) = app.post(inspector, &findings, finding(moved_on)).await;
    assert_eq!(s, 422, "in B by then: {body}");
    assert!(body["errors"]["staff_id"].is_array(), "{body}");
    // Nor does a date before the visit reach back to whoever was in A then, nor one to come.
    for day in [past_day(6), today() + Duration::days(1)] {
        let (s, body) = app.post(inspector, &findings, finding(day)).await;
        assert_eq!(s, 422, "{day}: {body}");
        assert!(body["errors"]["observed_at"].is_array(), "{body}");
    }
}

/// A citizen's answer about the officer counts for the unit they were in that day: a
/// backlog keyed in after the transfer is still A1's, and B gets none of it.
async fn a_survey_answer_follows_the_unit_of_its_day(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let moved_on = past_day(3);
    transfer(&app, &w, w.b.id, moved_on).await;
    let answer = |unit: i64, day: NaiveDate| {
        json!({"unit_id": unit, "staff_id": w.member_a1.id, "submitted_at": at(day, "10:00:00"),
               "satisfied": true})
    };
    let (s, body) = app
        .post(
            w.token("head_a"),
            "/api/v1/surveys",
            answer(w.a1.id, past_day(5)),
        )
        .await;
    assert_eq!(s, 201, "before the transfer, in A1: {body}");
    assert_eq!(
        (&body["unit_id"], &body["staff_id"]),
        (&json!(w.a1.id), &json!(w.member_a1.id))
    );
    for (unit, day, why) in [
        (w.a1.id, moved_on, "in B by then"),
        (w.b.id, past_day(5), "still in A1 then"),
    ] {
        let (s, body) = app
            .post(w.token("root"), "/api/v1/surveys", answer(unit, day))
            .await;
        assert_eq!(s, 422, "{why}: {body}");
        assert!(body["errors"]["staff_id"].is_array(), "{body}");
    }
    let (s, body) = app
        .post(w.token("root"), "/api/v1/surveys", answer(w.b.id, moved_on))
        .await;
    assert_eq!(s, 201, "in B from the transfer on: {body}");
}

/// Last year's rating, made in the old unit, is still the person's after a transfer.
async fn last_years_rating_follows_the_person(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let run_2025 = |unit: i64| {
        app.post(
            root,
            "/api/v1/evaluations/runs",
            json!({"period": "2025", "unit_id": unit}),
        )
    };
    let rating_path = format!(
        "/api/v1/evaluations?staff_id={}&period=2025",
        w.member_a1.id
    );
    let rating = || app.get(root, &rating_path);
    let (s, result) = run_2025(w.p.id).await;
    assert_eq!(s, 201, "{result}");
    let (s, body) = app
        .patch(
            root,
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"unit_id": w.b.id}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, list) = rating().await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["unit_id"], w.a1.id, "{list}");
    assert_eq!(
        list["items"][0]["proposed_rating_label"], "Hoàn thành tốt nhiệm vụ",
        "{list}"
    );
    let id = list["items"][0]["id"].as_i64().unwrap();
    // B, where the person is now, re-runs 2025: they are left out, their rating A1's.
    let (s, rerun) = run_2025(w.b.id).await;
    assert_eq!(s, 201, "{rerun}");
    let skipped = rerun["skipped"].as_array().unwrap();
    assert!(
        skipped.iter().any(|k| k["staff_id"] == w.member_a1.id
            && k["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("Phòng A1")),
        "{rerun}"
    );
    // A re-run over both keeps the rating with A1 too.
    let (s, rerun) = run_2025(w.p.id).await;
    assert_eq!(s, 201, "{rerun}");
    let (_, list) = rating().await;
    assert_eq!(list["items"][0]["unit_id"], w.a1.id, "{list}");
    // So A's HR still decides it, as before the re-runs.
    let (s, body) = app
        .put(
            w.token("hr_a"),
            &format!("/api/v1/evaluations/{id}/decision"),
            json!({"final_rating": "completed_well", "reason": "Theo đề nghị của Phòng A1"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
}

both!(
    a_survey_answer_follows_the_unit_of_its_day,
    last_years_rating_follows_the_person,
    a_finding_follows_the_unit_of_the_visit,
    two_transfers_at_once_keep_one_history,
    an_undone_transfer_gives_the_days_back,
    the_old_units_kiosk_still_uploads_the_days_before,
    a_transfer_keeps_the_days_before_it_with_the_old_unit,
    a_transfer_day_is_checked_and_wrong_ones_change_nothing,
);
