//! The check-in rush: single events posted at once go into shared transactions (group
//! commit); each still gets its own answer, and one event's failure is its own. And a
//! device's backlog: a large batch goes in whole (by `COPY` on PostgreSQL), its repeats
//! are told apart from new events.

use std::collections::HashMap;

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp};

async fn concurrent_events_each_get_their_own_answer(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let base = Utc::now() - Duration::seconds(30);
    let at =
        |i: i64| (base + Duration::milliseconds(i)).to_rfc3339_opts(SecondsFormat::Millis, true);
    // Twenty events, each sent twice at the same moment, an event with an idempotency key
    // sent twice at different instants, another at the second instant without the key,
    // and one event beyond its sender's reach.
    let mut sends: Vec<(String, String, Value)> = Vec::new();
    for i in 0..20 {
        let staff = if i % 2 == 0 {
            w.member_a1.id
        } else {
            w.member_b.id
        };
        for _ in 0..2 {
            sends.push((
                format!("e{i}"),
                w.token("root").to_owned(),
                json!({"staff_id": staff, "at": at(i), "source": "device", "device_id": "rush"}),
            ));
        }
    }
    for i in [100, 101] {
        sends.push((
            "keyed".into(),
            w.token("root").to_owned(),
            json!({"staff_id": w.member_a1.id, "at": at(i), "source": "device",
                   "device_id": "rush", "idempotency_key": "phone-42"}),
        ));
    }
    // Without a key, at the instant of the keyed duplicate: a new event of its own.
    sends.push((
        "unkeyed".into(),
        w.token("root").to_owned(),
        json!({"staff_id": w.member_a1.id, "at": at(101), "source": "device", "device_id": "rush"}),
    ));
    sends.push((
        "beyond".into(),
        w.token("head_a").to_owned(),
        json!({"staff_id": w.member_b.id, "at": at(200), "source": "device", "device_id": "rush"}),
    ));

    // The keyed event's first send goes ahead of the rush: were its second send (at the
    // unkeyed event's instant) the first to land, it would hold that instant and the
    // unkeyed event would rightly be its duplicate.
    let first = sends
        .iter()
        .position(|(label, _, _)| label == "keyed")
        .expect("keyed");
    let (label, token, body) = sends.remove(first);
    let (status, answer) = app.post(&token, "/api/v1/checkins", body).await;
    let mut answers: HashMap<String, Vec<(u16, Value)>> = HashMap::new();
    answers.entry(label).or_default().push((status, answer));

    let mut set = tokio::task::JoinSet::new();
    for (label, token, body) in sends {
        let (client, url) = (app.client.clone(), format!("{}/api/v1/checkins", app.base));
        set.spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("request");
            let status = res.status().as_u16();
            (label, status, res.json::<Value>().await.expect("json"))
        });
    }
    while let Some(joined) = set.join_next().await {
        let (label, status, body) = joined.expect("task");
        answers.entry(label).or_default().push((status, body));
    }

    for i in 0..20 {
        let mut pair = answers[&format!("e{i}")].clone();
        pair.sort_by_key(|(s, _)| *s);
        let statuses: Vec<u16> = pair.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            statuses,
            vec![200, 201],
            "event {i}: one new, one duplicate: {pair:?}"
        );
        assert_eq!(
            pair[0].1["id"], pair[1].1["id"],
            "the duplicate names the original"
        );
    }
    let mut keyed = answers["keyed"].clone();
    keyed.sort_by_key(|(s, _)| *s);
    assert_eq!(
        keyed.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![200, 201],
        "{keyed:?}"
    );
    assert_eq!(keyed[0].1["id"], keyed[1].1["id"]);
    let (status, body) = &answers["unkeyed"][0];
    assert_eq!(*status, 201, "{body}");
    assert!(body["idempotency_key"].is_null(), "its own row: {body}");
    assert_ne!(body["id"], keyed[0].1["id"]);
    let (status, body) = &answers["beyond"][0];
    assert_eq!(*status, 422, "{body}");
    assert!(body["errors"]["staff_id"].is_array(), "{body}");

    // Twenty-two events recorded, each audited once.
    let (status, audit) = app
        .get(w.token("root"), "/api/v1/audit?entity=checkin&per_page=100")
        .await;
    assert_eq!(status, 200, "{audit}");
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(22), "{audit}");
}

/// A backlog of 1 500 new events goes in whole, each audited under its own id; sent
/// again, every event is a duplicate; a batch that repeats part of it keeps the new part.
/// (On PostgreSQL the first goes by `COPY`; the others find a duplicate, roll the `COPY`
/// back and go in with `ON CONFLICT DO NOTHING`.)
async fn a_backlog_goes_in_whole_and_its_repeats_are_told(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let base = Utc::now() - Duration::hours(1);
    let event = |i: i64| {
        let staff = if i % 2 == 0 {
            w.member_a1.id
        } else {
            w.member_b.id
        };
        let at = (base + Duration::milliseconds(i)).to_rfc3339_opts(SecondsFormat::Millis, true);
        json!({"staff_id": staff, "at": at, "source": "device", "device_id": "backlog"})
    };
    let send = |from: i64, to: i64| {
        let events: Vec<Value> = (from..to).map(event).collect();
        let (app, token) = (&app, w.token("root"));
        async move {
            let (s, r) = app
                .post(token, "/api/v1/checkins/batch", json!({"events": events}))
                .await;
            assert_eq!(s, 200, "{r}");
            (r["accepted"].as_i64(), r["duplicates"].as_i64())
        }
    };
    let audited = "checkins c JOIN audit_log a ON a.entity = 'checkin' AND a.entity_id = c.id \
                   AND c.device_id = 'backlog'";
    let before = app.count("checkins");

    assert_eq!(send(0, 1500).await, (Some(1500), Some(0)));
    assert_eq!(app.count("checkins"), before + 1500);
    assert_eq!(app.count(audited), 1500, "each event audited under its id");

    assert_eq!(send(0, 1500).await, (Some(0), Some(1500)), "all repeats");
    assert_eq!(send(1000, 2500).await, (Some(1000), Some(500)));
    assert_eq!(app.count("checkins"), before + 2500);
    assert_eq!(app.count(audited), 2500);

    // The ids handed out before the COPY are the rows' own: the next event gets a new one.
    let (s, single) = app
        .post(w.token("root"), "/api/v1/checkins", event(5000))
        .await;
    assert_eq!(s, 201, "{single}");
    assert_eq!(app.count("checkins"), before + 2501);
}

both!(
    concurrent_events_each_get_their_own_answer,
    a_backlog_goes_in_whole_and_its_repeats_are_told
);
