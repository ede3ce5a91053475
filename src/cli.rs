//! The `congvu` command line: serve, migrate, demo and admin tasks.

use std::collections::HashMap;
use std::io::IsTerminal;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::users::{NewGrant, NewUser};
use crate::db::{Db, units};
use crate::domain::codes::Role;
use crate::domain::text::{is_valid_username, normalize_username};
use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(
    name = "congvu",
    version,
    about = "Civil-service discipline for provincial administrations"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API.
    Serve {
        /// HOST:PORT to listen on (default 127.0.0.1:8080, or CONGVU_BIND).
        #[arg(long)]
        bind: Option<String>,
        /// Load the demo province first when the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo province (idempotent) and print the demo accounts; with `--scale
    /// province`, a generated province-year for benchmarks instead.
    Demo {
        /// `province`: 50 000 staff and a year of check-ins and dossiers (DESIGN.md).
        #[arg(long, value_enum)]
        scale: Option<ScaleArg>,
        /// With --scale: the number of staff instead of 50 000.
        #[arg(long, requires = "scale")]
        staff: Option<usize>,
        /// With --scale: the days of activity instead of 365.
        #[arg(long, requires = "scale")]
        days: Option<i64>,
    },
    /// Administrative tasks.
    Admin {
        #[command(subcommand)]
        task: AdminTask,
    },
    /// Import data from other systems.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Run the year's evaluation of a unit's subtree (as POST /evaluations/runs) and print
    /// a summary; HR's decisions are kept.
    Evaluate {
        /// The rating year, e.g. 2025.
        #[arg(long)]
        period: i32,
        /// Code of the unit; with --province when several provinces use the code.
        #[arg(long)]
        unit: String,
        /// Code of the province (root unit) the unit belongs to.
        #[arg(long)]
        province: Option<String>,
        /// Also write the sheet to this file (.xlsx or .csv).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ScaleArg {
    Province,
}

#[derive(Debug, Subcommand)]
pub enum ImportWhat {
    /// An export of the national portal's feed (DVCQG JSON: dossiers with their
    /// processing logs, or with --progress log entries alone), as POST /onestop/dossiers.
    Onestop {
        /// The JSON file: a list, or {"data": [...]}.
        file: std::path::PathBuf,
        /// Code of the province (root unit) the file belongs to.
        #[arg(long)]
        province: Option<String>,
        /// The file holds processing-log entries (CapNhatTienDoHoSoMC), not dossiers.
        #[arg(long)]
        progress: bool,
        /// Dossiers (or entries) per transaction.
        #[arg(long, default_value_t = 500)]
        batch: usize,
    },
    /// Dossiers from the one-stop system (the CSV format of the API), streamed in batches.
    Dossiers {
        /// The CSV file.
        file: std::path::PathBuf,
        /// Code of the province (root unit) the file belongs to; without it unit codes are
        /// looked up in every province.
        #[arg(long)]
        province: Option<String>,
        /// The file's encoding when it has no byte-order mark (e.g. windows-1258).
        #[arg(long)]
        encoding: Option<String>,
        /// Lines per transaction.
        #[arg(long, default_value_t = 5000)]
        batch: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminTask {
    /// Create an account. The password comes from CONGVU_PASSWORD or is asked on the terminal.
    CreateUser {
        #[arg(long)]
        username: String,
        /// admin, hr, unit_head, inspector or staff.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Code of the unit the role is held on; without it the role reaches every unit.
        #[arg(long)]
        unit: Option<String>,
    },
    /// Find the one-stop steps earlier versions stored twice (a feed entry the vendor sent
    /// otherwise, or the feed's entry of a step imported by file), counted twice in their
    /// officers' steps, and with --apply merge each into one step. Without --apply it
    /// only reports.
    MergeTwinSteps {
        /// Code of the province (root unit); without it every province.
        #[arg(long)]
        province: Option<String>,
        /// Merge them; without it nothing is changed.
        #[arg(long)]
        apply: bool,
    },
    /// Enter every dossier's late steps in the violation register again, as this version
    /// judges them (run once after an upgrade that changes how steps are judged).
    ResyncDossierRegister {
        /// Code of the province (root unit); without it every province.
        #[arg(long)]
        province: Option<String>,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        let codes: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
        format!("unknown role {s:?}; one of {}", codes.join(", "))
    })
}

/// How a command that did not fail ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Done {
    /// Everything it was given was taken.
    All,
    /// An import kept the good lines (or items) and refused this many, reported on
    /// stderr. The binary exits with 3 rather than 0, so that a script importing every
    /// night sees that some need correcting; 1 stays for a command that failed, 2 for a
    /// mistyped command line (clap's).
    Rejected(usize),
}

impl Done {
    fn of_rejected(count: usize) -> Done {
        if count == 0 {
            Done::All
        } else {
            Done::Rejected(count)
        }
    }
}

/// Runs a command; the error is what the binary prints before exiting non-zero.
pub fn run(cli: Cli) -> Result<Done, String> {
    let settings = Settings::load().map_err(|e| e.to_string())?;
    crate::telemetry::init(&settings.log);
    match cli.command {
        Command::Import {
            what:
                ImportWhat::Onestop {
                    file,
                    province,
                    progress,
                    batch,
                },
        } => {
            let db = connect_oneshot(&settings)?;
            let scope = import_scope(&db, province.as_deref())?;
            imports::import_onestop(
                &db,
                &settings.onestop,
                &scope,
                &file,
                progress,
                batch.max(1),
            )
            .map(Done::of_rejected)
        }
        Command::Import {
            what:
                ImportWhat::Dossiers {
                    file,
                    province,
                    encoding,
                    batch,
                },
        } => {
            let db = connect_oneshot(&settings)?;
            import_dossiers(
                &db,
                &file,
                province.as_deref(),
                encoding.as_deref(),
                batch.max(1),
            )
            .map(Done::of_rejected)
        }
        other => run_other(other, settings).map(|()| Done::All),
    }
}

/// The commands that take all they are given or fail.
fn run_other(command: Command, mut settings: Settings) -> Result<(), String> {
    match command {
        Command::Serve { bind, demo } => {
            if let Some(bind) = bind {
                settings.bind = bind;
                settings.bind_addr().map_err(|e| format!("--bind: {e}"))?;
            }
            serve(&settings, demo)
        }
        Command::Migrate => {
            let applied =
                crate::db::migrate(&settings.database_url()).map_err(|e| e.to_string())?;
            if applied.is_empty() {
                println!("database is up to date");
            } else {
                for v in applied {
                    println!("applied {v}");
                }
            }
            Ok(())
        }
        Command::Demo { scale: None, .. } => {
            let db = connect_oneshot(&settings)?;
            load_demo(&db, &settings)
        }
        Command::Demo {
            scale: Some(ScaleArg::Province),
            staff,
            days,
        } => {
            let db = connect_oneshot(&settings)?;
            let full = crate::demo::scale::Scale::PROVINCE;
            imports::load_scale(
                &db,
                crate::demo::scale::Scale {
                    staff: staff.unwrap_or(full.staff).clamp(1, 200_000),
                    days: days.unwrap_or(full.days).clamp(1, 3_660),
                },
            )
        }
        Command::Admin {
            task:
                AdminTask::CreateUser {
                    username,
                    role,
                    unit,
                },
        } => {
            let db = connect_oneshot(&settings)?;
            let id = create_user(&db, &username, role, unit.as_deref())?;
            // Only the id goes to stdout, so scripts can capture it.
            println!("{id}");
            Ok(())
        }
        Command::Admin {
            task: AdminTask::MergeTwinSteps { province, apply },
        } => {
            let db = connect_oneshot(&settings)?;
            twins::merge_twin_steps(&db, province.as_deref(), apply)
        }
        Command::Admin {
            task: AdminTask::ResyncDossierRegister { province },
        } => {
            let db = connect_oneshot(&settings)?;
            resync::resync_dossier_register(&db, province.as_deref())
        }
        Command::Import { .. } => unreachable!("`run` imports"),
        Command::Evaluate {
            period,
            unit,
            province,
            out,
        } => {
            let db = connect_oneshot(&settings)?;
            evaluate(
                &db,
                &settings,
                period,
                &unit,
                province.as_deref(),
                out.as_deref(),
            )
        }
    }
}

/// Whether `--out` names a CSV (true) or an XLSX file (false), in a folder that exists;
/// any other extension is refused (it got XLSX bytes under a `.txt` name).
fn sheet_kind(path: &std::path::Path) -> Result<bool, String> {
    let csv = match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("csv") => true,
        Some(e) if e.eq_ignore_ascii_case("xlsx") => false,
        _ => {
            return Err(format!(
                "--out {}: name a .xlsx or .csv file",
                path.display()
            ));
        }
    };
    if path.is_dir() {
        return Err(format!("--out {}: is a folder", path.display()));
    }
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !folder.is_dir() {
        return Err(format!(
            "--out {}: no folder {}",
            path.display(),
            folder.display()
        ));
    }
    // Whether the folder takes a file, with one made and removed at once.
    let probe = folder.join(format!(".congvu-out-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| format!("--out {}: {e}", path.display()))?;
    Ok(csv)
}

/// `congvu evaluate`: the run with a progress bar, a summary by rating, and the sheet.
fn evaluate(
    db: &Db,
    settings: &Settings,
    year: i32,
    unit_code: &str,
    province: Option<&str>,
    out: Option<&std::path::Path>,
) -> Result<(), String> {
    use crate::domain::codes::Rating;
    if !(2000..=2100).contains(&year) {
        return Err(format!("--period {year}: a year between 2000 and 2100"));
    }
    let this_year = chrono::Datelike::year(&crate::domain::attendance::to_local(crate::db::now()));
    if year > this_year {
        return Err(format!("--period {year}: a year not yet begun"));
    }
    // The sheet's path is checked before the run, which stores its results: failing
    // after it would read as a failed run.
    let csv = match out {
        Some(path) => Some(sheet_kind(path)?),
        None => None,
    };
    let candidates = db
        .read(|c| -> Result<_, BoxError> {
            let mut found = Vec::new();
            for u in units::find_by_code(c, unit_code)? {
                let root = units::find(c, u.province_id)?.map(|r| r.code);
                found.push((u, root.unwrap_or_default()));
            }
            Ok(found)
        })
        .map_err(|e| e.to_string())?;
    let matching: Vec<_> = candidates
        .into_iter()
        .filter(|(_, root)| province.is_none_or(|p| p == root))
        .collect();
    let unit = match matching.as_slice() {
        [(u, _)] => u.clone(),
        [] => return Err(format!("no unit has the code {unit_code:?}")),
        many => {
            let roots: Vec<&str> = many.iter().map(|(_, r)| r.as_str()).collect();
            return Err(format!(
                "several units have the code {unit_code:?} (provinces {}); add --province",
                roots.join(", ")
            ));
        }
    };
    let root = db
        .read(|c| -> Result<_, BoxError> { Ok(units::find(c, unit.province_id)?) })
        .map_err(|e| e.to_string())?;
    let formula = settings
        .dossiers
        .formula_for(root.as_ref().map(|r| r.code.as_str()));
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} people") {
        bar.set_style(style);
    }
    let now = crate::domain::attendance::to_local(crate::db::now());
    let report = db
        .write(|c| -> Result<_, BoxError> {
            Ok(crate::db::evaluation_run::run(
                c,
                Some(db),
                None,
                &unit,
                year,
                None,
                now,
                formula,
                &mut |done, total| {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                },
            )?)
        })
        .map_err(|e| format!("evaluation: {e}"))?;
    bar.finish_and_clear();
    let count = |r: Option<Rating>| {
        report
            .rows
            .iter()
            .filter(|e| e.rated && e.proposed_rating.as_deref() == r.map(Rating::code))
            .count()
    };
    println!(
        "Evaluation {year} of {} ({} people)",
        unit.name,
        report.rows.len()
    );
    for r in Rating::ALL.iter().rev() {
        println!("  {:<28} {}", r.label(), count(Some(*r)));
    }
    let unrated = report.rows.iter().filter(|e| !e.rated).count();
    let capped = report
        .rows
        .iter()
        .filter(|e| e.max_rating.as_deref().is_some_and(|m| m != "excellent"))
        .count();
    let over_quota = report
        .rows
        .iter()
        .filter(|e| e.quota_note.is_some())
        .count();
    let decided = report
        .rows
        .iter()
        .filter(|e| e.final_rating.is_some())
        .count();
    println!("  {:<28} {unrated}", "Không xếp loại (not rated)");
    println!("  capped by a rule: {capped}; over the excellent quota: {over_quota}");
    println!(
        "  decided by HR: {decided}; proposal changed under a decision: {}",
        report.changed_under_decision
    );
    for s in &report.skipped {
        println!("  skipped staff {}: {}", s.staff_id, s.reason);
    }
    for s in &report.withdrawn {
        println!("  no longer rated, staff {}: {}", s.staff_id, s.reason);
    }
    if let Some(path) = out {
        let sheet = db
            .read(|c| -> Result<_, BoxError> {
                // A thousand people a query, not two queries a person.
                let ids: Vec<i64> = report.rows.iter().map(|e| e.staff_id).collect();
                let people: HashMap<i64, (String, String)> = crate::db::staff::find_many(c, &ids)?
                    .into_iter()
                    .map(|p| (p.id, (p.code, p.full_name)))
                    .collect();
                let mut unit_ids: Vec<i64> = report.rows.iter().map(|e| e.unit_id).collect();
                unit_ids.sort_unstable();
                unit_ids.dedup();
                let unit_names: HashMap<i64, String> = units::find_many(c, &unit_ids)?
                    .into_iter()
                    .map(|u| (u.id, u.name))
                    .collect();
                let rows = report
                    .rows
                    .iter()
                    .map(|e| {
                        let (code, name) = people.get(&e.staff_id).cloned().unwrap_or_default();
                        let unit = unit_names.get(&e.unit_id).cloned().unwrap_or_default();
                        crate::export::line_of(e, code, name, unit)
                    })
                    .collect();
                Ok(crate::export::Sheet {
                    unit_name: unit.name.clone(),
                    period: year.to_string(),
                    rows,
                })
            })
            .map_err(|e| e.to_string())?;
        let bytes = if csv == Some(true) {
            crate::export::to_csv(&sheet).map_err(|e| e.to_string())?
        } else {
            crate::export::to_xlsx(&sheet).map_err(|e| e.to_string())?
        };
        std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("Sheet written to {}", path.display());
    }
    Ok(())
}

fn connect(settings: &Settings) -> Result<Db, String> {
    Db::connect(&settings.database_url(), settings.database.pool_size).map_err(|e| e.to_string())
}

fn connect_oneshot(settings: &Settings) -> Result<Db, String> {
    Db::connect_oneshot(&settings.database_url()).map_err(|e| e.to_string())
}

fn load_demo(db: &Db, settings: &Settings) -> Result<(), String> {
    let formula = settings
        .dossiers
        .formula_for(Some(crate::demo::data::PROVINCE_CODE));
    let summary = crate::demo::load(db, formula).map_err(|e| format!("demo: {e}"))?;
    if summary.already_loaded {
        eprintln!(
            "The demo province is already loaded (unit id {}).",
            summary.province_id
        );
    } else {
        eprintln!(
            "Loaded the demo province: {} units, {} staff, {} check-ins over two months, {} one-stop dossiers over a year, {} inspections with {} findings and a disciplinary decision, {} evaluations for 2025 and 2026 (unit id {}).",
            summary.units,
            summary.staff,
            summary.checkins,
            summary.dossiers,
            summary.inspections,
            summary.findings,
            summary.evaluations,
            summary.province_id
        );
    }
    eprint!("{}", crate::demo::describe_accounts());
    Ok(())
}

fn serve(settings: &Settings, demo: bool) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let served = runtime.block_on(async {
        let app = if demo {
            let url =
                crate::db::DbUrl::parse(&settings.database_url()).map_err(|e| e.to_string())?;
            crate::startup::check_secret(settings, &url).map_err(|e| e.to_string())?;
            let db = connect(settings)?;
            if crate::demo::database_is_empty(&db).map_err(|e| e.to_string())? {
                load_demo(&db, settings)?;
            } else if crate::demo::is_loaded(&db).map_err(|e| e.to_string())? {
                eprintln!("The demo province is already loaded.");
                eprint!("{}", crate::demo::describe_accounts());
            } else {
                eprintln!("The database holds other data: the demo province was not loaded.");
            }
            Application::build_with_db(settings, db)
        } else {
            Application::build(settings)
        }
        .map_err(|e| e.to_string())?;
        eprintln!(
            "congvu is listening on http://{}:{} (API docs at /docs)",
            settings
                .bind_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
            app.port()
        );
        app.run_until_signal(settings)
            .await
            .map_err(|e| format!("server: {e}"))
    });
    // Dropping the runtime waits for a job still running on its blocking pool, which
    // then releases its lease: cut short, its lease would stay held for up to an hour,
    // the next start would skip the job, and the digest waiting on it would read a
    // register without its days.
    drop(runtime);
    served
}

fn read_password() -> Result<String, String> {
    if let Ok(p) = std::env::var("CONGVU_PASSWORD") {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err("set CONGVU_PASSWORD or run in a terminal to be asked for the password".into());
    }
    let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
    let second = rpassword::prompt_password("Repeat password: ").map_err(|e| e.to_string())?;
    if first != second {
        return Err("the passwords differ".into());
    }
    Ok(first)
}

/// `congvu admin create-user`: works on an empty database, so the first administrator can
/// be created before any unit exists.
pub fn create_user(
    db: &Db,
    username: &str,
    role: Role,
    unit_code: Option<&str>,
) -> Result<i64, String> {
    let username = normalize_username(username);
    if !is_valid_username(&username) {
        return Err(
            "--username must be 3–64 characters of letters, digits, '.', '_' or '-'".into(),
        );
    }
    if role == Role::Staff {
        return Err(
            "the staff role needs a linked staff record: create it with POST /api/v1/users".into(),
        );
    }
    let password = read_password()?;
    let len = password.chars().count();
    if !(crate::auth::password::MIN_LEN..=crate::auth::password::MAX_LEN).contains(&len) {
        return Err(format!(
            "the password must be between {} and {} characters long",
            crate::auth::password::MIN_LEN,
            crate::auth::password::MAX_LEN
        ));
    }
    if password == username {
        return Err("the password must not be the username".into());
    }
    let hash = crate::auth::password::hash(&password).map_err(|e| e.to_string())?;
    db.write(|c| -> Result<i64, Box<dyn std::error::Error + Send + Sync>> {
        let unit = match unit_code {
            None => None,
            Some(code) => {
                let mut found = units::find_by_code(c, code)?;
                match found.len() {
                    0 => return Err(format!("no unit has the code {code:?}").into()),
                    1 => found.pop(),
                    _ => {
                        let ids: Vec<String> = found.iter().map(|u| format!("{} ({})", u.id, u.name)).collect();
                        return Err(format!(
                            "several units have the code {code:?}: {}; codes are unique only among siblings",
                            ids.join(", ")
                        )
                        .into());
                    }
                }
            }
        };
        if crate::db::users::username_taken(c, &username)? {
            return Err(format!("the username {username:?} is taken").into());
        }
        let province_id = unit.as_ref().map(|u| u.province_id);
        let (user, _) = crate::db::users::insert(
            c,
            None,
            &NewUser {
                username: &username,
                password_hash: &hash,
                staff_id: None,
                province_id,
            },
            &[NewGrant {
                role,
                unit_id: unit.as_ref().map(|u| u.id),
                province_id,
            }],
        )?;
        Ok(user.id)
    })
    .map_err(|e| e.to_string())
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

mod imports;
mod resync;
mod twins;
use imports::{import_dossiers, import_scope};
