//! Promotion codes (issue 23, part 3): the superuser
//! makes coupons and promotion codes for them; a tenant's billing manager
//! previews a code against the next invoice and applies it to the
//! subscription.
//!
//! Who counts: tenantry counts redemptions in its platform tables under a row
//! lock (the last redemption goes to exactly one tenant, however many try at
//! once) and decides every refusal by the domain's rules
//! (`PromotionCode::redeem`); the payment provider then applies the code to
//! the subscription and discounts each invoice made while it runs. Should the
//! provider refuse or fail, the redemption is given back. A redemption is
//! made from the tenant's saved state and its unit of work holds no platform
//! lock while the provider is asked.

use super::views::SubscriptionView;
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::payment::{IdempotencyKey, InvoiceStatus, PaymentError, UpcomingInvoice};
use crate::scope::{PlatformScope, TenantScope};
use crate::store::{Access, TenantTx};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_domain::audit::AuditTarget;
use tenantry_domain::discount::{
    AppliedDiscount, Coupon, CouponError, CouponRecord, DiscountDuration, Off, PromotionCode, PromotionCodeRecord,
    RedeemError,
};
use tenantry_domain::rbac::builtin;
use tenantry_domain::subscription::SubscriptionState;
use tenantry_domain::{AuditAction, AuditOutcome, CouponId, Money, PromotionCodeId, Subscription};

/// Why a promotion request was refused. Nothing changed (no redemption is
/// counted, the subscription is as it was).
#[derive(Debug, thiserror::Error)]
pub enum PromotionError {
    /// No promotion code with this text.
    #[error("there is no such promotion code")]
    Unknown,
    /// The code exists but may not be redeemed now, by this tenant.
    #[error(transparent)]
    Refused(#[from] RedeemError),
    /// Nothing to discount: no trial with a payment method, no paid plan.
    #[error("a promotion code applies to a trial with a payment method on file or to a paid plan")]
    NothingToDiscount,
    /// A promotion code's discount already runs on this subscription.
    #[error("a promotion code ({0}) is already applied to this subscription")]
    AlreadyDiscounted(String),
    /// The superuser made the plan free for now; a code would be lost.
    #[error("the plan is free until {0}; apply the code after that")]
    Comped(DateTime<Utc>),
    /// A coupon or code as written is invalid.
    #[error(transparent)]
    Invalid(#[from] CouponError),
    /// Another promotion code has this text.
    #[error("a promotion code with this text exists already")]
    CodeTaken,
    /// No such coupon or code (the superuser's pages and API).
    #[error("not found")]
    NotFound,
    /// Access.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The payment provider refused or could not be reached; nothing changed.
    #[error("the payment provider: {0}")]
    Billing(#[from] PaymentError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(PromotionError);

crate::problem!(PromotionError {
    PromotionError::Unknown => ("promotion_code_unknown", Invalid),
    PromotionError::Refused(RedeemError::Expired) => ("promotion_code_expired", Gone),
    PromotionError::Refused(RedeemError::Exhausted) => ("promotion_code_exhausted", Conflict),
    PromotionError::Refused(RedeemError::NotFirstTime) => ("promotion_code_not_first_time", Invalid),
    PromotionError::Refused(RedeemError::Inactive) => ("promotion_code_inactive", Invalid),
    PromotionError::NothingToDiscount => ("nothing_to_discount", Conflict),
    PromotionError::AlreadyDiscounted(_) => ("discount_already_applied", Conflict),
    PromotionError::Comped(_) => ("plan_comped", Conflict),
    PromotionError::Invalid(_) => ("invalid_request", Invalid),
    PromotionError::CodeTaken => ("promotion_code_taken", Conflict),
    PromotionError::NotFound => ("not_found", NotFound),
    PromotionError::Access(e) => (via e),
    PromotionError::Billing(PaymentError::Rejected(_)) => ("billing_rejected", Invalid),
    PromotionError::Billing(_) => ("billing_unavailable", Unavailable),
    PromotionError::Infra(e) => (via e),
});

/// How long a coupon's discount lasts, as the API and the pages write it.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DurationKind {
    /// The next invoice only.
    Once,
    /// The invoices of `duration_in_months` months.
    Repeating,
    /// Every invoice.
    Forever,
}

/// A new coupon: exactly one of `percent_off_basis_points` (2000 = 20 %) and
/// `amount_off_cents` (in the catalog's currency).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CouponInput {
    /// A name (1 to 100 characters; shown on invoices).
    pub name: String,
    /// Percent off in basis points, 1 to 10000.
    #[serde(default)]
    pub percent_off_basis_points: Option<u32>,
    /// Amount off in cents, positive.
    #[serde(default)]
    pub amount_off_cents: Option<i64>,
    /// For how long.
    pub duration: DurationKind,
    /// Months, 1 to 36, for `repeating`.
    #[serde(default)]
    pub duration_in_months: Option<u32>,
    /// How often it may be redeemed in all.
    #[serde(default)]
    pub max_redemptions: Option<u32>,
    /// The last moment it may be redeemed.
    #[serde(default)]
    pub redeem_by: Option<DateTime<Utc>>,
}

/// A new promotion code of a coupon.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PromotionCodeInput {
    /// 3 to 32 of `A-Z 0-9 - _` (letters are upper-cased).
    pub code: String,
    /// Only for customers who have not paid before.
    #[serde(default)]
    pub first_time_only: bool,
    /// The last moment it may be redeemed.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// How often it may be redeemed (besides the coupon's limit).
    #[serde(default)]
    pub max_redemptions: Option<u32>,
}

/// A coupon as the superuser sees it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CouponView {
    /// Its id.
    pub id: CouponId,
    /// Its name.
    pub name: String,
    /// Percent off in basis points (or none).
    pub percent_off_basis_points: Option<u32>,
    /// Amount off (or none).
    pub amount_off: Option<Money>,
    /// For how long.
    pub duration: DurationKind,
    /// Months, for `repeating`.
    pub duration_in_months: Option<u32>,
    /// Redemption limit.
    pub max_redemptions: Option<u32>,
    /// Last moment to redeem.
    pub redeem_by: Option<DateTime<Utc>>,
    /// Redemptions so far (through all its codes).
    pub times_redeemed: u32,
    /// The provider's id.
    pub provider_id: Option<String>,
    /// When made.
    pub created_at: DateTime<Utc>,
}

impl From<&CouponRecord> for CouponView {
    fn from(c: &CouponRecord) -> Self {
        let (percent, amount) = match c.coupon.off {
            Off::Percent { basis_points } => (Some(basis_points), None),
            Off::Amount { amount } => (None, Some(amount)),
        };
        let (duration, months) = match c.coupon.duration {
            DiscountDuration::Once => (DurationKind::Once, None),
            DiscountDuration::Repeating { months } => (DurationKind::Repeating, Some(months)),
            DiscountDuration::Forever => (DurationKind::Forever, None),
        };
        Self {
            id: c.id,
            name: c.name.clone(),
            percent_off_basis_points: percent,
            amount_off: amount,
            duration,
            duration_in_months: months,
            max_redemptions: c.coupon.max_redemptions,
            redeem_by: c.coupon.redeem_by,
            times_redeemed: c.coupon.times_redeemed,
            provider_id: c.provider_id.clone(),
            created_at: c.created_at,
        }
    }
}

/// A promotion code as the superuser sees it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PromotionCodeView {
    /// Its id.
    pub id: PromotionCodeId,
    /// Its coupon.
    pub coupon_id: CouponId,
    /// The text.
    pub code: String,
    /// Only for first-time customers.
    pub first_time_only: bool,
    /// Last moment to redeem.
    pub expires_at: Option<DateTime<Utc>>,
    /// Redemption limit.
    pub max_redemptions: Option<u32>,
    /// Redemptions so far.
    pub times_redeemed: u32,
    /// Whether it may be redeemed.
    pub active: bool,
    /// The provider's id.
    pub provider_id: Option<String>,
    /// When made.
    pub created_at: DateTime<Utc>,
}

impl From<&PromotionCodeRecord> for PromotionCodeView {
    fn from(c: &PromotionCodeRecord) -> Self {
        Self {
            id: c.id,
            coupon_id: c.coupon_id,
            code: c.promotion.code.clone(),
            first_time_only: c.promotion.first_time_only,
            expires_at: c.promotion.expires_at,
            max_redemptions: c.promotion.max_redemptions,
            times_redeemed: c.promotion.times_redeemed,
            active: c.promotion.active,
            provider_id: c.provider_id.clone(),
            created_at: c.created_at,
        }
    }
}

/// The coupons and their codes, newest first.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Promotions {
    /// Coupons.
    pub coupons: Vec<CouponView>,
    /// Promotion codes.
    pub promotion_codes: Vec<PromotionCodeView>,
}

/// What a code would do to a tenant's subscription.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiscountPreview {
    /// The discount as it would be applied now.
    pub discount: AppliedDiscount,
    /// The next invoice with it (`None` when nothing will be invoiced).
    pub next_invoice: Option<UpcomingInvoice>,
}

/// What a tenant's subscription allows a code on: its provider id, when the
/// discount's next invoice is made, and whether it has paid before.
struct Discountable {
    provider_subscription: String,
    next_invoice_at: DateTime<Utc>,
    paid_before: bool,
    revision: u64,
}

impl Tenantry {
    fn coupon_from(&self, input: &CouponInput) -> Result<(String, Coupon), PromotionError> {
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(PromotionError::Invalid(CouponError::Name));
        }
        let off = match (input.percent_off_basis_points, input.amount_off_cents) {
            (Some(basis_points), None) => Off::Percent { basis_points },
            (None, Some(cents)) => Off::Amount { amount: Money::from_cents(cents, self.catalog().currency) },
            _ => return Err(PromotionError::Invalid(CouponError::Off)),
        };
        let duration = match (input.duration, input.duration_in_months) {
            (DurationKind::Once, None) => DiscountDuration::Once,
            (DurationKind::Forever, None) => DiscountDuration::Forever,
            (DurationKind::Repeating, Some(months)) => DiscountDuration::Repeating { months },
            _ => return Err(PromotionError::Invalid(CouponError::Months)),
        };
        Ok((name.to_owned(), Coupon::new(off, duration, input.max_redemptions, input.redeem_by)?))
    }

    /// `POST /v1/admin/coupons`: a coupon, made at the payment provider first
    /// (nothing is stored when it refuses), audited in the platform log.
    pub async fn create_coupon(&self, who: &PlatformScope, input: CouponInput) -> Result<CouponView, PromotionError> {
        let (name, coupon) = self.coupon_from(&input)?;
        let mut record = CouponRecord { id: self.new_id()?, name, coupon, provider_id: None, created_at: self.now() };
        let key = IdempotencyKey::for_platform("coupon", record.id);
        record.provider_id = Some(self.deps.payments.create_coupon(&record, &key).await?);
        let mut ptx = self.deps.store.begin_platform().await?;
        ptx.insert_coupon(&record).await?;
        let event = self.platform_event(who, AuditAction::CouponCreated, None)?.with("coupon", record.id);
        ptx.append_platform_audit(&event).await?;
        ptx.commit().await?;
        Ok(CouponView::from(&record))
    }

    /// `POST /v1/admin/coupons/{cid}/promotion-codes`: a promotion code of a
    /// coupon, made at the payment provider first, audited.
    pub async fn create_promotion_code(
        &self,
        who: &PlatformScope,
        coupon_id: CouponId,
        input: PromotionCodeInput,
    ) -> Result<PromotionCodeView, PromotionError> {
        let promotion =
            PromotionCode::new(&input.code, input.first_time_only, input.expires_at, input.max_redemptions)?;
        let coupon = {
            let mut ptx = self.deps.store.begin_platform().await?;
            let coupons = ptx.coupons().await?;
            if ptx.promotion_codes().await?.iter().any(|c| c.promotion.code == promotion.code) {
                return Err(PromotionError::CodeTaken);
            }
            coupons.into_iter().find(|c| c.id == coupon_id).ok_or(PromotionError::NotFound)?
        };
        let provider_coupon = coupon.provider_id.clone().ok_or(PromotionError::NotFound)?;
        let mut record =
            PromotionCodeRecord { id: self.new_id()?, coupon_id, promotion, provider_id: None, created_at: self.now() };
        let key = IdempotencyKey::for_platform("promotion-code", record.id);
        record.provider_id = Some(self.deps.payments.create_promotion_code(&record, &provider_coupon, &key).await?);
        let mut ptx = self.deps.store.begin_platform().await?;
        match ptx.insert_promotion_code(&record).await {
            Err(crate::error::StoreError::Conflict(crate::error::Constraint::PromotionCode)) => {
                return Err(PromotionError::CodeTaken);
            }
            Err(crate::error::StoreError::NotFound) => return Err(PromotionError::NotFound),
            other => other?,
        }
        let event = self
            .platform_event(who, AuditAction::PromotionCodeCreated, None)?
            .with("promotion_code", record.id)
            .with("code", &record.promotion.code)
            .with("coupon", coupon_id);
        ptx.append_platform_audit(&event).await?;
        ptx.commit().await?;
        Ok(PromotionCodeView::from(&record))
    }

    /// `GET /v1/admin/coupons`: the coupons and their codes.
    pub async fn promotions(&self, _who: &PlatformScope) -> Result<Promotions, PromotionError> {
        let mut ptx = self.deps.store.begin_platform().await?;
        let coupons = ptx.coupons().await?.iter().map(CouponView::from).collect();
        let promotion_codes = ptx.promotion_codes().await?.iter().map(PromotionCodeView::from).collect();
        Ok(Promotions { coupons, promotion_codes })
    }

    /// `PATCH /v1/admin/promotion-codes/{pid}`: switches a code on or off
    /// (at the provider first), audited.
    pub async fn set_promotion_code_active(
        &self,
        who: &PlatformScope,
        id: PromotionCodeId,
        active: bool,
    ) -> Result<PromotionCodeView, PromotionError> {
        let found = {
            let mut ptx = self.deps.store.begin_platform().await?;
            ptx.promotion_codes().await?.into_iter().find(|c| c.id == id).ok_or(PromotionError::NotFound)?
        };
        if let Some(provider_id) = &found.provider_id {
            // Each switch its own key: off, on and off again are three requests.
            let key = IdempotencyKey::for_platform("promotion-code-active", self.new_id::<PromotionCodeId>()?);
            self.deps.payments.set_promotion_code_active(provider_id, active, &key).await?;
        }
        let mut ptx = self.deps.store.begin_platform().await?;
        if !ptx.set_promotion_code_active(id, active).await? {
            return Err(PromotionError::NotFound);
        }
        let event = self
            .platform_event(who, AuditAction::PromotionCodeChanged, None)?
            .with("promotion_code", id)
            .with("active", active);
        ptx.append_platform_audit(&event).await?;
        ptx.commit().await?;
        let mut view = PromotionCodeView::from(&found);
        view.active = active;
        Ok(view)
    }

    /// What `sub` allows a code on now, or why not.
    async fn discountable(
        &self,
        tx: &mut dyn TenantTx,
        sub: &Subscription,
        now: DateTime<Utc>,
    ) -> Result<Discountable, PromotionError> {
        if let Some(d) = sub.discount() {
            return Err(PromotionError::AlreadyDiscounted(d.code.clone()));
        }
        let provider_subscription =
            sub.provider().as_ref().and_then(|l| l.subscription.clone()).ok_or(PromotionError::NothingToDiscount)?;
        let next_invoice_at = match sub.state() {
            SubscriptionState::Trialing { trial, continue_free: false, .. } if sub.payment_method_on_file() => {
                trial.end()
            }
            SubscriptionState::Active(p) | SubscriptionState::PastDue { plan: p, .. } => {
                if let Some(until) = p.collection.free_until.filter(|until| *until > now) {
                    return Err(PromotionError::Comped(until));
                }
                p.period.end()
            }
            _ => return Err(PromotionError::NothingToDiscount),
        };
        let paid_before =
            tx.invoices().await?.iter().any(|i| i.status == InvoiceStatus::Paid && i.amount_paid.cents() > 0);
        Ok(Discountable { provider_subscription, next_invoice_at, paid_before, revision: sub.revision() })
    }

    /// The code with the text `code` (as a customer typed it), checked for a
    /// customer who has (`paid_before`) or has not paid before, without
    /// counting: the code, its coupon and the discount it gives now.
    pub(crate) async fn checked_code(
        &self,
        code: &str,
        paid_before: bool,
        next_invoice_at: DateTime<Utc>,
    ) -> Result<(PromotionCodeRecord, CouponRecord, AppliedDiscount), PromotionError> {
        let (ptx, promo, coupon) = self.locked_code(code).await?;
        drop(ptx); // nothing written: rolled back, the lock let go
        let now = self.now();
        let discount = AppliedDiscount::new(&promo.promotion.code, &coupon.coupon, now, next_invoice_at);
        // The rules on copies: nothing is counted.
        promo.promotion.clone().redeem(&mut coupon.coupon.clone(), now, paid_before)?;
        Ok((promo, coupon, discount))
    }

    /// `POST /v1/tenants/{tid}/subscription/promotion-code/preview`: what the
    /// code would take off the next invoice; changes and counts nothing.
    pub async fn preview_promotion_code(
        &self,
        scope: &TenantScope,
        code: &str,
    ) -> Result<DiscountPreview, PromotionError> {
        self.require(scope, builtin::BILLING_MANAGE, AuditAction::DiscountApplied).await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Read).await?;
        let sub = self.subscription(tx.as_mut()).await?;
        let d = self.discountable(tx.as_mut(), &sub, now).await?;
        drop(tx);
        let (promo, _, discount) = self.checked_code(code, d.paid_before, d.next_invoice_at).await?;
        let provider_code = promo.provider_id.as_deref().ok_or(PromotionError::Unknown)?;
        let next_invoice =
            self.deps.payments.preview_discount(&d.provider_subscription, provider_code, &discount).await?;
        Ok(DiscountPreview { discount, next_invoice })
    }

    /// `POST /v1/tenants/{tid}/subscription/promotion-code`: redeems the code
    /// (counted under the code's row lock: the last redemption goes to exactly
    /// one tenant) and applies it to the subscription at the provider; given
    /// back when the provider refuses. Audited.
    pub async fn apply_promotion_code(
        &self,
        scope: &TenantScope,
        code: &str,
    ) -> Result<SubscriptionView, PromotionError> {
        self.require(scope, builtin::BILLING_MANAGE, AuditAction::DiscountApplied).await?;
        self.apply_code(scope, code).await
    }

    /// Redeems the promotion code entered at signup, once its payment method
    /// is on file: applied, or — refused by then (used up, expired) or not
    /// reachable — forgotten, the refusal audited with its code, so that the
    /// owner can enter another on the billing page. The trial goes on either way.
    pub(crate) async fn redeem_signup_code(&self, scope: &TenantScope, code: &str) {
        let Err(refused) = self.apply_code(scope, code).await else { return };
        tracing::warn!(tenant = %scope.tenant_id(), code, reason = %refused, "the signup's promotion code was not applied");
        let forgotten = async {
            let mut tx = self.begin(scope, Access::Write).await?;
            let mut sub = self.subscription(tx.as_mut()).await?;
            sub.forget_signup_promotion_code();
            self.save_subscription(tx.as_mut(), &mut sub).await?;
            let event = self
                .event(scope, AuditAction::DiscountApplied, Some(AuditTarget::Subscription), AuditOutcome::Failed)?
                .with("code", code)
                .with("reason", crate::error::Problem::code(&refused));
            tx.append_audit(&event).await?;
            tx.commit().await?;
            Ok::<(), InfraError>(())
        };
        if let Err(e) = forgotten.await {
            tracing::warn!(tenant = %scope.tenant_id(), error = %e, "the signup's refused promotion code was not forgotten");
        }
    }

    /// Applies `code` for `scope`'s tenant (permission checked by the caller).
    async fn apply_code(&self, scope: &TenantScope, code: &str) -> Result<SubscriptionView, PromotionError> {
        let now = self.now();
        let d = {
            let mut tx = self.begin(scope, Access::Read).await?;
            let sub = self.subscription(tx.as_mut()).await?;
            self.discountable(tx.as_mut(), &sub, now).await?
        };
        let (promo, discount) = self.redeem(code, d.paid_before, d.next_invoice_at).await?;
        let provider_code = promo.provider_id.clone().unwrap_or_default();
        let key = IdempotencyKey::for_request("discount", scope.tenant_id(), d.revision, &promo.promotion.code);
        let applied =
            match self.deps.payments.apply_discount(&d.provider_subscription, &provider_code, &discount, &key).await {
                Ok(applied) => applied,
                Err(e) => {
                    self.give_back(promo.id).await;
                    return Err(e.into());
                }
            };
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut sub = self.subscription(tx.as_mut()).await?;
        let events = sub.apply_snapshot(&applied.snapshot, self.catalog());
        sub.forget_signup_promotion_code();
        let mails = self.apply_subscription_events(tx.as_mut(), scope, &mut sub, &events).await?;
        self.save_subscription(tx.as_mut(), &mut sub).await?;
        let event = self
            .event(scope, AuditAction::DiscountApplied, Some(AuditTarget::Subscription), AuditOutcome::Success)?
            .with("code", &promo.promotion.code)
            .with("ends_at", discount.ends_at.map_or_else(|| "never".to_owned(), |at| at.to_rfc3339()));
        tx.append_audit(&event).await?;
        let queued = self.queue_mails(tx.as_mut(), scope, mails).await?;
        let (usage, _, _) = self.seat_usage(tx.as_mut(), now).await?;
        let view = SubscriptionView::build(&sub, self.catalog(), usage.active_users, usage.pending_invitations, now);
        tx.commit().await?;
        self.deliver(queued).await;
        Ok(view)
    }

    /// The code as a customer typed it (case and spaces do not matter) and
    /// its coupon, locked in the platform unit of work answered with them.
    async fn locked_code(
        &self,
        code: &str,
    ) -> Result<(Box<dyn crate::store::PlatformTx>, PromotionCodeRecord, CouponRecord), PromotionError> {
        let text = code.trim().to_ascii_uppercase();
        let mut ptx = self.deps.store.begin_platform().await?;
        let (promo, coupon) = ptx.promotion_code_for_update(&text).await?.ok_or(PromotionError::Unknown)?;
        Ok((ptx, promo, coupon))
    }

    /// Counts one redemption of `code` under its row lock, or refuses.
    async fn redeem(
        &self,
        code: &str,
        paid_before: bool,
        next_invoice_at: DateTime<Utc>,
    ) -> Result<(PromotionCodeRecord, AppliedDiscount), PromotionError> {
        let (mut ptx, mut promo, mut coupon) = self.locked_code(code).await?;
        let now = self.now();
        promo.promotion.redeem(&mut coupon.coupon, now, paid_before)?;
        ptx.count_redemption(promo.id, 1).await?;
        ptx.commit().await?;
        let discount = AppliedDiscount::new(&promo.promotion.code, &coupon.coupon, now, next_invoice_at);
        Ok((promo, discount))
    }

    /// Gives a redemption back (the provider refused it). A failure here is
    /// logged: the count is one too high, never too low.
    async fn give_back(&self, code: PromotionCodeId) {
        let done = async {
            let mut ptx = self.deps.store.begin_platform().await?;
            ptx.count_redemption(code, -1).await?;
            ptx.commit().await
        };
        if let Err(e) = done.await {
            tracing::warn!(error = %e, promotion_code = %code, "a redemption the provider refused was not given back");
        }
    }
}
