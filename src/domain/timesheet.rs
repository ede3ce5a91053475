//! The monthly timesheet (bảng chấm công): one symbol per person and day, and totals.

use serde::Serialize;
use utoipa::ToSchema;

use super::codes::{AttendanceStatus, LeaveKind};

/// The symbol a day shows, in the conventions of Vietnamese timesheets.
pub fn symbol(status: AttendanceStatus, leave: Option<LeaveKind>) -> &'static str {
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
        OnLeave => match leave {
            Some(LeaveKind::Annual) | None => "P",
            Some(LeaveKind::Sick) => "Ô",
            Some(LeaveKind::Maternity) => "TS",
            Some(LeaveKind::BusinessTrip) => "CT",
            Some(LeaveKind::Study) => "H",
            Some(LeaveKind::Personal) => "R",
            Some(LeaveKind::Other) => "N",
        },
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
];

/// Totals of one person's month.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Totals {
    /// Working days attended (on time, late, early or incomplete).
    pub days_worked: u32,
    pub late_count: u32,
    pub late_minutes: i64,
    pub early_leave_count: u32,
    pub early_leave_minutes: i64,
    pub absent_days: u32,
    pub leave_days: u32,
    pub worked_minutes: i64,
}

impl Totals {
    pub fn add(&mut self, status: AttendanceStatus, late: i64, early: i64, worked: i64) {
        use AttendanceStatus::*;
        if matches!(
            status,
            Present | Late | EarlyLeave | LateAndEarlyLeave | Incomplete
        ) {
            self.days_worked += 1;
        }
        if late > 0 {
            self.late_count += 1;
            self.late_minutes += late;
        }
        if early > 0 {
            self.early_leave_count += 1;
            self.early_leave_minutes += early;
        }
        match status {
            Absent => self.absent_days += 1,
            OnLeave => self.leave_days += 1,
            _ => {}
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
            symbol(AttendanceStatus::OnLeave, Some(LeaveKind::Sick)),
            "Ô"
        );
        assert_eq!(symbol(AttendanceStatus::Weekend, None), "");
        assert!(LEGEND.iter().all(|(s, _)| !s.is_empty()));
        let mut t = Totals::default();
        t.add(AttendanceStatus::Present, 0, 0, 450);
        t.add(AttendanceStatus::LateAndEarlyLeave, 12, 30, 400);
        t.add(AttendanceStatus::Absent, 0, 0, 0);
        t.add(AttendanceStatus::OnLeave, 0, 0, 0);
        t.add(AttendanceStatus::Weekend, 0, 0, 0);
        assert_eq!(
            (
                t.days_worked,
                t.late_count,
                t.late_minutes,
                t.early_leave_count
            ),
            (2, 1, 12, 1)
        );
        assert_eq!((t.absent_days, t.leave_days, t.worked_minutes), (1, 1, 850));
    }
}
