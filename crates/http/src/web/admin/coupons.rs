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

use crate::state::AppState;
use crate::web::admin::platform;
use crate::web::forms::{given, id_of, invalid, midnight, ticked};
use crate::web::layout::{Page, alert, day, money, percent};
use crate::web::session::{Session, WebForm, admin_nav, field};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
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
        (DurationKind::Once, _) => "once".to_owned(),
        (DurationKind::Repeating, Some(m)) => format!("{m} month(s)"),
        (DurationKind::Repeating, None) | (DurationKind::Forever, _) => "forever".to_owned(),
    }
}

fn count_text(used: u32, max: Option<u32>) -> String {
    match max {
        Some(m) => format!("{used} of {m}"),
        None => used.to_string(),
    }
}

fn page(session: &Session, p: &Promotions, notice: Option<&str>, error: Option<&str>) -> Page {
    let coupon_name =
        |id: CouponId| p.coupons.iter().find(|c| c.id == id).map_or_else(|| id.to_string(), |c| c.name.clone());
    let body = html! {
        h1 { "Coupons and promotion codes" }
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        (alert(error))
        section.card aria-labelledby="codes-h" {
            h2 #codes-h { "Promotion codes" }
            @if p.promotion_codes.is_empty() {
                p { "No promotion code yet." }
            } @else {
                table #codes {
                    thead { tr {
                        th scope="col" { "Code" } th scope="col" { "Coupon" } th scope="col" { "New customers only" }
                        th scope="col" { "Expires" } th.num scope="col" { "Redeemed" } th scope="col" { "Active" }
                    } }
                    tbody {
                        @for c in &p.promotion_codes {
                            tr {
                                td { code { (c.code) } }
                                td { (coupon_name(c.coupon_id)) }
                                td { @if c.first_time_only { "yes" } @else { "no" } }
                                td { @if let Some(at) = c.expires_at { (day(at)) } @else { "never" } }
                                td.num { (count_text(c.times_redeemed, c.max_redemptions)) }
                                td { (switch(session, c)) }
                            }
                        }
                    }
                }
            }
            @if !p.coupons.is_empty() {
                h3 { "New promotion code" }
                form method="post" action="/admin/coupons/codes" {
                    (field(session))
                    label for="coupon_id" { "Coupon" }
                    select #coupon_id name="coupon_id" required {
                        @for c in &p.coupons {
                            option value=(c.id) { (c.name) " (" (off_text(c)) ", " (duration_text(c)) ")" }
                        }
                    }
                    label for="code" { "Code " span.hint { "(3 to 32 letters, digits, - or _; upper-cased)" } }
                    input #code name="code" type="text" required minlength="3" maxlength="32" autocomplete="off";
                    label { input #first_time_only type="checkbox" name="first_time_only" value="on";
                        " Only for customers who have not paid before" }
                    label for="code_expires_on" { "Expires on " span.hint { "(00:00 UTC; empty: never)" } }
                    input #code_expires_on name="expires_on" type="date";
                    label for="code_max" { "At most this many redemptions " span.hint { "(empty: as the coupon allows)" } }
                    input #code_max name="max_redemptions" type="number" min="1";
                    button #create-code type="submit" { "Make the promotion code" }
                }
            }
        }
        section.card aria-labelledby="coupons-h" {
            h2 #coupons-h { "Coupons" }
            @if p.coupons.is_empty() {
                p { "No coupon yet." }
            } @else {
                table #coupons {
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "Off" } th scope="col" { "For" }
                        th scope="col" { "Redeem by" } th.num scope="col" { "Redeemed" } th scope="col" { "Made" }
                    } }
                    tbody {
                        @for c in &p.coupons {
                            tr {
                                td { (c.name) }
                                td { (off_text(c)) }
                                td { (duration_text(c)) }
                                td { @if let Some(at) = c.redeem_by { (day(at)) } @else { "any time" } }
                                td.num { (count_text(c.times_redeemed, c.max_redemptions)) }
                                td { (day(c.created_at)) }
                            }
                        }
                    }
                }
            }
            h3 { "New coupon" }
            form method="post" action="/admin/coupons" {
                (field(session))
                label for="name" { "Name " span.hint { "(shown on invoices)" } }
                input #name name="name" type="text" required maxlength="100";
                fieldset {
                    legend { "Takes off" }
                    label { input type="radio" name="kind" value="percent" checked; " a percentage of each line" }
                    label { input type="radio" name="kind" value="amount"; " an amount (EUR) off each invoice" }
                }
                label for="value" { "Percentage or amount " span.hint { "(20, 12.5 or 10.00)" } }
                input #value name="value" type="text" inputmode="decimal" required;
                label for="duration" { "For" }
                select #duration name="duration" {
                    option value="once" { "the next invoice" }
                    option value="repeating" selected { "some months" }
                    option value="forever" { "every invoice" }
                }
                label for="months" { "Months " span.hint { "(1 to 36, for some months)" } }
                input #months name="months" type="number" min="1" max="36";
                label for="max_redemptions" { "At most this many redemptions " span.hint { "(empty: no limit)" } }
                input #max_redemptions name="max_redemptions" type="number" min="1";
                label for="redeem_by" { "Redeemable until " span.hint { "(00:00 UTC; empty: any time)" } }
                input #redeem_by name="redeem_by" type="date";
                button #create-coupon type="submit" { "Make the coupon" }
            }
        }
    };
    Page::new("Coupons", admin_nav(session), body)
}

/// A code's on/off button.
fn switch(session: &Session, c: &PromotionCodeView) -> Markup {
    html! {
        form.inline-form method="post" action={ "/admin/coupons/codes/" (c.id) "/active" } {
            (field(session))
            input type="hidden" name="active" value=(if c.active { "off" } else { "on" });
            @if c.active { "yes " button type="submit" { "Switch off" } }
            @else { "no " button type="submit" { "Switch on" } }
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
    Ok((e.status(), page(session, &list, None, Some(e.detail()))).into_response())
}

fn count(value: &Option<String>, what: &str) -> Result<Option<u32>, PageError> {
    given(value).map(|v| v.parse::<u32>().map_err(|_| invalid(&format!("{what} is a whole number.")))).transpose()
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
        let hundredths = Money::parse_decimal(self.value.trim(), Currency::EUR)
            .map_err(|_| invalid("The percentage or amount is a number with at most two decimals."))?
            .cents();
        let (percent, amount) = match self.kind.as_str() {
            "percent" => (Some(u32::try_from(hundredths).map_err(|_| invalid("A percentage is positive."))?), None),
            "amount" => (None, Some(hundredths)),
            _ => return Err(invalid("Choose a percentage or an amount.")),
        };
        let duration = match self.duration.as_str() {
            "once" => DurationKind::Once,
            "repeating" => DurationKind::Repeating,
            "forever" => DurationKind::Forever,
            _ => return Err(invalid("Choose for how long.")),
        };
        let months = match duration {
            DurationKind::Repeating => {
                Some(count(&self.months, "The months")?.ok_or_else(|| invalid("Give the months."))?)
            }
            _ => None,
        };
        Ok(CouponInput {
            name: self.name.clone(),
            percent_off_basis_points: percent,
            amount_off_cents: amount,
            duration,
            duration_in_months: months,
            max_redemptions: count(&self.max_redemptions, "The redemption limit")?,
            redeem_by: given(&self.redeem_by).map(|d| midnight(d, "last redemption")).transpose()?,
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
            expires_at: given(&form.expires_on).map(|d| midnight(d, "expiry")).transpose()?,
            max_redemptions: count(&form.max_redemptions, "The redemption limit")?,
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
        _ => return Err(invalid("Switch on or off.")),
    };
    match state.tenantry.set_promotion_code_active(&who, id, active).await {
        Ok(_) => Ok(Redirect::to("/admin/coupons").into_response()),
        Err(e) => refused(&state, &session, PageError::from(e)).await,
    }
}
