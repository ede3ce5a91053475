//! A notice whose violations are withdrawn since it was made (a late arrival voided by
//! leave granted later, a finding withdrawn on review): its messages not yet sent are not
//! sent, it does not escalate, the digest does not count it, and the list says so; when
//! the violation comes back, it stands again and the head is told after all.

use chrono::Duration;
use congvu::notify::sender::Sender;
use serde_json::{Value, json};

use crate::attendance::{past_day, today};
use crate::both;
use crate::helpers::{Backend, TestApp, World};
use crate::notice_fixes::{digest, list, setup, sweep, upheld_finding};
use crate::notifications::late;

pub(crate) async fn send_due(app: &TestApp) -> congvu::notify::sender::SendReport {
    Sender::new(app.db.clone(), &app.settings, "t")
        .expect("sender")
        .send_due()
        .await
        .expect("send")
}

/// The rules and schedule of `notice_fixes`, and an address for head_a (the messages
/// go to `.eml` files).
pub(crate) async fn start(app: &TestApp, w: &World) {
    setup(app, w).await;
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.head_a.id),
            json!({"email": "hung.tv@khanhhoa.gov.vn"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
}

/// A day of annual leave for member_a1, entered (and so approved) by head_a afterwards.
pub(crate) async fn leave_on(app: &TestApp, w: &World, day: chrono::NaiveDate) -> Value {
    let (s, leave) = app
        .post(
            w.token("head_a"),
            "/api/v1/leaves",
            json!({"staff_id": w.member_a1.id, "from": day.to_string(), "to": day.to_string(),
                   "kind": "annual"}),
        )
        .await;
    assert_eq!(s, 201, "{leave}");
    assert_eq!(leave["status"], "approved");
    leave
}

/// head_a cancels the leave.
pub(crate) async fn cancel_leave(app: &TestApp, w: &World, leave: &Value) {
    let (s, body) = app
        .post(
            w.token("head_a"),
            &format!("/api/v1/leaves/{}/cancel", leave["id"]),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
}

/// inspector_p's team withdraws `finding` on review.
pub(crate) async fn withdraw_finding(app: &TestApp, w: &World, finding: i64) {
    let (s, body) = app
        .post(
            w.token("inspector_p"),
            &format!("/api/v1/findings/{finding}/withdraw"),
            json!({"reason": "Khiếu nại được giải quyết: nhầm người"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
}

/// The one repeat message head_a has, as listed.
async fn the_message(app: &TestApp, w: &World) -> Value {
    let body = list(app, w.token("head_a"), "?kind=repeat").await;
    assert_eq!(body["total"], 1, "{body}");
    body["items"][0].clone()
}

/// A month passes for every notice: made, and due to escalate, 30 days earlier.
async fn a_month_passes(app: &TestApp) {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        use chrono::NaiveDateTime;
        use congvu::db::schema::repeat_notices;
        use diesel::prelude::*;
        let mut c = db.conn().unwrap();
        let all: Vec<(i64, NaiveDateTime, Option<NaiveDateTime>)> = repeat_notices::table
            .select((
                repeat_notices::id,
                repeat_notices::created_at,
                repeat_notices::escalate_at,
            ))
            .load(&mut *c)
            .unwrap();
        let month = Duration::days(30);
        for (id, made, due) in all {
            diesel::update(repeat_notices::table.find(id))
                .set((
                    repeat_notices::created_at.eq(made - month),
                    repeat_notices::escalate_at.eq(due.map(|d| d - month)),
                ))
                .execute(&mut *c)
                .unwrap();
        }
    })
    .await
    .unwrap();
}

/// Every notice's escalation due an hour ago.
async fn escalation_due(app: &TestApp) {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        use congvu::db::schema::repeat_notices;
        use diesel::prelude::*;
        let mut c = db.conn().unwrap();
        diesel::update(repeat_notices::table)
            .set(repeat_notices::escalate_at.eq(Some(congvu::db::now() - Duration::hours(1))))
            .execute(&mut *c)
            .unwrap();
    })
    .await
    .unwrap();
}

async fn a_late_arrival_excused_later_withdraws_its_notice(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    start(&app, &w).await;
    for n in [7, 5, 4] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let item = the_message(&app, &w).await;
    assert_eq!(item["status"], "pending");
    assert_eq!(item["notice"]["withdrawn"], false, "{item}");
    let id = item["id"].as_i64().unwrap();

    // The second late arrival was a day of leave, entered by the head afterwards: two
    // late arrivals are left, not a repeat.
    let leave = leave_on(&app, &w, past_day(5)).await;
    let item = the_message(&app, &w).await;
    assert_eq!(item["notice"]["withdrawn"], true, "{item}");

    // Not sent: cancelled, with why.
    let report = send_due(&app).await;
    assert_eq!(report.sent, 0, "{report:?}");
    let (s, one) = app
        .get(w.token("head_a"), &format!("/api/v1/notifications/{id}"))
        .await;
    assert_eq!(s, 200, "{one}");
    assert_eq!(one["status"], "cancelled", "{one}");
    assert!(
        one["last_error"]
            .as_str()
            .unwrap()
            .contains("no longer stands"),
        "{one}"
    );
    let (s, body) = app
        .post(
            w.token("root"),
            &format!("/api/v1/notifications/{id}/retry"),
            json!({}),
        )
        .await;
    assert_eq!(s, 409, "{body}");
    assert!(body.to_string().contains("no longer stands"), "{body}");
    let cancelled = list(&app, w.token("head_a"), "?status=cancelled").await;
    assert_eq!(cancelled["total"], 1, "{cancelled}");
    // Nobody above is told of it, nor does the head's digest count it as waiting.
    a_month_passes(&app).await;
    let report = sweep(&app, congvu::db::now()).await;
    assert_eq!(report.escalations, 0, "{report:?}");
    let week = (today() - Duration::days(7), today());
    assert_eq!(
        digest(&app, w.head_a.id, w.a.id, week).await["open_notices"],
        0
    );

    // The leave cancelled: the late arrival is back, the notice stands, and the daily
    // re-send gives its message to the sender again.
    cancel_leave(&app, &w, &leave).await;
    assert_eq!(the_message(&app, &w).await["notice"]["withdrawn"], false);
    assert_eq!(
        digest(&app, w.head_a.id, w.a.id, week).await["open_notices"],
        1
    );
    let db = app.db.clone();
    let revived = tokio::task::spawn_blocking(move || {
        congvu::jobs::notify::resend_failed(&db, congvu::db::now(), 7)
    })
    .await
    .unwrap()
    .expect("resend");
    assert_eq!(revived, 1);
    // With the digest queued above.
    assert_eq!(send_due(&app).await.sent, 2);
    assert_eq!(the_message(&app, &w).await["status"], "sent");
    // Told only now, the head has the escalation delay from now: the level above is not
    // told the same day.
    let report = sweep(&app, congvu::db::now()).await;
    assert_eq!(report.escalations, 0, "{report:?}");
    escalation_due(&app).await;
    let report = sweep(&app, congvu::db::now()).await;
    assert!(report.escalations > 0, "{report:?}");
    // The person made head of A1 since: their own notice is not counted as waiting in
    // their own digest (before, it was), and still is in A's, their superior's.
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"is_head": true}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        digest(&app, w.member_a1.id, w.a1.id, week).await["open_notices"],
        0
    );
    assert_eq!(
        digest(&app, w.head_a.id, w.a.id, week).await["open_notices"],
        1
    );
}

/// head_a's notices, oldest first: (id, withdrawn).
pub(crate) async fn notices(app: &TestApp, w: &World) -> Vec<(i64, bool)> {
    let body = list(app, w.token("head_a"), "?kind=repeat").await;
    let mut out: Vec<(i64, bool)> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["notice"]["id"].as_i64().unwrap(),
                i["notice"]["withdrawn"].as_bool().unwrap(),
            )
        })
        .collect();
    out.sort_unstable();
    out
}

async fn a_finding_withdrawn_on_review_withdraws_its_notice(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    start(&app, &w).await;
    // Alcohol tells the head at once; sent.
    let finding = upheld_finding(&app, &w, "alcohol", past_day(2)).await;
    assert_eq!(send_due(&app).await.sent, 1);
    let item = the_message(&app, &w).await;
    assert_eq!(
        (&item["status"], &item["notice"]["withdrawn"]),
        (&json!("sent"), &json!(false))
    );
    withdraw_finding(&app, &w, finding).await;
    // What was sent stays sent; the notice is marked withdrawn and does not escalate.
    let item = the_message(&app, &w).await;
    assert_eq!(
        (&item["status"], &item["notice"]["withdrawn"]),
        (&json!("sent"), &json!(true))
    );
    escalation_due(&app).await;
    let report = sweep(&app, congvu::db::now()).await;
    assert_eq!(report.escalations, 0, "{report:?}");
    // It may still be acknowledged, saying what was done.
    let (s, body) = app
        .post(
            w.token("head_a"),
            &format!("/api/v1/notifications/{}/acknowledge", item["id"]),
            json!({"note": "Đã rà soát: kết luận đã được thu hồi."}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["notice"]["withdrawn"], true, "{body}");
}

/// Every notice made 400 days ago, and due to escalate `days` ago.
async fn due_days_ago(app: &TestApp, days: i64) {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        use congvu::db::schema::repeat_notices;
        use diesel::prelude::*;
        let ago = |days| congvu::db::now() - Duration::days(days);
        let mut c = db.conn().unwrap();
        diesel::update(repeat_notices::table)
            .set((
                repeat_notices::created_at.eq(ago(400)),
                repeat_notices::escalate_at.eq(Some(ago(days))),
            ))
            .execute(&mut *c)
            .unwrap();
    })
    .await
    .unwrap();
}

/// A notice withdrawn and standing again long after it fell due escalates (saying its
/// heads were not reached) while it is less than a year overdue; past that, it does not,
/// nor after an administrator's retry sends its cancelled message at last.
async fn a_notice_standing_again_escalates_within_a_year_of_its_due_day(b: Backend) {
    for (overdue, retry, escalations) in [(300, false, 1), (370, false, 0), (370, true, 0)] {
        let Some((app, w)) = TestApp::with_world(b).await else {
            return;
        };
        start(&app, &w).await;
        for n in [9, 7, 5] {
            late(&app, &w, w.member_a1.id, past_day(n)).await;
        }
        let leave = leave_on(&app, &w, past_day(7)).await;
        due_days_ago(&app, overdue).await;
        assert_eq!(send_due(&app).await.sent, 0, "withdrawn: cancelled");
        let report = sweep(&app, congvu::db::now()).await;
        assert_eq!(report.escalations, 0, "withdrawn: {report:?}");
        cancel_leave(&app, &w, &leave).await;
        let mut now = congvu::db::now();
        if retry {
            let id = the_message(&app, &w).await["id"].clone();
            let (s, body) = app
                .post(
                    w.token("root"),
                    &format!("/api/v1/notifications/{id}/retry"),
                    json!({}),
                )
                .await;
            assert_eq!(s, 200, "{body}");
            // Past any rule's delay from the retry.
            now += Duration::days(60);
        }
        let report = sweep(&app, now).await;
        assert_eq!(
            report.escalations, escalations,
            "{overdue} days, retry {retry}: {report:?}"
        );
    }
}

/// A late arrival a notice counted through its finding alone: the finding withdrawn on
/// review, and the day's check-in row turning up later (a kiosk's backlog), the notice
/// stands again through that row, which counts in no second notice.
async fn a_days_act_counted_through_a_withdrawn_finding_stays_counted(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    start(&app, &w).await;
    for n in [9, 7] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let finding = upheld_finding(&app, &w, "late", past_day(5)).await;
    assert_eq!(notices(&app, &w).await.len(), 1);
    withdraw_finding(&app, &w, finding).await;
    let first = notices(&app, &w).await;
    assert!(first[0].1, "withdrawn with its finding: {first:?}");
    for n in [5, 3, 2] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let report = sweep(&app, congvu::db::now()).await;
    assert_eq!(report.notices, 0, "{report:?}");
    let after = notices(&app, &w).await;
    assert_eq!(after.len(), 1, "the 5th is told once: {after:?}");
    assert!(!after[0].1, "standing through the day's row: {after:?}");
}

/// A late arrival counted by a notice, which an inspection also found: when an earlier
/// check-in of that day turns up (a kiosk's backlog), the notice stands through the
/// finding, and the finding does not count the day again in a second notice.
async fn a_days_act_counted_once_stays_counted_through_its_finding(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    start(&app, &w).await;
    for n in [9, 7, 5] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    upheld_finding(&app, &w, "late", past_day(5)).await;
    let (s, body) = app
        .post(
            w.token("root"),
            "/api/v1/checkins",
            json!({"staff_id": w.member_a1.id, "at": format!("{}T07:20:00+07:00", past_day(5)),
                   "source": "device", "direction": "in", "device_id": "KIOSK-A"}),
        )
        .await;
    assert!(s == 201 || s == 200, "{s} {body}");
    let lates = format!(
        "/api/v1/violations?staff_id={}&code=late&from={}",
        w.member_a1.id,
        past_day(5)
    );
    let (s, body) = app.get(w.token("root"), &lates).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["total"], 1, "the finding alone: {body}");
    assert_eq!(body["items"][0]["source"], "inspection", "{body}");
    let first = notices(&app, &w).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(!first[0].1, "standing through the finding: {first:?}");
    for n in [3, 2] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let report = sweep(&app, congvu::db::now()).await;
    assert_eq!(report.notices, 0, "{report:?}");
    assert_eq!(notices(&app, &w).await.len(), 1, "the 5th is told once");
}

both!(
    a_notice_standing_again_escalates_within_a_year_of_its_due_day,
    a_days_act_counted_once_stays_counted_through_its_finding,
    a_days_act_counted_through_a_withdrawn_finding_stays_counted,
    a_late_arrival_excused_later_withdraws_its_notice,
    a_finding_withdrawn_on_review_withdraws_its_notice,
);
