//! # tenantry-mail
//!
//! Mail for tenantry: [`templates::render`] turns every [`Mail`] into a
//! subject, a text body and a branded HTML body, and [`SmtpMailer`] delivers
//! them over SMTP with lettre (the `Mailer` port); [`ConsoleMailer`] prints
//! them instead (the embedded default) and [`NoMailer`] refuses them (the
//! operator's commands). The service configures it
//! with `TENANTRY_MAIL=smtp`, `TENANTRY_SMTP_URL` (lettre's URL form:
//! `smtps://user:password@host:465`, or `smtp://host:587?tls=required` for
//! STARTTLS) and `TENANTRY_MAIL_FROM`.
//!
//! The SMTP URL carries a password: it is a `SecretString`, never logged, and
//! `Debug` of the mailer shows the host only.

pub mod console;
pub mod templates;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use tenantry_domain::MailId;
use tenantry_ports::system::{Accepted, Mail, Mailer, message_id};

pub use console::{ConsoleMailer, NoMailer};
pub use templates::{Links, Rendered, render};

/// Why the SMTP mailer could not be configured.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    /// The SMTP URL does not parse.
    #[error(
        "TENANTRY_SMTP_URL is not a usable SMTP URL (smtps://user:password@host:465 or smtp://host:587?tls=required): {0}"
    )]
    Url(String),
    /// The sender does not parse.
    #[error("TENANTRY_MAIL_FROM is not a mailbox (`name <address>` or `address`): {0}")]
    From(String),
}

/// The SMTP settings.
#[derive(Clone)]
pub struct SmtpConfig {
    /// lettre's SMTP URL (may carry a user and password).
    pub url: SecretString,
    /// The sender (`tenantry <no-reply@example.com>`).
    pub from: String,
    /// Where links point.
    pub links: Links,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig").field("url", &"[redacted]").field("from", &self.from).finish_non_exhaustive()
    }
}

/// How long one SMTP exchange may take before the attempt fails (and the job
/// runner retries it).
pub const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The `Mailer` port on SMTP.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    links: Links,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// Builds the mailer (no connection is made until the first mail).
    pub fn new(config: &SmtpConfig) -> Result<Self, MailConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(config.url.expose_secret())
            // lettre's message may quote the URL: keep only its kind.
            .map_err(|e| MailConfigError::Url(describe(&e)))?
            // Well inside a job's lease (5 minutes): an attempt never outlives its claim.
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from: Mailbox =
            config.from.parse().map_err(|e: lettre::address::AddressError| MailConfigError::From(e.to_string()))?;
        Ok(Self { transport, from, links: config.links.clone() })
    }

    /// Checks that the server answers and accepts the credentials.
    pub async fn check(&self) -> Result<(), anyhow::Error> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(anyhow::anyhow!("the SMTP server did not accept the connection")),
            Err(e) => Err(anyhow::anyhow!("SMTP: {}", describe(&e))),
        }
    }
}

/// The `List-Unsubscribe` header (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl lettre::message::header::Header for ListUnsubscribe {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The `List-Unsubscribe-Post` header (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost(String);

impl lettre::message::header::Header for ListUnsubscribePost {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

fn describe(e: &lettre::transport::smtp::Error) -> String {
    if e.is_permanent() {
        "the server refused (permanent error)".into()
    } else if e.is_transient() {
        "the server refused for now (transient error)".into()
    } else if e.is_timeout() {
        "timed out".into()
    } else if e.is_tls() {
        "TLS failed".into()
    } else if e.is_client() {
        "the URL or settings are not usable".into()
    } else {
        "the connection failed".into()
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail, id: MailId) -> Result<Accepted, anyhow::Error> {
        let rendered = render(mail, &self.links);
        let to: Mailbox = mail.to.as_str().parse().map_err(|e| anyhow::anyhow!("recipient: {e}"))?;
        let message_id = message_id(id, Some(self.from.email.domain()));
        let mut builder = lettre::Message::builder().message_id(Some(message_id.clone()));
        if let Some(url) =
            rendered.unsubscribe.as_deref().filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        {
            // RFC 8058 one-click unsubscribe: the client POSTs `List-Unsubscribe=One-Click` to the URL.
            builder = builder
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost("List-Unsubscribe=One-Click".into()));
        }
        let message = builder
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .multipart(MultiPart::alternative_plain_html(rendered.text, rendered.html))
            .map_err(|e| anyhow::anyhow!("building the mail: {e}"))?;
        let response = self.transport.send(message).await.map_err(|e| anyhow::anyhow!("SMTP: {}", describe(&e)))?;
        // The server's words may name the recipient: the code and at most one short line are kept.
        let text: String = response.message().next().map(|l| l.chars().take(120).collect()).unwrap_or_default();
        let reply = format!("{} {text}", response.code()).trim_end().to_owned();
        tracing::info!(template = mail.message.template(), %message_id, "mail sent");
        Ok(Accepted { message_id, reply })
    }
}
