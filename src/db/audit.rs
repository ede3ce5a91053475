//! The append-only audit trail. Rows are written in the same transaction as the change
//! they describe, so a rolled-back change leaves no audit row and no change goes unaudited.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{audit_log, notifications, repeat_notices, units};
use super::units::visible_condition;
use super::{AnyConnection, MultiBackend};
use crate::domain::access::Visibility;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub province_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub at: chrono::NaiveDateTime,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// One audited change. `before` and `after` are the entity's public representation
/// (never a password hash).
pub struct Entry<'a, B: Serialize, A: Serialize> {
    pub actor_user_id: Option<i64>,
    pub entity: &'a str,
    pub entity_id: i64,
    pub action: &'a str,
    pub province_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub before: Option<&'a B>,
    pub after: Option<&'a A>,
}

pub fn record<B: Serialize, A: Serialize>(
    conn: &mut AnyConnection,
    e: Entry<'_, B, A>,
) -> QueryResult<()> {
    record_many(conn, std::iter::once(e))
}

/// Many entries in one statement (a batch's events, each audited on its own).
pub fn record_many<'a, B: Serialize + 'a, A: Serialize + 'a>(
    conn: &mut AnyConnection,
    entries: impl IntoIterator<Item = Entry<'a, B, A>>,
) -> QueryResult<()> {
    let at = super::now();
    let rows: Vec<NewAudit> = entries
        .into_iter()
        .map(|e| NewAudit {
            province_id: e.province_id,
            unit_id: e.unit_id,
            actor_user_id: e.actor_user_id,
            at,
            entity: e.entity.to_owned(),
            entity_id: e.entity_id,
            action: e.action.to_owned(),
            before_json: e.before.and_then(|b| serde_json::to_string(b).ok()),
            after_json: e.after.and_then(|a| serde_json::to_string(a).ok()),
        })
        .collect();
    // One entry is a single-row insert, which diesel prepares once per connection. Many
    // go to PostgreSQL by COPY, which is neither parsed nor planned per row count as a
    // multi-row insert is, and to SQLite in multi-row inserts (these are not available
    // through MultiConnection, but are on each backend), chunked under its bound-value
    // limit (9 a row).
    match (conn, rows.as_slice()) {
        (_, []) => {}
        (conn, [one]) => {
            diesel::insert_into(audit_log::table)
                .values(one)
                .execute(conn)?;
        }
        (AnyConnection::Postgresql(c), _) => {
            diesel::copy_from(audit_log::table)
                .from_insertable(&rows)
                .execute(c)?;
        }
        (AnyConnection::Sqlite(c), _) => {
            for chunk in rows.chunks(1000) {
                diesel::insert_into(audit_log::table)
                    .values(chunk)
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

#[derive(Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
struct NewAudit {
    province_id: Option<i64>,
    unit_id: Option<i64>,
    actor_user_id: Option<i64>,
    at: chrono::NaiveDateTime,
    entity: String,
    entity_id: i64,
    action: String,
    before_json: Option<String>,
    after_json: Option<String>,
}

#[derive(Debug, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    /// Where the reader manages accounts: rows about accounts are shown only there (an
    /// account's rows are filed under the unit that holds all it reaches). None: the
    /// reader manages none, and sees no account rows.
    pub accounts: Option<Visibility>,
    /// The reader's own staff record: the trail of notices about them is not theirs to
    /// read, whatever their roles (`hidden_notices`).
    pub reader: Option<i64>,
    /// The reader's account: what it did itself is never hidden from it (a head told of
    /// the notice about a head below, acknowledging it).
    pub reader_user_id: i64,
}

/// The trail's repeat notices and messages the reader may not see, by entity id: (notices,
/// messages). As `GET /notifications` hides them: those about the reader's own violations,
/// and those about the head of a unit the reader reaches only from within it (its
/// deputy's, its own hr's or admin's role): such a notice went to the level above, and
/// its trail (an acknowledgement with its note, a message retried) is filed under the
/// head's unit like the notice.
fn hidden_notices(
    conn: &mut AnyConnection,
    vis: &Visibility,
    reader: Option<i64>,
) -> QueryResult<(Vec<i64>, Vec<i64>)> {
    let mut notices: Vec<i64> = match reader {
        Some(me) => repeat_notices::table
            .filter(repeat_notices::staff_id.eq(me))
            .select(repeat_notices::id)
            .load(conn)?,
        None => Vec::new(),
    };
    if !vis.all {
        // The units reached whose parent is not: where a head's notice is out of reach.
        let reached: Vec<(i64, String)> = units::table
            .filter(
                units::path
                    .eq_any(vis.subtrees.clone())
                    .or(units::id.eq_any(vis.units.clone())),
            )
            .select((units::id, units::path))
            .load(conn)?;
        let tops: Vec<i64> = reached
            .into_iter()
            .filter(|(_, path)| !vis.above(path))
            .map(|(id, _)| id)
            .collect();
        if !tops.is_empty() {
            let yes = true;
            notices.extend(
                repeat_notices::table
                    .filter(repeat_notices::about_head.eq(yes))
                    .filter(repeat_notices::unit_id.eq_any(tops))
                    .select(repeat_notices::id)
                    .load::<i64>(conn)?,
            );
        }
    }
    let mut messages = Vec::new();
    for chunk in notices.chunks(1000) {
        messages.extend(
            notifications::table
                .filter(notifications::notice_id.assume_not_null().eq_any(chunk))
                .select(notifications::id)
                .load::<i64>(conn)?,
        );
    }
    Ok((notices, messages))
}

fn filtered(
    vis: &Visibility,
    visible_units: &[i64],
    account_units: Option<&[i64]>,
    hidden: &(Vec<i64>, Vec<i64>),
    f: &AuditFilter,
) -> audit_log::BoxedQuery<'static, MultiBackend> {
    let mut q = audit_log::table.into_boxed();
    let (notices, messages) = hidden;
    for (entity, ids) in [("repeat_notice", notices), ("notification", messages)] {
        if ids.is_empty() {
            continue;
        }
        q = q.filter(diesel::dsl::not(
            audit_log::entity
                .eq(entity)
                .and(audit_log::entity_id.eq_any(ids.clone()))
                .and(
                    audit_log::actor_user_id
                        .is_null()
                        .or(audit_log::actor_user_id.ne(f.reader_user_id)),
                ),
        ));
    }
    if !vis.all {
        q = q.filter(
            audit_log::unit_id.eq_any(visible_units.iter().copied().map(Some).collect::<Vec<_>>()),
        );
    }
    if let Some(e) = &f.entity {
        q = q.filter(audit_log::entity.eq(e.clone()));
    }
    if let Some(id) = f.entity_id {
        q = q.filter(audit_log::entity_id.eq(id));
    }
    // Readers of the trail who manage accounts only somewhere narrower than they read it
    // (hr of a department and admin of one division) see account rows only there.
    match (&f.accounts, account_units) {
        (None, _) => q = q.filter(audit_log::entity.ne("user")),
        (Some(_), Some(units)) => {
            q =
                q.filter(audit_log::entity.ne("user").or(
                    audit_log::unit_id.eq_any(units.iter().copied().map(Some).collect::<Vec<_>>()),
                ))
        }
        (Some(_), None) => {}
    }
    if let Some(a) = f.actor_user_id {
        q = q.filter(audit_log::actor_user_id.eq(a));
    }
    q
}

/// Newest first.
pub fn list(
    conn: &mut AnyConnection,
    vis: &Visibility,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<AuditRow>, i64)> {
    // Audit reads are rare; resolving the visible units first keeps the filter a plain list.
    let within = |c: &mut AnyConnection, v: &Visibility| -> QueryResult<Vec<i64>> {
        units::table
            .filter(visible_condition(v))
            .select(units::id)
            .load(c)
    };
    let visible_units: Vec<i64> = if vis.all {
        Vec::new()
    } else {
        within(conn, vis)?
    };
    let account_units: Option<Vec<i64>> = match &f.accounts {
        Some(manage) if !manage.all => Some(within(conn, manage)?),
        _ => None,
    };
    // Looked up only where the rows asked for may be of notices.
    let hidden = match f.entity.as_deref() {
        None | Some("repeat_notice" | "notification") => hidden_notices(conn, vis, f.reader)?,
        Some(_) => Default::default(),
    };
    let total = filtered(vis, &visible_units, account_units.as_deref(), &hidden, f)
        .count()
        .get_result(conn)?;
    let items = filtered(vis, &visible_units, account_units.as_deref(), &hidden, f)
        .order(audit_log::id.desc())
        .limit(limit)
        .offset(offset)
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok((items, total))
}
