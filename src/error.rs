//! One error type for the whole API, rendered as `application/problem+json` (RFC 9457).
//! Clients get stable problem types and field-level messages; the causes of server-side
//! failures go to the log only.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;
use utoipa::ToSchema;

/// Messages per field; the key is the field's JSON path (`roles[0].unit_id`).
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("conflict: {detail}")]
    Conflict { detail: String, errors: FieldErrors },
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The problem document of RFC 9457 with congvu's `errors` extension.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A stable identifier of the kind of problem, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: FieldErrors,
}

impl ApiError {
    /// Whether the error is the server's or the database's (a transaction is lost) rather
    /// than the request's.
    pub fn is_server_side(&self) -> bool {
        matches!(self, ApiError::Internal(_) | ApiError::Unavailable(_))
    }

    /// A 422 with one message on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_owned(), vec![message.into()]);
        ApiError::Validation(errors)
    }

    /// A 409 on one field, e.g. a duplicate code.
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut errors = FieldErrors::new();
        errors.insert(field.to_owned(), vec![message.clone()]);
        ApiError::Conflict {
            detail: message,
            errors,
        }
    }

    /// The same error with its field paths placed under `prefix` (e.g. `findings[2].`),
    /// for requests that carry several objects.
    pub fn prefixed(self, prefix: &str) -> Self {
        let move_keys = |errors: FieldErrors| {
            errors
                .into_iter()
                .map(|(k, v)| (format!("{prefix}{k}"), v))
                .collect()
        };
        match self {
            ApiError::Validation(errors) => ApiError::Validation(move_keys(errors)),
            ApiError::Conflict { detail, errors } => ApiError::Conflict {
                detail,
                errors: move_keys(errors),
            },
            other => other,
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => ("bad-request", "Malformed request"),
            ApiError::Unauthorized(_) => ("unauthorized", "Authentication required"),
            ApiError::Forbidden(_) => ("forbidden", "Not allowed"),
            ApiError::NotFound => ("not-found", "Not found"),
            ApiError::Conflict { .. } => ("conflict", "Conflict"),
            ApiError::Validation(_) => ("validation", "Invalid input"),
            ApiError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported media type")
            }
            ApiError::PayloadTooLarge => ("payload-too-large", "Request body too large"),
            ApiError::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let detail = match self {
            ApiError::BadRequest(d) => d.clone(),
            ApiError::Unauthorized(d) | ApiError::Forbidden(d) => (*d).to_owned(),
            ApiError::NotFound => "no such resource, or it is not visible to you".to_owned(),
            ApiError::Conflict { detail, .. } => detail.clone(),
            ApiError::Validation(_) => "one or more fields are invalid".to_owned(),
            ApiError::UnsupportedMediaType(d) => d.clone(),
            ApiError::PayloadTooLarge => "the request body exceeds the configured limit".to_owned(),
            ApiError::TooManyRequests { retry_after_secs } => {
                format!("too many failed attempts; retry in {retry_after_secs} s")
            }
            // Causes of server-side failures are logged, never sent: they may name tables,
            // hosts or configuration.
            ApiError::Unavailable(_) => "the database is not available now; retry later".to_owned(),
            ApiError::Internal(_) => "an internal error occurred".to_owned(),
        };
        let errors = match self {
            ApiError::Validation(e) | ApiError::Conflict { errors: e, .. } => e.clone(),
            _ => FieldErrors::new(),
        };
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(%cause, "request failed"),
            ApiError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        match self {
            ApiError::Unauthorized(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            _ => {}
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        res.body(body)
    }
}

impl From<DieselError> for ApiError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => ApiError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ApiError::Conflict {
                    detail: "a record with the same unique value already exists".to_owned(),
                    errors: FieldErrors::new(),
                }
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                ApiError::Unavailable(info.message().to_owned())
            }
            // SQLite's writer was held longer than the busy timeout, by another process
            // (a command run beside the server): nothing was written and a retry will do.
            DieselError::DatabaseError(_, info) if info.message() == "database is locked" => {
                ApiError::Unavailable(info.message().to_owned())
            }
            // Text with U+0000 is refused where it comes in (`domain::text::NUL_MESSAGE`);
            // should some path still let it through, PostgreSQL's refusal is the client's
            // 422, not a 500, and the transaction has written nothing. diesel gives no
            // SQLSTATE (22021), and the message is translated with the server's
            // `lc_messages` ("invalid byte sequence for encoding \"UTF8\": 0x00"): its
            // end, the byte, is what every language keeps.
            DieselError::DatabaseError(_, info) if info.message().ends_with(": 0x00") => {
                ApiError::field("body", crate::domain::text::NUL_MESSAGE)
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        ApiError::Unavailable(e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(e: validator::ValidationErrors) -> Self {
        let mut out = FieldErrors::new();
        collect_validation(&e, "", &mut out);
        ApiError::Validation(out)
    }
}

fn collect_validation(errors: &validator::ValidationErrors, prefix: &str, out: &mut FieldErrors) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                let messages = out.entry(path).or_default();
                messages.extend(list.iter().map(message_of));
            }
            ValidationErrorsKind::Struct(inner) => collect_validation(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect_validation(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// A human message for a validator error. The rejected value is never echoed: it may be a
/// password.
fn message_of(e: &validator::ValidationError) -> String {
    if let Some(m) = &e.message {
        return m.to_string();
    }
    let param = |name: &str| e.params.get(name).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max} characters long"),
            (Some(min), None) => format!("must be at least {min} characters long"),
            (None, Some(max)) => format!("must be at most {max} characters long"),
            _ => "has an invalid length".to_owned(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".to_owned(),
        },
        "email" => "must be a valid email address".to_owned(),
        other => format!("is invalid ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use validator::Validate;

    #[derive(Validate)]
    struct Login {
        #[validate(length(min = 8, max = 128))]
        password: String,
    }

    #[test]
    fn validation_messages_do_not_echo_values() {
        let err = Login {
            password: "secret1".into(),
        }
        .validate()
        .unwrap_err();
        let problem = ApiError::from(err).problem();
        assert_eq!(problem.status, 422);
        let text = serde_json::to_string(&problem).unwrap();
        assert!(!text.contains("secret1"), "{text}");
        assert_eq!(
            problem.errors["password"],
            vec!["must be between 8 and 128 characters long".to_owned()]
        );
    }

    #[test]
    fn diesel_errors_map_to_statuses() {
        assert_eq!(ApiError::from(DieselError::NotFound).status_code(), 404);
        let internal = ApiError::from(DieselError::RollbackTransaction);
        assert_eq!(internal.status_code(), 500);
        assert_eq!(internal.problem().detail, "an internal error occurred");
        // PostgreSQL's refusal of U+0000, in English and as translated.
        for message in [
            "invalid byte sequence for encoding \"UTF8\": 0x00",
            "ungültige Bytefolge für Kodierung »UTF8«: 0x00",
        ] {
            let nul = ApiError::from(DieselError::DatabaseError(
                DatabaseErrorKind::Unknown,
                Box::new(message.to_owned()),
            ));
            assert_eq!(nul.status_code(), 422, "{message}");
        }
        // SQLite's writer held beyond the busy timeout by another process: retry later.
        let busy = ApiError::from(DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("database is locked".to_owned()),
        ));
        assert_eq!(busy.status_code(), 503);
    }
}
