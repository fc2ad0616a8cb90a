//! The tenant profile and settings, and the owner's deletion request.

use super::access::Attempt;
use super::views::TenantView;
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::payment::{PaymentError, ProviderChange};
use crate::scope::TenantScope;
use crate::store::Access;
use tenantry_domain::audit::AuditTarget;
use tenantry_domain::email::EmailError;
use tenantry_domain::preferences::{Language, PreferenceError, TimeZone};
use tenantry_domain::rbac::builtin;
use tenantry_domain::subscription::{SubscriptionError, SubscriptionState};
use tenantry_domain::tenant::{NotificationPrefs, TenantPatch};
use tenantry_domain::text::{CompanyName, CountryCode, HexColor, HttpsUrl, TextError, VatId};
use tenantry_domain::{AuditAction, AuditOutcome, Email};

/// A partial update of the tenant settings (`PATCH /v1/tenants/{tid}`): `None`
/// leaves a field, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    /// Company name.
    pub name: Option<String>,
    /// Brand colour `#rrggbb`.
    pub primary_color: Option<Option<String>>,
    /// Logo URL (https).
    pub logo_url: Option<Option<String>>,
    /// Mail preferences.
    pub notifications: Option<NotificationPrefs>,
    /// Legal name on invoices.
    pub legal_name: Option<Option<String>>,
    /// Billing country.
    pub country: Option<Option<String>>,
    /// VAT id.
    pub vat_id: Option<Option<String>>,
    /// Billing email.
    pub billing_email: Option<Option<String>>,
    /// The workspace's default language (`en`, `nl`; empty: none).
    pub language: Option<Option<String>>,
    /// The workspace's default time zone (an IANA name; empty: none).
    pub time_zone: Option<Option<String>>,
    /// The types of files it accepts (`null`: the default list).
    pub file_types: Option<Option<Vec<String>>>,
}

/// Why a settings change or deletion request was refused. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    /// A field is invalid.
    #[error(transparent)]
    Invalid(#[from] TextError),
    /// The billing email is invalid.
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    /// A language or time zone tenantry does not know.
    #[error(transparent)]
    InvalidPreference(#[from] PreferenceError),
    /// Not a list of accepted file types.
    #[error(transparent)]
    FileTypes(#[from] tenantry_domain::file::FileError),
    /// The payment provider refused or could not be reached for billing details.
    #[error("billing details could not be passed to the payment provider: {0}")]
    Billing(#[from] PaymentError),
    /// The deletion cannot be requested or cancelled now.
    #[error(transparent)]
    Lifecycle(#[from] SubscriptionError),
    /// Access.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(TenantError);

crate::problem!(TenantError {
    TenantError::Invalid(_) => ("invalid_settings", Invalid),
    TenantError::InvalidEmail(_) => ("invalid_email", Invalid),
    TenantError::InvalidPreference(_) => ("invalid_preference", Invalid),
    TenantError::FileTypes(_) => ("invalid_file_types", Invalid),
    TenantError::Billing(PaymentError::Rejected(_)) => ("billing_details_rejected", Invalid),
    TenantError::Billing(_) => ("billing_unavailable", Unavailable),
    TenantError::Lifecycle(SubscriptionError::AlreadyPendingDeletion) => ("deletion_already_requested", Conflict),
    TenantError::Lifecycle(_) => ("no_deletion_to_cancel", Conflict),
    TenantError::Access(e) => (via e),
    TenantError::Infra(e) => (via e),
});

fn opt<T, E>(v: Option<Option<String>>, parse: impl Fn(&str) -> Result<T, E>) -> Result<Option<Option<T>>, E> {
    match v {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(s)) if s.trim().is_empty() => Ok(Some(None)),
        Some(Some(s)) => parse(&s).map(|t| Some(Some(t))),
    }
}

impl Tenantry {
    /// `GET /v1/tenants/{tid}`: profile and settings.
    pub async fn get_tenant(&self, scope: &TenantScope) -> Result<TenantView, TenantError> {
        self.require(scope, builtin::TENANT_READ, Attempt::ReadTenant).await?;
        let mut tx = self.begin(scope, Access::Read).await?;
        Ok(TenantView::from(&self.tenant_row(tx.as_mut()).await?))
    }

    /// `PATCH /v1/tenants/{tid}`: changes profile and settings; billing details
    /// are passed on to the payment provider in the same step (refused as a whole
    /// if the provider refuses them).
    pub async fn update_tenant(&self, scope: &TenantScope, input: SettingsInput) -> Result<TenantView, TenantError> {
        self.require(scope, builtin::TENANT_UPDATE, AuditAction::TenantUpdated).await?;
        let patch = TenantPatch {
            name: input.name.as_deref().map(CompanyName::parse).transpose()?,
            primary_color: opt(input.primary_color, HexColor::parse)?,
            logo_url: opt(input.logo_url, HttpsUrl::parse)?,
            logo_file: None,
            notifications: input.notifications,
            legal_name: opt(input.legal_name, CompanyName::parse)?,
            country: opt(input.country, CountryCode::parse)?,
            vat_id: opt(input.vat_id, VatId::parse)?,
            billing_email: opt(input.billing_email, Email::parse)?,
            language: opt(input.language, Language::parse)?,
            time_zone: opt(input.time_zone, TimeZone::parse)?,
            file_types: input
                .file_types
                .map(|list| list.map(|l| tenantry_domain::file::accepted_types(&l)).transpose())
                .transpose()?,
        };
        let touches_billing = patch.touches_billing() || patch.name.is_some();
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut tenant = self.tenant_row(tx.as_mut()).await?;
        let changed = tenant.apply(patch);
        if changed.is_empty() {
            return Ok(TenantView::from(&tenant));
        }
        tx.update_tenant(&tenant).await?;
        let event = self
            .event(scope, AuditAction::TenantUpdated, Some(AuditTarget::Tenant(tenant.id())), AuditOutcome::Success)?
            .with("fields", changed.join(","));
        tx.append_audit(&event).await?;
        if touches_billing {
            let sub = self.subscription(tx.as_mut()).await?;
            if let Some(link) = &sub.provider() {
                let users = tx.users().await?;
                if let Some(details) = Self::customer_details(&tenant, &users) {
                    self.deps.payments.update_customer(&link.customer, &details).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(TenantView::from(&tenant))
    }

    /// `POST /v1/tenants/{tid}/deletion` (owner): access ends now; the data is
    /// purged after the retention period unless the request is cancelled.
    pub async fn request_deletion(&self, scope: &TenantScope) -> Result<(), TenantError> {
        self.require(scope, builtin::TENANT_DELETE, AuditAction::TenantDeletionRequested).await?;
        self.deletion_request(scope).await
    }

    /// Puts the tenant into `PendingDeletion` (the owner's request, or the
    /// superuser's on its behalf; the caller has checked who may). Billing stops
    /// with access: the provider ends the trial or the paid period instead of
    /// renewing (restored if the deletion is cancelled).
    pub(crate) async fn deletion_request<E>(&self, scope: &TenantScope) -> Result<(), E>
    where
        E: From<SubscriptionError> + From<InfraError> + From<PaymentError>,
    {
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut sub = self.subscription(tx.as_mut()).await?;
        let mut events = sub.request_deletion(now, self.catalog())?;
        let pause = match sub.state_under_lifecycle() {
            SubscriptionState::Trialing { interval_after, continue_free: false, .. } => {
                Some(ProviderChange::TrialSettings { interval: *interval_after, cancel_at_trial_end: true })
            }
            SubscriptionState::Active(_) | SubscriptionState::PastDue { .. } => {
                Some(ProviderChange::CancelAtPeriodEnd { cancel: true })
            }
            _ => None,
        };
        if let Some(change) = pause
            && let Some(answer) = self.change_at_provider(scope, &mut sub, "deletion-pause", change).await?
        {
            events.extend(answer);
            tx.mark(DELETION_PAUSED_BILLING, now).await.map_err(InfraError::from)?;
        }
        let mails = self.apply_subscription_events(tx.as_mut(), scope, &mut sub, &events).await?;
        self.save_subscription(tx.as_mut(), &mut sub).await.map_err(InfraError::from)?;
        let queued = self.queue_mails(tx.as_mut(), scope, mails).await?;
        tx.commit().await.map_err(InfraError::from)?;
        self.deliver(queued).await;
        Ok(())
    }

    /// `DELETE /v1/tenants/{tid}/deletion` (owner): cancels a pending deletion.
    pub async fn cancel_deletion(&self, scope: &TenantScope) -> Result<(), TenantError> {
        self.require(scope, builtin::TENANT_DELETE, AuditAction::TenantDeletionCancelled).await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut sub = self.subscription(tx.as_mut()).await?;
        let mut events = sub.cancel_deletion(now)?;
        if tx.is_marked(DELETION_PAUSED_BILLING).await? {
            // Undo what the deletion did at the provider, if the period has not ended meanwhile.
            let resume = match &sub.state() {
                SubscriptionState::Trialing { interval_after, .. } => {
                    Some(ProviderChange::TrialSettings { interval: *interval_after, cancel_at_trial_end: false })
                }
                SubscriptionState::CancelingAtPeriodEnd(_) => Some(ProviderChange::CancelAtPeriodEnd { cancel: false }),
                _ => None,
            };
            if let Some(change) = resume {
                events.extend(
                    self.change_at_provider(scope, &mut sub, "deletion-resume", change).await?.unwrap_or_default(),
                );
            }
            tx.unmark(DELETION_PAUSED_BILLING).await?;
        }
        let mails = self.apply_subscription_events(tx.as_mut(), scope, &mut sub, &events).await?;
        self.save_subscription(tx.as_mut(), &mut sub).await?;
        let queued = self.queue_mails(tx.as_mut(), scope, mails).await?;
        tx.commit().await?;
        self.deliver(queued).await;
        Ok(())
    }
}

/// The marker recording that a deletion request stopped the provider's billing.
const DELETION_PAUSED_BILLING: &str = "deletion:billing_paused";
