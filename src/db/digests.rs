//! The weekly digest: for each head, the week's violations in their unit's subtree, with
//! the notices still waiting for someone to act on them.

use std::collections::HashSet;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::dsl::not;
use diesel::prelude::*;
use serde_json::{Value, json};

use super::AnyConnection;
use super::outbox::{self, NewNotification};
use super::schema::{notifications, repeat_notices, staff, units, violations};
use super::staff::StaffRow;
use super::units::UnitRow;
use crate::domain::attendance::to_utc;
use crate::domain::codes::NotificationKind;
use crate::domain::digest::{Entry, summarize, week_key};
use crate::domain::repeats::DAILY_CODES;
use crate::domain::units::{chain, subtree_range};

/// People listed by name in a digest; the rest are counted.
const TOP_PEOPLE: usize = 20;

/// The heads in office on `today` (joined by then, not yet left), with their units.
pub fn heads(conn: &mut AnyConnection, today: NaiveDate) -> QueryResult<Vec<(StaffRow, UnitRow)>> {
    staff::table
        .inner_join(units::table)
        .filter(staff::is_head.eq(true))
        .filter(staff::left_on.is_null().or(staff::left_on.ge(today)))
        .filter(staff::joined_on.is_null().or(staff::joined_on.le(today)))
        .order(staff::id)
        .select((StaffRow::as_select(), UnitRow::as_select()))
        .load(conn)
}

/// Queues the digest of `from..=to` for one head; false when it was queued before.
/// The key of `head`'s digest of the week from `from`: one a head and week.
fn dedupe_key(head: i64, from: NaiveDate) -> String {
    format!("digest:{head}:{}", week_key(from))
}

/// Whether `head`'s digest of the week from `from` is queued already (a restart, a
/// second process): nothing to work out again.
pub fn queued(conn: &mut AnyConnection, head: i64, from: NaiveDate) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        notifications::table.filter(notifications::dedupe_key.eq(dedupe_key(head, from))),
    ))
    .get_result(conn)
}

/// The notices a digest would count as waiting (told, not acknowledged) that no longer
/// stand (`notices::withdrawn`): worked out once for a run's digests, as each notice is
/// in the subtree of every head above it.
pub fn withdrawn_open(conn: &mut AnyConnection) -> QueryResult<HashSet<i64>> {
    let open: Vec<i64> = repeat_notices::table
        .filter(repeat_notices::notified.eq(true))
        .filter(repeat_notices::acknowledged_at.is_null())
        .select(repeat_notices::id)
        .load(conn)?;
    super::notices::withdrawn(conn, &open)
}

/// Queues `head`'s digest of `from..=to` for `unit`. `void`: the waiting notices that no
/// longer stand (`withdrawn_open`), left out of its count.
pub fn queue(
    conn: &mut AnyConnection,
    head: &StaffRow,
    unit: &UnitRow,
    (from, to): (NaiveDate, NaiveDate),
    void: &HashSet<i64>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let (low, high) = subtree_range(&unit.path);
    // The unit's own heads are left out of its digest, as out of its notices: a head's
    // violations go to the level above (whose digest's subtree holds them), and a head
    // is neither told of their own nor of a co-head's. So are the heads of the units above
    // it: a member of A1 made head of A has their days in A1 in A1's subtree, and A1's
    // head, their subordinate now, is not told of them.
    let heads_above = chain(&unit.path);
    let base = || {
        violations::table
            .inner_join(staff::table.on(staff::id.nullable().eq(violations::staff_id)))
            .inner_join(units::table.on(units::id.eq(violations::unit_id)))
            .filter(
                units::path
                    .ge(low.clone())
                    .and(units::path.lt(high.clone())),
            )
            .filter(not(
                staff::is_head.and(staff::unit_id.eq_any(heads_above.clone()))
            ))
            .select((
                staff::id,
                staff::full_name,
                units::name,
                violations::code,
                violations::day,
            ))
            .into_boxed()
    };
    // The week's violations, and the findings concluded during the week about an earlier
    // visit (the explanation alone may take 60 days): dated before the week, they would
    // otherwise be in no digest, as the repeat rules count them as news when concluded.
    // A finding concluded after the week is next week's, whatever its day: in one digest
    // only. A late one of the daily codes (late, early, absent) is left out when the
    // check-ins recorded the same act that day: it was in that week's digest. Two queries, each on its index (the week's days by unit and day; the late ones by
    // source and creation).
    let start = to_utc(from.and_time(NaiveTime::MIN));
    let end = to_utc((to + Duration::days(1)).and_time(NaiveTime::MIN));
    let inspection = super::inspections::SOURCE_INSPECTION;
    let mut rows: Vec<(i64, String, String, String, NaiveDate)> = base()
        .filter(violations::day.between(from, to))
        .filter(not(violations::source
            .eq(inspection)
            .and(violations::created_at.ge(end))))
        .load(conn)?;
    let late: Vec<(i64, String, String, String, NaiveDate)> = base()
        .filter(violations::source.eq(inspection))
        .filter(violations::created_at.ge(start))
        .filter(violations::created_at.lt(end))
        .filter(violations::day.lt(from))
        .load(conn)?;
    for row in late {
        let (staff_id, _, _, code, day) = &row;
        // A late arrival, early departure or absence the check-ins recorded that day was in
        // that week's digest: the finding is the same act (few rows, one query each).
        let recorded: bool = DAILY_CODES.contains(&code.as_str())
            && diesel::select(diesel::dsl::exists(
                violations::table
                    .filter(violations::staff_id.eq(staff_id))
                    .filter(violations::code.eq(code))
                    .filter(violations::day.eq(day))
                    .filter(violations::source.ne(inspection)),
            ))
            .get_result(conn)?;
        if !recorded {
            rows.push(row);
        }
    }
    let entries: Vec<Entry> = rows
        .into_iter()
        .map(|(staff_id, staff_name, unit_name, code, day)| Entry {
            staff_id,
            staff_name,
            unit_name,
            code,
            day,
        })
        .collect();
    let summary = summarize(&entries, TOP_PEOPLE);
    let labels = super::violation_types::labels(conn, unit.province_id)?;
    let label = |code: &str| labels.get(code).cloned().unwrap_or_else(|| code.to_owned());
    let open: Vec<i64> = repeat_notices::table
        .inner_join(units::table.on(units::id.eq(repeat_notices::unit_id)))
        .inner_join(staff::table.on(staff::id.eq(repeat_notices::staff_id)))
        .filter(units::path.ge(&low).and(units::path.lt(&high)))
        // A notice about a head of this unit is the level above's, as marked when made.
        .filter(not(
            repeat_notices::about_head.and(repeat_notices::unit_id.eq(unit.id))
        ))
        // So is one about whoever heads this unit or one above it now, as the violations
        // listed leave them out: made head since the notice, a member's notice was counted
        // in their own digest, and a new superior's in their subordinate's.
        .filter(not(
            staff::is_head.and(staff::unit_id.eq_any(heads_above.clone()))
        ))
        .filter(repeat_notices::notified.eq(true))
        .filter(repeat_notices::acknowledged_at.is_null())
        .select(repeat_notices::id)
        .load(conn)?;
    // Those whose violations were withdrawn since wait for nobody's action.
    let open_notices = open.iter().filter(|id| !void.contains(id)).count();
    let payload = json!({
        "from": from,
        "to": to,
        "unit": {"id": unit.id, "code": unit.code, "name": unit.name},
        "recipient": {"staff_id": head.id, "full_name": head.full_name, "position": head.position},
        "total": summary.total,
        "people_count": summary.people_count,
        "by_code": summary.by_code.iter().map(|(code, n)| json!({
            "code": code, "label": label(code), "count": n,
        })).collect::<Vec<Value>>(),
        "people": summary.people.iter().map(|p| json!({
            "staff_id": p.staff_id, "full_name": p.staff_name, "unit_name": p.unit_name,
            "count": p.count,
            "codes": p.codes.iter().map(|(code, n)| json!({
                "code": code, "label": label(code), "count": n,
            })).collect::<Vec<Value>>(),
        })).collect::<Vec<Value>>(),
        "open_notices": open_notices,
    });
    outbox::enqueue(
        conn,
        &NewNotification {
            province_id: unit.province_id,
            unit_id: unit.id,
            kind: NotificationKind::Digest,
            notice_id: None,
            recipient_staff_id: Some(head.id),
            recipient_email: head.email.clone(),
            dedupe_key: dedupe_key(head.id, from),
            payload,
        },
        now,
    )
}
