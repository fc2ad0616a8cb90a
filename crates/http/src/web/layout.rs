//! The page frame: head, navigation, the freemium ad slots, and the helpers
//! every page formats money, dates and statuses with.

use crate::l10n::{reader, t};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};
use tenantry_domain::{Money, SubscriptionStatus};
use tenantry_ports::services::ads::AdView;

/// Where a page sits: what its navigation offers.
pub(crate) enum Nav {
    /// No session (login, invitation, errors).
    None,
    /// The superuser's control plane.
    Admin {
        /// The session's CSRF token (for the logout form).
        csrf: String,
    },
    /// One tenant's pages.
    Tenant {
        /// Its slug.
        slug: String,
        /// Its name.
        name: String,
        /// The session's CSRF token.
        csrf: String,
        /// A support session: the superuser acts as this user until then.
        impersonating: Option<DateTime<Utc>>,
    },
}

/// A whole page.
pub(crate) struct Page {
    title: String,
    nav: Nav,
    banner: Option<AdView>,
    modal: Option<AdView>,
    logo: Option<String>,
    /// A notice above the page that needs the reader's action (dunning).
    alert: Option<Markup>,
    body: Markup,
}

impl Page {
    /// A page without navigation.
    pub(crate) fn bare(title: &str, body: Markup) -> Self {
        Self { title: title.to_owned(), nav: Nav::None, banner: None, modal: None, logo: None, alert: None, body }
    }

    /// A page with navigation.
    pub(crate) fn new(title: &str, nav: Nav, body: Markup) -> Self {
        Self { title: title.to_owned(), nav, banner: None, modal: None, logo: None, alert: None, body }
    }

    /// With the tenant's logo (an https URL from its branding) in the navigation.
    pub(crate) fn with_logo(mut self, logo: Option<String>) -> Self {
        self.logo = logo;
        self
    }

    /// Where an ad's link goes: through the tenant's click endpoint, which
    /// counts the click and redirects to the campaign's registered address.
    fn ad_href(&self, ad: &AdView) -> String {
        match &self.nav {
            Nav::Tenant { slug, .. } => format!("/app/{slug}/ads/{}/click", ad.campaign_id),
            _ => ad.link_url.to_string(),
        }
    }

    /// With a notice that needs the reader's action above the page.
    pub(crate) fn with_alert(mut self, alert: Option<Markup>) -> Self {
        self.alert = alert;
        self
    }

    /// With the freemium ad slots the ad decision filled (one banner per page,
    /// the modal when the decision says so: at most once a day per user).
    pub(crate) fn with_ads(mut self, banner: Option<AdView>, modal: Option<AdView>) -> Self {
        self.banner = banner;
        self.modal = modal;
        self
    }

    fn render(&self) -> Markup {
        html! {
            (DOCTYPE)
            html lang=(reader().tag()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (t!("common-title-suffix", title = self.title.as_str())) }
                    link rel="stylesheet" href="/assets/app.css";
                    @if let Nav::Tenant { slug, .. } = &self.nav {
                        // The tenant's colour (its branding), as a stylesheet: the CSP allows no inline style.
                        link rel="stylesheet" href={ "/app/" (slug) "/brand.css" };
                    }
                }
                body {
                    a.skip href="#main" { (t!("common-skip")) }
                    header.top {
                        (nav(&self.nav, self.logo.as_deref()))
                    }
                    @if let Nav::Tenant { impersonating: Some(until), csrf, .. } = &self.nav {
                        div.support role="status" {
                            (t!("common-support-session", until = reader().date_time(*until))) " "
                            form.inline method="post" action="/impersonation/stop" {
                                (csrf_field(csrf))
                                button #stop-impersonation type="submit" { (t!("common-support-stop")) }
                            }
                        }
                    }
                    @if let Some(alert) = &self.alert {
                        (alert)
                    }
                    @if let Some(ad) = &self.banner {
                        aside.ad-banner aria-label=(t!("common-ad")) data-campaign=(ad.campaign_id) {
                            span.ad-label { (t!("common-ad-label")) }
                            " "
                            a href=(self.ad_href(ad)) rel="noopener sponsored" { (ad.text) }
                        }
                    }
                    main #main {
                        (self.body)
                    }
                    @if let Some(ad) = &self.modal {
                        dialog.ad-modal open aria-label=(t!("common-ad")) data-campaign=(ad.campaign_id) {
                            p { span.ad-label { (t!("common-ad-label")) } " " (ad.text) }
                            p { a href=(self.ad_href(ad)) rel="noopener sponsored" { (t!("common-ad-more")) } }
                            form method="dialog" { button type="submit" { (t!("common-close")) } }
                        }
                    }
                }
            }
        }
    }
}

fn nav(nav: &Nav, logo: Option<&str>) -> Markup {
    html! {
        nav aria-label=(t!("common-nav-main")) {
            @match nav {
                Nav::None => { a.brand href="/" { "tenantry" } }
                Nav::Admin { csrf } => {
                    a.brand href="/admin" { (t!("common-brand-platform")) }
                    a href="/admin" { (t!("common-nav-tenants")) }
                    a href="/admin/stats" { (t!("common-nav-statistics")) }
                    a href="/admin/audit" { (t!("common-nav-audit")) }
                    a href="/admin/jobs" { (t!("common-nav-jobs")) }
                    a href="/admin/ads" { (t!("common-nav-ads")) }
                    a href="/admin/coupons" { (t!("common-nav-coupons")) }
                    a href="/admin/broadcasts" { (t!("common-nav-broadcasts")) }
                    a href="/admin/settings" { (t!("common-nav-settings")) }
                    a href="/admin/profile" { (t!("common-nav-profile")) }
                    (logout(csrf))
                }
                Nav::Tenant { slug, name, csrf, .. } => {
                    a.brand href={ "/app/" (slug) } {
                        @if let Some(logo) = logo { img.logo src=(logo) alt="" height="24"; " " }
                        (name)
                    }
                    a href={ "/app/" (slug) "/settings" } { (t!("common-nav-billing")) }
                    a href={ "/app/" (slug) "/settings/users" } { (t!("common-nav-users")) }
                    a href={ "/app/" (slug) "/settings/roles" } { (t!("common-nav-roles")) }
                    a href={ "/app/" (slug) "/settings/api-keys" } { (t!("common-nav-api-keys")) }
                    a href={ "/app/" (slug) "/settings/branding" } { (t!("common-nav-branding")) }
                    a href={ "/app/" (slug) "/settings/audit" } { (t!("common-nav-audit")) }
                    a href={ "/app/" (slug) "/settings/files" } { (t!("common-nav-files")) }
                    a href={ "/app/" (slug) "/settings/exports" } { (t!("common-nav-exports")) }
                    a href={ "/app/" (slug) "/settings/notifications" } { (t!("common-nav-notifications")) }
                    a href={ "/app/" (slug) "/profile" } { (t!("common-nav-profile")) }
                    a href="/account/notifications" { (t!("common-nav-mail")) }
                    a href="/account/mfa" { (t!("common-nav-mfa")) }
                    a href="/account/sessions" { (t!("common-nav-sessions")) }
                    (logout(csrf))
                }
            }
        }
    }
}

fn logout(csrf: &str) -> Markup {
    html! {
        form.inline method="post" action="/logout" {
            input type="hidden" name="csrf" value=(csrf);
            button.link type="submit" { (t!("common-logout")) }
        }
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        Html(self.render().into_string()).into_response()
    }
}

/// An amount as the reader writes it: en `€4.95`, nl `€ 4,95` (exact cents).
pub(crate) fn money(m: Money) -> String {
    reader().money(m)
}

/// A share in basis points as a percentage: en `12.5 %`, nl `12,5 %`.
pub(crate) fn percent(basis_points: u32) -> String {
    let (whole, part) = (basis_points / 100, basis_points % 100);
    let point = if reader().language() == tenantry_i18n::Language::Nl { ',' } else { '.' };
    let text = match part {
        0 => format!("{whole} %"),
        p if p % 10 == 0 => format!("{whole}{point}{} %", p / 10),
        p => format!("{whole}{point}{p:02} %"),
    };
    if reader().is_pseudo() { format!("⟦{text}⟧") } else { text }
}

/// A day as the reader writes it, in their time zone: `6 December 2026`.
pub(crate) fn day(at: DateTime<Utc>) -> String {
    reader().date(at)
}

/// A moment as the reader writes it, in their time zone: `6 December 2026, 14:05`.
pub(crate) fn moment(at: DateTime<Utc>) -> String {
    reader().date_time(at)
}

/// A status as its badge.
pub(crate) fn status(s: SubscriptionStatus) -> Markup {
    let (class, text) = match s {
        SubscriptionStatus::PendingPaymentMethod => {
            ("awaitingpaymentmethod", t!("common-status-pending-payment-method"))
        }
        SubscriptionStatus::Trialing => ("trial", t!("common-status-trialing")),
        SubscriptionStatus::Freemium => ("freemium", t!("common-status-freemium")),
        SubscriptionStatus::Active => ("paid", t!("common-status-active")),
        SubscriptionStatus::CancelingAtPeriodEnd => ("paidcanceling", t!("common-status-canceling")),
        SubscriptionStatus::PastDue => ("pastdue", t!("common-status-past-due")),
        SubscriptionStatus::Suspended => ("suspended", t!("common-status-suspended")),
        SubscriptionStatus::PendingDeletion => ("pendingdeletion", t!("common-status-pending-deletion")),
    };
    html! { span class={ "badge badge-" (class) } { (text) } }
}

/// A form's hidden CSRF field.
pub(crate) fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// A refusal above a form, as an error summary: the reason as a link to the
/// field it concerns (`field`: its id), so that keyboard and screen-reader
/// users land on what to correct; without a field, the reason alone.
pub(crate) fn summary(message: Option<&str>, field: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            div.error-summary role="alert" {
                p.error { (t!("common-problem")) " "
                    @if let Some(f) = field { a href={ "#" (f) } { (m) } } @else { (m) } }
            }
        }
    }
}

/// A refusal shown above a form.
pub(crate) fn alert(message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            p.error role="alert" { (m) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_with_its_symbol_and_exact_cents() {
        // Outside a request the reader is English: the formatting itself is tested in tenantry-domain.
        assert_eq!(money(Money::eur(495)), "€4.95");
        assert_eq!(money(Money::eur(-1650)), "-€16.50");
        assert_eq!(money(Money::eur(0)), "€0.00");
        let chf = tenantry_domain::money::Currency::parse("CHF").unwrap();
        assert_eq!(money(Money::from_cents(1200, chf)), "CHF 12.00");
        assert_eq!(percent(1250), "12.5 %");
    }
}
