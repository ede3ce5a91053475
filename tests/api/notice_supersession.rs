//! What a notice that no longer stands left counts with a newcomer, from the night: the
//! sweep's notice supersedes the old one for good, of its own rule or a retired one, and
//! a rule counting side by side keeps its own.

use serde_json::{Value, json};

use crate::attendance::past_day;
use crate::both;
use crate::helpers::{Backend, TestApp, World};
use crate::notice_fixes::{list, sweep, upheld_finding};
use crate::notice_withdrawal::{
    cancel_leave, leave_on, notices, send_due, start, withdraw_finding,
};
use crate::notifications::late;

/// Late on the 9th, 7th and 5th, told (sent); the 7th excused by a leave, returned; and
/// late again on the 3rd.
async fn told_then_excused(app: &TestApp, w: &World) -> Value {
    start(app, w).await;
    for n in [9, 7, 5] {
        late(app, w, w.member_a1.id, past_day(n)).await;
    }
    assert_eq!(send_due(app).await.sent, 1);
    let leave = leave_on(app, w, past_day(7)).await;
    late(app, w, w.member_a1.id, past_day(3)).await;
    leave
}

/// Late on the 9th, 7th and 5th, told; the 7th excused since, and late again on the 3rd:
/// the 9th, 5th and 3rd are a repeat. The day's detection leaves it (the withdrawn
/// notice's violations stay consumed until the night); the nightly sweep makes its
/// notice, which supersedes the old one for good: the 7th coming back makes no two
/// notices of the same acts.
async fn what_is_left_of_a_withdrawn_notice_counts_with_a_newcomer(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let leave = told_then_excused(&app, &w).await;
    assert_eq!(notices(&app, &w).await.len(), 1, "not before the night");
    let report = sweep(&app, congvu::db::now()).await;
    assert_eq!((report.notices, report.failed), (1, 0), "{report:?}");
    let both = notices(&app, &w).await;
    assert_eq!(both.len(), 2, "{both:?}");
    let (old, new) = (both[0], both[1]);
    assert_eq!((old.1, new.1), (true, false), "{both:?}");
    let listed = list(&app, w.token("head_a"), "?kind=repeat").await;
    let of = |id: i64| {
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["notice"]["id"] == id)
            .unwrap()["notice"]
            .clone()
    };
    assert_eq!(of(old.0)["superseded_by"], new.0, "{listed}");
    assert_eq!(of(new.0)["violation_count"], 3, "{listed}");
    assert_eq!(send_due(&app).await.sent, 1, "the new notice is told");
    let told = list(&app, w.token("head_a"), "?kind=repeat&status=sent").await;
    let message = told["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["notice"]["id"] == new.0)
        .unwrap()["id"]
        .clone();
    let (s, one) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/notifications/{message}"),
        )
        .await;
    assert_eq!(s, 200, "{one}");
    let text = one["text"].clone();
    assert!(
        text.as_str()
            .unwrap()
            .contains(&format!("thay cho thông báo số {}", old.0)),
        "{text}"
    );
    // The 7th back: the old notice stays withdrawn, and nothing is told twice.
    cancel_leave(&app, &w, &leave).await;
    let after = notices(&app, &w).await;
    assert_eq!(after, vec![(old.0, true), (new.0, false)]);
    let report = sweep(&app, congvu::db::now()).await;
    assert_eq!(report.notices, 0, "{report:?}");
}

/// Two province rules counting late arrivals side by side.
const SIDE_BY_SIDE: &str = r#"
code = "p-late-both"
name = "Tỉnh Thử Nghiệm: đi muộn"
source = "Quyết định thử nghiệm"
kind = "overlay"
province = "P"
effective_from = "2020-01-01"
categories = ["can_bo", "cong_chuc", "vien_chuc", "contract"]

[[repeat]]
name = "Ba lần"
codes = ["late"]
count = 3
window_days = 30
source = "Quyết định thử nghiệm"

[[repeat]]
name = "Hai lần"
codes = ["late"]
count = 2
window_days = 30
source = "Quyết định thử nghiệm"
"#;

/// head_a's notices by rule name, oldest first: (withdrawn, superseded_by, count).
async fn by_rule(app: &TestApp, w: &World) -> Vec<(String, bool, Value, Value)> {
    let body = list(app, w.token("head_a"), "?kind=repeat").await;
    let mut out: Vec<(i64, String, bool, Value, Value)> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let n = &i["notice"];
            (
                n["id"].as_i64().unwrap(),
                n["rule_name"].as_str().unwrap().to_owned(),
                n["withdrawn"].as_bool().unwrap(),
                n["superseded_by"].clone(),
                n["violation_count"].clone(),
            )
        })
        .collect();
    out.sort_by_key(|n| n.0);
    out.into_iter().map(|n| (n.1, n.2, n.3, n.4)).collect()
}

/// With a rule of two and a rule of three late arrivals side by side, the night's new
/// notice of the rule of three supersedes that rule's withdrawn notice only: the rule of
/// two's withdrawn notice, which counted one of the same violations, is left alone and
/// stands again when the excused day comes back.
async fn a_rule_counting_side_by_side_keeps_its_notice(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    start(&app, &w).await;
    let (s, body) = app
        .post(
            w.token("admin_p"),
            "/api/v1/policies",
            json!({"document": SIDE_BY_SIDE}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    for n in [9, 7, 5] {
        late(&app, &w, w.member_a1.id, past_day(n)).await;
    }
    let leave = leave_on(&app, &w, past_day(7)).await;
    late(&app, &w, w.member_a1.id, past_day(3)).await;
    let report = sweep(&app, congvu::db::now()).await;
    assert_eq!((report.notices, report.failed), (1, 0), "{report:?}");
    let all = by_rule(&app, &w).await;
    let listed = list(&app, w.token("head_a"), "?kind=repeat").await;
    // (notice, message) by notice, oldest first.
    let mut ids: Vec<(i64, i64)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["notice"]["id"].as_i64().unwrap(),
                i["id"].as_i64().unwrap(),
            )
        })
        .collect();
    ids.sort_unstable();
    let id_of_last = ids[3].0;
    // The new notice's message names the rule of three's old notice, not the other.
    let (s, one) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/notifications/{}", ids[3].1),
        )
        .await;
    assert_eq!(s, 200, "{one}");
    let text = one["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("thay cho thông báo số {}:", ids[1].0)),
        "{text}"
    );
    assert_eq!(
        all,
        vec![
            ("Hai lần".into(), true, Value::Null, json!(2)),
            ("Ba lần".into(), true, json!(id_of_last), json!(3)),
            ("Hai lần".into(), false, Value::Null, json!(2)),
            ("Ba lần".into(), false, Value::Null, json!(3)),
        ],
        "the 9th and 7th, the 9th 7th and 5th, the 5th and 3rd, the 9th 5th and 3rd"
    );
    cancel_leave(&app, &w, &leave).await;
    let withdrawn: Vec<bool> = by_rule(&app, &w).await.iter().map(|n| n.1).collect();
    assert_eq!(withdrawn, [false, true, false, false]);
    let report = sweep(&app, congvu::db::now()).await;
    assert_eq!((report.notices, report.failed), (0, 0), "{report:?}");
}

/// The same, the 7th back before the night: the old notice stands again and keeps its
/// violations; the 3rd alone makes nothing.
async fn a_notice_standing_again_by_the_night_keeps_its_violations(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let leave = told_then_excused(&app, &w).await;
    cancel_leave(&app, &w, &leave).await;
    let first = notices(&app, &w).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(!first[0].1, "standing again: {first:?}");
    let report = sweep(&app, congvu::db::now()).await;
    assert_eq!(report.notices, 0, "{report:?}");
}

/// member_a1's notices, oldest first: (id, notified, superseded_by).
fn stored(app: &TestApp, w: &World) -> Vec<(i64, bool, Option<i64>)> {
    use congvu::db::schema::repeat_notices;
    use diesel::prelude::*;
    let mut c = app.db.conn().expect("connection");
    repeat_notices::table
        .filter(repeat_notices::staff_id.eq(w.member_a1.id))
        .order(repeat_notices::id)
        .select((
            repeat_notices::id,
            repeat_notices::notified,
            repeat_notices::superseded_by,
        ))
        .load(&mut *c)
        .expect("notices")
}

/// Findings of late arrivals 100, 98 and 96 days back, upheld today, make a notice; the
/// one of 98 days back is withdrawn on review. A finding of 90 days back upheld today is
/// news (README, *Old history is not news*): with what is left of that notice, older than
/// the sweep's usual reach, it makes a repeat the sweep tells, superseding it.
async fn a_finding_concluded_late_counts_with_an_old_withdrawn_notice(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    start(&app, &w).await;
    let mut found = Vec::new();
    for n in [100, 98, 96] {
        found.push(upheld_finding(&app, &w, "late", past_day(n)).await);
    }
    let old = stored(&app, &w);
    assert_eq!(old.len(), 1, "{old:?}");
    withdraw_finding(&app, &w, found[1]).await;
    upheld_finding(&app, &w, "late", past_day(90)).await;
    assert_eq!(stored(&app, &w).len(), 1, "not before the night");
    let report = sweep(&app, congvu::db::now()).await;
    assert_eq!((report.notices, report.failed), (1, 0), "{report:?}");
    let after = stored(&app, &w);
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(after[0].2, Some(after[1].0), "{after:?}");
    assert!(
        after[1].1,
        "news, by the finding concluded today: {after:?}"
    );
}

/// Late 110 and 100 days back (manual corrections), and a finding of a late arrival 95
/// days back upheld today: news by its conclusion, and a repeat with the two, although
/// the 110th day lies before the history detection loads for today's news (45 days and
/// two windows back). Before, only findings of days before that history loaded theirs.
async fn a_finding_concluded_late_counts_with_violations_before_the_history(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    start(&app, &w).await;
    for n in [110, 100] {
        let (s, body) = app
            .post(
                w.token("head_a"),
                "/api/v1/checkins",
                json!({"staff_id": w.member_a1.id,
                       "at": format!("{}T08:10:00+07:00", past_day(n)),
                       "source": "manual", "reason": "Sổ chấm công giấy, trưởng phòng xác nhận"}),
            )
            .await;
        assert_eq!(s, 201, "{body}");
    }
    assert!(stored(&app, &w).is_empty());
    upheld_finding(&app, &w, "late", past_day(95)).await;
    let made = stored(&app, &w);
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(made[0].1, "news, by the finding concluded today: {made:?}");
}

both!(
    a_finding_concluded_late_counts_with_violations_before_the_history,
    a_finding_concluded_late_counts_with_an_old_withdrawn_notice,
    what_is_left_of_a_withdrawn_notice_counts_with_a_newcomer,
    a_rule_counting_side_by_side_keeps_its_notice,
    a_notice_standing_again_by_the_night_keeps_its_violations,
);
