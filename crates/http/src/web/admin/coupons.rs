//! Coupons and promotion codes (`/admin/coupons`): the list with their
//! redemption counts, a form for a coupon, a form for a code of one, and
//! switching a code on or off. Each form is one use case
//! ([`Tenantry::create_coupon`], [`Tenantry::create_promotion_code`],
//! [`Tenantry::set_promotion_code_active`]): a refusal shows the page again
//! with its reason, and nothing is made.
//!
//! [`Tenantry::create_coupon`]: tenantry_ports::Tenantry::create_coupon
//! [`Tenantry::create_promotion_code`]: tenantry_ports::Tenantry::create_promotion_code
//! [`Tenantry::set_promotion_code_active`]: tenantry_ports::Tenantry::set_promotion_code_active

use crate::l10n::t;
use crate::state::AppState;
use crate::web::admin::campaigns::utc_day;
use crate::web::admin::platform;
use crate::web::forms::{given, id_of, invalid, midnight, ticked};
use crate::web::layout::{Page, alert, day, money, percent};
use crate::web::session::{Session, WebForm, admin_nav, field};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::{CouponId, Currency, Money, PromotionCodeId};
use tenantry_ports::services::promotions::{
    CouponInput, CouponView, DurationKind, PromotionCodeInput, PromotionCodeView, Promotions,
};

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/coupons", get(coupons).post(create_coupon))
        .route("/admin/coupons/codes", post(create_code))
        .route("/admin/coupons/codes/{pid}/active", post(switch_code))
}

/// `20 %`, `12.5 %`, `€10.00`: what a coupon takes off.
fn off_text(c: &CouponView) -> String {
    match (c.percent_off_basis_points, c.amount_off) {
        (Some(bp), _) => percent(bp),
        (None, Some(amount)) => money(amount),
        (None, None) => String::new(),
    }
}

fn duration_text(c: &CouponView) -> String {
    match (c.duration, c.duration_in_months) {
        (DurationKind::Once, _) => t!("platform-coupons-duration-once"),
        (DurationKind::Repeating, Some(m)) => t!("platform-coupons-duration-months", count = m),
        (DurationKind::Repeating, None) | (DurationKind::Forever, _) => t!("platform-coupons-duration-forever"),
    }
}

fn count_text(used: u32, max: Option<u32>) -> String {
    match max {
        Some(m) => t!("platform-coupons-redeemed-of", used = used, max = m),
        None => used.to_string(),
    }
}

fn yes_no(yes: bool) -> String {
    if yes { t!("platform-coupons-yes") } else { t!("platform-coupons-no") }
}

fn page(session: &Session, p: &Promotions, notice: Option<&str>, error: Option<&str>) -> Page {
    let coupon_name =
        |id: CouponId| p.coupons.iter().find(|c| c.id == id).map_or_else(|| id.to_string(), |c| c.name.clone());
    let body = html! {
        h1 { (t!("platform-coupons-heading")) }
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        (alert(error))
        section.card aria-labelledby="codes-h" {
            h2 #codes-h { (t!("platform-coupons-codes-heading")) }
            @if p.promotion_codes.is_empty() {
                p { (t!("platform-coupons-codes-none")) }
            } @else {
                table #codes {
                    thead { tr {
                        th scope="col" { (t!("platform-coupons-col-code")) }
                        th scope="col" { (t!("platform-coupons-col-coupon")) }
                        th scope="col" { (t!("platform-coupons-col-first-time")) }
                        th scope="col" { (t!("platform-coupons-col-expires")) }
                        th.num scope="col" { (t!("platform-coupons-col-redeemed")) }
                        th scope="col" { (t!("platform-coupons-col-active")) }
                    } }
                    tbody {
                        @for c in &p.promotion_codes {
                            tr {
                                td { code { (c.code) } }
                                td { (coupon_name(c.coupon_id)) }
                                td { (yes_no(c.first_time_only)) }
                                td {
                                    @if let Some(at) = c.expires_at { (utc_day(at)) }
                                    @else { (t!("platform-coupons-never")) }
                                }
                                td.num { (count_text(c.times_redeemed, c.max_redemptions)) }
                                td { (switch(session, c)) }
                            }
                        }
                    }
                }
            }
            @if !p.coupons.is_empty() {
                h3 { (t!("platform-coupons-new-code-heading")) }
                form method="post" action="/admin/coupons/codes" {
                    (field(session))
                    label for="coupon_id" { (t!("platform-coupons-col-coupon")) }
                    select #coupon_id name="coupon_id" required {
                        @for c in &p.coupons {
                            option value=(c.id) { (c.name) " (" (off_text(c)) ", " (duration_text(c)) ")" }
                        }
                    }
                    label for="code" {
                        (t!("platform-coupons-field-code")) " " span.hint { (t!("platform-coupons-field-code-hint")) }
                    }
                    input #code name="code" type="text" required minlength="3" maxlength="32" autocomplete="off";
                    label { input #first_time_only type="checkbox" name="first_time_only" value="on";
                        " " (t!("platform-coupons-field-first-time")) }
                    label for="code_expires_on" {
                        (t!("platform-coupons-field-expires")) " "
                        span.hint { (t!("platform-coupons-field-expires-hint")) }
                    }
                    input #code_expires_on name="expires_on" type="date";
                    label for="code_max" {
                        (t!("platform-coupons-field-max")) " " span.hint { (t!("platform-coupons-field-code-max-hint")) }
                    }
                    input #code_max name="max_redemptions" type="number" min="1";
                    button #create-code type="submit" { (t!("platform-coupons-create-code")) }
                }
            }
        }
        section.card aria-labelledby="coupons-h" {
            h2 #coupons-h { (t!("platform-coupons-coupons-heading")) }
            @if p.coupons.is_empty() {
                p { (t!("platform-coupons-coupons-none")) }
            } @else {
                table #coupons {
                    thead { tr {
                        th scope="col" { (t!("platform-coupons-col-name")) } th scope="col" { (t!("platform-coupons-col-off")) }
                        th scope="col" { (t!("platform-coupons-col-for")) }
                        th scope="col" { (t!("platform-coupons-col-redeem-by")) }
                        th.num scope="col" { (t!("platform-coupons-col-redeemed")) }
                        th scope="col" { (t!("platform-coupons-col-made")) }
                    } }
                    tbody {
                        @for c in &p.coupons {
                            tr {
                                td { (c.name) }
                                td { (off_text(c)) }
                                td { (duration_text(c)) }
                                td {
                                    @if let Some(at) = c.redeem_by { (utc_day(at)) }
                                    @else { (t!("platform-coupons-any-time")) }
                                }
                                td.num { (count_text(c.times_redeemed, c.max_redemptions)) }
                                td { (day(c.created_at)) }
                            }
                        }
                    }
                }
            }
            h3 { (t!("platform-coupons-new-coupon-heading")) }
            form method="post" action="/admin/coupons" {
                (field(session))
                label for="name" {
                    (t!("platform-coupons-col-name")) " " span.hint { (t!("platform-coupons-field-name-hint")) }
                }
                input #name name="name" type="text" required maxlength="100";
                fieldset {
                    legend { (t!("platform-coupons-field-kind")) }
                    label {
                        input type="radio" name="kind" value="percent" checked; " " (t!("platform-coupons-kind-percent"))
                    }
                    label { input type="radio" name="kind" value="amount"; " " (t!("platform-coupons-kind-amount")) }
                }
                label for="value" {
                    (t!("platform-coupons-field-value")) " " span.hint { (t!("platform-coupons-field-value-hint")) }
                }
                input #value name="value" type="text" inputmode="decimal" required;
                label for="duration" { (t!("platform-coupons-col-for")) }
                select #duration name="duration" {
                    option value="once" { (t!("platform-coupons-option-once")) }
                    option value="repeating" selected { (t!("platform-coupons-option-repeating")) }
                    option value="forever" { (t!("platform-coupons-option-forever")) }
                }
                label for="months" {
                    (t!("platform-coupons-field-months")) " " span.hint { (t!("platform-coupons-field-months-hint")) }
                }
                input #months name="months" type="number" min="1" max="36";
                label for="max_redemptions" {
                    (t!("platform-coupons-field-max")) " " span.hint { (t!("platform-coupons-field-max-hint")) }
                }
                input #max_redemptions name="max_redemptions" type="number" min="1";
                label for="redeem_by" {
                    (t!("platform-coupons-field-redeem-by")) " "
                    span.hint { (t!("platform-coupons-field-redeem-by-hint")) }
                }
                input #redeem_by name="redeem_by" type="date";
                button #create-coupon type="submit" { (t!("platform-coupons-create-coupon")) }
            }
        }
    };
    Page::new(&t!("platform-coupons-title"), admin_nav(session), body)
}

/// A code's on/off button.
fn switch(session: &Session, c: &PromotionCodeView) -> Markup {
    html! {
        form.inline-form method="post" action={ "/admin/coupons/codes/" (c.id) "/active" } {
            (field(session))
            input type="hidden" name="active" value=(if c.active { "off" } else { "on" });
            @if c.active { (t!("platform-coupons-yes")) " " button type="submit" { (t!("platform-coupons-switch-off")) } }
            @else { (t!("platform-coupons-no")) " " button type="submit" { (t!("platform-coupons-switch-on")) } }
        }
    }
}

/// `GET /admin/coupons`.
pub(crate) async fn coupons(State(state): State<AppState>, session: Session) -> PageResult {
    let who = platform(&state, &session).await?;
    let list = state.tenantry.promotions(&who).await?;
    Ok(page(&session, &list, None, None).into_response())
}

/// The page again with `e`'s reason (nothing was made).
async fn refused(state: &AppState, session: &Session, e: PageError) -> PageResult {
    let who = platform(state, session).await?;
    let list = state.tenantry.promotions(&who).await?;
    Ok((e.status(), page(session, &list, None, Some(e.detail().as_str()))).into_response())
}

/// A whole number typed into a field, if any; `refusal` when it is not one.
fn count(value: &Option<String>, refusal: impl Fn() -> String) -> Result<Option<u32>, PageError> {
    given(value).map(|v| v.parse::<u32>().map_err(|_| invalid(&refusal()))).transpose()
}

/// A day typed into a date field, if any; `refusal` when it is not one.
fn date(value: &Option<String>, refusal: impl Fn() -> String) -> Result<Option<DateTime<Utc>>, PageError> {
    given(value).map(|d| midnight(d, "").map_err(|_| invalid(&refusal()))).transpose()
}

#[derive(Deserialize)]
pub(crate) struct CouponForm {
    csrf: String,
    name: String,
    kind: String,
    value: String,
    duration: String,
    months: Option<String>,
    max_redemptions: Option<String>,
    redeem_by: Option<String>,
}

impl CouponForm {
    fn input(&self) -> Result<CouponInput, PageError> {
        // Both read as an amount with at most two decimals: 12.5 % is 1250 basis points, €10.00 is 1000 cents.
        // A decimal comma (nl `12,5`) reads as a point.
        let hundredths = Money::parse_decimal(&self.value.trim().replace(',', "."), Currency::EUR)
            .map_err(|_| invalid(&t!("platform-coupons-error-value")))?
            .cents();
        let (percent, amount) = match self.kind.as_str() {
            "percent" => {
                (Some(u32::try_from(hundredths).map_err(|_| invalid(&t!("platform-coupons-error-negative")))?), None)
            }
            "amount" => (None, Some(hundredths)),
            _ => return Err(invalid(&t!("platform-coupons-error-kind"))),
        };
        let duration = match self.duration.as_str() {
            "once" => DurationKind::Once,
            "repeating" => DurationKind::Repeating,
            "forever" => DurationKind::Forever,
            _ => return Err(invalid(&t!("platform-coupons-error-duration"))),
        };
        let months = match duration {
            DurationKind::Repeating => Some(
                count(&self.months, || t!("platform-coupons-error-months-number"))?
                    .ok_or_else(|| invalid(&t!("platform-coupons-error-months-missing")))?,
            ),
            _ => None,
        };
        Ok(CouponInput {
            name: self.name.clone(),
            percent_off_basis_points: percent,
            amount_off_cents: amount,
            duration,
            duration_in_months: months,
            max_redemptions: count(&self.max_redemptions, || t!("platform-coupons-error-limit-number"))?,
            redeem_by: date(&self.redeem_by, || t!("platform-coupons-error-redeem-by-date"))?,
        })
    }
}

/// `POST /admin/coupons`.
pub(crate) async fn create_coupon(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<CouponForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let who = platform(&state, &session).await?;
    let made = match form.input() {
        Ok(input) => state.tenantry.create_coupon(&who, input).await.map_err(PageError::from),
        Err(e) => Err(e),
    };
    match made {
        Ok(_) => Ok(Redirect::to("/admin/coupons").into_response()),
        Err(e) => refused(&state, &session, e).await,
    }
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    csrf: String,
    coupon_id: String,
    code: String,
    first_time_only: Option<String>,
    expires_on: Option<String>,
    max_redemptions: Option<String>,
}

/// `POST /admin/coupons/codes`.
pub(crate) async fn create_code(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<CodeForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let who = platform(&state, &session).await?;
    let coupon: CouponId = id_of(&form.coupon_id)?;
    let input = || -> Result<PromotionCodeInput, PageError> {
        Ok(PromotionCodeInput {
            code: form.code.clone(),
            first_time_only: ticked(&form.first_time_only),
            expires_at: date(&form.expires_on, || t!("platform-coupons-error-expires-date"))?,
            max_redemptions: count(&form.max_redemptions, || t!("platform-coupons-error-limit-number"))?,
        })
    };
    let made = match input() {
        Ok(input) => state.tenantry.create_promotion_code(&who, coupon, input).await.map_err(PageError::from),
        Err(e) => Err(e),
    };
    match made {
        Ok(_) => Ok(Redirect::to("/admin/coupons").into_response()),
        Err(e) => refused(&state, &session, e).await,
    }
}

#[derive(Deserialize)]
pub(crate) struct SwitchForm {
    csrf: String,
    active: String,
}

/// `POST /admin/coupons/codes/{pid}/active`.
pub(crate) async fn switch_code(
    State(state): State<AppState>,
    session: Session,
    Path(pid): Path<String>,
    WebForm(form): WebForm<SwitchForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let who = platform(&state, &session).await?;
    let id: PromotionCodeId = id_of(&pid)?;
    let active = match form.active.as_str() {
        "on" => true,
        "off" => false,
        _ => return Err(invalid(&t!("platform-coupons-error-switch"))),
    };
    match state.tenantry.set_promotion_code_active(&who, id, active).await {
        Ok(_) => Ok(Redirect::to("/admin/coupons").into_response()),
        Err(e) => refused(&state, &session, PageError::from(e)).await,
    }
}
