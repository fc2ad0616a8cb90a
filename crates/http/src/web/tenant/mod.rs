//! A tenant's pages under `/app/{slug}`: the frame every page shares (the tenant authorised for the session, its navigation and branding, the premium gate), and each page's module.

mod api_keys;
mod audit;
mod billing;
mod branding;
mod exports;
mod home;
mod notifications;
mod profile;
mod roles;
mod start;
mod users;

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
    let name = state.tenantry.get_tenant(&scope).await.map(|t| t.name).unwrap_or_else(|_| slug.to_owned());
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
        Ok(t) => t.settings.branding.logo_url.map(|u| u.to_string()),
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
            strong { "A payment failed. " }
            "Update the payment method by " (crate::web::layout::day(grace))
            ", or the workspace moves to the free plan then (users beyond its seats are suspended). "
            @if impersonating.is_none() {
                form.inline method="post" action={ "/app/" (slug) "/settings/portal" } {
                    (crate::web::layout::csrf_field(csrf))
                    button #update-payment-method type="submit" { "Update the payment method" }
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
            "Confirm your address " strong { (me.user.email) } " with the link we mailed to it. "
            form.inline method="post" action={ "/app/" (slug) "/verification" } {
                (crate::web::layout::csrf_field(csrf))
                button #resend-verification type="submit" { "Mail the link again" }
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
    what: &str,
) -> Result<Option<Markup>, PageError> {
    let Some(gated) = state.tenantry.entitlement(scope, &feature).await? else {
        return Ok(None);
    };
    Ok(Some(html! {
        p.premium id={ "premium-" (feature) } {
            span.badge.badge-premium { "Premium" } " "
            (what) " are included in the " (gated.unlocked_by) " plan, not in " (gated.current) ". "
            a.upgrade href={ "/app/" (slug) "/settings#plan-h" } { "Upgrade to " (gated.unlocked_by) }
        }
    }))
}

/// Every page under `/app/{slug}`.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .merge(api_keys::routes())
        .merge(audit::routes())
        .merge(billing::routes())
        .merge(branding::routes())
        .merge(exports::routes())
        .merge(home::routes())
        .merge(notifications::routes())
        .merge(profile::routes())
        .merge(roles::routes())
        .merge(start::routes())
        .merge(users::routes())
}
