//! The platform's store in a platform unit of work: superusers and their
//! sessions, ad campaigns and counts, the platform log, daily statistics and
//! settings.

use super::MemPlatformTx;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;
use tenantry_domain::SessionId;
use tenantry_domain::discount::{CouponRecord, PromotionCodeRecord};
use tenantry_domain::password::LockoutPolicy;
use tenantry_domain::session::{RefreshError, Session, SessionEnd, SessionKind, SessionOwner};
use tenantry_domain::user::{FailedLogin, PlatformUser};
use tenantry_domain::{AdCampaign, AuditEvent, CampaignId, Email, PlatformUserId, PromotionCodeId};
use tenantry_ports::error::{Constraint, StoreError};
use tenantry_ports::store::{AdCountKind, AdCounts, PlatformStore};

#[async_trait]
impl PlatformStore for MemPlatformTx {
    async fn superuser_by_email(&mut self, email: &Email) -> Result<Option<PlatformUser>, StoreError> {
        self.live()?;
        Ok(self.work.superusers.values().find(|u| u.email == *email).cloned())
    }
    async fn superuser(&mut self, id: PlatformUserId) -> Result<Option<PlatformUser>, StoreError> {
        self.live()?;
        Ok(self.work.superusers.get(&id).cloned())
    }
    async fn superuser_login_failed(
        &mut self,
        id: PlatformUserId,
        policy: LockoutPolicy,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.live()?;
        let now = self.inner.clock.now();
        let Some(su) = self.work.superusers.get_mut(&id).filter(|su| su.active) else { return Ok(None) };
        Ok(match su.throttle.record_failure(now, &policy) {
            FailedLogin::LockedNow { until } => Some(until),
            // (The superuser's throttle counts in all; it never locks one address alone.)
            FailedLogin::LockedForAddress { until } => Some(until),
            FailedLogin::Counted { .. } | FailedLogin::AlreadyLocked { .. } => None,
        })
    }
    async fn superuser_login_succeeded(&mut self, id: PlatformUserId, token_version: u32) -> Result<bool, StoreError> {
        self.live()?;
        let now = self.inner.clock.now();
        match self.work.superusers.get_mut(&id) {
            Some(su) if su.active && su.token_version == token_version && su.throttle.locked_at(now).is_none() => {
                su.throttle.record_success();
                su.last_login_at = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn end_superuser_sessions(&mut self, id: PlatformUserId) -> Result<bool, StoreError> {
        self.live()?;
        match self.work.superusers.get_mut(&id).filter(|su| su.active) {
            Some(su) => {
                su.token_version = su.token_version.wrapping_add(1);
                Ok(true)
            }
            None => Ok(false),
        }
    }
    async fn rename_superuser(
        &mut self,
        id: PlatformUserId,
        name: &tenantry_domain::text::PersonName,
    ) -> Result<bool, StoreError> {
        self.live()?;
        match self.work.superusers.get_mut(&id).filter(|su| su.active) {
            Some(su) => {
                su.name = name.clone();
                Ok(true)
            }
            None => Ok(false),
        }
    }
    async fn begin_superuser_mfa(
        &mut self,
        id: PlatformUserId,
        secret: &tenantry_domain::mfa::TotpSecret,
    ) -> Result<bool, StoreError> {
        self.live()?;
        let now = self.inner.clock.now();
        match self.work.superusers.get_mut(&id).filter(|su| su.active) {
            Some(su) if !su.mfa.as_ref().is_some_and(tenantry_domain::mfa::Mfa::is_enabled) => {
                su.mfa = Some(tenantry_domain::mfa::Mfa::start(secret.clone(), now));
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn save_superuser_mfa(
        &mut self,
        id: PlatformUserId,
        mfa: &tenantry_domain::mfa::Mfa,
    ) -> Result<bool, StoreError> {
        self.live()?;
        let now = self.inner.clock.now();
        let Some(su) = self.work.superusers.get_mut(&id).filter(|su| su.active) else { return Ok(false) };
        let Some(stored) = su.mfa.as_ref() else { return Ok(false) };
        if !stored.may_follow(mfa) {
            return Ok(false);
        }
        // The store dates the confirmation, as the platform's operation does.
        let enabled_at = stored.enabled_at.or(Some(now));
        su.mfa = Some(tenantry_domain::mfa::Mfa { enabled_at, ..mfa.clone() });
        Ok(true)
    }
    async fn campaigns(&mut self) -> Result<Vec<AdCampaign>, StoreError> {
        self.live()?;
        let mut list: Vec<AdCampaign> = self.work.campaigns.values().cloned().collect();
        list.sort_by_key(|c| (c.created_at, c.id));
        Ok(list)
    }
    async fn campaign(&mut self, id: CampaignId) -> Result<Option<AdCampaign>, StoreError> {
        self.live()?;
        Ok(self.work.campaigns.get(&id).cloned())
    }
    async fn insert_campaign(&mut self, campaign: &AdCampaign) -> Result<(), StoreError> {
        self.live()?;
        if self.work.campaigns.contains_key(&campaign.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        self.work.campaigns.insert(campaign.id, campaign.clone());
        Ok(())
    }
    async fn update_campaign(&mut self, campaign: &AdCampaign) -> Result<(), StoreError> {
        self.live()?;
        match self.work.campaigns.get_mut(&campaign.id) {
            Some(slot) => {
                *slot = campaign.clone();
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }
    async fn delete_campaign(&mut self, id: CampaignId) -> Result<(), StoreError> {
        self.live()?;
        self.work.campaigns.remove(&id).ok_or(StoreError::NotFound)?;
        self.work.ad_counts.retain(|(c, _), _| *c != id);
        Ok(())
    }
    async fn ad_counts(&mut self, day: NaiveDate) -> Result<BTreeMap<CampaignId, AdCounts>, StoreError> {
        self.live()?;
        Ok(self.work.ad_counts.iter().filter(|((_, d), _)| *d == day).map(|((c, _), n)| (*c, *n)).collect())
    }
    async fn campaign_counts(&mut self, id: CampaignId) -> Result<Vec<(NaiveDate, AdCounts)>, StoreError> {
        self.live()?;
        Ok(self.work.ad_counts.iter().filter(|((c, _), _)| *c == id).map(|((_, d), n)| (*d, *n)).collect())
    }
    async fn add_ad_count(&mut self, id: CampaignId, kind: AdCountKind) -> Result<(), StoreError> {
        self.live()?;
        let day = self.inner.clock.now().date_naive();
        if !self.work.campaigns.contains_key(&id) {
            return Err(StoreError::NotFound);
        }
        let counts = self.work.ad_counts.entry((id, day)).or_default();
        match kind {
            AdCountKind::Impression => counts.impressions += 1,
            AdCountKind::Click => counts.clicks += 1,
        }
        Ok(())
    }
    async fn append_platform_audit(&mut self, event: &AuditEvent) -> Result<(), StoreError> {
        self.live()?;
        self.appended.push(AuditEvent { at: self.inner.clock.now(), ..event.clone() });
        Ok(())
    }
    async fn record_daily_stats(&mut self, stats: &serde_json::Value) -> Result<bool, StoreError> {
        self.live()?;
        let day = self.inner.clock.now().date_naive();
        if self.work.daily_stats.contains_key(&day) {
            return Ok(false);
        }
        Arc::make_mut(&mut self.work.daily_stats).insert(day, stats.clone());
        Ok(true)
    }
    async fn daily_stats(&mut self, since: NaiveDate) -> Result<Vec<(NaiveDate, serde_json::Value)>, StoreError> {
        self.live()?;
        Ok(self.work.daily_stats.range(since..).map(|(d, v)| (*d, v.clone())).collect())
    }
    async fn settings(&mut self) -> Result<Option<tenantry_domain::settings::PlatformSettings>, StoreError> {
        self.live()?;
        Ok(self.work.settings.clone())
    }
    async fn save_settings(
        &mut self,
        settings: &tenantry_domain::settings::PlatformSettings,
    ) -> Result<(), StoreError> {
        self.live()?;
        self.work.settings = Some(settings.clone());
        Ok(())
    }
    async fn start_superuser_session(
        &mut self,
        id: SessionId,
        superuser: PlatformUserId,
        kind: SessionKind,
        user_agent: Option<String>,
        address: Option<String>,
    ) -> Result<Option<Session>, StoreError> {
        self.live()?;
        let Some(su) = self.work.superusers.get(&superuser).filter(|su| su.active) else { return Ok(None) };
        if self.work.superuser_sessions.contains_key(&id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        let now = self.inner.clock.now();
        let begun =
            Session::begin(id, SessionOwner::Superuser(superuser), kind, su.token_version, now, None, None, None);
        let session =
            Session::restore(tenantry_domain::session::SessionRecord { user_agent, address, ..begun.record() });
        self.work.superuser_sessions.insert(id, session.clone());
        Ok(Some(session))
    }
    async fn superuser_session(&mut self, id: SessionId) -> Result<Option<Session>, StoreError> {
        self.live()?;
        Ok(self.work.superuser_sessions.get(&id).cloned())
    }
    async fn superuser_sessions(&mut self, superuser: PlatformUserId) -> Result<Vec<Session>, StoreError> {
        self.live()?;
        let mut list: Vec<Session> = self
            .work
            .superuser_sessions
            .values()
            .filter(|s| s.owner() == SessionOwner::Superuser(superuser) && s.ended().is_none())
            .cloned()
            .collect();
        list.sort_by_key(|s| std::cmp::Reverse((s.created_at(), s.id())));
        Ok(list)
    }
    async fn touch_superuser_session(&mut self, id: SessionId) -> Result<(), StoreError> {
        self.live()?;
        let now = self.inner.clock.now();
        if let Some(session) = self.work.superuser_sessions.get_mut(&id).filter(|s| s.ended().is_none()) {
            session.touch(now);
        }
        Ok(())
    }
    async fn rotate_superuser_session(
        &mut self,
        id: SessionId,
        presented: u32,
    ) -> Result<Result<u32, RefreshError>, StoreError> {
        self.live()?;
        let now = self.inner.clock.now();
        let Some(session) = self.work.superuser_sessions.get_mut(&id) else { return Ok(Err(RefreshError::Ended)) };
        let SessionOwner::Superuser(owner) = session.owner() else { return Ok(Err(RefreshError::Ended)) };
        let Some(version) = self.work.superusers.get(&owner).filter(|su| su.active).map(|su| su.token_version) else {
            return Ok(Err(RefreshError::Ended));
        };
        Ok(session.rotate(presented, now, version))
    }
    async fn end_superuser_session(&mut self, id: SessionId, why: SessionEnd) -> Result<bool, StoreError> {
        self.live()?;
        let now = self.inner.clock.now();
        match self.work.superuser_sessions.get_mut(&id).filter(|s| s.ended().is_none()) {
            Some(session) => {
                session.end(now, why);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn coupons(&mut self) -> Result<Vec<CouponRecord>, StoreError> {
        self.live()?;
        let mut list: Vec<CouponRecord> = self.work.coupons.values().cloned().collect();
        list.sort_by_key(|c| std::cmp::Reverse((c.created_at, c.id)));
        Ok(list)
    }
    async fn insert_coupon(&mut self, coupon: &CouponRecord) -> Result<(), StoreError> {
        self.live()?;
        if self.work.coupons.contains_key(&coupon.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        let mut c = coupon.clone();
        c.created_at = self.inner.clock.now();
        c.coupon.times_redeemed = 0;
        self.work.coupons.insert(c.id, c);
        Ok(())
    }
    async fn promotion_codes(&mut self) -> Result<Vec<PromotionCodeRecord>, StoreError> {
        self.live()?;
        let mut list: Vec<PromotionCodeRecord> = self.work.promotion_codes.values().cloned().collect();
        list.sort_by_key(|c| std::cmp::Reverse((c.created_at, c.id)));
        Ok(list)
    }
    async fn insert_promotion_code(&mut self, code: &PromotionCodeRecord) -> Result<(), StoreError> {
        self.live()?;
        if !self.work.coupons.contains_key(&code.coupon_id) {
            return Err(StoreError::NotFound);
        }
        if self.work.promotion_codes.contains_key(&code.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        if self.work.promotion_codes.values().any(|c| c.promotion.code == code.promotion.code) {
            return Err(self.conflict(Constraint::PromotionCode));
        }
        let mut c = code.clone();
        c.created_at = self.inner.clock.now();
        c.promotion.times_redeemed = 0;
        self.work.promotion_codes.insert(c.id, c);
        Ok(())
    }
    async fn promotion_code_for_update(
        &mut self,
        code: &str,
    ) -> Result<Option<(PromotionCodeRecord, CouponRecord)>, StoreError> {
        // The platform unit of work holds the platform's one lock until it ends.
        self.live()?;
        let Some(found) = self.work.promotion_codes.values().find(|c| c.promotion.code == code) else {
            return Ok(None);
        };
        Ok(self.work.coupons.get(&found.coupon_id).map(|coupon| (found.clone(), coupon.clone())))
    }
    async fn count_redemption(&mut self, code: PromotionCodeId, delta: i32) -> Result<bool, StoreError> {
        self.live()?;
        let add = |n: u32| n.saturating_add_signed(delta);
        let Some(found) = self.work.promotion_codes.get_mut(&code) else { return Ok(false) };
        found.promotion.times_redeemed = add(found.promotion.times_redeemed);
        let coupon = found.coupon_id;
        if let Some(c) = self.work.coupons.get_mut(&coupon) {
            c.coupon.times_redeemed = add(c.coupon.times_redeemed);
        }
        Ok(true)
    }
    async fn set_promotion_code_active(&mut self, code: PromotionCodeId, active: bool) -> Result<bool, StoreError> {
        self.live()?;
        match self.work.promotion_codes.get_mut(&code) {
            Some(found) => {
                found.promotion.active = active;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
