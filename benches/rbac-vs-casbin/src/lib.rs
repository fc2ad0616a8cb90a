//! A tiny library so that the bench can share its fixture; see `benches/permission_check.rs`.

use std::collections::BTreeSet;
use tenantry_domain::rbac::{BuiltinRole, CustomRole, PermissionName, Policy, RoleName};
use tenantry_domain::{EntityId, RoleId, TenantId};

/// The same domain-RBAC data for both systems: `tenants` tenants, each with an
/// "approver" custom role (`timesheets:approve`, `users:read`, `billing:read`)
/// and `users` users holding it.
pub struct Fixture {
    /// The policy with the product's permissions registered.
    pub policy: Policy,
    /// One custom role per tenant.
    pub roles: Vec<CustomRole>,
    /// (subject, domain, object, action) rules for casbin.
    pub casbin_policies: Vec<Vec<String>>,
    /// (user, role, domain) groupings for casbin.
    pub casbin_groupings: Vec<Vec<String>>,
}

fn uuid(n: u64) -> uuid::Uuid {
    tenantry_domain::ids::uuid_v7_from_parts(n, [n as u8; 10])
}

impl Fixture {
    /// Builds the data.
    pub fn new(tenants: u64, users: u64) -> Self {
        let policy = Policy::builder()
            .permission("timesheets:read", &[BuiltinRole::Admin, BuiltinRole::Manager, BuiltinRole::Member, BuiltinRole::Viewer])
            .unwrap()
            .permission("timesheets:approve", &[BuiltinRole::Admin, BuiltinRole::Manager])
            .unwrap()
            .build();
        let perms = ["timesheets:approve", "users:read", "billing:read"];
        let mut roles = Vec::new();
        let mut casbin_policies = Vec::new();
        let mut casbin_groupings = Vec::new();
        for t in 0..tenants {
            let tenant = TenantId::from_uuid(uuid(t + 1)).unwrap();
            roles.push(CustomRole {
                id: RoleId::from_uuid(uuid(1_000_000 + t)).unwrap(),
                tenant_id: tenant,
                name: RoleName::parse("Approver").unwrap(),
                description: None,
                permissions: perms.iter().map(|p| PermissionName::parse(p).unwrap()).collect::<BTreeSet<_>>(),
                created_at: chrono::DateTime::UNIX_EPOCH,
            });
            let domain = format!("tenant_{t}");
            for p in perms {
                let (obj, act) = p.split_once(':').unwrap();
                casbin_policies.push(vec!["approver".into(), domain.clone(), obj.into(), act.into()]);
            }
            for u in 0..users {
                casbin_groupings.push(vec![format!("user_{t}_{u}"), "approver".into(), domain.clone()]);
            }
        }
        Fixture { policy, roles, casbin_policies, casbin_groupings }
    }
}
