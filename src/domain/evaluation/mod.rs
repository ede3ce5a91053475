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

/// Of every stored version, those that pass `applies`, newest (highest id) per code: a
/// new version takes over for the years it covers and leaves the others to the older
/// versions that covered them.
pub fn newest_per_code(policies: &[Stored], applies: impl Fn(&Policy) -> bool) -> Vec<&Stored> {
    let mut out: Vec<&Stored> = Vec::new();
    for stored in policies.iter().filter(|(_, p)| applies(p)) {
        match out.iter_mut().find(|s| s.1.code == stored.1.code) {
            Some(slot) if slot.0 < stored.0 => *slot = stored,
            Some(_) => {}
            None => out.push(stored),
        }
    }
    out
}

/// The policies that rate a person of `category` in `province` (its root unit's code)
/// for `year`: one base (a province's own before the national one, then the latest
/// effective; `forced` picks one by id) and every overlay that covers them.
pub fn select<'a>(
    policies: &'a [Stored],
    province: &str,
    category: StaffCategory,
    year: i32,
    forced: Option<i64>,
) -> Option<(&'a Stored, Vec<&'a Stored>)> {
    let applies = |p: &Policy| {
        p.covers(year, category) && p.province.as_deref().is_none_or(|code| code == province)
    };
    let current = newest_per_code(policies, applies);
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
