//! A real SMTP server over TCP for the mail tests (mailin-embedded, in a thread of the
//! test process), and what it received, parsed.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use mailin_embedded::{Handler, Response, Server, SslConfig, response};

/// One message as the server received it.
#[derive(Debug, Clone, Default)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

impl Received {
    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    pub fn html(&self) -> String {
        self.parsed()
            .body_html(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    pub fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_owned()
    }

    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("a parsable message")
    }
}

/// What the server refuses: some recipients' mailboxes (550 at RCPT), or every message
/// (554 at MAIL FROM, as a relay that no longer takes the sender).
#[derive(Debug, Default)]
struct Refusals {
    mailboxes: Vec<String>,
    everything: bool,
}

#[derive(Clone)]
struct Sink {
    inbox: Arc<Mutex<Vec<Received>>>,
    current: Received,
    refusals: Arc<Mutex<Refusals>>,
}

impl Handler for Sink {
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, _from: &str) -> Response {
        if self.refusals.lock().unwrap().everything {
            response::TRANSACTION_FAILED
        } else {
            response::OK
        }
    }

    fn rcpt(&mut self, to: &str) -> Response {
        let refused = self.refusals.lock().unwrap();
        if refused.mailboxes.iter().any(|m| to.contains(m.as_str())) {
            response::NO_MAILBOX
        } else {
            response::OK
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Received {
            from: from.to_owned(),
            to: to.to_vec(),
            raw: Vec::new(),
        };
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.raw.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let message = std::mem::take(&mut self.current);
        self.inbox.lock().unwrap().push(message);
        response::OK
    }
}

/// A mail server that is down: its port is taken, but nobody answers there, so a
/// client times out waiting for the greeting. Holding the socket keeps the port ours
/// (no other test can take it) until the server "comes back" on it.
pub struct Unanswered(TcpListener);

impl Unanswered {
    pub fn new() -> Unanswered {
        Unanswered(TcpListener::bind("127.0.0.1:0").expect("bind a port"))
    }

    pub fn port(&self) -> u16 {
        self.0.local_addr().expect("local address").port()
    }

    /// The server comes back on the same port.
    pub fn answer(self) -> SmtpServer {
        SmtpServer::on(self.0)
    }
}

/// An SMTP server listening until the test process ends.
pub struct SmtpServer {
    inbox: Arc<Mutex<Vec<Received>>>,
    refusals: Arc<Mutex<Refusals>>,
}

impl SmtpServer {
    /// A server on a free port, and the port.
    pub fn start() -> (SmtpServer, u16) {
        let down = Unanswered::new();
        let port = down.port();
        (down.answer(), port)
    }

    fn on(listener: TcpListener) -> SmtpServer {
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let refusals = Arc::new(Mutex::new(Refusals::default()));
        let mut server = Server::new(Sink {
            inbox: inbox.clone(),
            current: Received::default(),
            refusals: refusals.clone(),
        });
        server
            .with_name("mail.test.gov.vn")
            .with_ssl(SslConfig::None)
            .expect("no TLS")
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer { inbox, refusals }
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().clone()
    }

    /// From now on, RCPT to this address is answered 550 (no such mailbox).
    pub fn refuse_mailbox(&self, address: &str) {
        self.refusals
            .lock()
            .unwrap()
            .mailboxes
            .push(address.to_owned());
    }

    /// From now on (or no longer), every message is answered 554 at MAIL FROM.
    pub fn refuse_everything(&self, refuse: bool) {
        self.refusals.lock().unwrap().everything = refuse;
    }
}
