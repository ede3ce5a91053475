//! The life of an inspection finding (RULES.md §8, API.md): a finding about a person
//! starts by asking them to explain within a deadline; one about the unit as a whole starts
//! `open` and its head explains. The team then concludes (upheld or dismissed); an upheld
//! finding may require corrective action with a deadline; only a concluded finding closes.
//! An upheld finding may be withdrawn on review (a complaint resolved, the wrong person
//! named), closed or not; a withdrawn one takes no further step.

use chrono::{Duration, NaiveDateTime};

use super::attendance::{to_local, to_utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// About the unit as a whole, waiting for its head's explanation.
    Open,
    /// About a person, waiting for their explanation until a deadline.
    ExplanationRequested,
    Explained,
    Upheld,
    Dismissed,
    ActionRequired,
    Closed,
    /// Upheld, then withdrawn on review: it counts nowhere.
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Open,
        Status::ExplanationRequested,
        Status::Explained,
        Status::Upheld,
        Status::Dismissed,
        Status::ActionRequired,
        Status::Closed,
        Status::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::ExplanationRequested => "explanation_requested",
            Status::Explained => "explained",
            Status::Upheld => "upheld",
            Status::Dismissed => "dismissed",
            Status::ActionRequired => "action_required",
            Status::Closed => "closed",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "Chờ đơn vị giải trình",
            Status::ExplanationRequested => "Yêu cầu giải trình",
            Status::Explained => "Đã giải trình",
            Status::Upheld => "Kết luận có vi phạm",
            Status::Dismissed => "Không vi phạm",
            Status::ActionRequired => "Yêu cầu khắc phục",
            Status::Closed => "Đã đóng",
            Status::Withdrawn => "Đã hủy kết luận",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The team has decided on the merits.
    pub fn is_concluded(self) -> bool {
        matches!(
            self,
            Status::Upheld
                | Status::Dismissed
                | Status::ActionRequired
                | Status::Closed
                | Status::Withdrawn
        )
    }
}

/// What someone wants to do to a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Explain,
    Uphold,
    Dismiss,
    RequireAction,
    Close,
    /// Withdraw an upheld conclusion (`outcome` upheld; checked by the caller).
    Withdraw,
}

/// The first status of a new finding.
pub fn initial(about_a_person: bool) -> Status {
    if about_a_person {
        Status::ExplanationRequested
    } else {
        Status::Open
    }
}

/// The status after `step`, or why it is not allowed from `from`.
pub fn next(from: Status, step: Step) -> Result<Status, &'static str> {
    use Status::*;
    match (from, step) {
        (Open | ExplanationRequested, Step::Explain) => Ok(Explained),
        (Explained, Step::Explain) => Err("the finding is already explained"),
        // The team may uphold without an explanation only once the deadline has passed
        // (`may_uphold` checks it); it may dismiss at any time.
        (Open | ExplanationRequested | Explained, Step::Uphold) => Ok(Upheld),
        (Open | ExplanationRequested | Explained, Step::Dismiss) => Ok(Dismissed),
        (Upheld, Step::RequireAction) => Ok(ActionRequired),
        (Upheld | Dismissed | ActionRequired, Step::Close) => Ok(Closed),
        (Open | ExplanationRequested | Explained, Step::Close) => {
            Err("a finding cannot be closed before it is concluded")
        }
        (Upheld | ActionRequired | Closed, Step::Withdraw) => Ok(Withdrawn),
        (Withdrawn, _) => Err("the finding is withdrawn"),
        (_, Step::Withdraw) => Err("only an upheld finding is withdrawn"),
        (Closed, _) => Err("the finding is closed"),
        (Upheld | Dismissed | ActionRequired, Step::Explain) => {
            Err("the finding is already concluded")
        }
        (Upheld | Dismissed | ActionRequired, Step::Uphold | Step::Dismiss) => {
            Err("the finding is already concluded")
        }
        (_, Step::RequireAction) => Err("only an upheld finding can require corrective action"),
    }
}

/// Whether the team may uphold the finding at `now`: the person (or the unit's head)
/// keeps the right to explain until the deadline, so a finding is upheld on an
/// explanation or after the deadline, never before. Dismissing harms no one and needs no
/// wait.
pub fn may_uphold(
    status: Status,
    deadline: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<(), &'static str> {
    if matches!(status, Status::Open | Status::ExplanationRequested)
        && deadline.is_some_and(|d| now <= d)
    {
        return Err(
            "the explanation deadline has not passed: uphold on an explanation or once it has",
        );
    }
    Ok(())
}

/// Whether an explanation is overdue at `now`.
pub fn explanation_overdue(
    status: Status,
    deadline: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> bool {
    matches!(status, Status::Open | Status::ExplanationRequested)
        && deadline.is_some_and(|d| now > d)
}

/// Whether corrective action is overdue at `now`.
pub fn action_overdue(status: Status, deadline: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    status == Status::ActionRequired && deadline.is_some_and(|d| now > d)
}

/// Whether an inspection may close: every finding concluded, unless the team says
/// explicitly that it closes with findings still open.
pub fn inspection_may_close(statuses: &[Status], force: bool) -> Result<(), &'static str> {
    if force || statuses.iter().all(|s| s.is_concluded()) {
        Ok(())
    } else {
        Err("findings are still open; conclude them or close explicitly with them open")
    }
}

/// When an explanation asked for at `now` (UTC) within `days` is due: the end of the local
/// day `days` later. A deadline of N days is a day's, as the corrective action's is, not
/// N x 24 hours from the minute the finding was written: one written at 16:00 on a Friday
/// could otherwise be concluded at 16:01 five days later, the person's evening to explain
/// taken away.
pub fn explanation_due(now: NaiveDateTime, days: i64) -> Option<NaiveDateTime> {
    let day = to_local(now).date() + Duration::days(days);
    day.and_hms_opt(23, 59, 59).map(to_utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explanation_is_due_at_the_end_of_a_local_day() {
        let utc = |d: u32, h: u32, m: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 3, d)
                .unwrap()
                .and_hms_opt(h, m, 0)
                .unwrap()
        };
        // Written Friday 6/3 at 16:00 in Hà Nội (09:00 UTC): due Wednesday 11/3 at
        // 23:59:59 local, 16:59:59 UTC.
        assert_eq!(
            explanation_due(utc(6, 9, 0), 5),
            Some(utc(11, 16, 59) + Duration::seconds(59))
        );
        // Written at 01:00 local on Saturday 7/3 (18:00 UTC on Friday): the local day
        // counts, not the UTC one.
        assert_eq!(
            explanation_due(utc(6, 18, 0), 1),
            Some(utc(8, 16, 59) + Duration::seconds(59))
        );
    }

    #[test]
    fn the_happy_paths() {
        let s = initial(true);
        assert_eq!(s, Status::ExplanationRequested);
        let s = next(s, Step::Explain).unwrap();
        let s = next(s, Step::Uphold).unwrap();
        let s = next(s, Step::RequireAction).unwrap();
        assert_eq!(next(s, Step::Close), Ok(Status::Closed));
        let unit = initial(false);
        assert_eq!(unit, Status::Open);
        assert_eq!(
            next(next(unit, Step::Dismiss).unwrap(), Step::Close),
            Ok(Status::Closed)
        );
    }

    #[test]
    fn guards() {
        assert!(
            next(Status::ExplanationRequested, Step::Close).is_err(),
            "not closed unconcluded"
        );
        assert!(next(Status::Explained, Step::Explain).is_err());
        assert!(next(Status::Dismissed, Step::RequireAction).is_err());
        assert!(
            next(Status::Upheld, Step::Dismiss).is_err(),
            "a conclusion stands"
        );
        assert!(next(Status::Closed, Step::Explain).is_err());
        for status in Status::ALL {
            let upheld = matches!(
                status,
                Status::Upheld | Status::ActionRequired | Status::Closed
            );
            assert_eq!(
                next(status, Step::Withdraw).is_ok(),
                upheld,
                "only an upheld conclusion is withdrawn: {status:?}"
            );
            assert!(next(Status::Withdrawn, Step::Close).is_err());
        }
        for status in Status::ALL {
            assert_eq!(Status::parse(status.code()), Some(status));
        }
    }

    #[test]
    fn deadlines_and_closing_inspections() {
        let t = |h| {
            chrono::NaiveDate::from_ymd_opt(2026, 3, 4)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
        };
        assert!(explanation_overdue(
            Status::ExplanationRequested,
            Some(t(9)),
            t(10)
        ));
        assert!(!explanation_overdue(Status::Explained, Some(t(9)), t(10)));
        assert!(!explanation_overdue(
            Status::ExplanationRequested,
            Some(t(11)),
            t(10)
        ));
        // Upholding waits for the explanation or the deadline (the minute itself included).
        assert!(may_uphold(Status::ExplanationRequested, Some(t(9)), t(9)).is_err());
        assert!(may_uphold(Status::ExplanationRequested, Some(t(9)), t(10)).is_ok());
        assert!(may_uphold(Status::Open, Some(t(11)), t(10)).is_err());
        assert!(may_uphold(Status::Explained, Some(t(11)), t(10)).is_ok());
        assert!(may_uphold(Status::Open, None, t(10)).is_ok());
        assert!(inspection_may_close(&[Status::Upheld, Status::Closed], false).is_ok());
        assert!(inspection_may_close(&[Status::Upheld, Status::Explained], false).is_err());
        assert!(
            inspection_may_close(&[Status::Explained], true).is_ok(),
            "explicitly"
        );
    }
}
