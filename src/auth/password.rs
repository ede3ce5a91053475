//! Password hashing with argon2id (the crate's defaults: m = 19 MiB, t = 2, p = 1, the
//! OWASP recommendation). Hashing is slow on purpose: call it from blocking threads.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

pub fn hash(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

pub fn verify(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// A hash of no real password. Verifying against it when a username is unknown makes a
/// failed login take as long as a wrong password, so timing does not reveal which
/// usernames exist.
static DECOY: LazyLock<String> =
    LazyLock::new(|| hash("decoy password never issued").unwrap_or_default());

pub fn burn_decoy(password: &str) {
    let _ = verify(password, &DECOY);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("correct horse").unwrap();
        let b = hash("correct horse").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify("correct horse", &a));
        assert!(!verify("Correct horse", &a));
        assert!(!verify("correct horse", "not a phc string"));
        burn_decoy("anything");
    }
}
