//! The notification outbox: one row per email to one recipient, written in the
//! transaction that decided it should go out, and sent later by a worker. A worker claims
//! an entry with a conditional UPDATE (only one process can win it) and holds it for a
//! lease; what it sends it marks sent under its own claim. So two server processes never
//! send the same entry, and an entry whose sender died is taken up again once the lease
//! runs out.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{notifications, repeat_notices, units};
use super::{AnyConnection, MultiBackend};
use crate::domain::access::Visibility;
use crate::domain::codes::{NotificationKind, NotificationStatus};
use crate::domain::outbox::AfterFailure;
use crate::domain::units::subtree_range;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: i64,
    pub province_id: i64,
    pub unit_id: i64,
    pub kind: String,
    pub notice_id: Option<i64>,
    pub recipient_staff_id: Option<i64>,
    pub recipient_email: Option<String>,
    pub dedupe_key: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<NaiveDateTime>,
    pub message_id: String,
    pub sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub province_id: i64,
    pub unit_id: i64,
    pub kind: NotificationKind,
    pub notice_id: Option<i64>,
    pub recipient_staff_id: Option<i64>,
    pub recipient_email: Option<String>,
    /// One message per key, however often it is decided.
    pub dedupe_key: String,
    pub payload: serde_json::Value,
}

/// A `Message-ID` that stays the same across attempts, so that a mail client shows a
/// message delivered twice (a sender that died after the server took it) once. It is
/// this message's alone, not only its key's: keys name rows by id, ids start again after
/// a restore from backup or a move to another database, and mail services (Gmail,
/// Exchange) drop a message whose Message-ID they already hold, so a new notice under an
/// old notice's id never arrived. Hence a random part, drawn once, when queued.
fn message_id(dedupe_key: &str, now: NaiveDateTime) -> String {
    let local: String = dedupe_key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '.' })
        .collect();
    let mut bytes = [0u8; 8];
    let unique = match getrandom::fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        // No entropy: the time queued still tells two databases' messages apart.
        Err(_) => now.and_utc().timestamp_micros().unsigned_abs(),
    };
    format!("{local}.{unique:016x}@congvu")
}

/// Queues a message unless one with its key exists; returns whether it was queued. A
/// message with nobody to send to is kept as dead, so that an administrator sees it.
pub fn enqueue(
    conn: &mut AnyConnection,
    n: &NewNotification,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let (status, error) = if n.recipient_staff_id.is_none() && n.recipient_email.is_none() {
        (
            NotificationStatus::Dead,
            Some(match n.kind {
                NotificationKind::Escalation => {
                    "nobody to escalate to: no unit above those told has a head on record"
                }
                _ => "no head to tell: the unit and those above it have no head on record",
            }),
        )
    } else {
        (NotificationStatus::Pending, None)
    };
    let payload = n.payload.to_string();
    let row = (
        notifications::province_id.eq(n.province_id),
        notifications::unit_id.eq(n.unit_id),
        notifications::kind.eq(n.kind.code()),
        notifications::notice_id.eq(n.notice_id),
        notifications::recipient_staff_id.eq(n.recipient_staff_id),
        notifications::recipient_email.eq(n.recipient_email.as_deref()),
        notifications::dedupe_key.eq(&n.dedupe_key),
        notifications::payload.eq(&payload),
        notifications::status.eq(status.code()),
        notifications::attempts.eq(0),
        notifications::next_attempt_at.eq(now),
        notifications::last_error.eq(error),
        notifications::message_id.eq(message_id(&n.dedupe_key, now)),
        notifications::created_at.eq(now),
        notifications::updated_at.eq(now),
    );
    // The key is unique: a second process deciding the same message adds nothing.
    let inserted = match conn {
        AnyConnection::Postgresql(c) => diesel::insert_into(notifications::table)
            .values(row)
            .on_conflict(notifications::dedupe_key)
            .do_nothing()
            .execute(c)?,
        AnyConnection::Sqlite(c) => diesel::insert_or_ignore_into(notifications::table)
            .values(row)
            .execute(c)?,
    };
    Ok(inserted == 1)
}

/// Whether an entry may be claimed at `now`: waiting, due, and held by no live claim.
/// One expression for listing the due entries and for the claim itself.
#[diesel::dsl::auto_type(no_type_alias)]
fn claimable(now: NaiveDateTime) -> _ {
    let waiting: [&'static str; 2] = [
        NotificationStatus::Pending.code(),
        NotificationStatus::Failed.code(),
    ];
    notifications::status
        .eq_any(waiting)
        .and(notifications::next_attempt_at.le(now))
        .and(
            notifications::claimed_until
                .is_null()
                .or(notifications::claimed_until.lt(now)),
        )
}

/// Entries due at `now` and not held by a live claim, oldest due first.
pub fn due(conn: &mut AnyConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<i64>> {
    notifications::table
        .filter(claimable(now))
        .order((notifications::next_attempt_at, notifications::id))
        .limit(limit)
        .select(notifications::id)
        .load(conn)
}

/// Takes an entry for one attempt until `until`: the conditional UPDATE succeeds for one
/// process only. Returns the entry as claimed, with its recipient's current address
/// (a head's email may have been corrected since the message was queued); None when
/// another process has it, when its recipient no longer heads the unit or one above it
/// (it is given up), or when its notice no longer stands (it is cancelled).
pub fn claim(
    conn: &mut AnyConnection,
    id: i64,
    holder: &str,
    until: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<Option<NotificationRow>> {
    let won = diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(claimable(now)),
    )
    .set((
        notifications::claimed_by.eq(holder),
        notifications::claimed_until.eq(until),
        notifications::attempts.eq(notifications::attempts + 1),
        notifications::updated_at.eq(now),
    ))
    .execute(conn)?;
    if won == 0 {
        return Ok(None);
    }
    let mut row = find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    // A notice whose violations were withdrawn since it was made told of a repeat that
    // did not happen: not sent, until it stands again (`revive_standing`).
    if let Some(notice) = row.notice_id
        && super::notices::withdrawn(conn, &[notice])?.contains(&notice)
    {
        cancel(conn, id, holder, now)?;
        return Ok(None);
    }
    // An escalation tells the level above that nobody acted on a notice, a repeat asks a
    // head to act on it: one acknowledged since it was queued (while it waited after a
    // failure) has nothing to tell. Before, the mail server coming back at 08:00 still
    // told the director of a notice the division head had acknowledged at 07:30, and a
    // co-head to act on a notice the other head had handled.
    if (row.kind == NotificationKind::Escalation.code()
        || row.kind == NotificationKind::Repeat.code())
        && let Some(notice) = row.notice_id
        && super::notices::find(conn, notice)?.is_some_and(|n| n.acknowledged_at.is_some())
    {
        settle(
            conn,
            (id, holder),
            NotificationStatus::Cancelled,
            now,
            "not sent: the notice was acknowledged after this message was queued",
            now,
        )?;
        return Ok(None);
    }
    // A dispute's message asks its deciders to accept or refuse it by a date: decided
    // since it was queued, there is nothing to ask. Before, a message held back by a
    // mail outage went out after the decision, and again at each daily re-send.
    if row.kind == NotificationKind::Dispute.code()
        && let Some(dispute) = serde_json::from_str::<serde_json::Value>(&row.payload)
            .ok()
            .and_then(|p| p["dispute_id"].as_i64())
        && super::disputes::find(conn, dispute)?
            .is_none_or(|d| d.status() != crate::domain::disputes::DisputeStatus::Pending)
    {
        settle(
            conn,
            (id, holder),
            NotificationStatus::Cancelled,
            now,
            "not sent: the dispute was decided after this message was queued",
            now,
        )?;
        return Ok(None);
    }
    if let Some(staff_id) = row.recipient_staff_id {
        let current = super::staff::find_with_path(conn, staff_id)?;
        let about: Option<String> = units::table
            .find(row.unit_id)
            .select(units::path)
            .first(conn)
            .optional()?;
        // A message may wait hours or days after a failure: by then its head may have
        // left the service or the post, or been moved to head another unit, and what it
        // tells is no longer theirs to read. Every message goes to a head of the unit it
        // is about or of one above it.
        let today = crate::domain::attendance::to_local(now).date();
        let Some((head, _)) = current.filter(|(head, path)| {
            about
                .as_deref()
                .is_some_and(|a| head.still_heads(path, a, today))
        }) else {
            mark_failed(
                conn,
                id,
                holder,
                AfterFailure::Dead,
                "not sent: the recipient no longer heads the unit or one above it (left the \
                 service or the post, or moved)",
                now,
            )?;
            return Ok(None);
        };
        // The address as the staff record has it now: corrected, or cleared (then the
        // message has nowhere to go, rather than going to the wrong address).
        let email = head.email.filter(|e| !e.trim().is_empty());
        if email != row.recipient_email {
            diesel::update(notifications::table.find(id))
                .set(notifications::recipient_email.eq(&email))
                .execute(conn)?;
            row.recipient_email = email;
        }
    }
    Ok(Some(row))
}

/// Records a delivery made under `holder`'s claim.
pub fn mark_sent(
    conn: &mut AnyConnection,
    id: i64,
    holder: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::claimed_by.eq(holder)),
    )
    .set((
        notifications::status.eq(NotificationStatus::Sent.code()),
        notifications::sent_at.eq(Some(now)),
        notifications::claimed_by.eq(None::<String>),
        notifications::claimed_until.eq(None::<NaiveDateTime>),
        notifications::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records a failed attempt made under `holder`'s claim.
pub fn mark_failed(
    conn: &mut AnyConnection,
    id: i64,
    holder: &str,
    after: AfterFailure,
    error: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let (status, next) = match after {
        AfterFailure::Retry(at) => (NotificationStatus::Failed, at),
        AfterFailure::Dead => (NotificationStatus::Dead, now),
    };
    settle(conn, (id, holder), status, next, error, now)
}

/// Records under `holder`'s claim that an entry is not sent: its notice no longer stands.
fn cancel(
    conn: &mut AnyConnection,
    id: i64,
    holder: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    settle(
        conn,
        (id, holder),
        NotificationStatus::Cancelled,
        now,
        "not sent: the notice no longer stands (its violations were withdrawn, voided or \
         handed to someone else since it was made, or went with a newcomer into a later \
         notice that replaces it)",
        now,
    )
}

/// Ends `holder`'s claim on an entry that was not delivered, with where it stands now.
fn settle(
    conn: &mut AnyConnection,
    (id, holder): (i64, &str),
    status: NotificationStatus,
    next: NaiveDateTime,
    error: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let error: String = error.chars().take(1000).collect();
    let n = diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::claimed_by.eq(holder)),
    )
    .set((
        notifications::status.eq(status.code()),
        notifications::next_attempt_at.eq(next),
        notifications::last_error.eq(Some(error)),
        notifications::claimed_by.eq(None::<String>),
        notifications::claimed_until.eq(None::<NaiveDateTime>),
        notifications::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Gives a failed, dead or cancelled entry a fresh round of attempts, due now (a cancelled
/// one is cancelled again at its claim while its notice does not stand). None, changing
/// nothing, when it is no longer any of those, or a sender holds a live claim on it: a
/// failed entry may be in the middle of its next attempt, and clearing the claim under
/// that sender would make its `mark_sent` match nothing and the message go out again.
/// One conditional UPDATE, so a claim taken after the caller looked is seen too.
pub fn retry(
    conn: &mut AnyConnection,
    id: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<NotificationRow>> {
    let retriable: [&'static str; 3] = [
        NotificationStatus::Failed.code(),
        NotificationStatus::Dead.code(),
        NotificationStatus::Cancelled.code(),
    ];
    let n = diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::status.eq_any(retriable))
            .filter(
                notifications::claimed_until
                    .is_null()
                    .or(notifications::claimed_until.lt(now)),
            ),
    )
    .set((
        notifications::status.eq(NotificationStatus::Pending.code()),
        notifications::attempts.eq(0),
        notifications::next_attempt_at.eq(now),
        // What went wrong before is in the audit row of the retry.
        notifications::last_error.eq(None::<String>),
        notifications::claimed_by.eq(None::<String>),
        notifications::claimed_until.eq(None::<NaiveDateTime>),
        notifications::updated_at.eq(now),
    ))
    .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    find(conn, id)
}

/// The daily re-send: dead entries queued since `since` that have someone to go to, about
/// a notice nobody has acknowledged (if any), get a fresh round. Returns how many.
pub fn revive_dead(
    conn: &mut AnyConnection,
    since: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::status.eq(NotificationStatus::Dead.code()))
            .filter(notifications::created_at.ge(since))
            .filter(
                notifications::recipient_staff_id
                    .is_not_null()
                    .or(notifications::recipient_email.is_not_null()),
            )
            // A notice a head has acted on since needs no more telling.
            .filter(
                notifications::notice_id.is_null().or(diesel::dsl::not(
                    notifications::notice_id.eq_any(
                        repeat_notices::table
                            .filter(repeat_notices::acknowledged_at.is_not_null())
                            .select(repeat_notices::id.nullable()),
                    ),
                )),
            ),
    )
    .set((
        notifications::status.eq(NotificationStatus::Pending.code()),
        notifications::attempts.eq(0),
        notifications::next_attempt_at.eq(now),
        notifications::updated_at.eq(now),
    ))
    .execute(conn)
}

/// The daily re-send's second part: entries cancelled (`cancel`) whose notice stands
/// again, and nobody has acknowledged, are due now. A violation withdrawn may come back
/// (the leave that voided a late arrival cancelled), and the head is then told after all:
/// however long ago the message was cancelled, of a notice recent enough to be news
/// (`repeats::NEWS_DAYS`; `escalate_due` waits for these only). Returns how many.
pub fn revive_standing(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    let recent = now - chrono::Duration::days(crate::domain::repeats::NEWS_DAYS);
    let cancelled: Vec<(i64, String, i64)> = notifications::table
        .inner_join(
            repeat_notices::table.on(repeat_notices::id.nullable().eq(notifications::notice_id)),
        )
        .filter(notifications::status.eq(NotificationStatus::Cancelled.code()))
        .filter(repeat_notices::created_at.ge(recent))
        .filter(repeat_notices::acknowledged_at.is_null())
        .select((notifications::id, notifications::kind, repeat_notices::id))
        .load(conn)?;
    let notices: Vec<i64> = cancelled.iter().map(|(_, _, n)| *n).collect();
    let void = super::notices::withdrawn(conn, &notices)?;
    let mut revived = 0;
    let mut told_now: Vec<i64> = Vec::new();
    for (id, kind, notice) in cancelled.iter().filter(|(_, _, n)| !void.contains(n)) {
        let n = diesel::update(
            notifications::table
                .filter(notifications::id.eq(id))
                .filter(notifications::status.eq(NotificationStatus::Cancelled.code()))
                // Acknowledged since it was read: nothing more to tell.
                .filter(
                    notifications::notice_id.eq_any(
                        repeat_notices::table
                            .filter(repeat_notices::id.eq(notice))
                            .filter(repeat_notices::acknowledged_at.is_null())
                            .select(repeat_notices::id.nullable()),
                    ),
                ),
        )
        .set(revival(now))
        .execute(conn)?;
        revived += n;
        if n == 1 && kind == NotificationKind::Repeat.code() {
            told_now.push(*notice);
        }
    }
    told_now.sort_unstable();
    told_now.dedup();
    for notice in told_now {
        delay_escalation(conn, notice, now)?;
    }
    Ok(revived)
}

/// What a cancelled entry taken up again is set to: due now, a fresh round.
#[diesel::dsl::auto_type(no_type_alias)]
fn revival(now: NaiveDateTime) -> _ {
    let pending: &'static str = NotificationStatus::Pending.code();
    let attempts: i32 = 0;
    let error: Option<String> = None;
    (
        notifications::status.eq(pending),
        notifications::attempts.eq(attempts),
        notifications::next_attempt_at.eq(now),
        notifications::last_error.eq(error),
        notifications::updated_at.eq(now),
    )
}

/// A notice whose heads are told only now, its messages cancelled before (by the re-send
/// or an administrator's retry): unless one of them was delivered earlier, it escalates no
/// sooner than its rule's delay (as the notice recorded it) from now, so the level above
/// is not told the day its heads first hear of it.
pub fn delay_escalation(
    conn: &mut AnyConnection,
    notice: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let messages: Vec<(String, String)> = notifications::table
        .filter(notifications::notice_id.eq(notice))
        .filter(notifications::kind.eq(NotificationKind::Repeat.code()))
        .select((notifications::status, notifications::payload))
        .load(conn)?;
    if messages
        .iter()
        .any(|(status, _)| status == NotificationStatus::Sent.code())
    {
        return Ok(());
    }
    let days = messages.iter().find_map(|(_, payload)| {
        serde_json::from_str::<serde_json::Value>(payload)
            .ok()?
            .pointer("/rule/escalate_after_days")?
            .as_i64()
    });
    let Some(days) = days else {
        return Ok(());
    };
    let at = now + chrono::Duration::days(days);
    diesel::update(
        repeat_notices::table
            .find(notice)
            .filter(repeat_notices::escalated_at.is_null())
            .filter(repeat_notices::escalate_at.lt(at))
            // One past the escalation's reach stays past it: its heads are told, and
            // nobody above.
            .filter(
                repeat_notices::escalate_at
                    .ge(now - chrono::Duration::days(super::notices::ESCALATION_REACH_DAYS)),
            ),
    )
    .set(repeat_notices::escalate_at.eq(Some(at)))
    .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<NotificationRow>> {
    notifications::table
        .find(id)
        .select(NotificationRow::as_select())
        .first(conn)
        .optional()
}

/// An entry with the path of the unit it is about, for visibility checks.
pub fn find_with_path(
    conn: &mut AnyConnection,
    id: i64,
) -> QueryResult<Option<(NotificationRow, String)>> {
    notifications::table
        .inner_join(units::table.on(units::id.eq(notifications::unit_id)))
        .filter(notifications::id.eq(id))
        .select((NotificationRow::as_select(), units::path))
        .first(conn)
        .optional()
}

#[derive(Debug, Default, Clone)]
pub struct NotificationFilter {
    pub status: Option<NotificationStatus>,
    pub kind: Option<NotificationKind>,
    /// The person a notice is about.
    pub staff_id: Option<i64>,
    /// Entries about this unit's subtree (its path).
    pub unit_path: Option<String>,
    /// The reader's staff record. Besides what the visibility reaches, entries addressed to
    /// them while they still head the unit at `heads` (the entry's unit or one above it);
    /// and the notices about their own violations are hidden from them, whatever their
    /// roles (the violator sees nothing of them).
    pub recipient: Option<i64>,
    /// The path of the unit the reader heads today, in service; None for anyone else.
    pub heads: Option<String>,
}

/// The notices about a head's own violations (marked so when made).
#[diesel::dsl::auto_type]
fn head_notices() -> _ {
    let yes: bool = true;
    repeat_notices::table
        .filter(repeat_notices::about_head.eq(yes))
        .select(repeat_notices::id)
}

/// Entries that are not about a head's own violations (a digest, a dispute, or a notice
/// about someone who heads nothing there).
#[diesel::dsl::auto_type(no_type_alias)]
fn not_about_a_head() -> _ {
    notifications::notice_id.is_null().or(diesel::dsl::not(
        notifications::notice_id
            .assume_not_null()
            .eq_any(head_notices()),
    ))
}

fn filtered(
    vis: &Visibility,
    f: &NotificationFilter,
    notice_ids: Option<&[i64]>,
) -> diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::InnerJoinOn<
        notifications::table,
        units::table,
        diesel::dsl::Eq<units::id, notifications::unit_id>,
    >,
    MultiBackend,
> {
    let mut q = notifications::table
        .inner_join(units::table.on(units::id.eq(notifications::unit_id)))
        .into_boxed();
    if !vis.all {
        // A notice about a head's own violations went to the level above them: a role
        // held on the very unit they head (a deputy's, the unit's own hr or admin) does
        // not reach it; one held above it does (readable() in the API says the same).
        let mut cond: Box<
            dyn BoxableExpression<_, MultiBackend, SqlType = diesel::sql_types::Bool>,
        > = Box::new(units::id.eq_any(vis.units.clone()).and(not_about_a_head()));
        for root in &vis.subtrees {
            let (low, high) = subtree_range(root);
            cond = Box::new(
                cond.or(units::path
                    .ge(low)
                    .and(units::path.lt(high))
                    .and(units::path.ne(root.clone()).or(not_about_a_head()))),
            );
        }
        if let (Some(me), Some(own)) = (f.recipient, &f.heads) {
            let (low, high) = subtree_range(own);
            cond = Box::new(
                cond.or(notifications::recipient_staff_id
                    .assume_not_null()
                    .eq(me)
                    .and(units::path.ge(low).and(units::path.lt(high)))),
            );
        }
        q = q.filter(cond);
    }
    if let Some(me) = f.recipient {
        let mine = repeat_notices::table
            .filter(repeat_notices::staff_id.eq(me))
            .select(repeat_notices::id);
        q = q.filter(notifications::notice_id.is_null().or(diesel::dsl::not(
            notifications::notice_id.assume_not_null().eq_any(mine),
        )));
    }
    if let Some(s) = f.status {
        q = q.filter(notifications::status.eq(s.code()));
    }
    if let Some(k) = f.kind {
        q = q.filter(notifications::kind.eq(k.code()));
    }
    if let Some(path) = &f.unit_path {
        let (low, high) = subtree_range(path);
        q = q.filter(units::path.ge(low).and(units::path.lt(high)));
    }
    if let Some(ids) = notice_ids {
        q = q.filter(
            notifications::notice_id
                .assume_not_null()
                .eq_any(ids.to_vec()),
        );
    }
    q
}

/// Newest first.
pub fn list(
    conn: &mut AnyConnection,
    vis: &Visibility,
    f: &NotificationFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<NotificationRow>, i64)> {
    // A person's notices are few: resolving them first keeps the filter a plain list.
    let notice_ids: Option<Vec<i64>> = match f.staff_id {
        Some(staff_id) => Some(
            repeat_notices::table
                .filter(repeat_notices::staff_id.eq(staff_id))
                .select(repeat_notices::id)
                .load(conn)?,
        ),
        None => None,
    };
    let total = filtered(vis, f, notice_ids.as_deref())
        .count()
        .get_result(conn)?;
    let items = filtered(vis, f, notice_ids.as_deref())
        .order(notifications::id.desc())
        .limit(limit)
        .offset(offset)
        .select(NotificationRow::as_select())
        .load(conn)?;
    Ok((items, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_id_is_the_messages_alone() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
            .and_then(|d| d.and_hms_opt(1, 0, 0))
            .unwrap();
        let (a, b) = (
            message_id("repeat:12:5", now),
            message_id("repeat:12:5", now),
        );
        assert_ne!(
            a, b,
            "the same key queued again (ids restarted) is another message"
        );
        assert!(
            a.starts_with("repeat.12.5.") && a.ends_with("@congvu"),
            "{a}"
        );
        assert_eq!(a.len(), "repeat.12.5.".len() + 16 + "@congvu".len(), "{a}");
    }
}
