//! Liveness, readiness and metrics for operators; no token needed.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::codes::Role;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    /// `sqlite` or `postgresql`; only on /readyz.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok",
        database: None,
    })
}

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = crate::error::Problem)))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    let db = state.db.clone();
    let backend = db.backend().name();
    if web::block(move || db.ping()).await? {
        Ok(web::Json(Health {
            status: "ready",
            database: Some(backend),
        }))
    } else {
        Err(ApiError::Unavailable(
            "readiness probe: database ping failed".into(),
        ))
    }
}

/// Prometheus metrics. Like every endpoint but the probes and docs, it needs a bearer
/// token: the configured scrape token (`metrics.token`), or an access token of an admin.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain"),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/metrics")]
pub async fn metrics(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: Option<AuthUser>,
) -> Result<HttpResponse, ApiError> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let scraper = match (&state.metrics_token, bearer) {
        (Some(expected), Some(given)) => same_secret(expected.expose_secret(), given),
        _ => false,
    };
    if !scraper {
        match user {
            Some(u) if u.actor.has_role(Role::Admin) => {}
            Some(_) => {
                return Err(ApiError::Forbidden(
                    "metrics are for administrators and scrapers",
                ));
            }
            None => return Err(ApiError::Unauthorized("a bearer token is required")),
        }
    }
    let (open, idle) = state.db.pool_state();
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(open, idle)))
}

/// Compares secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
