//! Pure rules of congvu: no I/O, no database, no clock reads. Everything here is a
//! function of its inputs so it can be tested exhaustively.

pub mod access;
pub mod attendance;
pub mod calendar;
pub mod codes;
pub mod digest;
pub mod discipline;
pub mod disputes;
pub mod dossiers;
pub mod evaluation;
pub mod findings;
pub mod leave;
pub mod onestop;
pub mod outbox;
pub mod postings;
pub mod repeats;
pub mod step_twins;
pub mod text;
pub mod timesheet;
pub mod units;
