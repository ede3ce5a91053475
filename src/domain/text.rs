//! Text normalisation rules for what clients send.

use unicode_normalization::UnicodeNormalization;

/// Vietnamese text is stored in NFC: the same name typed on a phone (often NFD) and on a
/// desktop (NFC) must compare equal and sort together.
pub fn nfc(s: &str) -> String {
    s.trim().nfc().collect()
}

/// Codes of units and staff: ASCII letters, digits, '.', '_' and '-', so they survive CSV
/// exports and URLs unchanged.
pub fn is_valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 50
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Usernames are compared case-insensitively, so they are stored lower-case.
pub fn normalize_username(s: &str) -> String {
    s.trim().to_lowercase()
}

pub fn is_valid_username(s: &str) -> bool {
    (3..=64).contains(&s.len())
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfd_input_becomes_nfc() {
        let nfd = "Nguye\u{0302}\u{0303}n"; // "Nguyễn" with combining marks
        assert_eq!(nfc(nfd), "Nguyễn");
        assert_eq!(nfc("  Trần Thị Hà "), "Trần Thị Hà");
    }

    #[test]
    fn codes() {
        assert!(is_valid_code("KHA-SNV.01_a"));
        assert!(!is_valid_code(""));
        assert!(!is_valid_code("Sở"));
        assert!(!is_valid_code("a b"));
        assert!(!is_valid_code(&"x".repeat(51)));
        assert!(is_valid_code(&"x".repeat(50)));
    }

    #[test]
    fn usernames() {
        assert_eq!(normalize_username(" Admin "), "admin");
        assert!(is_valid_username("nguyen.van-a_1"));
        assert!(!is_valid_username("ab"));
        assert!(!is_valid_username("Admin"));
        assert!(!is_valid_username("nguyễn"));
    }
}
