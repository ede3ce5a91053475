use std::process::ExitCode;

use clap::Parser;
use congvu::cli::Done;

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = congvu::cli::Cli::parse();
    match congvu::cli::run(cli) {
        Ok(Done::All) => ExitCode::SUCCESS,
        // Not 2: clap exits with 2 on a mistyped argument, and nothing was imported then.
        Ok(Done::Rejected(_)) => ExitCode::from(3),
        Err(message) => {
            eprintln!("congvu: {message}");
            ExitCode::FAILURE
        }
    }
}

/// One malloc arena per core. glibc gives threads that allocate at once arenas of their
/// own, up to eight per core, and returns little of them: the server's peak resident
/// memory on the PostgreSQL benchmark grew round after round, to 166 MB after three,
/// and stayed at 87 MB with two arenas on the two-core bench host at the same rates
/// (docs/PERFORMANCE.md). `MALLOC_ARENA_MAX` in the environment still wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt only sets one of glibc's allocator settings, and this runs first
    // in main, before any other thread allocates.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
