//! Ports to the world around the core: clock, ids, secrets, password hashing, mail.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tenantry_domain::password::PasswordHash;
use tenantry_domain::preferences::Preferences;
use tenantry_domain::subscription::FreemiumReason;
use tenantry_domain::tenant::Branding;
use tenantry_domain::{Email, ExportId, Interval, MailId, Money, TenantId};
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
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct MailTenant {
    /// The tenant.
    pub id: TenantId,
    /// Its display name.
    pub name: String,
    /// Its branding.
    pub branding: Branding,
    /// Its default language and time zone (issue 25): what a recipient who
    /// chose neither reads in. Unset in mails queued before it existed.
    #[serde(default)]
    pub defaults: Preferences,
}

/// What a mail says; the mailer renders it from a template.
///
/// Its JSON form leaves the link tokens out (they are secrets): the outbox
/// keeps a token apart, sealed ([`Message::token`], [`Message::set_token`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum Message {
    /// An invitation; the token is shown once, in this mail.
    Invitation {
        /// Who invited (None: the platform).
        inviter: Option<String>,
        /// The role offered.
        role: String,
        /// The link's token (secret; never logged).
        #[serde(skip_serializing, default = "no_token")]
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
    /// An invoice was paid: its number, total and PDF.
    InvoicePaid {
        /// Its printed number (or the provider's id).
        number: String,
        /// What was charged.
        total: Money,
        /// When it was issued.
        issued_at: DateTime<Utc>,
        /// Its PDF (whoever holds the link sees the invoice: kept out of the
        /// JSON, sealed in the outbox as a token is).
        #[serde(skip_serializing, default)]
        pdf_url: Option<String>,
    },
    /// The pre-invoice warning: what the next invoice will charge, and when.
    UpcomingInvoice {
        /// The tenant's slug (the billing page's address).
        slug: String,
        /// When it is charged.
        at: DateTime<Utc>,
        /// Its lines (base price, extra seats).
        lines: Vec<tenantry_domain::proration::ChargeLine>,
        /// Before discounts and tax.
        subtotal: Money,
        /// Taken off.
        discount: Money,
        /// VAT.
        tax: Money,
        /// What will be charged.
        total: Money,
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
        /// Where to pay (the provider's page: whoever holds it sees the
        /// invoice; kept out of the JSON, sealed in the outbox as a token is).
        #[serde(skip_serializing, default)]
        hosted_url: Option<String>,
    },
    /// A payment needs confirmation.
    PaymentActionRequired {
        /// Where to confirm (kept out of the JSON, sealed in the outbox).
        #[serde(skip_serializing, default)]
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
        #[serde(skip_serializing, default = "no_token")]
        token: SecretString,
        /// When it stops working.
        expires_at: DateTime<Utc>,
    },
    /// An address to prove (signup); the token is shown once, in this mail.
    VerifyEmail {
        /// The link's token (secret; never logged).
        #[serde(skip_serializing, default = "no_token")]
        token: SecretString,
        /// When it stops working.
        expires_at: DateTime<Utc>,
    },
    /// A new address to prove before the account moves to it (sent to the new
    /// address); the token is shown once, in this mail.
    ConfirmEmailChange {
        /// The link's token (secret; never logged).
        #[serde(skip_serializing, default = "no_token")]
        token: SecretString,
        /// When it stops working.
        expires_at: DateTime<Utc>,
    },
    /// The account's address is asked to move (sent to the old address, which
    /// nothing else tells): to whom, and what to do if it was not the person.
    EmailChangeRequested {
        /// The address asked for.
        new_email: String,
    },
    /// The workspace where the address has an account (`/find-workspace`):
    /// one mail per workspace, each from that workspace's own outbox.
    WorkspaceReminder {
        /// The workspace's short name (its sign-in link).
        slug: String,
    },
    /// The tenant's deletion was asked for: its data goes for good at `purge_at`
    /// unless the owner cancels first.
    DeletionRequested {
        /// When the data is purged.
        purge_at: DateTime<Utc>,
    },
    /// A product update: the superuser's broadcast to the people who opted in.
    ProductUpdate {
        /// The subject the superuser wrote.
        subject: String,
        /// The text the superuser wrote (plain text; paragraphs by blank lines).
        body: String,
        /// The recipient's signed unsubscribe token (never logged).
        #[serde(skip_serializing, default = "no_token")]
        unsubscribe: SecretString,
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

/// A message read back without its token has an empty one until the outbox
/// puts the sealed token back.
fn no_token() -> SecretString {
    SecretString::from("")
}

impl Message {
    /// The secret this mail carries, kept out of its JSON: a link token
    /// (invitation, password reset, verification, unsubscribe) or the
    /// provider's payment page. The outbox keeps it sealed until it is sent.
    pub fn token(&self) -> Option<SecretString> {
        match self {
            Message::Invitation { token, .. }
            | Message::PasswordReset { token, .. }
            | Message::VerifyEmail { token, .. }
            | Message::ConfirmEmailChange { token, .. }
            | Message::ProductUpdate { unsubscribe: token, .. } => Some(token.clone()),
            Message::PaymentFailed { hosted_url, .. }
            | Message::PaymentActionRequired { hosted_url }
            | Message::InvoicePaid { pdf_url: hosted_url, .. } => hosted_url.clone().map(SecretString::from),
            _ => None,
        }
    }

    /// Puts the secret back (no effect on a message without one); an empty one
    /// forgets a payment page.
    pub fn set_token(&mut self, new: SecretString) {
        match self {
            Message::Invitation { token, .. }
            | Message::PasswordReset { token, .. }
            | Message::VerifyEmail { token, .. }
            | Message::ConfirmEmailChange { token, .. }
            | Message::ProductUpdate { unsubscribe: token, .. } => *token = new,
            Message::PaymentFailed { hosted_url, .. }
            | Message::PaymentActionRequired { hosted_url }
            | Message::InvoicePaid { pdf_url: hosted_url, .. } => {
                let url = new.expose_secret();
                *hosted_url = (!url.is_empty()).then(|| url.to_owned());
            }
            _ => {}
        }
    }

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
            Message::ConfirmEmailChange { .. } => "confirm_email_change",
            Message::EmailChangeRequested { .. } => "email_change_requested",
            Message::WorkspaceReminder { .. } => "workspace_reminder",
            Message::ProductUpdate { .. } => "product_update",
            Message::DeletionRequested { .. } => "deletion_requested",
            Message::UpcomingInvoice { .. } => "upcoming_invoice",
            Message::InvoicePaid { .. } => "invoice_paid",
        }
    }

    /// Who may refuse it (DESIGN.md "Notifications").
    pub fn category(&self) -> MailCategory {
        match self {
            Message::Invitation { .. }
            | Message::PasswordReset { .. }
            | Message::VerifyEmail { .. }
            | Message::ConfirmEmailChange { .. }
            | Message::EmailChangeRequested { .. }
            | Message::WorkspaceReminder { .. }
            | Message::AccountLocked { .. }
            | Message::ExportReady { .. } => MailCategory::Account,
            Message::TrialReminder { .. }
            | Message::PaymentFailed { .. }
            | Message::PaymentActionRequired { .. }
            | Message::Downgraded { .. }
            | Message::SeatsFreed { .. } => MailCategory::BillingRequired,
            Message::DeletionRequested { .. } => MailCategory::TenantRequired,
            Message::TrialConverted { .. } => MailCategory::Billing,
            Message::UpcomingInvoice { .. } => MailCategory::UpcomingInvoice,
            Message::InvoicePaid { .. } => MailCategory::Invoice,
            Message::ProductUpdate { .. } => MailCategory::ProductUpdate,
        }
    }
}

/// Who receives a kind of mail, and who may refuse it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailCategory {
    /// To the one person it concerns (a link they asked for, their account
    /// locked, their export): never refused — it is the account working.
    Account,
    /// A billing notice the tenant cannot refuse — money is owed, the trial
    /// ends, people lose access: to the billing e-mail and every owner and
    /// admin, whatever their preferences.
    BillingRequired,
    /// A notice about the tenant itself that it cannot refuse (its deletion was
    /// asked for): to every owner and admin, never the billing e-mail — an
    /// address nobody proved, which a request-and-cancel loop must not turn
    /// into a relay — and at most once a day.
    TenantRequired,
    /// A billing mail the tenant may refuse: to the billing e-mail and the
    /// owners and admins who did not switch billing mails off, unless the
    /// tenant switched them off for everyone.
    Billing,
    /// The pre-invoice warning: as [`MailCategory::Billing`], with a
    /// preference of its own (`upcoming_invoice`) each owner or admin may
    /// switch off.
    UpcomingInvoice,
    /// A paid invoice (the receipt, with its PDF): to the tenant's billing
    /// e-mail when it has one, else to its owner; never refused — it is the
    /// tenant's accounting.
    Invoice,
    /// The platform's product updates: only to people who opted in, in
    /// tenants that allow them; every one carries an unsubscribe link.
    ProductUpdate,
}

/// One mail to one recipient.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mail {
    /// Recipient.
    pub to: Email,
    /// The tenant it is about (branding), if any.
    pub tenant: Option<MailTenant>,
    /// What it says.
    pub message: Message,
    /// The recipient's own language and time zone, when the recipient is a
    /// user who chose them (issue 25); unset for an invitee or a billing
    /// address, who read in the tenant's defaults. Unset in mails queued
    /// before it existed.
    #[serde(default)]
    pub reader: Preferences,
}

impl Mail {
    /// A mail to `to` about `tenant`, read as the tenant's defaults say
    /// (the recipient's own choice is added with [`Mail::read_by`]).
    pub fn new(to: Email, tenant: Option<MailTenant>, message: Message) -> Self {
        Self { to, tenant, message, reader: Preferences::default() }
    }

    /// The same mail, for a recipient who chose `reader`'s language and time zone.
    #[must_use]
    pub fn read_by(self, reader: Preferences) -> Self {
        Self { reader, ..self }
    }
}

/// A mail as its reader sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedMail {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
    /// Where a mail client unsubscribes the recipient in one click
    /// (`List-Unsubscribe`, RFC 8058), for mails that carry such a link.
    pub unsubscribe: Option<String>,
}

/// The mail templates: what a [`Mail`] looks like when it is sent, so that a
/// preview (the broadcast page) shows exactly that.
///
/// Every implementation MUST escape every outside value in the HTML body and
/// render the same mail the same way every time.
pub trait MailRenderer: Send + Sync {
    /// The mail's subject and bodies.
    fn render(&self, mail: &Mail) -> RenderedMail;
}

/// What the mail server said when it accepted a mail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// The `Message-ID` header the mail carried (`<…>`): the same for every
    /// attempt at one outbox mail, so that a copy sent twice (the server
    /// accepted, its answer was lost) is recognisably one mail.
    pub message_id: String,
    /// The server's reply (`250 2.0.0 Ok: queued as …`), kept short; the
    /// console mailer says `console`.
    pub reply: String,
}

/// The `Message-ID` of an outbox mail: `<mail id@domain>`, the domain being
/// the sender's (or `tenantry.invalid` without one).
pub fn message_id(id: MailId, sender_domain: Option<&str>) -> String {
    let domain = sender_domain.filter(|d| !d.is_empty()).unwrap_or("tenantry.invalid");
    format!("<{id}@{domain}>")
}

/// Mail delivery.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one mail of the outbox, as the `Message-ID` [`message_id`] makes
    /// of `id` (every attempt at one mail carries the same). An error means it
    /// was not accepted (the job runner retries it).
    async fn send(&self, mail: &Mail, id: MailId) -> Result<Accepted, anyhow::Error>;
}

/// One mail in a tenant's outbox: written in the unit of work of the change
/// that caused it, sent by the job runner (`JobKind::Mail`). Its JSON form
/// leaves the token out.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QueuedMail {
    /// Its id (also its `Message-ID`'s left part).
    pub id: MailId,
    /// Whose outbox.
    pub tenant_id: TenantId,
    /// The mail, with its token (kept sealed by the stores until it is sent).
    pub mail: Mail,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the server accepted it, and what it said; `None` until then.
    pub sent: Option<(DateTime<Utc>, Accepted)>,
}

impl PartialEq for QueuedMail {
    /// The same mail: the same fields, token included (compared, never shown).
    fn eq(&self, other: &Self) -> bool {
        let token = |m: &QueuedMail| m.mail.message.token().map(|t| t.expose_secret().to_owned());
        self.id == other.id
            && self.tenant_id == other.tenant_id
            && self.created_at == other.created_at
            && self.sent == other.sent
            && serde_json::to_value(&self.mail).ok() == serde_json::to_value(&other.mail).ok()
            && token(self) == token(other)
    }
}
