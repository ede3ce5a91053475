//! Progress of background jobs, one value per job and province.

use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{job_leases, job_state};

pub fn get(conn: &mut AnyConnection, name: &str, province_id: i64) -> QueryResult<Option<String>> {
    job_state::table
        .filter(job_state::name.eq(name))
        .filter(job_state::province_id.eq(province_id))
        .select(job_state::value)
        .first(conn)
        .optional()
}

pub fn set(conn: &mut AnyConnection, name: &str, province_id: i64, value: &str) -> QueryResult<()> {
    let updated = diesel::update(
        job_state::table
            .filter(job_state::name.eq(name))
            .filter(job_state::province_id.eq(province_id)),
    )
    .set((
        job_state::value.eq(value),
        job_state::updated_at.eq(super::now()),
    ))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(job_state::table)
            .values((
                job_state::name.eq(name),
                job_state::province_id.eq(province_id),
                job_state::value.eq(value),
                job_state::updated_at.eq(super::now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Takes the lease on job `name` until `until`, unless another holder's lease is still
/// running; returns whether `holder` has it. Scheduled jobs take one before they run, so
/// that of two server processes only one runs a job at a time (the other skips that
/// tick). Run it in a transaction of its own (`Db::write`), so that the lease is
/// committed before the job's work begins.
pub fn try_lease(
    conn: &mut AnyConnection,
    name: &str,
    holder: &str,
    until: chrono::NaiveDateTime,
    now: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    let renewed = diesel::update(
        job_leases::table
            .filter(job_leases::name.eq(name))
            .filter(job_leases::until.lt(now).or(job_leases::holder.eq(holder))),
    )
    .set((job_leases::holder.eq(holder), job_leases::until.eq(until)))
    .execute(conn)?;
    if renewed == 1 {
        return Ok(true);
    }
    let row = (
        job_leases::name.eq(name),
        job_leases::holder.eq(holder),
        job_leases::until.eq(until),
    );
    // The first lease of a job: of two processes inserting at once, one gets the row.
    let inserted = match conn {
        AnyConnection::Postgresql(c) => diesel::insert_into(job_leases::table)
            .values(row)
            .on_conflict(job_leases::name)
            .do_nothing()
            .execute(c)?,
        AnyConnection::Sqlite(c) => diesel::insert_or_ignore_into(job_leases::table)
            .values(row)
            .execute(c)?,
    };
    Ok(inserted == 1)
}

/// Who holds the lease on job `name`, and until when (none before its first run).
pub fn lease(
    conn: &mut AnyConnection,
    name: &str,
) -> QueryResult<Option<(String, chrono::NaiveDateTime)>> {
    job_leases::table
        .find(name)
        .select((job_leases::holder, job_leases::until))
        .first(conn)
        .optional()
}

/// Ends `holder`'s lease on job `name`.
pub fn release(
    conn: &mut AnyConnection,
    name: &str,
    holder: &str,
    now: chrono::NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        job_leases::table
            .filter(job_leases::name.eq(name))
            .filter(job_leases::holder.eq(holder)),
    )
    .set(job_leases::until.eq(now))
    .execute(conn)?;
    Ok(())
}
