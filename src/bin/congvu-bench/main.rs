//! `congvu-bench`: the raw-database baselines congvu's benchmarks are measured against,
//! and the inputs they share with the HTTP load (docs/PERFORMANCE.md, `scripts/bench`).
//! Each baseline writes the same rows, to the same tables and indexes, over connections
//! set up as the service's are: what it measures is the database, and the ratio to it
//! what congvu adds.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand};

mod baseline;
mod dossiers;
mod evaluation;
mod notices;

#[derive(Debug, Parser)]
#[command(name = "congvu-bench", about = "Baselines for congvu's benchmarks")]
struct Cli {
    /// The database holding the generated province (`congvu demo --scale province`).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/congvu.sqlite"
    )]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Prints the generated province's staff ids as shell assignments
    /// (STAFF_FIRST, STAFF_COUNT), for the load scripts.
    Staff,
    /// Inserts events one prepared INSERT at a time, each committed on its own, from
    /// several threads with a connection each: the baseline of POST /checkins.
    InsertLoop {
        #[arg(long, default_value_t = 10)]
        threads: usize,
        #[arg(long, default_value_t = 20_000)]
        events: u64,
    },
    /// Writes the same events as one COPY (PostgreSQL) or one transaction of multi-row
    /// inserts (SQLite): the baseline of POST /checkins/batch.
    Copy {
        #[arg(long, default_value_t = 100_000)]
        events: u64,
    },
    /// Times hand-written GROUP BY queries for the province-year's metrics and compares
    /// their results with those `congvu evaluate` stored for the year.
    Evaluation {
        #[arg(long)]
        year: i32,
    },
    /// Times the check of whether notices still stand: over every told notice nobody
    /// acknowledged (the weekly digest's pass), and one notice at a time (a sender's
    /// claim), beside the one COUNT of those notices the digest read before.
    Notices {
        #[arg(long, default_value_t = 3)]
        runs: usize,
        #[arg(long, default_value_t = 200)]
        singles: usize,
    },
    /// Times the nightly sweep's detection over everyone (which releases what notices
    /// no longer standing counted) beside a change's detection, after voiding one
    /// violation of every EVERY-th notice; both rolled back.
    Detection {
        #[arg(long, default_value_t = 3)]
        runs: usize,
        #[arg(long, default_value_t = 20)]
        every: usize,
    },
    /// Writes request bodies for POST /dossiers/import (`dossiers-N.json`, new dossiers
    /// of three steps each) into a folder.
    DossierFiles {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 10)]
        files: usize,
        #[arg(long, default_value_t = 1_000)]
        size: usize,
    },
    /// Writes as many such dossiers and their steps by COPY (PostgreSQL) or multi-row
    /// inserts (SQLite) in one transaction: the baseline of POST /dossiers/import.
    CopyDossiers {
        #[arg(long, default_value_t = 10_000)]
        dossiers: usize,
    },
    /// Writes request bodies for POST /checkins/batch (`batch-N.json`) into a folder.
    Batches {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 20)]
        batches: u64,
        #[arg(long, default_value_t = 5_000)]
        size: u64,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<(), baseline::BoxError> {
    let url = cli.database_url;
    match cli.command {
        Command::Staff => {
            let s = baseline::staff_range(&url)?;
            println!("STAFF_FIRST={} STAFF_COUNT={}", s.first, s.count);
        }
        Command::InsertLoop { threads, events } => {
            let started = Instant::now();
            baseline::insert_loop(&url, threads, events)?;
            report("insert_loop", events, started);
        }
        Command::Copy { events } => {
            let started = Instant::now();
            baseline::copy(&url, events)?;
            report("copy", events, started);
        }
        Command::Evaluation { year } => evaluation::compare(&url, year)?,
        Command::Notices { runs, singles } => notices::measure(&url, runs, singles)?,
        Command::Detection { runs, every } => notices::detection(&url, runs, every)?,
        Command::DossierFiles { dir, files, size } => {
            dossiers::write_files(&url, &dir, files, size)?;
        }
        Command::CopyDossiers { dossiers: count } => {
            let started = Instant::now();
            let steps = dossiers::copy(&url, count)?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "copy_dossiers dossiers={count} steps={steps} seconds={secs:.3} per_sec={:.0}",
                count as f64 / secs
            );
        }
        Command::Batches { dir, batches, size } => {
            baseline::write_batches(&url, &dir, batches, size)?;
        }
    }
    Ok(())
}

/// One line the script collects: what ran, how many events, seconds, events a second.
fn report(what: &str, events: u64, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{what} events={events} seconds={secs:.3} per_sec={:.0}",
        events as f64 / secs
    );
}
