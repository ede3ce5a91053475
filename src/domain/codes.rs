//! The stable English snake_case codes of API.md, each with its Vietnamese label.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares a code enum: serde uses the snake_case code, `label()` gives the Vietnamese
/// label that responses carry beside it, `parse` reads a code stored in the database.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal => $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

code_enum! {
    /// A role held on a unit; it reaches the unit's whole subtree.
    Role {
        Admin = "admin" => "Quản trị hệ thống",
        Hr = "hr" => "Tổ chức cán bộ",
        UnitHead = "unit_head" => "Thủ trưởng đơn vị",
        Inspector = "inspector" => "Kiểm tra công vụ",
        Staff = "staff" => "Cán bộ, công chức, viên chức",
        // A kiosk or biometric device's account: it may only send check-ins for the
        // staff of its subtree.
        Device = "device" => "Thiết bị chấm công",
    }
}

code_enum! {
    UnitKind {
        Province = "province" => "Tỉnh, thành phố",
        Department = "department" => "Sở, ban, ngành",
        District = "district" => "Huyện, quận, thị xã",
        Commune = "commune" => "Xã, phường, đặc khu",
        Division = "division" => "Phòng, ban",
        PublicServiceUnit = "public_service_unit" => "Đơn vị sự nghiệp",
        Other = "other" => "Khác",
    }
}

code_enum! {
    /// A person's annual rating (Luật CBCC Điều 58), lowest first so that `min` caps.
    Rating {
        NotCompleted = "not_completed" => "Không hoàn thành nhiệm vụ",
        Completed = "completed" => "Hoàn thành nhiệm vụ",
        CompletedWell = "completed_well" => "Hoàn thành tốt nhiệm vụ",
        Excellent = "excellent" => "Hoàn thành xuất sắc nhiệm vụ",
    }
}

code_enum! {
    /// A unit's administrative-reform ranking, lowest first.
    ReformRanking {
        Weak = "weak" => "Yếu",
        Average = "average" => "Trung bình",
        Fair = "fair" => "Khá",
        Good = "good" => "Tốt",
    }
}

code_enum! {
    StaffCategory {
        CanBo = "can_bo" => "Cán bộ",
        CongChuc = "cong_chuc" => "Công chức",
        VienChuc = "vien_chuc" => "Viên chức",
        Contract = "contract" => "Hợp đồng lao động",
    }
}

code_enum! {
    /// Daily attendance status (API.md).
    AttendanceStatus {
        Present = "present" => "Có mặt",
        Late = "late" => "Đi muộn",
        EarlyLeave = "early_leave" => "Về sớm",
        LateAndEarlyLeave = "late_and_early_leave" => "Đi muộn và về sớm",
        Absent = "absent" => "Vắng mặt không lý do",
        OnLeave = "on_leave" => "Nghỉ có phép",
        Holiday = "holiday" => "Nghỉ lễ, nghỉ bù",
        Weekend = "weekend" => "Ngày nghỉ hằng tuần",
        Incomplete = "incomplete" => "Thiếu dữ liệu chấm công",
    }
}

code_enum! {
    LeaveKind {
        Annual = "annual" => "Nghỉ phép năm",
        Sick = "sick" => "Nghỉ ốm",
        Maternity = "maternity" => "Nghỉ thai sản",
        BusinessTrip = "business_trip" => "Đi công tác",
        Study = "study" => "Đi học",
        Personal = "personal" => "Nghỉ việc riêng",
        Other = "other" => "Khác",
    }
}

code_enum! {
    LeaveStatus {
        Pending = "pending" => "Chờ duyệt",
        Approved = "approved" => "Đã duyệt",
        Rejected = "rejected" => "Từ chối",
        Cancelled = "cancelled" => "Đã hủy",
    }
}

code_enum! {
    /// Which half of a day a half-day leave covers: the sessions that start before noon, or
    /// those from noon on (`attendance::left_by_half`).
    HalfDay {
        Morning = "morning" => "Buổi sáng",
        Afternoon = "afternoon" => "Buổi chiều",
    }
}

code_enum! {
    CalendarKind {
        Holiday = "holiday" => "Ngày lễ",
        DayOff = "day_off" => "Nghỉ bù",
        Workday = "workday" => "Ngày làm bù",
    }
}

code_enum! {
    Direction {
        In = "in" => "Vào",
        Out = "out" => "Ra",
    }
}

code_enum! {
    CheckinSource {
        Kiosk = "kiosk" => "Máy chấm công tại quầy",
        Mobile = "mobile" => "Điện thoại",
        Device = "device" => "Thiết bị sinh trắc học",
        Manual = "manual" => "Nhập tay (điều chỉnh)",
    }
}

code_enum! {
    /// Whether staff of a unit punch once a day (arrival and departure) or per session.
    PunchMode {
        Daily = "daily" => "Chấm công đầu và cuối ngày",
        PerSession = "per_session" => "Chấm công theo buổi",
    }
}

code_enum! {
    /// Where an outbox entry stands: waiting for its first try, delivered, waiting to be
    /// tried again after a failure, given up after the last attempt, or not sent because
    /// the notice it is about no longer stands (its violations withdrawn since).
    NotificationStatus {
        Pending = "pending" => "Chờ gửi",
        Sent = "sent" => "Đã gửi",
        Failed = "failed" => "Gửi lỗi, sẽ gửi lại",
        Dead = "dead" => "Đã ngừng gửi",
        Cancelled = "cancelled" => "Không gửi: vi phạm đã được rút",
    }
}

code_enum! {
    /// What an outbox entry tells its recipient.
    NotificationKind {
        Repeat = "repeat" => "Thông báo vi phạm lặp lại",
        Escalation = "escalation" => "Báo cáo cấp trên",
        Digest = "digest" => "Tổng hợp vi phạm hằng tuần",
        Dispute = "dispute" => "Đề nghị xem xét hồ sơ trễ hạn",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_parse_and_serde() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Some(*role));
            let json = serde_json::to_string(role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.code()));
        }
        for kind in UnitKind::ALL {
            assert_eq!(UnitKind::parse(kind.code()), Some(*kind));
        }
        for cat in StaffCategory::ALL {
            assert_eq!(StaffCategory::parse(cat.code()), Some(*cat));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn labels_are_vietnamese_nfc() {
        use unicode_normalization::is_nfc;
        for role in Role::ALL {
            assert!(is_nfc(role.label()));
        }
        for kind in UnitKind::ALL {
            assert!(is_nfc(kind.label()));
        }
        assert_eq!(StaffCategory::CongChuc.label(), "Công chức");
    }
}
