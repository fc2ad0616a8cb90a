//! Users and the rules about them: one tenant each, email unique within it,
//! exactly one owner who can never be deactivated, removed or demoted, and the
//! failed-login lockout.

use crate::email::Email;
use crate::ids::{PlatformUserId, TenantId, UserId};
use crate::password::{LockoutPolicy, PasswordHash};
use crate::rbac::{BuiltinRole, RoleRef};
use crate::text::PersonName;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Why a user may not be changed as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserRuleError {
    /// The owner cannot be deactivated, removed or demoted.
    #[error("the owner cannot be deactivated, removed or demoted; transfer ownership first")]
    OwnerProtected,
    /// The owner role is given only by an ownership transfer.
    #[error("the owner role is given only by transferring ownership")]
    OwnerByTransferOnly,
    /// Ownership can only go to an active user other than the owner.
    #[error("ownership can only be transferred to another active user")]
    InvalidNewOwner,
    /// Only the owner can transfer ownership.
    #[error("only the owner can transfer ownership")]
    NotOwner,
    /// The user is already active.
    #[error("the user is already active")]
    AlreadyActive,
    /// The user is already deactivated.
    #[error("the user is already deactivated")]
    AlreadyDeactivated,
    /// The user already has this role.
    #[error("the user already has this role")]
    SameRole,
    /// The user's personal data was erased (GDPR); the account cannot come back.
    #[error("the user was erased")]
    Erased,
}

/// Why a user is deactivated.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeactivationReason {
    /// An admin did it.
    Admin,
    /// The tenant fell back to freemium and had more users than seats
    /// (reversible: an admin reactivates within the seats).
    Downgrade,
    /// The user's personal data was erased (GDPR; irreversible).
    Erased,
}

/// Whether the user may sign in.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UserStatus {
    /// Signs in and occupies a seat.
    Active,
    /// Cannot sign in; occupies no seat.
    Deactivated {
        /// When.
        at: DateTime<Utc>,
        /// Why.
        reason: DeactivationReason,
    },
}

/// A user of one tenant.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct User {
    /// Every field, private: read through the accessors, changed by the transitions.
    r: UserRecord,
}

/// A user as a store keeps it: every field, for [`User::restore`] and
/// [`User::record`]. Changes go through [`User`]'s transitions; a record is
/// what a store reads and writes, not a way round them.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct UserRecord {
    /// Its id.
    pub id: UserId,
    /// The only tenant it belongs to.
    pub tenant_id: TenantId,
    /// Unique within the tenant.
    pub email: Email,
    /// Display name.
    pub name: PersonName,
    /// Built-in or custom role.
    pub role: RoleRef,
    /// Active or deactivated.
    pub status: UserStatus,
    /// Argon2id hash (never logged).
    pub password_hash: PasswordHash,
    /// When the account was created (signup or invitation accepted); the
    /// "newest-first" order of downgrades uses it.
    pub created_at: DateTime<Utc>,
    /// Failed-login counter and lock.
    pub throttle: AccountThrottle,
    /// Bumped on deactivation, role and password change; access tokens carrying
    /// an older version are refused.
    pub token_version: u32,
    /// Last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// When the address was proven (a verification link, or the invitation
    /// link that reached it); `None` while unverified.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// TOTP two-factor: the enrolment (confirmed or started) with its secret and
    /// recovery codes; `None` without.
    pub mfa: Option<crate::mfa::Mfa>,
    /// Which mails the person chose to receive.
    pub mail_prefs: MailPrefs,
    /// Their language and time zone, where they chose one.
    pub preferences: crate::preferences::Preferences,
}

/// Reading a user: one accessor per field (the fields are private, so that
/// every change is one of the transitions below).
impl User {
    /// Its id.
    pub fn id(&self) -> UserId {
        self.r.id
    }
    /// The only tenant it belongs to.
    pub fn tenant_id(&self) -> TenantId {
        self.r.tenant_id
    }
    /// Unique within the tenant.
    pub fn email(&self) -> &Email {
        &self.r.email
    }
    /// Display name.
    pub fn name(&self) -> &PersonName {
        &self.r.name
    }
    /// Built-in or custom role.
    pub fn role(&self) -> RoleRef {
        self.r.role
    }
    /// Active or deactivated.
    pub fn status(&self) -> UserStatus {
        self.r.status
    }
    /// Argon2id hash (never logged).
    pub fn password_hash(&self) -> &PasswordHash {
        &self.r.password_hash
    }
    /// When the account was created.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.r.created_at
    }
    /// Failed-login counter and lock.
    pub fn throttle(&self) -> &AccountThrottle {
        &self.r.throttle
    }
    /// Tokens carrying an older version are refused.
    pub fn token_version(&self) -> u32 {
        self.r.token_version
    }
    /// Last successful login.
    pub fn last_login_at(&self) -> Option<DateTime<Utc>> {
        self.r.last_login_at
    }
    /// When the address was proven; `None` while unverified.
    pub fn email_verified_at(&self) -> Option<DateTime<Utc>> {
        self.r.email_verified_at
    }
    /// TOTP two-factor, started or confirmed; `None` without.
    pub fn mfa(&self) -> &Option<crate::mfa::Mfa> {
        &self.r.mfa
    }
    /// Which mails the person chose to receive.
    pub fn mail_prefs(&self) -> MailPrefs {
        self.r.mail_prefs
    }
    /// Their language and time zone, where they chose one.
    pub fn preferences(&self) -> crate::preferences::Preferences {
        self.r.preferences
    }

    /// The user from what a store kept.
    pub fn restore(r: UserRecord) -> Self {
        Self { r }
    }

    /// What a store keeps of the user.
    pub fn record(&self) -> UserRecord {
        self.r.clone()
    }
}

/// The mails a person may choose (DESIGN.md "Notifications"): what they
/// cannot refuse — their own account's mails, and the billing notices a
/// tenant must hear — goes whatever these say.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailPrefs {
    /// The billing mails an owner or admin may refuse (a trial that became
    /// the paid plan). On unless switched off.
    #[serde(default = "yes")]
    pub billing: bool,
    /// The platform's product updates (the superuser's broadcasts): off until
    /// the person opts in; a mailed unsubscribe link turns it off again.
    #[serde(default)]
    pub product_updates: bool,
    /// The pre-invoice warning (an owner's or admin's: the amount of the next
    /// invoice, some days before it). On unless switched off.
    #[serde(default = "yes")]
    pub upcoming_invoice: bool,
}

fn yes() -> bool {
    true
}

impl Default for MailPrefs {
    fn default() -> Self {
        Self { billing: true, product_updates: false, upcoming_invoice: true }
    }
}

/// What a failed login did to the account.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FailedLogin {
    /// Counted; not locked yet.
    Counted {
        /// Failures so far.
        failures: u32,
    },
    /// This failure locked the account.
    LockedNow {
        /// Until when.
        until: DateTime<Utc>,
    },
    /// This failure locked the account for the client's address only (the
    /// account still opens from elsewhere).
    LockedForAddress {
        /// Until when.
        until: DateTime<Utc>,
    },
    /// The account was already locked; nothing counted.
    AlreadyLocked {
        /// Until when.
        until: DateTime<Utc>,
    },
}

/// One GDPR erasure, kept in the tenant's erasure ledger so that a restore of
/// an older backup erases the user again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The erased user (the id stays; every personal field is gone).
    pub user_id: UserId,
    /// When.
    pub erased_at: DateTime<Utc>,
    /// Who erased them.
    pub erased_by: crate::audit::AuditActor,
}

/// Consecutive failed logins and the lock they cause (DESIGN.md: 5 failures
/// lock the account for 15 minutes). Shared by tenant users and superusers.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct LoginThrottle {
    /// Consecutive failures.
    pub failures: u32,
    /// Locked until this instant.
    pub locked_until: Option<DateTime<Utc>>,
}

impl LoginThrottle {
    /// The lock in force at `now`, if any.
    pub fn locked_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now)
    }

    /// Records a failed login: `max_failures` consecutive failures lock for
    /// `lock_minutes`. A lock that has run out starts a fresh count.
    pub fn record_failure(&mut self, now: DateTime<Utc>, policy: &LockoutPolicy) -> FailedLogin {
        if let Some(until) = self.locked_at(now) {
            return FailedLogin::AlreadyLocked { until };
        }
        if self.locked_until.is_some() {
            *self = LoginThrottle::default();
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures >= policy.max_failures {
            let until = crate::time::saturating_add(now, policy.lock_duration());
            self.locked_until = Some(until);
            FailedLogin::LockedNow { until }
        } else {
            FailedLogin::Counted { failures: self.failures }
        }
    }

    /// Records a successful login: the count and any expired lock are cleared.
    pub fn record_success(&mut self) {
        *self = LoginThrottle::default();
    }
}

/// How many client addresses an account's throttle remembers at most (the
/// oldest go first; an address forgotten starts a fresh count).
pub const ADDRESSES_KEPT: usize = 64;

/// The key of a client address in a throttle: an IPv4 address as it is, an
/// IPv6 address by its /64 (one subscriber's network), `unknown` without one.
pub fn address_key(address: Option<std::net::IpAddr>) -> String {
    match address {
        Some(std::net::IpAddr::V4(a)) => a.to_string(),
        Some(std::net::IpAddr::V6(a)) => {
            let s = a.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "unknown".to_owned(),
    }
}

/// Failed logins of one address.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct AddressFailures {
    /// The address's key ([`address_key`]).
    pub address: String,
    /// Consecutive failures from it.
    pub failures: u32,
    /// The latest.
    pub last_at: DateTime<Utc>,
    /// Locked for this address until then.
    pub locked_until: Option<DateTime<Utc>>,
}

/// A tenant user's failed logins (DESIGN.md §3): counted per client address —
/// `max_failures` (5) from one address lock the account **for that address**
/// for `lock_minutes` (15), so that a stranger cannot lock the owner out from
/// elsewhere — and in all: `max_failures_everywhere` (20) from all addresses
/// within `lock_minutes` lock it everywhere (and the user is mailed).
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountThrottle {
    /// Failures from all addresses since `window_started`.
    pub failures: u32,
    /// When the current window of `lock_minutes` began.
    pub window_started: Option<DateTime<Utc>>,
    /// Locked everywhere until then.
    pub locked_until: Option<DateTime<Utc>>,
    /// Per address (at most [`ADDRESSES_KEPT`]).
    pub addresses: Vec<AddressFailures>,
}

impl AccountThrottle {
    /// The lock in force at `now` for a login from `address`, if any.
    pub fn locked_at(&self, now: DateTime<Utc>, address: &str) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now).or_else(|| {
            self.addresses.iter().find(|a| a.address == address).and_then(|a| a.locked_until).filter(|u| *u > now)
        })
    }

    /// Records a failed login from `address`. A lock that has run out starts
    /// a fresh count; so does the everywhere count after `lock_minutes`.
    pub fn record_failure(&mut self, now: DateTime<Utc>, address: &str, policy: &LockoutPolicy) -> FailedLogin {
        if let Some(until) = self.locked_at(now, address) {
            return FailedLogin::AlreadyLocked { until };
        }
        let window = policy.lock_duration();
        let window_over = self.window_started.is_none_or(|start| now - start >= window);
        if window_over || self.locked_until.is_some() {
            self.failures = 0;
            self.window_started = Some(now);
            self.locked_until = None;
        }
        self.failures = self.failures.saturating_add(1);
        // Addresses whose lock ran out, or quiet for a window, start afresh.
        self.addresses.retain(|a| match a.locked_until {
            Some(until) => until > now,
            None => now - a.last_at < window,
        });
        let until = crate::time::saturating_add(now, window);
        let index = match self.addresses.iter().position(|a| a.address == address) {
            Some(i) => i,
            None => {
                if self.addresses.len() >= ADDRESSES_KEPT {
                    self.addresses.sort_by_key(|a| a.last_at);
                    self.addresses.remove(0);
                }
                self.addresses.push(AddressFailures {
                    address: address.to_owned(),
                    failures: 0,
                    last_at: now,
                    locked_until: None,
                });
                self.addresses.len() - 1
            }
        };
        let Some(entry) = self.addresses.get_mut(index) else { return FailedLogin::Counted { failures: 0 } };
        entry.failures = entry.failures.saturating_add(1);
        entry.last_at = now;
        if self.failures >= policy.max_failures_everywhere {
            self.locked_until = Some(until);
            FailedLogin::LockedNow { until }
        } else if entry.failures >= policy.max_failures {
            entry.locked_until = Some(until);
            FailedLogin::LockedForAddress { until }
        } else {
            FailedLogin::Counted { failures: entry.failures }
        }
    }

    /// Records a successful login from `address`: that address's count goes
    /// (the everywhere count runs out with its window).
    pub fn record_success(&mut self, address: &str) {
        self.addresses.retain(|a| a.address != address);
    }
}

/// A platform operator (the superuser): belongs to no tenant, logs in without a slug.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PlatformUser {
    /// Its id.
    pub id: PlatformUserId,
    /// Unique among operators.
    pub email: Email,
    /// Display name.
    pub name: PersonName,
    /// Argon2id hash.
    pub password_hash: PasswordHash,
    /// Whether it may log in.
    pub active: bool,
    /// Failed-login counter and lock.
    pub throttle: LoginThrottle,
    /// Bumped on password change and deactivation.
    pub token_version: u32,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// Last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Two-factor authentication (mandatory with PostgreSQL: see `TenantryConfig::superuser_mfa_required`).
    pub mfa: Option<crate::mfa::Mfa>,
}

impl User {
    /// A new active user.
    pub fn new(
        id: UserId,
        tenant_id: TenantId,
        email: Email,
        name: PersonName,
        role: RoleRef,
        password_hash: PasswordHash,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            r: UserRecord {
                id,
                tenant_id,
                email,
                name,
                role,
                status: UserStatus::Active,
                password_hash,
                created_at: now,
                throttle: AccountThrottle::default(),
                token_version: 0,
                last_login_at: None,
                email_verified_at: None,
                mfa: None,
                mail_prefs: MailPrefs::default(),
                preferences: crate::preferences::Preferences::default(),
            },
        }
    }

    /// Whether the user is active (and so occupies a seat).
    pub fn is_active(&self) -> bool {
        self.r.status == UserStatus::Active
    }

    /// Whether the user is the tenant's owner.
    pub fn is_owner(&self) -> bool {
        self.r.role.is_owner()
    }

    /// Gives the user another (non-owner) role.
    pub fn change_role(&mut self, role: RoleRef) -> Result<(), UserRuleError> {
        if self.is_owner() {
            return Err(UserRuleError::OwnerProtected);
        }
        if role.is_owner() {
            return Err(UserRuleError::OwnerByTransferOnly);
        }
        if self.r.role == role {
            return Err(UserRuleError::SameRole);
        }
        self.r.role = role;
        self.r.token_version = self.r.token_version.wrapping_add(1);
        Ok(())
    }

    /// Ends every session: tokens issued before stop working (logout).
    pub fn end_sessions(&mut self) {
        self.r.token_version = self.r.token_version.wrapping_add(1);
    }

    /// Deactivates the user (never the owner).
    pub fn deactivate(&mut self, now: DateTime<Utc>, reason: DeactivationReason) -> Result<(), UserRuleError> {
        if self.is_owner() {
            return Err(UserRuleError::OwnerProtected);
        }
        if !self.is_active() {
            return Err(UserRuleError::AlreadyDeactivated);
        }
        self.r.status = UserStatus::Deactivated { at: now, reason };
        self.r.token_version = self.r.token_version.wrapping_add(1);
        Ok(())
    }

    /// Reactivates a deactivated user (the caller checks the seats first).
    pub fn reactivate(&mut self) -> Result<(), UserRuleError> {
        if self.is_active() {
            return Err(UserRuleError::AlreadyActive);
        }
        if self.is_erased() {
            return Err(UserRuleError::Erased);
        }
        self.r.status = UserStatus::Active;
        Ok(())
    }

    /// Checks that the user may be removed (never the owner).
    pub fn ensure_removable(&self) -> Result<(), UserRuleError> {
        if self.is_owner() { Err(UserRuleError::OwnerProtected) } else { Ok(()) }
    }

    /// Whether the user's personal data was erased.
    pub fn is_erased(&self) -> bool {
        matches!(self.r.status, UserStatus::Deactivated { reason: DeactivationReason::Erased, .. })
    }

    /// GDPR erasure (DESIGN.md "Data rights"): the email becomes the pseudonym
    /// [`Email::erased`], the name `Erased user`, the password `unusable` (a hash
    /// of nobody's password); the account is deactivated for good (its seat
    /// freed, its sessions ended); login history is forgotten. The id stays, so
    /// that audit events keep a pseudonymous actor. Never the owner: transfer
    /// ownership first.
    pub fn erase(&mut self, now: DateTime<Utc>, unusable: PasswordHash) -> Result<(), UserRuleError> {
        if self.is_owner() {
            return Err(UserRuleError::OwnerProtected);
        }
        if self.is_erased() {
            return Err(UserRuleError::Erased);
        }
        self.r.email = Email::erased(self.r.id.as_uuid());
        self.r.name = PersonName::erased();
        self.r.password_hash = unusable;
        self.r.status = UserStatus::Deactivated { at: now, reason: DeactivationReason::Erased };
        self.r.throttle = AccountThrottle::default();
        self.r.last_login_at = None;
        self.r.email_verified_at = None;
        self.r.mfa = None;
        self.r.token_version = self.r.token_version.wrapping_add(1);
        Ok(())
    }

    /// Changes the display name (the person's own profile).
    pub fn rename(&mut self, name: PersonName) {
        self.r.name = name;
    }

    /// Replaces the password hash; older tokens stop working.
    pub fn set_password(&mut self, hash: PasswordHash) {
        self.r.password_hash = hash;
        self.r.token_version = self.r.token_version.wrapping_add(1);
    }

    /// Clears the failed-login counters and any lock (a password set by a
    /// reset link: whoever holds the mailbox is let in again).
    pub fn unlock(&mut self) {
        self.r.throttle = AccountThrottle::default();
    }

    /// A failed login from `address` (see [`AccountThrottle::record_failure`]).
    pub fn record_failed_login(&mut self, now: DateTime<Utc>, address: &str, policy: &LockoutPolicy) -> FailedLogin {
        self.r.throttle.record_failure(now, address, policy)
    }

    /// A successful login from `address`: its failures are forgiven and the
    /// login's time kept.
    pub fn record_login(&mut self, now: DateTime<Utc>, address: &str) {
        self.r.throttle.record_success(address);
        self.r.last_login_at = Some(now);
    }

    /// The address is proven (a verification link, or the invitation link
    /// that reached it); the first proof's time is kept.
    pub fn verify_email(&mut self, now: DateTime<Utc>) {
        self.r.email_verified_at.get_or_insert(now);
    }

    /// The language and time zone the person chose.
    pub fn choose(&mut self, preferences: crate::preferences::Preferences) {
        self.r.preferences = preferences;
    }

    /// A new address, proven by the link that reached it (so verified now).
    pub fn change_email(&mut self, email: Email, now: DateTime<Utc>) {
        self.r.email = email;
        self.r.email_verified_at = Some(now);
    }

    /// The mails the person chose.
    pub fn choose_mail(&mut self, prefs: MailPrefs) {
        self.r.mail_prefs = prefs;
    }

    /// The two-factor enrolment as it now stands: started, confirmed, or with
    /// a recovery code or a time step used.
    pub fn keep_mfa(&mut self, mfa: crate::mfa::Mfa) {
        self.r.mfa = Some(mfa);
    }

    /// Removes the two-factor enrolment (disabled by the user, reset by the
    /// superuser, or void after a restore).
    pub fn remove_mfa(&mut self) {
        self.r.mfa = None;
    }

    /// Restoring a backup: the archive's password is void (`unusable`, a hash
    /// of nobody's password) and its failed-login counters with it.
    pub fn void_password(&mut self, unusable: PasswordHash) {
        self.r.password_hash = unusable;
        self.r.throttle = AccountThrottle::default();
    }

    /// Restoring a backup: deactivated by the platform — even the owner, when
    /// the archive's owner was removed since and must not be let back in
    /// until the superuser transfers the ownership.
    pub fn bar(&mut self, now: DateTime<Utc>) {
        self.r.status = UserStatus::Deactivated { at: now, reason: DeactivationReason::Admin };
    }

    /// Restoring a backup: past every token version the user ever had
    /// (`known`, from the platform's ledger), so that no earlier token opens anything.
    pub fn move_tokens_past(&mut self, known: u32) {
        self.r.token_version = self.r.token_version.max(known).wrapping_add(1);
    }
}

/// Hands ownership from `owner` to `new_owner` (DESIGN.md "Roles": exactly one
/// owner, transferable): the new owner must be another active user; the old
/// owner becomes an admin. Both token versions change.
pub fn transfer_ownership(owner: &mut User, new_owner: &mut User) -> Result<(), UserRuleError> {
    if !owner.is_owner() {
        return Err(UserRuleError::NotOwner);
    }
    if new_owner.r.id == owner.r.id || !new_owner.is_active() || new_owner.r.tenant_id != owner.r.tenant_id {
        return Err(UserRuleError::InvalidNewOwner);
    }
    owner.r.role = RoleRef::Builtin(BuiltinRole::Admin);
    owner.r.token_version = owner.r.token_version.wrapping_add(1);
    new_owner.r.role = RoleRef::OWNER;
    new_owner.r.token_version = new_owner.r.token_version.wrapping_add(1);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::EntityId;
    use chrono::{Duration, TimeZone};
    use secrecy::SecretString;

    fn user(n: u8, role: RoleRef) -> User {
        let uuid = crate::ids::uuid_v7_from_parts(1, [n; 10]);
        let tenant = crate::ids::uuid_v7_from_parts(1, [0; 10]);
        User::new(
            UserId::from_uuid(uuid).unwrap(),
            TenantId::from_uuid(tenant).unwrap(),
            Email::parse(&format!("u{n}@example.com")).unwrap(),
            PersonName::parse("U").unwrap(),
            role,
            PasswordHash::from_encoded(SecretString::from("h")),
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        )
    }

    #[test]
    fn a_record_restores_the_same_user() {
        let mut u = user(1, RoleRef::Builtin(BuiltinRole::Member));
        u.verify_email(Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap());
        assert_eq!(User::restore(u.record()), u);
    }

    #[test]
    fn the_first_proof_of_the_address_is_kept() {
        let mut u = user(1, RoleRef::Builtin(BuiltinRole::Member));
        let first = Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap();
        u.verify_email(first);
        u.verify_email(first + Duration::days(3));
        assert_eq!(u.email_verified_at(), Some(first));
    }

    #[test]
    fn five_failures_lock_the_address_and_a_login_or_an_unlock_forgives_them() {
        let policy = LockoutPolicy::default();
        let now = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        let mut u = user(1, RoleRef::Builtin(BuiltinRole::Member));
        for _ in 0..5 {
            u.record_failed_login(now, "192.0.2.0/24", &policy);
        }
        assert_eq!(u.throttle().locked_at(now, "192.0.2.0/24"), Some(now + Duration::minutes(15)));
        assert_eq!(u.throttle().locked_at(now, "198.51.100.0/24"), None, "another address is not locked");
        let mut unlocked = u.clone();
        unlocked.unlock();
        assert_eq!(unlocked.throttle().locked_at(now, "192.0.2.0/24"), None);
        u.record_login(now + Duration::minutes(20), "192.0.2.0/24");
        assert_eq!(u.last_login_at(), Some(now + Duration::minutes(20)));
        assert_eq!(u.throttle().locked_at(now + Duration::minutes(20), "192.0.2.0/24"), None);
    }

    #[test]
    fn a_restore_voids_the_archived_credentials_and_moves_past_every_known_token() {
        let now = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        let mut owner = user(1, RoleRef::OWNER);
        owner.record_failed_login(now, "192.0.2.0/24", &LockoutPolicy::default());
        owner.keep_mfa(crate::mfa::Mfa::start(crate::mfa::TotpSecret::from_bytes([7; 20]), now));
        let unusable = PasswordHash::from_encoded(SecretString::from("nobody"));
        owner.void_password(unusable.clone());
        owner.remove_mfa();
        owner.bar(now);
        owner.move_tokens_past(41);
        assert_eq!(owner.password_hash(), &unusable);
        assert_eq!(owner.throttle(), &AccountThrottle::default());
        assert!(owner.mfa().is_none());
        assert!(!owner.is_active() && owner.is_owner(), "the owner is barred, not demoted");
        assert_eq!(owner.token_version(), 42, "one past the highest version the ledger knew");
        owner.move_tokens_past(3);
        assert_eq!(owner.token_version(), 43, "never back: one past its own when that is higher");
    }

    #[test]
    fn erasure_replaces_every_personal_field_for_good_and_spares_the_owner() {
        let mut u = user(1, RoleRef::Builtin(BuiltinRole::Member));
        u.r.last_login_at = Some(Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap());
        let now = Utc.with_ymd_and_hms(2026, 11, 3, 0, 0, 0).unwrap();
        let version = u.r.token_version;
        u.erase(now, PasswordHash::from_encoded(SecretString::from("decoy"))).unwrap();
        assert_eq!(u.r.email.as_str(), format!("erased-{}@erased.invalid", u.r.id.as_uuid().simple()));
        assert!(u.r.email.is_erased() && Email::parse(u.r.email.as_str()).is_ok(), "a valid, undeliverable address");
        assert_eq!(u.r.name.as_str(), "Erased user");
        assert_eq!(u.r.password_hash.expose(), "decoy");
        assert_eq!((u.is_active(), u.is_erased(), u.r.last_login_at), (false, true, None));
        assert_eq!(u.r.token_version, version.wrapping_add(1), "sessions end");
        assert_eq!(u.erase(now, PasswordHash::from_encoded(SecretString::from("x"))), Err(UserRuleError::Erased));
        assert_eq!(u.reactivate(), Err(UserRuleError::Erased), "an erased account never comes back");
        let mut owner = user(2, RoleRef::OWNER);
        let before = owner.clone();
        let refused = owner.erase(now, PasswordHash::from_encoded(SecretString::from("x")));
        assert_eq!(refused, Err(UserRuleError::OwnerProtected));
        assert_eq!(owner, before);
    }

    #[test]
    fn five_failures_from_one_address_lock_the_account_for_that_address_for_fifteen_minutes() {
        let mut u = user(1, RoleRef::Builtin(BuiltinRole::Member));
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
        let policy = LockoutPolicy::default();
        let (stranger, owner) = ("203.0.113.9", "198.51.100.7");
        for i in 1..=4 {
            assert_eq!(u.r.throttle.record_failure(now, stranger, &policy), FailedLogin::Counted { failures: i });
        }
        let until = now + Duration::minutes(15);
        assert_eq!(u.r.throttle.record_failure(now, stranger, &policy), FailedLogin::LockedForAddress { until });
        assert_eq!(u.r.throttle.locked_at(now + Duration::minutes(14), stranger), Some(until));
        assert_eq!(u.r.throttle.locked_at(now + Duration::minutes(14), owner), None, "the owner still logs in");
        assert_eq!(
            u.r.throttle.record_failure(now + Duration::minutes(1), stranger, &policy),
            FailedLogin::AlreadyLocked { until }
        );
        assert_eq!(u.r.throttle.locked_at(until, stranger), None);
        // after the lock the count starts again
        assert_eq!(u.r.throttle.record_failure(until, stranger, &policy), FailedLogin::Counted { failures: 1 });
        u.r.throttle.record_success(stranger);
        assert!(u.r.throttle.addresses.is_empty(), "{:?}", u.r.throttle);
    }

    #[test]
    fn twenty_failures_from_all_addresses_within_fifteen_minutes_lock_everywhere() {
        let mut u = user(1, RoleRef::Builtin(BuiltinRole::Member));
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
        let policy = LockoutPolicy::default();
        // 19 failures from 19 addresses over 14 minutes: each address has one, nothing locks.
        for i in 0..19u32 {
            let at = now + Duration::seconds(i64::from(i) * 44);
            let r = u.r.throttle.record_failure(at, &format!("203.0.113.{i}"), &policy);
            assert_eq!(r, FailedLogin::Counted { failures: 1 }, "failure {i}");
        }
        let at = now + Duration::minutes(14);
        let until = at + Duration::minutes(15);
        assert_eq!(u.r.throttle.record_failure(at, "192.0.2.1", &policy), FailedLogin::LockedNow { until });
        assert_eq!(u.r.throttle.locked_at(at, "198.51.100.7"), Some(until), "locked for every address");
        // A window that ran out starts afresh: 19 failures spread over more than 15 minutes never lock everywhere.
        let mut v = user(2, RoleRef::Builtin(BuiltinRole::Member));
        for i in 0..40u32 {
            let at = now + Duration::seconds(i64::from(i) * 60);
            let r = v.r.throttle.record_failure(at, &format!("203.0.113.{i}"), &policy);
            assert!(!matches!(r, FailedLogin::LockedNow { .. }), "failure {i}: {r:?}");
        }
        // A success from one address leaves the others' counts.
        let mut w = user(3, RoleRef::Builtin(BuiltinRole::Member));
        w.r.throttle.record_failure(now, "a", &policy);
        w.r.throttle.record_failure(now, "b", &policy);
        w.r.throttle.record_success("a");
        assert_eq!(w.r.throttle.addresses.len(), 1);
        assert_eq!(w.r.throttle.failures, 2, "the everywhere count runs out with its window");
    }

    #[test]
    fn a_throttle_remembers_a_bounded_number_of_addresses_and_keys_ipv6_by_its_64() {
        let mut u = user(1, RoleRef::Builtin(BuiltinRole::Member));
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
        let policy = LockoutPolicy { max_failures_everywhere: u32::MAX, ..LockoutPolicy::default() };
        for i in 0..200u32 {
            u.r.throttle.record_failure(now + Duration::milliseconds(i64::from(i)), &i.to_string(), &policy);
        }
        assert_eq!(u.r.throttle.addresses.len(), ADDRESSES_KEPT);
        let a: std::net::IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        assert_eq!(address_key(Some(a)), address_key(Some(b)));
        assert_eq!(address_key(Some(a)), "2001:db8:1:2::/64");
        assert_eq!(address_key(Some("203.0.113.9".parse().unwrap())), "203.0.113.9");
        assert_eq!(address_key(None), "unknown");
    }

    #[test]
    fn the_superusers_throttle_locks_after_five_failures() {
        let mut t = LoginThrottle::default();
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
        let policy = LockoutPolicy::default();
        for i in 1..=4 {
            assert_eq!(t.record_failure(now, &policy), FailedLogin::Counted { failures: i });
        }
        let until = now + Duration::minutes(15);
        assert_eq!(t.record_failure(now, &policy), FailedLogin::LockedNow { until });
        t.record_success();
        assert_eq!(t, LoginThrottle::default());
    }

    #[test]
    fn the_owner_cannot_be_deactivated_removed_or_demoted() {
        let mut owner = user(1, RoleRef::OWNER);
        assert_eq!(owner.deactivate(owner.r.created_at, DeactivationReason::Admin), Err(UserRuleError::OwnerProtected));
        assert_eq!(owner.ensure_removable(), Err(UserRuleError::OwnerProtected));
        assert_eq!(owner.change_role(RoleRef::Builtin(BuiltinRole::Admin)), Err(UserRuleError::OwnerProtected));
        let mut member = user(2, RoleRef::Builtin(BuiltinRole::Member));
        assert_eq!(member.change_role(RoleRef::OWNER), Err(UserRuleError::OwnerByTransferOnly));
    }

    #[test]
    fn ownership_moves_to_an_active_user_and_the_old_owner_becomes_admin() {
        let mut owner = user(1, RoleRef::OWNER);
        let mut member = user(2, RoleRef::Builtin(BuiltinRole::Member));
        transfer_ownership(&mut owner, &mut member).unwrap();
        assert!(member.is_owner());
        assert_eq!(owner.r.role, RoleRef::Builtin(BuiltinRole::Admin));
        let mut inactive = user(3, RoleRef::Builtin(BuiltinRole::Member));
        inactive.deactivate(inactive.r.created_at, DeactivationReason::Admin).unwrap();
        assert_eq!(transfer_ownership(&mut member, &mut inactive), Err(UserRuleError::InvalidNewOwner));
        assert_eq!(transfer_ownership(&mut owner, &mut inactive), Err(UserRuleError::NotOwner));
    }

    #[test]
    fn a_role_change_or_deactivation_invalidates_old_tokens() {
        let mut u = user(2, RoleRef::Builtin(BuiltinRole::Member));
        u.change_role(RoleRef::Builtin(BuiltinRole::Viewer)).unwrap();
        assert_eq!(u.r.token_version, 1);
        u.deactivate(u.r.created_at, DeactivationReason::Admin).unwrap();
        assert_eq!(u.r.token_version, 2);
        assert_eq!(u.deactivate(u.r.created_at, DeactivationReason::Admin), Err(UserRuleError::AlreadyDeactivated));
        u.reactivate().unwrap();
        assert_eq!(u.reactivate(), Err(UserRuleError::AlreadyActive));
    }
}
