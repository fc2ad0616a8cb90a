//! Ports to the world around the core: clock, ids, secrets, password hashing, mail.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Serialize;
use tenantry_domain::password::PasswordHash;
use tenantry_domain::subscription::FreemiumReason;
use tenantry_domain::tenant::Branding;
use tenantry_domain::{Email, ExportId, Interval, Money, TenantId};
use uuid::Uuid;

/// The time. Services never read the system clock themselves.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now. MUST never go backwards within one process.
    fn now(&self) -> DateTime<Utc>;
}

/// Identifier generation.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A new UUID. MUST be version 7 and strictly increasing per generator (ids
    /// order audit pages), and never repeat.
    fn new_uuid(&self) -> Uuid;
}

/// Secret generation for links and keys.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenGenerator: Send + Sync {
    /// A new secret: at least 256 bits from a cryptographic source, 43–128
    /// URL-safe characters (`[A-Za-z0-9_-]`). An error means no secure source.
    fn secret(&self) -> Result<SecretString, anyhow::Error>;
}

/// Password hashing.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hashes a password (Argon2id in production), with a fresh salt.
    async fn hash(&self, password: &SecretString) -> Result<PasswordHash, anyhow::Error>;
    /// Whether `password` matches `hash`. MUST take about as long as `hash`
    /// whether or not it matches.
    async fn verify(&self, password: &SecretString, hash: &PasswordHash) -> Result<bool, anyhow::Error>;
    /// A hash of an unguessable password with production parameters: verified
    /// against when a login names an unknown user, so that both take the same time.
    fn decoy(&self) -> PasswordHash;
}

/// The tenant a mail is about, for branding.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct MailTenant {
    /// The tenant.
    pub id: TenantId,
    /// Its display name.
    pub name: String,
    /// Its branding.
    pub branding: Branding,
}

/// What a mail says; the mailer renders it from a template.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum Message {
    /// An invitation; the token is shown once, in this mail.
    Invitation {
        /// Who invited (None: the platform).
        inviter: Option<String>,
        /// The role offered.
        role: String,
        /// The link's token (secret; never logged).
        #[serde(skip)]
        token: SecretString,
        /// When the link stops working.
        expires_at: DateTime<Utc>,
    },
    /// The trial ends soon.
    TrialReminder {
        /// When it ends.
        trial_ends_at: DateTime<Utc>,
        /// Whether it will convert (payment method on file) or become freemium.
        converts: bool,
    },
    /// The trial became the paid plan.
    TrialConverted {
        /// Interval.
        interval: Interval,
        /// Seats.
        seats: u32,
    },
    /// A payment failed; the admin should update the payment method.
    PaymentFailed {
        /// Amount due.
        amount_due: Money,
        /// Where to pay.
        hosted_url: Option<String>,
    },
    /// A payment needs confirmation.
    PaymentActionRequired {
        /// Where to confirm.
        hosted_url: Option<String>,
    },
    /// The tenant fell back to freemium; seats were freed.
    Downgraded {
        /// Why.
        reason: FreemiumReason,
        /// Users deactivated (emails), reactivatable within the seats.
        deactivated: Vec<String>,
        /// Invitations revoked.
        revoked_invitations: u32,
    },
    /// The paid licence is lower than the used seats (extra seats could not be
    /// bought): users and invitations beyond it were suspended.
    SeatsFreed {
        /// Seats licensed.
        licensed: u32,
        /// Users deactivated (emails), reactivatable after buying seats.
        deactivated: Vec<String>,
        /// Invitations revoked.
        revoked_invitations: u32,
    },
    /// Too many failed logins locked the account.
    AccountLocked {
        /// Until when.
        until: DateTime<Utc>,
    },
    /// A password reset link; the token is shown once, in this mail.
    PasswordReset {
        /// The link's token (secret; never logged).
        #[serde(skip)]
        token: SecretString,
        /// When it stops working.
        expires_at: DateTime<Utc>,
    },
    /// An address to prove (signup); the token is shown once, in this mail.
    VerifyEmail {
        /// The link's token (secret; never logged).
        #[serde(skip)]
        token: SecretString,
        /// When it stops working.
        expires_at: DateTime<Utc>,
    },
    /// A GDPR export is ready to download.
    ExportReady {
        /// The export.
        export_id: ExportId,
        /// Its archive's size.
        size_bytes: u64,
        /// Downloadable until then.
        expires_at: DateTime<Utc>,
    },
}

impl Message {
    /// The template's name (`invitation`, `trial_reminder`, ...): safe to log,
    /// unlike the content.
    pub fn template(&self) -> &'static str {
        match self {
            Message::Invitation { .. } => "invitation",
            Message::TrialReminder { .. } => "trial_reminder",
            Message::TrialConverted { .. } => "trial_converted",
            Message::PaymentFailed { .. } => "payment_failed",
            Message::PaymentActionRequired { .. } => "payment_action_required",
            Message::Downgraded { .. } => "downgraded",
            Message::SeatsFreed { .. } => "seats_freed",
            Message::AccountLocked { .. } => "account_locked",
            Message::ExportReady { .. } => "export_ready",
            Message::PasswordReset { .. } => "password_reset",
            Message::VerifyEmail { .. } => "verify_email",
        }
    }
}

/// One mail to one recipient.
#[derive(Clone, Debug, Serialize)]
pub struct Mail {
    /// Recipient.
    pub to: Email,
    /// The tenant it is about (branding), if any.
    pub tenant: Option<MailTenant>,
    /// What it says.
    pub message: Message,
}

/// Mail delivery.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one mail. An error means it was not sent (the caller may retry).
    async fn send(&self, mail: &Mail) -> Result<(), anyhow::Error>;
}
