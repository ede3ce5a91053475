//! Annual evaluation: rating policies as data, the engine that proposes each person's
//! rating with the rules that capped it, and the "excellent" quota.

pub mod engine;
pub mod facts;
pub mod policy;
pub mod presets;
pub mod quota;
pub mod reform;
pub mod scoring;

#[cfg(test)]
mod tests;

use crate::domain::codes::StaffCategory;
use policy::{Policy, PolicyKind};

/// A stored policy: its id and its parsed document.
pub type Stored = (i64, Policy);

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
    let base = match forced {
        Some(id) => policies
            .iter()
            .find(|(i, p)| *i == id && p.kind == PolicyKind::Base && applies(p))?,
        None => policies
            .iter()
            .filter(|(_, p)| p.kind == PolicyKind::Base && applies(p))
            .max_by_key(|(id, p)| (p.province.is_some(), p.effective_from, *id))?,
    };
    let overlays = policies
        .iter()
        .filter(|(_, p)| p.kind == PolicyKind::Overlay && applies(p))
        .collect();
    Some((base, overlays))
}
