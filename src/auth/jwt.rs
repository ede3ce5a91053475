//! Signed, expiring access tokens (HS256). The token carries only the user id: roles are
//! read from the database on every request, so a revoked role or a deactivated account
//! takes effect at once rather than when the token expires.

use std::path::Path;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

const ISSUER: &str = "congvu";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iat: i64,
    /// Issue time in milliseconds: `iat` has whole seconds only, too coarse to tell a
    /// session opened just before a password change from one opened just after.
    pub iat_ms: i64,
    /// The account's `credentials_changed_at` (Unix microseconds) as the login read it.
    /// Comparing it for equality, rather than the issue time against the change time,
    /// refuses a token from a login that read the account just before a change committed
    /// whatever the clocks say (the change's time is taken before its commit, possibly on
    /// another server). Absent from tokens issued without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crd: Option<i64>,
    pub exp: i64,
    pub iss: String,
}

/// What a valid token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub user_id: i64,
    /// Issue time, Unix milliseconds.
    pub issued_at_ms: i64,
    /// See `Claims::crd`.
    pub credentials: Option<i64>,
}

/// How a token names the credentials it was issued against.
pub fn credentials_stamp(changed_at: chrono::NaiveDateTime) -> i64 {
    changed_at.and_utc().timestamp_micros()
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: i64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl_minutes: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 5;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs: ttl_minutes * 60,
        }
    }

    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    /// Issues a token for `user_id` valid from `now`, checked against a later password
    /// change by its issue time only.
    pub fn issue(
        &self,
        user_id: i64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.encode(user_id, now, None)
    }

    /// Issues a token for `user_id` valid from `now`, for the account's credentials as
    /// last changed at `credentials_changed_at`: any later change refuses it.
    pub fn issue_for_credentials(
        &self,
        user_id: i64,
        now: chrono::DateTime<chrono::Utc>,
        credentials_changed_at: chrono::NaiveDateTime,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.encode(
            user_id,
            now,
            Some(credentials_stamp(credentials_changed_at)),
        )
    }

    fn encode(
        &self,
        user_id: i64,
        now: chrono::DateTime<chrono::Utc>,
        crd: Option<i64>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            iat_ms: now.timestamp_millis(),
            crd,
            exp: now.timestamp() + self.ttl_secs,
            iss: ISSUER.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// What a valid token says; None for a forged, expired or malformed one.
    pub fn verify(&self, token: &str) -> Option<Verified> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        Some(Verified {
            user_id: data.claims.sub.parse().ok()?,
            issued_at_ms: data.claims.iat_ms,
            credentials: data.claims.crd,
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SecretError(pub String);

/// The signing secret: the configured one, or on SQLite one generated once and kept in the
/// data folder (mode 0600) so tokens survive restarts. PostgreSQL deployments usually run
/// several instances, which must share a secret, so there it must be configured.
pub fn resolve_secret(
    configured: Option<&SecretString>,
    on_postgres: bool,
    data_dir: &Path,
) -> Result<Vec<u8>, SecretError> {
    if let Some(secret) = configured {
        return Ok(secret.expose_secret().as_bytes().to_vec());
    }
    if on_postgres {
        return Err(SecretError(
            "CONGVU_JWT_SECRET must be set (at least 32 characters) when DATABASE_URL points to PostgreSQL".into(),
        ));
    }
    let file = data_dir.join("jwt_secret");
    if let Ok(existing) = std::fs::read_to_string(&file) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(existing.as_bytes().to_vec());
        }
    }
    let mut raw = [0u8; 48];
    getrandom::fill(&mut raw)
        .map_err(|e| SecretError(format!("no randomness for the token secret: {e}")))?;
    let secret = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, raw);
    crate::private_fs::create_dir(data_dir)
        .map_err(|e| SecretError(format!("cannot create {}: {e}", data_dir.display())))?;
    write_private(&file, &secret)
        .map_err(|e| SecretError(format!("cannot write {}: {e}", file.display())))?;
    tracing::info!(file = %file.display(), "generated a token signing secret");
    Ok(secret.into_bytes())
}

/// The secret, readable by the service's user only.
fn write_private(file: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    crate::private_fs::create_file(file, true)?.write_all(content.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn issued_tokens_verify_and_others_do_not() {
        let keys = JwtKeys::new(SECRET, 60);
        let now = chrono::Utc::now();
        let token = keys.issue(42, now).unwrap();
        let verified = |user_id, credentials| Verified {
            user_id,
            issued_at_ms: now.timestamp_millis(),
            credentials,
        };
        assert_eq!(keys.verify(&token), Some(verified(42, None)));
        let changed = now.naive_utc() - chrono::Duration::minutes(1);
        let stamped = keys.issue_for_credentials(42, now, changed).unwrap();
        assert_eq!(
            keys.verify(&stamped),
            Some(verified(42, Some(changed.and_utc().timestamp_micros())))
        );

        let other = JwtKeys::new(b"another secret of at least 32 bytes!", 60);
        assert_eq!(other.verify(&token), None, "signed with another secret");
        let expired = keys.issue(42, now - chrono::Duration::hours(2)).unwrap();
        assert_eq!(keys.verify(&expired), None, "expired");
        assert_eq!(keys.verify("not.a.token"), None);
        assert_eq!(keys.verify(""), None);
    }

    #[test]
    fn secret_is_generated_once_on_sqlite_and_required_on_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let first = resolve_secret(None, false, dir.path()).unwrap();
        let second = resolve_secret(None, false, dir.path()).unwrap();
        assert_eq!(first, second);
        assert!(first.len() >= 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("jwt_secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let err = resolve_secret(None, true, dir.path()).unwrap_err();
        assert!(err.0.contains("CONGVU_JWT_SECRET"));
        let configured = SecretString::from("x".repeat(40));
        assert_eq!(
            resolve_secret(Some(&configured), true, dir.path()).unwrap(),
            vec![b'x'; 40]
        );
    }
}
