-- The two conclusions also make a viên chức (and, up to 2025, anyone) not completed under
-- NĐ 90/2020 Điều 15 as amended by NĐ 48/2023 (RULES.md §1.2): the catalogue names both
-- bases, as the shipped NĐ 90 policies now count them.
UPDATE violation_types
SET basis = 'Nghị định 335/2025/NĐ-CP (xếp loại không hoàn thành nhiệm vụ, điểm b); Nghị định 90/2020/NĐ-CP Điều 15 (sửa đổi bởi Nghị định 48/2023/NĐ-CP)'
WHERE province_id IS NULL AND code = 'degradation';
UPDATE violation_types
SET basis = 'Nghị định 335/2025/NĐ-CP (xếp loại không hoàn thành nhiệm vụ, điểm d); Nghị định 90/2020/NĐ-CP Điều 15 (sửa đổi bởi Nghị định 48/2023/NĐ-CP), đối với người quản lý'
WHERE province_id IS NULL AND code = 'unit_corruption';
