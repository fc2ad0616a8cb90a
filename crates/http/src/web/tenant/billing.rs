//! "Subscription & billing": plan, status, seats, price, next invoice, trial countdown; buying a seat after its proration preview; the plan and interval; Checkout and the Customer Portal; cancelling.

use crate::state::AppState;
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
        Some("seats") => "Seats bought: the prorated amount has been invoiced.",
        Some("plan") => "The plan has been changed.",
        Some("card") => "Welcome back: the payment method is saved if you completed the form.",
        Some("promotion") => "The promotion code is applied: the invoices it covers are discounted.",
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
    Ok(page(&state, &scope, "Subscription & billing", nav(&session, &slug, &name), body).await.into_response())
}

fn invoices_section(invoices: &[tenantry_ports::payment::Invoice]) -> Markup {
    use tenantry_ports::payment::InvoiceStatus;
    html! {
        section.card aria-labelledby="invoices-h" {
            h2 #invoices-h { "Invoices" }
            @if invoices.is_empty() {
                p { "No invoice yet." }
            } @else {
                table #invoices {
                    thead { tr {
                        th scope="col" { "Invoice" } th scope="col" { "Date" } th.num scope="col" { "Total" }
                        th scope="col" { "Status" } th scope="col" { "Download" }
                    } }
                    tbody {
                        @for i in invoices {
                            tr {
                                td { (i.number.as_deref().unwrap_or(&i.id)) }
                                td { (day(i.created_at)) }
                                td.num { (money(i.total)) }
                                td { (match i.status {
                                    InvoiceStatus::Draft => "draft",
                                    InvoiceStatus::Open => "open",
                                    InvoiceStatus::Paid => "paid",
                                    InvoiceStatus::Void => "void",
                                    InvoiceStatus::Uncollectible => "uncollectible",
                                }) }
                                td {
                                    @if let Some(pdf) = &i.pdf_url { a href=(pdf) { "PDF" } " " }
                                    @if let Some(page) = &i.hosted_url { a href=(page) { "View" } }
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
        PlanKind::Trial => "Trial",
        PlanKind::Freemium => "Freemium",
        PlanKind::Standard => "Standard",
    };
    match sub.interval.filter(|_| sub.plan != PlanKind::Trial) {
        Some(Interval::Month) => format!("{plan}, monthly"),
        Some(Interval::Year) => format!("{plan}, yearly"),
        None => plan.to_owned(),
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
    let per = match sub.interval.unwrap_or(Interval::Month) {
        Interval::Month => (catalog.monthly.extra_seat, "month"),
        Interval::Year => (catalog.yearly.extra_seat, "year"),
    };
    let base = format!("/app/{slug}/settings");
    let can = sub.actions();
    html! {
        h1 { "Subscription & billing" }
        (notice(done))
        (alert(error))
        section.card aria-labelledby="plan-h" {
            h2 #plan-h { "Your plan" }
            dl.facts {
                dt { "Plan" } dd #plan { (plan_name(sub)) }
                dt { "Status" } dd #status { (status(sub.status)) }
                @if let Some(seats) = sub.seats {
                    dt { "Seats" } dd #seats { (sub.seats_used) " used of " (seats) " licensed" }
                } @else {
                    dt { "Seats used" } dd #seats { (sub.seats_used) }
                }
                @if let Some(next) = sub.seats_next_period.filter(|n| Some(*n) != sub.seats) {
                    dt { "Seats from the next period" } dd #seats-next { (next) }
                }
                @if let Some(price) = sub.price {
                    dt { "Price" } dd #price { (money(price)) " per " (per.1) }
                }
                @if let Some(d) = &sub.discount {
                    dt { "Discount" } dd #discount { (discount_text(d)) }
                    @if let Some(after) = sub.price_after_discount.filter(|a| Some(*a) != sub.price) {
                        dt { "Price after the discount" } dd #price-after { (money(after)) " per " (per.1) }
                    }
                }
                @if let Some(next) = &sub.next_invoice {
                    dt { "Next invoice" } dd #next-invoice { (money(next.amount)) " on " (day(next.at)) }
                }
                @if let (Some(left), Some(end)) = (sub.trial_days_left, sub.trial_ends_at) {
                    dt { "Trial" } dd #trial { (left) " days left (ends " (day(end)) ")" }
                }
                @if let Some(since) = sub.past_due_since {
                    dt { "Payment" } dd.error { "overdue since " (day(since)) }
                }
                dt { "Payment method" } dd { @if sub.payment_method_on_file { "on file" } @else { "none yet" } }
            }
        }
        @if can.seats {
            @if let Some(seats) = sub.seats {
                section.card aria-labelledby="seats-h" {
                    h2 #seats-h { "Seats" }
                    p { "Each user or pending invitation takes a seat." }
                    form method="post" action={ (base) "/seats/preview" } {
                        (field(session))
                        input type="hidden" name="seats" value=(seats + 1);
                        button #add-seat type="submit" { "+1 user (" (money(per.0)) "/" (per.1) ")" }
                    }
                    form.inline-form method="post" action={ (base) "/seats/preview" } {
                        (field(session))
                        label for="seat-count" { "Or set the seats to" }
                        input #seat-count name="seats" type="number" min="1" value=(seats) required;
                        button type="submit" { "Preview" }
                    }
                }
            }
        }
        @if promotion_possible(sub) {
            section.card aria-labelledby="promo-h" {
                h2 #promo-h { "Promotion code" }
                form.inline-form method="post" action={ (base) "/promotion-code/preview" } {
                    (field(session))
                    label for="promotion-code" { "Code" }
                    input #promotion-code name="code" type="text" autocomplete="off" spellcheck="false"
                        minlength="3" maxlength="32" pattern="[A-Za-z0-9_-]{3,32}" required;
                    button type="submit" { "See the discount" }
                }
                p.hint { "You see what it takes off the next invoice before you apply it." }
            }
        }
        section.card aria-labelledby="change-h" {
            h2 #change-h { "Change plan" }
            div.buttons {
                @if can.standard_monthly {
                    (plan_button(session, &base, "standard-month", "Standard, monthly"))
                }
                @if can.standard_yearly {
                    (plan_button(session, &base, "standard-year", "Standard, yearly"))
                }
                @if can.freemium {
                    (plan_button(session, &base, "freemium", "Freemium (free, with ads)"))
                }
                @if can.cancel {
                    form method="post" action={ (base) "/cancel" } {
                        (field(session))
                        button.danger #cancel type="submit" { "Cancel at the end of the period" }
                    }
                }
            }
            p.hint { "A paid plan asks for a payment method first when none is on file." }
        }
        section.card aria-labelledby="pay-h" {
            h2 #pay-h { "Payment" }
            div.buttons {
                form method="post" action={ (base) "/checkout" } {
                    (field(session))
                    button type="submit" { "Add a payment method" }
                }
                @if can.portal {
                    form method="post" action={ (base) "/portal" } {
                        (field(session))
                        button type="submit" { "Invoices and payment methods" }
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
        LineItem::Base => "base price",
        LineItem::ExtraSeats => "extra seat",
    };
    let kind = match line.kind {
        LineKind::UnusedTime => "unused time, credited",
        LineKind::RemainingTime => "remaining time",
        LineKind::FullPeriod => "full period",
    };
    format!("{} × {item} ({kind})", line.quantity)
}

fn seats_of(text: &str) -> Result<i64, PageError> {
    text.trim().parse::<i64>().map_err(|_| {
        PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_seats", "The number of seats must be a whole number.")
    })
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
        Some(SeatChange::Increase { from, to }) => format!("From {from} to {to} seats, now."),
        Some(SeatChange::ScheduleReduction { from, to, .. }) => {
            format!("From {from} to {to} seats at the end of the current period (no refund now).")
        }
        _ => "No change.".to_owned(),
    };
    let p = &preview.preview;
    let body = html! {
        h1 { "Confirm the seats" }
        section.card aria-labelledby="preview-h" {
            h2 #preview-h { (what) }
            table {
                caption { "What will be invoiced" }
                thead { tr { th scope="col" { "Item" } th scope="col" { "Period" } th.num scope="col" { "Amount" } } }
                tbody {
                    @for line in &p.lines {
                        tr {
                            td { (line_text(line)) }
                            td { (day(line.period.start())) " – " (day(line.period.end())) }
                            td.num { (money(line.amount)) }
                        }
                    }
                }
                tfoot { tr { th scope="row" colspan="2" { "Total now" } td.num #preview-total { (money(p.total)) } } }
            }
            form method="post" action={ "/app/" (slug) "/settings/seats" } {
                (field(&session))
                input type="hidden" name="seats" value=(seats);
                input type="hidden" name="proration_date" value=(p.proration_date.to_rfc3339());
                button #confirm-seats type="submit" { "Confirm and pay " (money(p.total)) }
                " "
                a href={ "/app/" (slug) "/settings" } { "Cancel" }
            }
        }
    };
    Ok(page(&state, &scope, "Confirm the seats", nav(&session, &slug, &name), body).await.into_response())
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
            PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_form", "The preview's date is not readable.")
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
        _ => return Err(PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_plan", "There is no such plan.")),
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
        Off::Percent { basis_points } => format!("{} off", percent(basis_points)),
        Off::Amount { amount } => format!("{} off", money(amount)),
    };
    let how_long = match (d.duration, d.ends_at) {
        (DiscountDuration::Once, _) => "the next invoice".to_owned(),
        (DiscountDuration::Repeating { months }, Some(end)) => {
            format!("the invoices of {months} month(s), until {}", day(end))
        }
        _ => "every invoice".to_owned(),
    };
    format!("{}: {off}, {how_long}", d.code)
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
    let body = billing_body(state, session, slug, &sub, None, Some(e.detail()));
    let page = page(state, scope, "Subscription & billing", nav(session, slug, name), body).await;
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
        h1 { "Apply a promotion code" }
        section.card aria-labelledby="promo-preview-h" {
            h2 #promo-preview-h { (discount_text(&preview.discount)) }
            @if let Some(next) = &preview.next_invoice {
                table {
                    caption { "The next invoice, on " (day(next.at)) ", with the code" }
                    thead { tr { th scope="col" { "Item" } th.num scope="col" { "Amount" } } }
                    tbody {
                        @for line in &next.lines {
                            tr { td { (line_text(line)) } td.num { (money(line.amount)) } }
                        }
                        tr { td { "Discount" } td.num #promo-discount { "−" (money(next.discount)) } }
                        @if next.tax.cents() != 0 {
                            tr { td { "VAT" } td.num { (money(next.tax)) } }
                        }
                    }
                    tfoot { tr { th scope="row" { "Total" } td.num #promo-total { (money(next.total)) } } }
                }
            } @else {
                p { "Nothing will be invoiced next; the code applies to the invoices it covers." }
            }
            form method="post" action={ "/app/" (slug) "/settings/promotion-code" } {
                (field(&session))
                input type="hidden" name="code" value=(preview.discount.code);
                button #apply-promotion type="submit" { "Apply " (preview.discount.code) }
                " "
                a href={ "/app/" (slug) "/settings" } { "Cancel" }
            }
        }
    };
    Ok(page(&state, &scope, "Apply a promotion code", nav(&session, &slug, &name), body).await.into_response())
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
