//! Transfers: the units people were in before the one their staff record names.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::{staff_moves, units};
use crate::domain::postings::Earlier;
use crate::domain::units::subtree_range;

/// An earlier unit, with its path (which gives the units whose schedules it inherits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub unit_id: i64,
    pub path: String,
}

/// The earlier spells of these people, each person's in order of their moves; people who
/// never moved have none. One query: callers pass at most a thousand ids.
pub fn earlier_of(
    conn: &mut AnyConnection,
    staff_ids: &[i64],
) -> QueryResult<HashMap<i64, Vec<Earlier<Posted>>>> {
    let rows: Vec<(i64, NaiveDate, i64, String)> = staff_moves::table
        .inner_join(units::table)
        .filter(staff_moves::staff_id.eq_any(staff_ids))
        .order((staff_moves::staff_id, staff_moves::moved_on))
        .select((
            staff_moves::staff_id,
            staff_moves::moved_on,
            staff_moves::from_unit_id,
            units::path,
        ))
        .load(conn)?;
    let mut out: HashMap<i64, Vec<Earlier<Posted>>> = HashMap::new();
    for (staff_id, until, unit_id, path) in rows {
        out.entry(staff_id).or_default().push(Earlier {
            until,
            unit: Posted { unit_id, path },
        });
    }
    Ok(out)
}

/// The day of a person's last transfer, if they have one.
pub fn last_move_on(conn: &mut AnyConnection, staff_id: i64) -> QueryResult<Option<NaiveDate>> {
    staff_moves::table
        .filter(staff_moves::staff_id.eq(staff_id))
        .select(diesel::dsl::max(staff_moves::moved_on))
        .first(conn)
}

/// A transfer as the audit trail keeps it.
#[derive(Debug, Serialize)]
pub struct Transfer {
    pub staff_id: i64,
    pub province_id: i64,
    pub from_unit_id: i64,
    pub to_unit_id: i64,
    pub moved_on: NaiveDate,
}

/// Records that the person was in `from_unit_id` until `moved_on`, in the audit trail too
/// (the staff record's own entry has the units, not the day).
pub fn record(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    t: &Transfer,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(staff_moves::table)
        .values((
            staff_moves::staff_id.eq(t.staff_id),
            staff_moves::from_unit_id.eq(t.from_unit_id),
            staff_moves::moved_on.eq(t.moved_on),
            staff_moves::created_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        Entry::<(), Transfer> {
            actor_user_id: actor,
            entity: "staff",
            entity_id: t.staff_id,
            action: "transfer",
            province_id: Some(t.province_id),
            unit_id: Some(t.to_unit_id),
            before: None,
            after: Some(t),
        },
    )
}

/// The people who left a unit of the subtree at `path` (or, with `only`, that one unit of
/// it) on a day after `after`, so were in it on some day from `after` on, whatever unit
/// they are in now.
pub fn left_after(
    conn: &mut AnyConnection,
    path: &str,
    only: Option<i64>,
    after: NaiveDate,
) -> QueryResult<Vec<i64>> {
    let (low, high) = subtree_range(path);
    let mut q = staff_moves::table
        .inner_join(units::table)
        .filter(units::path.ge(low))
        .filter(units::path.lt(high))
        .filter(staff_moves::moved_on.gt(after))
        .select(staff_moves::staff_id)
        .into_boxed();
    if let Some(unit) = only {
        q = q.filter(staff_moves::from_unit_id.eq(unit));
    }
    let mut ids: Vec<i64> = q.load(conn)?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}
