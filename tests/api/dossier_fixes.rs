//! Dossier imports, by file and by the national portal's feed: what an earlier import
//! recorded is not lost, and no sender moves a stored step onto or off themself.

use serde_json::{Value, json};

use crate::both;
use crate::dossiers::{HEADER, import_csv};
use crate::helpers::{Backend, TestApp, World};

/// The codes of unit A's overdue dossiers, as its head reads them.
async fn overdue(app: &TestApp, w: &World) -> Vec<String> {
    let (s, list) = app
        .get(
            w.token("head_a"),
            &format!("/api/v1/dossiers/overdue?unit_id={}", w.a.id),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["code"].as_str().map(str::to_owned))
        .collect()
}

async fn send(app: &TestApp, w: &World, csv: String) -> Value {
    let (s, report) = import_csv(app, w.token("hr_a"), csv.into_bytes(), "text/csv").await;
    assert_eq!((s, &report["rejected"]), (200, &json!([])), "{report}");
    report
}

/// A file without the optional supplement columns leaves a stored supplement as it is
/// (before, it cleared it: the four days the citizen took no longer moved the deadline,
/// and the dossier turned overdue); an empty column (or a JSON `null`) still clears it.
async fn a_file_without_the_optional_columns_keeps_the_supplement(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let now = congvu::api::local_now();
    let day = |d: i64| {
        (now + chrono::Duration::days(d))
            .format("%Y%m%d%H%M%S")
            .to_string()
    };
    let line = format!(
        "SUP-1,Thủ tục,A1,{},{},,in_progress,,,,,",
        day(-10),
        day(-2)
    );
    let report = send(
        &app,
        &w,
        format!(
            "{HEADER},supplement_requested_at,supplement_received_at\n{line},{},{}",
            day(-5),
            day(-1)
        ),
    )
    .await;
    assert_eq!(report["created"], 1, "{report}");
    assert!(
        overdue(&app, &w).await.is_empty(),
        "the pause moved the deadline"
    );

    let report = send(&app, &w, format!("{HEADER}\n{line}")).await;
    assert_eq!(
        (&report["unchanged"], &report["updated"]),
        (&json!(1), &json!(0)),
        "the file says nothing of the supplement: {report}"
    );
    assert!(overdue(&app, &w).await.is_empty(), "still moved");

    // The same as JSON rows, with the supplement's keys left out, given, and null.
    let row = |supplement: Value| {
        let mut row = json!({"code": "SUP-1", "procedure": "Thủ tục", "unit_code": "A1",
            "received_at": day(-10), "due_at": day(-2), "status": "in_progress"});
        if let (Some(row), Some(extra)) = (row.as_object_mut(), supplement.as_object()) {
            row.extend(extra.clone());
        }
        json!({"dossiers": [row]})
    };
    let (s, report) = app
        .post(w.token("hr_a"), "/api/v1/dossiers/import", row(json!({})))
        .await;
    assert_eq!((s, &report["unchanged"]), (200, &json!(1)), "{report}");

    let report = send(
        &app,
        &w,
        format!("{HEADER},supplement_requested_at,supplement_received_at\n{line},,"),
    )
    .await;
    assert_eq!(report["updated"], 1, "an empty column clears: {report}");
    assert_eq!(overdue(&app, &w).await, vec!["SUP-1".to_owned()]);

    let given = json!({"supplement_requested_at": day(-5), "supplement_received_at": day(-1)});
    let (s, report) = app
        .post(w.token("hr_a"), "/api/v1/dossiers/import", row(given))
        .await;
    assert_eq!((s, &report["updated"]), (200, &json!(1)), "{report}");
    assert!(overdue(&app, &w).await.is_empty());
    let null = json!({"supplement_requested_at": null, "supplement_received_at": null});
    let (s, report) = app
        .post(w.token("hr_a"), "/api/v1/dossiers/import", row(null))
        .await;
    assert_eq!(
        (s, &report["updated"]),
        (200, &json!(1)),
        "null clears: {report}"
    );
    assert_eq!(overdue(&app, &w).await, vec!["SUP-1".to_owned()]);
}

/// A sender does not, by their own feed, move a stored step onto their record or off it
/// (as by hand and by file). Entries first sent under accounts nobody was mapped to went
/// by the names in the log; another administrator then maps the accounts. Before, the
/// head re-sending the log moved a late step of theirs onto Lan, or Lan's onto
/// themself, as the account now said; another administrator's send still does.
async fn a_feed_does_not_move_a_step_onto_or_off_its_sender(b: Backend) {
    use crate::onestop_fixes::{head_as_admin, late_dossier, map_account, only_step, send};
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    // A's head holds the admin role on A too.
    let admin_head = head_as_admin(&app, &w).await;
    let lans = late_dossier("HS-LAN", "acc.x", 7);
    let mut heads = late_dossier("HS-HUNG", "acc.y", 7);
    heads["QuaTrinhXuLy"][0]["NguoiXuLy"] = json!(w.head_a.full_name);
    let feed = "/api/v1/onestop/dossiers";
    let admin_p = w.token("admin_p");
    send(&app, admin_p, feed, json!([lans, heads])).await;
    assert_eq!(
        only_step(&app, &w, "HS-LAN").await["staff_id"],
        w.member_a1.id
    );
    assert_eq!(
        only_step(&app, &w, "HS-HUNG").await["staff_id"],
        w.head_a.id
    );
    map_account(&app, &w, w.head_a.id, "acc.x").await;
    map_account(&app, &w, w.member_a1.id, "acc.y").await;

    send(&app, &admin_head, feed, json!([lans, heads])).await;
    assert_eq!(
        only_step(&app, &w, "HS-LAN").await["staff_id"],
        w.member_a1.id,
        "not onto the sender"
    );
    assert_eq!(
        only_step(&app, &w, "HS-HUNG").await["staff_id"],
        w.head_a.id,
        "not off the sender"
    );
    send(&app, admin_p, feed, json!([lans, heads])).await;
    assert_eq!(only_step(&app, &w, "HS-LAN").await["staff_id"], w.head_a.id);
    assert_eq!(
        only_step(&app, &w, "HS-HUNG").await["staff_id"],
        w.member_a1.id
    );

    // A step kept aside is not the sender's to take: the entry first came without an
    // account, under a name that fits nobody; re-sent with the sender's own account
    // added, it is the same step (same name, action and times), and the account would
    // resolve it to the sender.
    let mut aside = late_dossier("HS-ASIDE", "", 7);
    let entry = &mut aside["QuaTrinhXuLy"][0];
    entry["NguoiXuLy"] = json!("Người Không Rõ");
    entry.as_object_mut().map(|e| e.remove("TaiKhoanXuLy"));
    send(&app, admin_p, feed, aside.clone()).await;
    assert_eq!(
        only_step(&app, &w, "HS-ASIDE").await["staff_id"],
        Value::Null
    );
    aside["QuaTrinhXuLy"][0]["TaiKhoanXuLy"] = json!("acc.x");
    // Twice: the first send does not leave the step named as the sender names it.
    for _ in 0..2 {
        send(&app, &admin_head, feed, aside.clone()).await;
        assert_eq!(
            only_step(&app, &w, "HS-ASIDE").await["staff_id"],
            Value::Null,
            "not taken by the sender"
        );
    }
    // Nor when the name it was kept aside under, in capitals, is re-sent in the case of
    // the sender's record (the same step, now found by name).
    let mut shouted = late_dossier("HS-CAPS", "", 7);
    let entry = &mut shouted["QuaTrinhXuLy"][0];
    entry["NguoiXuLy"] = json!(w.head_a.full_name.to_uppercase());
    entry.as_object_mut().map(|e| e.remove("TaiKhoanXuLy"));
    send(&app, admin_p, feed, shouted.clone()).await;
    assert_eq!(
        only_step(&app, &w, "HS-CAPS").await["staff_id"],
        Value::Null
    );
    shouted["QuaTrinhXuLy"][0]["NguoiXuLy"] = json!(w.head_a.full_name);
    send(&app, &admin_head, feed, shouted).await;
    assert_eq!(
        only_step(&app, &w, "HS-CAPS").await["staff_id"],
        Value::Null,
        "not taken by the sender's name in another case"
    );
    // Nor by renaming themself as the handler the step was kept aside under.
    let (s, body) = app
        .patch(
            &admin_head,
            &format!("/api/v1/staff/{}", w.head_a.id),
            json!({"full_name": "Người Không Rõ"}),
        )
        .await;
    assert_eq!(s, 403, "{body}");
    send(&app, admin_p, feed, aside).await;
    assert_eq!(
        only_step(&app, &w, "HS-ASIDE").await["staff_id"],
        w.head_a.id
    );
}

both!(
    a_file_without_the_optional_columns_keeps_the_supplement,
    a_feed_does_not_move_a_step_onto_or_off_its_sender,
    a_dossier_finished_while_waiting_got_its_supplement_by_then,
    the_old_units_file_names_an_officer_moved_out,
    steps_without_a_start_began_when_the_one_before_ended,
);

/// A dossier waiting for a supplement, next read finished with no receipt time (the CSV of
/// API.md has no receipt column): the supplement came in by the time it was finished, so
/// the deadline moves by the request-to-finish gap at most. Before, the receipt was the
/// import's time, months later here, and the deadline moved by all of it.
async fn a_dossier_finished_while_waiting_got_its_supplement_by_then(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    send(
        &app,
        &w,
        format!(
            "{HEADER},supplement_requested_at\nHS-BS,Cấp phép,A,20260302080000,20260310170000,,awaiting_supplement,,,,,,20260305090000\n"
        ),
    )
    .await;
    let report = send(
        &app,
        &w,
        format!(
            "{HEADER}\nHS-BS,Cấp phép,A,20260302080000,20260310170000,20260325100000,finished,,,,,\n"
        ),
    )
    .await;
    assert_eq!(report["updated"], 1, "{report}");
    let (s, list) = app
        .get(
            w.token("hr_a"),
            &format!(
                "/api/v1/dossiers?unit_id={}&from=2026-03-01&to=2026-03-31",
                w.a.id
            ),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    // Due 10/3 17:00, paused from 5/3 09:00 to the finish on 25/3 10:00.
    assert_eq!(
        list["items"][0]["effective_due_at"], "2026-03-30T18:00:00+07:00",
        "{list}"
    );
}

/// An officer transferred out is still named by the old unit's file for the steps done
/// while they were there: the step is the old unit's, late or not. Before, every such
/// line was rejected as naming nobody within reach, and their late steps were lost. A
/// step of theirs from the move on is still refused to the old unit.
async fn the_old_units_file_names_an_officer_moved_out(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let moved_on = crate::attendance::past_day(10);
    crate::transfers::transfer(&app, &w, w.b.id, moved_on).await;
    let at = |day: chrono::NaiveDate, time: &str| format!("{}{time}", day.format("%Y%m%d"));
    let before = crate::attendance::past_day(20);
    let after = crate::attendance::past_day(3);
    let file = format!(
        "{HEADER}\nHS-TR-1,Cấp phép,A1,{},{},{},finished,1,S-A1,{},{},{}\nHS-TR-2,Cấp phép,A1,{},,,in_progress,1,S-A1,{},,{}\n",
        at(before, "080000"),
        at(before, "170000"),
        at(before + chrono::Duration::days(2), "090000"),
        at(before, "080000"),
        at(before, "170000"),
        at(before + chrono::Duration::days(2), "090000"),
        at(after, "080000"),
        at(after, "080000"),
        at(after, "100000"),
    );
    let (s, report) = import_csv(&app, w.token("hr_a"), file.into_bytes(), "text/csv").await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["created"], 1, "{report}");
    let rejected: Vec<i64> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_i64().unwrap())
        .collect();
    assert_eq!(rejected, [3], "the step after the move is B's: {report}");
    // The late step is the old unit's, in its register.
    let (s, body) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/violations?staff_id={}&code=overdue_task",
                w.member_a1.id
            ),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["items"][0]["unit_id"], w.a1.id, "{body}");
}

/// A file whose steps give no start: the step that held the dossier when its deadline
/// passed is found as the feed finds it, a step beginning when the one before it ended.
/// Due 12/3; the desk's step was done 10/3, the officer's 16/3: the officer's step is
/// late. Before, with no start, no step held the dossier and it was late for nobody.
async fn steps_without_a_start_began_when_the_one_before_ended(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    send(
        &app,
        &w,
        format!(
            "{HEADER}\nHS-NS,Cấp phép,A,20260309080000,20260312170000,20260316100000,finished,1,S-HEAD-A,,,20260310090000\n\
             HS-NS,Cấp phép,A,20260309080000,20260312170000,20260316100000,finished,2,S-A1,,,20260316100000\n"
        ),
    )
    .await;
    let late = |id: i64| {
        let app = &app;
        let w = &w;
        async move {
            let (s, v) = app
                .get(
                    w.token("hr_a"),
                    &format!("/api/v1/stats/dossiers?staff_id={id}&from=2026-03-01&to=2026-03-31"),
                )
                .await;
            assert_eq!(s, 200, "{v}");
            (v["handled"].clone(), v["late"].clone())
        }
    };
    assert_eq!(late(w.member_a1.id).await, (json!(1), json!(1)));
    assert_eq!(late(w.head_a.id).await, (json!(1), json!(0)));
    app.province_wide_agrees(w.p.id, 2026);
}
