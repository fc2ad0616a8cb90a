//! The ad campaigns shown to freemium tenants: list with today's counts, create, one campaign's daily counts, edit with a preview of its banner and modal, delete.

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
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::ads::{AdFormat, AdTarget};
use tenantry_domain::{AdCampaign, CampaignId, TenantId};
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
        Self { format: "banner".to_owned(), starts_on: day(today), enabled: Some("on".to_owned()), ..Self::default() }
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
            starts_on: day(c.window.start()),
            ends_on: day(c.window.end()),
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
            _ => return Err(invalid("Choose a format: banner or modal.")),
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
                        invalid(&format!("“{}” is not a tenant id.", t.chars().take(64).collect::<String>()))
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
            starts_at: midnight(&self.starts_on, "start")?,
            ends_at: midnight(&self.ends_on, "end")?,
            enabled: self.enabled.is_some(),
        })
    }
}

fn format_name(f: AdFormat) -> &'static str {
    match f {
        AdFormat::Banner => "banner",
        AdFormat::Modal => "modal",
    }
}

fn enabled_text(enabled: bool) -> &'static str {
    if enabled { "enabled" } else { "disabled" }
}

fn targeting(t: &AdTarget) -> Markup {
    html! {
        @match t {
            AdTarget::AllFreemium => { "all freemium tenants" }
            AdTarget::Tenants(set) => {
                (set.len()) @if set.len() == 1 { " tenant: " } @else { " tenants: " }
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
        label for="name" { "Name " span.hint { "(internal, never shown)" } }
        input #name name="name" type="text" value=(f.name) required;
        label for="format" { "Format" }
        select #format name="format" {
            option value="banner" selected[f.format == "banner"] { "banner (in the page)" }
            option value="modal" selected[f.format == "modal"] { "modal (over the page, once a day per user)" }
        }
        label for="text" { "Text" }
        input #text name="text" type="text" value=(f.text) required;
        label for="link_url" { "Link (https)" }
        input #link_url name="link_url" type="url" value=(f.link_url) required placeholder="https://";
        label for="image_url" { "Image (https, optional)" }
        input #image_url name="image_url" type="url" value=(f.image_url) placeholder="https://";
        label for="starts_on" { "Starts on " span.hint { "(00:00 UTC)" } }
        input #starts_on name="starts_on" type="date" value=(f.starts_on) required;
        label for="ends_on" { "Ends on " span.hint { "(00:00 UTC, not included)" } }
        input #ends_on name="ends_on" type="date" value=(f.ends_on) required;
        label for="tenants" {
            "Only these tenants " span.hint { "(ids, comma-separated; empty for every freemium tenant)" }
        }
        input #tenants name="tenants" type="text" value=(f.tenants);
        label for="enabled" {
            input #enabled name="enabled" type="checkbox" value="on" checked[f.enabled.is_some()];
            " Enabled"
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
        h1 { "Ads" }
        p.hint { "Campaigns shown to freemium tenants: at most one banner per page, at most one modal per user a day." }
        table #campaigns {
            thead { tr {
                th scope="col" { "Name" } th scope="col" { "Format" } th scope="col" { "Status" }
                th scope="col" { "Runs" } th scope="col" { "Shown to" }
                th.num scope="col" { "Impressions today" } th.num scope="col" { "Clicks today" }
            } }
            tbody {
                @for (c, n) in &rows {
                    tr id={ "campaign-" (c.id) } {
                        td { a href={ "/admin/ads/" (c.id) } { (c.name) } }
                        td { (format_name(c.format)) }
                        td.enabled { (enabled_text(c.enabled)) }
                        td { (day(c.window.start())) " – " (day(c.window.end())) }
                        td { (targeting(&c.target)) }
                        td.num { (n.impressions) }
                        td.num { (n.clicks) }
                    }
                }
            }
        }
        @if rows.is_empty() { p #no-campaigns { "No campaign yet." } }
        section.card aria-labelledby="new-campaign-h" {
            h2 #new-campaign-h { "Create a campaign" }
            (alert(error))
            form #new-campaign method="post" action="/admin/ads" {
                (campaign_fields(session, form))
                button #create-campaign type="submit" { "Create campaign" }
            }
        }
    };
    Ok(Page::new("Ads", admin_nav(session), body))
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
            let page = campaigns_page(&state, &session, &who, &form, Some(e.detail())).await?;
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
        p { a href="/admin/ads" { "All campaigns" } }
        section.card aria-labelledby="facts-h" {
            h2 #facts-h { "Campaign" }
            dl.facts {
                dt { "Status" } dd #campaign-enabled { (enabled_text(c.enabled)) }
                dt { "Format" } dd #campaign-format { (format_name(c.format)) }
                dt { "Text" } dd { (c.text) }
                dt { "Link" } dd { a href=(c.link_url) rel="noopener" { (c.link_url) } }
                @if let Some(img) = &c.image_url { dt { "Image" } dd { a href=(img) rel="noopener" { (img) } } }
                dt { "Runs" } dd { (day(c.window.start())) " – " (day(c.window.end())) " (UTC, end not included)" }
                dt { "Shown to" } dd { (targeting(&c.target)) }
                dt { "Created" } dd { (day(c.created_at)) }
            }
        }
        section.card aria-labelledby="daily-h" {
            h2 #daily-h { "Impressions and clicks per day" }
            @if stats.daily.is_empty() {
                p #no-counts { "Not shown yet." }
            } @else {
                table #daily {
                    thead { tr {
                        th scope="col" { "Day" } th.num scope="col" { "Impressions" } th.num scope="col" { "Clicks" }
                    } }
                    tbody {
                        @for (d, n) in &stats.daily {
                            tr {
                                th scope="row" { (d.format("%Y-%m-%d")) }
                                td.num { (n.impressions) }
                                td.num { (n.clicks) }
                            }
                        }
                    }
                    tfoot { tr { th scope="row" { "Total" } td.num { (impressions) } td.num { (clicks) } } }
                }
            }
        }
        section.card aria-labelledby="edit-h" {
            h2 #edit-h { "Edit" }
            (alert(error))
            form #edit-campaign method="post" action={ "/admin/ads/" (c.id) } {
                (campaign_fields(session, &form))
                button #save-campaign type="submit" { "Save" }
            }
        }
        section.card aria-labelledby="delete-h" {
            h2 #delete-h { "Delete" }
            form.inline method="post" action={ "/admin/ads/" (c.id) "/delete" } {
                (field(session))
                button.danger #delete-campaign type="submit" { "Delete this campaign" }
            }
        }
        section.card #preview aria-labelledby="preview-h" {
            h2 #preview-h { "Preview" }
            p.hint {
                "As a freemium tenant sees it. This campaign runs as a " strong { (format_name(c.format)) } "."
            }
            h3 { "As a banner" }
            aside.ad-banner aria-label="Advertisement" data-campaign=(ad.campaign_id) {
                span.ad-label { "Ad" }
                " "
                a href=(ad.link_url) rel="noopener sponsored" { (ad.text) }
            }
            h3 { "As a modal" }
            dialog.ad-modal open aria-label="Advertisement" data-campaign=(ad.campaign_id) {
                p { span.ad-label { "Ad" } " " (ad.text) }
                p { a href=(ad.link_url) rel="noopener sponsored" { "Learn more" } }
                form method="dialog" { button type="submit" { "Close" } }
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
            let page = campaign_page(&state, &session, &who, cid, Some(&form), Some(e.detail())).await?;
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
