//! congvu: civil-service discipline for Vietnamese provincial administrations.
//!
//! Layers point one way: `api` → (`auth`, `db`, `domain`); `db` → `domain`; `domain`
//! depends on no I/O.

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod evidence;
pub mod export;
pub mod import;
pub mod jobs;
pub mod metrics;
pub mod notify;
pub mod private_fs;
pub mod startup;
pub mod telemetry;
