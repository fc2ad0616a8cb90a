//! The application services: one async method per use case on [`Tenantry`].
//!
//! Every use case follows the same shape: authorise the actor (a
//! [`TenantScope`](crate::TenantScope) carries the permissions; a missing one is
//! refused with `Forbidden` and recorded as an `access.denied` audit event),
//! parse the input into domain types, open one unit of work, load what the
//! rule needs, ask the domain, write the outcome and its audit events, commit,
//! and only then talk to the outside world that cannot take part in the
//! transaction (mail is written to the outbox inside it and sent after it: `outbox`). A use case that fails leaves nothing behind but the
//! audit event or lockout counter it is meant to record.

mod access;
pub mod account;
pub mod admin;
pub mod ads;
pub mod api_keys;
pub mod attempts;
pub mod audit;
pub mod auth;
pub mod backups;
pub mod billing;
pub mod exports;
pub mod files;
pub mod impersonation;
pub mod invitations;
pub mod jobs;
pub mod login;
pub mod mfa;
pub mod notifications;
pub mod outbox;
pub mod profile;
pub mod promotions;
pub mod roles;
pub mod scheduler;
pub mod sessions;
pub mod settings;
pub mod signup;
mod steps;
mod subscription_state;
pub mod superusers;
pub mod tenant;
pub mod timers;
pub mod usage;
pub mod users;
pub mod views;

use crate::directory::TenantDirectory;
use crate::payment::PaymentProvider;
use crate::store::UnitOfWork;
use crate::system::{Clock, IdGenerator, Mailer, PasswordHasher, TokenGenerator};
use std::sync::Arc;
use tenantry_domain::password::LockoutPolicy;
use tenantry_domain::{PlanCatalog, Policy, SubscriptionStatus, UpgradeRequired};

/// The ports a [`Tenantry`] runs on.
#[derive(Clone)]
pub struct Deps {
    /// Units of work over the tenant and platform tables.
    pub store: Arc<dyn UnitOfWork>,
    /// The named cross-tenant lookups.
    pub directory: Arc<dyn TenantDirectory>,
    /// Stripe or the billing simulator.
    pub payments: Arc<dyn PaymentProvider>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Ids.
    pub ids: Arc<dyn IdGenerator>,
    /// Secrets for links.
    pub tokens: Arc<dyn TokenGenerator>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Mail delivery.
    pub mailer: Arc<dyn Mailer>,
    /// The bytes of tenants' files.
    pub files: Arc<dyn crate::files::FileStore>,
}

/// The rules' numbers and the permission model; every field has the DESIGN.md default.
#[derive(Clone, Debug)]
pub struct TenantryConfig {
    /// Plans, prices, trial, grace and retention.
    pub catalog: PlanCatalog,
    /// Permissions and built-in roles (register product permissions here).
    pub policy: Policy,
    /// Failed-login lockout.
    pub lockout: LockoutPolicy,
    /// The key that seals the superuser's per-tenant backups; `None`: backups
    /// are refused (`backups_not_configured`).
    pub backup_key: Option<crate::backup::BackupKey>,
    /// Whether a superuser must have two-factor authentication: one without
    /// it can do nothing but enrol (`mfa_enrolment_required`). The binary sets
    /// it whenever it runs on PostgreSQL.
    pub superuser_mfa_required: bool,
    /// When a queued mail is first tried (the outbox's job runner retries it
    /// in every mode).
    pub mail_delivery: outbox::MailDelivery,
    /// The key of signed links (unsubscribe); `None`: a random one for this
    /// process (links end with it — the embedded default's way).
    pub link_key: Option<crate::links::LinkKey>,
    /// The platform settings in force until the superuser saves some (a
    /// store that holds none reads as these): DESIGN.md's defaults unless an
    /// embedder or a test suite starts from others (e.g. cardless trials).
    pub initial_settings: tenantry_domain::settings::PlatformSettings,
    /// The largest file an upload may have (a logo's is 1 MiB whatever this says).
    pub max_upload_bytes: u64,
}

impl Default for TenantryConfig {
    fn default() -> Self {
        Self {
            catalog: PlanCatalog::default(),
            policy: Policy::default(),
            lockout: LockoutPolicy::default(),
            backup_key: None,
            superuser_mfa_required: false,
            mail_delivery: outbox::MailDelivery::default(),
            link_key: None,
            initial_settings: tenantry_domain::settings::PlatformSettings::default(),
            max_upload_bytes: tenantry_domain::file::DEFAULT_MAX_UPLOAD_BYTES,
        }
    }
}

/// tenantry's application services. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Tenantry {
    deps: Arc<Deps>,
    config: Arc<TenantryConfig>,
    /// The last day this process saw the platform snapshot recorded (days
    /// since the epoch; `i64::MIN` for none): the scheduler's every tick
    /// then skips the store until the next day.
    snapshot_day: Arc<std::sync::atomic::AtomicI64>,
    /// This process's copy of the platform settings.
    settings: Arc<settings::SettingsCache>,
    /// Cross-tenant attempts counted, not yet written.
    attempts: Arc<attempts::Attempts>,
    /// Signs and opens the links that work without signing in.
    links: Option<crate::links::LinkKey>,
}

impl Tenantry {
    /// Composes the services from ports and configuration.
    pub fn new(deps: Deps, config: TenantryConfig) -> Self {
        let links = config.link_key.clone().or_else(|| match deps.tokens.secret() {
            Ok(secret) => Some(crate::links::LinkKey::from_secret(&secret)),
            Err(e) => {
                tracing::warn!(error = %e, "no randomness for a link key: unsubscribe links cannot be made");
                None
            }
        });
        Self {
            links,
            deps: Arc::new(deps),
            config: Arc::new(config),
            snapshot_day: Arc::new(std::sync::atomic::AtomicI64::new(i64::MIN)),
            settings: Arc::new(std::sync::RwLock::new(None)),
            attempts: Arc::new(Default::default()),
        }
    }

    /// `GET /readyz`: whether the store answers.
    pub async fn ready(&self) -> Result<(), crate::error::InfraError> {
        self.deps.store.ping().await.map_err(Into::into)
    }

    /// The configuration.
    pub fn config(&self) -> &TenantryConfig {
        &self.config
    }

    /// The plan catalog.
    pub fn catalog(&self) -> &PlanCatalog {
        &self.config.catalog
    }

    /// The permission policy.
    pub fn policy(&self) -> &Policy {
        &self.config.policy
    }

    /// The ports (for adapters composed around the services, such as the HTTP layer's readiness check).
    pub fn deps(&self) -> &Deps {
        &self.deps
    }
}

/// Refusals every tenant-scoped use case can give.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The resource does not exist in the scope's tenant (also for ids of other
    /// tenants: there is no existence oracle).
    #[error("not found")]
    NotFound,
    /// The actor lacks a permission.
    #[error("this needs the permission `{0}`")]
    Forbidden(String),
    /// The plan lacks a feature.
    #[error(transparent)]
    UpgradeRequired(#[from] UpgradeRequired),
    /// The tenant is suspended or pending deletion.
    #[error("the tenant is {0}")]
    TenantInactive(SubscriptionStatus),
    /// The tenant signed up under the `required` trial policy and has no
    /// payment method on file yet: only the subscription, the tenant's profile
    /// and a setup Checkout (`POST …/billing/checkout`) are open until it has.
    #[error("add a payment method to start the trial (POST /v1/tenants/{{tid}}/billing/checkout)")]
    PaymentMethodRequired,
}

crate::problem!(AccessError {
    AccessError::NotFound => ("not_found", NotFound),
    AccessError::Forbidden(_) => ("forbidden", Forbidden),
    AccessError::UpgradeRequired(_) => ("upgrade_required", UpgradeRequired),
    AccessError::TenantInactive(_) => ("tenant_inactive", Forbidden),
    AccessError::PaymentMethodRequired => ("payment_method_required", Forbidden),
});

/// Implements `From<StoreError>` (through [`InfraError`]) for use-case errors
/// that have an `Infra(InfraError)` variant.
macro_rules! infra_from_store {
    ($($error:ty),* $(,)?) => {
        $(
            impl From<$crate::error::StoreError> for $error {
                fn from(e: $crate::error::StoreError) -> Self {
                    Self::Infra(e.into())
                }
            }
        )*
    };
}
pub(crate) use infra_from_store;

/// Every use case's future is `Send`, so that any async runtime and web
/// framework (axum handlers, `tokio::spawn`) can drive it. Compile-time only.
#[cfg(test)]
#[allow(dead_code, clippy::too_many_lines)]
mod futures_are_send {
    use super::*;
    use crate::payment::BillingEvent;
    use crate::scope::{PlatformScope, Principal, TenantScope};
    use crate::store::{Month, UsageDelta};
    use tenantry_domain::subscription::{PlanChoice, PlanTiming};
    use tenantry_domain::{CampaignId, InvitationId, RoleId, TenantId, UserId};

    fn send<T: Send>(_: T) {}

    #[allow(clippy::too_many_arguments)]
    fn check(
        t: &Tenantry,
        s: &TenantScope,
        p: &PlatformScope,
        principal: &Principal,
        tenant: TenantId,
        user: UserId,
        invitation: InvitationId,
        role: RoleId,
        campaign: CampaignId,
        event: &BillingEvent,
    ) {
        use secrecy::SecretString;
        send(t.signup(auth::SignupInput {
            company_name: String::new(),
            slug: String::new(),
            email: String::new(),
            password: SecretString::from(""),
            name: String::new(),
            plan: auth::SignupPlan::Standard,
            interval: tenantry_domain::Interval::Month,
            promotion_code: None,
            language: None,
        }));
        send(t.login(auth::LoginInput { tenant: None, email: String::new(), password: SecretString::from("") }));
        send(t.authorize(principal, tenant));
        send(t.authorize_platform(principal));
        send(t.me(s));
        send(t.invite(s, invitations::InviteInput { email: String::new(), role: String::new() }));
        send(t.list_invitations(s, true));
        send(t.revoke_invitation(s, invitation));
        send(t.resend_invitation(s, invitation));
        send(t.accept_invitation(invitations::AcceptInput {
            token: SecretString::from(""),
            name: String::new(),
            password: SecretString::from(""),
        }));
        send(t.list_users(s));
        send(t.get_user(s, user));
        send(t.update_user(s, user, users::UserPatch::default()));
        send(t.remove_user(s, user));
        send(t.transfer_ownership(s, user));
        send(t.list_roles(s));
        send(t.create_role(s, roles::RoleInput { name: String::new(), description: None, permissions: vec![] }));
        send(t.update_role(s, role, roles::RolePatch::default()));
        send(t.delete_role(s, role));
        send(t.get_tenant(s));
        send(t.update_tenant(s, tenant::SettingsInput::default()));
        send(t.request_deletion(s));
        send(t.cancel_deletion(s));
        send(t.subscription_view(s));
        send(t.preview_change(s, billing::PreviewInput::default()));
        send(t.change_seats(s, 4, None));
        send(t.change_plan(
            s,
            PlanChoice::Freemium,
            PlanTiming::Now,
            None,
            &crate::payment::ReturnPath::from_static("/"),
        ));
        send(t.cancel_subscription(s, &crate::payment::ReturnPath::from_static("/")));
        send(t.continue_free(s, &crate::payment::ReturnPath::from_static("/")));
        send(t.checkout_session(s, &crate::payment::ReturnPath::from_static("/")));
        send(t.portal_session(s, &crate::payment::ReturnPath::from_static("/")));
        send(t.invoices(s));
        send(t.handle_billing_event(event));
        send(t.run_due_timers(10));
        send(t.run_tenant_timers(tenant));
        send(t.usage(s));
        send(t.effective_quota(s));
        send(t.api_calls_this_month(s));
        send(t.add_metered_usage(
            tenant,
            Month::of(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH),
            UsageDelta::default(),
        ));
        send(t.reserve_storage(s, 1));
        send(t.release_storage(s, 1));
        send(t.ad_decision(s));
        send(t.record_ad_event(s, campaign, crate::store::AdCountKind::Click));
        send(t.audit_events(s, audit::AuditFilter::default()));
        send(t.admin_list_tenants(p, Default::default()));
        send(t.admin_tenant_detail(s));
        send(t.admin_update_tenant(s, admin::AdminTenantPatch::default()));
        send(t.admin_delete_tenant(s));
        send(t.platform_stats(p));
        send(t.platform_audit(p, None, audit::AuditFilter::default(), None));
        send(t.list_campaigns(p));
        send(t.campaign_stats(p, campaign));
        send(t.delete_campaign(p, campaign));
    }
}
