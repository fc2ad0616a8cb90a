//! proptest strategies: valid and invalid inputs, actors, and sequences of
//! operations by actors of several tenants (the isolation property's input).
//!
//! Targets are drawn from the ids *every* tenant has produced so far, biased
//! towards the actor's own (so that sequences reach deep states) but with a
//! steady share of other tenants' ids (so that cross-tenant attempts are common).

use proptest::prelude::*;
use tenantry_domain::Interval;
use tenantry_domain::subscription::{PlanChoice, PlanTiming};

use crate::simulator::TestCard;

/// Slugs that parse.
pub fn slug() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{2,10}(-[a-z0-9]{1,6})?".prop_filter("reserved", |s| tenantry_domain::Slug::parse(s).is_ok())
}

/// Emails that parse.
pub fn email() -> impl Strategy<Value = String> {
    ("[a-z][a-z0-9._]{0,12}", "[a-z]{2,10}", "(com|org|de|io)").prop_map(|(l, d, t)| format!("{l}@{d}.{t}"))
}

/// Any text, mostly invalid as an email, slug or name (for "bad input is refused" tests).
pub fn junk() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("   ".to_owned()),
        "[^@]{0,20}",
        "@[a-z]{1,5}",
        ".{0,300}",
        "[a-z]{1,5}@[a-z]{1,5}",
        "\\PC{0,40}",
    ]
}

/// Who acts: a member (by index, 0 = the owner at signup) of a tenant (by index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActorRef {
    /// Tenant index.
    pub tenant: u8,
    /// Member index.
    pub member: u8,
}

/// A target id: from the actor's own tenant, or from another one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdRef {
    /// `Some(k)`: an id of tenant `actor + k` (wrapping); `None`: the actor's own.
    pub foreign: Option<u8>,
    /// Which of the tenant's ids.
    pub index: u8,
}

/// A role to give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolePick {
    /// A built-in role by name.
    Builtin(&'static str),
    /// A custom role (by id reference).
    Custom(IdRef),
}

/// A superuser action inside one tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminAction {
    /// Suspend.
    Suspend,
    /// Lift a suspension.
    Unsuspend,
    /// Set a quota override.
    Quota,
    /// Put on freemium now.
    ForceFreemium,
    /// Read the detail view.
    Detail,
    /// Pause collecting a paid plan's invoices.
    PausePayments,
    /// Resume it.
    ResumePayments,
    /// The paid plan free for two months.
    Comp,
}

/// One operation of a sequence (field names say what they select).
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Invite an email (index into the tenant's pool) with a role.
    Invite { actor: ActorRef, email: u8, role: RolePick },
    /// Accept one of a tenant's pending invitations (by index), with its mailed link.
    Accept { tenant: u8, pick: u8 },
    /// Accept with a token whose tenant part was replaced by another tenant's id.
    AcceptTampered { tenant: u8, email: u8, into: u8 },
    /// A member asks for a password reset; its mailed code, with the tenant part
    /// replaced by another tenant's id, is used to set a password (and the
    /// owner's signup verification code, likewise, to verify an address).
    ResetTampered { tenant: u8, member: u8, into: u8 },
    /// Revoke an invitation.
    Revoke { actor: ActorRef, invitation: IdRef },
    /// Resend an invitation.
    Resend { actor: ActorRef, invitation: IdRef },
    /// Change a user's role.
    ChangeRole { actor: ActorRef, user: IdRef, role: RolePick },
    /// Deactivate or reactivate a user.
    SetActive { actor: ActorRef, user: IdRef, active: bool },
    /// Remove a user.
    Remove { actor: ActorRef, user: IdRef },
    /// Erase a user (GDPR).
    Erase { actor: ActorRef, user: IdRef },
    /// Transfer ownership.
    Transfer { actor: ActorRef, user: IdRef },
    /// Read one user.
    GetUser { actor: ActorRef, user: IdRef },
    /// Create a custom role with a subset of permissions (bit mask over a fixed list).
    CreateRole { actor: ActorRef, name: u8, mask: u8 },
    /// Change a custom role's permissions.
    UpdateRole { actor: ActorRef, role: IdRef, mask: u8 },
    /// Delete a custom role.
    DeleteRole { actor: ActorRef, role: IdRef },
    /// Change the tenant's name and country.
    UpdateSettings { actor: ActorRef, name: u8 },
    /// Read the subscription.
    ViewSubscription { actor: ActorRef },
    /// Preview and then make a seat change at the preview's proration date.
    Seats { actor: ActorRef, seats: i64 },
    /// Change plan or interval.
    Plan { actor: ActorRef, choice: PlanChoice, timing: PlanTiming },
    /// Cancel.
    Cancel { actor: ActorRef },
    /// Continue free (trial).
    ContinueFree { actor: ActorRef },
    /// The tenant's billing customer gets a card.
    AddCard { tenant: u8, card: TestCard },
    /// Open Checkout, Portal, read invoices.
    BillingPages { actor: ActorRef },
    /// Preview the world's promotion code, and apply it when `apply`.
    Promotion { actor: ActorRef, apply: bool },
    /// One's own profile: a rename (0–2), a language and time zone (3), a
    /// refused time zone (4), an address change asked and confirmed by its link (5).
    Rename { actor: ActorRef, name: u8 },
    /// Read lists: users, invitations, roles, audit, usage, me, tenant.
    Reads { actor: ActorRef },
    /// Ask for an ad decision and count an impression and a click.
    Ads { actor: ActorRef },
    /// Reserve some storage.
    Storage { actor: ActorRef, kib: u16 },
    /// A person sets their own mail preferences, and reads them back.
    MailPrefs { actor: ActorRef, billing: bool, product_updates: bool, upcoming_invoice: bool },
    /// Request a GDPR export, then read the status of and download one (own or another tenant's).
    Export { actor: ActorRef, export: IdRef },
    /// Upload a file of `bytes` bytes (or, one time in four, list the files), download one (own
    /// or another tenant's) and perhaps delete it (issue 27).
    Files { actor: ActorRef, file: IdRef, bytes: u16, delete: bool },
    /// Log in (correct or wrong password) as a member.
    Login { actor: ActorRef, correct: bool },
    /// A member lists their sessions and ends one (own or another tenant's).
    Sessions { actor: ActorRef, session: IdRef },
    /// A member's principal asks for another tenant's scope.
    CrossTenant { actor: ActorRef, target: u8 },
    /// The owner requests (or cancels) deletion.
    Deletion { actor: ActorRef, cancel: bool },
    /// The superuser acts in one tenant.
    Admin { tenant: u8, action: AdminAction },
    /// Time passes (the provider's timeline and the timers run).
    Advance { hours: u16 },
}

/// An actor among `tenants` tenants and up to 6 members each.
pub fn actor(tenants: u8) -> impl Strategy<Value = ActorRef> {
    (0..tenants, prop_oneof![3 => Just(0u8), 5 => 1u8..6]).prop_map(|(tenant, member)| ActorRef { tenant, member })
}

/// A target id, 70 % the actor's own tenant's.
pub fn id_ref(tenants: u8) -> impl Strategy<Value = IdRef> {
    (prop_oneof![7 => Just(None), 3 => (1..tenants.max(2)).prop_map(Some)], any::<u8>())
        .prop_map(|(foreign, index)| IdRef { foreign, index })
}

fn role_pick(tenants: u8) -> impl Strategy<Value = RolePick> {
    prop_oneof![
        8 => prop_oneof![
            2 => Just("admin"), 2 => Just("manager"), 4 => Just("member"), 2 => Just("viewer"), 1 => Just("owner")
        ].prop_map(RolePick::Builtin),
        1 => id_ref(tenants).prop_map(RolePick::Custom),
    ]
}

fn plan_choice() -> impl Strategy<Value = (PlanChoice, PlanTiming)> {
    (
        prop_oneof![
            1 => Just(PlanChoice::Freemium),
            3 => Just(PlanChoice::Standard(Interval::Month)),
            2 => Just(PlanChoice::Standard(Interval::Year)),
        ],
        prop_oneof![3 => Just(PlanTiming::Now), 1 => Just(PlanTiming::AtTrialEnd)],
    )
}

/// Which operations a sequence favours (all of them always occur).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mix {
    /// Every use case with everyday weights.
    Balanced,
    /// Seat pressure: paid plans, invitations, acceptances, reactivations, seat changes, time.
    Seats,
    /// Ownership and roles: transfers, role changes, removals, custom roles.
    Owner,
}

/// One operation by actors of `tenants` tenants.
pub fn op(tenants: u8) -> impl Strategy<Value = Op> {
    op_mix(tenants, Mix::Balanced)
}

/// One operation, weighted by `mix`.
pub fn op_mix(tenants: u8, mix: Mix) -> impl Strategy<Value = Op> {
    let (seats, owner) = match mix {
        Mix::Balanced => (1, 1),
        Mix::Seats => (3, 1),
        Mix::Owner => (1, 3),
    };
    let a = move || actor(tenants);
    let id = move || id_ref(tenants);
    prop_oneof![
        10 * seats => (a(), 0u8..8, role_pick(tenants)).prop_map(|(actor, email, role)| Op::Invite { actor, email, role }),
        9 * seats => (0..tenants, any::<u8>()).prop_map(|(tenant, pick)| Op::Accept { tenant, pick }),
        1 => (0..tenants, 0u8..8, 1..tenants.max(2)).prop_map(|(tenant, email, into)| Op::AcceptTampered { tenant, email, into }),
        1 => (0..tenants, 0u8..6, 1..tenants.max(2)).prop_map(|(tenant, member, into)| Op::ResetTampered { tenant, member, into }),
        2 => (a(), id()).prop_map(|(actor, invitation)| Op::Revoke { actor, invitation }),
        1 => (a(), id()).prop_map(|(actor, invitation)| Op::Resend { actor, invitation }),
        2 * owner => (a(), id(), role_pick(tenants)).prop_map(|(actor, user, role)| Op::ChangeRole { actor, user, role }),
        3 * seats => (a(), id(), any::<bool>()).prop_map(|(actor, user, active)| Op::SetActive { actor, user, active }),
        owner => (a(), id()).prop_map(|(actor, user)| Op::Remove { actor, user }),
        owner => (a(), id()).prop_map(|(actor, user)| Op::Transfer { actor, user }),
        2 => (a(), id()).prop_map(|(actor, user)| Op::GetUser { actor, user }),
        2 * owner => (a(), 0u8..4, any::<u8>()).prop_map(|(actor, name, mask)| Op::CreateRole { actor, name, mask }),
        owner => (a(), id(), any::<u8>()).prop_map(|(actor, role, mask)| Op::UpdateRole { actor, role, mask }),
        owner => (a(), id()).prop_map(|(actor, role)| Op::DeleteRole { actor, role }),
        1 => (a(), 0u8..4).prop_map(|(actor, name)| Op::UpdateSettings { actor, name }),
        1 => a().prop_map(|actor| Op::ViewSubscription { actor }),
        4 * seats => (a(), prop_oneof![1 => -1i64..3, 6 => 3i64..10]).prop_map(|(actor, seats)| Op::Seats { actor, seats }),
        4 * seats => (a(), plan_choice()).prop_map(|(actor, (choice, timing))| Op::Plan { actor, choice, timing }),
        1 => a().prop_map(|actor| Op::Cancel { actor }),
        1 => a().prop_map(|actor| Op::ContinueFree { actor }),
        3 => (0..tenants, prop_oneof![4 => Just(TestCard::Succeeds), 1 => Just(TestCard::Declines)])
            .prop_map(|(tenant, card)| Op::AddCard { tenant, card }),
        1 => a().prop_map(|actor| Op::BillingPages { actor }),
        1 => (a(), any::<bool>()).prop_map(|(actor, apply)| Op::Promotion { actor, apply }),
        1 => (a(), 0u8..6).prop_map(|(actor, name)| Op::Rename { actor, name }),
        2 => a().prop_map(|actor| Op::Reads { actor }),
        1 => a().prop_map(|actor| Op::Ads { actor }),
        1 => (a(), any::<u16>()).prop_map(|(actor, kib)| Op::Storage { actor, kib }),
        1 => (a(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(actor, billing, product_updates, upcoming_invoice)| {
            Op::MailPrefs { actor, billing, product_updates, upcoming_invoice }
        }),
        1 => (a(), id_ref(tenants)).prop_map(|(actor, user)| Op::Erase { actor, user }),
        2 => (a(), id_ref(tenants)).prop_map(|(actor, export)| Op::Export { actor, export }),
        1 => (a(), id_ref(tenants), any::<u16>(), any::<bool>())
            .prop_map(|(actor, file, bytes, delete)| Op::Files { actor, file, bytes, delete }),
        2 => (a(), any::<bool>()).prop_map(|(actor, correct)| Op::Login { actor, correct }),
        2 => (a(), 1..tenants.max(2)).prop_map(|(actor, target)| Op::CrossTenant { actor, target }),
        1 => (a(), id()).prop_map(|(actor, session)| Op::Sessions { actor, session }),
        1 => (a(), any::<bool>()).prop_map(|(actor, cancel)| Op::Deletion { actor, cancel }),
        1 => (0..tenants, prop_oneof![
            Just(AdminAction::Suspend), Just(AdminAction::Unsuspend), Just(AdminAction::Quota),
            Just(AdminAction::ForceFreemium), Just(AdminAction::Detail), Just(AdminAction::PausePayments),
            Just(AdminAction::ResumePayments), Just(AdminAction::Comp)
        ]).prop_map(|(tenant, action)| Op::Admin { tenant, action }),
        3 => prop_oneof![1u16..48, 72u16..400, 400u16..900].prop_map(|hours| Op::Advance { hours }),
    ]
}

/// A sequence of 1..=`max` operations by actors of `tenants` tenants.
pub fn ops(tenants: u8, max: usize) -> impl Strategy<Value = Vec<Op>> {
    ops_mix(tenants, max, Mix::Balanced)
}

/// A sequence of 1..=`max` operations weighted by `mix`.
pub fn ops_mix(tenants: u8, max: usize, mix: Mix) -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op_mix(tenants, mix), 1..=max)
}
