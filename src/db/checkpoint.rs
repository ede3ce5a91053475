//! SQLite's write-ahead log is copied back into the database file by a checkpoint. By
//! default the connection that commits the 1 000th page runs it, fsync of the database
//! file included, inside that commit: the check-ins waiting on that commit wait for the
//! whole checkpoint, which was the p99 tail of the rush on SQLite (docs/PERFORMANCE.md).
//! The pool's connections leave checkpoints to this thread instead. A passive checkpoint
//! never blocks the writer or a reader; it copies what no reader still needs, and the
//! writer starts the log over once everything is copied.

use std::sync::{Mutex, Weak};
use std::time::Duration;

use diesel::connection::SimpleConnection;

use super::DbUrl;

/// How often the log is checkpointed: at the rush's 2 000 events a second, a few hundred
/// pages each time.
const EVERY: Duration = Duration::from_millis(500);

/// The setting for the pool's connections: no checkpoint by the committing writer.
pub const NO_AUTOCHECKPOINT: &str = "PRAGMA wal_autocheckpoint = 0;";

/// Checkpoints `url` every `EVERY` while `alive` (the database's writer lock, held by
/// every clone of its `Db`) does; a failure is logged and tried again next time. False
/// when no thread could be started: the connections must then checkpoint themselves.
pub fn spawn(url: DbUrl, alive: Weak<Mutex<()>>) -> bool {
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let mut conn = None;
            while alive.strong_count() > 0 {
                std::thread::sleep(EVERY);
                if conn.is_none() {
                    conn = url.establish().ok();
                }
                let Some(c) = conn.as_mut() else { continue };
                if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
                    tracing::warn!(error = %e, "SQLite checkpoint failed");
                    conn = None;
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

    /// The pool's connections leave the log alone, and the thread copies it into the
    /// database file: the file grows while nothing but the thread checkpoints.
    #[test]
    fn the_thread_checkpoints_and_the_writers_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.sqlite");
        let db = Db::connect(&format!("sqlite://{}", file.display()), 2).unwrap();
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
}
