//! PostgreSQL: the run's proposals as one array a column, unnested into one upsert. A
//! multi-row `VALUES` of a thousand proposals (13 binds a row) was parsed and planned
//! again for each thousand: with binding, about a third of the upserts' time in the
//! province's run (docs/PERFORMANCE.md). This statement has one text for any number of
//! rows, so diesel prepares it once per connection.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp, Untyped};

use super::{EvaluationRow, StoredProposal};

/// The columns of `StoredProposal`, each an array.
pub struct Upsert {
    province_id: Vec<i64>,
    unit_id: Vec<i64>,
    staff_id: Vec<i64>,
    period: Vec<String>,
    policy_ids: Vec<String>,
    rated: Vec<bool>,
    proposed_rating: Vec<Option<String>>,
    max_rating: Vec<Option<String>>,
    metrics: Vec<String>,
    applied_rules: Vec<String>,
    quota_note: Vec<Option<String>>,
    previous_proposed_rating: Vec<Option<String>>,
    evaluated_at: Vec<chrono::NaiveDateTime>,
}

impl Upsert {
    pub fn new(rows: &[StoredProposal]) -> Upsert {
        fn col<T>(rows: &[StoredProposal], f: impl Fn(&StoredProposal) -> T) -> Vec<T> {
            rows.iter().map(f).collect()
        }
        Upsert {
            province_id: col(rows, |r| r.province_id),
            unit_id: col(rows, |r| r.unit_id),
            staff_id: col(rows, |r| r.staff_id),
            period: col(rows, |r| r.period.clone()),
            policy_ids: col(rows, |r| r.policy_ids.clone()),
            rated: col(rows, |r| r.rated),
            proposed_rating: col(rows, |r| r.proposed_rating.clone()),
            max_rating: col(rows, |r| r.max_rating.clone()),
            metrics: col(rows, |r| r.metrics.clone()),
            applied_rules: col(rows, |r| r.applied_rules.clone()),
            quota_note: col(rows, |r| r.quota_note.clone()),
            previous_proposed_rating: col(rows, |r| r.previous_proposed_rating.clone()),
            evaluated_at: col(rows, |r| r.evaluated_at),
        }
    }

    /// Inserts each proposal or replaces the person's one for the period (never HR's
    /// decision): the rows as stored.
    pub fn run(self, c: &mut PgConnection) -> QueryResult<Vec<EvaluationRow>> {
        self.load(c)
    }
}

impl QueryFragment<Pg> for Upsert {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO evaluations (province_id, unit_id, staff_id, period, policy_ids, \
             rated, proposed_rating, max_rating, metrics, applied_rules, quota_note, \
             previous_proposed_rating, evaluated_at) SELECT * FROM unnest(",
        );
        out.push_bind_param::<Array<BigInt>, _>(&self.province_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.unit_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.staff_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.period)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.policy_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.rated)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.proposed_rating)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.max_rating)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.metrics)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.applied_rules)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.quota_note)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.previous_proposed_rating)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.evaluated_at)?;
        // The same columns as the multi-row upsert on SQLite (`upsert_many`).
        out.push_sql(
            ") ON CONFLICT (staff_id, period) DO UPDATE SET unit_id = excluded.unit_id, \
             policy_ids = excluded.policy_ids, rated = excluded.rated, \
             proposed_rating = excluded.proposed_rating, max_rating = excluded.max_rating, \
             metrics = excluded.metrics, applied_rules = excluded.applied_rules, \
             quota_note = excluded.quota_note, \
             previous_proposed_rating = excluded.previous_proposed_rating, \
             evaluated_at = excluded.evaluated_at RETURNING *",
        );
        Ok(())
    }
}

// The same SQL text whatever the rows: cached by type.
impl QueryId for Upsert {
    type QueryId = Upsert;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for Upsert {
    type SqlType = Untyped;
}

impl RunQueryDsl<PgConnection> for Upsert {}
