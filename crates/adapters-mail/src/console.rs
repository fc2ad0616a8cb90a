//! The mailers without a mail server: the console (the embedded default's
//! mailbox) and none at all (the operator's commands).

use async_trait::async_trait;
use tenantry_domain::MailId;
use tenantry_ports::system::{Accepted, Mail, Mailer, message_id};

/// The mailer of the operator's commands (which mail nothing): should one
/// queue a mail, it is not sent, and the log says so (the recipient's domain
/// and the template only: never the address, nor the content, which may carry
/// a link's secret); the mail stays in the outbox for the service's job runner.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoMailer;

#[async_trait]
impl Mailer for NoMailer {
    async fn send(&self, mail: &Mail, _id: MailId) -> Result<Accepted, anyhow::Error> {
        let domain = mail.to.as_str().rsplit_once('@').map_or("", |(_, domain)| domain);
        tracing::warn!(
            to_domain = domain,
            template = mail.message.template(),
            "mail not sent: no mailer is configured"
        );
        Err(anyhow::anyhow!("no mailer is configured (TENANTRY_MAIL=console prints mails, for development)"))
    }
}

/// The embedded default's mailer: prints each mail's text (rendered by the
/// same templates as SMTP mail) to standard output — the console is the
/// mailbox — and never to the log. An invitation's code is the one thing a
/// person needs from it, so it is printed whole.
#[derive(Debug, Default, Clone)]
pub struct ConsoleMailer {
    links: crate::Links,
}

impl ConsoleMailer {
    /// With links to `public_url` (else API paths).
    pub fn new(public_url: Option<String>) -> Self {
        Self { links: crate::Links { public_url } }
    }
}

#[async_trait]
impl Mailer for ConsoleMailer {
    async fn send(&self, mail: &Mail, id: MailId) -> Result<Accepted, anyhow::Error> {
        let rendered = crate::render(mail, &self.links);
        println!("--- mail to {} (not sent, shown here): {} ---\n{}---", mail.to, rendered.subject, rendered.text);
        Ok(Accepted { message_id: message_id(id, None), reply: "console".into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenantry_domain::{Email, EntityId};

    #[tokio::test]
    async fn without_a_mailer_nothing_is_sent_and_the_caller_is_told() {
        let mail = Mail::new(
            Email::parse("ann@example.com").unwrap(),
            None,
            tenantry_ports::system::Message::TrialReminder {
                trial_ends_at: chrono::DateTime::UNIX_EPOCH,
                converts: false,
            },
        );
        let id = tenantry_domain::MailId::from_uuid(tenantry_domain::ids::uuid_v7_from_parts(1, [1; 10])).unwrap();
        assert!(NoMailer.send(&mail, id).await.is_err());
    }
}
