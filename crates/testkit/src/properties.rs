//! The property checks of the core issue, written once and run over any store:
//! this crate's tests run them in memory; an adapter crate runs them over its
//! own store by building the [`Harness`] with it.
//!
//! A [`World`] holds several tenants signed up through the front door. Each
//! [`Op`] is executed the way a client would (authorise, call the use case),
//! and around it every tenant is **observed through the store port** with a
//! superuser scope taken once at setup. After every operation:
//!
//! - **(a) isolation** — no tenant other than the actor's changed; the answer
//!   contains no id of another tenant (users, invitations, roles, audit events,
//!   tenant ids); an operation aimed at another tenant's id was refused as
//!   `not_found` (or `forbidden` before any lookup); counts in answers equal the
//!   actor's own tenant's;
//! - **(b) seats** — in every tenant, used seats ≤ licensed seats;
//! - **(c) owner** — every tenant has exactly one owner, and it is active;
//! - **(d) proration** — a preview's lines sum to its total, adding seats never
//!   charges less than zero, and the change at the preview's date charges the preview;
//! - **(e) refusal** — a refused operation changed nothing but the audit log
//!   and login counters of the actor's tenant.

use crate::harness::{Harness, PASSWORD, TestTenant};
use crate::strategies::{ActorRef, AdminAction, IdRef, Op, RolePick};
use chrono::Duration;
use proptest::test_runner::TestCaseError;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use std::collections::BTreeSet;
use tenantry_domain::export::Export;
use tenantry_domain::rbac::CustomRole;
use tenantry_domain::seats::SeatLimit;
use tenantry_domain::{
    AuditEvent, AuditEventId, CampaignId, EntityId, ExportId, Invitation, InvitationId, RoleId, Subscription, Tenant,
    User, UserId,
};
use tenantry_ports::error::{ErrorKind, Problem};
use tenantry_ports::payment::Invoice;
use tenantry_ports::services::account::{ResetConfirmation, ResetRequest};
use tenantry_ports::services::admin::{AdminTenantPatch, CampaignInput};
use tenantry_ports::services::audit::AuditFilter;
use tenantry_ports::services::auth::{AuthorizeError, LoginInput};
use tenantry_ports::services::billing::PreviewInput;
use tenantry_ports::services::invitations::{AcceptInput, InviteInput};
use tenantry_ports::services::roles::{RoleInput, RolePatch};
use tenantry_ports::services::tenant::SettingsInput;
use tenantry_ports::services::users::UserPatch;
use tenantry_ports::store::{Access, AdCountKind, AuditQuery, Month, UsageCounters};
use tenantry_ports::{Principal, TenantScope};
use uuid::Uuid;

/// Everything of one tenant that the store ports can show.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// The tenant row.
    pub tenant: Option<Tenant>,
    /// Users.
    pub users: Vec<User>,
    /// Invitations.
    pub invitations: Vec<Invitation>,
    /// Custom roles.
    pub roles: Vec<CustomRole>,
    /// Subscription.
    pub subscription: Option<Subscription>,
    /// Cached invoices.
    pub invoices: Vec<Invoice>,
    /// The whole audit log.
    pub audit: Vec<AuditEvent>,
    /// This month's usage.
    pub usage: UsageCounters,
    /// Bytes stored.
    pub storage: u64,
    /// GDPR exports.
    pub exports: Vec<Export>,
    /// Files (issue 27).
    pub files: Vec<tenantry_domain::file::StoredFile>,
    /// Every user's live sessions.
    pub sessions: Vec<tenantry_domain::session::Session>,
}

impl Observation {
    /// The parts in which `self` and `other` differ (for a failure's message).
    pub fn differences(&self, other: &Observation) -> Vec<&'static str> {
        [
            ("tenant", self.tenant != other.tenant),
            ("users", self.users != other.users),
            ("invitations", self.invitations != other.invitations),
            ("roles", self.roles != other.roles),
            ("subscription", self.subscription != other.subscription),
            ("invoices", self.invoices != other.invoices),
            ("audit", self.audit != other.audit),
            ("usage", self.usage != other.usage),
            ("storage", self.storage != other.storage),
            ("exports", self.exports != other.exports),
            ("files", self.files != other.files),
            ("sessions", self.sessions != other.sessions),
        ]
        .into_iter()
        .filter_map(|(name, differs)| differs.then_some(name))
        .collect()
    }

    /// The observation without what a refused command may record: audit events
    /// and login counters.
    pub fn without_records(&self) -> Observation {
        let mut o = self.clone();
        o.audit.clear();
        for u in &mut o.users {
            u.unlock();
        }
        o
    }
}

/// Reads everything of one tenant through the store port.
pub async fn observe(h: &Harness, scope: &TenantScope) -> Result<Observation, String> {
    let err = |e: tenantry_ports::StoreError| e.to_string();
    let mut tx = h.tenantry.deps().store.begin(scope, Access::Read).await.map_err(err)?;
    let mut audit = Vec::new();
    let mut before: Option<AuditEventId> = None;
    loop {
        let page = tx.audit_events(&AuditQuery { before, limit: 500, action: None, user: None }).await.map_err(err)?;
        let done = page.len() < 500;
        before = page.last().map(|e| e.id);
        audit.extend(page);
        if done {
            break;
        }
    }
    let users = tx.users().await.map_err(err)?;
    let mut sessions = Vec::new();
    for u in &users {
        sessions.extend(tx.sessions_of(u.id()).await.map_err(err)?);
    }
    Ok(Observation {
        tenant: tx.tenant().await.map_err(err)?,
        users,
        sessions,
        invitations: tx.invitations().await.map_err(err)?,
        roles: tx.roles().await.map_err(err)?,
        subscription: tx.subscription().await.map_err(err)?,
        invoices: tx.invoices().await.map_err(err)?,
        audit,
        usage: tx.usage(Month::of(h.clock_now())).await.map_err(err)?,
        storage: tx.storage_used().await.map_err(err)?,
        exports: tx.exports().await.map_err(err)?,
        files: tx.files().await.map_err(err)?,
    })
}

/// A member of a tenant as the tests hold it.
#[derive(Clone, Debug)]
pub struct Member {
    /// Email.
    pub email: String,
    /// Latest principal.
    pub principal: Principal,
}

/// One tenant of a [`World`].
#[derive(Clone, Debug)]
pub struct WorldTenant {
    /// The tenant.
    pub t: TestTenant,
    /// The superuser's scope used to observe it.
    pub observer: TenantScope,
    /// Its members (index 0: the owner at signup).
    pub members: Vec<Member>,
    /// Every user id it ever had.
    pub users: Vec<UserId>,
    /// Every invitation id it ever had.
    pub invitations: Vec<InvitationId>,
    /// Every custom role id it ever had.
    pub roles: Vec<RoleId>,
    /// Every audit event id it ever had.
    pub audit: BTreeSet<AuditEventId>,
    /// Every export id it ever had.
    pub exports: Vec<ExportId>,
    /// Every file id it ever had.
    pub files: Vec<tenantry_domain::FileId>,
    /// Every session id it ever had.
    pub sessions: Vec<tenantry_domain::SessionId>,
}

/// Several tenants, a superuser and an ad campaign.
pub struct World {
    /// The services.
    pub h: Harness,
    /// The tenants.
    pub tenants: Vec<WorldTenant>,
    /// The superuser.
    pub superuser: Principal,
    /// The superuser's email (to log in again when the clock moved past the session).
    pub superuser_email: String,
    /// The campaign.
    pub campaign: CampaignId,
    /// The superuser's promotion code (10 % forever, 3 redemptions in all).
    pub promotion_code: String,
    /// Operations executed (not skipped).
    pub executed: usize,
    /// Operations refused.
    pub refused: usize,
    /// Per operation kind and answer code (`ok` for success): how often.
    pub coverage: std::collections::BTreeMap<(String, String), usize>,
    /// Every tenant as the last check saw it (see [`World::observe_for`]).
    last_seen: Option<Vec<Observation>>,
}

fn fail(msg: impl Into<String>) -> TestCaseError {
    TestCaseError::fail(msg.into())
}

impl World {
    /// Signs up `n` tenants and prepares the observers.
    pub async fn new(h: Harness, n: usize) -> Result<World, TestCaseError> {
        Self::named(h, n, "tenant").await
    }

    /// Like [`World::new`], with slugs `{prefix}0`, `{prefix}1`, ... so that many
    /// worlds can share one database.
    pub async fn named(h: Harness, n: usize, prefix: &str) -> Result<World, TestCaseError> {
        let superuser_email = format!("ops-{prefix}@platform.example.com");
        let superuser = h.superuser(&superuser_email).await.map_err(|e| fail(e.0))?;
        let platform = h.tenantry.authorize_platform(&superuser).await.map_err(|e| fail(e.to_string()))?;
        let now = h.clock_now();
        let campaign = h
            .tenantry
            .create_campaign(
                &platform,
                CampaignInput {
                    name: "House ad".into(),
                    format: tenantry_domain::AdFormat::Banner,
                    text: "Upgrade to standard".into(),
                    image_url: None,
                    link_url: "https://example.com/upgrade".into(),
                    tenants: None,
                    starts_at: now,
                    ends_at: now + Duration::days(3650),
                    enabled: true,
                },
            )
            .await
            .map_err(|e| fail(e.to_string()))?
            .id;
        let promotion_code = format!("P10-{}", prefix.to_ascii_uppercase());
        let coupon = tenantry_ports::services::promotions::CouponInput {
            name: "Property".into(),
            percent_off_basis_points: Some(1_000),
            amount_off_cents: None,
            duration: tenantry_ports::services::promotions::DurationKind::Forever,
            duration_in_months: None,
            max_redemptions: Some(3),
            redeem_by: None,
        };
        let coupon = h.tenantry.create_coupon(&platform, coupon).await.map_err(|e| fail(e.to_string()))?;
        let code = tenantry_ports::services::promotions::PromotionCodeInput {
            code: promotion_code.clone(),
            first_time_only: false,
            expires_at: None,
            max_redemptions: None,
        };
        h.tenantry.create_promotion_code(&platform, coupon.id, code).await.map_err(|e| fail(e.to_string()))?;
        let mut tenants = Vec::new();
        for i in 0..n {
            let t = h.signup(&format!("{prefix}{i}")).await.map_err(|e| fail(e.0))?;
            let observer = h.tenantry.authorize(&superuser, t.id).await.map_err(|e| fail(e.to_string()))?;
            let owner = Member { email: t.owner_email.clone(), principal: t.owner };
            tenants.push(WorldTenant {
                users: vec![t.owner_id],
                t,
                observer,
                members: vec![owner],
                invitations: Vec::new(),
                roles: Vec::new(),
                audit: BTreeSet::new(),
                exports: Vec::new(),
                files: Vec::new(),
                sessions: Vec::new(),
            });
        }
        // Start in three different states, so that seat limits, paid-plan changes
        // and freemium rules are within reach of short sequences: the first
        // tenant in its trial, the second paying monthly, the third on freemium.
        if n > 1 {
            let paid = &tenants[1].t;
            h.add_card(paid.id, crate::simulator::TestCard::Succeeds).await.map_err(|e| fail(e.0))?;
            let owner = h.owner_scope(paid).await.map_err(|e| fail(e.0))?;
            h.tenantry
                .change_plan(
                    &owner,
                    tenantry_domain::subscription::PlanChoice::Standard(tenantry_domain::Interval::Month),
                    tenantry_domain::subscription::PlanTiming::Now,
                    None,
                    &tenantry_ports::payment::ReturnPath::from_static("/"),
                )
                .await
                .map_err(|e| fail(e.to_string()))?;
        }
        if n > 2 {
            let scope = h.tenantry.authorize(&superuser, tenants[2].t.id).await.map_err(|e| fail(e.to_string()))?;
            h.tenantry
                .admin_update_tenant(&scope, AdminTenantPatch { force_freemium: true, ..Default::default() })
                .await
                .map_err(|e| fail(e.to_string()))?;
        }
        let settled = h.tick().await;
        if !settled.clean() {
            return Err(fail(format!("setting the world up failed: {settled:?}")));
        }
        let mut world = World {
            h,
            tenants,
            superuser,
            superuser_email,
            campaign,
            promotion_code,
            executed: 0,
            refused: 0,
            coverage: Default::default(),
            last_seen: None,
        };
        for i in 0..n {
            let o = world.observe(i).await?;
            world.learn(i, &o);
        }
        Ok(world)
    }

    async fn observe(&self, i: usize) -> Result<Observation, TestCaseError> {
        observe(&self.h, &self.tenants[i].observer).await.map_err(fail)
    }

    /// Every tenant before an operation of tenant `a`: `a` read now (its
    /// authorisation may have touched a session or noted an attempt), the
    /// others as the last check left them — which checks them over more: a
    /// change to another tenant since then, by the authorisation as much as by
    /// the operation, is seen. Half the reads of observing all twice.
    async fn observe_for(&mut self, a: usize) -> Result<Vec<Observation>, TestCaseError> {
        match self.last_seen.take() {
            Some(mut seen) if seen.len() == self.tenants.len() => {
                seen[a] = self.observe(a).await?;
                Ok(seen)
            }
            _ => self.observe_all().await,
        }
    }

    async fn observe_all(&self) -> Result<Vec<Observation>, TestCaseError> {
        let mut all = Vec::with_capacity(self.tenants.len());
        for i in 0..self.tenants.len() {
            all.push(self.observe(i).await?);
        }
        Ok(all)
    }

    fn learn(&mut self, i: usize, o: &Observation) {
        let t = &mut self.tenants[i];
        for u in &o.users {
            if !t.users.contains(&u.id()) {
                t.users.push(u.id());
            }
        }
        for inv in &o.invitations {
            if !t.invitations.contains(&inv.id()) {
                t.invitations.push(inv.id());
            }
        }
        for r in &o.roles {
            if !t.roles.contains(&r.id) {
                t.roles.push(r.id);
            }
        }
        t.audit.extend(o.audit.iter().map(|e| e.id));
        for e in &o.exports {
            if !t.exports.contains(&e.id()) {
                t.exports.push(e.id());
            }
        }
        for f in &o.files {
            if !t.files.contains(&f.id) {
                t.files.push(f.id);
            }
        }
        for s in &o.sessions {
            if !t.sessions.contains(&s.id()) {
                t.sessions.push(s.id());
            }
        }
    }

    fn n(&self) -> usize {
        self.tenants.len()
    }

    fn tenant_of(&self, actor: ActorRef) -> usize {
        usize::from(actor.tenant) % self.n()
    }

    /// Resolves a target: the tenant it belongs to and its id (a never-used id
    /// when the tenant has none of that kind yet).
    fn pick<T: EntityId>(&self, from: usize, r: IdRef, list: impl Fn(&WorldTenant) -> &Vec<T>) -> (usize, T) {
        let owner = (from + r.foreign.map_or(0, usize::from)) % self.n();
        let ids = list(&self.tenants[owner]);
        // Four times in five, skip the first id (for users: the owner at signup),
        // so that sequences act on invited users more often.
        let index = usize::from(r.index);
        let slot = if ids.len() > 1 && index % 5 != 0 { 1 + index % (ids.len() - 1) } else { index % ids.len().max(1) };
        match ids.get(slot) {
            Some(id) => (owner, *id),
            None => (owner, unknown_id()),
        }
    }

    fn email(&self, tenant: usize, k: u8) -> String {
        if k < 6 {
            format!("u{k}@{}.example.com", self.tenants[tenant].t.slug)
        } else {
            format!("shared{k}@example.com")
        }
    }

    /// The actor's scope, logging in again when its token went stale.
    /// `None`: the member cannot act (deactivated, removed, locked out).
    async fn scope_of(
        &mut self,
        actor: ActorRef,
    ) -> Result<Option<Result<TenantScope, AuthorizeError>>, TestCaseError> {
        let ti = self.tenant_of(actor);
        let mi = usize::from(actor.member) % self.tenants[ti].members.len();
        let tenant_id = self.tenants[ti].t.id;
        let member = self.tenants[ti].members[mi].clone();
        match self.h.tenantry.authorize(&member.principal, tenant_id).await {
            Err(AuthorizeError::Unauthenticated) => {}
            Err(AuthorizeError::Infra(e)) => return Err(fail(format!("authorize failed: {e}"))),
            other => return Ok(Some(other)),
        }
        let relogin = self
            .h
            .tenantry
            .login(LoginInput {
                tenant: Some(self.tenants[ti].t.slug.clone()),
                email: member.email.clone(),
                password: SecretString::from(PASSWORD),
            })
            .await;
        let Ok(done) = relogin else { return Ok(None) };
        self.tenants[ti].members[mi].principal = done.principal;
        Ok(Some(self.h.tenantry.authorize(&done.principal, tenant_id).await))
    }
}

fn unknown_id<T: EntityId>() -> T {
    // A well-formed v7 id that no generator of this world produces.
    let uuid = tenantry_domain::ids::uuid_v7_from_parts(42, [0xee; 10]);
    T::from_uuid(uuid).unwrap_or_else(|_| unreachable_id())
}

fn unreachable_id<T: EntityId>() -> T {
    // `uuid_v7_from_parts` always yields version 7; this is never reached.
    T::from_uuid(tenantry_domain::ids::uuid_v7_from_parts(43, [0xef; 10])).unwrap_or_else(|_| unreachable_id())
}

/// The outcome of one call, for the checks.
struct Outcome {
    ok: bool,
    kind: Option<ErrorKind>,
    code: Option<&'static str>,
    json: Option<serde_json::Value>,
    message: String,
}

fn outcome<T: Serialize, E: Problem>(r: &Result<T, E>) -> Outcome {
    match r {
        Ok(v) => {
            Outcome { ok: true, kind: None, code: None, json: serde_json::to_value(v).ok(), message: String::new() }
        }
        Err(e) => Outcome { ok: false, kind: Some(e.kind()), code: Some(e.code()), json: None, message: e.to_string() },
    }
}

fn uuids_in(value: &serde_json::Value, out: &mut Vec<Uuid>) {
    match value {
        serde_json::Value::String(s) => {
            if let Ok(u) = Uuid::try_parse(s) {
                out.push(u);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| uuids_in(v, out)),
        serde_json::Value::Object(map) => {
            // An audit event may name the foreign tenant the actor tried to reach:
            // that is the actor's own record of its own attempt, not a leak.
            if map.get("kind").and_then(|k| k.as_str()) == Some("foreign_tenant") {
                return;
            }
            map.values().for_each(|v| uuids_in(v, out));
        }
        _ => {}
    }
}

/// Whether a call aimed at another tenant's id, and where the id was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Aim {
    Own,
    Path,
    Body,
}

fn aim(path_abroad: bool, body_abroad: bool) -> Aim {
    if path_abroad {
        Aim::Path
    } else if body_abroad {
        Aim::Body
    } else {
        Aim::Own
    }
}

impl From<bool> for Aim {
    fn from(abroad: bool) -> Self {
        aim(abroad, false)
    }
}

/// What one executed operation did.
struct Step {
    /// The tenant whose data the operation may change.
    tenant: usize,
    /// Whether other tenants may change (time passing).
    global: bool,
    /// Calls made, with whether each aimed at another tenant's id.
    calls: Vec<(Outcome, Aim)>,
    /// The provider events the operation caused, as they were handled.
    webhooks: Vec<Outcome>,
    /// Whether a refusal must leave the tenant unchanged (single-call operations).
    single: bool,
}

impl World {
    /// Executes one operation and checks every property around it.
    pub async fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let Some(mut step) = self.execute(op).await? else {
            // A skipped operation may still have changed its tenant (a refused
            // authorisation is audited): the next one reads every tenant again.
            self.last_seen = None;
            return Ok(());
        };
        // The provider's events caused by the operation arrive (as webhooks would);
        // they must concern the acting tenant only, which the checks below verify.
        self.h.simulator.advance();
        for event in self.h.simulator.take_events() {
            let r = self.h.tenantry.handle_billing_event(&event).await;
            step.0.webhooks.push(outcome(&r));
        }
        self.executed += 1;
        Ok(()).and(self.check_after(op, step).await).map_err(|e| fail(format!("after {op:?}: {e}")))
    }

    async fn check_after(&mut self, op: &Op, step: (Step, Vec<Observation>)) -> Result<(), TestCaseError> {
        let (step, before) = step;
        let after = self.observe_all().await?;
        let a = step.tenant;
        // (a) other tenants unchanged
        if !step.global {
            for b in 0..self.n() {
                if b != a && before[b] != after[b] {
                    return Err(fail(format!(
                        "an operation of tenant {a} changed tenant {b} ({})",
                        before[b].differences(&after[b]).join(", ")
                    )));
                }
            }
        }
        // (a) no foreign ids in answers; foreign targets refused as not found
        let mut foreign: BTreeSet<Uuid> = BTreeSet::new();
        for (b, t) in self.tenants.iter().enumerate() {
            if b != a {
                foreign.insert(t.t.id.as_uuid());
                foreign.extend(t.users.iter().map(|i| i.as_uuid()));
                foreign.extend(t.invitations.iter().map(|i| i.as_uuid()));
                foreign.extend(t.roles.iter().map(|i| i.as_uuid()));
                foreign.extend(t.audit.iter().map(|i| i.as_uuid()));
                foreign.extend(t.exports.iter().map(|i| i.as_uuid()));
                foreign.extend(t.files.iter().map(|i| i.as_uuid()));
                foreign.extend(t.sessions.iter().map(|i| i.as_uuid()));
            }
        }
        for (o, aimed_abroad) in &step.calls {
            if let Some(json) = &o.json {
                let mut ids = Vec::new();
                uuids_in(json, &mut ids);
                if let Some(leak) = ids.iter().find(|u| foreign.contains(u)) {
                    return Err(fail(format!("tenant {a}'s answer contains {leak}, an id of another tenant: {json}")));
                }
            }
            if *aimed_abroad != Aim::Own && o.ok {
                return Err(fail(format!("an operation on another tenant's id succeeded: {:?}", o.json)));
            }
            // An id in the path answers not_found (or forbidden, when the permission
            // or plan check comes before any lookup, so the answer is the same for
            // every id); a reference in the body (a role to
            // give) answers like any unknown reference.
            let allowed = match aimed_abroad {
                Aim::Path => {
                    matches!(o.kind, Some(ErrorKind::NotFound | ErrorKind::Forbidden | ErrorKind::UpgradeRequired))
                }
                Aim::Body => matches!(
                    o.kind,
                    Some(ErrorKind::NotFound | ErrorKind::Forbidden | ErrorKind::UpgradeRequired | ErrorKind::Invalid)
                ),
                Aim::Own => true,
            };
            if !allowed {
                return Err(fail(format!("another tenant's id answered {:?} ({}), not not_found", o.code, o.message)));
            }
            if o.kind == Some(ErrorKind::Internal) {
                return Err(fail(format!("internal error: {}", o.message)));
            }
            // tenantry asks the provider only for what its own view allows: a
            // refusal by the provider means the two views drifted apart
            if o.code == Some("billing_rejected") {
                return Err(fail(format!("the provider refused a change tenantry allowed: {}", o.message)));
            }
        }
        // the provider's events went through
        if let Some(w) = step.webhooks.iter().find(|w| !w.ok) {
            return Err(fail(format!("a billing event failed: {:?} {}", w.code, w.message)));
        }
        // (e) a refused single call left the tenant as it was (but for audit and
        // login counters), and caused no provider change either (its events are
        // applied before `after` was observed)
        if step.single
            && step.calls.iter().all(|(o, _)| !o.ok)
            && before[a].without_records() != after[a].without_records()
        {
            return Err(fail(format!(
                "a refused operation ({:?}) changed tenant {a}",
                step.calls.first().and_then(|(o, _)| o.code)
            )));
        }
        // (b), (c) in every tenant
        let now = self.h.clock_now();
        let catalog = self.h.tenantry.catalog().clone();
        for (i, o) in after.iter().enumerate() {
            let owners: Vec<&User> = o.users.iter().filter(|u| u.is_owner()).collect();
            if o.tenant.is_some() && (owners.len() != 1 || !owners[0].is_active()) {
                return Err(fail(format!(
                    "tenant {i} has {} owner(s), active: {:?}",
                    owners.len(),
                    owners.first().map(|u| u.is_active())
                )));
            }
            if let Some(sub) = &o.subscription {
                let used = o.users.iter().filter(|u| u.is_active()).count()
                    + o.invitations.iter().filter(|inv| inv.is_pending(now)).count();
                if let SeatLimit::Capped(cap) = sub.seat_limit(&catalog)
                    && used > usize::try_from(cap).unwrap_or(usize::MAX)
                {
                    return Err(fail(format!("tenant {i} uses {used} seats of {cap} ({:?})", sub.state())));
                }
            }
        }
        // counts in a subscription view are the tenant's own
        if let Op::ViewSubscription { .. } = op
            && let Some((o, _)) = step.calls.first()
            && let Some(json) = &o.json
        {
            let active = after[a].users.iter().filter(|u| u.is_active()).count();
            if json.get("active_users").and_then(|v| v.as_u64()) != Some(u64::try_from(active).unwrap_or(0)) {
                return Err(fail(format!(
                    "the view counts {:?} active users, the tenant has {active}",
                    json.get("active_users")
                )));
            }
        }
        for (i, o) in after.iter().enumerate() {
            self.learn(i, o);
        }
        self.last_seen = Some(after);
        if step.calls.iter().any(|(o, _)| !o.ok) {
            self.refused += 1;
        }
        let kind = format!("{op:?}").split([' ', '{']).next().unwrap_or("?").to_owned();
        for (o, _) in &step.calls {
            *self.coverage.entry((kind.clone(), o.code.unwrap_or("ok").to_owned())).or_default() += 1;
        }
        Ok(())
    }

    fn role_text(&self, from: usize, pick: RolePick) -> (String, bool) {
        match pick {
            RolePick::Builtin(name) => (name.to_owned(), false),
            RolePick::Custom(r) => {
                let (owner, id) = self.pick(from, r, |t| &t.roles);
                (id.to_string(), owner != from)
            }
        }
    }

    async fn execute(&mut self, op: &Op) -> Result<Option<(Step, Vec<Observation>)>, TestCaseError> {
        if matches!(
            op,
            Op::Accept { .. }
                | Op::AcceptTampered { .. }
                | Op::ResetTampered { .. }
                | Op::AddCard { .. }
                | Op::Advance { .. }
                | Op::Admin { .. }
        ) {
            return self.execute_unscoped(op).await;
        }
        let svc = self.h.tenantry.clone();
        // Operations by a member.
        let actor = match op {
            Op::Invite { actor, .. }
            | Op::Revoke { actor, .. }
            | Op::Resend { actor, .. }
            | Op::ChangeRole { actor, .. }
            | Op::SetActive { actor, .. }
            | Op::Remove { actor, .. }
            | Op::Transfer { actor, .. }
            | Op::GetUser { actor, .. }
            | Op::CreateRole { actor, .. }
            | Op::UpdateRole { actor, .. }
            | Op::DeleteRole { actor, .. }
            | Op::UpdateSettings { actor, .. }
            | Op::ViewSubscription { actor }
            | Op::Seats { actor, .. }
            | Op::Plan { actor, .. }
            | Op::Cancel { actor }
            | Op::ContinueFree { actor }
            | Op::BillingPages { actor }
            | Op::Promotion { actor, .. }
            | Op::Rename { actor, .. }
            | Op::Reads { actor }
            | Op::Ads { actor }
            | Op::Storage { actor, .. }
            | Op::MailPrefs { actor, .. }
            | Op::Export { actor, .. }
            | Op::Files { actor, .. }
            | Op::Erase { actor, .. }
            | Op::Login { actor, .. }
            | Op::Sessions { actor, .. }
            | Op::CrossTenant { actor, .. }
            | Op::Deletion { actor, .. } => *actor,
            _ => return Ok(None),
        };
        let a = self.tenant_of(actor);
        if let Op::Login { correct, .. } = op {
            let mi = usize::from(actor.member) % self.tenants[a].members.len();
            let member = self.tenants[a].members[mi].clone();
            let before = self.observe_for(a).await?;
            let password = if *correct { PASSWORD.to_owned() } else { "not the password at all".to_owned() };
            let r = svc
                .login(LoginInput {
                    tenant: Some(self.tenants[a].t.slug.clone()),
                    email: member.email.clone(),
                    password: SecretString::from(password),
                })
                .await;
            if let Ok(done) = &r {
                self.tenants[a].members[mi].principal = done.principal;
            }
            // A login changes login counters, last login and usage: not a "refused command" check.
            return Ok(Some((
                Step {
                    tenant: a,
                    global: false,
                    calls: vec![(outcome(&r), Aim::Own)],
                    webhooks: Vec::new(),
                    single: false,
                },
                before,
            )));
        }
        let Some(authorized) = self.scope_of(actor).await? else { return Ok(None) };
        if let Op::Sessions { session, .. } = op {
            if !matches!(authorized, Ok(_) | Err(AuthorizeError::MfaEnrolmentRequired)) {
                return Ok(None);
            }
            let mi = usize::from(actor.member) % self.tenants[a].members.len();
            let principal = self.tenants[a].members[mi].principal;
            let (owner, id) = self.pick(a, *session, |t| &t.sessions);
            let before = self.observe_for(a).await?;
            let listed = svc.sessions(&principal).await;
            let ended = svc.end_session(&principal, id).await.map(|()| "ended");
            let calls = vec![(outcome(&listed), Aim::Own), (outcome(&ended), Aim::from(owner != a))];
            return Ok(Some((Step { tenant: a, global: false, calls, webhooks: Vec::new(), single: false }, before)));
        }
        if let Op::CrossTenant { target, .. } = op {
            let mi = usize::from(actor.member) % self.tenants[a].members.len();
            let principal = self.tenants[a].members[mi].principal;
            let other = (a + usize::from(*target)) % self.n();
            let before = self.observe_for(a).await?;
            let r = svc.authorize(&principal, self.tenants[other].t.id).await;
            let r = r.map(|s| s.tenant_id());
            let call = (outcome(&r), Aim::from(other != a));
            return Ok(Some((
                Step { tenant: a, global: false, calls: vec![call], webhooks: Vec::new(), single: false },
                before,
            )));
        }
        let scope = match authorized {
            Ok(scope) => scope,
            Err(AuthorizeError::TenantInactive(_)) | Err(AuthorizeError::NotFound) => return Ok(None),
            Err(e) => return Err(fail(format!("authorize: {e}"))),
        };
        let before = self.observe_for(a).await?;
        let team = matches!(
            op,
            Op::Invite { .. }
                | Op::Revoke { .. }
                | Op::Resend { .. }
                | Op::ChangeRole { .. }
                | Op::SetActive { .. }
                | Op::Remove { .. }
                | Op::Transfer { .. }
                | Op::GetUser { .. }
                | Op::CreateRole { .. }
                | Op::UpdateRole { .. }
                | Op::DeleteRole { .. }
                | Op::UpdateSettings { .. }
        );
        let done = if team {
            self.team_calls(op, a, &scope).await?
        } else {
            self.billing_and_data_calls(op, a, &scope).await?
        };
        let Some((calls, single)) = done else { return Ok(None) };
        Ok(Some((Step { tenant: a, global: false, calls, webhooks: Vec::new(), single }, before)))
    }

    /// The operations without a member as the actor: accepting or tampering with
    /// a link, a card, time passing, the superuser's changes.
    async fn execute_unscoped(&mut self, op: &Op) -> Result<Option<(Step, Vec<Observation>)>, TestCaseError> {
        // Time passing, a superuser, a link: may change any tenant, even when skipped.
        self.last_seen = None;
        let svc = self.h.tenantry.clone();
        match op {
            Op::Accept { tenant, pick } => {
                let ti = usize::from(*tenant) % self.n();
                let before = self.observe_all().await?;
                let now = self.h.clock_now();
                let pending: Vec<String> = before[ti]
                    .invitations
                    .iter()
                    .filter(|i| i.is_pending(now))
                    .map(|i| i.email().to_string())
                    .collect();
                let Some(address) = pending.get(usize::from(*pick) % pending.len().max(1)).cloned() else {
                    return Ok(None);
                };
                let Some(token) = self.h.mailer.invitation_token_from(&address, self.tenants[ti].t.id) else {
                    return Ok(None);
                };
                let r = svc
                    .accept_invitation(AcceptInput {
                        token,
                        name: "Invited".into(),
                        password: SecretString::from(PASSWORD),
                    })
                    .await;
                if let Ok(done) = &r {
                    self.tenants[ti].members.push(Member { email: address, principal: done.principal });
                }
                let step = Step {
                    tenant: ti,
                    global: false,
                    calls: vec![(outcome(&r), Aim::Own)],
                    webhooks: Vec::new(),
                    single: true,
                };
                return Ok(Some((step, before)));
            }
            Op::AcceptTampered { tenant, email, into } => {
                let ti = usize::from(*tenant) % self.n();
                let target = (ti + usize::from(*into)) % self.n();
                let address = self.email(ti, *email);
                let Some(token) = self.h.mailer.invitation_token_from(&address, self.tenants[ti].t.id) else {
                    return Ok(None);
                };
                let text = token.expose_secret().replacen(
                    &self.tenants[ti].t.id.as_uuid().simple().to_string(),
                    &self.tenants[target].t.id.as_uuid().simple().to_string(),
                    1,
                );
                let before = self.observe_all().await?;
                let r = svc
                    .accept_invitation(AcceptInput {
                        token: SecretString::from(text),
                        name: "Intruder".into(),
                        password: SecretString::from(PASSWORD),
                    })
                    .await;
                let aimed_abroad = target != ti;
                let step = Step {
                    tenant: target,
                    global: false,
                    calls: vec![(outcome(&r), Aim::from(aimed_abroad))],
                    webhooks: Vec::new(),
                    single: true,
                };
                return Ok(Some((step, before)));
            }
            Op::ResetTampered { tenant, member, into } => {
                let ti = usize::from(*tenant) % self.n();
                let target = (ti + usize::from(*into)) % self.n();
                let mi = usize::from(*member) % self.tenants[ti].members.len();
                let address = self.tenants[ti].members[mi].email.clone();
                let request = ResetRequest { tenant: self.tenants[ti].t.slug.clone(), email: address.clone() };
                if svc.request_password_reset(request).await.is_err() {
                    return Err(fail("a reset request failed"));
                }
                let Some(token) = self.h.mailer.reset_token(&address) else { return Ok(None) };
                let text = token.expose_secret().replacen(
                    &self.tenants[ti].t.id.as_uuid().simple().to_string(),
                    &self.tenants[target].t.id.as_uuid().simple().to_string(),
                    1,
                );
                let before = self.observe_all().await?;
                let r = svc
                    .confirm_password_reset(ResetConfirmation {
                        token: SecretString::from(text),
                        password: SecretString::from("an intruder's passphrase"),
                    })
                    .await;
                let aim = if target == ti { Aim::Own } else { Aim::Body };
                let mut calls = vec![(outcome(&r.map(|()| "done")), aim)];
                // The owner's signup verification code, re-addressed the same way.
                let owner = self.tenants[ti].members[0].email.clone();
                if let Some(code) = self.h.mailer.verification_token(&owner) {
                    let text = code.expose_secret().replacen(
                        &self.tenants[ti].t.id.as_uuid().simple().to_string(),
                        &self.tenants[target].t.id.as_uuid().simple().to_string(),
                        1,
                    );
                    let v = svc.verify_email(&SecretString::from(text)).await;
                    calls.push((outcome(&v.map(|()| "done")), aim));
                }
                let step = Step { tenant: target, global: false, calls, webhooks: Vec::new(), single: true };
                return Ok(Some((step, before)));
            }
            Op::AddCard { tenant, card } => {
                let ti = usize::from(*tenant) % self.n();
                let Some(customer) = self.h.simulator.customer_of(self.tenants[ti].t.id) else { return Ok(None) };
                let before = self.observe_all().await?;
                let attached =
                    self.h.simulator.attach_card(&customer, *card).map(|()| "attached").map_err(|e| e.to_string());
                if let Err(e) = attached {
                    return Err(fail(format!("attach card: {e}")));
                }
                return Ok(Some((
                    Step { tenant: ti, global: false, calls: Vec::new(), webhooks: Vec::new(), single: false },
                    before,
                )));
            }
            Op::Advance { hours } => {
                let before = self.observe_all().await?;
                let tick = self.h.advance(Duration::hours(i64::from(*hours))).await;
                if !tick.clean() {
                    return Err(fail(format!("billing events or timers failed while time passed: {tick:?}")));
                }
                return Ok(Some((
                    Step { tenant: 0, global: true, calls: Vec::new(), webhooks: Vec::new(), single: false },
                    before,
                )));
            }
            Op::Admin { tenant, action } => return self.execute_admin(*tenant, action).await,
            _ => {}
        }
        Ok(None)
    }

    /// The superuser's view and changes of one tenant.
    async fn execute_admin(
        &mut self,
        tenant: u8,
        action: &AdminAction,
    ) -> Result<Option<(Step, Vec<Observation>)>, TestCaseError> {
        let svc = self.h.tenantry.clone();
        let ti = usize::from(tenant) % self.n();
        let mut authorized = svc.authorize(&self.superuser, self.tenants[ti].t.id).await;
        if matches!(authorized, Err(AuthorizeError::Unauthenticated)) {
            // The clock moved past the operator's session: they log in again.
            self.superuser = self.h.superuser_login(&self.superuser_email).await.map_err(|e| fail(e.0))?;
            authorized = svc.authorize(&self.superuser, self.tenants[ti].t.id).await;
        }
        let scope = match authorized {
            Ok(scope) => scope,
            // purged after its retention period
            Err(AuthorizeError::NotFound) => return Ok(None),
            Err(e) => return Err(fail(e.to_string())),
        };
        let before = self.observe_all().await?;
        let call = match action {
            AdminAction::Detail => outcome(&svc.admin_tenant_detail(&scope).await),
            other => {
                let patch = match other {
                    AdminAction::Suspend => AdminTenantPatch { suspended: Some(true), ..Default::default() },
                    AdminAction::Unsuspend => AdminTenantPatch { suspended: Some(false), ..Default::default() },
                    AdminAction::Quota => AdminTenantPatch {
                        quota_override: Some(tenantry_domain::quota::QuotaOverride {
                            requests_per_minute: Some(100),
                            api_calls_per_month: Some(10_000),
                            storage_bytes: Some(1 << 20),
                            active_users: Some(25),
                        }),
                        ..Default::default()
                    },
                    AdminAction::PausePayments => {
                        AdminTenantPatch { collection_paused: Some(true), ..Default::default() }
                    }
                    AdminAction::ResumePayments => {
                        AdminTenantPatch { collection_paused: Some(false), ..Default::default() }
                    }
                    AdminAction::Comp => AdminTenantPatch { comp_months: Some(2), ..Default::default() },
                    AdminAction::ForceFreemium | AdminAction::Detail => {
                        AdminTenantPatch { force_freemium: true, ..Default::default() }
                    }
                };
                outcome(&svc.admin_update_tenant(&scope, patch).await)
            }
        };
        Ok(Some((
            Step { tenant: ti, global: false, calls: vec![(call, Aim::Own)], webhooks: Vec::new(), single: true },
            before,
        )))
    }

    /// The team's operations: invitations, users, roles, settings.
    async fn team_calls(
        &mut self,
        op: &Op,
        a: usize,
        scope: &TenantScope,
    ) -> Result<Option<(Vec<(Outcome, Aim)>, bool)>, TestCaseError> {
        let svc = self.h.tenantry.clone();
        let mut calls: Vec<(Outcome, Aim)> = Vec::new();
        let single = true;
        match op {
            Op::Invite { email, role, .. } => {
                let (role, abroad) = self.role_text(a, *role);
                let r = svc.invite(scope, InviteInput { email: self.email(a, *email), role }).await;
                calls.push((outcome(&r), aim(false, abroad)));
            }
            Op::Revoke { invitation, .. } => {
                let (owner, id) = self.pick(a, *invitation, |t| &t.invitations);
                calls.push((outcome(&svc.revoke_invitation(scope, id).await), Aim::from(owner != a)));
            }
            Op::Resend { invitation, .. } => {
                let (owner, id) = self.pick(a, *invitation, |t| &t.invitations);
                calls.push((outcome(&svc.resend_invitation(scope, id).await), Aim::from(owner != a)));
            }
            Op::ChangeRole { user, role, .. } => {
                let (owner, id) = self.pick(a, *user, |t| &t.users);
                let (role, role_abroad) = self.role_text(a, *role);
                let r = svc.update_user(scope, id, UserPatch { role: Some(role), active: None }).await;
                calls.push((outcome(&r), aim(owner != a, role_abroad)));
            }
            Op::SetActive { user, active, .. } => {
                let (owner, id) = self.pick(a, *user, |t| &t.users);
                let r = svc.update_user(scope, id, UserPatch { role: None, active: Some(*active) }).await;
                calls.push((outcome(&r), Aim::from(owner != a)));
            }
            Op::Remove { user, .. } => {
                let (owner, id) = self.pick(a, *user, |t| &t.users);
                calls.push((outcome(&svc.remove_user(scope, id).await.map(|()| "removed")), Aim::from(owner != a)));
            }
            Op::Transfer { user, .. } => {
                let (owner, id) = self.pick(a, *user, |t| &t.users);
                calls.push((outcome(&svc.transfer_ownership(scope, id).await), Aim::from(owner != a)));
            }
            Op::GetUser { user, .. } => {
                let (owner, id) = self.pick(a, *user, |t| &t.users);
                calls.push((outcome(&svc.get_user(scope, id).await), Aim::from(owner != a)));
            }
            Op::CreateRole { name, mask, .. } => {
                let r = svc
                    .create_role(
                        scope,
                        RoleInput { name: format!("Role {name}"), description: None, permissions: permissions(*mask) },
                    )
                    .await;
                calls.push((outcome(&r), Aim::Own));
            }
            Op::UpdateRole { role, mask, .. } => {
                let (owner, id) = self.pick(a, *role, |t| &t.roles);
                let r = svc
                    .update_role(scope, id, RolePatch { permissions: Some(permissions(*mask)), ..Default::default() })
                    .await;
                calls.push((outcome(&r), Aim::from(owner != a)));
            }
            Op::DeleteRole { role, .. } => {
                let (owner, id) = self.pick(a, *role, |t| &t.roles);
                calls.push((outcome(&svc.delete_role(scope, id).await.map(|()| "deleted")), Aim::from(owner != a)));
            }
            Op::UpdateSettings { name, .. } => {
                let input = SettingsInput {
                    name: Some(format!("Company {name}")),
                    country: Some(Some(if name % 2 == 0 { "DE" } else { "FR" }.into())),
                    ..Default::default()
                };
                calls.push((outcome(&svc.update_tenant(scope, input).await), Aim::Own));
            }
            _ => return Ok(None),
        }
        Ok(Some((calls, single)))
    }

    /// One's own profile (`Op::Rename`): a rename (0–2), a language and time
    /// zone (3), a refused time zone beside a language (4), an address change
    /// asked and confirmed by the link mailed to the new address (5).
    async fn profile_calls(&mut self, name: u8, actor: ActorRef, scope: &TenantScope) -> Vec<(Outcome, Aim)> {
        let svc = self.h.tenantry.clone();
        let mut calls = Vec::new();
        match name {
            3 | 4 => {
                let zone = if name == 3 { "Europe/Amsterdam" } else { "Mars/Olympus" };
                let patch = tenantry_ports::services::profile::PreferencesPatch {
                    language: Some("nl".into()),
                    time_zone: Some(zone.into()),
                };
                calls.push((outcome(&svc.update_me(scope, None, &patch).await), Aim::Own));
            }
            5 => {
                // A user acting for themselves only; the model follows a confirmed change.
                let n = scope.actor().user_id().map_or(0, |u| u.as_uuid().as_u128() % 1_000_000);
                let to = format!("moved.{n}@example.com");
                let asked = svc.request_email_change(scope, &to, &SecretString::from(PASSWORD)).await;
                calls.push((outcome(&asked), Aim::Own));
                if let Some(token) = self.h.mailer.email_change_token(&to) {
                    let done = svc.confirm_email_change(&token).await;
                    if done.is_ok() {
                        let a = self.tenant_of(actor);
                        let mi = usize::from(actor.member) % self.tenants[a].members.len();
                        self.tenants[a].members[mi].email = to.clone();
                    }
                    calls.push((outcome(&done.map(|()| "done")), Aim::Own));
                }
            }
            _ => {
                // A blank name is refused as written; the others rename the actor only.
                let text = ["Renamed Person", "  ", "Another Name"][usize::from(name) % 3];
                calls.push((outcome(&svc.rename_me(scope, text).await), Aim::Own));
            }
        }
        calls
    }

    /// A text file of `bytes` bytes uploaded (counted against the quota) or the
    /// list, one of a tenant's files (own or another's) downloaded, and perhaps
    /// deleted (issue 27).
    async fn file_calls(
        &self,
        a: usize,
        scope: &TenantScope,
        file: IdRef,
        bytes: u16,
        delete: bool,
    ) -> Vec<(Outcome, Aim)> {
        let svc = &self.h.tenantry;
        let mut calls = Vec::new();
        let upload = tenantry_ports::services::files::Upload {
            name: format!("note-{bytes}.txt"),
            content: tenantry_ports::files::once("n".repeat(usize::from(bytes).max(1))),
        };
        // An upload is several units of work (and on Citus each two round trips): one op in four
        // lists instead (the observation after every step reads the files anyway).
        if bytes.is_multiple_of(4) {
            calls.push((outcome(&svc.list_files(scope).await), Aim::Own));
        } else {
            calls.push((outcome(&svc.upload_file(scope, upload).await), Aim::Own));
        }
        let (owner, id) = self.pick(a, file, |t| &t.files);
        let download = match svc.download_file(scope, id).await {
            Ok((view, bytes)) => tenantry_ports::files::read_all(bytes, 1 << 20)
                .await
                .map(|content| (view, content.len()))
                .map_err(|e| tenantry_ports::services::files::FilesError::Upload(e.to_string())),
            Err(e) => Err(e),
        };
        calls.push((outcome(&download), Aim::from(owner != a)));
        if delete {
            calls.push((outcome(&svc.delete_file(scope, id).await), Aim::from(owner != a)));
        }
        calls
    }

    /// The subscription's and the data's operations: seats, plans, billing pages, reads, ads, storage, mail preferences, erasure, exports, deletion.
    async fn billing_and_data_calls(
        &mut self,
        op: &Op,
        a: usize,
        scope: &TenantScope,
    ) -> Result<Option<(Vec<(Outcome, Aim)>, bool)>, TestCaseError> {
        let svc = self.h.tenantry.clone();
        let url = &tenantry_ports::payment::ReturnPath::from_static("/settings/billing");
        let mut calls: Vec<(Outcome, Aim)> = Vec::new();
        let mut single = true;
        match op {
            Op::ViewSubscription { .. } => calls.push((outcome(&svc.subscription_view(scope).await), Aim::Own)),
            Op::Seats { seats, .. } => {
                single = false;
                let preview =
                    svc.preview_change(scope, PreviewInput { seats: Some(*seats), ..Default::default() }).await;
                calls.push((outcome(&preview), Aim::Own));
                let at = preview.as_ref().ok().map(|p| p.preview.proration_date);
                let change = svc.change_seats(scope, *seats, at).await;
                calls.push((outcome(&change), Aim::Own));
                if let (Ok(p), Ok(c)) = (&preview, &change) {
                    // A promotion code's discount is taken off the lines (issue 23).
                    let cut = p.preview.discount.map_or(0, |d| d.cents());
                    let sum: i64 = p.preview.lines.iter().map(|l| l.amount.cents()).sum::<i64>() - cut;
                    if sum != p.preview.total.cents() {
                        return Err(fail("preview lines less the discount do not sum to the total"));
                    }
                    if matches!(p.seat_change, Some(tenantry_domain::subscription::SeatChange::Increase { .. })) {
                        if p.preview.total.cents() < 0 {
                            return Err(fail("adding seats charged less than zero"));
                        }
                        if c.charged != Some(p.preview.total) {
                            return Err(fail(format!("previewed {} but charged {:?}", p.preview.total, c.charged)));
                        }
                    }
                }
            }
            Op::Plan { choice, timing, .. } => {
                // (d) for plan changes: preview, then change at the preview's date
                let preview = svc
                    .preview_change(scope, PreviewInput { plan: Some(*choice), timing: *timing, ..Default::default() })
                    .await;
                let at = preview.as_ref().ok().map(|p| p.preview.proration_date);
                let change = svc.change_plan(scope, *choice, *timing, at, url).await;
                if let (Ok(p), Ok(tenantry_ports::services::billing::PlanChanged::Changed { charged, .. })) =
                    (&preview, &change)
                {
                    let cut = p.preview.discount.map_or(0, |d| d.cents());
                    let sum: i64 = p.preview.lines.iter().map(|l| l.amount.cents()).sum::<i64>() - cut;
                    if sum != p.preview.total.cents() {
                        return Err(fail("plan preview lines less the discount do not sum to the total"));
                    }
                    let charges = !p.preview.lines.is_empty();
                    if charges && *charged != Some(p.preview.total) {
                        return Err(fail(format!(
                            "plan change previewed {} but charged {:?}",
                            p.preview.total, charged
                        )));
                    }
                }
                single = false;
                calls.push((outcome(&preview), Aim::Own));
                calls.push((outcome(&change), Aim::Own));
            }
            Op::Cancel { .. } => calls.push((outcome(&svc.cancel_subscription(scope, url).await), Aim::Own)),
            Op::ContinueFree { .. } => calls.push((outcome(&svc.continue_free(scope, url).await), Aim::Own)),
            Op::BillingPages { .. } => {
                single = false;
                calls.push((outcome(&svc.checkout_session(scope, url).await), Aim::Own));
                calls.push((outcome(&svc.portal_session(scope, url).await), Aim::Own));
                calls.push((outcome(&svc.invoices(scope).await), Aim::Own));
            }
            Op::Rename { name, actor } => {
                single = *name != 5;
                calls.extend(self.profile_calls(*name, *actor, scope).await);
            }
            Op::Promotion { apply, .. } => {
                single = false;
                let code = self.promotion_code.clone();
                calls.push((outcome(&svc.preview_promotion_code(scope, &code).await), Aim::Own));
                if *apply {
                    calls.push((outcome(&svc.apply_promotion_code(scope, &code).await), Aim::Own));
                }
            }
            Op::Reads { .. } => {
                single = false;
                calls.push((outcome(&svc.list_users(scope).await), Aim::Own));
                calls.push((outcome(&svc.list_invitations(scope, true).await), Aim::Own));
                calls.push((outcome(&svc.list_roles(scope).await), Aim::Own));
                calls.push((outcome(&svc.audit_events(scope, AuditFilter::default()).await), Aim::Own));
                calls.push((outcome(&svc.usage(scope).await), Aim::Own));
                calls.push((outcome(&svc.me(scope).await), Aim::Own));
                calls.push((outcome(&svc.get_tenant(scope).await), Aim::Own));
            }
            Op::Ads { .. } => {
                single = false;
                calls.push((outcome(&svc.ad_decision(scope).await), Aim::Own));
                for kind in [AdCountKind::Impression, AdCountKind::Click] {
                    let r = svc.record_ad_event(scope, self.campaign, kind).await.map(|()| "counted");
                    calls.push((outcome(&r), Aim::Own));
                }
            }
            Op::Storage { kib, .. } => {
                calls.push((outcome(&svc.reserve_storage(scope, u64::from(*kib) * 1024).await), Aim::Own));
            }
            Op::MailPrefs { billing, product_updates, upcoming_invoice, .. } => {
                single = false;
                let patch = tenantry_ports::services::notifications::MailPrefsPatch {
                    billing: Some(*billing),
                    product_updates: Some(*product_updates),
                    upcoming_invoice: Some(*upcoming_invoice),
                };
                calls.push((outcome(&svc.set_my_mail_prefs(scope, patch).await), Aim::Own));
                calls.push((outcome(&svc.my_mail_prefs(scope).await), Aim::Own));
            }
            Op::Erase { user, .. } => {
                let (owner, id) = self.pick(a, *user, |t| &t.users);
                calls.push((outcome(&svc.erase_user(scope, id).await), Aim::from(owner != a)));
            }
            Op::Export { export, .. } => {
                single = false;
                calls.push((outcome(&svc.request_export(scope).await.map(|r| r.export)), Aim::Own));
                let (owner, id) = self.pick(a, *export, |t| &t.exports);
                calls.push((outcome(&svc.export_status(scope, id).await), Aim::from(owner != a)));
                let download = match svc.download_export(scope, id).await {
                    Ok(archive) => archive.read_all().await.map(|bytes| {
                        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or(serde_json::Value::Null)
                    }),
                    Err(e) => Err(e),
                };
                calls.push((outcome(&download), Aim::from(owner != a)));
            }
            Op::Files { file, bytes, delete, .. } => {
                single = false;
                calls.extend(self.file_calls(a, scope, *file, *bytes, *delete).await);
            }
            Op::Deletion { cancel, .. } => {
                let r = if *cancel { svc.cancel_deletion(scope).await } else { svc.request_deletion(scope).await };
                calls.push((outcome(&r.map(|()| "done")), Aim::Own));
            }
            _ => return Ok(None),
        }
        Ok(Some((calls, single)))
    }
}

/// A set of permissions from a bit mask (custom roles in sequences).
fn permissions(mask: u8) -> Vec<String> {
    const NAMES: [&str; 8] = [
        "users:read",
        "billing:read",
        "audit:read",
        "usage:read",
        "invitations:manage",
        "users:manage",
        "tenant:update",
        "ads:view",
    ];
    let mut out: Vec<String> =
        NAMES.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, n)| (*n).to_owned()).collect();
    if out.is_empty() {
        out.push("users:read".into());
    }
    out
}

/// Runs one generated sequence over a fresh world of `tenants` tenants.
pub async fn run_sequence(h: Harness, tenants: usize, ops: &[Op]) -> Result<World, TestCaseError> {
    run_named_sequence(h, tenants, "tenant", ops).await
}

/// Runs one generated sequence over a world whose slugs start with `prefix`.
pub async fn run_named_sequence(h: Harness, tenants: usize, prefix: &str, ops: &[Op]) -> Result<World, TestCaseError> {
    let mut world = World::named(h, tenants, prefix).await?;
    for op in ops {
        world.step(op).await?;
    }
    Ok(world)
}

/// How often each operation kind ended with each answer code over many sequences.
#[derive(Clone, Debug, Default)]
pub struct Coverage(pub std::collections::BTreeMap<(String, String), usize>);

impl Coverage {
    /// How often `op` (`Seats`, `Invite`, ...) answered `code` (`ok`, `seat_limit_reached`, ...).
    pub fn count(&self, op: &str, code: &str) -> usize {
        self.0.get(&(op.to_owned(), code.to_owned())).copied().unwrap_or(0)
    }

    /// Fails with the table when `op` answered `code` fewer than `at_least` times:
    /// a property checked over states that were never reached proves nothing.
    pub fn require(&self, op: &str, code: &str, at_least: usize) -> Result<(), String> {
        let n = self.count(op, code);
        if n >= at_least {
            Ok(())
        } else {
            Err(format!("{op} answered {code} only {n} times (at least {at_least} needed); coverage: {:#?}", self.0))
        }
    }
}

/// Runs `cases` generated sequences of `mix` over worlds of `tenants` tenants
/// (each on the harness `harness(i)` makes, with slug prefix `prefix(i)`),
/// shrinking a failure to a minimal sequence, and returns the coverage.
pub fn check_sequences(
    cases: u32,
    mix: crate::strategies::Mix,
    tenants: u8,
    max_len: usize,
    rt: &tokio::runtime::Runtime,
    harness: impl Fn(usize) -> (Harness, String),
) -> Result<Coverage, String> {
    use proptest::test_runner::{Config, TestRunner};
    let coverage = std::cell::RefCell::new(Coverage::default());
    let counter = std::cell::Cell::new(0usize);
    let mut runner =
        TestRunner::new(Config { cases, failure_persistence: None, max_shrink_iters: 4_096, ..Config::default() });
    let result = runner.run(&crate::strategies::ops_mix(tenants, max_len, mix), |ops| {
        let i = counter.get();
        counter.set(i + 1);
        let (h, prefix) = harness(i);
        let world = rt.block_on(run_named_sequence(h, usize::from(tenants), &prefix, &ops))?;
        let mut c = coverage.borrow_mut();
        for (k, v) in world.coverage {
            *c.0.entry(k).or_default() += v;
        }
        Ok(())
    });
    result.map_err(|e| e.to_string())?;
    Ok(coverage.into_inner())
}
