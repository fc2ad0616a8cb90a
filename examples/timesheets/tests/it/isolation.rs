#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! The cross-tenant property over the example's operations, over HTTP, on the
//! memory store and on PostgreSQL: random timesheet requests by the owners, members and managers
//! of three tenants, aimed at every tenant and at entry ids of every tenant.
//! After each: a request into another tenant answers 404; an entry id of
//! another tenant is never found (404) under the caller's own path; and no
//! response ever contains an id of another tenant or of its entries.
//! `TIMESHEETS_PROPTEST_CASES` changes the number of sequences (default 64).

use crate::support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::future::Future;
use std::sync::{Arc, Mutex};
use support::Served;
use tenantry_postgres::testing::admin_url;

const NAMES: [&str; 3] = ["alpha", "bravo", "charlie"];
const ROLES: [&str; 3] = ["owner", "member", "manager"];

#[derive(Debug, Clone)]
enum Op {
    List,
    Log(i32),
    Approve(usize),
    Reject(usize),
}

#[derive(Debug, Clone)]
struct Step {
    actor: usize,
    who: usize,
    target: usize,
    op: Op,
}

fn step() -> impl Strategy<Value = Step> {
    let op = prop_oneof![
        Just(Op::List),
        (1..=600i32).prop_map(Op::Log),
        (0..64usize).prop_map(Op::Approve),
        (0..64usize).prop_map(Op::Reject),
    ];
    // Aim mostly at the caller's own tenant, so that entries exist to be stolen.
    (0..3usize, 0..3usize, prop_oneof![3 => Just(None), 1 => (0..3usize).prop_map(Some)], op)
        .prop_map(|(actor, who, other, op)| Step { actor, who, target: other.unwrap_or(actor), op })
}

#[test]
fn no_timesheet_of_one_tenant_is_visible_or_changeable_by_another_in_memory() {
    property(Served::memory());
}

#[test]
fn no_timesheet_of_one_tenant_is_visible_or_changeable_by_another_on_postgres() {
    let Some(admin) = admin_url("no_timesheet_of_one_tenant_is_visible_or_changeable_by_another_on_postgres") else {
        return;
    };
    property(async move { Served::postgres(&admin).await });
}

fn property(serve: impl Future<Output = Served>) {
    let cases = tenantry_testkit::scale::cases(64);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (served, tenants, tokens) = runtime.block_on(async {
        let served = serve.await;
        let h = &served.h;
        let mut tenants = Vec::new();
        let mut tokens = Vec::new();
        for name in NAMES {
            let t = h.signup(name).await.unwrap();
            h.add_user(&t, &format!("member@{name}.example.com"), "member").await.unwrap();
            h.add_user(&t, &format!("manager@{name}.example.com"), "manager").await.unwrap();
            let mut mine = Vec::new();
            for email in
                [t.owner_email.clone(), format!("member@{name}.example.com"), format!("manager@{name}.example.com")]
            {
                mine.push(served.login(name, &email).await);
            }
            tenants.push(t.id.to_string());
            tokens.push(mine);
        }
        (served, tenants, tokens)
    });
    let base = served.base.clone();
    // Entry ids seen so far, with their tenant.
    let entries: Arc<Mutex<Vec<(usize, String)>>> = Arc::default();
    // Requests that named another tenant's entry under the caller's own path and were not found.
    let stolen_not_found = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let client = reqwest::Client::new();
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let result = runner.run(&proptest::collection::vec(step(), 1..24), |steps| {
        runtime.block_on(async {
            for s in &steps {
                let sheets = format!("{base}/v1/tenants/{}/timesheets", tenants[s.target]);
                let pick = |i: usize| {
                    let list = entries.lock().unwrap();
                    if list.is_empty() { None } else { Some(list[i % list.len()].clone()) }
                };
                let (method, url, body, entry) = match s.op {
                    Op::List => (Method::GET, sheets.clone(), None, None),
                    Op::Log(minutes) => (
                        Method::POST,
                        sheets.clone(),
                        Some(json!({"project": "P", "day": "2026-11-02", "minutes": minutes})),
                        None,
                    ),
                    Op::Approve(i) | Op::Reject(i) => {
                        let Some((owner, id)) = pick(i) else { continue };
                        let verb = if matches!(s.op, Op::Approve(_)) { "approve" } else { "reject" };
                        (Method::POST, format!("{sheets}/{id}/{verb}"), None, Some(owner))
                    }
                };
                let mut request = client.request(method, &url).bearer_auth(&tokens[s.actor][s.who]);
                if let Some(body) = body {
                    request = request.json(&body);
                }
                let response = request.send().await.unwrap();
                let status = response.status();
                let text = response.text().await.unwrap();
                let context = format!(
                    "{} as {} into {}: {:?} -> {status} {text}",
                    NAMES[s.actor], ROLES[s.who], NAMES[s.target], s.op
                );
                // Nothing of another tenant in any answer.
                for (t, id) in tenants.iter().enumerate() {
                    prop_assert!(t == s.actor || !text.contains(id.as_str()), "{context}");
                }
                for (t, id) in entries.lock().unwrap().iter() {
                    prop_assert!(*t == s.actor || !text.contains(id.as_str()), "{context}");
                }
                if s.target != s.actor {
                    prop_assert_eq!(status, StatusCode::NOT_FOUND, "{}", context);
                    continue;
                }
                if let Some(owner) = entry
                    && owner != s.actor
                {
                    // Never found; or refused before any lookup (a member may not
                    // decide at all: the same 403 for every id, so it tells nothing).
                    let before_lookup = status == StatusCode::FORBIDDEN && s.who == 1;
                    prop_assert!(status == StatusCode::NOT_FOUND || before_lookup, "{context}");
                    if status == StatusCode::NOT_FOUND {
                        stolen_not_found.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                prop_assert!(!status.is_server_error(), "{context}");
                if matches!(s.op, Op::Log(_)) && status == StatusCode::OK {
                    let entry: Value = serde_json::from_str(&text).unwrap();
                    entries.lock().unwrap().push((s.actor, entry["id"].as_str().unwrap().to_owned()));
                }
                if matches!(s.op, Op::List) && status == StatusCode::OK {
                    let list: Vec<Value> = serde_json::from_str(&text).unwrap();
                    let mine: Vec<String> = entries
                        .lock()
                        .unwrap()
                        .iter()
                        .filter(|(t, _)| *t == s.actor)
                        .map(|(_, id)| id.clone())
                        .collect();
                    for e in &list {
                        prop_assert!(mine.contains(&e["id"].as_str().unwrap().to_owned()), "{context}");
                    }
                }
            }
            Ok::<(), TestCaseError>(())
        })
    });
    if let Err(e) = &result {
        panic!("{e}");
    }
    // The property must have met cross-tenant attempts on real entries, or it proved little.
    let seen = entries.lock().unwrap().clone();
    let stolen = stolen_not_found.load(std::sync::atomic::Ordering::Relaxed);
    assert!(stolen >= 10, "only {stolen} attempts on another tenant's entries were made");
    for (t, name) in NAMES.iter().enumerate() {
        assert!(seen.iter().filter(|(owner, _)| *owner == t).count() >= 3, "too few entries of {name}: {seen:?}");
    }
    runtime.block_on(served.close());
    result.unwrap();
}
