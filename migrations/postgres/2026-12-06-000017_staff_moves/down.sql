DROP TABLE staff_moves;
