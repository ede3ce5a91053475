//! Check-in events: kept as received, duplicates recognised, corrections voided rather
//! than deleted.

mod unnest;

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::checkins;
use crate::domain::attendance::to_utc;

#[derive(Debug, Clone, PartialEq, Queryable, QueryableByName, Selectable, Serialize)]
#[diesel(table_name = checkins)]
pub struct CheckinRow {
    pub id: i64,
    pub province_id: i64,
    pub staff_id: i64,
    pub at: NaiveDateTime,
    pub local_date: NaiveDate,
    pub direction: Option<String>,
    pub source: String,
    pub device_id: String,
    pub idempotency_key: Option<String>,
    pub reason: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub voided_at: Option<NaiveDateTime>,
    pub voided_by: Option<i64>,
    pub void_reason: Option<String>,
}

// Explicit NULLs rather than column defaults: the same rows go through PostgreSQL's COPY.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = checkins, treat_none_as_default_value = false)]
pub struct NewCheckin {
    pub province_id: i64,
    pub staff_id: i64,
    pub at: NaiveDateTime,
    pub local_date: NaiveDate,
    pub direction: Option<String>,
    pub source: String,
    pub device_id: String,
    pub idempotency_key: Option<String>,
    pub reason: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// The event this one duplicates: the same person with the same idempotency key, or at
/// the same instant from the same device.
pub fn existing(conn: &mut AnyConnection, new: &NewCheckin) -> QueryResult<Option<CheckinRow>> {
    if let Some(key) = &new.idempotency_key {
        let by_key = checkins::table
            .filter(checkins::staff_id.eq(new.staff_id))
            .filter(checkins::idempotency_key.eq(key))
            .select(CheckinRow::as_select())
            .first(conn)
            .optional()?;
        if by_key.is_some() {
            return Ok(by_key);
        }
    }
    checkins::table
        .filter(checkins::staff_id.eq(new.staff_id))
        .filter(checkins::at.eq(new.at))
        .filter(checkins::device_id.eq(&new.device_id))
        .select(CheckinRow::as_select())
        .first(conn)
        .optional()
}

/// The recorded events `news` may repeat (same person and idempotency key, or same
/// person, instant and device), read together: a device that sends its whole backlog
/// again sends thousands. PostgreSQL joins the keys unnested, one index probe a key
/// (lists of people and of instants would make it probe every pair of them: a re-sent
/// batch of 5 000 went from 1.9 s to 55 s, docs/PERFORMANCE.md); SQLite, in the process,
/// looks each one up as a single event is.
pub fn originals(conn: &mut AnyConnection, news: &[&NewCheckin]) -> QueryResult<Originals> {
    let rows: Vec<CheckinRow> = match conn {
        AnyConnection::Postgresql(c) => unnest::originals(c, news)?,
        AnyConnection::Sqlite(_) => {
            let mut rows = Vec::with_capacity(news.len());
            for n in news {
                rows.extend(existing(conn, n)?);
            }
            rows
        }
    };
    let mut out = Originals::default();
    for row in rows {
        if let Some(key) = &row.idempotency_key {
            out.by_key.insert((row.staff_id, key.clone()), row.clone());
        }
        out.by_instant
            .insert((row.staff_id, row.at, row.device_id.clone()), row);
    }
    Ok(out)
}

/// Recorded events by their two unique keys.
#[derive(Debug, Default)]
pub struct Originals {
    by_key: HashMap<(i64, String), CheckinRow>,
    by_instant: HashMap<(i64, NaiveDateTime, String), CheckinRow>,
}

impl Originals {
    /// The event `new` repeats, as `existing` finds it: by its idempotency key first,
    /// else by its instant and device.
    pub fn of(&self, new: &NewCheckin) -> Option<&CheckinRow> {
        new.idempotency_key
            .as_ref()
            .and_then(|key| self.by_key.get(&(new.staff_id, key.clone())))
            .or_else(|| {
                self.by_instant
                    .get(&(new.staff_id, new.at, new.device_id.clone()))
            })
    }
}

/// The first local day in `from..=to` on which any of these people has an event that is
/// not voided: a day the service was in use. Read by person and instant (the
/// `checkins_instant` key), a thousand people a query.
pub fn first_day_in_use(
    conn: &mut AnyConnection,
    staff_ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Option<NaiveDate>> {
    let (start, end) = crate::domain::attendance::utc_range(from, to);
    let mut first: Option<NaiveDate> = None;
    for chunk in staff_ids.chunks(1000) {
        let day: Option<NaiveDate> = checkins::table
            .filter(checkins::staff_id.eq_any(chunk))
            .filter(checkins::at.ge(start))
            .filter(checkins::at.lt(end))
            .filter(checkins::voided_at.is_null())
            .select(diesel::dsl::min(checkins::local_date))
            .first(conn)?;
        first = [first, day].into_iter().flatten().min();
    }
    Ok(first)
}

/// Inserts the events that duplicate none recorded (nor one before them in `rows`) and
/// audits each: the inserted rows, in no particular order. `rows` carry the unit the
/// person was in on the event's day, for the audit trail's scoping: the unit whose
/// register the event changes.
pub fn insert_batch(
    conn: &mut AnyConnection,
    rows: &[(i64, NewCheckin)],
) -> QueryResult<Vec<CheckinRow>> {
    let unit_of: HashMap<(i64, NaiveDate), i64> = rows
        .iter()
        .map(|(u, r)| ((r.staff_id, r.local_date), *u))
        .collect();
    // PostgreSQL takes any number of rows in one statement of arrays; SQLite allows
    // 32 766 bound values, 11 a row here.
    let chunk = match conn {
        AnyConnection::Postgresql(_) => rows.len().max(1),
        AnyConnection::Sqlite(_) => 1000,
    };
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(chunk) {
        let news: Vec<&NewCheckin> = chunk.iter().map(|(_, r)| r).collect();
        let inserted = insert_new(conn, &news)?;
        let audited: Vec<(i64, &CheckinRow)> = inserted
            .iter()
            .map(|r| {
                let unit = unit_of.get(&(r.staff_id, r.local_date));
                (unit.copied().unwrap_or_default(), r)
            })
            .collect();
        audit_created(conn, &audited)?;
        out.extend(inserted);
    }
    Ok(out)
}

/// One `INSERT … ON CONFLICT DO NOTHING RETURNING`: the rows that were new.
fn insert_new(conn: &mut AnyConnection, rows: &[&NewCheckin]) -> QueryResult<Vec<CheckinRow>> {
    match conn {
        AnyConnection::Postgresql(c) => {
            if rows.len() >= unnest::COPY_FROM
                && let Some(copied) = unnest::copy_new(c, rows)?
            {
                return Ok(copied);
            }
            unnest::Unnest::new(rows).insert(c)
        }
        // Multi-row inserts are not available through MultiConnection, but are on each
        // backend.
        AnyConnection::Sqlite(c) => diesel::insert_into(checkins::table)
            .values(rows.iter().copied().cloned().collect::<Vec<_>>())
            .on_conflict_do_nothing()
            .returning(CheckinRow::as_returning())
            .get_results(c),
    }
}

fn audit_created(conn: &mut AnyConnection, rows: &[(i64, &CheckinRow)]) -> QueryResult<()> {
    audit::record_many(
        conn,
        rows.iter().map(|(unit_id, row)| Entry::<(), _> {
            actor_user_id: row.created_by,
            entity: "checkin",
            entity_id: row.id,
            action: "create",
            province_id: Some(row.province_id),
            unit_id: Some(*unit_id),
            before: None,
            after: Some(*row),
        }),
    )
}

/// Inserts many events at once, unaudited: only for seeding demo data, which the caller
/// audits as one load.
pub fn insert_seed(conn: &mut AnyConnection, rows: &[NewCheckin]) -> QueryResult<usize> {
    let mut n = 0;
    // Multi-row inserts are not available through MultiConnection, but are on each backend.
    for chunk in rows.chunks(500) {
        n += match conn {
            AnyConnection::Postgresql(c) => diesel::insert_into(checkins::table)
                .values(chunk)
                .execute(c)?,
            AnyConnection::Sqlite(c) => diesel::insert_into(checkins::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(n)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<CheckinRow>> {
    checkins::table
        .find(id)
        .select(CheckinRow::as_select())
        .first(conn)
        .optional()
}

/// Voids the event unless it is void already (`None`): two heads voiding it at once
/// on PostgreSQL both read it as valid, and only the first update may take.
pub fn void(
    conn: &mut AnyConnection,
    actor: i64,
    unit_id: i64,
    before: &CheckinRow,
    reason: &str,
) -> QueryResult<Option<CheckinRow>> {
    let row: Option<CheckinRow> = diesel::update(
        checkins::table
            .find(before.id)
            .filter(checkins::voided_at.is_null()),
    )
    .set((
        checkins::voided_at.eq(Some(super::now())),
        checkins::voided_by.eq(Some(actor)),
        checkins::void_reason.eq(Some(reason)),
    ))
    .get_result(conn)
    .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    audit::record(
        conn,
        Entry {
            actor_user_id: Some(actor),
            entity: "checkin",
            entity_id: row.id,
            action: "void",
            province_id: Some(row.province_id),
            unit_id: Some(unit_id),
            before: Some(before),
            after: Some(&row),
        },
    )?;
    Ok(Some(row))
}

/// The UTC instants local dates `from..=to` span, from the first's midnight to the
/// midnight after the last. Events are looked up by instant, on the (person, instant,
/// device) key, rather than by local date: an index on the date as well made every
/// insert maintain one more index for no faster read (docs/PERFORMANCE.md).
fn instants(from: NaiveDate, to: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
    let midnight = |d: NaiveDate| to_utc(d.and_time(NaiveTime::MIN));
    (midnight(from), midnight(to + Duration::days(1)))
}

/// Valid (not voided) events of these people on local dates `from..=to`.
pub fn valid_in(
    conn: &mut AnyConnection,
    staff_ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<CheckinRow>> {
    let (start, end) = instants(from, to);
    checkins::table
        .filter(checkins::staff_id.eq_any(staff_ids))
        .filter(checkins::at.ge(start))
        .filter(checkins::at.lt(end))
        .filter(checkins::voided_at.is_null())
        .order((checkins::staff_id, checkins::at))
        .select(CheckinRow::as_select())
        .load(conn)
}

/// Every event of one person on local dates `from..=to`, voided ones included.
pub fn of_staff(
    conn: &mut AnyConnection,
    staff_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<CheckinRow>> {
    let (start, end) = instants(from, to);
    checkins::table
        .filter(checkins::staff_id.eq(staff_id))
        .filter(checkins::at.ge(start))
        .filter(checkins::at.lt(end))
        .order(checkins::at)
        .select(CheckinRow::as_select())
        .load(conn)
}
