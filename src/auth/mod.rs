//! Authentication (passwords, tokens, login throttling) and the `AuthUser` extractor
//! that every protected handler takes.

pub mod cache;
pub mod jwt;
pub mod password;
pub mod throttle;

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use crate::db::users::UserRow;
use crate::domain::access::{Action, Actor, Visibility};
use crate::error::ApiError;
use crate::startup::AppState;

/// The signed-in user. Extracting it verifies the bearer token and loads the account and
/// its roles from the database, or from the few seconds' cache of them (`cache`).
pub struct AuthUser {
    pub user: UserRow,
    pub actor: Actor,
}

impl AuthUser {
    pub fn id(&self) -> i64 {
        self.user.id
    }

    pub fn can(&self, action: Action) -> Visibility {
        self.actor.visibility(action)
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_owned());
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
            let token = token.ok_or(ApiError::Unauthorized("a bearer token is required"))?;
            let token = state
                .jwt
                .verify(&token)
                .ok_or(ApiError::Unauthorized("the token is invalid or expired"))?;
            let user_id = token.user_id;
            let (user, actor) = match state.actors.get(user_id) {
                Ok(cached) if !is_stale(&token, &cached.0) => cached,
                // A cached account may predate a change made on another server or on the
                // command line, after which this token was issued: decide on a fresh load.
                Ok(_) => load_account(&state, user_id).await?,
                Err(generation) => {
                    let (user, actor) = load_account(&state, user_id).await?;
                    state.actors.put(generation, &user, &actor);
                    (user, actor)
                }
            };
            if is_stale(&token, &user) {
                return Err(ApiError::Unauthorized(
                    "the token predates a password change",
                ));
            }
            Ok(AuthUser { user, actor })
        })
    }
}

/// Whether a password change or deactivation since the token was issued signs it out.
/// A token naming the credentials it was issued against must name the current ones: a
/// login that read the account before a change committed names the old ones, even when it
/// finished after the change. Older tokens are judged by their issue time.
fn is_stale(token: &jwt::Verified, user: &UserRow) -> bool {
    match token.credentials {
        Some(stamp) => stamp != jwt::credentials_stamp(user.credentials_changed_at),
        None => token.issued_at_ms < user.credentials_changed_at.and_utc().timestamp_millis(),
    }
}

async fn load_account(
    state: &web::Data<AppState>,
    user_id: i64,
) -> Result<(UserRow, Actor), ApiError> {
    let db = state.db.clone();
    let loaded = web::block(move || {
        db.read(|c| Ok::<_, ApiError>(crate::db::users::load_actor(c, user_id)?))
    })
    .await??;
    loaded.ok_or(ApiError::Unauthorized(
        "the account is unknown or deactivated",
    ))
}
