//! `/auth/login` and `/me`.

use std::net::IpAddr;
use std::time::Instant;

use actix_web::{HttpRequest, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::blocking;
use super::extract::ValidJson;
use super::staff::StaffView;
use super::users::UserView;
use crate::auth::{AuthUser, password};
use crate::db::Db;
use crate::domain::text::normalize_username;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(login).service(logout).service(me);
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 64))]
    pub username: String,
    #[validate(length(min = 1, max = 128))]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = crate::error::Problem),
              (status = 429, body = crate::error::Problem, description = "too many failed attempts; see Retry-After")))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<LoginRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let LoginRequest { username, password } = body.0;
    let username = normalize_username(&username);
    // Taken before the account is read: a session opened from credentials that a change
    // then replaces must not look newer than the change (see `AuthUser`).
    let issued_at = chrono::Utc::now();
    let lookup = username.clone();
    let log = ("login refused: too many failed attempts", "failed login");
    let client = client_of(&req, &state);
    let verified = throttled(&state, client.clone(), &username, log, move |db: &Db| {
        let user =
            db.read(|c| Ok::<_, ApiError>(crate::db::users::find_by_username(c, &lookup)?))?;
        let Some(u) = user else {
            password::burn_decoy(&password);
            return Ok(Checked::NoSuchAccount);
        };
        // An account whose person has left the service opens no session either.
        let opened = password::verify(&password, &u.password_hash)
            && u.is_active
            && db
                .read(|c| Ok::<_, ApiError>(crate::db::users::load_actor(c, u.id)?))?
                .is_some();
        if !opened {
            // Failures are in the server log, not the trail: a write for an existing
            // account alone would tell it from a name that does not exist (its time, and
            // the writer it holds), and every guess would be a row.
            return Ok(Checked::Failed);
        }
        // Written before the token is issued: a session the trail cannot record is not
        // opened.
        db.write(|c| Ok::<_, ApiError>(crate::db::users::record_login(c, &u, &client)?))?;
        Ok(Checked::Passed(u))
    })
    .await?;
    let Some(user) = verified else {
        return Err(ApiError::Unauthorized("invalid username or password"));
    };
    let token = state
        .jwt
        .issue_for_credentials(user.id, issued_at, user.credentials_changed_at)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    tracing::info!(user_id = user.id, %username, "login");
    Ok(web::Json(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: state.jwt.ttl_secs(),
    }))
}

/// What a throttled check of a password found.
pub(crate) enum Checked<T> {
    Passed(T),
    /// A wrong password (or an account that may not log in).
    Failed,
    /// No account has the name given. The name is then left out of the log: a name that
    /// is nobody's is often a password typed into the wrong field.
    NoSuchAccount,
}

/// Runs `verify` (on the blocking pool) as one attempt in the login throttle, for the
/// account `username` and the caller's address `client` (`client_of`): refused with 429
/// once either is locked;
/// counted as a failure when it verifies nothing, as a success when it does,
/// and not at all when it could not check (an error: not a guess). The attempt is
/// reserved before the slow verification, so parallel guesses cannot all pass the lock
/// check before the first of them is counted. `(refused, failed)` are the log's words for
/// a refusal and for a failed attempt. The login and the change of one's own password
/// share it.
pub(crate) async fn throttled<T, F>(
    state: &web::Data<AppState>,
    client: String,
    username: &str,
    (refused, failed): (&'static str, &'static str),
    verify: F,
) -> Result<Option<T>, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Db) -> Result<Checked<T>, ApiError> + Send + 'static,
{
    // The attempt is reserved and settled on the blocking pool, with the verification:
    // a client that hangs up drops this future, not the verification under way, and an
    // attempt dropped unsettled counts for nothing. Settled here, a loop of guesses each
    // cut off after a few milliseconds never locked anything while every one of them
    // still hashed, and filled the blocking pool the whole API shares.
    let shared = state.clone();
    let username = username.to_owned();
    let verified = blocking(state, move |db: &Db| {
        let attempt = match shared.throttle.begin(&username, &client, Instant::now()) {
            Ok(attempt) => attempt,
            Err(retry_after_secs) => {
                // As for a failed attempt, a name that is nobody's is left out of the log
                // (a password typed into the name field, again and again).
                let known = db
                    .read(|c| Ok::<_, ApiError>(crate::db::users::find_by_username(c, &username)?))
                    .is_ok_and(|u| u.is_some());
                if known {
                    tracing::warn!(%username, %client, "{refused}");
                } else {
                    tracing::warn!(%client, "{refused}: no account has the name given");
                }
                return Err(ApiError::TooManyRequests { retry_after_secs });
            }
        };
        match verify(db) {
            Ok(Checked::Passed(found)) => {
                attempt.succeeded(Instant::now());
                Ok(Some(found))
            }
            Ok(Checked::Failed) => {
                attempt.failed(Instant::now());
                tracing::warn!(%username, %client, "{failed}");
                Ok(None)
            }
            Ok(Checked::NoSuchAccount) => {
                attempt.failed(Instant::now());
                tracing::warn!(%client, "{failed}: no account has the name given");
                Ok(None)
            }
            Err(e) => {
                attempt.release(Instant::now());
                Err(e)
            }
        }
    });
    verified.await
}

/// The client's address for login throttling, from the peer and, behind trusted proxies,
/// X-Forwarded-For.
pub(crate) fn client_of(req: &HttpRequest, state: &AppState) -> String {
    // Every X-Forwarded-For line, in order, as one list: a proxy that adds its own line
    // rather than appending to the client's leaves the client's forged line first, and
    // reading the first line alone would believe it.
    let lines: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    let forwarded = (!lines.is_empty()).then(|| lines.join(","));
    client_address(
        req.peer_addr().map(|a| a.ip()),
        forwarded.as_deref(),
        &state.trusted_proxies,
    )
}

/// The client's address for throttling. Behind trusted reverse proxies it is the last
/// address in X-Forwarded-For that is not itself a trusted proxy; otherwise the peer.
/// Untrusted peers cannot choose their key by sending the header.
/// Addresses are compared in their canonical form: a server listening on `[::]` sees an
/// IPv4 proxy as `::ffff:10.0.0.1`, which must match `10.0.0.1` in the settings.
fn client_address(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> String {
    let Some(peer) = peer.map(|p| p.to_canonical()) else {
        return String::new();
    };
    let trusted = |ip: &IpAddr| trusted.iter().any(|t| t.to_canonical() == *ip);
    if !trusted(&peer) {
        return peer.to_string();
    }
    // From the right, past the trusted proxies, the first entry decides. One that is not
    // an address (some proxies append `IP:port`, read as such) is not skipped: the
    // entries left of it are the client's own writing. It counts as the proxy itself,
    // so such clients share one allowance rather than choose theirs.
    for entry in forwarded_for.into_iter().flat_map(|h| h.split(',')).rev() {
        let entry = entry.trim();
        let ip = entry
            .parse::<IpAddr>()
            .ok()
            .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
            .map(|ip| ip.to_canonical());
        match ip {
            Some(ip) if trusted(&ip) => continue,
            Some(ip) => return ip.to_string(),
            None => return peer.to_string(),
        }
    }
    peer.to_string()
}

/// Ends every session of the caller's account, this one included: a token left on a
/// shared office computer, or on a phone that was lost, no longer passes. Tokens are not
/// kept by the server, so one session cannot be ended alone; before, only a password
/// change ended any.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "every session of the account ended"),
              (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    auth: AuthUser,
) -> Result<actix_web::HttpResponse, ApiError> {
    let user = auth.user;
    let id = user.id;
    blocking(&state, move |db: &Db| {
        db.write(|c| Ok::<_, ApiError>(crate::db::users::log_out(c, &user)?))
    })
    .await?;
    // The account's cached state goes at once; the others' stay.
    state.actors.forget(id);
    Ok(actix_web::HttpResponse::NoContent().finish())
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserView,
    /// The staff record linked to the account, if any.
    pub staff: Option<StaffView>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = MeResponse), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/me")]
pub async fn me(
    state: web::Data<AppState>,
    auth: AuthUser,
) -> Result<web::Json<MeResponse>, ApiError> {
    let user = auth.user;
    let (roles, staff) = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let roles = crate::db::users::roles_of(c, user.id)?;
            let staff = match user.staff_id {
                Some(sid) => crate::db::staff::find(c, sid)?,
                None => None,
            };
            Ok::<_, ApiError>((roles, staff))
        })
    })
    .await?;
    Ok(web::Json(MeResponse {
        user: UserView::new(&user, &roles),
        staff: staff.map(StaffView::from),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client: IpAddr = "203.113.1.5".parse().unwrap();
        let xff = Some("1.2.3.4, 203.113.1.5");
        assert_eq!(
            client_address(Some(client), xff, &[proxy]),
            "203.113.1.5",
            "untrusted peer"
        );
        assert_eq!(
            client_address(Some(proxy), xff, &[proxy]),
            "203.113.1.5",
            "last untrusted hop"
        );
        assert_eq!(
            client_address(Some(proxy), Some("203.113.1.5, 10.0.0.1"), &[proxy]),
            "203.113.1.5"
        );
        assert_eq!(client_address(Some(proxy), None, &[proxy]), "10.0.0.1");
        assert_eq!(
            client_address(Some(proxy), Some("garbage"), &[proxy]),
            "10.0.0.1"
        );
        assert_eq!(client_address(Some(client), None, &[]), "203.113.1.5");
        // A server on [::] sees the IPv4 proxy mapped; it is still the trusted proxy.
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(client_address(Some(mapped), xff, &[proxy]), "203.113.1.5");
        // Two header lines, the client's forged one first: the proxy's last word counts.
        assert_eq!(
            client_address(Some(proxy), Some("9.9.9.9,203.113.1.5"), &[proxy]),
            "203.113.1.5"
        );
        // A proxy that appends `IP:port`: that entry is the client, not the forged one
        // left of it.
        assert_eq!(
            client_address(Some(proxy), Some("10.9.1.2, 203.113.1.5:51234"), &[proxy]),
            "203.113.1.5"
        );
        assert_eq!(
            client_address(Some(proxy), Some("10.9.1.2, [2001:db8::5]:443"), &[proxy]),
            "2001:db8::5"
        );
        // An entry that is no address at all is not skipped either: the proxy counts.
        assert_eq!(
            client_address(Some(proxy), Some("10.9.1.2, unknown"), &[proxy]),
            "10.0.0.1"
        );
    }
}
