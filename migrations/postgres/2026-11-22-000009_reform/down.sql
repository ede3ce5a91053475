DROP TABLE unit_reform;
