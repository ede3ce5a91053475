//! Every list answers a page (API.md: `{items, total, page, per_page}`, `?page=&per_page=`
//! up to 500): the lists that answered bare arrays, or refused `?page=` as unknown.

use crate::both;
use crate::helpers::{Backend, TestApp};

/// Each list, read a row at a time, is a page; past the end it is an empty page; a
/// page size beyond 500 is the parameter's 422.
async fn every_list_answers_a_page(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let root = w.token("root");
    let lists = [
        "/api/v1/violation-types".to_owned(),
        format!("/api/v1/violation-types?province_id={}", w.p.id),
        "/api/v1/policies".to_owned(),
        format!("/api/v1/discipline?unit_id={}", w.p.id),
        format!("/api/v1/discipline?unit_id={}&year=2026", w.a.id),
        format!("/api/v1/scores?staff_id={}&year=2026", w.member_a1.id),
        format!("/api/v1/dossiers/overdue?unit_id={}", w.a.id),
        "/api/v1/onestop/handlers/unmatched".to_owned(),
        "/api/v1/accountability?year=2026".to_owned(),
        format!("/api/v1/evaluations?period=2026&unit_id={}", w.a.id),
    ];
    for list in &lists {
        let join = if list.contains('?') { '&' } else { '?' };
        let (s, page) = app.get(root, &format!("{list}{join}per_page=1")).await;
        assert_eq!(s, 200, "{list}: {page}");
        let items = page["items"].as_array().map(Vec::len);
        let total = page["total"].as_i64().unwrap_or(-1);
        assert_eq!(items, Some(usize::from(total > 0)), "{list}: {page}");
        assert_eq!(
            (page["page"].as_i64(), page["per_page"].as_i64()),
            (Some(1), Some(1)),
            "{list}: {page}"
        );
        let (s, beyond) = app
            .get(root, &format!("{list}{join}page={}", total + 1))
            .await;
        assert_eq!(s, 200, "{list}: {beyond}");
        assert_eq!(beyond["items"], serde_json::json!([]), "{list}: {beyond}");
        assert_eq!(beyond["total"].as_i64(), Some(total), "{list}: {beyond}");
        let (s, body) = app.get(root, &format!("{list}{join}per_page=501")).await;
        assert_eq!(s, 422, "{list}: {body}");
    }
    // The catalogue has more than one page of one.
    let (_, types) = app
        .get(root, "/api/v1/violation-types?per_page=1&page=2")
        .await;
    assert_eq!(types["items"].as_array().map(Vec::len), Some(1), "{types}");
    assert!(types["total"].as_i64().unwrap_or(0) >= 16, "{types}");
}

/// A province-wide list reads its people's ids in IN lists a thousand at a time: a
/// province holds more people than SQLite binds in one statement (32 766).
async fn a_province_wide_list_outgrows_no_bind_limit(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let (p, unit) = (w.p.id, w.a1.id);
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::RunQueryDsl;
        let mut c = db.conn().expect("connection");
        diesel::sql_query(format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 33000) \
             INSERT INTO staff (province_id, unit_id, code, full_name, category, is_head, \
             created_at, updated_at) SELECT {p}, {unit}, 'BULK-' || i, 'Người thử', \
             'cong_chuc', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM n"
        ))
        .execute(&mut *c)
        .expect("33 000 people");
    })
    .await
    .unwrap();
    let day = crate::attendance::past_day(3).to_string();
    let (s, body) = app
        .post(
            w.token("root"),
            "/api/v1/leaves",
            serde_json::json!({"staff_id": w.member_a1.id, "from": day, "to": day, "kind": "annual"}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    for list in [
        format!("/api/v1/leaves?unit_id={p}"),
        format!("/api/v1/discipline?unit_id={p}"),
    ] {
        let (s, page) = app.get(w.token("root"), &list).await;
        assert_eq!(s, 200, "{list}: {page}");
    }
    let (_, leaves) = app
        .get(w.token("root"), &format!("/api/v1/leaves?unit_id={p}"))
        .await;
    assert_eq!(leaves["total"], 1, "{leaves}");
}

both!(
    every_list_answers_a_page,
    a_province_wide_list_outgrows_no_bind_limit
);
