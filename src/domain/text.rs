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

/// What a field containing U+0000 is told. PostgreSQL stores no NUL character in text
/// and SQLite would: such input is refused where it comes in, field by field, so that both
/// databases take the same and neither answers a 500.
pub const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

/// The path of the first string or key in `value` that contains U+0000, in the form
/// field errors use (`dossiers[3].procedure_name`); `None` when there is none. A NUL at
/// the top level, a bare string, has the path `body`.
pub fn nul_path(value: &serde_json::Value) -> Option<String> {
    fn walk(value: &serde_json::Value, path: &mut String) -> bool {
        match value {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            serde_json::Value::Object(map) => map.iter().any(|(key, item)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                let found = key.contains('\0') || walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = String::new();
    walk(value, &mut path).then(|| {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_paths_name_the_field() {
        use serde_json::json;
        assert_eq!(nul_path(&json!({"a": "x", "b": [1, "ok"]})), None);
        assert_eq!(
            nul_path(&json!({"dossiers": [{"code": "A"}, {"code": "B", "name": "x\u{0}y"}]})),
            Some("dossiers[1].name".to_owned())
        );
        assert_eq!(nul_path(&json!(["ok", "\u{0}"])), Some("[1]".to_owned()));
        assert_eq!(nul_path(&json!("\u{0}")), Some("body".to_owned()));
        assert_eq!(
            nul_path(&json!({"a": {"k\u{0}": 1}})),
            Some("a.k\u{0}".to_owned())
        );
        // The text "\u0000" (a backslash, then u0000) is not a NUL.
        assert_eq!(nul_path(&json!({"a": "\\u0000"})), None);
    }

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
