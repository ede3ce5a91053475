//! Disputes of late steps (ONESTOP.md, "Why late ratios need a dispute path"): a step late
//! only in the system is disputed by its officer, and their head accepts or rejects it.
//! An accepted dispute takes the step out of the late count, never out of the record; a
//! pending one leaves it counted and is reported beside every ratio it sits behind.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::access::Grant;
use super::codes::Role;
use super::dossiers::{Dossier, Outcome};
use super::units::in_subtree;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisputeStatus {
    Pending,
    Accepted,
    Rejected,
}

impl DisputeStatus {
    pub fn code(self) -> &'static str {
        match self {
            DisputeStatus::Pending => "pending",
            DisputeStatus::Accepted => "accepted",
            DisputeStatus::Rejected => "rejected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DisputeStatus::Pending => "Chờ thủ trưởng xem xét",
            DisputeStatus::Accepted => "Chấp nhận: không tính trễ hạn",
            DisputeStatus::Rejected => "Không chấp nhận",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => DisputeStatus::Pending,
            "accepted" => DisputeStatus::Accepted,
            "rejected" => DisputeStatus::Rejected,
            _ => return None,
        })
    }
}

/// What counts of a step's outcome once its dispute is known: an accepted dispute makes
/// a late step on time and an overdue one pending (not late yet); nothing else moves.
pub fn counted(outcome: Outcome, dispute: Option<DisputeStatus>) -> Outcome {
    match (outcome, dispute) {
        (Outcome::Late, Some(DisputeStatus::Accepted)) => Outcome::OnTime,
        (Outcome::Overdue, Some(DisputeStatus::Accepted)) => Outcome::Pending,
        (o, _) => o,
    }
}

/// A late dossier counts as late for its unit unless every step its lateness was
/// attributed to had a dispute accepted: then it was late only in the system.
pub fn dossier_counted(
    outcome: Outcome,
    step_outcomes: &[(i32, Outcome)],
    disputes: &HashMap<i32, DisputeStatus>,
) -> Outcome {
    if !outcome.is_late() {
        return outcome;
    }
    let mut late = step_outcomes.iter().filter(|(_, o)| o.is_late()).peekable();
    if late.peek().is_none() {
        return outcome;
    }
    if late.all(|(no, _)| disputes.get(no) == Some(&DisputeStatus::Accepted)) {
        counted(outcome, Some(DisputeStatus::Accepted))
    } else {
        outcome
    }
}

/// Whether pending disputes could still take a late dossier out of its unit's late
/// count: every step its lateness went to is disputed, none rejected, one still pending.
pub fn pending_behind(
    step_outcomes: &[(i32, Outcome)],
    disputes: &HashMap<i32, DisputeStatus>,
) -> bool {
    let late: Vec<Option<&DisputeStatus>> = step_outcomes
        .iter()
        .filter(|(_, o)| o.is_late())
        .map(|(no, _)| disputes.get(no))
        .collect();
    late.contains(&Some(&DisputeStatus::Pending))
        && late
            .iter()
            .all(|d| matches!(d, Some(DisputeStatus::Pending | DisputeStatus::Accepted)))
}

/// Why a dispute cannot be raised, if it cannot. `step_end` is when the step ended, or
/// for a step still overdue, its deadline; the window runs `window_days` from it.
pub fn raise_refusal(
    outcome: Outcome,
    step_end: Option<NaiveDateTime>,
    now: NaiveDateTime,
    window_days: i64,
) -> Option<&'static str> {
    if !outcome.is_late() {
        return Some("only a late step can be disputed");
    }
    match step_end {
        Some(end) if now > end + Duration::days(window_days) => {
            Some("the time for disputing this step has passed")
        }
        _ => None,
    }
}

/// When the dispute window of a step opens (local times): when the step ended, or while
/// it is still overdue, the deadline it is late by (`Dossier::judged_due`: its own, moved
/// by the supplement pauses like the dossier's, or the dossier's for the step holding it
/// then). Counting from the raw deadline would shorten the window by the pause; from one
/// that moves as time passes, would open it again once closed.
pub fn window_start(rules: &Dossier, step_no: i32) -> Option<NaiveDateTime> {
    let Some(step) = rules.steps.iter().find(|s| s.step_no == step_no) else {
        return rules.due();
    };
    step.finished_at.or(rules.judged_due(step))
}

/// Whether this grant may decide a dispute of the unit at `officer_path` (the step's unit,
/// the officer's on the step's day): a unit-head role over that unit, and when the
/// officer heads a unit at or above it (`officer_heads`, that unit's path: the step's own,
/// or one they were promoted to since), a role on a unit above the one they head: a head
/// does not decide on themself, nor is decided on by their own subordinate.
pub fn may_decide(grant: &Grant, officer_path: &str, officer_heads: Option<&str>) -> bool {
    if grant.role != Role::UnitHead {
        return false;
    }
    let Some(path) = grant.unit_path.as_deref() else {
        // A head role without a unit reaches every unit, above everyone.
        return true;
    };
    if !in_subtree(officer_path, path) {
        return false;
    }
    officer_heads.is_none_or(|headed| path != headed && in_subtree(headed, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn t(d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, d)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    }

    fn head(path: Option<&str>) -> Grant {
        Grant {
            role: Role::UnitHead,
            unit_id: None,
            unit_path: path.map(str::to_owned),
        }
    }

    #[test]
    fn an_accepted_dispute_takes_the_step_out_of_the_late_count() {
        use DisputeStatus::*;
        assert_eq!(counted(Outcome::Late, Some(Accepted)), Outcome::OnTime);
        assert_eq!(counted(Outcome::Overdue, Some(Accepted)), Outcome::Pending);
        assert_eq!(
            counted(Outcome::Late, Some(Pending)),
            Outcome::Late,
            "pending still counts"
        );
        assert_eq!(counted(Outcome::Late, Some(Rejected)), Outcome::Late);
        assert_eq!(counted(Outcome::Early, Some(Accepted)), Outcome::Early);
    }

    #[test]
    fn a_dossier_is_excused_only_when_every_late_step_is() {
        use DisputeStatus::*;
        let steps = [(1, Outcome::OnTime), (2, Outcome::Late), (3, Outcome::Late)];
        let one = HashMap::from([(2, Accepted)]);
        assert_eq!(dossier_counted(Outcome::Late, &steps, &one), Outcome::Late);
        let both = HashMap::from([(2, Accepted), (3, Accepted)]);
        assert_eq!(
            dossier_counted(Outcome::Late, &steps, &both),
            Outcome::OnTime
        );
        assert_eq!(
            dossier_counted(Outcome::Late, &[(1, Outcome::OnTime)], &both),
            Outcome::Late,
            "lateness nobody carries stays with the unit"
        );
        let mixed = HashMap::from([(2, Accepted), (3, Pending)]);
        assert!(pending_behind(&steps, &mixed));
        let rejected = HashMap::from([(2, Rejected), (3, Pending)]);
        assert!(
            !pending_behind(&steps, &rejected),
            "a rejected step keeps it late anyway"
        );
        assert!(!pending_behind(&steps, &one), "nothing pending");
    }

    #[test]
    fn the_window_runs_from_the_step() {
        assert_eq!(raise_refusal(Outcome::Late, Some(t(1)), t(11), 10), None);
        assert!(raise_refusal(Outcome::Late, Some(t(1)), t(12), 10).is_some());
        assert!(raise_refusal(Outcome::OnTime, Some(t(1)), t(2), 10).is_some());
        assert_eq!(raise_refusal(Outcome::Overdue, None, t(30), 10), None);
    }

    #[test]
    fn the_window_of_an_overdue_step_runs_from_its_deadline_moved_by_the_pause() {
        use super::super::dossiers::{DossierStatus, Step};
        let step = |due: Option<NaiveDateTime>, finished: Option<NaiveDateTime>| Step {
            step_no: 1,
            staff_id: Some(1),
            unit_id: Some(1),
            received_at: Some(t(1)),
            due_at: due,
            finished_at: finished,
        };
        let mut d = Dossier {
            status: DossierStatus::InProgress,
            due: Some(t(20)),
            finished: None,
            supplement_requested: Some(t(2)),
            supplement_received: Some(t(7)),
            steps: vec![step(Some(t(4)), None)],
        };
        assert_eq!(window_start(&d, 1), Some(t(9)), "due 4/3, five days paused");
        d.steps = vec![step(Some(t(4)), Some(t(12)))];
        assert_eq!(window_start(&d, 1), Some(t(12)), "when it ended");
        d.steps = vec![step(None, None)];
        assert_eq!(
            window_start(&d, 1),
            Some(t(25)),
            "no deadline of its own: the dossier's, moved too"
        );
        d.steps = vec![step(Some(t(30)), None)];
        assert_eq!(
            window_start(&d, 1),
            Some(t(25)),
            "overdue as the holder: by the dossier's deadline"
        );
    }

    #[test]
    fn the_head_decides_and_a_head_is_decided_a_level_up() {
        let officer = "/1/4/9/";
        let heads_own = Some(officer);
        assert!(may_decide(&head(Some("/1/4/9/")), officer, None));
        assert!(may_decide(&head(Some("/1/4/")), officer, None));
        assert!(
            !may_decide(&head(Some("/1/4/9/")), officer, heads_own),
            "not on their own unit's head"
        );
        assert!(may_decide(&head(Some("/1/4/")), officer, heads_own));
        assert!(!may_decide(&head(Some("/1/5/")), officer, None));
        assert!(may_decide(&head(None), officer, heads_own));
        let hr = Grant {
            role: Role::Hr,
            ..head(None)
        };
        assert!(!may_decide(&hr, officer, None), "HR sees, heads decide");
        // Promoted since to head the unit above the step's: neither the step's unit's
        // head, now their subordinate, nor a co-head of theirs decides; the level above does.
        let promoted = Some("/1/4/");
        assert!(!may_decide(&head(Some("/1/4/9/")), officer, promoted));
        assert!(!may_decide(&head(Some("/1/4/")), officer, promoted));
        assert!(may_decide(&head(Some("/1/")), officer, promoted));
    }
}
