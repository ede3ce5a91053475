//! Check-ins at their edges: a head's own past day, characters PostgreSQL cannot store, a
//! leap second, two heads voiding one event at once, and clashes at one instant.

use serde_json::{Value, json};

use crate::attendance::past_day;
use crate::both;
use crate::helpers::{Backend, TestApp};

fn at(day: chrono::NaiveDate, time: &str) -> String {
    format!("{day}T{time}+07:00")
}

/// The live window holds for a person's own events whatever their role: a head (or an
/// admin) over their own unit backdates their own day no more than anyone.
async fn heads_do_not_backdate_their_own_day(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let head = w.token("head_a");
    let d = past_day(2);
    let own = json!({"staff_id": w.head_a.id, "at": at(d, "07:20:00"), "source": "kiosk"});
    let (s, body) = app.post(head, "/api/v1/checkins", own.clone()).await;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["at"].is_array(), "{body}");
    let live =
        json!({"staff_id": w.head_a.id, "at": chrono::Utc::now().to_rfc3339(), "source": "kiosk"});
    let (s, body) = app.post(head, "/api/v1/checkins", live).await;
    assert_eq!(s, 201, "a live check-in of one's own: {body}");
    // Their staff's past events are theirs to send, in a batch too; their own are not.
    let theirs = json!({"staff_id": w.member_a1.id, "at": at(d, "07:21:00"), "source": "kiosk"});
    let (s, result) = app
        .post(
            head,
            "/api/v1/checkins/batch",
            json!({"events": [theirs, own]}),
        )
        .await;
    assert_eq!(s, 200, "{result}");
    assert_eq!(result["accepted"], 1, "{result}");
    assert_eq!(result["rejected"][0]["index"], 1, "{result}");
    assert!(result["rejected"][0]["errors"]["at"].is_array(), "{result}");
}

/// A NUL character, which PostgreSQL refuses in text, is the one event's field error: the
/// rest of the batch is kept, on both databases alike.
async fn a_nul_character_is_one_events_error(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let head = w.token("head_a");
    let d = past_day(3);
    let event = |time: &str, device: &str| json!({"staff_id": w.member_a1.id, "at": at(d, time), "source": "device", "device_id": device});
    let (s, result) = app
        .post(
            head,
            "/api/v1/checkins/batch",
            json!({"events": [event("07:20:00", "KIOSK-1"), event("11:40:00", "KIOSK-\u{0}"), event("17:05:00", "KIOSK-1")]}),
        )
        .await;
    assert_eq!(s, 200, "{result}");
    assert_eq!(result["accepted"], 2, "{result}");
    assert_eq!(result["rejected"][0]["index"], 1, "{result}");
    assert!(
        result["rejected"][0]["errors"]["device_id"].is_array(),
        "{result}"
    );
    let (s, body) = app
        .post(
            head,
            "/api/v1/checkins",
            json!({"staff_id": w.member_a1.id, "at": at(d, "12:00:00"), "source": "manual", "reason": "Quên\u{0}"}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["reason"].is_array(), "{body}");
}

/// `…:59:60` is recorded as the next instant, and the same event sent again is found as
/// already recorded.
async fn a_leap_second_is_the_next_instant(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let head = w.token("head_a");
    let d = past_day(2);
    let event = json!({"staff_id": w.member_a1.id, "at": at(d, "07:29:60"), "source": "device", "device_id": "K-1"});
    let (s, first) = app.post(head, "/api/v1/checkins", event.clone()).await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["at"], at(d, "07:30:00"), "{first}");
    let (s, again) = app.post(head, "/api/v1/checkins", event).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["id"], first["id"]);
}

/// Two heads voiding one event at the same moment: one void takes, the other is told it
/// is void already, and the trail has one void.
async fn concurrent_voids_take_once(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let d = past_day(2);
    let (s, event) = app
        .post(
            w.token("head_a"),
            "/api/v1/checkins",
            json!({"staff_id": w.member_a1.id, "at": at(d, "07:20:00"), "source": "kiosk"}),
        )
        .await;
    assert_eq!(s, 201, "{event}");
    let path = format!("/api/v1/checkins/{}/void", event["id"]);
    let void = |who: &'static str, reason: &'static str| {
        app.post(w.token(who), &path, json!({"reason": reason}))
    };
    let (a, b2, c, d2) = tokio::join!(
        void("head_a", "Nhập nhầm"),
        void("admin_a", "Trùng"),
        void("root", "Sai máy"),
        void("admin_p", "Lỗi thiết bị"),
    );
    let mut statuses = vec![a.0, b2.0, c.0, d2.0];
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 409, 409, 409]);
    let (_, trail) = app
        .get(
            w.token("root"),
            &format!("/api/v1/audit?entity=checkin&entity_id={}", event["id"]),
        )
        .await;
    let voids = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "void")
        .count();
    assert_eq!(voids, 1, "{trail}");
}

/// A head's correction at the very instant of an event they voided is not answered with
/// the voided event (200, nothing changed): it is refused, saying why.
async fn a_correction_at_a_voided_instant_is_refused_not_dropped(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let d = past_day(2);
    let (s, event) = app
        .post(
            w.token("head_a"),
            "/api/v1/checkins",
            json!({"staff_id": w.member_a1.id, "at": at(d, "07:31:00"), "source": "mobile",
                   "direction": "out"}),
        )
        .await;
    assert_eq!(s, 201, "{event}");
    let (s, body) = app
        .post(
            w.token("head_a"),
            &format!("/api/v1/checkins/{}/void", event["id"]),
            json!({"reason": "Bấm nhầm ra thay vì vào"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let correction = |time: &str| {
        json!({"staff_id": w.member_a1.id, "at": at(d, time), "source": "manual",
               "direction": "in", "reason": "Vào làm lúc 07:31, đã xác nhận"})
    };
    let (s, body) = app
        .post(
            w.token("head_a"),
            "/api/v1/checkins",
            correction("07:31:00"),
        )
        .await;
    assert_eq!(s, 409, "{body}");
    assert!(body["errors"]["at"].is_array(), "{body}");
    let (s, body) = app
        .post(
            w.token("head_a"),
            "/api/v1/checkins",
            correction("07:31:01"),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    // Voided in turn (a wrong reason), the same correction entered again is refused
    // too, not answered with the voided one.
    let (s, body) = app
        .post(
            w.token("head_a"),
            &format!("/api/v1/checkins/{}/void", body["id"]),
            json!({"reason": "Sai lý do"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = app
        .post(
            w.token("head_a"),
            "/api/v1/checkins",
            correction("07:31:01"),
        )
        .await;
    assert_eq!(s, 409, "{body}");
    // The voided event sent again by the phone is still its own retry.
    let (s, again) = app
        .post(
            w.token("head_a"),
            "/api/v1/checkins",
            json!({"staff_id": w.member_a1.id, "at": at(d, "07:31:00"), "source": "mobile",
                   "direction": "out"}),
        )
        .await;
    assert_eq!((s, &again["id"]), (200, &event["id"]), "{again}");
    // A live event clashes the same way: the phone's 'in' at 12:00:00, then an 'out' at
    // that very instant.
    let phone = |direction: &str| {
        json!({"staff_id": w.member_a1.id, "at": at(d, "12:00:00"), "source": "mobile",
               "direction": direction})
    };
    let (s, body) = app
        .post(w.token("head_a"), "/api/v1/checkins", phone("in"))
        .await;
    assert_eq!(s, 201, "{body}");
    let (s, body) = app
        .post(w.token("head_a"), "/api/v1/checkins", phone("out"))
        .await;
    assert_eq!(s, 409, "{body}");
}

/// A batch tells a clash from a repeat as a single event does: an event of another
/// direction at an instant the device already has is rejected at its index, not counted
/// among the duplicates as if it were kept.
async fn a_batch_rejects_a_clash_rather_than_counting_it_kept(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let d = past_day(2);
    let event = |time: &str, direction: &str| {
        json!({"staff_id": w.member_a1.id, "at": at(d, time), "source": "device",
               "direction": direction, "device_id": "KIOSK-A"})
    };
    let batch = |events: Vec<Value>| json!({ "events": events });
    let (s, body) = app
        .post(
            w.token("head_a"),
            "/api/v1/checkins/batch",
            batch(vec![event("07:31:00", "in"), event("07:31:00", "out")]),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        (body["accepted"].as_u64(), body["duplicates"].as_u64()),
        (Some(1), Some(0)),
        "{body}"
    );
    assert_eq!(body["rejected"][0]["index"], 1, "{body}");
    assert!(body["rejected"][0]["errors"]["at"].is_array(), "{body}");
    // Sent again with a new event: the repeat is a duplicate, the clash still rejected
    // (and in the order of the batch), the new event kept.
    let (s, body) = app
        .post(
            w.token("head_a"),
            "/api/v1/checkins/batch",
            batch(vec![
                event("07:31:00", "out"),
                event("07:31:00", "in"),
                event("17:05:00", "out"),
                json!({"staff_id": 0}),
            ]),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        (body["accepted"].as_u64(), body["duplicates"].as_u64()),
        (Some(1), Some(1)),
        "{body}"
    );
    let rejected: Vec<u64> = body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(rejected, vec![0, 3], "{body}");
    // An event the device sent with a key, sent again with the key and another instant
    // (its clock corrected): the same event, a duplicate.
    let keyed = |time: &str| {
        json!({"staff_id": w.member_a1.id, "at": at(d, time), "source": "device",
               "direction": "out", "device_id": "KIOSK-A", "idempotency_key": "kiosk-a-771"})
    };
    let (_, body) = app
        .post(
            w.token("head_a"),
            "/api/v1/checkins/batch",
            batch(vec![keyed("17:05:00")]),
        )
        .await;
    assert_eq!(body["duplicates"], 1, "the same instant: {body}");
    let (_, body) = app
        .post(
            w.token("head_a"),
            "/api/v1/checkins/batch",
            batch(vec![keyed("17:20:00"), keyed("17:20:00")]),
        )
        .await;
    assert_eq!(
        (body["accepted"].as_u64(), body["duplicates"].as_u64()),
        (Some(1), Some(1)),
        "{body}"
    );
    let (_, body) = app
        .post(
            w.token("head_a"),
            "/api/v1/checkins/batch",
            batch(vec![keyed("17:21:00")]),
        )
        .await;
    assert_eq!(
        (body["accepted"].as_u64(), body["duplicates"].as_u64()),
        (Some(0), Some(1)),
        "found by its key: {body}"
    );
    // The day has the arrival and the departure, nothing of the clashing events.
    let (s, list) = app
        .get(
            w.token("head_a"),
            &format!(
                "/api/v1/checkins?staff_id={}&from={d}&to={d}",
                w.member_a1.id
            ),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    let mut kept: Vec<(&str, &str)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["at"].as_str().unwrap(), e["direction"].as_str().unwrap()))
        .collect();
    kept.sort_unstable();
    let (morning, evening, later) = (at(d, "07:31:00"), at(d, "17:05:00"), at(d, "17:20:00"));
    assert_eq!(
        kept,
        vec![
            (morning.as_str(), "in"),
            (evening.as_str(), "out"),
            (later.as_str(), "out")
        ],
        "{list}"
    );
}

/// An idempotency key names one event. The old unit's backlog, sent after a transfer with
/// a key the new unit's device used since, is not answered with the new unit's event
/// (which the old unit's head does not reach) and dropped: it is refused, in a batch at its
/// index.
async fn a_key_used_on_another_day_is_refused(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let moved = past_day(5);
    crate::transfers::transfer(&app, &w, w.b.id, moved).await;
    let event = |day, key: &str| {
        json!({"staff_id": w.member_a1.id, "at": at(day, "07:20:00"), "source": "device",
               "device_id": "K-1", "idempotency_key": key})
    };
    let (s, in_b) = app
        .post(
            w.token("root"),
            "/api/v1/checkins",
            event(past_day(2), "K-17"),
        )
        .await;
    assert_eq!(s, 201, "{in_b}");
    let (s, body) = app
        .post(
            w.token("head_a"),
            "/api/v1/checkins",
            event(past_day(8), "K-17"),
        )
        .await;
    assert_eq!(s, 409, "{body}");
    assert!(body["errors"]["idempotency_key"].is_array(), "{body}");
    assert!(
        body.get("full_name").is_none() && body.get("at").is_none(),
        "{body}"
    );
    let (s, body) = app
        .post(
            w.token("head_a"),
            "/api/v1/checkins/batch",
            json!({"events": [event(past_day(8), "K-17"), event(past_day(8), "K-18")]}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        (&body["accepted"], &body["duplicates"]),
        (&json!(1), &json!(0)),
        "{body}"
    );
    assert_eq!(body["rejected"][0]["index"], 0, "{body}");
    assert!(
        body["rejected"][0]["errors"]["idempotency_key"].is_array(),
        "{body}"
    );
    // The same event again under its key is still a repeat.
    let (s, again) = app
        .post(
            w.token("root"),
            "/api/v1/checkins",
            event(past_day(2), "K-17"),
        )
        .await;
    assert_eq!((s, &again["id"]), (200, &in_b["id"]), "{again}");
}

/// An event is audited under the unit whose day it is: the old unit's backlog after a
/// transfer in the old unit's trail, the new unit's days in the new one's.
async fn an_event_is_audited_under_the_unit_of_its_day(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    crate::transfers::transfer(&app, &w, w.b.id, past_day(5)).await;
    let mut ids = Vec::new();
    for day in [past_day(8), past_day(2)] {
        let (s, event) = app
            .post(
                w.token("root"),
                "/api/v1/checkins/batch",
                json!({"events": [{"staff_id": w.member_a1.id, "at": at(day, "07:20:00"),
                                    "source": "device", "device_id": "K-1"}]}),
            )
            .await;
        assert_eq!((s, &event["accepted"]), (200, &json!(1)), "{event}");
        let (_, list) = app
            .get(
                w.token("root"),
                &format!(
                    "/api/v1/checkins?staff_id={}&from={day}&to={day}",
                    w.member_a1.id
                ),
            )
            .await;
        ids.push(list["items"][0]["id"].clone());
    }
    let seen = |who: &'static str, id: Value| {
        let app = &app;
        let token = w.token(who).to_owned();
        async move {
            let (s, trail) = app
                .get(
                    &token,
                    &format!("/api/v1/audit?entity=checkin&entity_id={id}"),
                )
                .await;
            assert_eq!(s, 200, "{trail}");
            trail["items"].as_array().unwrap().len()
        }
    };
    assert_eq!(
        seen("hr_a", ids[0].clone()).await,
        1,
        "A's day, in A's trail"
    );
    assert_eq!(
        seen("hr_a", ids[1].clone()).await,
        0,
        "B's day, not in A's trail"
    );
}

/// A person's own check-in is recorded when the server receives it: the time their phone
/// claims (eight minutes earlier, within the live window) would make a late arrival on
/// time. A head's entry for their staff keeps the time it gives.
async fn ones_own_check_in_is_recorded_at_its_receipt(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let claimed = chrono::Utc::now() - chrono::Duration::minutes(8);
    let body = json!({"staff_id": w.member_a1.id, "at": claimed.to_rfc3339(), "source": "mobile",
                      "idempotency_key": "own-1"});
    let (s, own) = app
        .post(w.token("staff_a1"), "/api/v1/checkins", body.clone())
        .await;
    assert_eq!(s, 201, "{own}");
    // Its retry is recorded at another instant, and is still the same event.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (s, again) = app
        .post(w.token("staff_a1"), "/api/v1/checkins", body)
        .await;
    assert_eq!((s, &again["id"]), (200, &own["id"]), "{again}");
    // Voided by the head meanwhile, a late retry gets the voided event back, as any
    // retry does, not a 409 for an instant that differs.
    let (s, body) = app
        .post(
            w.token("head_a"),
            &format!("/api/v1/checkins/{}/void", own["id"]),
            json!({"reason": "Chấm hộ"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let retry = json!({"staff_id": w.member_a1.id, "at": claimed.to_rfc3339(), "source": "mobile",
                       "idempotency_key": "own-1"});
    let (s, again) = app
        .post(w.token("staff_a1"), "/api/v1/checkins", retry)
        .await;
    assert_eq!((s, &again["id"]), (200, &own["id"]), "{again}");
    assert!(again["voided_at"].is_string(), "{again}");
    // Two of one's own in one upload (an "out" and an "in" queued by the phone) are both
    // recorded, in their order, a microsecond apart.
    let pair = json!({"events": [
        {"staff_id": w.member_a1.id, "at": (claimed + chrono::Duration::minutes(1)).to_rfc3339(),
         "source": "mobile", "direction": "out"},
        {"staff_id": w.member_a1.id, "at": (claimed + chrono::Duration::minutes(2)).to_rfc3339(),
         "source": "mobile", "direction": "in"}]});
    let (s, body) = app
        .post(w.token("staff_a1"), "/api/v1/checkins/batch", pair)
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["accepted"], 2, "{body}");
    let (_, listed) = app
        .get(
            w.token("head_a"),
            &format!(
                "/api/v1/checkins?staff_id={}&from={}&to={}",
                w.member_a1.id,
                crate::attendance::today() - chrono::Duration::days(1),
                crate::attendance::today()
            ),
        )
        .await;
    let mut live: Vec<(String, String)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["voided_at"].is_null())
        .map(|e| {
            (
                e["at"].as_str().unwrap().to_owned(),
                e["direction"].to_string(),
            )
        })
        .collect();
    live.sort();
    let directions: Vec<&str> = live.iter().map(|(_, d)| d.as_str()).collect();
    assert_eq!(
        directions,
        vec!["\"out\"", "\"in\""],
        "in their order: {listed}"
    );
    // The same tap queued twice, with no key, is one event.
    let tap = json!({"staff_id": w.member_a1.id, "at": claimed.to_rfc3339(), "source": "mobile",
                     "direction": "out", "device_id": "PHONE-1"});
    let (s, body) = app
        .post(
            w.token("staff_a1"),
            "/api/v1/checkins/batch",
            json!({"events": [tap.clone(), tap]}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        (&body["accepted"], &body["duplicates"]),
        (&json!(1), &json!(1)),
        "{body}"
    );
    // A head's correction voided, entered again at another time under the same key, is
    // refused: it is not a retry of the head's own event.
    let d = past_day(3);
    let fix = |time: &str| {
        json!({"staff_id": w.member_a1.id, "at": at(d, time), "source": "manual",
               "direction": "in", "reason": "Xác nhận giờ vào", "idempotency_key": "fix-1"})
    };
    let (s, first) = app
        .post(w.token("head_a"), "/api/v1/checkins", fix("07:30:00"))
        .await;
    assert_eq!(s, 201, "{first}");
    let (s, body) = app
        .post(
            w.token("head_a"),
            &format!("/api/v1/checkins/{}/void", first["id"]),
            json!({"reason": "Sai giờ"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = app
        .post(w.token("head_a"), "/api/v1/checkins", fix("07:40:00"))
        .await;
    assert_eq!(s, 409, "{body}");
    assert!(body["errors"]["idempotency_key"].is_array(), "{body}");
    let stored = chrono::DateTime::parse_from_rfc3339(own["at"].as_str().unwrap()).unwrap();
    let late_by = stored.signed_duration_since(claimed);
    assert!(
        late_by >= chrono::Duration::minutes(7) && late_by < chrono::Duration::minutes(9),
        "recorded at receipt, not at the time claimed: {own}"
    );
    let (s, theirs) = app
        .post(
            w.token("head_a"),
            "/api/v1/checkins",
            json!({"staff_id": w.member_a1.id, "at": claimed.to_rfc3339(), "source": "kiosk"}),
        )
        .await;
    assert_eq!(s, 201, "{theirs}");
    let kept = chrono::DateTime::parse_from_rfc3339(theirs["at"].as_str().unwrap()).unwrap();
    assert_eq!(kept.timestamp(), claimed.timestamp(), "{theirs}");
}

both!(
    ones_own_check_in_is_recorded_at_its_receipt,
    an_event_is_audited_under_the_unit_of_its_day,
    a_key_used_on_another_day_is_refused,
    a_batch_rejects_a_clash_rather_than_counting_it_kept,
    a_correction_at_a_voided_instant_is_refused_not_dropped,
    heads_do_not_backdate_their_own_day,
    a_nul_character_is_one_events_error,
    a_leap_second_is_the_next_instant,
    concurrent_voids_take_once,
);
