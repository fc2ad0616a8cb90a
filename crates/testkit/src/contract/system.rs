//! Contracts of the small ports: clock, ids, secrets, password hashing, mail.

use super::{Broken, Context};
use crate::ensure;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashSet;
use tenantry_domain::token::valid_secret;
use tenantry_domain::{Email, EntityId, TenantId};
use tenantry_ports::system::{Clock, IdGenerator, Mail, Mailer, Message, PasswordHasher, TokenGenerator};

/// [`Clock`]: `now` never goes backwards.
pub fn clock(clock: &dyn Clock) -> Result<(), Broken> {
    let mut last = clock.now();
    for _ in 0..1_000 {
        let now = clock.now();
        ensure!(now >= last, "the clock went backwards from {last} to {now}");
        last = now;
    }
    Ok(())
}

/// [`IdGenerator`]: version 7, strictly increasing, never repeating.
pub fn id_generator(ids: &dyn IdGenerator) -> Result<(), Broken> {
    let mut last = ids.new_uuid();
    let mut seen = HashSet::new();
    for _ in 0..10_000 {
        let id = ids.new_uuid();
        ensure!(id.get_version_num() == 7, "{id} is not a UUID v7");
        ensure!(TenantId::from_uuid(id).is_ok(), "{id} is refused by the domain");
        ensure!(id > last, "{id} does not follow {last}");
        ensure!(seen.insert(id), "{id} was generated twice");
        last = id;
    }
    Ok(())
}

/// [`TokenGenerator`]: 43–128 URL-safe characters, never repeating.
pub fn token_generator(tokens: &dyn TokenGenerator) -> Result<(), Broken> {
    let mut seen = HashSet::new();
    for _ in 0..1_000 {
        let secret = tokens.secret().ctx("a secret")?;
        ensure!(valid_secret(&secret), "a secret has the wrong shape ({} characters)", secret.expose_secret().len());
        ensure!(seen.insert(secret.expose_secret().to_owned()), "a secret was generated twice");
    }
    Ok(())
}

/// [`PasswordHasher`]: a hash verifies its password and no other; the decoy
/// verifies nothing; a hash never contains the password.
pub async fn password_hasher(hasher: &dyn PasswordHasher) -> Result<(), Broken> {
    let right = SecretString::from("correct horse battery staple");
    let wrong = SecretString::from("correct horse battery stapler");
    let hash = hasher.hash(&right).await.ctx("hashing")?;
    ensure!(hasher.verify(&right, &hash).await.ctx("verify")?, "a hash does not verify its own password");
    ensure!(!hasher.verify(&wrong, &hash).await.ctx("verify")?, "a hash verifies another password");
    ensure!(!hasher.verify(&right, &hasher.decoy()).await.ctx("verify")?, "the decoy verifies a password");
    ensure!(!hash.expose().contains(right.expose_secret()), "the hash contains the password");
    ensure!(!format!("{hash:?}").contains(hash.expose()), "Debug output shows the hash");
    Ok(())
}

/// [`Mailer`]: every template can be sent to a valid address, with the
/// `Message-ID` the outbox mail's id makes.
pub async fn mailer(mailer: &dyn Mailer) -> Result<(), Broken> {
    let to = Email::parse("someone@example.com").ctx("email")?;
    let now = chrono::DateTime::UNIX_EPOCH;
    let messages = vec![
        Message::Invitation {
            inviter: Some("Ada".into()),
            role: "member".into(),
            token: SecretString::from("t".repeat(64)),
            expires_at: now,
        },
        Message::TrialReminder { trial_ends_at: now, converts: true },
        Message::TrialConverted { interval: tenantry_domain::Interval::Month, seats: 3 },
        Message::PaymentFailed { amount_due: tenantry_domain::Money::eur(4995), hosted_url: None },
        Message::PaymentActionRequired { hosted_url: Some("https://example.com/pay".into()) },
        Message::Downgraded {
            reason: tenantry_domain::subscription::FreemiumReason::Canceled,
            deactivated: vec![],
            revoked_invitations: 0,
        },
        Message::AccountLocked { until: now },
    ];
    for (n, message) in messages.into_iter().enumerate() {
        let mail = Mail::new(to.clone(), None, message);
        let id = tenantry_domain::MailId::from_uuid(uuid::Uuid::from_u128(
            0x0190_0000_0000_7000_8000_0000_0000_0000 + n as u128,
        ))
        .ctx("a mail id")?;
        let accepted = mailer.send(&mail, id).await.ctx("sending a mail")?;
        ensure!(
            accepted.message_id.starts_with(&format!("<{id}@")) && accepted.message_id.ends_with('>'),
            "the Message-ID names the outbox mail: {}",
            accepted.message_id
        );
        ensure!(!format!("{mail:?}").contains(&"t".repeat(64)), "a mail's Debug output shows its token");
    }
    Ok(())
}
