//! Approved leave as one working day sees it: a whole day, or one half, or two halves
//! taken separately (annual leave in the morning and a business trip in the afternoon).

use chrono::NaiveDate;

use super::attendance::LeaveCover;
use super::codes::{HalfDay, LeaveKind};

/// The kinds of leave covering each half of one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayLeave {
    pub morning: Option<LeaveKind>,
    pub afternoon: Option<LeaveKind>,
}

impl DayLeave {
    /// The day's leave from the approved leaves covering it, each a kind and the half it
    /// takes (none: the whole day). The first leave of a half decides its kind.
    pub fn of(leaves: impl IntoIterator<Item = (LeaveKind, Option<HalfDay>)>) -> Option<DayLeave> {
        let mut day = DayLeave {
            morning: None,
            afternoon: None,
        };
        for (kind, half) in leaves {
            if half != Some(HalfDay::Afternoon) {
                day.morning = day.morning.or(Some(kind));
            }
            if half != Some(HalfDay::Morning) {
                day.afternoon = day.afternoon.or(Some(kind));
            }
        }
        (day.morning.is_some() || day.afternoon.is_some()).then_some(day)
    }

    /// What the leave excuses of the day's sessions.
    pub fn cover(self) -> LeaveCover {
        match (self.morning, self.afternoon) {
            (Some(_), None) => LeaveCover::Half(HalfDay::Morning),
            (None, Some(_)) => LeaveCover::Half(HalfDay::Afternoon),
            _ => LeaveCover::Full,
        }
    }

    /// The half covered, when leave covers only one.
    pub fn half(self) -> Option<HalfDay> {
        match self.cover() {
            LeaveCover::Half(h) => Some(h),
            LeaveCover::Full => None,
        }
    }
}

/// Whether two leaves of one person clash: their days overlap, unless they are the two
/// halves of one day.
pub fn clash(
    (from, to, half): (NaiveDate, NaiveDate, Option<HalfDay>),
    (other_from, other_to, other_half): (NaiveDate, NaiveDate, Option<HalfDay>),
) -> bool {
    let overlap = from <= other_to && other_from <= to;
    let halves_of_one_day = matches!((half, other_half), (Some(a), Some(b)) if a != b);
    overlap && !halves_of_one_day
}

#[cfg(test)]
mod tests {
    use super::*;
    use LeaveKind::*;

    #[test]
    fn halves_combine_into_a_day() {
        assert_eq!(DayLeave::of([]), None);
        let whole = DayLeave::of([(Sick, None)]).unwrap();
        assert_eq!((whole.cover(), whole.half()), (LeaveCover::Full, None));
        assert_eq!(whole.morning, Some(Sick));
        assert_eq!(whole.afternoon, Some(Sick));
        let morning = DayLeave::of([(Annual, Some(HalfDay::Morning))]).unwrap();
        assert_eq!(morning.cover(), LeaveCover::Half(HalfDay::Morning));
        assert_eq!(morning.half(), Some(HalfDay::Morning));
        let both = DayLeave::of([
            (BusinessTrip, Some(HalfDay::Afternoon)),
            (Annual, Some(HalfDay::Morning)),
        ])
        .unwrap();
        assert_eq!(both.cover(), LeaveCover::Full);
        assert_eq!(
            (both.morning, both.afternoon),
            (Some(Annual), Some(BusinessTrip))
        );
    }

    #[test]
    fn the_two_halves_of_one_day_do_not_clash() {
        let d = |day: u32| NaiveDate::from_ymd_opt(2026, 3, day).unwrap();
        let m = Some(HalfDay::Morning);
        let a = Some(HalfDay::Afternoon);
        assert!(!clash((d(2), d(2), m), (d(2), d(2), a)));
        assert!(
            clash((d(2), d(2), m), (d(2), d(2), m)),
            "the same half twice"
        );
        assert!(
            clash((d(2), d(2), m), (d(1), d(3), None)),
            "inside a whole leave"
        );
        assert!(
            clash((d(1), d(3), None), (d(3), d(5), None)),
            "a shared last day"
        );
        assert!(!clash((d(1), d(3), None), (d(4), d(5), None)));
    }
}
