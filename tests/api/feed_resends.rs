//! A processing-log entry the vendor sends again with its fields otherwise — the start
//! left out, the account missing, the action text gone — is the step it was, not a
//! second step counted again in the officer's handled and late steps.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp, World};
use crate::onestop_fixes::{ago, late_dossier, only_step, send, shown, stats};

/// A log entry as another send has it: these fields left out, those set.
fn edited(entry: &Value, remove: &[&str], set: &[(&str, Value)]) -> Value {
    let mut e = entry.clone();
    if let Some(o) = e.as_object_mut() {
        for f in remove {
            o.remove(*f);
        }
        for (f, v) in set {
            o.insert((*f).to_owned(), v.clone());
        }
    }
    e
}

/// The dossier of `late_dossier` with these fields left out of its entry.
fn without(dossier: &Value, fields: &[&str]) -> Value {
    let mut d = dossier.clone();
    d["QuaTrinhXuLy"][0] = edited(&d["QuaTrinhXuLy"][0], fields, &[]);
    d
}

/// Lan's handled and late steps are one each: the step counted once.
async fn lan_handled_one_late_step(app: &TestApp, w: &World) {
    let lan = stats(app, w, w.member_a1.id).await;
    assert_eq!(
        (&lan["handled"], &lan["late"]),
        (&json!(1), &json!(1)),
        "{lan}"
    );
}

async fn a_late_step_resent_otherwise_is_counted_once(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let dossier = late_dossier("HS-RESENT", "lan.nt", 7);
    send(&app, hr, "/api/v1/onestop/dossiers", json!([dossier])).await;
    let step = only_step(&app, &w, "HS-RESENT").await;
    assert_eq!(step["staff_id"], w.member_a1.id, "{step}");
    let register = app.count("violations");

    // The other service leaves NgayBatDau out: the same step, its start kept.
    let r = send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        json!([without(&dossier, &["NgayBatDau"])]),
    )
    .await;
    assert_eq!(r["unchanged"], 1, "{r}");
    // An export without the account, and one without the action: the same step.
    for fields in [&["TaiKhoanXuLy"][..], &["NoiDungXuLy", "NgayBatDau"]] {
        send(
            &app,
            hr,
            "/api/v1/onestop/dossiers",
            json!([without(&dossier, fields)]),
        )
        .await;
    }
    // Nor is the step's deadline gone when a service leaves it out.
    for fields in [
        &["NgayKetThucTheoQuyDinh"][..],
        &["NgayBatDau", "NgayKetThucTheoQuyDinh"],
    ] {
        let r = send(
            &app,
            hr,
            "/api/v1/onestop/dossiers",
            json!([without(&dossier, fields)]),
        )
        .await;
        assert_eq!(r["unchanged"], 1, "{r}");
    }
    let step = only_step(&app, &w, "HS-RESENT").await;
    assert_eq!(
        (&step["staff_id"], &step["received_at"], &step["due_at"]),
        (
            &json!(w.member_a1.id),
            &json!(shown(10, 9)),
            &json!(shown(7, 17))
        ),
        "{step}"
    );
    lan_handled_one_late_step(&app, &w).await;
    assert_eq!(app.count("violations"), register, "one register entry");

    // Another round by Lan, begun after the first was done, is still a step of its own.
    let mut again = dossier.clone();
    again["QuaTrinhXuLy"][0]["NgayBatDau"] = json!(ago(2, 9));
    again["QuaTrinhXuLy"][0]["ThoiDiemXuLy"] = json!(ago(1, 10));
    send(&app, hr, "/api/v1/onestop/dossiers", json!([again])).await;
    let steps = crate::onestop_fixes::steps_of(&app, &w, "HS-RESENT").await;
    assert_eq!(steps.len(), 2, "{steps:?}");
}

async fn an_open_step_done_without_its_start_is_closed(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let entry = json!({"MaHoSo": "HS-CLOSED", "NguoiXuLy": "Nguyễn Thị Lan",
        "TaiKhoanXuLy": "lan.nt", "NoiDungXuLy": "Thẩm định hồ sơ", "TrangThai": "1",
        "NgayBatDau": ago(6, 9), "NgayKetThucTheoQuyDinh": ago(4, 17)});
    send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        json!({"MaHoSo": "HS-CLOSED", "TenTTHC": "Cấp giấy phép xây dựng", "DonViXuLy": "A",
            "NgayTiepNhan": ago(6, 8), "NgayHenTra": ago(1, 17), "TrangThaiHoSo": "4",
            "QuaTrinhXuLy": [entry.clone()]}),
    )
    .await;
    // The progress service reports it done, without NgayBatDau and without the account.
    let done = edited(
        &entry,
        &["NgayBatDau", "TaiKhoanXuLy"],
        &[
            ("TrangThai", json!("2")),
            ("ThoiDiemXuLy", json!(ago(3, 10))),
        ],
    );
    let r = send(&app, hr, "/api/v1/onestop/progress", json!([done])).await;
    assert_eq!(r["updated"], 1, "{r}");
    // One step, done, with the start the log gave: no open copy left to fall overdue.
    let step = only_step(&app, &w, "HS-CLOSED").await;
    assert_eq!(
        (&step["received_at"], &step["finished_at"]),
        (&json!(shown(6, 9)), &json!(shown(3, 10))),
        "{step}"
    );
    lan_handled_one_late_step(&app, &w).await;
    // Sent again, it changes nothing.
    let r = send(&app, hr, "/api/v1/onestop/progress", json!([done])).await;
    assert_eq!(r["unchanged"], 1, "{r}");
}

/// One log carrying the step in progress (with its start) and done (without it), the
/// account sent by one service and not the other, and an officer's next holding sent
/// without its action: one step each, and re-sends change nothing.
async fn mixed_forms_in_one_log_and_across_sends(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let open = json!({"NguoiXuLy": "Người xử lý", "TaiKhoanXuLy": "acc-lan",
        "NoiDungXuLy": "Thẩm định hồ sơ", "TrangThai": "1", "NgayBatDau": ago(6, 9)});
    let done = edited(
        &open,
        &["NgayBatDau"],
        &[
            ("TrangThai", json!("2")),
            ("ThoiDiemXuLy", json!(ago(5, 10))),
        ],
    );
    let dossier = |log: Value| {
        json!({"MaHoSo": "HS-MIXED", "TenTTHC": "Cấp giấy phép xây dựng", "DonViXuLy": "A",
            "NgayTiepNhan": ago(6, 8), "NgayHenTra": ago(1, 17), "TrangThaiHoSo": "4",
            "QuaTrinhXuLy": log})
    };
    send(&app, hr, "/api/v1/onestop/dossiers", dossier(json!([open]))).await;
    // The same log, now with the step done as well: still one step, done. And a dossier
    // whose first log carries both forms: one step, with the start the open form gave.
    let both = dossier(json!([open, done]));
    send(&app, hr, "/api/v1/onestop/dossiers", both.clone()).await;
    let mut fresh = both.clone();
    fresh["MaHoSo"] = json!("HS-MIXED-NEW");
    send(&app, hr, "/api/v1/onestop/dossiers", fresh).await;
    for code in ["HS-MIXED", "HS-MIXED-NEW"] {
        let step = only_step(&app, &w, code).await;
        assert_eq!(
            (&step["received_at"], &step["finished_at"]),
            (&json!(shown(6, 9)), &json!(shown(5, 10))),
            "{code}: {step}"
        );
    }
    // Without the account: the account stays, so mapping it later still attributes.
    let nameless = edited(&done, &["TaiKhoanXuLy"], &[]);
    for log in [json!([nameless]), json!([done]), json!([nameless])] {
        let r = send(&app, hr, "/api/v1/onestop/dossiers", dossier(log)).await;
        assert_eq!(r["unchanged"], 1, "{r}");
    }
    let r = send(&app, hr, "/api/v1/onestop/dossiers", both).await;
    assert_eq!(r["unchanged"], 1, "{r}");
    let (s, v) = app
        .post(
            w.token("root"),
            &format!("/api/v1/staff/{}/onestop-handles", w.member_a1.id),
            json!({"kind": "account", "value": "acc-lan"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["attributed"], 2, "one step in each dossier: {v}");
    // Her next holding, open and without an action: a step of its own.
    let holding = edited(
        &nameless,
        &["NoiDungXuLy", "ThoiDiemXuLy"],
        &[("TrangThai", json!("1"))],
    );
    let r = send(
        &app,
        hr,
        "/api/v1/onestop/progress",
        json!([{"MaHoSo": "HS-MIXED", "QuaTrinhXuLy": [holding]}]),
    )
    .await;
    assert_eq!(r["updated"], 1, "{r}");
    let steps = crate::onestop_fixes::steps_of(&app, &w, "HS-MIXED").await;
    assert_eq!(steps.len(), 2, "{steps:?}");
}

/// A dossier first imported by file (the CSV of the API) and then sent by the feed, as
/// when a province moves from exports to the portal's feed: the file's step is the log's
/// entry, not a second step; with the start or without it in the log, and after.
async fn a_step_imported_by_file_is_the_feeds_entry(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    for (code, form) in [("HS-FILE", &[][..]), ("HS-FILE-2", &["NgayBatDau"][..])] {
        let line = crate::onestop_fixes::late_file_line(code);
        let r = crate::dossier_register::import(&app, hr, &[&line]).await;
        assert_eq!(r["created"], 1, "{r}");
        let register = app.count("violations");
        let dossier = without(&late_dossier(code, "lan.nt", 7), form);
        send(&app, hr, "/api/v1/onestop/dossiers", json!([dossier])).await;
        let step = only_step(&app, &w, code).await;
        assert_eq!(
            (&step["staff_id"], &step["received_at"], &step["matched_by"]),
            (&json!(w.member_a1.id), &json!(shown(10, 9)), &json!("name")),
            "{code}: {step}"
        );
        assert_eq!(
            app.count("violations"),
            register,
            "{code}: one register entry"
        );
        // Either form of the entry is that step from now on. (The first start the log
        // gives goes into the step's key: one update.)
        let forms = [&[][..], &["NgayBatDau"][..]];
        for (round, again) in forms.iter().chain(forms.iter()).enumerate() {
            let r = send(
                &app,
                hr,
                "/api/v1/onestop/dossiers",
                json!([without(&late_dossier(code, "lan.nt", 7), again)]),
            )
            .await;
            assert_eq!(r["rejected"], json!([]), "{r}");
            if round > 0 {
                assert_eq!(r["unchanged"], 1, "{code}, send {round}: {r}");
            }
        }
        assert_eq!(
            app.count("violations"),
            register,
            "{code}: one register entry"
        );
        // The feed writes the dossier now: a file may no longer number its steps.
        let r = crate::dossier_register::import_report(&app, hr, &[&line]).await;
        assert_eq!(
            r["rejected"][0]["errors"]["code"][0],
            "the national portal's feed writes this dossier: send it by the feed only",
            "{code}: {r}"
        );
        assert_eq!(only_step(&app, &w, code).await["received_at"], shown(10, 9));
    }
    let lan = stats(&app, &w, w.member_a1.id).await;
    assert_eq!(
        (&lan["handled"], &lan["late"]),
        (&json!(2), &json!(2)),
        "{lan}"
    );
}

/// The log's forms of a step first imported by file: in progress with its start and done
/// without it in one log (one step, the file's); an open entry for another task after the
/// file's step was done (a step of its own); a start the log gives later, an hour off the
/// file's (still that step, with the log's start).
async fn the_logs_forms_of_a_file_step(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let file = |code: &str| {
        format!(
            "{code},Cấp giấy phép xây dựng,A,{},{},,in_progress,1,S-A1,{},{},{}",
            ago(6, 8),
            ago(1, 17),
            ago(6, 9),
            ago(4, 17),
            ago(5, 10)
        )
    };
    let open = json!({"NguoiXuLy": "Nguyễn Thị Lan", "TaiKhoanXuLy": "lan.nt",
        "NoiDungXuLy": "Thẩm định hồ sơ", "TrangThai": "1", "NgayBatDau": ago(6, 9)});
    let done = edited(
        &open,
        &["NgayBatDau"],
        &[
            ("TrangThai", json!("2")),
            ("ThoiDiemXuLy", json!(ago(5, 10))),
        ],
    );
    let dossier = |code: &str, log: Value| {
        json!({"MaHoSo": code, "TenTTHC": "Cấp giấy phép xây dựng", "DonViXuLy": "A",
            "NgayTiepNhan": ago(6, 8), "NgayHenTra": ago(1, 17), "TrangThaiHoSo": "4",
            "QuaTrinhXuLy": log})
    };
    let lines: Vec<String> = [
        "HS-FILE-3",
        "HS-FILE-4",
        "HS-FILE-5",
        "HS-FILE-6",
        "HS-FILE-7",
    ]
    .into_iter()
    .map(file)
    .collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    crate::dossier_register::import(&app, hr, &lines).await;

    let log = dossier("HS-FILE-3", json!([open, done]));
    send(&app, hr, "/api/v1/onestop/dossiers", log.clone()).await;
    let step = only_step(&app, &w, "HS-FILE-3").await;
    assert_eq!(
        (&step["received_at"], &step["finished_at"], &step["action"]),
        (
            &json!(shown(6, 9)),
            &json!(shown(5, 10)),
            &json!("Thẩm định hồ sơ")
        ),
        "{step}"
    );
    let r = send(&app, hr, "/api/v1/onestop/dossiers", log).await;
    assert_eq!(r["unchanged"], 1, "{r}");

    let holding = edited(
        &open,
        &["NgayBatDau"],
        &[("NoiDungXuLy", json!("Trả kết quả"))],
    );
    send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        dossier("HS-FILE-4", json!([holding])),
    )
    .await;
    let steps = crate::onestop_fixes::steps_of(&app, &w, "HS-FILE-4").await;
    assert_eq!(
        steps.len(),
        2,
        "the holding is a step of its own: {steps:?}"
    );

    send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        dossier("HS-FILE-5", json!([done])),
    )
    .await;
    let later = edited(&done, &[], &[("NgayBatDau", json!(ago(6, 10)))]);
    send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        dossier("HS-FILE-5", json!([later])),
    )
    .await;
    let step = only_step(&app, &w, "HS-FILE-5").await;
    assert_eq!(step["received_at"], shown(6, 10), "the log's start: {step}");

    // The step in progress logged without its start, and done, in one log: one step.
    let logged = edited(
        &open,
        &["NgayBatDau"],
        &[("ThoiDiemXuLy", json!(ago(6, 9)))],
    );
    send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        dossier("HS-FILE-6", json!([logged, done])),
    )
    .await;
    only_step(&app, &w, "HS-FILE-6").await;
    // First sent with a start an hour off the file's, done when the file says: that step.
    send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        dossier("HS-FILE-7", json!([later])),
    )
    .await;
    let step = only_step(&app, &w, "HS-FILE-7").await;
    assert_eq!(step["received_at"], shown(6, 10), "the log's start: {step}");
}

/// The dossier with this code as `GET /dossiers` shows it.
async fn dossier_of(app: &TestApp, w: &World, code: &str) -> Value {
    let today = crate::attendance::today();
    let (s, v) = app
        .get(
            w.token("root"),
            &format!(
                "/api/v1/dossiers?unit_id={}&from={}&to={today}",
                w.a.id,
                today - chrono::Duration::days(60)
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["items"]
        .as_array()
        .and_then(|list| list.iter().find(|d| d["code"] == code))
        .cloned()
        .unwrap_or_else(|| panic!("no dossier {code} in {v}"))
}

/// A send that leaves the reschedule or the supplement out keeps what is stored: before,
/// `NgayHenTra` alone (the apology's new date) made a late dossier early, and a send
/// without `NgayBoSung` un-moved the deadline its pause had moved. A key sent empty
/// (`null`) still clears.
async fn a_resend_without_the_reschedule_or_the_supplement_keeps_them(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let mut apology = late_dossier("HS-APOLOGY", "lan.nt", 7);
    apology["NgayHenTra"] = json!(ago(2, 17));
    apology["NgayHenTraTruoc"] = json!(ago(6, 17));
    apology["NgayHenTraMoi"] = json!(ago(2, 17));
    let mut paused = late_dossier("HS-PAUSE", "lan.nt", 7);
    paused["NgayBoSung"] = json!(ago(8, 8));
    paused["NgayTiepNhanBoSung"] = json!(ago(5, 8));
    send(
        &app,
        hr,
        "/api/v1/onestop/dossiers",
        json!([apology, paused]),
    )
    .await;
    let seen = |d: Value| (d["outcome"].clone(), d["due_at"].clone());
    let first = (
        seen(dossier_of(&app, &w, "HS-APOLOGY").await),
        seen(dossier_of(&app, &w, "HS-PAUSE").await),
    );
    assert_eq!(
        first,
        (
            (json!("late"), json!(shown(6, 17))),
            (json!("early"), json!(shown(4, 17)))
        )
    );
    let mut plain = [apology.clone(), paused.clone()];
    for (d, keys) in plain.iter_mut().zip([
        &["NgayHenTraTruoc", "NgayHenTraMoi"][..],
        &["NgayBoSung", "NgayTiepNhanBoSung"],
    ]) {
        for k in keys {
            d.as_object_mut().unwrap().remove(*k);
        }
    }
    let r = send(&app, hr, "/api/v1/onestop/dossiers", json!(plain)).await;
    assert_eq!(r["unchanged"], 2, "{r}");
    let again = (
        seen(dossier_of(&app, &w, "HS-APOLOGY").await),
        seen(dossier_of(&app, &w, "HS-PAUSE").await),
    );
    assert_eq!(again, first);
    // Sent empty, the supplement is cleared: the deadline is the promised one again.
    paused["NgayBoSung"] = json!(null);
    paused["NgayTiepNhanBoSung"] = json!(null);
    send(&app, hr, "/api/v1/onestop/dossiers", json!([paused])).await;
    assert_eq!(dossier_of(&app, &w, "HS-PAUSE").await["outcome"], "late");
}

both!(
    a_resend_without_the_reschedule_or_the_supplement_keeps_them,
    mixed_forms_in_one_log_and_across_sends,
    a_late_step_resent_otherwise_is_counted_once,
    an_open_step_done_without_its_start_is_closed,
    a_step_imported_by_file_is_the_feeds_entry,
    the_logs_forms_of_a_file_step,
);
