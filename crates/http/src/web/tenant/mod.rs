//! A tenant's pages under `/app/{slug}`: the frame every page shares (the tenant authorised for the session, its navigation and branding, the premium gate), and each page's module.

mod api_keys;
mod audit;
mod billing;
mod branding;
mod exports;
mod files;
mod home;
mod notifications;
mod profile;
mod roles;
mod start;
mod users;

use crate::l10n::t;
use crate::state::AppState;
use crate::web::PageError;
use crate::web::layout::{Nav, Page};
use crate::web::session::Session;
use axum::Router;
use maud::{Markup, html};
use tenantry_ports::TenantScope;

/// The tenant a page is about, authorised for the session (404 for another
/// tenant's slug, audited; 404 for no tenant) — its name read in the unit of
/// work it was authorised in.
pub(crate) async fn tenant(
    state: &AppState,
    session: &Session,
    slug: &str,
) -> Result<(TenantScope, String), PageError> {
    let scope = state.tenantry.authorize_slug_to_read(&session.principal, slug).await?;
    if scope.awaits_payment_method() {
        // Only `/start` (the way to the setup Checkout) is open until the trial starts.
        return Err(PageError::from(tenantry_ports::services::AccessError::PaymentMethodRequired));
    }
    // The reader settles on the workspace's language and time zone, then on the user's own (issue 25).
    let name = crate::l10n::settle_scope(state, &scope).await.unwrap_or_else(|| slug.to_owned());
    Ok((scope, name))
}

/// A form posted into a tenant's pages: this session's CSRF token first, then
/// the slug's tenant authorised (as [`tenant`]).
pub(crate) async fn posted(
    state: &AppState,
    session: &Session,
    slug: &str,
    csrf: &str,
) -> Result<(TenantScope, String), PageError> {
    session.check(csrf)?;
    tenant(state, session, slug).await
}

pub(crate) fn nav(session: &Session, slug: &str, name: &str) -> Nav {
    Nav::Tenant {
        slug: slug.to_owned(),
        name: name.to_owned(),
        csrf: session.csrf.clone(),
        impersonating: session.impersonating,
    }
}

/// A tenant page with the ad slots filled for freemium tenants (one banner a
/// page; the modal when the decision says so). Ads never stop a page: if the
/// decision fails, the page shows without them.
pub(crate) async fn page(state: &AppState, scope: &TenantScope, title: &str, nav: Nav, body: Markup) -> Page {
    // The tenant's logo (its branding) beside its name, when it has one.
    let logo = match state.tenantry.get_tenant(scope).await {
        // An uploaded logo from this origin (issue 27), else the one given by address.
        Ok(t) => match t.settings.branding.logo_file {
            Some(file) => Some(format!("/logos/{}/{file}", t.id)),
            None => t.settings.branding.logo_url.map(|u| u.to_string()),
        },
        Err(_) => None,
    };
    let alert = match (dunning(state, scope, &nav).await, unverified(state, scope, &nav).await) {
        (Some(d), Some(v)) => Some(html! { (d) (v) }),
        (d, v) => d.or(v),
    };
    let page = Page::new(title, nav, body).with_logo(logo).with_alert(alert);
    // A page a tenant's user (or a support session acting as one) sees is one page view.
    if state.metering
        && matches!(scope.actor(), tenantry_ports::Actor::User { .. } | tenantry_ports::Actor::Impersonation { .. })
    {
        state.meter.page_view(scope.tenant_id(), tenantry_ports::store::Month::of(state.tenantry.now()));
    }
    match state.tenantry.ad_decision(scope).await {
        Ok(decision) => {
            // What the page shows is counted, as the API's impression endpoint counts it.
            if let Err(e) = state.tenantry.record_impressions(scope, &decision).await {
                tracing::warn!(tenant = %scope.tenant_id(), error = %e, "ad impressions not counted");
            }
            page.with_ads(decision.banner, decision.modal)
        }
        Err(_) => page,
    }
}

/// DESIGN.md "Dunning": while a payment is past due, every page of someone
/// who may manage billing says until when the access holds and offers the
/// way to a working payment method (the Customer Portal, or the simulator's);
/// a support session (closed to billing) gets the notice without the button.
async fn dunning(state: &AppState, scope: &TenantScope, nav: &Nav) -> Option<Markup> {
    let Nav::Tenant { slug, csrf, impersonating, .. } = nav else { return None };
    let manage = state.tenantry.policy().permission("billing:manage").ok()?;
    if !scope.can(manage) && impersonating.is_none() {
        return None;
    }
    let grace = state.tenantry.subscription_view(scope).await.ok()?.grace_ends_at?;
    Some(html! {
        div.dunning role="alert" #dunning {
            strong { (t!("tenant-dunning-failed")) } " "
            (t!("tenant-dunning-update-by", date = crate::web::layout::day(grace))) " "
            @if impersonating.is_none() {
                form.inline method="post" action={ "/app/" (slug) "/settings/portal" } {
                    (crate::web::layout::csrf_field(csrf))
                    button #update-payment-method type="submit" { (t!("tenant-dunning-button")) }
                }
            }
        }
    })
}

/// Until the signed-in user confirmed their address (the link mailed at
/// signup), every page says so and offers to mail the link again. Not in a
/// support session (the address is not the operator's to confirm).
async fn unverified(state: &AppState, scope: &TenantScope, nav: &Nav) -> Option<Markup> {
    let Nav::Tenant { slug, csrf, impersonating: None, .. } = nav else { return None };
    if !matches!(scope.actor(), tenantry_ports::Actor::User { .. }) {
        return None;
    }
    let me = state.tenantry.me(scope).await.ok()?;
    if me.user.email_verified {
        return None;
    }
    Some(html! {
        div.verify-notice role="note" #verify-notice {
            (t!("tenant-verify-before")) " " strong { (me.user.email) } " " (t!("tenant-verify-after")) " "
            form.inline method="post" action={ "/app/" (slug) "/verification" } {
                (crate::web::layout::csrf_field(csrf))
                button #resend-verification type="submit" { (t!("tenant-verify-resend")) }
            }
        }
    })
}

/// Where a premium feature the tenant's plan lacks would be: the premium label,
/// what the plan unlocking it gives, and the link to the plan page. `None`
/// when the plan includes the feature.
pub(crate) async fn premium_gate(
    state: &AppState,
    scope: &TenantScope,
    slug: &str,
    feature: tenantry_domain::Feature,
) -> Result<Option<Markup>, PageError> {
    let Some(gated) = state.tenantry.entitlement(scope, &feature).await? else {
        return Ok(None);
    };
    let (unlocked, current) = (plan_word(gated.unlocked_by), plan_word(gated.current));
    let what = match feature.as_str() {
        "custom_roles" => t!("tenant-premium-custom-roles", unlocked = unlocked.as_str(), current = current.as_str()),
        "api_keys" => t!("tenant-premium-api-keys", unlocked = unlocked.as_str(), current = current.as_str()),
        "audit_log" => t!("tenant-premium-audit-log", unlocked = unlocked.as_str(), current = current.as_str()),
        _ => t!("tenant-premium-feature", unlocked = unlocked.as_str(), current = current.as_str()),
    };
    Ok(Some(html! {
        p.premium id={ "premium-" (feature) } {
            span.badge.badge-premium { (t!("tenant-premium-badge")) } " "
            (what) " "
            a.upgrade href={ "/app/" (slug) "/settings#plan-h" } { (t!("tenant-premium-upgrade", plan = unlocked)) }
        }
    }))
}

/// A plan's name inside a sentence (`standard`).
fn plan_word(plan: tenantry_domain::PlanKind) -> String {
    match plan {
        tenantry_domain::PlanKind::Trial => t!("tenant-plan-trial"),
        tenantry_domain::PlanKind::Freemium => t!("tenant-plan-freemium"),
        tenantry_domain::PlanKind::Standard => t!("tenant-plan-standard"),
    }
}

/// A role as the tables show it: a built-in role by its name in the reader's
/// language (`member`), a custom role by what `custom` says (its name or id).
pub(crate) fn role_word(role: &tenantry_domain::RoleRef, custom: &str) -> String {
    use tenantry_domain::BuiltinRole;
    match role {
        tenantry_domain::RoleRef::Builtin(BuiltinRole::Owner) => t!("tenant-role-owner"),
        tenantry_domain::RoleRef::Builtin(BuiltinRole::Admin) => t!("tenant-role-admin"),
        tenantry_domain::RoleRef::Builtin(BuiltinRole::Manager) => t!("tenant-role-manager"),
        tenantry_domain::RoleRef::Builtin(BuiltinRole::Member) => t!("tenant-role-member"),
        tenantry_domain::RoleRef::Builtin(BuiltinRole::Viewer) => t!("tenant-role-viewer"),
        tenantry_domain::RoleRef::Custom(_) => custom.to_owned(),
    }
}

/// A built-in role as a form's option offers it (`Member`).
pub(crate) fn role_option(role: tenantry_domain::BuiltinRole) -> String {
    use tenantry_domain::BuiltinRole;
    match role {
        BuiltinRole::Owner => t!("tenant-role-option-owner"),
        BuiltinRole::Admin => t!("tenant-role-option-admin"),
        BuiltinRole::Manager => t!("tenant-role-option-manager"),
        BuiltinRole::Member => t!("tenant-role-option-member"),
        BuiltinRole::Viewer => t!("tenant-role-option-viewer"),
    }
}

/// The time zones a form offers: `UTC` when `utc` (where the empty choice
/// means something else), then the tz database's `Area/Location` names — not
/// its legacy aliases (`GB`, `EST5EDT`) nor the `Etc/` zones — and `current`,
/// the value saved whatever its form, so that it shows as chosen.
pub(crate) fn zone_choices(current: &str, utc: bool) -> impl Iterator<Item = &'static str> + '_ {
    tenantry_domain::preferences::TimeZone::names()
        .filter(move |z| *z == current || (utc && *z == "UTC") || (z.contains('/') && !z.starts_with("Etc/")))
}

/// Every page under `/app/{slug}`.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .merge(api_keys::routes())
        .merge(audit::routes())
        .merge(billing::routes())
        .merge(branding::routes())
        .merge(exports::routes())
        .merge(files::routes())
        .merge(home::routes())
        .merge(notifications::routes())
        .merge(profile::routes())
        .merge(roles::routes())
        .merge(start::routes())
        .merge(users::routes())
}
