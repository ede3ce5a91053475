//! Two processes writing one database: the server and a command run beside it.

use std::sync::mpsc;
use std::time::Duration;

use congvu::db::{AnyConnection, Db, audit, schema::audit_log};
use diesel::prelude::*;

use crate::both;
use crate::helpers::{Backend, Storage};

both!(a_write_read_first_survives_another_process_commit);

type Failed = Box<dyn std::error::Error + Send + Sync>;

fn note(c: &mut AnyConnection, entity_id: i64) -> QueryResult<()> {
    audit::record::<(), ()>(
        c,
        audit::Entry {
            actor_user_id: None,
            entity: "test",
            entity_id,
            action: "write",
            province_id: None,
            unit_id: None,
            before: None,
            after: None,
        },
    )
}

/// Two pools on one database stand for two processes: each takes turns only among its own
/// writers. The first transaction reads, the other process writes and commits, then the
/// first writes. On SQLite a transaction begun deferred failed at that write with
/// "database is locked" (its snapshot was stale; `congvu evaluate` beside a busy server
/// failed so); begun with the write lock, the other process waits its turn instead.
async fn a_write_read_first_survives_another_process_commit(b: Backend) {
    let Some(storage) = Storage::new(b) else {
        return;
    };
    let url = storage.database_url();
    let first = Db::connect(&url, 1).expect("database");
    let second = Db::connect(&url, 1).expect("database");
    let (started, wait_started) = mpsc::channel::<()>();
    let (finished, wait_finished) = mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        wait_started.recv().expect("the first began");
        let done = second.write(|c| -> Result<(), Failed> { Ok(note(c, 2)?) });
        // The first no longer listens when it waited for this write to end.
        let _ = finished.send(());
        done
    });
    let result = first.write(|c| -> Result<(), Failed> {
        // A read first, as a run or an import does before it writes.
        audit_log::table.count().get_result::<i64>(c)?;
        started.send(()).expect("the other runs");
        // Whether the other commits now (PostgreSQL, or SQLite before) or waits for this
        // transaction to end (SQLite now), give it the time to.
        let _ = wait_finished.recv_timeout(Duration::from_millis(500));
        Ok(note(c, 1)?)
    });
    result.expect("the transaction that read first commits");
    other
        .join()
        .expect("no panic")
        .expect("the other process's write commits");
    let c = &mut *first.conn().expect("connection");
    let written: Vec<i64> = audit_log::table
        .filter(audit_log::entity.eq("test"))
        .select(audit_log::entity_id)
        .order(audit_log::entity_id)
        .load(c)
        .expect("rows");
    assert_eq!(written, [1, 2], "both processes' writes are kept");
}
