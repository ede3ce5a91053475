//! Annual evaluation: rating policies as data, the engine that proposes each person's
//! rating with the rules that capped it, and the "excellent" quota.

pub mod document;
pub mod engine;
pub mod facts;
pub mod policy;
pub mod presets;
pub mod quota;
pub mod reform;
pub mod scoring;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod unit_tests;

use crate::domain::codes::StaffCategory;
use policy::{Policy, PolicyKind};

/// A stored policy: its id and its parsed document.
pub type Stored = (i64, Policy);

/// Whether a version has started by the end of `year` (31 December): only those have a
/// say in the year, so a version effective from 2027 leaves 2026 and earlier to the
/// versions before it.
pub fn started_by(p: &Policy, year: i32) -> bool {
    chrono::NaiveDate::from_ymd_opt(year, 12, 31).is_some_and(|end| p.effective_from <= end)
}

/// Per code, the newest (highest id) version that passes `started`, kept only when it
/// also passes `applies`. The newest started version decides alone: a version that ends
/// a code, narrows its categories or drops its rules withdraws what it leaves out, and
/// no older version fills in for it (a province can withdraw or narrow a rule). Versions
/// that have not started yet play no part, so they do not affect earlier years.
pub fn newest_per_code(
    policies: &[Stored],
    started: impl Fn(&Policy) -> bool,
    applies: impl Fn(&Policy) -> bool,
) -> Vec<&Stored> {
    let mut newest: Vec<&Stored> = Vec::new();
    for stored in policies.iter().filter(|(_, p)| started(p)) {
        match newest.iter_mut().find(|s| s.1.code == stored.1.code) {
            Some(slot) if slot.0 < stored.0 => *slot = stored,
            Some(_) => {}
            None => newest.push(stored),
        }
    }
    newest.retain(|(_, p)| applies(p));
    newest
}

/// The policies that rate a person of `category` in `province` (its root unit's code)
/// for `year`: one base (a province's own before the national one, then the latest
/// effective; `forced` picks one by id) and every overlay that covers them. Per code, only
/// the newest version started by the end of `year` counts, and only if it covers the year
/// and the category (see `newest_per_code`); `forced` may still name any version that
/// covers them, e.g. to re-run with the exact version applied before.
pub fn select<'a>(
    policies: &'a [Stored],
    province: &str,
    category: StaffCategory,
    year: i32,
    forced: Option<i64>,
) -> Option<(&'a Stored, Vec<&'a Stored>)> {
    let in_province = |p: &Policy| p.province.as_deref().is_none_or(|code| code == province);
    let started = |p: &Policy| started_by(p, year) && in_province(p);
    let applies = |p: &Policy| p.covers(year, category) && in_province(p);
    let current = newest_per_code(policies, started, applies);
    let base = match forced {
        Some(id) => policies
            .iter()
            .find(|(i, p)| *i == id && p.kind == PolicyKind::Base && applies(p))?,
        None => current
            .iter()
            .filter(|(_, p)| p.kind == PolicyKind::Base)
            .max_by_key(|(id, p)| (p.province.is_some(), p.effective_from, *id))
            .copied()?,
    };
    // An overlay with no rating rule (reform or repeat rules only) plays no part here.
    let overlays = current
        .into_iter()
        .filter(|(_, p)| p.kind == PolicyKind::Overlay && !p.rules.is_empty())
        .collect();
    Some((base, overlays))
}
