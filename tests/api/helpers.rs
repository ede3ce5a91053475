//! Test harness: every test spawns the real application on port 0 against a fresh SQLite
//! file or a fresh PostgreSQL database (created with a unique name and dropped after), and
//! talks to it over HTTP with a real client.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use congvu::config::Settings;
use congvu::db::Db;
use congvu::db::staff::{StaffFields, StaffRow};
use congvu::db::units::UnitRow;
use congvu::db::users::{NewGrant, NewUser};
use congvu::domain::codes::Role;
use congvu::startup::Application;
use diesel::prelude::*;
use secrecy::SecretString;
use serde_json::{Value, json};

pub const TEST_SECRET: &str = "test-secret-of-at-least-32-characters!!";
pub const PASSWORD: &str = "mat-khau-thu-nghiem";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `sqlite` and `postgres` variants of an async test taking a `Backend`.
#[macro_export]
macro_rules! both {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )+};
}

/// The server PostgreSQL tests create their databases on. Without an `sslmode` of its
/// own, the local test server is reached without TLS: each test is a process of its own,
/// and libssl's exit handlers can crash (SIGSEGV) a process that exits while a pool
/// thread is still negotiating TLS with the server.
pub fn pg_admin_url() -> String {
    let url = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    if url.contains("sslmode=") {
        url
    } else if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    }
}

/// `SKIP_PG_TESTS=1` (set by scripts/test when no server is reachable) turns the
/// PostgreSQL variants into no-ops; without it an unreachable server fails the test.
pub fn pg_skipped() -> bool {
    std::env::var("SKIP_PG_TESTS").is_ok_and(|v| v == "1")
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let head = match base.rfind('/') {
        Some(i) if i > base.find("://").map_or(0, |j| j + 2) => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{head}/{name}?{q}"),
        None => format!("{head}/{name}"),
    }
}

/// A PostgreSQL database that exists for one test.
pub struct PgDatabase {
    pub url: String,
    name: String,
}

impl PgDatabase {
    pub fn create() -> PgDatabase {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "congvu_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_micros() % 1_000_000_000
        );
        let admin = pg_admin_url();
        let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
            panic!("PostgreSQL is not reachable at {admin}: {e}. Start it, set TEST_DATABASE_URL, or set SKIP_PG_TESTS=1 to run SQLite only")
        });
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create test database");
        PgDatabase {
            url: with_database(&admin, &name),
            name,
        }
    }
}

impl PgDatabase {
    /// Drops the database under a running application, for outage tests.
    pub fn drop_now(&self) {
        if let Ok(mut conn) = PgConnection::establish(&pg_admin_url()) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        self.drop_now();
    }
}

/// Where a test's data lives: a temp folder (SQLite file, token secret) and, on
/// PostgreSQL, a database of its own.
pub struct Storage {
    pub dir: tempfile::TempDir,
    pub pg: Option<PgDatabase>,
}

impl Storage {
    /// None when the PostgreSQL suite is skipped.
    pub fn new(backend: Backend) -> Option<Storage> {
        if backend == Backend::Postgres && pg_skipped() {
            eprintln!("PostgreSQL variant skipped (SKIP_PG_TESTS=1)");
            return None;
        }
        Some(Storage {
            dir: tempfile::tempdir().expect("temp dir"),
            pg: (backend == Backend::Postgres).then(PgDatabase::create),
        })
    }

    pub fn database_url(&self) -> String {
        match &self.pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", self.dir.path().join("congvu.db").display()),
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Db,
    /// The settings the application was built with.
    pub settings: Settings,
    /// Kept alive for the test: dropping it removes the files and the database.
    _storage: Storage,
}

pub fn test_settings(storage: &Storage) -> Settings {
    let mut s = Settings::load_from(HashMap::new(), storage.dir.path()).expect("default settings");
    s.bind = "127.0.0.1:0".into();
    s.data_dir = storage.dir.path().to_path_buf();
    s.database.url = Some(storage.database_url());
    s.database.pool_size = 3;
    s.jwt_secret = Some(SecretString::from(TEST_SECRET));
    s.http.workers = 1;
    s.http.shutdown_timeout_secs = 1;
    s
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// An app with the demo province loaded (under the resolved late-ratio formula), and
    /// the load's summary.
    pub async fn with_demo(backend: Backend) -> Option<(TestApp, congvu::demo::DemoSummary)> {
        let app = Self::spawn(backend).await?;
        let db = app.db.clone();
        let summary = tokio::task::spawn_blocking(move || {
            congvu::demo::load(&db, congvu::domain::dossiers::LateRatioFormula::Resolved)
        })
        .await
        .expect("demo thread")
        .expect("demo");
        Some((app, summary))
    }

    /// An app with the access-test `World` already in it.
    pub async fn with_world(backend: Backend) -> Option<(TestApp, World)> {
        Self::with_world_and(backend, |_| {}).await
    }

    pub async fn with_world_and(
        backend: Backend,
        tweak: impl FnOnce(&mut Settings),
    ) -> Option<(TestApp, World)> {
        let app = Self::spawn_with(backend, tweak).await?;
        let world = app.world().await;
        Some((app, world))
    }

    pub async fn spawn_with(
        backend: Backend,
        tweak: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        let storage = Storage::new(backend)?;
        let mut settings = test_settings(&storage);
        tweak(&mut settings);
        let db =
            Db::connect(&settings.database_url(), settings.database.pool_size).expect("database");
        let app = Application::build_with_db(&settings, db.clone()).expect("application");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Some(TestApp {
            base,
            client: reqwest::Client::new(),
            db,
            settings,
            _storage: storage,
        })
    }

    /// The PostgreSQL database of this test, if it runs on PostgreSQL.
    pub fn pg(&self) -> Option<&PgDatabase> {
        self._storage.pg.as_ref()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let res = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        read(res).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, token, path, body).await
    }

    /// A staff record created through the API by `token`'s holder; its id.
    pub async fn new_staff(&self, token: &str, body: Value) -> i64 {
        let (s, made) = self.post(token, "/api/v1/staff", body).await;
        assert_eq!(s, 201, "{made}");
        made["id"].as_i64().expect("id")
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, token, path, body).await
    }

    pub async fn delete(&self, token: &str, path: &str) -> (u16, Value) {
        let res = self
            .client
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        read(res).await
    }

    pub async fn put(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, token, path, body).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Value,
    ) -> (u16, Value) {
        let res = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request");
        read(res).await
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("request")
    }

    pub async fn token(&self, username: &str, password: &str) -> String {
        let res = self.login(username, password).await;
        assert_eq!(res.status(), 200, "login of {username}");
        let body: Value = res.json().await.expect("json");
        body["access_token"].as_str().expect("token").to_owned()
    }

    /// The actions of the audit rows about one entity that `token` reads, with the unit
    /// each is filed under, newest first.
    pub async fn trail(&self, token: &str, entity: &str, id: i64) -> Vec<(String, i64)> {
        let (s, trail) = self
            .get(
                token,
                &format!("/api/v1/audit?entity={entity}&entity_id={id}&per_page=500"),
            )
            .await;
        assert_eq!(s, 200, "{trail}");
        trail["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                let action = e["action"].as_str().unwrap_or_default().to_owned();
                (action, e["unit_id"].as_i64().unwrap_or_default())
            })
            .collect()
    }

    /// Runs one statement directly, to set up data as earlier versions left it.
    pub fn exec(&self, sql: &str) {
        let mut conn = self.db.conn().expect("connection");
        diesel::sql_query(sql)
            .execute(&mut *conn)
            .expect("statement");
    }

    /// Counts rows of a table, to prove a failed request wrote nothing.
    pub fn count(&self, table: &str) -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.db.conn().expect("connection");
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<N>(&mut *conn)
            .expect("count")
            .n
    }

    /// What a large evaluation reads in a few passes over the province (its dossier
    /// tallies and register counts) is what the per-person queries read, for everyone of
    /// the province in `year`; and someone has dossier steps or register entries in it.
    pub fn province_wide_agrees(&self, province_id: i64, year: i32) {
        use congvu::db::schema::staff;
        let mut conn = self.db.conn().expect("connection");
        let people: Vec<StaffRow> = staff::table
            .filter(staff::province_id.eq(province_id))
            .order(staff::id)
            .select(StaffRow::as_select())
            .load(&mut *conn)
            .expect("staff");
        let ids: Vec<i64> = people.iter().map(|s| s.id).collect();
        let refs: Vec<&StaffRow> = people.iter().collect();
        let now = congvu::domain::attendance::to_local(congvu::db::now());
        let formula = congvu::domain::dossiers::LateRatioFormula::WithOverdue;
        let wide = congvu::db::evaluations::ProvinceWide::load(
            &mut conn,
            None,
            province_id,
            &ids,
            year,
            now,
        )
        .expect("province-wide");
        // Read on two connections at once, as a large run does when the pool has one to
        // spare: the same.
        let mut side = self.db.conn().expect("second connection");
        let both = congvu::db::evaluations::ProvinceWide::load(
            &mut conn,
            Some(&mut side),
            province_id,
            &ids,
            year,
            now,
        )
        .expect("province-wide, two connections");
        assert_eq!(both.tallies, wide.tallies);
        assert_eq!(both.register, wide.register);
        let records = |conn: &mut congvu::db::AnyConnection, wide| {
            let mut v: Vec<_> =
                congvu::db::evaluations::recorded_many(conn, &refs, year, now, formula, wide)
                    .expect("records")
                    .into_iter()
                    .collect();
            v.sort_by_key(|(id, _)| *id);
            v
        };
        let by_person = records(&mut conn, None);
        assert_eq!(records(&mut conn, Some(&wide)), by_person);
        assert!(
            by_person.iter().any(|(_, r)| r.handled_steps > 0
                || r.late_arrivals + r.early_leaves + r.unexcused_absences > 0),
            "nobody has dossier steps or register entries in {year}"
        );
    }

    /// A province's run with a second connection to read on (a large run's, which reads
    /// the next part of the people while it rates the part before) proposes what a run
    /// on one connection does, for each of its people.
    pub fn two_connection_run_agrees(&self, province_id: i64, year: i32) {
        use congvu::db::evaluation_run::{PIPELINE_FROM, run};
        type Proposed = (
            i64,
            bool,
            Option<String>,
            Option<String>,
            Value,
            Value,
            Option<String>,
        );
        let unit = {
            let mut conn = self.db.conn().expect("connection");
            congvu::db::units::find(&mut conn, province_id)
                .expect("unit")
                .expect("the province")
        };
        let now = congvu::domain::attendance::to_local(congvu::db::now());
        let formula = congvu::domain::dossiers::LateRatioFormula::WithOverdue;
        let evaluate = |db: Option<&Db>| -> Vec<Proposed> {
            let report = self
                .db
                .write(|c| -> Result<_, Box<dyn std::error::Error>> {
                    Ok(run(
                        c,
                        db,
                        None,
                        &unit,
                        year,
                        None,
                        now,
                        formula,
                        &mut |_, _| {},
                    )?)
                })
                .expect("run");
            let json = |s: &str| serde_json::from_str::<Value>(s).expect("json");
            let mut v: Vec<Proposed> = report
                .rows
                .into_iter()
                .map(|r| {
                    let (metrics, applied) = (json(&r.metrics), json(&r.applied_rules));
                    let (rated, proposed, max) = (r.rated, r.proposed_rating, r.max_rating);
                    (
                        r.staff_id,
                        rated,
                        proposed,
                        max,
                        metrics,
                        applied,
                        r.quota_note,
                    )
                })
                .collect();
            v.sort_by_key(|p| p.0);
            v
        };
        let alone = evaluate(None);
        assert!(
            alone.len() >= PIPELINE_FROM,
            "{} people: too few to read on two connections",
            alone.len()
        );
        assert_eq!(evaluate(Some(&self.db)), alone);
    }
}

/// Status and JSON body (Null when the body is not JSON); problem documents must carry
/// their media type.
pub async fn read(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = res.text().await.unwrap_or_default();
    if status >= 400 {
        assert_eq!(
            content_type, "application/problem+json",
            "error {status} body {text}"
        );
    }
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A small province for access tests:
///
/// ```text
/// P (province)
/// ├── A (department) ── A1 (division)
/// └── B (department)
/// ```
/// with a head of A, a member of A1, a member of B, and one account per role.
pub struct World {
    pub p: UnitRow,
    pub a: UnitRow,
    pub a1: UnitRow,
    pub b: UnitRow,
    pub head_a: StaffRow,
    pub member_a1: StaffRow,
    pub member_b: StaffRow,
    /// Tokens by account name: root (admin everywhere), admin_p, admin_a, hr_a, head_a,
    /// inspector_p, staff_a1.
    pub tokens: HashMap<&'static str, String>,
    pub user_ids: HashMap<&'static str, i64>,
}

impl World {
    pub fn token(&self, who: &str) -> &str {
        self.tokens
            .get(who)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no account {who}"))
    }
}

pub fn staff_fields(unit: &UnitRow, code: &str, name: &str, is_head: bool) -> StaffFields {
    StaffFields {
        province_id: unit.province_id,
        unit_id: unit.id,
        code: code.into(),
        full_name: name.into(),
        category: "cong_chuc".into(),
        position: None,
        email: None,
        is_head,
        joined_on: None,
        left_on: None,
    }
}

impl TestApp {
    /// Builds the `World` directly in the database (fast), then issues real tokens.
    pub async fn world(&self) -> World {
        use congvu::db::{staff, units, users};
        let hash = congvu::auth::password::hash(PASSWORD).expect("hash");
        let accounts: Vec<(
            &'static str,
            Role,
            Option<&'static str>,
            Option<&'static str>,
        )> = vec![
            ("root", Role::Admin, None, None),
            ("admin_p", Role::Admin, Some("P"), None),
            ("admin_a", Role::Admin, Some("A"), None),
            ("hr_a", Role::Hr, Some("A"), None),
            ("head_a", Role::UnitHead, Some("A"), Some("head_a")),
            ("inspector_p", Role::Inspector, Some("P"), None),
            ("staff_a1", Role::Staff, Some("A1"), Some("member_a1")),
        ];
        let db = self.db.clone();
        let (world, ids) = tokio::task::spawn_blocking(move || {
            db.write(|c| -> Result<_, Box<dyn std::error::Error + Send + Sync>> {
                let p = units::insert(c, None, None, "P", "Tỉnh Thử Nghiệm", "province", None)?;
                let a = units::insert(c, None, Some(&p), "A", "Sở A", "department", None)?;
                let a1 = units::insert(c, None, Some(&a), "A1", "Phòng A1", "division", None)?;
                let b = units::insert(c, None, Some(&p), "B", "Sở B", "department", None)?;
                let head_a = staff::insert(
                    c,
                    None,
                    &staff_fields(&a, "S-HEAD-A", "Trần Văn Hùng", true),
                )?;
                let member_a1 =
                    staff::insert(c, None, &staff_fields(&a1, "S-A1", "Nguyễn Thị Lan", false))?;
                let member_b =
                    staff::insert(c, None, &staff_fields(&b, "S-B", "Lê Minh Tuấn", false))?;
                let unit_of = |code: &str| match code {
                    "P" => &p,
                    "A" => &a,
                    "A1" => &a1,
                    _ => &b,
                };
                let staff_of = |name: &str| match name {
                    "head_a" => head_a.id,
                    _ => member_a1.id,
                };
                let mut ids = HashMap::new();
                for (name, role, unit, staff) in &accounts {
                    let unit = unit.map(unit_of);
                    let (user, _) = users::insert(
                        c,
                        None,
                        &NewUser {
                            username: name,
                            password_hash: &hash,
                            staff_id: staff.map(staff_of),
                            province_id: unit.map(|u| u.province_id),
                        },
                        &[NewGrant {
                            role: *role,
                            unit_id: unit.map(|u| u.id),
                            province_id: unit.map(|u| u.province_id),
                        }],
                    )?;
                    ids.insert(*name, user.id);
                }
                Ok((
                    World {
                        p,
                        a,
                        a1,
                        b,
                        head_a,
                        member_a1,
                        member_b,
                        tokens: HashMap::new(),
                        user_ids: HashMap::new(),
                    },
                    ids,
                ))
            })
        })
        .await
        .expect("join")
        .expect("world");
        let keys = congvu::auth::jwt::JwtKeys::new(TEST_SECRET.as_bytes(), 60);
        let now = chrono::Utc::now();
        let tokens = ids
            .iter()
            .map(|(name, id)| (*name, keys.issue(*id, now).expect("token")))
            .collect();
        World {
            tokens,
            user_ids: ids,
            ..world
        }
    }
}
