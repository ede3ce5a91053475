//! A person's posts in a unit, which a transfer ends: heading it, and the roles their
//! account holds on it (`domain::postings::grants_after_transfer`). What a transfer ended
//! is kept with it (`staff_moves`), so that undoing the transfer gives it back.

use std::collections::HashMap;

use diesel::QueryResult;
use serde::{Deserialize, Serialize};

use super::AnyConnection;
use super::units::UnitRow;
use super::users::{self, AccountChange, NewGrant, RoleRow};
use crate::domain::access::{Grant, Visibility};
use crate::domain::codes::Role;
use crate::domain::postings::grants_after_transfer;

/// A role of an account as a transfer keeps it, to give it back when it is undone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldRole {
    pub role: String,
    pub unit_id: Option<i64>,
    pub province_id: Option<i64>,
}

impl From<&RoleRow> for HeldRole {
    fn from(r: &RoleRow) -> Self {
        HeldRole {
            role: r.role.clone(),
            unit_id: r.unit_id,
            province_id: r.province_id,
        }
    }
}

/// The person's posts before and after a transfer: whether they headed the unit left,
/// and their account's roles (None: no account, or no role changed). None throughout for
/// transfers recorded before they were kept. The trail of the transfer shows `was_head`
/// (the account's own rows show its roles).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Posts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub was_head: Option<bool>,
    #[serde(skip)]
    pub roles: Option<(Vec<HeldRole>, Vec<HeldRole>)>,
}

/// Ends the posts in the unit `from` (id and path) of the account linked to `staff_id`,
/// who goes to `to` (`grants_after_transfer`: the roles held there end, the staff role
/// goes along), as a change of the account in the audit trail, by whoever records the
/// transfer (they reach the unit left, as moving people out of it needs). Returns the
/// roles before and after, when they changed. Takes the account's lock, after the staff
/// record's.
pub fn end(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    staff_id: i64,
    from: (i64, &str),
    to: &UnitRow,
) -> QueryResult<Option<(Vec<HeldRole>, Vec<HeldRole>)>> {
    let Some(account) = users::account_of_staff(conn, staff_id)? else {
        return Ok(None);
    };
    super::advisory_lock(conn, super::LockClass::Account, account)?;
    let roles = users::roles_of(conn, account)?;
    let ids: Vec<i64> = roles.iter().filter_map(|r| r.unit_id).collect();
    let paths: HashMap<i64, String> = super::units::find_many(conn, &ids)?
        .into_iter()
        .map(|u| (u.id, u.path))
        .collect();
    let grants: Vec<Grant> = roles
        .iter()
        .filter_map(|r| {
            Some(Grant {
                role: Role::parse(&r.role)?,
                unit_id: r.unit_id,
                unit_path: r.unit_id.and_then(|u| paths.get(&u).cloned()),
            })
        })
        .collect();
    let after = grants_after_transfer(&grants, from, (to.id, &to.path));
    if after == grants {
        return Ok(None);
    }
    let before: Vec<HeldRole> = roles.iter().map(HeldRole::from).collect();
    let kept: Vec<HeldRole> = after
        .iter()
        .map(|g| HeldRole {
            role: g.role.code().to_owned(),
            unit_id: g.unit_id,
            // The province of the role it was, or of the unit a staff role moved to.
            province_id: roles
                .iter()
                .find(|r| r.role == g.role.code() && r.unit_id == g.unit_id)
                .map_or(Some(to.province_id), |r| r.province_id),
        })
        .collect();
    set_roles(conn, actor, account, &kept)?;
    Ok(Some((before, kept)))
}

/// Gives back what a transfer ended (`end`): the roles it gave go and those it took away
/// come back, leaving any other change made to the account since. A role other than
/// `staff` comes back only where `grant` (the undoer's reach over accounts) could give it
/// through `/users`: an HR officer undoing a transfer does not hand out admin roles.
/// Those it does not give back go into the account's trail (an administrator over them
/// gives them back through `/users`).
pub fn restore(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    staff_id: i64,
    (before, after): &(Vec<HeldRole>, Vec<HeldRole>),
    grant: &Visibility,
) -> QueryResult<()> {
    let Some(account) = users::account_of_staff(conn, staff_id)? else {
        return Ok(());
    };
    super::advisory_lock(conn, super::LockClass::Account, account)?;
    let now: Vec<HeldRole> = users::roles_of(conn, account)?
        .iter()
        .map(HeldRole::from)
        .collect();
    let mut restored: Vec<HeldRole> = now
        .iter()
        .filter(|r| before.contains(r) || !after.contains(r))
        .cloned()
        .collect();
    let ids: Vec<i64> = before.iter().filter_map(|r| r.unit_id).collect();
    let paths: HashMap<i64, String> = super::units::find_many(conn, &ids)?
        .into_iter()
        .map(|u| (u.id, u.path))
        .collect();
    let may_give = |r: &HeldRole| {
        r.role == Role::Staff.code()
            || match r.unit_id {
                Some(unit) => paths.get(&unit).is_some_and(|p| grant.subtree(p)),
                None => grant.all,
            }
    };
    let mut withheld = Vec::new();
    for r in before.iter().filter(|r| !after.contains(r)) {
        if !may_give(r) {
            withheld.push(r.clone());
        } else if !restored.contains(r) {
            restored.push(r.clone());
        }
    }
    if restored != now {
        set_roles(conn, actor, account, &restored)?;
    }
    // The roles the undoer could not give back, for an administrator to see: in the
    // account's trail, which only those who manage accounts read. Before, they were in the
    // transfer's row of the staff record, which the undoing HR officer reads too.
    if !withheld.is_empty() {
        users::record_roles_not_restored(conn, actor, account, &withheld)?;
    }
    Ok(())
}

fn set_roles(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    account: i64,
    roles: &[HeldRole],
) -> QueryResult<()> {
    let Some(user) = users::find(conn, account)? else {
        return Ok(());
    };
    let grants = roles
        .iter()
        .filter_map(|r| {
            Some(NewGrant {
                role: Role::parse(&r.role)?,
                unit_id: r.unit_id,
                province_id: r.province_id,
            })
        })
        .collect();
    let change = AccountChange {
        grants: Some(grants),
        ..AccountChange::default()
    };
    users::update(conn, actor, &user, &change).map(|_| ())
}

pub(super) fn json(roles: &[HeldRole]) -> QueryResult<String> {
    serde_json::to_string(roles).map_err(|e| diesel::result::Error::SerializationError(e.into()))
}

pub(super) fn parse(text: &str) -> QueryResult<Vec<HeldRole>> {
    serde_json::from_str(text).map_err(|e| diesel::result::Error::DeserializationError(e.into()))
}
