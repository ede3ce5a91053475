//! `/violation-types`: the catalogue findings and the violation register use.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use super::{PageParams, Paged, blocking, created, paginate};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::db::violation_types::{self as q, NewType, ViolationTypeRow};
use crate::domain::access::Action;
use crate::domain::text::nfc;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_types).service(create_type);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ViolationTypeView {
    pub id: i64,
    pub code: String,
    pub label_vi: String,
    pub label_en: Option<String>,
    /// The legal basis.
    pub basis: Option<String>,
    /// None: national.
    pub province_id: Option<i64>,
}

impl From<ViolationTypeRow> for ViolationTypeView {
    fn from(r: ViolationTypeRow) -> Self {
        ViolationTypeView {
            id: r.id,
            code: r.code,
            label_vi: r.label_vi,
            label_en: r.label_en,
            basis: r.basis,
            province_id: r.province_id,
        }
    }
}

fn code_rule(code: &str) -> Result<(), validator::ValidationError> {
    let ok = (2..=50).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(validator::ValidationError::new("code")
            .with_message("must be 2–50 characters of a-z, 0-9 and '_'".into()))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateViolationType {
    #[validate(custom(function = "code_rule"))]
    pub code: String,
    #[validate(custom(function = "super::units::name_rule"))]
    pub label_vi: String,
    #[validate(length(max = 200))]
    pub label_en: Option<String>,
    #[validate(length(max = 500))]
    pub basis: Option<String>,
    /// The province (root unit) the type is for; omit for a national type.
    pub province_id: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListTypes {
    /// National types and this province's.
    pub province_id: Option<i64>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/violation-types", tag = "inspections", params(ListTypes),
    responses((status = 200, body = Paged<ViolationTypeView>)), security(("bearer" = [])))]
#[get("/violation-types")]
pub async fn list_types(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ListTypes>,
) -> Result<web::Json<Paged<ViolationTypeView>>, ApiError> {
    let province = query.province_id;
    let page = PageParams {
        page: query.page,
        per_page: query.per_page,
    };
    // A province's own catalogue is for those with a role in it (or everywhere): another
    // province's is answered as if it did not exist.
    if province.is_some_and(|p| !auth.actor.in_province(p)) {
        return Err(ApiError::NotFound);
    }
    let rows = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let only: Vec<i64> = province.into_iter().collect();
            Ok::<_, ApiError>(q::list(c, Some(&only))?)
        })
    })
    .await?;
    Ok(web::Json(paginate(rows, &page, ViolationTypeView::from)))
}

#[utoipa::path(post, path = "/api/v1/violation-types", tag = "inspections", request_body = CreateViolationType,
    responses((status = 201, body = ViolationTypeView), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/violation-types")]
pub async fn create_type(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<CreateViolationType>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let read = auth.can(Action::ReadUnits);
    let write = auth.can(Action::WriteUnits);
    let actor = auth.id();
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            match body.province_id {
                None if !write.all => {
                    return Err(ApiError::Forbidden(
                        "national violation types need an administrator of every unit",
                    ));
                }
                None => {}
                Some(p) => {
                    let unit = super::units::visible_unit(c, &read, p, "province_id")?;
                    if unit.parent_id.is_some() {
                        return Err(ApiError::field(
                            "province_id",
                            "must be a province (a root unit)",
                        ));
                    }
                    if !write.subtree(&unit.path) {
                        return Err(ApiError::Forbidden(
                            "the province's catalogue needs the admin role on the province",
                        ));
                    }
                }
            }
            if q::code_taken(c, body.province_id, &body.code)? {
                return Err(ApiError::conflict(
                    "code",
                    "this code is already in the catalogue",
                ));
            }
            Ok(q::insert(
                c,
                Some(actor),
                &NewType {
                    province_id: body.province_id,
                    code: &body.code,
                    label_vi: &nfc(&body.label_vi),
                    label_en: body.label_en.as_deref(),
                    basis: body.basis.as_deref(),
                },
            )?)
        })
    })
    .await?;
    Ok(created(
        format!("{}/violation-types/{}", super::BASE, row.id),
        &ViolationTypeView::from(row),
    ))
}
