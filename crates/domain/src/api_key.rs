//! Tenant API keys: machine access to one tenant with one role. The secret is
//! shown once, at creation; only its SHA-256 hash is kept. A key acts as its
//! role — never more than the admin who made it could grant — and is audited
//! as itself. A revoked key stays listed (for the audit trail) and works no more.

use crate::ids::{ApiKeyId, TenantId, UserId};
use crate::rbac::RoleRef;
use crate::text::KeyName;
use crate::token::TokenHash;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Why a key change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyError {
    /// Already revoked.
    #[error("the key is already revoked")]
    AlreadyRevoked,
    /// Keys never hold the owner role.
    #[error("an API key cannot hold the owner role")]
    OwnerRole,
}

/// One key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiKey {
    /// Every field, private: read through the accessors, changed by the transitions.
    r: ApiKeyRecord,
}

/// ApiKey as a store keeps it: every field, for [`ApiKey::restore`] and
/// [`ApiKey::record`]. Changes go through [`ApiKey`]'s transitions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Its id (named in the key text).
    pub id: ApiKeyId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// What it is for.
    pub name: KeyName,
    /// The role it acts with.
    pub role: RoleRef,
    /// SHA-256 of the secret.
    pub secret_hash: TokenHash,
    /// Who made it.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Reading: one accessor per field (the fields are private, so that the only change is a revocation).
impl ApiKey {
    /// Its id (named in the key text).
    pub fn id(&self) -> ApiKeyId {
        self.r.id
    }
    /// Its tenant.
    pub fn tenant_id(&self) -> TenantId {
        self.r.tenant_id
    }
    /// What it is for.
    pub fn name(&self) -> &KeyName {
        &self.r.name
    }
    /// The role it acts with.
    pub fn role(&self) -> RoleRef {
        self.r.role
    }
    /// SHA-256 of the secret.
    pub fn secret_hash(&self) -> &TokenHash {
        &self.r.secret_hash
    }
    /// Who made it.
    pub fn created_by(&self) -> Option<UserId> {
        self.r.created_by
    }
    /// When.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.r.created_at
    }
    /// When it was revoked, if it was.
    pub fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.r.revoked_at
    }

    /// The apikey from what a store kept.
    pub fn restore(r: ApiKeyRecord) -> Self {
        Self { r }
    }

    /// What a store keeps of it.
    pub fn record(&self) -> ApiKeyRecord {
        self.r.clone()
    }
}

impl ApiKey {
    /// A new key (the caller generated the secret and checked the role may be granted).
    pub fn issue(
        id: ApiKeyId,
        tenant_id: TenantId,
        name: KeyName,
        role: RoleRef,
        secret_hash: TokenHash,
        created_by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Self, ApiKeyError> {
        if role.is_owner() {
            return Err(ApiKeyError::OwnerRole);
        }
        Ok(Self {
            r: ApiKeyRecord { id, tenant_id, name, role, secret_hash, created_by, created_at: now, revoked_at: None },
        })
    }

    /// Whether it still works.
    pub fn is_active(&self) -> bool {
        self.r.revoked_at.is_none()
    }

    /// Revokes it.
    pub fn revoke(&mut self, now: DateTime<Utc>) -> Result<(), ApiKeyError> {
        if self.r.revoked_at.is_some() {
            return Err(ApiKeyError::AlreadyRevoked);
        }
        self.r.revoked_at = Some(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::BuiltinRole;
    use secrecy::SecretString;

    fn key(role: RoleRef) -> Result<ApiKey, ApiKeyError> {
        ApiKey::issue(
            ApiKeyId::parse("01936b2e-0000-7000-8000-000000000004").unwrap(),
            TenantId::parse("01936b2e-0000-7000-8000-000000000002").unwrap(),
            KeyName::parse("CI").unwrap(),
            role,
            TokenHash::of(&SecretString::from("x".repeat(43))),
            None,
            DateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn a_key_is_revoked_once_and_never_holds_the_owner_role() {
        assert_eq!(key(RoleRef::OWNER), Err(ApiKeyError::OwnerRole));
        let mut k = key(RoleRef::Builtin(BuiltinRole::Viewer)).unwrap();
        assert!(k.is_active());
        k.revoke(DateTime::UNIX_EPOCH).unwrap();
        assert!(!k.is_active());
        assert_eq!(k.revoke(DateTime::UNIX_EPOCH), Err(ApiKeyError::AlreadyRevoked));
    }
}
