//! A tenant's pages: its home, "Subscription & billing" (plan, status, seats,
//! price, next invoice, trial countdown; buying a seat after its proration
//! preview; the plan and interval; Checkout and the Customer Portal), "Users &
//! invitations", and the invitation's acceptance. Freemium tenants see their
//! ads here, as the ad decision says.

use super::layout::{Nav, Page, alert, day, money, status};
use super::session::{CsrfForm, Session, WebForm, field, sign_in};
use super::{PageError, PageResult};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;
use tenantry_domain::subscription::{PlanChoice, PlanTiming, SeatChange};
use tenantry_domain::{Interval, PlanKind, SubscriptionStatus};
use tenantry_ports::TenantScope;
use tenantry_ports::services::billing::{PlanChanged, PreviewInput};
use tenantry_ports::services::invitations::{AcceptInput, InviteInput};
use tenantry_ports::services::views::SubscriptionView;

/// The tenant a page is about, authorised for the session (404 for another
/// tenant's slug, audited; 404 for no tenant).
pub(super) async fn tenant(
    state: &AppState,
    session: &Session,
    slug: &str,
) -> Result<(TenantScope, String), PageError> {
    let scope = state.tenantry.authorize_slug(&session.principal, slug).await?;
    let name = state.tenantry.get_tenant(&scope).await.map(|t| t.name).unwrap_or_else(|_| slug.to_owned());
    Ok((scope, name))
}

/// A form posted into a tenant's pages: this session's CSRF token first, then
/// the slug's tenant authorised (as [`tenant`]).
pub(super) async fn posted(
    state: &AppState,
    session: &Session,
    slug: &str,
    csrf: &str,
) -> Result<(TenantScope, String), PageError> {
    session.check(csrf)?;
    tenant(state, session, slug).await
}

pub(super) fn nav(session: &Session, slug: &str, name: &str) -> Nav {
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
pub(super) async fn page(state: &AppState, scope: &TenantScope, title: &str, nav: Nav, body: Markup) -> Page {
    // The tenant's logo (its branding) beside its name, when it has one.
    let logo = match state.tenantry.get_tenant(scope).await {
        Ok(t) => t.settings.branding.logo_url.map(|u| u.to_string()),
        Err(_) => None,
    };
    let page = Page::new(title, nav, body).with_logo(logo);
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

/// `GET /app/{slug}/ads/{cid}/click`: counts a click on an ad this tenant may
/// see and redirects to the campaign's registered address — never to an
/// address the request names (no open redirect).
pub(crate) async fn ad_click(
    State(state): State<AppState>,
    session: Session,
    Path((slug, cid)): Path<(String, String)>,
) -> PageResult {
    let (scope, _) = tenant(&state, &session, &slug).await?;
    let cid = tenantry_domain::CampaignId::parse(&cid).map_err(|_| PageError::not_found())?;
    let target = state.tenantry.ad_click(&scope, cid).await?;
    Ok((StatusCode::SEE_OTHER, [(axum::http::header::LOCATION, target.to_string())]).into_response())
}

/// `GET /app/{slug}/brand.css`: the tenant's primary colour as the pages'
/// accent (empty without one). The colour was checked as `#rrggbb` when saved.
pub(crate) async fn brand_css(State(state): State<AppState>, session: Session, Path(slug): Path<String>) -> PageResult {
    let (scope, _) = tenant(&state, &session, &slug).await?;
    let css = match state.tenantry.get_tenant(&scope).await?.settings.branding.primary_color {
        Some(color) => format!(":root {{ --accent: {}; }}\n", color.as_str()),
        None => String::new(),
    };
    Ok(([(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8")], css).into_response())
}

/// `GET /app/{slug}`.
pub(crate) async fn home(State(state): State<AppState>, session: Session, Path(slug): Path<String>) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let me = state.tenantry.me(&scope).await.ok();
    let body = html! {
        h1 { (name) }
        @if let Some(me) = &me {
            p #signed-in { "Signed in as " strong { (me.user.name) } " (" (me.role_name) ")." }
        }
        ul.links {
            li { a href={ "/app/" (slug) "/settings" } { "Subscription & billing" } }
            li { a href={ "/app/" (slug) "/settings/users" } { "Users & invitations" } }
        }
    };
    Ok(page(&state, &scope, &name, nav(&session, &slug, &name), body).await.into_response())
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
        @if sub.plan == PlanKind::Standard && matches!(sub.status, SubscriptionStatus::Active | SubscriptionStatus::PastDue) {
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
        section.card aria-labelledby="change-h" {
            h2 #change-h { "Change plan" }
            div.buttons {
                @if !(sub.plan == PlanKind::Standard && sub.interval == Some(Interval::Month)) {
                    (plan_button(session, &base, "standard-month", "Standard, monthly"))
                }
                @if !(sub.plan == PlanKind::Standard && sub.interval == Some(Interval::Year)) {
                    (plan_button(session, &base, "standard-year", "Standard, yearly"))
                }
                @if sub.plan != PlanKind::Freemium {
                    (plan_button(session, &base, "freemium", "Freemium (free, with ads)"))
                }
                @if sub.status == SubscriptionStatus::Active {
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
                @if sub.payment_method_on_file {
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
        Err(e) => {
            let e = PageError::from(e);
            let sub = state.tenantry.subscription_view(&scope).await?;
            let body = billing_body(&state, &session, &slug, &sub, None, Some(e.detail()));
            let page = page(&state, &scope, "Subscription & billing", nav(&session, &slug, &name), body).await;
            return Ok((e.status(), page).into_response());
        }
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

fn return_url(state: &AppState, path: &str) -> String {
    format!("{}{path}", state.public_url.as_deref().unwrap_or(""))
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
    let back = return_url(&state, &format!("/app/{slug}/settings?done=card"));
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
    let back = return_url(&state, &format!("/app/{slug}/settings?done=card"));
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
    let back = return_url(&state, &format!("/app/{slug}/settings"));
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
    let back = return_url(&state, &format!("/app/{slug}/settings"));
    state.tenantry.cancel_subscription(&scope, &back).await?;
    Ok(Redirect::to(&format!("/app/{slug}/settings?done=plan")).into_response())
}

fn id_of<T: std::str::FromStr>(text: &str) -> Result<T, PageError> {
    text.parse().map_err(|_| PageError::not_found())
}

/// `POST /app/{slug}/settings/invitations/{iid}/revoke` (frees its seat).
pub(crate) async fn revoke_invitation(
    State(state): State<AppState>,
    session: Session,
    Path((slug, iid)): Path<(String, String)>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    let (scope, _) = posted(&state, &session, &slug, &form.csrf).await?;
    state.tenantry.revoke_invitation(&scope, id_of(&iid)?).await?;
    Ok(Redirect::to(&format!("/app/{slug}/settings/users")).into_response())
}

/// `POST /app/{slug}/settings/invitations/{iid}/resend`.
pub(crate) async fn resend_invitation(
    State(state): State<AppState>,
    session: Session,
    Path((slug, iid)): Path<(String, String)>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    let (scope, _) = posted(&state, &session, &slug, &form.csrf).await?;
    state.tenantry.resend_invitation(&scope, id_of(&iid)?).await?;
    Ok(Redirect::to(&format!("/app/{slug}/settings/users")).into_response())
}

#[derive(Deserialize)]
pub(crate) struct ActiveForm {
    csrf: String,
    active: String,
}

/// `POST /app/{slug}/settings/users/{uid}/active`: deactivate (frees the seat) or reactivate.
pub(crate) async fn set_active(
    State(state): State<AppState>,
    session: Session,
    Path((slug, uid)): Path<(String, String)>,
    WebForm(form): WebForm<ActiveForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    let active = match form.active.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_form", "Deactivate or reactivate?")),
    };
    let patch = tenantry_ports::services::users::UserPatch { role: None, active: Some(active) };
    if let Err(e) = state.tenantry.update_user(&scope, id_of(&uid)?, patch).await {
        let e = PageError::from(e);
        let body = users_body(&state, &session, &scope, &slug, Some(e.detail()), None).await?;
        let page = page(&state, &scope, "Users & invitations", nav(&session, &slug, &name), body).await;
        return Ok((e.status(), page).into_response());
    }
    Ok(Redirect::to(&format!("/app/{slug}/settings/users")).into_response())
}

/// `GET /app/{slug}/settings/users`.
pub(crate) async fn users(State(state): State<AppState>, session: Session, Path(slug): Path<String>) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let body = users_body(&state, &session, &scope, &slug, None, None).await?;
    Ok(page(&state, &scope, "Users & invitations", nav(&session, &slug, &name), body).await.into_response())
}

async fn users_body(
    state: &AppState,
    session: &Session,
    scope: &TenantScope,
    slug: &str,
    error: Option<&str>,
    invited: Option<&str>,
) -> Result<Markup, PageError> {
    let users = state.tenantry.list_users(scope).await?;
    let invitations = state.tenantry.list_invitations(scope, false).await?;
    let sub = state.tenantry.subscription_view(scope).await?;
    Ok(html! {
        h1 { "Users & invitations" }
        @if let Some(email) = invited {
            p.notice role="status" { "Invitation sent to " (email) "." }
        }
        p #seat-usage {
            (sub.seats_used) @if sub.seats_used == 1 { " seat used" } @else { " seats used" }
            @if let Some(seats) = sub.seats { " of " (seats) }
            "."
        }
        section.card aria-labelledby="invite-h" {
            h2 #invite-h { "Invite someone" }
            (alert(error))
            @if error.is_some() && sub.plan == PlanKind::Standard {
                p { a href={ "/app/" (slug) "/settings" } { "Buy a seat on the billing page" } }
            }
            form method="post" action={ "/app/" (slug) "/settings/invitations" } {
                (field(session))
                label for="invite-email" { "E-mail" }
                input #invite-email name="email" type="email" required;
                label for="invite-role" { "Role" }
                select #invite-role name="role" {
                    option value="member" selected { "Member" }
                    option value="viewer" { "Viewer" }
                    option value="manager" { "Manager" }
                    option value="admin" { "Admin" }
                }
                button #invite type="submit" { "Send invitation" }
            }
        }
        section.card aria-labelledby="users-h" {
            h2 #users-h { "Users" }
            table #users {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "E-mail" } th scope="col" { "Role" }
                    th scope="col" { "Status" } th scope="col" { span.hint { "Actions" } }
                } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.name) } td { (u.email) } td { (u.role) } td { (u.status) }
                            td {
                                @if u.role.to_string() != "owner" {
                                    form.inline method="post" action={ "/app/" (slug) "/settings/users/" (u.id) "/active" } {
                                        (field(session))
                                        @if u.status == "active" {
                                            input type="hidden" name="active" value="false";
                                            button.link type="submit" { "Deactivate " span.hint { (u.email) } }
                                        } @else {
                                            input type="hidden" name="active" value="true";
                                            button.link type="submit" { "Reactivate " span.hint { (u.email) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="inv-h" {
            h2 #inv-h { "Pending invitations" }
            @if invitations.is_empty() {
                p { "None." }
            } @else {
                table #invitations {
                    thead { tr {
                        th scope="col" { "E-mail" } th scope="col" { "Role" } th scope="col" { "Expires" }
                        th scope="col" { span.hint { "Actions" } }
                    } }
                    tbody {
                        @for i in &invitations {
                            tr {
                                td { (i.email) } td { (i.role) } td { (day(i.expires_at)) }
                                td {
                                    form.inline method="post" action={ "/app/" (slug) "/settings/invitations/" (i.id) "/resend" } {
                                        (field(session))
                                        button.link type="submit" { "Resend " span.hint { (i.email) } }
                                    }
                                    " "
                                    form.inline method="post" action={ "/app/" (slug) "/settings/invitations/" (i.id) "/revoke" } {
                                        (field(session))
                                        button.link type="submit" { "Revoke " span.hint { (i.email) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

#[derive(Deserialize)]
pub(crate) struct InviteForm {
    csrf: String,
    email: String,
    role: String,
}

/// `POST /app/{slug}/settings/invitations`: the invitation, or the page again
/// with the refusal (e.g. every seat taken) and nothing changed.
pub(crate) async fn invite(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<InviteForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    let (status, error, invited) =
        match state.tenantry.invite(&scope, InviteInput { email: form.email.clone(), role: form.role }).await {
            Ok(_) => (StatusCode::OK, None, Some(form.email.as_str())),
            Err(e) => {
                let e = PageError::from(e);
                (e.status(), Some(e.detail().to_owned()), None)
            }
        };
    let body = users_body(&state, &session, &scope, &slug, error.as_deref(), invited).await?;
    let page = page(&state, &scope, "Users & invitations", nav(&session, &slug, &name), body).await;
    Ok((status, page).into_response())
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    token: Option<String>,
}

fn accept_form(token: &str, error: Option<&str>) -> Page {
    Page::bare(
        "Join your team",
        html! {
            h1 { "Join your team" }
            (alert(error))
            form.card method="post" action="/invitations/accept" {
                input type="hidden" name="token" value=(token);
                label for="name" { "Your name" }
                input #name name="name" type="text" required autocomplete="name";
                label for="password" { "Choose a password" }
                input #password name="password" type="password" required autocomplete="new-password";
                button #accept type="submit" { "Join" }
            }
        },
    )
}

/// `GET /invitations/accept?token=…`: the invitation mail's link.
pub(crate) async fn accept_page(Query(q): Query<TokenQuery>) -> PageResult {
    match q.token.filter(|t| !t.is_empty()) {
        Some(token) => Ok(accept_form(&token, None).into_response()),
        None => Err(PageError::new(StatusCode::NOT_FOUND, "invalid_token", "This invitation link is incomplete.")),
    }
}

#[derive(Deserialize)]
pub(crate) struct AcceptForm {
    token: String,
    name: String,
    password: SecretString,
}

/// `POST /invitations/accept`: the account is made and the browser signed in.
pub(crate) async fn accept_submit(
    State(state): State<AppState>,
    client: crate::client::Client,
    WebForm(form): WebForm<AcceptForm>,
) -> PageResult {
    let token = SecretString::from(form.token.clone());
    if let Err(e) = state.throttles.account(&state.tenantry, &crate::throttle::link_key(&token)).await {
        return Ok(super::too_many(e));
    }
    let input = AcceptInput { token, name: form.name, password: form.password };
    match state.tenantry.accept_invitation_from(input, &client.web()).await {
        Ok(accepted) => sign_in(&state, &accepted.principal),
        Err(e) => {
            let e = PageError::from(e);
            Ok((e.status(), accept_form(&form.token, Some(e.detail()))).into_response())
        }
    }
}
