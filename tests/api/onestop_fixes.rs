//! Fixes of the national portal's feed and of disputes: a re-sent feed never moves a
//! disputed step, an account held beyond the sender's reach keeps its step aside rather
//! than blaming a namesake, a second round of the same step is a step of its own, and the
//! dispute window counts from the deadline moved by the supplement pause.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp, World};

/// A local date-time `days` ago at `hh`:00, in the portal's compact form.
pub(crate) fn ago(days: i64, hh: u32) -> String {
    let day = crate::attendance::today() - chrono::Duration::days(days);
    format!("{}{hh:02}0000", day.format("%Y%m%d"))
}

/// The same instant as the API shows it.
pub(crate) fn shown(days: i64, hh: u32) -> String {
    let day = crate::attendance::today() - chrono::Duration::days(days);
    format!("{}T{hh:02}:00:00+07:00", day.format("%Y-%m-%d"))
}

/// The last 60 days, as `from=…&to=…`.
fn period() -> String {
    let today = crate::attendance::today();
    format!("from={}&to={today}", today - chrono::Duration::days(60))
}

pub(crate) async fn send(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (s, report) = app.post(token, path, body).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["rejected"], json!([]), "{report}");
    report
}

/// The steps of the dossier with this code, as `GET /dossiers` shows them.
pub(crate) async fn steps_of(app: &TestApp, w: &World, code: &str) -> Vec<Value> {
    let (s, v) = app
        .get(
            w.token("root"),
            &format!("/api/v1/dossiers?unit_id={}&{}", w.a.id, period()),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["items"]
        .as_array()
        .and_then(|list| list.iter().find(|d| d["code"] == code))
        .and_then(|d| d["steps"].as_array().cloned())
        .unwrap_or_else(|| panic!("no dossier {code} in {v}"))
}

pub(crate) async fn only_step(app: &TestApp, w: &World, code: &str) -> Value {
    let steps = steps_of(app, w, code).await;
    assert_eq!(steps.len(), 1, "{steps:?}");
    steps[0].clone()
}

pub(crate) async fn stats(app: &TestApp, w: &World, staff_id: i64) -> Value {
    let (s, v) = app
        .get(
            w.token("root"),
            &format!("/api/v1/stats/dossiers?staff_id={staff_id}&{}", period()),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

pub(crate) async fn map_account(app: &TestApp, w: &World, staff_id: i64, account: &str) {
    let (s, v) = app
        .post(
            w.token("root"),
            &format!("/api/v1/staff/{staff_id}/onestop-handles"),
            json!({"kind": "account", "value": account}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
}

/// The dossier of `late_dossier` as a one-stop file (the CSV of the API) has it: Lan's
/// step (S-A1) with the same times, late.
pub(crate) fn late_file_line(code: &str) -> String {
    format!(
        "{code},Cấp giấy phép xây dựng,A,{},{},{},finished,1,S-A1,{},{},{}",
        ago(10, 8),
        ago(4, 17),
        ago(3, 10),
        ago(10, 9),
        ago(7, 17),
        ago(3, 10)
    )
}

/// A finished dossier of A whose one step, by Lan under the account `account`, overran
/// its own deadline (`step_due` days ago at 17:00) and was done three days ago.
pub(crate) fn late_dossier(code: &str, account: &str, step_due: i64) -> Value {
    json!({"MaHoSo": code, "TenTTHC": "Cấp giấy phép xây dựng", "DonViXuLy": "A",
        "NgayTiepNhan": ago(10, 8), "NgayHenTra": ago(4, 17), "NgayKetThucXuLy": ago(3, 10),
        "TrangThaiHoSo": "10",
        "QuaTrinhXuLy": [{"NguoiXuLy": "Nguyễn Thị Lan", "TaiKhoanXuLy": account,
            "NoiDungXuLy": "Thẩm định hồ sơ", "TrangThai": "2", "NgayBatDau": ago(10, 9),
            "NgayKetThucTheoQuyDinh": ago(step_due, 17), "ThoiDiemXuLy": ago(3, 10)}]})
}

async fn a_re_sent_feed_never_moves_a_disputed_step(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    // The account is nobody's yet: the name decides, Lan.
    send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        json!([late_dossier("HS-DISPUTED", "lan.portal", 7)]),
    )
    .await;
    let step = only_step(&app, &w, "HS-DISPUTED").await;
    assert_eq!(
        (&step["staff_id"], &step["matched_by"], &step["outcome"]),
        (&json!(w.member_a1.id), &json!("name"), &json!("late")),
        "{step}"
    );
    let step_id = step["id"].as_i64().unwrap();
    let (s, dispute) = app
        .post(
            w.token("staff_a1"),
            "/api/v1/disputes",
            json!({"step_id": step_id, "reason": "Hồ sơ giấy trình đúng hạn"}),
        )
        .await;
    assert_eq!(s, 201, "{dispute}");
    let id = dispute["id"].as_i64().unwrap();

    // An administrator maps the account to someone else; the portal re-sends the dossier
    // with a corrected step deadline.
    map_account(&app, &w, w.head_a.id, "lan.portal").await;
    let r = send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        json!([late_dossier("HS-DISPUTED", "lan.portal", 6)]),
    )
    .await;
    assert_eq!(r["updated"], 1, "{r}");
    let step = only_step(&app, &w, "HS-DISPUTED").await;
    assert_eq!(
        (&step["staff_id"], &step["matched_by"]),
        (&json!(w.member_a1.id), &json!("name")),
        "a disputed step keeps its officer: {step}"
    );
    assert_eq!(
        step["due_at"],
        shown(6, 17),
        "the rest of the entry is taken: {step}"
    );

    // So the head can decide it, and an accepted dispute stays through later re-sends.
    let (s, decided) = app
        .post(
            w.token("head_a"),
            &format!("/api/v1/disputes/{id}/decision"),
            json!({"outcome": "accepted", "reason": "Đối chiếu sổ theo dõi"}),
        )
        .await;
    assert_eq!(s, 200, "{decided}");
    send(
        &app,
        w.token("root"),
        "/api/v1/onestop/dossiers",
        json!([late_dossier("HS-DISPUTED", "lan.portal", 7)]),
    )
    .await;
    let step = only_step(&app, &w, "HS-DISPUTED").await;
    assert_eq!(
        (
            &step["staff_id"],
            &step["counted_outcome"],
            &step["dispute"]["status"],
            &step["due_at"]
        ),
        (
            &json!(w.member_a1.id),
            &json!("on_time"),
            &json!("accepted"),
            &json!(shown(7, 17))
        ),
        "{step}"
    );
    let lan = stats(&app, &w, w.member_a1.id).await;
    assert_eq!(
        (&lan["late"], &lan["on_time"]),
        (&json!(0), &json!(1)),
        "{lan}"
    );
    let head = stats(&app, &w, w.head_a.id).await;
    assert_eq!(head["handled"], 0, "{head}");
}

async fn an_account_held_beyond_reach_blames_no_namesake(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    // Sent while the account was nobody's: the name decided, Lan.
    send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        json!([late_dossier("HS-EARLIER", "tuanlm", 7)]),
    )
    .await;
    assert_eq!(
        only_step(&app, &w, "HS-EARLIER").await["staff_id"],
        w.member_a1.id
    );
    // The account is B's officer's, beyond the reach of A's HR.
    map_account(&app, &w, w.member_b.id, "tuanlm").await;
    let both = json!([
        late_dossier("HS-BEYOND", "tuanlm", 7),
        late_dossier("HS-EARLIER", "tuanlm", 7)
    ]);
    let r = send(&app, hr, "/api/v1/onestop/dossiers", both.clone()).await;
    assert_eq!(r["unattributed_steps"], 2, "{r}");
    for code in ["HS-BEYOND", "HS-EARLIER"] {
        let step = only_step(&app, &w, code).await;
        assert_eq!(
            (&step["staff_id"], &step["handler_issue"]),
            (&Value::Null, &json!("unknown")),
            "{code}: the account says Lan did not do it: {step}"
        );
    }
    let lan = stats(&app, &w, w.member_a1.id).await;
    assert_eq!(
        (&lan["handled"], &lan["late"]),
        (&json!(0), &json!(0)),
        "{lan}"
    );
    let (_, violations) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/violations?staff_id={}&{}",
                w.member_a1.id,
                period()
            ),
        )
        .await;
    assert!(
        !violations.to_string().contains("overdue_task"),
        "the register follows: {violations}"
    );
    let (s, aside) = app.get(hr, "/api/v1/onestop/handlers/unmatched").await;
    assert_eq!(s, 200);
    let group = aside["items"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["account"] == "tuanlm"))
        .unwrap_or_else(|| panic!("{aside}"));
    assert_eq!(
        (&group["reason"], &group["steps"]),
        (&json!("unknown"), &json!(2)),
        "{group}"
    );

    // Whoever reaches B's officer attributes the steps to them by the account; A's HR
    // re-sending them later leaves them so.
    let r = send(
        &app,
        w.token("root"),
        "/api/v1/onestop/dossiers",
        both.clone(),
    )
    .await;
    assert_eq!(r["unattributed_steps"], 0, "{r}");
    let r = send(&app, hr, "/api/v1/onestop/dossiers", both).await;
    assert_eq!(
        (&r["unattributed_steps"], &r["unchanged"]),
        (&json!(0), &json!(2)),
        "{r}"
    );
    for code in ["HS-BEYOND", "HS-EARLIER"] {
        let step = only_step(&app, &w, code).await;
        assert_eq!(
            (&step["staff_id"], &step["matched_by"]),
            (&json!(w.member_b.id), &json!("account")),
            "{code}: {step}"
        );
    }
}

async fn a_second_round_of_the_same_step_is_a_step_of_its_own(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let entry = |start: i64, done: Option<i64>| {
        let mut e = json!({"MaHoSo": "HS-ROUNDS", "NguoiXuLy": "Nguyễn Thị Lan",
            "NoiDungXuLy": "Thẩm định hồ sơ", "NgayBatDau": ago(start, 9), "TrangThai": "1"});
        if let Some(d) = done {
            e["TrangThai"] = json!("2");
            e["ThoiDiemXuLy"] = json!(ago(d, 10));
        }
        e
    };
    // Lan examined the file, asked for a supplement, and examines it again.
    send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        json!({"MaHoSo": "HS-ROUNDS", "TenTTHC": "Cấp đổi giấy chứng nhận", "DonViXuLy": "A",
            "NgayTiepNhan": ago(12, 8), "NgayHenTra": ago(6, 17), "TrangThaiHoSo": "4",
            "NgayBoSung": ago(8, 11), "NgayTiepNhanBoSung": ago(4, 9),
            "QuaTrinhXuLy": [entry(12, Some(8))]}),
    )
    .await;
    let r = send(
        &app,
        hr,
        "/api/v1/onestop/progress",
        json!([entry(4, None)]),
    )
    .await;
    assert_eq!(r["updated"], 1, "{r}");
    let steps = steps_of(&app, &w, "HS-ROUNDS").await;
    assert_eq!(steps.len(), 2, "the second round is kept: {steps:?}");
    assert_eq!(
        (&steps[1]["received_at"], &steps[1]["finished_at"]),
        (&json!(shown(4, 9)), &Value::Null),
        "{steps:?}"
    );

    // Stale open re-sends add nothing and reopen nothing: the second round again, the
    // first round with its start, the first round without one.
    let mut no_start = entry(12, None);
    if let Some(o) = no_start.as_object_mut() {
        o.remove("NgayBatDau");
    }
    for stale in [entry(4, None), entry(12, None), no_start] {
        let r = send(&app, hr, "/api/v1/onestop/progress", json!([stale])).await;
        assert_eq!(r["unchanged"], 1, "{stale}: {r}");
    }
    let steps = steps_of(&app, &w, "HS-ROUNDS").await;
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!(steps[0]["finished_at"], shown(8, 10), "{steps:?}");

    // The second round done updates its own step.
    let r = send(
        &app,
        hr,
        "/api/v1/onestop/progress",
        json!([entry(4, Some(2))]),
    )
    .await;
    assert_eq!(r["updated"], 1, "{r}");
    let steps = steps_of(&app, &w, "HS-ROUNDS").await;
    let finished: Vec<&Value> = steps.iter().map(|s| &s["finished_at"]).collect();
    assert_eq!(
        finished,
        [&json!(shown(8, 10)), &json!(shown(2, 10))],
        "{steps:?}"
    );
}

async fn the_dispute_window_counts_from_the_deadline_moved_by_the_pause(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    // Lan's step was due 20 days ago, but the clock stood still for 13 days while the
    // citizen supplemented: it fell overdue 7 days ago, inside the 10-day window. The
    // other step's 3-day pause leaves its deadline 37 days ago: past the window.
    let dossier = |code: &str, due: i64, pause: (i64, i64), step_due: i64| {
        json!({"MaHoSo": code, "TenTTHC": "Cấp giấy phép", "DonViXuLy": "A",
            "NgayTiepNhan": ago(50, 8), "NgayHenTra": ago(due, 17), "TrangThaiHoSo": "4",
            "NgayBoSung": ago(pause.0, 8), "NgayTiepNhanBoSung": ago(pause.1, 8),
            "QuaTrinhXuLy": [{"NguoiXuLy": "Nguyễn Thị Lan", "NoiDungXuLy": "Thẩm định hồ sơ",
                "TrangThai": "1", "NgayBatDau": ago(50, 8),
                "NgayKetThucTheoQuyDinh": ago(step_due, 17)}]})
    };
    send(
        &app,
        w.token("hr_a"),
        "/api/v1/onestop/dossiers",
        json!([
            dossier("HS-PAUSED", 16, (25, 12), 20),
            dossier("HS-LONG-AGO", 35, (45, 42), 40)
        ]),
    )
    .await;
    let paused = only_step(&app, &w, "HS-PAUSED").await;
    assert_eq!(paused["outcome"], "overdue", "{paused}");
    let (s, d) = app
        .post(
            w.token("staff_a1"),
            "/api/v1/disputes",
            json!({"step_id": paused["id"], "reason": "Chờ công dân bổ sung"}),
        )
        .await;
    assert_eq!(s, 201, "the pause moves the window too: {d}");
    let old = only_step(&app, &w, "HS-LONG-AGO").await;
    assert_eq!(old["outcome"], "overdue", "{old}");
    let (s, e) = app
        .post(
            w.token("staff_a1"),
            "/api/v1/disputes",
            json!({"step_id": old["id"], "reason": "x"}),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    assert!(e.to_string().contains("has passed"), "{e}");
}

/// A namesake who had left before the step is no candidate for it: Lan, the only "Nguyễn
/// Thị Lan" in service then, is matched by name; a step from when both served stays
/// ambiguous.
async fn a_namesake_who_had_left_is_no_candidate(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let left_on = crate::attendance::today() - chrono::Duration::days(20);
    let (s, former) = app
        .post(
            w.token("root"),
            "/api/v1/staff",
            json!({"code": "S-A-OLD", "full_name": "Nguyễn Thị Lan", "unit_id": w.a.id,
                "category": "cong_chuc", "left_on": left_on.to_string()}),
        )
        .await;
    assert_eq!(s, 201, "{former}");
    let dossier = |code: &str, days: i64| {
        json!({"MaHoSo": code, "TenTTHC": "Cấp giấy phép xây dựng", "DonViXuLy": "A",
            "NgayTiepNhan": ago(days + 2, 8), "NgayHenTra": ago(days - 1, 17),
            "NgayKetThucXuLy": ago(days, 10), "TrangThaiHoSo": "10",
            "QuaTrinhXuLy": [{"NguoiXuLy": "Nguyễn Thị Lan", "NoiDungXuLy": "Thẩm định hồ sơ",
                "TrangThai": "2", "NgayBatDau": ago(days + 2, 9), "ThoiDiemXuLy": ago(days, 10)}]})
    };
    let hr = w.token("hr_a");
    send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        json!([dossier("HS-AFTER", 5), dossier("HS-BEFORE", 30)]),
    )
    .await;
    let after = only_step(&app, &w, "HS-AFTER").await;
    assert_eq!(
        (&after["staff_id"], &after["matched_by"]),
        (&json!(w.member_a1.id), &json!("name")),
        "{after}"
    );
    let (s, v) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/dossiers?unit_id={}&from={}&to={}",
                w.a.id,
                crate::attendance::today() - chrono::Duration::days(60),
                crate::attendance::today()
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let before = v["items"]
        .as_array()
        .and_then(|l| l.iter().find(|d| d["code"] == "HS-BEFORE"))
        .map(|d| d["steps"][0].clone())
        .unwrap();
    assert_eq!(
        before["staff_id"],
        Value::Null,
        "both served then: {before}"
    );
}

/// The handlers kept aside offer as candidates only the namesakes in service at the time
/// of the steps: a Lan who left before them is not offered.
async fn the_unmatched_list_offers_no_departed_namesake(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let left_on = crate::attendance::today() - chrono::Duration::days(20);
    let mut lans = vec![w.member_a1.id];
    for (code, left) in [("S-A-OLD", Some(left_on.to_string())), ("S-A-NEW", None)] {
        let (s, lan) = app
            .post(
                w.token("root"),
                "/api/v1/staff",
                json!({"code": code, "full_name": "Nguyễn Thị Lan", "unit_id": w.a.id,
                    "category": "cong_chuc", "left_on": left}),
            )
            .await;
        assert_eq!(s, 201, "{lan}");
        if left.is_none() {
            lans.push(lan["id"].as_i64().unwrap());
        }
    }
    let hr = w.token("hr_a");
    send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        json!([{"MaHoSo": "HS-LAN", "TenTTHC": "Cấp giấy phép xây dựng", "DonViXuLy": "A",
            "NgayTiepNhan": ago(7, 8), "NgayHenTra": ago(4, 17),
            "NgayKetThucXuLy": ago(5, 10), "TrangThaiHoSo": "10",
            "QuaTrinhXuLy": [{"NguoiXuLy": "Nguyễn Thị Lan", "NoiDungXuLy": "Thẩm định hồ sơ",
                "TrangThai": "2", "NgayBatDau": ago(7, 9), "ThoiDiemXuLy": ago(5, 10)}]}]),
    )
    .await;
    let (s, aside) = app.get(hr, "/api/v1/onestop/handlers/unmatched").await;
    assert_eq!(s, 200, "{aside}");
    let group = aside["items"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["name"] == "Nguyễn Thị Lan"))
        .unwrap_or_else(|| panic!("{aside}"));
    assert_eq!(group["reason"], "ambiguous", "{group}");
    let mut offered: Vec<i64> = group["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["staff_id"].as_i64().unwrap())
        .collect();
    offered.sort_unstable();
    lans.sort_unstable();
    assert_eq!(offered, lans, "{group}");
}

/// A's head given the admin role on A too, logged in again.
pub(crate) async fn head_as_admin(app: &TestApp, w: &World) -> String {
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/users/{}", w.user_ids["head_a"]),
            json!({"roles": [{"role": "unit_head", "unit_id": w.a.id},
                             {"role": "admin", "unit_id": w.a.id}]}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    app.token("head_a", crate::helpers::PASSWORD).await
}

/// Attributing a step by hand moves its lateness: an administrator does not move a late
/// step of their own, nor one of an officer beyond their reach; one over both may.
async fn a_step_is_not_moved_by_its_officer_nor_from_beyond_reach(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let admin_head = head_as_admin(&app, &w).await;
    let own = late_file_line("HS-OWN").replace(",S-A1,", ",S-HEAD-A,");
    let beyond = late_file_line("HS-BEYOND").replace(",S-A1,", ",S-B,");
    crate::dossier_register::import(&app, w.token("admin_p"), &[&own, &beyond]).await;
    let to_member = json!({"staff_id": w.member_a1.id});
    for (code, officer) in [("HS-OWN", w.head_a.id), ("HS-BEYOND", w.member_b.id)] {
        let step = only_step(&app, &w, code).await;
        let path = format!("/api/v1/dossier-steps/{}/handler", step["id"]);
        let (s, body) = app.put(&admin_head, &path, to_member.clone()).await;
        assert_eq!(s, 403, "{code}: {body}");
        // Nor by a file naming someone else for the step: the step keeps its officer,
        // and the rest of the line (here its end, a day later) is taken.
        let line = late_file_line(code);
        let line = format!("{}{}", &line[..=line.rfind(',').unwrap()], ago(2, 10));
        let report = crate::dossier_register::import_report(&app, &admin_head, &[&line]).await;
        assert!(
            report["rejected"][0]["errors"]["step_staff_code"].is_array(),
            "{code}: {report}"
        );
        let kept = only_step(&app, &w, code).await;
        assert_eq!(kept["staff_id"], officer);
        assert_eq!(kept["finished_at"], shown(2, 10), "{kept}");
        assert_eq!(stats(&app, &w, officer).await["late"], 1, "{code}");
        let (s, body) = app.put(w.token("admin_p"), &path, to_member.clone()).await;
        assert_eq!(s, 200, "{code}: {body}");
    }
    assert_eq!(stats(&app, &w, w.member_a1.id).await["late"], 2);
    // Nor does one take a step onto themself, by hand or by an account or alias of
    // their own: that moves lateness too, onto (or here, an on-time step's credit to)
    // their own record.
    let step = only_step(&app, &w, "HS-OWN").await;
    let path = format!("/api/v1/dossier-steps/{}/handler", step["id"]);
    let (s, body) = app
        .put(&admin_head, &path, json!({"staff_id": w.head_a.id}))
        .await;
    assert_eq!(s, 403, "{body}");
    let handles = format!("/api/v1/staff/{}/onestop-handles", w.head_a.id);
    let (s, body) = app
        .post(
            &admin_head,
            &handles,
            json!({"kind": "alias", "value": "Hùng"}),
        )
        .await;
    assert_eq!(s, 403, "{body}");
    assert_eq!(
        only_step(&app, &w, "HS-OWN").await["staff_id"],
        w.member_a1.id
    );
    // Nor by a file naming themself for a colleague's step.
    crate::dossier_register::import(&app, w.token("admin_p"), &[&late_file_line("HS-TAKE")]).await;
    let line = late_file_line("HS-TAKE").replace(",S-A1,", ",S-HEAD-A,");
    let report = crate::dossier_register::import_report(&app, &admin_head, &[&line]).await;
    assert!(
        report["rejected"][0]["errors"]["step_staff_code"].is_array(),
        "{report}"
    );
    assert_eq!(
        only_step(&app, &w, "HS-TAKE").await["staff_id"],
        w.member_a1.id
    );
    let (s, body) = app
        .post(
            w.token("admin_p"),
            &handles,
            json!({"kind": "alias", "value": "Hùng"}),
        )
        .await;
    assert_eq!(s, 201, "another administrator maps it: {body}");
}

both!(
    a_step_is_not_moved_by_its_officer_nor_from_beyond_reach,
    the_unmatched_list_offers_no_departed_namesake,
    a_namesake_who_had_left_is_no_candidate,
    a_re_sent_feed_never_moves_a_disputed_step,
    an_account_held_beyond_reach_blames_no_namesake,
    a_second_round_of_the_same_step_is_a_step_of_its_own,
    the_dispute_window_counts_from_the_deadline_moved_by_the_pause,
);
