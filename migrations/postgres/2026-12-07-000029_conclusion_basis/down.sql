UPDATE violation_types
SET basis = 'Nghị định 335/2025/NĐ-CP (xếp loại không hoàn thành nhiệm vụ, điểm b)'
WHERE province_id IS NULL AND code = 'degradation';
UPDATE violation_types
SET basis = 'Nghị định 335/2025/NĐ-CP (xếp loại không hoàn thành nhiệm vụ, điểm d)'
WHERE province_id IS NULL AND code = 'unit_corruption';
