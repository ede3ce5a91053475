//! Staff members' one-stop accounts and name aliases, the lookups that match a log
//! entry's handler against them, and the retroactive attribution of steps kept aside once
//! an administrator maps their handler.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::AnyConnection;
use crate::db::audit::{self, Entry};
use crate::db::schema::{dossier_steps, dossiers, staff, staff_handles, units};
use crate::domain::access::Visibility;
use crate::domain::attendance::to_local;
use crate::domain::onestop::{
    Candidates, HandlerIssue, MatchedBy, Resolution, handle_key, resolve, served_during, served_on,
    step_day,
};
use crate::domain::text::nfc;
use crate::domain::units::in_subtree;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = staff_handles)]
pub struct HandleRow {
    pub id: i64,
    pub province_id: i64,
    pub staff_id: i64,
    pub kind: String,
    pub display: String,
    pub value: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

pub fn of_staff(conn: &mut AnyConnection, staff_id: i64) -> QueryResult<Vec<HandleRow>> {
    staff_handles::table
        .filter(staff_handles::staff_id.eq(staff_id))
        .order(staff_handles::id)
        .select(HandleRow::as_select())
        .load(conn)
}

/// Who holds this account in the province, if anyone.
pub fn account_holder(
    conn: &mut AnyConnection,
    province_id: i64,
    value: &str,
) -> QueryResult<Option<i64>> {
    staff_handles::table
        .filter(staff_handles::province_id.eq(province_id))
        .filter(staff_handles::kind.eq("account"))
        .filter(staff_handles::value.eq(value))
        .select(staff_handles::staff_id)
        .first(conn)
        .optional()
}

/// Adds an account or alias to a staff member (the caller checked the account is free
/// and the handle new), audited.
pub fn add(
    conn: &mut AnyConnection,
    actor: i64,
    person: &crate::db::staff::StaffRow,
    kind: &str,
    display: &str,
) -> QueryResult<HandleRow> {
    let row: HandleRow = diesel::insert_into(staff_handles::table)
        .values((
            staff_handles::province_id.eq(person.province_id),
            staff_handles::staff_id.eq(person.id),
            staff_handles::kind.eq(kind),
            staff_handles::display.eq(nfc(display)),
            staff_handles::value.eq(handle_key(display)),
            staff_handles::created_by.eq(Some(actor)),
            staff_handles::created_at.eq(crate::db::now()),
        ))
        .get_result(conn)?;
    record(conn, actor, person.unit_id, "add_handle", None, Some(&row))?;
    Ok(row)
}

/// Removes a handle. Steps it attributed stay attributed: an attribution is a recorded
/// decision, changed step by step.
pub fn remove(
    conn: &mut AnyConnection,
    actor: i64,
    unit_id: i64,
    row: &HandleRow,
) -> QueryResult<()> {
    diesel::delete(staff_handles::table.find(row.id)).execute(conn)?;
    record(conn, actor, unit_id, "remove_handle", Some(row), None)
}

fn record(
    conn: &mut AnyConnection,
    actor: i64,
    unit_id: i64,
    action: &str,
    before: Option<&HandleRow>,
    after: Option<&HandleRow>,
) -> QueryResult<()> {
    let any = after.or(before);
    audit::record(
        conn,
        Entry {
            actor_user_id: Some(actor),
            entity: "staff",
            entity_id: any.map_or(0, |h| h.staff_id),
            action,
            province_id: any.map(|h| h.province_id),
            unit_id: Some(unit_id),
            before,
            after,
        },
    )
}

/// Matches handlers within one province, and only to people within `scope` (who is
/// writing may attribute nothing beyond their reach), remembering each lookup.
pub struct Matcher {
    province_id: i64,
    scope: Visibility,
    /// By (dossier unit path, account, name) in the compared form.
    seen: HashMap<HandlerKey, Looked>,
    /// Each attributed person's present unit and the day they came into it.
    units: HashMap<i64, Option<(i64, Option<NaiveDate>)>>,
    /// Their earlier units, for steps done before they came into the present one.
    postings: crate::db::moves::PostingCache,
}

type HandlerKey = (String, Option<String>, Option<String>);

/// A name as staff records are compared with it: NFC, single spaces, case kept.
pub(super) fn spaced(name: &str) -> String {
    nfc(name).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A person a name or alias fits: id, joining and leaving dates.
type Fit = (i64, Option<NaiveDate>, Option<NaiveDate>);

/// What the lookups found for one handler, before the step's day narrows the fits.
#[derive(Clone, Default)]
struct Looked {
    by_account: Option<i64>,
    account_beyond_reach: Option<i64>,
    by_alias: Vec<Fit>,
    by_name: Vec<Fit>,
}

impl Looked {
    /// The candidates for a step handled on `day`: of the names and aliases, only the
    /// people in service that day.
    fn on(&self, day: Option<NaiveDate>) -> Candidates {
        let serving = |fits: &[Fit]| -> Vec<i64> {
            fits.iter()
                .filter(|(_, joined, left)| served_on(*joined, *left, day))
                .map(|(id, _, _)| *id)
                .collect()
        };
        Candidates {
            by_account: self.by_account,
            account_beyond_reach: self.account_beyond_reach,
            by_alias: serving(&self.by_alias),
            by_name: serving(&self.by_name),
        }
    }
}

/// A step kept aside: id, dossier, account, name, issue, the dossier unit's path, and
/// when it was received and finished (UTC).
type AsideStep = (
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    (Option<NaiveDateTime>, Option<NaiveDateTime>),
);

impl Matcher {
    pub fn new(province_id: i64, scope: Visibility) -> Self {
        Matcher {
            province_id,
            scope,
            seen: HashMap::new(),
            units: HashMap::new(),
            postings: Default::default(),
        }
    }

    /// Who the handler of a step handled on `day` (local) is, with their unit, for a
    /// dossier of the unit at `unit_path`.
    pub fn resolve(
        &mut self,
        conn: &mut AnyConnection,
        unit_path: &str,
        account: Option<&str>,
        name: Option<&str>,
        day: Option<NaiveDate>,
    ) -> QueryResult<(Resolution, Option<i64>)> {
        // The name as its look-up compares it (spacing and NFC, case kept): lower-cased,
        // "NGUYỄN THỊ LAN" of one vendor's service, found by no name, was the answer
        // for "Nguyễn Thị Lan" later in the same request, whom the name finds.
        let key = (
            unit_path.to_owned(),
            account.map(handle_key),
            name.map(spaced),
        );
        let looked = match self.seen.get(&key) {
            Some(found) => found.clone(),
            None => {
                let found = self.look(conn, &key, name)?;
                self.seen.insert(key, found.clone());
                found
            }
        };
        let resolution = resolve(&looked.on(day));
        // The officer's unit on the step's day: a step done before a transfer stays the old
        // unit's (its register row, its heads' notices) when the feed is sent again after it.
        let unit = match resolution {
            Resolution::Staff(id, _) => {
                let present = match self.units.get(&id) {
                    Some(unit) => *unit,
                    None => {
                        let unit =
                            crate::db::staff::find(conn, id)?.map(|s| (s.unit_id, s.unit_since));
                        self.units.insert(id, unit);
                        unit
                    }
                };
                match present {
                    Some(present) => Some(self.postings.unit_id_on(conn, id, present, day)?),
                    None => None,
                }
            }
            Resolution::Unresolved(_) | Resolution::BeyondReach(_) => None,
        };
        Ok((resolution, unit))
    }

    fn look(
        &self,
        conn: &mut AnyConnection,
        (unit_path, account, _): &HandlerKey,
        name: Option<&str>,
    ) -> QueryResult<Looked> {
        let mut c = Looked::default();
        if let Some(a) = account
            && let Some(holder) = account_holder(conn, self.province_id, a)?
        {
            // The account says who handled the step even when the writer may not attribute
            // it to them: a namesake within reach is then not who did it.
            if crate::db::staff::find_with_path(conn, holder)?
                .is_some_and(|(_, path)| self.scope.staff(holder, &path))
            {
                c.by_account = Some(holder);
            } else {
                c.account_beyond_reach = Some(holder);
            }
        }
        if let (None, None, Some(n)) = (c.by_account, c.account_beyond_reach, name) {
            let scope = &self.scope;
            type Row = (i64, String, Option<NaiveDate>, Option<NaiveDate>);
            let within = |rows: Vec<Row>| -> Vec<Fit> {
                rows.into_iter()
                    .filter(|(id, path, _, _)| {
                        in_subtree(path, unit_path) && scope.staff(*id, path)
                    })
                    .map(|(id, _, joined, left)| (id, joined, left))
                    .collect()
            };
            c.by_alias = within(
                staff_handles::table
                    .inner_join(staff::table.inner_join(units::table))
                    .filter(staff_handles::province_id.eq(self.province_id))
                    .filter(staff_handles::kind.eq("alias"))
                    .filter(staff_handles::value.eq(handle_key(n)))
                    .select((staff::id, units::path, staff::joined_on, staff::left_on))
                    .load(conn)?,
            );
            c.by_name = within(
                staff::table
                    .inner_join(units::table)
                    .filter(staff::province_id.eq(self.province_id))
                    .filter(staff::full_name.eq(spaced(n)))
                    .select((staff::id, units::path, staff::joined_on, staff::left_on))
                    .load(conn)?,
            );
        }
        Ok(c)
    }
}

/// Matches again every step of the province kept aside in dossiers within `scope`, now
/// that a mapping changed: steps whose handler now fits one person within `scope` are
/// attributed to them (audited), and their dossiers' late steps re-synced. Returns how
/// many steps were attributed.
pub fn reattribute(
    conn: &mut AnyConnection,
    actor: i64,
    scope: &Visibility,
    province_id: i64,
    now: NaiveDateTime,
) -> QueryResult<u64> {
    let aside: Vec<AsideStep> = dossier_steps::table
        .inner_join(dossiers::table.inner_join(units::table))
        .filter(dossier_steps::province_id.eq(province_id))
        .filter(dossier_steps::handler_issue.is_not_null())
        .select((
            dossier_steps::id,
            dossier_steps::dossier_id,
            dossier_steps::handler_account,
            dossier_steps::handler_name,
            dossier_steps::handler_issue,
            units::path,
            (dossier_steps::received_at, dossier_steps::finished_at),
        ))
        .load(conn)?;
    let mut matcher = Matcher::new(province_id, scope.clone());
    let mut touched = BTreeSet::new();
    let mut attributed = 0;
    for (step_id, dossier_id, account, name, issue, path, (received, finished)) in aside {
        if !scope.subtree(&path) {
            continue;
        }
        let day = step_day(received.map(to_local), finished.map(to_local));
        let (resolution, unit) =
            matcher.resolve(conn, &path, account.as_deref(), name.as_deref(), day)?;
        match resolution {
            Resolution::Staff(staff_id, how) => {
                set_handler(conn, Some(actor), step_id, staff_id, unit, how)?;
                touched.insert(dossier_id);
                attributed += 1;
            }
            other => {
                let now_issue = other.issue().unwrap_or(HandlerIssue::Unknown);
                if issue.as_deref() != Some(now_issue.code()) {
                    diesel::update(dossier_steps::table.find(step_id))
                        .set(dossier_steps::handler_issue.eq(now_issue.code()))
                        .execute(conn)?;
                }
            }
        }
    }
    resync(conn, &touched, now)?;
    Ok(attributed)
}

/// Attributes one step to a staff member, audited.
pub fn set_handler(
    conn: &mut AnyConnection,
    actor: Option<i64>,
    step_id: i64,
    staff_id: i64,
    unit_id: Option<i64>,
    how: MatchedBy,
) -> QueryResult<()> {
    let before: crate::db::dossiers::StepRow = dossier_steps::table
        .find(step_id)
        .select(crate::db::dossiers::StepRow::as_select())
        .first(conn)?;
    diesel::update(dossier_steps::table.find(step_id))
        .set((
            dossier_steps::staff_id.eq(Some(staff_id)),
            dossier_steps::unit_id.eq(unit_id),
            dossier_steps::matched_by.eq(Some(how.code())),
            dossier_steps::handler_issue.eq(None::<String>),
            dossier_steps::updated_at.eq(crate::db::now()),
        ))
        .execute(conn)?;
    let after: crate::db::dossiers::StepRow = dossier_steps::table
        .find(step_id)
        .select(crate::db::dossiers::StepRow::as_select())
        .first(conn)?;
    let dossier_unit: i64 = dossiers::table
        .find(after.dossier_id)
        .select(dossiers::unit_id)
        .first(conn)?;
    audit::record(
        conn,
        Entry {
            actor_user_id: actor,
            entity: "dossier_step",
            entity_id: step_id,
            action: "attribute",
            province_id: Some(after.province_id),
            unit_id: Some(dossier_unit),
            before: Some(&before),
            after: Some(&after),
        },
    )
}

/// Re-syncs the late steps of these dossiers in the violation register.
pub fn resync(
    conn: &mut AnyConnection,
    dossier_ids: &BTreeSet<i64>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    for id in dossier_ids {
        let row: crate::db::dossiers::DossierRow = dossiers::table
            .find(*id)
            .select(crate::db::dossiers::DossierRow::as_select())
            .first(conn)?;
        crate::db::dossiers::sync_late_steps(conn, &row, now)?;
    }
    Ok(())
}

/// A handler kept aside: the steps that name it, in the dossiers of one unit.
#[derive(Debug, Clone, Serialize)]
pub struct AsideRow {
    pub unit_id: i64,
    pub unit_path: String,
    pub province_id: i64,
    pub account: Option<String>,
    pub name: Option<String>,
    pub issue: HandlerIssue,
    pub step_ids: Vec<i64>,
    pub first_at: Option<NaiveDateTime>,
    pub last_at: Option<NaiveDateTime>,
}

/// The handlers kept aside in the dossiers of units the filter keeps, grouped by unit,
/// account and name.
pub fn aside(conn: &mut AnyConnection, keep: impl Fn(&str) -> bool) -> QueryResult<Vec<AsideRow>> {
    type Raw = (
        i64,
        i64,
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Raw> = dossier_steps::table
        .inner_join(dossiers::table.inner_join(units::table))
        .filter(dossier_steps::handler_issue.is_not_null())
        .order(dossier_steps::id)
        .select((
            dossier_steps::id,
            dossiers::province_id,
            dossiers::unit_id,
            units::path,
            dossier_steps::handler_account,
            dossier_steps::handler_name,
            dossier_steps::handler_issue,
            dossier_steps::received_at,
            dossier_steps::finished_at,
        ))
        .load(conn)?;
    let mut groups: Vec<AsideRow> = Vec::new();
    let mut index: HashMap<(i64, Option<String>, Option<String>), usize> = HashMap::new();
    for (id, province_id, unit_id, path, account, name, issue, received, finished) in rows {
        if !keep(&path) {
            continue;
        }
        let Some(issue) = issue.as_deref().and_then(HandlerIssue::parse) else {
            continue;
        };
        // Names grouped as they are matched (case kept): "NGUYỄN THỊ LAN", whom no name
        // fits, is not "Nguyễn Thị Lan", whom two may.
        let key = (
            unit_id,
            account.as_deref().map(handle_key),
            name.as_deref().map(spaced),
        );
        let at = finished.or(received);
        let i = *index.entry(key).or_insert_with(|| {
            groups.push(AsideRow {
                unit_id,
                unit_path: path.clone(),
                province_id,
                account: account.clone(),
                name: name.clone(),
                issue,
                step_ids: Vec::new(),
                first_at: at,
                last_at: at,
            });
            groups.len() - 1
        });
        let g = &mut groups[i];
        g.step_ids.push(id);
        g.first_at = g.first_at.min(at).or(at);
        g.last_at = g.last_at.max(at);
    }
    Ok(groups)
}

/// The staff of the subtree at `unit_path` whose name or alias is this name and who were
/// in service on some local day from the first to the last of the steps (their times
/// stored, UTC): who an ambiguous handler could be. A namesake who had left before the
/// first step is none.
pub fn namesakes(
    conn: &mut AnyConnection,
    province_id: i64,
    unit_path: &str,
    name: &str,
    steps: (Option<NaiveDateTime>, Option<NaiveDateTime>),
) -> QueryResult<Vec<(i64, String, i64)>> {
    let day = |t: Option<NaiveDateTime>| t.map(|t| to_local(t).date());
    let days = (day(steps.0), day(steps.1));
    type Found = (
        i64,
        String,
        i64,
        String,
        Option<NaiveDate>,
        Option<NaiveDate>,
    );
    let spaced = nfc(name).split_whitespace().collect::<Vec<_>>().join(" ");
    let columns = (
        staff::id,
        staff::full_name,
        staff::unit_id,
        units::path,
        staff::joined_on,
        staff::left_on,
    );
    let mut found: Vec<Found> = staff::table
        .inner_join(units::table)
        .filter(staff::province_id.eq(province_id))
        .filter(staff::full_name.eq(spaced))
        .select(columns)
        .load(conn)?;
    found.extend(
        staff_handles::table
            .inner_join(staff::table.inner_join(units::table))
            .filter(staff_handles::province_id.eq(province_id))
            .filter(staff_handles::kind.eq("alias"))
            .filter(staff_handles::value.eq(handle_key(name)))
            .select(columns)
            .load::<Found>(conn)?,
    );
    let mut out: Vec<(i64, String, i64)> = found
        .into_iter()
        .filter(|(_, _, _, path, joined, left)| {
            in_subtree(path, unit_path) && served_during(*joined, *left, days.0, days.1)
        })
        .map(|(id, n, u, ..)| (id, n, u))
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}
