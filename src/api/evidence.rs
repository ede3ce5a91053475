//! `/findings/{id}/evidence`: files attached to a finding (photos, scans, recordings).
//! Uploaded as `multipart/form-data` with one part named `file`; the type is recognised
//! from the content and checked against the configured list, the size against the limit.
//! Anyone who may see the finding may list and download its evidence; the team (until
//! the finding is closed) and whoever explains it may add to it.

use actix_multipart::{Multipart, MultipartError};
use actix_web::error::PayloadError;
use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, FixedOffset};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use super::findings::{finding_access, may_explain};
use super::{BASE, blocking, local_time};
use crate::auth::AuthUser;
use crate::db::evidence::{self as q, EvidenceRow, NewEvidence};
use crate::db::{AnyConnection, Db};
use crate::domain::access::Actor;
use crate::domain::findings::Status;
use crate::domain::text::nfc;
use crate::error::ApiError;
use crate::evidence::StoreError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(upload).service(list).service(download);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceView {
    pub id: i64,
    pub finding_id: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub size_bytes: i64,
    /// Recognised from the content.
    pub content_type: String,
    /// The name the file had on the uploader's device.
    pub filename: Option<String>,
    /// The account that attached it; null for someone who sees only the findings about
    /// themselves, when another attached it (the team is not theirs to know).
    pub uploaded_by: Option<i64>,
    pub uploaded_at: DateTime<FixedOffset>,
    pub download: String,
}

impl From<EvidenceRow> for EvidenceView {
    fn from(e: EvidenceRow) -> Self {
        EvidenceView {
            download: format!("{BASE}/findings/{}/evidence/{}", e.finding_id, e.id),
            id: e.id,
            finding_id: e.finding_id,
            sha256: e.sha256,
            size_bytes: e.size_bytes,
            content_type: e.content_type,
            filename: e.filename,
            uploaded_by: Some(e.uploaded_by),
            uploaded_at: local_time(e.uploaded_at),
        }
    }
}

/// The finding, when the caller may attach evidence to it.
fn attachable(
    c: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> Result<crate::db::inspections::FindingRow, ApiError> {
    let (f, a) = finding_access(c, actor, id)?;
    if !a.member && !may_explain(c, actor, &f)? {
        return Err(ApiError::Forbidden(
            "evidence is added by the inspection's team or by whoever explains the finding",
        ));
    }
    match Status::parse(&f.status) {
        Some(Status::Closed) => return Err(super::inspections::conflict("the finding is closed")),
        Some(Status::Withdrawn) => {
            return Err(super::inspections::conflict("the finding is withdrawn"));
        }
        _ => {}
    }
    Ok(f)
}

fn multipart_error(e: MultipartError) -> ApiError {
    match e {
        MultipartError::Payload(PayloadError::Overflow) => ApiError::PayloadTooLarge,
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => ApiError::UnsupportedMediaType(
            "send multipart/form-data with the file in a part named \"file\"".into(),
        ),
        other => ApiError::BadRequest(format!("malformed multipart body: {other}")),
    }
}

/// Keeps the device's file name for people: NFC, no folders, no control characters, and
/// none of the invisible direction and zero-width marks that can disguise an extension
/// (`ảnh\u{202E}gpj.exe` shows as `ảnhexe.jpg`).
fn clean_filename(name: &str) -> Option<String> {
    const INVISIBLE: &[char] = &[
        '\u{061C}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{202A}',
        '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}',
        '\u{2069}', '\u{FEFF}',
    ];
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = nfc(base)
        .chars()
        .filter(|c| !c.is_control() && !INVISIBLE.contains(c))
        .take(200)
        .collect();
    let clean = clean.trim().to_owned();
    (!clean.is_empty()).then_some(clean)
}

/// What a multipart body may hold beside its file's bytes: the boundaries and each part's
/// headers.
const ENVELOPE_BYTES: usize = 64 * 1024;

/// A `multipart/form-data` body read no further than `max` bytes of file and its
/// envelope. The parser buffers a part's headers and the line before each boundary
/// without a limit of its own, and the server's payload limit does not apply to a
/// streamed body: a body of gigabytes with no line break would have grown in memory until
/// the process ran out of it.
pub(crate) fn bounded(req: &HttpRequest, payload: web::Payload, max: usize) -> Multipart {
    let cap = max.saturating_add(ENVELOPE_BYTES);
    let mut seen = 0usize;
    let stream = payload.map(move |chunk| {
        let chunk = chunk?;
        seen = seen.saturating_add(chunk.len());
        if seen > cap {
            Err(PayloadError::Overflow)
        } else {
            Ok(chunk)
        }
    });
    Multipart::new(req.headers(), stream)
}

/// The one file of a `multipart/form-data` body, in a part named `file`, with the name it
/// had on the uploader's device; larger than `max` bytes is refused as it arrives.
pub(crate) async fn read_file(
    payload: &mut Multipart,
    max: usize,
) -> Result<(Option<String>, Vec<u8>), ApiError> {
    let mut file: Option<(Option<String>, Vec<u8>)> = None;
    while let Some(part) = payload.next().await {
        let mut part = part.map_err(multipart_error)?;
        if part.name() != Some("file") {
            return Err(ApiError::field(
                "file",
                format!(
                    "unexpected part {:?}: send one part named \"file\"",
                    part.name().unwrap_or_default()
                ),
            ));
        }
        if file.is_some() {
            return Err(ApiError::field("file", "send one file per request"));
        }
        let name = part.content_disposition().and_then(|d| {
            d.get_filename()
                .map(str::to_owned)
                // Some clients send only the RFC 5987 form, `filename*=UTF-8''…`.
                .or_else(|| {
                    d.get_filename_ext()
                        .and_then(|v| String::from_utf8(v.value.clone()).ok())
                })
                .and_then(|n| clean_filename(&n))
        });
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(multipart_error)?;
            if bytes.len() + chunk.len() > max {
                return Err(ApiError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        file = Some((name, bytes));
    }
    file.ok_or_else(|| {
        ApiError::field(
            "file",
            "is required: a multipart/form-data part named \"file\"",
        )
    })
}

#[utoipa::path(post, path = "/api/v1/findings/{id}/evidence", tag = "inspections",
    request_body(content_type = "multipart/form-data", description = "one part named `file`"),
    responses((status = 201, body = EvidenceView, description = "attached"),
              (status = 200, body = EvidenceView, description = "the same file was attached before"),
              (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 413, body = crate::error::Problem),
              (status = 415, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/findings/{id}/evidence")]
pub async fn upload(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = auth.actor.clone();
    let mut payload = bounded(&req, payload, state.evidence.max_bytes);
    // Refuse before reading the body: a file for an invisible or closed finding is not
    // worth receiving.
    let check = actor.clone();
    blocking(&state, move |db: &Db| {
        db.read(|c| attachable(c, &check, id).map(|_| ()))
    })
    .await?;

    let (filename, bytes) = read_file(&mut payload, state.evidence.max_bytes).await?;

    let store = state.evidence.clone();
    let (row, new) = blocking(&state, move |db: &Db| {
        let stored = store_file(&store, &bytes)?;
        // The file is written before the row: a failed transaction leaves at most an
        // unreferenced file, never a row without its file.
        db.write(|c| {
            if let Some(inspection) = crate::db::inspections::inspection_of(c, id)? {
                crate::db::inspections::lock(c, inspection)?;
            }
            let f = attachable(c, &actor, id)?;
            Ok(q::attach(
                c,
                f.unit_id,
                &NewEvidence {
                    province_id: f.province_id,
                    finding_id: f.id,
                    sha256: stored.sha256.clone(),
                    size_bytes: stored.size as i64,
                    content_type: stored.content_type.to_owned(),
                    filename: filename.clone(),
                    uploaded_by: actor.user_id,
                },
            )?)
        })
    })
    .await?;
    let view = EvidenceView::from(row);
    let location = view.download.clone();
    Ok(attached(view, location, new))
}

/// 201 with where to download a newly attached file; 200 when the same file was
/// attached before.
pub(crate) fn attached(view: impl Serialize, location: String, new: bool) -> HttpResponse {
    if new {
        HttpResponse::Created()
            .insert_header((header::LOCATION, location))
            .json(view)
    } else {
        HttpResponse::Ok().json(view)
    }
}

/// The bytes of a stored file.
pub(crate) fn read_stored(
    store: &crate::evidence::EvidenceStore,
    sha256: &str,
    id: i64,
) -> Result<Vec<u8>, ApiError> {
    let mut bytes = Vec::new();
    let mut file = store
        .open(sha256)
        .map_err(|e| ApiError::Internal(format!("evidence {id}: {e}")))?;
    std::io::Read::read_to_end(&mut file, &mut bytes)
        .map_err(|e| ApiError::Internal(format!("evidence {id}: {e}")))?;
    Ok(bytes)
}

#[utoipa::path(get, path = "/api/v1/findings/{id}/evidence", tag = "inspections",
    responses((status = 200, body = Vec<EvidenceView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/findings/{id}/evidence")]
pub async fn list(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<EvidenceView>>, ApiError> {
    let id = id.into_inner();
    let actor = auth.actor.clone();
    let me = actor.user_id;
    let (rows, whole) = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let (f, access) = finding_access(c, &actor, id)?;
            Ok::<_, ApiError>((q::of_finding(c, f.id)?, access.whole()))
        })
    })
    .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(EvidenceView::from)
            .map(|mut v| {
                // As a finding's view leaves out who decided and who explained it.
                if !whole && v.uploaded_by != Some(me) {
                    v.uploaded_by = None;
                }
                v
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/findings/{id}/evidence/{evidence_id}", tag = "inspections",
    responses((status = 200, description = "the file, as an attachment"),
              (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/findings/{id}/evidence/{evidence_id}")]
pub async fn download(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, evidence_id) = path.into_inner();
    let actor = auth.actor.clone();
    let store = state.evidence.clone();
    let (row, bytes) = blocking(&state, move |db: &Db| {
        let row = db.read(|c| {
            let (f, _) = finding_access(c, &actor, id)?;
            q::find(c, f.id, evidence_id)?.ok_or(ApiError::NotFound)
        })?;
        let bytes = read_stored(&store, &row.sha256, row.id)?;
        Ok((row, bytes))
    })
    .await?;
    let name = row
        .filename
        .clone()
        .unwrap_or_else(|| format!("evidence-{}", row.id));
    Ok(file_response(name, &row.content_type, &row.sha256, bytes))
}

/// Keeps the file in the evidence store, refusing empty files and types not allowed.
pub(crate) fn store_file(
    store: &crate::evidence::EvidenceStore,
    bytes: &[u8],
) -> Result<crate::evidence::Stored, ApiError> {
    store.put(bytes).map_err(|e| match e {
        StoreError::Empty => ApiError::field("file", "is empty"),
        StoreError::Unrecognised | StoreError::NotAllowed(_) => ApiError::UnsupportedMediaType(
            format!("{e}; accepted: {}", store.allowed_types().join(", ")),
        ),
        StoreError::Io(io) => ApiError::Internal(format!("evidence store: {io}")),
    })
}

/// A stored evidence file as an attachment: its real (Vietnamese) name, the type it was
/// recognised as, never sniffed again by the browser, never cached.
pub(crate) fn file_response(
    name: String,
    content_type: &str,
    sha256: &str,
    bytes: Vec<u8>,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            // An ASCII name for old clients, the real (Vietnamese) one per RFC 6266.
            parameters: vec![
                DispositionParam::Filename(
                    name.chars()
                        .map(|c| {
                            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                                c
                            } else {
                                '_'
                            }
                        })
                        .collect(),
                ),
                DispositionParam::FilenameExt(ExtendedValue {
                    charset: Charset::Ext("UTF-8".into()),
                    language_tag: None,
                    value: name.into_bytes(),
                }),
            ],
        })
        // Served as stored: browsers must not second-guess the type of an uploaded file.
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::ETAG, format!("\"{sha256}\"")))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes)
}

#[cfg(test)]
mod tests {
    use super::clean_filename;

    #[test]
    fn file_names_keep_vietnamese_and_lose_what_could_deceive() {
        assert_eq!(
            clean_filename("ảnh bàn nhậu.jpg").as_deref(),
            Some("ảnh bàn nhậu.jpg")
        );
        assert_eq!(
            clean_filename("C:\\Users\\a\\bb.pdf").as_deref(),
            Some("bb.pdf")
        );
        assert_eq!(
            clean_filename("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(
            clean_filename("a\r\nSet-Cookie: x").as_deref(),
            Some("aSet-Cookie: x")
        );
        assert_eq!(
            clean_filename("ảnh\u{202E}gpj.exe").as_deref(),
            Some("ảnhgpj.exe")
        );
        assert_eq!(clean_filename("  \u{200B} "), None);
    }
}
