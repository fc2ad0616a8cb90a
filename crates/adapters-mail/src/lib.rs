//! # tenantry-mail
//!
//! Mail for tenantry: [`templates::render`] turns every [`Mail`] into a
//! subject, a text body and a branded HTML body, and [`SmtpMailer`] delivers
//! them over SMTP with lettre (the `Mailer` port). The service configures it
//! with `TENANTRY_MAIL=smtp`, `TENANTRY_SMTP_URL` (lettre's URL form:
//! `smtps://user:password@host:465`, or `smtp://host:587?tls=required` for
//! STARTTLS) and `TENANTRY_MAIL_FROM`.
//!
//! The SMTP URL carries a password: it is a `SecretString`, never logged, and
//! `Debug` of the mailer shows the host only.

pub mod templates;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use tenantry_ports::system::{Mail, Mailer};

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
    async fn send(&self, mail: &Mail) -> Result<(), anyhow::Error> {
        let rendered = render(mail, &self.links);
        let to: Mailbox = mail.to.as_str().parse().map_err(|e| anyhow::anyhow!("recipient: {e}"))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .multipart(MultiPart::alternative_plain_html(rendered.text, rendered.html))
            .map_err(|e| anyhow::anyhow!("building the mail: {e}"))?;
        self.transport.send(message).await.map_err(|e| anyhow::anyhow!("SMTP: {}", describe(&e)))?;
        tracing::info!(template = mail.message.template(), "mail sent");
        Ok(())
    }
}
