//! PostgreSQL: many check-ins as one array a column, unnested into a single insert. The
//! statement has the same text for any number of rows, so diesel prepares it once per
//! connection and PostgreSQL keeps its plan; a multi-row `VALUES` (11 binds a row) or a
//! `sql_query` is parsed, analysed and planned again for every group of the rush
//! (docs/PERFORMANCE.md has the measurement). A large batch goes by `COPY` when none of
//! it is a duplicate (`copy_new`).

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::DatabaseErrorKind;
use diesel::sql_types::{Array, BigInt, Date, Nullable, Text, Timestamp, Untyped};

use super::{CheckinRow, NewCheckin};
use crate::db::schema::checkins;

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

/// The recorded events `rows` may repeat, by either unique key: the keys unnested and
/// joined, so each is one probe of its index. A row found both ways comes twice; the
/// caller keys them.
pub fn originals(c: &mut PgConnection, rows: &[&NewCheckin]) -> QueryResult<Vec<CheckinRow>> {
    let staff: Vec<i64> = rows.iter().map(|r| r.staff_id).collect();
    let at: Vec<chrono::NaiveDateTime> = rows.iter().map(|r| r.at).collect();
    let device: Vec<String> = rows.iter().map(|r| r.device_id.clone()).collect();
    let key: Vec<Option<String>> = rows.iter().map(|r| r.idempotency_key.clone()).collect();
    diesel::sql_query(
        "SELECT c.* FROM checkins c \
         JOIN unnest($1, $2, $3) AS k (staff_id, at, device_id) \
           ON c.staff_id = k.staff_id AND c.at = k.at AND c.device_id = k.device_id \
         UNION ALL \
         SELECT c.* FROM checkins c \
         JOIN unnest($1, $4) AS k (staff_id, idempotency_key) \
           ON c.staff_id = k.staff_id AND c.idempotency_key = k.idempotency_key \
         WHERE c.idempotency_key IS NOT NULL",
    )
    .bind::<Array<BigInt>, _>(staff)
    .bind::<Array<Timestamp>, _>(at)
    .bind::<Array<Text>, _>(device)
    .bind::<Array<Nullable<Text>>, _>(key)
    .load(c)
}

/// Rows from which a batch first tries `COPY`: a device's backlog, not the rush's groups
/// (up to 500), which would pay the savepoint and the ids' query for little.
pub const COPY_FROM: usize = 1000;

/// A check-in with the id it was given beforehand, for `COPY`, which returns nothing.
/// (diesel's `COPY` takes flat structs only, not an embedded `NewCheckin`.)
#[derive(Insertable)]
#[diesel(table_name = checkins, treat_none_as_default_value = false)]
struct WithId {
    id: i64,
    province_id: i64,
    staff_id: i64,
    at: chrono::NaiveDateTime,
    local_date: chrono::NaiveDate,
    direction: Option<String>,
    source: String,
    device_id: String,
    idempotency_key: Option<String>,
    reason: Option<String>,
    created_by: Option<i64>,
    created_at: chrono::NaiveDateTime,
}

impl WithId {
    fn new(id: i64, r: &NewCheckin) -> WithId {
        WithId {
            id,
            province_id: r.province_id,
            staff_id: r.staff_id,
            at: r.at,
            local_date: r.local_date,
            direction: r.direction.clone(),
            source: r.source.clone(),
            device_id: r.device_id.clone(),
            idempotency_key: r.idempotency_key.clone(),
            reason: r.reason.clone(),
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }

    /// The row as recorded: nothing voided yet.
    fn recorded(self) -> CheckinRow {
        CheckinRow {
            id: self.id,
            province_id: self.province_id,
            staff_id: self.staff_id,
            at: self.at,
            local_date: self.local_date,
            direction: self.direction,
            source: self.source,
            device_id: self.device_id,
            idempotency_key: self.idempotency_key,
            reason: self.reason,
            created_by: self.created_by,
            created_at: self.created_at,
            voided_at: None,
            voided_by: None,
            void_reason: None,
        }
    }
}

#[derive(QueryableByName)]
struct NextId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// All of `rows` by binary `COPY`, when none duplicates an event recorded or another of
/// them: the rows written. `None` when one does, with nothing written (the savepoint is
/// rolled back), and the caller inserts them with `ON CONFLICT DO NOTHING` instead. A
/// backlog is mostly new events, and `INSERT … ON CONFLICT … RETURNING` of 5 000 rows took
/// about three times as long as their `COPY` (docs/PERFORMANCE.md).
pub fn copy_new(
    c: &mut PgConnection,
    rows: &[&NewCheckin],
) -> QueryResult<Option<Vec<CheckinRow>>> {
    let copied = c.transaction(|c| {
        // The sequence named as a constant: `pg_get_serial_sequence` in the select list
        // looked the name up again for every row, 10 of the 12 ms for 5 000 ids
        // (docs/PERFORMANCE.md). The name is the one PostgreSQL gives the identity column.
        let ids: Vec<NextId> = diesel::sql_query(
            "SELECT nextval('checkins_id_seq'::regclass) AS id FROM generate_series(1, $1)",
        )
        .bind::<BigInt, _>(i64::try_from(rows.len()).unwrap_or(i64::MAX))
        .load(c)?;
        let with_ids: Vec<WithId> = ids
            .iter()
            .zip(rows)
            .map(|(n, r)| WithId::new(n.id, r))
            .collect();
        diesel::copy_from(checkins::table)
            .from_insertable(&with_ids)
            .execute(c)?;
        Ok(with_ids)
    });
    match copied {
        Ok(with_ids) => Ok(Some(with_ids.into_iter().map(WithId::recorded).collect())),
        Err(diesel::result::Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(None)
        }
        Err(e) => Err(e),
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
