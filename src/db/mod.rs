//! Storage: one code path over SQLite (embedded default) and PostgreSQL, chosen by the
//! database URL. Queries are written once against [`AnyConnection`]; migrations exist per
//! backend and are embedded in the binary.

pub mod attendance;
pub mod audit;
pub mod calendar;
pub mod checkins;
mod checkpoint;
pub mod digests;
pub mod discipline;
pub mod disputes;
pub mod dossiers;
pub mod evaluation_run;
pub mod evaluations;
pub mod evidence;
pub mod inspections;
pub mod jobs;
pub mod leaves;
pub mod moves;
pub mod notices;
pub mod onestop;
pub mod outbox;
pub mod policies;
pub mod posts;
pub mod reform;
pub mod schedules;
pub mod schema;
pub mod scores;
pub mod staff;
pub mod surveys;
pub mod units;
pub mod users;
pub mod violation_types;
pub mod violations;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{
    self, CustomizeConnection, ManageConnection, Pool, PooledConnection, R2D2Connection,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgresql",
            Backend::Sqlite => "sqlite",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database URL: {0}")]
    Url(String),
    #[error("cannot connect to the {backend} database: {cause}")]
    Connect {
        backend: &'static str,
        cause: String,
    },
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("connection pool: {0}")]
    Pool(String),
}

/// A database URL whose backend was decided by its scheme. We never let diesel's derived
/// `AnyConnection::establish` guess: it falls through to SQLite and creates a file named
/// after any mistyped URL (STACK.md gotcha 2).
#[derive(Debug, Clone)]
pub struct DbUrl {
    pub backend: Backend,
    url: String,
}

impl DbUrl {
    pub fn parse(raw: &str) -> Result<Self, DbError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(DbError::Url("empty".into()));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DbUrl {
                backend: Backend::Postgres,
                url: raw.to_owned(),
            });
        }
        let path = match raw.strip_prefix("sqlite://") {
            Some(path) => path,
            None if raw.contains("://") => {
                let scheme = raw.split("://").next().unwrap_or_default();
                return Err(DbError::Url(format!(
                    "unsupported scheme {scheme:?}: use postgres://… or sqlite://PATH"
                )));
            }
            // libpq's keyword form ("host=db user=u password=…") is no file name: taken
            // as one, it would be created on disk and logged, password and all.
            None if raw.contains('=') && !raw.starts_with("sqlite:") => {
                return Err(DbError::Url(
                    "looks like libpq keywords (key=value): give a postgres://… URL (or \
                     sqlite://PATH for a file whose name holds '=')"
                        .into(),
                ));
            }
            None => raw.strip_prefix("sqlite:").unwrap_or(raw),
        };
        if path.is_empty() {
            return Err(DbError::Url("sqlite:// needs a file path".into()));
        }
        Ok(DbUrl {
            backend: Backend::Sqlite,
            url: path.to_owned(),
        })
    }

    /// The URL with any password masked, for logs.
    pub fn redacted(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!("sqlite://{}", self.url),
            Backend::Postgres => redact_password(&self.url),
        }
    }

    /// The passwords the URL holds, as written and percent-decoded, longest first: the
    /// user-info password and the `password`/`sslpassword` query parameters.
    fn secrets(&self) -> Vec<String> {
        if self.backend != Backend::Postgres {
            return Vec::new();
        }
        let secret = password_key;
        let mut found: Vec<String> = Vec::new();
        // As the URL parser reads them.
        if let Ok(parsed) = url::Url::parse(&self.url) {
            found.extend(parsed.password().map(str::to_owned));
            found.extend(
                parsed
                    .query_pairs()
                    .filter(|(k, _)| secret(k))
                    .map(|(_, v)| v.into_owned()),
            );
        }
        // As written (which is what libpq quotes): the user-info password between the
        // first ':' and the last '@' before the path, and the query's values, undecoded.
        // (A password with an unescaped '@' is read by libpq only up to that '@', and a
        // message naming the host it then sees may show the rest.)
        if let Some((_, rest)) = self.url.split_once("://") {
            let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
            let authority = authority.split('/').next().unwrap_or(authority);
            if let Some((userinfo, _)) = authority.rsplit_once('@')
                && let Some((_, password)) = userinfo.split_once(':')
            {
                found.push(password.to_owned());
            }
            found.extend(
                query
                    .split('&')
                    .filter_map(|pair| pair.split_once('='))
                    .filter(|(k, _)| secret(k))
                    .map(|(_, v)| v.to_owned()),
            );
        }
        let decoded: Vec<String> = found
            .iter()
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        found.extend(decoded);
        found.retain(|s| !s.is_empty());
        found.sort_by_key(|s| std::cmp::Reverse(s.len()));
        found.dedup();
        found
    }

    /// `text` (a driver's error) with the URL redacted and its passwords masked: libpq
    /// quotes what it cannot parse, a malformed password included, and these messages go
    /// to the terminal and the journal.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.replace(&self.url, &self.redacted());
        for secret in self.secrets() {
            out = out.replace(&secret, "***");
        }
        out
    }

    /// The database file, on SQLite.
    fn sqlite_file(&self) -> Option<&Path> {
        (self.backend == Backend::Sqlite).then(|| Path::new(&self.url))
    }

    fn establish(&self) -> Result<AnyConnection, ConnectionError> {
        match self.backend {
            Backend::Postgres => {
                diesel::PgConnection::establish(&self.url).map(AnyConnection::Postgresql)
            }
            Backend::Sqlite => {
                if let Some(dir) = Path::new(&self.url)
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                {
                    crate::private_fs::create_dir(dir).map_err(|e| {
                        ConnectionError::BadConnection(format!(
                            "cannot create {}: {e}",
                            dir.display()
                        ))
                    })?;
                }
                // A new database file is created readable by the service's user only
                // (its journal files take its mode): it holds the password hashes and
                // everyone's record. SQLite itself would create it world-readable.
                let file = Path::new(&self.url);
                if !file.as_os_str().is_empty() && !self.url.starts_with(':') {
                    match crate::private_fs::create_file(file, false) {
                        Ok(_) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                        Err(e) => {
                            return Err(ConnectionError::BadConnection(format!(
                                "cannot create {}: {e}",
                                file.display()
                            )));
                        }
                    }
                }
                diesel::SqliteConnection::establish(&self.url).map(AnyConnection::Sqlite)
            }
        }
    }
}

/// Whether a URL query parameter holds a password libpq reads.
fn password_key(k: &str) -> bool {
    k.eq_ignore_ascii_case("password") || k.eq_ignore_ascii_case("sslpassword")
}

/// The URL with its passwords hidden, for the log: the user-info password and the
/// `password`/`sslpassword` query parameters libpq also reads. Parsed as a URL, so a
/// password with an unescaped `@` or `?` in it is hidden whole; a URL that does not
/// parse is not shown at all.
fn redact_password(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "(a PostgreSQL URL that does not parse)".to_owned();
    };
    if parsed.password().is_some() {
        // Setting a password fails only for URLs that cannot have one (no host).
        let _ = parsed.set_password(Some("***"));
    }
    let secret = password_key;
    if parsed.query_pairs().any(|(k, _)| secret(&k)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if secret(&k) {
                    "***".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// r2d2 manager that connects by the parsed URL's backend.
#[derive(Debug)]
pub struct Manager {
    url: DbUrl,
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        self.url.establish().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// SQLite settings every pooled connection needs: WAL lets readers run beside the one
/// writer, foreign keys are off by default in SQLite, and the busy timeout rides out the
/// short write locks of other processes (the CLI beside a running server).
/// With `checkpointer`, a thread checkpoints the log and the pool's connections do not
/// (`checkpoint`).
#[derive(Debug)]
struct SqlitePragmas {
    checkpointer: bool,
}

impl CustomizeConnection<AnyConnection, r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        apply_sqlite_pragmas(conn).map_err(r2d2::Error::QueryError)?;
        if self.checkpointer {
            conn.batch_execute(checkpoint::NO_AUTOCHECKPOINT)
                .map_err(r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

fn apply_sqlite_pragmas(conn: &mut AnyConnection) -> QueryResult<()> {
    if let AnyConnection::Sqlite(c) = conn {
        c.batch_execute(
            "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
             PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
        )?;
    }
    Ok(())
}

pub type Conn = PooledConnection<Manager>;

/// The connection pool plus what every write needs.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    backend: Backend,
    /// SQLite has one writer at a time, and a deferred transaction that reads first and
    /// then writes fails at once with SQLITE_BUSY when another writer got in between (the
    /// busy timeout cannot help it). Serialising this process's write transactions makes
    /// every write wait its turn instead (`checkpoint::Writer`).
    sqlite_writer: Option<Arc<checkpoint::Writer>>,
}

impl Db {
    /// Connects, runs pending migrations on a single connection, then builds the pool.
    pub fn connect(raw_url: &str, pool_size: u32) -> Result<Db, DbError> {
        Self::connect_with(raw_url, pool_size, 1)
    }

    /// For one-shot commands: a small pool that keeps no idle connection in reserve. A pool
    /// that replenishes in a background thread could still be opening a PostgreSQL
    /// connection (libpq negotiating TLS) when a short command exits, and libssl's exit
    /// handlers then crash that thread (seen as SIGSEGV at exit).
    pub fn connect_oneshot(raw_url: &str) -> Result<Db, DbError> {
        Self::connect_with(raw_url, 2, 0)
    }

    fn connect_with(raw_url: &str, pool_size: u32, min_idle: u32) -> Result<Db, DbError> {
        let url = DbUrl::parse(raw_url)?;
        let backend = url.backend;
        let connect_err = |cause: String| DbError::Connect {
            backend: backend.name(),
            cause,
        };
        let mut conn = url
            .establish()
            .map_err(|e| connect_err(url.scrub(&e.to_string())))?;
        apply_sqlite_pragmas(&mut conn).map_err(|e| connect_err(e.to_string()))?;
        run_migrations(&mut conn)?;
        drop(conn);

        let size = match (pool_size, backend) {
            (0, Backend::Sqlite) => 4,
            (0, Backend::Postgres) => 10,
            (n, _) => n,
        };
        let mut builder = Pool::builder()
            .max_size(size)
            .min_idle(Some(min_idle))
            .connection_timeout(Duration::from_secs(10));
        let sqlite_writer =
            (backend == Backend::Sqlite).then(|| Arc::new(checkpoint::Writer::default()));
        if let Some(writer) = &sqlite_writer {
            let checkpointer = checkpoint::spawn(url.clone(), Arc::downgrade(writer));
            builder = builder.connection_customizer(Box::new(SqlitePragmas { checkpointer }));
        }
        let scrub = url.clone();
        let pool = builder
            .build(Manager { url })
            .map_err(|e| DbError::Pool(scrub.scrub(&e.to_string())))?;
        Ok(Db {
            pool,
            backend,
            sqlite_writer,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// One unpooled connection with the pool's settings and no migrations: for the
    /// benchmarks' baselines, which must write exactly as the service's connections do.
    pub fn raw_connection(raw_url: &str) -> Result<AnyConnection, DbError> {
        let url = DbUrl::parse(raw_url)?;
        let connect_err = |cause: String| DbError::Connect {
            backend: url.backend.name(),
            cause,
        };
        let mut conn = url
            .establish()
            .map_err(|e| connect_err(url.scrub(&e.to_string())))?;
        apply_sqlite_pragmas(&mut conn).map_err(|e| connect_err(e.to_string()))?;
        Ok(conn)
    }

    pub fn conn(&self) -> Result<Conn, r2d2::PoolError> {
        self.pool.get()
    }

    /// A second connection for work that can read two things at once, if the pool has
    /// one idle or room for one within half a second: waiting longer could stall a
    /// pool of one, and the work can always do without.
    pub fn spare(&self) -> Option<Conn> {
        self.pool
            .get_timeout(std::time::Duration::from_millis(500))
            .ok()
    }

    /// Runs `f` in one transaction: everything it writes commits together or not at all.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut AnyConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error> + From<r2d2::PoolError>,
    {
        let turn = self.sqlite_writer.as_ref().map(|w| (w, w.turn()));
        let mut pooled = self.pool.get()?;
        let conn: &mut AnyConnection = &mut pooled;
        if let Some((writer, _)) = &turn {
            writer.finish_checkpoint(conn);
        }
        write_transaction(conn, f)
    }

    /// Runs read-only work on a pooled connection.
    pub fn read<T, E>(&self, f: impl FnOnce(&mut AnyConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<r2d2::PoolError>,
    {
        let mut conn = self.pool.get()?;
        f(&mut conn)
    }

    /// Pool gauges for /metrics: (connections open, idle).
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// Whether the database answers, for /readyz. Bounded well below the usual probe
    /// timeouts, so a dead database gives a quick "no" rather than a hung probe.
    pub fn ping(&self) -> bool {
        self.pool
            .get_timeout(Duration::from_secs(2))
            .map(|mut c| c.ping().is_ok())
            .unwrap_or(false)
    }
}

/// A transaction that writes, on a connection of its own (`Db::write` serialises the
/// pool's): on SQLite `immediate`, on PostgreSQL an ordinary one.
pub(crate) fn write_transaction<T, E>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        AnyConnection::Sqlite(_) => immediate(conn, f),
        AnyConnection::Postgresql(_) => conn.transaction(f),
    }
}

/// A SQLite write transaction that takes the write lock as it begins (`BEGIN IMMEDIATE`),
/// waiting up to the busy timeout for another process's writer to finish. A deferred one
/// reads first, and when another process (the command line beside the server, or the
/// server beside a command) commits in between, its first write fails at once with
/// "database is locked": its snapshot is stale and no waiting can help. This process's
/// own writers already take turns (`Db::sqlite_writer`), so beginning with the lock
/// costs them nothing. Otherwise as diesel's `transaction`: nested ones are savepoints.
fn immediate<T, E>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <AnyConnection as Connection>::TransactionManager;
    if let AnyConnection::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(e),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Applies the backend's pending migrations, then loads the shipped rating policies that
/// are not stored yet; returns the versions applied.
pub fn run_migrations(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    let done = match conn {
        AnyConnection::Postgresql(c) => c.run_pending_migrations(PG_MIGRATIONS),
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| DbError::Migration(e.to_string()))?
    .iter()
    .map(|v| v.to_string())
    .collect();
    policies::seed_presets(conn).map_err(|e| DbError::Migration(format!("policies: {e}")))?;
    Ok(done)
}

/// Connects once and applies pending migrations, for `congvu migrate`.
pub fn migrate(raw_url: &str) -> Result<Vec<String>, DbError> {
    let url = DbUrl::parse(raw_url)?;
    let mut conn = url.establish().map_err(|e| DbError::Connect {
        backend: url.backend.name(),
        cause: url.scrub(&e.to_string()),
    })?;
    apply_sqlite_pragmas(&mut conn).map_err(|e| DbError::Migration(e.to_string()))?;
    run_migrations(&mut conn)
}

/// What a PostgreSQL transaction-scoped advisory lock serialises; the value is the lock's
/// first key, so each kind of work waits only for its own kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockClass {
    /// A province's unit tree (key: province).
    UnitTree = 1,
    /// A province's attendance re-derivation (key: province).
    Attendance = 2,
    /// One account's offline inspection submissions (key: user).
    Submissions = 3,
    /// Loading the shipped policies at start (key: 0).
    PolicySeed = 4,
    /// A province's evaluation runs and decisions (key: province). A transfer, which files
    /// the person's ratings under the new unit, takes it after `Staff` and `Account` and
    /// before `Attendance`; runs and decisions take no other lock after it.
    Evaluations = 5,
    /// A province's repeat detection: which violations earlier notices consumed (key:
    /// province). Always taken after the attendance lock, never before it.
    Repeats = 6,
    /// A province's dossier imports and feeds (key: province). Two imports of the same new
    /// dossier would both find it missing and one fail on the unique code (a 409, or a
    /// deadlock's 500, for the sender to retry); the second now waits and finds it. A
    /// request takes all its provinces' locks in id order before it reads or writes
    /// dossiers: before the repeat lock, never after it.
    Dossiers = 7,
    /// One staff record's changes (key: staff). A change reads the record and the
    /// person's last transfer and writes both: two at once would each write from what
    /// they read (two transfers from the same unit, or a rename that puts back the unit
    /// the other just changed). A new leave of the person checks for overlaps under it.
    /// Taken first, before any other lock.
    Staff = 8,
    /// One account's changes (key: user): an administrator's role edit beside the owner's
    /// new password, or beside a departure that ends the account's sessions, each sees the
    /// other's result. Taken first by account changes; after `Staff` by a staff record's
    /// change of its leaving date and by a transfer or its undoing (which end or give back
    /// the roles of the unit left), before any other lock.
    Account = 9,
}

/// On PostgreSQL, waits for and takes the advisory lock `(class, key)` until the end of
/// the transaction. SQLite needs none: `Db::write` lets one writer in at a time. The
/// two-key form takes 32-bit keys; ids beyond that share a key, which costs some waiting
/// and never correctness.
pub fn advisory_lock(conn: &mut AnyConnection, class: LockClass, key: i64) -> QueryResult<()> {
    if let AnyConnection::Postgresql(c) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1, CAST($2 % 2147483647 AS INTEGER))")
            .bind::<diesel::sql_types::Integer, _>(class as i32)
            .bind::<diesel::sql_types::BigInt, _>(key)
            .execute(c)?;
    }
    Ok(())
}

/// The current time as stored: UTC, truncated to microseconds so that a value read back
/// from PostgreSQL equals the value written (SQLite would keep nanoseconds).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::SubsecRound;
    chrono::Utc::now().naive_utc().trunc_subsecs(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The database holds the password hashes and everyone's record: its folder and file
    /// are created readable by the service's user only (before: 0755 and 0644).
    #[cfg(unix)]
    #[test]
    fn a_new_sqlite_database_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("data").join("congvu.db");
        let _db = Db::connect(&format!("sqlite://{}", file.display()), 1).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(file.parent().unwrap()), 0o700);
    }

    #[test]
    fn url_scheme_decides_backend() {
        assert_eq!(
            DbUrl::parse("postgres://u@h/db").unwrap().backend,
            Backend::Postgres
        );
        assert_eq!(
            DbUrl::parse("postgresql://u@h/db").unwrap().backend,
            Backend::Postgres
        );
        let s = DbUrl::parse("sqlite://data/congvu.db").unwrap();
        assert_eq!(
            (s.backend, s.url.as_str()),
            (Backend::Sqlite, "data/congvu.db")
        );
        let abs = DbUrl::parse("sqlite:///var/lib/congvu.db").unwrap();
        assert_eq!(abs.url, "/var/lib/congvu.db");
        assert_eq!(DbUrl::parse("data/x.db").unwrap().backend, Backend::Sqlite);
        assert!(DbUrl::parse("postgres-typo://h/db").is_err());
        assert!(DbUrl::parse("mysql://h/db").is_err());
        assert!(DbUrl::parse("").is_err());
        // The error does not repeat what it was given (a password may be in it).
        let keywords = DbUrl::parse("host=db user=congvu password=s3cret").err();
        assert!(keywords.is_some_and(|e| !e.to_string().contains("s3cret")));
    }

    #[test]
    fn passwords_are_redacted() {
        let url = DbUrl::parse("postgres://congvu:s3cret@db:5432/congvu").unwrap();
        assert_eq!(url.redacted(), "postgres://congvu:***@db:5432/congvu");
        let url = DbUrl::parse("postgres://postgres@127.0.0.1/test").unwrap();
        assert_eq!(url.redacted(), "postgres://postgres@127.0.0.1/test");
        // In the query, as libpq also takes it, and with characters a URL should escape.
        for (given, shown) in [
            (
                "postgres://db/congvu?user=u&password=s3cret&sslmode=require",
                "postgres://db/congvu?user=u&password=***&sslmode=require",
            ),
            (
                "postgres://db:5432/congvu?password=p@x",
                "postgres://db:5432/congvu?password=***",
            ),
            ("postgres://u:p@ss@db/congvu", "postgres://u:***@db/congvu"),
        ] {
            let url = DbUrl::parse(given).unwrap();
            assert_eq!(url.redacted(), shown, "{given}");
            for secret in ["s3cret", "p@x", "ss@", "p%40"] {
                assert!(!url.redacted().contains(secret), "{given}");
            }
        }
    }

    #[test]
    fn driver_errors_lose_the_password() {
        // libpq quotes a malformed percent escape, password and all.
        let url = DbUrl::parse("postgres://congvu:Ab%9z@db/congvu").unwrap();
        let said = url.scrub("invalid percent-encoded token: \"Ab%9z\"");
        assert_eq!(said, "invalid percent-encoded token: \"***\"");
        // Decoded, or in the query, or the whole URL repeated.
        let url = DbUrl::parse("postgres://u:p%40ss@db/c?sslpassword=k3y").unwrap();
        let said = url.scrub("password p@ss, key k3y, in postgres://u:p%40ss@db/c?sslpassword=k3y");
        for secret in ["p@ss", "p%40ss", "k3y"] {
            assert!(!said.contains(secret), "{said}");
        }
        // As libpq reads what the URL parser reads otherwise: a '+' in the query, a mix of
        // escapes, an unescaped '@'.
        for (given, raw) in [
            ("postgres://db/c?password=a+b%zz", "a+b%zz"),
            ("postgres://u:p|%41%zz@db/c", "p|%41%zz"),
            ("postgres://u:p@ss@db/c", "p@ss"),
        ] {
            let url = DbUrl::parse(given).unwrap();
            let said = url.scrub(&format!("invalid token: \"{raw}\""));
            assert!(!said.contains(raw), "{given}: {said}");
        }
        // Nothing to hide on SQLite, and a message without the password stays as it was.
        let url = DbUrl::parse("sqlite://data/x.db").unwrap();
        assert_eq!(url.scrub("no such file"), "no such file");
        let url = DbUrl::parse("postgres://postgres@127.0.0.1/test").unwrap();
        assert_eq!(url.scrub("connection refused"), "connection refused");
    }
}
