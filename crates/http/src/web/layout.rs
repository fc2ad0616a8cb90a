//! The page frame: head, navigation, the freemium ad slots, and the helpers
//! every page formats money, dates and statuses with.

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
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (self.title) " · tenantry" }
                    link rel="stylesheet" href="/assets/app.css";
                    @if let Nav::Tenant { slug, .. } = &self.nav {
                        // The tenant's colour (its branding), as a stylesheet: the CSP allows no inline style.
                        link rel="stylesheet" href={ "/app/" (slug) "/brand.css" };
                    }
                }
                body {
                    a.skip href="#main" { "Skip to content" }
                    header.top {
                        (nav(&self.nav, self.logo.as_deref()))
                    }
                    @if let Nav::Tenant { impersonating: Some(until), csrf, .. } = &self.nav {
                        div.support role="status" {
                            "Support session: you act as this tenant's user until " (until.format("%H:%M UTC"))
                            " (audited in the tenant's log; billing and security settings are closed). "
                            form.inline method="post" action="/impersonation/stop" {
                                (csrf_field(csrf))
                                button #stop-impersonation type="submit" { "Stop" }
                            }
                        }
                    }
                    @if let Some(alert) = &self.alert {
                        (alert)
                    }
                    @if let Some(ad) = &self.banner {
                        aside.ad-banner aria-label="Advertisement" data-campaign=(ad.campaign_id) {
                            span.ad-label { "Ad" }
                            " "
                            a href=(self.ad_href(ad)) rel="noopener sponsored" { (ad.text) }
                        }
                    }
                    main #main {
                        (self.body)
                    }
                    @if let Some(ad) = &self.modal {
                        dialog.ad-modal open aria-label="Advertisement" data-campaign=(ad.campaign_id) {
                            p { span.ad-label { "Ad" } " " (ad.text) }
                            p { a href=(self.ad_href(ad)) rel="noopener sponsored" { "Learn more" } }
                            form method="dialog" { button type="submit" { "Close" } }
                        }
                    }
                }
            }
        }
    }
}

fn nav(nav: &Nav, logo: Option<&str>) -> Markup {
    html! {
        nav aria-label="Main" {
            @match nav {
                Nav::None => { a.brand href="/" { "tenantry" } }
                Nav::Admin { csrf } => {
                    a.brand href="/admin" { "tenantry · platform" }
                    a href="/admin" { "Tenants" }
                    a href="/admin/stats" { "Statistics" }
                    a href="/admin/audit" { "Audit log" }
                    a href="/admin/jobs" { "Jobs" }
                    a href="/admin/ads" { "Ads" }
                    a href="/admin/coupons" { "Coupons" }
                    a href="/admin/broadcasts" { "Product updates" }
                    a href="/admin/settings" { "Settings" }
                    a href="/admin/profile" { "Your profile" }
                    (logout(csrf))
                }
                Nav::Tenant { slug, name, csrf, .. } => {
                    a.brand href={ "/app/" (slug) } {
                        @if let Some(logo) = logo { img.logo src=(logo) alt="" height="24"; " " }
                        (name)
                    }
                    a href={ "/app/" (slug) "/settings" } { "Subscription & billing" }
                    a href={ "/app/" (slug) "/settings/users" } { "Users & invitations" }
                    a href={ "/app/" (slug) "/settings/roles" } { "Roles" }
                    a href={ "/app/" (slug) "/settings/api-keys" } { "API keys" }
                    a href={ "/app/" (slug) "/settings/branding" } { "Branding" }
                    a href={ "/app/" (slug) "/settings/audit" } { "Audit log" }
                    a href={ "/app/" (slug) "/settings/exports" } { "Data export" }
                    a href={ "/app/" (slug) "/settings/notifications" } { "Notifications" }
                    a href={ "/app/" (slug) "/profile" } { "Your profile" }
                    a href="/account/notifications" { "Your mail" }
                    a href="/account/mfa" { "Two-factor" }
                    a href="/account/sessions" { "Sessions" }
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
            button.link type="submit" { "Log out" }
        }
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        Html(self.render().into_string()).into_response()
    }
}

/// `€4.95`, `-€16.50`, `$3.00`; other currencies as `12.00 CHF`.
pub(crate) fn money(m: Money) -> String {
    let text = m.to_string();
    let (number, currency) = text.rsplit_once(' ').unwrap_or((text.as_str(), ""));
    let symbol = match currency {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        _ => return text.clone(),
    };
    match number.strip_prefix('-') {
        Some(abs) => format!("-{symbol}{abs}"),
        None => format!("{symbol}{number}"),
    }
}

/// `2026-12-04`.
/// A share in basis points as a percentage: `20 %`, `12.5 %`, `0.01 %`.
pub(crate) fn percent(basis_points: u32) -> String {
    let (whole, part) = (basis_points / 100, basis_points % 100);
    match part {
        0 => format!("{whole} %"),
        p if p % 10 == 0 => format!("{whole}.{} %", p / 10),
        p => format!("{whole}.{p:02} %"),
    }
}

pub(crate) fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// A status as its badge.
pub(crate) fn status(s: SubscriptionStatus) -> Markup {
    let text = match s {
        SubscriptionStatus::PendingPaymentMethod => "awaiting payment method",
        SubscriptionStatus::Trialing => "trial",
        SubscriptionStatus::Freemium => "freemium",
        SubscriptionStatus::Active => "paid",
        SubscriptionStatus::CancelingAtPeriodEnd => "paid, canceling",
        SubscriptionStatus::PastDue => "past due",
        SubscriptionStatus::Suspended => "suspended",
        SubscriptionStatus::PendingDeletion => "pending deletion",
    };
    html! { span class={ "badge badge-" (text.replace([' ', ','], "")) } { (text) } }
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
                p.error { "There is a problem: "
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
        assert_eq!(money(Money::eur(495)), "€4.95");
        assert_eq!(money(Money::eur(-1650)), "-€16.50");
        assert_eq!(money(Money::eur(0)), "€0.00");
        let chf = tenantry_domain::money::Currency::parse("CHF").unwrap();
        assert_eq!(money(Money::from_cents(1200, chf)), "12.00 CHF");
    }
}
