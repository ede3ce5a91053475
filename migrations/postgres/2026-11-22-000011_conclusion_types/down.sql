DELETE FROM violation_types WHERE province_id IS NULL AND code IN ('degradation', 'unit_corruption');
