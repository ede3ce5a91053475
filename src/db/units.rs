//! Queries on the unit tree.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, Entry};
use super::schema::units;
use super::{AnyConnection, MultiBackend};
use crate::domain::access::Visibility;
use crate::domain::units::{child_path, rebase, subtree_range};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = units)]
pub struct UnitRow {
    pub id: i64,
    pub province_id: i64,
    pub parent_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub path: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    /// A province's first day of judged attendance (None on other units, and on provinces
    /// created before it existed: judged all along).
    pub attendance_from: Option<chrono::NaiveDate>,
}

#[derive(Insertable)]
#[diesel(table_name = units)]
struct NewUnitRow<'a> {
    province_id: i64,
    parent_id: Option<i64>,
    code: &'a str,
    name: &'a str,
    kind: &'a str,
    path: &'a str,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    attendance_from: Option<chrono::NaiveDate>,
}

pub type UnitCondition =
    Box<dyn BoxableExpression<units::table, MultiBackend, SqlType = diesel::sql_types::Bool>>;

/// The SQL form of a visibility: the units it reaches. Callers handle `all` (no filter).
pub fn visible_condition(vis: &Visibility) -> UnitCondition {
    let mut cond: UnitCondition = Box::new(units::id.eq_any(vis.units.clone()));
    for root in &vis.subtrees {
        let (low, high) = subtree_range(root);
        cond = Box::new(cond.or(units::path.ge(low).and(units::path.lt(high))));
    }
    cond
}

/// Serialises the changes to one province's tree (creating and moving units), which read
/// paths and write paths derived from them. On PostgreSQL this is a transaction-scoped
/// advisory lock (class 1 = unit tree, key = province); on SQLite the writer lock of
/// `Db::write` already serialises every write.
pub fn lock_tree(conn: &mut AnyConnection, province_id: i64) -> QueryResult<()> {
    super::advisory_lock(conn, super::LockClass::UnitTree, province_id)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<UnitRow>> {
    units::table
        .find(id)
        .select(UnitRow::as_select())
        .first(conn)
        .optional()
}

/// Every province root.
pub fn roots(conn: &mut AnyConnection) -> QueryResult<Vec<UnitRow>> {
    units::table
        .filter(units::parent_id.is_null())
        .order(units::id)
        .select(UnitRow::as_select())
        .load(conn)
}

/// The first day of judged attendance of each of these provinces that has one.
pub fn attendance_starts(
    conn: &mut AnyConnection,
    provinces: &[i64],
) -> QueryResult<HashMap<i64, chrono::NaiveDate>> {
    let rows: Vec<(i64, Option<chrono::NaiveDate>)> = units::table
        .filter(units::id.eq_any(provinces))
        .filter(units::attendance_from.is_not_null())
        .select((units::id, units::attendance_from))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, d)| Some((id, d?)))
        .collect())
}

pub fn find_many(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<UnitRow>> {
    units::table
        .filter(units::id.eq_any(ids))
        .select(UnitRow::as_select())
        .load(conn)
}

pub fn find_by_code(conn: &mut AnyConnection, code: &str) -> QueryResult<Vec<UnitRow>> {
    units::table
        .filter(units::code.eq(code))
        .order(units::id)
        .select(UnitRow::as_select())
        .load(conn)
}

/// Whether a unit other than `except` uses `code` in the province `province_id` (None: a
/// new or renamed province root, whose code no other root may use). Imports and the
/// one-stop feed name units by code: two of one code in a province made every line for
/// either a rejection ("several units have this code") for anyone reaching both, so a
/// commune's admin could stop a district's dossiers being recorded by reusing its code.
pub fn code_taken(
    conn: &mut AnyConnection,
    province_id: Option<i64>,
    code: &str,
    except: Option<i64>,
) -> QueryResult<bool> {
    let mut q = units::table.filter(units::code.eq(code)).into_boxed();
    q = match province_id {
        Some(p) => q.filter(units::province_id.eq(p)),
        None => q.filter(units::parent_id.is_null()),
    };
    if let Some(id) = except {
        q = q.filter(units::id.ne(id));
    }
    q.count().get_result::<i64>(conn).map(|n| n > 0)
}

/// Inserts a unit under `parent` (None: a new province root, whose register judges
/// attendance from `attendance_from`) and fills its path and province, which depend on
/// its own id.
pub fn insert(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    parent: Option<&UnitRow>,
    code: &str,
    name: &str,
    kind: &str,
    attendance_from: Option<chrono::NaiveDate>,
) -> QueryResult<UnitRow> {
    let now = super::now();
    let inserted: UnitRow = diesel::insert_into(units::table)
        .values(&NewUnitRow {
            province_id: parent.map_or(0, |p| p.province_id),
            parent_id: parent.map(|p| p.id),
            code,
            name,
            kind,
            path: "",
            created_at: now,
            updated_at: now,
            attendance_from: attendance_from.filter(|_| parent.is_none()),
        })
        .get_result(conn)?;
    let path = child_path(parent.map(|p| p.path.as_str()), inserted.id);
    let province_id = parent.map_or(inserted.id, |p| p.province_id);
    let row: UnitRow = diesel::update(units::table.find(inserted.id))
        .set((units::path.eq(&path), units::province_id.eq(province_id)))
        .get_result(conn)?;
    audit_change(conn, actor, "create", None, &row)?;
    Ok(row)
}

fn audit_change(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    action: &str,
    before: Option<&UnitRow>,
    after: &UnitRow,
) -> QueryResult<()> {
    audit::record(
        conn,
        Entry {
            actor_user_id: actor,
            entity: "unit",
            entity_id: after.id,
            action,
            province_id: Some(after.province_id),
            unit_id: Some(after.id),
            before,
            after: Some(after),
        },
    )
}

#[derive(Debug, Default)]
pub struct UnitFilter {
    pub parent_id: Option<i64>,
    pub kind: Option<String>,
    pub code: Option<String>,
    /// Only units in the subtree of this path.
    pub within: Option<String>,
}

fn filtered(vis: &Visibility, f: &UnitFilter) -> units::BoxedQuery<'static, MultiBackend> {
    let mut q = units::table.into_boxed();
    if !vis.all {
        q = q.filter(visible_condition(vis));
    }
    if let Some(p) = f.parent_id {
        q = q.filter(units::parent_id.eq(p));
    }
    if let Some(k) = &f.kind {
        q = q.filter(units::kind.eq(k.clone()));
    }
    if let Some(c) = &f.code {
        q = q.filter(units::code.eq(c.clone()));
    }
    if let Some(w) = &f.within {
        let (low, high) = subtree_range(w);
        q = q.filter(units::path.ge(low).and(units::path.lt(high)));
    }
    q
}

/// One page of the visible units, in tree order, and the total count.
pub fn list(
    conn: &mut AnyConnection,
    vis: &Visibility,
    f: &UnitFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<UnitRow>, i64)> {
    let total = filtered(vis, f).count().get_result(conn)?;
    let items = filtered(vis, f)
        .order((units::path, units::id))
        .limit(limit)
        .offset(offset)
        .select(UnitRow::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// Writes changed code, name and kind.
pub fn update_fields(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    before: &UnitRow,
    row: &UnitRow,
) -> QueryResult<UnitRow> {
    let after: UnitRow = diesel::update(units::table.find(row.id))
        .set((
            units::code.eq(&row.code),
            units::name.eq(&row.name),
            units::kind.eq(&row.kind),
            units::attendance_from.eq(row.attendance_from),
            units::updated_at.eq(super::now()),
        ))
        .get_result(conn)?;
    audit_change(conn, actor, "update", Some(before), &after)?;
    Ok(after)
}

/// Moves `unit` and its subtree under `new_parent` (same province), rewriting the paths of
/// every descendant in the same transaction.
pub fn move_subtree(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    unit: &UnitRow,
    new_parent: &UnitRow,
) -> QueryResult<UnitRow> {
    let new_path = child_path(Some(&new_parent.path), unit.id);
    let descendants: Vec<(i64, String)> = units::table
        .filter(units::path.ge(subtree_range(&unit.path).0))
        .filter(units::path.lt(subtree_range(&unit.path).1))
        .select((units::id, units::path))
        .load(conn)?;
    for (id, path) in descendants {
        if let Some(rebased) = rebase(&path, &unit.path, &new_path) {
            diesel::update(units::table.find(id))
                .set(units::path.eq(rebased))
                .execute(conn)?;
        }
    }
    let after: UnitRow = diesel::update(units::table.find(unit.id))
        .set((
            units::parent_id.eq(new_parent.id),
            units::updated_at.eq(super::now()),
        ))
        .get_result(conn)?;
    audit_change(conn, actor, "move", Some(unit), &after)?;
    Ok(after)
}
