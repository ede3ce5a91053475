//! Rating policies: TOML documents, versioned per code. The shipped presets are loaded
//! at start (a changed preset becomes a new version); provinces add versions through the
//! API. Nothing is overwritten: an evaluation names the exact versions it applied.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::policies;
use crate::domain::evaluation::policy::{Policy, PolicyKind, parse};
use crate::domain::evaluation::presets::PRESETS;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = policies)]
pub struct PolicyRow {
    pub id: i64,
    pub province_id: Option<i64>,
    pub code: String,
    pub version: i32,
    pub kind: String,
    pub name: String,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub document: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

impl PolicyRow {
    /// The stored document, parsed (it was checked when stored).
    pub fn policy(&self) -> Option<Policy> {
        parse(&self.document).ok()
    }
}

/// Stores `document` as the next version of its code, audited.
pub fn insert(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    province_id: Option<i64>,
    policy: &Policy,
    document: &str,
) -> QueryResult<PolicyRow> {
    let last: Option<i32> = policies::table
        .filter(policies::code.eq(&policy.code))
        .select(diesel::dsl::max(policies::version))
        .first(conn)?;
    let row: PolicyRow = diesel::insert_into(policies::table)
        .values((
            policies::province_id.eq(province_id),
            policies::code.eq(&policy.code),
            policies::version.eq(last.unwrap_or(0) + 1),
            policies::kind.eq(match policy.kind {
                PolicyKind::Base => "base",
                PolicyKind::Overlay => "overlay",
            }),
            policies::name.eq(&policy.name),
            policies::effective_from.eq(policy.effective_from),
            policies::effective_to.eq(policy.effective_to),
            policies::document.eq(document),
            policies::created_by.eq(actor),
            policies::created_at.eq(super::now()),
        ))
        .get_result(conn)?;
    audit::record(
        conn,
        Entry::<(), _> {
            actor_user_id: actor,
            entity: "policy",
            entity_id: row.id,
            action: "create",
            province_id,
            unit_id: province_id,
            before: None,
            after: Some(&serde_json::json!({
                "code": row.code, "version": row.version, "name": row.name,
                "effective_from": row.effective_from, "effective_to": row.effective_to,
            })),
        },
    )?;
    Ok(row)
}

/// The scope (province code, or None for national) that versions of `code` already
/// have; None when the code is new.
pub fn scope_of(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<Option<String>>> {
    let doc: Option<String> = policies::table
        .filter(policies::code.eq(code))
        .order(policies::version.desc())
        .select(policies::document)
        .first(conn)
        .optional()?;
    Ok(doc.and_then(|d| parse(&d).ok()).map(|p| p.province))
}

/// Every version, newest first within each code.
pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<PolicyRow>> {
    policies::table
        .order((policies::code, policies::version.desc()))
        .select(PolicyRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<PolicyRow>> {
    policies::table
        .find(id)
        .select(PolicyRow::as_select())
        .first(conn)
        .optional()
}

/// Loads the shipped presets: a shipped text never stored before becomes the next
/// version of its code (so a release that changes a preset adds a version, and a
/// province's own later version is not undone by a restart). Nor by an upgrade: when the
/// code's newest version was posted by someone, a changed shipped text is not added over
/// it (it would become the newest and decide alone, silently replacing the province's
/// thresholds); a warning says so, and whoever posted it may post the new text. Run at start, after the
/// migrations, in one transaction; on PostgreSQL two processes starting at once take
/// turns (advisory lock class 4).
pub fn seed_presets(conn: &mut AnyConnection) -> QueryResult<usize> {
    // It reads, then may write: on SQLite beside a running server it begins with the
    // write lock (`db::write_transaction`), as every write of the pool does.
    super::write_transaction(conn, |c| {
        super::advisory_lock(c, super::LockClass::PolicySeed, 0)?;
        let stored = list(c)?;
        let mut added = 0;
        for (file, text) in PRESETS {
            // A preset that does not parse is a build defect, caught by the domain tests;
            // skip it rather than refuse to start.
            let Ok(policy) = parse(text) else {
                tracing::error!(file, "shipped policy does not parse");
                continue;
            };
            if stored
                .iter()
                .any(|r| r.code == policy.code && r.document == *text)
            {
                continue;
            }
            // `stored` is newest first within each code.
            if let Some(own) = stored
                .iter()
                .find(|r| r.code == policy.code)
                .filter(|r| r.created_by.is_some())
            {
                tracing::warn!(
                    file,
                    code = %own.code,
                    version = own.version,
                    "this release changes a shipped policy whose newest version was posted \
                     through the API; that version is kept, and the shipped text is not added \
                     (post it as a new version to adopt it)"
                );
                continue;
            }
            let province_id = match &policy.province {
                Some(code) => super::units::find_by_code(c, code)?
                    .into_iter()
                    .find(|u| u.parent_id.is_none())
                    .map(|u| u.id),
                None => None,
            };
            insert(c, None, province_id, &policy, text)?;
            added += 1;
        }
        Ok(added)
    })
}
