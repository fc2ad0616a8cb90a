//! Who receives which mail (issue 20; DESIGN.md "Notifications").
//!
//! Every [`Message`] has a [`MailCategory`]:
//!
//! | category | to | may be refused by |
//! |---|---|---|
//! | account (invitation, reset and verification links, account locked, export ready) | the person it concerns | nobody: it is the account working |
//! | required billing (trial ending, payment failed, payment needs action, moved to free, users suspended) | the billing e-mail and every owner and admin | nobody: money is owed or people lose access |
//! | required tenant notice (deletion asked for; at most once a day) | every owner and admin, never the billing e-mail (nobody proved that address: a request-and-cancel loop must not make it a relay) | nobody |
//! | billing (trial became the paid plan) | the billing e-mail and the owners and admins who kept billing mails on | the tenant (`notifications.billing_emails`) for all; each owner or admin for themselves |
//! | paid invoice (its number, total and PDF link) | the billing e-mail when the tenant set one, else its owner | nobody: it is the tenant's accounting |
//! | pre-invoice warning (the next invoice's amount, N days before it: the platform's `billing.pre_invoice_warning_days`, 3) | the billing e-mail and the owners and admins who kept it on | the tenant (`notifications.billing_emails`) for all; each owner or admin for themselves (`upcoming_invoice`) |
//! | product update (the superuser's broadcast) | people who opted in, in tenants that allow them | the tenant (`notifications.product_updates`, off by default); each person (off until they opt in; every mail's unsubscribe link turns it off) |
//!
//! A broadcast is queued as one outbox mail per recipient, due one after the
//! other at [`BROADCAST_MAILS_PER_MINUTE`], so the mail server sees a steady
//! trickle; it is audited in the platform log.

use super::{AccessError, Tenantry, infra_from_store};
use crate::directory::TenantListQuery;
use crate::error::InfraError;
use crate::scope::{PlatformScope, TenantScope};

use crate::store::Access;
use crate::system::{Mail, MailCategory, Message};
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use tenantry_domain::audit::SystemActor;
use tenantry_domain::rbac::{BuiltinRole, RoleRef};
use tenantry_domain::user::MailPrefs;
use tenantry_domain::{AuditAction, AuditOutcome, AuditTarget, Email, Tenant, TenantId, User};

/// How fast a broadcast's mails fall due, across all tenants.
pub const BROADCAST_MAILS_PER_MINUTE: i64 = 120;
/// The longest subject of a broadcast.
pub const BROADCAST_SUBJECT_MAX: usize = 200;
/// The longest text of a broadcast.
pub const BROADCAST_BODY_MAX: usize = 20_000;

/// A change of the caller's own mail preferences (absent: unchanged).
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailPrefsPatch {
    /// The billing mails an owner or admin may refuse.
    pub billing: Option<bool>,
    /// The platform's product updates.
    pub product_updates: Option<bool>,
    /// The pre-invoice warning (owners and admins).
    pub upcoming_invoice: Option<bool>,
}

/// The caller's mail preferences, and what the tenant allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailPrefsView {
    /// The person's choices.
    #[serde(flatten)]
    pub prefs: MailPrefs,
    /// Whether the person receives billing mails at all (owners and admins).
    pub receives_billing: bool,
    /// Whether the tenant sends its refusable billing mails.
    pub tenant_billing_emails: bool,
    /// Whether the tenant lets its people receive product updates.
    pub tenant_product_updates: bool,
}

/// What the superuser writes to the people who opted in.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BroadcastDraft {
    /// One line, at most 200 characters.
    pub subject: String,
    /// Plain text, at most 20,000 characters; paragraphs by blank lines.
    pub body: String,
    /// The broadcast's idempotency key (1 to 64 of `A-Z a-z 0-9 _ -`; the
    /// preview makes one): sending again with it — a retry after an
    /// interruption, a second click — queues nothing twice. `None`: a new one.
    pub key: Option<String>,
}

/// A broadcast as it would go.
#[derive(Clone, Debug)]
pub struct BroadcastPreview {
    /// The key to send it with (so that sending twice sends once).
    pub key: String,
    /// Tenants with at least one recipient.
    pub tenants: u64,
    /// People who would receive it.
    pub recipients: u64,
    /// The mail as a recipient gets it (its unsubscribe token a placeholder).
    pub sample: Mail,
}

/// A broadcast queued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BroadcastSent {
    /// Its idempotency key.
    pub key: String,
    /// Tenants skipped because this key had queued their mails already.
    pub tenants_already_done: u64,
    /// Tenants with at least one recipient.
    pub tenants: u64,
    /// Mails queued, one per recipient.
    pub recipients: u64,
    /// When the last of them falls due (the throttle).
    pub last_due_at: DateTime<Utc>,
}

/// Why the preferences were not read or changed.
#[derive(Debug, thiserror::Error)]
pub enum MailPrefsError {
    /// Not a user of the tenant (an API key, or no such user).
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Opting in to product updates is the person's own consent: not the
    /// superuser's acting as them.
    #[error("only the person can opt in to product updates, not a support session")]
    ConsentIsPersonal,
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(MailPrefsError);

crate::problem!(MailPrefsError {
    MailPrefsError::Access(e) => (via e),
    MailPrefsError::ConsentIsPersonal => ("consent_is_personal", Forbidden),
    MailPrefsError::Infra(e) => (via e),
});

/// Why an unsubscribe link did nothing.
#[derive(Debug, thiserror::Error)]
pub enum UnsubscribeError {
    /// Not a link this platform made (changed, truncated, or of another key).
    #[error("this unsubscribe link is not valid; use the link of a recent mail")]
    Invalid,
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(UnsubscribeError);

crate::problem!(UnsubscribeError {
    UnsubscribeError::Invalid => ("invalid_link", Invalid),
    UnsubscribeError::Infra(e) => (via e),
});

/// Why a broadcast was not previewed or queued (nothing was queued).
#[derive(Debug, thiserror::Error)]
pub enum BroadcastError {
    /// The subject is empty, too long, or spans lines.
    #[error("the subject is one line of 1 to 200 characters")]
    InvalidSubject,
    /// The text is empty or too long.
    #[error("the text is 1 to 20000 characters")]
    InvalidBody,
    /// The idempotency key is not 1 to 64 of `A-Z a-z 0-9 _ -`.
    #[error("the key is 1 to 64 letters, digits, `_` or `-`")]
    InvalidKey,
    /// No key to sign unsubscribe links with.
    #[error("no link key: unsubscribe links cannot be signed (the service sets one from TENANTRY_JWT_SECRET)")]
    NoLinkKey,
    /// The walk over the tenants stopped part-way: the tenants before it have
    /// their mails queued. Sending again with the same key goes on where it stopped.
    #[error(
        "the broadcast was interrupted after {done} tenants; send it again with the key {key} to go on (nothing is sent twice)"
    )]
    Interrupted {
        /// Tenants whose mails are queued.
        done: u64,
        /// The broadcast's key.
        key: String,
        /// What stopped it.
        #[source]
        cause: InfraError,
    },
    /// Infrastructure (mails queued in tenants before it stay queued).
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(BroadcastError);

crate::problem!(BroadcastError {
    BroadcastError::InvalidSubject => ("invalid_subject", Invalid),
    BroadcastError::InvalidBody => ("invalid_body", Invalid),
    BroadcastError::InvalidKey => ("invalid_key", Invalid),
    BroadcastError::NoLinkKey => ("links_not_configured", Unavailable),
    BroadcastError::Interrupted { .. } => ("broadcast_interrupted", Unavailable),
    BroadcastError::Infra(e) => (via e),
});

impl BroadcastDraft {
    fn checked(&self) -> Result<(String, String), BroadcastError> {
        let subject = self.subject.trim();
        // One line: no control character, nor the Unicode line and paragraph separators.
        let breaks = |c: char| c.is_control() || c == '\u{2028}' || c == '\u{2029}';
        if subject.is_empty() || subject.chars().count() > BROADCAST_SUBJECT_MAX || subject.contains(breaks) {
            return Err(BroadcastError::InvalidSubject);
        }
        if let Some(key) = &self.key
            && (key.is_empty()
                || key.len() > 64
                || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        {
            return Err(BroadcastError::InvalidKey);
        }
        let body = self.body.trim();
        if body.is_empty() || body.chars().count() > BROADCAST_BODY_MAX {
            return Err(BroadcastError::InvalidBody);
        }
        Ok((subject.to_owned(), body.replace("\r\n", "\n")))
    }
}

fn is_admin(u: &User) -> bool {
    matches!(u.role(), RoleRef::Builtin(BuiltinRole::Owner | BuiltinRole::Admin))
}

/// Whether `user` of `tenant` receives product updates.
fn wants_updates(tenant: &Tenant, user: &User) -> bool {
    tenant.settings().notifications.product_updates && user.is_active() && user.mail_prefs().product_updates
}

impl Tenantry {
    /// The mails of a billing `message` to `tenant`, as its category and the
    /// tenant's and its people's preferences say; each address once, in the
    /// language and time zone its user chose (the billing e-mail, when it is
    /// no active user's address, reads in the tenant's defaults).
    pub(crate) fn billing_mails(tenant: &Tenant, users: &[User], message: &Message) -> Vec<Mail> {
        let category = message.category();
        let mail = |to: Email| {
            let reader = users.iter().find(|u| u.is_active() && u.email() == &to).map(User::preferences);
            Mail::new(to, Some(Self::mail_tenant(tenant)), message.clone()).read_by(reader.unwrap_or_default())
        };
        if category == MailCategory::Invoice {
            let to = match &tenant.settings().billing.billing_email {
                Some(billing) => vec![billing.clone()],
                None => users
                    .iter()
                    .filter(|u| u.is_active() && matches!(u.role(), RoleRef::Builtin(BuiltinRole::Owner)))
                    .map(|u| u.email().clone())
                    .collect(),
            };
            return to.into_iter().map(mail).collect();
        }
        let (required, to_billing_email) = match category {
            MailCategory::BillingRequired => (true, true),
            MailCategory::TenantRequired => (true, false),
            MailCategory::Billing | MailCategory::UpcomingInvoice if tenant.settings().notifications.billing_emails => {
                (false, true)
            }
            // Refused by the tenant, or not a billing mail at all.
            _ => return Vec::new(),
        };
        let wants = |u: &User| match category {
            MailCategory::UpcomingInvoice => u.mail_prefs().upcoming_invoice,
            _ => u.mail_prefs().billing,
        };
        let billing_email = tenant.settings().billing.billing_email.iter().filter(|_| to_billing_email).cloned();
        let people =
            users.iter().filter(|u| u.is_active() && is_admin(u) && (required || wants(u))).map(|u| u.email().clone());
        let mut seen = BTreeSet::new();
        billing_email.chain(people).filter(|to| seen.insert(to.clone())).map(mail).collect()
    }

    /// `GET /v1/me/notifications`: the caller's mail preferences.
    pub async fn my_mail_prefs(&self, scope: &TenantScope) -> Result<MailPrefsView, MailPrefsError> {
        let Some(id) = scope.actor().user_id() else { return Err(AccessError::NotFound.into()) };
        let mut tx = self.begin(scope, Access::Read).await?;
        let user = tx.user(id).await?.ok_or(AccessError::NotFound)?;
        let tenant = self.tenant_row(tx.as_mut()).await?;
        Ok(Self::prefs_view(&tenant, &user))
    }

    fn prefs_view(tenant: &Tenant, user: &User) -> MailPrefsView {
        MailPrefsView {
            prefs: user.mail_prefs(),
            receives_billing: is_admin(user),
            tenant_billing_emails: tenant.settings().notifications.billing_emails,
            tenant_product_updates: tenant.settings().notifications.product_updates,
        }
    }

    /// `PATCH /v1/me/notifications`: the caller changes their own mail
    /// preferences (audited as `user.mail_preferences_changed`).
    pub async fn set_my_mail_prefs(
        &self,
        scope: &TenantScope,
        patch: MailPrefsPatch,
    ) -> Result<MailPrefsView, MailPrefsError> {
        let Some(id) = scope.actor().user_id() else { return Err(AccessError::NotFound.into()) };
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut user = tx.user(id).await?.ok_or(AccessError::NotFound)?;
        let before = user.mail_prefs();
        let impersonated = matches!(scope.actor(), crate::scope::Actor::Impersonation { .. });
        if impersonated && patch.product_updates == Some(true) && !before.product_updates {
            return Err(MailPrefsError::ConsentIsPersonal);
        }
        let mut chosen = before;
        if let Some(billing) = patch.billing {
            chosen.billing = billing;
        }
        if let Some(updates) = patch.product_updates {
            chosen.product_updates = updates;
        }
        if let Some(upcoming) = patch.upcoming_invoice {
            chosen.upcoming_invoice = upcoming;
        }
        user.choose_mail(chosen);
        if user.mail_prefs() != before {
            tx.update_user(&user).await?;
            let event = self
                .event(scope, AuditAction::MailPrefsChanged, Some(AuditTarget::User(id)), AuditOutcome::Success)?
                .with("billing", user.mail_prefs().billing)
                .with("product_updates", user.mail_prefs().product_updates)
                .with("upcoming_invoice", user.mail_prefs().upcoming_invoice);
            tx.append_audit(&event).await?;
        }
        let tenant = self.tenant_row(tx.as_mut()).await?;
        tx.commit().await?;
        Ok(Self::prefs_view(&tenant, &user))
    }

    /// `POST /v1/unsubscribe` and the mailed link's page: the link's user
    /// receives no more product updates. Works without signing in; the link
    /// only ever does this, for its own user. A user who is gone: nothing to do.
    pub async fn unsubscribe(&self, token: &str) -> Result<(), UnsubscribeError> {
        let key = self.links.as_ref().ok_or(UnsubscribeError::Invalid)?;
        let (tenant, user) = key.open_unsubscribe(token).ok_or(UnsubscribeError::Invalid)?;
        let scope = self.system_scope(tenant, SystemActor::UnsubscribeLink);
        let mut tx = self.begin(&scope, Access::Write).await?;
        // A purged tenant's, or a removed user's, link: nobody left to unsubscribe.
        let Some(mut found) = tx.user(user).await? else { return Ok(()) };
        if found.mail_prefs().product_updates {
            found.choose_mail(tenantry_domain::user::MailPrefs { product_updates: false, ..found.mail_prefs() });
            tx.update_user(&found).await?;
            let event =
                self.event(&scope, AuditAction::Unsubscribed, Some(AuditTarget::User(user)), AuditOutcome::Success)?;
            tx.append_audit(&event.with("list", "product_updates")).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// `POST /v1/admin/broadcasts/preview`: how many would receive the
    /// broadcast, and the mail as they would get it. Queues nothing.
    pub async fn preview_broadcast(
        &self,
        _who: &PlatformScope,
        draft: &BroadcastDraft,
    ) -> Result<BroadcastPreview, BroadcastError> {
        let (subject, body) = draft.checked()?;
        let (mut tenants, mut recipients) = (0, 0);
        for tenant in self.all_tenant_ids().await? {
            let scope = self.system_scope(tenant, SystemActor::Scheduler);
            let mut tx = self.begin(&scope, Access::Read).await?;
            let Some(row) = tx.tenant().await? else { continue };
            let n = tx.users().await?.iter().filter(|u| wants_updates(&row, u)).count() as u64;
            tenants += u64::from(n > 0);
            recipients += n;
        }
        let sample = Mail::new(
            Email::parse("recipient@example.com").map_err(|e| InfraError::Unknown(anyhow::anyhow!("{e}")))?,
            None,
            Message::ProductUpdate { subject, body, unsubscribe: SecretString::from("u1.preview-only-not-a-link") },
        );
        let key = match &draft.key {
            Some(key) => key.clone(),
            None => self.new_uuid().simple().to_string(),
        };
        Ok(BroadcastPreview { key, tenants, recipients, sample })
    }

    /// `POST /v1/admin/broadcasts`: one outbox mail per person who opted in,
    /// in every tenant that allows product updates, each with its own
    /// unsubscribe link; due one after the other at
    /// [`BROADCAST_MAILS_PER_MINUTE`]. Audited in the platform log.
    pub async fn send_broadcast(
        &self,
        who: &PlatformScope,
        draft: &BroadcastDraft,
    ) -> Result<BroadcastSent, BroadcastError> {
        let (subject, body) = draft.checked()?;
        let links = self.links.clone().ok_or(BroadcastError::NoLinkKey)?;
        let key = match &draft.key {
            Some(key) => key.clone(),
            None => self.new_uuid().simple().to_string(),
        };
        // Audited before the first mail is queued: an interrupted broadcast is on record too.
        let mut ptx = self.deps.store.begin_platform().await?;
        let started = self
            .platform_event(who, AuditAction::BroadcastStarted, None)?
            .with("key", key.as_str())
            .with("subject", subject.chars().take(200).collect::<String>());
        ptx.append_platform_audit(&started).await?;
        ptx.commit().await?;
        let now = self.now();
        let (mut tenants, mut recipients, mut already) = (0u64, 0u64, 0u64);
        let mut last_due_at = now;
        // Each tenant's mails and its mark of this key commit together: a retry with
        // the key skips the tenants done and sends nothing twice.
        let marker = format!("mail:broadcast:{key}");
        let interrupted = |done: u64, cause: InfraError| BroadcastError::Interrupted { done, key: key.clone(), cause };
        for tenant in self.all_tenant_ids().await.map_err(|e| interrupted(0, e))? {
            let walk = async {
                let scope = self.system_scope(tenant, SystemActor::Scheduler);
                let mut tx = self.begin(&scope, Access::Write).await?;
                let Some(row) = tx.tenant().await? else { return Ok::<_, InfraError>(None) };
                let people: Vec<User> = tx.users().await?.into_iter().filter(|u| wants_updates(&row, u)).collect();
                if people.is_empty() {
                    return Ok(None);
                }
                if !tx.mark(&marker, now).await? {
                    return Ok(Some(None));
                }
                let mut queued = Vec::with_capacity(people.len());
                for (k, user) in people.into_iter().enumerate() {
                    let Some(token) = links.unsubscribe_token(tenant, user.id()) else {
                        return Err(InfraError::Unknown(anyhow::anyhow!("the link key refused to sign")));
                    };
                    // The platform speaks (no tenant branding): the reader's own choice, else
                    // their workspace's defaults, settle the unsubscribe lines' language.
                    let (own, defaults) = (user.preferences(), row.settings().defaults);
                    let reader = tenantry_domain::preferences::Preferences {
                        language: own.language.or(defaults.language),
                        time_zone: own.time_zone.or(defaults.time_zone),
                    };
                    let mail = Mail::new(
                        user.email().clone(),
                        None,
                        Message::ProductUpdate { subject: subject.clone(), body: body.clone(), unsubscribe: token },
                    )
                    .read_by(reader);
                    // The n-th mail of the broadcast falls due n/rate minutes from now (in milliseconds, exact).
                    let n = i64::try_from(recipients)
                        .unwrap_or(i64::MAX)
                        .saturating_add(i64::try_from(k).unwrap_or(i64::MAX));
                    let due = now + Duration::milliseconds(n.saturating_mul(60_000) / BROADCAST_MAILS_PER_MINUTE);
                    self.queue_mail_at(tx.as_mut(), tenant, mail, due).await?;
                    queued.push(due);
                }
                tx.commit().await?;
                Ok(Some(Some(queued)))
            };
            match walk.await.map_err(|e| interrupted(tenants, e))? {
                None => {}
                Some(None) => already += 1,
                Some(Some(queued)) => {
                    tenants += 1;
                    recipients += queued.len() as u64;
                    last_due_at = queued.last().copied().unwrap_or(last_due_at);
                }
            }
        }
        let mut ptx = self.deps.store.begin_platform().await?;
        let event = self
            .platform_event(who, AuditAction::BroadcastSent, None)?
            .with("key", key.as_str())
            .with("tenants", tenants)
            .with("recipients", recipients)
            .with("tenants_already_done", already);
        ptx.append_platform_audit(&event).await?;
        ptx.commit().await?;
        tracing::info!(tenants, recipients, "broadcast queued");
        Ok(BroadcastSent { key, tenants_already_done: already, tenants, recipients, last_due_at })
    }

    /// Every tenant's id, page by page through the directory's named path.
    async fn all_tenant_ids(&self) -> Result<Vec<TenantId>, InfraError> {
        let page = 500u32;
        let mut ids = Vec::new();
        let mut seen = BTreeSet::new();
        let mut offset = 0u32;
        loop {
            let query = TenantListQuery { offset, limit: page, ..TenantListQuery::default() };
            let found = self.deps.directory.list_tenants(&query).await?;
            let n = u32::try_from(found.len()).unwrap_or(u32::MAX);
            ids.extend(found.into_iter().map(|t| t.id).filter(|id| seen.insert(*id)));
            if n < page {
                return Ok(ids);
            }
            offset = offset.saturating_add(n);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use tenantry_domain::password::PasswordHash;
    use tenantry_domain::text::{CompanyName, PersonName};
    use tenantry_domain::{EntityId, Money, Slug, UserId};

    fn id<T: EntityId>(n: u128) -> T {
        T::from_uuid(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)).unwrap()
    }

    /// owner, admin, admin who switched billing mails off, member, deactivated admin.
    /// Acme, with these settings.
    fn acme(
        id: TenantId,
        at: chrono::DateTime<chrono::Utc>,
        settings: tenantry_domain::tenant::TenantSettings,
    ) -> Tenant {
        Tenant::restore(tenantry_domain::TenantRecord {
            id,
            slug: Slug::parse("acme").unwrap(),
            name: CompanyName::parse("Acme").unwrap(),
            created_at: at,
            settings,
            quota_override: Default::default(),
        })
    }

    fn people(tenant: TenantId) -> Vec<User> {
        let person = |n: u128, who: &str, role: BuiltinRole| {
            User::new(
                id::<UserId>(n),
                tenant,
                Email::parse(&format!("{who}@acme.example.com")).unwrap(),
                PersonName::parse("A Person").unwrap(),
                RoleRef::Builtin(role),
                PasswordHash::from_encoded(SecretString::from("$x")),
                chrono::DateTime::UNIX_EPOCH,
            )
        };
        let mut optout = person(3, "optout", BuiltinRole::Admin);
        optout.choose_mail(tenantry_domain::user::MailPrefs { billing: false, ..optout.mail_prefs() });
        let mut gone = person(5, "gone", BuiltinRole::Admin);
        gone.deactivate(chrono::DateTime::UNIX_EPOCH, tenantry_domain::user::DeactivationReason::Admin).unwrap();
        vec![
            person(1, "owner", BuiltinRole::Owner),
            person(2, "admin", BuiltinRole::Admin),
            optout,
            person(4, "member", BuiltinRole::Member),
            gone,
        ]
    }

    /// The preference matrix: for each billing mail, with and without a
    /// billing e-mail, with the tenant's refusable billing mails on and off,
    /// exactly who receives it.
    #[test]
    fn who_receives_which_billing_mail() {
        let at = chrono::DateTime::UNIX_EPOCH;
        let required = [
            Message::TrialReminder { trial_ends_at: at, converts: true },
            Message::PaymentFailed { amount_due: Money::eur(4995), hosted_url: None },
            Message::PaymentActionRequired { hosted_url: None },
            Message::Downgraded {
                reason: tenantry_domain::subscription::FreemiumReason::Canceled,
                deactivated: vec![],
                revoked_invitations: 0,
            },
            Message::SeatsFreed { licensed: 1, deactivated: vec![], revoked_invitations: 0 },
        ];
        let tenant_notice = Message::DeletionRequested { purge_at: at };
        let refusable = Message::TrialConverted { interval: tenantry_domain::Interval::Month, seats: 3 };
        let all_admins = ["owner", "admin", "optout"];
        let willing = ["owner", "admin"];
        // (billing e-mail set, tenant's refusable billing mails on, message, who)
        let mut table: Vec<(bool, bool, Message, Vec<&str>)> = Vec::new();
        for billing_email in [false, true] {
            for tenant_on in [true, false] {
                let with_books = |who: &[&'static str]| {
                    let mut v: Vec<&str> = if billing_email { vec!["books"] } else { vec![] };
                    v.extend_from_slice(who);
                    v
                };
                for m in &required {
                    table.push((billing_email, tenant_on, m.clone(), with_books(&all_admins)));
                }
                let expected = if tenant_on { with_books(&willing) } else { vec![] };
                table.push((billing_email, tenant_on, refusable.clone(), expected));
                // Never the billing e-mail; every active owner and admin.
                table.push((billing_email, tenant_on, tenant_notice.clone(), all_admins.to_vec()));
            }
        }
        // Not billing mails at all: never sent through this path.
        table.push((true, true, Message::AccountLocked { until: at }, vec![]));
        for (billing_email, tenant_on, message, expected) in table {
            let tenant_id = id::<TenantId>(100);
            let mut settings = tenantry_domain::tenant::TenantSettings::default();
            settings.notifications.billing_emails = tenant_on;
            if billing_email {
                settings.billing.billing_email = Some(Email::parse("books@acme.example.com").unwrap());
            }
            let tenant = acme(tenant_id, at, settings);
            let got: Vec<String> = Tenantry::billing_mails(&tenant, &people(tenant_id), &message)
                .into_iter()
                .map(|m| m.to.as_str().split('@').next().unwrap_or_default().to_owned())
                .collect();
            assert_eq!(
                got,
                expected,
                "{} with billing e-mail {billing_email}, tenant's billing mails {tenant_on}",
                message.template()
            );
        }
    }

    #[test]
    fn a_billing_email_that_is_also_an_admins_is_mailed_once() {
        let at = chrono::DateTime::UNIX_EPOCH;
        let tenant_id = id::<TenantId>(100);
        let mut settings = tenantry_domain::tenant::TenantSettings::default();
        settings.billing.billing_email = Some(Email::parse("owner@acme.example.com").unwrap());
        let tenant = acme(tenant_id, at, settings);
        let mails =
            Tenantry::billing_mails(&tenant, &people(tenant_id), &Message::PaymentActionRequired { hosted_url: None });
        let to: Vec<&str> = mails.iter().map(|m| m.to.as_str()).collect();
        assert_eq!(to, ["owner@acme.example.com", "admin@acme.example.com", "optout@acme.example.com"]);
    }

    #[test]
    fn each_billing_mail_is_read_as_its_recipient_chose_and_the_tenants_defaults_travel_with_it() {
        use tenantry_domain::preferences::{Language, Preferences, TimeZone};
        let at = chrono::DateTime::UNIX_EPOCH;
        let tenant_id = id::<TenantId>(100);
        let mut settings = tenantry_domain::tenant::TenantSettings::default();
        settings.billing.billing_email = Some(Email::parse("books@acme.example.com").unwrap());
        let amsterdam = TimeZone::parse("Europe/Amsterdam").unwrap();
        settings.defaults = Preferences { language: Some(Language::Nl), time_zone: Some(amsterdam) };
        let tenant = acme(tenant_id, at, settings);
        let english = Preferences { language: Some(Language::En), time_zone: None };
        let mut users = people(tenant_id);
        users[1].choose(english);
        let mails = Tenantry::billing_mails(&tenant, &users, &Message::PaymentActionRequired { hosted_url: None });
        let readers: Vec<(&str, Preferences)> = mails.iter().map(|m| (m.to.as_str(), m.reader)).collect();
        assert_eq!(
            readers,
            [
                ("books@acme.example.com", Preferences::default()),
                ("owner@acme.example.com", Preferences::default()),
                ("admin@acme.example.com", english),
                ("optout@acme.example.com", Preferences::default()),
            ]
        );
        for m in &mails {
            assert_eq!(m.tenant.as_ref().unwrap().defaults.language, Some(Language::Nl));
            assert_eq!(m.tenant.as_ref().unwrap().defaults.time_zone, Some(amsterdam));
        }
        // A billing e-mail that is an admin's address is read as that admin chose.
        let mut users = people(tenant_id);
        users[0].choose(english);
        let mut settings = tenant.settings().clone();
        settings.billing.billing_email = Some(Email::parse("owner@acme.example.com").unwrap());
        let tenant = acme(tenant_id, at, settings);
        let paid = Message::InvoicePaid { number: "1".into(), total: Money::eur(100), issued_at: at, pdf_url: None };
        let mails = Tenantry::billing_mails(&tenant, &users, &paid);
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].reader, english);
    }

    #[test]
    fn a_subject_is_one_line_and_the_text_has_bounds() {
        let draft = |s: &str, b: &str| BroadcastDraft { subject: s.into(), body: b.into(), key: None };
        assert!(draft("News", "Hello").checked().is_ok());
        assert!(matches!(draft("", "Hello").checked(), Err(BroadcastError::InvalidSubject)));
        assert!(matches!(draft("a\r\nBcc: x@example.com", "Hello").checked(), Err(BroadcastError::InvalidSubject)));
        assert!(matches!(draft("a\u{2028}b", "Hello").checked(), Err(BroadcastError::InvalidSubject)));
        assert!(matches!(draft("a\u{7}b", "Hello").checked(), Err(BroadcastError::InvalidSubject)));
        let keyed = |k: &str| BroadcastDraft { subject: "News".into(), body: "Hello".into(), key: Some(k.into()) };
        assert!(keyed("0190abcd-ef_X").checked().is_ok());
        assert!(matches!(keyed("").checked(), Err(BroadcastError::InvalidKey)));
        assert!(matches!(keyed("a b").checked(), Err(BroadcastError::InvalidKey)));
        assert!(matches!(keyed(&"k".repeat(65)).checked(), Err(BroadcastError::InvalidKey)));
        assert!(matches!(draft(&"s".repeat(201), "Hello").checked(), Err(BroadcastError::InvalidSubject)));
        assert!(matches!(draft("News", "  ").checked(), Err(BroadcastError::InvalidBody)));
        assert!(matches!(draft("News", &"b".repeat(20_001)).checked(), Err(BroadcastError::InvalidBody)));
        let ok = draft("News", "a\r\n\r\nb").checked();
        assert!(matches!(ok, Ok((_, body)) if body == "a\n\nb"));
    }

    #[test]
    fn the_token_is_not_in_the_debug_output_of_a_product_update() {
        let m = Message::ProductUpdate {
            subject: "s".into(),
            body: "b".into(),
            unsubscribe: SecretString::from("u1.secret-token"),
        };
        assert!(!format!("{m:?}").contains("secret-token"));
        assert!(!serde_json::to_string(&m).unwrap_or_default().contains("secret-token"));
        assert_eq!(m.token().map(|t| t.expose_secret().to_owned()).as_deref(), Some("u1.secret-token"));
    }
}
