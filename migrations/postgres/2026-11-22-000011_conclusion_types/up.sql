-- Conclusions that make a công chức "not completed" under NĐ 335/2025 whatever the score
-- (triggers b and d), recorded as upheld findings like any other violation.
INSERT INTO violation_types (province_id, code, label_vi, label_en, basis, created_at) VALUES
    (NULL, 'degradation', 'Có biểu hiện suy thoái về tư tưởng chính trị, đạo đức, lối sống, "tự diễn biến", "tự chuyển hóa" (cấp có thẩm quyền kết luận)', 'Ideological, moral or lifestyle degradation concluded by the competent authority', 'Nghị định 335/2025/NĐ-CP (xếp loại không hoàn thành nhiệm vụ, điểm b)', (now() AT TIME ZONE 'UTC')),
    (NULL, 'unit_corruption', 'Cơ quan, đơn vị do mình quản lý để xảy ra tham ô, tham nhũng, lãng phí và bị xử lý theo quy định', 'Embezzlement, corruption or waste in the unit one manages, handled under the law', 'Nghị định 335/2025/NĐ-CP (xếp loại không hoàn thành nhiệm vụ, điểm d)', (now() AT TIME ZONE 'UTC'));
