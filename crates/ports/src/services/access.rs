//! Permission and entitlement checks, each refusal recorded in the tenant's audit log.

use super::{AccessError, Tenantry};
use crate::error::{InfraError, StoreError};
use crate::scope::{Actor, TenantScope};
use crate::store::{Access, TenantTx};
use tenantry_domain::rbac::{Permission, PermissionSet};
use tenantry_domain::{AuditAction, AuditOutcome, Feature, RoleRef, Subscription};

/// What a refused caller attempted: `access.denied`'s `attempted` detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// A change, named by the audit action it would have recorded.
    Change(AuditAction),
    /// Reading the users.
    ReadUsers,
    /// Reading the invitations.
    ReadInvitations,
    /// Reading the API keys.
    ReadApiKeys,
    /// Reading the custom roles.
    ReadRoles,
    /// Reading the audit log.
    ReadAudit,
    /// Reading the exports.
    ReadExports,
    /// Listing or downloading the files.
    ReadFiles,
    /// Reading the invoices.
    ReadInvoices,
    /// Reading the subscription.
    ReadSubscription,
    /// Reading the tenant.
    ReadTenant,
    /// Reading the usage.
    ReadUsage,
    /// Asking which ad to show.
    AdDecision,
    /// Counting an ad's impression or click.
    AdCount,
}

impl Attempt {
    /// The recorded text (an audit action's own name for a change).
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Attempt::Change(action) => action.as_str(),
            Attempt::ReadUsers => "users.read",
            Attempt::ReadInvitations => "invitations.read",
            Attempt::ReadApiKeys => "api_keys.read",
            Attempt::ReadRoles => "roles.read",
            Attempt::ReadAudit => "audit.read",
            Attempt::ReadExports => "data.exports_read",
            Attempt::ReadFiles => "files.read",
            Attempt::ReadInvoices => "invoices.read",
            Attempt::ReadSubscription => "subscription.read",
            Attempt::ReadTenant => "tenant.read",
            Attempt::ReadUsage => "usage.read",
            Attempt::AdDecision => "ads.decision",
            Attempt::AdCount => "ads.count",
        }
    }
}

impl Attempt {
    /// Whether a tenant waiting for its payment method may do this: read its
    /// profile and subscription, and start the setup Checkout that ends the wait.
    fn open_before_payment_method(&self) -> bool {
        matches!(self, Attempt::ReadTenant | Attempt::ReadSubscription | Attempt::Change(AuditAction::CheckoutStarted))
    }
}

impl From<AuditAction> for Attempt {
    fn from(action: AuditAction) -> Self {
        Attempt::Change(action)
    }
}

impl Tenantry {
    /// Checks a permission; a refusal is recorded as `access.denied`.
    pub(crate) async fn require(
        &self,
        scope: &TenantScope,
        permission: Permission,
        attempted: impl Into<Attempt>,
    ) -> Result<(), AccessError> {
        let attempted = attempted.into();
        if scope.awaits_payment_method() && !attempted.open_before_payment_method() {
            return Err(AccessError::PaymentMethodRequired);
        }
        if scope.can(permission) {
            return Ok(());
        }
        let name = self.policy().name(permission).to_owned();
        self.record_denial(scope, attempted.as_str(), &name).await;
        Err(AccessError::Forbidden(name))
    }

    /// Checks a permission by name for `scope` — a product's own (registered
    /// in the policy with [`tenantry_domain::rbac::PolicyBuilder::permission`],
    /// e.g. `timesheets:approve`) or a built-in one — exactly as tenantry checks
    /// its own: a refusal is audited (`access.denied`, with `attempted`) and
    /// answered [`AccessError::Forbidden`]. A name the policy does not know is
    /// refused the same way (and logged as the product's mistake): nothing is
    /// allowed by a typo.
    pub async fn require_permission(
        &self,
        scope: &TenantScope,
        permission: &str,
        attempted: &str,
    ) -> Result<(), AccessError> {
        if scope.awaits_payment_method() {
            return Err(AccessError::PaymentMethodRequired);
        }
        match self.policy().permission(permission) {
            Ok(p) if scope.can(p) => Ok(()),
            Ok(_) => {
                self.record_denial(scope, attempted, permission).await;
                Err(AccessError::Forbidden(permission.to_owned()))
            }
            Err(e) => {
                tracing::error!(permission, error = %e, "a permission the policy does not know was checked");
                self.record_denial(scope, attempted, permission).await;
                Err(AccessError::Forbidden(permission.chars().take(64).collect()))
            }
        }
    }

    /// Records a refused attempt in its own unit of work (best effort: a failure
    /// to record is logged, and the refusal stands either way).
    pub(crate) async fn record_denial(&self, scope: &TenantScope, attempted: &str, why: &str) {
        let result: Result<(), InfraError> = async {
            let event = self
                .event(scope, AuditAction::AccessDenied, None, AuditOutcome::Denied)?
                .with("attempted", attempted)
                .with("reason", why);
            let mut tx = self.begin(scope, Access::Write).await?;
            tx.append_audit(&event).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(tenant = %scope.tenant_id(), error = %e, "could not record an access denial");
        }
    }

    /// Whether the tenant's plan includes `feature` (tenantry's premium
    /// features, and a product's own: only those named in the catalog's
    /// `premium_features` are gated). Refused: `upgrade_required`, naming the
    /// plan that unlocks it.
    /// (The error is the caller's: any error type with `From` both refusals.)
    pub async fn require_feature<E>(&self, scope: &TenantScope, feature: &Feature) -> Result<(), E>
    where
        E: From<AccessError> + From<InfraError>,
    {
        match self.entitlement(scope, feature).await? {
            None => Ok(()),
            Some(gated) => Err(AccessError::UpgradeRequired(gated).into()),
        }
    }

    /// `None` when the tenant's plan includes `feature`; otherwise what
    /// `upgrade_required` says (pages show the premium label and the upgrade
    /// link from it).
    pub async fn entitlement(
        &self,
        scope: &TenantScope,
        feature: &Feature,
    ) -> Result<Option<tenantry_domain::UpgradeRequired>, InfraError> {
        let sub = {
            let mut tx = self.begin(scope, Access::Read).await?;
            self.subscription(tx.as_mut()).await?
        };
        Ok(self.catalog().entitles(sub.plan_kind(), feature).err())
    }

    /// Checks a plan entitlement.
    pub(crate) fn entitled(&self, sub: &Subscription, feature: &Feature) -> Result<(), AccessError> {
        self.catalog().entitles(sub.plan_kind(), feature).map_err(AccessError::from)
    }

    /// The permissions a role grants in this tenant (`None`: a custom role that no longer exists).
    pub(crate) async fn role_permissions(
        &self,
        tx: &mut dyn TenantTx,
        role: RoleRef,
    ) -> Result<Option<PermissionSet>, StoreError> {
        Ok(match role {
            RoleRef::Builtin(b) => Some(self.policy().builtin(b)),
            RoleRef::Custom(id) => tx.role(id).await?.map(|r| self.policy().custom(&r)),
        })
    }

    /// Whether the actor may hand out `granted` (no escalation beyond its own permissions).
    pub(crate) fn may_grant(scope: &TenantScope, granted: &PermissionSet) -> bool {
        matches!(scope.actor(), Actor::Superuser { .. } | Actor::System(_)) || granted.is_subset_of(scope.permissions())
    }
}
