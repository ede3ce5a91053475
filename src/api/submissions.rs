//! `POST /inspections/submissions`: a whole inspection record (the inspection, its
//! findings, and optionally its closing) in one request, for inspectors whose phone
//! queues the record while the connection is down and sends it when it can.
//!
//! The request is idempotent: the inspection and each finding carry the device's own
//! reference (`client_ref`). A retried request, or one re-sent with findings added since,
//! finds what an earlier one created and adds only what is new; nothing is created twice.
//! The request is one transaction: one bad finding rejects it whole, with the finding's
//! index in the field paths, and changes nothing.

use std::collections::BTreeSet;

use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::blocking;
use super::extract::ValidJson;
use super::findings::{CreateFinding, existing_finding, insert_finding};
use super::inspections::{
    CloseInspection, CreateInspection, InspectionView, close_record, find_or_insert_inspection,
    view,
};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::db::inspections as q;
use crate::error::{ApiError, FieldErrors};
use crate::startup::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// The inspection; its `client_ref` is required here.
    #[validate(nested)]
    pub inspection: CreateInspection,
    /// The findings; each needs its own `client_ref`, unique within the inspection.
    #[serde(default)]
    #[validate(length(max = 500), nested)]
    pub findings: Vec<CreateFinding>,
    /// Close the record after the findings are in, as `POST /inspections/{id}/close`
    /// would; ignored when it is closed already.
    pub close: Option<CloseInspection>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionResult {
    /// Whether this request created the inspection (false: an earlier one did).
    pub created: bool,
    /// The `client_ref`s of the findings this request created.
    pub findings_created: Vec<String>,
    /// The `client_ref`s of the findings an earlier request had created (left unchanged).
    pub findings_existing: Vec<String>,
    pub inspection: InspectionView,
}

/// The references a submission must carry, checked before anything is written.
fn check_refs(s: &Submission) -> Result<(), ApiError> {
    let mut errors = FieldErrors::new();
    if s.inspection.client_ref.is_none() {
        errors.insert(
            "inspection.client_ref".into(),
            vec!["is required in a submission".into()],
        );
    }
    let mut seen = BTreeSet::new();
    for (i, f) in s.findings.iter().enumerate() {
        match &f.client_ref {
            None => {
                errors.insert(
                    format!("findings[{i}].client_ref"),
                    vec!["is required in a submission".into()],
                );
            }
            Some(r) if !seen.insert(r.as_str()) => {
                errors.insert(
                    format!("findings[{i}].client_ref"),
                    vec!["is used by another finding of this submission".into()],
                );
            }
            Some(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

#[utoipa::path(post, path = "/api/v1/inspections/submissions", tag = "inspections", request_body = Submission,
    responses((status = 201, body = SubmissionResult, description = "something was created"),
              (status = 200, body = SubmissionResult, description = "everything had been received before"),
              (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/inspections/submissions")]
pub async fn submit(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<Submission>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    check_refs(&body)?;
    let actor = auth.actor.clone();
    let result = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let (mut row, team, created) = find_or_insert_inspection(c, &actor, &body.inspection)
                .map_err(|e| e.prefixed("inspection."))?;
            let mut findings_created = Vec::new();
            let mut findings_existing = Vec::new();
            for (i, f) in body.findings.iter().enumerate() {
                let client_ref = f.client_ref.clone().unwrap_or_default();
                let prefix = format!("findings[{i}].");
                if existing_finding(c, row.id, f)
                    .map_err(|e| e.prefixed(&prefix))?
                    .is_some()
                {
                    findings_existing.push(client_ref);
                    continue;
                }
                insert_finding(c, actor.user_id, &row, f).map_err(|e| e.prefixed(&prefix))?;
                findings_created.push(client_ref);
            }
            let findings = q::findings_of(c, row.id)?;
            if let Some(close) = &body.close
                && row.status != "closed"
            {
                row = close_record(c, actor.user_id, &row, &findings, close.with_open_findings)
                    .map_err(|e| e.prefixed("close."))?;
            }
            Ok(SubmissionResult {
                created,
                findings_created,
                findings_existing,
                inspection: view(row, team, findings),
            })
        })
    })
    .await?;
    Ok(if result.created || !result.findings_created.is_empty() {
        HttpResponse::Created()
            .insert_header((
                actix_web::http::header::LOCATION,
                format!("{}/inspections/{}", super::BASE, result.inspection.id),
            ))
            .json(result)
    } else {
        HttpResponse::Ok().json(result)
    })
}
