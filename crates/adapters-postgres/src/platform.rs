//! The platform tables (no tenant data) and the named cross-tenant paths.

use crate::error::{Db, corrupt, store};
use crate::rows;
use async_trait::async_trait;
use chrono::Datelike;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgPool, Postgres};
use sqlx::types::Json;
use sqlx::{Row, Transaction};
use std::collections::BTreeMap;
use tenantry_domain::PromotionCodeId;
use tenantry_domain::discount::{CouponRecord, PromotionCodeRecord};
use tenantry_domain::password::LockoutPolicy;
use tenantry_domain::session::{RefreshError, Session, SessionEnd, SessionKind};
use tenantry_domain::user::PlatformUser;
use tenantry_domain::{
    AdCampaign, AuditEvent, AuditEventId, CampaignId, Email, PlatformUserId, SessionId, Slug, TenantId,
};
use tenantry_ports::directory::{AuditReadReason, PlatformFigures, TenantListQuery, TenantSummary};
use tenantry_ports::error::StoreError;
use tenantry_ports::store::{AdCountKind, AdCounts, AuditQuery, Month, PlatformStore, PlatformTx};
use uuid::Uuid;

pub(crate) struct PgPlatformTx {
    pub(crate) tx: Transaction<'static, Postgres>,
    /// Set by any SQL error (see `PgTenantTx`).
    pub(crate) aborted: bool,
    /// Seals and opens the superusers' TOTP secrets (the store's data key).
    pub(crate) key: Option<tenantry_ports::crypto::DataKey>,
}

impl PgPlatformTx {
    fn fail(&mut self, e: sqlx::Error) -> StoreError {
        self.aborted = true;
        store(e)
    }
}

#[async_trait]
impl PlatformStore for PgPlatformTx {
    async fn superuser_by_email(&mut self, email: &Email) -> Result<Option<PlatformUser>, StoreError> {
        let row = sqlx::query("SELECT * FROM tenantry.superusers WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        row.as_ref().map(|r| rows::superuser(r, self.key.as_ref())).transpose()
    }

    async fn superuser(&mut self, id: PlatformUserId) -> Result<Option<PlatformUser>, StoreError> {
        let row = sqlx::query("SELECT * FROM tenantry.superusers WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        row.as_ref().map(|r| rows::superuser(r, self.key.as_ref())).transpose()
    }

    async fn superuser_login_failed(
        &mut self,
        id: PlatformUserId,
        policy: LockoutPolicy,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        sqlx::query_scalar("SELECT tenantry_lookup.superuser_login_failed($1, $2, $3)")
            .bind(id.as_uuid())
            .bind(i32::try_from(policy.max_failures).unwrap_or(i32::MAX))
            .bind(i32::try_from(policy.lock_minutes).unwrap_or(i32::MAX))
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn superuser_login_succeeded(&mut self, id: PlatformUserId, token_version: u32) -> Result<bool, StoreError> {
        sqlx::query_scalar("SELECT tenantry_lookup.superuser_login_succeeded($1, $2)")
            .bind(id.as_uuid())
            .bind(i64::from(token_version))
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn end_superuser_sessions(&mut self, id: PlatformUserId) -> Result<bool, StoreError> {
        sqlx::query_scalar("SELECT tenantry_lookup.end_superuser_sessions($1)")
            .bind(id.as_uuid())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn rename_superuser(
        &mut self,
        id: PlatformUserId,
        name: &tenantry_domain::text::PersonName,
    ) -> Result<bool, StoreError> {
        sqlx::query_scalar("SELECT tenantry_lookup.rename_superuser($1, $2)")
            .bind(id.as_uuid())
            .bind(name.as_str())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn begin_superuser_mfa(
        &mut self,
        id: PlatformUserId,
        secret: &tenantry_domain::mfa::TotpSecret,
    ) -> Result<bool, StoreError> {
        sqlx::query_scalar("SELECT tenantry_lookup.begin_superuser_mfa($1, $2, $3)")
            .bind(id.as_uuid())
            .bind(rows::seal_superuser_secret(self.key.as_ref(), id, secret)?)
            .bind(secret.fingerprint())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(store)
    }

    async fn save_superuser_mfa(
        &mut self,
        id: PlatformUserId,
        mfa: &tenantry_domain::mfa::Mfa,
    ) -> Result<bool, StoreError> {
        sqlx::query_scalar("SELECT tenantry_lookup.save_superuser_mfa($1, $2, $3)")
            .bind(id.as_uuid())
            .bind(mfa.secret.fingerprint())
            .bind(Json(rows::MfaState::of(mfa)))
            .fetch_one(&mut *self.tx)
            .await
            .map_err(store)
    }

    async fn start_superuser_session(
        &mut self,
        id: SessionId,
        superuser: PlatformUserId,
        kind: SessionKind,
        user_agent: Option<String>,
        address: Option<String>,
    ) -> Result<Option<Session>, StoreError> {
        let limits = tenantry_domain::session::SessionLimits::of(kind, true);
        let started: Option<DateTime<Utc>> =
            sqlx::query_scalar("SELECT tenantry_lookup.start_superuser_session($1, $2, $3, $4, $5, $6, $7)")
                .bind(id.as_uuid())
                .bind(superuser.as_uuid())
                .bind(kind.as_str())
                .bind(i32::try_from(limits.idle.num_seconds()).unwrap_or(i32::MAX))
                .bind(i32::try_from(limits.absolute.num_seconds()).unwrap_or(i32::MAX))
                .bind(user_agent)
                .bind(address)
                .fetch_one(&mut *self.tx)
                .await
                .map_err(|e| self.fail(e))?;
        match started {
            Some(_) => self.superuser_session(id).await,
            None => Ok(None),
        }
    }

    async fn superuser_session(&mut self, id: SessionId) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query("SELECT * FROM tenantry.superuser_sessions WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn superuser_sessions(&mut self, superuser: PlatformUserId) -> Result<Vec<Session>, StoreError> {
        let found = sqlx::query(
            "SELECT * FROM tenantry.superuser_sessions WHERE superuser_id = $1 AND ended_at IS NULL \
             ORDER BY created_at DESC, id DESC",
        )
        .bind(superuser.as_uuid())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        found.iter().map(rows::session).collect()
    }

    async fn touch_superuser_session(&mut self, id: SessionId) -> Result<(), StoreError> {
        sqlx::query("SELECT tenantry_lookup.touch_superuser_session($1)")
            .bind(id.as_uuid())
            .execute(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn rotate_superuser_session(
        &mut self,
        id: SessionId,
        presented: u32,
    ) -> Result<Result<u32, RefreshError>, StoreError> {
        let next: i64 = sqlx::query_scalar("SELECT tenantry_lookup.rotate_superuser_session($1, $2)")
            .bind(id.as_uuid())
            .bind(i64::from(presented))
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(match next {
            -2 => Err(RefreshError::Reused),
            n => u32::try_from(n).map_err(|_| RefreshError::Ended),
        })
    }

    async fn end_superuser_session(&mut self, id: SessionId, why: SessionEnd) -> Result<bool, StoreError> {
        sqlx::query_scalar("SELECT tenantry_lookup.end_superuser_session($1, $2)")
            .bind(id.as_uuid())
            .bind(why.as_str())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn campaigns(&mut self) -> Result<Vec<AdCampaign>, StoreError> {
        let found = sqlx::query("SELECT data FROM tenantry.ad_campaigns ORDER BY created_at, id")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        found.iter().map(|r| r.try_get::<Json<AdCampaign>, _>("data").db().map(|j| j.0)).collect()
    }

    async fn campaign(&mut self, id: CampaignId) -> Result<Option<AdCampaign>, StoreError> {
        let row = sqlx::query("SELECT data FROM tenantry.ad_campaigns WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        row.map(|r| r.try_get::<Json<AdCampaign>, _>("data").db().map(|j| j.0)).transpose()
    }

    async fn insert_campaign(&mut self, c: &AdCampaign) -> Result<(), StoreError> {
        sqlx::query("SELECT tenantry_lookup.insert_campaign($1, $2)")
            .bind(c.id.as_uuid())
            .bind(Json(c))
            .execute(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn update_campaign(&mut self, c: &AdCampaign) -> Result<(), StoreError> {
        let done: bool = sqlx::query_scalar("SELECT tenantry_lookup.update_campaign($1, $2)")
            .bind(c.id.as_uuid())
            .bind(Json(c))
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        if done { Ok(()) } else { Err(StoreError::NotFound) }
    }

    async fn delete_campaign(&mut self, id: CampaignId) -> Result<(), StoreError> {
        let done: bool = sqlx::query_scalar("SELECT tenantry_lookup.delete_campaign($1)")
            .bind(id.as_uuid())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        if done { Ok(()) } else { Err(StoreError::NotFound) }
    }

    async fn ad_counts(&mut self, day: NaiveDate) -> Result<BTreeMap<CampaignId, AdCounts>, StoreError> {
        let found = sqlx::query("SELECT campaign_id, impressions, clicks FROM tenantry.ad_counts WHERE day = $1")
            .bind(day)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        found
            .iter()
            .map(|r| {
                Ok((
                    rows::id(r.try_get("campaign_id").db()?, "ad count")?,
                    AdCounts {
                        impressions: u64::try_from(r.try_get::<i64, _>("impressions").db()?).unwrap_or(0),
                        clicks: u64::try_from(r.try_get::<i64, _>("clicks").db()?).unwrap_or(0),
                    },
                ))
            })
            .collect()
    }

    async fn campaign_counts(&mut self, id: CampaignId) -> Result<Vec<(NaiveDate, AdCounts)>, StoreError> {
        let found =
            sqlx::query("SELECT day, impressions, clicks FROM tenantry.ad_counts WHERE campaign_id = $1 ORDER BY day")
                .bind(id.as_uuid())
                .fetch_all(&mut *self.tx)
                .await
                .map_err(|e| self.fail(e))?;
        found
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("day").db()?,
                    AdCounts {
                        impressions: u64::try_from(r.try_get::<i64, _>("impressions").db()?).unwrap_or(0),
                        clicks: u64::try_from(r.try_get::<i64, _>("clicks").db()?).unwrap_or(0),
                    },
                ))
            })
            .collect()
    }

    async fn add_ad_count(&mut self, id: CampaignId, kind: AdCountKind) -> Result<(), StoreError> {
        let done: bool = sqlx::query_scalar("SELECT tenantry_lookup.count_ad($1, $2)")
            .bind(id.as_uuid())
            .bind(kind == AdCountKind::Click)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        if done { Ok(()) } else { Err(StoreError::NotFound) }
    }

    async fn append_platform_audit(&mut self, e: &AuditEvent) -> Result<(), StoreError> {
        sqlx::query("SELECT tenantry_lookup.append_platform_audit($1, $2, $3, $4, $5, $6, $7)")
            .bind(e.id.as_uuid())
            .bind(e.tenant_id.map(|t| t.as_uuid()))
            .bind(Json(&e.actor))
            .bind(e.action.as_str())
            .bind(e.target.as_ref().map(Json))
            .bind(rows::outcome_text(e.outcome))
            .bind(Json(&e.details))
            .execute(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn record_daily_stats(&mut self, stats: &serde_json::Value) -> Result<bool, StoreError> {
        sqlx::query_scalar("SELECT tenantry_lookup.record_daily_stats($1)")
            .bind(Json(stats))
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn daily_stats(&mut self, since: NaiveDate) -> Result<Vec<(NaiveDate, serde_json::Value)>, StoreError> {
        let rows = sqlx::query("SELECT day, stats FROM tenantry.platform_daily_stats WHERE day >= $1 ORDER BY day")
            .bind(since)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("day").map_err(store)?,
                    r.try_get::<Json<serde_json::Value>, _>("stats").map_err(store)?.0,
                ))
            })
            .collect()
    }

    async fn settings(&mut self) -> Result<Option<tenantry_domain::settings::PlatformSettings>, StoreError> {
        let found: Option<Json<tenantry_domain::settings::PlatformSettings>> =
            sqlx::query_scalar("SELECT settings FROM tenantry.platform_settings WHERE id")
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(|e| self.fail(e))?;
        Ok(found.map(|j| j.0))
    }

    async fn save_settings(
        &mut self,
        settings: &tenantry_domain::settings::PlatformSettings,
    ) -> Result<(), StoreError> {
        sqlx::query("SELECT tenantry_lookup.save_platform_settings($1)")
            .bind(Json(settings))
            .execute(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn coupons(&mut self) -> Result<Vec<CouponRecord>, StoreError> {
        let found = sqlx::query(
            "SELECT created_at, times_redeemed, data FROM tenantry.coupons ORDER BY created_at DESC, id DESC",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        found.iter().map(|r| coupon_row(r, "")).collect()
    }

    async fn insert_coupon(&mut self, coupon: &CouponRecord) -> Result<(), StoreError> {
        sqlx::query("SELECT tenantry_lookup.insert_coupon($1, $2)")
            .bind(coupon.id.as_uuid())
            .bind(Json(coupon))
            .execute(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn promotion_codes(&mut self) -> Result<Vec<PromotionCodeRecord>, StoreError> {
        let found = sqlx::query(
            "SELECT active, created_at, times_redeemed, data FROM tenantry.promotion_codes \
             ORDER BY created_at DESC, id DESC",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        found.iter().map(promotion_code_row).collect()
    }

    async fn insert_promotion_code(&mut self, code: &PromotionCodeRecord) -> Result<(), StoreError> {
        let known: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM tenantry.coupons WHERE id = $1)")
            .bind(code.coupon_id.as_uuid())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        if !known {
            return Err(StoreError::NotFound);
        }
        sqlx::query("SELECT tenantry_lookup.insert_promotion_code($1, $2, $3, $4, $5)")
            .bind(code.id.as_uuid())
            .bind(code.coupon_id.as_uuid())
            .bind(code.promotion.code.as_str())
            .bind(code.promotion.active)
            .bind(Json(code))
            .execute(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn promotion_code_for_update(
        &mut self,
        code: &str,
    ) -> Result<Option<(PromotionCodeRecord, CouponRecord)>, StoreError> {
        let row = sqlx::query("SELECT * FROM tenantry_lookup.lock_promotion_code($1)")
            .bind(code)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some((promotion_code_row(&r)?, coupon_row(&r, "coupon_")?)))
    }

    async fn count_redemption(&mut self, code: PromotionCodeId, delta: i32) -> Result<bool, StoreError> {
        sqlx::query_scalar("SELECT tenantry_lookup.count_redemption($1, $2)")
            .bind(code.as_uuid())
            .bind(delta.signum())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn set_promotion_code_active(&mut self, code: PromotionCodeId, active: bool) -> Result<bool, StoreError> {
        sqlx::query_scalar("SELECT tenantry_lookup.set_promotion_code_active($1, $2)")
            .bind(code.as_uuid())
            .bind(active)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))
    }
}

/// A coupon row (its columns named with `prefix`): the record, its date and
/// count from their columns.
fn coupon_row(r: &sqlx::postgres::PgRow, prefix: &str) -> Result<CouponRecord, StoreError> {
    let mut c = r.try_get::<Json<CouponRecord>, _>(format!("{prefix}data").as_str()).db()?.0;
    c.created_at = r.try_get(format!("{prefix}created_at").as_str()).db()?;
    c.coupon.times_redeemed = u32::try_from(r.try_get::<i32, _>(format!("{prefix}times_redeemed").as_str()).db()?)
        .map_err(|e| corrupt("coupon", e))?;
    Ok(c)
}

/// A promotion code row: the record, its date, state and count from their columns.
fn promotion_code_row(r: &sqlx::postgres::PgRow) -> Result<PromotionCodeRecord, StoreError> {
    let mut c = r.try_get::<Json<PromotionCodeRecord>, _>("data").db()?.0;
    c.created_at = r.try_get("created_at").db()?;
    c.promotion.active = r.try_get("active").db()?;
    c.promotion.times_redeemed =
        u32::try_from(r.try_get::<i32, _>("times_redeemed").db()?).map_err(|e| corrupt("promotion code", e))?;
    Ok(c)
}

#[async_trait]
impl PlatformTx for PgPlatformTx {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        if self.aborted {
            return Err(StoreError::Unknown(anyhow::anyhow!("the unit of work was aborted by an earlier error")));
        }
        self.tx.commit().await.map_err(store)
    }
}

/// The named cross-tenant paths, each one SECURITY DEFINER function, run on a
/// pooled connection — or, through a transaction pooler (`pooled`), in a
/// transaction of its own, so that the statement's parse and its execution
/// reach the same server connection (decision 0031).
pub(crate) struct Lookups<'a> {
    pub(crate) pool: &'a PgPool,
    pub(crate) pooled: bool,
}

/// Where one named path runs (see [`Lookups`]).
enum On {
    Conn(sqlx::pool::PoolConnection<sqlx::Postgres>),
    Tx(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl On {
    fn conn(&mut self) -> &mut sqlx::PgConnection {
        match self {
            On::Conn(c) => c,
            On::Tx(t) => t,
        }
    }

    /// Commits the transaction, if the path ran in one.
    async fn done(self) -> Result<(), StoreError> {
        match self {
            On::Conn(_) => Ok(()),
            On::Tx(t) => t.commit().await.db(),
        }
    }
}

fn text_of<T: serde::Serialize>(v: T) -> Option<String> {
    serde_json::to_value(v).ok().and_then(|j| j.as_str().map(str::to_owned))
}

fn parse_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|e| corrupt(what, e))
}

impl Lookups<'_> {
    async fn on(&self) -> Result<On, StoreError> {
        if self.pooled {
            Ok(On::Tx(self.pool.begin().await.db()?))
        } else {
            Ok(On::Conn(self.pool.acquire().await.db()?))
        }
    }

    pub(crate) async fn resolve_slug(&self, slug: &Slug) -> Result<Option<TenantId>, StoreError> {
        let mut on = self.on().await?;
        let id: Option<Uuid> = sqlx::query_scalar("SELECT tenantry_lookup.resolve_slug($1)")
            .bind(slug.as_str())
            .fetch_one(on.conn())
            .await
            .db()?;
        on.done().await?;
        id.map(|u| rows::id(u, "slug")).transpose()
    }

    pub(crate) async fn tenants_of_email(&self, email: &tenantry_domain::Email) -> Result<Vec<TenantId>, StoreError> {
        let mut on = self.on().await?;
        let ids: Vec<Uuid> = sqlx::query_scalar("SELECT tenantry_lookup.tenants_of_email($1, $2)")
            .bind(email.as_str())
            .bind(i32::try_from(tenantry_ports::directory::WORKSPACES_MAX).unwrap_or(i32::MAX))
            .fetch_all(on.conn())
            .await
            .db()?;
        on.done().await?;
        ids.into_iter().map(|u| rows::id(u, "tenant")).collect()
    }

    pub(crate) async fn resolve_billing_customer(&self, customer: &str) -> Result<Option<TenantId>, StoreError> {
        let mut on = self.on().await?;
        let id: Option<Uuid> = sqlx::query_scalar("SELECT tenantry_lookup.resolve_billing_customer($1)")
            .bind(customer)
            .fetch_one(on.conn())
            .await
            .db()?;
        on.done().await?;
        id.map(|u| rows::id(u, "billing customer")).transpose()
    }

    pub(crate) async fn due_tenants(&self, limit: u32) -> Result<Vec<TenantId>, StoreError> {
        let mut on = self.on().await?;
        let ids: Vec<Uuid> = sqlx::query_scalar("SELECT * FROM tenantry_lookup.due_tenants($1)")
            .bind(i32::try_from(limit).unwrap_or(i32::MAX))
            .fetch_all(on.conn())
            .await
            .db()?;
        on.done().await?;
        ids.into_iter().map(|u| rows::id(u, "due tenant")).collect()
    }

    pub(crate) async fn claim_due_jobs(
        &self,
        limit: u32,
    ) -> Result<Vec<(TenantId, tenantry_domain::JobId)>, StoreError> {
        let mut on = self.on().await?;
        let found = sqlx::query("SELECT * FROM tenantry_lookup.claim_due_jobs($1)")
            .bind(i32::try_from(limit).unwrap_or(i32::MAX))
            .fetch_all(on.conn())
            .await
            .db()?;
        on.done().await?;
        found
            .iter()
            .map(|r| Ok((rows::id(r.try_get("tenant_id").db()?, "job")?, rows::id(r.try_get("id").db()?, "job")?)))
            .collect()
    }

    pub(crate) async fn failed_jobs(&self, limit: u32) -> Result<Vec<tenantry_domain::job::Job>, StoreError> {
        let mut on = self.on().await?;
        let found = sqlx::query("SELECT * FROM tenantry_lookup.failed_jobs($1)")
            .bind(i32::try_from(limit).unwrap_or(i32::MAX))
            .fetch_all(on.conn())
            .await
            .db()?;
        on.done().await?;
        found.iter().map(rows::job).collect()
    }

    pub(crate) async fn housekeeping(&self) -> Result<tenantry_ports::directory::Housekept, StoreError> {
        let mut on = self.on().await?;
        let (account_links, jobs, markers, sessions, mails): (i64, i64, i64, i64, i64) =
            sqlx::query_as("SELECT * FROM tenantry_lookup.housekeeping()").fetch_one(on.conn()).await.db()?;
        on.done().await?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(tenantry_ports::directory::Housekept {
            account_links: count(account_links),
            jobs: count(jobs),
            markers: count(markers),
            sessions: count(sessions),
            mails: count(mails),
        })
    }

    pub(crate) async fn list_tenants(&self, q: &TenantListQuery) -> Result<Vec<TenantSummary>, StoreError> {
        let mut on = self.on().await?;
        let found = sqlx::query("SELECT * FROM tenantry_lookup.list_tenants($1, $2, $3, $4)")
            .bind(q.search.as_deref())
            .bind(q.status.and_then(text_of))
            .bind(i32::try_from(q.offset).unwrap_or(i32::MAX))
            .bind(i32::try_from(q.limit).unwrap_or(i32::MAX))
            .fetch_all(on.conn())
            .await
            .db()?;
        on.done().await?;
        found
            .iter()
            .map(|r| {
                Ok(TenantSummary {
                    id: rows::id(r.try_get("tenant_id").db()?, "tenant")?,
                    slug: Slug::parse(r.try_get::<&str, _>("slug").db()?).map_err(|e| corrupt("tenant", e))?,
                    name: r.try_get("name").db()?,
                    status: parse_json(r.try_get::<&str, _>("status").db()?, "status")?,
                    plan: parse_json(r.try_get::<&str, _>("plan").db()?, "plan")?,
                    interval: r
                        .try_get::<Option<&str>, _>("billing_interval")
                        .db()?
                        .and_then(tenantry_domain::Interval::parse),
                    seats: r.try_get::<Option<i32>, _>("seats").db()?.map(|n| u32::try_from(n).unwrap_or(0)),
                    active_users: u32::try_from(r.try_get::<i32, _>("active_users").db()?).unwrap_or(0),
                    recurring_cents: r.try_get("recurring_cents").db()?,
                    created_at: r.try_get("created_at").db()?,
                })
            })
            .collect()
    }

    pub(crate) async fn platform_figures(&self) -> Result<PlatformFigures, StoreError> {
        let mut on = self.on().await?;
        let Json(raw): Json<serde_json::Value> =
            sqlx::query_scalar("SELECT tenantry_lookup.platform_figures()").fetch_one(on.conn()).await.db()?;
        on.done().await?;
        let month = raw["month"]
            .as_str()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(|d| Month { year: d.year(), month: d.month() })
            .ok_or_else(|| corrupt("platform figures", "no month"))?;
        let mut figures = PlatformFigures { month: Some(month), ..PlatformFigures::default() };
        for status in tenantry_domain::SubscriptionStatus::ALL {
            let n = raw["tenants_by_status"][status.as_str()].as_u64().unwrap_or(0);
            figures.tenants_by_status.insert(status, n);
        }
        let cents = |key: &str| -> Vec<i64> {
            raw[key].as_array().map(|a| a.iter().filter_map(|v| v.as_i64()).collect()).unwrap_or_default()
        };
        figures.monthly_recurring_cents = cents("monthly_recurring_cents");
        figures.yearly_recurring_cents = cents("yearly_recurring_cents");
        figures.active_users = raw["active_users"].as_u64().unwrap_or(0);
        let count = |key: &str| -> u64 {
            raw[key].as_u64().or_else(|| raw[key].as_str().and_then(|s| s.parse().ok())).unwrap_or(0)
        };
        figures.logins = count("logins");
        figures.api_calls = count("api_calls");
        figures.page_views = count("page_views");
        figures.storage_bytes = raw["storage_bytes"]
            .as_u64()
            .or_else(|| raw["storage_bytes"].as_str().and_then(|s| s.parse().ok()))
            .unwrap_or(0);
        Ok(figures)
    }

    pub(crate) async fn tenant_audit_events(
        &self,
        tenant: TenantId,
        q: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let query =
            sqlx::query("SELECT * FROM tenantry_lookup.tenant_audit_events($1, $2, $3, $4, $5)").bind(tenant.as_uuid());
        self.audit_page(query, q).await
    }

    pub(crate) async fn all_audit_events(
        &self,
        event_id: AuditEventId,
        superuser: PlatformUserId,
        reason: &AuditReadReason,
        q: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let query = sqlx::query("SELECT * FROM tenantry_lookup.all_audit_events($1, $2, $3, $4, $5, $6, $7)")
            .bind(event_id.as_uuid())
            .bind(superuser.as_uuid())
            .bind(reason.as_str());
        self.audit_page(query, q).await
    }

    /// One page of audit events: `query` with its leading arguments bound, then
    /// the page's (before, limit, action, user), as both lookup functions take them last.
    async fn audit_page(
        &self,
        query: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
        q: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let mut on = self.on().await?;
        let found = query
            .bind(q.before.map(|b| b.as_uuid()))
            .bind(i32::try_from(q.limit).unwrap_or(i32::MAX))
            .bind(q.action.as_ref().map(|a| a.as_str().to_owned()))
            .bind(q.user.map(|u| u.as_uuid()))
            .fetch_all(on.conn())
            .await
            .db()?;
        on.done().await?;
        found.iter().map(|r| rows::audit(r, r.try_get("tenant_id").ok().flatten())).collect()
    }
}
