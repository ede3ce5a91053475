//! Accounts and the roles they hold.

use diesel::prelude::*;

use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::{staff, units, user_roles, users};
use crate::domain::access::{Actor, Grant};
use crate::domain::codes::Role;
use crate::domain::units::common_ancestor;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub province_id: Option<i64>,
    pub username: String,
    /// argon2id PHC string; never leaves the server.
    pub password_hash: String,
    pub staff_id: Option<i64>,
    pub is_active: bool,
    pub credentials_changed_at: chrono::NaiveDateTime,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_roles)]
pub struct RoleRow {
    pub id: i64,
    pub user_id: i64,
    pub province_id: Option<i64>,
    pub role: String,
    pub unit_id: Option<i64>,
    pub created_at: chrono::NaiveDateTime,
}

/// A role to grant: the role and its unit with that unit's province (None: every unit).
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub role: Role,
    pub unit_id: Option<i64>,
    pub province_id: Option<i64>,
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub staff_id: Option<i64>,
    pub province_id: Option<i64>,
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_username(conn: &mut AnyConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn username_taken(conn: &mut AnyConnection, username: &str) -> QueryResult<bool> {
    find_by_username(conn, username).map(|u| u.is_some())
}

pub fn staff_linked(conn: &mut AnyConnection, staff_id: i64) -> QueryResult<bool> {
    users::table
        .filter(users::staff_id.eq(staff_id))
        .count()
        .get_result::<i64>(conn)
        .map(|n| n > 0)
}

/// What the audit trail keeps of an account: everything but the password hash.
#[derive(Debug, Serialize)]
struct AccountSnapshot<'a> {
    id: i64,
    username: &'a str,
    staff_id: Option<i64>,
    is_active: bool,
    roles: Vec<(&'a str, Option<i64>)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_changed: Option<bool>,
}

fn snapshot<'a>(
    user: &'a UserRow,
    roles: &'a [RoleRow],
    password_changed: Option<bool>,
) -> AccountSnapshot<'a> {
    AccountSnapshot {
        id: user.id,
        username: &user.username,
        staff_id: user.staff_id,
        is_active: user.is_active,
        roles: roles.iter().map(|r| (r.role.as_str(), r.unit_id)).collect(),
        password_changed,
    }
}

fn insert_grants(
    conn: &mut AnyConnection,
    user_id: i64,
    grants: &[NewGrant],
) -> QueryResult<Vec<RoleRow>> {
    let now = super::now();
    // MultiConnection cannot batch-insert; one row per grant inside the caller's transaction.
    let mut roles = Vec::with_capacity(grants.len());
    for g in grants {
        roles.push(
            diesel::insert_into(user_roles::table)
                .values((
                    user_roles::user_id.eq(user_id),
                    user_roles::province_id.eq(g.province_id),
                    user_roles::role.eq(g.role.code()),
                    user_roles::unit_id.eq(g.unit_id),
                    user_roles::created_at.eq(now),
                ))
                .get_result(conn)?,
        );
    }
    Ok(roles)
}

/// The unit an account's audit rows are filed under: the deepest unit whose subtree holds
/// every unit the account reaches (its roles' units and its staff record's unit), so that
/// only readers who reach all of them see its snapshots. None (visible to global readers
/// only) when a role reaches every unit.
fn account_anchor(
    conn: &mut AnyConnection,
    roles: &[RoleRow],
    staff_id: Option<i64>,
) -> QueryResult<Option<i64>> {
    let units: Vec<Option<i64>> = roles.iter().map(|r| r.unit_id).collect();
    anchor_of(conn, &units, staff_id)
}

/// The nearest unit holding all of `role_units` (None among them: every unit) and the
/// staff record's unit.
fn anchor_of(
    conn: &mut AnyConnection,
    role_units: &[Option<i64>],
    staff_id: Option<i64>,
) -> QueryResult<Option<i64>> {
    if role_units.iter().any(Option::is_none) {
        return Ok(None);
    }
    let mut unit_ids: Vec<i64> = role_units.iter().flatten().copied().collect();
    if let Some(sid) = staff_id {
        unit_ids.extend(
            staff::table
                .find(sid)
                .select(staff::unit_id)
                .first::<i64>(conn)
                .optional()?,
        );
    }
    let paths: Vec<String> = units::table
        .filter(units::id.eq_any(unit_ids))
        .select(units::path)
        .load(conn)?;
    Ok(common_ancestor(paths.iter().map(String::as_str)))
}

/// The roles a transfer's undoing did not give back to `account` (the undoer could not
/// grant them), in the account's trail for an administrator over them to give back: read
/// only by those who manage the account, as its roles are.
pub fn record_roles_not_restored(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    account: i64,
    withheld: &[crate::db::posts::HeldRole],
) -> QueryResult<()> {
    let Some(user) = find(conn, account)? else {
        return Ok(());
    };
    let mut units: Vec<Option<i64>> = roles_of(conn, account)?.iter().map(|r| r.unit_id).collect();
    units.extend(withheld.iter().map(|r| r.unit_id));
    let anchor = anchor_of(conn, &units, user.staff_id)?;
    audit::record(
        conn,
        Entry::<(), _> {
            actor_user_id: actor,
            entity: "user",
            entity_id: account,
            action: "roles_not_restored",
            province_id: user.province_id,
            unit_id: anchor,
            before: None,
            after: Some(&serde_json::json!({ "not_restored": withheld })),
        },
    )
}

/// A session opened, in the audit trail beside the account's changes and shown to the same
/// readers (those who manage the account): `login` by the account itself, with the
/// client's address.
pub fn record_login(conn: &mut AnyConnection, user: &UserRow, client: &str) -> QueryResult<()> {
    #[derive(Serialize)]
    struct Session<'a> {
        client: &'a str,
    }
    let roles = roles_of(conn, user.id)?;
    let anchor = account_anchor(conn, &roles, user.staff_id)?;
    audit::record(
        conn,
        Entry::<(), _> {
            actor_user_id: Some(user.id),
            entity: "user",
            entity_id: user.id,
            action: "login",
            province_id: user.province_id,
            unit_id: anchor,
            before: None,
            after: Some(&Session { client }),
        },
    )
}

/// Creates an account with its roles, audited as done by `actor` (None: the command line).
pub fn insert(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    new: &NewUser<'_>,
    grants: &[NewGrant],
) -> QueryResult<(UserRow, Vec<RoleRow>)> {
    let now = super::now();
    let user: UserRow = diesel::insert_into(users::table)
        .values((
            users::province_id.eq(new.province_id),
            users::username.eq(new.username),
            users::password_hash.eq(new.password_hash),
            users::staff_id.eq(new.staff_id),
            users::is_active.eq(true),
            users::credentials_changed_at.eq(now),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .get_result(conn)?;
    let roles = insert_grants(conn, user.id, grants)?;
    let anchor = account_anchor(conn, &roles, user.staff_id)?;
    audit::record(
        conn,
        Entry::<(), _> {
            actor_user_id: actor,
            entity: "user",
            entity_id: user.id,
            action: "create",
            province_id: user.province_id,
            unit_id: anchor,
            before: None,
            after: Some(&snapshot(&user, &roles, None)),
        },
    )?;
    Ok((user, roles))
}

/// The columns of an account a change writes (None: left as stored).
#[derive(AsChangeset)]
#[diesel(table_name = users)]
struct AccountSet<'a> {
    credentials_changed_at: Option<chrono::NaiveDateTime>,
    password_hash: Option<&'a str>,
    is_active: Option<bool>,
    updated_at: chrono::NaiveDateTime,
}

/// A change to an account; None leaves that part as it is.
#[derive(Debug, Default)]
pub struct AccountChange {
    pub password_hash: Option<String>,
    pub is_active: Option<bool>,
    pub grants: Option<Vec<NewGrant>>,
}

pub fn update(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    before: &UserRow,
    change: &AccountChange,
) -> QueryResult<(UserRow, Vec<RoleRow>)> {
    let roles_before = roles_of(conn, before.id)?;
    let now = super::now();
    // Only the columns the change sets are written: a role edit that wrote back the
    // session stamp it had read would revive the sessions a departure ended meanwhile.
    // A new password or a deactivation ends every open session; reactivating an account
    // does not bring its old tokens back.
    let ends_sessions = change.password_hash.is_some() || change.is_active == Some(false);
    let after: UserRow = diesel::update(users::table.find(before.id))
        .set(&AccountSet {
            credentials_changed_at: ends_sessions.then_some(now),
            password_hash: change.password_hash.as_deref(),
            is_active: change.is_active,
            updated_at: now,
        })
        .get_result(conn)?;
    let roles = match &change.grants {
        Some(grants) => {
            diesel::delete(user_roles::table.filter(user_roles::user_id.eq(before.id)))
                .execute(conn)?;
            insert_grants(conn, before.id, grants)?
        }
        None => roles_before.clone(),
    };
    let anchor = account_anchor(
        conn,
        &[roles_before.as_slice(), roles.as_slice()].concat(),
        after.staff_id,
    )?;
    audit::record(
        conn,
        Entry {
            actor_user_id: actor,
            entity: "user",
            entity_id: before.id,
            action: "update",
            province_id: after.province_id,
            unit_id: anchor,
            before: Some(&snapshot(before, &roles_before, None)),
            after: Some(&snapshot(
                &after,
                &roles,
                change.password_hash.as_ref().map(|_| true),
            )),
        },
    )?;
    Ok((after, roles))
}

/// Users whose roles or linked staff record lie in the visible units.
pub fn list(
    conn: &mut AnyConnection,
    all: bool,
    visible_units: &[i64],
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<UserRow>, i64)> {
    let filtered = || {
        let mut q = users::table.into_boxed();
        if !all {
            let by_role = user_roles::table
                .filter(user_roles::unit_id.eq_any(visible_units.to_vec()))
                .select(user_roles::user_id);
            let by_staff = staff::table
                .filter(staff::unit_id.eq_any(visible_units.to_vec()))
                .select(staff::id.nullable());
            // The same rule as for reading one account: no role outside the visible
            // units (a role on no unit reaches outside everything) and the staff record,
            // if any, inside them.
            let reaching_outside = user_roles::table
                .filter(
                    user_roles::unit_id
                        .is_null()
                        .or(user_roles::unit_id.ne_all(visible_units.to_vec())),
                )
                .select(user_roles::user_id);
            let staff_inside = staff::table
                .filter(staff::unit_id.eq_any(visible_units.to_vec()))
                .select(staff::id.nullable());
            q = q
                .filter(
                    users::id
                        .eq_any(by_role)
                        .or(users::staff_id.eq_any(by_staff)),
                )
                .filter(users::id.ne_all(reaching_outside))
                .filter(
                    users::staff_id
                        .is_null()
                        .or(users::staff_id.eq_any(staff_inside)),
                );
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let items = filtered()
        .order(users::id)
        .limit(limit)
        .offset(offset)
        .select(UserRow::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// The signed-in user as the access rules see them, or None when the account is unknown
/// or deactivated, or its staff record has left the service.
pub fn load_actor(conn: &mut AnyConnection, user_id: i64) -> QueryResult<Option<(UserRow, Actor)>> {
    let Some(user) = find(conn, user_id)? else {
        return Ok(None);
    };
    if !user.is_active {
        return Ok(None);
    }
    let grants: Vec<(String, Option<i64>, Option<String>)> = user_roles::table
        .left_join(units::table)
        .filter(user_roles::user_id.eq(user_id))
        .select((
            user_roles::role,
            user_roles::unit_id,
            units::path.nullable(),
        ))
        .load(conn)?;
    let staff: Option<(i64, Option<chrono::NaiveDate>)> = match user.staff_id {
        Some(sid) => staff::table
            .find(sid)
            .select((staff::unit_id, staff::left_on))
            .first(conn)
            .optional()?,
        None => None,
    };
    // Someone who has left the service holds none of their roles any more, whether or not
    // an administrator has deactivated the account yet (the leaving day is their last).
    let today = crate::domain::attendance::to_local(super::now()).date();
    if staff.is_some_and(|(_, left)| left.is_some_and(|l| l < today)) {
        return Ok(None);
    }
    let staff_unit_id = staff.map(|(unit, _)| unit);
    let actor = Actor {
        user_id,
        staff_id: user.staff_id,
        staff_unit_id,
        grants: grants
            .into_iter()
            .filter_map(|(role, unit_id, unit_path)| {
                // A role on a unit whose row is missing must reach nothing, not (with a
                // NULL path) everything.
                if unit_id.is_some() && unit_path.is_none() {
                    tracing::warn!(user_id, ?unit_id, %role, "role on a missing unit ignored");
                    return None;
                }
                Role::parse(&role).map(|role| Grant {
                    role,
                    unit_id,
                    unit_path,
                })
            })
            .collect(),
    };
    Ok(Some((user, actor)))
}

/// Ends every session of the account linked to this staff record, if any: tokens issued
/// before now no longer pass (`credentials_changed_at`).
pub fn end_sessions_of_staff(conn: &mut AnyConnection, staff_id: i64) -> QueryResult<usize> {
    // Under the account's lock, as every account change: one made at this moment sees it.
    if let Some(id) = account_of_staff(conn, staff_id)? {
        super::advisory_lock(conn, super::LockClass::Account, id)?;
    }
    diesel::update(users::table.filter(users::staff_id.eq(staff_id)))
        .set(users::credentials_changed_at.eq(super::now()))
        .execute(conn)
}

/// Ends every session of the account (`POST /auth/logout`): tokens issued before now no
/// longer pass. Audited (`logout`) in the account's trail, as its logins are.
pub fn log_out(conn: &mut AnyConnection, user: &UserRow) -> QueryResult<()> {
    super::advisory_lock(conn, super::LockClass::Account, user.id)?;
    diesel::update(users::table.find(user.id))
        .set(users::credentials_changed_at.eq(super::now()))
        .execute(conn)?;
    let roles = roles_of(conn, user.id)?;
    let anchor = account_anchor(conn, &roles, user.staff_id)?;
    audit::record(
        conn,
        Entry::<(), ()> {
            actor_user_id: Some(user.id),
            entity: "user",
            entity_id: user.id,
            action: "logout",
            province_id: user.province_id,
            unit_id: anchor,
            before: None,
            after: None,
        },
    )
}

/// The account linked to this staff record, if any.
pub fn account_of_staff(conn: &mut AnyConnection, staff_id: i64) -> QueryResult<Option<i64>> {
    users::table
        .filter(users::staff_id.eq(staff_id))
        .select(users::id)
        .first(conn)
        .optional()
}

/// The roles held by the account linked to this staff record (none when it has none),
/// with the paths of their units (None: a role on no unit, reaching every unit).
pub fn roles_of_staff(conn: &mut AnyConnection, staff_id: i64) -> QueryResult<Vec<Option<String>>> {
    user_roles::table
        .inner_join(users::table)
        .left_join(units::table.on(units::id.nullable().eq(user_roles::unit_id)))
        .filter(users::staff_id.eq(staff_id))
        .select(units::path.nullable())
        .load(conn)
}

pub fn roles_of(conn: &mut AnyConnection, user_id: i64) -> QueryResult<Vec<RoleRow>> {
    user_roles::table
        .filter(user_roles::user_id.eq(user_id))
        .order(user_roles::id)
        .select(RoleRow::as_select())
        .load(conn)
}

/// All role rows of several users, for list pages.
pub fn roles_of_many(conn: &mut AnyConnection, user_ids: &[i64]) -> QueryResult<Vec<RoleRow>> {
    user_roles::table
        .filter(user_roles::user_id.eq_any(user_ids))
        .order(user_roles::id)
        .select(RoleRow::as_select())
        .load(conn)
}
