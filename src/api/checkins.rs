//! `/checkins`: events from kiosks, phones and devices, one at a time or in batches, days
//! late or twice; corrections by heads with a reason; voiding instead of deleting.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, SubsecRound, Timelike};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::attendance::check_range;
use super::extract::{ValidJson, ValidQuery, no_nul};
use super::{PageParams, Paged, blocking, local_now, local_time};
use crate::auth::AuthUser;
use crate::db::attendance::{self as engine, Person};
use crate::db::checkins::{self as q, CheckinRow, NewCheckin};
use crate::db::moves::Posted;
use crate::db::{AnyConnection, Db};
use crate::domain::access::{Action, Visibility};
use crate::domain::attendance::to_local;
use crate::domain::codes::{CheckinSource, Direction};
use crate::domain::postings::{Earlier, unit_on};
use crate::domain::text::nfc;
use crate::error::{ApiError, FieldErrors};
use crate::startup::AppState;

pub mod group;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_checkin)
        .service(create_batch)
        .service(void_checkin)
        .service(list_checkins);
}

/// How far ahead of the server's clock an event may be (device clocks drift).
const MAX_SKEW_MINUTES: i64 = 5;
/// How old an event from a device may be (offline devices upload late, but not a year
/// late); older days are corrected manually.
const MAX_AGE_DAYS: i64 = 90;
/// How old a manual correction may be.
const MAX_CORRECTION_AGE_DAYS: i64 = 366;
/// A person checking themself in does it live: their event must be this recent, or
/// anyone could rewrite their own past days.
const SELF_WINDOW_MINUTES: i64 = 10;
pub const MAX_BATCH: usize = 5_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinView {
    pub id: i64,
    pub staff_id: i64,
    pub at: DateTime<FixedOffset>,
    /// The local date the event counts for.
    pub date: NaiveDate,
    pub direction: Option<Direction>,
    pub source: CheckinSource,
    pub device_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub reason: Option<String>,
    pub created_by: Option<i64>,
    pub voided_at: Option<DateTime<FixedOffset>>,
    pub void_reason: Option<String>,
}

impl From<CheckinRow> for CheckinView {
    fn from(r: CheckinRow) -> Self {
        CheckinView {
            id: r.id,
            staff_id: r.staff_id,
            at: local_time(r.at),
            date: r.local_date,
            direction: r.direction.as_deref().and_then(Direction::parse),
            source: CheckinSource::parse(&r.source).unwrap_or(CheckinSource::Manual),
            device_id: Some(r.device_id).filter(|d| !d.is_empty()),
            idempotency_key: r.idempotency_key,
            reason: r.reason,
            created_by: r.created_by,
            voided_at: r.voided_at.map(local_time),
            void_reason: r.void_reason,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckinInput {
    pub staff_id: i64,
    /// RFC 3339 with an offset, e.g. `2026-03-03T07:41:00+07:00`.
    pub at: DateTime<FixedOffset>,
    /// Omit when the device does not know: the day's first event is then the arrival and
    /// its last the departure.
    pub direction: Option<Direction>,
    pub source: CheckinSource,
    #[validate(length(min = 1, max = 100), custom(function = "no_nul"))]
    pub device_id: Option<String>,
    #[validate(length(min = 1, max = 200), custom(function = "no_nul"))]
    pub idempotency_key: Option<String>,
    /// Required for `manual` events.
    #[validate(length(max = 1000), custom(function = "no_nul"))]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckinBatch {
    #[validate(length(min = 1, max = 5000))]
    pub events: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rejected {
    pub index: usize,
    pub errors: FieldErrors,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: Vec<Rejected>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    #[validate(length(min = 1, max = 1000))]
    pub reason: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListCheckins {
    pub staff_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[validate(range(min = 1, max = 1_000_000))]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 500))]
    pub per_page: Option<i64>,
}

/// What the caller may do with events.
#[derive(Clone)]
struct Rights {
    actor: i64,
    actor_staff: Option<i64>,
    record: Visibility,
    correct: Visibility,
    /// Who corrects whose events: heads and admins over the person, never their own, and
    /// a unit's head only from the level above (`Actor::manages`), as for leave.
    manager: crate::domain::access::Actor,
    /// When the request arrived: one's own events are recorded at it, not at the time
    /// they are written (a single event waits for its group, a batch for the writer).
    received: NaiveDateTime,
}

/// The people a batch (or a group of single events) names, each looked up once: their
/// record and, only for a sender who does not reach where they are now, their earlier
/// units.
#[derive(Default)]
struct Known {
    people: HashMap<i64, Option<Person>>,
    earlier: HashMap<i64, Vec<Earlier<Posted>>>,
}

impl Known {
    fn person(&mut self, c: &mut AnyConnection, id: i64) -> diesel::QueryResult<Option<Person>> {
        if let Some(p) = self.people.get(&id) {
            return Ok(p.clone());
        }
        let found = crate::db::staff::find_with_path(c, id)?
            .map(|(staff, unit_path)| Person { staff, unit_path });
        self.people.insert(id, found.clone());
        Ok(found)
    }

    /// The unit `person` was in on `day`, id and path: the unit they are in now or, for a
    /// day before their transfer, the one they were in then (their moves read once).
    fn unit_on<'p>(
        &mut self,
        c: &mut AnyConnection,
        person: &'p Person,
        day: NaiveDate,
    ) -> diesel::QueryResult<(i64, Cow<'p, str>)> {
        let id = person.staff.id;
        if person.staff.in_present_unit_on(day) {
            return Ok((person.staff.unit_id, Cow::Borrowed(&person.unit_path)));
        }
        let earlier = match self.earlier.entry(id) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(
                crate::db::moves::earlier_of(c, &[id])?
                    .remove(&id)
                    .unwrap_or_default(),
            ),
        };
        let now = Posted {
            unit_id: person.staff.unit_id,
            path: person.unit_path.clone(),
        };
        let then = unit_on(earlier, &now, day);
        Ok((then.unit_id, Cow::Owned(then.path.clone())))
    }
}

/// An event checked and ready to insert.
struct Prepared {
    new: NewCheckin,
    person: Person,
    /// The unit the person was in on the event's day (for the audit trail).
    unit: i64,
    /// One's own event, recorded at the request's arrival.
    own: bool,
    /// The time the sender gave (for one's own event, not the one recorded).
    claimed: NaiveDateTime,
}

/// Checks one event against the rules and the caller's rights; returns the row to insert.
fn prepare(
    c: &mut AnyConnection,
    rights: &Rights,
    known: &mut Known,
    e: &CheckinInput,
    now: NaiveDateTime,
) -> Result<Prepared, ApiError> {
    let no_such = || ApiError::field("staff_id", "no such staff member");
    let person = known.person(c, e.staff_id)?.ok_or_else(no_such)?;
    let claimed = without_leap_second(e.at.naive_utc()).trunc_subsecs(6);
    // A person's own event is recorded at the server's time of receipt: the time their
    // phone sends is theirs to set, and within the live window it would let them arrive
    // at 07:44 and be recorded at 07:35 (on time). The time sent is still checked below:
    // a phone whose clock is far off, or an event held back, is refused as before.
    let own = rights.actor_staff == Some(person.staff.id);
    let own_live = own && e.source != CheckinSource::Manual;
    let at = if own_live { rights.received } else { claimed };
    // The sender's rights are judged on the unit the person is in now or, when the sender
    // reaches none of that, the unit they were in on the event's day: so a kiosk of the
    // old unit still uploads its backlog of the days before a transfer. The event is
    // audited under the day's unit, whose register it changes.
    let (day_unit, day_path) = known.unit_on(c, &person, to_local(at).date())?;
    let id = person.staff.id;
    let reaches = |path: &str| rights.record.staff(id, path) || rights.correct.staff(id, path);
    let path = if reaches(&person.unit_path) {
        person.unit_path.as_str()
    } else {
        &day_path
    };
    if !reaches(path) {
        return Err(no_such());
    }
    if claimed > now + Duration::minutes(MAX_SKEW_MINUTES) {
        return Err(ApiError::field(
            "at",
            "is in the future (beyond the allowed clock skew)",
        ));
    }
    let reason = e.reason.as_deref().map(nfc).filter(|r| !r.is_empty());
    if e.source == CheckinSource::Manual {
        if reason.is_none() {
            return Err(ApiError::field(
                "reason",
                "is required for a manual correction",
            ));
        }
        if own {
            return Err(ApiError::Forbidden(
                "your own events are corrected by your head",
            ));
        }
        // Headship is known of the present unit only (as for voids).
        let head_here = person.staff.is_head && path == person.unit_path.as_str();
        if !rights
            .manager
            .manages(Action::CorrectCheckins, person.staff.id, path, head_here)
        {
            return Err(ApiError::Forbidden(
                "manual corrections need the unit_head or admin role over the person (a \
                 unit's head: above the unit)",
            ));
        }
        if at < now - Duration::days(MAX_CORRECTION_AGE_DAYS) {
            return Err(ApiError::field("at", "is older than a year"));
        }
    } else {
        if !rights.record.staff(person.staff.id, path) {
            return Err(ApiError::Forbidden(
                "recording events for this person needs the device, unit_head or admin role",
            ));
        }
        // The person themself sends live events only, even when they head the unit or
        // administer it: nobody backdates their own day (a past event re-derives it).
        let past = claimed < rights.received - Duration::minutes(SELF_WINDOW_MINUTES);
        if (own || !rights.record.subtree(path)) && past {
            return Err(ApiError::field(
                "at",
                "your own check-in must be live; ask your head for a correction",
            ));
        }
        // A past event re-derives its day as a correction does, so a unit's head has it
        // sent by a device or from the level above, as for `manual` ones: a deputy or
        // co-head holding unit_head on the same unit sent the head's 07:25 as `kiosk`,
        // and the head's late arrival left the register. (Headship is known of the
        // present unit only.)
        let head_here = person.staff.is_head && path == person.unit_path.as_str();
        if past
            && !rights
                .manager
                .manages(Action::RecordCheckins, person.staff.id, path, head_here)
        {
            return Err(ApiError::Forbidden(
                "a past event of a unit's head is sent by a device or from the level above",
            ));
        }
        if at < now - Duration::days(MAX_AGE_DAYS) {
            return Err(ApiError::field(
                "at",
                "is older than 90 days; enter it as a manual correction",
            ));
        }
    }
    // An event after the person's leaving date is kept (the day is not judged while the
    // date stands): a leaving date entered ahead of a retirement that was then put off
    // made the kiosk's events 422, the device dropped them, and clearing the date turned
    // those days into unexcused absences. The person's own account no longer signs in.
    let new = NewCheckin {
        province_id: person.staff.province_id,
        staff_id: person.staff.id,
        at,
        local_date: to_local(at).date(),
        direction: e.direction.map(|d| d.code().to_owned()),
        source: e.source.code().to_owned(),
        device_id: e.device_id.clone().unwrap_or_default(),
        idempotency_key: e.idempotency_key.clone(),
        reason,
        created_by: Some(rights.actor),
        created_at: crate::db::now(),
    };
    Ok(Prepared {
        new,
        person,
        unit: day_unit,
        own: own_live,
        claimed,
    })
}

/// A leap second (`…:59:60`, which chrono reads) as the instant after it: PostgreSQL
/// stores it so, and the event's own `at` must equal the stored one for its answer to
/// find its row.
fn without_leap_second(at: NaiveDateTime) -> NaiveDateTime {
    if at.nanosecond() >= 1_000_000_000 {
        at.with_nanosecond(0)
            .map_or(at, |whole| whole + Duration::seconds(1))
    } else {
        at
    }
}

/// Looks up at once everyone a batch (or a group of single events) names, for `prepare`:
/// a query per thousand people instead of one per event, which was most of a batch's time
/// (docs/PERFORMANCE.md). Ids with nobody behind them are remembered as such.
fn prefetch(
    c: &mut AnyConnection,
    known: &mut Known,
    ids: impl IntoIterator<Item = i64>,
) -> Result<(), ApiError> {
    let people = &mut known.people;
    let mut ids: Vec<i64> = ids
        .into_iter()
        .filter(|id| !people.contains_key(id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(1000) {
        people.extend(chunk.iter().map(|id| (*id, None)));
        for p in engine::people(c, chunk)? {
            people.insert(p.staff.id, Some(p));
        }
    }
    Ok(())
}

/// Re-derives the closed days the new or voided events fall on.
fn rederive_days(
    c: &mut AnyConnection,
    touched: &BTreeMap<i64, (Person, NaiveDate, NaiveDate)>,
) -> Result<(), ApiError> {
    let now = local_now();
    // Every province first, in id order: re-deriving person by person would lock the
    // provinces in staff order, and two transactions could wait on each other. Only for
    // days already over: today's events (the rush) re-derive nothing and lock nothing.
    let yesterday = now.date() - Duration::days(1);
    let people: Vec<Person> = touched
        .values()
        .filter(|(_, from, _)| *from <= yesterday)
        .map(|(p, _, _)| p.clone())
        .collect();
    engine::lock_attendance(c, &people)?;
    // Read again under the lock: a transfer or a leaving date committed while this
    // waited for it (on PostgreSQL; SQLite has one writer) was otherwise re-derived from
    // the record as read before, and the day went back to the old unit's register.
    let mut fresh: HashMap<i64, Person> = HashMap::new();
    let ids: Vec<i64> = people.iter().map(|p| p.staff.id).collect();
    for chunk in ids.chunks(1000) {
        fresh.extend(
            engine::people(c, chunk)?
                .into_iter()
                .map(|p| (p.staff.id, p)),
        );
    }
    for (person, from, to) in touched.values() {
        let person = fresh.get(&person.staff.id).unwrap_or(person);
        engine::rederive(c, std::slice::from_ref(person), *from, *to, now)?;
    }
    Ok(())
}

fn touch(
    touched: &mut BTreeMap<i64, (Person, NaiveDate, NaiveDate)>,
    person: &Person,
    day: NaiveDate,
) {
    touched
        .entry(person.staff.id)
        .and_modify(|(_, from, to)| {
            *from = (*from).min(day);
            *to = (*to).max(day);
        })
        .or_insert_with(|| (person.clone(), day, day));
}

fn rights(auth: &AuthUser) -> Rights {
    Rights {
        actor: auth.id(),
        actor_staff: auth.actor.staff_id,
        record: auth.can(Action::RecordCheckins),
        correct: auth.can(Action::CorrectCheckins),
        manager: auth.actor.clone(),
        received: crate::db::now(),
    }
}

/// Why `new`, not inserted because `existing` has its unique key, is not a repeat of it:
/// - an event of another source or direction at the same instant from the same device (or
///   none). Answered with it, a head's correction of what a phone sent wrongly would be
///   dropped in silence, the day left as it was;
/// - a correction entered by hand at the instant of one that was voided: it is entered
///   again on purpose, so the voided one is no answer;
/// - an event whose idempotency key names one of another day, or one voided at another
///   instant: not the same event, which would be lost, and the other day may be another
///   unit's (after a transfer) that the sender does not reach.
///
/// A retry, the same event again, still gets the recorded one back, voided or not (a retry
/// that leaves out the direction too); so does an event found by its key on the same day
/// with a corrected clock, and a retry of one's own event (recorded at its receipt).
pub(crate) fn clash(existing: &CheckinRow, new: &NewCheckin, own: bool) -> Option<ApiError> {
    let by_key = new.idempotency_key.is_some() && existing.idempotency_key == new.idempotency_key;
    // One's own event (`own`) is recorded at its receipt, so its retry has another
    // instant, maybe past midnight: the same sender's event of the same source within the
    // live window is that retry. Events sent for others keep the time they give, and a
    // key that names another of their events is refused below.
    let retried = own
        && existing.created_by == new.created_by
        && existing.source == new.source
        && (existing.at - new.at).abs()
            <= Duration::minutes(SELF_WINDOW_MINUTES + MAX_SKEW_MINUTES);
    if by_key
        && !retried
        && (existing.local_date != new.local_date
            || (existing.voided_at.is_some() && existing.at != new.at))
    {
        return Some(ApiError::conflict(
            "idempotency_key",
            "already names another event of this person; send this one under a new key",
        ));
    }
    let same_instant = existing.at == new.at && existing.device_id == new.device_id;
    let other_direction = new.direction.is_some() && existing.direction != new.direction;
    let voided = existing.voided_at.is_some();
    let entered_again = voided && new.source == CheckinSource::Manual.code();
    (same_instant && (existing.source != new.source || other_direction || entered_again)).then(
        || {
            ApiError::conflict(
                "at",
                if voided {
                    "an event at this instant was voided; enter the correction at another \
                     time (a second later will do)"
                } else {
                    "another event of this person from this device is recorded at this instant"
                },
            )
        },
    )
}

#[utoipa::path(post, path = "/api/v1/checkins", tag = "attendance", request_body = CheckinInput,
    responses((status = 201, body = CheckinView), (status = 200, body = CheckinView, description = "the event was already recorded"),
              (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/checkins")]
pub async fn create_checkin(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<CheckinInput>,
) -> Result<HttpResponse, ApiError> {
    let (row, fresh) = state.checkins.submit(rights(&auth), body.0).await?;
    let view = CheckinView::from(row);
    Ok(if fresh {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

#[utoipa::path(post, path = "/api/v1/checkins/batch", tag = "attendance", request_body = CheckinBatch,
    responses((status = 200, body = BatchResult, description = "good events are kept even when others are rejected")),
    security(("bearer" = [])))]
#[post("/checkins/batch")]
pub async fn create_batch(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ValidJson<CheckinBatch, true>,
) -> Result<web::Json<BatchResult>, ApiError> {
    let events = body.0.events;
    let rights = rights(&auth);
    let result = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let now = crate::db::now();
            let mut known = Known::default();
            let mut persons: HashMap<i64, Person> = HashMap::new();
            let mut checked = Vec::with_capacity(events.len());
            let mut indices = Vec::with_capacity(events.len());
            let mut owns = Vec::with_capacity(events.len());
            let mut own_so_far = 0;
            let mut own_taps = HashSet::new();
            let mut out = BatchResult {
                accepted: 0,
                duplicates: 0,
                rejected: Vec::new(),
            };
            prefetch(
                c,
                &mut known,
                events
                    .iter()
                    .filter_map(|e| e.get("staff_id").and_then(serde_json::Value::as_i64)),
            )?;
            for (index, raw) in events.into_iter().enumerate() {
                let prepared = super::extract::from_value::<CheckinInput>(raw)
                    .and_then(|e| prepare(c, &rights, &mut known, &e, now));
                let Prepared {
                    mut new,
                    person,
                    unit,
                    own,
                    claimed,
                } = match prepared {
                    Ok(p) => p,
                    // The database failing is not the event's fault: the whole upload
                    // fails, to be sent again, rather than this event being reported
                    // rejected (and dropped by the device).
                    Err(e) if e.is_server_side() => return Err(e),
                    Err(e) => {
                        let problem = e.problem();
                        let errors = if problem.errors.is_empty() {
                            FieldErrors::from([("event".to_owned(), vec![problem.detail])])
                        } else {
                            problem.errors
                        };
                        out.rejected.push(Rejected { index, errors });
                        continue;
                    }
                };
                // One's own events are recorded at the request's arrival: several in one
                // upload keep their order a microsecond apart, rather than clash at one
                // instant.
                if own {
                    // The same tap queued twice (no key to tell it) is one event.
                    let tap = (
                        new.staff_id,
                        claimed,
                        new.direction.clone(),
                        new.source.clone(),
                        new.device_id.clone(),
                    );
                    if new.idempotency_key.is_none() && !own_taps.insert(tap) {
                        out.duplicates += 1;
                        continue;
                    }
                    new.at += Duration::microseconds(own_so_far);
                    new.local_date = to_local(new.at).date();
                    own_so_far += 1;
                }
                checked.push((unit, new));
                owns.push(own);
                indices.push(index);
                persons.entry(person.staff.id).or_insert(person);
            }
            // One multi-row insert (and audit) for the checked events rather than a
            // lookup and an insert each: a 5 000-event upload was 15 000 statements.
            let inserted = q::insert_batch(c, &checked)?;
            let rows: Vec<(&NewCheckin, bool)> = checked
                .iter()
                .map(|(_, n)| n)
                .zip(owns.iter().copied())
                .collect();
            let mut touched = BTreeMap::new();
            for (outcome, index) in settle(c, &rows, inserted)?.into_iter().zip(indices) {
                match outcome {
                    Ok((row, true)) => {
                        out.accepted += 1;
                        if let Some(person) = persons.get(&row.staff_id) {
                            touch(&mut touched, person, row.local_date);
                        }
                    }
                    Ok((_, false)) => out.duplicates += 1,
                    Err(clash) => out.rejected.push(Rejected {
                        index,
                        errors: clash.problem().errors,
                    }),
                }
            }
            out.rejected.sort_by_key(|r| r.index);
            rederive_days(c, &touched)?;
            Ok::<_, ApiError>(out)
        })
    })
    .await?;
    Ok(web::Json(result))
}

/// What became of each of `rows`, in order, once `q::insert_batch` returned `inserted`:
/// the row it made (`Ok((row, true))`), the recorded event it repeats (`Ok((row, false))`),
/// or the clash that keeps it out (`Err`). The first of the rows with an identity (person,
/// instant, device and key) is the one inserted, a later one its repeat. The events they
/// repeat are read together, and only when some rows were not inserted. Used by the
/// group commit of single events and by batches alike.
pub(crate) fn settle(
    c: &mut AnyConnection,
    rows: &[(&NewCheckin, bool)],
    inserted: Vec<CheckinRow>,
) -> Result<Vec<group::Outcome>, ApiError> {
    // What tells a new row's event: person, instant, device, idempotency key.
    let mut fresh: HashMap<(i64, NaiveDateTime, String, Option<String>), CheckinRow> = inserted
        .into_iter()
        .map(|r| {
            let id = (
                r.staff_id,
                r.at,
                r.device_id.clone(),
                r.idempotency_key.clone(),
            );
            (id, r)
        })
        .collect();
    let made: Vec<Option<CheckinRow>> = rows
        .iter()
        .map(|(n, _)| {
            fresh.remove(&(
                n.staff_id,
                n.at,
                n.device_id.clone(),
                n.idempotency_key.clone(),
            ))
        })
        .collect();
    let left: Vec<&NewCheckin> = rows
        .iter()
        .zip(&made)
        .filter(|(_, m)| m.is_none())
        .map(|((n, _), _)| *n)
        .collect();
    let recorded = if left.is_empty() {
        q::Originals::default()
    } else {
        q::originals(c, &left)?
    };
    rows.iter()
        .zip(made)
        .map(|((new, own), made)| match made {
            Some(row) => Ok(Ok((row, true))),
            None => {
                // Not inserted, so a unique key matched an event already recorded.
                let existing = recorded.of(new).ok_or_else(|| {
                    ApiError::Internal("a duplicate check-in's original is missing".into())
                })?;
                Ok(match clash(existing, new, *own) {
                    Some(clash) => Err(clash),
                    None => Ok((existing.clone(), false)),
                })
            }
        })
        .collect()
}

#[utoipa::path(post, path = "/api/v1/checkins/{id}/void", tag = "attendance", request_body = VoidRequest,
    responses((status = 200, body = CheckinView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[post("/checkins/{id}/void")]
pub async fn void_checkin(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
    body: ValidJson<VoidRequest>,
) -> Result<web::Json<CheckinView>, ApiError> {
    let id = id.into_inner();
    let reason = nfc(&body.reason);
    let read = auth.can(Action::ReadStaff);
    let rights = rights(&auth);
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let event = q::find(c, id)?.ok_or(ApiError::NotFound)?;
            // Whoever reaches the person now, or the unit they were in on the event's day
            // (the old unit, for a day before a transfer).
            let (staff, now_path) =
                crate::db::staff::find_with_path(c, event.staff_id)?.ok_or(ApiError::NotFound)?;
            let day_unit = crate::db::moves::posted_on(c, &staff, &now_path, event.local_date)?;
            let paths = [now_path.as_str(), day_unit.path.as_str()];
            if !paths.iter().any(|p| read.staff(staff.id, p)) {
                return Err(ApiError::NotFound);
            }
            if rights.actor_staff == Some(staff.id) {
                return Err(ApiError::Forbidden(
                    "your own events are voided by your head",
                ));
            }
            // Headship is known of the present unit only: on a day of an earlier unit the
            // person is judged as a member of it.
            if !paths.iter().any(|p| {
                let head_here = staff.is_head && *p == now_path.as_str();
                rights
                    .manager
                    .manages(Action::CorrectCheckins, staff.id, p, head_here)
            }) {
                return Err(ApiError::Forbidden(
                    "voiding events needs the unit_head or admin role over the person (a \
                     unit's head: above the unit)",
                ));
            }
            let person = Person {
                staff,
                unit_path: now_path,
            };
            let already_void = || ApiError::Conflict {
                detail: "the event is already void".into(),
                errors: Default::default(),
            };
            if event.voided_at.is_some() {
                return Err(already_void());
            }
            // In the trail of the unit the day belongs to, whose admins read it.
            let row = q::void(c, rights.actor, day_unit.unit_id, &event, &reason)?
                .ok_or_else(already_void)?;
            let mut touched = BTreeMap::new();
            touch(&mut touched, &person, row.local_date);
            rederive_days(c, &touched)?;
            Ok(row)
        })
    })
    .await?;
    Ok(web::Json(row.into()))
}

#[utoipa::path(get, path = "/api/v1/checkins", tag = "attendance", params(ListCheckins),
    responses((status = 200, body = Paged<CheckinView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/checkins")]
pub async fn list_checkins(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: ValidQuery<ListCheckins>,
) -> Result<web::Json<Paged<CheckinView>>, ApiError> {
    let ListCheckins {
        staff_id,
        from,
        to,
        page,
        per_page,
    } = query.0;
    let page = PageParams { page, per_page };
    check_range(from, to)?;
    let read = auth.can(Action::ReadStaff);
    let rows = blocking(&state, move |db: &Db| {
        db.read(|c| {
            // Someone transferred away: the events of the days they were in a unit the
            // caller reads (the old unit's head voids what its kiosk sent).
            let reach = super::attendance::reach(c, &read, staff_id)?;
            let mut rows = q::of_staff(c, reach.person().staff.id, from, to)?;
            rows.retain(|r| reach.covers(&read, r.local_date));
            Ok::<_, ApiError>(rows)
        })
    })
    .await?;
    Ok(web::Json(super::paginate(rows, &page, CheckinView::from)))
}
