//! Imports from the one-stop systems (API.md "Dossier import format"): decoding the files
//! they produce, reading lines, checking each, and writing the good ones in batches.

pub mod dossiers;
mod handlers;
pub mod onestop;

use crate::db::units::{self, UnitRow};
use crate::db::{AnyConnection, dossiers as dossier_rows};
use crate::domain::access::Visibility;

/// The one unit with this code within `scope`, or why not (`missing` when none is).
pub fn importable_unit(
    conn: &mut AnyConnection,
    scope: &Visibility,
    code: &str,
    missing: &'static str,
) -> diesel::QueryResult<Result<UnitRow, &'static str>> {
    let mut found: Vec<UnitRow> = units::find_by_code(conn, code)?
        .into_iter()
        .filter(|u| scope.subtree(&u.path))
        .collect();
    Ok(match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(missing),
        _ => Err("several units have this code; codes must be unique for imports"),
    })
}

/// Whether a dossier with this code is already filed under another unit beyond the
/// importer's reach: not theirs to overwrite or move, whatever unit the import names.
pub fn filed_beyond_reach(
    conn: &mut AnyConnection,
    scope: &Visibility,
    unit: &UnitRow,
    code: &str,
) -> diesel::QueryResult<bool> {
    let existing = dossier_rows::find_by_code(conn, unit.province_id, code)?;
    beyond_reach(conn, scope, unit, existing.as_ref())
}

/// `filed_beyond_reach` with the recorded dossier already looked up.
pub fn beyond_reach(
    conn: &mut AnyConnection,
    scope: &Visibility,
    unit: &UnitRow,
    existing: Option<&dossier_rows::DossierRow>,
) -> diesel::QueryResult<bool> {
    match existing {
        Some(existing) if existing.unit_id != unit.id => {
            Ok(!units::find(conn, existing.unit_id)?.is_some_and(|u| scope.subtree(&u.path)))
        }
        _ => Ok(false),
    }
}

use unicode_normalization::UnicodeNormalization;

/// Decodes an upload. A declared charset wins (`utf-8`, `utf-16`, `utf-16le`, `utf-16be`,
/// `windows-1258`, …); otherwise a byte-order mark decides (UTF-8 or UTF-16), and without
/// one the text must be UTF-8. The result is NFC: Windows-1258 spells tones as combining
/// marks, and the same name must compare equal whatever the file's encoding.
pub fn decode(bytes: &[u8], charset: Option<&str>) -> Result<String, String> {
    let declared = match charset {
        Some(label) => Some(
            encoding_rs::Encoding::for_label(label.trim().as_bytes())
                .ok_or_else(|| format!("unknown charset {label:?}"))?,
        ),
        None => None,
    };
    let (encoding, body) = match encoding_rs::Encoding::for_bom(bytes) {
        Some((bom_encoding, bom_len))
            if declared.is_none_or(|d| {
                d == bom_encoding
                    || d == encoding_rs::UTF_16LE && bom_encoding == encoding_rs::UTF_16BE
            }) =>
        {
            (bom_encoding, &bytes[bom_len..])
        }
        _ => (declared.unwrap_or(encoding_rs::UTF_8), bytes),
    };
    let (text, had_errors) = encoding.decode_without_bom_handling(body);
    if had_errors {
        return Err(format!("the file is not valid {}", encoding.name()));
    }
    Ok(text.nfc().collect())
}

/// Wraps a byte stream so it reads as UTF-8: a declared charset, else the byte-order mark
/// (UTF-8 or UTF-16), else UTF-8; bytes not valid in it read as U+FFFD. For streaming
/// files too big to decode at once.
pub fn decoding_reader<R: std::io::Read>(
    input: R,
    charset: Option<&str>,
) -> Result<impl std::io::Read, String> {
    let encoding = match charset {
        Some(label) => Some(
            encoding_rs::Encoding::for_label(label.trim().as_bytes())
                .ok_or_else(|| format!("unknown charset {label:?}"))?,
        ),
        None => None,
    };
    // Undeclared and without a BOM, the bytes are decoded as UTF-8 too, not passed
    // through: passed through, one invalid byte was a CSV error that ended the stream,
    // the rest of the file neither imported nor reported. Decoded, it is U+FFFD, and its
    // line alone is rejected (`CsvStream::next_batch`).
    Ok(encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding.unwrap_or(encoding_rs::UTF_8)))
        .bom_override(encoding.is_none())
        .bom_sniffing(true)
        .strip_bom(true)
        .build(input))
}

#[cfg(test)]
mod tests {
    use super::decode;

    const NAME: &str = "Nguyễn Thị Ánh, Sở Tài nguyên";

    #[test]
    fn utf8_with_and_without_bom() {
        let mut with_bom = vec![0xEF, 0xBB, 0xBF];
        with_bom.extend(NAME.as_bytes());
        assert_eq!(decode(&with_bom, None).unwrap(), NAME);
        assert_eq!(decode(NAME.as_bytes(), None).unwrap(), NAME);
        assert!(
            decode(&[0xC3, 0x28], None).is_err(),
            "invalid UTF-8 is refused, not mangled"
        );
    }

    #[test]
    fn streams_decode_like_whole_files() {
        use std::io::Read;
        let mut bytes = vec![0xFF, 0xFE];
        for unit in NAME.encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        let mut out = String::new();
        super::decoding_reader(&bytes[..], None)
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, NAME);
        let mut out = String::new();
        super::decoding_reader(NGUYEN_1258, Some("windows-1258"))
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        use unicode_normalization::UnicodeNormalization;
        assert_eq!(out.nfc().collect::<String>(), "Nguyễn Thị Ánh");
    }

    #[test]
    fn utf16_from_excel() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in NAME.encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        assert_eq!(decode(&bytes, None).unwrap(), NAME);
        assert_eq!(decode(&bytes, Some("utf-16")).unwrap(), NAME);
    }

    /// "Nguyễn Thị Ánh" as Windows-1258 writes it: tones as combining marks after the
    /// base letter (ê = 0xEA, combining tilde = 0xDE, dot below = 0xF2, acute = 0xEC).
    pub const NGUYEN_1258: &[u8] = b"Nguy\xEA\xDEn Thi\xF2 A\xECnh";

    #[test]
    fn windows_1258_becomes_nfc() {
        assert_eq!(
            decode(NGUYEN_1258, Some("windows-1258")).unwrap(),
            "Nguyễn Thị Ánh"
        );
        assert_eq!(
            decode(NGUYEN_1258, Some("cp1258")).unwrap(),
            "Nguyễn Thị Ánh"
        );
        assert!(decode(b"x", Some("klingon")).is_err());
    }
}
