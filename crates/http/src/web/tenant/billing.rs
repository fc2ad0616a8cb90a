//! "Subscription & billing": plan, status, seats, price, next invoice, trial countdown; buying a seat after its proration preview; the plan and interval; Checkout and the Customer Portal; cancelling.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::billing_simulator::invoice_status;
use crate::web::layout::{alert, day, money, percent, status};
use crate::web::session::{CsrfForm, Session, WebForm, field};
use crate::web::tenant::{nav, page, posted, tenant};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::subscription::{PlanChoice, PlanTiming, SeatChange};
use tenantry_domain::{Interval, PlanKind};
use tenantry_ports::payment::ReturnPath;
use tenantry_ports::services::billing::{PlanChanged, PreviewInput};
use tenantry_ports::services::views::SubscriptionView;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{slug}/settings", get(billing))
        .route("/app/{slug}/settings/seats/preview", post(seats_preview))
        .route("/app/{slug}/settings/seats", post(seats_confirm))
        .route("/app/{slug}/settings/plan", post(change_plan))
        .route("/app/{slug}/settings/checkout", post(checkout))
        .route("/app/{slug}/settings/portal", post(portal))
        .route("/app/{slug}/settings/cancel", post(cancel))
        .route("/app/{slug}/settings/promotion-code/preview", post(promotion_preview))
        .route("/app/{slug}/settings/promotion-code", post(promotion_apply))
}

#[derive(Deserialize, Default)]
pub(crate) struct Notice {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Markup {
    let text = match done {
        Some("seats") => t!("billing-notice-seats"),
        Some("plan") => t!("billing-notice-plan"),
        Some("card") => t!("billing-notice-card"),
        Some("promotion") => t!("billing-notice-promotion"),
        _ => return html! {},
    };
    html! { p.notice role="status" { (text) } }
}

/// `GET /app/{slug}/settings`: "Subscription & billing".
pub(crate) async fn billing(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    Query(n): Query<Notice>,
) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let sub = state.tenantry.subscription_view(&scope).await?;
    let body = billing_body(&state, &session, &slug, &sub, n.done.as_deref(), None);
    // The invoices, when the provider can be asked (a page without them is still a page).
    let invoices = state.tenantry.invoices(&scope).await.unwrap_or_default();
    let body = html! { (body) (invoices_section(&invoices)) };
    Ok(page(&state, &scope, &t!("billing-title"), nav(&session, &slug, &name), body).await.into_response())
}

fn invoices_section(invoices: &[tenantry_ports::payment::Invoice]) -> Markup {
    html! {
        section.card aria-labelledby="invoices-h" {
            h2 #invoices-h { (t!("billing-invoices")) }
            @if invoices.is_empty() {
                p { (t!("billing-invoices-none")) }
            } @else {
                table #invoices {
                    thead { tr {
                        th scope="col" { (t!("billing-invoice")) } th scope="col" { (t!("billing-date")) }
                        th.num scope="col" { (t!("billing-total")) }
                        th scope="col" { (t!("billing-status")) } th scope="col" { (t!("billing-download")) }
                    } }
                    tbody {
                        @for i in invoices {
                            tr {
                                td { code { (i.number.as_deref().unwrap_or(&i.id)) } }
                                td { (day(i.created_at)) }
                                td.num { (money(i.total)) }
                                td { (invoice_status(i.status)) }
                                td {
                                    @if let Some(pdf) = &i.pdf_url { a href=(pdf) { (t!("billing-invoice-pdf")) } " " }
                                    @if let Some(page) = &i.hosted_url {
                                        a href=(page) { (t!("billing-invoice-view")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn plan_name(sub: &SubscriptionView) -> String {
    let plan = match sub.plan {
        PlanKind::Trial => t!("billing-plan-trial"),
        PlanKind::Freemium => t!("billing-plan-freemium"),
        PlanKind::Standard => t!("billing-plan-standard"),
    };
    match sub.interval.filter(|_| sub.plan != PlanKind::Trial) {
        Some(interval) => with_interval(plan, interval),
        None => plan,
    }
}

/// "Standard, monthly" and the like.
fn with_interval(plan: String, interval: Interval) -> String {
    match interval {
        Interval::Month => t!("billing-plan-monthly", plan = plan),
        Interval::Year => t!("billing-plan-yearly", plan = plan),
    }
}

/// The standard plan at `interval`: "Standard, monthly".
fn standard(interval: Interval) -> String {
    with_interval(t!("billing-plan-standard"), interval)
}

/// An amount per period: "€4.95 per month".
fn per_period(amount: tenantry_domain::Money, interval: Interval) -> String {
    match interval {
        Interval::Month => t!("billing-price-per-month", amount = money(amount)),
        Interval::Year => t!("billing-price-per-year", amount = money(amount)),
    }
}

fn billing_body(
    state: &AppState,
    session: &Session,
    slug: &str,
    sub: &SubscriptionView,
    done: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let catalog = state.tenantry.catalog();
    let interval = sub.interval.unwrap_or(Interval::Month);
    let add_seat = match interval {
        Interval::Month => t!("billing-add-seat-month", amount = money(catalog.monthly.extra_seat)),
        Interval::Year => t!("billing-add-seat-year", amount = money(catalog.yearly.extra_seat)),
    };
    let base = format!("/app/{slug}/settings");
    let can = sub.actions();
    html! {
        h1 { (t!("billing-title")) }
        (notice(done))
        (alert(error))
        section.card aria-labelledby="plan-h" {
            h2 #plan-h { (t!("billing-plan-heading")) }
            dl.facts {
                dt { (t!("billing-plan")) } dd #plan { (plan_name(sub)) }
                dt { (t!("billing-status")) } dd #status { (status(sub.status)) }
                @if let Some(seats) = sub.seats {
                    dt { (t!("billing-seats")) }
                    dd #seats { (t!("billing-seats-usage", used = sub.seats_used, seats = seats)) }
                } @else {
                    dt { (t!("billing-seats-used")) } dd #seats { (sub.seats_used) }
                }
                @if let Some(next) = sub.seats_next_period.filter(|n| Some(*n) != sub.seats) {
                    dt { (t!("billing-seats-next")) } dd #seats-next { (next) }
                }
                @if let Some(price) = sub.price {
                    dt { (t!("billing-price")) } dd #price { (per_period(price, interval)) }
                }
                @if let Some(d) = &sub.discount {
                    dt { (t!("billing-discount")) } dd #discount { (discount_text(d)) }
                    @if let Some(after) = sub.price_after_discount.filter(|a| Some(*a) != sub.price) {
                        dt { (t!("billing-price-after")) } dd #price-after { (per_period(after, interval)) }
                    }
                }
                @if let Some(next) = &sub.next_invoice {
                    dt { (t!("billing-next-invoice")) }
                    dd #next-invoice {
                        (t!("billing-next-invoice-when", amount = money(next.amount), date = day(next.at)))
                    }
                }
                @if let (Some(left), Some(end)) = (sub.trial_days_left, sub.trial_ends_at) {
                    dt { (t!("billing-trial")) } dd #trial { (t!("billing-trial-left", count = left, date = day(end))) }
                }
                @if let Some(since) = sub.past_due_since {
                    dt { (t!("billing-payment")) } dd.error { (t!("billing-payment-overdue", date = day(since))) }
                }
                dt { (t!("billing-payment-method")) }
                dd {
                    @if sub.payment_method_on_file {
                        (t!("billing-payment-method-on-file"))
                    } @else {
                        (t!("billing-payment-method-none"))
                    }
                }
            }
        }
        @if can.seats {
            @if let Some(seats) = sub.seats {
                section.card aria-labelledby="seats-h" {
                    h2 #seats-h { (t!("billing-seats")) }
                    p { (t!("billing-seats-hint")) }
                    form method="post" action={ (base) "/seats/preview" } {
                        (field(session))
                        input type="hidden" name="seats" value=(seats + 1);
                        button #add-seat type="submit" { (add_seat) }
                    }
                    form.inline-form method="post" action={ (base) "/seats/preview" } {
                        (field(session))
                        label for="seat-count" { (t!("billing-seats-set")) }
                        input #seat-count name="seats" type="number" min="1" value=(seats) required;
                        button type="submit" { (t!("billing-seats-preview")) }
                    }
                }
            }
        }
        @if promotion_possible(sub) {
            section.card aria-labelledby="promo-h" {
                h2 #promo-h { (t!("billing-promotion-heading")) }
                form.inline-form method="post" action={ (base) "/promotion-code/preview" } {
                    (field(session))
                    label for="promotion-code" { (t!("billing-promotion-code")) }
                    input #promotion-code name="code" type="text" autocomplete="off" spellcheck="false"
                        minlength="3" maxlength="32" pattern="[A-Za-z0-9_-]{3,32}" required;
                    button type="submit" { (t!("billing-promotion-see")) }
                }
                p.hint { (t!("billing-promotion-hint")) }
            }
        }
        section.card aria-labelledby="change-h" {
            h2 #change-h { (t!("billing-change-heading")) }
            div.buttons {
                @if can.standard_monthly {
                    (plan_button(session, &base, "standard-month", &standard(Interval::Month)))
                }
                @if can.standard_yearly {
                    (plan_button(session, &base, "standard-year", &standard(Interval::Year)))
                }
                @if can.freemium {
                    (plan_button(session, &base, "freemium", &t!("billing-freemium-button")))
                }
                @if can.cancel {
                    form method="post" action={ (base) "/cancel" } {
                        (field(session))
                        button.danger #cancel type="submit" { (t!("billing-cancel-button")) }
                    }
                }
            }
            p.hint { (t!("billing-change-hint")) }
        }
        section.card aria-labelledby="pay-h" {
            h2 #pay-h { (t!("billing-payment")) }
            div.buttons {
                form method="post" action={ (base) "/checkout" } {
                    (field(session))
                    button type="submit" { (t!("billing-add-payment-method")) }
                }
                @if can.portal {
                    form method="post" action={ (base) "/portal" } {
                        (field(session))
                        button type="submit" { (t!("billing-portal-button")) }
                    }
                }
            }
        }
    }
}

fn plan_button(session: &Session, base: &str, plan: &str, label: &str) -> Markup {
    html! {
        form method="post" action={ (base) "/plan" } {
            (field(session))
            input type="hidden" name="plan" value=(plan);
            button type="submit" { (label) }
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct SeatsForm {
    csrf: String,
    seats: String,
    proration_date: Option<String>,
}

fn line_text(line: &tenantry_domain::proration::ChargeLine) -> String {
    use tenantry_domain::proration::{LineItem, LineKind};
    let item = match line.item {
        LineItem::Base => t!("billing-line-base"),
        LineItem::ExtraSeats => t!("billing-line-extra-seat"),
    };
    let kind = match line.kind {
        LineKind::UnusedTime => t!("billing-line-unused"),
        LineKind::RemainingTime => t!("billing-line-remaining"),
        LineKind::FullPeriod => t!("billing-line-full"),
    };
    t!("billing-line", quantity = line.quantity, item = item, kind = kind)
}

fn seats_of(text: &str) -> Result<i64, PageError> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_seats", &t!("billing-error-seats")))
}

/// `POST /app/{slug}/settings/seats/preview`: what a seat change costs, with
/// the button that confirms it (nothing changes until then).
pub(crate) async fn seats_preview(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<SeatsForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    let seats = seats_of(&form.seats)?;
    let input = PreviewInput { seats: Some(seats), plan: None, timing: PlanTiming::Now };
    let preview = match state.tenantry.preview_change(&scope, input).await {
        Ok(p) => p,
        Err(e) => return billing_refused(&state, &session, &slug, &scope, &name, PageError::from(e)).await,
    };
    let what = match preview.seat_change {
        Some(SeatChange::Increase { from, to }) => t!("billing-seats-increase", from = from, to = to),
        Some(SeatChange::ScheduleReduction { from, to, .. }) => t!("billing-seats-reduction", from = from, to = to),
        _ => t!("billing-seats-unchanged"),
    };
    let p = &preview.preview;
    let body = html! {
        h1 { (t!("billing-seats-confirm-title")) }
        section.card aria-labelledby="preview-h" {
            h2 #preview-h { (what) }
            table {
                caption { (t!("billing-preview-caption")) }
                thead { tr {
                    th scope="col" { (t!("billing-item")) } th scope="col" { (t!("billing-period")) }
                    th.num scope="col" { (t!("billing-amount")) }
                } }
                tbody {
                    @for line in &p.lines {
                        tr {
                            td { (line_text(line)) }
                            td {
                                (t!("billing-period-range", start = day(line.period.start()), end = day(line.period.end())))
                            }
                            td.num { (money(line.amount)) }
                        }
                    }
                }
                tfoot { tr {
                    th scope="row" colspan="2" { (t!("billing-total-now")) }
                    td.num #preview-total { (money(p.total)) }
                } }
            }
            form method="post" action={ "/app/" (slug) "/settings/seats" } {
                (field(&session))
                input type="hidden" name="seats" value=(seats);
                input type="hidden" name="proration_date" value=(p.proration_date.to_rfc3339());
                button #confirm-seats type="submit" { (t!("billing-confirm-pay", amount = money(p.total))) }
                " "
                a href={ "/app/" (slug) "/settings" } { (t!("billing-cancel")) }
            }
        }
    };
    Ok(page(&state, &scope, &t!("billing-seats-confirm-title"), nav(&session, &slug, &name), body)
        .await
        .into_response())
}

/// `POST /app/{slug}/settings/seats`: the confirmed change, at the previewed
/// proration date (so the amount charged is the amount shown).
pub(crate) async fn seats_confirm(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<SeatsForm>,
) -> PageResult {
    let (scope, _) = posted(&state, &session, &slug, &form.csrf).await?;
    let seats = seats_of(&form.seats)?;
    let date = match form.proration_date.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => Some(chrono::DateTime::parse_from_rfc3339(d).map(|d| d.to_utc()).map_err(|_| {
            PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_form", &t!("billing-error-preview-date"))
        })?),
        None => None,
    };
    state.tenantry.change_seats(&scope, seats, date).await?;
    Ok(Redirect::to(&format!("/app/{slug}/settings?done=seats")).into_response())
}

#[derive(Deserialize)]
pub(crate) struct PlanForm {
    csrf: String,
    plan: String,
}

/// The tenant's settings page (with `query`) as the way back from a hosted
/// billing page.
fn settings_path(slug: &str, query: &str) -> Result<ReturnPath, PageError> {
    ReturnPath::parse(format!("/app/{slug}/settings{query}")).map_err(|_| PageError::not_found())
}

/// `POST /app/{slug}/settings/plan`: the change, or Checkout first when a paid
/// plan needs a payment method (then the same button again).
pub(crate) async fn change_plan(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<PlanForm>,
) -> PageResult {
    let (scope, _) = posted(&state, &session, &slug, &form.csrf).await?;
    let choice = match form.plan.as_str() {
        "standard-month" => PlanChoice::Standard(Interval::Month),
        "standard-year" => PlanChoice::Standard(Interval::Year),
        "freemium" => PlanChoice::Freemium,
        _ => return Err(PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_plan", &t!("billing-error-plan"))),
    };
    let back = settings_path(&slug, "?done=card")?;
    match state.tenantry.change_plan(&scope, choice, PlanTiming::Now, None, &back).await? {
        PlanChanged::Changed { .. } => Ok(Redirect::to(&format!("/app/{slug}/settings?done=plan")).into_response()),
        PlanChanged::CheckoutRequired { checkout, .. } => Ok(Redirect::to(&checkout.url).into_response()),
    }
}

/// `POST /app/{slug}/settings/checkout`: to the provider's Checkout.
pub(crate) async fn checkout(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    let (scope, _) = posted(&state, &session, &slug, &form.csrf).await?;
    let back = settings_path(&slug, "?done=card")?;
    let session = state.tenantry.checkout_session(&scope, &back).await?;
    Ok(Redirect::to(&session.url).into_response())
}

/// `POST /app/{slug}/settings/portal`: to the provider's Customer Portal (invoices).
pub(crate) async fn portal(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    let (scope, _) = posted(&state, &session, &slug, &form.csrf).await?;
    let back = settings_path(&slug, "")?;
    let session = state.tenantry.portal_session(&scope, &back).await?;
    Ok(Redirect::to(&session.url).into_response())
}

/// `POST /app/{slug}/settings/cancel`: to freemium at the period's end.
pub(crate) async fn cancel(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    let (scope, _) = posted(&state, &session, &slug, &form.csrf).await?;
    let back = settings_path(&slug, "")?;
    state.tenantry.cancel_subscription(&scope, &back).await?;
    Ok(Redirect::to(&format!("/app/{slug}/settings?done=plan")).into_response())
}

/// Whether the page offers a promotion code: a trial with a payment method or
/// a paid plan, without a discount or a comp running (the use case decides).
fn promotion_possible(sub: &SubscriptionView) -> bool {
    use tenantry_domain::SubscriptionStatus as S;
    let live = match sub.status {
        S::Trialing => sub.payment_method_on_file && !sub.continue_free,
        S::Active | S::PastDue => true,
        _ => false,
    };
    live && sub.discount.is_none() && sub.free_until.is_none()
}

/// "SPRING20: 20 % off until 5 March 2027" and the like.
pub(crate) fn discount_text(d: &tenantry_domain::discount::AppliedDiscount) -> String {
    use tenantry_domain::discount::{DiscountDuration, Off};
    let off = match d.off {
        Off::Percent { basis_points } => t!("billing-off-percent", percent = percent(basis_points)),
        Off::Amount { amount } => t!("billing-off-amount", amount = money(amount)),
    };
    let how_long = match (d.duration, d.ends_at) {
        (DiscountDuration::Once, _) => t!("billing-discount-once"),
        (DiscountDuration::Repeating { months }, Some(end)) => {
            t!("billing-discount-repeating", months = months, date = day(end))
        }
        _ => t!("billing-discount-forever"),
    };
    t!("billing-discount-text", code = d.code.as_str(), off = off, duration = how_long)
}

#[derive(Deserialize)]
pub(crate) struct PromotionForm {
    csrf: String,
    code: String,
}

/// The billing page again with `e`'s detail as its alert (nothing changed).
async fn billing_refused(
    state: &AppState,
    session: &Session,
    slug: &str,
    scope: &tenantry_ports::TenantScope,
    name: &str,
    e: PageError,
) -> PageResult {
    let sub = state.tenantry.subscription_view(scope).await?;
    let body = billing_body(state, session, slug, &sub, None, Some(e.detail().as_str()));
    let page = page(state, scope, &t!("billing-title"), nav(session, slug, name), body).await;
    Ok((e.status(), page).into_response())
}

/// `POST /app/{slug}/settings/promotion-code/preview`: what a code takes off
/// the next invoice, with the button that applies it (nothing changes until then).
pub(crate) async fn promotion_preview(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<PromotionForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    let preview = match state.tenantry.preview_promotion_code(&scope, &form.code).await {
        Ok(p) => p,
        Err(e) => return billing_refused(&state, &session, &slug, &scope, &name, PageError::from(e)).await,
    };
    let body = html! {
        h1 { (t!("billing-promotion-title")) }
        section.card aria-labelledby="promo-preview-h" {
            h2 #promo-preview-h { (discount_text(&preview.discount)) }
            @if let Some(next) = &preview.next_invoice {
                table {
                    caption { (t!("billing-promotion-caption", date = day(next.at))) }
                    thead { tr {
                        th scope="col" { (t!("billing-item")) } th.num scope="col" { (t!("billing-amount")) }
                    } }
                    tbody {
                        @for line in &next.lines {
                            tr { td { (line_text(line)) } td.num { (money(line.amount)) } }
                        }
                        tr {
                            td { (t!("billing-discount")) }
                            td.num #promo-discount { (t!("billing-discount-minus", amount = money(next.discount))) }
                        }
                        @if next.tax.cents() != 0 {
                            tr { td { (t!("billing-vat")) } td.num { (money(next.tax)) } }
                        }
                    }
                    tfoot { tr {
                        th scope="row" { (t!("billing-total")) } td.num #promo-total { (money(next.total)) }
                    } }
                }
            } @else {
                p { (t!("billing-promotion-nothing-next")) }
            }
            form method="post" action={ "/app/" (slug) "/settings/promotion-code" } {
                (field(&session))
                input type="hidden" name="code" value=(preview.discount.code);
                button #apply-promotion type="submit" {
                    (t!("billing-promotion-apply", code = preview.discount.code.as_str()))
                }
                " "
                a href={ "/app/" (slug) "/settings" } { (t!("billing-cancel")) }
            }
        }
    };
    Ok(page(&state, &scope, &t!("billing-promotion-title"), nav(&session, &slug, &name), body).await.into_response())
}

/// `POST /app/{slug}/settings/promotion-code`: redeems and applies the code.
pub(crate) async fn promotion_apply(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<PromotionForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    match state.tenantry.apply_promotion_code(&scope, &form.code).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/{slug}/settings?done=promotion")).into_response()),
        Err(e) => billing_refused(&state, &session, &slug, &scope, &name, PageError::from(e)).await,
    }
}
