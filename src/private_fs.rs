//! Folders and files readable by the service's user only: the database, evidence, mail
//! and the token secret hold personal data about discipline and the password hashes.

use std::fs::{self, File};
use std::path::Path;

/// Creates `dir` and its missing parents, those it creates readable by the service's
/// user only (an existing folder keeps its mode).
#[cfg(unix)]
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

/// Opens `path` for writing, readable by the service's user only when it creates it:
/// a new file only (an error if it exists) unless `replace`, which truncates one.
#[cfg(unix)]
pub fn create_file(path: &Path, replace: bool) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = fs::OpenOptions::new();
    options.write(true).mode(0o600);
    if replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    options.open(path)
}

#[cfg(not(unix))]
pub fn create_file(path: &Path, replace: bool) -> std::io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.write(true);
    if replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    options.open(path)
}
