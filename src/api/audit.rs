//! `/audit`: the append-only trail of every change, for admin and hr in their subtree.

use actix_web::{get, web};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::ValidQuery;
use super::{PageParams, Paged, blocking, local_time};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::db::audit::{self as q, AuditFilter, AuditRow};
use crate::domain::access::Action;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_audit);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: DateTime<FixedOffset>,
    /// The account that made the change; null for the command line.
    pub actor_user_id: Option<i64>,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    pub province_id: Option<i64>,
    pub unit_id: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

impl From<AuditRow> for AuditView {
    fn from(r: AuditRow) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        AuditView {
            id: r.id,
            at: local_time(r.at),
            actor_user_id: r.actor_user_id,
            entity: r.entity,
            entity_id: r.entity_id,
            action: r.action,
            province_id: r.province_id,
            unit_id: r.unit_id,
            before: parse(r.before_json),
            after: parse(r.after_json),
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListAudit {
    /// `unit`, `staff`, `user`, …
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(ListAudit),
    responses((status = 200, body = Paged<AuditView>), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ListAudit>,
) -> Result<web::Json<Paged<AuditView>>, ApiError> {
    let query = query.0;
    let page = PageParams {
        page: query.page,
        per_page: query.per_page,
    };
    let vis = auth.can(Action::ReadAudit);
    if vis.is_empty() {
        return Err(ApiError::Forbidden(
            "the audit trail is for the admin and hr roles",
        ));
    }
    let filter = AuditFilter {
        entity: query.entity,
        entity_id: query.entity_id,
        actor_user_id: query.actor_user_id,
        // Account snapshots (usernames, roles) are for those who manage accounts, where
        // they manage them, as /users is; hr reads the rest of the trail.
        accounts: Some(auth.can(Action::ManageUsers)).filter(|m| !m.is_empty()),
        reader: auth.actor.staff_id,
        reader_user_id: auth.id(),
    };
    let (rows, total) = blocking(&state, move |db: &Db| {
        db.read(|c| Ok(q::list(c, &vis, &filter, page.per_page(), page.offset())?))
    })
    .await?;
    Ok(web::Json(Paged::new(
        rows.into_iter().map(AuditView::from).collect(),
        total,
        &page,
    )))
}
