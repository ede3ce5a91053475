//! One integration-test binary (each extra file under tests/ would be another link of a
//! large debug binary). Every storage test runs on SQLite and on PostgreSQL.

mod helpers;

mod access;
mod attendance;
mod audit;
mod auth;
mod auth_races;
mod checkin_rules;
mod cli;
mod disputes;
mod dossier_fixes;
mod dossier_lists;
mod dossier_register;
mod dossiers;
mod evaluation;
mod evidence;
mod feed_handlers;
mod feed_resends;
mod go_live;
mod health;
mod inspection_bounds;
mod inspections;
mod leaves;
mod notice_fixes;
mod notifications;
mod nul_text;
mod onestop;
mod onestop_fixes;
mod pages;
mod rating_owner;
mod rederive;
mod rush;
mod scope_fixes;
mod score_periods;
mod smtp;
mod staff;
mod survey_fixes;
mod survey_keys;
mod timesheet_halves;
mod transfer_posts;
mod transfers;
mod twin_steps;
mod units;
mod users;
mod violation_types;
