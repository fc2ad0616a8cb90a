#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! The SMTP mailer against an in-process SMTP server (a few lines of the
//! protocol, recording what it is sent): the mail arrives with its sender,
//! recipient, subject and both bodies; credentials are sent with AUTH and
//! appear in no log line and no `Debug`; a recipient the server refuses is an
//! error (the caller may retry); a bad URL or sender is refused by name.

use secrecy::SecretString;
use std::sync::{Arc, Mutex};
use tenantry_domain::{Email, EntityId, TenantId};
use tenantry_mail::{Links, MailConfigError, SmtpConfig, SmtpMailer};
use tenantry_ports::system::{Mail, MailTenant, Mailer, Message};
use tenantry_testkit::fakes::CapturedLog;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Serves SMTP on a free port; every line received is recorded.
async fn fake_smtp() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = seen.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let record = record.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    record.lock().unwrap().push(line.clone());
                    let reply: &[u8] = if in_data {
                        if line == "." {
                            in_data = false;
                            b"250 queued\r\n"
                        } else {
                            continue;
                        }
                    } else {
                        let verb = line.split_whitespace().next().unwrap_or("").to_uppercase();
                        match verb.as_str() {
                            "EHLO" => b"250-fake\r\n250 AUTH PLAIN LOGIN\r\n",
                            "AUTH" => b"235 accepted\r\n",
                            "MAIL" => b"250 ok\r\n",
                            "RCPT" if line.contains("refused@") => b"550 no such user\r\n",
                            "RCPT" => b"250 ok\r\n",
                            "DATA" => {
                                in_data = true;
                                b"354 go on\r\n"
                            }
                            "RSET" | "NOOP" => b"250 ok\r\n",
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            }
                            _ => b"502 not here\r\n",
                        }
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, seen)
}

fn mail(to: &str) -> Mail {
    Mail {
        to: Email::parse(to).unwrap(),
        tenant: Some(MailTenant {
            id: TenantId::from_uuid(tenantry_domain::ids::uuid_v7_from_parts(1, [1; 10])).unwrap(),
            name: "Acme".into(),
            branding: Default::default(),
            defaults: Default::default(),
        }),
        message: Message::TrialReminder {
            trial_ends_at: chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            converts: false,
        },
        reader: Default::default(),
    }
}

fn config(port: u16) -> SmtpConfig {
    SmtpConfig {
        url: SecretString::from(format!("smtp://mailer:s3cret-pass@127.0.0.1:{port}")),
        from: "Acme via tenantry <no-reply@tenantry.example.com>".into(),
        links: Links::default(),
    }
}

#[tokio::test]
async fn a_mail_reaches_the_smtp_server_with_both_bodies_and_no_secret_is_logged() {
    let (port, seen) = fake_smtp().await;
    let log = CapturedLog::default();
    let _guard = tracing::subscriber::set_default(log.subscriber());
    let mailer = SmtpMailer::new(&config(port)).unwrap();
    mailer.check().await.unwrap();
    let id = tenantry_domain::MailId::from_uuid(tenantry_domain::ids::uuid_v7_from_parts(2, [2; 10])).unwrap();
    let accepted = mailer.send(&mail("ann@example.com"), id).await.unwrap();
    assert_eq!(accepted.message_id, format!("<{id}@tenantry.example.com>"), "the sender's domain");
    assert_eq!(accepted.reply, "250 queued", "the server's answer is recorded");
    let transcript = seen.lock().unwrap().join("\n");
    assert!(
        transcript.contains(&format!("Message-ID: <{id}@tenantry.example.com>")),
        "every attempt at one outbox mail carries its id: {transcript}"
    );
    assert!(transcript.contains("MAIL FROM:<no-reply@tenantry.example.com>"), "{transcript}");
    assert!(transcript.contains("RCPT TO:<ann@example.com>"), "{transcript}");
    assert!(transcript.contains("AUTH "), "credentials are presented: {transcript}");
    assert!(transcript.contains("Subject: Your Acme trial ends on 21 September 2026"), "{transcript}");
    assert!(transcript.contains("multipart/alternative"), "{transcript}");
    assert!(transcript.contains("text/plain") && transcript.contains("text/html"), "{transcript}");
    assert!(transcript.contains("free plan"), "{transcript}");
    assert!(log.text().contains("mail sent"), "the log is captured: {}", log.text());
    // The password never shows: not in Debug, not in the log.
    for shown in [format!("{mailer:?}"), format!("{:?}", config(port)), log.text()] {
        assert!(!shown.contains("s3cret-pass"), "{shown}");
    }
}

#[tokio::test]
async fn a_refused_recipient_is_an_error_and_bad_settings_are_refused_by_name() {
    let (port, _) = fake_smtp().await;
    let mailer = SmtpMailer::new(&config(port)).unwrap();
    let id = tenantry_domain::MailId::from_uuid(tenantry_domain::ids::uuid_v7_from_parts(3, [3; 10])).unwrap();
    let err = mailer.send(&mail("refused@example.com"), id).await.unwrap_err();
    assert!(err.to_string().contains("refused"), "{err}");
    let bad_url = SmtpConfig { url: SecretString::from("http://x:secret@host".to_owned()), ..config(port) };
    let err = SmtpMailer::new(&bad_url).unwrap_err();
    assert!(matches!(err, MailConfigError::Url(_)) && !err.to_string().contains("secret"), "{err}");
    let bad_from = SmtpConfig { from: "not a mailbox".into(), ..config(port) };
    assert!(matches!(SmtpMailer::new(&bad_from), Err(MailConfigError::From(_))));
}

#[tokio::test]
async fn the_smtp_and_console_mailers_keep_the_mailer_contract() {
    // A subscriber of this thread's own (tracing caches a callsite's interest
    // across threads: without one, the other test's captured log could miss events).
    let log = CapturedLog::default();
    let _guard = tracing::subscriber::set_default(log.subscriber());
    let (port, seen) = fake_smtp().await;
    let smtp = SmtpMailer::new(&config(port)).unwrap();
    tenantry_testkit::contract::system::mailer(&smtp).await.unwrap();
    let delivered = seen.lock().unwrap().iter().filter(|line| line.eq_ignore_ascii_case("DATA")).count();
    assert_eq!(delivered, 7, "the server received every mail of the contract");
    tenantry_testkit::contract::system::mailer(&tenantry_mail::ConsoleMailer::default()).await.unwrap();
    assert!(!log.text().contains("s3cret-pass") && !log.text().contains(&"t".repeat(64)), "{}", log.text());
}
