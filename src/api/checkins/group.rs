//! Group commit of single check-ins. At the 07:30 rush thousands of devices each post one
//! event; committed one transaction each, the rush is bound by the database's commits and
//! round trips (docs/PERFORMANCE.md: about 600 events/s on the reference machine). Here
//! the events that arrive while a transaction is being written wait in a queue and go
//! into the next one together: one multi-row insert and one audit insert for all of them,
//! then one commit. Each request is answered only after the commit that holds its event,
//! so an acknowledged event is as durable as before; each is checked on its own (its
//! caller's rights, its rules) and its own answer says 201, 200 or why not.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use super::{CheckinInput, Known, Rights, prefetch, prepare, rederive_days, touch};
use crate::db::checkins::{self as q, CheckinRow};
use crate::db::{AnyConnection, Backend, Db};
use crate::error::ApiError;

/// Events waiting for a transaction; beyond this, requests wait to be queued (the HTTP
/// clients feel the back-pressure rather than the server's memory).
const QUEUE: usize = 4096;
/// Events in one transaction at most: enough to amortise a commit, few enough that one
/// transaction stays short.
const MAX_GROUP: usize = 500;

/// The event's answer: the row, and whether it is new (201) or was already recorded (200).
pub type Outcome = Result<(CheckinRow, bool), ApiError>;

struct Job {
    rights: Rights,
    event: CheckinInput,
    reply: oneshot::Sender<Outcome>,
}

/// The queue in front of the writer threads.
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer threads: two on PostgreSQL, so that one transaction is being
    /// filled while the other commits; one on SQLite, which has one writer anyway. They
    /// stop when the writer is dropped.
    pub fn start(db: Db) -> Writer {
        let (tx, rx) = mpsc::channel(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        let threads = match db.backend() {
            Backend::Postgres => 2,
            Backend::Sqlite => 1,
        };
        for n in 0..threads {
            let (db, rx) = (db.clone(), rx.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("checkin-writer-{n}"))
                .spawn(move || {
                    while let Some(jobs) = next_group(&rx) {
                        // A bug must not take the writer down with it: the group's
                        // callers get a 503 (their replies are dropped) and the next
                        // group is written as usual.
                        let written =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                commit(&db, jobs)
                            }));
                        if written.is_err() {
                            tracing::error!(
                                "a check-in group panicked; its events were not written"
                            );
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a check-in writer thread");
            }
        }
        Writer { tx }
    }

    /// Records one event in the next group; answers once its transaction has committed.
    pub(super) async fn submit(&self, rights: Rights, event: CheckinInput) -> Outcome {
        let (reply, answer) = oneshot::channel();
        let stopped = || ApiError::Unavailable("the check-in writer has stopped".into());
        self.tx
            .send(Job {
                rights,
                event,
                reply,
            })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Waits for an event, then takes whatever else is already queued, up to a group.
fn next_group(rx: &Mutex<mpsc::Receiver<Job>>) -> Option<Vec<Job>> {
    let mut rx = rx.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let first = rx.blocking_recv()?;
    let mut jobs = vec![first];
    while jobs.len() < MAX_GROUP {
        match rx.try_recv() {
            Ok(job) => jobs.push(job),
            Err(_) => break,
        }
    }
    Some(jobs)
}

fn commit(db: &Db, jobs: Vec<Job>) {
    let events: Vec<(&Rights, &CheckinInput)> =
        jobs.iter().map(|j| (&j.rights, &j.event)).collect();
    match db.write(|c| write_group(c, &events)) {
        Ok(outcomes) => {
            for (job, outcome) in jobs.into_iter().zip(outcomes) {
                // A caller that went away needs no answer.
                let _ = job.reply.send(outcome);
            }
        }
        // A failure of the database must not fail the other events of the group with
        // it: each is tried again alone, as it would have been without grouping. Not when
        // the database is unreachable: each retry would wait for the pool again, and the
        // queue behind them with it.
        Err(e) if jobs.len() > 1 && !matches!(e, ApiError::Unavailable(_)) => {
            tracing::warn!(error = %e, events = jobs.len(), "a check-in group failed; writing its events one by one");
            for job in jobs {
                let alone = db
                    .write(|c| write_group(c, &[(&job.rights, &job.event)]))
                    .and_then(|mut o| {
                        o.pop()
                            .ok_or_else(|| ApiError::Internal("no outcome".into()))
                    })
                    .and_then(|o| o);
                let _ = job.reply.send(alone);
            }
        }
        Err(e) => {
            for job in jobs {
                let _ = job.reply.send(Err(e.clone()));
            }
        }
    }
}

/// Checks and writes a group in the caller's transaction: one outcome per event, in
/// order. An error of the database fails the whole group (`Err`).
fn write_group(
    c: &mut AnyConnection,
    events: &[(&Rights, &CheckinInput)],
) -> Result<Vec<Outcome>, ApiError> {
    let now = crate::db::now();
    let mut known = Known::default();
    prefetch(c, &mut known, events.iter().map(|(_, e)| e.staff_id))?;
    let mut prepared = Vec::with_capacity(events.len());
    for (rights, event) in events {
        let p = prepare(c, rights, &mut known, event, now);
        if let Err(e) = &p
            && e.is_server_side()
        {
            return Err(e.clone());
        }
        prepared.push(p);
    }
    let ready: Vec<&super::Prepared> = prepared.iter().filter_map(|p| p.as_ref().ok()).collect();
    let rows: Vec<(i64, q::NewCheckin)> = ready.iter().map(|p| (p.unit, p.new.clone())).collect();
    let inserted = q::insert_batch(c, &rows)?;
    let news: Vec<(&q::NewCheckin, bool)> = rows
        .iter()
        .zip(&ready)
        .map(|((_, n), p)| (n, p.own))
        .collect();
    let mut settled = super::settle(c, &news, inserted)?.into_iter();
    let mut touched = BTreeMap::new();
    let mut out = Vec::with_capacity(prepared.len());
    for p in prepared {
        let person = match p {
            Ok(p) => p.person,
            Err(e) => {
                out.push(Err(e));
                continue;
            }
        };
        let outcome = settled
            .next()
            .ok_or_else(|| ApiError::Internal("an event's outcome is missing".into()))?;
        if let Ok((row, true)) = &outcome {
            touch(&mut touched, &person, row.local_date);
        }
        out.push(outcome);
    }
    rederive_days(c, &touched)?;
    Ok(out)
}
