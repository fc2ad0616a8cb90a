//! The superuser's control plane. Across tenants it uses only the named paths
//! of [`TenantDirectory`](crate::TenantDirectory); everything it does to one
//! tenant happens inside that tenant's scope, as a `Superuser` actor, audited.

use super::audit::{AuditError, AuditFilter, AuditPage, page, to_query};
use super::signup::{NewTenant, SignedUp, SignupError};
use super::views::{SubscriptionView, TenantView, UserView};
use super::{AccessError, Tenantry, infra_from_store};
use crate::directory::{AuditReadReason, TenantListQuery, TenantSummary};
use crate::error::{InfraError, StoreError};
use crate::scope::{Actor, PlatformScope, Principal, TenantScope};
use crate::store::{Access, AdCounts, Month};
use chrono::{DateTime, NaiveDate, Utc};
use secrecy::SecretString;
use serde::Serialize;
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use tenantry_domain::ads::{AdFormat, AdTarget};
use tenantry_domain::audit::{AuditTarget, SystemActor};
use tenantry_domain::money::mrr_cents;
use tenantry_domain::quota::QuotaOverride;
use tenantry_domain::subscription::SubscriptionError;
use tenantry_domain::text::{AdText, CompanyName, HttpsUrl, PersonName, TextError};
use tenantry_domain::time::PeriodError;
use tenantry_domain::{
    AdCampaign, AuditAction, AuditActor, AuditEvent, AuditOutcome, CampaignId, Email, Money, Period, Slug,
    SubscriptionStatus, TenantId,
};

/// Why a superuser request was refused. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The scope is not the superuser's.
    #[error("not found")]
    NotFound,
    /// A field is invalid.
    #[error("{0}")]
    Invalid(String),
    /// A subscription rule refused it.
    #[error(transparent)]
    Subscription(#[from] SubscriptionError),
    /// The payment provider refused or could not be reached; nothing changed.
    #[error("the payment provider: {0}")]
    Billing(#[from] crate::payment::PaymentError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(AdminError);

impl From<TextError> for AdminError {
    fn from(e: TextError) -> Self {
        AdminError::Invalid(e.to_string())
    }
}
impl From<PeriodError> for AdminError {
    fn from(e: PeriodError) -> Self {
        AdminError::Invalid(e.to_string())
    }
}
impl From<AccessError> for AdminError {
    fn from(_: AccessError) -> Self {
        AdminError::NotFound
    }
}

crate::problem!(AdminError {
    AdminError::NotFound => ("not_found", NotFound),
    AdminError::Invalid(_) => ("invalid_request", Invalid),
    AdminError::Subscription(SubscriptionError::AlreadySuspended) => ("already_suspended", Conflict),
    AdminError::Subscription(SubscriptionError::NotSuspended) => ("not_suspended", Conflict),
    AdminError::Subscription(SubscriptionError::NotTrialing) => ("not_trialing", Conflict),
    AdminError::Subscription(SubscriptionError::Unchanged) => ("unchanged", Conflict),
    AdminError::Subscription(_) => ("subscription_conflict", Conflict),
    AdminError::Billing(_) => ("billing_unavailable", Unavailable),
    AdminError::Infra(e) => (via e),
});

/// A tenant the superuser creates with its admin (the owner).
#[derive(Debug)]
pub struct AdminNewTenant {
    /// Company name.
    pub company_name: String,
    /// Slug.
    pub slug: String,
    /// The admin's email.
    pub admin_email: String,
    /// The admin's name.
    pub admin_name: String,
    /// The admin's initial password.
    pub admin_password: SecretString,
}

/// The superuser's changes to one tenant (`PATCH /v1/admin/tenants/{tid}`).
#[derive(Debug, Clone, Default)]
pub struct AdminTenantPatch {
    /// Suspend (`true`) or lift a suspension (`false`).
    pub suspended: Option<bool>,
    /// Replace the quota override.
    pub quota_override: Option<QuotaOverride>,
    /// Move the end of a running trial.
    pub trial_ends_at: Option<DateTime<Utc>>,
    /// Put the tenant on freemium now (ends its paid subscription at the provider).
    pub force_freemium: bool,
    /// Pause collecting the paid plan's invoices (`true`: each is voided,
    /// nothing charged) or resume (`false`), without suspending.
    pub collection_paused: Option<bool>,
    /// Give the paid plan free for this many months from now (1 to 36).
    pub comp_months: Option<u32>,
}

/// Everything the superuser sees of one tenant.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantDetail {
    /// Profile.
    pub tenant: TenantView,
    /// Subscription.
    pub subscription: SubscriptionView,
    /// Users.
    pub users: Vec<UserView>,
    /// Quota override.
    pub quota_override: QuotaOverride,
    /// This month's metered usage against the limits in force.
    pub usage: super::usage::UsageView,
}

/// Platform totals now, and one snapshot a day for the history charts
/// (DESIGN.md: tenants by status, active users, MRR, logins, storage).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformStats {
    /// Now.
    #[serde(flatten)]
    pub now: PlatformTotals,
    /// The daily snapshots of the last 366 days, oldest first.
    pub history: Vec<DailyTotals>,
}

/// The platform's figures on one day, as the scheduler recorded them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailyTotals {
    /// The day (UTC).
    pub day: chrono::NaiveDate,
    /// The figures.
    #[serde(flatten)]
    pub totals: PlatformTotals,
}

/// Platform totals at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformTotals {
    /// The month the login figure covers.
    pub month: Month,
    /// All tenants.
    pub tenants: u64,
    /// Tenants by status.
    pub tenants_by_status: BTreeMap<SubscriptionStatus, u64>,
    /// Active users.
    pub active_users: u64,
    /// Monthly recurring revenue (yearly plans as amount / 12, rounded once).
    pub mrr: Money,
    /// Logins this month.
    pub logins_this_month: u64,
    /// Metered API calls this month (older daily snapshots read 0).
    #[serde(default)]
    pub api_calls_this_month: u64,
    /// Metered web page views this month (older daily snapshots read 0).
    #[serde(default)]
    pub page_views_this_month: u64,
    /// Bytes stored.
    pub storage_bytes: u64,
}

/// Input of a campaign (`POST`/`PUT /v1/admin/ads/campaigns`).
#[derive(Debug, Clone)]
pub struct CampaignInput {
    /// Internal name.
    pub name: String,
    /// Banner or modal.
    pub format: AdFormat,
    /// Text.
    pub text: String,
    /// Picture URL.
    pub image_url: Option<String>,
    /// Click target.
    pub link_url: String,
    /// `None`: all freemium tenants; otherwise these.
    pub tenants: Option<Vec<TenantId>>,
    /// Start of the window.
    pub starts_at: DateTime<Utc>,
    /// End of the window.
    pub ends_at: DateTime<Utc>,
    /// Running or paused.
    pub enabled: bool,
}

/// What one run of [`Tenantry::run_daily_work`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DailyReport {
    /// Whether the day's work ran (the first run of a day in this process).
    pub ran: bool,
    /// Whether this run recorded the day's snapshot (another instance may have).
    pub snapshot_recorded: bool,
    /// What the housekeeping deleted.
    pub housekept: crate::directory::Housekept,
}

/// A campaign with its daily counts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignStats {
    /// The campaign.
    pub campaign: AdCampaign,
    /// Impressions and clicks per day.
    pub daily: Vec<(NaiveDate, AdCounts)>,
}

impl Tenantry {
    fn superuser_only(scope: &TenantScope) -> Result<(), AdminError> {
        match scope.actor() {
            Actor::Superuser { .. } => Ok(()),
            _ => Err(AdminError::NotFound),
        }
    }

    pub(crate) fn platform_event(
        &self,
        who: &PlatformScope,
        action: AuditAction,
        target: Option<AuditTarget>,
    ) -> Result<AuditEvent, InfraError> {
        Ok(AuditEvent {
            id: self.new_id()?,
            at: self.now(),
            tenant_id: None,
            actor: AuditActor::Superuser(who.superuser()),
            action,
            target,
            outcome: AuditOutcome::Success,
            details: Default::default(),
        })
    }

    /// `GET /v1/admin/tenants`: every tenant with plan, status, seats and users.
    pub async fn admin_list_tenants(
        &self,
        _who: &PlatformScope,
        query: TenantListQuery,
    ) -> Result<Vec<TenantSummary>, AdminError> {
        let query = TenantListQuery { limit: query.limit.clamp(1, 500), ..query };
        Ok(self.deps.directory.list_tenants(&query).await?)
    }

    /// `POST /v1/admin/tenants`: a tenant in its trial with its admin as owner.
    pub async fn admin_create_tenant(
        &self,
        who: &PlatformScope,
        input: AdminNewTenant,
    ) -> Result<SignedUp, SignupError> {
        let new = NewTenant {
            language: None,
            company: CompanyName::parse(&input.company_name)?,
            slug: Slug::parse(&input.slug)?,
            email: Email::parse(&input.admin_email)?,
            name: PersonName::parse(&input.admin_name)?,
            password: input.admin_password,
        };
        self.check_new_password(&new.password).await??;
        let (tenant, owner) = self
            .create_tenant_with_owner(new, SystemActor::Signup, Some(who.superuser()), super::signup::Start::Trial)
            .await?;
        let mut ptx = self.deps.store.begin_platform().await?;
        ptx.append_platform_audit(&self.platform_event(
            who,
            AuditAction::TenantCreated,
            Some(AuditTarget::Tenant(tenant.id())),
        )?)
        .await?;
        ptx.commit().await?;
        Ok(SignedUp {
            // No session: the superuser does not log in as the owner (the owner logs in themselves).
            principal: Principal::User {
                tenant_id: tenant.id(),
                user_id: owner.id(),
                token_version: owner.token_version(),
                session: None,
            },
            tenant: TenantView::from(&tenant),
            user: UserView::from(&owner),
            // The superuser's tenant starts its trial at once, whatever the trial policy.
            status: tenantry_domain::SubscriptionStatus::Trialing,
            checkout: None,
        })
    }

    /// `GET /v1/admin/tenants/{tid}`: the tenant seen from inside its scope
    /// (the scope comes from [`Tenantry::authorize`] with the superuser's principal).
    pub async fn admin_tenant_detail(&self, scope: &TenantScope) -> Result<TenantDetail, AdminError> {
        Self::superuser_only(scope)?;
        let subscription = self.subscription_snapshot(scope).await?;
        let mut tx = self.begin(scope, Access::Read).await?;
        let tenant = self.tenant_row(tx.as_mut()).await?;
        let users = tx.users().await?.iter().map(UserView::from).collect();
        drop(tx);
        let usage = self.usage(scope).await.map_err(|e| match e {
            super::usage::UsageError::Infra(e) => AdminError::from(e),
            other => AdminError::from(InfraError::Unknown(anyhow::anyhow!("usage of a tenant: {other}"))),
        })?;
        Ok(TenantDetail {
            quota_override: *tenant.quota_override(),
            tenant: TenantView::from(&tenant),
            subscription,
            users,
            usage,
        })
    }

    /// `PATCH /v1/admin/tenants/{tid}`: suspend or resume, quotas, trial end,
    /// force freemium — audited in the tenant's log as the superuser.
    pub async fn admin_update_tenant(
        &self,
        scope: &TenantScope,
        patch: AdminTenantPatch,
    ) -> Result<TenantDetail, AdminError> {
        Self::superuser_only(scope)?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut tenant = self.tenant_row(tx.as_mut()).await?;
        let mut sub = self.subscription(tx.as_mut()).await?;
        let mut events = Vec::new();
        if let Some(o) = patch.quota_override {
            tenant.override_quota(o);
            tx.update_tenant(&tenant).await?;
            let event = self
                .event(
                    scope,
                    AuditAction::QuotaOverridden,
                    Some(AuditTarget::Tenant(tenant.id())),
                    AuditOutcome::Success,
                )?
                .with("requests_per_minute", o.requests_per_minute.map_or("plan".into(), |v| v.to_string()))
                .with("api_calls_per_month", o.api_calls_per_month.map_or("plan".into(), |v| v.to_string()))
                .with("storage_bytes", o.storage_bytes.map_or("plan".into(), |v| v.to_string()));
            tx.append_audit(&event).await?;
        }
        // Every domain change first (a refusal changes nothing, here or at the
        // provider); the provider is told last, and only about what was accepted.
        let provider_id = sub.provider().as_ref().and_then(|l| l.subscription.clone());
        if let Some(end) = patch.trial_ends_at {
            if end <= now || end > now + chrono::Duration::days(366) {
                return Err(AdminError::Invalid("the new trial end must lie within the next year".into()));
            }
            events.extend(sub.set_trial_end(end)?);
        }
        if patch.force_freemium {
            events.extend(sub.force_freemium(now)?);
        }
        match patch.suspended {
            Some(true) => events.extend(sub.suspend(now)?),
            Some(false) => events.extend(sub.unsuspend()?),
            None => {}
        }
        if let (Some(end), Some(id)) = (patch.trial_ends_at, provider_id.as_ref()) {
            let request = crate::payment::ChangeRequest {
                subscription: id.clone(),
                change: crate::payment::ProviderChange::TrialEnd { ends_at: end },
                proration_date: now,
            };
            let key = crate::payment::IdempotencyKey::for_request("trial-end", tenant.id(), sub.revision(), &request);
            let done = self.deps.payments.change(&request, &key).await?;
            events.extend(sub.apply_snapshot(&done.subscription.snapshot, self.catalog()));
        }
        // Suspending a paying tenant pauses collection at the provider, and
        // lifting the suspension resumes it; the superuser may also pause or
        // resume without suspending, and comp the plan for some months.
        let paid = sub.paid_plan().copied();
        let mut collection = Vec::new();
        match (patch.suspended, patch.collection_paused) {
            (_, Some(paused)) => collection.push(crate::payment::ProviderChange::PauseCollection { paused }),
            (Some(true), None) if paid.is_some_and(|p| !p.collection.paused) => {
                collection.push(crate::payment::ProviderChange::PauseCollection { paused: true })
            }
            (Some(false), None) if paid.is_some_and(|p| p.collection.paused) => {
                collection.push(crate::payment::ProviderChange::PauseCollection { paused: false })
            }
            _ => {}
        }
        if let Some(months) = patch.comp_months {
            if !(1..=36).contains(&months) {
                return Err(AdminError::Invalid("a comp lasts 1 to 36 months".into()));
            }
            collection.push(crate::payment::ProviderChange::Comp { months });
        }
        if !collection.is_empty() {
            let (Some(_), Some(id)) = (paid, provider_id.as_ref()) else {
                return Err(AdminError::Invalid(
                    "only a paid plan's collection pauses or is comped: this tenant has none".into(),
                ));
            };
            for change in collection {
                let request = crate::payment::ChangeRequest { subscription: id.clone(), change, proration_date: now };
                let key =
                    crate::payment::IdempotencyKey::for_request("collection", tenant.id(), sub.revision(), &request);
                let done = self.deps.payments.change(&request, &key).await?;
                events.extend(sub.apply_snapshot(&done.subscription.snapshot, self.catalog()));
            }
        }
        if let (true, Some(id)) = (patch.force_freemium, provider_id.as_ref()) {
            let key = crate::payment::IdempotencyKey::for_request("force-freemium", tenant.id(), sub.revision(), id);
            match self.deps.payments.cancel_now(id, &key).await {
                Ok(()) | Err(crate::payment::PaymentError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let mails = self.apply_subscription_events(tx.as_mut(), scope, &mut sub, &events).await?;
        self.save_subscription(tx.as_mut(), &mut sub).await?;
        let queued = self.queue_mails(tx.as_mut(), scope, mails).await?;
        tx.commit().await?;
        self.deliver(queued).await;
        self.admin_tenant_detail(scope).await
    }

    /// `DELETE /v1/admin/tenants/{tid}`: a deletion request on the owner's behalf
    /// (purged after the retention period, cancellable until then).
    pub async fn admin_delete_tenant(&self, scope: &TenantScope) -> Result<(), AdminError> {
        Self::superuser_only(scope)?;
        self.deletion_request(scope).await
    }

    /// `GET /v1/admin/stats`: platform totals now, and the daily history.
    pub async fn platform_stats(&self, _who: &PlatformScope) -> Result<PlatformStats, AdminError> {
        let now = self.platform_totals().await?;
        let since = self.now().date_naive() - chrono::Duration::days(366);
        let mut tx = self.deps.store.begin_platform().await?;
        let history = tx
            .daily_stats(since)
            .await?
            .into_iter()
            .filter_map(|(day, value)| match serde_json::from_value::<PlatformTotals>(value) {
                Ok(totals) => Some(DailyTotals { day, totals }),
                Err(e) => {
                    tracing::warn!(%day, error = %e, "an unreadable daily snapshot was skipped");
                    None
                }
            })
            .collect();
        Ok(PlatformStats { now, history })
    }

    async fn platform_totals(&self) -> Result<PlatformTotals, InfraError> {
        let f = self.deps.directory.platform_figures().await?;
        let month = f.month.unwrap_or_else(|| Month::of(self.now()));
        let mrr = mrr_cents(&f.monthly_recurring_cents, &f.yearly_recurring_cents)
            .map_err(|e| InfraError::Unknown(anyhow::anyhow!("mrr: {e}")))?;
        Ok(PlatformTotals {
            month,
            tenants: f.tenants_by_status.values().sum(),
            tenants_by_status: f.tenants_by_status,
            active_users: f.active_users,
            mrr: Money::from_cents(mrr, self.catalog().currency),
            logins_this_month: f.logins,
            api_calls_this_month: f.api_calls,
            page_views_this_month: f.page_views,
            storage_bytes: f.storage_bytes,
        })
    }

    /// The scheduler's daily platform work: the snapshot of the platform
    /// totals (for the history charts) and the housekeeping (account links a
    /// week after they expired, jobs done a month ago, mail-throttle and
    /// ad-modal markers after 90 days). The first run of a day does it;
    /// later runs that day skip the store. Several instances may race: the day
    /// is recorded once, and housekeeping deletes what is old either way.
    pub async fn run_daily_work(&self) -> Result<DailyReport, InfraError> {
        use std::sync::atomic::Ordering;
        let now = self.now();
        let day = now.date_naive();
        let day_number = i64::from(chrono::Datelike::num_days_from_ce(&day));
        if self.snapshot_day.load(Ordering::Relaxed) == day_number {
            return Ok(DailyReport::default());
        }
        let mut tx = self.deps.store.begin_platform().await?;
        let known = tx.daily_stats(day).await?.iter().any(|(d, _)| *d == day);
        drop(tx);
        let snapshot_recorded = if known {
            false
        } else {
            let totals = self.platform_totals().await?;
            let value = serde_json::to_value(&totals).map_err(|e| InfraError::Unknown(e.into()))?;
            let mut tx = self.deps.store.begin_platform().await?;
            // Recorded under the store's today (the same day but for a clock skew at midnight).
            let recorded = tx.record_daily_stats(&value).await?;
            tx.commit().await?;
            recorded
        };
        // The store computes the cut-offs itself (directory::housekeeping).
        let housekept = self.deps.directory.housekeeping().await?;
        self.snapshot_day.store(day_number, Ordering::Relaxed);
        Ok(DailyReport { ran: true, snapshot_recorded, housekept })
    }

    /// `GET /v1/admin/audit-events`: one tenant's log with the platform log's
    /// events about it (`tenant`), or — the one read across every tenant —
    /// all tenants' and the platform's events, which the store records as read
    /// (`platform.audit_read`, with `reason` and the filters) in the platform log
    /// before it answers. Newest first.
    pub async fn platform_audit(
        &self,
        who: &PlatformScope,
        tenant: Option<TenantId>,
        filter: AuditFilter,
        reason: Option<&str>,
    ) -> Result<AuditPage, AuditError> {
        let query = to_query(&filter)?;
        let limit = query.limit;
        let events = match tenant {
            Some(tenant) => self.deps.directory.tenant_audit_events(tenant, &query).await?,
            None => {
                let reason = AuditReadReason::parse(reason.unwrap_or(AuditReadReason::DEFAULT))
                    .ok_or(AuditError::InvalidReason)?;
                self.deps.directory.all_audit_events(self.new_id()?, who.superuser(), &reason, &query).await?
            }
        };
        Ok(page(events, limit))
    }

    fn campaign_from(
        &self,
        id: CampaignId,
        created_at: DateTime<Utc>,
        input: CampaignInput,
    ) -> Result<AdCampaign, AdminError> {
        Ok(AdCampaign {
            id,
            name: AdText::parse(&input.name)?,
            format: input.format,
            text: AdText::parse(&input.text)?,
            image_url: input.image_url.as_deref().map(HttpsUrl::parse).transpose()?,
            link_url: HttpsUrl::parse(&input.link_url)?,
            target: match input.tenants {
                None => AdTarget::AllFreemium,
                Some(list) if list.is_empty() => {
                    return Err(AdminError::Invalid("name at least one tenant, or none for all".into()));
                }
                Some(list) => AdTarget::Tenants(list.into_iter().collect::<BTreeSet<_>>()),
            },
            window: Period::new(input.starts_at, input.ends_at)?,
            enabled: input.enabled,
            created_at,
        })
    }

    /// `POST /v1/admin/ads/campaigns`.
    pub async fn create_campaign(&self, who: &PlatformScope, input: CampaignInput) -> Result<AdCampaign, AdminError> {
        let campaign = self.campaign_from(self.new_id()?, self.now(), input)?;
        let mut ptx = self.deps.store.begin_platform().await?;
        ptx.insert_campaign(&campaign).await?;
        ptx.append_platform_audit(&self.platform_event(
            who,
            AuditAction::CampaignCreated,
            Some(AuditTarget::Campaign(campaign.id)),
        )?)
        .await?;
        ptx.commit().await?;
        Ok(campaign)
    }

    /// `GET /v1/admin/ads/campaigns`.
    pub async fn list_campaigns(&self, _who: &PlatformScope) -> Result<Vec<AdCampaign>, AdminError> {
        let mut ptx = self.deps.store.begin_platform().await?;
        Ok(ptx.campaigns().await?)
    }

    /// `GET /v1/admin/ads/campaigns/{cid}`: the campaign with its daily counts.
    pub async fn campaign_stats(&self, _who: &PlatformScope, id: CampaignId) -> Result<CampaignStats, AdminError> {
        let mut ptx = self.deps.store.begin_platform().await?;
        let campaign = ptx.campaign(id).await?.ok_or(AdminError::NotFound)?;
        let daily = ptx.campaign_counts(id).await?;
        Ok(CampaignStats { campaign, daily })
    }

    /// `PUT /v1/admin/ads/campaigns/{cid}`.
    pub async fn update_campaign(
        &self,
        who: &PlatformScope,
        id: CampaignId,
        input: CampaignInput,
    ) -> Result<AdCampaign, AdminError> {
        let mut ptx = self.deps.store.begin_platform().await?;
        let existing = ptx.campaign(id).await?.ok_or(AdminError::NotFound)?;
        let campaign = self.campaign_from(id, existing.created_at, input)?;
        ptx.update_campaign(&campaign).await?;
        ptx.append_platform_audit(&self.platform_event(
            who,
            AuditAction::CampaignUpdated,
            Some(AuditTarget::Campaign(id)),
        )?)
        .await?;
        ptx.commit().await?;
        Ok(campaign)
    }

    /// `DELETE /v1/admin/ads/campaigns/{cid}`.
    pub async fn delete_campaign(&self, who: &PlatformScope, id: CampaignId) -> Result<(), AdminError> {
        let mut ptx = self.deps.store.begin_platform().await?;
        match ptx.delete_campaign(id).await {
            Err(StoreError::NotFound) => return Err(AdminError::NotFound),
            other => other?,
        }
        ptx.append_platform_audit(&self.platform_event(
            who,
            AuditAction::CampaignDeleted,
            Some(AuditTarget::Campaign(id)),
        )?)
        .await?;
        ptx.commit().await?;
        Ok(())
    }
}
