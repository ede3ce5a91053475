//! One-stop dossiers (hồ sơ thủ tục hành chính): result classes as the national portals
//! report them, attribution of lateness to the step that caused it, late ratios under the
//! two reporting conventions, and the satisfaction index. All times are local
//! (Asia/Ho_Chi_Minh) wall-clock times.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Dossier statuses (API.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DossierStatus {
    Received,
    InProgress,
    AwaitingSupplement,
    Finished,
    Returned,
    Cancelled,
}

impl DossierStatus {
    pub fn code(self) -> &'static str {
        match self {
            DossierStatus::Received => "received",
            DossierStatus::InProgress => "in_progress",
            DossierStatus::AwaitingSupplement => "awaiting_supplement",
            DossierStatus::Finished => "finished",
            DossierStatus::Returned => "returned",
            DossierStatus::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DossierStatus::Received => "Đã tiếp nhận",
            DossierStatus::InProgress => "Đang xử lý",
            DossierStatus::AwaitingSupplement => "Chờ bổ sung",
            DossierStatus::Finished => "Đã giải quyết",
            DossierStatus::Returned => "Trả lại",
            DossierStatus::Cancelled => "Đã hủy",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "received" => DossierStatus::Received,
            "in_progress" => DossierStatus::InProgress,
            "awaiting_supplement" => DossierStatus::AwaitingSupplement,
            "finished" => DossierStatus::Finished,
            "returned" => DossierStatus::Returned,
            "cancelled" => DossierStatus::Cancelled,
            _ => return None,
        })
    }

    /// Returned and cancelled dossiers were not resolved on their merits: they count in
    /// no ratio.
    pub fn counts(self) -> bool {
        !matches!(self, DossierStatus::Returned | DossierStatus::Cancelled)
    }
}

/// Where a dossier or a step stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Finished on a day before the due day (trước hạn).
    Early,
    /// Finished on the due day, not after the due time (đúng hạn).
    OnTime,
    /// Finished after the due time (trễ hạn).
    Late,
    /// Not finished, deadline not passed (or no deadline).
    Pending,
    /// Not finished and the deadline has passed (trễ hạn, still in process).
    Overdue,
    /// Waiting for the citizen to supplement: the clock is stopped.
    Paused,
}

impl Outcome {
    pub fn is_late(self) -> bool {
        matches!(self, Outcome::Late | Outcome::Overdue)
    }
}

/// Classifies a finished-or-not item with an optional deadline at local time `now`.
pub fn classify(
    due: Option<NaiveDateTime>,
    finished: Option<NaiveDateTime>,
    paused: bool,
    now: NaiveDateTime,
) -> Outcome {
    match (due, finished) {
        (None, Some(_)) => Outcome::OnTime,
        (None, None) => Outcome::Pending,
        (Some(due), Some(done)) if done > due => Outcome::Late,
        (Some(due), Some(done)) if done.date() < due.date() => Outcome::Early,
        (Some(_), Some(_)) => Outcome::OnTime,
        (Some(_), None) if paused => Outcome::Paused,
        (Some(due), None) if now > due => Outcome::Overdue,
        (Some(_), None) => Outcome::Pending,
    }
}

/// A dossier's deadline after the citizen's supplement: the time the clock stood still
/// (request to receipt of the supplement) is added.
pub fn effective_due(
    due: NaiveDateTime,
    supplement_requested: Option<NaiveDateTime>,
    supplement_received: Option<NaiveDateTime>,
) -> NaiveDateTime {
    match (supplement_requested, supplement_received) {
        (Some(from), Some(to)) if to > from && from < due => due + (to - from),
        _ => due,
    }
}

/// The supplement pause's two times for a stored dossier, in `was` status, re-sent in
/// `status` with `requested` and `received` as they now stand (sent, else stored): seen
/// going into `awaiting_supplement` with no request time, it was asked at `now`, when
/// the change was seen; seen leaving it with a request time and no receipt time, the
/// supplement came in at `now`. A bare status (the CSV of API.md has no supplement
/// columns; a feed may send `TrangThaiHoSo` alone) otherwise paused the dossier from no
/// known time, read as before any deadline: an overdue dossier left the overdue list and
/// its officer's register row went, and the pause was forgotten, the deadline unmoved,
/// once the status changed back. A new dossier is taken as sent. While it waits, and as
/// the wait ends, the request time stored (`stored_requested`) stays when a send gives
/// none: the same file sent again, its column empty, cleared the time congvu had
/// observed, and the dossier, paused from no known time again, left the overdue list.
/// A dossier that left the wait `finished` got its supplement no later than then: an
/// export read weeks after the dossier was finished took the receipt as the day it was
/// read, moved the deadline by all those weeks and made a late dossier early.
pub fn observed_pause(
    was: DossierStatus,
    status: DossierStatus,
    (requested, received): (Option<NaiveDateTime>, Option<NaiveDateTime>),
    stored_requested: Option<NaiveDateTime>,
    finished: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    let waiting = |s| s == DossierStatus::AwaitingSupplement;
    let requested = if waiting(was) {
        requested.or(stored_requested)
    } else {
        requested
    };
    match (waiting(was), waiting(status), requested, received) {
        (false, true, None, _) => (Some(now), received),
        (true, false, Some(asked), None) => {
            let came = finished.map_or(now, |f| f.min(now));
            (Some(asked), Some(came.max(asked)))
        }
        _ => (requested, received),
    }
}

/// One handling step as attribution sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub step_no: i32,
    pub staff_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub received_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
}

impl Step {
    /// Whether the step held the dossier at `due`: begun by then, not finished by then.
    pub fn held_at(&self, due: NaiveDateTime) -> bool {
        self.received_at.is_some_and(|r| r <= due) && self.finished_at.is_none_or(|f| f > due)
    }
}

/// A dossier as the rules see it (local times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dossier {
    pub status: DossierStatus,
    pub due: Option<NaiveDateTime>,
    pub finished: Option<NaiveDateTime>,
    pub supplement_requested: Option<NaiveDateTime>,
    pub supplement_received: Option<NaiveDateTime>,
    pub steps: Vec<Step>,
}

impl Dossier {
    /// The deadline after pauses for supplements; an apology's new date does not move it.
    pub fn due(&self) -> Option<NaiveDateTime> {
        self.due
            .map(|d| effective_due(d, self.supplement_requested, self.supplement_received))
    }

    pub fn paused(&self) -> bool {
        self.paused_before(self.due)
    }

    /// Whether the clock stands still now for something due at `due`: the citizen is
    /// supplementing, asked to before `due`. A supplement asked for once the deadline had
    /// passed stops no clock (it moves no deadline either, `effective_due`): the dossier
    /// stays overdue, in the overdue list and the register.
    fn paused_before(&self, due: Option<NaiveDateTime>) -> bool {
        let waiting = self.status == DossierStatus::AwaitingSupplement
            || (self.supplement_requested.is_some()
                && self.supplement_received.is_none()
                && self.finished.is_none());
        waiting
            && match (self.supplement_requested, due) {
                (Some(asked), Some(due)) => asked < due,
                _ => true,
            }
    }

    pub fn outcome(&self, now: NaiveDateTime) -> Outcome {
        classify(self.due(), self.finished, self.paused(), now)
    }

    /// A step's deadline after pauses for supplements, and whether it is paused now.
    fn step_clock(&self, s: &Step) -> (Option<NaiveDateTime>, bool) {
        // Only the part of the pause after the step began stood its clock still: a step
        // begun after the supplement came in got its deadline from the portal then, and
        // moving it by the whole pause would let it overrun unseen.
        let stood_from = match (self.supplement_requested, s.received_at) {
            (Some(asked), Some(began)) => Some(asked.max(began)),
            (asked, _) => asked,
        };
        let due = s
            .due_at
            .map(|d| effective_due(d, stood_from, self.supplement_received));
        (due, self.paused_before(s.due_at) && s.finished_at.is_none())
    }

    /// A step's own deadline as its lateness is judged: moved by the supplement pauses.
    pub fn step_due(&self, s: &Step) -> Option<NaiveDateTime> {
        self.step_clock(s).0
    }

    /// The deadline an unfinished step's lateness is dated by: for the step that held the
    /// dossier when the dossier fell due (begun by then, not finished by then), the first
    /// of its own deadline (moved by the pauses) and the dossier's, since it has been
    /// late from then, as the holder, or by its own; for any other, its own. It depends on
    /// the dossier alone, not on the day it is read, so the period an overdue step counts
    /// in, its register day and its dispute window stay where they are as time passes.
    pub fn judged_due(&self, s: &Step) -> Option<NaiveDateTime> {
        let own = self.step_due(s);
        match self.due() {
            Some(due) if s.held_at(due) => Some(own.map_or(due, |o| o.min(due))),
            due => own.or(due),
        }
    }

    /// Each step's outcome with the dossier's lateness attributed: a step late by its own
    /// deadline (moved by supplement pauses like the dossier's) is late. When the dossier
    /// is late, the step that held it when its deadline passed (begun by then, not
    /// finished by then) is late too if it had no deadline of its own, since the
    /// dossier's then judges it (ONESTOP.md), or if no step is late by its own. Without
    /// such a step, the dossier is late for its unit alone.
    pub fn step_outcomes(&self, now: NaiveDateTime) -> Vec<(i32, Outcome)> {
        // A dossier handed back is judged as it stood then: a step its log left open is
        // not overdue for a deadline that fell after the hand-back.
        let now = self.finished.map_or(now, |f| now.min(f));
        let mut out: Vec<(i32, Outcome)> = self
            .steps
            .iter()
            .map(|s| {
                let (due, paused) = self.step_clock(s);
                (s.step_no, classify(due, s.finished_at, paused, now))
            })
            .collect();
        let Some(due) = self.due().filter(|_| self.outcome(now).is_late()) else {
            return out;
        };
        let Some(holder) = self.steps.iter().find(|s| s.held_at(due)) else {
            return out;
        };
        // Late by its own: the outcomes above, a paused step's included (a step paused
        // past its own deadline is not late, so it does not take the dossier's lateness
        // off the holder).
        let any_late = out.iter().any(|(_, o)| o.is_late());
        if holder.due_at.is_none() || !any_late {
            for (step_no, outcome) in &mut out {
                if *step_no == holder.step_no && !outcome.is_late() {
                    *outcome = if holder.finished_at.is_some() {
                        Outcome::Late
                    } else {
                        Outcome::Overdue
                    };
                }
            }
        }
        out
    }
}

/// The two conventions for a late ratio (RULES.md §5.3), chosen per province.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LateRatioFormula {
    /// Late finished ÷ finished.
    Resolved,
    /// (Late finished + overdue in process) ÷ (finished + overdue in process).
    WithOverdue,
}

/// Counts behind a late ratio.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Tally {
    pub early: u64,
    pub on_time: u64,
    pub late: u64,
    /// Not finished, past the deadline.
    pub overdue: u64,
    /// Of `late`, how many wait for a decision on a dispute.
    pub late_disputed: u64,
    /// Of `overdue`, how many wait for a decision on a dispute.
    pub overdue_disputed: u64,
}

impl Tally {
    /// Counts an outcome as it stands after its dispute (if any), noting a pending one.
    pub fn add_disputed(&mut self, o: Outcome, dispute: Option<super::disputes::DisputeStatus>) {
        use super::disputes::{DisputeStatus, counted};
        if dispute == Some(DisputeStatus::Pending) {
            self.add_pending(o);
        }
        self.add(counted(o, dispute));
    }

    /// Notes that a dispute waits behind this (late or overdue) outcome.
    pub fn add_pending(&mut self, o: Outcome) {
        match o {
            Outcome::Late => self.late_disputed += 1,
            Outcome::Overdue => self.overdue_disputed += 1,
            _ => {}
        }
    }

    /// How many of the items the ratio counts as late wait for a dispute's decision.
    pub fn disputes_pending(&self, formula: LateRatioFormula) -> u64 {
        match formula {
            LateRatioFormula::Resolved => self.late_disputed,
            LateRatioFormula::WithOverdue => self.late_disputed + self.overdue_disputed,
        }
    }

    /// Adds another tally's counts: tallies of disjoint sets of steps, counted apart (on
    /// two connections at once), sum to the tally of their union.
    pub fn merge(&mut self, other: &Tally) {
        self.early += other.early;
        self.on_time += other.on_time;
        self.late += other.late;
        self.overdue += other.overdue;
        self.late_disputed += other.late_disputed;
        self.overdue_disputed += other.overdue_disputed;
    }

    pub fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Early => self.early += 1,
            Outcome::OnTime => self.on_time += 1,
            Outcome::Late => self.late += 1,
            Outcome::Overdue => self.overdue += 1,
            Outcome::Pending | Outcome::Paused => {}
        }
    }

    /// What the ratio divides by under `formula`.
    pub fn handled(&self, formula: LateRatioFormula) -> u64 {
        let finished = self.early + self.on_time + self.late;
        match formula {
            LateRatioFormula::Resolved => finished,
            LateRatioFormula::WithOverdue => finished + self.overdue,
        }
    }

    /// Late share in percent; None when nothing was handled (not 0 %).
    pub fn late_ratio(&self, formula: LateRatioFormula) -> Option<f64> {
        let handled = self.handled(formula);
        let late = match formula {
            LateRatioFormula::Resolved => self.late,
            LateRatioFormula::WithOverdue => self.late + self.overdue,
        };
        (handled > 0).then(|| round2(late as f64 * 100.0 / handled as f64))
    }
}

/// How far ahead the morning's overdue list reaches at local time `now`: without
/// `within_days`, what is overdue now; with it, what falls due by the end of that many days
/// from today (0: by the end of today, 1: by the end of tomorrow), as a head counts days.
pub fn due_horizon(now: NaiveDateTime, within_days: Option<i64>) -> NaiveDateTime {
    match within_days {
        None => now,
        Some(n) => (now.date() + chrono::Days::new(n.max(0).unsigned_abs()))
            .and_hms_micro_opt(23, 59, 59, 999_999)
            .unwrap_or(NaiveDateTime::MAX),
    }
}

/// Whether an item belongs to the period `from..=to`: finished in it, or (not finished)
/// fallen due in it by `now`.
pub fn in_period(
    due: Option<NaiveDateTime>,
    finished: Option<NaiveDateTime>,
    from: NaiveDate,
    to: NaiveDate,
    now: NaiveDateTime,
) -> bool {
    let inside = |t: NaiveDateTime| from <= t.date() && t.date() <= to;
    match finished {
        Some(f) => inside(f),
        None => due.is_some_and(|d| d < now && inside(d)),
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A survey answer: yes/no, or a score 1–5 that counts as satisfied from `threshold` up.
pub fn satisfied(flag: Option<bool>, score: Option<i32>, threshold: i32) -> bool {
    match (flag, score) {
        (Some(f), _) => f,
        (None, Some(s)) => s >= threshold,
        (None, None) => false,
    }
}

/// The satisfaction index in percent; None without responses.
pub fn satisfaction_index(responses: u64, satisfied: u64) -> Option<f64> {
    (responses > 0).then(|| round2(satisfied as f64 * 100.0 / responses as f64))
}

/// Parses the date-times one-stop systems send: `yyyyMMddHHmmss` (the national portal's
/// format), `yyyy-MM-ddTHH:mm:ss[.fff]`, `yyyy-MM-dd HH:mm[:ss]` or a bare date (midnight,
/// or with `end_of_day` 23:59:59, for deadlines given as a day), all local time; or
/// RFC 3339 with an offset, as the API's times are (`2026-03-04T07:05:00Z` is 14:05 in
/// Asia/Ho_Chi_Minh). Before, a time with an offset was refused as no date-time.
pub fn parse_local(s: &str, end_of_day: bool) -> Option<NaiveDateTime> {
    use chrono::{Datelike, Timelike};
    // Whole seconds: the databases keep fractions differently (a 7-digit .NET fraction
    // would read back changed and make every re-send an update); no date outside the
    // years an administration's records span.
    parse_any(s, end_of_day)
        .and_then(|t| t.with_nanosecond(0))
        .filter(|t| (1990..=2100).contains(&t.year()))
}

fn parse_any(s: &str, end_of_day: bool) -> Option<NaiveDateTime> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&super::attendance::TZ).naive_local());
    }
    for fmt in [
        "%Y%m%d%H%M%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t);
        }
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y%m%d"))
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()?;
    Some(if end_of_day {
        day.and_hms_opt(23, 59, 59)?
    } else {
        day.and_hms_opt(0, 0, 0)?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overdue_list_counts_whole_days() {
        let d = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        let now = d("2026-12-06 08:00:00");
        assert_eq!(due_horizon(now, None), now, "overdue now");
        let today = due_horizon(now, Some(0));
        assert!(today >= d("2026-12-06 23:59:59") && today < d("2026-12-07 00:00:00"));
        // A deadline tomorrow afternoon is within one day, whatever the hour now.
        assert!(d("2026-12-07 17:00:00") <= due_horizon(now, Some(1)));
        assert!(d("2026-12-08 00:00:00") > due_horizon(now, Some(1)));
        // Across the year's end.
        let eve = d("2026-12-31 23:00:00");
        assert!(d("2027-01-01 17:00:00") <= due_horizon(eve, Some(1)));
    }

    fn t(d: u32, h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, d)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    #[test]
    fn portal_classes() {
        let due = Some(t(10, 17, 0));
        let now = t(20, 0, 0);
        assert_eq!(classify(due, Some(t(9, 10, 0)), false, now), Outcome::Early);
        assert_eq!(
            classify(due, Some(t(10, 8, 0)), false, now),
            Outcome::OnTime,
            "the due day itself"
        );
        assert_eq!(
            classify(due, Some(t(10, 17, 0)), false, now),
            Outcome::OnTime,
            "at the due time exactly"
        );
        assert_eq!(
            classify(due, Some(t(10, 17, 1)), false, now),
            Outcome::Late,
            "one minute after"
        );
        assert_eq!(classify(due, None, false, t(10, 16, 0)), Outcome::Pending);
        assert_eq!(classify(due, None, false, now), Outcome::Overdue);
        assert_eq!(
            classify(due, None, true, now),
            Outcome::Paused,
            "the clock stops for a supplement"
        );
        assert_eq!(
            classify(None, None, false, now),
            Outcome::Pending,
            "no deadline, never late by itself"
        );
    }

    #[test]
    fn supplements_extend_the_deadline() {
        let due = t(10, 17, 0);
        assert_eq!(
            effective_due(due, Some(t(5, 9, 0)), Some(t(8, 9, 0))),
            t(13, 17, 0)
        );
        assert_eq!(
            effective_due(due, Some(t(5, 9, 0)), None),
            due,
            "still waiting: Paused decides"
        );
        assert_eq!(
            effective_due(due, Some(t(12, 9, 0)), Some(t(14, 9, 0))),
            due,
            "asked after the deadline"
        );
    }

    fn step(
        no: i32,
        staff: i64,
        received: NaiveDateTime,
        due: Option<NaiveDateTime>,
        finished: Option<NaiveDateTime>,
    ) -> Step {
        Step {
            step_no: no,
            staff_id: Some(staff),
            unit_id: Some(1),
            received_at: Some(received),
            due_at: due,
            finished_at: finished,
        }
    }

    fn finished(due: NaiveDateTime, done: NaiveDateTime, steps: Vec<Step>) -> Dossier {
        Dossier {
            status: DossierStatus::Finished,
            due: Some(due),
            finished: Some(done),
            supplement_requested: None,
            supplement_received: None,
            steps,
        }
    }

    #[test]
    fn lateness_goes_to_the_step_that_overran() {
        // Due 8/3 17:00, finished 9/3: step 2 overran its own deadline; step 3, which
        // held the dossier then, kept its own.
        let d = finished(
            t(8, 17, 0),
            t(9, 9, 0),
            vec![
                step(1, 10, t(1, 8, 0), Some(t(1, 17, 0)), Some(t(1, 15, 0))),
                step(2, 20, t(1, 15, 0), Some(t(3, 17, 0)), Some(t(6, 9, 0))),
                step(3, 30, t(6, 9, 0), Some(t(9, 17, 0)), Some(t(9, 9, 0))),
            ],
        );
        assert_eq!(
            d.step_outcomes(t(30, 0, 0)),
            vec![
                (1, Outcome::OnTime),
                (2, Outcome::Late),
                (3, Outcome::OnTime)
            ]
        );
    }

    #[test]
    fn a_holder_without_a_deadline_of_its_own_is_judged_by_the_dossiers() {
        // Due 12/3 17:00, finished 16/3. The desk overran its half hour on 10/3; officer
        // B, with no deadline of their own, held the dossier from 10/3 to 16/3: late by
        // the dossier's deadline, whatever the desk did (ONESTOP.md). Before, the desk's
        // lateness took it off B, and with the desk's dispute accepted the dossier, four
        // days late, was late for nobody.
        let d = finished(
            t(12, 17, 0),
            t(16, 10, 0),
            vec![
                step(1, 10, t(10, 8, 0), Some(t(10, 9, 0)), Some(t(10, 9, 30))),
                step(2, 20, t(10, 9, 30), None, Some(t(16, 10, 0))),
            ],
        );
        let now = t(30, 0, 0);
        assert_eq!(
            d.step_outcomes(now),
            vec![(1, Outcome::Late), (2, Outcome::Late)]
        );
        // Open on 14/3: overdue since 12/3.
        let open = Dossier {
            status: DossierStatus::InProgress,
            finished: None,
            steps: vec![
                d.steps[0].clone(),
                Step {
                    finished_at: None,
                    ..d.steps[1].clone()
                },
            ],
            ..d.clone()
        };
        assert_eq!(
            open.step_outcomes(t(14, 9, 0)),
            vec![(1, Outcome::Late), (2, Outcome::Overdue)]
        );
        assert_eq!(open.judged_due(&open.steps[1]), Some(t(12, 17, 0)));
        // A holder with a deadline of its own that it kept is not blamed while another
        // step overran its own.
        let kept = Dossier {
            steps: vec![
                d.steps[0].clone(),
                Step {
                    due_at: Some(t(17, 17, 0)),
                    ..d.steps[1].clone()
                },
            ],
            ..d
        };
        assert_eq!(
            kept.step_outcomes(now),
            vec![(1, Outcome::Late), (2, Outcome::Early)]
        );
    }

    #[test]
    fn an_overdue_holder_is_dated_by_the_dossiers_deadline_for_good() {
        // Due 12/3; the open step's own deadline is 16/3. On 14/3 it holds an overdue
        // dossier: overdue since 12/3, in 12/3's period, and still so once its own has
        // passed. A step begun after 12/3 is dated by its own.
        let d = Dossier {
            status: DossierStatus::InProgress,
            due: Some(t(12, 17, 0)),
            finished: None,
            supplement_requested: None,
            supplement_received: None,
            steps: vec![
                step(1, 10, t(9, 8, 0), Some(t(10, 17, 0)), Some(t(10, 9, 0))),
                step(2, 20, t(10, 9, 0), Some(t(16, 17, 0)), None),
                step(3, 30, t(13, 9, 0), Some(t(15, 17, 0)), None),
            ],
        };
        let on_14 = t(14, 9, 0);
        assert_eq!(d.step_outcomes(on_14)[1], (2, Outcome::Overdue));
        assert_eq!(d.judged_due(&d.steps[1]), Some(t(12, 17, 0)));
        assert!(in_period(
            d.judged_due(&d.steps[1]),
            None,
            t(12, 0, 0).date(),
            t(12, 0, 0).date(),
            on_14
        ));
        assert_eq!(d.step_outcomes(t(17, 9, 0))[1], (2, Outcome::Overdue));
        assert_eq!(d.judged_due(&d.steps[1]), Some(t(12, 17, 0)));
        assert_eq!(d.judged_due(&d.steps[2]), Some(t(15, 17, 0)));
        // A holder whose own deadline came first is late from it.
        let mut first = d.clone();
        first.steps[1].due_at = Some(t(11, 17, 0));
        assert_eq!(first.judged_due(&first.steps[1]), Some(t(11, 17, 0)));
    }

    #[test]
    fn a_dossier_handed_back_is_judged_as_it_stood_then() {
        // Finished on time 11/3; its log left step 2 open, due 13/3; read on 20/3.
        let d = Dossier {
            status: DossierStatus::Finished,
            due: Some(t(12, 17, 0)),
            finished: Some(t(11, 9, 0)),
            supplement_requested: None,
            supplement_received: None,
            steps: vec![
                step(1, 10, t(9, 8, 0), Some(t(10, 17, 0)), Some(t(10, 9, 0))),
                step(2, 20, t(10, 9, 0), Some(t(13, 17, 0)), None),
                step(3, 30, t(9, 9, 0), Some(t(10, 12, 0)), None),
            ],
        };
        let later = t(20, 9, 0);
        assert_eq!(
            d.step_outcomes(later),
            vec![
                (1, Outcome::OnTime),
                (2, Outcome::Pending),
                (3, Outcome::Overdue)
            ],
            "only a deadline passed by the hand-back is overdue"
        );
    }

    #[test]
    fn a_pause_seen_by_its_status_alone_is_timed_when_seen() {
        use DossierStatus::{AwaitingSupplement as Waiting, Finished, InProgress};
        let now = t(14, 9, 0);
        // Into the wait with no time: asked now. An overdue dossier (due 12/3) stays
        // overdue: asked after its deadline.
        assert_eq!(
            observed_pause(InProgress, Waiting, (None, None), None, None, now),
            (Some(now), None)
        );
        let d = Dossier {
            status: Waiting,
            due: Some(t(12, 17, 0)),
            finished: None,
            supplement_requested: Some(now),
            supplement_received: None,
            steps: vec![],
        };
        assert_eq!(d.outcome(t(15, 9, 0)), Outcome::Overdue);
        // A time sent (or stored) is kept.
        assert_eq!(
            observed_pause(
                InProgress,
                Waiting,
                (Some(t(10, 9, 0)), None),
                None,
                None,
                now
            ),
            (Some(t(10, 9, 0)), None)
        );
        // Out of the wait with no receipt: received now, the deadline moved by the pause.
        assert_eq!(
            observed_pause(
                Waiting,
                InProgress,
                (Some(t(10, 9, 0)), None),
                None,
                None,
                now
            ),
            (Some(t(10, 9, 0)), Some(now))
        );
        assert_eq!(
            observed_pause(
                Waiting,
                Finished,
                (Some(t(10, 9, 0)), Some(t(11, 9, 0))),
                None,
                None,
                now
            ),
            (Some(t(10, 9, 0)), Some(t(11, 9, 0)))
        );
        // Still waiting, or never: nothing changes; nor for a wait with no time at all
        // when leaving it (nothing to time it from).
        assert_eq!(
            observed_pause(Waiting, Waiting, (None, None), None, None, now),
            (None, None)
        );
        assert_eq!(
            observed_pause(InProgress, Finished, (None, None), None, None, now),
            (None, None)
        );
        assert_eq!(
            observed_pause(Waiting, InProgress, (None, None), None, None, now),
            (None, None)
        );
        // A send that clears the time congvu observed (the same file again, its column
        // empty) keeps it, waiting and as the wait ends.
        let asked = Some(t(13, 9, 0));
        assert_eq!(
            observed_pause(Waiting, Waiting, (None, None), asked, None, now),
            (asked, None)
        );
        assert_eq!(
            observed_pause(Waiting, InProgress, (None, None), asked, None, now),
            (asked, Some(now))
        );
        // Finished while waiting, read later with no receipt time: received by the time
        // it was finished (before, at `now`, moving its deadline by the days since).
        assert_eq!(
            observed_pause(
                Waiting,
                Finished,
                (None, None),
                asked,
                Some(t(13, 15, 0)),
                now
            ),
            (asked, Some(t(13, 15, 0)))
        );
        assert_eq!(
            observed_pause(
                Waiting,
                Finished,
                (None, None),
                asked,
                Some(t(20, 8, 0)),
                now
            ),
            (asked, Some(now)),
            "a finish after now (a clock ahead) waits for now"
        );
    }

    #[test]
    fn without_a_holder_the_dossier_is_late_for_its_unit_alone() {
        // Due 5/3; step 1 was done 2/3 and step 2 began 6/3: nobody held it then.
        let d = finished(
            t(5, 17, 0),
            t(9, 15, 0),
            vec![
                step(1, 10, t(1, 8, 0), None, Some(t(2, 9, 0))),
                step(2, 20, t(6, 9, 0), None, Some(t(9, 15, 0))),
            ],
        );
        assert_eq!(d.outcome(t(30, 0, 0)), Outcome::Late);
        assert_eq!(
            d.step_outcomes(t(30, 0, 0)),
            vec![(1, Outcome::OnTime), (2, Outcome::OnTime)]
        );
        assert!(
            finished(t(5, 17, 0), t(9, 15, 0), vec![])
                .step_outcomes(t(30, 0, 0))
                .is_empty()
        );
    }

    #[test]
    fn a_dossier_attributes_its_lateness_to_a_step() {
        let now = t(30, 0, 0);
        let d = Dossier {
            status: DossierStatus::Finished,
            due: Some(t(5, 17, 0)),
            finished: Some(t(9, 15, 0)),
            supplement_requested: None,
            supplement_received: None,
            steps: vec![
                step(1, 10, t(1, 8, 0), None, Some(t(2, 9, 0))),
                step(2, 20, t(2, 9, 0), None, Some(t(9, 9, 0))),
                step(3, 30, t(9, 9, 0), None, Some(t(9, 15, 0))),
            ],
        };
        assert_eq!(d.outcome(now), Outcome::Late);
        assert_eq!(
            d.step_outcomes(now),
            vec![
                (1, Outcome::OnTime),
                (2, Outcome::Late),
                (3, Outcome::OnTime)
            ]
        );
        // A supplement of five days moves the deadline past the finish: on time.
        let paused = Dossier {
            supplement_requested: Some(t(3, 9, 0)),
            supplement_received: Some(t(8, 9, 0)),
            ..d.clone()
        };
        assert_eq!(
            paused.outcome(now),
            Outcome::Early,
            "due the 10th, done the 9th"
        );
        assert!(paused.step_outcomes(now).iter().all(|(_, o)| !o.is_late()));
        let waiting = Dossier {
            status: DossierStatus::AwaitingSupplement,
            finished: None,
            supplement_requested: Some(t(3, 9, 0)),
            ..d
        };
        assert_eq!(
            waiting.outcome(now),
            Outcome::Paused,
            "not overdue while the citizen supplements"
        );
    }

    #[test]
    fn a_pause_moves_a_step_by_what_it_took_of_the_steps_time() {
        let now = t(30, 0, 0);
        let d = Dossier {
            status: DossierStatus::Finished,
            due: Some(t(20, 17, 0)),
            finished: Some(t(19, 9, 0)),
            // The citizen supplemented from the 5th to the 12th (7 days).
            supplement_requested: Some(t(5, 9, 0)),
            supplement_received: Some(t(12, 9, 0)),
            steps: vec![
                // Under way through the whole pause: its deadline moves 7 days.
                step(1, 10, t(2, 8, 0), Some(t(8, 17, 0)), Some(t(14, 9, 0))),
                // Begun during the pause, on the 10th: 2 days of it.
                step(2, 20, t(10, 9, 0), Some(t(14, 17, 0)), Some(t(16, 10, 0))),
                // Begun after it, its deadline set then: it does not move.
                step(3, 30, t(12, 9, 0), Some(t(14, 17, 0)), Some(t(19, 9, 0))),
            ],
        };
        assert_eq!(d.step_due(&d.steps[0]), Some(t(15, 17, 0)));
        assert_eq!(d.step_due(&d.steps[1]), Some(t(16, 17, 0)));
        assert_eq!(d.step_due(&d.steps[2]), Some(t(14, 17, 0)));
        assert_eq!(
            d.step_outcomes(now),
            vec![
                (1, Outcome::Early),
                (2, Outcome::OnTime),
                (3, Outcome::Late)
            ],
            "before, step 3's deadline moved to the 21st and it was early"
        );
    }

    #[test]
    fn a_supplement_asked_for_after_the_deadline_stops_no_clock() {
        let now = t(20, 0, 0);
        let d = Dossier {
            status: DossierStatus::AwaitingSupplement,
            due: Some(t(10, 17, 0)),
            finished: None,
            supplement_requested: Some(t(12, 9, 0)),
            supplement_received: None,
            steps: vec![step(1, 10, t(1, 8, 0), Some(t(9, 17, 0)), None)],
        };
        assert!(!d.paused());
        assert_eq!(d.outcome(now), Outcome::Overdue, "still overdue");
        assert_eq!(d.step_outcomes(now), vec![(1, Outcome::Overdue)]);
        // Asked for in time, it stops the dossier's clock, and that of a step still due.
        let in_time = Dossier {
            supplement_requested: Some(t(8, 9, 0)),
            ..d.clone()
        };
        assert_eq!(in_time.outcome(now), Outcome::Paused);
        assert_eq!(in_time.step_outcomes(now), vec![(1, Outcome::Paused)]);
        // A step whose own deadline had passed when it was asked for stays overdue.
        let step_past = Dossier {
            supplement_requested: Some(t(9, 18, 0)),
            ..d
        };
        assert_eq!(step_past.outcome(now), Outcome::Paused);
        assert_eq!(step_past.step_outcomes(now), vec![(1, Outcome::Overdue)]);
    }

    #[test]
    fn late_ratio_conventions_and_empty_periods() {
        let mut t = Tally::default();
        assert_eq!(
            t.late_ratio(LateRatioFormula::Resolved),
            None,
            "nothing handled: no ratio, not 0 %"
        );
        for o in [
            Outcome::Early,
            Outcome::OnTime,
            Outcome::OnTime,
            Outcome::Late,
            Outcome::Overdue,
            Outcome::Pending,
        ] {
            t.add(o);
        }
        assert_eq!(t.handled(LateRatioFormula::Resolved), 4);
        assert_eq!(t.late_ratio(LateRatioFormula::Resolved), Some(25.0));
        assert_eq!(t.handled(LateRatioFormula::WithOverdue), 5);
        assert_eq!(t.late_ratio(LateRatioFormula::WithOverdue), Some(40.0));
        // The 10 % boundary of Khánh Hòa's rule: 1 late in 10 is exactly 10 %.
        let mut b = Tally {
            on_time: 9,
            late: 1,
            ..Tally::default()
        };
        assert_eq!(b.late_ratio(LateRatioFormula::Resolved), Some(10.0));
        b.on_time = 2;
        assert_eq!(b.late_ratio(LateRatioFormula::Resolved), Some(33.33));
    }

    #[test]
    fn tallies_counted_apart_merge_to_the_whole() {
        use crate::domain::disputes::DisputeStatus;
        let outcomes = [
            (Outcome::Early, None),
            (Outcome::Late, Some(DisputeStatus::Pending)),
            (Outcome::Overdue, Some(DisputeStatus::Pending)),
            (Outcome::Late, Some(DisputeStatus::Accepted)),
            (Outcome::OnTime, None),
            (Outcome::Overdue, None),
        ];
        let mut whole = Tally::default();
        for (o, d) in outcomes {
            whole.add_disputed(o, d);
        }
        let (mut first, mut second) = (Tally::default(), Tally::default());
        for (i, (o, d)) in outcomes.into_iter().enumerate() {
            if i % 2 == 0 { &mut first } else { &mut second }.add_disputed(o, d);
        }
        first.merge(&second);
        assert_eq!(first, whole);
        assert_eq!(whole.late_disputed + whole.overdue_disputed, 2);
    }

    #[test]
    fn periods() {
        let (from, to) = (
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        );
        let now = t(20, 0, 0);
        assert!(in_period(None, Some(t(5, 9, 0)), from, to, now));
        assert!(
            in_period(Some(t(10, 0, 0)), None, from, to, now),
            "fell due, unfinished"
        );
        assert!(
            !in_period(Some(t(25, 0, 0)), None, from, to, now),
            "not due yet"
        );
    }

    #[test]
    fn satisfaction() {
        assert!(satisfied(None, Some(4), 4));
        assert!(!satisfied(None, Some(3), 4));
        assert!(satisfied(Some(true), Some(1), 4), "an explicit answer wins");
        assert_eq!(satisfaction_index(0, 0), None);
        assert_eq!(satisfaction_index(5, 4), Some(80.0), "the 80 % boundary");
    }

    #[test]
    fn portal_date_formats() {
        let want = t(4, 14, 5);
        assert_eq!(parse_local("20260304140500", false), Some(want));
        assert_eq!(parse_local("2026-03-04T14:05:00", false), Some(want));
        assert_eq!(
            parse_local("2026-03-04T14:05:00.250", false).map(|x| x.date()),
            Some(want.date())
        );
        assert_eq!(parse_local("2026-03-04 14:05", false), Some(want));
        // With an offset, as the API's times are: the local wall-clock time.
        assert_eq!(parse_local("2026-03-04T14:05:00+07:00", false), Some(want));
        assert_eq!(parse_local("2026-03-04T07:05:00Z", false), Some(want));
        assert_eq!(
            parse_local("2026-03-04T09:05:00.4+02:00", false),
            Some(want)
        );
        assert_eq!(
            parse_local("2026-03-03T17:05:00Z", false),
            Some(t(4, 0, 5)),
            "past midnight in Hà Nội"
        );
        assert_eq!(
            parse_local("2026-03-04", true),
            Some(
                NaiveDate::from_ymd_opt(2026, 3, 4)
                    .unwrap()
                    .and_hms_opt(23, 59, 59)
                    .unwrap()
            )
        );
        assert_eq!(
            parse_local("04/03/2026", false).map(|x| x.date()),
            Some(want.date())
        );
        assert_eq!(parse_local("", false), None);
        assert_eq!(parse_local("tomorrow", false), None);
    }
}
