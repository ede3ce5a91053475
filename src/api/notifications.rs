//! `/notifications`: the outbox of emails to heads (repeat notices, escalations, weekly
//! digests) with their delivery state; an administrator's retry; and a head's
//! acknowledgement that they acted on a notice, which stops its escalation.

use actix_web::{get, post, web};
use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use super::{PageParams, Paged, blocking, local_time};
use crate::auth::AuthUser;
use crate::db::audit::{self, Entry};
use crate::db::notices::{self, RepeatNoticeRow};
use crate::db::outbox::{self, NotificationFilter, NotificationRow};
use crate::db::{AnyConnection, Db, units};
use crate::domain::access::{Action, Visibility};
use crate::domain::codes::{NotificationKind, NotificationStatus};
use crate::domain::text::nfc;
use crate::error::ApiError;
use crate::notify::templates;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_notifications)
        .service(get_notification)
        .service(retry_notification)
        .service(acknowledge_notification);
}

/// The repeat notice a message is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeView {
    pub id: i64,
    /// The person who kept violating.
    pub staff_id: i64,
    pub staff_name: Option<String>,
    pub unit_id: i64,
    pub policy_code: String,
    pub rule_name: String,
    /// The day of the violation that completed the count.
    pub day: NaiveDate,
    pub violation_count: i32,
    /// Unless acknowledged by then, the next level up is told (not while `withdrawn`, nor
    /// while a message of it waits for the daily re-send after it stands again, nor more
    /// than 366 days after this time).
    pub escalate_at: Option<DateTime<FixedOffset>>,
    pub escalated_at: Option<DateTime<FixedOffset>>,
    pub acknowledged_at: Option<DateTime<FixedOffset>>,
    pub acknowledged_by: Option<i64>,
    pub acknowledgement: Option<String>,
    /// Its violations no longer add up to its count: withdrawn, voided or handed to
    /// someone else since it was made; or it is superseded (`superseded_by`). While so,
    /// its messages not yet sent are not sent (`cancelled`) and it does not escalate.
    pub withdrawn: bool,
    /// The later notice that took what was left of its violations with a newcomer, which
    /// the nightly sweep makes of a notice that no longer stands: it is withdrawn for good.
    pub superseded_by: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    pub kind: NotificationKind,
    pub kind_label: &'static str,
    pub status: NotificationStatus,
    pub status_label: &'static str,
    pub attempts: i32,
    pub next_attempt_at: DateTime<FixedOffset>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
    /// The unit the message is about.
    pub unit_id: i64,
    pub recipient_staff_id: Option<i64>,
    pub recipient_name: Option<String>,
    pub recipient_email: Option<String>,
    pub subject: Option<String>,
    /// The plain-text body (on a single entry only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub notice: Option<NoticeView>,
}

/// The recipients among `rows` whose record the reader may read: themself, and those
/// within their reach as staff. A message is often sent above the unit it is about (an
/// escalation, a unit with no head of its own), and its readers there need not see who
/// was told above them, nor their address.
fn recipients_seen(
    c: &mut AnyConnection,
    auth: &AuthUser,
    rows: &[&NotificationRow],
) -> Result<HashSet<i64>, ApiError> {
    let mut ids: Vec<i64> = rows.iter().filter_map(|r| r.recipient_staff_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let read = auth.can(Action::ReadStaff);
    let mut seen: HashSet<i64> = auth.actor.staff_id.into_iter().collect();
    for chunk in ids.chunks(1000) {
        for p in crate::db::attendance::people(c, chunk)? {
            if read.staff(p.staff.id, &p.unit_path) {
                seen.insert(p.staff.id);
            }
        }
    }
    Ok(seen)
}

/// A notice with whether it no longer stands (`notices::withdrawn`).
type Standing = Option<(RepeatNoticeRow, bool)>;

fn standing(c: &mut AnyConnection, notice: Option<RepeatNoticeRow>) -> Result<Standing, ApiError> {
    Ok(match notice {
        Some(n) => {
            let void = notices::withdrawn(c, &[n.id])?.contains(&n.id);
            Some((n, void))
        }
        None => None,
    })
}

fn view(
    row: NotificationRow,
    notice: Standing,
    link_base: &str,
    with_text: bool,
    seen: &HashSet<i64>,
) -> NotificationView {
    let payload: serde_json::Value = serde_json::from_str(&row.payload).unwrap_or_default();
    let kind = NotificationKind::parse(&row.kind).unwrap_or(NotificationKind::Repeat);
    let status = NotificationStatus::parse(&row.status).unwrap_or(NotificationStatus::Pending);
    // The recipient's name, address and letter (which greets them and, for an
    // escalation, names everyone told) only for a reader who may read their record; the
    // delivery error with its addresses blanked otherwise. An address with no person
    // behind it is the unit's own and shown.
    let recipient_shown = row.recipient_staff_id.is_none_or(|id| seen.contains(&id));
    // A list shows subjects; only a single entry renders its body.
    let subject = templates::subject(kind, &payload, row.id, link_base).ok();
    let text = (with_text && recipient_shown)
        .then(|| templates::text(kind, &payload, row.id, link_base).ok())
        .flatten();
    let staff_name = payload["person"]["full_name"].as_str().map(str::to_owned);
    NotificationView {
        id: row.id,
        kind,
        kind_label: kind.label(),
        status,
        status_label: status.label(),
        attempts: row.attempts,
        next_attempt_at: local_time(row.next_attempt_at),
        last_error: match recipient_shown {
            true => row.last_error,
            false => row
                .last_error
                .as_deref()
                .map(crate::notify::sender::redacted),
        },
        sent_at: row.sent_at.map(local_time),
        created_at: local_time(row.created_at),
        unit_id: row.unit_id,
        recipient_staff_id: row.recipient_staff_id,
        recipient_name: payload["recipient"]["full_name"]
            .as_str()
            .filter(|_| recipient_shown)
            .map(str::to_owned),
        recipient_email: row.recipient_email.filter(|_| recipient_shown),
        subject,
        text,
        notice: notice.map(|(n, withdrawn)| NoticeView {
            id: n.id,
            staff_id: n.staff_id,
            staff_name,
            unit_id: n.unit_id,
            policy_code: n.policy_code,
            rule_name: n.rule_name,
            day: n.day,
            violation_count: n.violation_count,
            escalate_at: n.escalate_at.map(local_time),
            escalated_at: n.escalated_at.map(local_time),
            acknowledged_at: n.acknowledged_at.map(local_time),
            acknowledged_by: n.acknowledged_by,
            acknowledgement: n.acknowledgement,
            withdrawn,
            superseded_by: n.superseded_by,
        }),
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListNotifications {
    pub status: Option<NotificationStatus>,
    pub kind: Option<NotificationKind>,
    /// Notices about this person.
    pub staff_id: Option<i64>,
    /// Messages about this unit's subtree.
    pub unit_id: Option<i64>,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

/// An entry as its reader may see it.
struct Readable {
    row: NotificationRow,
    /// The path of the unit it is about.
    path: String,
    notice: Option<RepeatNoticeRow>,
    /// Whether its notice is about a head's own violations (as marked when it was made).
    about_a_head: bool,
    /// The path of the unit the reader heads now (`heads_now`).
    heads: Option<String>,
}

/// The path of the unit the reader heads today, in service: a message addressed to them
/// is theirs to read and acknowledge only while they head its unit or one above it. A
/// head moved, stepped down or gone since is not told by the sender (`outbox::claim`)
/// and does not read or acknowledge what was addressed to them before.
fn heads_now(c: &mut AnyConnection, auth: &AuthUser) -> Result<Option<String>, ApiError> {
    let Some(me) = auth.actor.staff_id else {
        return Ok(None);
    };
    let today = crate::domain::attendance::to_local(crate::db::now()).date();
    Ok(crate::db::staff::find_with_path(c, me)?
        .filter(|(s, path)| s.still_heads(path, path, today))
        .map(|(_, path)| path))
}

impl Readable {
    fn addressed_to(&self, auth: &AuthUser) -> bool {
        self.row.recipient_staff_id.is_some()
            && self.row.recipient_staff_id == auth.actor.staff_id
            && self
                .heads
                .as_deref()
                .is_some_and(|own| crate::domain::units::in_subtree(&self.path, own))
    }

    /// Whether a role's reach covers the entry: the unit it is about; for a notice about
    /// a head's own violations, the level above the unit they head, where it was sent. A
    /// role held on that very unit is their deputy's or their own staff's, who are not to
    /// judge (or see) their head's violations.
    fn reached_by(&self, vis: &Visibility) -> bool {
        if !self.about_a_head {
            return vis.unit(self.row.unit_id, &self.path);
        }
        vis.above(&self.path)
    }
}

/// An entry the caller may read: heads, hr and admins over the unit it is about (above
/// it, for a head's own violations), and its recipient; never a notice about the
/// caller's own violations, whatever their roles (README: the violator sees nothing of
/// it). Anything else is 404, as in the list (`outbox::list` filters alike).
fn readable(c: &mut AnyConnection, auth: &AuthUser, id: i64) -> Result<Readable, ApiError> {
    let (row, path) = outbox::find_with_path(c, id)?.ok_or(ApiError::NotFound)?;
    let notice = match row.notice_id {
        Some(id) => notices::find(c, id)?,
        None => None,
    };
    if let Some(n) = &notice
        && auth.actor.staff_id == Some(n.staff_id)
    {
        return Err(ApiError::NotFound);
    }
    let about_a_head = notice.as_ref().is_some_and(|n| n.about_head);
    let entry = Readable {
        row,
        path,
        notice,
        about_a_head,
        heads: heads_now(c, auth)?,
    };
    if !entry.addressed_to(auth) && !entry.reached_by(&auth.can(Action::ReadNotifications)) {
        return Err(ApiError::NotFound);
    }
    Ok(entry)
}

fn with_notice(
    c: &mut AnyConnection,
    row: NotificationRow,
) -> Result<(NotificationRow, Standing), ApiError> {
    let notice = match row.notice_id {
        Some(id) => notices::find(c, id)?,
        None => None,
    };
    Ok((row, standing(c, notice)?))
}

#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(ListNotifications),
    responses((status = 200, body = Paged<NotificationView>), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/notifications")]
pub async fn list_notifications(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ListNotifications>,
) -> Result<web::Json<Paged<NotificationView>>, ApiError> {
    let query = query.0;
    let page = PageParams {
        page: query.page,
        per_page: query.per_page,
    };
    let vis = auth.can(Action::ReadNotifications);
    let recipient = auth.actor.staff_id;
    if vis.is_empty() && recipient.is_none() {
        return Err(ApiError::Forbidden(
            "notifications are for heads, hr and admins, and for the heads they are sent to",
        ));
    }
    let link_base = state.notify.link_base.clone();
    let (rows, total, seen) = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let unit_path = match query.unit_id {
                Some(id) => {
                    let unit = units::find(c, id)?.ok_or(ApiError::NotFound)?;
                    if !vis.unit(unit.id, &unit.path) {
                        return Err(ApiError::NotFound);
                    }
                    Some(unit.path)
                }
                None => None,
            };
            let filter = NotificationFilter {
                status: query.status,
                kind: query.kind,
                staff_id: query.staff_id,
                unit_path,
                recipient,
                heads: heads_now(c, &auth)?,
            };
            let (rows, total) = outbox::list(c, &vis, &filter, page.per_page(), page.offset())?;
            let ids: Vec<i64> = rows.iter().filter_map(|r| r.notice_id).collect();
            let found = notices::find_many(c, &ids)?;
            let void = notices::withdrawn(c, &ids)?;
            let rows = rows
                .into_iter()
                .map(|r| {
                    let n = found.iter().find(|n| Some(n.id) == r.notice_id).cloned();
                    let w = n.as_ref().is_some_and(|n| void.contains(&n.id));
                    (r, n.map(|n| (n, w)))
                })
                .collect::<Vec<_>>();
            let seen = recipients_seen(c, &auth, &rows.iter().map(|(r, _)| r).collect::<Vec<_>>())?;
            Ok((rows, total, seen))
        })
    })
    .await?;
    Ok(web::Json(Paged::new(
        rows.into_iter()
            .map(|(r, n)| view(r, n, &link_base, false, &seen))
            .collect(),
        total,
        &page,
    )))
}

#[utoipa::path(get, path = "/api/v1/notifications/{id}", tag = "notifications",
    responses((status = 200, body = NotificationView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/notifications/{id}")]
pub async fn get_notification(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> Result<web::Json<NotificationView>, ApiError> {
    let id = path.into_inner();
    let link_base = state.notify.link_base.clone();
    let (row, notice, seen) = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let entry = readable(c, &auth, id)?;
            let seen = recipients_seen(c, &auth, &[&entry.row])?;
            let notice = standing(c, entry.notice)?;
            Ok((entry.row, notice, seen))
        })
    })
    .await?;
    Ok(web::Json(view(row, notice, &link_base, true, &seen)))
}

#[utoipa::path(post, path = "/api/v1/notifications/{id}/retry", tag = "notifications",
    responses((status = 200, body = NotificationView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/notifications/{id}/retry")]
pub async fn retry_notification(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
) -> Result<web::Json<NotificationView>, ApiError> {
    let id = path.into_inner();
    let link_base = state.notify.link_base.clone();
    let (row, notice, seen) = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let entry = readable(c, &auth, id)?;
            if !entry.reached_by(&auth.can(Action::ManageNotifications)) {
                return Err(ApiError::Forbidden("retrying a message is for administrators"));
            }
            let before = entry.row;
            match NotificationStatus::parse(&before.status) {
                Some(NotificationStatus::Sent) => {
                    return Err(ApiError::conflict("status", "the message was sent already"));
                }
                Some(NotificationStatus::Pending) => {
                    return Err(ApiError::conflict("status", "the message is waiting to be sent already"));
                }
                _ => {}
            }
            if standing(c, entry.notice.clone())?.is_some_and(|(_, void)| void) {
                return Err(ApiError::conflict(
                    "status",
                    "the notice no longer stands: its violations were withdrawn since it was made, \
                     or a later notice replaces it (superseded_by)",
                ));
            }
            if before.recipient_staff_id.is_none() && before.recipient_email.is_none() {
                return Err(ApiError::conflict(
                    "recipient",
                    "nobody to send it to: the person's unit and those above it have no head on record",
                ));
            }
            let now = crate::db::now();
            // A failed message may be in the middle of its next attempt: starting it
            // afresh would take it from under that sender and send it twice.
            if before.claimed_until.is_some_and(|until| until >= now) {
                return Err(ApiError::conflict(
                    "status",
                    "the message is being sent now; retry it if this attempt fails",
                ));
            }
            let after = outbox::retry(c, id, now)?.ok_or_else(|| {
                ApiError::conflict(
                    "status",
                    "the message is being sent now, or was meanwhile; look at it again",
                )
            })?;
            // Its heads hear of a notice only now: the level above waits its delay again.
            if before.status == NotificationStatus::Cancelled.code()
                && before.kind == NotificationKind::Repeat.code()
                && let Some(notice) = before.notice_id
            {
                outbox::delay_escalation(c, notice, now)?;
            }
            audit_change(c, &auth, "retry", &before, &after)?;
            let seen = recipients_seen(c, &auth, &[&after])?;
            let (row, notice) = with_notice(c, after)?;
            Ok((row, notice, seen))
        })
    })
    .await?;
    Ok(web::Json(view(row, notice, &link_base, false, &seen)))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acknowledge {
    /// What the head did: reminded, asked for an explanation, proposed discipline …
    #[validate(length(min = 1, max = 2000))]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/notifications/{id}/acknowledge", tag = "notifications", request_body = Acknowledge,
    responses((status = 200, body = NotificationView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/notifications/{id}/acknowledge")]
pub async fn acknowledge_notification(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<i64>,
    body: ValidJson<Acknowledge>,
) -> Result<web::Json<NotificationView>, ApiError> {
    let id = path.into_inner();
    let note = nfc(body.0.note.trim());
    if note.is_empty() {
        return Err(ApiError::field("note", "must say what was done"));
    }
    let link_base = state.notify.link_base.clone();
    let (row, notice, seen) = blocking(&state, move |db: &Db| {
        db.write(|c| {
            // The violator never gets this far: readable() hides their own notices.
            let entry = readable(c, &auth, id)?;
            let notice_id = entry.row.notice_id.ok_or_else(|| {
                ApiError::conflict(
                    "kind",
                    "only a repeat notice is acknowledged (a dispute is decided at /disputes)",
                )
            })?;
            let notice = entry.notice.clone().ok_or(ApiError::NotFound)?;
            // The heads told, and heads and admins at the level it was sent to: for a
            // head's own violations, above the unit they head, not their deputy.
            if !entry.addressed_to(&auth) && !entry.reached_by(&auth.can(Action::AcknowledgeNotices))
            {
                return Err(ApiError::Forbidden(
                    "acknowledging is for the heads told and the heads and admins over the unit (above it, for a head's own violations)",
                ));
            }
            let row = entry.row;
            let after = notices::acknowledge(c, notice_id, auth.id(), &note, crate::db::now())?
                .ok_or_else(|| {
                    ApiError::conflict("notice", "the notice was acknowledged already")
                })?;
            audit::record(
                c,
                Entry {
                    actor_user_id: Some(auth.id()),
                    entity: "repeat_notice",
                    entity_id: after.id,
                    action: "acknowledge",
                    province_id: Some(after.province_id),
                    unit_id: Some(after.unit_id),
                    before: Some(&notice),
                    after: Some(&after),
                },
            )?;
            let seen = recipients_seen(c, &auth, &[&row])?;
            Ok((row, standing(c, Some(after))?, seen))
        })
    })
    .await?;
    Ok(web::Json(view(row, notice, &link_base, false, &seen)))
}

fn audit_change(
    c: &mut AnyConnection,
    auth: &AuthUser,
    action: &str,
    before: &NotificationRow,
    after: &NotificationRow,
) -> Result<(), ApiError> {
    // The payload is the message's content, not its state: the trail keeps the state. It
    // is read by the unit's HR and admins, who may not reach the recipient (a message
    // sent above the unit): it names them by id, and their address is left out of it and
    // of the delivery error.
    let state = |r: &NotificationRow| {
        serde_json::json!({"status": r.status, "attempts": r.attempts,
                           "last_error": r.last_error.as_deref().map(crate::notify::sender::redacted),
                           "next_attempt_at": r.next_attempt_at,
                           "recipient_staff_id": r.recipient_staff_id})
    };
    audit::record(
        c,
        Entry {
            actor_user_id: Some(auth.id()),
            entity: "notification",
            entity_id: after.id,
            action,
            province_id: Some(after.province_id),
            unit_id: Some(after.unit_id),
            before: Some(&state(before)),
            after: Some(&state(after)),
        },
    )?;
    Ok(())
}
