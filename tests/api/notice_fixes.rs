//! Repeat notices, fixed: a finding upheld long after the visit still tells the head
//! (while old history stays quiet), an administrator's retry leaves a message that a
//! sender is delivering alone, escalation follows the unit where the violations
//! happened, and a head's own notice is for the level above: neither the head nor their
//! deputy sees or acknowledges it.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use congvu::db::Db;
use serde_json::{Value, json};

use crate::attendance::past_day;
use crate::both;
use crate::helpers::{Backend, PASSWORD, TestApp, World};
use crate::notifications::late;

/// The province rule, and a schedule every day of the last 200 days.
pub(crate) async fn setup(app: &TestApp, w: &World) {
    crate::notifications::rules_and_schedule(app, w, 200).await;
}

pub(crate) async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let (s, body) = app
        .get(token, &format!("/api/v1/notifications{query}"))
        .await;
    assert_eq!(s, 200, "{body}");
    body
}

/// A staff record made by the root administrator; its id.
async fn person(app: &TestApp, w: &World, body: Value) -> i64 {
    app.new_staff(w.token("root"), body).await
}

/// An account for `staff` with one role on `unit`; its token.
async fn account(
    app: &TestApp,
    w: &World,
    name: &str,
    staff: i64,
    role: &str,
    unit: i64,
) -> String {
    let (s, body) = app
        .post(
            w.token("root"),
            "/api/v1/users",
            json!({"username": name, "password": PASSWORD, "staff_id": staff,
                   "roles": [{"role": role, "unit_id": unit}]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    app.token(name, PASSWORD).await
}

/// An inspection of A on `day` with a finding of `code` about the member of A1, who
/// explains it; then the team upholds it today. Returns the finding's id.
pub(crate) async fn upheld_finding(app: &TestApp, w: &World, code: &str, day: NaiveDate) -> i64 {
    let inspector = w.token("inspector_p");
    let (s, insp) = app
        .post(
            inspector,
            "/api/v1/inspections",
            json!({"unit_id": w.a.id, "kind": "surprise", "started_at": format!("{day}T07:45:00+07:00")}),
        )
        .await;
    assert_eq!(s, 201, "{insp}");
    let (s, finding) = app
        .post(
            inspector,
            &format!("/api/v1/inspections/{}/findings", insp["id"]),
            json!({"violation_code": code, "observed_at": format!("{day}T11:50:00+07:00"),
                   "staff_id": w.member_a1.id, "description": "Uống bia trong giờ làm việc",
                   "severity": "less_serious"}),
        )
        .await;
    assert_eq!(s, 201, "{finding}");
    let id = finding["id"].as_i64().unwrap();
    explained_and_upheld(app, w, id).await;
    id
}

/// member_a1 explains their finding, and inspector_p's team upholds it.
pub(crate) async fn explained_and_upheld(app: &TestApp, w: &World, finding: i64) {
    let path = format!("/api/v1/findings/{finding}");
    let (s, body) = app
        .post(
            w.token("staff_a1"),
            &format!("{path}/explanation"),
            json!({"text": "Tôi xin rút kinh nghiệm."}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = app
        .post(
            w.token("inspector_p"),
            &format!("{path}/decision"),
            json!({"outcome": "upheld"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
}

/// Runs the daily sweep at `now` (detection for everyone, then escalation).
pub(crate) async fn sweep(app: &TestApp, now: NaiveDateTime) -> congvu::jobs::notify::SweepReport {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || congvu::jobs::notify::sweep(&db, now))
        .await
        .unwrap()
        .expect("sweep")
}

/// Makes every notice due to escalate an hour ago, then runs the daily sweep now.
pub(crate) async fn sweep_with_every_notice_due(
    app: &TestApp,
) -> congvu::jobs::notify::SweepReport {
    let db = app.db.clone();
    let now = congvu::db::now();
    tokio::task::spawn_blocking(move || {
        use congvu::db::schema::repeat_notices;
        use diesel::prelude::*;
        let mut c = db.conn().unwrap();
        diesel::update(repeat_notices::table)
            .set(repeat_notices::escalate_at.eq(Some(now - Duration::hours(1))))
            .execute(&mut *c)
            .unwrap();
    })
    .await
    .unwrap();
    sweep(app, now).await
}

async fn a_finding_upheld_late_still_tells_the_head(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    setup(&app, &w).await;
    // Old history loaded at go-live (a device's backlog): recorded, nobody told.
    for n in [70, 66, 62] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    assert_eq!(
        app.count("repeat_notices"),
        1,
        "the old crossing is recorded"
    );
    assert_eq!(list(&app, w.token("head_a"), "").await["total"], 0);
    // A finding bulk-loaded long ago, like the generated province's: quiet too.
    let db = app.db.clone();
    let (member, province, unit) = (w.member_a1.id, w.p.id, w.a.id);
    tokio::task::spawn_blocking(move || bulk_loaded_finding(&db, province, unit, member))
        .await
        .unwrap();
    let report = sweep(&app, congvu::db::now()).await;
    assert_eq!((report.notices, report.messages), (1, 0), "{report:?}");
    assert_eq!(list(&app, w.token("head_a"), "").await["total"], 0);

    // Upheld today, 60 days after the visit (after an explanation deadline of up to 60
    // days): the head is told, although the visit lies more than 45 days back.
    let visit = past_day(60);
    upheld_finding(&app, &w, "alcohol", visit).await;
    let body = list(&app, w.token("head_a"), "").await;
    assert_eq!(body["total"], 1, "{body}");
    let item = &body["items"][0];
    assert_eq!(item["recipient_staff_id"], w.head_a.id);
    assert_eq!(item["notice"]["day"], visit.to_string());
    assert!(item["notice"]["escalate_at"].is_string(), "{item}");

    // Upheld today, 130 days after the visit: older than the history any run loads by
    // day, and news all the same.
    upheld_finding(&app, &w, "harassment", past_day(130)).await;
    let body = list(&app, w.token("head_a"), "").await;
    assert_eq!(body["total"], 2, "{body}");
    // Nothing more for the sweep to find: each is noticed once.
    let report = sweep(&app, congvu::db::now()).await;
    assert_eq!((report.notices, report.messages), (0, 0), "{report:?}");
}

/// An upheld alcohol finding as a bulk load writes it into the register: its day 80
/// days back, concluded 75 days back.
fn bulk_loaded_finding(db: &Db, province: i64, unit: i64, staff: i64) {
    use congvu::db::schema::violations;
    use diesel::prelude::*;
    let mut c = db.conn().unwrap();
    let concluded = congvu::db::now() - Duration::days(75);
    diesel::insert_into(violations::table)
        .values((
            violations::province_id.eq(province),
            violations::unit_id.eq(unit),
            violations::staff_id.eq(Some(staff)),
            violations::code.eq("alcohol"),
            violations::day.eq(past_day(80)),
            violations::minutes.eq(None::<i32>),
            violations::source.eq(congvu::db::inspections::SOURCE_INSPECTION),
            violations::source_ref.eq("bulk-1"),
            violations::detail.eq(Some("nạp từ hệ thống cũ")),
            violations::created_at.eq(concluded),
            violations::updated_at.eq(concluded),
        ))
        .execute(&mut *c)
        .unwrap();
}

/// Sets a message's delivery state as the sender leaves it after a failed attempt.
fn fail(db: &Db, id: i64) {
    use congvu::db::schema::notifications;
    use diesel::prelude::*;
    let mut c = db.conn().unwrap();
    let now = congvu::db::now();
    diesel::update(notifications::table.find(id))
        .set((
            notifications::status.eq("failed"),
            notifications::attempts.eq(1),
            notifications::last_error.eq(Some("421 try again later")),
            notifications::next_attempt_at.eq(now - Duration::seconds(1)),
        ))
        .execute(&mut *c)
        .unwrap();
}

async fn a_retry_leaves_a_message_being_sent_alone(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    upheld_finding(&app, &w, "alcohol", past_day(2)).await;
    let body = list(&app, w.token("admin_a"), "").await;
    assert_eq!(body["total"], 1, "{body}");
    let id = body["items"][0]["id"].as_i64().unwrap();
    let retry = format!("/api/v1/notifications/{id}/retry");

    // Failed and nobody at it: a fresh round.
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || fail(&db, id))
        .await
        .unwrap();
    let (s, body) = app.post(w.token("admin_a"), &retry, json!({})).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["status"], "pending");

    // Failed again, and a sender has taken it for its next attempt: the retry leaves it
    // alone, and the sender's delivery is recorded under its claim.
    let db = app.db.clone();
    let claimed = tokio::task::spawn_blocking(move || {
        fail(&db, id);
        let now = congvu::db::now();
        let until = now + Duration::minutes(15);
        let mut c = db.conn().unwrap();
        congvu::db::outbox::claim(&mut c, id, "sender-a", until, now).unwrap()
    })
    .await
    .unwrap();
    assert!(claimed.is_some(), "the sender has it");
    let (s, body) = app.post(w.token("admin_a"), &retry, json!({})).await;
    assert_eq!(s, 409, "being sent: {body}");
    let db = app.db.clone();
    let marked = tokio::task::spawn_blocking(move || {
        let mut c = db.conn().unwrap();
        congvu::db::outbox::mark_sent(&mut c, id, "sender-a", congvu::db::now()).unwrap()
    })
    .await
    .unwrap();
    assert!(marked, "the sender's claim was left alone");
    let (s, one) = app
        .get(w.token("admin_a"), &format!("/api/v1/notifications/{id}"))
        .await;
    assert_eq!((s, one["status"].as_str()), (200, Some("sent")), "{one}");
    let (s, _) = app.post(w.token("admin_a"), &retry, json!({})).await;
    assert_eq!(s, 409, "sent: not due again");
    assert_eq!(app.count("audit_log WHERE entity = 'notification'"), 1);
}

/// The province's chairman: the head of P, the level above a department's head.
async fn chairman(app: &TestApp, w: &World) -> i64 {
    person(
        app,
        w,
        json!({"code": "S-HEAD-P", "full_name": "Phạm Quốc Bảo", "unit_id": w.p.id,
               "category": "can_bo", "is_head": true, "position": "Chủ tịch"}),
    )
    .await
}

async fn escalation_follows_the_unit_of_the_violations(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    setup(&app, &w).await;
    let chair = chairman(&app, &w).await;
    // A second division of A, with a head of its own.
    let (s, a2) = app
        .post(
            w.token("root"),
            "/api/v1/units",
            json!({"code": "A2", "name": "Phòng A2", "parent_id": w.a.id, "kind": "division"}),
        )
        .await;
    assert_eq!(s, 201, "{a2}");
    person(
        &app,
        &w,
        json!({"code": "S-HEAD-A2", "full_name": "Đỗ Thị Mai", "unit_id": a2["id"],
               "category": "cong_chuc", "is_head": true}),
    )
    .await;
    // Late three times in A1: the head of A is told.
    for n in [7, 5, 4] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let body = list(&app, w.token("root"), "?kind=repeat").await;
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["items"][0]["recipient_staff_id"], w.head_a.id);
    // Then moved to A2, before the notice escalates.
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"unit_id": a2["id"]}),
        )
        .await;
    assert_eq!(s, 200, "{body}");

    let report = sweep_with_every_notice_due(&app).await;
    assert_eq!(report.escalations, 1, "{report:?}");
    // The level above the head of A who was told, about A1: not the head of A again,
    // as the level above A2.
    let esc = list(&app, w.token("root"), "?kind=escalation").await;
    assert_eq!(esc["total"], 1, "{esc}");
    let item = &esc["items"][0];
    assert_eq!(item["recipient_staff_id"], chair, "{item}");
    assert_eq!(item["unit_id"], w.a1.id, "{item}");
    assert_eq!(item["notice"]["unit_id"], w.a1.id, "{item}");
}

/// A policy stored before two repeat rules of one name were refused: the second is left
/// out, and the day's check-ins and detection go on. Before, both rules crossed on the
/// third late arrival under one key, the second notice broke a unique index, and the
/// check-in (as the nightly close) failed.
async fn a_stored_policy_with_two_rules_of_one_name_keeps_working(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    setup(&app, &w).await;
    let text = r#"
code = "p-twice"
name = "Tỉnh P: hai quy tắc cùng tên"
source = "Quyết định thử nghiệm"
kind = "overlay"
province = "P"
effective_from = "2020-01-01"
categories = ["can_bo", "cong_chuc", "vien_chuc", "contract"]

[[repeat]]
name = "Vi phạm giờ làm việc"
codes = ["late"]
count = 3
window_days = 30
source = "Quyết định thử nghiệm"

[[repeat]]
name = "Vi phạm giờ làm việc"
codes = ["late", "early_leave"]
count = 3
window = "month"
source = "Quyết định thử nghiệm"
"#;
    let db = app.db.clone();
    let province = w.p.id;
    tokio::task::spawn_blocking(move || {
        let policy = congvu::domain::evaluation::policy::parse(text).unwrap();
        let mut c = db.conn().unwrap();
        congvu::db::policies::insert(&mut c, None, Some(province), &policy, text).unwrap();
    })
    .await
    .unwrap();
    let day = past_day(2);
    for n in [4, 3] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    late(&app, &w, w.member_a1.id, day).await;
    let told = list(&app, w.token("root"), "?kind=repeat").await;
    assert!(told["total"].as_i64().unwrap() >= 1, "{told}");
}

/// An escalation queued while the mail server was down is not sent once the head has
/// acknowledged the notice, nor the repeat's own message waiting to be sent again:
/// before, the director was told of a notice the division head had acted on.
async fn an_escalation_waiting_is_dropped_once_acknowledged(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    setup(&app, &w).await;
    chairman(&app, &w).await;
    for n in [7, 5, 4] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let told = list(&app, w.token("root"), "?kind=repeat").await;
    let repeat = told["items"][0]["id"].as_i64().unwrap();
    assert_eq!(sweep_with_every_notice_due(&app).await.escalations, 1);
    let esc = list(&app, w.token("root"), "?kind=escalation").await;
    let id = esc["items"][0]["id"].as_i64().unwrap();
    // Its first attempt failed, and the repeat's own message's too; then the head acts on
    // the notice.
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        fail(&db, id);
        fail(&db, repeat);
    })
    .await
    .unwrap();
    let (s, body) = app
        .post(
            w.token("head_a"),
            &format!("/api/v1/notifications/{repeat}/acknowledge"),
            json!({"note": "Đã nhắc nhở, cam kết không tái phạm"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    // Neither is sent: the repeat asked a head to act on what has been acted on (before,
    // it still went out).
    for id in [id, repeat] {
        let db = app.db.clone();
        let claimed = tokio::task::spawn_blocking(move || {
            let now = congvu::db::now();
            let mut c = db.conn().unwrap();
            congvu::db::outbox::claim(&mut c, id, "sender-a", now + Duration::minutes(15), now)
                .unwrap()
        })
        .await
        .unwrap();
        assert!(claimed.is_none(), "not sent");
        let (_, one) = app
            .get(w.token("root"), &format!("/api/v1/notifications/{id}"))
            .await;
        assert_eq!(one["status"], "cancelled", "{one}");
    }
}

/// A notice about the unit a person moved to lists an inspection's finding made in
/// their old unit without the team's description: it is for those who read that
/// inspection, and the register blanks it for the new unit's heads. Before, the email
/// carried it.
async fn a_notice_after_a_transfer_keeps_the_old_teams_description(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    setup(&app, &w).await;
    chairman(&app, &w).await;
    upheld_finding(&app, &w, "late", past_day(8)).await;
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"unit_id": w.b.id, "moved_on": past_day(6).to_string()}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    for n in [4, 3] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let told = list(&app, w.token("root"), "?kind=repeat").await;
    assert_eq!(told["total"], 1, "{told}");
    assert_eq!(told["items"][0]["unit_id"], w.b.id, "{told}");
    let id = told["items"][0]["id"].as_i64().unwrap();
    let (s, one) = app
        .get(w.token("root"), &format!("/api/v1/notifications/{id}"))
        .await;
    assert_eq!(s, 200, "{one}");
    let text = one["text"].as_str().unwrap();
    assert!(
        text.contains(&past_day(8).format("%d/%m/%Y").to_string()),
        "{text}"
    );
    assert!(!text.contains("Uống bia trong giờ làm việc"), "{text}");
}

/// Violations of the old unit that come in after a transfer (its kiosk's offline
/// backlog) are told to the old unit's head, where they happened, not to the new one.
async fn a_backlog_after_a_transfer_goes_to_the_old_units_head(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    setup(&app, &w).await;
    let chair = chairman(&app, &w).await;
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"unit_id": w.b.id, "moved_on": past_day(10).to_string()}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    for n in [20, 18, 15] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let body = list(&app, w.token("root"), "?kind=repeat").await;
    assert_eq!(body["total"], 1, "{body}");
    let item = &body["items"][0];
    assert_eq!(item["recipient_staff_id"], w.head_a.id, "{item}");
    assert_eq!(item["notice"]["unit_id"], w.a1.id, "{item}");
    assert_ne!(item["recipient_staff_id"], chair);
}

/// A member of A1 made head of A: a backlog of their days in A1 is a head's own
/// violations, for the level above A, not for A1's head, their subordinate now.
async fn a_backlog_of_a_head_promoted_goes_above_the_unit_they_head(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    setup(&app, &w).await;
    let chair = chairman(&app, &w).await;
    let head_a1 = person(
        &app,
        &w,
        json!({"code": "S-HEAD-A1", "full_name": "Lê Văn Tổ", "unit_id": w.a1.id,
               "category": "cong_chuc", "is_head": true, "position": "Trưởng phòng"}),
    )
    .await;
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_a1.id),
            json!({"unit_id": w.a.id, "moved_on": past_day(10).to_string(), "is_head": true}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    for n in [20, 18, 15] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let body = list(&app, w.token("root"), "?kind=repeat").await;
    assert_eq!(body["total"], 1, "{body}");
    let item = &body["items"][0];
    assert_eq!(item["recipient_staff_id"], chair, "{item}");
    assert_ne!(item["recipient_staff_id"], head_a1, "{item}");
    assert_eq!(item["notice"]["unit_id"], w.a.id, "{item}");
    // A's own hr does not read its head's notice.
    let theirs = list(&app, w.token("hr_a"), "?kind=repeat").await;
    assert_eq!(theirs["total"], 0, "{theirs}");
    // Nor does A1's head find those days in the digest of A1's weeks.
    let digest = digest(&app, head_a1, w.a1.id, (past_day(21), past_day(14))).await;
    assert_eq!(digest["total"], 0, "{digest}");
}

/// The digest `head` gets for `unit` over `from..=to`, queued now (in place of any
/// queued before): its payload.
pub(crate) async fn digest(
    app: &TestApp,
    head: i64,
    unit: i64,
    (from, to): (NaiveDate, NaiveDate),
) -> Value {
    let db = app.db.clone();
    let payload = tokio::task::spawn_blocking(move || {
        use congvu::db::schema::notifications;
        use diesel::prelude::*;
        let mut c = db.conn().unwrap();
        let head = congvu::db::staff::find(&mut c, head).unwrap().unwrap();
        let unit = congvu::db::units::find(&mut c, unit).unwrap().unwrap();
        let now = congvu::db::now();
        // Once per head and week: the one queued before goes, so that this one is made.
        diesel::delete(notifications::table.filter(notifications::kind.eq("digest")))
            .execute(&mut *c)
            .unwrap();
        let void = congvu::db::digests::withdrawn_open(&mut c).unwrap();
        congvu::db::digests::queue(&mut c, &head, &unit, (from, to), &void, now).unwrap();
        notifications::table
            .filter(notifications::kind.eq("digest"))
            .order(notifications::id.desc())
            .select(notifications::payload)
            .first::<String>(&mut *c)
            .unwrap()
    })
    .await
    .unwrap();
    serde_json::from_str(&payload).unwrap()
}

/// A finding concluded this week about a visit a month back is in this week's digest:
/// dated before the week, it was in none.
async fn a_finding_concluded_late_is_in_the_weeks_digest(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    setup(&app, &w).await;
    upheld_finding(&app, &w, "no_badge", past_day(30)).await;
    // Concluded today about a day of last week: not in last week's digest (one act is in
    // one digest, and last week's was made before it was concluded), in this week's.
    upheld_finding(&app, &w, "smoking", past_day(3)).await;
    // A late arrival the check-ins did not record, found a month back: news this week.
    upheld_finding(&app, &w, "late", past_day(30)).await;
    let today = crate::attendance::today();
    let week = |from: i64, to: i64| (today - Duration::days(from), today - Duration::days(to));
    let count = |digest: &Value, code: &str| {
        digest["by_code"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .map(|c| c["count"].clone())
    };
    let last = digest(&app, w.head_a.id, w.a.id, week(7, 1)).await;
    assert_eq!(count(&last, "smoking"), None, "{last}");
    let this = digest(&app, w.head_a.id, w.a.id, week(6, 0)).await;
    assert_eq!(count(&this, "no_badge"), Some(json!(1)), "{this}");
    assert_eq!(count(&this, "smoking"), Some(json!(1)), "{this}");
    assert_eq!(count(&this, "late"), Some(json!(1)), "{this}");
}

/// A message is its recipient's to read and acknowledge while they head its unit (or
/// one above it): stepped down, they no longer read it, nor stop its escalation.
async fn a_head_who_stepped_down_no_longer_reads_what_was_sent_to_them(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    setup(&app, &w).await;
    let head_a1 = person(
        &app,
        &w,
        json!({"code": "S-HEAD-A1", "full_name": "Lê Văn Tổ", "unit_id": w.a1.id,
               "category": "cong_chuc", "is_head": true, "position": "Trưởng phòng"}),
    )
    .await;
    // Only the head's post, no role over anyone: they read what is sent to them.
    let token = account(&app, &w, "head_a1", head_a1, "staff", w.a1.id).await;
    for n in [7, 5, 4] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let theirs = list(&app, &token, "").await;
    assert_eq!(theirs["total"], 1, "{theirs}");
    let id = theirs["items"][0]["id"].as_i64().unwrap();
    let (s, _) = app
        .get(&token, &format!("/api/v1/notifications/{id}"))
        .await;
    assert_eq!(s, 200);
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{head_a1}"),
            json!({"is_head": false}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let theirs = list(&app, &token, "").await;
    assert_eq!(theirs["total"], 0, "{theirs}");
    let (s, _) = app
        .get(&token, &format!("/api/v1/notifications/{id}"))
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .post(
            &token,
            &format!("/api/v1/notifications/{id}/acknowledge"),
            json!({"note": "Đã nhắc nhở"}),
        )
        .await;
    assert_eq!(s, 404);
}

async fn a_heads_own_notice_is_for_the_level_above(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    setup(&app, &w).await;
    let chair = chairman(&app, &w).await;
    let chair_token = account(&app, &w, "chair_p", chair, "unit_head", w.p.id).await;
    // The deputy of A holds the head's role on A, without being its head.
    let deputy = person(
        &app,
        &w,
        json!({"code": "S-DEP-A", "full_name": "Vũ Văn Phó", "unit_id": w.a.id,
               "category": "cong_chuc", "position": "Phó Giám đốc"}),
    )
    .await;
    let deputy_token = account(&app, &w, "deputy_a", deputy, "unit_head", w.a.id).await;

    // The head of A is late three times, and so is the member of A1.
    for n in [7, 5, 4] {
        late(&app, &w, w.head_a.id, past_day(n)).await;
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let all = list(&app, w.token("root"), "?kind=repeat").await;
    assert_eq!(all["total"], 2, "{all}");
    let of = |staff: i64| -> i64 {
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["notice"]["staff_id"] == staff)
            .and_then(|i| i["id"].as_i64())
            .unwrap()
    };
    let (heads, members) = (of(w.head_a.id), of(w.member_a1.id));

    // The head himself, his deputy, and A's own hr and admin see only the member's.
    for token in [
        w.token("head_a"),
        &deputy_token,
        w.token("hr_a"),
        w.token("admin_a"),
    ] {
        let body = list(&app, token, "").await;
        let ids: Vec<i64> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["id"].as_i64())
            .collect();
        assert_eq!(
            (body["total"].as_i64(), ids),
            (Some(1), vec![members]),
            "{body}"
        );
        let (s, _) = app
            .get(token, &format!("/api/v1/notifications/{heads}"))
            .await;
        assert_eq!(s, 404);
    }
    let mine = list(
        &app,
        w.token("head_a"),
        &format!("?staff_id={}", w.head_a.id),
    )
    .await;
    assert_eq!(mine["total"], 0, "{mine}");
    // The level above reads it: the province's admin and the chairman it was sent to.
    for token in [w.token("admin_p"), chair_token.as_str()] {
        let body = list(&app, token, &format!("?staff_id={}", w.head_a.id)).await;
        assert_eq!(body["total"], 1, "{body}");
    }

    // The head stepping down (or having the flag cleared for a moment) does not open the
    // notice about him to his deputy: it was about a head when it was made.
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.head_a.id),
            json!({"is_head": false}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, _) = app
        .get(&deputy_token, &format!("/api/v1/notifications/{heads}"))
        .await;
    assert_eq!(s, 404, "the deputy still does not read it");
    let body = list(&app, &deputy_token, "").await;
    assert_eq!(body["total"], 1, "{body}");

    // Neither the head nor his deputy acknowledges it; the chairman does.
    let ack = format!("/api/v1/notifications/{heads}/acknowledge");
    for token in [w.token("head_a"), &deputy_token, w.token("admin_a")] {
        let (s, body) = app.post(token, &ack, json!({"note": "Đã xử lý"})).await;
        assert_eq!(s, 404, "{body}");
    }
    let (s, body) = app
        .post(&chair_token, &ack, json!({"note": "Đã yêu cầu kiểm điểm."}))
        .await;
    assert_eq!(s, 200, "{body}");
    assert!(body["notice"]["acknowledged_at"].is_string(), "{body}");

    // The member's notice is the deputy's to act on, as a head over the unit.
    let (s, body) = app
        .post(
            &deputy_token,
            &format!("/api/v1/notifications/{members}/acknowledge"),
            json!({"note": "Đã nhắc nhở."}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
}

/// The province's own rule for late arrivals, replacing the national one.
const PROVINCE_LATE_RULE: &str = r#"
code = "p-late"
name = "Tỉnh Thử Nghiệm: đi muộn"
source = "Quyết định thử nghiệm"
kind = "overlay"
province = "P"
effective_from = "2020-01-01"
categories = ["can_bo", "cong_chuc", "vien_chuc", "contract"]

[[repeat]]
name = "Đi muộn 3 lần trong 30 ngày (tỉnh)"
codes = ["late"]
count = 3
window_days = 30
source = "Quyết định thử nghiệm"
"#;

/// A province that adopts its own rule for late arrivals, replacing the national one,
/// does not have the crossings already told under the national rule told again.
async fn a_replacing_rule_does_not_tell_a_crossing_twice(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    setup(&app, &w).await;
    let member = w.member_a1.id;
    for n in [9, 6, 3] {
        late(&app, &w, member, past_day(n)).await;
    }
    let told = list(&app, w.token("root"), "?kind=repeat").await;
    assert_eq!(told["total"], 1, "{told}");
    let (s, body) = app
        .post(
            w.token("admin_p"),
            "/api/v1/policies",
            json!({"document": PROVINCE_LATE_RULE}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let report = sweep(&app, congvu::db::now()).await;
    assert_eq!(report.notices, 0, "{report:?}");
    let told = list(&app, w.token("root"), "?kind=repeat").await;
    assert_eq!(told["total"], 1, "{told}");
    // A new crossing under the province's rule is told as usual.
    for n in [12, 2, 1] {
        late(&app, &w, member, past_day(n)).await;
    }
    let report = sweep(&app, congvu::db::now()).await;
    let told = list(&app, w.token("root"), "?kind=repeat").await;
    assert_eq!(told["total"], 2, "{report:?} {told}");
}

/// A repeat rule for every late arrival, in two versions: the second ends yesterday.
fn late_rule_versions() -> [String; 2] {
    let version = |to: Option<String>| {
        format!(
            r#"
code = "p-late-each"
name = "Tỉnh Thử Nghiệm: mỗi lần đi muộn"
source = "Quyết định thử nghiệm"
kind = "overlay"
province = "P"
effective_from = "2020-01-01"
{}
categories = ["can_bo", "cong_chuc", "vien_chuc", "contract"]

[[repeat]]
name = "Đi muộn"
codes = ["late"]
count = 1
window_days = 1
source = "Quyết định thử nghiệm"
"#,
            to.map(|t| format!("effective_to = \"{t}\""))
                .unwrap_or_default()
        )
    };
    [version(None), version(Some(past_day(1).to_string()))]
}

/// A version that ends a repeat rule withdraws it: the open-ended version before it does
/// not come back.
async fn an_ended_version_withdraws_its_repeat_rule(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    setup(&app, &w).await;
    for document in late_rule_versions() {
        let (s, body) = app
            .post(
                w.token("admin_p"),
                "/api/v1/policies",
                json!({"document": document}),
            )
            .await;
        assert_eq!(s, 201, "{body}");
    }
    late(&app, &w, w.member_a1.id, past_day(2)).await;
    let told = list(&app, w.token("root"), "?kind=repeat").await;
    assert_eq!(told["total"], 0, "{told}");
}

/// An absence the check-ins show and an inspection also found and upheld is two rows of
/// the register and one absence: the national "2 unexcused absences in a month" is not
/// crossed by it alone, and the notice of a second absence counts two.
async fn an_absence_an_inspection_also_found_counts_once(b: Backend) {
    use chrono::Datelike;
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    // Two working days of one month, on which nobody came.
    let first = past_day(12);
    let second = (1..8)
        .map(|n| first - Duration::days(n))
        .find(|d| {
            d.month() == first.month()
                && !congvu::domain::calendar::fixed_holidays(d.year())
                    .iter()
                    .any(|(h, _)| h == d)
        })
        .or_else(|| Some(first + Duration::days(3)))
        .unwrap();
    let schedule = |day: NaiveDate| {
        json!({"unit_id": w.p.id, "valid_from": day.to_string(), "valid_to": day.to_string(),
               "weekdays": [1, 2, 3, 4, 5, 6, 7],
               "sessions": [{"start": "07:30", "end": "11:30"}, {"start": "13:30", "end": "17:00"}],
               "grace_minutes": 5})
    };
    let (s, body) = app
        .post(w.token("root"), "/api/v1/schedules", schedule(first))
        .await;
    assert_eq!(s, 201, "{body}");
    upheld_finding(&app, &w, "absent_no_reason", first).await;
    let absences = format!(
        "/api/v1/violations?staff_id={}&code=absent_no_reason",
        w.member_a1.id
    );
    assert_eq!(
        app.get(w.token("root"), &absences).await.1["total"],
        2,
        "two records of the day"
    );
    let notices = |app: &TestApp| {
        use congvu::db::schema::repeat_notices;
        use diesel::prelude::*;
        let mut c = app.db.conn().expect("connection");
        repeat_notices::table
            .filter(repeat_notices::staff_id.eq(w.member_a1.id))
            .select(repeat_notices::violation_count)
            .load::<i32>(&mut *c)
            .expect("notices")
    };
    sweep(&app, congvu::db::now()).await;
    assert_eq!(notices(&app), Vec::<i32>::new(), "one absence is no repeat");

    let (s, body) = app
        .post(w.token("root"), "/api/v1/schedules", schedule(second))
        .await;
    assert_eq!(s, 201, "{body}");
    sweep(&app, congvu::db::now()).await;
    assert_eq!(app.get(w.token("root"), &absences).await.1["total"], 3);
    assert_eq!(notices(&app), vec![2], "two absences, three records");
}

/// An incoming head of A, entered with the head flag ahead of their first day, is not
/// told of A's violations before it: the outgoing head is.
async fn an_incoming_head_is_told_from_their_first_day(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    setup(&app, &w).await;
    let starts = crate::attendance::today() + Duration::days(10);
    let incoming = person(
        &app,
        &w,
        json!({"code": "S-A-NEW-HEAD", "full_name": "Phạm Văn Tới", "unit_id": w.a.id,
               "category": "cong_chuc", "is_head": true, "email": "toi@example.vn",
               "joined_on": starts.to_string()}),
    )
    .await;
    for n in [6, 5, 4] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let body = list(&app, w.token("root"), "?kind=repeat").await;
    let told: Vec<&Value> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["recipient_staff_id"])
        .collect();
    assert!(told.contains(&&json!(w.head_a.id)), "{body}");
    assert!(!told.contains(&&json!(incoming)), "{body}");
}

both!(
    an_incoming_head_is_told_from_their_first_day,
    a_backlog_after_a_transfer_goes_to_the_old_units_head,
    a_backlog_of_a_head_promoted_goes_above_the_unit_they_head,
    a_finding_concluded_late_is_in_the_weeks_digest,
    a_head_who_stepped_down_no_longer_reads_what_was_sent_to_them,
    an_absence_an_inspection_also_found_counts_once,
    an_ended_version_withdraws_its_repeat_rule,
    a_replacing_rule_does_not_tell_a_crossing_twice,
    a_finding_upheld_late_still_tells_the_head,
    a_retry_leaves_a_message_being_sent_alone,
    escalation_follows_the_unit_of_the_violations,
    an_escalation_waiting_is_dropped_once_acknowledged,
    a_stored_policy_with_two_rules_of_one_name_keeps_working,
    a_notice_after_a_transfer_keeps_the_old_teams_description,
    a_heads_own_notice_is_for_the_level_above,
);
