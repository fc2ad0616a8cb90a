//! `/signup` in the browser (issue 24): the same use case as `POST
//! /v1/signup`, behind the same throttles. The form says the workspace's
//! short-name rules and the platform's password policy; a refusal shows the
//! form again with what was typed (never the password) and the reason. A
//! signup signs the browser in and continues into the payment method's
//! Checkout when the trial policy asks for one, else to the workspace's
//! getting-started page.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::layout::{Page, money, summary};
use crate::web::session::{WebForm, language_switch, signed_in_to};
use crate::web::{PageError, PageResult, too_many};
use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use maud::html;
use secrecy::SecretString;
use serde::Deserialize;
use tenantry_domain::settings::PasswordSettings;
use tenantry_domain::{Interval, Money};
use tenantry_ports::services::auth::{SignupInput, SignupPlan};

/// Its form anyone may post (behind the per-address throttle).
pub(super) fn anonymous() -> Router<AppState> {
    Router::new().route("/signup", post(signup_submit))
}

/// Its page.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/signup", get(signup_page))
}

/// What the form holds (the password is never sent back).
#[derive(Deserialize, Default, Clone)]
pub(crate) struct SignupForm {
    #[serde(default)]
    company_name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: Option<SecretString>,
    #[serde(default)]
    plan: String,
    #[serde(default)]
    interval: String,
    #[serde(default)]
    promotion_code: String,
}

/// The field each refusal of the signup concerns.
const FIELDS: &[(&str, &str)] = &[
    ("invalid_name", "name"),
    ("invalid_slug", "slug"),
    ("slug_taken", "slug"),
    ("invalid_email", "email"),
    ("weak_password", "password"),
    ("promotion_code_unknown", "promotion_code"),
    ("promotion_code_expired", "promotion_code"),
    ("promotion_code_exhausted", "promotion_code"),
    ("promotion_code_not_first_time", "promotion_code"),
    ("promotion_code_inactive", "promotion_code"),
];

fn signup_form(f: &SignupForm, password: &PasswordSettings, error: Option<&PageError>) -> Page {
    let freemium = f.plan == "freemium";
    let yearly = f.interval == "year";
    let title = t!("account-signup-title");
    Page::bare(
        &title,
        html! {
            (language_switch("/signup"))
            h1 { (title) }
            (summary(error.map(PageError::detail).as_deref(), error.and_then(|e| e.field(FIELDS))))
            form.card method="post" action="/signup" {
                label for="company_name" { (t!("account-signup-company")) }
                input #company_name name="company_name" type="text" value=(f.company_name) required
                    autocomplete="organization";
                label for="slug" {
                    (t!("account-signup-slug"))
                    span.hint {
                        " " (t!("account-signup-slug-hint")) em { (t!("account-signup-slug-placeholder")) }
                        (t!("account-signup-slug-hint-end"))
                    }
                }
                input #slug name="slug" type="text" value=(f.slug) required minlength="3" maxlength="63"
                    pattern="[a-z0-9]+(-[a-z0-9]+)*" autocapitalize="none" spellcheck="false";
                label for="name" { (t!("account-your-name")) }
                input #name name="name" type="text" value=(f.name) required autocomplete="name";
                label for="email" { (t!("account-signup-email")) }
                input #email name="email" type="email" value=(f.email) required autocomplete="email";
                label for="password" {
                    (t!("account-password"))
                    span.hint {
                        " "
                        @if password.check_breached {
                            (t!("account-signup-password-hint-breached", count = password.min_chars))
                        } @else {
                            (t!("account-signup-password-hint", count = password.min_chars))
                        }
                    }
                }
                input #password name="password" type="password" required minlength=(password.min_chars)
                    autocomplete="new-password";
                fieldset {
                    legend { (t!("account-signup-plan")) }
                    label { input type="radio" name="plan" value="standard" checked[!freemium];
                        " " (t!("account-signup-plan-standard", days = 14u32, price = money(Money::eur(4995)), users = 3u32)) }
                    label { input type="radio" name="plan" value="freemium" checked[freemium];
                        " " (t!("account-signup-plan-freemium")) }
                }
                fieldset {
                    legend { (t!("account-signup-interval")) }
                    label { input type="radio" name="interval" value="month" checked[!yearly]; " " (t!("account-signup-monthly")) }
                    label { input type="radio" name="interval" value="year" checked[yearly]; " " (t!("account-signup-yearly")) }
                }
                label for="promotion_code" { (t!("account-signup-promotion-code")) span.hint { " " (t!("account-signup-optional")) } }
                input #promotion_code name="promotion_code" type="text" value=(f.promotion_code)
                    autocomplete="off" spellcheck="false";
                button #create-workspace type="submit" { (t!("account-signup-submit")) }
            }
            p { (t!("account-signup-have-one")) " " a href="/login" { (t!("account-log-in")) } " · "
                a href="/forgot" { (t!("account-forgot-password-link")) } }
        },
    )
}

/// `GET /signup`.
pub(crate) async fn signup_page(State(state): State<AppState>) -> PageResult {
    let settings = state.tenantry.platform_settings().await?;
    Ok(signup_form(&SignupForm::default(), &settings.password, None).into_response())
}

/// `POST /signup`: the tenant, its owner signed in, and on to the payment
/// method (when the trial policy asks for it) or the getting-started page.
pub(crate) async fn signup_submit(
    State(state): State<AppState>,
    client: crate::client::Client,
    WebForm(form): WebForm<SignupForm>,
) -> PageResult {
    if let Err(e) = state.throttles.account(&state.tenantry, &format!("signup:{}", form.email.trim())).await {
        return Ok(too_many(e));
    }
    let settings = state.tenantry.platform_settings().await?;
    let refused =
        |e: PageError, f: &SignupForm| Ok((e.status(), signup_form(f, &settings.password, Some(&e))).into_response());
    let (plan, interval) = match (form.plan.as_str(), form.interval.as_str()) {
        ("standard" | "", "month" | "") => (SignupPlan::Standard, Interval::Month),
        ("standard" | "", "year") => (SignupPlan::Standard, Interval::Year),
        ("freemium", _) => (SignupPlan::Freemium, Interval::Month),
        _ => return refused(crate::web::forms::invalid(&t!("account-signup-invalid-plan")), &form),
    };
    let code = form.promotion_code.trim();
    let input = SignupInput {
        company_name: form.company_name.clone(),
        slug: form.slug.clone(),
        email: form.email.clone(),
        password: form.password.clone().unwrap_or_else(|| SecretString::from(String::new())),
        name: form.name.clone(),
        plan,
        interval,
        promotion_code: (!code.is_empty()).then(|| code.to_owned()),
        language: crate::l10n::requested(),
    };
    match state.tenantry.signup_from(input, &client.web()).await {
        Ok(done) => {
            let next = match &done.checkout {
                // The provider's own page (the simulator's, or Stripe's Checkout).
                Some(checkout) => checkout.url.clone(),
                None => format!("/app/{}?welcome=1", done.tenant.slug),
            };
            signed_in_to(&state, &done.principal, &next)
        }
        Err(e) => refused(PageError::from(e), &form),
    }
}
