//! Dossier imports against what is already recorded: a step named twice in a file, the
//! same code in two provinces, a dossier cancelled after it fell overdue, and a late step
//! that changes hands. The violation register must follow each.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp, World};

const HEADER: &str = "code,procedure,unit_code,received_at,due_at,finished_at,status,step_no,step_staff_code,step_received_at,step_due_at,step_finished_at";

pub(crate) async fn import(app: &TestApp, token: &str, lines: &[&str]) -> Value {
    let report = import_report(app, token, lines).await;
    assert_eq!(report["rejected"], json!([]), "{report}");
    report
}

/// The report of a CSV import of these lines, rejections and all.
pub(crate) async fn import_report(app: &TestApp, token: &str, lines: &[&str]) -> Value {
    let body = std::iter::once(HEADER)
        .chain(lines.iter().copied())
        .collect::<Vec<_>>()
        .join("\n");
    let res = app
        .client
        .post(app.url("/api/v1/dossiers/import"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let (s, report) = crate::helpers::read(res).await;
    assert_eq!(s, 200, "{report}");
    report
}

/// (staff, detail) of the late steps in the register.
async fn register(app: &TestApp, w: &World) -> Vec<(i64, String)> {
    let (s, body) = app
        .get(w.token("root"), "/api/v1/violations?code=overdue_task")
        .await;
    assert_eq!(s, 200, "{body}");
    let mut rows: Vec<(i64, String)> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["staff_id"].as_i64().unwrap(),
                v["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// The steps of the dossiers of a unit in March 2026, by dossier code: (step, handler).
async fn steps_of(app: &TestApp, w: &World, unit_id: i64) -> Vec<(String, Vec<(i64, i64)>)> {
    let (s, list) = app
        .get(
            w.token("root"),
            &format!("/api/v1/dossiers?unit_id={unit_id}&from=2026-03-01&to=2026-03-31"),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let steps = d["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    (
                        s["step_no"].as_i64().unwrap(),
                        s["staff_id"].as_i64().unwrap_or(0),
                    )
                })
                .collect();
            (d["code"].as_str().unwrap().to_owned(), steps)
        })
        .collect()
}

const HS3: [&str; 2] = [
    "HS-3,Cấp đổi giấy chứng nhận,A,20260302080000,20260310170000,20260316100000,finished,1,S-HEAD-A,20260302080000,,20260304090000",
    "HS-3,Cấp đổi giấy chứng nhận,A,20260302080000,20260310170000,20260316100000,finished,2,S-B,20260304090000,,20260316100000",
];

/// A file that names a recorded dossier's new step twice (sent open, then finished) is
/// merged as its last line says, as it would be for a new dossier, and sending it again
/// changes nothing.
async fn a_step_named_twice_is_merged_once(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("admin_p");
    let created = import(&app, hr, &HS3).await;
    assert_eq!(created["created"], 1, "{created}");
    let twice = [
        HS3[0],
        HS3[1],
        "HS-3,Cấp đổi giấy chứng nhận,A,20260302080000,20260310170000,20260316100000,finished,3,S-A1,20260316100000,,",
        "HS-3,Cấp đổi giấy chứng nhận,A,20260302080000,20260310170000,20260316100000,finished,3,S-A1,20260316100000,,20260316100000",
    ];
    let merged = import(&app, hr, &twice).await;
    assert_eq!(merged["updated"], 1, "{merged}");
    assert_eq!(app.count("dossier_steps"), 3);
    let (_, list) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/dossiers?unit_id={}&from=2026-03-01&to=2026-03-31",
                w.a.id
            ),
        )
        .await;
    let step3 = &list["items"][0]["steps"][2];
    assert!(
        step3["finished_at"].is_string(),
        "the last line wins: {list}"
    );
    let audit = app.count("audit_log");
    let again = import(&app, hr, &twice).await;
    assert_eq!(
        (again["updated"].as_i64(), again["unchanged"].as_i64()),
        (Some(0), Some(1)),
        "{again}"
    );
    assert_eq!(
        app.count("audit_log"),
        audit,
        "nothing changed, nothing written"
    );
}

/// A second province, Q, with one department QA (returned), made by root.
async fn second_province(app: &TestApp, root: &str) -> Value {
    let (s, q) = app
        .post(
            root,
            "/api/v1/units",
            json!({"code": "Q", "name": "Tỉnh Thứ Hai", "kind": "province"}),
        )
        .await;
    assert_eq!(s, 201, "{q}");
    let (s, qa) = app
        .post(
            root,
            "/api/v1/units",
            json!({"code": "QA", "name": "Sở QA", "kind": "department", "parent_id": q["id"]}),
        )
        .await;
    assert_eq!(s, 201, "{qa}");
    qa
}

/// Two new dossiers with one code in two provinces, in one import: each keeps its own
/// steps and its own late step in the register.
async fn one_code_in_two_provinces_keeps_its_own_steps(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let qa = second_province(&app, root).await;
    let (s, officer) = app
        .post(
            root,
            "/api/v1/staff",
            json!({"code": "S-Q1", "full_name": "Phạm Thu Hà", "unit_id": qa["id"], "category": "cong_chuc"}),
        )
        .await;
    assert_eq!(s, 201, "{officer}");
    let report = import(
        &app,
        root,
        &[
            // P's HS-9: one step, late.
            "HS-9,Cấp giấy phép,A,20260302080000,20260306170000,20260309100000,finished,1,S-A1,20260302080000,20260305170000,20260309100000",
            // Q's HS-9: two steps, both in time.
            "HS-9,Cấp phép khác,QA,20260302080000,20260306170000,20260305100000,finished,1,S-Q1,20260302080000,20260303170000,20260303090000",
            "HS-9,Cấp phép khác,QA,20260302080000,20260306170000,20260305100000,finished,2,S-Q1,20260303090000,20260305170000,20260305100000",
        ],
    )
    .await;
    assert_eq!(report["created"], 2, "{report}");
    let officer = officer["id"].as_i64().unwrap();
    assert_eq!(
        steps_of(&app, &w, w.a.id).await,
        vec![("HS-9".to_owned(), vec![(1, w.member_a1.id)])]
    );
    assert_eq!(
        steps_of(&app, &w, qa["id"].as_i64().unwrap()).await,
        vec![("HS-9".to_owned(), vec![(1, officer), (2, officer)])]
    );
    let late: Vec<i64> = register(&app, &w)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(late, vec![w.member_a1.id]);
}

/// A dossier that fell overdue and was then cancelled leaves the register: it counts in
/// no ratio, and it will never be finished.
async fn a_cancelled_dossier_leaves_the_register(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let line = |status: &str| {
        format!(
            "HS-7,Cấp giấy phép,A,20260302080000,20260306170000,,{status},1,S-A1,20260302080000,20260305170000,"
        )
    };
    import(&app, hr, &[&line("in_progress")]).await;
    let overdue = register(&app, &w).await;
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert_eq!(overdue[0].0, w.member_a1.id);
    let cancelled = import(&app, hr, &[&line("cancelled")]).await;
    assert_eq!(cancelled["updated"], 1, "{cancelled}");
    assert_eq!(register(&app, &w).await, vec![]);
    // Nor is it listed as late, as it counts in no ratio.
    let (_, late) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/dossiers?unit_id={}&from=2026-03-01&to=2026-03-31&late=true",
                w.a.id
            ),
        )
        .await;
    assert_eq!(late["total"], 0, "{late}");
    // A new dossier already returned has no late step either.
    let returned = "HS-8,Cấp giấy phép,A,20260302080000,20260306170000,20260310100000,returned,1,S-A1,20260302080000,20260305170000,20260310100000";
    import(&app, hr, &[returned]).await;
    assert_eq!(register(&app, &w).await, vec![]);
}

/// Every late step is a notice, to see whom repeat detection looked at (a window wide
/// enough for the history read to reach March 2026).
pub(crate) const EVERY_LATE_STEP: &str = r#"
code = "p-late-steps"
name = "Tỉnh Thử Nghiệm: mỗi bước trễ hạn"
source = "Quyết định thử nghiệm"
kind = "overlay"
province = "P"
effective_from = "2020-01-01"
categories = ["can_bo", "cong_chuc", "vien_chuc", "contract"]

[[repeat]]
name = "Xử lý hồ sơ trễ hạn"
codes = ["overdue_task"]
count = 1
window_days = 200
source = "Quyết định thử nghiệm"
"#;

/// The province's rule that tells of every late step at once.
async fn every_late_step(app: &TestApp, w: &World) {
    let (s, body) = app
        .post(
            w.token("admin_p"),
            "/api/v1/policies",
            json!({"document": EVERY_LATE_STEP}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
}

/// A late step handed to another officer (a correction in the one-stop system) is the new
/// holder's violation, not the old one's, and the new holder's repeats are looked at.
async fn a_late_step_that_changes_hands_moves_in_the_register(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_late_step(&app, &w).await;
    let hr = w.token("admin_p");
    let line = |staff: &str| {
        format!(
            "HS-5,Cấp giấy phép,A,20260302080000,20260306170000,20260309100000,finished,1,{staff},20260302080000,20260305170000,20260309100000"
        )
    };
    import(&app, hr, &[&line("S-A1")]).await;
    let before = register(&app, &w).await;
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].0, w.member_a1.id);
    let moved = import(&app, hr, &[&line("S-B")]).await;
    assert_eq!(moved["updated"], 1, "{moved}");
    let after = register(&app, &w).await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].0, w.member_b.id);
    assert_eq!(after[0].1, before[0].1, "the same late step");
    let noticed = |staff: i64| {
        use congvu::db::schema::repeat_notices;
        use diesel::prelude::*;
        let mut c = app.db.conn().expect("connection");
        repeat_notices::table
            .filter(repeat_notices::staff_id.eq(staff))
            .count()
            .get_result::<i64>(&mut *c)
            .expect("count")
    };
    assert_eq!((noticed(w.member_a1.id), noticed(w.member_b.id)), (1, 1));

    // Handed back to A: the register's row is made again, and it is the violation A's
    // notice already counted, not a second one to count and tell again.
    import(&app, hr, &[&line("S-A1")]).await;
    let back = register(&app, &w).await;
    assert_eq!(back.len(), 1, "{back:?}");
    assert_eq!(back[0].0, w.member_a1.id);
    assert_eq!((noticed(w.member_a1.id), noticed(w.member_b.id)), (1, 1));
}

/// A re-sent line that leaves the officer's code empty keeps the step's officer, and its
/// register row; a dossier refused as a whole is reported on every line. Before, the
/// empty code wiped the officer and the row with the report saying `updated: 1`, and
/// only a refused dossier's first line was reported.
async fn a_line_without_its_officer_keeps_the_step(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    every_late_step(&app, &w).await;
    let admin = w.token("admin_p");
    let line = |code: &str, unit: &str, step: u32, staff: &str| {
        format!(
            "{code},Cấp giấy phép,{unit},20260302080000,20260306170000,20260309100000,finished,{step},{staff},20260302080000,20260305170000,20260309100000"
        )
    };
    import(&app, admin, &[&line("HS-5", "A", 1, "S-A1")]).await;
    let before = register(&app, &w).await;
    assert_eq!(before.len(), 1);
    let r = import_report(&app, admin, &[&line("HS-5", "A", 1, "")]).await;
    assert_eq!(
        r["rejected"],
        json!([{"line": 2, "errors": {"step_staff_code": [
            "the line names no officer: the step keeps its officer, the rest of the line is taken"
        ]}}]),
        "{r}"
    );
    assert_eq!(
        steps_of(&app, &w, w.a.id).await,
        vec![("HS-5".to_owned(), vec![(1, w.member_a1.id)])]
    );
    assert_eq!(register(&app, &w).await, before);

    // B's dossier, refused to A's HR whatever unit the lines name: both lines reported.
    import(
        &app,
        admin,
        &[&line("HS-B", "B", 1, "S-B"), &line("HS-B", "B", 2, "S-B")],
    )
    .await;
    let r = import_report(
        &app,
        w.token("hr_a"),
        &[&line("HS-B", "A", 1, "S-A1"), &line("HS-B", "A", 2, "S-A1")],
    )
    .await;
    let lines: Vec<&Value> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| &x["line"])
        .collect();
    assert_eq!(lines, [&json!(2), &json!(3)], "{r}");
    assert_eq!(
        r["rejected"][1]["errors"]["code"][0],
        "this dossier belongs to a unit outside your reach"
    );
}

/// A step without a deadline of its own that held a late dossier is late by the
/// dossier's deadline, though another step overran its own: before, the desk's half
/// hour took the lateness off the officer who kept the dossier four days past it.
async fn a_holder_without_a_deadline_is_late_beside_an_overrun(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let admin = w.token("admin_p");
    import(
        &app,
        admin,
        &[
            "HS-H,Cấp giấy phép,A,20260310080000,20260312170000,20260316100000,finished,1,S-HEAD-A,20260310080000,20260310090000,20260310093000",
            "HS-H,Cấp giấy phép,A,20260310080000,20260312170000,20260316100000,finished,2,S-A1,20260310093000,,20260316100000",
        ],
    )
    .await;
    let late_of = |query: String| {
        let app = &app;
        async move {
            let (s, v) = app
                .get(
                    admin,
                    &format!("/api/v1/stats/dossiers?{query}&from=2026-03-01&to=2026-03-31"),
                )
                .await;
            assert_eq!(s, 200, "{v}");
            (v["handled"].clone(), v["late"].clone())
        }
    };
    for (who, id) in [("desk", w.head_a.id), ("holder", w.member_a1.id)] {
        assert_eq!(
            late_of(format!("staff_id={id}")).await,
            (json!(1), json!(1)),
            "{who}"
        );
    }
    assert_eq!(
        late_of(format!("unit_id={}", w.a.id)).await,
        (json!(1), json!(1))
    );
    app.province_wide_agrees(w.p.id, 2026);
}

/// An overdue dossier re-sent as `awaiting_supplement` with no supplement times was
/// asked when congvu saw it, after its deadline: it stays overdue, in the list and the
/// register. Before, the bare status paused it from no known time, read as before the
/// deadline, and the officer's overdue step left the register.
async fn a_bare_awaiting_status_keeps_an_overdue_dossier_overdue(b: Backend) {
    use crate::onestop_fixes::ago;
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let admin = w.token("admin_p");
    let line = |status: &str| {
        format!(
            "HS-9,Cấp giấy phép,A,{},{},,{status},1,S-A1,{},{},",
            ago(10, 8),
            ago(5, 17),
            ago(10, 9),
            ago(6, 17)
        )
    };
    import(&app, admin, &[&line("in_progress")]).await;
    let overdue = || {
        let app = &app;
        async move {
            let (s, v) = app
                .get(
                    admin,
                    &format!("/api/v1/dossiers/overdue?unit_id={}", w.a.id),
                )
                .await;
            assert_eq!(s, 200, "{v}");
            v["total"].clone()
        }
    };
    assert_eq!(overdue().await, json!(1));
    let register = app.count("violations");
    assert!(register > 0);
    let r = import(&app, admin, &[&line("awaiting_supplement")]).await;
    assert_eq!(r["updated"], 1, "{r}");
    assert_eq!(overdue().await, json!(1), "still overdue");
    assert_eq!(app.count("violations"), register);
    // The same file again, with the supplement column there and empty: nothing changes
    // (before the fix of this, it cleared the time congvu had seen, and the dossier left
    // the list again).
    let header = "code,procedure,unit_code,received_at,due_at,finished_at,status,step_no,step_staff_code,step_received_at,step_due_at,step_finished_at,supplement_requested_at";
    let body = format!("{header}\n{},\n", line("awaiting_supplement"));
    let (s, r) = crate::dossiers::import_csv(&app, admin, body.into_bytes(), "text/csv").await;
    assert_eq!((s, &r["unchanged"]), (200, &json!(1)), "{r}");
    assert_eq!(overdue().await, json!(1), "still overdue");
    assert_eq!(app.count("violations"), register);
}

/// A dossier rescheduled by an apology letter stays late when a later file, without the
/// apology column, gives the new date as its deadline (as the feed's re-sends do): before,
/// the first deadline was replaced and the late dossier became early.
async fn a_file_without_the_apology_keeps_the_first_deadline(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let admin = w.token("admin_p");
    let header = "code,procedure,unit_code,received_at,due_at,finished_at,status,step_no,step_staff_code,step_received_at,step_due_at,step_finished_at";
    let first = format!(
        "{header},apology_new_due_at\nHS-XL,Cấp giấy phép,A,20260302080000,20260306170000,20260309100000,finished,1,S-A1,20260302080000,,20260309100000,20260310170000\n"
    );
    let (s, r) = crate::dossiers::import_csv(&app, admin, first.into_bytes(), "text/csv").await;
    assert_eq!((s, &r["created"]), (200, &json!(1)), "{r}");
    let later = format!(
        "{header}\nHS-XL,Cấp giấy phép,A,20260302080000,20260310170000,20260309100000,finished,1,S-A1,20260302080000,,20260309100000\n"
    );
    let (s, r) = crate::dossiers::import_csv(&app, admin, later.into_bytes(), "text/csv").await;
    assert_eq!((s, &r["unchanged"]), (200, &json!(1)), "{r}");
    let (_, list) = app
        .get(
            admin,
            &format!(
                "/api/v1/dossiers?unit_id={}&from=2026-03-01&to=2026-03-31",
                w.a.id
            ),
        )
        .await;
    assert_eq!(list["items"][0]["outcome"], "late", "{list}");
}

/// A disputed step keeps its officer when a later file names another: moved, the dispute
/// could no longer be decided.
async fn a_disputed_step_keeps_its_officer(b: Backend) {
    // The March steps are months old: a window of a year lets them be disputed.
    let Some((app, w)) = TestApp::with_world_and(b, |s| s.onestop.dispute_window_days = 365).await
    else {
        return;
    };
    let hr = w.token("admin_p");
    let line = |staff: &str| {
        format!(
            "HS-6,Cấp giấy phép,A,20260302080000,20260306170000,20260309100000,finished,1,{staff},20260302080000,20260305170000,20260309100000"
        )
    };
    import(&app, hr, &[&line("S-A1")]).await;
    let (_, list) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/dossiers?unit_id={}&from=2026-03-01&to=2026-03-31",
                w.a.id
            ),
        )
        .await;
    let step = list["items"][0]["steps"][0]["id"].as_i64().unwrap();
    let (s, dispute) = app
        .post(
            w.token("staff_a1"),
            "/api/v1/disputes",
            json!({"step_id": step, "reason": "Hồ sơ giấy đã trình ký đúng hạn"}),
        )
        .await;
    assert_eq!(s, 201, "{dispute}");
    import(&app, hr, &[&line("S-B")]).await;
    assert_eq!(
        steps_of(&app, &w, w.a.id).await,
        vec![("HS-6".to_owned(), vec![(1, w.member_a1.id)])]
    );
    let late: Vec<i64> = register(&app, &w)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(
        late,
        vec![w.member_a1.id],
        "the step is still A1's, disputed"
    );
}

/// An overdue step's period is that of its deadline moved by the supplement pause, as
/// for the unit's count: due 30/3, paused 28/3-3/4, it is overdue from 5/4, in April.
async fn an_overdue_steps_period_follows_the_pause(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let body = [
        format!("{HEADER},supplement_requested_at,supplement_received_at"),
        "HS-4,Cấp giấy phép,A,20260320080000,20260410170000,,in_progress,1,S-A1,20260320080000,20260330170000,,20260328080000,20260403080000".to_owned(),
    ]
    .join("\n");
    let res = app
        .client
        .post(app.url("/api/v1/dossiers/import"))
        .bearer_auth(w.token("hr_a"))
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let (s, report) = crate::helpers::read(res).await;
    assert_eq!((s, &report["created"]), (200, &json!(1)), "{report}");
    let overdue = |month: &'static str, last: &'static str| {
        let app = &app;
        let w = &w;
        async move {
            let (s, stats) = app
                .get(
                    w.token("root"),
                    &format!(
                        "/api/v1/stats/dossiers?staff_id={}&from=2026-{month}-01&to=2026-{month}-{last}&formula=with_overdue",
                        w.member_a1.id
                    ),
                )
                .await;
            assert_eq!(s, 200, "{stats}");
            (stats["overdue"].as_i64(), stats)
        }
    };
    let (march, stats) = overdue("03", "31").await;
    assert_eq!(march, Some(0), "{stats}");
    let (april, stats) = overdue("04", "30").await;
    assert_eq!(april, Some(1), "{stats}");
}

/// The morning list's `within_days` counts whole days: a dossier due late tomorrow is
/// within one day whatever the hour now, and not overdue yet.
async fn the_overdue_list_counts_whole_days(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let now = congvu::api::local_now();
    let tomorrow = (now.date() + chrono::Duration::days(1)).format("%Y%m%d");
    let received = (now - chrono::Duration::days(2)).format("%Y%m%d%H%M%S");
    let line = format!("WD-1,Thủ tục,A1,{received},{tomorrow}233000,,in_progress,,,,,");
    import(&app, w.token("hr_a"), &[&line]).await;
    let codes = |list: Value| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let path = format!("/api/v1/dossiers/overdue?unit_id={}", w.a.id);
    let (s, list) = app.get(w.token("head_a"), &path).await;
    assert_eq!(s, 200, "{list}");
    assert!(codes(list).is_empty(), "not overdue yet");
    let (_, list) = app
        .get(w.token("head_a"), &format!("{path}&within_days=0"))
        .await;
    assert!(codes(list).is_empty(), "not due today");
    let (_, list) = app
        .get(w.token("head_a"), &format!("{path}&within_days=1"))
        .await;
    assert_eq!(codes(list), vec!["WD-1"], "due by the end of tomorrow");
}

/// Imports and feeds of the same new dossier at the same moment: each waits for the one
/// before, so the dossier is created once and every sender gets its report.
async fn the_same_new_dossier_sent_at_once_is_created_once(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let file = json!({"dossiers": [
        {"code": "AT-1", "procedure": "Thủ tục", "unit_code": "A", "received_at": "2026-03-02T08:00:00",
         "due_at": "2026-03-06", "status": "in_progress", "step_no": 1, "step_staff_code": "S-A1"},
        {"code": "AT-1", "procedure": "Thủ tục", "unit_code": "A", "received_at": "2026-03-02T08:00:00",
         "due_at": "2026-03-06", "status": "in_progress", "step_no": 2, "step_staff_code": "S-HEAD-A"}
    ]});
    let send = || app.post(hr, "/api/v1/dossiers/import", file.clone());
    let results = tokio::join!(send(), send(), send(), send());
    let results = [results.0, results.1, results.2, results.3];
    let mut created = 0;
    for (s, report) in &results {
        assert_eq!(*s, 200, "{report}");
        assert_eq!(report["rejected"], json!([]), "{report}");
        created += report["created"].as_i64().unwrap();
    }
    assert_eq!(created, 1, "{results:?}");
    assert_eq!((app.count("dossiers"), app.count("dossier_steps")), (1, 2));

    let feed = json!([{"MaHoSo": "AT-2", "TenTTHC": "Đăng ký", "DonViXuLy": "A",
        "NgayTiepNhan": "20260317080000", "NgayHenTra": "20260320", "TrangThaiHoSo": "4",
        "QuaTrinhXuLy": [{"NguoiXuLy": "Nguyễn Thị Lan", "NoiDungXuLy": "Thẩm định hồ sơ",
            "TrangThai": "1", "ThoiDiemXuLy": "20260317090000"}]}]);
    let send = || app.post(hr, "/api/v1/onestop/dossiers", feed.clone());
    let results = tokio::join!(send(), send(), send());
    let results = [results.0, results.1, results.2];
    let mut created = 0;
    for (s, report) in &results {
        assert_eq!(*s, 200, "{report}");
        created += report["created"].as_i64().unwrap();
    }
    assert_eq!(created, 1, "{results:?}");
    assert_eq!(app.count("dossiers"), 2);
}

/// Two feeds reaching two provinces in opposite orders, at the same moment and again:
/// each request takes its provinces' turns in one order, so neither waits on the other
/// in a circle (on PostgreSQL a deadlock would fail one with a 500).
async fn feeds_over_two_provinces_in_either_order_both_land(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    second_province(&app, root).await;
    let dossier = |code: String, unit: &str| {
        json!({"MaHoSo": code, "TenTTHC": "Đăng ký", "DonViXuLy": unit,
            "NgayTiepNhan": "20260317080000", "NgayHenTra": "20260320", "TrangThaiHoSo": "4",
            "QuaTrinhXuLy": [{"NguoiXuLy": "Lê Văn Tư", "NoiDungXuLy": "Tiếp nhận hồ sơ",
                "ThoiDiemXuLy": "20260317090000"}]})
    };
    for round in 0..4 {
        let a_first = json!([
            dossier(format!("X-{round}-1"), "A"),
            dossier(format!("X-{round}-2"), "QA")
        ]);
        let q_first = json!([
            dossier(format!("Y-{round}-1"), "QA"),
            dossier(format!("Y-{round}-2"), "A")
        ]);
        let (one, two) = tokio::join!(
            app.post(root, "/api/v1/onestop/dossiers", a_first),
            app.post(root, "/api/v1/onestop/dossiers", q_first),
        );
        assert_eq!((one.0, two.0), (200, 200), "{} {}", one.1, two.1);
        assert_eq!(
            (&one.1["created"], &two.1["created"]),
            (&json!(2), &json!(2))
        );
    }
    assert_eq!(app.count("dossiers"), 16);
}

/// A new one-stop account mapped while a feed re-sends the dossiers it names: both write
/// the steps and the register, and take turns, so both land and each late step has one
/// register entry, for the officer the account names.
async fn a_mapping_and_a_feed_at_once_both_land(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    for (round, (person, account)) in [(w.member_a1.id, "acc-lan"), (w.head_a.id, "acc-hung")]
        .into_iter()
        .enumerate()
    {
        // Late dossiers whose handler's name fits nobody: only the account can say who.
        let feed: Vec<Value> = (0..40)
            .map(|i| {
                let mut d =
                    crate::onestop_fixes::late_dossier(&format!("RC-{round}-{i}"), account, 7);
                d["QuaTrinhXuLy"][0]["NguoiXuLy"] = json!("Người xử lý");
                d
            })
            .collect();
        let (s, report) = app
            .post(hr, "/api/v1/onestop/dossiers", json!(feed.clone()))
            .await;
        assert_eq!(s, 200, "{report}");
        assert_eq!(report["unattributed_steps"], 40, "{report}");
        let resent: Vec<Value> = feed
            .into_iter()
            .map(|mut d| {
                d["TenTTHC"] = json!("Cấp giấy phép xây dựng (sửa đổi)");
                d
            })
            .collect();
        let handles = format!("/api/v1/staff/{person}/onestop-handles");
        let (mapped, fed) = tokio::join!(
            app.post(
                w.token("root"),
                &handles,
                json!({"kind": "account", "value": account}),
            ),
            app.post(hr, "/api/v1/onestop/dossiers", json!(resent)),
        );
        assert_eq!((mapped.0, fed.0), (201, 200), "{} {}", mapped.1, fed.1);
    }
    let (s, body) = app
        .get(
            w.token("root"),
            "/api/v1/violations?code=overdue_task&per_page=500",
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let rows = body["items"].as_array().unwrap();
    let mut steps: Vec<&str> = rows
        .iter()
        .map(|v| v["source_ref"].as_str().unwrap())
        .collect();
    steps.sort_unstable();
    steps.dedup();
    assert_eq!(
        (rows.len(), steps.len()),
        (80, 80),
        "one entry per late step"
    );
    let mut people: Vec<i64> = rows
        .iter()
        .map(|v| v["staff_id"].as_i64().unwrap())
        .collect();
    people.sort_unstable();
    people.dedup();
    let mut want = vec![w.member_a1.id, w.head_a.id];
    want.sort_unstable();
    assert_eq!(people, want);
}

/// A step that falls overdue while nobody sends its dossier again (it is stuck with its
/// officer, so a feed of changes has nothing to send) is entered in the register by the
/// daily sweep, once.
async fn a_step_fallen_due_unsent_reaches_the_register(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let now = congvu::api::local_now();
    let received = (now - chrono::Duration::days(2)).format("%Y%m%d%H%M%S");
    let due = (now.date() + chrono::Duration::days(1)).format("%Y%m%d170000");
    let line = format!("FD-1,Thủ tục,A1,{received},{due},,in_progress,1,S-A1,{received},{due},");
    // A dossier handed back with a step its log left open is not overdue later on.
    let done = (now - chrono::Duration::days(1)).format("%Y%m%d%H%M%S");
    let finished =
        format!("FD-2,Thủ tục,A1,{received},{due},{done},finished,1,S-A1,{received},{due},");
    import(&app, w.token("hr_a"), &[&line, &finished]).await;
    let sweep = |days: i64| {
        let db = app.db.clone();
        let at = congvu::db::now() + chrono::Duration::days(days);
        tokio::task::spawn_blocking(move || congvu::jobs::notify::sweep(&db, at))
    };
    let register = app.count("violations");
    let report = sweep(0).await.unwrap().expect("sweep");
    assert_eq!(report.overdue_steps, 0, "not due yet: {report:?}");
    let report = sweep(3).await.unwrap().expect("sweep");
    assert_eq!(report.overdue_steps, 1, "{report:?}");
    assert_eq!(app.count("violations"), register + 1);
    let report = sweep(4).await.unwrap().expect("sweep");
    assert_eq!(report.overdue_steps, 0, "entered once: {report:?}");
    assert_eq!(app.count("violations"), register + 1);
}

both!(
    a_step_fallen_due_unsent_reaches_the_register,
    a_mapping_and_a_feed_at_once_both_land,
    feeds_over_two_provinces_in_either_order_both_land,
    the_same_new_dossier_sent_at_once_is_created_once,
    the_overdue_list_counts_whole_days,
    an_overdue_steps_period_follows_the_pause,
    a_disputed_step_keeps_its_officer,
    a_line_without_its_officer_keeps_the_step,
    a_holder_without_a_deadline_is_late_beside_an_overrun,
    a_bare_awaiting_status_keeps_an_overdue_dossier_overdue,
    a_file_without_the_apology_keeps_the_first_deadline,
    a_step_named_twice_is_merged_once,
    one_code_in_two_provinces_keeps_its_own_steps,
    a_cancelled_dossier_leaves_the_register,
    a_late_step_that_changes_hands_moves_in_the_register,
);
