//! PostgreSQL: many check-ins as one array a column, unnested into a single insert. The
//! statement has the same text for any number of rows, so diesel prepares it once per
//! connection and PostgreSQL keeps its plan; a multi-row `VALUES` (11 binds a row) or a
//! `sql_query` is parsed, analysed and planned again for every group of the rush
//! (docs/PERFORMANCE.md has the measurement).

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Date, Nullable, Text, Timestamp, Untyped};
use diesel::{PgConnection, QueryResult, RunQueryDsl};

use super::{CheckinRow, NewCheckin};

/// The columns of `NewCheckin`, each an array.
pub struct Unnest {
    province_id: Vec<i64>,
    staff_id: Vec<i64>,
    at: Vec<chrono::NaiveDateTime>,
    local_date: Vec<chrono::NaiveDate>,
    direction: Vec<Option<String>>,
    source: Vec<String>,
    device_id: Vec<String>,
    idempotency_key: Vec<Option<String>>,
    reason: Vec<Option<String>>,
    created_by: Vec<Option<i64>>,
    created_at: Vec<chrono::NaiveDateTime>,
}

impl Unnest {
    pub fn new(rows: &[&NewCheckin]) -> Unnest {
        fn col<T>(rows: &[&NewCheckin], f: impl Fn(&NewCheckin) -> T) -> Vec<T> {
            rows.iter().map(|r| f(r)).collect()
        }
        Unnest {
            province_id: col(rows, |r| r.province_id),
            staff_id: col(rows, |r| r.staff_id),
            at: col(rows, |r| r.at),
            local_date: col(rows, |r| r.local_date),
            direction: col(rows, |r| r.direction.clone()),
            source: col(rows, |r| r.source.clone()),
            device_id: col(rows, |r| r.device_id.clone()),
            idempotency_key: col(rows, |r| r.idempotency_key.clone()),
            reason: col(rows, |r| r.reason.clone()),
            created_by: col(rows, |r| r.created_by),
            created_at: col(rows, |r| r.created_at),
        }
    }

    /// Inserts the rows that duplicate none recorded (nor one before them): those rows.
    pub fn insert(self, c: &mut PgConnection) -> QueryResult<Vec<CheckinRow>> {
        self.load(c)
    }
}

impl QueryFragment<Pg> for Unnest {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO checkins (province_id, staff_id, at, local_date, direction, source, \
             device_id, idempotency_key, reason, created_by, created_at) \
             SELECT * FROM unnest(",
        );
        out.push_bind_param::<Array<BigInt>, _>(&self.province_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.staff_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Date>, _>(&self.local_date)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.direction)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.source)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.device_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.idempotency_key)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.reason)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<BigInt>>, _>(&self.created_by)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.created_at)?;
        // unnest yields the rows in array order, so the first of two duplicates is kept.
        out.push_sql(") ON CONFLICT DO NOTHING RETURNING *");
        Ok(())
    }
}

// The same SQL text whatever the rows: cached by type.
impl QueryId for Unnest {
    type QueryId = Unnest;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for Unnest {
    type SqlType = Untyped;
}

impl RunQueryDsl<PgConnection> for Unnest {}
