//! A permission check for a user with a custom role: tenantry against casbin-rs
//! on the same domain-RBAC model and data, in one run. See docs/PERFORMANCE.md.
//!
//! Run by hand (not part of CI): `cd benches/rbac-vs-casbin && cargo bench`

use casbin::prelude::*;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tenantry_bench_rbac::Fixture;

const MODEL: &str = r#"
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && r.act == p.act
"#;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn casbin_enforcer(f: &Fixture) -> Enforcer {
    rt().block_on(async {
        let model = DefaultModel::from_str(MODEL).await.unwrap();
        let mut e = Enforcer::new(model, MemoryAdapter::default()).await.unwrap();
        e.add_policies(f.casbin_policies.clone()).await.unwrap();
        e.add_grouping_policies(f.casbin_groupings.clone()).await.unwrap();
        e
    })
}

fn casbin_cached(f: &Fixture) -> CachedEnforcer {
    rt().block_on(async {
        let model = DefaultModel::from_str(MODEL).await.unwrap();
        let mut e = CachedEnforcer::new(model, MemoryAdapter::default()).await.unwrap();
        e.add_policies(f.casbin_policies.clone()).await.unwrap();
        e.add_grouping_policies(f.casbin_groupings.clone()).await.unwrap();
        e
    })
}

fn checks(c: &mut Criterion) {
    let f = Fixture::new(100, 10);
    let e = casbin_enforcer(&f);
    let mut cached = casbin_cached(&f);
    let small = Fixture::new(1, 10);
    let e_small = casbin_enforcer(&small);
    assert!(e_small.enforce(("user_0_3", "tenant_0", "timesheets", "approve")).unwrap());
    assert!(e.enforce(("user_42_3", "tenant_42", "timesheets", "approve")).unwrap());
    assert!(!e.enforce(("user_42_3", "tenant_42", "users", "manage")).unwrap());
    assert!(!e.enforce(("user_42_3", "tenant_41", "timesheets", "approve")).unwrap());

    let role = &f.roles[42];
    let approve = f.policy.permission("timesheets:approve").unwrap();
    let manage = f.policy.permission("users:manage").unwrap();
    let set = f.policy.custom(role);
    assert!(set.contains(approve) && !set.contains(manage));

    let mut g = c.benchmark_group("permission check, custom role, allowed");
    g.bench_function("tenantry: resolved scope (per-request hot path)", |b| b.iter(|| black_box(&set).contains(black_box(approve))));
    g.bench_function("tenantry: from the role and the permission's name", |b| {
        b.iter(|| {
            let p = f.policy.permission(black_box("timesheets:approve")).unwrap();
            f.policy.custom(black_box(role)).contains(p)
        })
    });
    g.bench_function("casbin-rs: enforce(sub, dom, obj, act)", |b| {
        b.iter(|| e.enforce(black_box(("user_42_3", "tenant_42", "timesheets", "approve"))).unwrap())
    });
    g.bench_function("casbin-rs: CachedEnforcer, the same request repeated", |b| {
        b.iter(|| cached.enforce_mut(black_box(("user_42_3", "tenant_42", "timesheets", "approve"))).unwrap())
    });
    g.bench_function("casbin-rs: enforce on a one-tenant policy (3 rules, 10 users)", |b| {
        b.iter(|| e_small.enforce(black_box(("user_0_3", "tenant_0", "timesheets", "approve"))).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("permission check, custom role, denied");
    g.bench_function("tenantry: resolved scope (per-request hot path)", |b| b.iter(|| black_box(&set).contains(black_box(manage))));
    g.bench_function("tenantry: from the role and the permission's name", |b| {
        b.iter(|| {
            let p = f.policy.permission(black_box("users:manage")).unwrap();
            f.policy.custom(black_box(role)).contains(p)
        })
    });
    g.bench_function("casbin-rs: enforce(sub, dom, obj, act)", |b| {
        b.iter(|| e.enforce(black_box(("user_42_3", "tenant_42", "users", "manage"))).unwrap())
    });
    g.finish();
}

criterion_group!(benches, checks);
criterion_main!(benches);
