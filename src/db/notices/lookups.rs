//! What detection looks up: the repeat rules of the stored policies (parsed once per
//! policy row), and per run the unit chains with their heads and the violation labels.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::db::inspections::SOURCE_INSPECTION;
use crate::db::schema::{policies, staff, units, violations};
use crate::db::staff::StaffRow;
use crate::db::violations::ViolationRow;
use crate::db::{AnyConnection, violation_types};
use crate::domain::codes::StaffCategory;
use crate::domain::evaluation::policy::{Policy, parse};
use crate::domain::repeats::{ScopedRule, UnitHeads, applicable, history_before, rule_key};
use crate::domain::units::chain;

/// A repeat rule of a stored policy, with the policy's scope.
pub(super) struct StoredRule {
    pub(super) province_id: Option<i64>,
    pub(super) categories: Vec<StaffCategory>,
    pub(super) rule: ScopedRule,
}

/// Parsed policy documents by row id. Rows are never changed (a change is a new
/// version), so a parse is good for the life of the process.
static PARSED: LazyLock<Mutex<HashMap<i64, Arc<Option<Policy>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The repeat rules in force on `today`: of each policy code, the newest version started
/// by then, unless it has ended.
pub(super) fn rules_in_force(
    conn: &mut AnyConnection,
    today: NaiveDate,
) -> QueryResult<Vec<StoredRule>> {
    type Head = (i64, String, i32, Option<i64>, NaiveDate, Option<NaiveDate>);
    let heads: Vec<Head> = policies::table
        .select((
            policies::id,
            policies::code,
            policies::version,
            policies::province_id,
            policies::effective_from,
            policies::effective_to,
        ))
        .load(conn)?;
    // Per code, the newest version that has started decides alone, as for ratings: one
    // that ended withdraws the code's rules rather than letting an older, open-ended
    // version take over again.
    let mut started: HashMap<String, (i32, i64, Option<i64>, Option<NaiveDate>)> = HashMap::new();
    for (id, code, version, province_id, from, to) in heads {
        if from > today {
            continue;
        }
        let slot = started
            .entry(code)
            .or_insert((version, id, province_id, to));
        if version > slot.0 {
            *slot = (version, id, province_id, to);
        }
    }
    let newest: HashMap<String, (i32, i64, Option<i64>)> = started
        .into_iter()
        .filter(|(_, (_, _, _, to))| to.is_none_or(|t| t >= today))
        .map(|(code, (version, id, province_id, _))| (code, (version, id, province_id)))
        .collect();
    let missing: Vec<i64> = {
        let cache = PARSED.lock().unwrap_or_else(|p| p.into_inner());
        newest
            .values()
            .map(|(_, id, _)| *id)
            .filter(|id| !cache.contains_key(id))
            .collect()
    };
    if !missing.is_empty() {
        let docs: Vec<(i64, String)> = policies::table
            .filter(policies::id.eq_any(&missing))
            .select((policies::id, policies::document))
            .load(conn)?;
        let mut cache = PARSED.lock().unwrap_or_else(|p| p.into_inner());
        for (id, doc) in docs {
            cache.insert(id, Arc::new(parse(&doc).ok()));
        }
    }
    let cache = PARSED.lock().unwrap_or_else(|p| p.into_inner());
    let mut out = Vec::new();
    let mut chosen: Vec<&(i32, i64, Option<i64>)> = newest.values().collect();
    chosen.sort_by_key(|(_, id, _)| *id);
    for (_, id, province_id) in chosen {
        let Some(policy) = cache.get(id).and_then(|p| p.as_ref().as_ref()) else {
            continue;
        };
        let mut seen: Vec<&str> = Vec::new();
        for r in &policy.repeats {
            // A version stored before two rules of one name were refused: its second
            // would share the first's key, and its notice break the unique index of
            // what each rule counted, failing the province's nightly close. The first
            // is kept.
            if seen.contains(&r.name.as_str()) {
                tracing::warn!(
                    policy = %policy.code,
                    rule = %r.name,
                    "a second repeat rule of this name in the policy is left out: rename it"
                );
                continue;
            }
            seen.push(&r.name);
            out.push(StoredRule {
                province_id: *province_id,
                categories: policy.categories.clone(),
                rule: ScopedRule {
                    key: rule_key(&policy.code, &r.name),
                    policy_code: policy.code.clone(),
                    name: r.name.clone(),
                    source: r.source.clone(),
                    provincial: province_id.is_some(),
                    rule: r.rule(),
                    escalate_after_days: r.escalate_after_days,
                },
            });
        }
    }
    Ok(out)
}

pub(super) fn rules_for(all: &[StoredRule], person: &StaffRow) -> Vec<ScopedRule> {
    let category = StaffCategory::parse(&person.category);
    let mine: Vec<ScopedRule> = all
        .iter()
        .filter(|s| s.province_id.is_none_or(|p| p == person.province_id))
        .filter(|s| category.is_some_and(|c| s.categories.contains(&c)))
        .map(|s| s.rule.clone())
        .collect();
    applicable(&mine)
}

/// The violations of `people` before `from` that detection needs because of findings
/// upheld since `since` about days whose windows reach before `from` (a team that
/// concluded long after the visit): each such person's history from the windows before
/// their oldest such day, so that the finding is grouped as it would have been had it
/// been upheld on time.
/// Findings are few (they enter the register one decision at a time), so this is
/// usually one query that finds nothing.
pub(super) fn late_findings(
    conn: &mut AnyConnection,
    people: &[i64],
    codes: &[String],
    rules: &[ScopedRule],
    from: NaiveDate,
    since: NaiveDateTime,
) -> QueryResult<Vec<ViolationRow>> {
    // A finding's history starts the windows before its day (`history_before`): before
    // `from` for every day until as far after it.
    let reach = from + (from - history_before(rules, from));
    let late: Vec<(Option<i64>, NaiveDate)> = violations::table
        .filter(violations::source.eq(SOURCE_INSPECTION))
        .filter(violations::created_at.ge(since))
        .filter(violations::day.lt(reach))
        .filter(violations::staff_id.eq_any(people.iter().copied().map(Some).collect::<Vec<_>>()))
        .filter(violations::code.eq_any(codes))
        .select((violations::staff_id, violations::day))
        .load(conn)?;
    let mut oldest: HashMap<i64, NaiveDate> = HashMap::new();
    for (person, day) in late {
        if let Some(person) = person {
            let slot = oldest.entry(person).or_insert(day);
            *slot = (*slot).min(day);
        }
    }
    let mut oldest: Vec<(i64, NaiveDate)> = oldest.into_iter().collect();
    oldest.sort_unstable();
    let mut out = Vec::new();
    for (person, day) in oldest {
        out.extend(
            violations::table
                .filter(violations::staff_id.eq(Some(person)))
                .filter(violations::code.eq_any(codes))
                .filter(violations::day.ge(history_before(rules, day)))
                .filter(violations::day.lt(from))
                .select(ViolationRow::as_select())
                .load::<ViolationRow>(conn)?,
        );
    }
    Ok(out)
}

/// What detection looks up once per run: unit chains with their heads, and labels.
#[derive(Default)]
pub(super) struct Lookups {
    chains: HashMap<i64, Vec<UnitHeads>>,
    units: HashMap<i64, (String, String)>,
    pub(super) heads: HashMap<i64, StaffRow>,
    /// Violation labels by province.
    labels: HashMap<i64, HashMap<String, String>>,
}

impl Lookups {
    /// The units from `unit_path`'s own up to the province, each with its present heads.
    pub(super) fn chain(
        &mut self,
        conn: &mut AnyConnection,
        unit_id: i64,
        unit_path: &str,
        today: NaiveDate,
    ) -> QueryResult<&[UnitHeads]> {
        if !self.chains.contains_key(&unit_id) {
            let ids = chain(unit_path);
            let rows: Vec<(i64, String, String)> = units::table
                .filter(units::id.eq_any(&ids))
                .select((units::id, units::code, units::name))
                .load(conn)?;
            for (id, code, name) in rows {
                self.units.insert(id, (code, name));
            }
            let heads: Vec<StaffRow> = staff::table
                .filter(staff::unit_id.eq_any(&ids))
                .filter(staff::is_head.eq(true))
                .filter(staff::left_on.is_null().or(staff::left_on.ge(today)))
                // An incoming head entered ahead of their first day is not told yet.
                .filter(staff::joined_on.is_null().or(staff::joined_on.le(today)))
                .order(staff::id)
                .select(StaffRow::as_select())
                .load(conn)?;
            let chain = ids
                .iter()
                .map(|id| UnitHeads {
                    unit_id: *id,
                    heads: heads
                        .iter()
                        .filter(|h| h.unit_id == *id)
                        .map(|h| h.id)
                        .collect(),
                })
                .collect();
            for h in heads {
                self.heads.insert(h.id, h);
            }
            self.chains.insert(unit_id, chain);
        }
        Ok(self
            .chains
            .get(&unit_id)
            .map(Vec::as_slice)
            .unwrap_or_default())
    }

    pub(super) fn label(
        &mut self,
        conn: &mut AnyConnection,
        province_id: i64,
        code: &str,
    ) -> QueryResult<String> {
        let labels = match self.labels.entry(province_id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(violation_types::labels(conn, province_id)?),
        };
        Ok(labels.get(code).cloned().unwrap_or_else(|| code.to_owned()))
    }

    pub(super) fn unit_json(&self, unit_id: i64) -> Value {
        let (code, name) = self.units.get(&unit_id).cloned().unwrap_or_default();
        json!({"id": unit_id, "code": code, "name": name})
    }

    pub(super) fn recipient_json(&self, staff_id: i64) -> Value {
        match self.heads.get(&staff_id) {
            Some(h) => json!({
                "staff_id": h.id, "full_name": h.full_name, "position": h.position,
                "unit": self.unit_json(h.unit_id),
            }),
            None => Value::Null,
        }
    }
}
