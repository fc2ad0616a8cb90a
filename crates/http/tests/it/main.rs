//! The integration tests of this crate, one binary: one module per behaviour
//! area and the shared `support` module (see each module's own documentation).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

mod api;
mod browser;
mod browser_a11y;
mod browser_account;
mod files;
mod hardening;
mod isolation;
mod l10n;
mod mail_pages;
mod metering;
mod product_routes;
mod pseudo_locale;
mod stripe_webhooks;
mod support;
mod throttle;
mod web;
mod web_account;
mod web_admin_pages;
mod web_isolation;
mod web_profile;
mod web_promotions;
mod web_recovery;
mod web_signup;
mod web_tenant_pages;
