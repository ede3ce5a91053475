//! The `congvu` command line: serve, migrate, demo and admin tasks.

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
    /// Load the demo province (idempotent) and print the demo accounts.
    Demo,
    /// Administrative tasks.
    Admin {
        #[command(subcommand)]
        task: AdminTask,
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
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        let codes: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
        format!("unknown role {s:?}; one of {}", codes.join(", "))
    })
}

/// Runs a command; the error is what the binary prints before exiting non-zero.
pub fn run(cli: Cli) -> Result<(), String> {
    let mut settings = Settings::load().map_err(|e| e.to_string())?;
    crate::telemetry::init(&settings.log);
    match cli.command {
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
        Command::Demo => {
            let db = connect_oneshot(&settings)?;
            load_demo(&db)
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
    }
}

fn connect(settings: &Settings) -> Result<Db, String> {
    Db::connect(&settings.database_url(), settings.database.pool_size).map_err(|e| e.to_string())
}

fn connect_oneshot(settings: &Settings) -> Result<Db, String> {
    Db::connect_oneshot(&settings.database_url()).map_err(|e| e.to_string())
}

fn load_demo(db: &Db) -> Result<(), String> {
    let summary = crate::demo::load(db).map_err(|e| format!("demo: {e}"))?;
    if summary.already_loaded {
        eprintln!(
            "The demo province is already loaded (unit id {}).",
            summary.province_id
        );
    } else {
        eprintln!(
            "Loaded the demo province: {} units, {} staff, {} check-ins over two months (unit id {}).",
            summary.units, summary.staff, summary.checkins, summary.province_id
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
    runtime.block_on(async {
        let app = if demo {
            let db = connect(settings)?;
            if crate::demo::database_is_empty(&db).map_err(|e| e.to_string())? {
                load_demo(&db)?;
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
    })
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
