//! Queries on staff records.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, Entry};
use super::schema::{staff, units};
use super::{AnyConnection, MultiBackend};
use crate::domain::access::Visibility;
use crate::domain::units::subtree_range;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = staff)]
pub struct StaffRow {
    pub id: i64,
    pub province_id: i64,
    pub unit_id: i64,
    pub code: String,
    pub full_name: String,
    pub category: String,
    pub position: Option<String>,
    pub email: Option<String>,
    pub is_head: bool,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    /// The first day in the present unit, for someone transferred (`db::moves`).
    pub unit_since: Option<NaiveDate>,
    /// The day the record was created, when the province already judged attendance then
    /// (`domain::attendance::known_on`).
    pub known_from: Option<NaiveDate>,
}

/// The writable fields of a staff record.
#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = staff, treat_none_as_null = true)]
pub struct StaffFields {
    pub province_id: i64,
    pub unit_id: i64,
    pub code: String,
    pub full_name: String,
    pub category: String,
    pub position: Option<String>,
    pub email: Option<String>,
    pub is_head: bool,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
}

impl StaffRow {
    /// Whether the person was already in their present unit on `day`: always for someone
    /// never transferred, from `unit_since` on for someone who was. Before it, their unit
    /// is read from their moves (`db::moves`).
    pub fn in_present_unit_on(&self, day: NaiveDate) -> bool {
        self.unit_since.is_none_or(|since| day >= since)
    }

    /// Whether `day` lies within the person's service (no joining or leaving date: in
    /// service all along).
    pub fn in_service_on(&self, day: NaiveDate) -> bool {
        self.joined_on.is_none_or(|j| j <= day) && self.left_on.is_none_or(|l| day <= l)
    }

    /// Whether a message about the unit at `about` is still theirs to get and read:
    /// they head, on `today` and in service, the unit at `own_path` (theirs), and it is
    /// that unit or one above it. A message may be read or retried long after it was
    /// addressed: a head who has left the post, the service, or moved to head another
    /// unit since is no longer its reader.
    pub fn still_heads(&self, own_path: &str, about: &str, today: NaiveDate) -> bool {
        self.is_head
            && self.in_service_on(today)
            && crate::domain::units::in_subtree(about, own_path)
    }

    pub fn fields(&self) -> StaffFields {
        StaffFields {
            province_id: self.province_id,
            unit_id: self.unit_id,
            code: self.code.clone(),
            full_name: self.full_name.clone(),
            category: self.category.clone(),
            position: self.position.clone(),
            email: self.email.clone(),
            is_head: self.is_head,
            joined_on: self.joined_on,
            left_on: self.left_on,
        }
    }
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<StaffRow>> {
    staff::table
        .find(id)
        .select(StaffRow::as_select())
        .first(conn)
        .optional()
}

/// The staff records with these ids (those that exist), a query per thousand ids.
pub fn find_many(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<StaffRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        out.extend(
            staff::table
                .filter(staff::id.eq_any(chunk))
                .select(StaffRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// A staff record with the path of its unit, for visibility checks.
pub fn find_with_path(
    conn: &mut AnyConnection,
    id: i64,
) -> QueryResult<Option<(StaffRow, String)>> {
    staff::table
        .inner_join(units::table)
        .filter(staff::id.eq(id))
        .select((StaffRow::as_select(), units::path))
        .first(conn)
        .optional()
}

/// The path of the unit of the staff record `id`, if there is one (an account's own
/// record, for the checks that keep one's own things for another administrator).
pub fn unit_path_of(conn: &mut AnyConnection, id: Option<i64>) -> QueryResult<Option<String>> {
    Ok(match id {
        Some(id) => find_with_path(conn, id)?.map(|(_, path)| path),
        None => None,
    })
}

pub fn find_by_code(
    conn: &mut AnyConnection,
    province_id: i64,
    code: &str,
) -> QueryResult<Option<StaffRow>> {
    staff::table
        .filter(staff::province_id.eq(province_id))
        .filter(staff::code.eq(code))
        .select(StaffRow::as_select())
        .first(conn)
        .optional()
}

/// The staff of a province with these codes (those that exist), each with their unit's
/// path, a query per thousand.
pub fn by_codes(
    conn: &mut AnyConnection,
    province_id: i64,
    codes: &[&str],
) -> QueryResult<Vec<(StaffRow, String)>> {
    let mut out = Vec::new();
    for chunk in codes.chunks(1000) {
        out.extend(
            staff::table
                .inner_join(units::table)
                .filter(staff::province_id.eq(province_id))
                .filter(staff::code.eq_any(chunk))
                .select((StaffRow::as_select(), units::path))
                .load(conn)?,
        );
    }
    Ok(out)
}

pub fn code_taken(
    conn: &mut AnyConnection,
    province_id: i64,
    code: &str,
    except: Option<i64>,
) -> QueryResult<bool> {
    let mut q = staff::table
        .filter(staff::province_id.eq(province_id))
        .filter(staff::code.eq(code))
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(staff::id.ne(id));
    }
    q.count().get_result::<i64>(conn).map(|n| n > 0)
}

pub fn insert(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    fields: &StaffFields,
) -> QueryResult<StaffRow> {
    let now = super::now();
    let row: StaffRow = diesel::insert_into(staff::table)
        .values((fields, staff::created_at.eq(now), staff::updated_at.eq(now)))
        .get_result(conn)?;
    audit_change(conn, actor, "create", None, &row)?;
    Ok(row)
}

/// Marks a record just created as known from `day` (`known_on`).
pub fn set_known_from(conn: &mut AnyConnection, id: i64, day: NaiveDate) -> QueryResult<StaffRow> {
    diesel::update(staff::table.find(id))
        .set(staff::known_from.eq(Some(day)))
        .get_result(conn)
}

pub fn update(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    before: &StaffRow,
    fields: &StaffFields,
) -> QueryResult<StaffRow> {
    let row: StaffRow = diesel::update(staff::table.find(before.id))
        .set((fields, staff::updated_at.eq(super::now())))
        .get_result(conn)?;
    audit_change(conn, actor, "update", Some(before), &row)?;
    Ok(row)
}

fn audit_change(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    action: &str,
    before: Option<&StaffRow>,
    after: &StaffRow,
) -> QueryResult<()> {
    audit::record(
        conn,
        Entry {
            actor_user_id: actor,
            entity: "staff",
            entity_id: after.id,
            action,
            province_id: Some(after.province_id),
            unit_id: Some(after.unit_id),
            before,
            after: Some(after),
        },
    )
}

#[derive(Debug, Default)]
pub struct StaffFilter {
    pub unit_id: Option<i64>,
    /// With `unit_id`: include the staff of every unit below it.
    pub subtree_of: Option<String>,
    pub code: Option<String>,
    pub is_head: Option<bool>,
}

type StaffJoin = diesel::dsl::InnerJoinQuerySource<staff::table, units::table>;
type StaffCondition =
    Box<dyn BoxableExpression<StaffJoin, MultiBackend, SqlType = diesel::sql_types::Bool>>;

/// Staff visible through subtrees or by their own id. Single units a visibility reaches
/// (a staff member's own unit) do not make that unit's colleagues visible.
fn visible(vis: &Visibility) -> StaffCondition {
    let mut cond: StaffCondition = Box::new(staff::id.eq_any(vis.staff_ids.clone()));
    for root in &vis.subtrees {
        let (low, high) = subtree_range(root);
        cond = Box::new(cond.or(units::path.ge(low).and(units::path.lt(high))));
    }
    cond
}

fn filtered(
    vis: &Visibility,
    f: &StaffFilter,
) -> diesel::dsl::IntoBoxed<'static, diesel::dsl::InnerJoin<staff::table, units::table>, MultiBackend>
{
    let mut q = staff::table.inner_join(units::table).into_boxed();
    if !vis.all {
        q = q.filter(visible(vis));
    }
    match (&f.subtree_of, f.unit_id) {
        (Some(path), _) => {
            let (low, high) = subtree_range(path);
            q = q.filter(units::path.ge(low).and(units::path.lt(high)));
        }
        (None, Some(unit_id)) => q = q.filter(staff::unit_id.eq(unit_id)),
        (None, None) => {}
    }
    if let Some(c) = &f.code {
        q = q.filter(staff::code.eq(c.clone()));
    }
    if let Some(h) = f.is_head {
        q = q.filter(staff::is_head.eq(h));
    }
    q
}

pub fn list(
    conn: &mut AnyConnection,
    vis: &Visibility,
    f: &StaffFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<StaffRow>, i64)> {
    let total = filtered(vis, f).count().get_result(conn)?;
    let items = filtered(vis, f)
        .order((staff::unit_id, staff::code, staff::id))
        .limit(limit)
        .offset(offset)
        .select(StaffRow::as_select())
        .load(conn)?;
    Ok((items, total))
}
