//! The platform settings (`/admin/settings`): the trial policy, the billing
//! notices, the password policy and mandatory two-factor authentication as forms; the default quotas
//! and the anonymous endpoints' throttles as they stand. Each form is one
//! `PATCH /v1/admin/settings` ([`Tenantry::update_settings`]): a value out of
//! range is refused with its field named, and nothing changes.
//!
//! [`Tenantry::update_settings`]: tenantry_ports::Tenantry::update_settings

use crate::l10n::t;
use crate::state::AppState;
use crate::web::admin::platform;
use crate::web::forms::{Saved, invalid, ticked};
use crate::web::layout::{Page, alert};
use crate::web::session::{Session, WebForm, admin_nav, field};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::BuiltinRole;
use tenantry_domain::settings::{
    BillingNoticesPatch, CardlessTrialEnd, MfaPolicyPatch, PasswordPatch, PaymentMethodAtSignup, PlatformSettings,
    SettingsPatch, TrialPatch,
};

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/settings", get(settings))
        .route("/admin/settings/trial", post(trial))
        .route("/admin/settings/password", post(password))
        .route("/admin/settings/mfa", post(mfa))
        .route("/admin/settings/billing", post(billing))
}

/// `GET /admin/settings`.
pub(crate) async fn settings(State(state): State<AppState>, session: Session, Query(q): Query<Saved>) -> PageResult {
    let who = platform(&state, &session).await?;
    let current = state.tenantry.admin_settings(&who).await?;
    let notice = q.saved.as_deref().map(|_| t!("platform-settings-saved"));
    Ok((StatusCode::OK, page(&session, &current, notice.as_deref(), None)).into_response())
}

fn checked(on: bool) -> Option<&'static str> {
    on.then_some("checked")
}

/// One choice of a radio group, labelled.
fn radio(name: &str, value: &str, on: bool, label: &str) -> Markup {
    html! { label { input type="radio" name=(name) value=(value) checked=[checked(on)]; " " (label) } }
}

/// A role's name as the reader reads it.
fn role_text(role: BuiltinRole) -> String {
    match role {
        BuiltinRole::Owner => t!("platform-settings-role-owner"),
        BuiltinRole::Admin => t!("platform-settings-role-admin"),
        BuiltinRole::Manager => t!("platform-settings-role-manager"),
        BuiltinRole::Member => t!("platform-settings-role-member"),
        BuiltinRole::Viewer => t!("platform-settings-role-viewer"),
    }
}

fn page(session: &Session, s: &PlatformSettings, notice: Option<&str>, error: Option<&str>) -> Page {
    let trial = s.trial;
    let body = html! {
        h1 { (t!("platform-settings-title")) }
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        (alert(error))
        section.card aria-labelledby="trial-h" {
            h2 #trial-h { (t!("platform-settings-trial-heading")) }
            form method="post" action="/admin/settings/trial" {
                (field(session))
                fieldset {
                    legend { (t!("platform-settings-payment-method-legend")) }
                    (radio("payment_method_at_signup", "required", trial.payment_method_at_signup == PaymentMethodAtSignup::Required,
                        &t!("platform-settings-payment-method-required")))
                    (radio("payment_method_at_signup", "optional", trial.payment_method_at_signup == PaymentMethodAtSignup::Optional,
                        &t!("platform-settings-payment-method-optional")))
                }
                fieldset {
                    legend { (t!("platform-settings-trial-end-legend")) }
                    (radio("trial_without_payment_method_ends_in", "freemium",
                        trial.trial_without_payment_method_ends_in == CardlessTrialEnd::Freemium,
                        &t!("platform-settings-trial-end-freemium")))
                    (radio("trial_without_payment_method_ends_in", "suspended",
                        trial.trial_without_payment_method_ends_in == CardlessTrialEnd::Suspended,
                        &t!("platform-settings-trial-end-suspended")))
                }
                button #save-trial type="submit" { (t!("platform-settings-trial-save")) }
            }
        }
        section.card aria-labelledby="billing-h" {
            h2 #billing-h { (t!("platform-settings-billing-heading")) }
            form method="post" action="/admin/settings/billing" {
                (field(session))
                label for="pre_invoice_warning_days" { (t!("platform-settings-billing-days")) }
                input #pre_invoice_warning_days name="pre_invoice_warning_days" type="number" min="1" max="28" required
                    value=(s.billing.pre_invoice_warning_days);
                button #save-billing type="submit" { (t!("platform-settings-billing-save")) }
            }
        }
        section.card aria-labelledby="password-h" {
            h2 #password-h { (t!("platform-settings-password-heading")) }
            form method="post" action="/admin/settings/password" {
                (field(session))
                label for="min_chars" { (t!("platform-settings-password-min")) }
                input #min_chars name="min_chars" type="number" min="8" max="128" required value=(s.password.min_chars);
                label { input type="checkbox" name="check_breached" value="on" checked=[checked(s.password.check_breached)];
                    " " (t!("platform-settings-password-breached")) }
                button #save-password type="submit" { (t!("platform-settings-password-save")) }
            }
        }
        section.card aria-labelledby="mfa-h" {
            h2 #mfa-h { (t!("platform-settings-mfa-heading")) }
            form method="post" action="/admin/settings/mfa" {
                (field(session))
                label { input type="checkbox" name="required_for_all" value="on" checked=[checked(s.mfa.required_for_all)];
                    " " (t!("platform-settings-mfa-all")) }
                fieldset {
                    legend { (t!("platform-settings-mfa-roles")) }
                    @for role in BuiltinRole::ALL {
                        label { input type="checkbox" name={ "role_" (role.as_str()) } value="on"
                            checked=[checked(s.mfa.required_roles.contains(&role))]; " " (role_text(role)) }
                    }
                }
                button #save-mfa type="submit" { (t!("platform-settings-mfa-save")) }
            }
        }
        (read_only(s))
    };
    Page::new(&t!("platform-settings-title"), admin_nav(session), body)
}

/// The settings this page shows without a form (changed over the API).
fn read_only(s: &PlatformSettings) -> Markup {
    let limits = &s.anonymous_limits;
    let quota = |q: &tenantry_domain::quota::QuotaOverride| {
        [
            q.requests_per_minute.map(|v| t!("platform-settings-quota-requests", count = v)),
            q.api_calls_per_month.map(|v| t!("platform-settings-quota-api-calls", count = v)),
            q.storage_bytes.map(|v| t!("platform-settings-quota-storage", count = v)),
            q.active_users.map(|v| t!("platform-settings-quota-active-users", count = v)),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
    };
    html! {
        section.card aria-labelledby="limits-h" {
            h2 #limits-h { (t!("platform-settings-limits-heading")) }
            p.hint { (t!("platform-settings-limits-hint")) }
            dl {
                @for (plan, q) in [
                    (t!("platform-settings-quota-freemium"), &s.default_quotas.freemium),
                    (t!("platform-settings-quota-standard"), &s.default_quotas.standard),
                ] {
                    dt { (plan) }
                    @let parts = quota(q);
                    dd { @if parts.is_empty() { (t!("platform-settings-quota-none")) } @else { (parts.join(", ")) } }
                }
                @for (name, b) in [
                    (t!("platform-settings-throttle-per-address"), limits.per_address),
                    (t!("platform-settings-throttle-per-account"), limits.per_account),
                    (t!("platform-settings-throttle-cross-tenant"), limits.cross_tenant),
                ] {
                    dt { (name) }
                    dd { (t!("platform-settings-throttle", burst = b.burst, per_minute = b.per_minute)) }
                }
            }
        }
    }
}

/// Saves `patch`, or shows the page again with the refusal (nothing changed).
async fn save(state: &AppState, session: &Session, patch: SettingsPatch) -> PageResult {
    let who = platform(state, session).await?;
    match state.tenantry.update_settings(&who, &patch).await {
        Ok(_) => Ok(Redirect::to("/admin/settings?saved=1").into_response()),
        Err(e) => {
            let current = state.tenantry.admin_settings(&who).await?;
            let err = PageError::from(e);
            Ok((err.status(), page(session, &current, None, Some(err.detail().as_str()))).into_response())
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct TrialForm {
    csrf: String,
    payment_method_at_signup: PaymentMethodAtSignup,
    trial_without_payment_method_ends_in: CardlessTrialEnd,
}

/// `POST /admin/settings/trial`.
pub(crate) async fn trial(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<TrialForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let patch = SettingsPatch {
        trial: Some(TrialPatch {
            payment_method_at_signup: Some(form.payment_method_at_signup),
            trial_without_payment_method_ends_in: Some(form.trial_without_payment_method_ends_in),
        }),
        ..SettingsPatch::default()
    };
    save(&state, &session, patch).await
}

#[derive(Deserialize)]
pub(crate) struct BillingForm {
    csrf: String,
    pre_invoice_warning_days: String,
}

/// `POST /admin/settings/billing`.
pub(crate) async fn billing(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<BillingForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let days = form
        .pre_invoice_warning_days
        .trim()
        .parse::<u32>()
        .map_err(|_| invalid(&t!("platform-settings-error-days")))?;
    let patch = SettingsPatch {
        billing: Some(BillingNoticesPatch { pre_invoice_warning_days: Some(days) }),
        ..SettingsPatch::default()
    };
    save(&state, &session, patch).await
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    csrf: String,
    min_chars: String,
    check_breached: Option<String>,
}

/// `POST /admin/settings/password`.
pub(crate) async fn password(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<PasswordForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let min_chars =
        form.min_chars.trim().parse::<usize>().map_err(|_| invalid(&t!("platform-settings-error-min-chars")))?;
    let patch = SettingsPatch {
        password: Some(PasswordPatch {
            min_chars: Some(min_chars),
            check_breached: Some(ticked(&form.check_breached)),
        }),
        ..SettingsPatch::default()
    };
    save(&state, &session, patch).await
}

#[derive(Deserialize)]
pub(crate) struct MfaForm {
    csrf: String,
    required_for_all: Option<String>,
    role_owner: Option<String>,
    role_admin: Option<String>,
    role_manager: Option<String>,
    role_member: Option<String>,
    role_viewer: Option<String>,
}

/// `POST /admin/settings/mfa`.
pub(crate) async fn mfa(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<MfaForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let roles = [
        (BuiltinRole::Owner, &form.role_owner),
        (BuiltinRole::Admin, &form.role_admin),
        (BuiltinRole::Manager, &form.role_manager),
        (BuiltinRole::Member, &form.role_member),
        (BuiltinRole::Viewer, &form.role_viewer),
    ]
    .into_iter()
    .filter(|(_, on)| ticked(on))
    .map(|(role, _)| role)
    .collect();
    let patch = SettingsPatch {
        mfa: Some(MfaPolicyPatch {
            required_for_all: Some(ticked(&form.required_for_all)),
            required_roles: Some(roles),
        }),
        ..SettingsPatch::default()
    };
    save(&state, &session, patch).await
}
