//! Transfers: the units people were in before the one their staff record names.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::posts::{self, Posts};
use super::schema::{evaluations, staff, staff_moves, units};
use super::staff::StaffRow;
use crate::domain::access::Visibility;
use crate::domain::postings::{Earlier, unit_on};
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

/// The unit a person was in on `day`, with its path: their present unit (at `path`) from
/// the day they came into it, without a query; an earlier one, read from their moves,
/// before it.
pub fn posted_on(
    conn: &mut AnyConnection,
    person: &StaffRow,
    path: &str,
    day: NaiveDate,
) -> QueryResult<Posted> {
    let now = Posted {
        unit_id: person.unit_id,
        path: path.to_owned(),
    };
    if person.in_present_unit_on(day) {
        return Ok(now);
    }
    let earlier = earlier_of(conn, &[person.id])?
        .remove(&person.id)
        .unwrap_or_default();
    Ok(unit_on(&earlier, &now, day).clone())
}

/// The units people were in on given days, for many one-stop steps of a few people: each
/// person's moves are read once, and only for a day before their present posting. A step
/// belongs to its officer's unit of its day, as a check-in does.
#[derive(Debug, Default)]
pub struct PostingCache {
    earlier: HashMap<i64, Vec<Earlier<i64>>>,
}

impl PostingCache {
    /// The id of the unit the person (in `unit_id` since `unit_since`) was in on `day`:
    /// their present unit when they were in it then, or the day is unknown.
    pub fn unit_id_on(
        &mut self,
        conn: &mut AnyConnection,
        staff_id: i64,
        (unit_id, unit_since): (i64, Option<NaiveDate>),
        day: Option<NaiveDate>,
    ) -> QueryResult<i64> {
        let (Some(day), Some(since)) = (day, unit_since) else {
            return Ok(unit_id);
        };
        if day >= since {
            return Ok(unit_id);
        }
        let earlier = match self.earlier.entry(staff_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(
                earlier_of(conn, &[staff_id])?
                    .remove(&staff_id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|e| Earlier {
                        until: e.until,
                        unit: e.unit.unit_id,
                    })
                    .collect(),
            ),
        };
        Ok(*unit_on(earlier, &unit_id, day))
    }
}

/// The day of a person's last transfer, if they have one (what `unit_since` says).
fn last_move_on(conn: &mut AnyConnection, staff_id: i64) -> QueryResult<Option<NaiveDate>> {
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
    /// What it ended of the person's posts in the unit left (the account's own audit rows
    /// show the roles).
    pub posts: Posts,
}

/// Records that the person was in `from_unit_id` until `moved_on`, in the audit trail too
/// (the staff record's own entry has the units, not the day).
pub fn record(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    t: &Transfer,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let (roles_before, roles_after) = match &t.posts.roles {
        Some((before, after)) => (Some(posts::json(before)?), Some(posts::json(after)?)),
        None => (None, None),
    };
    diesel::insert_into(staff_moves::table)
        .values((
            staff_moves::staff_id.eq(t.staff_id),
            staff_moves::from_unit_id.eq(t.from_unit_id),
            staff_moves::moved_on.eq(t.moved_on),
            staff_moves::created_at.eq(now),
            staff_moves::was_head.eq(t.posts.was_head),
            staff_moves::roles_before.eq(roles_before),
            staff_moves::roles_after.eq(roles_after),
        ))
        .execute(conn)?;
    diesel::update(staff::table.find(t.staff_id))
        .set(staff::unit_since.eq(Some(t.moved_on)))
        .execute(conn)?;
    refile_ratings(conn, t.province_id, t.staff_id, t.moved_on, t.to_unit_id)?;
    audit_transfer(conn, actor, "transfer", t)
}

/// Files the person's ratings of the years a transfer on `moved_on` (or its undoing)
/// changes under `unit_id`: every year from the transfer's on, as an earlier year belongs
/// to the unit of its 31 December and the running year to the present unit
/// (`evaluation_run::rated_here`). So a rating is listed by, and decided in, the unit that
/// rates it, before any run of the year again.
fn refile_ratings(
    conn: &mut AnyConnection,
    province_id: i64,
    staff_id: i64,
    moved_on: NaiveDate,
    unit_id: i64,
) -> QueryResult<usize> {
    use chrono::Datelike;
    // Under the province's evaluation lock, as runs and decisions write ratings: a run
    // that read the person before would otherwise write the old unit back.
    super::evaluation_run::lock(conn, province_id)?;
    // Periods are years ("2025"): four digits compare as their numbers.
    diesel::update(
        evaluations::table
            .filter(evaluations::staff_id.eq(staff_id))
            .filter(evaluations::period.ge(moved_on.year().to_string())),
    )
    .set(evaluations::unit_id.eq(unit_id))
    .execute(conn)
}

/// The person's last transfer, if they have one: what `undo_last` would take back.
pub fn last(conn: &mut AnyConnection, person: &StaffRow) -> QueryResult<Option<Transfer>> {
    type Row = (i64, NaiveDate, Option<bool>, Option<String>, Option<String>);
    let row: Option<Row> = staff_moves::table
        .filter(staff_moves::staff_id.eq(person.id))
        .order(staff_moves::moved_on.desc())
        .select((
            staff_moves::from_unit_id,
            staff_moves::moved_on,
            staff_moves::was_head,
            staff_moves::roles_before,
            staff_moves::roles_after,
        ))
        .first(conn)
        .optional()?;
    let Some((from_unit_id, moved_on, was_head, before, after)) = row else {
        return Ok(None);
    };
    let roles = match (before, after) {
        (Some(b), Some(a)) => Some((posts::parse(&b)?, posts::parse(&a)?)),
        _ => None,
    };
    Ok(Some(Transfer {
        staff_id: person.id,
        province_id: person.province_id,
        from_unit_id,
        to_unit_id: person.unit_id,
        moved_on,
        posts: Posts { was_head, roles },
    }))
}

/// Takes back a transfer recorded by mistake (`last`): the person is in its old unit again
/// as if it had never happened, in the trail as `transfer_undone`: heading it again if the
/// transfer ended that, with the roles it ended that `grant` (the undoer's reach over
/// accounts) may give (`posts::restore`).
pub fn undo_last(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    t: &Transfer,
    grant: &Visibility,
) -> QueryResult<StaffRow> {
    diesel::delete(
        staff_moves::table
            .filter(staff_moves::staff_id.eq(t.staff_id))
            .filter(staff_moves::moved_on.eq(t.moved_on)),
    )
    .execute(conn)?;
    let since = last_move_on(conn, t.staff_id)?;
    // The posts the transfer ended come back with the unit: heading it, where kept.
    let row: StaffRow = diesel::update(staff::table.find(t.staff_id))
        .set((
            staff::unit_id.eq(t.from_unit_id),
            staff::unit_since.eq(since),
            staff::updated_at.eq(super::now()),
            t.posts.was_head.map(|head| staff::is_head.eq(head)),
        ))
        .get_result(conn)?;
    if let Some(roles) = &t.posts.roles {
        posts::restore(conn, actor, t.staff_id, roles, grant)?;
    }
    refile_ratings(conn, t.province_id, t.staff_id, t.moved_on, t.from_unit_id)?;
    audit_transfer(conn, actor, "transfer_undone", t)?;
    Ok(row)
}

/// The transfer (or its undoing) in the trail of both units, the one left and the one
/// joined: each unit's admins and hr read their own trail, and before, the row was
/// filed under the new unit alone, so the old unit's found no trace of a departure (nor
/// of the undo that brought the person back).
fn audit_transfer(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    action: &str,
    t: &Transfer,
) -> QueryResult<()> {
    let mut units = vec![t.to_unit_id];
    if t.from_unit_id != t.to_unit_id {
        units.push(t.from_unit_id);
    }
    audit::record_many(
        conn,
        units.into_iter().map(|unit_id| Entry::<(), Transfer> {
            actor_user_id: actor,
            entity: "staff",
            entity_id: t.staff_id,
            action,
            province_id: Some(t.province_id),
            unit_id: Some(unit_id),
            before: None,
            after: Some(t),
        }),
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
