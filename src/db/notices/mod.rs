//! Repeat notices: the detector run over the violation register. It is called in the
//! transaction of every change that adds violations (a closed attendance day, an upheld
//! finding, a late dossier step) and by the daily sweep; each crossing it finds becomes a
//! notice that consumes its violations, and one outbox entry per head to tell. The
//! consumption is stored, and on PostgreSQL a per-province advisory lock keeps two
//! transactions from consuming the same violations, so a crossing is noticed once.

mod consumed;
mod lookups;
mod standing;

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use super::outbox::{self, NewNotification};
use super::schema::{
    notifications, repeat_notice_violations, repeat_notices, staff, units, violations,
};
use super::staff::StaffRow;
use super::violations::ViolationRow;
use super::{AnyConnection, LockClass, advisory_lock};
use crate::db::inspections::SOURCE_INSPECTION;
use crate::domain::attendance::to_local;
use crate::domain::codes::{NotificationKind, NotificationStatus};
use crate::domain::repeats::{
    Crossing, NEWS_DAYS, Occurrence, ScopedRule, crossings, escalation_recipients, history_from,
    is_news, recipients, superseded, used_by, whole_from,
};
pub use consumed::rename_source;
use consumed::source_key;
use lookups::{Lookups, late_findings, rules_for, rules_in_force};
pub use standing::withdrawn;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = repeat_notices)]
pub struct RepeatNoticeRow {
    pub id: i64,
    pub province_id: i64,
    pub unit_id: i64,
    pub staff_id: i64,
    pub rule_key: String,
    pub policy_code: String,
    pub rule_name: String,
    pub day: NaiveDate,
    pub violation_count: i32,
    pub notified: bool,
    pub escalate_at: Option<NaiveDateTime>,
    pub escalated_at: Option<NaiveDateTime>,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub acknowledged_by: Option<i64>,
    pub acknowledgement: Option<String>,
    pub created_at: NaiveDateTime,
    /// About a head's own violations: its person headed the unit it is about when it was
    /// made. It went to the level above, and only that level reads and acknowledges it.
    pub about_head: bool,
    /// Void for good: its violations, one of them withdrawn, went with a newcomer into
    /// this later notice of its rule, or of a rule counting its codes since its own no
    /// longer applies (`consumed`).
    pub superseded_by: Option<i64>,
}

/// What a detection run added.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    pub notices: usize,
    pub messages: usize,
}

impl std::ops::AddAssign for Detected {
    fn add_assign(&mut self, other: Detected) {
        self.notices += other.notices;
        self.messages += other.messages;
    }
}

/// Detects the crossings of these people's violations at `now` (UTC) and queues their
/// notices, in the caller's transaction.
pub fn detect(
    conn: &mut AnyConnection,
    staff_ids: &[i64],
    now: NaiveDateTime,
) -> QueryResult<Detected> {
    detect_with(conn, staff_ids, None, false, now)
}

/// As `detect`, for the nightly sweep: what notices that no longer stand counted is
/// released, and a crossing that takes it supersedes them (`consumed`).
pub fn detect_releasing(
    conn: &mut AnyConnection,
    staff_ids: &[i64],
    now: NaiveDateTime,
) -> QueryResult<Detected> {
    detect_with(conn, staff_ids, None, true, now)
}

/// As `detect`, after a violation of `code` was added: nothing to do unless a rule in
/// force counts that code (the common case for late dossier steps, which a bulk import
/// adds by the thousand).
pub fn detect_code(
    conn: &mut AnyConnection,
    staff_ids: &[i64],
    code: &str,
    now: NaiveDateTime,
) -> QueryResult<Detected> {
    detect_with(conn, staff_ids, Some(code), false, now)
}

fn detect_with(
    conn: &mut AnyConnection,
    staff_ids: &[i64],
    code: Option<&str>,
    release: bool,
    now: NaiveDateTime,
) -> QueryResult<Detected> {
    let mut out = Detected::default();
    if staff_ids.is_empty() {
        return Ok(out);
    }
    let today = to_local(now).date();
    let rules = rules_in_force(conn, today)?;
    let counted = |c: &str| {
        rules
            .iter()
            .any(|r| r.rule.rule.codes.iter().any(|x| x == c))
    };
    if rules.is_empty() || code.is_some_and(|c| !counted(c)) {
        return Ok(out);
    }
    let scoped: Vec<ScopedRule> = rules.iter().map(|r| r.rule.clone()).collect();
    let codes: Vec<String> = {
        let set: HashSet<&String> = scoped.iter().flat_map(|r| r.rule.codes.iter()).collect();
        set.into_iter().cloned().collect()
    };
    let from = history_from(&scoped, today);
    let mut lookups = Lookups::default();
    let mut locked: HashSet<i64> = HashSet::new();
    let mut ids: Vec<i64> = staff_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(500) {
        let people: Vec<(StaffRow, String)> = staff::table
            .inner_join(units::table)
            .filter(staff::id.eq_any(chunk))
            .select((StaffRow::as_select(), units::path))
            .load(conn)?;
        let mut provinces: Vec<i64> = people.iter().map(|(p, _)| p.province_id).collect();
        provinces.sort_unstable();
        for province in provinces {
            if locked.insert(province) {
                advisory_lock(conn, LockClass::Repeats, province)?;
            }
        }
        let mut history: Vec<ViolationRow> = violations::table
            .filter(
                violations::staff_id.eq_any(chunk.iter().copied().map(Some).collect::<Vec<_>>()),
            )
            .filter(violations::code.eq_any(&codes))
            .filter(violations::day.ge(from))
            .select(ViolationRow::as_select())
            .load(conn)?;
        // A finding upheld long after the visit is news although its day is older than
        // `from` (is_news); a day more than the local-date rounding earlier covers them all.
        let since = now - Duration::days(NEWS_DAYS + 1);
        history.extend(late_findings(conn, chunk, &codes, &scoped, from, since)?);
        if history.is_empty() {
            continue;
        }
        let reach = release.then(|| {
            // Each person's findings concluded lately, by their days.
            let mut lately: HashMap<i64, Vec<NaiveDate>> = HashMap::new();
            for v in history
                .iter()
                .filter(|v| v.source == SOURCE_INSPECTION)
                .filter(|v| is_news(v.day, Some(to_local(v.created_at).date()), today))
            {
                if let Some(s) = v.staff_id {
                    lately.entry(s).or_default().push(v.day);
                }
            }
            consumed::Reach {
                base: whole_from(&scoped, from, []),
                by_person: lately
                    .into_iter()
                    .map(|(s, days)| (s, whole_from(&scoped, from, days)))
                    .collect(),
            }
        });
        let consumed = consumed::of(conn, chunk, &history, reach.as_ref())?;
        let mut by_person: HashMap<i64, Vec<&ViolationRow>> = HashMap::new();
        for v in &history {
            if let Some(s) = v.staff_id {
                by_person.entry(s).or_default().push(v);
            }
        }
        for (person, path) in &people {
            let Some(mine) = by_person.get(&person.id) else {
                continue;
            };
            let occurrences: Vec<Occurrence> = mine
                .iter()
                .map(|v| Occurrence {
                    id: v.id,
                    code: v.code.clone(),
                    day: v.day,
                })
                .collect();
            let applying = rules_for(&rules, person);
            for rule in &applying {
                let used = used_by(rule, &applying, &consumed.by_rule, &occurrences);
                for crossing in crossings(&rule.rule, &occurrences, &used) {
                    let made = Made {
                        person,
                        path,
                        rule,
                        crossing: &crossing,
                        rows: mine,
                        supersedes: superseded(rule, &applying, &consumed.released, &crossing),
                    };
                    out += record(conn, &mut lookups, &made, now, today)?;
                }
            }
        }
    }
    Ok(out)
}

/// One crossing found, with what its notice is made of.
struct Made<'a> {
    person: &'a StaffRow,
    path: &'a str,
    rule: &'a ScopedRule,
    crossing: &'a Crossing,
    rows: &'a [&'a ViolationRow],
    /// The notices no longer standing whose violations it takes (`repeats::superseded`).
    supersedes: Vec<i64>,
}

fn record(
    conn: &mut AnyConnection,
    lookups: &mut Lookups,
    m: &Made,
    now: NaiveDateTime,
    today: NaiveDate,
) -> QueryResult<Detected> {
    // When the newest of its findings entered the register: a late conclusion is news.
    let concluded = m
        .crossing
        .occurrences
        .iter()
        .filter_map(|id| m.rows.iter().find(|v| v.id == *id))
        .filter(|v| v.source == SOURCE_INSPECTION)
        .map(|v| to_local(v.created_at).date())
        .max();
    let notified = is_news(m.crossing.day, concluded, today);
    // The unit where the violations happened, as a register row keeps the unit the person
    // was in that day: the one of the crossing's last violation. After a transfer, an
    // offline kiosk's backlog of the old unit is for the old unit's heads, and escalates
    // above them (`escalate_due`), not above the unit the person has moved to since.
    let last = m
        .crossing
        .occurrences
        .iter()
        .filter_map(|id| m.rows.iter().find(|v| v.id == *id))
        .max_by_key(|v| (v.day, v.id));
    let (unit_id, unit_path) = match last.map(|v| v.unit_id) {
        Some(u) if u != m.person.unit_id => match super::units::find(conn, u)? {
            Some(unit) => (unit.id, unit.path),
            None => (m.person.unit_id, m.path.to_owned()),
        },
        _ => (m.person.unit_id, m.path.to_owned()),
    };
    // A backlog of a unit below the one the violator heads now (a member of A1 made head
    // of A since) is a head's own violations: filed under the unit they head, it goes
    // above it, as a head's do, and not to the head of A1, their subordinate now.
    let (unit_id, unit_path) =
        if m.person.is_head && crate::domain::units::in_subtree(&unit_path, m.path) {
            (m.person.unit_id, m.path.to_owned())
        } else {
            (unit_id, unit_path)
        };
    let escalate_at = m
        .rule
        .escalate_after_days
        .filter(|_| notified)
        .map(|d| now + Duration::days(i64::from(d)));
    let notice_id: i64 = diesel::insert_into(repeat_notices::table)
        .values((
            repeat_notices::province_id.eq(m.person.province_id),
            repeat_notices::unit_id.eq(unit_id),
            repeat_notices::staff_id.eq(m.person.id),
            repeat_notices::rule_key.eq(&m.rule.key),
            repeat_notices::policy_code.eq(&m.rule.policy_code),
            repeat_notices::rule_name.eq(&m.rule.name),
            repeat_notices::day.eq(m.crossing.day),
            repeat_notices::violation_count.eq(i32::try_from(m.crossing.acts).unwrap_or(i32::MAX)),
            repeat_notices::notified.eq(notified),
            repeat_notices::escalate_at.eq(escalate_at),
            repeat_notices::created_at.eq(now),
            repeat_notices::about_head.eq(m.person.is_head && m.person.unit_id == unit_id),
        ))
        .returning(repeat_notices::id)
        .get_result(conn)?;
    // Those it supersedes now: one superseded already in this run (a retired rule's notice
    // whose violations two rules counting side by side both take) is the other's, and its
    // links are gone already.
    let mut supersedes: Vec<i64> = Vec::new();
    if !m.supersedes.is_empty() {
        // The notices it supersedes count nothing any more: what they counted of the
        // crossing is this notice's now (a violation is counted once by a rule), and the
        // rest, the violation withdrawn among it, is free should it come back.
        supersedes = diesel::update(
            repeat_notices::table
                .filter(repeat_notices::id.eq_any(&m.supersedes))
                .filter(repeat_notices::superseded_by.is_null()),
        )
        .set(repeat_notices::superseded_by.eq(Some(notice_id)))
        .returning(repeat_notices::id)
        .get_results(conn)?;
        supersedes.sort_unstable();
        diesel::delete(
            repeat_notice_violations::table
                .filter(repeat_notice_violations::notice_id.eq_any(&supersedes)),
        )
        .execute(conn)?;
    }
    for id in &m.crossing.occurrences {
        let key = m.rows.iter().find(|v| v.id == *id).map(|v| source_key(v));
        diesel::insert_into(repeat_notice_violations::table)
            .values((
                repeat_notice_violations::notice_id.eq(notice_id),
                repeat_notice_violations::violation_id.eq(id),
                repeat_notice_violations::rule_key.eq(&m.rule.key),
                repeat_notice_violations::source_key.eq(key),
            ))
            .execute(conn)?;
    }
    let mut made = Detected {
        notices: 1,
        messages: 0,
    };
    if !notified {
        return Ok(made);
    }
    // A finding's description is for those who read its inspection (README, Findings'
    // descriptions): one found in the unit the person has left, listed in a notice about
    // the new one, is not its heads' to read (the register blanks it for them), so the
    // notice lists that violation without it. Before, the old team's text went by email
    // to the new unit's head.
    let counted: Vec<&crate::db::violations::ViolationRow> = m
        .crossing
        .occurrences
        .iter()
        .filter_map(|id| m.rows.iter().find(|v| v.id == *id).copied())
        .collect();
    let mut elsewhere: Vec<i64> = counted
        .iter()
        .filter(|v| v.source == crate::db::inspections::SOURCE_INSPECTION && v.unit_id != unit_id)
        .map(|v| v.unit_id)
        .collect();
    elsewhere.sort_unstable();
    elsewhere.dedup();
    // Read only when there is one: most notices count check-ins alone.
    let outside: Vec<i64> = if elsewhere.is_empty() {
        Vec::new()
    } else {
        crate::db::units::find_many(conn, &elsewhere)?
            .into_iter()
            .filter(|u| !crate::domain::units::in_subtree(&u.path, &unit_path))
            .map(|u| u.id)
            .collect()
    };
    let mut listed = Vec::new();
    for v in counted {
        let detail = v.detail.as_ref().filter(|_| {
            !(v.source == crate::db::inspections::SOURCE_INSPECTION && outside.contains(&v.unit_id))
        });
        listed.push(json!({
            "id": v.id, "code": v.code,
            "label": lookups.label(conn, m.person.province_id, &v.code)?,
            "day": v.day, "minutes": v.minutes, "detail": detail, "source": v.source,
        }));
    }
    let chain = lookups.chain(conn, unit_id, &unit_path, today)?.to_vec();
    let payload = json!({
        "notice_id": notice_id,
        "person": {
            "id": m.person.id, "code": m.person.code, "full_name": m.person.full_name,
            "position": m.person.position, "is_head": m.person.is_head,
        },
        "unit": lookups.unit_json(unit_id),
        "rule": {
            "name": m.rule.name, "source": m.rule.source, "policy_code": m.rule.policy_code,
            "count": m.rule.rule.count, "window": m.rule.rule.window.label(),
            "escalate_after_days": m.rule.escalate_after_days,
        },
        "day": m.crossing.day,
        // The acts counted: an absence the check-ins show and an inspection found is one,
        // listed with its two records.
        "acts": m.crossing.acts,
        "violations": listed,
        // The notices it replaces, one of their violations withdrawn since.
        "supersedes": supersedes,
    });
    let heads = recipients(&chain, m.person.id, 0)
        .map(|u| u.heads.clone())
        .unwrap_or_default();
    made.messages += queue(
        conn,
        lookups,
        (m.person.province_id, unit_id),
        notice_id,
        NotificationKind::Repeat,
        &heads,
        payload,
        now,
    )?;
    Ok(made)
}

/// Queues one message per head (one without a recipient when there is no head to tell),
/// about the notice's `(province_id, unit_id)`.
#[allow(clippy::too_many_arguments)]
fn queue(
    conn: &mut AnyConnection,
    lookups: &Lookups,
    (province_id, unit_id): (i64, i64),
    notice_id: i64,
    kind: NotificationKind,
    heads: &[i64],
    payload: Value,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mut queued = 0;
    let targets: Vec<Option<i64>> = if heads.is_empty() {
        vec![None]
    } else {
        heads.iter().copied().map(Some).collect()
    };
    for head in targets {
        let mut payload = payload.clone();
        payload["recipient"] = head.map_or(Value::Null, |h| lookups.recipient_json(h));
        let n = NewNotification {
            province_id,
            unit_id,
            kind,
            notice_id: Some(notice_id),
            recipient_staff_id: head,
            recipient_email: head
                .and_then(|h| lookups.heads.get(&h))
                .and_then(|h| h.email.clone()),
            dedupe_key: format!(
                "{}:{notice_id}:{}",
                kind.code(),
                head.map_or("nobody".to_owned(), |h| h.to_string())
            ),
            payload,
        };
        if outbox::enqueue(conn, &n, now)? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// How long past its due time a notice still escalates. The sweep escalates a standing
/// notice the night it falls due; only one that does not stand (`withdrawn`) is left for
/// later, in case its violation comes back. Without a bound, the nightly check would go
/// over every notice ever withdrawn; a year is as long as the level above can still act
/// on a repeat (the ratings of its year are made by then at the latest).
pub const ESCALATION_REACH_DAYS: i64 = 366;

/// Tells the next level up about the notices whose heads have not acknowledged them in
/// time; each notice escalates once. Returns the messages queued.
pub fn escalate_due(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    let today = to_local(now).date();
    let due: Vec<RepeatNoticeRow> = repeat_notices::table
        .filter(repeat_notices::notified.eq(true))
        .filter(repeat_notices::escalate_at.le(now))
        .filter(repeat_notices::escalate_at.ge(now - Duration::days(ESCALATION_REACH_DAYS)))
        .filter(repeat_notices::acknowledged_at.is_null())
        .filter(repeat_notices::escalated_at.is_null())
        .filter(repeat_notices::superseded_by.is_null())
        .order(repeat_notices::id)
        .select(RepeatNoticeRow::as_select())
        .load(conn)?;
    // One whose violations no longer add up waits, unescalated, while it does not stand.
    // One standing again waits for the daily re-send to tell its heads first
    // (`outbox::revive_standing`, which gives them the escalation delay from then), if it
    // is recent enough for the re-send to take it up; an older one escalates, saying its
    // heads were not reached.
    let ids: Vec<i64> = due.iter().map(|n| n.id).collect();
    let mut void = withdrawn(conn, &ids)?;
    // A day short of the re-send's reach, which runs a day later at most.
    let recent = now - Duration::days(NEWS_DAYS - 1);
    for part in ids.chunks(1000) {
        void.extend(
            notifications::table
                .inner_join(
                    repeat_notices::table
                        .on(repeat_notices::id.nullable().eq(notifications::notice_id)),
                )
                .filter(repeat_notices::id.eq_any(part))
                .filter(repeat_notices::created_at.ge(recent))
                .filter(notifications::kind.eq(NotificationKind::Repeat.code()))
                .filter(notifications::status.eq(NotificationStatus::Cancelled.code()))
                .select(repeat_notices::id)
                .load::<i64>(conn)?,
        );
    }
    let mut lookups = Lookups::default();
    let mut queued = 0;
    for notice in due.into_iter().filter(|n| !void.contains(&n.id)) {
        // Only one process marks a notice escalated; the other moves on. One acknowledged
        // since it was read is not escalated.
        let won = diesel::update(
            repeat_notices::table
                .filter(repeat_notices::id.eq(notice.id))
                // Not pushed back meanwhile (`outbox::delay_escalation`).
                .filter(repeat_notices::escalate_at.le(now))
                .filter(repeat_notices::escalated_at.is_null())
                .filter(repeat_notices::acknowledged_at.is_null()),
        )
        .set(repeat_notices::escalated_at.eq(Some(now)))
        .execute(conn)?;
        if won == 0 {
            continue;
        }
        // The chain above the unit where the violations happened, which the notice
        // keeps: after a transfer, the heads above the person's new unit had nothing to
        // do with them, and the head told may even be the one "above" the new unit.
        let Some(unit) = super::units::find(conn, notice.unit_id)? else {
            continue;
        };
        // Who the notice went to, and who it reached, as its messages recorded them:
        // today's heads may not be those (a head named since, one who left), and a
        // message given up on told nobody.
        let sent: Vec<(Option<i64>, String, Option<NaiveDateTime>, String)> = notifications::table
            .filter(notifications::notice_id.eq(notice.id))
            .filter(notifications::kind.eq(NotificationKind::Repeat.code()))
            .order(notifications::id)
            .select((
                notifications::recipient_staff_id,
                notifications::status,
                notifications::sent_at,
                notifications::payload,
            ))
            .load(conn)?;
        let Some(mut payload) = sent
            .first()
            .and_then(|(_, _, _, p)| serde_json::from_str::<Value>(p).ok())
        else {
            continue;
        };
        let delivered: Vec<&(Option<i64>, String, Option<NaiveDateTime>, String)> = sent
            .iter()
            .filter(|(_, status, _, _)| status == NotificationStatus::Sent.code())
            .collect();
        let told: Vec<Value> = delivered
            .iter()
            .filter_map(|(_, _, _, p)| serde_json::from_str::<Value>(p).ok())
            .map(|p| p["recipient"].clone())
            .filter(|r| !r.is_null())
            .collect();
        let notified_at = delivered.iter().filter_map(|(_, _, at, _)| *at).min();
        let addressed: Vec<i64> = sent.iter().filter_map(|(to, _, _, _)| *to).collect();
        let mut chain = lookups.chain(conn, unit.id, &unit.path, today)?.to_vec();
        // A notice about a head's own violations escalates above their unit, whoever heads
        // it today (a deputy promoted since is not its addressee).
        if notice.about_head {
            chain.retain(|u| u.unit_id != notice.unit_id);
        }
        // Nobody above those told: one message without a recipient, kept as dead, so an
        // administrator sees that the notice stopped there.
        let above = escalation_recipients(&chain, notice.staff_id, &addressed)
            .map(|u| u.heads.clone())
            .unwrap_or_default();
        // The rule's delay as the notice recorded it: its escalation may have been pushed
        // back (`outbox::delay_escalation`).
        let after_days = payload["rule"]["escalate_after_days"].as_i64().or(notice
            .escalate_at
            .map(|at| (at - notice.created_at).num_days()));
        payload["escalation"] = json!({
            "told": told,
            // Vietnam keeps one offset all year.
            "notified_at": notified_at
                .map(|at| to_local(at).format("%Y-%m-%dT%H:%M:%S+07:00").to_string()),
            "after_days": after_days,
        });
        queued += queue(
            conn,
            &lookups,
            (notice.province_id, notice.unit_id),
            notice.id,
            NotificationKind::Escalation,
            &above,
            payload,
            now,
        )?;
    }
    Ok(queued)
}

/// Records that a head has acted on a notice (which stops its escalation). None when it
/// was already acknowledged.
pub fn acknowledge(
    conn: &mut AnyConnection,
    notice_id: i64,
    user_id: i64,
    note: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<RepeatNoticeRow>> {
    let n = diesel::update(
        repeat_notices::table
            .filter(repeat_notices::id.eq(notice_id))
            .filter(repeat_notices::acknowledged_at.is_null()),
    )
    .set((
        repeat_notices::acknowledged_at.eq(Some(now)),
        repeat_notices::acknowledged_by.eq(Some(user_id)),
        repeat_notices::acknowledgement.eq(Some(note)),
    ))
    .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    find(conn, notice_id)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<RepeatNoticeRow>> {
    repeat_notices::table
        .find(id)
        .select(RepeatNoticeRow::as_select())
        .first(conn)
        .optional()
}

/// The notices with these ids, for listing their messages.
pub fn find_many(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<RepeatNoticeRow>> {
    repeat_notices::table
        .filter(repeat_notices::id.eq_any(ids))
        .select(RepeatNoticeRow::as_select())
        .load(conn)
}
