//! Metadata of the evidence files attached to findings. The files themselves live in the
//! evidence store (`crate::evidence`), named by their SHA-256.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::AnyConnection;
use super::audit::{self, Entry};
use super::schema::evidence;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = evidence)]
pub struct EvidenceRow {
    pub id: i64,
    pub province_id: i64,
    pub finding_id: i64,
    pub sha256: String,
    pub size_bytes: i64,
    pub content_type: String,
    pub filename: Option<String>,
    pub uploaded_by: i64,
    pub uploaded_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Insertable, Serialize)]
#[diesel(table_name = evidence)]
pub struct NewEvidence {
    pub province_id: i64,
    pub finding_id: i64,
    pub sha256: String,
    pub size_bytes: i64,
    pub content_type: String,
    pub filename: Option<String>,
    pub uploaded_by: i64,
}

/// Records a file against a finding, audited with the finding's unit. The same content
/// attached again to the same finding returns the first record and `false`.
pub fn attach(
    conn: &mut AnyConnection,
    unit_id: i64,
    new: &NewEvidence,
) -> QueryResult<(EvidenceRow, bool)> {
    let existing: Option<EvidenceRow> = evidence::table
        .filter(evidence::finding_id.eq(new.finding_id))
        .filter(evidence::sha256.eq(&new.sha256))
        .select(EvidenceRow::as_select())
        .first(conn)
        .optional()?;
    if let Some(row) = existing {
        return Ok((row, false));
    }
    let row: EvidenceRow = diesel::insert_into(evidence::table)
        .values((new, evidence::uploaded_at.eq(super::now())))
        .get_result(conn)?;
    audit::record(
        conn,
        Entry::<(), _> {
            actor_user_id: Some(new.uploaded_by),
            entity: "finding",
            entity_id: new.finding_id,
            action: "attach_evidence",
            province_id: Some(row.province_id),
            unit_id: Some(unit_id),
            before: None,
            after: Some(&row),
        },
    )?;
    Ok((row, true))
}

pub fn of_finding(conn: &mut AnyConnection, finding_id: i64) -> QueryResult<Vec<EvidenceRow>> {
    evidence::table
        .filter(evidence::finding_id.eq(finding_id))
        .order(evidence::id)
        .select(EvidenceRow::as_select())
        .load(conn)
}

pub fn find(
    conn: &mut AnyConnection,
    finding_id: i64,
    id: i64,
) -> QueryResult<Option<EvidenceRow>> {
    evidence::table
        .filter(evidence::id.eq(id))
        .filter(evidence::finding_id.eq(finding_id))
        .select(EvidenceRow::as_select())
        .first(conn)
        .optional()
}
