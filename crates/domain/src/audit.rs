//! Audit events (DESIGN.md "Audit"): append-only records of who did what to
//! which target, with what outcome — logins, role and seat changes, subscription
//! changes, superuser actions, cross-tenant attempts.

use crate::ids::{ApiKeyId, AuditEventId, CampaignId, InvitationId, PlatformUserId, RoleId, TenantId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Which automatic part of the system acted.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SystemActor {
    /// Billing events from the payment provider.
    Billing,
    /// Timers (trial end, reminders, grace, retention).
    Scheduler,
    /// The public signup.
    Signup,
    /// Someone holding an invitation link.
    InvitationLink,
    /// The login flow before a user is known.
    Login,
}

/// Who acted.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum AuditActor {
    /// A user of the tenant.
    User(UserId),
    /// The platform superuser.
    Superuser(PlatformUserId),
    /// A tenant's API key.
    ApiKey(ApiKeyId),
    /// An automatic part of the system.
    System(SystemActor),
    /// Nobody known (e.g. a failed login for an unknown address).
    Anonymous,
}

/// What came of it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Done.
    Success,
    /// Refused for lack of permission, a tenant mismatch or a business rule.
    Denied,
    /// Attempted and failed (wrong password, provider error).
    Failed,
}

macro_rules! actions {
    ($($variant:ident => $text:literal,)*) => {
        /// What was done; the text form (`invitation.created`) is stable and filterable.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
        pub enum AuditAction {
            $(
                #[doc = $text]
                #[serde(rename = $text)]
                $variant,
            )*
        }

        impl AuditAction {
            /// Every action.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            /// The stable text form.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $text,)*
                }
            }

            /// Parses the text form.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(AuditAction::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

actions! {
    LoginSucceeded => "auth.login_succeeded",
    LoginFailed => "auth.login_failed",
    AccountLocked => "auth.account_locked",
    LoggedOut => "auth.logged_out",
    ApiKeyCreated => "api_key.created",
    ApiKeyRevoked => "api_key.revoked",
    TenantCreated => "tenant.created",
    TenantUpdated => "tenant.updated",
    TenantSuspended => "tenant.suspended",
    TenantResumed => "tenant.resumed",
    TenantDeletionRequested => "tenant.deletion_requested",
    TenantDeletionCancelled => "tenant.deletion_cancelled",
    TenantPurged => "tenant.purged",
    QuotaOverridden => "tenant.quota_overridden",
    UserInvited => "invitation.created",
    InvitationRevoked => "invitation.revoked",
    InvitationResent => "invitation.resent",
    InvitationAccepted => "invitation.accepted",
    UserRoleChanged => "user.role_changed",
    UserDeactivated => "user.deactivated",
    UserReactivated => "user.reactivated",
    UserRemoved => "user.removed",
    OwnershipTransferred => "user.ownership_transferred",
    RoleCreated => "role.created",
    RoleUpdated => "role.updated",
    RoleDeleted => "role.deleted",
    TrialStarted => "subscription.trial_started",
    TrialContinueFree => "subscription.continue_free",
    TrialConverted => "subscription.trial_converted",
    PlanChanged => "subscription.plan_changed",
    IntervalChangeScheduled => "subscription.interval_change_scheduled",
    SeatsAdded => "subscription.seats_added",
    SeatReductionScheduled => "subscription.seat_reduction_scheduled",
    SeatReductionApplied => "subscription.seat_reduction_applied",
    CancelScheduled => "subscription.cancel_scheduled",
    CancelRevoked => "subscription.cancel_revoked",
    Renewed => "subscription.renewed",
    PastDue => "subscription.past_due",
    PaymentRecovered => "subscription.payment_recovered",
    DowngradedToFreemium => "subscription.downgraded",
    PaymentMethodAdded => "billing.payment_method_added",
    CheckoutStarted => "billing.checkout_started",
    PortalOpened => "billing.portal_opened",
    InvoicePaid => "billing.invoice_paid",
    PaymentActionRequired => "billing.payment_action_required",
    TrialReminderSent => "billing.trial_reminder_sent",
    AccessDenied => "access.denied",
    CrossTenantAttempt => "access.cross_tenant_attempt",
    PlatformAccess => "platform.tenant_accessed",
    SuperuserCreated => "platform.superuser_created",
    CampaignCreated => "ads.campaign_created",
    CampaignUpdated => "ads.campaign_updated",
    CampaignDeleted => "ads.campaign_deleted",
    StorageQuotaExceeded => "quota.storage_exceeded",
}

/// The schema of what serde writes: the stable text forms. Hand-written because
/// the derive does not see the `rename`s that `actions!` passes in as literals
/// (it would list the variants' Rust names).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for AuditAction {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(AuditAction::ALL.iter().map(AuditAction::as_str)))
            .description(Some("What was done; the text form (`invitation.created`) is stable and filterable."))
            .into()
    }
}
#[cfg(feature = "openapi")]
impl utoipa::ToSchema for AuditAction {}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What was acted on.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum AuditTarget {
    /// A tenant.
    Tenant(TenantId),
    /// A user.
    User(UserId),
    /// An invitation.
    Invitation(InvitationId),
    /// A custom role.
    Role(RoleId),
    /// The tenant's subscription.
    Subscription,
    /// An ad campaign.
    Campaign(CampaignId),
    /// A platform operator.
    Superuser(PlatformUserId),
    /// An API key of the tenant.
    ApiKey(ApiKeyId),
    /// A tenant the actor tried to reach and may not (cross-tenant attempts).
    ForeignTenant(TenantId),
}

/// One audit record. Never updated, never deleted (except with the tenant's purge).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    /// Its id (time-ordered).
    pub id: AuditEventId,
    /// When.
    pub at: DateTime<Utc>,
    /// The tenant whose log holds it; `None` for the platform log.
    pub tenant_id: Option<TenantId>,
    /// Who.
    pub actor: AuditActor,
    /// What.
    pub action: AuditAction,
    /// On what.
    pub target: Option<AuditTarget>,
    /// With what result.
    pub outcome: AuditOutcome,
    /// Further facts (`{"from": "member", "to": "admin"}`); never secrets.
    pub details: BTreeMap<String, String>,
}

impl AuditEvent {
    /// Adds a detail.
    pub fn with(mut self, key: &str, value: impl fmt::Display) -> Self {
        self.details.insert(key.to_owned(), value.to_string());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_unique_stable_text() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            assert!(seen.insert(a.as_str()), "{a:?}");
            assert_eq!(AuditAction::parse(a.as_str()), Some(*a));
            assert_eq!(serde_json::to_string(a).unwrap(), format!("\"{}\"", a.as_str()));
        }
    }
}
