//! Request extractors that turn bad input into problem documents with field paths:
//! malformed JSON is a 400, well-formed JSON with wrong or missing fields a 422 naming the
//! field, and the validator's rules a 422 per field.

use std::future::Future;
use std::pin::Pin;

use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::error::{ApiError, FieldErrors};

/// A JSON body that was parsed and validated. A string anywhere in it that contains U+0000
/// refuses the body with a 422 at the string's path; with `ROWS`, for bodies of rows
/// reported one by one (check-in batches, score batches), each row checks its own text
/// instead, so that one bad row does not refuse the others.
pub struct ValidJson<T, const ROWS: bool = false>(pub T);

impl<T, const ROWS: bool> std::ops::Deref for ValidJson<T, ROWS> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static, const ROWS: bool> FromRequest
    for ValidJson<T, ROWS>
{
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .mime_type()
            .ok()
            .flatten()
            .is_some_and(|m| m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"));
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType(
                    "the body must be application/json".into(),
                ));
            }
            let bytes = body.await.map_err(|e| match e.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => ApiError::PayloadTooLarge,
                _ => ApiError::BadRequest(format!("cannot read the request body: {e}")),
            })?;
            let value: T = if ROWS {
                parse_json_rows(&bytes)?
            } else {
                parse_json(&bytes)?
            };
            value.validate()?;
            Ok(ValidJson(value))
        })
    }
}

/// Parses JSON, reporting data errors at their path (`roles[0].role`), and a string that
/// contains U+0000 at its path (`domain::text::NUL_MESSAGE`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Raw control characters are not valid JSON, so a NUL can only come as the escape;
    // the body is read again as a tree only when the escape is there (it may be the text
    // "\\u0000", which is not one).
    if bytes.windows(6).any(|w| w == b"\\u0000")
        && let Ok(tree) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(path) = crate::domain::text::nul_path(&tree)
    {
        return Err(ApiError::field(&path, crate::domain::text::NUL_MESSAGE));
    }
    parse_json_rows(bytes)
}

/// `parse_json` for bodies of rows that are reported one by one (a batch, an import):
/// text with U+0000 is left for each row's own checks.
pub fn parse_json_rows<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                data_error(&path, &strip_position(&inner.to_string()))
            }
            _ => ApiError::BadRequest(format!("malformed JSON: {inner}")),
        }
    })
}

/// Any JSON body, for endpoints that accept several shapes and pick one with
/// [`from_value`].
#[derive(Debug, serde::Deserialize)]
#[serde(transparent)]
pub struct AnyJson(pub serde_json::Value);

impl Validate for AnyJson {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

/// Reads an already-parsed JSON value as `T`, validated, with field paths in errors (for
/// bodies whose shape is decided by one of their keys, and for each row of a batch). A
/// string that contains U+0000 is an error at its path, as in `parse_json`.
pub fn from_value<T: DeserializeOwned + Validate>(value: serde_json::Value) -> Result<T, ApiError> {
    if let Some(path) = crate::domain::text::nul_path(&value) {
        return Err(ApiError::field(&path, crate::domain::text::NUL_MESSAGE));
    }
    let parsed: T = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        data_error(&path, &strip_position(&e.into_inner().to_string()))
    })?;
    parsed.validate()?;
    Ok(parsed)
}

/// A validator for text fields of rows checked one by one (`ValidJson<_, true>`): U+0000
/// refused as that row's field error.
pub fn no_nul(s: &str) -> Result<(), validator::ValidationError> {
    if s.contains('\0') {
        Err(validator::ValidationError::new("nul")
            .with_message(crate::domain::text::NUL_MESSAGE.into()))
    } else {
        Ok(())
    }
}

/// A query string that was parsed and validated.
pub struct ValidQuery<T>(pub T);

impl<T> std::ops::Deref for ValidQuery<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Validate> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(ValidQuery))
    }
}

fn parse_query<T: DeserializeOwned + Validate>(qs: &str) -> Result<T, ApiError> {
    if let Some((key, _)) =
        form_urlencoded::parse(qs.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(ApiError::field(&key, crate::domain::text::NUL_MESSAGE));
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(qs.as_bytes()));
    let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        data_error(&path, &e.into_inner().to_string())
    })?;
    value.validate()?;
    Ok(value)
}

/// A 422 for a deserialisation error at `path`; a missing field is reported on itself.
fn data_error(path: &str, message: &str) -> ApiError {
    let mut errors = FieldErrors::new();
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        let key = if path == "." {
            field.to_owned()
        } else {
            format!("{path}.{field}")
        };
        errors.insert(key, vec!["is required".to_owned()]);
    } else {
        let key = if path == "." {
            "body".to_owned()
        } else {
            path.to_owned()
        };
        errors.insert(key, vec![message.to_owned()]);
    }
    ApiError::Validation(errors)
}

/// serde_json appends " at line 1 column 42", which means nothing to a field message.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Deserialises a field that may be absent (leave unchanged), null (clear) or a value.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    struct Body {
        #[validate(length(min = 1))]
        name: String,
        #[allow(dead_code)]
        kind: crate::domain::codes::UnitKind,
    }

    fn problem(e: ApiError) -> (u16, FieldErrors) {
        let p = e.problem();
        (p.status, p.errors)
    }

    #[test]
    fn json_errors_name_their_fields() {
        let (status, errors) =
            problem(parse_json::<Body>(b"{\"name\": \"x\", \"kind\": \"planet\"}").unwrap_err());
        assert_eq!(status, 422);
        assert!(
            errors["kind"][0].contains("unknown variant `planet`"),
            "{errors:?}"
        );
        assert!(!errors["kind"][0].contains("line 1"));

        let (status, errors) =
            problem(parse_json::<Body>(b"{\"kind\": \"province\"}").unwrap_err());
        assert_eq!(status, 422);
        assert_eq!(errors["name"], vec!["is required"]);

        let (status, _) = problem(parse_json::<Body>(b"{\"name\": ").unwrap_err());
        assert_eq!(status, 400);
    }

    #[derive(Debug, Deserialize, Validate)]
    struct Query {
        page: Option<i64>,
    }

    #[test]
    fn query_errors_name_their_fields() {
        let q: Query = parse_query("page=2").unwrap();
        assert_eq!(q.page, Some(2));
        let (status, errors) = problem(parse_query::<Query>("page=two").unwrap_err());
        assert_eq!(status, 422);
        assert!(errors.contains_key("page"), "{errors:?}");
    }
}
