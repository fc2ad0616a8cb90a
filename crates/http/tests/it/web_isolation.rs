#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! The cross-tenant property over the web pages: random page views and form
//! posts by the owners and members of three tenants, aimed at every tenant and
//! carrying ids of every tenant. After each: a page or form of another tenant
//! answers 404; an id of another tenant in one's own tenant is never found (404,
//! or 403 when the role may not act at all, or the login again when the
//! actor's session has ended); and no page ever shows a name,
//! slug or e-mail of another tenant. `WEB_PROPTEST_CASES` changes the number of
//! sequences (default 48 in memory, 16 on PostgreSQL).

use crate::support;
use support::{StoreKind, TestStore};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use std::sync::Arc;
use tenantry_ports::services::api_keys::ApiKeyInput;
use tenantry_ports::services::invitations::InviteInput;
use tenantry_ports::services::roles::RoleInput;
use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

const SLUGS: [&str; 3] = ["tnalpha", "tnbravo", "tncharlie"];

#[derive(Debug, Clone, Copy)]
enum Kind {
    Invitation,
    User,
    Role,
    Key,
    Export,
}

#[derive(Debug, Clone)]
enum Op {
    /// A page (path after `/app/{slug}`).
    View(&'static str),
    /// A form without ids.
    Post(&'static str, &'static [(&'static str, &'static str)]),
    /// A form about one id of tenant `k` (`{id}` in the path).
    PostId(&'static str, Kind, usize, &'static [(&'static str, &'static str)]),
    /// The export download of tenant `k`.
    Download(usize),
    /// The billing simulator's hosted page (Checkout or Portal) of tenant `k`:
    /// viewed, or its form posted (a test card that succeeds).
    Hosted(bool, usize, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        prop_oneof![
            Just(""),
            Just("/settings"),
            Just("/settings/users"),
            Just("/settings/roles"),
            Just("/settings/api-keys"),
            Just("/settings/branding"),
            Just("/settings/audit"),
            Just("/settings/exports"),
            Just("/settings/notifications"),
            Just("/profile"),
            Just("/brand.css"),
        ]
        .prop_map(Op::View),
        prop_oneof![
            Just(Op::Post("/settings/invitations", &[("email", "new@invitee.example.com"), ("role", "member")])),
            Just(Op::Post("/settings/seats/preview", &[("seats", "5")])),
            Just(Op::Post("/settings/promotion-code/preview", &[("code", "NOPE")])),
            Just(Op::Post("/profile/name", &[("name", "Renamed")])),
            Just(Op::Post("/settings/promotion-code", &[("code", "NOPE")])),
            Just(Op::Post("/settings/branding", &[("primary_color", "#123456"), ("logo_url", "")])),
            Just(Op::Post("/settings/locale", &[("language", "nl"), ("time_zone", "Europe/Amsterdam")])),
            Just(Op::Post("/settings/exports", &[])),
            Just(Op::Post(
                "/settings/notifications",
                &[("billing_emails", "on"), ("product_updates", "on"), ("billing_email", "books@invitee.example.com")]
            )),
            Just(Op::Post("/settings/roles", &[("name", "Helper"), ("perm.audit:read", "on")])),
            Just(Op::Post("/settings/api-keys", &[("name", "a key"), ("role", "viewer")])),
        ],
        (0..3usize).prop_flat_map(|k| prop_oneof![
            Just(Op::PostId("/settings/invitations/{id}/resend", Kind::Invitation, k, &[])),
            Just(Op::PostId("/settings/invitations/{id}/revoke", Kind::Invitation, k, &[])),
            Just(Op::PostId("/settings/users/{id}/active", Kind::User, k, &[("active", "false")])),
            Just(Op::PostId("/settings/roles/{id}/delete", Kind::Role, k, &[])),
            Just(Op::PostId("/settings/api-keys/{id}/revoke", Kind::Key, k, &[])),
            Just(Op::Download(k)),
        ]),
        (any::<bool>(), 0..3usize, any::<bool>()).prop_map(|(portal, k, post)| Op::Hosted(portal, k, post)),
    ]
}

/// Who (tenant, 0 owner / 1 member), into which tenant, doing what.
#[derive(Debug, Clone)]
struct Step {
    actor: usize,
    member: bool,
    target: usize,
    op: Op,
}

fn step() -> impl Strategy<Value = Step> {
    // 70 % into the actor's own tenant (where foreign ids are the test), 30 % anywhere.
    (0..3usize, any::<bool>(), 0..10usize, 0..3usize, op()).prop_map(|(actor, member, roll, other, op)| Step {
        actor,
        member,
        target: if roll < 7 { actor } else { other },
        op,
    })
}

struct Tenant {
    slug: String,
    secrets: Vec<String>,
    invitation: String,
    user: String,
    role: String,
    key: String,
    export: String,
    /// The paths of its hosted Checkout and Portal sessions.
    checkout: String,
    portal: String,
}

struct World {
    base: String,
    http: reqwest::Client,
    tenants: Vec<Tenant>,
    /// (owner, member) session cookies and CSRF tokens, per tenant.
    sessions: Vec<[(String, String); 2]>,
}

async fn session(http: &reqwest::Client, base: &str, slug: &str, email: &str) -> (String, String) {
    let form = [("tenant", slug), ("email", email), ("password", PASSWORD)];
    let response = http.post(format!("{base}/login")).form(&form).send().await.unwrap();
    let cookie = response.headers().get(SET_COOKIE).unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
    let page = http.get(format!("{base}/app/{slug}")).header(COOKIE, &cookie).send().await.unwrap();
    let body = page.text().await.unwrap();
    let at = body.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    (cookie, body[at..at + 32].to_owned())
}

async fn world(h: Harness, prefix: &str) -> World {
    let mut tenants = Vec::new();
    let mut logins = Vec::new();
    for name in SLUGS {
        let slug = format!("{prefix}{name}");
        let slug = slug.as_str();
        let t = h.signup(slug).await.unwrap();
        let scope = h.owner_scope(&t).await.unwrap();
        let member = format!("member@{slug}.example.com");
        let (user, _) = h.add_user(&t, &member, "member").await.unwrap();
        let invited = format!("pending@{slug}.example.com");
        let invitation = h
            .tenantry
            .invite(&scope, InviteInput { email: invited.clone(), role: "viewer".into() })
            .await
            .unwrap()
            .invitation
            .id;
        let role =
            RoleInput { name: format!("Role of {slug}"), description: None, permissions: vec!["audit:read".into()] };
        let role = h.tenantry.create_role(&scope, role).await.unwrap().id.unwrap();
        let key = ApiKeyInput { name: format!("key of {slug}"), role: "viewer".into() };
        let key = h.tenantry.create_api_key(&scope, key).await.unwrap().key.id;
        let export = h.tenantry.request_export(&scope).await.unwrap().export.id;
        let tenant_name = h.tenantry.get_tenant(&scope).await.unwrap().name;
        let back = tenantry_ports::payment::ReturnPath::parse(format!("/app/{slug}/settings")).unwrap();
        let checkout = h.tenantry.checkout_session(&scope, &back).await.unwrap().url;
        let portal = h.tenantry.portal_session(&scope, &back).await.unwrap().url;
        tenants.push(Tenant {
            slug: slug.to_owned(),
            secrets: vec![tenant_name, t.owner_email.clone(), member.clone(), invited, t.id.to_string()],
            invitation: invitation.to_string(),
            user: user.to_string(),
            role: role.to_string(),
            key: key.to_string(),
            export: export.to_string(),
            checkout: checkout.split('?').next().unwrap().to_owned(),
            portal: portal.split('?').next().unwrap().to_owned(),
        });
        logins.push((slug.to_owned(), t.owner_email, member));
    }
    h.tick().await; // the exports are produced
    let base = support::serve(support::state_for(&h)).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut sessions = Vec::new();
    for (slug, owner, member) in logins {
        sessions.push([session(&http, &base, &slug, &owner).await, session(&http, &base, &slug, &member).await]);
    }
    World { base, http, tenants, sessions }
}

fn id_of(t: &Tenant, kind: Kind) -> &str {
    match kind {
        Kind::Invitation => &t.invitation,
        Kind::User => &t.user,
        Kind::Role => &t.role,
        Kind::Key => &t.key,
        Kind::Export => &t.export,
    }
}

async fn run(w: &World, s: &Step) -> Result<(), TestCaseError> {
    let (cookie, csrf) = &w.sessions[s.actor][usize::from(s.member)];
    let target = &w.tenants[s.target];
    let app = format!("{}/app/{}", w.base, target.slug);
    let (request, foreign_id) = match &s.op {
        Op::View(page) => (w.http.get(format!("{app}{page}")), false),
        Op::Hosted(portal, k, post) => {
            let hosted = &w.tenants[*k];
            let path = format!("{}{}", w.base, if *portal { &hosted.portal } else { &hosted.checkout });
            let request = if *post {
                w.http.post(path).form(&[("card", "succeeds"), ("return_to", "/"), ("csrf", csrf.as_str())])
            } else {
                w.http.get(path)
            };
            let response = request.header(COOKIE, cookie).send().await.unwrap();
            let status = response.status();
            let body = response.text().await.unwrap();
            if *k != s.actor {
                prop_assert_eq!(status, StatusCode::NOT_FOUND, "another tenant's hosted page: {:?}", s);
            } else if s.member {
                // 303: the member's session ended earlier in the sequence (deactivated): the login.
                prop_assert!(
                    [StatusCode::FORBIDDEN, StatusCode::SEE_OTHER].contains(&status),
                    "a member may not manage billing: {:?} → {}",
                    s,
                    status
                );
            } else {
                // 409: a Checkout completed earlier in the sequence is closed.
                prop_assert!(
                    [StatusCode::OK, StatusCode::SEE_OTHER, StatusCode::CONFLICT].contains(&status),
                    "the owner's own hosted page: {:?} → {}",
                    s,
                    status
                );
            }
            return no_foreign_secret(w, s, &body);
        }
        Op::Download(k) => {
            let path = format!("{app}/settings/exports/{}/download", id_of(&w.tenants[*k], Kind::Export));
            (w.http.get(path), *k != s.target)
        }
        Op::Post(path, form) => {
            let mut form = form.to_vec();
            form.push(("csrf", csrf));
            (w.http.post(format!("{app}{path}")).form(&form), false)
        }
        Op::PostId(path, kind, k, form) => {
            let path = path.replace("{id}", id_of(&w.tenants[*k], *kind));
            let mut form = form.to_vec();
            form.push(("csrf", csrf));
            (w.http.post(format!("{app}{path}")).form(&form), *k != s.target)
        }
    };
    let response = request.header(COOKIE, cookie).send().await.unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    if s.target != s.actor {
        prop_assert_eq!(status, StatusCode::NOT_FOUND, "another tenant's page or form: {:?}", s);
    } else if foreign_id {
        // 303: the actor's session ended (a member deactivated earlier in the sequence) — back to the login.
        prop_assert!(
            [StatusCode::NOT_FOUND, StatusCode::FORBIDDEN, StatusCode::SEE_OTHER].contains(&status),
            "an id of another tenant was found: {:?} → {}",
            s,
            status
        );
    }
    no_foreign_secret(w, s, &body)
}

/// No name, slug or e-mail of another tenant than the actor's on a page.
fn no_foreign_secret(w: &World, s: &Step, body: &str) -> Result<(), TestCaseError> {
    for (i, other) in w.tenants.iter().enumerate() {
        if i == s.actor {
            continue;
        }
        for secret in &other.secrets {
            prop_assert!(!body.contains(secret.as_str()), "{:?} shows {} of {}", s, secret, other.slug);
        }
    }
    Ok(())
}

/// Runs `cases` random sequences, each in a world `make` builds (a harness and a slug prefix).
fn check(cases: u32, make: impl Fn() -> (Harness, String)) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&proptest::collection::vec(step(), 1..12), |steps| {
            let (h, prefix) = make();
            runtime.block_on(async {
                let w = world(h, &prefix).await;
                for s in &steps {
                    run(&w, s).await?;
                }
                Ok(())
            })
        })
        .unwrap();
}

fn cases(default: u32) -> u32 {
    tenantry_testkit::scale::cases(default)
}

#[test]
fn no_page_or_form_of_one_tenant_reaches_another() {
    check(cases(48), || (Harness::new(), String::new()));
}

/// The same over PostgreSQL, connected as the service role (row-level security
/// in the path): one database for all sequences, each under its own slug prefix.
#[test]
fn over_postgres_no_page_or_form_of_one_tenant_reaches_another() {
    let Some(store) = TestStore::open_blocking(StoreKind::Postgres, "over_postgres_no_page_or_form_of_one_tenant")
    else {
        return;
    };
    let ids: Arc<dyn tenantry_ports::IdGenerator> = Arc::new(tenantry_testkit::SequentialIds::default());
    let counter = std::sync::atomic::AtomicUsize::new(0);
    check(cases(16), || {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let h = store.harness(Harness::builder().ids(ids.clone()));
        (h, format!("w{n}"))
    });
    store.close_blocking();
}
