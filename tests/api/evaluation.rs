//! Rating policies through the API, and the annual evaluation end to end: from recorded
//! dossiers, discipline and service dates to proposals with the rules behind them, HR's
//! decisions, re-runs that keep them, and who may see what.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Backend, TestApp, World};

/// A province overlay for the test province "P", like Khánh Hòa's KL 91.
pub(crate) const OVERLAY: &str = r#"
code = "p-late-dossiers"
name = "Tỉnh P: hồ sơ trễ hạn"
source = "Quy định thử nghiệm"
kind = "overlay"
province = "P"
effective_from = "2024-01-01"
categories = ["can_bo", "cong_chuc", "vien_chuc"]

[[rule]]
kind = "threshold"
name = "Tỷ lệ hồ sơ trễ hạn từ 10% trở lên"
metric = "late_dossier_ratio"
op = ">="
threshold = 10.0
max_rating = "completed"
source = "Quy định thử nghiệm"
"#;

pub(crate) async fn post_toml(app: &TestApp, token: &str, text: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/policies"))
        .bearer_auth(token)
        .header("content-type", "application/toml")
        .body(text.to_owned())
        .send()
        .await
        .unwrap();
    crate::helpers::read(res).await
}

async fn policies_are_versioned_documents_checked_line_by_line(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (s, list) = app.get(w.token("staff_a1"), "/api/v1/policies").await;
    assert_eq!(s, 200, "everyone may read the rules");
    let codes: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    for code in ["nd90-2020", "nd90-vien-chuc", "nd335-2025", "kha-kl91"] {
        assert!(codes.contains(&code), "{code} shipped: {codes:?}");
    }
    let kl91 = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "kha-kl91")
        .unwrap();
    assert_eq!(kl91["province"], "KHA");
    let (s, one) = app
        .get(w.token("hr_a"), &format!("/api/v1/policies/{}", kl91["id"]))
        .await;
    assert_eq!(s, 200);
    assert!(one["document"].as_str().unwrap().contains("91-KL/TU"));
    assert_eq!(one["policy"]["rules"][0]["threshold_centi"], 1000);

    // Errors name the line; nothing is stored.
    let before = app.count("policies");
    let bad = OVERLAY.replace("threshold = 10.0", "threshold = 110.0");
    let (s, p) = post_toml(&app, w.token("admin_p"), &bad).await;
    assert_eq!(s, 422, "{p}");
    let message = p["errors"]["document"][0].as_str().unwrap();
    assert!(message.starts_with("line 15:"), "{message}");
    let bad = OVERLAY.replace("late_dossier_ratio", "late_ratio_of_dossiers");
    let (s, p) = post_toml(&app, w.token("admin_p"), &bad).await;
    assert_eq!(s, 422);
    assert!(
        p["errors"]["document"][0]
            .as_str()
            .unwrap()
            .starts_with("line 13:"),
        "{p}"
    );
    assert_eq!(app.count("policies"), before);

    // Who may add: the province's admin for its own; national ones need every unit.
    let (s, _) = post_toml(&app, w.token("hr_a"), OVERLAY).await;
    assert_eq!(s, 403);
    let (s, _) = post_toml(&app, w.token("admin_a"), OVERLAY).await;
    assert_eq!(s, 403, "an admin of a department is not the province's");
    let (s, v1) = post_toml(&app, w.token("admin_p"), OVERLAY).await;
    assert_eq!(s, 201, "{v1}");
    assert_eq!(v1["version"], 1);
    let (s, v2) = app
        .post(
            w.token("admin_p"),
            "/api/v1/policies",
            json!({"document": OVERLAY.replace("threshold = 10.0", "threshold = 8.5")}),
        )
        .await;
    assert_eq!(s, 201, "{v2}");
    assert_eq!(v2["version"], 2);
    let versions = versions_of(&app, w.token("admin_p"), "p-late-dossiers").await;
    assert_eq!(versions, vec![(2, true), (1, false)]);
    // A version from next year is the latest, not yet the one this year's evaluation uses.
    let next = chrono::Datelike::year(&crate::attendance::today()) + 1;
    let (s, v3) = app
        .post(
            w.token("admin_p"),
            "/api/v1/policies",
            json!({"document": OVERLAY.replace("2024-01-01", &format!("{next}-01-01"))}),
        )
        .await;
    assert_eq!(s, 201, "{v3}");
    assert_eq!(v3["current"], false, "{v3}");
    assert_eq!(v2["current"], true, "{v2}");
    let versions = versions_of(&app, w.token("admin_p"), "p-late-dossiers").await;
    assert_eq!(versions, vec![(3, false), (2, true), (1, false)]);
    let (_, one) = app
        .get(
            w.token("admin_p"),
            &format!("/api/v1/policies/{}", v3["id"]),
        )
        .await;
    assert_eq!(one["current"], false, "{one}");
    let national = OVERLAY.replace("province = \"P\"\n", "");
    let (s, _) = post_toml(&app, w.token("admin_p"), &national).await;
    assert_eq!(s, 403);
    // A code belongs to one scope: nobody takes over another scope's code.
    let (s, p) = post_toml(&app, w.token("root"), &national).await;
    assert_eq!(s, 409, "{p}");
    let (s, _) = post_toml(
        &app,
        w.token("root"),
        &national.replace("p-late-dossiers", "vn-late-dossiers"),
    )
    .await;
    assert_eq!(s, 201);
    let takeover = PRESETS_ND90.replace("kind = \"base\"", "kind = \"base\"\nprovince = \"P\"");
    let (s, p) = post_toml(&app, w.token("admin_p"), &takeover).await;
    assert_eq!(s, 409, "a province cannot replace the national rules: {p}");
}

/// The versions of a policy code as `GET /policies` lists them: (version, current).
async fn versions_of(app: &TestApp, token: &str, code: &str) -> Vec<(i64, bool)> {
    let (_, list) = app.get(token, "/api/v1/policies").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["code"] == code)
        .map(|p| {
            (
                p["version"].as_i64().unwrap(),
                p["current"].as_bool().unwrap(),
            )
        })
        .collect()
}

const PRESETS_ND90: &str = include_str!("../../config/policies/nd90-2020.toml");

pub(crate) fn item(run: &Value, staff_id: i64) -> &Value {
    run["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["staff_id"] == staff_id)
        .unwrap_or_else(|| panic!("no evaluation of {staff_id} in {run}"))
}

/// The `repropose` entries of an evaluation's audit trail.
pub(crate) async fn reproposals(app: &TestApp, token: &str, id: &Value) -> Vec<Value> {
    let (_, trail) = app
        .get(
            token,
            &format!("/api/v1/audit?entity=evaluation&entity_id={id}"),
        )
        .await;
    trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "repropose")
        .cloned()
        .collect()
}

/// Two of member_a1's dossier steps in 2025, `late` of them late.
pub(crate) async fn dossiers(app: &TestApp, w: &World, prefix: &str, late: usize) {
    let lines: Vec<Value> = (0..2)
        .map(|i| {
            let finished = if i < late { "2025-03-12T10:00:00" } else { "2025-03-09T10:00:00" };
            json!({"code": format!("{prefix}-{i}"), "procedure": "Cấp giấy phép", "unit_code": "A1",
                   "received_at": "2025-03-02T08:00:00", "due_at": "2025-03-20", "finished_at": finished,
                   "status": "finished", "step_no": 1, "step_staff_code": "S-A1",
                   "step_received_at": "2025-03-02T08:00:00", "step_due_at": "2025-03-10T17:00:00",
                   "step_finished_at": finished})
        })
        .collect();
    let (s, report) = app
        .post(
            w.token("hr_a"),
            "/api/v1/dossiers/import",
            json!({"dossiers": lines}),
        )
        .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["rejected"], json!([]), "{report}");
}

async fn a_year_is_evaluated_from_what_was_recorded(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (s, _) = post_toml(&app, w.token("admin_p"), OVERLAY).await;
    assert_eq!(s, 201);
    // member_a1: one of two steps late (50 %) → capped by the province's overlay.
    dossiers(&app, &w, "HS", 1).await;
    // head_a: reprimanded in 2025 → not completed.
    let (s, d) = app
        .post(w.token("hr_a"), "/api/v1/discipline", json!({"staff_id": w.head_a.id, "form": "khien_trach",
              "decision_no": "12/QĐ-UBND", "decided_on": "2025-06-03", "effective_from": "2025-06-03",
              "reason": "Vi phạm giờ giấc"}))
        .await;
    assert_eq!(s, 201, "{d}");
    // member_b: joined in August → under six months → not rated.
    let (s, _) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_b.id),
            json!({"joined_on": "2025-08-01"}),
        )
        .await;
    assert_eq!(s, 200);

    // Who may run it.
    let run = json!({"period": "2025", "unit_id": w.p.id});
    let (s, _) = app
        .post(
            w.token("head_a"),
            "/api/v1/evaluations/runs",
            json!({"period": "2025", "unit_id": w.a.id}),
        )
        .await;
    assert_eq!(s, 403, "heads read, hr decides");
    let (s, _) = app
        .post(w.token("hr_a"), "/api/v1/evaluations/runs", run.clone())
        .await;
    assert_eq!(s, 422, "P is outside hr_a's reach: no such unit");
    let (s, _) = app
        .post(
            w.token("root"),
            "/api/v1/evaluations/runs",
            json!({"period": "twenty", "unit_id": w.p.id}),
        )
        .await;
    assert_eq!(s, 422);
    // A year not yet begun has nothing to rate.
    let next = chrono::Datelike::year(&crate::attendance::today()) + 1;
    let (s, body) = app
        .post(
            w.token("root"),
            "/api/v1/evaluations/runs",
            json!({"period": next.to_string(), "unit_id": w.p.id}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["errors"]["period"][0], "is a year not yet begun");

    let (s, result) = app
        .post(w.token("root"), "/api/v1/evaluations/runs", run.clone())
        .await;
    assert_eq!(s, 201, "{result}");
    assert_eq!(result["evaluated"], 3);
    assert_eq!(result["not_rated"], 1);

    let a1 = item(&result, w.member_a1.id);
    assert_eq!(a1["proposed_rating"], "completed", "{a1}");
    assert_eq!(a1["max_rating"], "completed");
    assert_eq!(a1["metrics"]["late_dossier_ratio"], 50.0);
    assert_eq!(a1["metrics"]["dossier_steps"], 2.0);
    let rule = &a1["applied_rules"][0];
    assert_eq!(rule["metric"], "late_dossier_ratio");
    assert_eq!(rule["value"], 50.0);
    assert_eq!(rule["threshold"], 10.0);
    assert_eq!(rule["policy"], "p-late-dossiers");
    assert_eq!(rule["source"], "Quy định thử nghiệm");

    let head = item(&result, w.head_a.id);
    assert_eq!(head["proposed_rating"], "not_completed", "{head}");
    assert!(
        head["applied_rules"][0]["effect"]
            .as_str()
            .unwrap()
            .contains("khien_trach (12/QĐ-UBND) on 2025-06-03"),
        "{head}"
    );

    let b_item = item(&result, w.member_b.id);
    assert_eq!(b_item["rated"], false);
    assert_eq!(b_item["proposed_rating"], Value::Null);
    assert!(
        b_item["applied_rules"][0]["effect"]
            .as_str()
            .unwrap()
            .starts_with("not rated: worked 5 months")
    );
    assert_eq!(
        b_item["metrics"]["months_in_service"], 5.0,
        "August to December: {b_item}"
    );

    // HR decides: a departure from the proposal needs a reason; above the cap too.
    let decision = format!("/api/v1/evaluations/{}/decision", a1["id"]);
    let put = |token: &str, body: Value| {
        let token = token.to_owned();
        let app = &app;
        let decision = decision.clone();
        async move {
            let res = app
                .client
                .put(app.url(&decision))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            crate::helpers::read(res).await
        }
    };
    let (s, p) = put(w.token("hr_a"), json!({"final_rating": "completed_well"})).await;
    assert_eq!(s, 422, "{p}");
    assert!(
        p["errors"]["reason"][0].as_str().unwrap().contains("above"),
        "{p}"
    );
    let (s, _) = put(w.token("head_a"), json!({"final_rating": "completed"})).await;
    assert_eq!(s, 403);
    let (s, decided) = put(
        w.token("hr_a"),
        json!({"final_rating": "completed_well", "reason": "Hồ sơ trễ do hệ thống lỗi, đã xác minh"}),
    )
    .await;
    assert_eq!(s, 200, "{decided}");
    assert_eq!(decided["final_rating"], "completed_well");
    assert_eq!(
        decided["decision_above_cap"], true,
        "decided above the cap, with a reason"
    );
    assert_eq!(decided["decided_by"], w.user_ids["hr_a"]);

    // A re-run keeps the decision; when the proposal changes under it, the old one shows.
    let (_, again) = app
        .post(w.token("root"), "/api/v1/evaluations/runs", run.clone())
        .await;
    let a1 = item(&again, w.member_a1.id);
    assert_eq!(a1["final_rating"], "completed_well");
    assert_eq!(a1["previous_proposed_rating"], Value::Null);
    assert_eq!(again["changed_under_decision"], 0);
    // Ten more steps on time bring the ratio to 1 / 12 = 8.33 %: no cap any more.
    for i in 0..5 {
        dossiers(&app, &w, &format!("OK{i}"), 0).await;
    }
    let (_, third) = app
        .post(w.token("root"), "/api/v1/evaluations/runs", run.clone())
        .await;
    let a1 = item(&third, w.member_a1.id);
    assert_eq!(a1["proposed_rating"], "completed_well", "{a1}");
    assert_eq!(a1["previous_proposed_rating"], "completed");
    assert_eq!(a1["final_rating"], "completed_well");
    assert_eq!(third["changed_under_decision"], 1);
    assert_eq!(a1["decision_above_cap"], false, "the cap is gone");
    assert_eq!(a1["metrics"]["late_dossier_ratio"], 8.33);
    // The trail has the proposal before and after, beside HR's decision.
    let reproposed = reproposals(&app, w.token("root"), &a1["id"]).await;
    assert_eq!(reproposed.len(), 1, "{reproposed:?}");
    assert_eq!(
        (
            &reproposed[0]["before"]["proposed_rating"],
            &reproposed[0]["after"]["proposed_rating"]
        ),
        (&json!("completed"), &json!("completed_well")),
        "{reproposed:?}"
    );
    // Two more late steps (3 / 14): capped again, back at the proposal HR decided on,
    // which no longer reads as changed under the decision.
    dossiers(&app, &w, "LATE", 2).await;
    let (_, fourth) = app
        .post(w.token("root"), "/api/v1/evaluations/runs", run)
        .await;
    let a1 = item(&fourth, w.member_a1.id);
    assert_eq!(a1["proposed_rating"], "completed", "{a1}");
    assert_eq!(a1["previous_proposed_rating"], Value::Null, "{a1}");
    assert_eq!(a1["changed_under_decision"], false, "{a1}");
    assert_eq!(
        fourth["changed_under_decision"], 0,
        "the run agrees: {fourth}"
    );
    assert_eq!(a1["final_rating"], "completed_well");

    // Who reads what.
    let list = "/api/v1/evaluations?period=2025";
    let (s, mine) = app
        .get(
            w.token("staff_a1"),
            &format!("{list}&staff_id={}", w.member_a1.id),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let (s, _) = app
        .get(
            w.token("staff_a1"),
            &format!("{list}&staff_id={}", w.head_a.id),
        )
        .await;
    assert_eq!(s, 404);
    let (s, a) = app
        .get(w.token("head_a"), &format!("{list}&unit_id={}", w.a.id))
        .await;
    assert_eq!(s, 200);
    assert_eq!(a["items"].as_array().unwrap().len(), 2, "A and A1");
    let (s, _) = app
        .get(w.token("head_a"), &format!("{list}&unit_id={}", w.b.id))
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .get(
            w.token("inspector_p"),
            &format!("{list}&unit_id={}", w.p.id),
        )
        .await;
    assert_eq!(s, 404);
    let (_, audit) = app
        .get(
            w.token("root"),
            &format!("/api/v1/audit?entity=evaluation&entity_id={}", a1["id"]),
        )
        .await;
    // Newest first: the two proposals the re-runs changed, then HR's decision.
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["repropose", "repropose", "decide"], "{audit}");

    // The sheet, for filing and printing.
    let sheet = |format: &str| {
        let app = &app;
        let url = format!("{list}&unit_id={}&format={format}", w.p.id);
        let root = w.token("root").to_owned();
        async move {
            app.client
                .get(app.url(&url))
                .bearer_auth(root)
                .send()
                .await
                .unwrap()
        }
    };
    let res = sheet("xlsx").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("xep-loai-2025.xlsx")
    );
    assert_eq!(&res.bytes().await.unwrap()[..2], b"PK");
    let text = sheet("csv").await.text().await.unwrap();
    assert!(
        text.starts_with("\u{feff}STT,Mã cán bộ,Họ và tên"),
        "{text}"
    );
    assert!(text.contains("Nguyễn Thị Lan"));
    assert!(
        text.contains("Hồ sơ trễ do hệ thống lỗi"),
        "the reason is on the sheet"
    );
    assert!(
        text.contains(
            "Hồ sơ trễ do hệ thống lỗi, đã xác minh\",Kết quả cao hơn mức cao nhất được xếp\r\n"
        ) || text.contains(
            "Hồ sơ trễ do hệ thống lỗi, đã xác minh\",Kết quả cao hơn mức cao nhất được xếp\n"
        ),
        "the decision above the cap is flagged on the sheet: {text}"
    );

    // HR decides B's member, whom the rules leave unrated (five months of service); the
    // joining date corrected, a re-run proposes a rating. The row says HR decided on none.
    let b_id = item(&fourth, w.member_b.id)["id"].clone();
    let (s, decided) = app
        .put(
            w.token("root"),
            &format!("/api/v1/evaluations/{b_id}/decision"),
            json!({"final_rating": "completed", "reason": "Đánh giá theo thời gian công tác thực tế"}),
        )
        .await;
    assert_eq!(s, 200, "{decided}");
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", w.member_b.id),
            json!({"joined_on": "2024-01-01"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (_, fifth) = app
        .post(
            w.token("root"),
            "/api/v1/evaluations/runs",
            json!({"period": "2025", "unit_id": w.p.id}),
        )
        .await;
    let b_item = item(&fifth, w.member_b.id);
    assert_eq!(b_item["rated"], true, "{b_item}");
    assert_ne!(b_item["proposed_rating"], Value::Null, "{b_item}");
    assert_eq!(b_item["previous_proposed_rating"], Value::Null, "{b_item}");
    assert_eq!(b_item["changed_under_decision"], true, "{b_item}");
    let text = sheet("csv").await.text().await.unwrap();
    assert!(text.contains("(trước: chưa có)"), "{text}");
    // Decided again, the trail's 'before' says null there too, not an internal mark.
    let (s, _) = app
        .put(
            w.token("root"),
            &format!("/api/v1/evaluations/{b_id}/decision"),
            json!({"final_rating": b_item["proposed_rating"]}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, trail) = app
        .get(
            w.token("root"),
            &format!("/api/v1/audit?entity=evaluation&entity_id={b_id}"),
        )
        .await;
    assert_eq!(trail["items"][0]["action"], "decide", "{trail}");
    assert_eq!(
        trail["items"][0]["before"]["previous_proposed_rating"],
        Value::Null,
        "{trail}"
    );
}

/// A re-run after HR corrects who someone is leaves nobody rated for a year they were
/// not in service, or in a category no policy rates: an undecided evaluation goes, a
/// decided one keeps its decision beside a proposal that says why nobody is rated.
async fn a_rerun_withdraws_whom_it_no_longer_rates(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let run = json!({"period": "2025", "unit_id": w.a.id});
    let (s, first) = app
        .post(w.token("hr_a"), "/api/v1/evaluations/runs", run.clone())
        .await;
    assert_eq!(s, 201, "{first}");
    let head = item(&first, w.head_a.id);
    let (s, decided) = app
        .put(
            w.token("hr_a"),
            &format!("/api/v1/evaluations/{}/decision", head["id"]),
            json!({"final_rating": head["proposed_rating"]}),
        )
        .await;
    assert_eq!(s, 200, "{decided}");
    // A run forced onto a viên chức policy of 2025 leaves these công chức out: skipped,
    // not withdrawn, their evaluations standing. (The shipped one begins in 2026.)
    let (s, vien_chuc) = app
        .post(
            w.token("root"),
            "/api/v1/policies",
            json!({"document": "code = \"p-vien-chuc-2025\"\nname = \"Viên chức 2025\"\n\
                   source = \"NĐ 90/2020\"\nkind = \"base\"\neffective_from = \"2025-01-01\"\n\
                   categories = [\"vien_chuc\"]\nregime = \"nd90\"\n\
                   default_rating = \"completed_well\"\n"}),
        )
        .await;
    assert_eq!(s, 201, "{vien_chuc}");
    let vien_chuc = vien_chuc["id"].clone();
    let (_, list) = app.get(w.token("hr_a"), "/api/v1/policies").await;
    let (s, forced) = app
        .post(
            w.token("hr_a"),
            "/api/v1/evaluations/runs",
            json!({"period": "2025", "unit_id": w.a.id, "policy_id": vien_chuc}),
        )
        .await;
    assert_eq!(s, 201, "{forced}");
    assert_eq!(
        forced["skipped"].as_array().map(Vec::len),
        Some(2),
        "{forced}"
    );
    assert_eq!(forced["withdrawn"], json!([]), "{forced}");
    // A policy no run can be forced onto is the field's 422, with nothing recorded: an
    // overlay (here another province's), or a base not in force in the year.
    let id_of = |code: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["code"] == code)
            .map(|p| p["id"].clone())
            .unwrap()
    };
    let runs = app.count("audit_log");
    for (code, why) in [
        ("kha-kl91", "overlay"),
        ("nd335-2025", "not in force in 2025"),
    ] {
        let (s, body) = app
            .post(
                w.token("hr_a"),
                "/api/v1/evaluations/runs",
                json!({"period": "2025", "unit_id": w.a.id, "policy_id": id_of(code)}),
            )
            .await;
        assert_eq!(s, 422, "{code}: {body}");
        let said = body["errors"]["policy_id"][0].as_str().unwrap_or_default();
        assert!(said.contains(why), "{code}: {body}");
    }
    assert_eq!(app.count("audit_log"), runs);
    let (_, standing) = app
        .get(
            w.token("hr_a"),
            &format!("/api/v1/evaluations?period=2025&unit_id={}", w.a.id),
        )
        .await;
    assert_eq!(standing["total"], 2, "{standing}");
    // Corrected: member_a1 is a contract worker; head_a joined only in 2026.
    for (staff, body) in [
        (w.member_a1.id, json!({"category": "contract"})),
        (w.head_a.id, json!({"joined_on": "2026-01-05"})),
    ] {
        let (s, body) = app
            .patch(w.token("root"), &format!("/api/v1/staff/{staff}"), body)
            .await;
        assert_eq!(s, 200, "{body}");
    }
    let (s, again) = app
        .post(w.token("hr_a"), "/api/v1/evaluations/runs", run)
        .await;
    assert_eq!(s, 201, "{again}");
    let mut withdrawn: Vec<i64> = again["withdrawn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["staff_id"].as_i64().unwrap())
        .collect();
    withdrawn.sort_unstable();
    let mut want = vec![w.member_a1.id, w.head_a.id];
    want.sort_unstable();
    assert_eq!(withdrawn, want, "{again}");
    assert_eq!(again["changed_under_decision"], 1, "{again}");
    let head = item(&again, w.head_a.id);
    assert_eq!(
        (
            &head["rated"],
            &head["proposed_rating"],
            &head["final_rating"],
            &head["previous_proposed_rating"]
        ),
        (
            &json!(false),
            &Value::Null,
            &decided["final_rating"],
            &decided["proposed_rating"]
        ),
        "{head}"
    );
    assert_eq!(
        head["applied_rules"][0]["effect"], "not rated: not in service in 2025",
        "{head}"
    );
    let (_, a1) = app
        .get(
            w.token("hr_a"),
            &format!(
                "/api/v1/evaluations?period=2025&staff_id={}",
                w.member_a1.id
            ),
        )
        .await;
    assert_eq!(a1["total"], 0, "no 2025 rating for a contract worker: {a1}");
    // Run again, the head's evaluation still differs from what HR decided on: counted
    // again, as the item says.
    let (_, third) = app
        .post(
            w.token("hr_a"),
            "/api/v1/evaluations/runs",
            json!({"period": "2025", "unit_id": w.a.id}),
        )
        .await;
    assert_eq!(third["changed_under_decision"], 1, "{third}");
    assert_eq!(item(&third, w.head_a.id)["changed_under_decision"], true);
    let (_, trail) = app
        .get(w.token("root"), "/api/v1/audit?entity=evaluation")
        .await;
    assert!(
        trail["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "withdraw" && e["before"]["staff_id"] == w.member_a1.id),
        "{trail}"
    );
}

/// The running year's rating of someone transferred is decided by their new agency's HR,
/// even before it runs the evaluation again; the old agency's HR no longer reaches it.
async fn the_running_years_rating_follows_a_transfer(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let year = chrono::Datelike::year(&crate::attendance::today()).to_string();
    let (s, run) = app
        .post(
            w.token("hr_a"),
            "/api/v1/evaluations/runs",
            json!({"period": year, "unit_id": w.a.id}),
        )
        .await;
    assert_eq!(s, 201, "{run}");
    let id = item(&run, w.member_a1.id)["id"].clone();
    crate::transfers::transfer(&app, &w, w.b.id, crate::attendance::today()).await;
    let (s, body) = app
        .post(
            w.token("root"),
            "/api/v1/users",
            json!({"username": "hr_b", "password": "mat-khau-dai-du",
                   "roles": [{"role": "hr", "unit_id": w.b.id}]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let hr_b = app.token("hr_b", "mat-khau-dai-du").await;
    let decision = format!("/api/v1/evaluations/{id}/decision");
    let body = json!({"final_rating": "completed", "reason": "Đơn vị mới xem xét"});
    let (s, _) = app.put(w.token("hr_a"), &decision, body.clone()).await;
    assert_eq!(s, 404, "A's HR no longer reaches her");
    let (s, decided) = app.put(&hr_b, &decision, body).await;
    assert_eq!(s, 200, "{decided}");
    assert_eq!(decided["final_rating"], "completed");
}

both!(
    the_running_years_rating_follows_a_transfer,
    policies_are_versioned_documents_checked_line_by_line,
    a_year_is_evaluated_from_what_was_recorded,
    a_rerun_withdraws_whom_it_no_longer_rates,
);

/// The test province's own reform rules, like Khánh Hòa's KL 91.
const REFORM: &str = r#"
code = "p-reform"
name = "Tỉnh P: xếp hạng cải cách hành chính"
source = "Quy định thử nghiệm CCHC"
kind = "overlay"
province = "P"
effective_from = "2024-01-01"
categories = ["can_bo", "cong_chuc", "vien_chuc"]

[reform_bands]
good = 90
fair = 80
average = 70

[[unit_rule]]
name = "Tỷ lệ hồ sơ trễ hạn của đơn vị từ 5% trở lên"
metric = "late_ratio"
op = ">="
threshold = 5.0
max_ranking = "fair"
source = "Quy định thử nghiệm CCHC"

[accountability]
ranking = "average"
consecutive_years = 2
single_year_ranking = "weak"
party_excellent_requires = "good"
source = "Quy định thử nghiệm CCHC"
"#;

async fn reform_rankings_and_head_accountability(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (s, _) = post_toml(&app, w.token("admin_p"), REFORM).await;
    assert_eq!(s, 201);
    // A1's dossiers: one of two finished after the dossier's own deadline.
    let lines: Vec<Value> = [("U-1", "2025-03-12T10:00:00"), ("U-2", "2025-03-05T10:00:00")]
        .iter()
        .map(|(code, finished)| {
            json!({"code": code, "procedure": "Cấp giấy phép", "unit_code": "A1",
                   "received_at": "2025-03-02T08:00:00", "due_at": "2025-03-10", "finished_at": finished,
                   "status": "finished"})
        })
        .collect();
    let (s, report) = app
        .post(
            w.token("hr_a"),
            "/api/v1/dossiers/import",
            json!({"dossiers": lines}),
        )
        .await;
    assert_eq!((s, &report["rejected"]), (200, &json!([])), "{report}");
    let a = format!("/api/v1/units/{}/reform", w.a.id);
    let (s, view) = app.get(w.token("head_a"), &format!("{a}?year=2025")).await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(view["late_ratio"], 50.0);
    assert_eq!(view["max_ranking"], "fair");
    assert_eq!(view["proposed_ranking"], Value::Null, "no score yet");
    assert_eq!(view["applied_rules"][0]["threshold"], 5.0);
    let (s, _) = app
        .get(w.token("staff_a1"), &format!("{a}?year=2025"))
        .await;
    assert_eq!(s, 404);

    let put = |token: &str, path: String, body: Value| {
        let token = token.to_owned();
        let app = &app;
        async move {
            let res = app
                .client
                .put(app.url(&path))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            crate::helpers::read(res).await
        }
    };
    let (s, _) = put(
        w.token("head_a"),
        format!("{a}/2025"),
        json!({"score": 92.5}),
    )
    .await;
    assert_eq!(s, 403);
    let (s, view) = put(w.token("hr_a"), format!("{a}/2025"), json!({"score": 92.5})).await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(view["score"], 92.5);
    assert_eq!(
        view["proposed_ranking"], "fair",
        "92.5 is good, capped by 50 % late"
    );
    let (s, p) = put(
        w.token("hr_a"),
        format!("{a}/2025"),
        json!({"ranking": "good"}),
    )
    .await;
    assert_eq!(s, 422, "{p}");
    // Below the proposal, as above it, a ranking says why: it would flag the head.
    let (s, p) = put(
        w.token("hr_a"),
        format!("{a}/2025"),
        json!({"ranking": "average"}),
    )
    .await;
    assert_eq!(s, 422, "{p}");
    let why = p["errors"]["reason"][0].as_str().unwrap_or_default();
    assert!(why.contains("proposed from the score (fair)"), "{p}");
    // Checked against the score sent with it; refused, the score is not kept either.
    let (s, p) = put(
        w.token("hr_a"),
        format!("{a}/2025"),
        json!({"score": 79.0, "ranking": "fair"}),
    )
    .await;
    assert_eq!(s, 422, "79 proposes average: {p}");
    let (s, view) = put(
        w.token("hr_a"),
        format!("{a}/2025"),
        json!({"ranking": "fair"}),
    )
    .await;
    assert_eq!(s, 200, "the proposal needs no reason: {view}");
    assert_eq!(view["score"], 92.5, "the refused score was rolled back");
    let (s, view) = put(
        w.token("hr_a"),
        format!("{a}/2025"),
        json!({"ranking": "average", "reason": "Đoàn kiểm tra CCHC đánh giá"}),
    )
    .await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(view["ranking"], "average");
    assert_eq!(view["score"], 92.5, "the score stays");
    let (s, view) = put(
        w.token("hr_a"),
        format!("{a}/2025"),
        json!({"party_rating": "completed_well"}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        (&view["ranking"], &view["score"], &view["party_rating"]),
        (&json!("average"), &json!(92.5), &json!("completed_well")),
        "what a request leaves out stays"
    );
    // A ranking that matched its score stops matching when the score moves: the new
    // score comes with a reason, and the same ranking sent again leans on it.
    let y2026 = format!("{a}/2026");
    let (s, view) = put(
        w.token("hr_a"),
        y2026.clone(),
        json!({"score": 75.0, "ranking": "average"}),
    )
    .await;
    assert_eq!(s, 200, "{view}");
    let (s, p) = put(w.token("hr_a"), y2026.clone(), json!({"score": 92.5})).await;
    assert_eq!(s, 422, "average under a score proposing good: {p}");
    let (s, view) = put(
        w.token("hr_a"),
        y2026.clone(),
        json!({"score": 92.5, "reason": "Giữ xếp hạng theo kết luận kiểm tra"}),
    )
    .await;
    assert_eq!(s, 200, "{view}");
    let (s, view) = put(w.token("hr_a"), y2026, json!({"ranking": "average"})).await;
    assert_eq!(s, 200, "{view}");

    // Average two years in a row flags the head of A; weak one year flags A1.
    let (s, _) = put(
        w.token("hr_a"),
        format!("{a}/2024"),
        json!({"ranking": "average"}),
    )
    .await;
    assert_eq!(s, 200);
    let a1 = format!("/api/v1/units/{}/reform", w.a1.id);
    let (s, _) = put(
        w.token("hr_a"),
        format!("{a1}/2025"),
        json!({"ranking": "weak"}),
    )
    .await;
    assert_eq!(s, 200);
    // B: a party body rated excellent must rank good.
    let b_path = format!("/api/v1/units/{}/reform", w.b.id);
    let (s, _) = put(
        w.token("root"),
        format!("{b_path}/2025"),
        json!({"ranking": "fair", "party_rating": "excellent"}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = put(
        w.token("hr_a"),
        format!("{b_path}/2025"),
        json!({"ranking": "good"}),
    )
    .await;
    assert_eq!(s, 404, "B is outside hr_a's reach");

    // A's former director, whose record keeps is_head, retired before 2025: they do
    // not answer for 2025.
    let (s, former) = app
        .post(
            w.token("root"),
            "/api/v1/staff",
            json!({"code": "S-A-OLD", "full_name": "Lê Văn Cũ", "unit_id": w.a.id,
                   "category": "cong_chuc", "is_head": true, "left_on": "2024-06-30"}),
        )
        .await;
    assert_eq!(s, 201, "{former}");
    // B's deputy head, transferred to A this year, ran no part of A in 2025.
    let (s, newcomer) = app
        .post(
            w.token("root"),
            "/api/v1/staff",
            json!({"code": "S-B-PHO", "full_name": "Đỗ Minh Tâm", "unit_id": w.b.id,
                   "category": "cong_chuc", "is_head": true}),
        )
        .await;
    assert_eq!(s, 201, "{newcomer}");
    let (s, body) = app
        .patch(
            w.token("root"),
            &format!("/api/v1/staff/{}", newcomer["id"]),
            json!({"unit_id": w.a.id, "moved_on": crate::attendance::today().to_string()}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    // A's other director ran it in 2025, was seconded to B last month and is back: they
    // answer for A's 2025.
    let (s, returner) = app
        .post(
            w.token("root"),
            "/api/v1/staff",
            json!({"code": "S-A-VE", "full_name": "Ngô Thị Về", "unit_id": w.a.id,
                   "category": "cong_chuc", "is_head": true, "joined_on": "2010-01-01"}),
        )
        .await;
    assert_eq!(s, 201, "{returner}");
    let today = crate::attendance::today();
    // A transfer ends headship: coming back, they head A again as the transfer says.
    for (unit, moved_on, head) in [
        (w.b.id, today - chrono::Duration::days(20), false),
        (w.a.id, today, true),
    ] {
        let (s, body) = app
            .patch(
                w.token("root"),
                &format!("/api/v1/staff/{}", returner["id"]),
                json!({"unit_id": unit, "moved_on": moved_on.to_string(), "is_head": head}),
            )
            .await;
        assert_eq!(s, 200, "{body}");
    }
    let (s, flags) = app
        .get(w.token("hr_a"), "/api/v1/accountability?year=2025")
        .await;
    assert_eq!(s, 200, "{flags}");
    let flags = flags["items"].as_array().unwrap();
    assert_eq!(flags.len(), 2, "{flags:?}");
    let fa = flags.iter().find(|f| f["unit_id"] == w.a.id).unwrap();
    assert_eq!(
        fa["heads"],
        json!([{"staff_id": returner["id"], "full_name": "Ngô Thị Về", "left_on": null},
               {"staff_id": w.head_a.id, "full_name": w.head_a.full_name, "left_on": null}]),
        "{fa}"
    );
    assert!(
        fa["reasons"][0]
            .as_str()
            .unwrap()
            .contains("2 years in a row"),
        "{fa}"
    );
    assert_eq!(fa["rankings"]["2024"], "average");
    assert_eq!(fa["ranking_labels"]["2024"], "Trung bình", "{fa}");
    let fa1 = flags.iter().find(|f| f["unit_id"] == w.a1.id).unwrap();
    assert!(fa1["reasons"][0].as_str().unwrap().contains("weak in 2025"));
    let (_, all) = app
        .get(w.token("root"), "/api/v1/accountability?year=2025")
        .await;
    let fb = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["unit_id"] == w.b.id)
        .unwrap();
    assert!(
        fb["reasons"][0].as_str().unwrap().contains("party body"),
        "{fb}"
    );
    let (_, earlier) = app
        .get(w.token("root"), "/api/v1/accountability?year=2024")
        .await;
    assert_eq!(
        earlier["items"].as_array().unwrap().len(),
        0,
        "one average year flags no one"
    );
    let (_, audit) = app
        .get(w.token("root"), "/api/v1/audit?entity=unit_reform")
        .await;
    assert!(audit["total"].as_i64().unwrap() >= 5, "{audit}");
}

both!(reform_rankings_and_head_accountability);

async fn nd335_scores_rate_cong_chuc_from_2026(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let score = |staff: i64, period: &str, general: f64, manager: Option<f64>| {
        let mut body = json!({"staff_id": staff, "period": period, "general": general,
            "tasks": [{"name": "Tham mưu văn bản", "done": true}, {"name": "Báo cáo quý", "weight": 2.0, "done": true}]});
        if let Some(m) = manager {
            body["manager_points"] = json!(m);
        }
        body
    };
    // Who enters scores: the manager, hr or an admin, never the person.
    let (s, _) = app
        .post(
            w.token("staff_a1"),
            "/api/v1/scores",
            score(w.member_a1.id, "2026-Q1", 30.0, None),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .post(
            w.token("head_a"),
            "/api/v1/scores",
            score(w.head_a.id, "2026-Q1", 30.0, None),
        )
        .await;
    assert_eq!(s, 403, "a head does not score themself");
    let (s, p) = app
        .post(
            w.token("head_a"),
            "/api/v1/scores",
            score(w.member_a1.id, "2026-13", 30.0, None),
        )
        .await;
    assert_eq!(s, 422, "{p}");
    let (s, q1) = app
        .post(
            w.token("head_a"),
            "/api/v1/scores",
            score(w.member_a1.id, "2026-Q1", 28.5, None),
        )
        .await;
    assert_eq!(s, 200, "{q1}");
    assert_eq!(
        (q1["task_points"].as_f64(), q1["total"].as_f64()),
        (Some(70.0), Some(98.5))
    );
    let (s, p) = app
        .post(
            w.token("head_a"),
            "/api/v1/scores",
            score(w.member_a1.id, "2026-03", 28.5, None),
        )
        .await;
    assert_eq!(s, 422, "months and quarters do not mix in a year: {p}");
    for (period, general) in [("2026-Q1", 27.0), ("2026-Q2", 27.0)] {
        let (s, v) = app
            .post(
                w.token("hr_a"),
                "/api/v1/scores",
                score(w.head_a.id, period, general, Some(20.0)),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    // An import from the task system: good entries kept, bad ones reported by index.
    let before = app.count("period_scores");
    let (s, batch) = app
        .post(
            w.token("head_a"),
            "/api/v1/scores/batch",
            json!({"scores": [
                score(w.member_a1.id, "2026-Q2", 28.5, None),
                score(w.member_a1.id, "2026-07", 28.5, None),
                score(w.member_b.id, "2026-Q2", 20.0, None),
                {"staff_id": w.member_a1.id, "period": "2026-Q3"},
            ]}),
        )
        .await;
    assert_eq!(s, 200, "{batch}");
    assert_eq!(batch["saved"], 1, "{batch}");
    let rejected: Vec<i64> = batch["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_i64().unwrap())
        .collect();
    assert_eq!(rejected, vec![1, 2, 3], "{batch}");
    assert!(
        batch["rejected"][0]["errors"]["period"].is_array(),
        "months after quarters"
    );
    assert!(
        batch["rejected"][2]["errors"]["general"].is_array()
            || batch["rejected"][2]["errors"]["tasks"].is_array(),
        "{batch}"
    );
    assert_eq!(app.count("period_scores"), before + 1);
    let (s, mine) = app
        .get(
            w.token("staff_a1"),
            &format!("/api/v1/scores?staff_id={}&year=2026", w.member_a1.id),
        )
        .await;
    assert_eq!(
        (s, mine["items"].as_array().map(Vec::len)),
        (200, Some(2)),
        "Q1 and Q2"
    );

    // The year's score decides the band: 98.5 → excellent; the head's 97 → excellent.
    let run = json!({"period": "2026", "unit_id": w.a.id});
    let (s, result) = app
        .post(w.token("hr_a"), "/api/v1/evaluations/runs", run.clone())
        .await;
    assert_eq!(s, 201, "{result}");
    let a1 = item(&result, w.member_a1.id);
    assert_eq!(a1["proposed_rating"], "excellent", "{a1}");
    assert_eq!(a1["metrics"]["score"], 98.5);
    assert_eq!(a1["policy_ids"].as_array().unwrap().len(), 1, "nd335 alone");
    let head = item(&result, w.head_a.id);
    assert_eq!(head["metrics"]["score"], 97.0);
    assert_eq!(head["proposed_rating"], "excellent");

    // member_a1 is reprimanded in 2026 → not completed, and the head's unit-results
    // points count half: 97 − 20 / 2 = 87 → completed well.
    let (s, d) = app
        .post(w.token("hr_a"), "/api/v1/discipline", json!({"staff_id": w.member_a1.id, "form": "khien_trach",
              "decision_no": "3/QĐ-SNV", "decided_on": "2026-05-04", "effective_from": "2026-05-04", "reason": "Uống rượu"}))
        .await;
    assert_eq!(s, 201, "{d}");
    let (_, result) = app
        .post(w.token("hr_a"), "/api/v1/evaluations/runs", run)
        .await;
    let a1 = item(&result, w.member_a1.id);
    assert_eq!(a1["proposed_rating"], "not_completed", "{a1}");
    let head = item(&result, w.head_a.id);
    assert_eq!(head["metrics"]["score"], 87.0, "{head}");
    assert_eq!(head["metrics"]["manager_deduction"], 10.0);
    assert_eq!(head["proposed_rating"], "completed_well");
}

/// A dossier step fallen due in the period and still unfinished was assigned and not
/// completed: it takes the period's task points down further than finishing it late.
async fn an_overdue_step_is_a_task_not_completed(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let step = |finished: Option<&str>| {
        let mut line = json!({"code": "HS-Q1", "procedure": "Cấp giấy phép", "unit_code": "A1",
               "received_at": "2026-03-02T08:00:00", "due_at": "2026-03-20", "status": "in_progress",
               "step_no": 1, "step_staff_code": "S-A1",
               "step_received_at": "2026-03-02T08:00:00", "step_due_at": "2026-03-10T17:00:00"});
        if let Some(t) = finished {
            line["finished_at"] = json!(t);
            line["step_finished_at"] = json!(t);
            line["status"] = json!("finished");
        }
        json!({"dossiers": [line]})
    };
    let (s, report) = app
        .post(w.token("hr_a"), "/api/v1/dossiers/import", step(None))
        .await;
    assert_eq!((s, &report["rejected"]), (200, &json!([])), "{report}");
    let score = json!({"staff_id": w.member_a1.id, "period": "2026-Q1", "general": 30.0,
                       "tasks": [{"name": "Báo cáo quý", "done": true}]});
    let points = || async {
        let (s, body) = app
            .post(w.token("head_a"), "/api/v1/scores", score.clone())
            .await;
        assert_eq!(s, 200, "{body}");
        body["task_points"].as_f64()
    };
    // The report done, the step overdue: 70 × 3 / 6.
    assert_eq!(points().await, Some(35.0));
    // Finished two days late: one delay, 70 × 5.75 / 6.
    let (s, report) = app
        .post(
            w.token("hr_a"),
            "/api/v1/dossiers/import",
            step(Some("2026-03-12T10:00:00")),
        )
        .await;
    assert_eq!((s, &report["updated"]), (200, &json!(1)), "{report}");
    assert_eq!(points().await, Some(67.08));
}

/// A deputy scored on their unit's results (`manager_points`) is a manager too: their
/// part counts half when someone they manage is not completed, as the head's does. A
/// deputy does not manage their unit's head.
async fn a_deputy_counts_half_like_the_head(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (s, deputy) = app
        .post(
            w.token("root"),
            "/api/v1/staff",
            json!({"code": "S-A1-PHO", "full_name": "Phạm Văn Phó", "unit_id": w.a1.id,
                   "category": "cong_chuc"}),
        )
        .await;
    assert_eq!(s, 201, "{deputy}");
    let deputy = deputy["id"].as_i64().unwrap();
    // A deputy of A manages the people of A and below, but not A's head.
    let (s, deputy_a) = app
        .post(
            w.token("root"),
            "/api/v1/staff",
            json!({"code": "S-A-PHO", "full_name": "Trần Văn Phó", "unit_id": w.a.id,
                   "category": "cong_chuc"}),
        )
        .await;
    assert_eq!(s, 201, "{deputy_a}");
    let deputy_a = deputy_a["id"].as_i64().unwrap();
    let score = |staff: i64, general: f64, manager: Option<f64>| {
        let mut body = json!({"staff_id": staff, "period": "2026-Q1", "general": general,
            "tasks": [{"name": "Tham mưu văn bản", "done": true}]});
        if let Some(m) = manager {
            body["manager_points"] = json!(m);
        }
        body
    };
    for body in [
        score(w.member_a1.id, 28.0, None),
        score(deputy, 27.0, Some(20.0)),
        score(deputy_a, 27.0, Some(20.0)),
    ] {
        let (s, v) = app.post(w.token("hr_a"), "/api/v1/scores", body).await;
        assert_eq!(s, 200, "{v}");
    }
    // A's head: 35 points, not completed whoever their staff are.
    let (s, head) = app
        .post(
            w.token("hr_a"),
            "/api/v1/scores",
            json!({"staff_id": w.head_a.id, "period": "2026-Q1", "general": 0.0,
                   "tasks": [{"name": "Chỉ đạo", "done": false}, {"name": "Báo cáo", "done": true}],
                   "manager_points": 30.0}),
        )
        .await;
    assert_eq!(s, 200, "{head}");
    let run = json!({"period": "2026", "unit_id": w.a.id});
    let (s, result) = app
        .post(w.token("hr_a"), "/api/v1/evaluations/runs", run.clone())
        .await;
    assert_eq!(s, 201, "{result}");
    assert_eq!(
        item(&result, w.head_a.id)["proposed_rating"],
        "not_completed"
    );
    for id in [deputy, deputy_a] {
        let d = item(&result, id);
        assert_eq!(
            (&d["metrics"]["score"], &d["proposed_rating"]),
            (&json!(97.0), &json!("excellent")),
            "A's head is no one's staff: {d}"
        );
        // The quota counts a deputy among the managers.
        let note = d["quota_note"].as_str().unwrap_or_default();
        assert!(note.contains("managers:"), "{d}");
    }
    // member_a1 is reprimanded: not completed. Both deputies manage them: 97 − 20 / 2.
    let (s, d) = app
        .post(w.token("hr_a"), "/api/v1/discipline", json!({"staff_id": w.member_a1.id, "form": "khien_trach",
              "decision_no": "4/QĐ-SNV", "decided_on": "2026-05-04", "effective_from": "2026-05-04", "reason": "Uống rượu"}))
        .await;
    assert_eq!(s, 201, "{d}");
    let (_, result) = app
        .post(w.token("hr_a"), "/api/v1/evaluations/runs", run)
        .await;
    for id in [deputy, deputy_a] {
        let d = item(&result, id);
        assert_eq!(
            (&d["metrics"]["score"], &d["metrics"]["manager_deduction"]),
            (&json!(87.0), &json!(10.0)),
            "{d}"
        );
        assert_eq!(d["proposed_rating"], "completed_well");
    }
}

both!(
    nd335_scores_rate_cong_chuc_from_2026,
    an_overdue_step_is_a_task_not_completed,
    a_deputy_counts_half_like_the_head,
);

async fn the_demo_makes_every_shipped_rule_fire(b: Backend) {
    let Some((app, summary)) = TestApp::with_demo(b).await else {
        return;
    };
    let hr = app.token("demo.hr", congvu::demo::DEMO_PASSWORD).await;
    let mut fired = std::collections::BTreeSet::new();
    for year in [2025, 2026] {
        let (s, items) = app
            .get(
                &hr,
                &format!(
                    "/api/v1/evaluations?period={year}&unit_id={}&per_page=500",
                    summary.province_id
                ),
            )
            .await;
        assert_eq!(s, 200);
        let items = &items["items"];
        for i in items.as_array().unwrap() {
            for a in i["applied_rules"].as_array().unwrap() {
                fired.insert((
                    a["policy"].as_str().unwrap().to_owned(),
                    a["rule"].as_str().unwrap().to_owned(),
                ));
            }
        }
        assert!(
            items
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["quota_note"].is_string())
                || year == 2025,
            "the excellent quota is exceeded in 2026"
        );
    }
    for (_, text) in congvu::domain::evaluation::presets::PRESETS {
        let policy = congvu::domain::evaluation::policy::parse(text).unwrap();
        for rule in &policy.rules {
            assert!(
                fired.contains(&(policy.code.clone(), rule.name().to_owned())),
                "{} / {} never fires in the demo: {fired:?}",
                policy.code,
                rule.name()
            );
        }
    }
    // The unit rules and the accountability conditions.
    let unit = |code: &'static str| {
        let app = &app;
        let hr = hr.clone();
        async move {
            let (_, found) = app
                .get(&hr, &format!("/api/v1/units?code=KHA-{code}"))
                .await;
            found["items"][0]["id"].as_i64().expect(code)
        }
    };
    let mut unit_rules = std::collections::BTreeSet::new();
    for code in ["SXD-QHKT", "XKV"] {
        let id = unit(code).await;
        let (s, v) = app
            .get(&hr, &format!("/api/v1/units/{id}/reform?year=2026"))
            .await;
        assert_eq!(s, 200, "{v}");
        for a in v["applied_rules"].as_array().unwrap() {
            unit_rules.insert(a["rule"].as_str().unwrap().to_owned());
        }
    }
    let kl91 = congvu::domain::evaluation::policy::parse(
        congvu::domain::evaluation::presets::PRESETS[3].1,
    )
    .unwrap();
    for r in &kl91.unit_rules {
        assert!(
            unit_rules.contains(&r.name),
            "{} never fires: {unit_rules:?}",
            r.name
        );
    }
    let (_, flags) = app.get(&hr, "/api/v1/accountability?year=2026").await;
    let reasons: Vec<String> = flags["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            f["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
        })
        .collect();
    for words in ["ranked weak", "2 years in a row", "party body"] {
        assert!(
            reasons.iter().any(|r| r.contains(words)),
            "{words}: {reasons:?}"
        );
    }
    // Everything the demo records, read province-wide as a large evaluation does, is
    // what the per-person queries read.
    for year in [2025, 2026] {
        app.province_wide_agrees(summary.province_id, year);
    }
    app.two_connection_run_agrees(summary.province_id, 2026);
}

both!(the_demo_makes_every_shipped_rule_fire);

async fn check_ins_and_findings_reach_the_proposal(b: Backend) {
    use chrono::{Datelike, Duration};
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let rules = OVERLAY.replace(
        "metric = \"late_dossier_ratio\"\nop = \">=\"\nthreshold = 10.0\nmax_rating = \"completed\"",
        "metric = \"late_arrivals\"\nop = \">=\"\nthreshold = 3.0\nmax_rating = \"completed\"",
    ) + r#"
[[rule]]
kind = "threshold"
name = "Có vi phạm bị kết luận"
metric = "upheld_findings"
op = ">="
threshold = 1.0
max_rating = "completed_well"
source = "Quy định thử nghiệm"
"#;
    let (s, p) = post_toml(&app, w.token("admin_p"), &rules).await;
    assert_eq!(s, 201, "{p}");
    let today = congvu::api::local_now().date();
    let (s, _) = app
        .post(
            w.token("root"),
            "/api/v1/schedules",
            json!({"unit_id": w.p.id,
              "valid_from": (today - Duration::days(40)).to_string(), "weekdays": [1, 2, 3, 4, 5],
              "sessions": [{"start": "07:30", "end": "17:00"}], "grace_minutes": 0}),
        )
        .await;
    assert_eq!(s, 201);
    // Three past working days of one year, each with an arrival at 08:00 (late).
    let mut days = Vec::new();
    let mut day = today - Duration::days(2);
    while days.len() < 3 {
        let holiday = congvu::domain::calendar::fixed_holidays(day.year())
            .iter()
            .any(|(h, _)| *h == day);
        if day.weekday().number_from_monday() <= 5 && !holiday {
            if days
                .first()
                .is_some_and(|d: &chrono::NaiveDate| d.year() != day.year())
            {
                days.clear();
            }
            days.push(day);
        }
        day -= Duration::days(1);
    }
    let year = days[0].year();
    for d in &days {
        for (time, direction) in [("08:00", "in"), ("17:05", "out")] {
            let (s, e) = app
                .post(w.token("head_a"), "/api/v1/checkins", json!({"staff_id": w.member_a1.id,
                      "at": format!("{d}T{time}:00+07:00"), "direction": direction, "source": "kiosk"}))
                .await;
            assert_eq!(s, 201, "{e}");
        }
    }
    // An inspection finding about the person, explained and upheld.
    let (_, insp) = app
        .post(
            w.token("inspector_p"),
            "/api/v1/inspections",
            json!({"unit_id": w.a.id, "kind": "surprise",
              "started_at": format!("{}T07:45:00+07:00", days[0])}),
        )
        .await;
    let (_, f) = app
        .post(w.token("inspector_p"), &format!("/api/v1/inspections/{}/findings", insp["id"]),
              json!({"violation_code": "no_badge", "observed_at": format!("{}T08:10:00+07:00", days[0]),
                     "staff_id": w.member_a1.id, "description": "Không đeo thẻ", "severity": "less_serious"}))
        .await;
    // And the late arrival of that day, which the check-ins already show: one act, two
    // records, one late arrival in the metrics.
    let (_, late) = app
        .post(w.token("inspector_p"), &format!("/api/v1/inspections/{}/findings", insp["id"]),
              json!({"violation_code": "late", "observed_at": format!("{}T07:50:00+07:00", days[0]),
                     "staff_id": w.member_a1.id, "description": "Chưa có mặt", "severity": "less_serious"}))
        .await;
    for finding in [&f, &late] {
        let f_path = format!("/api/v1/findings/{}", finding["id"]);
        let (s, _) = app
            .post(
                w.token("staff_a1"),
                &format!("{f_path}/explanation"),
                json!({"text": "Quên thẻ"}),
            )
            .await;
        assert_eq!(s, 200);
        let (s, _) = app
            .post(
                w.token("inspector_p"),
                &format!("{f_path}/decision"),
                json!({"outcome": "upheld"}),
            )
            .await;
        assert_eq!(s, 200);
    }
    // A perfect score: the rules, not the score, decide.
    let (s, _) = app
        .post(
            w.token("head_a"),
            "/api/v1/scores",
            json!({"staff_id": w.member_a1.id, "period": format!("{year}-Q1"),
              "general": 30.0, "tasks": [{"name": "Báo cáo", "done": true}]}),
        )
        .await;
    assert_eq!(s, 200);

    let (s, result) = app
        .post(
            w.token("hr_a"),
            "/api/v1/evaluations/runs",
            json!({"period": year.to_string(), "unit_id": w.a1.id}),
        )
        .await;
    assert_eq!(s, 201, "{result}");
    let a1 = item(&result, w.member_a1.id);
    assert_eq!(a1["metrics"]["late_arrivals"], 3.0, "{a1}");
    assert_eq!(a1["metrics"]["upheld_findings"], 2.0);
    assert_eq!(a1["metrics"]["upheld_findings_less_serious"], 2.0);
    assert_eq!(a1["max_rating"], "completed");
    assert_eq!(a1["proposed_rating"], "completed", "{a1}");
    let effects: Vec<&str> = a1["applied_rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["effect"].as_str().unwrap())
        .collect();
    assert!(
        effects
            .iter()
            .any(|e| e.starts_with("at most completed: 3 ≥ 3")),
        "{effects:?}"
    );
    assert!(
        effects
            .iter()
            .any(|e| e.starts_with("at most completed_well: 2 ≥ 1")),
        "{effects:?}"
    );
    app.province_wide_agrees(w.p.id, year);
}

both!(check_ins_and_findings_reach_the_proposal);
