//! What the use cases return: serialisable read models without secrets
//! (no password hashes, no token hashes). The HTTP layer sends them as they are.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tenantry_domain::invitation::InvitationStatus;
use tenantry_domain::rbac::CustomRole;
use tenantry_domain::tenant::TenantSettings;
use tenantry_domain::user::{DeactivationReason, UserStatus};
use tenantry_domain::{
    Interval, Invitation, InvitationId, Money, PlanCatalog, PlanKind, Policy, RoleId, RoleRef, Slug, Subscription,
    SubscriptionStatus, Tenant, TenantId, User, UserId,
};

/// The schema of a `&'static str` field: a string, one of `values`.
#[cfg(feature = "openapi")]
fn one_of(values: &[&'static str]) -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values.iter().copied())).build()
}

/// [`UserView::status`]: the values `From<&User>` writes.
#[cfg(feature = "openapi")]
fn user_statuses() -> utoipa::openapi::Object {
    one_of(&["active", "deactivated"])
}

/// [`InvitationView::status`]: the values [`InvitationView::at`] writes.
#[cfg(feature = "openapi")]
fn invitation_statuses() -> utoipa::openapi::Object {
    one_of(&["pending", "expired", "accepted", "revoked"])
}

/// A user, without credentials.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    /// Id.
    pub id: UserId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
    /// Role (`admin` or a custom role's id).
    pub role: RoleRef,
    /// `active` or `deactivated`.
    #[cfg_attr(feature = "openapi", schema(schema_with = user_statuses))]
    pub status: &'static str,
    /// Why deactivated.
    pub deactivated_reason: Option<DeactivationReason>,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// Last login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Whether the address was proven (a verification link or the invitation that reached it).
    pub email_verified: bool,
    /// Whether logins ask for a second factor (TOTP).
    pub mfa_enabled: bool,
    /// Which mails the person chose (in the GDPR export too).
    pub mail_prefs: tenantry_domain::user::MailPrefs,
    /// The language they chose (`en`, `nl`); `null`: the workspace's.
    pub language: Option<tenantry_domain::preferences::Language>,
    /// The IANA time zone they chose (`Europe/Amsterdam`); `null`: the workspace's.
    pub time_zone: Option<String>,
}

impl UserView {
    /// Their own language and time zone (unset: their workspace's).
    pub fn preferences(&self) -> tenantry_domain::preferences::Preferences {
        tenantry_domain::preferences::Preferences {
            language: self.language,
            time_zone: self.time_zone.as_deref().and_then(|z| tenantry_domain::preferences::TimeZone::parse(z).ok()),
        }
    }
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        let (status, reason) = match u.status() {
            UserStatus::Active => ("active", None),
            UserStatus::Deactivated { reason, .. } => ("deactivated", Some(reason)),
        };
        Self {
            id: u.id(),
            tenant_id: u.tenant_id(),
            email: u.email().to_string(),
            name: u.name().to_string(),
            role: u.role(),
            status,
            deactivated_reason: reason,
            created_at: u.created_at(),
            last_login_at: u.last_login_at(),
            email_verified: u.email_verified_at().is_some(),
            mfa_enabled: u.mfa().as_ref().is_some_and(tenantry_domain::mfa::Mfa::is_enabled),
            mail_prefs: u.mail_prefs(),
            language: u.preferences().language,
            time_zone: u.preferences().time_zone.map(|z| z.name().to_owned()),
        }
    }
}

/// An invitation, without its token hash.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationView {
    /// Id.
    pub id: InvitationId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Who is invited.
    pub email: String,
    /// Role offered.
    pub role: RoleRef,
    /// `pending`, `expired`, `accepted` or `revoked`.
    #[cfg_attr(feature = "openapi", schema(schema_with = invitation_statuses))]
    pub status: &'static str,
    /// Who invited.
    pub invited_by: Option<UserId>,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When the link expires.
    pub expires_at: DateTime<Utc>,
    /// Times sent.
    pub sent_count: u32,
}

impl InvitationView {
    /// The view of an invitation at `now`.
    pub fn at(inv: &Invitation, now: DateTime<Utc>) -> Self {
        let status = match inv.status() {
            InvitationStatus::Pending if inv.is_pending(now) => "pending",
            InvitationStatus::Pending => "expired",
            InvitationStatus::Accepted { .. } => "accepted",
            InvitationStatus::Revoked { .. } => "revoked",
        };
        Self {
            id: inv.id(),
            tenant_id: inv.tenant_id(),
            email: inv.email().to_string(),
            role: inv.role(),
            status,
            invited_by: inv.invited_by(),
            created_at: inv.created_at(),
            expires_at: inv.expires_at(),
            sent_count: inv.sent_count(),
        }
    }
}

/// A role with its permissions.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleView {
    /// `owner`, `admin`, ... or the custom role's id.
    pub role: RoleRef,
    /// Custom role id.
    pub id: Option<RoleId>,
    /// Display name.
    pub name: String,
    /// Whether built in.
    pub builtin: bool,
    /// Description.
    pub description: Option<String>,
    /// Permission names.
    pub permissions: Vec<String>,
}

impl RoleView {
    /// The view of a custom role.
    pub fn custom(role: &CustomRole, policy: &Policy) -> Self {
        Self {
            role: RoleRef::Custom(role.id),
            id: Some(role.id),
            name: role.name.as_str().to_owned(),
            builtin: false,
            description: role.description.as_ref().map(|d| d.to_string()),
            permissions: policy.names_of(&policy.custom(role)),
        }
    }
}

/// The tenant profile and settings.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantView {
    /// Id.
    pub id: TenantId,
    /// Slug.
    pub slug: Slug,
    /// Name.
    pub name: String,
    /// Since when.
    pub created_at: DateTime<Utc>,
    /// Settings.
    pub settings: TenantSettings,
}

impl From<&Tenant> for TenantView {
    fn from(t: &Tenant) -> Self {
        Self {
            id: t.id(),
            slug: t.slug().clone(),
            name: t.name().to_string(),
            created_at: t.created_at(),
            settings: t.settings().clone(),
        }
    }
}

/// The next invoice.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NextInvoice {
    /// When.
    pub at: DateTime<Utc>,
    /// How much (before tax).
    pub amount: Money,
}

/// What a member sees of the subscription (DESIGN.md: plan, status, seats now /
/// next period / used, trial end, period end, price).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionView {
    /// Plan in force.
    pub plan: PlanKind,
    /// Status.
    pub status: SubscriptionStatus,
    /// Interval (paid, or chosen for after the trial).
    pub interval: Option<Interval>,
    /// Licensed seats now (None: not capped, during the trial).
    pub seats: Option<u32>,
    /// Licensed seats next period.
    pub seats_next_period: Option<u32>,
    /// Used seats: active users + pending invitations.
    pub seats_used: u32,
    /// Active users.
    pub active_users: u32,
    /// Pending invitations.
    pub pending_invitations: u32,
    /// Trial end, while trialing.
    pub trial_ends_at: Option<DateTime<Utc>>,
    /// Whole days left in the trial (rounded up).
    pub trial_days_left: Option<i64>,
    /// Whether the trial becomes freemium at its end by choice.
    pub continue_free: bool,
    /// Current period end (paid).
    pub current_period_end: Option<DateTime<Utc>>,
    /// Price per period now (paid).
    pub price: Option<Money>,
    /// Interval from the next period (when a change is scheduled).
    pub interval_next_period: Option<Interval>,
    /// The next invoice.
    pub next_invoice: Option<NextInvoice>,
    /// Whether a payment method is on file.
    pub payment_method_on_file: bool,
    /// When the payment first failed (past due).
    pub past_due_since: Option<DateTime<Utc>>,
    /// Collection of the paid plan's invoices is paused (the superuser's
    /// "pause payments", or a suspension): nothing is charged.
    pub collection_paused: bool,
    /// The paid plan is free until then (the superuser's comp).
    pub free_until: Option<DateTime<Utc>>,
    /// A promotion code's discount, while it runs.
    pub discount: Option<tenantry_domain::discount::AppliedDiscount>,
    /// The price per period now after a recurring discount (paid).
    pub price_after_discount: Option<Money>,
    /// When the grace period ends (past due): unpaid by then, the tenant
    /// becomes freemium (or suspended, by configuration).
    pub grace_ends_at: Option<DateTime<Utc>>,
    /// When the tenant will be purged (pending deletion).
    pub purge_at: Option<DateTime<Utc>>,
}

/// Which billing actions a tenant's billing page offers, decided from the
/// subscription (the use cases still check each one when it is taken).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct BillingActions {
    /// Buying or setting seats (a paid plan that is active or past due, with licensed seats).
    pub seats: bool,
    /// Moving to Standard, monthly (unless it is the plan now).
    pub standard_monthly: bool,
    /// Moving to Standard, yearly (unless it is the plan now).
    pub standard_yearly: bool,
    /// Moving to Freemium (unless it is the plan now).
    pub freemium: bool,
    /// Cancelling at the end of the period (an active subscription).
    pub cancel: bool,
    /// The provider's portal (invoices and payment methods: once one is on file).
    pub portal: bool,
}

impl SubscriptionView {
    /// The billing actions to offer now.
    pub fn actions(&self) -> BillingActions {
        let standard = self.plan == PlanKind::Standard;
        BillingActions {
            seats: standard
                && matches!(self.status, SubscriptionStatus::Active | SubscriptionStatus::PastDue)
                && self.seats.is_some(),
            standard_monthly: !(standard && self.interval == Some(Interval::Month)),
            standard_yearly: !(standard && self.interval == Some(Interval::Year)),
            freemium: self.plan != PlanKind::Freemium,
            cancel: self.status == SubscriptionStatus::Active,
            portal: self.payment_method_on_file,
        }
    }

    /// The monthly recurring revenue of its price now, by the domain's one
    /// rule (`money::mrr_cents`: a yearly price counts a twelfth, rounded half
    /// away from zero) — what the superuser's list and figures show.
    pub fn mrr(&self) -> Option<Money> {
        let price = self.price_after_discount.or(self.price)?;
        if self.collection_paused || self.free_until.is_some() {
            // Paused or free: nothing is collected.
            return Some(Money::zero(price.currency()));
        }
        let cents = match self.interval {
            Some(Interval::Year) => tenantry_domain::money::mrr_cents(&[], &[price.cents()]).ok()?,
            _ => price.cents(),
        };
        Some(Money::from_cents(cents, price.currency()))
    }

    /// Builds the view.
    pub fn build(
        sub: &Subscription,
        catalog: &PlanCatalog,
        active_users: u32,
        pending: u32,
        now: DateTime<Utc>,
    ) -> Self {
        use tenantry_domain::subscription::SubscriptionState as S;
        let (seats, seats_next) = sub.seats(catalog);
        let trial_ends_at = sub.trial_ends_at();
        let mut continue_free = false;
        let mut past_due_since = None;
        // a signup that never gets its payment method is purged like a deleted tenant
        let mut purge_at = sub.unfinished_signup_purged_at(catalog);
        let mut state = sub.state();
        loop {
            match state {
                S::Trialing { continue_free: c, .. } => continue_free = *c,
                S::PastDue { since, .. } => past_due_since = Some(*since),
                S::PendingDeletion { purge_at: p, resume, .. } => {
                    purge_at = Some(*p);
                    state = resume;
                    continue;
                }
                S::Suspended { resume, .. } => {
                    state = resume;
                    continue;
                }
                _ => {}
            }
            break;
        }
        Self {
            plan: sub.plan_kind(),
            status: sub.status(),
            interval: sub.interval(),
            seats,
            seats_next_period: seats_next,
            seats_used: active_users.saturating_add(pending),
            active_users,
            pending_invitations: pending,
            trial_ends_at,
            trial_days_left: trial_ends_at.map(|end| {
                let secs = (end - now).num_seconds().max(0);
                (secs + 86_399) / 86_400
            }),
            continue_free,
            current_period_end: sub.current_period().map(|p| p.end()),
            price: sub.price(catalog),
            interval_next_period: sub.paid_plan().map(|p| p.interval_next_period),
            next_invoice: sub
                .next_invoice(catalog, active_users.saturating_add(pending))
                .map(|(at, amount)| NextInvoice { at, amount }),
            payment_method_on_file: sub.payment_method_on_file(),
            past_due_since,
            collection_paused: sub.paid_plan().is_some_and(|p| p.collection.paused),
            free_until: sub.paid_plan().and_then(|p| p.collection.free_until),
            discount: sub.discount().cloned(),
            price_after_discount: sub.paid_plan().and_then(|p| {
                tenantry_domain::discount::price_after(catalog, p.interval, p.seats, p.period.start(), sub.discount())
                    .ok()
            }),
            grace_ends_at: past_due_since.map(|since| {
                tenantry_domain::time::saturating_add(since, chrono::Duration::days(i64::from(catalog.grace_days)))
            }),
            purge_at,
        }
    }
}

/// The caller, their tenant, role and permissions.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeView {
    /// The user.
    pub user: UserView,
    /// Their tenant.
    pub tenant: TenantView,
    /// Their role's name.
    pub role_name: String,
    /// Their permissions.
    pub permissions: Vec<String>,
    /// The plan in force.
    pub plan: PlanKind,
    /// The status.
    pub status: SubscriptionStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(
        plan: PlanKind,
        status: SubscriptionStatus,
        interval: Option<Interval>,
        seats: Option<u32>,
    ) -> SubscriptionView {
        SubscriptionView {
            plan,
            status,
            interval,
            seats,
            seats_next_period: seats,
            seats_used: 1,
            active_users: 1,
            pending_invitations: 0,
            trial_ends_at: None,
            trial_days_left: None,
            continue_free: false,
            current_period_end: None,
            price: None,
            interval_next_period: None,
            next_invoice: None,
            payment_method_on_file: false,
            past_due_since: None,
            collection_paused: false,
            free_until: None,
            discount: None,
            price_after_discount: None,
            grace_ends_at: None,
            purge_at: None,
        }
    }

    #[test]
    fn the_billing_page_offers_what_the_subscription_allows() {
        use Interval::{Month, Year};
        use SubscriptionStatus as S;
        let trial = view(PlanKind::Trial, S::Trialing, Some(Month), None).actions();
        assert_eq!(
            trial,
            BillingActions { standard_monthly: true, standard_yearly: true, freemium: true, ..Default::default() }
        );
        let monthly = view(PlanKind::Standard, S::Active, Some(Month), Some(3)).actions();
        assert_eq!(
            monthly,
            BillingActions { seats: true, standard_yearly: true, freemium: true, cancel: true, ..Default::default() }
        );
        let past_due = view(PlanKind::Standard, S::PastDue, Some(Year), Some(3)).actions();
        assert_eq!(
            past_due,
            BillingActions { seats: true, standard_monthly: true, freemium: true, ..Default::default() }
        );
        let canceling = view(PlanKind::Standard, S::CancelingAtPeriodEnd, Some(Year), Some(3)).actions();
        assert!(!canceling.seats && !canceling.cancel);
        let free = view(PlanKind::Freemium, S::Freemium, None, None).actions();
        assert_eq!(free, BillingActions { standard_monthly: true, standard_yearly: true, ..Default::default() });
        let mut with_card = view(PlanKind::Freemium, S::Freemium, None, None);
        with_card.payment_method_on_file = true;
        assert!(with_card.actions().portal);
    }
}
