//! SQLite's write-ahead log is copied back into the database file by a checkpoint. By
//! default the connection that commits the 1 000th page runs it, fsync of the database
//! file included, inside that commit: the check-ins waiting on that commit wait for the
//! whole checkpoint, which was the p99 tail of the rush on SQLite (docs/PERFORMANCE.md).
//! The pool's connections leave checkpoints to this thread instead. A passive checkpoint
//! never blocks the writer or a reader; it copies what no reader still needs.
//!
//! A checkpoint in the background cannot bound the log alone: the log starts over only
//! when a write begins with everything in it copied, and by the time the thread has
//! copied it the writer has always added more. Under sustained writing (a province-year's
//! generation) the log grew by tens of gigabytes. Once the log passes `LIMIT_FRAMES`, the
//! thread therefore asks the next writer to checkpoint in its turn, before its
//! transaction, as SQLite's own writers do: with nothing left uncopied and no write in
//! between, that transaction starts the log over. The thread copied most of it already,
//! so that writer copies the last few pages only. (A RESTART checkpoint there, which
//! also waits for every reader, made the rush's p99 on SQLite 150 ms.)
//!
//! SQLite syncs the database file only at the end of a checkpoint that copied the whole
//! log, and under the rush only the writer's is: the thread's copies never reach a log
//! that grows while they run. The writer's checkpoint then flushed the thread's tens of
//! megabytes of copied pages to disk in its turn, 0.3 to 0.4 s on the bench host
//! while the check-ins queued behind it (an `strace` of the rush: the one slow `fsync`
//! was the writer's, of the database file). The thread therefore syncs the database file
//! after each copy, outside the writer's turn, and the writer's sync has only its own
//! few pages to flush.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, Weak};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::{AnyConnection, DbUrl};

/// How often the log is checkpointed: at the rush's 2 000 events a second, a few hundred
/// pages each time. (The tests go faster.)
#[cfg(not(test))]
const EVERY: Duration = Duration::from_millis(500);
#[cfg(test)]
const EVERY: Duration = Duration::from_millis(50);

/// Pages (of 4 kB) in the log beyond which the checkpoint is finished in the writer's
/// turn: 64 MB. (The tests' limit is 1 MB.)
#[cfg(not(test))]
const LIMIT_FRAMES: i64 = 16_384;
#[cfg(test)]
const LIMIT_FRAMES: i64 = 256;

/// The settings for the pool's connections: no checkpoint by the committing writer, and
/// a log file cut back to 64 MB when it starts over.
pub const NO_AUTOCHECKPOINT: &str =
    "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864;";

#[derive(QueryableByName)]
struct Progress {
    /// Pages in the log.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
    /// Pages of the log copied into the database file, all told.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    checkpointed: i32,
}

/// The one writer's turn on a SQLite database (a deferred transaction that reads first
/// and then writes fails at once when another writer got in between, so this process's
/// writes take turns), and whether the log is due a checkpoint only a writer can finish.
#[derive(Debug, Default)]
pub struct Writer {
    turn: Mutex<()>,
    due: AtomicBool,
}

impl Writer {
    pub fn turn(&self) -> MutexGuard<'_, ()> {
        self.turn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// In the writer's turn, before its transaction: finishes the checkpoint the thread
    /// asked for.
    pub fn finish_checkpoint(&self, conn: &mut AnyConnection) {
        if self.due.swap(false, Ordering::AcqRel)
            && let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")
        {
            tracing::warn!(error = %e, "SQLite checkpoint failed");
        }
    }
}

/// Checkpoints `url` every `EVERY` while `writer` (held by every clone of its `Db`)
/// lives, and asks the writer to finish the checkpoint once the log passes
/// `LIMIT_FRAMES`; a failure is logged and tried again next time. False when no thread
/// could be started: the connections must then checkpoint themselves.
pub fn spawn(url: DbUrl, writer: Weak<Writer>) -> bool {
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let mut conn = None;
            let mut file = None;
            // The pages copied as of the last sync of the database file.
            let mut synced = 0;
            while writer.strong_count() > 0 {
                std::thread::sleep(EVERY);
                if conn.is_none() {
                    conn = url
                        .establish()
                        .ok()
                        .and_then(|mut c| super::apply_sqlite_pragmas(&mut c).ok().map(|_| c));
                }
                let Some(c) = conn.as_mut() else { continue };
                let passive: QueryResult<Progress> =
                    diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(c);
                let p = match passive {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::warn!(error = %e, "SQLite checkpoint failed");
                        conn = None;
                        continue;
                    }
                };
                if p.checkpointed > 0 && p.checkpointed != synced {
                    synced = sync(&url, &mut file).map_or(0, |()| p.checkpointed);
                }
                if i64::from(p.log) > LIMIT_FRAMES
                    && let Some(w) = writer.upgrade()
                {
                    w.due.store(true, Ordering::Release);
                }
            }
        });
    match spawned {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(error = %e, "no SQLite checkpoint thread: the writer checkpoints");
            false
        }
    }
}

/// Flushes the database file's written pages to disk (through a handle of its own: a
/// sync is of the file, not of the handle). A failure is logged, and the handle opened
/// again next time; SQLite's own sync at the end of a whole checkpoint stays the one
/// that makes the log reusable, so durability never rests on this one.
fn sync(url: &DbUrl, file: &mut Option<std::fs::File>) -> std::io::Result<()> {
    let Some(path) = url.sqlite_file() else {
        return Ok(());
    };
    let synced = match file {
        Some(f) => f.sync_data(),
        None => std::fs::File::open(path).and_then(|f| f.sync_data().map(|()| *file = Some(f))),
    };
    synced.inspect_err(|e| {
        tracing::warn!(error = %e, "cannot sync the SQLite database file");
        *file = None;
    })
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    use crate::db::Db;

    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        wal_autocheckpoint: i32,
    }

    fn sqlite(dir: &tempfile::TempDir) -> (Db, std::path::PathBuf) {
        let file = dir.path().join("c.sqlite");
        let db = Db::connect(&format!("sqlite://{}", file.display()), 2).unwrap();
        (db, file)
    }

    /// The pool's connections leave the log alone, and the thread copies it into the
    /// database file: the file grows while nothing but the thread checkpoints.
    #[test]
    fn the_thread_checkpoints_and_the_writers_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let (db, file) = sqlite(&dir);
        let mut c = db.conn().unwrap();
        let setting: Setting = diesel::sql_query("PRAGMA wal_autocheckpoint")
            .get_result(&mut *c)
            .unwrap();
        assert_eq!(setting.wal_autocheckpoint, 0);
        // Let the thread copy what the migrations wrote, then write a few megabytes.
        std::thread::sleep(super::EVERY * 3);
        let before = std::fs::metadata(&file).unwrap().len();
        c.batch_execute(
            "CREATE TABLE t (x TEXT); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) \
             INSERT INTO t SELECT printf('%.1000c', 'x') FROM n;",
        )
        .unwrap();
        let grown = (0..20).any(|_| {
            std::thread::sleep(super::EVERY);
            std::fs::metadata(&file).unwrap().len() > before + 2_000_000
        });
        assert!(grown, "the log was not copied into the database file");
    }

    /// The thread syncs the database file through a handle it keeps; with no file to
    /// open it gets an error rather than a panic, and on PostgreSQL there is nothing to do.
    #[test]
    fn sync_flushes_the_file_or_says_why_not() {
        let dir = tempfile::tempdir().unwrap();
        let (_db, file) = sqlite(&dir);
        let url = crate::db::DbUrl::parse(&format!("sqlite://{}", file.display())).unwrap();
        let mut handle = None;
        super::sync(&url, &mut handle).unwrap();
        assert!(handle.is_some());
        let missing = dir.path().join("missing.sqlite");
        let missing = crate::db::DbUrl::parse(&format!("sqlite://{}", missing.display())).unwrap();
        let mut none = None;
        assert!(super::sync(&missing, &mut none).is_err());
        assert!(none.is_none());
        let pg = crate::db::DbUrl::parse("postgres://postgres@127.0.0.1/test").unwrap();
        super::sync(&pg, &mut none).unwrap();
        assert!(none.is_none());
    }

    /// Write transactions back to back do not grow the log much beyond its limit: it
    /// starts over once the thread finishes a checkpoint in the writer's turn. (With
    /// passive checkpoints alone it grew by all that was written.)
    #[test]
    fn sustained_writes_keep_the_log_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let (db, file) = sqlite(&dir);
        let wal = file.with_extension("sqlite-wal");
        type Failure = Box<dyn std::error::Error>;
        db.write(|c| -> Result<(), Failure> { Ok(c.batch_execute("CREATE TABLE t (x TEXT);")?) })
            .unwrap();
        let started = std::time::Instant::now();
        let (mut largest, mut written) = (0, 0);
        // A megabyte a transaction, 150 of them (or 20 s of them on a slow disk).
        while written < 150_000_000 && started.elapsed() < std::time::Duration::from_secs(20) {
            db.write(|c| -> Result<(), Failure> {
                Ok(c.batch_execute(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) \
                     INSERT INTO t SELECT printf('%.1000c', 'x') FROM n;",
                )?)
            })
            .unwrap();
            written += 1_000_000;
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        }
        // The file keeps its size up to `journal_size_limit` (64 MB) when the log starts
        // over; beyond that it is cut back.
        assert!(
            largest < 100_000_000 && largest < written,
            "the log reached {largest} bytes of {written} written"
        );
    }
}
