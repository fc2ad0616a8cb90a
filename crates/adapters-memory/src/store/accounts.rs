//! The tenant's people and their access in a unit of work: the tenant row,
//! users, invitations, API keys, custom roles, sessions, account links and
//! the credential ledger.

use super::{CredentialNote, MemTenantTx, TenantData, lock, mfa_fingerprint, mismatch};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tenantry_domain::ResetId;
use tenantry_domain::SessionId;
use tenantry_domain::password_reset::PasswordReset;
use tenantry_domain::rbac::{CustomRole, RoleRef};
use tenantry_domain::session::{Session, SessionEnd, SessionOwner};
use tenantry_domain::{ApiKey, ApiKeyId, Email, Invitation, InvitationId, RoleId, Tenant, User, UserId};
use tenantry_ports::error::{Constraint, StoreError};
use tenantry_ports::store::{
    ApiKeyStore, CredentialLedger, CredentialStore, InvitationStore, ResetStore, RoleStore, SessionStore, TenantStore,
    UserStore,
};

#[async_trait]
impl TenantStore for MemTenantTx {
    async fn tenant(&mut self) -> Result<Option<Tenant>, StoreError> {
        self.live()?;
        Ok(self.work.tenant.clone())
    }
    async fn insert_tenant(&mut self, tenant: &Tenant) -> Result<(), StoreError> {
        self.writable()?;
        self.own(tenant.id(), "a tenant row")?;
        if self.work.tenant.is_some() {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        if self.slug_taken_by_other(tenant.slug()) {
            return Err(self.conflict(Constraint::TenantSlug));
        }
        self.work.tenant = Some(tenant.clone());
        self.purged = false;
        Ok(())
    }
    async fn update_tenant(&mut self, tenant: &Tenant) -> Result<(), StoreError> {
        self.writable()?;
        self.own(tenant.id(), "a tenant row")?;
        match &mut self.work.tenant {
            Some(t) => {
                let slug = t.slug().clone();
                *t = Tenant::restore(tenantry_domain::TenantRecord { slug, ..tenant.record() });
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }
    async fn purge_tenant(&mut self) -> Result<(), StoreError> {
        self.writable()?;
        self.work = TenantData::default();
        self.appended.clear();
        self.purged = true;
        Ok(())
    }
}

#[async_trait]
impl UserStore for MemTenantTx {
    async fn user(&mut self, id: UserId) -> Result<Option<User>, StoreError> {
        self.live()?;
        Ok(self.work.users.get(&id).cloned())
    }
    async fn user_by_email(&mut self, email: &Email) -> Result<Option<User>, StoreError> {
        self.live()?;
        Ok(self.work.users.values().find(|u| *u.email() == *email).cloned())
    }
    async fn users(&mut self) -> Result<Vec<User>, StoreError> {
        self.live()?;
        let mut users: Vec<User> = self.work.users.values().cloned().collect();
        users.sort_by_key(|u| (u.created_at(), u.id()));
        Ok(users)
    }
    async fn insert_user(&mut self, user: &User) -> Result<(), StoreError> {
        self.writable()?;
        self.own(user.tenant_id(), "a user")?;
        if self.work.tenant.is_none() {
            return Err(StoreError::Unknown(anyhow::anyhow!("foreign key: the tenant does not exist")));
        }
        if self.work.users.contains_key(&user.id()) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        if self.work.users.values().any(|u| u.email() == user.email()) {
            return Err(self.conflict(Constraint::UserEmail));
        }
        self.role_exists(user.role())?;
        self.work.users.insert(user.id(), user.clone());
        self.credential_notes.push(CredentialNote::of(user));
        Ok(())
    }
    async fn update_user(&mut self, user: &User) -> Result<(), StoreError> {
        self.writable()?;
        self.own(user.tenant_id(), "a user")?;
        let Some(before) = self.work.users.get(&user.id()) else {
            return Err(StoreError::NotFound);
        };
        let credentials_changed = before.token_version() != user.token_version()
            || before.password_hash() != user.password_hash()
            || before.is_active() != user.is_active()
            || mfa_fingerprint(before) != mfa_fingerprint(user);
        if self.work.users.values().any(|u| u.email() == user.email() && u.id() != user.id()) {
            return Err(self.conflict(Constraint::UserEmail));
        }
        self.role_exists(user.role())?;
        self.work.users.insert(user.id(), user.clone());
        if credentials_changed {
            self.credential_notes.push(CredentialNote::of(user));
        }
        Ok(())
    }
    async fn delete_user(&mut self, id: UserId) -> Result<(), StoreError> {
        self.writable()?;
        self.work.users.remove(&id).ok_or(StoreError::NotFound)?;
        self.work.sessions.retain(|_, s| s.owner() != SessionOwner::User(id));
        self.credential_notes.push(CredentialNote::Removed(id));
        Ok(())
    }
}

#[async_trait]
impl InvitationStore for MemTenantTx {
    async fn invitation(&mut self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
        self.live()?;
        Ok(self.work.invitations.get(&id).cloned())
    }
    async fn invitations(&mut self) -> Result<Vec<Invitation>, StoreError> {
        self.live()?;
        let mut list: Vec<Invitation> = self.work.invitations.values().cloned().collect();
        list.sort_by_key(|i| std::cmp::Reverse((i.created_at(), i.id())));
        Ok(list)
    }
    async fn insert_invitation(&mut self, invitation: &Invitation) -> Result<(), StoreError> {
        self.writable()?;
        self.own(invitation.tenant_id(), "an invitation")?;
        if self.work.invitations.contains_key(&invitation.id()) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        self.role_exists(invitation.role())?;
        self.work.invitations.insert(invitation.id(), invitation.clone());
        Ok(())
    }
    async fn update_invitation(&mut self, invitation: &Invitation) -> Result<(), StoreError> {
        self.writable()?;
        self.own(invitation.tenant_id(), "an invitation")?;
        if !self.work.invitations.contains_key(&invitation.id()) {
            return Err(StoreError::NotFound);
        }
        self.role_exists(invitation.role())?;
        match self.work.invitations.get_mut(&invitation.id()) {
            Some(slot) => {
                *slot = invitation.clone();
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }
}

#[async_trait]
impl ApiKeyStore for MemTenantTx {
    async fn api_key(&mut self, id: ApiKeyId) -> Result<Option<ApiKey>, StoreError> {
        self.live()?;
        Ok(self.work.api_keys.get(&id).cloned())
    }
    async fn api_keys(&mut self) -> Result<Vec<ApiKey>, StoreError> {
        self.live()?;
        let mut keys: Vec<ApiKey> = self.work.api_keys.values().cloned().collect();
        keys.sort_by_key(|k| std::cmp::Reverse((k.created_at(), k.id())));
        Ok(keys)
    }
    async fn insert_api_key(&mut self, key: &ApiKey) -> Result<(), StoreError> {
        self.writable()?;
        self.own(key.tenant_id(), "an API key")?;
        if self.work.api_keys.contains_key(&key.id()) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        if !matches!(key.role(), RoleRef::Builtin(_)) {
            // Keys hold built-in roles only.
            return Err(self.conflict(Constraint::RoleReference));
        }
        self.work.api_keys.insert(key.id(), key.clone());
        Ok(())
    }
    async fn update_api_key(&mut self, key: &ApiKey) -> Result<(), StoreError> {
        self.writable()?;
        self.own(key.tenant_id(), "an API key")?;
        match self.work.api_keys.get_mut(&key.id()) {
            Some(slot) => {
                *slot = key.clone();
                if key.revoked_at().is_some() {
                    self.credential_notes.push(CredentialNote::KeyRevoked(key.id()));
                }
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }
}

#[async_trait]
impl RoleStore for MemTenantTx {
    async fn role(&mut self, id: RoleId) -> Result<Option<CustomRole>, StoreError> {
        self.live()?;
        Ok(self.work.roles.get(&id).cloned())
    }
    async fn roles(&mut self) -> Result<Vec<CustomRole>, StoreError> {
        self.live()?;
        let mut roles: Vec<CustomRole> = self.work.roles.values().cloned().collect();
        roles.sort_by(|a, b| a.name.as_str().to_lowercase().cmp(&b.name.as_str().to_lowercase()).then(a.id.cmp(&b.id)));
        Ok(roles)
    }
    async fn insert_role(&mut self, role: &CustomRole) -> Result<(), StoreError> {
        self.writable()?;
        self.own(role.tenant_id, "a role")?;
        if self.work.roles.contains_key(&role.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        let name = role.name.as_str().to_lowercase();
        if self.work.roles.values().any(|r| r.name.as_str().to_lowercase() == name) {
            return Err(self.conflict(Constraint::RoleName));
        }
        self.work.roles.insert(role.id, role.clone());
        Ok(())
    }
    async fn update_role(&mut self, role: &CustomRole) -> Result<(), StoreError> {
        self.writable()?;
        self.own(role.tenant_id, "a role")?;
        if !self.work.roles.contains_key(&role.id) {
            return Err(StoreError::NotFound);
        }
        let name = role.name.as_str().to_lowercase();
        if self.work.roles.values().any(|r| r.id != role.id && r.name.as_str().to_lowercase() == name) {
            return Err(self.conflict(Constraint::RoleName));
        }
        self.work.roles.insert(role.id, role.clone());
        Ok(())
    }
    async fn delete_role(&mut self, id: RoleId) -> Result<(), StoreError> {
        self.writable()?;
        if !self.work.roles.contains_key(&id) {
            return Err(StoreError::NotFound);
        }
        let referenced = RoleRef::Custom(id);
        if self.work.users.values().any(|u| u.role() == referenced) {
            return Err(self.conflict(Constraint::RoleReference));
        }
        self.work.invitations.retain(|_, i| i.role() != referenced);
        self.work.roles.remove(&id).map(|_| ()).ok_or(StoreError::NotFound)
    }
}

#[async_trait]
impl ResetStore for MemTenantTx {
    async fn insert_reset(&mut self, reset: &PasswordReset) -> Result<(), StoreError> {
        self.writable()?;
        self.own(reset.tenant_id, "a password reset")?;
        if !self.work.users.contains_key(&reset.user_id) {
            return Err(StoreError::Unknown(anyhow::anyhow!("foreign key: the user does not exist")));
        }
        if self.work.resets.contains_key(&reset.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        self.work.resets.insert(reset.id, reset.clone());
        Ok(())
    }
    async fn reset(&mut self, id: ResetId) -> Result<Option<PasswordReset>, StoreError> {
        self.live()?;
        Ok(self.work.resets.get(&id).cloned())
    }
    async fn update_reset(&mut self, reset: &PasswordReset) -> Result<(), StoreError> {
        self.writable()?;
        self.own(reset.tenant_id, "a password reset")?;
        match self.work.resets.get_mut(&reset.id) {
            Some(slot) => {
                *slot = reset.clone();
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }
    async fn expire_links_of(
        &mut self,
        user: UserId,
        purpose: tenantry_domain::password_reset::LinkPurpose,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.writable()?;
        let mut n = 0;
        for link in
            self.work.resets.values_mut().filter(|r| r.user_id == user && r.purpose == purpose && r.expires_at > at)
        {
            link.expires_at = at;
            n += 1;
        }
        Ok(n)
    }
    async fn expire_links(&mut self, at: DateTime<Utc>) -> Result<u64, StoreError> {
        self.writable()?;
        let mut n = 0;
        for link in self.work.resets.values_mut().filter(|r| r.expires_at > at) {
            link.expires_at = at;
            n += 1;
        }
        Ok(n)
    }
}

#[async_trait]
impl SessionStore for MemTenantTx {
    async fn insert_session(&mut self, session: &Session) -> Result<(), StoreError> {
        self.writable()?;
        let SessionOwner::User(user) = session.owner() else { return Err(mismatch("a superuser's session")) };
        if !self.work.users.contains_key(&user) {
            return Err(StoreError::Unknown(anyhow::anyhow!("foreign key: the user does not exist")));
        }
        if self.work.sessions.contains_key(&session.id()) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        self.work.sessions.insert(session.id(), session.clone());
        Ok(())
    }
    async fn session(&mut self, id: SessionId) -> Result<Option<Session>, StoreError> {
        self.live()?;
        Ok(self.work.sessions.get(&id).cloned())
    }
    async fn update_session(&mut self, session: &Session) -> Result<(), StoreError> {
        self.writable()?;
        match self.work.sessions.get_mut(&session.id()) {
            Some(slot) if slot.owner() == session.owner() => {
                *slot = session.clone();
                Ok(())
            }
            _ => Err(StoreError::NotFound),
        }
    }
    async fn sessions_of(&mut self, user: UserId) -> Result<Vec<Session>, StoreError> {
        self.live()?;
        let mut list: Vec<Session> = self
            .work
            .sessions
            .values()
            .filter(|s| s.owner() == SessionOwner::User(user) && s.ended().is_none())
            .cloned()
            .collect();
        list.sort_by_key(|s| std::cmp::Reverse((s.created_at(), s.id())));
        Ok(list)
    }
    async fn forget_sessions_of(&mut self, user: UserId, at: DateTime<Utc>) -> Result<u64, StoreError> {
        self.writable()?;
        let mut changed = 0;
        for s in self.work.sessions.values_mut().filter(|s| s.owner() == SessionOwner::User(user)) {
            if s.user_agent().is_some() || s.address().is_some() || s.ended().is_none() {
                s.forget_client();
                if s.ended().is_none() {
                    s.end(at, SessionEnd::Erased);
                }
                changed += 1;
            }
        }
        Ok(changed)
    }
}

#[async_trait]
impl CredentialStore for MemTenantTx {
    async fn credential_ledger(&mut self) -> Result<CredentialLedger, StoreError> {
        self.live()?;
        let mut ledger = lock(&self.inner.credentials).get(&self.tenant).cloned().unwrap_or_default();
        for note in &self.credential_notes {
            note.apply(&mut ledger);
        }
        Ok(ledger)
    }
}
