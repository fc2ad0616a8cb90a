//! Tenant API keys: machine access to one tenant with one built-in role (never
//! the owner's, never more than its creator holds). The key text is shown once;
//! only the hash of its secret is stored. A key acts — and is audited — as
//! itself (`Actor::ApiKey`), and stops working when revoked.

use super::access::Attempt;
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::scope::{Principal, TenantScope};
use crate::store::Access;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use tenantry_domain::api_key::ApiKeyError as KeyRule;
use tenantry_domain::audit::AuditTarget;
use tenantry_domain::rbac::{RbacError, builtin};
use tenantry_domain::text::{KeyName, TextError};
use tenantry_domain::token::{ApiKeyToken, TokenHash};
use tenantry_domain::{ApiKey, ApiKeyId, AuditAction, AuditOutcome, Feature, RoleRef, UserId};

/// Input of [`Tenantry::create_api_key`].
#[derive(Debug, Clone)]
pub struct ApiKeyInput {
    /// What it is for.
    pub name: String,
    /// A built-in role: admin, manager, member or viewer.
    pub role: String,
}

/// A key as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyView {
    /// Id.
    pub id: ApiKeyId,
    /// What it is for.
    pub name: String,
    /// Its role.
    pub role: RoleRef,
    /// Who made it.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<&ApiKey> for ApiKeyView {
    fn from(k: &ApiKey) -> Self {
        Self {
            id: k.id(),
            name: k.name().as_str().to_owned(),
            role: k.role(),
            created_by: k.created_by(),
            created_at: k.created_at(),
            revoked_at: k.revoked_at(),
        }
    }
}

/// A new key: the only time its text is shown.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyIssued {
    /// The key.
    pub key: ApiKeyView,
    /// `tkey_…`: send it as `Authorization: Bearer <key>`. Shown once.
    #[serde(serialize_with = "expose")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub secret: SecretString,
}

fn expose<S: serde::Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

/// Why a key was not created or revoked. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    /// Bad name.
    #[error(transparent)]
    InvalidName(#[from] TextError),
    /// Not a role a key may hold.
    #[error("an API key holds a built-in role other than owner: admin, manager, member or viewer")]
    InvalidRole,
    /// The role grants more than the creator holds.
    #[error("a key cannot have permissions you do not have")]
    Escalation,
    /// Already revoked.
    #[error(transparent)]
    Rule(#[from] KeyRule),
    /// Access.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(ApiKeyError);

impl From<RbacError> for ApiKeyError {
    fn from(_: RbacError) -> Self {
        ApiKeyError::InvalidRole
    }
}

crate::problem!(ApiKeyError {
    ApiKeyError::InvalidName(_) => ("invalid_name", Invalid),
    ApiKeyError::InvalidRole => ("invalid_role", Invalid),
    ApiKeyError::Rule(KeyRule::OwnerRole) => ("invalid_role", Invalid),
    ApiKeyError::Escalation => ("role_escalation", Forbidden),
    ApiKeyError::Rule(KeyRule::AlreadyRevoked) => ("already_revoked", Conflict),
    ApiKeyError::Access(e) => (via e),
    ApiKeyError::Infra(e) => (via e),
});

impl Tenantry {
    /// The principal a presented key claims to be (not yet checked: [`Tenantry::authorize`] does).
    /// `None` when the text is not a well-formed key.
    pub fn api_key_principal(text: &SecretString) -> Option<Principal> {
        let token = ApiKeyToken::parse(text.expose_secret()).ok()?;
        Some(Principal::ApiKey {
            tenant_id: token.tenant_id,
            key_id: token.key_id,
            secret_hash: TokenHash::of(&token.secret),
        })
    }

    /// `POST /v1/tenants/{tid}/api-keys`: a new key, its text shown once.
    pub async fn create_api_key(&self, scope: &TenantScope, input: ApiKeyInput) -> Result<ApiKeyIssued, ApiKeyError> {
        self.require(scope, builtin::API_KEYS_MANAGE, AuditAction::ApiKeyCreated).await?;
        // A premium feature: freemium lists and revokes its keys but makes none.
        self.require_feature::<ApiKeyError>(scope, &Feature::api_keys()).await?;
        let name = KeyName::parse(&input.name)?;
        let (role, builtin_role) = match RoleRef::parse(&input.role)? {
            RoleRef::Builtin(b) if !RoleRef::Builtin(b).is_owner() => (RoleRef::Builtin(b), b),
            _ => return Err(ApiKeyError::InvalidRole),
        };
        if !Self::may_grant(scope, &self.policy().builtin(builtin_role)) {
            return Err(ApiKeyError::Escalation);
        }
        let now = self.now();
        let id: ApiKeyId = self.new_id()?;
        let secret = self.new_secret()?;
        let key =
            ApiKey::issue(id, scope.tenant_id(), name, role, TokenHash::of(&secret), scope.actor().user_id(), now)?;
        let text = ApiKeyToken { tenant_id: scope.tenant_id(), key_id: id, secret }.to_secret_string();
        let mut tx = self.begin(scope, Access::Write).await?;
        tx.insert_api_key(&key).await?;
        let event = self
            .event(scope, AuditAction::ApiKeyCreated, Some(AuditTarget::ApiKey(id)), AuditOutcome::Success)?
            .with("name", key.name().as_str())
            .with("role", role);
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(ApiKeyIssued { key: ApiKeyView::from(&key), secret: text })
    }

    /// `GET /v1/tenants/{tid}/api-keys`: every key, newest first, never a secret.
    pub async fn list_api_keys(&self, scope: &TenantScope) -> Result<Vec<ApiKeyView>, ApiKeyError> {
        self.require(scope, builtin::API_KEYS_MANAGE, Attempt::ReadApiKeys).await?;
        let mut tx = self.begin(scope, Access::Read).await?;
        Ok(tx.api_keys().await?.iter().map(ApiKeyView::from).collect())
    }

    /// `DELETE /v1/tenants/{tid}/api-keys/{kid}`: the key stops working at once.
    pub async fn revoke_api_key(&self, scope: &TenantScope, id: ApiKeyId) -> Result<ApiKeyView, ApiKeyError> {
        self.require(scope, builtin::API_KEYS_MANAGE, AuditAction::ApiKeyRevoked).await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut key = tx.api_key(id).await?.ok_or(AccessError::NotFound)?;
        key.revoke(now)?;
        tx.update_api_key(&key).await?;
        let event =
            self.event(scope, AuditAction::ApiKeyRevoked, Some(AuditTarget::ApiKey(id)), AuditOutcome::Success)?;
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(ApiKeyView::from(&key))
    }
}
