//! `/policies`: the rating policies (TOML documents). Anyone signed in reads them: they
//! are the rules everyone is rated by. A province's administrators add versions of their
//! province's policies; national ones need an administrator of every unit. A document
//! that does not hold is refused with the line of the problem.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use std::collections::HashSet;

use super::extract::ValidQuery;
use super::{BASE, PageParams, Paged, blocking, created, local_now, local_time, paginate};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::db::policies::{self as q, PolicyRow};
use crate::domain::access::Action;
use crate::domain::evaluation::policy::{Policy, parse_new};
use crate::domain::evaluation::{Stored, newest_per_code, started_by};
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_policies)
        .service(get_policy)
        .service(create_policy);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicySummary {
    pub id: i64,
    pub code: String,
    pub version: i32,
    /// Whether this is the version evaluations of the current year use: the newest of its
    /// code begun by the end of the year, unless it ended before the year began.
    pub current: bool,
    pub kind: String,
    pub name: String,
    /// The province's root unit code; null for a national policy.
    pub province: Option<String>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub created_by: Option<i64>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    #[serde(flatten)]
    pub summary: PolicySummary,
    /// The TOML document as stored.
    pub document: String,
    /// The document as congvu reads it: coverage, quota and rules.
    #[schema(value_type = Object)]
    pub policy: Option<Policy>,
}

fn summary(r: &PolicyRow, current: bool) -> PolicySummary {
    PolicySummary {
        id: r.id,
        code: r.code.clone(),
        version: r.version,
        current,
        kind: r.kind.clone(),
        name: r.name.clone(),
        province: r.policy().and_then(|p| p.province),
        effective_from: r.effective_from,
        effective_to: r.effective_to,
        created_by: r.created_by,
        created_at: local_time(r.created_at),
    }
}

#[utoipa::path(get, path = "/api/v1/policies", tag = "evaluation", params(PageParams),
    responses((status = 200, body = Paged<PolicySummary>)), security(("bearer" = [])))]
#[get("/policies")]
pub async fn list_policies(
    state: web::Data<AppState>,
    _auth: AuthUser,
    page: ValidQuery<PageParams>,
) -> Result<web::Json<Paged<PolicySummary>>, ApiError> {
    let rows = blocking(&state, |db: &Db| db.read(|c| Ok(q::list(c)?))).await?;
    // Which versions are in force is decided over every version, not the page's.
    let current = in_force(&rows);
    Ok(web::Json(paginate(rows, &page.0, |r| {
        summary(&r, current.contains(&r.id))
    })))
}

/// The versions evaluations of the current year use: per code, the newest version that
/// has started by the end of the year, if it has not ended before the year began. The
/// latest version of a code is not it when it starts next year, nor when it ended a code.
fn in_force(rows: &[PolicyRow]) -> HashSet<i64> {
    let year = chrono::Datelike::year(&local_now());
    let stored: Vec<Stored> = rows
        .iter()
        .filter_map(|r| Some((r.id, r.policy()?)))
        .collect();
    let began = NaiveDate::from_ymd_opt(year, 1, 1);
    newest_per_code(
        &stored,
        |p| started_by(p, year),
        |p| {
            p.effective_to
                .is_none_or(|to| began.is_none_or(|b| to >= b))
        },
    )
    .into_iter()
    .map(|(id, _)| *id)
    .collect()
}

#[utoipa::path(get, path = "/api/v1/policies/{id}", tag = "evaluation",
    responses((status = 200, body = PolicyView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/policies/{id}")]
pub async fn get_policy(
    state: web::Data<AppState>,
    _auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<PolicyView>, ApiError> {
    let id = id.into_inner();
    let (row, current) = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let row = q::find(c, id)?.ok_or(ApiError::NotFound)?;
            let current = in_force(&q::list(c)?).contains(&row.id);
            Ok::<_, ApiError>((row, current))
        })
    })
    .await?;
    Ok(web::Json(PolicyView {
        summary: summary(&row, current),
        policy: row.policy(),
        document: row.document,
    }))
}

/// A policy sent as JSON.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// The TOML document.
    pub document: String,
}

#[utoipa::path(post, path = "/api/v1/policies", tag = "evaluation",
    request_body(content = PolicyDocument,
        description = "`{\"document\": \"…\"}`, or the TOML itself as `application/toml` or `text/plain`"),
    responses((status = 201, body = PolicyView), (status = 403, body = crate::error::Problem),
              (status = 415, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/policies")]
pub async fn create_policy(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let document = match content_type.as_str() {
        "application/json" => super::extract::parse_json::<PolicyDocument>(&body)?.document,
        "application/toml" | "text/plain" | "text/x-toml" => String::from_utf8(body.to_vec())
            .map_err(|_| ApiError::field("document", "is not UTF-8 text"))?,
        _ => {
            return Err(ApiError::UnsupportedMediaType(
                "send the TOML as application/toml or text/plain, or JSON {\"document\": …}".into(),
            ));
        }
    };
    let policy = parse_new(&document).map_err(|e| ApiError::field("document", e.to_string()))?;
    let write = auth.can(Action::WritePolicies);
    let actor = auth.id();
    let (row, policy, current) = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let province_id = match &policy.province {
                None if !write.all => {
                    return Err(ApiError::Forbidden(
                        "national policies need an administrator of every unit",
                    ));
                }
                None => None,
                Some(code) => {
                    let root = crate::db::units::find_by_code(c, code)?
                        .into_iter()
                        .find(|u| u.parent_id.is_none() && write.subtree(&u.path));
                    // The province's code cannot change while this version is stored
                    // under it (a rename checks the policies naming it, under the same
                    // lock): read it again once the tree is ours.
                    let root = match root {
                        Some(u) => {
                            crate::db::units::lock_tree(c, u.id)?;
                            crate::db::units::find(c, u.id)?.filter(|u| &u.code == code)
                        }
                        None => None,
                    };
                    match root {
                        Some(u) => Some(u.id),
                        None => {
                            return Err(ApiError::Forbidden(
                                "a province's policies need the admin role on that province",
                            ));
                        }
                    }
                }
            };
            // A code belongs to one scope: a province cannot take over a national
            // policy's (or another province's) code by posting a version of it.
            if let Some(scope) = q::scope_of(c, &policy.code)?
                && scope != policy.province
            {
                return Err(ApiError::conflict(
                    "document",
                    format!(
                        "the code {:?} belongs to {}; choose another code",
                        policy.code,
                        scope.map_or("the national policies".to_owned(), |p| format!(
                            "province {p}"
                        ))
                    ),
                ));
            }
            let row = q::insert(c, Some(actor), province_id, &policy, &document)?;
            let current = in_force(&q::list(c)?).contains(&row.id);
            Ok((row, policy, current))
        })
    })
    .await?;
    Ok(created(
        format!("{BASE}/policies/{}", row.id),
        &PolicyView {
            summary: summary(&row, current),
            policy: Some(policy),
            document: row.document.clone(),
        },
    ))
}
