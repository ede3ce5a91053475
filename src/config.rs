//! Settings, layered as API.md's operations contract says: built-in defaults, then
//! `config/default.toml` in the working folder (or the file `CONGVU_CONFIG` names), then
//! `CONGVU_<SECTION>__<KEY>` environment variables, with `DATABASE_URL`, `CONGVU_BIND` and
//! `CONGVU_JWT_SECRET` on top. A bad setting stops start-up with a message naming it.

use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use secrecy::SecretString;
use serde::Deserialize;

pub mod onestop;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address the API listens on (`CONGVU_BIND`).
    pub bind: String,
    /// HMAC secret for access tokens (`CONGVU_JWT_SECRET`); see `auth::jwt`.
    pub jwt_secret: Option<SecretString>,
    /// Folder for the SQLite database, the generated token secret and outgoing mail files.
    pub data_dir: PathBuf,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub http: HttpSettings,
    pub log: LogSettings,
    pub smtp: SmtpSettings,
    pub notify: NotifySettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
    pub jobs: JobSettings,
    pub dossiers: DossierSettings,
    pub evidence: EvidenceSettings,
    #[serde(default)]
    pub onestop: onestop::OneStopSettings,
}

/// Files attached to inspection findings (photos, scans, recordings).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceSettings {
    /// Where the files are kept; unset: `<data_dir>/evidence`.
    pub dir: Option<PathBuf>,
    /// Largest accepted file, in bytes.
    pub max_bytes: usize,
    /// Media types accepted, as recognised from the content (never the client's claim); a
    /// TOML array or, from the environment, a comma-separated string.
    #[serde(deserialize_with = "string_list")]
    pub allowed_types: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DossierSettings {
    /// `resolved` (late ÷ finished) or `with_overdue` ((late + overdue in process) ÷
    /// (finished + overdue in process)); RULES.md §5.3.
    pub late_ratio_formula: crate::domain::dossiers::LateRatioFormula,
    /// The convention of particular provinces, by the code of their root unit
    /// (`[dossiers.late_ratio_formula_by_province]` in the TOML file).
    #[serde(default)]
    pub late_ratio_formula_by_province:
        std::collections::BTreeMap<String, crate::domain::dossiers::LateRatioFormula>,
    /// A survey score (1–5) from which the citizen counts as satisfied.
    pub satisfied_min_score: i32,
}

impl DossierSettings {
    /// The late-ratio convention of the province whose root unit has this code: its own,
    /// else the default.
    pub fn formula_for(
        &self,
        province_code: Option<&str>,
    ) -> crate::domain::dossiers::LateRatioFormula {
        province_code
            .and_then(|code| self.late_ratio_formula_by_province.get(code))
            .copied()
            .unwrap_or(self.late_ratio_formula)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    /// When the previous day's attendance is closed (cron, local time, seconds first).
    pub close_attendance: String,
    /// When every person's violations are checked against the repeat rules and unheeded
    /// notices escalate.
    pub repeat_sweep: String,
    /// When each head gets the digest of the past seven days.
    pub weekly_digest: String,
    /// When messages given up on get another round of attempts.
    pub resend_failed: String,
}

impl JobSettings {
    /// Each job with its setting's name, for checks and for the scheduler.
    pub fn all(&self) -> [(&'static str, &str); 4] {
        [
            ("close_attendance", &self.close_attendance),
            ("repeat_sweep", &self.repeat_sweep),
            ("weekly_digest", &self.weekly_digest),
            ("resend_failed", &self.resend_failed),
        ]
    }
}

/// The outbox sender and what notices link to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySettings {
    /// Where links in messages point (the front end, or this API).
    pub link_base: String,
    /// How often the sender looks for due messages, in seconds.
    pub send_interval_secs: u64,
    /// Attempts before a message is given up on (until the daily re-send).
    pub max_attempts: u32,
    /// The wait after the first failed attempt, doubled after each further one…
    pub retry_base_secs: u64,
    /// … up to this.
    pub retry_max_secs: u64,
    /// The daily re-send takes up messages given up on in these last days.
    pub resend_days: i64,
}

impl NotifySettings {
    pub fn retry_policy(&self) -> crate::domain::outbox::RetryPolicy {
        crate::domain::outbox::RetryPolicy {
            max_attempts: self.max_attempts,
            base_secs: self.retry_base_secs,
            max_secs: self.retry_max_secs,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

/// Outgoing mail (notices to unit heads). Without a host, messages are written as .eml
/// files under the data folder instead of being sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: Option<String>,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// The sender address of every notice.
    pub from: String,
    /// A PEM file of certificate authorities to trust besides the public ones (a
    /// province's own mail server certificate).
    pub ca_file: Option<PathBuf>,
    /// Seconds one delivery may take before it counts as failed.
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// A static bearer token for Prometheus scrapers on /metrics (`CONGVU_METRICS__TOKEN`);
    /// without it only an admin's access token reads /metrics.
    pub token: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://…`, `sqlite://PATH` or a plain file path; unset: `sqlite://<data_dir>/congvu.db`.
    pub url: Option<String>,
    /// Connections in the pool; 0 picks a default for the backend.
    pub pool_size: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub token_ttl_minutes: i64,
    /// Failed logins for one username before it is locked for `lockout_minutes`.
    pub max_failed_logins: u32,
    /// Failed logins from one client address before it is locked for `lockout_minutes`.
    pub max_failed_logins_per_ip: u32,
    pub lockout_minutes: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    pub shutdown_timeout_secs: u64,
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed when telling
    /// clients apart (login throttling). Empty: the peer address is the client.
    #[serde(deserialize_with = "address_list")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// A list of strings: a TOML array, or a comma-separated string from the environment.
fn string_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        List(Vec<String>),
        Text(String),
    }
    let items = match Form::deserialize(d)? {
        Form::List(items) => items,
        Form::Text(text) => text.split(',').map(str::to_owned).collect(),
    };
    Ok(items
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

/// A list of IP addresses: a TOML array, or a comma-separated string from the environment
/// (`CONGVU_HTTP__TRUSTED_PROXIES=10.0.0.1,10.0.0.2`).
fn address_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<std::net::IpAddr>, D::Error> {
    string_list(d)?
        .iter()
        .map(|s| {
            s.parse()
                .map_err(|_| serde::de::Error::custom(format!("{s:?} is not an IP address")))
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A tracing filter such as `info` or `congvu=debug,info`; `RUST_LOG` overrides it.
    pub level: String,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// Evidence accepted by default: photos (phones save JPEG, HEIF or WebP), scanned
/// records (PDF, PNG), video and voice recordings.
const EVIDENCE_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heif",
    "application/pdf",
    "video/mp4",
    "video/quicktime",
    "audio/mpeg",
    "audio/m4a",
];

/// Environment variables that share the prefix but are not settings.
const NOT_SETTINGS: &[&str] = &["CONGVU_CONFIG", "CONGVU_PASSWORD"];

impl Settings {
    /// Loads settings from the process environment and the working folder.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_from(std::env::vars().collect(), Path::new("."))
    }

    /// Loads settings from the given environment, looking for `config/default.toml` in `cwd`.
    pub fn load_from(env: HashMap<String, String>, cwd: &Path) -> Result<Self, ConfigError> {
        let mut builder = Config::builder()
            .set_default("bind", "127.0.0.1:8080")
            .and_then(|b| b.set_default("data_dir", "data"))
            .and_then(|b| b.set_default("database.pool_size", 0))
            .and_then(|b| b.set_default("auth.token_ttl_minutes", 480))
            .and_then(|b| b.set_default("auth.max_failed_logins", 5))
            .and_then(|b| b.set_default("auth.max_failed_logins_per_ip", 20))
            .and_then(|b| b.set_default("auth.lockout_minutes", 15))
            .and_then(|b| b.set_default("http.max_body_bytes", 8 * 1024 * 1024))
            .and_then(|b| b.set_default("http.workers", 0))
            .and_then(|b| b.set_default("http.shutdown_timeout_secs", 30))
            .and_then(|b| b.set_default("log.format", "text"))
            .and_then(|b| b.set_default("log.level", "info"))
            .and_then(|b| b.set_default("http.trusted_proxies", Vec::<String>::new()))
            .and_then(|b| b.set_default("smtp.port", 587))
            .and_then(|b| b.set_default("smtp.tls", "starttls"))
            .and_then(|b| b.set_default("smtp.from", "congvu@localhost"))
            .and_then(|b| b.set_default("smtp.timeout_secs", 30))
            .and_then(|b| b.set_default("jobs.close_attendance", "0 5 0 * * *"))
            .and_then(|b| b.set_default("jobs.repeat_sweep", "0 30 0 * * *"))
            .and_then(|b| b.set_default("jobs.weekly_digest", "0 0 7 * * Mon"))
            .and_then(|b| b.set_default("jobs.resend_failed", "0 0 6 * * *"))
            .and_then(|b| b.set_default("notify.link_base", "http://127.0.0.1:8080"))
            .and_then(|b| b.set_default("notify.send_interval_secs", 30))
            .and_then(|b| b.set_default("notify.max_attempts", 10))
            .and_then(|b| b.set_default("notify.retry_base_secs", 60))
            .and_then(|b| b.set_default("notify.retry_max_secs", 3600))
            .and_then(|b| b.set_default("notify.resend_days", 7))
            .and_then(|b| b.set_default("dossiers.late_ratio_formula", "resolved"))
            .and_then(|b| b.set_default("dossiers.satisfied_min_score", 4))
            .and_then(|b| b.set_default("evidence.max_bytes", 20 * 1024 * 1024))
            .and_then(|b| b.set_default("evidence.allowed_types", EVIDENCE_TYPES.to_vec()))
            .map_err(|e| ConfigError(e.to_string()))?;

        match env.get("CONGVU_CONFIG") {
            Some(path) => {
                builder = builder.add_source(File::new(path, FileFormat::Toml).required(true));
            }
            None => {
                let default = cwd.join("config/default.toml");
                builder = builder
                    .add_source(File::from(default).format(FileFormat::Toml).required(false));
            }
        }

        let settings_env: HashMap<String, String> = env
            .iter()
            .filter(|(k, _)| k.starts_with("CONGVU_") && !NOT_SETTINGS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        builder = builder.add_source(
            Environment::with_prefix("CONGVU")
                .prefix_separator("_")
                .separator("__")
                .source(Some(settings_env)),
        );
        if let Some(url) = env.get("DATABASE_URL").filter(|u| !u.is_empty()) {
            builder = builder
                .set_override("database.url", url.as_str())
                .map_err(|e| ConfigError(e.to_string()))?;
        }

        let settings: Settings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError(e.to_string()))?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        self.bind_addr()?;
        self.onestop.check().map_err(ConfigError)?;
        if !(1..=43_200).contains(&self.auth.token_ttl_minutes) {
            return Err(ConfigError(
                "auth.token_ttl_minutes (CONGVU_AUTH__TOKEN_TTL_MINUTES) must be between 1 and 43200".into(),
            ));
        }
        if self.auth.max_failed_logins == 0 || self.auth.max_failed_logins_per_ip == 0 {
            return Err(ConfigError(
                "auth.max_failed_logins and auth.max_failed_logins_per_ip must be at least 1"
                    .into(),
            ));
        }
        if self.http.max_body_bytes < 1024 {
            return Err(ConfigError(
                "http.max_body_bytes must be at least 1024".into(),
            ));
        }
        if let Some(secret) = &self.jwt_secret {
            use secrecy::ExposeSecret;
            if secret.expose_secret().len() < 32 {
                return Err(ConfigError(
                    "jwt_secret (CONGVU_JWT_SECRET) must be at least 32 characters".into(),
                ));
            }
        }
        self.check_smtp()?;
        if !(1..=5).contains(&self.dossiers.satisfied_min_score) {
            return Err(ConfigError(
                "dossiers.satisfied_min_score (CONGVU_DOSSIERS__SATISFIED_MIN_SCORE) must be 1 to 5".into(),
            ));
        }
        for (name, expr) in self.jobs.all() {
            crate::jobs::parse_schedule(expr).map_err(|e| {
                ConfigError(format!(
                    "jobs.{name} (CONGVU_JOBS__{}): {e}",
                    name.to_uppercase()
                ))
            })?;
        }
        self.check_notify()?;
        if let Some(token) = &self.metrics.token {
            use secrecy::ExposeSecret;
            if token.expose_secret().len() < 16 {
                return Err(ConfigError(
                    "metrics.token (CONGVU_METRICS__TOKEN) must be at least 16 characters".into(),
                ));
            }
        }
        if self.evidence.max_bytes < 1024 {
            return Err(ConfigError(
                "evidence.max_bytes (CONGVU_EVIDENCE__MAX_BYTES) must be at least 1024".into(),
            ));
        }
        if self.evidence.allowed_types.is_empty() {
            return Err(ConfigError(
                "evidence.allowed_types (CONGVU_EVIDENCE__ALLOWED_TYPES) lists no type".into(),
            ));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level).map_err(|e| {
            ConfigError(format!(
                "log.level (CONGVU_LOG__LEVEL) is not a valid filter: {e}"
            ))
        })?;
        Ok(())
    }

    fn check_notify(&self) -> Result<(), ConfigError> {
        let n = &self.notify;
        let base = n.link_base.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.len() < 10 {
            return Err(ConfigError(format!(
                "notify.link_base (CONGVU_NOTIFY__LINK_BASE) must be an http(s) URL, got {:?}",
                n.link_base
            )));
        }
        if !(1..=3600).contains(&n.send_interval_secs) {
            return Err(ConfigError(
                "notify.send_interval_secs (CONGVU_NOTIFY__SEND_INTERVAL_SECS) must be 1–3600"
                    .into(),
            ));
        }
        if !(1..=100).contains(&n.max_attempts) {
            return Err(ConfigError(
                "notify.max_attempts (CONGVU_NOTIFY__MAX_ATTEMPTS) must be 1–100".into(),
            ));
        }
        if n.retry_base_secs == 0 || n.retry_max_secs < n.retry_base_secs {
            return Err(ConfigError(
                "notify.retry_base_secs must be at least 1 and notify.retry_max_secs at least as long"
                    .into(),
            ));
        }
        if !(0..=90).contains(&n.resend_days) {
            return Err(ConfigError(
                "notify.resend_days (CONGVU_NOTIFY__RESEND_DAYS) must be 0–90".into(),
            ));
        }
        if !(1..=600).contains(&self.smtp.timeout_secs) {
            return Err(ConfigError(
                "smtp.timeout_secs (CONGVU_SMTP__TIMEOUT_SECS) must be 1–600".into(),
            ));
        }
        Ok(())
    }

    fn check_smtp(&self) -> Result<(), ConfigError> {
        let smtp = &self.smtp;
        if smtp.host.as_deref().is_some_and(|h| h.trim().is_empty()) {
            return Err(ConfigError("smtp.host (CONGVU_SMTP__HOST) is empty".into()));
        }
        if smtp.port == 0 {
            return Err(ConfigError(
                "smtp.port (CONGVU_SMTP__PORT) must be 1-65535".into(),
            ));
        }
        if smtp.password.is_some() && smtp.username.is_none() {
            return Err(ConfigError(
                "smtp.password (CONGVU_SMTP__PASSWORD) is set but smtp.username is not".into(),
            ));
        }
        let address = smtp
            .from
            .rsplit_once('<')
            .map_or(smtp.from.as_str(), |(_, a)| a.trim_end_matches('>'));
        if !validator::ValidateEmail::validate_email(&address) && !address.ends_with("@localhost") {
            return Err(ConfigError(format!(
                "smtp.from (CONGVU_SMTP__FROM) is not an email address: {:?}",
                smtp.from
            )));
        }
        Ok(())
    }

    /// Where notices go, for the start-up log line.
    pub fn mail_summary(&self) -> String {
        match &self.smtp.host {
            Some(host) => format!("SMTP {host}:{} ({:?})", self.smtp.port, self.smtp.tls),
            None => format!(
                "no SMTP host: messages are written to {}",
                self.data_dir.join("mail").display()
            ),
        }
    }

    /// The listen address; resolves host names such as `localhost`.
    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.bind
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .ok_or_else(|| {
                ConfigError(format!(
                    "bind (CONGVU_BIND) must be HOST:PORT, got {:?}",
                    self.bind
                ))
            })
    }

    /// Where evidence files are kept.
    pub fn evidence_dir(&self) -> PathBuf {
        self.evidence
            .dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("evidence"))
    }

    /// The database URL, defaulting to an SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("congvu.db").display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn empty_dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn defaults_need_nothing() {
        let dir = empty_dir();
        let s = Settings::load_from(env(&[]), dir.path()).unwrap();
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(s.database_url(), "sqlite://data/congvu.db");
        assert!(s.jwt_secret.is_none());
        assert_eq!(s.log.format, LogFormat::Text);
    }

    #[test]
    fn environment_overrides_file_and_defaults() {
        let dir = empty_dir();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        std::fs::write(
            dir.path().join("config/default.toml"),
            "bind = \"0.0.0.0:9000\"\n[auth]\ntoken_ttl_minutes = 30\n",
        )
        .unwrap();
        let s = Settings::load_from(env(&[]), dir.path()).unwrap();
        assert_eq!(s.bind, "0.0.0.0:9000");
        assert_eq!(s.auth.token_ttl_minutes, 30);

        let s = Settings::load_from(
            env(&[
                ("CONGVU_BIND", "127.0.0.1:1234"),
                ("CONGVU_AUTH__TOKEN_TTL_MINUTES", "15"),
                ("DATABASE_URL", "postgres://x@localhost/db"),
                ("CONGVU_PASSWORD", "not a setting"),
                ("CONGVU_LOG__FORMAT", "json"),
            ]),
            dir.path(),
        )
        .unwrap();
        assert_eq!(s.bind, "127.0.0.1:1234");
        assert_eq!(s.auth.token_ttl_minutes, 15);
        assert_eq!(s.database_url(), "postgres://x@localhost/db");
        assert_eq!(s.log.format, LogFormat::Json);
    }

    #[test]
    fn bad_values_name_the_setting() {
        let dir = empty_dir();
        let err = Settings::load_from(env(&[("CONGVU_BIND", "nowhere")]), dir.path()).unwrap_err();
        assert!(err.to_string().contains("CONGVU_BIND"), "{err}");
        let err = Settings::load_from(
            env(&[("CONGVU_AUTH__TOKEN_TTL_MINUTES", "soon")]),
            dir.path(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("token_ttl_minutes"), "{err}");
        let err =
            Settings::load_from(env(&[("CONGVU_AUTH__TOKEN_TL", "5")]), dir.path()).unwrap_err();
        assert!(err.to_string().contains("token_tl"), "{err}");
        let err =
            Settings::load_from(env(&[("CONGVU_JWT_SECRET", "short")]), dir.path()).unwrap_err();
        assert!(err.to_string().contains("CONGVU_JWT_SECRET"), "{err}");
        let err =
            Settings::load_from(env(&[("CONGVU_LOG__FORMAT", "xml")]), dir.path()).unwrap_err();
        assert!(err.to_string().contains("format"), "{err}");
    }

    #[test]
    fn late_ratio_formula_per_province() {
        use crate::domain::dossiers::LateRatioFormula;
        let dir = empty_dir();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        std::fs::write(
            dir.path().join("config/default.toml"),
            "[dossiers]\nlate_ratio_formula = \"resolved\"\n[dossiers.late_ratio_formula_by_province]\nGLA = \"with_overdue\"\n",
        )
        .unwrap();
        let s = Settings::load_from(env(&[]), dir.path()).unwrap();
        assert_eq!(
            s.dossiers.late_ratio_formula_by_province.get("GLA"),
            Some(&LateRatioFormula::WithOverdue)
        );
    }

    #[test]
    fn mail_settings_are_checked() {
        let dir = empty_dir();
        let load = |pairs: &[(&str, &str)]| Settings::load_from(env(pairs), dir.path());
        let err = load(&[("CONGVU_SMTP__TLS", "ssl")]).unwrap_err();
        assert!(err.to_string().contains("tls"), "{err}");
        let err = load(&[("CONGVU_SMTP__FROM", "nobody")]).unwrap_err();
        assert!(err.to_string().contains("CONGVU_SMTP__FROM"), "{err}");
        let err = load(&[("CONGVU_SMTP__PASSWORD", "x")]).unwrap_err();
        assert!(err.to_string().contains("smtp.username"), "{err}");
        let ok = load(&[
            ("CONGVU_SMTP__HOST", "mail.khanhhoa.gov.vn"),
            ("CONGVU_SMTP__PORT", "465"),
            ("CONGVU_SMTP__TLS", "tls"),
            ("CONGVU_SMTP__FROM", "Congvu <congvu@khanhhoa.gov.vn>"),
            ("CONGVU_HTTP__TRUSTED_PROXIES", "10.0.0.1"),
        ]);
        let ok = ok.unwrap();
        assert_eq!(ok.smtp.tls, SmtpTls::Tls);
        assert!(ok.mail_summary().contains("mail.khanhhoa.gov.vn:465"));
        assert!(load(&[]).unwrap().mail_summary().contains("no SMTP host"));
    }

    #[test]
    fn shipped_config_file_matches_the_defaults() {
        let shipped = Settings::load_from(env(&[]), Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let dir = empty_dir();
        let defaults = Settings::load_from(env(&[]), dir.path()).unwrap();
        assert_eq!(format!("{shipped:?}"), format!("{defaults:?}"));
    }

    #[test]
    fn named_config_file_must_exist() {
        let dir = empty_dir();
        let err = Settings::load_from(
            env(&[("CONGVU_CONFIG", "/nonexistent/congvu.toml")]),
            dir.path(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/congvu.toml"),
            "{err}"
        );
    }
}
