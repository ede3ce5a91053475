//! `congvu admin merge-twin-steps`: a step an earlier version stored twice (the entry
//! sent once with its start and once without) is reported, changes nothing until
//! `--apply`, and is then one step, counted once in its officer's steps and in the
//! register, with a dispute kept on the twin it was raised on. And
//! `congvu admin resync-dossier-register`, which enters the late steps again.

use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TEST_SECRET, TestApp, World};
use crate::onestop_fixes::{late_dossier, only_step, send, shown, stats, steps_of};

type Failure = Box<dyn std::error::Error>;

/// Fed Lan's late step under `account`, then given the twin the version before the tenth
/// session stored when the same entry came again without `NgayBatDau`: a second step
/// with the key of that form, attributed to `holder` as `how`, and its own register row
/// (and notice, under a rule that tells every late step). The twin's id.
async fn fed_with_a_twin(
    app: &TestApp,
    w: &World,
    code: &str,
    account: &str,
    (holder, how): (i64, &str),
) -> i64 {
    send(
        app,
        w.token("hr_a"),
        "/api/v1/onestop/dossiers",
        json!([late_dossier(code, account, 7)]),
    )
    .await;
    let step = only_step(app, w, code).await;
    let id = step["id"].as_i64().unwrap();
    app.db
        .write(|c| -> Result<(), Failure> {
            use diesel::prelude::*;
            #[derive(QueryableByName)]
            struct Key {
                #[diesel(sql_type = diesel::sql_types::Text)]
                source_key: String,
            }
            let key: Key = diesel::sql_query(format!(
                "SELECT source_key FROM dossier_steps WHERE id = {id}"
            ))
            .get_result(c)?;
            let who_what = key.source_key.rsplit_once('|').map_or("", |(w, _)| w);
            let twin = format!("{who_what}|done@20260101000000");
            diesel::sql_query(format!(
                "INSERT INTO dossier_steps (province_id, dossier_id, step_no, staff_id, unit_id, \
                 received_at, due_at, finished_at, created_at, updated_at, handler_name, \
                 handler_account, action, matched_by, handler_issue, source_key) \
                 SELECT province_id, dossier_id, 2, {holder}, unit_id, received_at, due_at, \
                 finished_at, created_at, updated_at, handler_name, handler_account, action, \
                 '{how}', NULL, '{twin}' FROM dossier_steps WHERE id = {id}"
            ))
            .execute(c)?;
            let row = congvu::db::dossiers::find_by_code(c, w.p.id, code)?.ok_or("no dossier")?;
            congvu::db::dossiers::sync_late_steps(c, &row, congvu::api::local_now())?;
            Ok(())
        })
        .unwrap();
    let steps = steps_of(app, w, code).await;
    assert_eq!(steps.len(), 2, "{steps:?}");
    steps[1]["id"].as_i64().unwrap()
}

/// `congvu admin merge-twin-steps` on the app's database: its stdout.
fn merge_twins(app: &TestApp, w: &World, apply: bool) -> String {
    let mut args = vec!["admin", "merge-twin-steps", "--province", &w.p.code];
    if apply {
        args.push("--apply");
    }
    admin(app, &args)
}

/// A `congvu` command on the app's database, expected to succeed: its stdout.
fn admin(app: &TestApp, args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_congvu"));
    cmd.current_dir(&app.settings.data_dir)
        .env_remove("CONGVU_CONFIG")
        .env("DATABASE_URL", app.settings.database_url())
        .env("CONGVU_JWT_SECRET", TEST_SECRET)
        .stdin(Stdio::null())
        .args(args);
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Lan's handled and late steps.
async fn lan(app: &TestApp, w: &World) -> (Value, Value) {
    let s = stats(app, w, w.member_a1.id).await;
    (s["handled"].clone(), s["late"].clone())
}

async fn twins_are_reported_then_merged(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let register = app.count("violations");
    let lan_account = (w.member_a1.id, "account");
    let twin = fed_with_a_twin(&app, &w, "HS-TWIN", "lan.nt", lan_account).await;
    assert_eq!(lan(&app, &w).await, (json!(2), json!(2)), "counted twice");
    assert_eq!(app.count("violations"), register + 2);

    // The report names the twins and changes nothing.
    let report = merge_twins(&app, &w, false);
    assert!(
        report.contains("dossier HS-TWIN steps 1, 2 (lan.nt, Thẩm định hồ sơ): one step, to be merged into step 1"),
        "{report}"
    );
    assert!(
        report.contains("1 twin steps to merge in 1 dossiers"),
        "{report}"
    );
    assert!(report.contains("run again with --apply"), "{report}");
    assert_eq!(steps_of(&app, &w, "HS-TWIN").await.len(), 2);
    assert_eq!(app.count("violations"), register + 2);

    let applied = merge_twins(&app, &w, true);
    assert!(applied.contains("merged into step 1"), "{applied}");
    let step = only_step(&app, &w, "HS-TWIN").await;
    assert_eq!(
        (&step["staff_id"], &step["received_at"], &step["outcome"]),
        (&json!(w.member_a1.id), &json!(shown(10, 9)), &json!("late")),
        "the step as the log gave it: {step}"
    );
    assert_eq!(lan(&app, &w).await, (json!(1), json!(1)), "counted once");
    assert_eq!(app.count("violations"), register + 1, "one register row");
    let (s, trail) = app
        .get(
            w.token("root"),
            &format!("/api/v1/audit?entity=dossier_step&entity_id={twin}"),
        )
        .await;
    assert_eq!(s, 200, "{trail}");
    assert!(trail.to_string().contains("\"delete\""), "{trail}");

    // The vendor's two forms of the entry find the one step; nothing is left to merge.
    let mut without_start = late_dossier("HS-TWIN", "lan.nt", 7);
    if let Some(e) = without_start["QuaTrinhXuLy"][0].as_object_mut() {
        e.remove("NgayBatDau");
    }
    for form in [late_dossier("HS-TWIN", "lan.nt", 7), without_start] {
        let r = send(
            &app,
            w.token("hr_a"),
            "/api/v1/onestop/dossiers",
            json!([form]),
        )
        .await;
        assert_eq!(r["unchanged"], 1, "{r}");
    }
    let again = merge_twins(&app, &w, true);
    assert!(
        again.contains("0 twin steps merged in 0 dossiers"),
        "{again}"
    );
}

async fn a_disputed_twin_is_the_step_kept(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let register = app.count("violations");
    let lan_account = (w.member_a1.id, "account");
    let twin = fed_with_a_twin(&app, &w, "HS-TWIN-DISPUTED", "lan.nt", lan_account).await;
    let (s, dispute) = app
        .post(
            w.token("staff_a1"),
            "/api/v1/disputes",
            json!({"step_id": twin, "reason": "Hồ sơ giấy trình đúng hạn"}),
        )
        .await;
    assert_eq!(s, 201, "{dispute}");

    let applied = merge_twins(&app, &w, true);
    assert!(applied.contains("merged into step 2"), "{applied}");
    let step = only_step(&app, &w, "HS-TWIN-DISPUTED").await;
    assert_eq!(step["id"], twin, "{step}");
    assert_eq!(step["received_at"], shown(10, 9), "the log's start: {step}");
    assert_eq!(lan(&app, &w).await, (json!(1), json!(1)));
    assert_eq!(app.count("violations"), register + 1);
    let (s, found) = app
        .get(w.token("head_a"), "/api/v1/disputes?status=pending")
        .await;
    assert_eq!(s, 200, "{found}");
    assert!(
        found.to_string().contains(&format!("\"step_id\":{twin}")),
        "{found}"
    );
}

/// Notices about `staff`.
fn notices(app: &TestApp, staff: i64) -> i64 {
    use congvu::db::schema::repeat_notices;
    use diesel::prelude::*;
    let mut c = app.db.conn().expect("connection");
    repeat_notices::table
        .filter(repeat_notices::staff_id.eq(staff))
        .count()
        .get_result::<i64>(&mut *c)
        .expect("count")
}

/// Twins held by two officers: the first form matched Lan by name, the twin the account's
/// holder. Merged, the step is the account holder's, one register row, and nobody is told
/// of it again; a later step given the twin's number is a violation of its own.
async fn twins_of_two_officers_are_told_once(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (s, body) = app
        .post(
            w.token("admin_p"),
            "/api/v1/policies",
            json!({"document": crate::dossier_register::EVERY_LATE_STEP}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let register = app.count("violations");
    // The account is nobody's mapping: the name decides, Lan.
    let holder = (w.head_a.id, "account");
    fed_with_a_twin(&app, &w, "HS-TWIN-HANDS", "chi.portal", holder).await;
    assert_eq!(app.count("violations"), register + 2);
    assert_eq!(
        (notices(&app, w.member_a1.id), notices(&app, w.head_a.id)),
        (1, 1)
    );

    let applied = merge_twins(&app, &w, true);
    assert!(applied.contains("merged into step 1"), "{applied}");
    let step = only_step(&app, &w, "HS-TWIN-HANDS").await;
    assert_eq!(
        (&step["staff_id"], &step["matched_by"]),
        (&json!(w.head_a.id), &json!("account")),
        "the strongest attribution: {step}"
    );
    assert_eq!(app.count("violations"), register + 1);
    assert_eq!(lan(&app, &w).await, (json!(0), json!(0)));
    assert_eq!(
        (notices(&app, w.member_a1.id), notices(&app, w.head_a.id)),
        (1, 1),
        "the account holder's step was told already"
    );

    // The account is mapped now, and the log carries a second late step of the holder's:
    // it takes the number the twin had, and it is a new violation.
    crate::onestop_fixes::map_account(&app, &w, w.head_a.id, "chi.portal").await;
    let mut dossier = late_dossier("HS-TWIN-HANDS", "chi.portal", 7);
    let mut signed = dossier["QuaTrinhXuLy"][0].clone();
    signed["NoiDungXuLy"] = json!("Ký duyệt");
    signed["NgayBatDau"] = json!(crate::onestop_fixes::ago(6, 9));
    signed["NgayKetThucTheoQuyDinh"] = json!(crate::onestop_fixes::ago(6, 17));
    dossier["QuaTrinhXuLy"] = json!([dossier["QuaTrinhXuLy"][0].clone(), signed]);
    send(
        &app,
        w.token("hr_a"),
        "/api/v1/onestop/dossiers",
        json!([dossier]),
    )
    .await;
    let steps = steps_of(&app, &w, "HS-TWIN-HANDS").await;
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!(app.count("violations"), register + 2);
    assert_eq!(notices(&app, w.head_a.id), 2, "the new late step is told");
}

/// A dossier imported by file and then sent by the feed, by a version that stored the
/// feed's entry as a second step: merged, the file's step with the feed's key, counted
/// once, and the feed's next send finds it.
async fn a_file_step_and_its_feed_twin_are_merged(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let line = crate::onestop_fixes::late_file_line("HS-FILE-TWIN");
    crate::dossier_register::import(&app, w.token("hr_a"), &[&line]).await;
    let register = app.count("violations");
    app.db
        .write(|c| -> Result<(), Failure> {
            use diesel::prelude::*;
            diesel::sql_query(
                "INSERT INTO dossier_steps (province_id, dossier_id, step_no, staff_id, unit_id, \
                 received_at, due_at, finished_at, created_at, updated_at, handler_name, \
                 handler_account, action, matched_by, handler_issue, source_key) \
                 SELECT province_id, dossier_id, 2, staff_id, unit_id, received_at, due_at, \
                 finished_at, created_at, updated_at, 'Nguyễn Thị Lan', 'lan.nt', \
                 'Thẩm định hồ sơ', 'name', NULL, 'a:lan.nt|thẩm định hồ sơ|done@20260101000000' \
                 FROM dossier_steps WHERE step_no = 1 AND dossier_id = \
                 (SELECT id FROM dossiers WHERE code = 'HS-FILE-TWIN')",
            )
            .execute(c)?;
            let row = congvu::db::dossiers::find_by_code(c, w.p.id, "HS-FILE-TWIN")?
                .ok_or("no dossier")?;
            congvu::db::dossiers::sync_late_steps(c, &row, congvu::api::local_now())?;
            Ok(())
        })
        .unwrap();
    assert_eq!(lan(&app, &w).await, (json!(2), json!(2)), "counted twice");
    assert_eq!(app.count("violations"), register + 1);

    let applied = merge_twins(&app, &w, true);
    assert!(
        applied.contains(
            "dossier HS-FILE-TWIN steps 1, 2 (lan.nt, Thẩm định hồ sơ): merged into step 1"
        ),
        "{applied}"
    );
    let step = only_step(&app, &w, "HS-FILE-TWIN").await;
    assert_eq!(
        (&step["step_no"], &step["received_at"], &step["action"]),
        (&json!(1), &json!(shown(10, 9)), &json!("Thẩm định hồ sơ")),
        "the file's step, with what the log said: {step}"
    );
    assert_eq!(lan(&app, &w).await, (json!(1), json!(1)), "counted once");
    assert_eq!(app.count("violations"), register);
    for form in [&[][..], &["NgayBatDau"][..]] {
        let mut dossier = late_dossier("HS-FILE-TWIN", "lan.nt", 7);
        if let Some(e) = dossier["QuaTrinhXuLy"][0].as_object_mut() {
            for f in form {
                e.remove(*f);
            }
        }
        dossier["TenTTHC"] = json!("Cấp giấy phép xây dựng");
        let r = send(
            &app,
            w.token("hr_a"),
            "/api/v1/onestop/dossiers",
            json!([dossier]),
        )
        .await;
        assert_eq!(r["rejected"], json!([]), "{r}");
        assert_eq!(steps_of(&app, &w, "HS-FILE-TWIN").await.len(), 1);
    }
}

/// A register left behind by a version that judged steps otherwise (here emptied of its
/// late steps) is entered again from the dossiers as they stand.
async fn the_register_of_late_steps_is_entered_again(b: Backend) {
    let Some((app, w)) = crate::dossiers::imported(b).await else {
        return;
    };
    let late = || app.count("violations WHERE code = 'overdue_task'");
    assert_eq!(late(), 2, "HS-1's step 2 and HS-3's step 2");
    let mut conn = app.db.conn().unwrap();
    diesel::RunQueryDsl::execute(
        diesel::sql_query("DELETE FROM violations WHERE code = 'overdue_task'"),
        &mut *conn,
    )
    .unwrap();
    drop(conn);
    assert_eq!(late(), 0);
    let out = admin(
        &app,
        &["admin", "resync-dossier-register", "--province", &w.p.code],
    );
    assert_eq!(
        out.trim(),
        "P: 3 dossiers, late steps in the register 0 before, 2 now"
    );
    assert_eq!(late(), 2);
    // An inspection's finding filed under the same code is not a late step: before, the
    // figures printed counted it.
    app.exec(
        "INSERT INTO violations (province_id, unit_id, staff_id, code, day, minutes, source, \
         source_ref, detail, created_at, updated_at) SELECT province_id, unit_id, staff_id, \
         code, day, minutes, 'inspection', 'finding:1', detail, created_at, updated_at \
         FROM violations WHERE code = 'overdue_task' ORDER BY id LIMIT 1",
    );
    let out = admin(&app, &["admin", "resync-dossier-register"]);
    assert!(
        out.contains("P: 3 dossiers, late steps in the register 2 before, 2 now"),
        "{out}"
    );
}

both!(
    the_register_of_late_steps_is_entered_again,
    twins_are_reported_then_merged,
    a_disputed_twin_is_the_step_kept,
    twins_of_two_officers_are_told_once,
    a_file_step_and_its_feed_twin_are_merged,
);
