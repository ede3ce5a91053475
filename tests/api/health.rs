use serde_json::Value;

use crate::both;
use crate::helpers::{Backend, TestApp, read};

async fn probes_answer_without_a_token(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let expected = if b == Backend::Sqlite {
        "sqlite"
    } else {
        "postgresql"
    };
    assert_eq!(body["database"], expected);
}

async fn metrics_count_requests_by_route(b: Backend) {
    let scrape_token = "scrape-token-0123456789";
    let Some(app) = TestApp::spawn_with(b, |s| {
        s.metrics.token = Some(secrecy::SecretString::from(scrape_token));
    })
    .await
    else {
        return;
    };
    let w = app.world().await;
    for _ in 0..2 {
        app.client
            .get(app.url("/api/v1/units/12345"))
            .send()
            .await
            .unwrap();
    }
    let metrics = |token: Option<&str>| {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    assert_eq!(metrics(None).await.unwrap().status(), 401);
    assert_eq!(metrics(Some("wrong-token")).await.unwrap().status(), 401);
    assert_eq!(
        metrics(Some(w.token("head_a"))).await.unwrap().status(),
        403
    );
    assert_eq!(
        metrics(Some(w.token("admin_a"))).await.unwrap().status(),
        200
    );
    let res = metrics(Some(scrape_token)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    assert!(
        text.contains(
            r#"congvu_http_requests_total{method="GET",route="/api/v1/units/{id}",status="401"} 2"#
        ),
        "{text}"
    );
    assert!(text.contains("congvu_http_request_duration_seconds_bucket"));
    assert!(text.contains(r#"congvu_db_pool_connections{state="idle"}"#));
}

async fn unknown_routes_are_problem_404(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let res = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, 404);
    assert_eq!(body["type"], "/problems/not-found");
    assert_eq!(body["status"], 404);
}

async fn openapi_and_docs_are_served_offline(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let doc: Value = app
        .client
        .get(app.url("/api-docs/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/units",
        "/api/v1/staff/{id}",
        "/api/v1/users",
        "/api/v1/audit",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let res = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(res.status(), 200, "/docs redirects to the UI");
    let html = res.text().await.unwrap();
    let init = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for text in [&html, &init] {
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "external asset in {text}"
        );
    }
    assert!(init.contains("/api-docs/openapi.json"));
    for asset in ["swagger-ui-bundle.js", "swagger-ui.css"] {
        let res = app
            .client
            .get(app.url(&format!("/docs/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{asset}");
        assert!(
            res.bytes().await.unwrap().len() > 10_000,
            "{asset} is bundled"
        );
    }
}

both!(
    probes_answer_without_a_token,
    metrics_count_requests_by_route,
    unknown_routes_are_problem_404,
    openapi_and_docs_are_served_offline,
);

/// Readiness follows the database: when PostgreSQL loses the database, /readyz says 503
/// while /healthz (liveness) stays 200.
#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    app.pg().expect("postgres").drop_now();
    let (status, body) = read(app.client.get(app.url("/readyz")).send().await.unwrap()).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["type"], "/problems/unavailable");
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}
