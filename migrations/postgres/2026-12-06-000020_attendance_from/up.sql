-- The first day a province's register judges attendance (its go-live). A timetable is
-- usually entered with a start long past, and every change of a schedule, a unit or a
-- person re-derives weeks back: without a start, the days before the service held any
-- check-in were each judged an absence, and their repeat notices mailed to every head.
-- Set on the root unit only. NULL: judged all along (provinces created before this).
ALTER TABLE units ADD COLUMN attendance_from DATE;
