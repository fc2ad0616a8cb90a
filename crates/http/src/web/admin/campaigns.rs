//! The ad campaigns shown to freemium tenants: list with today's counts, create, one campaign's daily counts, edit with a preview of its banner and modal, delete.

use crate::l10n::{reader, t};
use crate::state::AppState;
use crate::web::admin::platform;
use crate::web::forms::{id_of, invalid, midnight};
use crate::web::layout::{Page, alert, day};
use crate::web::session::{Session, WebForm, admin_nav, field};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::ads::{AdFormat, AdTarget};
use tenantry_domain::{AdCampaign, CampaignId, TenantId};
use tenantry_i18n::TimeZone;
use tenantry_ports::PlatformScope;
use tenantry_ports::services::admin::CampaignInput;
use tenantry_ports::services::ads::AdView;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/ads", get(campaigns).post(create_campaign))
        .route("/admin/ads/{cid}", get(campaign).post(update_campaign))
        .route("/admin/ads/{cid}/delete", post(delete_campaign))
}

/// The campaign form, as typed: every field text, so a bad one re-renders the
/// form with what was entered.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct CampaignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    link_url: String,
    #[serde(default)]
    image_url: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    /// Present (`on`) when the box is ticked.
    enabled: Option<String>,
    /// Comma-separated tenant ids; empty for all freemium tenants.
    #[serde(default)]
    tenants: String,
}

impl CampaignForm {
    /// An empty form for a new campaign (starting today, enabled).
    fn blank(today: DateTime<Utc>) -> Self {
        Self {
            format: "banner".to_owned(),
            starts_on: date_value(today),
            enabled: Some("on".to_owned()),
            ..Self::default()
        }
    }

    /// The form prefilled with a campaign.
    fn of(c: &AdCampaign) -> Self {
        Self {
            csrf: String::new(),
            name: c.name.to_string(),
            format: format_name(c.format).to_owned(),
            text: c.text.to_string(),
            link_url: c.link_url.to_string(),
            image_url: c.image_url.as_ref().map(|u| u.to_string()).unwrap_or_default(),
            starts_on: date_value(c.window.start()),
            ends_on: date_value(c.window.end()),
            enabled: c.enabled.then(|| "on".to_owned()),
            tenants: match &c.target {
                AdTarget::AllFreemium => String::new(),
                AdTarget::Tenants(set) => set.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            },
        }
    }

    /// The use case's input; a field that is not of its type is refused here
    /// (422), everything else is the use case's to judge.
    fn input(&self) -> Result<CampaignInput, PageError> {
        let format = match self.format.trim() {
            "banner" => AdFormat::Banner,
            "modal" => AdFormat::Modal,
            _ => return Err(invalid(&t!("platform-ads-error-format"))),
        };
        let tenants = if self.tenants.trim().is_empty() {
            None
        } else {
            let ids = self
                .tenants
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| {
                    TenantId::parse(t).map_err(|_| {
                        invalid(&t!("platform-ads-error-tenant-id", id = t.chars().take(64).collect::<String>()))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Some(ids)
        };
        let image = self.image_url.trim();
        Ok(CampaignInput {
            name: self.name.clone(),
            format,
            text: self.text.clone(),
            image_url: (!image.is_empty()).then(|| image.to_owned()),
            link_url: self.link_url.trim().to_owned(),
            tenants,
            starts_at: midnight(&self.starts_on, "start").map_err(|_| invalid(&t!("platform-ads-error-start-date")))?,
            ends_at: midnight(&self.ends_on, "end").map_err(|_| invalid(&t!("platform-ads-error-end-date")))?,
            enabled: self.enabled.is_some(),
        })
    }
}

/// A `<input type="date">` value (`YYYY-MM-DD`, the UTC day): what the form
/// sends back, not text for the reader (the browser shows it in its own way).
fn date_value(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// A campaign's day as the reader writes it. Campaigns run from one 00:00 UTC
/// to another, and count per UTC day, so the day is the UTC one, whatever the
/// reader's time zone.
pub(super) fn utc_day(at: DateTime<Utc>) -> String {
    reader().with_zone(TimeZone::utc()).date(at)
}

fn utc_date(d: NaiveDate) -> String {
    utc_day(d.and_time(NaiveTime::MIN).and_utc())
}

/// The format as the form sends it.
fn format_name(f: AdFormat) -> &'static str {
    match f {
        AdFormat::Banner => "banner",
        AdFormat::Modal => "modal",
    }
}

/// The format as the reader reads it.
fn format_text(f: AdFormat) -> String {
    match f {
        AdFormat::Banner => t!("platform-ads-format-banner"),
        AdFormat::Modal => t!("platform-ads-format-modal"),
    }
}

fn enabled_text(enabled: bool) -> String {
    if enabled { t!("platform-ads-enabled") } else { t!("platform-ads-disabled") }
}

fn targeting(t: &AdTarget) -> Markup {
    html! {
        @match t {
            AdTarget::AllFreemium => { (t!("platform-ads-target-all")) }
            AdTarget::Tenants(set) => {
                (t!("platform-ads-target-tenants", count = set.len())) " "
                @for (i, id) in set.iter().enumerate() {
                    @if i > 0 { ", " }
                    a href={ "/admin/tenants/" (id) } { code { (id) } }
                }
            }
        }
    }
}

/// The campaign form's fields (the create and the edit form share them).
fn campaign_fields(session: &Session, f: &CampaignForm) -> Markup {
    html! {
        (field(session))
        label for="name" { (t!("platform-ads-field-name")) " " span.hint { (t!("platform-ads-field-name-hint")) } }
        input #name name="name" type="text" value=(f.name) required;
        label for="format" { (t!("platform-ads-field-format")) }
        select #format name="format" {
            option value="banner" selected[f.format == "banner"] { (t!("platform-ads-option-banner")) }
            option value="modal" selected[f.format == "modal"] { (t!("platform-ads-option-modal")) }
        }
        label for="text" { (t!("platform-ads-field-text")) }
        input #text name="text" type="text" value=(f.text) required;
        label for="link_url" { (t!("platform-ads-field-link")) }
        input #link_url name="link_url" type="url" value=(f.link_url) required placeholder=(t!("platform-ads-url-placeholder"));
        label for="image_url" { (t!("platform-ads-field-image")) }
        input #image_url name="image_url" type="url" value=(f.image_url) placeholder=(t!("platform-ads-url-placeholder"));
        label for="starts_on" { (t!("platform-ads-field-starts")) " " span.hint { (t!("platform-ads-field-starts-hint")) } }
        input #starts_on name="starts_on" type="date" value=(f.starts_on) required;
        label for="ends_on" { (t!("platform-ads-field-ends")) " " span.hint { (t!("platform-ads-field-ends-hint")) } }
        input #ends_on name="ends_on" type="date" value=(f.ends_on) required;
        label for="tenants" {
            (t!("platform-ads-field-tenants")) " " span.hint { (t!("platform-ads-field-tenants-hint")) }
        }
        input #tenants name="tenants" type="text" value=(f.tenants);
        label for="enabled" {
            input #enabled name="enabled" type="checkbox" value="on" checked[f.enabled.is_some()];
            " " (t!("platform-ads-field-enabled"))
        }
    }
}

/// `GET /admin/ads`: the campaigns, with today's impressions and clicks.
pub(crate) async fn campaigns(State(state): State<AppState>, session: Session) -> PageResult {
    let who = platform(&state, &session).await?;
    let form = CampaignForm::blank(state.clock.now());
    Ok(campaigns_page(&state, &session, &who, &form, None).await?.into_response())
}

async fn campaigns_page(
    state: &AppState,
    session: &Session,
    who: &PlatformScope,
    form: &CampaignForm,
    error: Option<&str>,
) -> Result<Page, PageError> {
    let list = state.tenantry.list_campaigns(who).await?;
    let today = state.clock.now().date_naive();
    let mut rows = Vec::with_capacity(list.len());
    for c in list {
        let stats = state.tenantry.campaign_stats(who, c.id).await?;
        let counts = stats.daily.iter().find(|(d, _)| *d == today).map(|(_, n)| *n).unwrap_or_default();
        rows.push((c, counts));
    }
    let body = html! {
        h1 { (t!("platform-ads-title")) }
        p.hint { (t!("platform-ads-intro")) }
        table #campaigns {
            thead { tr {
                th scope="col" { (t!("platform-ads-col-name")) } th scope="col" { (t!("platform-ads-col-format")) }
                th scope="col" { (t!("platform-ads-col-status")) }
                th scope="col" { (t!("platform-ads-col-runs")) } th scope="col" { (t!("platform-ads-col-shown-to")) }
                th.num scope="col" { (t!("platform-ads-col-impressions-today")) }
                th.num scope="col" { (t!("platform-ads-col-clicks-today")) }
            } }
            tbody {
                @for (c, n) in &rows {
                    tr id={ "campaign-" (c.id) } {
                        td { a href={ "/admin/ads/" (c.id) } { (c.name) } }
                        td { (format_text(c.format)) }
                        td.enabled { (enabled_text(c.enabled)) }
                        td { (utc_day(c.window.start())) " – " (utc_day(c.window.end())) }
                        td { (targeting(&c.target)) }
                        td.num { (n.impressions) }
                        td.num { (n.clicks) }
                    }
                }
            }
        }
        @if rows.is_empty() { p #no-campaigns { (t!("platform-ads-none")) } }
        section.card aria-labelledby="new-campaign-h" {
            h2 #new-campaign-h { (t!("platform-ads-create-heading")) }
            (alert(error))
            form #new-campaign method="post" action="/admin/ads" {
                (campaign_fields(session, form))
                button #create-campaign type="submit" { (t!("platform-ads-create-button")) }
            }
        }
    };
    Ok(Page::new(&t!("platform-ads-title"), admin_nav(session), body))
}

/// `POST /admin/ads`: a new campaign; a refusal re-renders the list with it.
pub(crate) async fn create_campaign(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<CampaignForm>,
) -> PageResult {
    let who = platform(&state, &session).await?;
    session.check(&form.csrf)?;
    let done = match form.input() {
        Ok(input) => state.tenantry.create_campaign(&who, input).await.map_err(PageError::from),
        Err(e) => Err(e),
    };
    match done {
        Ok(c) => Ok(Redirect::to(&format!("/admin/ads/{}", c.id)).into_response()),
        Err(e) => {
            let page = campaigns_page(&state, &session, &who, &form, Some(e.detail().as_str())).await?;
            Ok((e.status(), page).into_response())
        }
    }
}

/// `GET /admin/ads/{cid}`: one campaign's daily counts, its edit form and a preview.
pub(crate) async fn campaign(State(state): State<AppState>, session: Session, Path(cid): Path<String>) -> PageResult {
    let who = platform(&state, &session).await?;
    let cid = id_of::<CampaignId>(&cid)?;
    Ok(campaign_page(&state, &session, &who, cid, None, None).await?.into_response())
}

async fn campaign_page(
    state: &AppState,
    session: &Session,
    who: &PlatformScope,
    cid: CampaignId,
    form: Option<&CampaignForm>,
    error: Option<&str>,
) -> Result<Page, PageError> {
    let stats = state.tenantry.campaign_stats(who, cid).await?;
    let c = &stats.campaign;
    let form = form.cloned().unwrap_or_else(|| CampaignForm::of(c));
    let ad = AdView::from(c);
    let (impressions, clicks) = stats
        .daily
        .iter()
        .fold((0u64, 0u64), |(i, k), (_, n)| (i.saturating_add(n.impressions), k.saturating_add(n.clicks)));
    let body = html! {
        h1 { (c.name) }
        p { a href="/admin/ads" { (t!("platform-ads-all")) } }
        section.card aria-labelledby="facts-h" {
            h2 #facts-h { (t!("platform-ads-campaign-heading")) }
            dl.facts {
                dt { (t!("platform-ads-col-status")) } dd #campaign-enabled { (enabled_text(c.enabled)) }
                dt { (t!("platform-ads-col-format")) } dd #campaign-format { (format_text(c.format)) }
                dt { (t!("platform-ads-field-text")) } dd { (c.text) }
                dt { (t!("platform-ads-fact-link")) } dd { a href=(c.link_url) rel="noopener" { (c.link_url) } }
                @if let Some(img) = &c.image_url {
                    dt { (t!("platform-ads-fact-image")) } dd { a href=(img) rel="noopener" { (img) } }
                }
                dt { (t!("platform-ads-col-runs")) }
                dd {
                    (utc_day(c.window.start())) " – " (utc_day(c.window.end())) " " (t!("platform-ads-runs-hint"))
                }
                dt { (t!("platform-ads-col-shown-to")) } dd { (targeting(&c.target)) }
                dt { (t!("platform-ads-fact-created")) } dd { (day(c.created_at)) }
            }
        }
        section.card aria-labelledby="daily-h" {
            h2 #daily-h { (t!("platform-ads-daily-heading")) }
            @if stats.daily.is_empty() {
                p #no-counts { (t!("platform-ads-daily-none")) }
            } @else {
                table #daily {
                    thead { tr {
                        th scope="col" { (t!("platform-ads-col-day")) }
                        th.num scope="col" { (t!("platform-ads-col-impressions")) }
                        th.num scope="col" { (t!("platform-ads-col-clicks")) }
                    } }
                    tbody {
                        @for (d, n) in &stats.daily {
                            tr {
                                th scope="row" { (utc_date(*d)) }
                                td.num { (n.impressions) }
                                td.num { (n.clicks) }
                            }
                        }
                    }
                    tfoot { tr { th scope="row" { (t!("platform-ads-total")) } td.num { (impressions) } td.num { (clicks) } } }
                }
            }
        }
        section.card aria-labelledby="edit-h" {
            h2 #edit-h { (t!("platform-ads-edit-heading")) }
            (alert(error))
            form #edit-campaign method="post" action={ "/admin/ads/" (c.id) } {
                (campaign_fields(session, &form))
                button #save-campaign type="submit" { (t!("platform-ads-save")) }
            }
        }
        section.card aria-labelledby="delete-h" {
            h2 #delete-h { (t!("platform-ads-delete-heading")) }
            form.inline method="post" action={ "/admin/ads/" (c.id) "/delete" } {
                (field(session))
                button.danger #delete-campaign type="submit" { (t!("platform-ads-delete-button")) }
            }
        }
        section.card #preview aria-labelledby="preview-h" {
            h2 #preview-h { (t!("platform-ads-preview-heading")) }
            p.hint {
                (t!("platform-ads-preview-hint")) " " strong { (format_text(c.format)) } (t!("platform-ads-preview-hint-end"))
            }
            // The frame's own ad markup and words (layout.rs), as tenants see them.
            h3 { (t!("platform-ads-preview-banner")) }
            aside.ad-banner aria-label=(t!("common-ad")) data-campaign=(ad.campaign_id) {
                span.ad-label { (t!("common-ad-label")) }
                " "
                a href=(ad.link_url) rel="noopener sponsored" { (ad.text) }
            }
            h3 { (t!("platform-ads-preview-modal")) }
            dialog.ad-modal open aria-label=(t!("common-ad")) data-campaign=(ad.campaign_id) {
                p { span.ad-label { (t!("common-ad-label")) } " " (ad.text) }
                p { a href=(ad.link_url) rel="noopener sponsored" { (t!("common-ad-more")) } }
                form method="dialog" { button type="submit" { (t!("common-close")) } }
            }
        }
    };
    Ok(Page::new(&c.name.to_string(), admin_nav(session), body))
}

/// `POST /admin/ads/{cid}`: replaces the campaign; a refusal re-renders its page.
pub(crate) async fn update_campaign(
    State(state): State<AppState>,
    session: Session,
    Path(cid): Path<String>,
    WebForm(form): WebForm<CampaignForm>,
) -> PageResult {
    let who = platform(&state, &session).await?;
    session.check(&form.csrf)?;
    let cid = id_of::<CampaignId>(&cid)?;
    let done = match form.input() {
        Ok(input) => state.tenantry.update_campaign(&who, cid, input).await.map_err(PageError::from),
        Err(e) => Err(e),
    };
    match done {
        Ok(c) => Ok(Redirect::to(&format!("/admin/ads/{}", c.id)).into_response()),
        Err(e) => {
            let page = campaign_page(&state, &session, &who, cid, Some(&form), Some(e.detail().as_str())).await?;
            Ok((e.status(), page).into_response())
        }
    }
}

/// Only the CSRF token (the delete form).
#[derive(Deserialize)]
pub(crate) struct DeleteForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/ads/{cid}/delete`: deletes the campaign, back to the list.
pub(crate) async fn delete_campaign(
    State(state): State<AppState>,
    session: Session,
    Path(cid): Path<String>,
    WebForm(form): WebForm<DeleteForm>,
) -> PageResult {
    let who = platform(&state, &session).await?;
    session.check(&form.csrf)?;
    let cid = id_of::<CampaignId>(&cid)?;
    state.tenantry.delete_campaign(&who, cid).await?;
    Ok(Redirect::to("/admin/ads").into_response())
}
