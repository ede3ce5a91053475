//! The evidence store: files attached to findings, kept on disk under their SHA-256
//! (`<dir>/ab/abcdef…`). Naming by content makes a retried upload land on the same file
//! and lets the database row (metadata, who may see it) be the only thing that says a
//! file belongs to a finding. Files are never overwritten or deleted by the service.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::config::EvidenceSettings;

#[derive(Debug, Clone)]
pub struct EvidenceStore {
    dir: PathBuf,
    pub max_bytes: usize,
    allowed_types: Vec<String>,
}

/// A file accepted into the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub sha256: String,
    pub size: usize,
    pub content_type: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the file is empty")]
    Empty,
    #[error("the file's type is not recognised")]
    Unrecognised,
    #[error("files of type {0} are not accepted")]
    NotAllowed(&'static str),
    #[error("evidence store: {0}")]
    Io(#[from] std::io::Error),
}

impl EvidenceStore {
    pub fn new(dir: PathBuf, settings: &EvidenceSettings) -> Self {
        EvidenceStore {
            dir,
            max_bytes: settings.max_bytes,
            allowed_types: settings.allowed_types.clone(),
        }
    }

    /// The types accepted, for error messages.
    pub fn allowed_types(&self) -> &[String] {
        &self.allowed_types
    }

    /// Checks the content's type and writes it durably (fsync of the file and of its
    /// folder) unless the store holds it already.
    pub fn put(&self, bytes: &[u8]) -> Result<Stored, StoreError> {
        if bytes.is_empty() {
            return Err(StoreError::Empty);
        }
        let content_type = infer::get(bytes)
            .map(|t| t.mime_type())
            .ok_or(StoreError::Unrecognised)?;
        if !self.allowed_types.iter().any(|t| t == content_type) {
            return Err(StoreError::NotAllowed(content_type));
        }
        let sha256 = format!("{:x}", Sha256::digest(bytes));
        let path = self.path_of(&sha256);
        // A file already there is trusted only if it has the right size: a damaged copy
        // (a disk error, a hand-made file) is replaced by the good bytes.
        let intact = fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64);
        if !intact {
            let folder = path.parent().unwrap_or(&self.dir);
            crate::private_fs::create_dir(folder)?;
            // Written beside its final name and renamed, so a crash never leaves a
            // truncated file under a hash it does not match.
            let mut nonce = [0u8; 8];
            getrandom::fill(&mut nonce).map_err(|e| std::io::Error::other(e.to_string()))?;
            let temp = folder.join(format!(".{sha256}.{}.part", u64::from_le_bytes(nonce)));
            let written = (|| {
                let mut file = crate::private_fs::create_file(&temp, false)?;
                file.write_all(bytes)?;
                file.sync_all()?;
                fs::rename(&temp, &path)?;
                File::open(folder)?.sync_all()
            })();
            if let Err(e) = written {
                let _ = fs::remove_file(&temp);
                return Err(e.into());
            }
        }
        Ok(Stored {
            sha256,
            size: bytes.len(),
            content_type,
        })
    }

    /// The stored file with this hash.
    pub fn open(&self, sha256: &str) -> Result<File, StoreError> {
        Ok(File::open(self.path_of(sha256))?)
    }

    fn path_of(&self, sha256: &str) -> PathBuf {
        // Hashes come from `put` or from the database, never from a request; keep to hex
        // anyway so that no value can walk out of the folder.
        let clean: String = sha256.chars().filter(char::is_ascii_hexdigit).collect();
        let prefix = clean.get(..2).unwrap_or("00");
        Path::new(&self.dir).join(prefix).join(clean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R',
    ];

    fn store(dir: &Path) -> EvidenceStore {
        EvidenceStore::new(
            dir.to_path_buf(),
            &EvidenceSettings {
                dir: None,
                max_bytes: 1024,
                allowed_types: vec!["image/png".into()],
            },
        )
    }

    #[test]
    fn stores_by_content_and_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let a = s.put(PNG).unwrap();
        assert_eq!(a.content_type, "image/png");
        assert_eq!(a.size, PNG.len());
        assert_eq!(a.sha256.len(), 64);
        let b = s.put(PNG).unwrap();
        assert_eq!(a, b);
        let mut read = Vec::new();
        std::io::Read::read_to_end(&mut s.open(&a.sha256).unwrap(), &mut read).unwrap();
        assert_eq!(read, PNG);
        // One file, no leftovers from the write.
        let files: Vec<_> = fs::read_dir(dir.path().join(&a.sha256[..2]))
            .unwrap()
            .collect();
        assert_eq!(files.len(), 1);
    }

    #[test]
    fn a_damaged_copy_is_replaced_and_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let a = s.put(PNG).unwrap();
        let path = s.path_of(&a.sha256);
        fs::write(&path, b"trunc").unwrap();
        s.put(PNG).unwrap();
        assert_eq!(fs::read(&path).unwrap(), PNG);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            fs::remove_file(&path).unwrap();
            s.put(PNG).unwrap();
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
    }

    #[test]
    fn refuses_what_it_does_not_recognise_or_allow() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        assert!(matches!(s.put(b""), Err(StoreError::Empty)));
        assert!(matches!(
            s.put(b"just some text"),
            Err(StoreError::Unrecognised)
        ));
        assert!(matches!(
            s.put(b"%PDF-1.7\n%..."),
            Err(StoreError::NotAllowed("application/pdf"))
        ));
    }

    #[test]
    fn paths_stay_inside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let p = s.path_of("../../etc/passwd");
        assert!(p.starts_with(dir.path()));
    }
}
