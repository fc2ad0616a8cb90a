//! Built-in and custom roles. Custom roles are a premium feature; a role grants
//! only permissions the creating actor holds, and never the owner's own two.

use super::access::Attempt;
use super::views::RoleView;
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::{InfraError, StoreError};
use crate::scope::TenantScope;
use crate::store::Access;
use tenantry_domain::audit::AuditTarget;
use tenantry_domain::rbac::{BuiltinRole, CustomRole, PermissionSet, RbacError, RoleName, builtin};
use tenantry_domain::text::{Description, TextError};
use tenantry_domain::{AuditAction, AuditOutcome, Feature, RoleId, RoleRef};

/// Input of [`Tenantry::create_role`].
#[derive(Debug, Clone)]
pub struct RoleInput {
    /// Name, unique in the tenant.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// Permission names.
    pub permissions: Vec<String>,
}

/// A change to a custom role.
#[derive(Debug, Clone, Default)]
pub struct RolePatch {
    /// New name.
    pub name: Option<String>,
    /// New description (`Some(None)` clears).
    pub description: Option<Option<String>>,
    /// New permission names.
    pub permissions: Option<Vec<String>>,
}

/// Why a role change was refused. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    /// Bad name or permissions.
    #[error(transparent)]
    Invalid(#[from] RbacError),
    /// Bad description.
    #[error(transparent)]
    InvalidDescription(#[from] TextError),
    /// The name is taken.
    #[error("a role named `{0}` exists")]
    NameTaken(String),
    /// The role grants permissions the actor lacks.
    #[error("a role cannot grant permissions you do not have")]
    Escalation,
    /// Users or pending invitations hold the role.
    #[error("{users} user(s) and {invitations} pending invitation(s) hold this role; give them another role first")]
    InUse {
        /// Users holding it.
        users: u32,
        /// Pending invitations offering it.
        invitations: u32,
    },
    /// Access (including `upgrade_required` on freemium).
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(RoleError);

crate::problem!(RoleError {
    RoleError::Invalid(RbacError::UnknownPermission(_)) => ("unknown_permission", Invalid),
    RoleError::Invalid(RbacError::ReservedPermission(_)) => ("reserved_permission", Invalid),
    RoleError::Invalid(_) => ("invalid_role", Invalid),
    RoleError::InvalidDescription(_) => ("invalid_description", Invalid),
    RoleError::NameTaken(_) => ("role_name_taken", Conflict),
    RoleError::Escalation => ("role_escalation", Forbidden),
    RoleError::InUse { .. } => ("role_in_use", Conflict),
    RoleError::Access(e) => (via e),
    RoleError::Infra(e) => (via e),
});

impl Tenantry {
    /// `GET /v1/tenants/{tid}/roles`: the built-in roles and the tenant's custom roles.
    pub async fn list_roles(&self, scope: &TenantScope) -> Result<Vec<RoleView>, RoleError> {
        self.require(scope, builtin::ROLES_MANAGE, Attempt::ReadRoles).await?;
        let mut tx = self.begin(scope, Access::Read).await?;
        let policy = self.policy();
        let mut out: Vec<RoleView> = BuiltinRole::ALL
            .iter()
            .map(|&b| RoleView {
                role: RoleRef::Builtin(b),
                id: None,
                name: b.as_str().to_owned(),
                builtin: true,
                description: None,
                permissions: policy.names_of(&policy.builtin(b)),
            })
            .collect();
        out.extend(tx.roles().await?.iter().map(|r| RoleView::custom(r, policy)));
        Ok(out)
    }

    fn checked_permissions(
        &self,
        scope: &TenantScope,
        names: &[String],
    ) -> Result<std::collections::BTreeSet<tenantry_domain::rbac::PermissionName>, RoleError> {
        let names = self.policy().validate_custom(names)?;
        let mut set = PermissionSet::EMPTY;
        for n in &names {
            set.insert(self.policy().permission(n.as_str())?);
        }
        if !Self::may_grant(scope, &set) {
            return Err(RoleError::Escalation);
        }
        Ok(names)
    }

    /// `POST /v1/tenants/{tid}/roles`: a custom role from the permission set.
    pub async fn create_role(&self, scope: &TenantScope, input: RoleInput) -> Result<RoleView, RoleError> {
        self.require(scope, builtin::ROLES_MANAGE, AuditAction::RoleCreated).await?;
        let name = RoleName::parse(&input.name)?;
        let description = input.description.as_deref().map(Description::parse).transpose()?;
        let permissions = self.checked_permissions(scope, &input.permissions)?;
        let mut tx = self.begin(scope, Access::Write).await?;
        let sub = self.subscription(tx.as_mut()).await?;
        self.entitled(&sub, &Feature::custom_roles())?;
        let role = CustomRole {
            id: self.new_id()?,
            tenant_id: scope.tenant_id(),
            name,
            description,
            permissions,
            created_at: self.now(),
        };
        match tx.insert_role(&role).await {
            Err(StoreError::Conflict(_)) => {
                return Err(RoleError::NameTaken(role.name.as_str().to_owned()));
            }
            other => other?,
        }
        let event = self
            .event(scope, AuditAction::RoleCreated, Some(AuditTarget::Role(role.id)), AuditOutcome::Success)?
            .with("name", role.name.as_str());
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(RoleView::custom(&role, self.policy()))
    }

    /// `PATCH /v1/tenants/{tid}/roles/{rid}`.
    pub async fn update_role(&self, scope: &TenantScope, id: RoleId, patch: RolePatch) -> Result<RoleView, RoleError> {
        self.require(scope, builtin::ROLES_MANAGE, AuditAction::RoleUpdated).await?;
        let name = patch.name.as_deref().map(RoleName::parse).transpose()?;
        let description = match patch.description {
            Some(Some(d)) => Some(Some(Description::parse(&d)?)),
            Some(None) => Some(None),
            None => None,
        };
        let permissions = patch.permissions.as_deref().map(|p| self.checked_permissions(scope, p)).transpose()?;
        let mut tx = self.begin(scope, Access::Write).await?;
        let sub = self.subscription(tx.as_mut()).await?;
        self.entitled(&sub, &Feature::custom_roles())?;
        let mut role = tx.role(id).await?.ok_or(AccessError::NotFound)?;
        if !Self::may_grant(scope, &self.policy().custom(&role)) {
            return Err(RoleError::Escalation);
        }
        if let Some(n) = name {
            role.name = n;
        }
        if let Some(d) = description {
            role.description = d;
        }
        if let Some(p) = permissions {
            role.permissions = p;
        }
        match tx.update_role(&role).await {
            Err(StoreError::Conflict(_)) => {
                return Err(RoleError::NameTaken(role.name.as_str().to_owned()));
            }
            other => other?,
        }
        let event = self.event(scope, AuditAction::RoleUpdated, Some(AuditTarget::Role(id)), AuditOutcome::Success)?;
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(RoleView::custom(&role, self.policy()))
    }

    /// `DELETE /v1/tenants/{tid}/roles/{rid}`: refused while users or pending invitations hold it.
    pub async fn delete_role(&self, scope: &TenantScope, id: RoleId) -> Result<(), RoleError> {
        self.require(scope, builtin::ROLES_MANAGE, AuditAction::RoleDeleted).await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        let role = tx.role(id).await?.ok_or(AccessError::NotFound)?;
        if !Self::may_grant(scope, &self.policy().custom(&role)) {
            return Err(RoleError::Escalation);
        }
        let holder = RoleRef::Custom(id);
        let users = super::steps::count(tx.users().await?.iter().filter(|u| u.role() == holder));
        let invitations =
            super::steps::count(tx.invitations().await?.iter().filter(|i| i.role() == holder && i.is_pending(now)));
        if users > 0 || invitations > 0 {
            return Err(RoleError::InUse { users, invitations });
        }
        tx.delete_role(id).await?;
        let event = self
            .event(scope, AuditAction::RoleDeleted, Some(AuditTarget::Role(id)), AuditOutcome::Success)?
            .with("name", role.name.as_str());
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(())
    }
}
