//! The raw baselines: prepared single-row INSERTs and bulk COPY of check-in events, and the
//! request bodies the HTTP load sends. Events are spread over the generated province's
//! staff and stamped a minute before now, a microsecond apart: today's events, as at the
//! 07:30 rush, and each one new (the (person, instant, device) key never repeats).

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{Duration, NaiveDateTime, SecondsFormat};
use congvu::db::checkins::NewCheckin;
use congvu::db::schema::{checkins, staff, units};
use congvu::db::{AnyConnection, Db};
use congvu::demo::scale::ROOT_CODE;
use congvu::domain::attendance::to_local;
use diesel::prelude::*;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The generated province's staff: ids `first .. first + count`.
#[derive(Debug, Clone, Copy)]
pub struct StaffRange {
    pub province_id: i64,
    pub first: i64,
    pub count: i64,
}

pub fn staff_range(url: &str) -> Result<StaffRange, BoxError> {
    let mut c = Db::raw_connection(url)?;
    let province_id: i64 = units::table
        .filter(units::parent_id.is_null())
        .filter(units::code.eq(ROOT_CODE))
        .select(units::id)
        .first(&mut c)
        .optional()?
        .ok_or("no generated province: run `congvu demo --scale province` first")?;
    let (min, max, count): (Option<i64>, Option<i64>, i64) = staff::table
        .filter(staff::province_id.eq(province_id))
        .select((
            diesel::dsl::min(staff::id),
            diesel::dsl::max(staff::id),
            diesel::dsl::count_star(),
        ))
        .first(&mut c)?;
    let (Some(first), Some(last)) = (min, max) else {
        return Err("the generated province has no staff".into());
    };
    // The load scripts pick people by arithmetic on the range.
    if last - first + 1 != count {
        return Err("the generated province's staff ids are not contiguous".into());
    }
    Ok(StaffRange {
        province_id,
        first,
        count,
    })
}

/// Event `i` of a run: who and when. A stride that is prime spreads consecutive events
/// over the whole province, as a morning's arrivals are.
fn event(s: &StaffRange, base: NaiveDateTime, i: u64, device: &str) -> NewCheckin {
    let offset = (i as i64).wrapping_mul(7919).rem_euclid(s.count);
    let at = base + Duration::microseconds(i as i64);
    NewCheckin {
        province_id: s.province_id,
        staff_id: s.first + offset,
        at,
        local_date: to_local(at).date(),
        direction: None,
        source: "device".into(),
        device_id: device.into(),
        idempotency_key: None,
        reason: None,
        created_by: None,
        created_at: congvu::db::now(),
    }
}

fn base_time() -> NaiveDateTime {
    congvu::db::now() - Duration::minutes(1)
}

/// A per-run device id, so that repeated runs never collide with earlier rows.
fn device(prefix: &str) -> String {
    format!("{prefix}-{}", chrono::Utc::now().timestamp_millis())
}

/// `threads` connections each inserting its share of `events`, one autocommitted
/// prepared INSERT at a time (diesel caches the statement per connection).
pub fn insert_loop(url: &str, threads: usize, events: u64) -> Result<(), BoxError> {
    let range = staff_range(url)?;
    let base = base_time();
    let device = device("loop");
    let next = AtomicU64::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| -> Result<(), BoxError> {
                    let mut c = Db::raw_connection(url)?;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= events {
                            return Ok(());
                        }
                        let row = event(&range, base, i, &device);
                        insert_one(&mut c, &row)?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().map_err(|_| BoxError::from("a thread panicked"))?)
    })
}

fn insert_one(c: &mut AnyConnection, row: &NewCheckin) -> Result<(), BoxError> {
    // SQLite reports a busy database rather than waiting past its timeout under heavy
    // contention; a real client retries, and so does the baseline.
    loop {
        match diesel::insert_into(checkins::table).values(row).execute(c) {
            Ok(_) => return Ok(()),
            Err(diesel::result::Error::DatabaseError(_, info))
                if info.message().contains("locked") || info.message().contains("busy") => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// The same rows in bulk, in one transaction: binary COPY on PostgreSQL, 2 000-row
/// inserts on SQLite (which has no COPY; that is its fastest bulk path).
pub fn copy(url: &str, events: u64) -> Result<(), BoxError> {
    let range = staff_range(url)?;
    let base = base_time();
    let device = device("copy");
    let rows: Vec<NewCheckin> = (0..events)
        .map(|i| event(&range, base, i, &device))
        .collect();
    let mut c = Db::raw_connection(url)?;
    c.transaction(|c| -> QueryResult<()> {
        match c {
            AnyConnection::Postgresql(pg) => {
                diesel::copy_from(checkins::table)
                    .from_insertable(&rows)
                    .execute(pg)?;
            }
            AnyConnection::Sqlite(lite) => {
                for chunk in rows.chunks(2000) {
                    diesel::insert_into(checkins::table)
                        .values(chunk)
                        .execute(lite)?;
                }
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// `batches` bodies of `size` events each for POST /checkins/batch, as a device uploads
/// them: `batch-0.json`, `batch-1.json`, …
pub fn write_batches(url: &str, dir: &Path, batches: u64, size: u64) -> Result<(), BoxError> {
    let range = staff_range(url)?;
    let base = base_time();
    let device = device("batch");
    std::fs::create_dir_all(dir)?;
    for b in 0..batches {
        let events: Vec<serde_json::Value> = (b * size..(b + 1) * size)
            .map(|i| {
                let e = event(&range, base, i, &device);
                serde_json::json!({
                    "staff_id": e.staff_id,
                    "at": e.at.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true),
                    "source": "device",
                    "device_id": e.device_id,
                })
            })
            .collect();
        let mut f =
            std::io::BufWriter::new(std::fs::File::create(dir.join(format!("batch-{b}.json")))?);
        serde_json::to_writer(&mut f, &serde_json::json!({ "events": events }))?;
        f.flush()?;
    }
    Ok(())
}
