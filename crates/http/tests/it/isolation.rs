//! The cross-tenant property over HTTP: random requests by the owners, members
//! and API keys (admin role) of three tenants, aimed at every tenant and at ids of every tenant.
//! After each: a request into another tenant answers 404; an id of another
//! tenant is never found (404, or a refusal decided before any lookup); and no
//! response ever contains an id, a slug or an email of another tenant.
//! `HTTP_PROPTEST_CASES` changes the number of sequences (default 256).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use crate::support;
use support::{StoreKind, TestStore};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use std::sync::Arc;
use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

const NAMES: [&str; 3] = ["alpha", "bravo", "charlie"];

#[derive(Debug, Clone)]
enum Op {
    GetTenant,
    PatchTenant,
    ListUsers,
    GetUser(usize),
    PatchUser(usize),
    DeleteUser(usize),
    ListInvitations,
    Invite(u8),
    RevokeInvitation(usize),
    ResendInvitation(usize),
    ListRoles,
    CreateRole(u8),
    PatchRole(usize),
    DeleteRole(usize),
    Subscription,
    Preview,
    AuditEvents,
    Usage,
    AdDecision,
    ListApiKeys,
    RevokeApiKey(usize),
    EraseUser(usize),
    RequestExport,
    ListExports,
    GetExport(usize),
    DownloadExport(usize),
}

/// One request: who (tenant; 0 owner, 1 member, 2 API key), into which tenant, doing what.
#[derive(Debug, Clone)]
struct Step {
    actor: usize,
    who: usize,
    target: usize,
    op: Op,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::GetTenant),
        Just(Op::PatchTenant),
        Just(Op::ListUsers),
        any::<usize>().prop_map(Op::GetUser),
        any::<usize>().prop_map(Op::PatchUser),
        any::<usize>().prop_map(Op::DeleteUser),
        Just(Op::ListInvitations),
        any::<u8>().prop_map(Op::Invite),
        any::<usize>().prop_map(Op::RevokeInvitation),
        any::<usize>().prop_map(Op::ResendInvitation),
        Just(Op::ListRoles),
        any::<u8>().prop_map(Op::CreateRole),
        any::<usize>().prop_map(Op::PatchRole),
        any::<usize>().prop_map(Op::DeleteRole),
        Just(Op::Subscription),
        Just(Op::Preview),
        Just(Op::AuditEvents),
        Just(Op::Usage),
        Just(Op::AdDecision),
        Just(Op::ListApiKeys),
        any::<usize>().prop_map(Op::RevokeApiKey),
        any::<usize>().prop_map(Op::EraseUser),
        Just(Op::RequestExport),
        Just(Op::ListExports),
        any::<usize>().prop_map(Op::GetExport),
        any::<usize>().prop_map(Op::DownloadExport),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    // 70 % of requests go into the actor's own tenant (where foreign *ids* are the test), 30 % elsewhere.
    (0..3usize, 0..3usize, 0..10usize, 0..3usize, op()).prop_map(|(actor, who, roll, other, op)| Step {
        actor,
        who,
        target: if roll < 7 { actor } else { other },
        op,
    })
}

/// Ids known so far, each with its tenant.
#[derive(Default)]
struct Known {
    users: Vec<(usize, String)>,
    invitations: Vec<(usize, String)>,
    roles: Vec<(usize, String)>,
    keys: Vec<(usize, String)>,
    exports: Vec<(usize, String)>,
}

fn pick(list: &[(usize, String)], n: usize) -> Option<(usize, String)> {
    if list.is_empty() { None } else { list.get(n % list.len()).cloned() }
}

struct World {
    /// The three tenants' slugs (prefixed, so that sequences can share a database).
    slugs: Vec<String>,
    base: String,
    client: reqwest::Client,
    tenants: Vec<String>,
    owners: Vec<String>,
    members: Vec<String>,
    api_keys: Vec<String>,
    known: Known,
}

async fn call(w: &World, method: Method, path: &str, token: &str, body: Option<Value>) -> (StatusCode, String) {
    let mut request = w.client.request(method, format!("{}{path}", w.base)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn world(h: Harness, prefix: &str) -> World {
    let base = support::serve(support::state_for(&h)).await;
    let client = reqwest::Client::new();
    let mut w = World {
        slugs: NAMES.iter().map(|n| format!("{prefix}{n}")).collect(),
        base,
        client,
        tenants: vec![],
        owners: vec![],
        members: vec![],
        api_keys: vec![],
        known: Known::default(),
    };
    for (i, slug) in w.slugs.clone().iter().enumerate() {
        let signup: Value = w
            .client
            .post(format!("{}/v1/signup", w.base))
            .json(&json!({"company_name": format!("{slug} Ltd"), "slug": slug, "email": format!("owner@{slug}.example.com"),
                          "password": PASSWORD, "name": format!("Owner {slug}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let tid = signup["tenant"]["id"].as_str().unwrap().to_owned();
        let owner = signup["access_token"].as_str().unwrap().to_owned();
        w.known.users.push((i, signup["user"]["id"].as_str().unwrap().to_owned()));
        let email = format!("member@{slug}.example.com");
        let (_, invited) = call(
            &w,
            Method::POST,
            &format!("/v1/tenants/{tid}/invitations"),
            &owner,
            Some(json!({"email": email, "role": "member"})),
        )
        .await;
        let invited: Value = serde_json::from_str(&invited).unwrap();
        w.known.invitations.push((i, invited["invitation"]["id"].as_str().unwrap().to_owned()));
        let token = h.mailer.invitation_token(&email).unwrap();
        let accepted: Value = w
            .client
            .post(format!("{}/v1/invitations/accept", w.base))
            .json(&json!({"token": token.expose_secret(), "name": format!("Member {slug}"), "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        w.known.users.push((i, accepted["user"]["id"].as_str().unwrap().to_owned()));
        let (_, role) = call(
            &w,
            Method::POST,
            &format!("/v1/tenants/{tid}/roles"),
            &owner,
            Some(json!({"name": format!("{slug} approver"), "permissions": ["users:read"]})),
        )
        .await;
        let role: Value = serde_json::from_str(&role).unwrap();
        w.known.roles.push((i, role["id"].as_str().unwrap().to_owned()));
        let (_, key) = call(
            &w,
            Method::POST,
            &format!("/v1/tenants/{tid}/api-keys"),
            &owner,
            Some(json!({"name": format!("{slug} robot"), "role": "admin"})),
        )
        .await;
        let key: Value = serde_json::from_str(&key).unwrap();
        w.known.keys.push((i, key["key"]["id"].as_str().unwrap().to_owned()));
        w.api_keys.push(key["secret"].as_str().unwrap().to_owned());
        w.tenants.push(tid);
        w.owners.push(owner);
        w.members.push(accepted["access_token"].as_str().unwrap().to_owned());
    }
    w
}

/// Runs one step and checks the property; records new ids.
async fn run(w: &mut World, s: &Step) -> Result<(), TestCaseError> {
    let token = match s.who {
        0 => w.owners[s.actor].clone(),
        1 => w.members[s.actor].clone(),
        _ => w.api_keys[s.actor].clone(),
    };
    let tid = w.tenants[s.target].clone();
    let t = |rest: &str| format!("/v1/tenants/{tid}{rest}");
    // The object the request names, if any: (its tenant, path, method, body).
    let (object, method, path, body): (Option<usize>, Method, String, Option<Value>) = match &s.op {
        Op::GetTenant => (None, Method::GET, t(""), None),
        Op::PatchTenant => (None, Method::PATCH, t(""), Some(json!({"primary_color": "#112233"}))),
        Op::ListUsers => (None, Method::GET, t("/users"), None),
        Op::GetUser(n) | Op::PatchUser(n) | Op::DeleteUser(n) => {
            let Some((owner_tenant, id)) = pick(&w.known.users, *n) else { return Ok(()) };
            let (method, body) = match s.op {
                Op::GetUser(_) => (Method::GET, None),
                Op::PatchUser(_) => (Method::PATCH, Some(json!({"role": "viewer"}))),
                _ => (Method::DELETE, None),
            };
            (Some(owner_tenant), method, t(&format!("/users/{id}")), body)
        }
        Op::ListInvitations => (None, Method::GET, t("/invitations?all=true"), None),
        Op::Invite(n) => {
            let slug = &w.slugs[s.target];
            (
                None,
                Method::POST,
                t("/invitations"),
                Some(json!({"email": format!("guest{n}@{slug}.example.com"), "role": "viewer"})),
            )
        }
        Op::RevokeInvitation(n) | Op::ResendInvitation(n) => {
            let Some((owner_tenant, id)) = pick(&w.known.invitations, *n) else { return Ok(()) };
            match s.op {
                Op::RevokeInvitation(_) => (Some(owner_tenant), Method::DELETE, t(&format!("/invitations/{id}")), None),
                _ => (Some(owner_tenant), Method::POST, t(&format!("/invitations/{id}/resend")), Some(json!({}))),
            }
        }
        Op::ListRoles => (None, Method::GET, t("/roles"), None),
        Op::CreateRole(n) => (
            None,
            Method::POST,
            t("/roles"),
            Some(json!({"name": format!("{} role {n}", w.slugs[s.target]), "permissions": ["users:read"]})),
        ),
        Op::PatchRole(n) | Op::DeleteRole(n) => {
            let Some((owner_tenant, id)) = pick(&w.known.roles, *n) else { return Ok(()) };
            match s.op {
                Op::PatchRole(_) => {
                    (Some(owner_tenant), Method::PATCH, t(&format!("/roles/{id}")), Some(json!({"description": "x"})))
                }
                _ => (Some(owner_tenant), Method::DELETE, t(&format!("/roles/{id}")), None),
            }
        }
        Op::Subscription => (None, Method::GET, t("/subscription"), None),
        Op::Preview => (None, Method::POST, t("/subscription/preview"), Some(json!({"seats": 4}))),
        Op::AuditEvents => (None, Method::GET, t("/audit-events?limit=200"), None),
        Op::Usage => (None, Method::GET, t("/usage"), None),
        Op::AdDecision => (None, Method::GET, t("/ads/decision"), None),
        Op::ListApiKeys => (None, Method::GET, t("/api-keys"), None),
        Op::RevokeApiKey(n) => {
            let Some((owner_tenant, id)) = pick(&w.known.keys, *n) else { return Ok(()) };
            (Some(owner_tenant), Method::DELETE, t(&format!("/api-keys/{id}")), None)
        }
        Op::EraseUser(n) => {
            let Some((owner_tenant, id)) = pick(&w.known.users, *n) else { return Ok(()) };
            (Some(owner_tenant), Method::POST, t(&format!("/users/{id}/erase")), Some(json!({})))
        }
        Op::RequestExport => (None, Method::POST, t("/exports"), Some(json!({}))),
        Op::ListExports => (None, Method::GET, t("/exports"), None),
        Op::GetExport(n) | Op::DownloadExport(n) => {
            let Some((owner_tenant, id)) = pick(&w.known.exports, *n) else { return Ok(()) };
            let rest = if matches!(s.op, Op::GetExport(_)) { "" } else { "/download" };
            (Some(owner_tenant), Method::GET, t(&format!("/exports/{id}{rest}")), None)
        }
    };
    let (status, text) = call(w, method.clone(), &path, &token, body).await;
    let what = format!("{s:?} → {method} {path}: {status} {text}");
    prop_assert!(status != StatusCode::INTERNAL_SERVER_ERROR, "{}", what);
    if s.target != s.actor {
        // Another tenant's path: exactly what a missing tenant gets (or 401 for a token
        // that stopped working, which is decided before the tenant is looked at).
        prop_assert!(status == StatusCode::NOT_FOUND || status == StatusCode::UNAUTHORIZED, "{}", what);
    } else if let Some(owner_tenant) = object
        && owner_tenant != s.actor
    {
        // An id of another tenant in one's own tenant: never found.
        prop_assert!(
            [StatusCode::NOT_FOUND, StatusCode::FORBIDDEN, StatusCode::UNAUTHORIZED].contains(&status),
            "{}",
            what
        );
    }
    // No response names anything of another tenant.
    for (other, slug) in w.slugs.iter().enumerate() {
        if other == s.actor {
            continue;
        }
        prop_assert!(!text.contains(slug), "{} leaks {}", what, slug);
        prop_assert!(!text.contains(&w.tenants[other]), "{} leaks tenant {}", what, other);
        for (tenant, id) in w
            .known
            .users
            .iter()
            .chain(&w.known.invitations)
            .chain(&w.known.roles)
            .chain(&w.known.keys)
            .chain(&w.known.exports)
        {
            prop_assert!(*tenant == s.actor || !text.contains(id.as_str()), "{} leaks id {}", what, id);
        }
    }
    // Record what was created, with its tenant.
    if status.is_success() && s.target == s.actor {
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        match s.op {
            Op::Invite(_) => {
                if let Some(id) = value["invitation"]["id"].as_str() {
                    w.known.invitations.push((s.actor, id.to_owned()));
                }
            }
            Op::CreateRole(_) => {
                if let Some(id) = value["id"].as_str() {
                    w.known.roles.push((s.actor, id.to_owned()));
                }
            }
            Op::RequestExport => {
                if let Some(id) = value["id"].as_str()
                    && !w.known.exports.iter().any(|(_, known)| known == id)
                {
                    w.known.exports.push((s.actor, id.to_owned()));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Runs `cases` sequences; `harness` makes each sequence's harness (and says
/// with which slug prefix its tenants sign up).
fn check(cases: u32, harness: impl Fn() -> (Harness, String)) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let result = runner.run(&proptest::collection::vec(step(), 1..30), |steps| {
        let (h, prefix) = harness();
        rt.block_on(async {
            let mut w = world(h, &prefix).await;
            for s in &steps {
                run(&mut w, s).await?;
            }
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

fn cases(default: u32) -> u32 {
    tenantry_testkit::scale::cases(default)
}

#[test]
fn no_response_of_one_tenant_contains_anything_of_another_and_foreign_ids_are_never_found() {
    check(cases(256), || (Harness::new(), String::new()));
}

/// The same over PostgreSQL: one database for all sequences (each signs its
/// tenants up under its own slug prefix; ids come from one generator), the
/// store connected as the service role, so row-level security is in the path.
#[test]
fn over_postgres_no_response_of_one_tenant_contains_anything_of_another() {
    let Some(store) = TestStore::open_blocking(StoreKind::Postgres, "over_postgres_no_response_of_one_tenant") else {
        return;
    };
    let ids: Arc<dyn tenantry_ports::IdGenerator> = Arc::new(tenantry_testkit::SequentialIds::default());
    let counter = std::sync::atomic::AtomicUsize::new(0);
    check(cases(128), || {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let h = store.harness(Harness::builder().ids(ids.clone()));
        (h, format!("s{n}-"))
    });
    store.close_blocking();
}
