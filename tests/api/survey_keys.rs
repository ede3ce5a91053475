//! Survey answers under their sender's key: a retry, or an export imported twice, is
//! counted once; the same key with other values is refused and the first answer stands.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp, World};
use crate::survey_fixes::{import, rejected_lines};

async fn index(app: &TestApp, w: &World) -> Value {
    let (s, v) = app
        .get(
            w.token("head_a"),
            &format!(
                "/api/v1/stats/satisfaction?unit_id={}&from=2026-03-01&to=2026-03-31",
                w.a.id
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn an_answer_sent_again_under_its_key_counts_once(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let head = w.token("head_a");
    // Nanoseconds, as some kiosks send them: the retry must still compare equal.
    let answer = json!({"unit_id": w.a1.id, "submitted_at": "2026-03-02T10:00:00.123456789+07:00",
        "satisfied": false, "staff_id": w.member_a1.id, "idempotency_key": "KIOSK-7:1042"});
    let (s, first) = app.post(head, "/api/v1/surveys", answer.clone()).await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["idempotency_key"], "KIOSK-7:1042");
    let (s, again) = app.post(head, "/api/v1/surveys", answer.clone()).await;
    assert_eq!(s, 200, "the retry finds the answer: {again}");
    assert_eq!(again["id"], first["id"]);
    let mut changed = answer.clone();
    changed["satisfied"] = json!(true);
    let (s, body) = app.post(head, "/api/v1/surveys", changed).await;
    assert_eq!(s, 409, "{body}");
    assert!(body["errors"]["idempotency_key"].is_array(), "{body}");
    // Without a key every answer is a new one, as before.
    let mut unkeyed = answer.clone();
    unkeyed.as_object_mut().unwrap().remove("idempotency_key");
    let (s, _) = app.post(head, "/api/v1/surveys", unkeyed).await;
    assert_eq!(s, 201);
    let stats = index(&app, &w).await;
    assert_eq!(
        (&stats["responses"], &stats["satisfied"]),
        (&json!(2), &json!(0)),
        "{stats}"
    );
}

async fn an_export_imported_twice_counts_once(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let csv = "unit_code,submitted_at,satisfied,score,staff_code,comment,idempotency_key\n\
        A1,20260310090000,,3,S-A1,Chờ lâu,DG-1\n\
        A1,20260311090000,có,,S-A1,Nhiệt tình,DG-2\n\
        A1,20260312090000,có,,,,\n";
    let first = import(&app, hr, csv).await;
    assert_eq!(
        (&first["created"], &first["unchanged"]),
        (&json!(3), &json!(0)),
        "{first}"
    );
    // The next week's export overlaps the last: the keyed answers are not counted again,
    // and one whose values changed under its key is reported.
    let next = "unit_code,submitted_at,satisfied,score,staff_code,comment,idempotency_key\n\
        A1,20260310090000,,3,S-A1,Chờ lâu,DG-1\n\
        A1,20260311090000,không,,S-A1,Nhiệt tình,DG-2\n\
        A1,20260313090000,có,,,,DG-3\n";
    let report = import(&app, hr, next).await;
    assert_eq!(
        (&report["created"], &report["unchanged"]),
        (&json!(1), &json!(1)),
        "{report}"
    );
    assert_eq!(rejected_lines(&report), vec![3], "{report}");
    assert!(
        report["rejected"][0]["errors"]["idempotency_key"].is_array(),
        "{report}"
    );
    assert_eq!(app.count("surveys"), 4);
    let stats = index(&app, &w).await;
    assert_eq!(
        (&stats["responses"], &stats["satisfied"]),
        (&json!(4), &json!(3)),
        "{stats}"
    );
}

/// A kiosk that retries before the first send's answer arrives: the same key at the same
/// moment is recorded once, and every send gets the answer.
async fn the_same_key_at_once_is_recorded_once(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let answer = json!({"unit_id": w.a1.id, "submitted_at": "2026-03-02T10:00:00+07:00",
        "score": 5, "idempotency_key": "KIOSK-7:2001"});
    let send = || app.post(w.token("head_a"), "/api/v1/surveys", answer.clone());
    let (a, b2, c, d) = tokio::join!(send(), send(), send(), send());
    let mut statuses = vec![a.0, b2.0, c.0, d.0];
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 200, 200, 201], "{:?}", (a.1, b2.1));
    assert_eq!(app.count("surveys"), 1);
}

/// A kiosk sends an answer live (milliseconds, a trailing space in the comment), and its
/// weekly export carries it again (whole seconds, cells trimmed): the same answer.
async fn a_live_answer_and_its_export_line_are_one_answer(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let (s, first) = app
        .post(
            hr,
            "/api/v1/surveys",
            json!({"unit_id": w.a1.id, "submitted_at": "2026-03-02T10:00:00.250+07:00",
                   "satisfied": true, "comment": "Tốt ", "idempotency_key": "K1:7"}),
        )
        .await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["comment"], "Tốt", "stored trimmed, as a line's cell");
    let csv = "unit_code,submitted_at,satisfied,score,staff_code,comment,idempotency_key\n\
        A1,20260302100000,có,,,Tốt ,K1:7\n";
    let report = import(&app, hr, csv).await;
    assert_eq!(
        (
            &report["created"],
            &report["unchanged"],
            &report["rejected"]
        ),
        (&json!(0), &json!(1), &json!([])),
        "{report}"
    );
    assert_eq!(app.count("surveys"), 1);
}

/// Who keyed in an answer is on the audit trail: answers raise a unit's index, and so
/// its reform cap and its head's accountability.
async fn entered_answers_are_audited(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    let (s, one) = app
        .post(
            hr,
            "/api/v1/surveys",
            json!({"unit_id": w.a1.id, "submitted_at": "2026-03-02T10:00:00+07:00", "score": 5}),
        )
        .await;
    assert_eq!(s, 201, "{one}");
    let csv = "unit_code,submitted_at,satisfied,score,staff_code,comment,idempotency_key\n\
        A1,20260303090000,có,,,,DG-1\n\
        A1,20260304090000,có,,,,DG-2\n";
    let report = import(&app, hr, csv).await;
    assert_eq!(report["created"], 2, "{report}");
    // Sent again: found, not entered again, so not audited again.
    import(&app, hr, csv).await;
    let (s, audit) = app
        .get(w.token("root"), "/api/v1/audit?entity=survey")
        .await;
    assert_eq!(s, 200, "{audit}");
    assert_eq!(audit["total"], 3, "{audit}");
    let rows = audit["items"].as_array().unwrap();
    assert!(
        rows.iter()
            .all(|r| r["action"] == "create" && r["actor_user_id"] == w.user_ids["hr_a"]),
        "{audit}"
    );
    assert!(rows.iter().any(|r| r["entity_id"] == one["id"]), "{audit}");
}

/// What either path refuses: a date before any record (PostgreSQL cannot even store some),
/// an import line's cells over the JSON's limits, and a satisfaction query naming a unit
/// and an officer at once (the unit was silently dropped).
async fn answers_out_of_bounds_are_refused(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let hr = w.token("hr_a");
    for when in ["0900-01-01T00:00:00+07:00", "1989-12-31T23:59:59+07:00"] {
        let (s, problem) = app
            .post(
                hr,
                "/api/v1/surveys",
                json!({"unit_id": w.a1.id, "submitted_at": when, "satisfied": true}),
            )
            .await;
        assert_eq!(s, 422, "{when}: {problem}");
        assert!(problem["errors"]["submitted_at"].is_array(), "{problem}");
    }
    let long_comment = "x".repeat(2001);
    let long_code = "D".repeat(101);
    let csv = format!(
        "unit_code,submitted_at,satisfied,score,staff_code,dossier_code,comment\n\
         A1,20260303090000,có,,,,{long_comment}\n\
         A1,20260303090000,có,,,{long_code},\n\
         A1,20260303090000,có,,,D-1,Được\n"
    );
    let report = import(&app, hr, &csv).await;
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(rejected_lines(&report), vec![2, 3], "{report}");
    assert!(
        report["rejected"][0]["errors"]["comment"].is_array(),
        "{report}"
    );
    assert!(
        report["rejected"][1]["errors"]["dossier_code"].is_array(),
        "{report}"
    );
    assert_eq!(app.count("surveys"), 1);
    let (s, problem) = app
        .get(
            w.token("head_a"),
            &format!(
                "/api/v1/stats/satisfaction?unit_id={}&staff_id={}&from=2026-03-01&to=2026-03-31",
                w.a.id, w.member_a1.id
            ),
        )
        .await;
    assert_eq!(s, 422, "{problem}");
    assert!(problem["errors"]["staff_id"].is_array(), "{problem}");
}

both!(
    an_answer_sent_again_under_its_key_counts_once,
    the_same_key_at_once_is_recorded_once,
    an_export_imported_twice_counts_once,
    a_live_answer_and_its_export_line_are_one_answer,
    entered_answers_are_audited,
    answers_out_of_bounds_are_refused,
);
