//! The monthly timesheet (bảng chấm công): one symbol per person and day, and totals.

use serde::Serialize;
use utoipa::ToSchema;

use super::codes::{AttendanceStatus, HalfDay, LeaveKind};
use super::leave::DayLeave;

/// The symbol a day shows, in the conventions of Vietnamese timesheets. A day with half a
/// day of leave shows both halves, morning first: `P/+` for a morning's annual leave and
/// an afternoon on time, `M/P` for a late morning and an afternoon's leave; a day on two
/// kinds of leave shows both (`P/CT`).
pub fn symbol(status: AttendanceStatus, leave: Option<DayLeave>) -> String {
    use AttendanceStatus::*;
    let (morning, afternoon) = leave.map_or((None, None), |l| (l.morning, l.afternoon));
    let halves = |m: &str, a: &str| {
        if m == a {
            m.to_owned()
        } else {
            format!("{m}/{a}")
        }
    };
    match status {
        OnLeave => halves(
            leave_symbol(morning.or(afternoon)),
            leave_symbol(afternoon.or(morning)),
        ),
        Weekend | Holiday => day_symbol(status).to_owned(),
        // A working day judged on the half that leave does not cover.
        _ => match (morning, afternoon) {
            (Some(kind), None) => format!("{}/{}", leave_symbol(Some(kind)), day_symbol(status)),
            (None, Some(kind)) => format!("{}/{}", day_symbol(status), leave_symbol(Some(kind))),
            _ => day_symbol(status).to_owned(),
        },
    }
}

/// The symbol of a day (or half a day) not on leave.
fn day_symbol(status: AttendanceStatus) -> &'static str {
    use AttendanceStatus::*;
    match status {
        Present => "+",
        Late => "M",
        EarlyLeave => "S",
        LateAndEarlyLeave => "MS",
        Absent => "V",
        Incomplete => "?",
        Holiday => "L",
        Weekend => "",
        OnLeave => "P",
    }
}

fn leave_symbol(leave: Option<LeaveKind>) -> &'static str {
    match leave {
        Some(LeaveKind::Annual) | None => "P",
        Some(LeaveKind::Sick) => "Ô",
        Some(LeaveKind::Maternity) => "TS",
        Some(LeaveKind::BusinessTrip) => "CT",
        Some(LeaveKind::Study) => "H",
        Some(LeaveKind::Personal) => "R",
        Some(LeaveKind::Other) => "N",
    }
}

/// How many halves of the day the status stands for: one when half a day of leave
/// covers the other half of a working day, else two. (A day judged wholly as leave, or
/// a weekend or holiday, is that whole day.)
fn halves_of(status: AttendanceStatus, half: Option<HalfDay>) -> u32 {
    use AttendanceStatus::*;
    match (status, half) {
        (OnLeave | Weekend | Holiday, _) | (_, None) => 2,
        (_, Some(_)) => 1,
    }
}

/// The legend printed with the timesheet.
pub const LEGEND: &[(&str, &str)] = &[
    ("+", "Có mặt đúng giờ"),
    ("M", "Đi muộn"),
    ("S", "Về sớm"),
    ("MS", "Đi muộn và về sớm"),
    ("V", "Vắng mặt không lý do"),
    ("?", "Thiếu dữ liệu chấm công"),
    ("L", "Nghỉ lễ, nghỉ bù"),
    ("P", "Nghỉ phép năm"),
    ("Ô", "Nghỉ ốm"),
    ("TS", "Nghỉ thai sản"),
    ("CT", "Đi công tác"),
    ("H", "Đi học"),
    ("R", "Nghỉ việc riêng"),
    ("N", "Nghỉ khác"),
    ("X/Y", "Nửa ngày: buổi sáng X, buổi chiều Y (nghỉ nửa ngày)"),
];

/// A number of days counted by halves: half a day of leave leaves the other half worked
/// or absent. Written as a JSON number, whole days without a decimal point (`21`, `20.5`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Days {
    halves: u32,
}

impl Days {
    pub fn halves(halves: u32) -> Days {
        Days { halves }
    }

    fn add(&mut self, halves: u32) {
        self.halves += halves;
    }

    /// As a number of days (20.5), for a spreadsheet cell that sums.
    pub fn value(self) -> f64 {
        f64::from(self.halves) / 2.0
    }
}

impl std::fmt::Display for Days {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.halves % 2 {
            0 => write!(f, "{}", self.halves / 2),
            _ => write!(f, "{}.5", self.halves / 2),
        }
    }
}

impl Serialize for Days {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.halves % 2 {
            0 => s.serialize_u32(self.halves / 2),
            _ => s.serialize_f64(f64::from(self.halves) / 2.0),
        }
    }
}

/// Totals of one person's month.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Totals {
    /// Working days attended (on time, late, early or incomplete); a day with half a day
    /// of leave counts half.
    #[schema(value_type = f64)]
    pub days_worked: Days,
    pub late_count: u32,
    pub late_minutes: i64,
    pub early_leave_count: u32,
    pub early_leave_minutes: i64,
    /// Working days absent without reason; half when half a day of leave covers the other.
    #[schema(value_type = f64)]
    pub absent_days: Days,
    /// Days of leave, business trips aside; a half day counts half.
    #[schema(value_type = f64)]
    pub leave_days: Days,
    /// Days away on business (`CT`): work done elsewhere, which HR pays as work, not
    /// leave; a half day counts half.
    #[schema(value_type = f64)]
    pub business_trip_days: Days,
    pub worked_minutes: i64,
}

impl Totals {
    /// Adds a day, with the leave that covers it, if any.
    pub fn add(
        &mut self,
        status: AttendanceStatus,
        leave: Option<DayLeave>,
        late: i64,
        early: i64,
        worked: i64,
    ) {
        use AttendanceStatus::*;
        let own = halves_of(status, leave.and_then(DayLeave::half));
        if matches!(
            status,
            Present | Late | EarlyLeave | LateAndEarlyLeave | Incomplete
        ) {
            self.days_worked.add(own);
        }
        if late > 0 {
            self.late_count += 1;
            self.late_minutes += late;
        }
        if early > 0 {
            self.early_leave_count += 1;
            self.early_leave_minutes += early;
        }
        if status == Absent {
            self.absent_days.add(own);
        }
        // The halves leave covers, each by its kind, as the day's symbol shows them.
        let (morning, afternoon) = leave.map_or((None, None), |l| (l.morning, l.afternoon));
        let covered = match status {
            OnLeave => vec![morning.or(afternoon), afternoon.or(morning)],
            _ if own == 1 => vec![morning.or(afternoon)],
            _ => Vec::new(),
        };
        for kind in covered {
            match kind {
                Some(LeaveKind::BusinessTrip) => self.business_trip_days.add(1),
                _ => self.leave_days.add(1),
            }
        }
        self.worked_minutes += worked;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_and_totals() {
        assert_eq!(
            symbol(AttendanceStatus::OnLeave, leave(&[(LeaveKind::Sick, None)])),
            "Ô"
        );
        assert_eq!(symbol(AttendanceStatus::Weekend, None), "");
        assert!(LEGEND.iter().all(|(s, _)| !s.is_empty()));
        let mut t = Totals::default();
        t.add(AttendanceStatus::Present, None, 0, 0, 450);
        t.add(AttendanceStatus::LateAndEarlyLeave, None, 12, 30, 400);
        t.add(AttendanceStatus::Absent, None, 0, 0, 0);
        t.add(
            AttendanceStatus::OnLeave,
            leave(&[(LeaveKind::Annual, None)]),
            0,
            0,
            0,
        );
        t.add(AttendanceStatus::Weekend, None, 0, 0, 0);
        assert_eq!(
            (
                t.days_worked,
                t.late_count,
                t.late_minutes,
                t.early_leave_count
            ),
            (Days::halves(4), 1, 12, 1)
        );
        assert_eq!(
            (t.absent_days, t.leave_days, t.worked_minutes),
            (Days::halves(2), Days::halves(2), 850)
        );
        assert_eq!(
            serde_json::to_value(&t).unwrap()["days_worked"],
            serde_json::json!(2),
            "whole days stay integers"
        );
    }

    fn leave(leaves: &[(LeaveKind, Option<HalfDay>)]) -> Option<DayLeave> {
        DayLeave::of(leaves.iter().copied())
    }

    #[test]
    fn half_a_day_of_leave_leaves_the_other_half() {
        use AttendanceStatus::*;
        let morning = leave(&[(LeaveKind::Annual, Some(HalfDay::Morning))]);
        // A morning's leave, the afternoon on time: half worked, half leave.
        assert_eq!(symbol(Present, morning), "P/+");
        // The afternoon's business trip after a late morning.
        assert_eq!(
            symbol(
                Late,
                leave(&[(LeaveKind::BusinessTrip, Some(HalfDay::Afternoon))])
            ),
            "M/CT"
        );
        // A morning's leave and nobody in the afternoon: half absent.
        assert_eq!(symbol(Absent, morning), "P/V");
        // Half a day of leave on a holiday is the holiday.
        assert_eq!(symbol(Holiday, morning), "L");
        // Two kinds of leave, one a half: both show.
        let two = leave(&[
            (LeaveKind::Annual, Some(HalfDay::Morning)),
            (LeaveKind::BusinessTrip, Some(HalfDay::Afternoon)),
        ]);
        assert_eq!(symbol(OnLeave, two), "P/CT");
        let same = leave(&[
            (LeaveKind::Annual, Some(HalfDay::Morning)),
            (LeaveKind::Annual, Some(HalfDay::Afternoon)),
        ]);
        assert_eq!(symbol(OnLeave, same), "P");
        let afternoon = leave(&[(LeaveKind::Sick, Some(HalfDay::Afternoon))]);
        let mut t = Totals::default();
        t.add(Present, morning, 0, 0, 240);
        t.add(Absent, afternoon, 0, 0, 0);
        t.add(Holiday, morning, 0, 0, 0);
        t.add(OnLeave, same, 0, 0, 0);
        assert_eq!(t.days_worked, Days::halves(1));
        assert_eq!(t.absent_days, Days::halves(1));
        assert_eq!(t.leave_days, Days::halves(4), "½ + ½ + 1");
        assert_eq!(t.leave_days.to_string(), "2");
        assert_eq!(t.days_worked.to_string(), "0.5");
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["days_worked"], serde_json::json!(0.5));
        assert_eq!(json["leave_days"], serde_json::json!(2));
    }

    #[test]
    fn a_business_trip_is_not_leave() {
        use AttendanceStatus::*;
        let mut t = Totals::default();
        t.add(OnLeave, leave(&[(LeaveKind::BusinessTrip, None)]), 0, 0, 0);
        // The morning on leave, the afternoon away on business.
        t.add(
            OnLeave,
            leave(&[
                (LeaveKind::Annual, Some(HalfDay::Morning)),
                (LeaveKind::BusinessTrip, Some(HalfDay::Afternoon)),
            ]),
            0,
            0,
            0,
        );
        // Late in the morning, away in the afternoon.
        t.add(
            Late,
            leave(&[(LeaveKind::BusinessTrip, Some(HalfDay::Afternoon))]),
            12,
            0,
            200,
        );
        assert_eq!(t.business_trip_days, Days::halves(4));
        assert_eq!(t.leave_days, Days::halves(1));
        assert_eq!(t.days_worked, Days::halves(1));
        assert_eq!(t.late_count, 1);
    }
}
