//! Role-based access control: permissions, permission sets, built-in and custom
//! roles, and the [`Policy`] that says which role holds which permission.
//!
//! A permission is a `resource:action` name registered once (tenantry's own, plus
//! those an embedding product registers, e.g. `timesheets:approve`) and turned
//! into a small index. A role's permissions are a fixed 256-bit set, so an
//! authorisation check is one shift and one AND — no strings, no allocation, no
//! lookup (see docs/PERFORMANCE.md for the figures against casbin).
//!
//! The platform superuser is not a tenant role: it is a separate actor (see the
//! ports crate's `Actor`) that acts inside one tenant at a time, audited.

use crate::ids::{RoleId, TenantId};
use crate::text::Description;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// The most permissions one policy can hold (tenantry's and the product's).
pub const MAX_PERMISSIONS: usize = 256;

/// Why an RBAC value or registration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RbacError {
    /// Not of the form `resource:action` with `[a-z][a-z0-9_]*` parts.
    #[error("`{0}` is not a permission name; use `resource:action` in lower case")]
    MalformedPermission(String),
    /// A name the policy does not know.
    #[error("unknown permission `{0}`")]
    UnknownPermission(String),
    /// A permission only the owner may hold, put into a custom role.
    #[error("`{0}` belongs to the owner alone and cannot be part of a custom role")]
    ReservedPermission(String),
    /// The same permission registered twice.
    #[error("permission `{0}` is already registered")]
    DuplicatePermission(String),
    /// More than [`MAX_PERMISSIONS`].
    #[error("a policy holds at most {MAX_PERMISSIONS} permissions")]
    TooManyPermissions,
    /// A text that names no role.
    #[error("unknown role `{0}`")]
    UnknownRole(String),
    /// A custom role name that is empty, too long or a built-in role's name.
    #[error("invalid role name: {0}")]
    RoleName(String),
    /// A custom role with no permission at all.
    #[error("a custom role needs at least one permission")]
    EmptyRole,
}

/// One permission: an index into the [`Policy`]'s registry.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Permission(u8);

impl Permission {
    /// The index (stable for built-ins; registration order for product permissions).
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// tenantry's own permissions. Their indices are fixed; products' come after.
pub mod builtin {
    use super::Permission;

    /// Read the tenant profile and settings.
    pub const TENANT_READ: Permission = Permission(0);
    /// Change the tenant profile, branding, notification and billing details.
    pub const TENANT_UPDATE: Permission = Permission(1);
    /// Request or cancel the deletion of the tenant (owner only).
    pub const TENANT_DELETE: Permission = Permission(2);
    /// Hand ownership to another user (owner only).
    pub const OWNERSHIP_TRANSFER: Permission = Permission(3);
    /// List users.
    pub const USERS_READ: Permission = Permission(4);
    /// Change roles, deactivate, reactivate and remove users.
    pub const USERS_MANAGE: Permission = Permission(5);
    /// Create, list, revoke and resend invitations.
    pub const INVITATIONS_MANAGE: Permission = Permission(6);
    /// Create, change and delete custom roles.
    pub const ROLES_MANAGE: Permission = Permission(7);
    /// See the subscription.
    pub const BILLING_READ: Permission = Permission(8);
    /// Change seats and plans, cancel, open checkout and portal, read invoices.
    pub const BILLING_MANAGE: Permission = Permission(9);
    /// Read the tenant's audit log.
    pub const AUDIT_READ: Permission = Permission(10);
    /// Read metered usage and limits.
    pub const USAGE_READ: Permission = Permission(11);
    /// Create and revoke API keys.
    pub const API_KEYS_MANAGE: Permission = Permission(12);
    /// Start GDPR exports and erase users.
    pub const DATA_MANAGE: Permission = Permission(13);
    /// Receive ad decisions and count impressions and clicks.
    pub const ADS_VIEW: Permission = Permission(14);
    /// List and download the tenant's files (issue 27).
    pub const FILES_READ: Permission = Permission(15);
    /// Upload files, and delete one's own (deleting another's is `tenant:update`'s).
    pub const FILES_WRITE: Permission = Permission(16);

    /// Name and permission of every built-in, in index order.
    pub const ALL: [(&str, Permission); 17] = [
        ("tenant:read", TENANT_READ),
        ("tenant:update", TENANT_UPDATE),
        ("tenant:delete", TENANT_DELETE),
        ("ownership:transfer", OWNERSHIP_TRANSFER),
        ("users:read", USERS_READ),
        ("users:manage", USERS_MANAGE),
        ("invitations:manage", INVITATIONS_MANAGE),
        ("roles:manage", ROLES_MANAGE),
        ("billing:read", BILLING_READ),
        ("billing:manage", BILLING_MANAGE),
        ("audit:read", AUDIT_READ),
        ("usage:read", USAGE_READ),
        ("api_keys:manage", API_KEYS_MANAGE),
        ("data:manage", DATA_MANAGE),
        ("ads:view", ADS_VIEW),
        ("files:read", FILES_READ),
        ("files:write", FILES_WRITE),
    ];
}

/// A set of permissions as a 256-bit bitmap.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PermissionSet([u64; 4]);

impl PermissionSet {
    /// No permission.
    pub const EMPTY: PermissionSet = PermissionSet([0; 4]);

    /// The set of the given permissions.
    pub fn of(perms: &[Permission]) -> Self {
        let mut s = Self::EMPTY;
        for &p in perms {
            s.insert(p);
        }
        s
    }

    /// Adds one permission.
    pub fn insert(&mut self, p: Permission) {
        let i = p.index();
        self.0[i >> 6] |= 1u64 << (i & 63);
    }

    /// Removes one permission.
    pub fn remove(&mut self, p: Permission) {
        let i = p.index();
        self.0[i >> 6] &= !(1u64 << (i & 63));
    }

    /// The authorisation check: one shift, one AND.
    #[inline]
    pub fn contains(&self, p: Permission) -> bool {
        let i = p.index();
        (self.0[i >> 6] >> (i & 63)) & 1 == 1
    }

    /// Every permission of `self` is in `other`.
    pub fn is_subset_of(&self, other: &PermissionSet) -> bool {
        self.0.iter().zip(other.0.iter()).all(|(a, b)| a & !b == 0)
    }

    /// The union.
    pub fn union(&self, other: &PermissionSet) -> PermissionSet {
        let mut out = *self;
        for (o, b) in out.0.iter_mut().zip(other.0.iter()) {
            *o |= b;
        }
        out
    }

    /// Permissions in both.
    pub fn intersection(&self, other: &PermissionSet) -> PermissionSet {
        let mut out = *self;
        for (o, b) in out.0.iter_mut().zip(other.0.iter()) {
            *o &= b;
        }
        out
    }

    /// Permissions in `self` that are not in `other`.
    pub fn difference(&self, other: &PermissionSet) -> PermissionSet {
        let mut out = *self;
        for (o, b) in out.0.iter_mut().zip(other.0.iter()) {
            *o &= !b;
        }
        out
    }

    /// Number of permissions.
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// The permissions in index order.
    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        (0..MAX_PERMISSIONS).filter_map(|i| u8::try_from(i).ok().map(Permission)).filter(|p| self.contains(*p))
    }
}

impl fmt::Debug for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(|p| p.0)).finish()
    }
}

/// A validated permission name `resource:action` (each part `[a-z][a-z0-9_]{0,31}`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PermissionName(String);

impl PermissionName {
    /// Checks the shape of a permission name.
    pub fn parse(text: &str) -> Result<Self, RbacError> {
        let t = text.trim();
        let part_ok = |p: &str| {
            (1..=32).contains(&p.len())
                && p.starts_with(|c: char| c.is_ascii_lowercase())
                && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        match t.split_once(':') {
            Some((r, a)) if part_ok(r) && part_ok(a) => Ok(Self(t.to_owned())),
            _ => Err(RbacError::MalformedPermission(t.chars().take(70).collect())),
        }
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for PermissionName {
    type Error = RbacError;
    fn try_from(value: String) -> Result<Self, RbacError> {
        Self::parse(&value)
    }
}
impl From<PermissionName> for String {
    fn from(p: PermissionName) -> String {
        p.0
    }
}
impl fmt::Debug for PermissionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Display for PermissionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The five roles every tenant has.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BuiltinRole {
    /// Exactly one per tenant; everything, including deletion and ownership transfer.
    Owner,
    /// Users, settings, billing: everything but the owner's two powers.
    Admin,
    /// Reads the team and the tenant's figures; products give managers their approvals.
    Manager,
    /// A regular user.
    Member,
    /// Read-only.
    Viewer,
}

impl BuiltinRole {
    /// All built-in roles, most powerful first.
    pub const ALL: [BuiltinRole; 5] =
        [BuiltinRole::Owner, BuiltinRole::Admin, BuiltinRole::Manager, BuiltinRole::Member, BuiltinRole::Viewer];

    /// The stable name (`owner`, `admin`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            BuiltinRole::Owner => "owner",
            BuiltinRole::Admin => "admin",
            BuiltinRole::Manager => "manager",
            BuiltinRole::Member => "member",
            BuiltinRole::Viewer => "viewer",
        }
    }

    /// Parses a built-in role name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(text.trim()))
    }

    fn slot(self) -> usize {
        match self {
            BuiltinRole::Owner => 0,
            BuiltinRole::Admin => 1,
            BuiltinRole::Manager => 2,
            BuiltinRole::Member => 3,
            BuiltinRole::Viewer => 4,
        }
    }
}

/// The role a user holds: a built-in one or one of the tenant's custom roles.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(try_from = "String", into = "String")]
pub enum RoleRef {
    /// `owner`, `admin`, `manager`, `member` or `viewer`.
    Builtin(BuiltinRole),
    /// A custom role of the same tenant.
    Custom(RoleId),
}

impl RoleRef {
    /// The owner role.
    pub const OWNER: RoleRef = RoleRef::Builtin(BuiltinRole::Owner);

    /// Parses `admin` (a built-in) or a custom role's id.
    pub fn parse(text: &str) -> Result<Self, RbacError> {
        if let Some(b) = BuiltinRole::parse(text) {
            return Ok(RoleRef::Builtin(b));
        }
        RoleId::parse(text).map(RoleRef::Custom).map_err(|_| RbacError::UnknownRole(text.chars().take(70).collect()))
    }

    /// Whether this is the owner role.
    pub fn is_owner(&self) -> bool {
        *self == Self::OWNER
    }
}

impl fmt::Display for RoleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoleRef::Builtin(b) => f.write_str(b.as_str()),
            RoleRef::Custom(id) => write!(f, "{id}"),
        }
    }
}
/// The schema of what serde writes (`into = "String"`): a built-in role's name or
/// a custom role's id; the derive would describe the variants instead.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for RoleRef {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
        let builtin = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(BuiltinRole::ALL.iter().map(|r| r.as_str())));
        let custom =
            ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
        AnyOfBuilder::new()
            .item(builtin)
            .item(custom)
            .description(Some(
                "A built-in role (`owner`, `admin`, `manager`, `member`, `viewer`) or a custom role's id.",
            ))
            .into()
    }
}
#[cfg(feature = "openapi")]
impl utoipa::ToSchema for RoleRef {}

impl TryFrom<String> for RoleRef {
    type Error = RbacError;
    fn try_from(value: String) -> Result<Self, RbacError> {
        Self::parse(&value)
    }
}
impl From<RoleRef> for String {
    fn from(r: RoleRef) -> String {
        r.to_string()
    }
}

/// A custom role's display name: 1–50 characters, not a built-in role's name.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
#[serde(try_from = "String", into = "String")]
pub struct RoleName(String);

impl RoleName {
    /// Checks a custom role name.
    pub fn parse(text: &str) -> Result<Self, RbacError> {
        let t = text.trim();
        if t.is_empty() || t.chars().count() > 50 || t.chars().any(char::is_control) {
            return Err(RbacError::RoleName("use 1 to 50 printable characters".into()));
        }
        if BuiltinRole::parse(t).is_some() {
            return Err(RbacError::RoleName(format!("`{t}` is a built-in role")));
        }
        Ok(Self(t.to_owned()))
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for RoleName {
    type Error = RbacError;
    fn try_from(value: String) -> Result<Self, RbacError> {
        Self::parse(&value)
    }
}
impl From<RoleName> for String {
    fn from(r: RoleName) -> String {
        r.0
    }
}

/// A role a tenant defined from the permission set.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CustomRole {
    /// Its id.
    pub id: RoleId,
    /// The tenant it belongs to.
    pub tenant_id: TenantId,
    /// Unique within the tenant (case-insensitively).
    pub name: RoleName,
    /// Optional text for admins.
    pub description: Option<Description>,
    /// Permission names (names, not indices, so the role survives a product
    /// registering new permissions). Never empty, never owner-only ones.
    pub permissions: BTreeSet<PermissionName>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Which permissions exist and which built-in role holds which.
///
/// Built by [`Policy::builder`]; an embedding product registers its permissions
/// there and says which built-in roles receive them. The owner always holds
/// every permission; `tenant:delete` and `ownership:transfer` are the owner's
/// alone and can be neither granted to other roles nor put into custom roles.
#[derive(Clone, Debug)]
pub struct Policy {
    names: Vec<PermissionName>,
    by_name: HashMap<String, Permission>,
    roles: [PermissionSet; 5],
    owner_only: PermissionSet,
}

/// Registers product permissions before the policy is frozen.
#[derive(Clone, Debug)]
pub struct PolicyBuilder {
    policy: Policy,
}

impl PolicyBuilder {
    /// Registers `name` and grants it to `roles` (the owner always gets it).
    pub fn permission(mut self, name: &str, roles: &[BuiltinRole]) -> Result<Self, RbacError> {
        let parsed = PermissionName::parse(name)?;
        if self.policy.by_name.contains_key(parsed.as_str()) {
            return Err(RbacError::DuplicatePermission(parsed.0));
        }
        let index = u8::try_from(self.policy.names.len()).map_err(|_| RbacError::TooManyPermissions)?;
        let p = Permission(index);
        self.policy.by_name.insert(parsed.0.clone(), p);
        self.policy.names.push(parsed);
        self.policy.roles[BuiltinRole::Owner.slot()].insert(p);
        for r in roles {
            self.policy.roles[r.slot()].insert(p);
        }
        Ok(self)
    }

    /// Freezes the policy.
    pub fn build(self) -> Policy {
        self.policy
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::standard()
    }
}

impl Policy {
    /// tenantry's built-in permissions and roles, no product permissions.
    pub fn standard() -> Self {
        use builtin::*;
        let mut names = Vec::new();
        let mut by_name = HashMap::new();
        for (name, p) in builtin::ALL {
            names.push(PermissionName(name.to_owned()));
            by_name.insert(name.to_owned(), p);
        }
        let all = PermissionSet::of(&builtin::ALL.map(|(_, p)| p));
        let owner_only = PermissionSet::of(&[TENANT_DELETE, OWNERSHIP_TRANSFER]);
        let admin = all.difference(&owner_only);
        let viewer = PermissionSet::of(&[TENANT_READ, USERS_READ, BILLING_READ, ADS_VIEW, FILES_READ]);
        let member = viewer.union(&PermissionSet::of(&[FILES_WRITE]));
        let manager = member.union(&PermissionSet::of(&[USAGE_READ]));
        Policy { names, by_name, roles: [all, admin, manager, member, viewer], owner_only }
    }

    /// Starts from [`Policy::standard`] to register product permissions.
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder { policy: Self::standard() }
    }

    /// Looks up a registered permission by name.
    pub fn permission(&self, name: &str) -> Result<Permission, RbacError> {
        self.by_name
            .get(name.trim())
            .copied()
            .ok_or_else(|| RbacError::UnknownPermission(name.chars().take(70).collect()))
    }

    /// The name of a permission.
    pub fn name(&self, p: Permission) -> &str {
        self.names.get(p.index()).map(PermissionName::as_str).unwrap_or("unknown:permission")
    }

    /// Every registered permission with its name, in index order.
    pub fn all(&self) -> impl Iterator<Item = (Permission, &str)> + '_ {
        self.names.iter().enumerate().filter_map(|(i, n)| u8::try_from(i).ok().map(|i| (Permission(i), n.as_str())))
    }

    /// Permissions of a built-in role.
    pub fn builtin(&self, role: BuiltinRole) -> PermissionSet {
        self.roles[role.slot()]
    }

    /// Permissions only the owner may hold.
    pub fn owner_only(&self) -> PermissionSet {
        self.owner_only
    }

    /// Permissions of a custom role; names no longer registered grant nothing.
    pub fn custom(&self, role: &CustomRole) -> PermissionSet {
        let mut set = PermissionSet::EMPTY;
        for name in &role.permissions {
            if let Some(p) = self.by_name.get(name.as_str()) {
                set.insert(*p);
            }
        }
        set.difference(&self.owner_only)
    }

    /// Checks the permission names of a new or changed custom role.
    pub fn validate_custom(&self, names: &[String]) -> Result<BTreeSet<PermissionName>, RbacError> {
        if names.is_empty() {
            return Err(RbacError::EmptyRole);
        }
        let mut out = BTreeSet::new();
        for n in names {
            let name = PermissionName::parse(n)?;
            let p = self.permission(name.as_str())?;
            if self.owner_only.contains(p) {
                return Err(RbacError::ReservedPermission(name.0));
            }
            out.insert(name);
        }
        Ok(out)
    }

    /// The names of the permissions in a set, for display.
    pub fn names_of(&self, set: &PermissionSet) -> Vec<String> {
        set.iter().map(|p| self.name(p).to_owned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::builtin::*;
    use super::*;
    use proptest::prelude::*;

    fn timesheets_policy() -> Policy {
        Policy::builder()
            .permission(
                "timesheets:read",
                &[BuiltinRole::Admin, BuiltinRole::Manager, BuiltinRole::Member, BuiltinRole::Viewer],
            )
            .unwrap()
            .permission("timesheets:approve", &[BuiltinRole::Admin, BuiltinRole::Manager])
            .unwrap()
            .build()
    }

    #[test]
    fn the_owner_holds_everything_and_the_admin_all_but_the_owners_two_powers() {
        let p = timesheets_policy();
        let owner = p.builtin(BuiltinRole::Owner);
        // 17 built-in (with files:read and files:write, issue 27) and the product's 2.
        assert_eq!(owner.len(), 19);
        let admin = p.builtin(BuiltinRole::Admin);
        assert!(!admin.contains(TENANT_DELETE) && !admin.contains(OWNERSHIP_TRANSFER));
        assert!(admin.contains(USERS_MANAGE) && admin.contains(BILLING_MANAGE));
        assert!(admin.is_subset_of(&owner));
    }

    #[test]
    fn a_viewer_is_read_only() {
        let p = Policy::standard();
        let viewer = p.builtin(BuiltinRole::Viewer);
        for (name, perm) in builtin::ALL {
            let read_only = name.ends_with(":read") || name == "ads:view";
            assert_eq!(viewer.contains(perm), read_only && name != "audit:read" && name != "usage:read", "{name}");
        }
    }

    #[test]
    fn products_register_permissions_that_roles_and_custom_roles_can_use() {
        let p = timesheets_policy();
        let approve = p.permission("timesheets:approve").unwrap();
        assert!(p.builtin(BuiltinRole::Manager).contains(approve));
        assert!(!p.builtin(BuiltinRole::Member).contains(approve));
        let names = p.validate_custom(&["timesheets:approve".into(), "users:read".into()]).unwrap();
        let role = CustomRole {
            id: RoleId::parse("01936b2e-0000-7000-8000-000000000001").unwrap(),
            tenant_id: TenantId::parse("01936b2e-0000-7000-8000-000000000002").unwrap(),
            name: RoleName::parse("Approver").unwrap(),
            description: None,
            permissions: names,
            created_at: chrono::DateTime::UNIX_EPOCH,
        };
        let set = p.custom(&role);
        assert!(set.contains(approve) && set.contains(USERS_READ) && !set.contains(USERS_MANAGE));
    }

    #[test]
    fn custom_roles_refuse_unknown_malformed_and_owner_only_permissions() {
        let p = Policy::standard();
        assert_eq!(p.validate_custom(&[]), Err(RbacError::EmptyRole));
        assert!(matches!(p.validate_custom(&["timesheets:approve".into()]), Err(RbacError::UnknownPermission(_))));
        assert!(matches!(p.validate_custom(&["Users Read".into()]), Err(RbacError::MalformedPermission(_))));
        assert!(matches!(p.validate_custom(&["tenant:delete".into()]), Err(RbacError::ReservedPermission(_))));
        assert!(matches!(RoleName::parse("Admin"), Err(RbacError::RoleName(_))));
    }

    #[test]
    fn registration_refuses_duplicates_and_overflow() {
        assert!(matches!(Policy::builder().permission("users:read", &[]), Err(RbacError::DuplicatePermission(_))));
        let mut b = Policy::builder();
        for i in 0..(MAX_PERMISSIONS - builtin::ALL.len()) {
            b = b.permission(&format!("p{i}:x"), &[]).unwrap();
        }
        assert_eq!(b.permission("one:more", &[]).unwrap_err(), RbacError::TooManyPermissions);
    }

    #[test]
    fn role_refs_parse_from_names_and_ids() {
        assert_eq!(RoleRef::parse("Admin").unwrap(), RoleRef::Builtin(BuiltinRole::Admin));
        let id = "01936b2e-0000-7000-8000-000000000001";
        assert_eq!(RoleRef::parse(id).unwrap().to_string(), id);
        assert!(matches!(RoleRef::parse("superuser"), Err(RbacError::UnknownRole(_))));
    }

    proptest! {
        #[test]
        fn a_set_contains_exactly_what_was_inserted(indices in proptest::collection::btree_set(0u8..=255, 0..40), probe in 0u8..=255) {
            let perms: Vec<Permission> = indices.iter().map(|&i| Permission(i)).collect();
            let set = PermissionSet::of(&perms);
            prop_assert_eq!(set.contains(Permission(probe)), indices.contains(&probe));
            prop_assert_eq!(set.len(), indices.len());
            prop_assert!(set.is_subset_of(&set.union(&PermissionSet::of(&[Permission(probe)]))));
        }
    }
}
