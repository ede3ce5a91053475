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

both!(every_list_answers_a_page);
