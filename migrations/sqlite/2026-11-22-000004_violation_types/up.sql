-- The catalogue of violation types (RULES.md §4.4): national codes preloaded, provinces
-- add their own. Codes are what the violation register and findings refer to.

CREATE TABLE violation_types (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL: national.
    province_id BIGINT REFERENCES units (id),
    code        TEXT NOT NULL,
    label_vi    TEXT NOT NULL,
    label_en    TEXT,
    basis       TEXT,
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX violation_types_code ON violation_types (COALESCE(province_id, 0), code);

INSERT INTO violation_types (province_id, code, label_vi, label_en, basis, created_at) VALUES
    (NULL, 'late', 'Đi muộn', 'Late arrival', 'Chỉ thị 26/CT-TTg; Quyết định 188/1999/QĐ-TTg', CURRENT_TIMESTAMP),
    (NULL, 'early_leave', 'Về sớm', 'Early departure', 'Quy định của tỉnh về giờ làm việc', CURRENT_TIMESTAMP),
    (NULL, 'absent_no_reason', 'Vắng mặt không lý do', 'Absent without reason', 'Thực tiễn kiểm tra công vụ', CURRENT_TIMESTAMP),
    (NULL, 'leave_office', 'Rời nhiệm sở, la cà quán xá trong giờ làm việc', 'Leaving the office during working hours', 'Chỉ thị 26/CT-TTg', CURRENT_TIMESTAMP),
    (NULL, 'no_badge', 'Không đeo thẻ công chức, viên chức', 'Not wearing the staff ID card', 'Chỉ thị 26/CT-TTg', CURRENT_TIMESTAMP),
    (NULL, 'alcohol', 'Sử dụng rượu, bia trong giờ làm việc, giờ nghỉ trưa, ngày trực', 'Alcohol during working hours, lunch or duty', 'Chỉ thị 26/CT-TTg; Quyết định 1847/QĐ-TTg', CURRENT_TIMESTAMP),
    (NULL, 'smoking', 'Hút thuốc lá trong phòng làm việc', 'Smoking in the office', 'Chỉ thị 26/CT-TTg', CURRENT_TIMESTAMP),
    (NULL, 'private_work', 'Làm việc riêng trong giờ làm việc', 'Personal business during working hours', 'Chỉ thị 26/CT-TTg', CURRENT_TIMESTAMP),
    (NULL, 'harassment', 'Nhũng nhiễu, gây phiền hà, trục lợi', 'Harassing citizens or seeking gain', 'Chỉ thị 26/CT-TTg', CURRENT_TIMESTAMP),
    (NULL, 'overdue_task', 'Để quá hạn, bỏ sót nhiệm vụ', 'Overdue or missed tasks', 'Chỉ thị 26/CT-TTg', CURRENT_TIMESTAMP),
    (NULL, 'shirking', 'Đùn đẩy, né tránh trách nhiệm', 'Shirking responsibility', 'Chỉ thị 26/CT-TTg', CURRENT_TIMESTAMP),
    (NULL, 'gambling', 'Đánh bạc', 'Gambling', 'Chỉ thị 26/CT-TTg; Quyết định 1847/QĐ-TTg', CURRENT_TIMESTAMP),
    (NULL, 'conduct', 'Vi phạm văn hóa giao tiếp, ứng xử', 'Breach of the conduct code', 'Quyết định 1847/QĐ-TTg; Nghị định 172/2025/NĐ-CP', CURRENT_TIMESTAMP),
    (NULL, 'dress', 'Trang phục không đúng quy định', 'Improper dress', 'Quyết định 1847/QĐ-TTg', CURRENT_TIMESTAMP);
