//! Repeated violations end to end: detection in the transaction that records a
//! violation, the outbox, delivery to a real SMTP server over TCP (recipients, subject,
//! Vietnamese body), the outage case, two senders at once, escalation, digests, .eml
//! files without SMTP, and who may read, retry and acknowledge.

use chrono::{Duration, NaiveDate};
use congvu::config::{Settings, SmtpTls};
use congvu::notify::sender::Sender;
use serde_json::{Value, json};

use crate::attendance::{past_day, today};
use crate::both;
use crate::helpers::{Backend, TestApp, World};
use crate::smtp::{SmtpServer, Unanswered};

fn smtp_on(port: u16) -> impl FnOnce(&mut Settings) {
    move |s: &mut Settings| {
        s.smtp.host = Some("127.0.0.1".into());
        s.smtp.port = port;
        s.smtp.tls = SmtpTls::None;
        s.smtp.timeout_secs = 5;
        s.smtp.from = "congvu@khanhhoa.gov.vn".into();
        s.notify.link_base = "https://congvu.khanhhoa.gov.vn".into();
        s.notify.retry_base_secs = 1;
        s.notify.retry_max_secs = 2;
        s.notify.max_attempts = 5;
    }
}

fn sender(app: &TestApp, name: &str) -> Sender {
    Sender::new(app.db.clone(), &app.settings, name).expect("sender")
}

/// The test province's own rule for unexcused absences replaces the national one: the
/// tests' people have no check-ins on most days, and only their late arrivals matter here.
const PROVINCE_RULES: &str = r#"
code = "p-repeats"
name = "Tỉnh Thử Nghiệm: thông báo vi phạm lặp lại"
source = "Quyết định thử nghiệm"
kind = "overlay"
province = "P"
effective_from = "2020-01-01"
categories = ["can_bo", "cong_chuc", "vien_chuc", "contract"]

[[repeat]]
name = "Vắng mặt không lý do 40 lần trong tháng"
codes = ["absent_no_reason"]
count = 40
window = "month"
source = "Quyết định thử nghiệm"
"#;

async fn setup(app: &TestApp, w: &World) {
    rules_and_schedule(app, w, 60).await;
    set_email(app, w, w.head_a.id, "hung.tv@khanhhoa.gov.vn").await;
}

/// The province rule, and a schedule every day of the last `days`.
pub(crate) async fn rules_and_schedule(app: &TestApp, w: &World, days: i64) {
    let (s, body) = app
        .post(
            w.token("admin_p"),
            "/api/v1/policies",
            json!({"document": PROVINCE_RULES}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
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

async fn set_email(app: &TestApp, w: &World, staff: i64, email: &str) {
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{staff}"),
            json!({"email": email}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
}

/// A late arrival (08:10 against 07:30 + 5) on a past day, from a kiosk's backlog.
pub(crate) async fn late(app: &TestApp, w: &World, staff: i64, day: NaiveDate) {
    let (s, body) = app
        .post(
            w.token("root"),
            "/api/v1/checkins",
            json!({"staff_id": staff, "at": format!("{day}T08:10:00+07:00"), "source": "device",
                   "direction": "in", "device_id": "KIOSK-A"}),
        )
        .await;
    assert!(s == 201 || s == 200, "{s} {body}");
}

async fn notifications(app: &TestApp, token: &str, query: &str) -> (u16, Value) {
    app.get(token, &format!("/api/v1/notifications{query}"))
        .await
}

async fn a_third_late_arrival_emails_the_head(b: Backend) {
    let (server, port) = SmtpServer::start();
    let Some((app, w)) = TestApp::with_world_and(b, smtp_on(port)).await else {
        return;
    };
    setup(&app, &w).await;
    let member = w.member_a1.id;
    late(&app, &w, member, past_day(9)).await;
    late(&app, &w, member, past_day(6)).await;
    let (s, body) = notifications(&app, w.token("head_a"), "").await;
    assert_eq!(
        (s, body["total"].as_i64()),
        (200, Some(0)),
        "two are not yet a repeat: {body}"
    );
    late(&app, &w, member, past_day(3)).await;
    let (_, body) = notifications(&app, w.token("head_a"), "").await;
    assert_eq!(body["total"], 1, "{body}");
    let item = &body["items"][0];
    assert_eq!(item["kind"], "repeat");
    assert_eq!(item["status"], "pending");
    assert_eq!(item["recipient_staff_id"], w.head_a.id);
    assert_eq!(item["notice"]["staff_id"], member);
    assert_eq!(item["notice"]["violation_count"], 3);
    // A fourth inside the same window repeats nothing.
    late(&app, &w, member, past_day(2)).await;
    let (_, body) = notifications(&app, w.token("head_a"), "").await;
    assert_eq!(body["total"], 1, "{body}");
    let id = item["id"].as_i64().unwrap();

    let report = sender(&app, "a").send_due().await.expect("send");
    assert_eq!(report.sent, 1, "{report:?}");
    let inbox = server.received();
    assert_eq!(inbox.len(), 1);
    let mail = &inbox[0];
    assert_eq!(mail.to, vec!["hung.tv@khanhhoa.gov.vn".to_owned()]);
    assert_eq!(mail.from, "congvu@khanhhoa.gov.vn");
    assert!(
        mail.subject()
            .contains("Vi phạm lặp lại: Nguyễn Thị Lan (Phòng A1)"),
        "{}",
        mail.subject()
    );
    let text = mail.text();
    assert!(text.contains("Kính gửi đồng chí Trần Văn Hùng"), "{text}");
    assert!(text.contains("đã vi phạm 3 lần trong 30 ngày"), "{text}");
    assert!(
        text.contains(&format!(
            "1. {}: Đi muộn (40 phút)",
            past_day(9).format("%d/%m/%Y")
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "https://congvu.khanhhoa.gov.vn/api/v1/notifications/{id}"
        )),
        "{text}"
    );
    assert!(mail.html().contains("Nguyễn Thị Lan"));
    assert!(
        mail.message_id().ends_with("@congvu"),
        "{}",
        mail.message_id()
    );
    // Sent once: a second run finds nothing due.
    assert_eq!(sender(&app, "b").send_due().await.unwrap().sent, 0);
    assert_eq!(server.received().len(), 1);

    let (s, one) = app
        .get(w.token("head_a"), &format!("/api/v1/notifications/{id}"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        (one["status"].as_str(), one["attempts"].as_i64()),
        (Some("sent"), Some(1))
    );
    assert!(one["text"].as_str().unwrap().contains("Đi muộn"));

    // Who reads: heads, hr and admins over the unit; the violator sees nothing of it.
    let (_, mine) = notifications(&app, w.token("staff_a1"), "").await;
    assert_eq!(mine["total"], 0, "{mine}");
    let (s, _) = app
        .get(w.token("staff_a1"), &format!("/api/v1/notifications/{id}"))
        .await;
    assert_eq!(s, 404);
    let (_, hr) = notifications(&app, w.token("hr_a"), &format!("?staff_id={member}")).await;
    assert_eq!(hr["total"], 1);
    let (s, _) = notifications(&app, w.token("inspector_p"), "").await;
    assert_eq!(s, 403);
    let (s, _) = notifications(&app, w.token("hr_a"), &format!("?unit_id={}", w.b.id)).await;
    assert_eq!(s, 404, "a unit beyond reach");

    // Retry is for admins, and only for what was not sent.
    let retry = format!("/api/v1/notifications/{id}/retry");
    let (s, _) = app.post(w.token("head_a"), &retry, json!({})).await;
    assert_eq!(s, 403);
    let (s, _) = app.post(w.token("admin_a"), &retry, json!({})).await;
    assert_eq!(s, 409, "sent already");

    // The head acts on it, once; the violator cannot.
    let ack = format!("/api/v1/notifications/{id}/acknowledge");
    let (s, _) = app
        .post(w.token("staff_a1"), &ack, json!({"note": "x"}))
        .await;
    assert_eq!(s, 404);
    let (s, _) = app.post(w.token("head_a"), &ack, json!({"note": ""})).await;
    assert_eq!(s, 422);
    let (s, body) = app
        .post(
            w.token("head_a"),
            &ack,
            json!({"note": "Đã nhắc nhở, yêu cầu viết bản kiểm điểm."}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert!(body["notice"]["acknowledged_at"].is_string());
    let (s, _) = app
        .post(w.token("head_a"), &ack, json!({"note": "lần nữa"}))
        .await;
    assert_eq!(s, 409);
    let (_, audit) = app
        .get(w.token("root"), "/api/v1/audit?entity=repeat_notice")
        .await;
    assert_eq!(audit["total"], 1, "{audit}");
}

async fn an_outage_loses_nothing_and_sends_once(b: Backend) {
    let down = Unanswered::new();
    let port = down.port();
    let Some((app, w)) = TestApp::with_world_and(b, |s| {
        smtp_on(port)(s);
        // Nobody answers: each attempt waits this long for the greeting.
        s.smtp.timeout_secs = 1;
    })
    .await
    else {
        return;
    };
    setup(&app, &w).await;
    for n in [8, 5, 3] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    // The mail server is down: nobody answers on its port.
    let report = sender(&app, "a").send_due().await.unwrap();
    assert_eq!((report.sent, report.failed), (0, 1), "{report:?}");
    let (_, body) = notifications(&app, w.token("admin_a"), "?status=failed").await;
    assert_eq!(body["total"], 1, "{body}");
    let item = &body["items"][0];
    assert_eq!(item["attempts"], 1);
    assert!(
        item["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{item}"
    );
    // Not due again before its backoff (1 s, then 2 s).
    assert_eq!(sender(&app, "a").send_due().await.unwrap().failed, 0);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(sender(&app, "a").send_due().await.unwrap().failed, 1);
    let id = item["id"].as_i64().unwrap();
    let (_, one) = app
        .get(w.token("admin_a"), &format!("/api/v1/notifications/{id}"))
        .await;
    assert_eq!(one["attempts"], 2);

    // The server comes back: delivered exactly once, by whichever of two senders.
    let server = down.answer();
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let (a, b2) = (sender(&app, "a"), sender(&app, "b"));
    let (ra, rb) = tokio::join!(a.send_due(), b2.send_due());
    assert_eq!(ra.unwrap().sent + rb.unwrap().sent, 1);
    assert_eq!(sender(&app, "a").send_due().await.unwrap().sent, 0);
    assert_eq!(server.received().len(), 1);
    let (_, one) = app
        .get(w.token("admin_a"), &format!("/api/v1/notifications/{id}"))
        .await;
    assert_eq!(
        (one["status"].as_str(), one["attempts"].as_i64()),
        (Some("sent"), Some(3))
    );
}

/// A notice whose message the relay refused as a whole (554 at MAIL FROM): it waits to be
/// tried again, not dead. The relay takes mail again afterwards.
async fn refused_by_the_relay(b: Backend) -> Option<(SmtpServer, TestApp, World)> {
    let (server, port) = SmtpServer::start();
    let (app, w) = TestApp::with_world_and(b, smtp_on(port)).await?;
    setup(&app, &w).await;
    server.refuse_everything(true);
    for n in [8, 5, 3] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let report = sender(&app, "a").send_due().await.unwrap();
    assert_eq!((report.failed, report.dead), (1, 0), "{report:?}");
    server.refuse_everything(false);
    Some((server, app, w))
}

/// A refused mailbox is given up at once; a refusal of everything (the relay no longer
/// takes the sender, a changed password) is the server's set-up, retried like an outage,
/// so that it does not kill the whole outbox.
async fn only_a_refused_mailbox_is_given_up_at_once(b: Backend) {
    let Some((server, app, w)) = refused_by_the_relay(b).await else {
        return;
    };
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let report = sender(&app, "a").send_due().await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(server.received().len(), 1);

    // The head's mailbox is gone: the next notice about them dies at once.
    server.refuse_mailbox("hung.tv@khanhhoa.gov.vn");
    for n in [12, 11, 10] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let report = sender(&app, "a").send_due().await.unwrap();
    assert_eq!(
        (report.sent, report.failed, report.dead),
        (0, 0, 1),
        "{report:?}"
    );
    let (_, body) = notifications(&app, w.token("admin_a"), "?status=dead").await;
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["items"][0]["attempts"], 1, "{body}");
    // Retried by an administrator: the trail, which the unit's HR reads, keeps the state
    // without the recipient's address.
    let id = body["items"][0]["id"].clone();
    let (s, retried) = app
        .post(
            w.token("admin_a"),
            &format!("/api/v1/notifications/{id}/retry"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{retried}");
    let (s, trail) = app
        .get(
            w.token("hr_a"),
            &format!("/api/v1/audit?entity=notification&entity_id={id}"),
        )
        .await;
    assert_eq!(s, 200, "{trail}");
    assert_eq!(trail["items"].as_array().map(Vec::len), Some(1), "{trail}");
    assert!(!trail.to_string().contains('@'), "{trail}");
}

/// A message that failed waits for its next attempt; by then the head told may have left
/// the post, or HR may have cleared a wrong address. It then goes to nobody, rather than
/// to the former head or the old address.
async fn a_waiting_message_follows_its_heads_record(b: Backend) {
    let Some((server, app, w)) = refused_by_the_relay(b).await else {
        return;
    };
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.head_a.id),
            json!({"is_head": false}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let report = sender(&app, "a").send_due().await.unwrap();
    assert_eq!(report.sent, 0, "{report:?}");
    assert!(server.received().is_empty());
    let (_, body) = notifications(&app, w.token("root"), "?status=dead").await;
    assert_eq!(body["total"], 1, "{body}");
    assert!(
        body["items"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("no longer heads the unit"),
        "{body}"
    );
    // Head again, but HR clears the address: nowhere to send, not the old address.
    for change in [json!({"is_head": true}), json!({"email": null})] {
        let (s, body) = app
            .patch(
                w.token("root"),
                &format!("/api/v1/staff/{}", w.head_a.id),
                change,
            )
            .await;
        assert_eq!(s, 200, "{body}");
    }
    let id = body["items"][0]["id"].as_i64().unwrap();
    let (s, body) = app
        .post(
            w.token("root"),
            &format!("/api/v1/notifications/{id}/retry"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let report = sender(&app, "a").send_due().await.unwrap();
    assert_eq!((report.sent, report.dead), (0, 1), "{report:?}");
    assert!(server.received().is_empty());
    // The address back, but the head moved to head B: A's business is not theirs.
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.head_a.id),
            json!({"email": "hung.tv@khanhhoa.gov.vn", "unit_id": w.b.id,
                   "moved_on": crate::attendance::today().to_string()}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = app
        .post(
            w.token("root"),
            &format!("/api/v1/notifications/{id}/retry"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    sender(&app, "a").send_due().await.unwrap();
    assert!(server.received().is_empty());
    let (_, one) = app
        .get(w.token("root"), &format!("/api/v1/notifications/{id}"))
        .await;
    assert_eq!(one["status"], "dead", "{one}");
    assert!(
        one["last_error"]
            .as_str()
            .unwrap()
            .contains("no longer heads the unit"),
        "{one}"
    );
}

async fn heads_go_up_escalations_and_digests(b: Backend) {
    let (server, port) = SmtpServer::start();
    let Some((app, w)) = TestApp::with_world_and(b, smtp_on(port)).await else {
        return;
    };
    setup(&app, &w).await;
    // The province's chairman, above the head of A.
    let (s, chair) = app
        .post(
            w.token("root"),
            "/api/v1/staff",
            json!({"code": "S-HEAD-P", "full_name": "Phạm Quốc Bảo", "unit_id": w.p.id,
                   "category": "can_bo", "is_head": true, "position": "Chủ tịch",
                   "email": "bao.pq@khanhhoa.gov.vn"}),
        )
        .await;
    assert_eq!(s, 201, "{chair}");
    // The head of A is late three times: the chairman is told, not the head himself.
    for n in [7, 5, 4] {
        late(&app, &w, w.head_a.id, past_day(n)).await;
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let (_, body) = notifications(&app, w.token("root"), "?kind=repeat").await;
    assert_eq!(body["total"], 2, "{body}");
    let to_chair = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["notice"]["staff_id"] == w.head_a.id)
        .expect("the head's notice");
    assert_eq!(to_chair["recipient_staff_id"], chair["id"]);

    let report = sender(&app, "a").send_due().await.unwrap();
    assert_eq!(report.sent, 2, "{report:?}");
    // The head does not act on the member's notice in time: the chairman is told.
    let now = congvu::db::now();
    let report = crate::notice_fixes::sweep_with_every_notice_due(&app).await;
    assert_eq!(report.escalations, 2, "{report:?}");
    let (_, esc) = notifications(&app, w.token("root"), "?kind=escalation").await;
    assert_eq!(esc["total"], 2, "{esc}");
    let of = |staff: i64| {
        esc["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["notice"]["staff_id"] == staff)
            .cloned()
            .expect("an escalation")
    };
    assert_eq!(of(w.member_a1.id)["recipient_staff_id"], chair["id"]);
    assert_eq!(of(w.member_a1.id)["recipient_name"], "Phạm Quốc Bảo");
    // A's HR reads the escalation of its member's notice, not who the chairman is: his
    // record is beyond their reach, and so are his name, address and the letter to him.
    let (s, theirs) = notifications(&app, w.token("hr_a"), "?kind=escalation").await;
    assert_eq!(s, 200, "{theirs}");
    let seen = theirs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["notice"]["staff_id"] == w.member_a1.id)
        .cloned()
        .expect("A's escalation");
    assert_eq!(seen["recipient_staff_id"], chair["id"], "{seen}");
    assert_eq!(
        (&seen["recipient_name"], &seen["recipient_email"]),
        (&Value::Null, &Value::Null),
        "{seen}"
    );
    let (s, one) = app
        .get(
            w.token("hr_a"),
            &format!("/api/v1/notifications/{}", seen["id"]),
        )
        .await;
    assert_eq!(s, 200, "{one}");
    assert!(one.get("text").is_none(), "{one}");
    assert!(!one.to_string().contains("bao.pq@"), "{one}");
    let (_, whole) = app
        .get(
            w.token("root"),
            &format!("/api/v1/notifications/{}", seen["id"]),
        )
        .await;
    assert!(
        whole["text"]
            .as_str()
            .is_some_and(|t| t.contains("Phạm Quốc Bảo")),
        "{whole}"
    );
    // The head's own notice went to the chairman, and nobody is above: one message
    // without a recipient, kept as dead, so that an administrator sees it stopped there.
    assert_eq!(of(w.head_a.id)["recipient_staff_id"], Value::Null, "{esc}");

    // Weekly digests, once a week however often the job runs.
    let db = app.db.clone();
    let queued = tokio::task::spawn_blocking(move || {
        let first = congvu::jobs::notify::weekly_digest(&db, now).unwrap();
        let again = congvu::jobs::notify::weekly_digest(&db, now).unwrap();
        (first, again)
    })
    .await
    .unwrap();
    assert_eq!(queued, (2, 0));

    let report = sender(&app, "a").send_due().await.unwrap();
    assert_eq!(report.sent, 3, "an escalation, two digests: {report:?}");
    let inbox = server.received();
    let escalation = inbox
        .iter()
        .find(|m| m.subject().starts_with("[congvu] Báo cáo cấp trên"))
        .expect("the escalation");
    assert_eq!(escalation.to, vec!["bao.pq@khanhhoa.gov.vn".to_owned()]);
    assert!(
        escalation.text().contains("Trần Văn Hùng"),
        "who was told: {}",
        escalation.text()
    );
    let digest = inbox
        .iter()
        .find(|m| {
            m.to == ["hung.tv@khanhhoa.gov.vn"] && m.subject().contains("Tổng hợp vi phạm tuần")
        })
        .expect("the head's digest");
    let text = digest.text();
    // Absences too: the test's people check in on few days. The head's own violations
    // and notice go to the level above, not into the head's own digest.
    assert!(text.contains("Nguyễn Thị Lan (Phòng A1):"), "{text}");
    assert!(!text.contains("Trần Văn Hùng (Sở A)"), "{text}");
    assert!(text.contains("chưa được xác nhận xử lý: 1."), "{text}");
    let digest = inbox
        .iter()
        .find(|m| {
            m.to == ["bao.pq@khanhhoa.gov.vn"] && m.subject().contains("Tổng hợp vi phạm tuần")
        })
        .expect("the chairman's digest");
    let text = digest.text();
    assert!(text.contains("Nguyễn Thị Lan (Phòng A1):"), "{text}");
    assert!(text.contains("Trần Văn Hùng (Sở A):"), "{text}");
    assert!(text.contains("Đi muộn 3"), "{text}");
    assert!(text.contains("chưa được xác nhận xử lý: 2."), "{text}");
}

async fn alcohol_once_is_enough_and_files_stand_in_for_smtp(b: Backend) {
    // No SMTP host: messages are written as .eml files under the data folder.
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    set_email(&app, &w, w.head_a.id, "hung.tv@khanhhoa.gov.vn").await;
    let inspector = w.token("inspector_p");
    let (s, insp) = app
        .post(
            inspector,
            "/api/v1/inspections",
            json!({"unit_id": w.a.id, "kind": "surprise", "started_at": format!("{}T07:45:00+07:00", past_day(2))}),
        )
        .await;
    assert_eq!(s, 201, "{insp}");
    let (s, finding) = app
        .post(
            inspector,
            &format!("/api/v1/inspections/{}/findings", insp["id"]),
            json!({"violation_code": "alcohol", "observed_at": format!("{}T11:50:00+07:00", past_day(2)),
                   "staff_id": w.member_a1.id, "description": "Uống bia trong giờ làm việc", "severity": "less_serious"}),
        )
        .await;
    assert_eq!(s, 201, "{finding}");
    let path = format!("/api/v1/findings/{}", finding["id"]);
    let (s, _) = app
        .post(
            w.token("staff_a1"),
            &format!("{path}/explanation"),
            json!({"text": "Tôi xin rút kinh nghiệm."}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, body) = notifications(&app, w.token("head_a"), "").await;
    assert_eq!(
        body["total"], 0,
        "an explained finding is not a violation yet"
    );
    let (s, body) = app
        .post(
            inspector,
            &format!("{path}/decision"),
            json!({"outcome": "upheld"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (_, body) = notifications(&app, w.token("head_a"), "").await;
    assert_eq!(body["total"], 1, "upheld once, told at once: {body}");

    let report = sender(&app, "a").send_due().await.unwrap();
    assert_eq!(report.sent, 1);
    let mail_dir = app.settings.data_dir.join("mail");
    let files: Vec<_> = std::fs::read_dir(&mail_dir)
        .expect("the mail folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let raw = std::fs::read(&files[0]).unwrap();
    let mail = crate::smtp::Received {
        raw,
        ..Default::default()
    };
    assert!(
        mail.subject().contains("Uống rượu bia"),
        "{}",
        mail.subject()
    );
    assert!(
        mail.text().contains("Uống bia trong giờ làm việc"),
        "{}",
        mail.text()
    );
}

async fn the_demo_notices_arrive_as_eml_files(b: Backend) {
    let Some((app, _)) = TestApp::with_demo(b).await else {
        return;
    };
    let head = app.token("demo.head", congvu::demo::DEMO_PASSWORD).await;
    let (s, body) = notifications(&app, &head, "?kind=repeat").await;
    assert_eq!(s, 200);
    assert!(body["total"].as_i64().unwrap() > 0, "{body}");
    let report = sender(&app, "a").send_due().await.unwrap();
    assert!(report.sent > 0, "{report:?}");
    let files = std::fs::read_dir(app.settings.data_dir.join("mail"))
        .unwrap()
        .count();
    assert_eq!(files, report.sent);
}

both!(
    only_a_refused_mailbox_is_given_up_at_once,
    a_waiting_message_follows_its_heads_record,
    a_third_late_arrival_emails_the_head,
    an_outage_loses_nothing_and_sends_once,
    heads_go_up_escalations_and_digests,
    alcohol_once_is_enough_and_files_stand_in_for_smtp,
    the_demo_notices_arrive_as_eml_files,
);

async fn a_job_runs_in_one_process_at_a_time(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        use congvu::db::jobs::{release, try_lease};
        let mut c = db.conn().unwrap();
        let now = congvu::db::now();
        let until = now + Duration::minutes(60);
        assert!(try_lease(&mut c, "repeat_sweep", "one", until, now).unwrap());
        assert!(
            !try_lease(&mut c, "repeat_sweep", "two", until, now).unwrap(),
            "held by one"
        );
        assert!(
            try_lease(&mut c, "weekly_digest", "two", until, now).unwrap(),
            "another job"
        );
        assert!(
            try_lease(&mut c, "repeat_sweep", "one", until, now).unwrap(),
            "renewed"
        );
        // A holder that died: its lease runs out.
        let later = until + Duration::seconds(1);
        assert!(
            try_lease(
                &mut c,
                "repeat_sweep",
                "two",
                later + Duration::minutes(60),
                later
            )
            .unwrap()
        );
        release(&mut c, "repeat_sweep", "two", later).unwrap();
        assert!(
            try_lease(
                &mut c,
                "repeat_sweep",
                "one",
                later + Duration::minutes(60),
                later + Duration::seconds(1)
            )
            .unwrap()
        );
    })
    .await
    .unwrap();
}

both!(a_job_runs_in_one_process_at_a_time);
