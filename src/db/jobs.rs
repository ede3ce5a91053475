//! Progress of background jobs, one value per job and province.

use diesel::prelude::*;

use super::AnyConnection;
use super::schema::job_state;

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
