//! The superuser's platform settings (`GET/PATCH /v1/admin/settings`): the
//! password policy (length, the optional breached-list check), mandatory
//! two-factor authentication (for everyone or by built-in role) and the
//! platform's default quotas by plan. Stored in one platform row; each process
//! keeps a copy for [`SETTINGS_TTL_SECONDS`] (its own changes apply at once;
//! another instance's within that time).

use super::Tenantry;
use crate::error::{InfraError, StoreError};
use crate::scope::PlatformScope;
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use tenantry_domain::password::PasswordError;
use tenantry_domain::quota::Quota;
use tenantry_domain::settings::{PlatformSettings, SettingsError, SettingsPatch};
use tenantry_domain::{AuditAction, PlanKind};

/// How long a process trusts its copy of the settings.
pub const SETTINGS_TTL_SECONDS: i64 = 30;

/// The cached copy: when it was read, and what.
pub(crate) type SettingsCache = std::sync::RwLock<Option<(DateTime<Utc>, PlatformSettings)>>;

/// Why a settings change was refused. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum SettingsServiceError {
    /// A value out of range.
    #[error(transparent)]
    Invalid(#[from] SettingsError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

impl From<StoreError> for SettingsServiceError {
    fn from(e: StoreError) -> Self {
        SettingsServiceError::Infra(e.into())
    }
}

crate::problem!(SettingsServiceError {
    SettingsServiceError::Invalid(_) => ("invalid_settings", Invalid),
    SettingsServiceError::Infra(e) => (via e),
});

impl Tenantry {
    /// The platform settings (this process's copy, at most
    /// [`SETTINGS_TTL_SECONDS`] old; the defaults until the superuser saves any).
    pub async fn platform_settings(&self) -> Result<PlatformSettings, InfraError> {
        let now = self.now();
        if let Some((at, settings)) = self.settings.read().unwrap_or_else(|p| p.into_inner()).as_ref()
            && now >= *at
            && now - *at < Duration::seconds(SETTINGS_TTL_SECONDS)
        {
            return Ok(settings.clone());
        }
        let mut ptx = self.deps.store.begin_platform().await?;
        let settings = ptx.settings().await?.unwrap_or_else(|| self.config.initial_settings.clone());
        drop(ptx);
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = Some((now, settings.clone()));
        Ok(settings)
    }

    /// The settings this process last read, however old (the initial ones
    /// before any read), without asking the store: for scheduling a deadline
    /// inside a unit of work, where the timer that runs it reads them afresh.
    pub(crate) fn settings_seen(&self) -> PlatformSettings {
        match self.settings.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some((_, settings)) => settings.clone(),
            None => self.config.initial_settings.clone(),
        }
    }

    /// Forgets this process's copy of the settings: the next read takes them
    /// from the store (after they were written other than through
    /// [`Tenantry::update_settings`], e.g. by a test fixture or another instance).
    pub fn forget_settings(&self) {
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// `GET /v1/admin/settings`: the settings as stored now.
    pub async fn admin_settings(&self, _who: &PlatformScope) -> Result<PlatformSettings, SettingsServiceError> {
        let mut ptx = self.deps.store.begin_platform().await?;
        Ok(ptx.settings().await?.unwrap_or_else(|| self.config.initial_settings.clone()))
    }

    /// `PATCH /v1/admin/settings`: changes what the patch names; a value out of
    /// range refuses the whole patch. Audited in the platform log with the
    /// settings before and after.
    pub async fn update_settings(
        &self,
        who: &PlatformScope,
        patch: &SettingsPatch,
    ) -> Result<PlatformSettings, SettingsServiceError> {
        let mut ptx = self.deps.store.begin_platform().await?;
        let before = ptx.settings().await?.unwrap_or_else(|| self.config.initial_settings.clone());
        let after = before.apply(patch)?;
        ptx.save_settings(&after).await?;
        let json = |s: &PlatformSettings| serde_json::to_string(s).unwrap_or_default();
        let event = self
            .platform_event(who, AuditAction::SettingsUpdated, None)?
            .with("before", json(&before))
            .with("after", json(&after));
        ptx.append_platform_audit(&event).await?;
        ptx.commit().await?;
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = Some((self.now(), after.clone()));
        Ok(after)
    }

    /// A new password against the platform's policy (length, and the breached
    /// list when the superuser turned it on).
    /// (Outer: the settings could not be read; inner: the policy's refusal.)
    pub(crate) async fn check_new_password(
        &self,
        password: &SecretString,
    ) -> Result<Result<(), PasswordError>, InfraError> {
        Ok(self.platform_settings().await?.check_password(password))
    }

    /// A plan's quota with the platform's default override applied (the
    /// tenant's own override comes after).
    pub(crate) async fn plan_quota(&self, plan: PlanKind) -> Result<Quota, InfraError> {
        Ok(self.platform_settings().await?.quota(plan, self.catalog().quota(plan)))
    }
}
