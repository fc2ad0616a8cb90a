//! Audit events (DESIGN.md "Audit"): append-only records of who did what to
//! which target, with what outcome — logins, role and seat changes, subscription
//! changes, superuser actions, cross-tenant attempts.

use crate::ids::{
    ApiKeyId, AuditEventId, CampaignId, ExportId, FileId, InvitationId, PlatformUserId, RoleId, TenantId, UserId,
};
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
    /// The service's metering of API calls and page views.
    Meter,
    /// Someone holding a mailed unsubscribe link.
    UnsubscribeLink,
    /// Anyone loading a tenant's logo (its pages, a mail client).
    Logo,
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
    /// The superuser acting as a user of the tenant (support impersonation).
    Impersonation {
        /// The operator.
        superuser: PlatformUserId,
        /// The user they act as.
        user: UserId,
    },
    /// An automatic part of the system.
    System(SystemActor),
    /// Nobody known (e.g. a failed login for an unknown address).
    Anonymous,
}

impl AuditActor {
    /// The tenant user who acted (themselves, or as impersonated by the superuser).
    pub fn user(&self) -> Option<UserId> {
        match *self {
            AuditActor::User(u) | AuditActor::Impersonation { user: u, .. } => Some(u),
            _ => None,
        }
    }
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
        /// What was done; the text form (`invitation.created`) is stable and
        /// filterable. tenantry's own actions are named variants; an embedding
        /// product's actions (`timesheets.entry_approved`) are
        /// [`AuditAction::Product`].
        #[derive(Clone, PartialEq, Eq, Hash, Debug)]
        pub enum AuditAction {
            $(
                #[doc = $text]
                $variant,
            )*
            /// An action of a product that embeds tenantry.
            Product(ProductAction),
        }

        impl AuditAction {
            /// Every action of tenantry's own.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            /// The stable text form.
            pub fn as_str(&self) -> &str {
                match self {
                    $(AuditAction::$variant => $text,)*
                    AuditAction::Product(p) => p.as_str(),
                }
            }

            /// Parses the text form: one of tenantry's actions, or a well-formed
            /// product action outside tenantry's namespaces.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(AuditAction::$variant),)*
                    _ => ProductAction::new(text).ok().map(AuditAction::Product),
                }
            }
        }
    };
}

/// Namespaces tenantry keeps for itself besides those of its actions: a product
/// action may not start with one of them.
pub const RESERVED_NAMESPACES: &[&str] =
    &["tenantry", "security", "session", "mfa", "export", "backup", "erasure", "file", "webhook"];

/// Why a product action name was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProductActionError {
    /// Not `namespace.event` in lower-case letters, digits and `_`, at most 64 characters.
    #[error(
        "`{0}` is not a product action: write `namespace.event` in lower-case letters, digits and _ (at most 64 characters)"
    )]
    Malformed(String),
    /// The namespace is tenantry's.
    #[error("`{0}` is tenantry's namespace; give the product's actions its own (e.g. `timesheets.entry_approved`)")]
    Reserved(String),
}

/// The action of a product that embeds tenantry: `namespace.event`
/// (`timesheets.entry_approved`), in a namespace that is not tenantry's.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ProductAction(Box<str>);

impl ProductAction {
    /// Checks the name.
    pub fn new(text: &str) -> Result<Self, ProductActionError> {
        let word = |w: &str| {
            w.starts_with(|c: char| c.is_ascii_lowercase())
                && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        let malformed = || ProductActionError::Malformed(text.chars().take(70).collect());
        let (namespace, event) = text.split_once('.').ok_or_else(malformed)?;
        if text.len() > 64 || !word(namespace) || !word(event) {
            return Err(malformed());
        }
        let tenantrys = AuditAction::ALL.iter().any(|a| a.as_str().split('.').next() == Some(namespace));
        if tenantrys || RESERVED_NAMESPACES.contains(&namespace) {
            return Err(ProductActionError::Reserved(namespace.to_owned()));
        }
        Ok(ProductAction(text.into()))
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProductAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for AuditAction {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AuditAction {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        AuditAction::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("unknown audit action `{text}`")))
    }
}

actions! {
    LoginSucceeded => "auth.login_succeeded",
    LoginFailed => "auth.login_failed",
    AccountLocked => "auth.account_locked",
    LoggedOut => "auth.logged_out",
    PasswordResetRequested => "auth.password_reset_requested",
    PasswordReset => "auth.password_reset",
    PasswordChanged => "auth.password_changed",
    ProfileChanged => "user.profile_changed",
    EmailVerified => "auth.email_verified",
    EmailChangeRequested => "user.email_change_requested",
    EmailChanged => "user.email_changed",
    MfaEnabled => "auth.mfa_enabled",
    MfaDisabled => "auth.mfa_disabled",
    MfaRecoveryCodesRenewed => "auth.mfa_recovery_codes_renewed",
    MfaReset => "auth.mfa_reset",
    ApiKeyCreated => "api_key.created",
    ApiKeyRevoked => "api_key.revoked",
    TenantCreated => "tenant.created",
    TenantUpdated => "tenant.updated",
    TenantSuspended => "tenant.suspended",
    TenantResumed => "tenant.resumed",
    TenantDeletionRequested => "tenant.deletion_requested",
    TenantDeletionCancelled => "tenant.deletion_cancelled",
    TenantPurged => "tenant.purged",
    TenantBackedUp => "tenant.backed_up",
    TenantRestored => "tenant.restored",
    QuotaOverridden => "tenant.quota_overridden",
    UserInvited => "invitation.created",
    InvitationRevoked => "invitation.revoked",
    InvitationResent => "invitation.resent",
    InvitationAccepted => "invitation.accepted",
    UserRoleChanged => "user.role_changed",
    UserDeactivated => "user.deactivated",
    UserReactivated => "user.reactivated",
    UserRemoved => "user.removed",
    UserErased => "user.erased",
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
    CollectionChanged => "billing.collection_changed",
    DiscountApplied => "billing.discount_applied",
    CouponCreated => "billing.coupon_created",
    PromotionCodeCreated => "billing.promotion_code_created",
    PromotionCodeChanged => "billing.promotion_code_changed",
    TrialReminderSent => "billing.trial_reminder_sent",
    AccessDenied => "access.denied",
    CrossTenantAttempt => "access.cross_tenant_attempt",
    PlatformAccess => "platform.tenant_accessed",
    ImpersonationStarted => "platform.impersonation_started",
    ImpersonationEnded => "platform.impersonation_ended",
    SuperuserCreated => "platform.superuser_created",
    SettingsUpdated => "platform.settings_updated",
    PlatformAuditRead => "platform.audit_read",
    WorkspacesLookedUp => "platform.workspaces_looked_up",
    SessionRevoked => "session.revoked",
    RefreshReused => "session.refresh_reused",
    SignedOutEverywhere => "session.signed_out_everywhere",
    CampaignCreated => "ads.campaign_created",
    CampaignUpdated => "ads.campaign_updated",
    CampaignDeleted => "ads.campaign_deleted",
    StorageQuotaExceeded => "quota.storage_exceeded",
    ExportRequested => "data.export_requested",
    ExportReady => "data.export_ready",
    ExportFailed => "data.export_failed",
    ExportDownloaded => "data.export_downloaded",
    FileUploaded => "file.uploaded",
    FileDeleted => "file.deleted",
    JobFailed => "job.failed",
    JobRetried => "job.retried",
    MailPrefsChanged => "user.mail_preferences_changed",
    Unsubscribed => "user.unsubscribed",
    BroadcastStarted => "platform.broadcast_started",
    BroadcastSent => "platform.broadcast_sent",
}

/// The schema of what serde writes: one of tenantry's stable text forms, or a
/// product's `namespace.event`. Hand-written (serde is).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for AuditAction {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Type};
        let builtin = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(AuditAction::ALL.iter().map(AuditAction::as_str)));
        let product = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$"))
            .max_length(Some(64));
        AnyOfBuilder::new()
            .item(builtin)
            .item(product)
            .description(Some(
                "What was done: one of tenantry's actions (`invitation.created`) or an embedding product's \
                 (`timesheets.entry_approved`); the text form is stable and filterable.",
            ))
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
    /// A GDPR export of the tenant.
    Export(ExportId),
    /// A file of the tenant.
    File(FileId),
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
    fn product_actions_are_namespaced_outside_tenantrys_own() {
        let a = AuditAction::parse("timesheets.entry_approved").unwrap();
        assert_eq!(a, AuditAction::Product(ProductAction::new("timesheets.entry_approved").unwrap()));
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"timesheets.entry_approved\"");
        assert_eq!(serde_json::from_str::<AuditAction>("\"timesheets.entry_approved\"").unwrap(), a);
        assert_eq!(serde_json::from_str::<AuditAction>("\"auth.logged_out\"").unwrap(), AuditAction::LoggedOut);
        for reserved in ["user.invited", "auth.x", "billing.paid", "tenantry.anything", "export.done"] {
            assert!(matches!(ProductAction::new(reserved), Err(ProductActionError::Reserved(_))), "{reserved}");
            assert_eq!(AuditAction::parse(reserved), None, "{reserved}");
        }
        let long = format!("crm.{}", "a".repeat(61));
        for bad in ["", "timesheets", "Timesheets.x", "a.b.c", "a.", ".b", "1a.b", "a.b-c", "a. b", long.as_str()] {
            assert!(matches!(ProductAction::new(bad), Err(ProductActionError::Malformed(_))), "{bad}");
        }
        assert!(serde_json::from_str::<AuditAction>("\"nope\"").is_err());
    }

    #[test]
    fn every_action_has_a_unique_stable_text() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            assert!(seen.insert(a.as_str()), "{a:?}");
            assert_eq!(AuditAction::parse(a.as_str()).as_ref(), Some(a));
            assert_eq!(serde_json::to_string(a).unwrap(), format!("\"{}\"", a.as_str()));
        }
    }
}
