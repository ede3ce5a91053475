//! Builds the application from settings: database (migrated), token keys, state, routes
//! and the HTTP server. Tests build it the same way on port 0.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::dev::{Server, Service};
use actix_web::{App, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::auth::jwt::{self, JwtKeys};
use crate::auth::throttle::LoginThrottle;
use crate::config::Settings;
use crate::db::{Backend, Db, DbUrl};
use crate::error::ApiError;
use crate::metrics::Metrics;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub jwt: JwtKeys,
    pub throttle: LoginThrottle,
    pub metrics: Metrics,
    /// Reverse proxies whose X-Forwarded-For names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Static bearer token for Prometheus scrapers.
    pub metrics_token: Option<secrecy::SecretString>,
    pub dossiers: crate::config::DossierSettings,
    pub onestop: crate::config::onestop::OneStopSettings,
    pub evidence: crate::evidence::EvidenceStore,
    /// Where links in notices point.
    pub notify: crate::config::NotifySettings,
    /// Accounts recently loaded for requests.
    pub actors: crate::auth::cache::ActorCache,
    /// The group commit of single check-ins.
    pub checkins: crate::api::checkins::group::Writer,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error("token secret: {0}")]
    Secret(#[from] jwt::SecretError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("{0}")]
    Mail(String),
}

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
}

impl Application {
    /// Connects to the configured database (running migrations) and binds the listener.
    pub fn build(settings: &Settings) -> Result<Self, StartupError> {
        let url = settings.database_url();
        let parsed = DbUrl::parse(&url)?;
        check_secret(settings, &parsed)?;
        tracing::info!(database = %parsed.redacted(), "connecting");
        let db = Db::connect(&url, settings.database.pool_size)?;
        Self::build_with_db(settings, db)
    }

    pub fn build_with_db(settings: &Settings, db: Db) -> Result<Self, StartupError> {
        let secret = jwt::resolve_secret(
            settings.jwt_secret.as_ref(),
            db.backend() == Backend::Postgres,
            &settings.data_dir,
        )?;
        // The CA file is read by the sender, which starts after the server listens: a bad
        // one there left the service up and every notice in the outbox. Checked by the
        // server alone, not by every command, which may run as another user.
        if let Some(host) = settings.smtp.host.as_deref()
            && settings.smtp.tls != crate::config::SmtpTls::None
        {
            crate::notify::tls_parameters(&settings.smtp, host).map_err(StartupError::Mail)?;
        }
        let addr = settings.bind_addr()?;
        let listener = TcpListener::bind(addr).map_err(|source| StartupError::Bind {
            addr: addr.to_string(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or(addr.port());
        let state = web::Data::new(AppState {
            db: db.clone(),
            jwt: JwtKeys::new(&secret, settings.auth.token_ttl_minutes),
            throttle: LoginThrottle::new(
                settings.auth.max_failed_logins,
                settings.auth.max_failed_logins_per_ip,
                Duration::from_secs(settings.auth.lockout_minutes * 60),
            ),
            metrics: Metrics::new()?,
            trusted_proxies: settings.http.trusted_proxies.clone(),
            metrics_token: settings.metrics.token.clone(),
            dossiers: settings.dossiers.clone(),
            onestop: settings.onestop.clone(),
            evidence: crate::evidence::EvidenceStore::new(
                settings.evidence_dir(),
                &settings.evidence,
            ),
            notify: settings.notify.clone(),
            actors: Default::default(),
            checkins: crate::api::checkins::group::Writer::start(db.clone()),
        });
        tracing::info!(mail = %settings.mail_summary(), "notices");
        let max_body = settings.http.max_body_bytes;
        let mut server = HttpServer::new(move || {
            let metrics = state.metrics.clone();
            App::new()
                .wrap_fn(move |req, srv| {
                    let started = Instant::now();
                    let method = req.method().to_string();
                    let metrics = metrics.clone();
                    let fut = srv.call(req);
                    async move {
                        let res = fut.await?;
                        let route = res
                            .request()
                            .match_pattern()
                            .unwrap_or_else(|| "unmatched".into());
                        metrics.observe(&method, &route, res.status().as_u16(), started.elapsed());
                        Ok(res)
                    }
                })
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(max_body))
                .app_data(
                    web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into()),
                )
                .configure(crate::api::configure)
                .default_service(web::to(crate::api::not_found))
        })
        .listen(listener)
        .map_err(|source| StartupError::Bind {
            addr: addr.to_string(),
            source,
        })?
        .shutdown_timeout(settings.http.shutdown_timeout_secs)
        // actix treats SIGINT as a forced stop; congvu handles both signals itself so that
        // either lets in-flight requests finish (see `run_until_signal`).
        .disable_signals();
        if settings.http.workers > 0 {
            server = server.workers(settings.http.workers);
        }
        tracing::info!(%addr, port, "listening");
        Ok(Application {
            port,
            server: server.run(),
            db,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the server is stopped (tests drop it with their runtime).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves, with the background jobs, until SIGINT or SIGTERM; then stops accepting
    /// connections and lets in-flight requests finish, for at most
    /// `http.shutdown_timeout_secs`.
    pub async fn run_until_signal(self, settings: &Settings) -> std::io::Result<()> {
        crate::jobs::spawn_all(self.db.clone(), settings);
        let handle = self.server.handle();
        tokio::spawn(async move {
            let signal = shutdown_signal().await;
            tracing::info!(signal, "shutting down: finishing in-flight requests");
            handle.stop(true).await;
        });
        self.server.await
    }
}

/// Refuses a PostgreSQL service without its token secret before it connects: connecting
/// migrates the database (and `--demo` loads the demo), which a start that cannot serve
/// must not do.
pub fn check_secret(settings: &Settings, url: &DbUrl) -> Result<(), StartupError> {
    if url.backend == Backend::Postgres && settings.jwt_secret.is_none() {
        // The same refusal `resolve_secret` makes once connected.
        jwt::resolve_secret(None, true, &settings.data_dir)?;
    }
    Ok(())
}

async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}
