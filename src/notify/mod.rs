//! Email to heads: the templates, the mailer (SMTP through lettre, or .eml files under the
//! data folder when no SMTP host is configured) and the outbox sender.

pub mod sender;
pub mod templates;

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{SmtpSettings, SmtpTls};
use crate::domain::outbox::refuses_mailbox;
use templates::Rendered;

/// Where messages go.
#[derive(Clone)]
pub enum Mailer {
    /// lettre's own timeout bounds the connection only; `timeout` bounds the whole
    /// delivery, so a server that accepts and never answers cannot hold the sender.
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        timeout: Duration,
    },
    /// No SMTP host: each message becomes `<dir>/<name>.eml`, for a trial run to show.
    Files(PathBuf),
}

/// A failed delivery; a permanent one (the server's 5xx, a malformed address) is not
/// tried again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

impl SendError {
    fn permanent(message: impl Into<String>) -> Self {
        SendError {
            permanent: true,
            message: message.into(),
        }
    }

    fn transient(message: impl Into<String>) -> Self {
        SendError {
            permanent: false,
            message: message.into(),
        }
    }
}

/// One message to one recipient.
pub struct Outgoing<'a> {
    pub to_name: Option<&'a str>,
    pub to_email: &'a str,
    pub rendered: &'a Rendered,
    /// Without angle brackets; the same for every attempt.
    pub message_id: &'a str,
    /// The .eml file's name when messages are written to files.
    pub file_name: String,
}

/// The TLS settings of a connection to `host`, with the CA file's certificate when one is
/// configured: checked at start too (`Settings::check`), so that a missing or unreadable
/// file stops the start instead of leaving every notice in the outbox.
pub fn tls_parameters(smtp: &SmtpSettings, host: &str) -> Result<TlsParameters, String> {
    let mut builder = TlsParameters::builder(host.to_owned());
    if let Some(path) = &smtp.ca_file {
        let pem =
            std::fs::read(path).map_err(|e| format!("smtp.ca_file {}: {e}", path.display()))?;
        // A file without any certificate parses as an empty list, trusting nothing more.
        const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
        if !pem.windows(BEGIN.len()).any(|w| w == BEGIN) {
            return Err(format!(
                "smtp.ca_file {}: holds no PEM certificate",
                path.display()
            ));
        }
        let cert = Certificate::from_pem(&pem)
            .map_err(|e| format!("smtp.ca_file {}: {e}", path.display()))?;
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build_rustls()
        .map_err(|e| format!("smtp TLS settings: {e}"))
}

impl Mailer {
    pub fn from_settings(smtp: &SmtpSettings, data_dir: &Path) -> Result<Mailer, String> {
        let Some(host) = smtp.host.as_deref() else {
            return Ok(Mailer::Files(data_dir.join("mail")));
        };
        let tls_parameters = || tls_parameters(smtp, host);
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(smtp.port)
            .timeout(Some(Duration::from_secs(smtp.timeout_secs)));
        builder = match smtp.tls {
            SmtpTls::None => builder.tls(Tls::None),
            SmtpTls::Starttls => builder.tls(Tls::Required(tls_parameters()?)),
            SmtpTls::Tls => builder.tls(Tls::Wrapper(tls_parameters()?)),
        };
        if let Some(user) = &smtp.username {
            let password = smtp
                .password
                .as_ref()
                .map(|p| p.expose_secret().to_owned())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Mailer::Smtp {
            transport: builder.build(),
            timeout: Duration::from_secs(smtp.timeout_secs),
        })
    }

    pub async fn send(&self, from: &Mailbox, out: &Outgoing<'_>) -> Result<(), SendError> {
        let to = Mailbox::new(
            out.to_name.map(str::to_owned),
            out.to_email.parse().map_err(|e| {
                SendError::permanent(format!(
                    "the address on the recipient's staff record is not valid: {e}"
                ))
            })?,
        );
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(out.rendered.subject.clone())
            .message_id(Some(format!("<{}>", out.message_id)))
            .multipart(MultiPart::alternative_plain_html(
                out.rendered.text.clone(),
                out.rendered.html.clone(),
            ))
            .map_err(|e| SendError::permanent(format!("message: {e}")))?;
        match self {
            Mailer::Smtp { transport, timeout } => {
                match tokio::time::timeout(*timeout, transport.send(message)).await {
                    Err(_) => Err(SendError::transient(format!(
                        "no answer from the mail server within {} s",
                        timeout.as_secs()
                    ))),
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e))
                        if e.is_permanent()
                            && e.status().is_some_and(|code| {
                                refuses_mailbox(code.into(), &e.to_string())
                            }) =>
                    {
                        Err(SendError::permanent(e.to_string()))
                    }
                    Ok(Err(e)) => Err(SendError::transient(e.to_string())),
                }
            }
            Mailer::Files(dir) => {
                let dir = dir.clone();
                let name = out.file_name.clone();
                let bytes = message.formatted();
                tokio::task::spawn_blocking(move || write_file(&dir, &name, &bytes))
                    .await
                    .map_err(|e| SendError::transient(e.to_string()))?
                    .map_err(|e| SendError::transient(format!("writing the .eml file: {e}")))
            }
        }
    }
}

/// Written under a temporary name and renamed, so that a reader never sees half a file.
fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    // Messages name people and their violations: the service's user's only.
    crate::private_fs::create_dir(dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = crate::private_fs::create_file(&tmp, true)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, dir.join(name))
}
