//! The contract of [`UnitOfWork`] and every store port (see `tenantry_ports::store`).

use super::{Broken, Context};
use crate::ensure;
use crate::harness::{Harness, Stores, TestTenant};
use async_trait::async_trait;
use chrono::Duration;
use secrecy::SecretString;
use std::collections::BTreeSet;
use std::sync::Arc;
use tenantry_domain::password::PasswordHash;
use tenantry_domain::rbac::{CustomRole, PermissionName, RoleName};
use tenantry_domain::text::{AdText, HttpsUrl, KeyName, PersonName};
use tenantry_domain::token::TokenHash;
use tenantry_domain::user::PlatformUser;
use tenantry_domain::{
    AdCampaign, AdFormat, AdTarget, ApiKey, AuditAction, AuditActor, AuditEvent, AuditOutcome, AuditTarget,
    BuiltinRole, Email, EntityId, Invitation, InvitationRecord, Period, RoleRef, TenantId, User, UserId,
};
use tenantry_ports::error::{Constraint, StoreError};
use tenantry_ports::payment::{Invoice, InvoiceStatus};
use tenantry_ports::store::{Access, AdCountKind, AuditQuery, Month, UsageDelta};
use tenantry_ports::{Clock, TenantScope, UnitOfWork};

/// Makes the stores of a harness on a fresh, empty store, following the
/// harness's clock.
pub type FreshStores = Box<dyn FnOnce(Arc<dyn Clock>) -> Stores + Send>;

/// Makes fresh, empty stores (a new database per call for SQL adapters).
#[async_trait]
pub trait StoreFactory: Send + Sync {
    /// A fresh store, its directory and its operator, for a harness's clock.
    async fn fresh(&self) -> FreshStores;
}

/// In-memory stores.
pub struct MemoryFactory;

#[async_trait]
impl StoreFactory for MemoryFactory {
    async fn fresh(&self) -> FreshStores {
        Box::new(|clock| Stores::memory(&crate::memory::MemoryStore::with_clock(clock)))
    }
}

/// Two tenants signed up on a fresh store, with their owners' scopes.
pub struct Fixture {
    /// The harness on the store under test.
    pub h: Harness,
    /// The store.
    pub store: Arc<dyn UnitOfWork>,
    /// First tenant.
    pub a: TestTenant,
    /// Second tenant.
    pub b: TestTenant,
    /// Owner scope of `a`.
    pub sa: TenantScope,
    /// Owner scope of `b`.
    pub sb: TenantScope,
}

impl Fixture {
    /// Signs up `alpha` and `beta` on a fresh store.
    pub async fn new(factory: &dyn StoreFactory) -> Result<Fixture, Broken> {
        let make = factory.fresh().await;
        let h = Harness::builder().stores(make).build();
        let store = h.tenantry.deps().store.clone();
        let a = h.signup("alpha").await.ctx("signup alpha")?;
        let b = h.signup("beta").await.ctx("signup beta")?;
        let sa = h.owner_scope(&a).await.ctx("scope alpha")?;
        let sb = h.owner_scope(&b).await.ctx("scope beta")?;
        Ok(Fixture { h, store, a, b, sa, sb })
    }

    fn id<T: EntityId>(&self) -> Result<T, Broken> {
        T::from_uuid(self.h.tenantry.deps().ids.new_uuid()).ctx("id")
    }

    /// A new member of `tenant`.
    pub fn user(&self, tenant: TenantId, email: &str) -> Result<User, Broken> {
        Ok(User::new(
            self.id()?,
            tenant,
            Email::parse(email).ctx("email")?,
            PersonName::parse("Test User").ctx("name")?,
            RoleRef::Builtin(BuiltinRole::Member),
            PasswordHash::from_encoded(SecretString::from("$fast-sha256$x")),
            self.h.clock_now(),
        ))
    }

    /// A new invitation of `tenant`.
    pub fn invitation(&self, tenant: TenantId, email: &str, minutes: i64) -> Result<Invitation, Broken> {
        Ok(Invitation::issue(
            self.id()?,
            tenant,
            Email::parse(email).ctx("email")?,
            RoleRef::Builtin(BuiltinRole::Member),
            TokenHash::of(&SecretString::from("s".repeat(64))),
            None,
            self.h.clock_now() + Duration::minutes(minutes),
            7,
        ))
    }

    /// A new API key of `tenant` with `role`, made `minutes` after now.
    pub fn api_key(&self, tenant: TenantId, role: RoleRef, minutes: i64) -> Result<ApiKey, Broken> {
        Ok(ApiKey::restore(tenantry_domain::ApiKeyRecord {
            id: self.id()?,
            tenant_id: tenant,
            name: KeyName::parse("CI").ctx("key name")?,
            role,
            secret_hash: TokenHash::of(&SecretString::from("k".repeat(64))),
            created_by: None,
            created_at: self.h.clock_now() + Duration::minutes(minutes),
            revoked_at: None,
        }))
    }

    /// A new custom role of `tenant`.
    pub fn role(&self, tenant: TenantId, name: &str) -> Result<CustomRole, Broken> {
        Ok(CustomRole {
            id: self.id()?,
            tenant_id: tenant,
            name: RoleName::parse(name).ctx("role name")?,
            description: None,
            permissions: BTreeSet::from([PermissionName::parse("users:read").ctx("permission")?]),
            created_at: self.h.clock_now(),
        })
    }

    /// A new audit event in `tenant`'s log.
    pub fn event(
        &self,
        tenant: Option<TenantId>,
        action: AuditAction,
        user: Option<UserId>,
    ) -> Result<AuditEvent, Broken> {
        Ok(AuditEvent {
            id: self.id()?,
            at: self.h.clock_now(),
            tenant_id: tenant,
            actor: user.map_or(AuditActor::Anonymous, AuditActor::User),
            action,
            target: user.map(AuditTarget::User),
            outcome: AuditOutcome::Success,
            details: Default::default(),
        })
    }
}

fn conflict(r: Result<(), StoreError>, c: Constraint) -> bool {
    matches!(r, Err(StoreError::Conflict(got)) if got == c)
}

/// Runs every clause, each on a fresh store.
pub async fn run(factory: &dyn StoreFactory) -> Result<(), Broken> {
    users(&Fixture::new(factory).await?).await?;
    invitations(&Fixture::new(factory).await?).await?;
    roles(&Fixture::new(factory).await?).await?;
    role_references(&Fixture::new(factory).await?).await?;
    api_keys(&Fixture::new(factory).await?).await?;
    subscription_invoices_and_events(&Fixture::new(factory).await?).await?;
    audit(&Fixture::new(factory).await?).await?;
    usage_storage_and_markers(&Fixture::new(factory).await?).await?;
    tenant_row_and_purge(&Fixture::new(factory).await?).await?;
    rollback_and_read_only(&Fixture::new(factory).await?).await?;
    a_conflict_aborts_the_unit_of_work(&Fixture::new(factory).await?).await?;
    writers_of_one_tenant_are_serialised(&Fixture::new(factory).await?).await?;
    tenants_do_not_wait_for_each_other(&Fixture::new(factory).await?).await?;
    a_unit_of_work_reaches_only_its_tenant(&Fixture::new(factory).await?).await?;
    subscriptions_belong_to_one_tenant(&Fixture::new(factory).await?).await?;
    foreign_writes_are_refused(&Fixture::new(factory).await?).await?;
    jobs_and_exports(&Fixture::new(factory).await?).await?;
    outbox(&Fixture::new(factory).await?).await?;
    platform(&Fixture::new(factory).await?).await?;
    promotion_codes(&Fixture::new(factory).await?).await?;
    sessions(&Fixture::new(factory).await?).await?;
    superuser_sessions(&Fixture::new(factory).await?).await?;
    credential_ledger(&Fixture::new(factory).await?).await?;
    superuser_mfa(&Fixture::new(factory).await?).await?;
    superuser_profile(&Fixture::new(factory).await?).await?;
    profiles_and_address_links(&Fixture::new(factory).await?).await?;
    authorization_reads(&Fixture::new(factory).await?).await?;
    Ok(())
}

/// What authorising reads, in the first step of a unit of work
/// (`begin_authorizing`): exactly what reading it fact by fact answers — the
/// named user, session and key, the custom role of the user, the subscription
/// — and nothing of another tenant, whose ids read as absent; the unit of work
/// it comes with is of its tenant and works (a read one refuses writes).
pub async fn authorization_reads(f: &Fixture) -> Result<(), Broken> {
    use tenantry_domain::session::{Session, SessionKind, SessionOwner};
    use tenantry_ports::store::{AuthorizationRead, read_authorization_facts};
    let now = f.h.clock_now();
    let approver = f.role(f.a.id, "approver")?;
    let member = crate::edited_user(&f.user(f.a.id, "approver@alpha.example.com")?, |u| {
        u.role = RoleRef::Custom(approver.id);
    });
    let session = Session::begin(f.id()?, SessionOwner::User(member.id()), SessionKind::Web, 0, now, None, None, None);
    let key = f.api_key(f.a.id, RoleRef::Builtin(BuiltinRole::Viewer), 0)?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    tx.insert_role(&approver).await.ctx("insert role")?;
    tx.insert_user(&member).await.ctx("insert user")?;
    tx.insert_session(&session).await.ctx("insert session")?;
    tx.insert_api_key(&key).await.ctx("insert key")?;
    tx.commit().await.ctx("commit")?;
    let reads = [
        AuthorizationRead { user: Some(member.id()), session: Some(session.id()), api_key: None },
        AuthorizationRead { user: Some(f.a.owner_id), session: None, api_key: None },
        AuthorizationRead { api_key: Some(key.id()), ..Default::default() },
        AuthorizationRead::default(),
        AuthorizationRead { user: Some(f.id()?), session: Some(f.id()?), api_key: Some(f.id()?) },
    ];
    for (scope, tenant) in [(&f.sa, f.a.id), (&f.sb, f.b.id)] {
        for read in &reads {
            let (mut tx, facts) =
                f.store.begin_authorizing(scope, Access::Read, read).await.ctx("begin authorizing")?;
            let mut fresh = f.store.begin(scope, Access::Read).await.ctx("begin")?;
            let expected = read_authorization_facts(fresh.as_mut(), read).await.ctx("read one by one")?;
            ensure!(facts == expected, "the batched facts differ from the facts one by one for {read:?}");
            ensure!(
                facts.subscription.as_ref().map(|s| s.tenant_id()) == Some(tenant),
                "the facts' subscription is the unit of work's tenant's"
            );
            ensure!(
                tx.tenant().await.ctx("tenant")?.map(|t| t.id()) == Some(tenant),
                "the unit of work it comes with is not of its tenant"
            );
            // A store may keep what it read while authorising; whatever it
            // answers again is what a fresh read answers, and only for the row asked.
            ensure!(
                tx.tenant().await.ctx("tenant")? == fresh.tenant().await.ctx("fresh tenant")?,
                "the unit of work answers its tenant other than a fresh read"
            );
            for id in [read.user, Some(f.a.owner_id), Some(f.b.owner_id), Some(member.id())].into_iter().flatten() {
                ensure!(
                    tx.user(id).await.ctx("user")? == fresh.user(id).await.ctx("fresh user")?,
                    "the unit of work answers user {id} other than a fresh read"
                );
            }
            ensure!(
                tx.insert_api_key(&f.api_key(tenant, RoleRef::Builtin(BuiltinRole::Viewer), 1)?).await.is_err(),
                "a read unit of work took a write"
            );
        }
    }
    let (_, facts) = f.store.begin_authorizing(&f.sa, Access::Read, &reads[0]).await.ctx("begin authorizing")?;
    ensure!(
        facts.user.as_ref() == Some(&member)
            && facts.session.as_ref() == Some(&session)
            && facts.custom_role.as_ref() == Some(&approver)
            && facts.api_key.is_none(),
        "the member, their session and their custom role are read"
    );
    let (_, facts) = f.store.begin_authorizing(&f.sa, Access::Read, &reads[2]).await.ctx("begin authorizing")?;
    ensure!(facts.api_key.as_ref() == Some(&key) && facts.custom_role.is_none(), "the key is read");
    let (_, facts) = f.store.begin_authorizing(&f.sb, Access::Read, &reads[0]).await.ctx("begin authorizing b")?;
    ensure!(
        facts.user.is_none() && facts.session.is_none() && facts.custom_role.is_none(),
        "tenant B's unit of work read tenant A's user, session or role"
    );
    let (_, facts) = f.store.begin_authorizing(&f.sb, Access::Read, &reads[2]).await.ctx("begin authorizing b")?;
    ensure!(facts.api_key.is_none(), "tenant B's unit of work read tenant A's key");
    // A writer's: its writes commit.
    let (mut tx, _) = f.store.begin_authorizing(&f.sa, Access::Write, &reads[1]).await.ctx("begin authorizing")?;
    let later = f.api_key(f.a.id, RoleRef::Builtin(BuiltinRole::Viewer), 2)?;
    tx.insert_api_key(&later).await.ctx("insert key")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Read).await.ctx("begin")?;
    ensure!(tx.api_key(later.id()).await.ctx("key")?.is_some(), "a writer's unit of work lost its write");
    Ok(())
}

/// The superuser's second factor on the platform's store: an enrolment
/// begins (dated by the store) only while none is enabled; a save holds only
/// when it moves forward (`Mfa::may_follow`), so a code saved once cannot be
/// saved again (two logins racing with it); the operator's reset removes it
/// and ends the sessions.
pub async fn superuser_mfa(f: &Fixture) -> Result<(), Broken> {
    use tenantry_domain::mfa::{Mfa, TotpSecret, code_at};
    let email = "second@platform.example.com";
    let su = match f.h.superuser(email).await.ctx("superuser")? {
        tenantry_ports::Principal::Superuser { id, .. } => id,
        _ => return Err(Broken("not a superuser".into())),
    };
    let now = f.h.clock_now();
    let secret = TotpSecret::from_bytes([7; 20]);
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    ensure!(tx.begin_superuser_mfa(su, &secret).await.ctx("begin mfa")?, "an enrolment begins");
    ensure!(!tx.begin_superuser_mfa(f.id()?, &secret).await.ctx("begin mfa")?, "no enrolment for no superuser");
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let pending = tx.superuser(su).await.ctx("read")?.and_then(|s| s.mfa).ctx("the enrolment")?;
    ensure!(pending.secret == secret && pending.started_at == now && !pending.is_enabled(), "stored: {pending:?}");
    let mut on = pending.clone();
    let code = code_at(&secret, now).ctx("code")?;
    on.confirm(secrecy::ExposeSecret::expose_secret(&code), now, Vec::new()).ctx("confirm")?;
    let forged = Mfa { secret: TotpSecret::from_bytes([8; 20]), ..on.clone() };
    ensure!(!tx.save_superuser_mfa(su, &forged).await.ctx("save")?, "another secret is never saved");
    ensure!(tx.save_superuser_mfa(su, &on).await.ctx("save")?, "the confirmation is saved");
    ensure!(!tx.save_superuser_mfa(su, &on).await.ctx("save")?, "the same code is not saved twice");
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let stored = tx.superuser(su).await.ctx("read")?.and_then(|s| s.mfa).ctx("the enrolment")?;
    ensure!(stored.is_enabled() && stored.last_used_step == on.last_used_step, "enabled: {stored:?}");
    ensure!(!tx.begin_superuser_mfa(su, &TotpSecret::from_bytes([9; 20])).await.ctx("begin")?, "an enabled one stays");
    ensure!(
        !tx.save_superuser_mfa(su, &pending).await.ctx("save")?,
        "an enabled second factor never goes back to pending"
    );
    drop(tx);
    let version = {
        let mut tx = f.store.begin_platform().await.ctx("begin")?;
        tx.superuser(su).await.ctx("read")?.ctx("the superuser")?.token_version
    };
    let reset = f.event(None, AuditAction::MfaReset, None)?;
    let address = Email::parse(email).ctx("email")?;
    ensure!(f.h.operator.reset_superuser_mfa(&address, &reset).await.ctx("reset")?, "the operator resets it");
    let nobody = Email::parse("nobody@platform.example.com").ctx("email")?;
    ensure!(!f.h.operator.reset_superuser_mfa(&nobody, &reset).await.ctx("reset")?, "no such superuser: false");
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let after = tx.superuser(su).await.ctx("read")?.ctx("the superuser")?;
    ensure!(after.mfa.is_none() && after.token_version > version, "reset and signed out: {after:?}");
    Ok(())
}

/// A superuser's own name (the service's only write of their profile), and
/// their password set by the operator: a lock lifted, their sessions ended.
pub async fn superuser_profile(f: &Fixture) -> Result<(), Broken> {
    let email = "named@platform.example.com";
    let su = match f.h.superuser(email).await.ctx("superuser")? {
        tenantry_ports::Principal::Superuser { id, .. } => id,
        _ => return Err(Broken("not a superuser".into())),
    };
    let name = PersonName::parse("Olga Ops").ctx("name")?;
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    ensure!(tx.rename_superuser(su, &name).await.ctx("rename")?, "a superuser renames themselves");
    ensure!(!tx.rename_superuser(f.id()?, &name).await.ctx("rename")?, "no such superuser: false");
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let before = tx.superuser(su).await.ctx("read")?.ctx("the superuser")?;
    ensure!(before.name == name, "the name reads back: {:?}", before.name);
    drop(tx);
    let hash = tenantry_domain::password::PasswordHash::from_encoded(SecretString::from(
        "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
    ));
    let event = f.event(None, AuditAction::PasswordChanged, None)?;
    let address = Email::parse(email).ctx("email")?;
    ensure!(f.h.operator.set_superuser_password(&address, &hash, &event).await.ctx("set")?, "the operator sets it");
    let nobody = Email::parse("nobody@platform.example.com").ctx("email")?;
    ensure!(!f.h.operator.set_superuser_password(&nobody, &hash, &event).await.ctx("set")?, "no such superuser");
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let after = tx.superuser(su).await.ctx("read")?.ctx("the superuser")?;
    ensure!(
        after.password_hash.expose() == hash.expose() && after.token_version > before.token_version,
        "the password is set and the sessions ended"
    );
    Ok(())
}

/// A user's language and time zone read back; an e-mail change link keeps
/// its new address; the directory's `tenants_of_email` finds the tenants
/// where an active user has proven an address (committed state, oldest
/// first) and nothing else.
pub async fn profiles_and_address_links(f: &Fixture) -> Result<(), Broken> {
    use tenantry_domain::password_reset::{LinkPurpose, PasswordReset};
    use tenantry_domain::preferences::{Language, Preferences, TimeZone};
    let shared = "shared@example.com";
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let mut ann = f.user(f.a.id, shared)?;
    ann.verify_email(f.h.clock_now());
    ann.choose(Preferences {
        language: Some(Language::Nl),
        time_zone: Some(TimeZone::parse("Europe/Amsterdam").ctx("zone")?),
    });
    tx.insert_user(&ann).await.ctx("insert")?;
    ensure!(tx.user(ann.id()).await.ctx("get")?.as_ref() == Some(&ann), "preferences read back");
    let to = Email::parse("ann.new@example.com").ctx("email")?;
    let secret = SecretString::from("s".repeat(43));
    let link = PasswordReset::email_change(f.id()?, f.a.id, ann.id(), to.clone(), &secret, f.h.clock_now());
    tx.insert_reset(&link).await.ctx("insert link")?;
    let read = tx.reset(link.id).await.ctx("read link")?.ctx("the link")?;
    ensure!(read == link && read.purpose == LinkPurpose::EmailChange && read.new_email == Some(to), "{read:?}");
    tx.commit().await.ctx("commit")?;
    let dir = f.h.tenantry.deps().directory.clone();
    let address = Email::parse(shared).ctx("email")?;
    ensure!(dir.tenants_of_email(&address).await.ctx("lookup")? == vec![f.a.id], "alpha has the address");
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    let unproven = f.user(f.b.id, shared)?;
    txb.insert_user(&unproven).await.ctx("insert b")?;
    txb.commit().await.ctx("commit b")?;
    ensure!(dir.tenants_of_email(&address).await.ctx("lookup")? == vec![f.a.id], "an unproven address is not named");
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    let mut bob = unproven.clone();
    bob.verify_email(f.h.clock_now());
    txb.update_user(&bob).await.ctx("prove b")?;
    ensure!(dir.tenants_of_email(&address).await.ctx("lookup")? == vec![f.a.id], "an uncommitted user is not seen");
    txb.commit().await.ctx("commit b")?;
    ensure!(dir.tenants_of_email(&address).await.ctx("lookup")? == vec![f.a.id, f.b.id], "both tenants, oldest first");
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    let gone = crate::edited_user(&bob, |u| {
        u.status = tenantry_domain::user::UserStatus::Deactivated {
            at: f.h.clock_now(),
            reason: tenantry_domain::user::DeactivationReason::Admin,
        }
    });
    txb.update_user(&gone).await.ctx("deactivate")?;
    txb.commit().await.ctx("commit b")?;
    ensure!(dir.tenants_of_email(&address).await.ctx("lookup")? == vec![f.a.id], "a deactivated user is not named");
    let none = Email::parse("nobody@example.com").ctx("email")?;
    ensure!(dir.tenants_of_email(&none).await.ctx("lookup")?.is_empty(), "an unknown address finds nothing");
    Ok(())
}

/// A tenant's sessions: insert, read, update (a rotation, an end), the
/// user's live ones newest first; another tenant sees none, writes none.
pub async fn sessions(f: &Fixture) -> Result<(), Broken> {
    use tenantry_domain::session::{Session, SessionEnd, SessionKind, SessionOwner};
    let now = f.h.clock_now();
    let owner = SessionOwner::User(f.a.owner_id);
    let first = Session::begin(f.id()?, owner, SessionKind::Api, 0, now, None, Some("curl/8"), None);
    let second = Session::begin(f.id()?, owner, SessionKind::Web, 0, now + Duration::seconds(1), None, None, None);
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    tx.insert_session(&first).await.ctx("insert")?;
    tx.insert_session(&second).await.ctx("insert")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    ensure!(tx.session(first.id()).await.ctx("get")?.as_ref() == Some(&first), "a session reads back unchanged");
    let listed: Vec<_> = tx.sessions_of(f.a.owner_id).await.ctx("list")?.into_iter().map(|s| s.id()).collect();
    // (Signup began one too; the two written here come first, newest first.)
    ensure!(listed.starts_with(&[second.id(), first.id()]), "live sessions come newest first: {listed:?}");
    let mut rotated = first.clone();
    ensure!(rotated.rotate(0, now, 0) == Ok(1), "the domain rotates");
    tx.update_session(&rotated).await.ctx("update")?;
    let mut ended = second.clone();
    ended.end(now, SessionEnd::Revoked);
    tx.update_session(&ended).await.ctx("end")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Read).await.ctx("begin")?;
    ensure!(tx.session(first.id()).await.ctx("get")?.as_ref() == Some(&rotated), "a rotation persists");
    ensure!(tx.session(second.id()).await.ctx("get")?.as_ref() == Some(&ended), "an end persists");
    let live: Vec<_> = tx.sessions_of(f.a.owner_id).await.ctx("list")?.into_iter().map(|s| s.id()).collect();
    ensure!(!live.contains(&second.id()) && live.contains(&first.id()), "an ended session is not listed: {live:?}");
    drop(tx);
    // Tenant B: nothing to see, nothing to write.
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    ensure!(txb.session(first.id()).await.ctx("get")?.is_none(), "tenant B reads tenant A's session");
    ensure!(txb.sessions_of(f.a.owner_id).await.ctx("list")?.is_empty(), "tenant B lists tenant A's sessions");
    ensure!(txb.update_session(&rotated).await.is_err(), "tenant B updated tenant A's session");
    drop(txb);
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    let foreign = Session::begin(f.id()?, owner, SessionKind::Api, 0, now, None, None, None);
    ensure!(txb.insert_session(&foreign).await.is_err(), "tenant B wrote a session of tenant A's user");
    drop(txb);
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    ensure!(txb.forget_sessions_of(f.a.owner_id, now).await.ctx("forget b")? == 0, "tenant B erased A's sessions");
    txb.commit().await.ctx("commit b")?;
    // An erasure forgets every session's client, ended ones too, and ends the live ones.
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let forgotten = tx.forget_sessions_of(f.a.owner_id, now).await.ctx("forget")?;
    ensure!(forgotten >= 2, "both sessions (and signup's) are forgotten: {forgotten}");
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Read).await.ctx("begin")?;
    let first_now = tx.session(first.id()).await.ctx("get")?.ok_or_else(|| Broken("the session is gone".into()))?;
    ensure!(first_now.user_agent().is_none() && first_now.address().is_none(), "the client is forgotten");
    ensure!(first_now.ended().map(|(_, why)| why) == Some(SessionEnd::Erased), "a live session ends: {first_now:?}");
    let second_now = tx.session(second.id()).await.ctx("get")?.ok_or_else(|| Broken("the session is gone".into()))?;
    ensure!(second_now.ended() == ended.ended(), "an ended session keeps its end");
    ensure!(tx.sessions_of(f.a.owner_id).await.ctx("list")?.is_empty(), "no session of the erased user is live");
    Ok(())
}

/// The superuser's sessions on the platform's store: begun at the store's
/// now and the superuser's version; rotated atomically (a reused generation
/// ends the session); touched; ended; a version moved on ends them all.
pub async fn superuser_sessions(f: &Fixture) -> Result<(), Broken> {
    use tenantry_domain::session::{RefreshError, SessionEnd, SessionKind, SessionOwner};
    let su = match f.h.superuser("keeper@platform.example.com").await.ctx("superuser")? {
        tenantry_ports::Principal::Superuser { id, .. } => id,
        _ => return Err(Broken("not a superuser".into())),
    };
    let now = f.h.clock_now();
    let id = f.id()?;
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let started = tx
        .start_superuser_session(id, su, SessionKind::Web, Some("Firefox".into()), Some("203.0.113.0/24".into()))
        .await
        .ctx("start")?
        .ctx("a session for an active superuser")?;
    ensure!(
        started.owner() == SessionOwner::Superuser(su)
            && started.created_at() == now
            && started.expires_at() == now + Duration::hours(12)
            && started.idle() == Duration::minutes(30)
            && started.user_agent().as_deref() == Some("Firefox"),
        "a browser session of the superuser: 30 minutes idle, 12 hours at most, the store's now: {started:?}"
    );
    ensure!(
        tx.start_superuser_session(f.id()?, f.id()?, SessionKind::Api, None, None).await.ctx("start")?.is_none(),
        "no session for no superuser"
    );
    tx.commit().await.ctx("commit")?;
    f.h.clock.advance(Duration::minutes(5));
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    tx.touch_superuser_session(id).await.ctx("touch")?;
    ensure!(tx.rotate_superuser_session(id, 0).await.ctx("rotate")? == Ok(1), "generation 0 becomes 1");
    ensure!(tx.rotate_superuser_session(id, 1).await.ctx("rotate")? == Ok(2), "then 2");
    ensure!(
        tx.rotate_superuser_session(id, 1).await.ctx("rotate")? == Err(RefreshError::Reused),
        "generation 1 again is a reuse"
    );
    ensure!(
        tx.rotate_superuser_session(id, 2).await.ctx("rotate")? == Err(RefreshError::Ended),
        "the reuse ended the session: generation 2 is dead too"
    );
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let after = tx.superuser_session(id).await.ctx("get")?.ctx("the session")?;
    ensure!(
        after.last_used_at() == now + Duration::minutes(5)
            && after.ended() == Some((now + Duration::minutes(5), SessionEnd::RefreshReused)),
        "touched, then ended by the reuse, at the store's time: {after:?}"
    );
    ensure!(
        tx.superuser_sessions(su).await.ctx("list")?.iter().all(|s| s.id() != id),
        "an ended session is not listed"
    );
    let other = f.id()?;
    tx.start_superuser_session(other, su, SessionKind::Api, None, None).await.ctx("start")?;
    ensure!(tx.end_superuser_session(other, SessionEnd::LoggedOut).await.ctx("end")?, "a live session ends");
    ensure!(!tx.end_superuser_session(other, SessionEnd::LoggedOut).await.ctx("end")?, "an ended one does not again");
    let third = f.id()?;
    tx.start_superuser_session(third, su, SessionKind::Api, None, None).await.ctx("start")?;
    ensure!(tx.end_superuser_sessions(su).await.ctx("everywhere")?, "sign out everywhere");
    ensure!(
        tx.rotate_superuser_session(third, 0).await.ctx("rotate")? == Err(RefreshError::Ended),
        "a moved-on version ends the session's refresh"
    );
    Ok(())
}

/// The credential ledger, kept by the store itself: the highest token version
/// and the latest password digest of each user, removals, revoked keys;
/// committed with the write and kept through the tenant's purge.
pub async fn credential_ledger(f: &Fixture) -> Result<(), Broken> {
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let mut ann = f.user(f.a.id, "ann@ledger.example.com")?;
    tx.insert_user(&ann).await.ctx("insert")?;
    ann.end_sessions();
    ann.end_sessions();
    tx.update_user(&ann).await.ctx("update")?;
    let key = ApiKey::issue(
        f.id()?,
        f.a.id,
        KeyName::parse("ci").ctx("name")?,
        RoleRef::Builtin(BuiltinRole::Viewer),
        TokenHash::of(&SecretString::from("x".repeat(43))),
        None,
        f.h.clock_now(),
    )
    .ctx("key")?;
    tx.insert_api_key(&key).await.ctx("key")?;
    let bob = f.user(f.a.id, "bob@ledger.example.com")?;
    tx.insert_user(&bob).await.ctx("insert")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let mut revoked = key.clone();
    revoked.revoke(f.h.clock_now()).ctx("revoke key")?;
    tx.update_api_key(&revoked).await.ctx("revoke")?;
    tx.delete_user(bob.id()).await.ctx("remove")?;
    let lowered = crate::edited_user(&ann, |u| u.token_version = 1);
    tx.update_user(&lowered).await.ctx("lower")?;
    let inside = tx.credential_ledger().await.ctx("ledger")?;
    ensure!(inside.revoked_keys.contains(&key.id()), "a unit of work sees its own notes");
    drop(tx);
    let mut tx = f.store.begin(&f.sa, Access::Read).await.ctx("begin")?;
    let ledger = tx.credential_ledger().await.ctx("ledger")?;
    let a = ledger.users.get(&ann.id()).ctx("ann in the ledger")?;
    ensure!(
        a.max_token_version == 2 && a.password_digest.as_deref() == Some(ann.password_hash().digest().as_str()),
        "the ledger keeps the highest version and the latest digest: {a:?}"
    );
    ensure!(!ledger.revoked_keys.contains(&key.id()), "a rolled-back revocation is not in the ledger");
    ensure!(ledger.users.get(&bob.id()).is_some_and(|b| !b.removed), "a rolled-back removal is not in the ledger");
    drop(tx);
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    tx.update_api_key(&revoked).await.ctx("revoke")?;
    tx.delete_user(bob.id()).await.ctx("remove")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    tx.purge_tenant().await.ctx("purge")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Read).await.ctx("begin")?;
    let kept = tx.credential_ledger().await.ctx("ledger")?;
    ensure!(
        kept.revoked_keys.contains(&key.id())
            && kept.users.get(&bob.id()).is_some_and(|b| b.removed)
            && kept.users.get(&ann.id()).is_some_and(|u| u.max_token_version == 2 && !u.removed),
        "the ledger outlives the purge, and a purge removes nobody: {kept:?}"
    );
    let mut txb = f.store.begin(&f.sb, Access::Read).await.ctx("begin b")?;
    let theirs = txb.credential_ledger().await.ctx("ledger b")?;
    ensure!(
        !theirs.users.contains_key(&ann.id()) && !theirs.revoked_keys.contains(&key.id()),
        "tenant B reads none of it"
    );
    Ok(())
}

/// Users: insert, read by id and email (normalised), list oldest first,
/// update, delete; email unique per tenant but not across tenants.
pub async fn users(f: &Fixture) -> Result<(), Broken> {
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let ann = f.user(f.a.id, "Ann@Example.com")?;
    tx.insert_user(&ann).await.ctx("insert ann")?;
    ensure!(tx.user(ann.id()).await.ctx("get")?.as_ref() == Some(&ann), "a user reads back unchanged");
    let by_email = tx.user_by_email(&Email::parse("ann@example.COM").ctx("email")?).await.ctx("by email")?;
    ensure!(by_email.map(|u| u.id()) == Some(ann.id()), "user_by_email finds the normalised address");
    let twin = f.user(f.a.id, "ann@example.com")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    ensure!(
        conflict(tx.insert_user(&twin).await, Constraint::UserEmail),
        "a second user with the same email is Conflict(UserEmail)"
    );
    drop(tx);
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let users = tx.users().await.ctx("list")?;
    ensure!(users.len() == 2 && users[0].id() == f.a.owner_id && users[1].id() == ann.id(), "users come oldest first");
    let name = PersonName::parse("Ann B").ctx("name")?;
    let renamed = crate::edited_user(&ann, |u| u.name = name);
    tx.update_user(&renamed).await.ctx("update")?;
    ensure!(
        tx.user(ann.id()).await.ctx("get")?.map(|u| u.name().clone()) == Some(renamed.name().clone()),
        "updates are read back"
    );
    let ghost = f.user(f.a.id, "ghost@example.com")?;
    ensure!(matches!(tx.update_user(&ghost).await, Err(StoreError::NotFound)), "updating a missing user is NotFound");
    ensure!(
        matches!(tx.delete_user(ghost.id()).await, Err(StoreError::NotFound)),
        "deleting a missing user is NotFound"
    );
    tx.delete_user(ann.id()).await.ctx("delete")?;
    ensure!(tx.user(ann.id()).await.ctx("get")?.is_none(), "a deleted user is gone");
    tx.commit().await.ctx("commit")?;
    // the same email in another tenant is fine
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    txb.insert_user(&f.user(f.b.id, "owner@alpha.example.com")?).await.ctx("same email, other tenant")?;
    txb.commit().await.ctx("commit b")?;
    Ok(())
}

/// Invitations: insert, read, list newest first, update; unknown ids.
pub async fn invitations(f: &Fixture) -> Result<(), Broken> {
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let first = f.invitation(f.a.id, "one@example.com", 0)?;
    let second = f.invitation(f.a.id, "two@example.com", 1)?;
    tx.insert_invitation(&first).await.ctx("insert")?;
    tx.insert_invitation(&second).await.ctx("insert")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    ensure!(
        conflict(tx.insert_invitation(&first).await, Constraint::PrimaryKey),
        "a duplicate id is Conflict(PrimaryKey)"
    );
    drop(tx);
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    ensure!(tx.invitation(first.id()).await.ctx("get")?.as_ref() == Some(&first), "an invitation reads back unchanged");
    let list = tx.invitations().await.ctx("list")?;
    ensure!(
        list.iter().map(|i| i.id()).collect::<Vec<_>>() == vec![second.id(), first.id()],
        "invitations come newest first"
    );
    let mut revoked = first.clone();
    revoked.revoke(f.h.clock_now(), tenantry_domain::invitation::RevokeReason::Admin).ctx("revoke")?;
    tx.update_invitation(&revoked).await.ctx("update")?;
    ensure!(
        tx.invitation(first.id()).await.ctx("get")?.map(|i| i.status()) == Some(revoked.status()),
        "updates are read back"
    );
    let ghost = f.invitation(f.a.id, "ghost@example.com", 2)?;
    ensure!(
        matches!(tx.update_invitation(&ghost).await, Err(StoreError::NotFound)),
        "updating a missing invitation is NotFound"
    );
    tx.commit().await.ctx("commit")
}

/// Role references: a user or invitation may refer only to an existing custom
/// role of the tenant, and a role a user holds cannot be deleted —
/// `Conflict(RoleReference)`, which aborts the unit of work like any conflict;
/// the invitations that refer to a deleted role go with it.
pub async fn role_references(f: &Fixture) -> Result<(), Broken> {
    let approver = f.role(f.a.id, "approver")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    tx.insert_role(&approver).await.ctx("insert role")?;
    let pat = crate::edited_user(&f.user(f.a.id, "pat@example.com")?, |u| u.role = RoleRef::Custom(approver.id));
    tx.insert_user(&pat).await.ctx("a user with an existing custom role")?;
    let invited = f.invitation(f.a.id, "inv@example.com", 0)?;
    let invited = Invitation::restore(InvitationRecord { role: RoleRef::Custom(approver.id), ..invited.record() });
    tx.insert_invitation(&invited).await.ctx("an invitation with an existing custom role")?;
    tx.commit().await.ctx("commit")?;

    let ghost = f.role(f.a.id, "ghost")?; // never inserted
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let bob = crate::edited_user(&f.user(f.a.id, "bob@example.com")?, |u| u.role = RoleRef::Custom(ghost.id));
    ensure!(
        conflict(tx.insert_user(&bob).await, Constraint::RoleReference),
        "a user with a missing custom role is Conflict(RoleReference)"
    );
    drop(tx);
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let moved = crate::edited_user(&pat, |u| u.role = RoleRef::Custom(ghost.id));
    ensure!(
        conflict(tx.update_user(&moved).await, Constraint::RoleReference),
        "moving a user to a missing custom role is Conflict(RoleReference)"
    );
    drop(tx);
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let lost = f.invitation(f.a.id, "lost@example.com", 1)?;
    let lost = Invitation::restore(InvitationRecord { role: RoleRef::Custom(ghost.id), ..lost.record() });
    ensure!(
        conflict(tx.insert_invitation(&lost).await, Constraint::RoleReference),
        "an invitation with a missing custom role is Conflict(RoleReference)"
    );
    drop(tx);
    // A role of another tenant does not exist here either.
    let theirs = f.role(f.b.id, "theirs")?;
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    txb.insert_role(&theirs).await.ctx("insert b's role")?;
    txb.commit().await.ctx("commit b")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let cross = crate::edited_user(&f.user(f.a.id, "cross@example.com")?, |u| u.role = RoleRef::Custom(theirs.id));
    ensure!(
        conflict(tx.insert_user(&cross).await, Constraint::RoleReference),
        "a user with another tenant's custom role is Conflict(RoleReference)"
    );
    drop(tx);

    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    ensure!(
        conflict(tx.delete_role(approver.id).await, Constraint::RoleReference),
        "a role a user holds cannot be deleted"
    );
    drop(tx);
    let mut tx = f.store.begin(&f.sa, Access::Read).await.ctx("begin read")?;
    ensure!(tx.role(approver.id).await.ctx("get")?.is_some(), "the refused deletion changed nothing");
    ensure!(tx.invitation(invited.id()).await.ctx("get")?.is_some(), "nor the invitation");
    drop(tx);
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    tx.delete_user(pat.id()).await.ctx("delete pat")?;
    tx.delete_role(approver.id).await.ctx("a role only an invitation refers to can be deleted")?;
    ensure!(tx.invitation(invited.id()).await.ctx("get")?.is_none(), "its invitation goes with it");
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Read).await.ctx("begin read")?;
    ensure!(tx.role(approver.id).await.ctx("get")?.is_none(), "the role is gone");
    ensure!(tx.invitation(invited.id()).await.ctx("get")?.is_none(), "and its invitation");
    Ok(())
}

/// API keys: insert, read, list newest first, revoke by update; ids unique;
/// built-in roles only (a custom role is `Conflict(RoleReference)`); one
/// tenant's keys are not another's.
pub async fn api_keys(f: &Fixture) -> Result<(), Broken> {
    let viewer = RoleRef::Builtin(BuiltinRole::Viewer);
    let older = f.api_key(f.a.id, viewer, 0)?;
    let newer = f.api_key(f.a.id, RoleRef::Builtin(BuiltinRole::Admin), 1)?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    tx.insert_api_key(&older).await.ctx("insert")?;
    tx.insert_api_key(&newer).await.ctx("insert")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    ensure!(tx.api_key(older.id()).await.ctx("get")?.as_ref() == Some(&older), "a key reads back as written");
    let ids: Vec<_> = tx.api_keys().await.ctx("list")?.iter().map(|k| k.id()).collect();
    ensure!(ids == vec![newer.id(), older.id()], "keys come newest first: {ids:?}");
    let mut revoked = older.clone();
    revoked.revoke(f.h.clock_now()).ctx("revoke key")?;
    tx.update_api_key(&revoked).await.ctx("revoke")?;
    ensure!(tx.api_key(older.id()).await.ctx("get")?.as_ref() == Some(&revoked), "a revocation reads back");
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    ensure!(conflict(tx.insert_api_key(&newer).await, Constraint::PrimaryKey), "a key id is unique");
    drop(tx);
    let approver = f.role(f.a.id, "approver")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    tx.insert_role(&approver).await.ctx("insert role")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let custom = f.api_key(f.a.id, RoleRef::Custom(approver.id), 2)?;
    ensure!(
        conflict(tx.insert_api_key(&custom).await, Constraint::RoleReference),
        "a key with a custom role is Conflict(RoleReference)"
    );
    drop(tx);
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    ensure!(
        matches!(tx.update_api_key(&f.api_key(f.a.id, viewer, 3)?).await, Err(StoreError::NotFound)),
        "updating a missing key is NotFound"
    );
    drop(tx);
    let mut txb = f.store.begin(&f.sb, Access::Read).await.ctx("begin b")?;
    ensure!(txb.api_key(older.id()).await.ctx("get b")?.is_none(), "another tenant's key does not exist here");
    ensure!(txb.api_keys().await.ctx("list b")?.is_empty(), "another tenant lists none of alpha's keys");
    Ok(())
}

/// Roles: names unique case-insensitively, listed by name, update, delete.
pub async fn roles(f: &Fixture) -> Result<(), Broken> {
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let zed = f.role(f.a.id, "Zed")?;
    let amy = f.role(f.a.id, "amy")?;
    tx.insert_role(&zed).await.ctx("insert")?;
    tx.insert_role(&amy).await.ctx("insert")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    ensure!(
        conflict(tx.insert_role(&f.role(f.a.id, "ZED")?).await, Constraint::RoleName),
        "role names are unique case-insensitively"
    );
    drop(tx);
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let names: Vec<String> = tx.roles().await.ctx("list")?.iter().map(|r| r.name.as_str().to_owned()).collect();
    ensure!(names == vec!["amy".to_owned(), "Zed".to_owned()], "roles come by name, case-insensitively: {names:?}");
    let mut renamed = amy.clone();
    renamed.name = RoleName::parse("zed").ctx("name")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    ensure!(
        conflict(tx.update_role(&renamed).await, Constraint::RoleName),
        "renaming onto a taken name is Conflict(RoleName)"
    );
    drop(tx);
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    tx.delete_role(zed.id).await.ctx("delete")?;
    ensure!(tx.role(zed.id).await.ctx("get")?.is_none(), "a deleted role is gone");
    ensure!(matches!(tx.delete_role(zed.id).await, Err(StoreError::NotFound)), "deleting twice is NotFound");
    tx.commit().await.ctx("commit")?;
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    txb.insert_role(&f.role(f.b.id, "amy")?).await.ctx("the same name in another tenant")?;
    txb.commit().await.ctx("commit")
}

/// Subscription saved with its facts; invoices upserted and listed newest
/// first; a billing event id is recorded once.
pub async fn subscription_invoices_and_events(f: &Fixture) -> Result<(), Broken> {
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let sub = tx.subscription().await.ctx("get")?.ctx("signup made a subscription")?;
    ensure!(sub.tenant_id() == f.a.id, "the subscription is the tenant's");
    ensure!(tx.record_billing_event("evt_1", f.h.clock_now()).await.ctx("record")?, "a new event id records");
    ensure!(!tx.record_billing_event("evt_1", f.h.clock_now()).await.ctx("record")?, "a seen event id answers false");
    let money = tenantry_domain::Money::eur;
    let invoice = |id: &str, minutes: i64| Invoice {
        id: id.to_owned(),
        number: None,
        status: InvoiceStatus::Open,
        subtotal: money(100),
        discount: None,
        tax: money(0),
        total: money(100),
        starting_balance: money(0),
        amount_paid: money(0),
        amount_due: money(100),
        carried_over: money(0),
        created_at: f.h.clock_now() + Duration::minutes(minutes),
        period: None,
        lines: vec![],
        hosted_url: None,
        pdf_url: None,
    };
    tx.save_invoice(&invoice("in_1", 0)).await.ctx("save")?;
    tx.save_invoice(&invoice("in_2", 1)).await.ctx("save")?;
    tx.save_invoice(&Invoice { status: InvoiceStatus::Paid, ..invoice("in_1", 0) }).await.ctx("upsert")?;
    let list = tx.invoices().await.ctx("list")?;
    ensure!(
        list.len() == 2 && list[0].id == "in_2" && list[1].status == InvoiceStatus::Paid,
        "invoices upsert by id and come newest first"
    );
    tx.commit().await.ctx("commit")?;
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    ensure!(txb.invoices().await.ctx("list b")?.is_empty(), "another tenant sees no invoice of this one");
    ensure!(txb.record_billing_event("evt_2", f.h.clock_now()).await.ctx("record b")?, "event ids are per tenant");
    Ok(())
}

/// Audit: append-only, newest first, paged with `before`, filtered by action and user.
pub async fn audit(f: &Fixture) -> Result<(), Broken> {
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let user = f.a.owner_id;
    let mut ids = Vec::new();
    for i in 0..5 {
        let action = if i % 2 == 0 { AuditAction::UserInvited } else { AuditAction::RoleCreated };
        let e = f.event(Some(f.a.id), action, if i == 4 { Some(user) } else { None })?;
        ids.push(e.id);
        tx.append_audit(&e).await.ctx("append")?;
    }
    let foreign = f.event(Some(f.b.id), AuditAction::UserInvited, None)?;
    ensure!(tx.append_audit(&foreign).await.is_err(), "an event of another tenant is refused");
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Read).await.ctx("begin")?;
    let all = tx.audit_events(&AuditQuery { limit: 1_000, ..Default::default() }).await.ctx("list")?;
    ensure!(all.windows(2).all(|w| w[0].id > w[1].id), "events come newest first");
    ensure!(all.first().map(|e| e.id) == ids.last().copied(), "the newest event comes first");
    let page = tx.audit_events(&AuditQuery { limit: 2, ..Default::default() }).await.ctx("page 1")?;
    let next = tx
        .audit_events(&AuditQuery { limit: 2, before: page.last().map(|e| e.id), ..Default::default() })
        .await
        .ctx("page 2")?;
    ensure!(page.len() == 2 && next.len() == 2 && next[0].id < page[1].id, "pages follow each other with `before`");
    let invited = tx
        .audit_events(&AuditQuery { limit: 100, action: Some(AuditAction::RoleCreated), ..Default::default() })
        .await
        .ctx("by action")?;
    ensure!(
        invited.len() == 2 && invited.iter().all(|e| e.action == AuditAction::RoleCreated),
        "the action filter keeps only that action"
    );
    let by_user =
        tx.audit_events(&AuditQuery { limit: 100, user: Some(user), ..Default::default() }).await.ctx("by user")?;
    ensure!(
        by_user.iter().any(|e| e.id == ids[4])
            && by_user.iter().all(|e| e.actor == AuditActor::User(user) || e.target == Some(AuditTarget::User(user))),
        "the user filter keeps events by or about the user"
    );
    let mut txb = f.store.begin(&f.sb, Access::Read).await.ctx("begin b")?;
    let theirs = txb.audit_events(&AuditQuery { limit: 1_000, ..Default::default() }).await.ctx("list b")?;
    ensure!(theirs.iter().all(|e| e.tenant_id == Some(f.b.id)), "another tenant's log holds only its own events");
    Ok(())
}

/// Usage per month, storage, one-time markers.
pub async fn usage_storage_and_markers(f: &Fixture) -> Result<(), Broken> {
    let month = Month::of(f.h.clock_now());
    let next = Month::of(f.h.clock_now() + Duration::days(40));
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let start = tx.usage(month).await.ctx("usage")?;
    let first = tx.add_usage(month, UsageDelta { api_calls: 5, logins: 1, page_views: 3 }).await.ctx("add")?;
    ensure!(
        first.api_calls == start.api_calls + 5 && first.page_views == start.page_views + 3,
        "add answers the totals"
    );
    let second = tx.add_usage(month, UsageDelta { api_calls: 2, logins: 0, page_views: 1 }).await.ctx("add")?;
    let now = tx.usage(month).await.ctx("usage")?;
    ensure!(now == second, "add answers what a read then sees");
    ensure!(
        now.api_calls == start.api_calls + 7
            && now.logins == start.logins + 1
            && now.page_views == start.page_views + 4,
        "usage adds up within a month"
    );
    ensure!(tx.usage(next).await.ctx("usage")?.api_calls == 0, "another month starts at zero");
    tx.set_storage_used(4096).await.ctx("storage")?;
    ensure!(tx.storage_used().await.ctx("storage")? == 4096, "storage reads back");
    ensure!(tx.mark("mail:x", f.h.clock_now()).await.ctx("mark")?, "a new marker marks");
    ensure!(!tx.mark("mail:x", f.h.clock_now()).await.ctx("mark")?, "a marker marks once");
    ensure!(tx.is_marked("mail:x").await.ctx("is marked")?, "a marker is seen");
    tx.unmark("mail:x").await.ctx("unmark")?;
    ensure!(!tx.is_marked("mail:x").await.ctx("is marked")?, "an unmarked key is gone");
    tx.mark("mail:y", f.h.clock_now()).await.ctx("mark")?;
    tx.commit().await.ctx("commit")?;
    let mut txb = f.store.begin(&f.sb, Access::Read).await.ctx("begin b")?;
    ensure!(!txb.is_marked("mail:y").await.ctx("is marked b")?, "markers are per tenant");
    ensure!(txb.storage_used().await.ctx("storage b")? == 0, "storage is per tenant");
    Ok(())
}

/// The tenant row: one per scope, slug fixed; a purge removes every row and frees the slug.
pub async fn tenant_row_and_purge(f: &Fixture) -> Result<(), Broken> {
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let tenant = tx.tenant().await.ctx("get")?.ctx("the tenant exists")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    ensure!(
        conflict(tx.insert_tenant(&tenant).await, Constraint::PrimaryKey),
        "inserting an existing tenant is Conflict(PrimaryKey)"
    );
    drop(tx);
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    // A renamed tenant that also claims another slug (no transition does both): the store keeps the slug.
    let original_slug = tenant.slug().clone();
    let tenant = tenantry_domain::Tenant::restore(tenantry_domain::TenantRecord {
        name: tenantry_domain::text::CompanyName::parse("Alpha Renamed").ctx("name")?,
        slug: tenantry_domain::Slug::parse("elsewhere").ctx("slug")?,
        ..tenant.record()
    });
    tx.update_tenant(&tenant).await.ctx("update")?;
    let back = tx.tenant().await.ctx("get")?.ctx("tenant")?;
    ensure!(
        back.name().as_str() == "Alpha Renamed" && *back.slug() == original_slug,
        "update changes the profile but never the slug"
    );
    tx.commit().await.ctx("commit")?;
    // purge
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    tx.purge_tenant().await.ctx("purge")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    ensure!(tx.tenant().await.ctx("get")?.is_none(), "a purged tenant is gone");
    ensure!(tx.users().await.ctx("users")?.is_empty(), "a purged tenant has no users");
    ensure!(tx.subscription().await.ctx("sub")?.is_none(), "a purged tenant has no subscription");
    ensure!(
        tx.audit_events(&AuditQuery { limit: 10, ..Default::default() }).await.ctx("audit")?.is_empty(),
        "a purged tenant has no audit log"
    );
    ensure!(
        f.h.tenantry.deps().directory.resolve_slug(&original_slug).await.ctx("resolve")?.is_none(),
        "a purged tenant's slug is free"
    );
    // the scope can create the tenant again, but not with a slug another tenant holds
    let taken = tenantry_domain::Tenant::restore(tenantry_domain::TenantRecord {
        slug: tenantry_domain::Slug::parse("beta").ctx("slug")?,
        ..tenant.record()
    });
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    ensure!(
        conflict(tx.insert_tenant(&taken).await, Constraint::TenantSlug),
        "a slug another tenant holds is Conflict(TenantSlug)"
    );
    drop(tx);
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let again = tenantry_domain::Tenant::restore(tenantry_domain::TenantRecord {
        slug: original_slug.clone(),
        ..tenant.record()
    });
    tx.insert_tenant(&again).await.ctx("insert again")?;
    tx.commit().await.ctx("commit")?;
    ensure!(
        f.h.tenantry.deps().directory.resolve_slug(&original_slug).await.ctx("resolve")? == Some(f.a.id),
        "the slug resolves after commit"
    );
    let mut txb = f.store.begin(&f.sb, Access::Read).await.ctx("begin b")?;
    ensure!(txb.users().await.ctx("users b")?.len() == 1, "a purge of one tenant leaves the other untouched");
    Ok(())
}

/// Dropping a unit of work rolls back; a read-only one refuses writes.
pub async fn rollback_and_read_only(f: &Fixture) -> Result<(), Broken> {
    {
        let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
        tx.insert_user(&f.user(f.a.id, "dropped@example.com")?).await.ctx("insert")?;
        tx.mark("dropped", f.h.clock_now()).await.ctx("mark")?;
        tx.append_audit(&f.event(Some(f.a.id), AuditAction::UserInvited, None)?).await.ctx("append")?;
        // dropped without commit
    }
    let mut tx = f.store.begin(&f.sa, Access::Read).await.ctx("begin")?;
    ensure!(
        tx.user_by_email(&Email::parse("dropped@example.com").ctx("email")?).await.ctx("get")?.is_none(),
        "a dropped unit of work leaves no user"
    );
    ensure!(!tx.is_marked("dropped").await.ctx("marked")?, "a dropped unit of work leaves no marker");
    let before = tx.audit_events(&AuditQuery { limit: 1_000, ..Default::default() }).await.ctx("audit")?.len();
    ensure!(
        tx.insert_user(&f.user(f.a.id, "ro@example.com")?).await.is_err(),
        "a read-only unit of work refuses writes"
    );
    drop(tx);
    let mut tx = f.store.begin(&f.sa, Access::Read).await.ctx("begin")?;
    let after = tx.audit_events(&AuditQuery { limit: 1_000, ..Default::default() }).await.ctx("audit")?.len();
    ensure!(before == after, "a dropped unit of work leaves no audit event");
    Ok(())
}

/// A conflict aborts the unit of work: later calls fail and nothing of it commits.
pub async fn a_conflict_aborts_the_unit_of_work(f: &Fixture) -> Result<(), Broken> {
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
    let kept = f.user(f.a.id, "kept@example.com")?;
    tx.insert_user(&kept).await.ctx("insert")?;
    let twin = f.user(f.a.id, "kept@example.com")?;
    ensure!(conflict(tx.insert_user(&twin).await, Constraint::UserEmail), "the duplicate is Conflict(UserEmail)");
    ensure!(tx.users().await.is_err(), "a read after a conflict fails");
    ensure!(tx.commit().await.is_err(), "a unit of work aborted by a conflict cannot commit");
    let mut tx = f.store.begin(&f.sa, Access::Read).await.ctx("begin")?;
    ensure!(tx.user(kept.id()).await.ctx("get")?.is_none(), "nothing of an aborted unit of work is kept");
    Ok(())
}

/// Two writers of one tenant: the second sees what the first committed
/// (seat checks cannot interleave).
pub async fn writers_of_one_tenant_are_serialised(f: &Fixture) -> Result<(), Broken> {
    let store = f.store.clone();
    let scope = f.sa.clone();
    let mut first = store.begin(&scope, Access::Write).await.ctx("begin first")?;
    let user = f.user(f.a.id, "first@example.com")?;
    let second = {
        let store = store.clone();
        let scope = scope.clone();
        tokio::spawn(async move {
            let mut tx = store.begin(&scope, Access::Write).await?;
            let n = tx.users().await?.len();
            tx.commit().await?;
            Ok::<usize, StoreError>(n)
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    first.insert_user(&user).await.ctx("insert")?;
    first.commit().await.ctx("commit first")?;
    let seen = second.await.ctx("join")?.ctx("second")?;
    ensure!(seen == 2, "the second writer saw {seen} users, not the first writer's commit (2)");
    Ok(())
}

/// A unit of work in one tenant does not wait for another tenant's.
pub async fn tenants_do_not_wait_for_each_other(f: &Fixture) -> Result<(), Broken> {
    let _a = f.store.begin(&f.sa, Access::Write).await.ctx("begin a")?;
    let b = tokio::time::timeout(std::time::Duration::from_secs(5), f.store.begin(&f.sb, Access::Write)).await;
    ensure!(matches!(b, Ok(Ok(_))), "a unit of work in another tenant waited for this one");
    Ok(())
}

/// Wall 2's contract: a unit of work sees and changes only its tenant's rows;
/// writing an entity of another tenant is refused and changes nothing.
pub async fn a_unit_of_work_reaches_only_its_tenant(f: &Fixture) -> Result<(), Broken> {
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    let bob = f.user(f.b.id, "bob@example.com")?;
    txb.insert_user(&bob).await.ctx("insert bob")?;
    let role = f.role(f.b.id, "Beta role")?;
    txb.insert_role(&role).await.ctx("insert role")?;
    let inv = f.invitation(f.b.id, "inv@example.com", 0)?;
    txb.insert_invitation(&inv).await.ctx("insert invitation")?;
    txb.commit().await.ctx("commit b")?;

    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin a")?;
    ensure!(tx.user(bob.id()).await.ctx("get")?.is_none(), "tenant A reads tenant B's user by id");
    ensure!(tx.user_by_email(bob.email()).await.ctx("by email")?.is_none(), "tenant A finds tenant B's user by email");
    ensure!(
        tx.users().await.ctx("list")?.iter().all(|u| u.tenant_id() == f.a.id),
        "tenant A lists a user of another tenant"
    );
    ensure!(tx.role(role.id).await.ctx("role")?.is_none(), "tenant A reads tenant B's role");
    ensure!(tx.invitation(inv.id()).await.ctx("inv")?.is_none(), "tenant A reads tenant B's invitation");
    ensure!(tx.update_user(&bob).await.is_err(), "tenant A updates tenant B's user");
    ensure!(
        tx.insert_user(&f.user(f.b.id, "sneak@example.com")?).await.is_err(),
        "tenant A inserts a user into tenant B"
    );
    ensure!(tx.delete_user(bob.id()).await.is_err(), "tenant A deletes tenant B's user");
    ensure!(tx.insert_role(&f.role(f.b.id, "Sneaky")?).await.is_err(), "tenant A inserts a role into tenant B");
    ensure!(tx.update_invitation(&inv).await.is_err(), "tenant A updates tenant B's invitation");
    ensure!(tx.delete_role(role.id).await.is_err(), "tenant A deletes tenant B's role");
    tx.commit().await.ctx("commit a")?;
    let mut txb = f.store.begin(&f.sb, Access::Read).await.ctx("begin b")?;
    ensure!(txb.user(bob.id()).await.ctx("get")?.as_ref() == Some(&bob), "tenant B's user changed");
    ensure!(txb.users().await.ctx("list")?.len() == 2, "tenant B gained or lost users");
    ensure!(txb.role(role.id).await.ctx("role")?.is_some(), "tenant B's role was deleted");
    Ok(())
}

/// Subscriptions: the billing customer is the webhooks' road to a tenant, so it
/// belongs to one tenant only; a subscription carries its tenant's id only.
pub async fn subscriptions_belong_to_one_tenant(f: &Fixture) -> Result<(), Broken> {
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin a")?;
    let sub_a = tx.subscription().await.ctx("get a")?.ctx("alpha has a subscription")?;
    let customer_a = sub_a.provider().as_ref().map(|l| l.customer.clone()).ctx("alpha has a billing customer")?;
    drop(tx);
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    let sub_b = txb.subscription().await.ctx("get b")?.ctx("beta has a subscription")?;
    let facts = tenantry_ports::store::SubscriptionFacts {
        status: sub_b.status(),
        plan: sub_b.plan_kind(),
        interval: sub_b.interval(),
        seats: None,
        recurring_cents: None,
        next_due_at: None,
    };
    // Another tenant's customer, as a store could be handed it (no transition makes it).
    let provider = sub_b
        .provider()
        .clone()
        .map(|link| tenantry_domain::subscription::ProviderLink { customer: customer_a.clone(), ..link });
    let sub_b =
        tenantry_domain::Subscription::restore(tenantry_domain::SubscriptionRecord { provider, ..sub_b.record() });
    ensure!(
        conflict(txb.save_subscription(&sub_b, &facts).await, Constraint::BillingCustomer),
        "taking another tenant's billing customer is Conflict(BillingCustomer)"
    );
    drop(txb);
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    ensure!(txb.save_subscription(&sub_a, &facts).await.is_err(), "tenant B saves tenant A's subscription");
    drop(txb);
    ensure!(
        f.h.tenantry.deps().directory.resolve_billing_customer(&customer_a).await.ctx("resolve")? == Some(f.a.id),
        "the billing customer still resolves to its tenant"
    );
    Ok(())
}

/// Wall 2's contract for the remaining writes: invitations, roles and the
/// tenant row of another tenant are refused and change nothing.
pub async fn foreign_writes_are_refused(f: &Fixture) -> Result<(), Broken> {
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    let role = f.role(f.b.id, "Beta only")?;
    txb.insert_role(&role).await.ctx("insert role")?;
    let tenant_b = txb.tenant().await.ctx("tenant")?.ctx("beta exists")?;
    txb.commit().await.ctx("commit")?;
    for attempt in 0..4 {
        let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin a")?;
        let refused = match attempt {
            0 => tx.insert_invitation(&f.invitation(f.b.id, "in@example.com", 0)?).await.is_err(),
            1 => tx
                .update_role(&CustomRole { name: RoleName::parse("Renamed").ctx("name")?, ..role.clone() })
                .await
                .is_err(),
            2 => {
                let renamed = tenantry_domain::Tenant::restore(tenantry_domain::TenantRecord {
                    name: tenantry_domain::text::CompanyName::parse("Taken").ctx("n")?,
                    ..tenant_b.record()
                });
                tx.update_tenant(&renamed).await.is_err()
            }
            _ => tx.append_audit(&f.event(Some(f.b.id), AuditAction::RoleCreated, None)?).await.is_err(),
        };
        ensure!(refused, "tenant A's unit of work wrote into tenant B (attempt {attempt})");
    }
    let mut txb = f.store.begin(&f.sb, Access::Read).await.ctx("begin b")?;
    ensure!(txb.invitations().await.ctx("invitations")?.is_empty(), "an invitation appeared in tenant B");
    ensure!(txb.role(role.id).await.ctx("role")?.map(|r| r.name) == Some(role.name.clone()), "tenant B's role changed");
    ensure!(
        txb.tenant().await.ctx("tenant")?.map(|t| t.name().clone()) == Some(tenant_b.name().clone()),
        "tenant B's row changed"
    );
    Ok(())
}

/// Jobs and exports: stored and read back as written, updated, listed newest
/// first, archives stored, replaced and deleted; another tenant's job or export
/// is refused and invisible; a job claimed through the directory is leased
/// once and comes back with one more attempt.
pub async fn jobs_and_exports(f: &Fixture) -> Result<(), Broken> {
    use tenantry_domain::export::Export;
    use tenantry_domain::job::{Job, JobKind, JobState};
    let now = f.h.clock_now();
    let id = |n: u128| uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n);
    let e1 = Export::new(tenantry_domain::ExportId::from_uuid(id(1)).ctx("id")?, f.a.id, AuditActor::Anonymous, now);
    let mut e2 = Export::new(
        tenantry_domain::ExportId::from_uuid(id(2)).ctx("id")?,
        f.a.id,
        AuditActor::Anonymous,
        now + Duration::seconds(1),
    );
    let mut job =
        Job::new(tenantry_domain::JobId::from_uuid(id(3)).ctx("id")?, f.a.id, JobKind::Export(e1.id()), now, now);
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin a")?;
    tx.insert_export(&e1).await.ctx("insert export")?;
    tx.insert_export(&e2).await.ctx("insert export 2")?;
    tx.insert_job(&job).await.ctx("insert job")?;
    tx.append_export_file(e1.id(), b"{\"first\": ").await.ctx("file")?;
    tx.append_export_file(e1.id(), b"true}").await.ctx("file appended")?;
    tx.commit().await.ctx("commit")?;

    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin a")?;
    ensure!(tx.export(e1.id()).await.ctx("export")?.as_ref() == Some(&e1), "an export did not read back as written");
    let listed: Vec<_> = tx.exports().await.ctx("exports")?.into_iter().map(|e| e.id()).collect();
    ensure!(listed == vec![e2.id(), e1.id()], "exports are listed newest first: {listed:?}");
    ensure!(
        tx.export_file_chunk(e1.id(), 0, 1024).await.ctx("file")?.as_deref() == Some(&b"{\"first\": true}"[..]),
        "an archive was not appended to"
    );
    ensure!(
        tx.export_file_chunk(e1.id(), 2, 5).await.ctx("chunk")?.as_deref() == Some(&b"first"[..]),
        "a chunk is not the bytes from its offset"
    );
    ensure!(
        tx.export_file_chunk(e1.id(), 14, 100).await.ctx("last chunk")?.as_deref() == Some(&b"}"[..])
            && tx.export_file_chunk(e1.id(), 15, 100).await.ctx("past the end")?.as_deref() == Some(&b""[..]),
        "the end of an archive is not where it ends"
    );
    ensure!(tx.job(job.id).await.ctx("job")?.as_ref() == Some(&job), "a job did not read back as written");
    e2.start(3);
    e2.finish(42, now);
    tx.update_export(&e2).await.ctx("update export")?;
    tx.delete_export_file(e1.id()).await.ctx("delete file")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Read).await.ctx("begin a")?;
    ensure!(tx.export(e2.id()).await.ctx("export")?.as_ref() == Some(&e2), "an export update was lost");
    ensure!(tx.export_file_chunk(e1.id(), 0, 16).await.ctx("file")?.is_none(), "a deleted archive is still there");
    drop(tx);

    // Another tenant: nothing to see, nothing to write.
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    ensure!(txb.exports().await.ctx("exports")?.is_empty(), "tenant B sees tenant A's exports");
    ensure!(txb.export(e1.id()).await.ctx("export")?.is_none(), "tenant B reads tenant A's export");
    ensure!(txb.job(job.id).await.ctx("job")?.is_none(), "tenant B reads tenant A's job");
    ensure!(txb.update_export(&e2).await.is_err(), "tenant B updated tenant A's export");
    drop(txb);
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    ensure!(txb.update_job(&job).await.is_err(), "tenant B updated tenant A's job");
    drop(txb);

    // The claim: leased once, one attempt more; then done and never claimed again.
    let claimed = f.h.tenantry.deps().directory.claim_due_jobs(10).await.ctx("claim")?;
    ensure!(claimed == vec![(f.a.id, job.id)], "the due job was not claimed: {claimed:?}");
    let again = f.h.tenantry.deps().directory.claim_due_jobs(10).await.ctx("claim again")?;
    ensure!(again.is_empty(), "a leased job was claimed twice");
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin a")?;
    let leased = tx.job(job.id).await.ctx("job")?.ctx("the job")?;
    ensure!(leased.attempts == 1 && leased.leased_until.is_some(), "a claim counts an attempt and leases: {leased:?}");
    job = leased;
    job.succeed(now);
    tx.update_job(&job).await.ctx("update job")?;
    tx.commit().await.ctx("commit")?;
    f.h.clock.advance(Duration::days(1));
    let later = f.h.tenantry.deps().directory.claim_due_jobs(10).await.ctx("claim")?;
    ensure!(later.is_empty(), "a done job was claimed");
    ensure!(matches!(job.state, JobState::Done { .. }), "done");
    Ok(())
}

/// The outbox: a mail reads back as written, its token included; marking it
/// sent records the server's answer and forgets the token; another tenant
/// neither sees, writes, marks nor deletes it; a job is claimed by id once,
/// and not when the directory's claim took it first (nor the other way
/// round); erasure deletes a person's mails, a restore's voiding only the unsent.
pub async fn outbox(f: &Fixture) -> Result<(), Broken> {
    use tenantry_domain::job::{Job, JobKind};
    use tenantry_ports::system::{Accepted, Mail, Message, QueuedMail};
    let now = f.h.clock_now();
    let to = Email::parse("reader@alpha.example.com").ctx("email")?;
    let mail = |id, token: &str, to: &Email| QueuedMail {
        id,
        tenant_id: f.a.id,
        mail: Mail {
            to: to.clone(),
            tenant: None,
            message: Message::PasswordReset { token: SecretString::from(token.to_owned()), expires_at: now },
            reader: Default::default(),
        },
        created_at: now,
        sent: None,
    };
    let (m1, m2, m3): (tenantry_domain::MailId, tenantry_domain::MailId, tenantry_domain::MailId) =
        (f.id()?, f.id()?, f.id()?);
    let other = Email::parse("other@alpha.example.com").ctx("email")?;
    let first = mail(m1, &"a".repeat(43), &to);
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin a")?;
    tx.insert_mail(&first).await.ctx("insert mail")?;
    tx.insert_mail(&mail(m2, &"b".repeat(43), &to)).await.ctx("insert mail 2")?;
    tx.insert_mail(&mail(m3, &"c".repeat(43), &other)).await.ctx("insert mail 3")?;
    ensure!(conflict(tx.insert_mail(&first).await, Constraint::PrimaryKey), "a mail id was inserted twice");
    drop(tx); // the conflict aborted it
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin a")?;
    tx.insert_mail(&first).await.ctx("insert mail")?;
    tx.insert_mail(&mail(m2, &"b".repeat(43), &to)).await.ctx("insert mail 2")?;
    tx.insert_mail(&mail(m3, &"c".repeat(43), &other)).await.ctx("insert mail 3")?;
    let job = Job::new(f.id()?, f.a.id, JobKind::Mail(m1), now, now);
    tx.insert_job(&job).await.ctx("insert job")?;
    let second = Job::new(f.id()?, f.a.id, JobKind::Mail(m2), now, now);
    tx.insert_job(&second).await.ctx("insert job 2")?;
    tx.commit().await.ctx("commit")?;

    let mut tx = f.store.begin(&f.sa, Access::Read).await.ctx("begin a")?;
    ensure!(tx.queued_mail(m1).await.ctx("read")?.as_ref() == Some(&first), "a mail did not read back as written");
    drop(tx);

    // Another tenant: nothing to see, write, mark or delete.
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    ensure!(txb.queued_mail(m1).await.ctx("read b")?.is_none(), "tenant B reads tenant A's mail");
    let accepted = Accepted { message_id: format!("<{m1}@example.com>"), reply: "250 ok".into() };
    ensure!(txb.mark_mail_sent(m1, now, &accepted).await.is_err(), "tenant B marked tenant A's mail sent");
    drop(txb);
    let mut txb = f.store.begin(&f.sb, Access::Write).await.ctx("begin b")?;
    ensure!(txb.forget_mails_of(&to, "Test User").await.ctx("delete b")? == 0, "tenant B deleted tenant A's mails");
    ensure!(txb.void_unsent_mails().await.ctx("void b")? == 0, "tenant B voided tenant A's mails");
    ensure!(txb.claim_job(job.id, now).await.ctx("claim b")?.is_none(), "tenant B claimed tenant A's job");
    ensure!(txb.insert_mail(&mail(f.id()?, "x", &to)).await.is_err(), "tenant B wrote a mail into tenant A");
    drop(txb);

    // Claims by id: once; the directory's claim after it finds it leased, and one before it wins.
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin a")?;
    let claimed = tx.claim_job(job.id, now).await.ctx("claim")?.ctx("the job was not claimable")?;
    ensure!(claimed.attempts == 1 && claimed.leased_until.is_some(), "a claim counts an attempt and leases");
    ensure!(tx.claim_job(job.id, now).await.ctx("claim again")?.is_none(), "a job was claimed twice");
    tx.commit().await.ctx("commit")?;
    let by_directory = f.h.tenantry.deps().directory.claim_due_jobs(10).await.ctx("directory claim")?;
    ensure!(by_directory == vec![(f.a.id, second.id)], "the directory claimed a leased job: {by_directory:?}");
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin a")?;
    ensure!(
        tx.claim_job(second.id, now).await.ctx("claim")?.is_none(),
        "a job the directory claimed was claimed again"
    );
    drop(tx);

    // Sent: the answer kept, the token forgotten.
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin a")?;
    tx.mark_mail_sent(m1, now, &accepted).await.ctx("mark sent")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin a")?;
    let sent = tx.queued_mail(m1).await.ctx("read")?.ctx("the sent mail")?;
    ensure!(sent.sent == Some((now, accepted.clone())), "the server's answer was not kept: {:?}", sent.sent);
    ensure!(
        sent.mail.message.token().is_none_or(|t| secrecy::ExposeSecret::expose_secret(&t).is_empty()),
        "a sent mail kept its token"
    );
    // A restore voids only the unsent (m2, m3); an erasure deletes a person's mails, sent or not.
    ensure!(tx.void_unsent_mails().await.ctx("void")? == 2, "voiding deletes exactly the unsent mails");
    ensure!(tx.queued_mail(m1).await.ctx("read")?.is_some(), "voiding deleted a sent mail");
    ensure!(
        tx.forget_mails_of(&to, "Ada Lovelace").await.ctx("delete")? == 1,
        "an erasure deletes the person's sent mail"
    );
    ensure!(tx.queued_mail(m1).await.ctx("read")?.is_none(), "the erased person's mail is still there");
    // A mail to someone else that names the person (their invitation, a notice listing them) goes too;
    // one that merely contains the name as part of a longer text does not.
    let (m4, m5, m6): (tenantry_domain::MailId, tenantry_domain::MailId, tenantry_domain::MailId) =
        (f.id()?, f.id()?, f.id()?);
    let invited = |id, inviter: &str| QueuedMail {
        id,
        tenant_id: f.a.id,
        mail: Mail {
            to: other.clone(),
            tenant: None,
            message: Message::Invitation {
                inviter: Some(inviter.to_owned()),
                role: "member".into(),
                token: SecretString::from("i".repeat(43)),
                expires_at: now,
            },
            reader: Default::default(),
        },
        created_at: now,
        sent: None,
    };
    let listed = QueuedMail {
        id: m6,
        tenant_id: f.a.id,
        mail: Mail {
            to: other.clone(),
            tenant: None,
            message: Message::SeatsFreed { licensed: 1, deactivated: vec![to.to_string()], revoked_invitations: 0 },
            reader: Default::default(),
        },
        created_at: now,
        sent: None,
    };
    tx.insert_mail(&invited(m4, "Ada Lovelace")).await.ctx("insert")?;
    tx.insert_mail(&invited(m5, "Ada Lovelace's deputy")).await.ctx("insert")?;
    tx.insert_mail(&listed).await.ctx("insert")?;
    ensure!(tx.forget_mails_of(&to, "Ada Lovelace").await.ctx("forget")? == 2, "the mails naming the person go");
    ensure!(tx.queued_mail(m5).await.ctx("read")?.is_some(), "a mail with a longer name was deleted");
    ensure!(
        tx.queued_mail(m4).await.ctx("read")?.is_none() && tx.queued_mail(m6).await.ctx("read")?.is_none(),
        "a mail naming the person stayed"
    );
    tx.commit().await.ctx("commit")?;
    Ok(())
}

/// The platform tables: superusers (created by the operator; logins counted
/// and logouts made atomically), campaigns, ad counters, platform audit, the
/// daily totals — each platform write dated by the store's clock.
pub async fn platform(f: &Fixture) -> Result<(), Broken> {
    let now = f.h.clock_now();
    let su = PlatformUser {
        id: f.id()?,
        email: Email::parse("root@example.com").ctx("email")?,
        name: PersonName::parse("Root").ctx("name")?,
        password_hash: PasswordHash::from_encoded(SecretString::from("$fast-sha256$x")),
        active: true,
        throttle: Default::default(),
        token_version: 0,
        created_at: now,
        last_login_at: None,
        mfa: None,
    };
    let created = f.event(None, AuditAction::SuperuserCreated, None)?;
    f.h.operator.insert_superuser(&su, &created).await.ctx("insert")?;
    let twin = PlatformUser { id: f.id()?, ..su.clone() };
    let again = f.event(None, AuditAction::SuperuserCreated, None)?;
    ensure!(
        conflict(f.h.operator.insert_superuser(&twin, &again).await, Constraint::SuperuserEmail),
        "superuser emails are unique"
    );
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    ensure!(
        tx.superuser_by_email(&su.email).await.ctx("by email")?.map(|s| s.id) == Some(su.id),
        "a superuser is found by email"
    );
    ensure!(tx.superuser_by_email(&twin.email).await.ctx("twin")?.map(|s| s.id) == Some(su.id), "no twin was made");
    drop(tx);

    // Failed logins count one by one and lock at the policy's count; a lock in force counts nothing.
    let policy =
        tenantry_domain::password::LockoutPolicy { max_failures: 3, lock_minutes: 15, max_failures_everywhere: 20 };
    for n in 1..=2 {
        let mut tx = f.store.begin_platform().await.ctx("begin")?;
        ensure!(tx.superuser_login_failed(su.id, policy).await.ctx("failed")?.is_none(), "failure {n} does not lock");
        tx.commit().await.ctx("commit")?;
    }
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let until = tx.superuser_login_failed(su.id, policy).await.ctx("failed")?;
    ensure!(
        until == Some(now + Duration::minutes(15)),
        "the third failure locks for 15 minutes of the store's clock: {until:?}"
    );
    ensure!(!tx.superuser_login_succeeded(su.id, 0).await.ctx("ok")?, "a locked superuser's login is not accepted");
    ensure!(tx.superuser_login_failed(su.id, policy).await.ctx("failed")?.is_none(), "a lock in force counts nothing");
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let locked = tx.superuser(su.id).await.ctx("read")?.ctx("the superuser")?;
    ensure!(locked.throttle.failures == 3 && locked.throttle.locked_until.is_some(), "the lock was kept: {locked:?}");
    drop(tx);
    f.h.clock.advance(Duration::minutes(16));
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    ensure!(!tx.superuser_login_succeeded(su.id, 7).await.ctx("ok")?, "another token version is not accepted");
    ensure!(tx.superuser_login_succeeded(su.id, 0).await.ctx("ok")?, "the lock ran out: the login is accepted");
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let fresh = tx.superuser(su.id).await.ctx("read")?.ctx("the superuser")?;
    ensure!(
        fresh.throttle.failures == 0 && fresh.throttle.locked_until.is_none() && fresh.last_login_at.is_some(),
        "a success clears the failures and records the login: {fresh:?}"
    );
    // A logout moves the version on: the login of the old version is no longer accepted.
    ensure!(tx.end_superuser_sessions(su.id).await.ctx("logout")?, "the sessions end");
    ensure!(!tx.superuser_login_succeeded(su.id, 0).await.ctx("ok")?, "the old version is not accepted after a logout");
    ensure!(!tx.end_superuser_sessions(f.id()?).await.ctx("logout")?, "no such superuser: false");
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let after = tx.superuser(su.id).await.ctx("read")?.ctx("the superuser")?;
    ensure!(after.token_version == 1, "one logout, one version: {}", after.token_version);
    ensure!(after.password_hash == su.password_hash, "no write touched the hash");

    let campaign = AdCampaign {
        id: f.id()?,
        name: AdText::parse("c").ctx("text")?,
        format: AdFormat::Banner,
        text: AdText::parse("hello").ctx("text")?,
        image_url: None,
        link_url: HttpsUrl::parse("https://example.com").ctx("url")?,
        target: AdTarget::AllFreemium,
        window: Period::new(now, now + Duration::days(1)).ctx("period")?,
        enabled: true,
        created_at: now,
    };
    tx.insert_campaign(&campaign).await.ctx("campaign")?;
    tx.add_ad_count(campaign.id, AdCountKind::Impression).await.ctx("count")?;
    tx.add_ad_count(campaign.id, AdCountKind::Impression).await.ctx("count")?;
    tx.add_ad_count(campaign.id, AdCountKind::Click).await.ctx("count")?;
    ensure!(
        matches!(tx.add_ad_count(f.id()?, AdCountKind::Click).await, Err(StoreError::NotFound)),
        "no such campaign: NotFound"
    );
    let today = f.h.clock_now().date_naive();
    let counts = tx.ad_counts(today).await.ctx("counts")?;
    ensure!(
        counts.get(&campaign.id).map(|c| (c.impressions, c.clicks)) == Some((2, 1)),
        "ad counts add up per campaign on the store's today"
    );
    tx.append_platform_audit(&f.event(None, AuditAction::SuperuserCreated, None)?).await.ctx("platform audit")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    ensure!(tx.campaigns().await.ctx("list")?.len() == 1, "campaigns persist");
    tx.delete_campaign(campaign.id).await.ctx("delete")?;
    ensure!(tx.campaign_counts(campaign.id).await.ctx("counts")?.is_empty(), "deleting a campaign deletes its counts");
    ensure!(matches!(tx.delete_campaign(campaign.id).await, Err(StoreError::NotFound)), "deleting twice is NotFound");
    ensure!(matches!(tx.update_campaign(&campaign).await, Err(StoreError::NotFound)), "updating a deleted one too");
    tx.commit().await.ctx("commit")?;
    // Daily platform totals: one record a day (the store's today), the first kept; read from a day on.
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let first = f.h.clock_now().date_naive();
    ensure!(tx.record_daily_stats(&serde_json::json!({"tenants": 1})).await.ctx("record")?, "a new day is recorded");
    ensure!(
        !tx.record_daily_stats(&serde_json::json!({"tenants": 99})).await.ctx("record")?,
        "a recorded day is not recorded again"
    );
    tx.commit().await.ctx("commit")?;
    f.h.clock.advance(Duration::days(2));
    let third = f.h.clock_now().date_naive();
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    ensure!(tx.record_daily_stats(&serde_json::json!({"tenants": 3})).await.ctx("record")?, "a new day is recorded");
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let read = tx.daily_stats(first.succ_opt().ctx("day")?).await.ctx("read")?;
    ensure!(read == vec![(third, serde_json::json!({"tenants": 3}))], "daily totals from a day on: {read:?}");
    let all = tx.daily_stats(first).await.ctx("read")?;
    ensure!(
        all == vec![(first, serde_json::json!({"tenants": 1})), (third, serde_json::json!({"tenants": 3}))],
        "oldest first, the first record of a day kept: {all:?}"
    );
    Ok(())
}

/// Coupons and promotion codes: made with the store's date and no
/// redemptions; a code's text is unique and its coupon must exist; a code
/// read for update is locked until its unit of work ends (a second reader
/// waits, then sees the first one's count); counts move by one and never
/// below zero; a code switches off.
pub async fn promotion_codes(f: &Fixture) -> Result<(), Broken> {
    use tenantry_domain::discount::{Coupon, CouponRecord, DiscountDuration, Off, PromotionCode, PromotionCodeRecord};
    let now = f.h.clock_now();
    let mut coupon =
        Coupon::new(Off::Percent { basis_points: 2_000 }, DiscountDuration::Forever, Some(5), None).ctx("coupon")?;
    coupon.times_redeemed = 3; // a caller's count is not taken
    let coupon = CouponRecord {
        id: f.id()?,
        name: "Spring".into(),
        coupon,
        provider_id: Some("coupon_1".into()),
        created_at: now - Duration::days(9),
    };
    let code = |text: &str, coupon_id| -> Result<PromotionCodeRecord, Broken> {
        Ok(PromotionCodeRecord {
            id: f.id()?,
            coupon_id,
            promotion: PromotionCode::new(text, true, None, Some(2)).ctx("code")?,
            provider_id: Some(format!("promo_{text}")),
            created_at: now - Duration::days(9),
        })
    };
    let spring = code("SPRING20", coupon.id)?;
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    tx.insert_coupon(&coupon).await.ctx("insert coupon")?;
    tx.insert_promotion_code(&spring).await.ctx("insert code")?;
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let twin = code("SPRING20", coupon.id)?;
    ensure!(
        matches!(tx.insert_promotion_code(&twin).await, Err(StoreError::Conflict(Constraint::PromotionCode))),
        "a promotion code's text is unique"
    );
    drop(tx);
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let orphan = code("ORPHAN", f.id()?)?;
    ensure!(
        matches!(tx.insert_promotion_code(&orphan).await, Err(StoreError::NotFound)),
        "a promotion code's coupon must exist"
    );
    drop(tx);
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let coupons = tx.coupons().await.ctx("coupons")?;
    let codes = tx.promotion_codes().await.ctx("codes")?;
    ensure!(
        coupons.len() == 1
            && coupons[0].coupon.times_redeemed == 0
            && coupons[0].created_at == now
            && coupons[0].provider_id.as_deref() == Some("coupon_1"),
        "a coupon is kept as made, dated by the store, with no redemptions: {coupons:?}"
    );
    ensure!(
        codes.len() == 1 && codes[0].promotion == spring.promotion && codes[0].created_at == now,
        "a code is kept as made, dated by the store: {codes:?}"
    );
    ensure!(tx.promotion_code_for_update("NOPE").await.ctx("unknown")?.is_none(), "an unknown code is none");
    drop(tx);

    // The lock: a second reader waits for the first unit of work to end.
    let mut first = f.store.begin_platform().await.ctx("begin first")?;
    let (locked, _) = first.promotion_code_for_update("SPRING20").await.ctx("lock")?.ctx("the code")?;
    ensure!(locked.promotion.times_redeemed == 0, "no redemption yet");
    let second = {
        let store = f.store.clone();
        tokio::spawn(async move {
            let mut tx = store.begin_platform().await?;
            let seen = tx.promotion_code_for_update("SPRING20").await?;
            Ok::<_, StoreError>(seen.map(|(p, c)| (p.promotion.times_redeemed, c.coupon.times_redeemed)))
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    ensure!(!second.is_finished(), "a second reader of a locked code waits");
    ensure!(first.count_redemption(locked.id, 1).await.ctx("count")?, "the code is counted");
    first.commit().await.ctx("commit first")?;
    let seen = second.await.ctx("join")?.ctx("second")?;
    ensure!(seen == Some((1, 1)), "the second reader sees the first one's count on the code and coupon: {seen:?}");

    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    ensure!(tx.count_redemption(locked.id, -1).await.ctx("give back")?, "a redemption is given back");
    ensure!(tx.count_redemption(locked.id, -1).await.ctx("below zero")?, "a count at zero stays there");
    ensure!(tx.set_promotion_code_active(locked.id, false).await.ctx("off")?, "a code switches off");
    let gone: tenantry_domain::PromotionCodeId = f.id()?;
    ensure!(!tx.count_redemption(gone, 1).await.ctx("unknown")?, "an unknown code is not counted");
    ensure!(!tx.set_promotion_code_active(gone, false).await.ctx("unknown")?, "an unknown code does not switch");
    tx.commit().await.ctx("commit")?;
    let mut tx = f.store.begin_platform().await.ctx("begin")?;
    let (after, coupon_after) = tx.promotion_code_for_update("SPRING20").await.ctx("read")?.ctx("the code")?;
    ensure!(
        (after.promotion.times_redeemed, coupon_after.coupon.times_redeemed, after.promotion.active) == (0, 0, false),
        "counts never go below zero, and the code is off: {after:?} {coupon_after:?}"
    );
    Ok(())
}
