//! Ads for freemium tenants: the decision for one page view, and impression and
//! click counting per campaign per day, with no personal data.

use super::access::Attempt;
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::scope::TenantScope;
use crate::store::{Access, AdCountKind};
use serde::Serialize;
use tenantry_domain::ads::{AdFormat, day_of, decide};
use tenantry_domain::rbac::builtin;
use tenantry_domain::text::HttpsUrl;
use tenantry_domain::{AdCampaign, CampaignId};

/// One ad to render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdView {
    /// The campaign (for impression and click counting).
    pub campaign_id: CampaignId,
    /// Banner or modal.
    pub format: AdFormat,
    /// Text.
    pub text: String,
    /// Picture.
    pub image_url: Option<String>,
    /// Where a click goes.
    pub link_url: String,
}

impl From<&AdCampaign> for AdView {
    fn from(c: &AdCampaign) -> Self {
        Self {
            campaign_id: c.id,
            format: c.format,
            text: c.text.to_string(),
            image_url: c.image_url.as_ref().map(|u| u.to_string()),
            link_url: c.link_url.to_string(),
        }
    }
}

/// What to render on this page view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdDecisionView {
    /// At most one banner.
    pub banner: Option<AdView>,
    /// At most one modal per user per day.
    pub modal: Option<AdView>,
}

/// Why an ad request was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdsError {
    /// Access (an unknown or ineligible campaign is `NotFound`).
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(AdsError);

crate::problem!(AdsError {
    AdsError::Access(e) => (via e),
    AdsError::Infra(e) => (via e),
});

fn modal_key(user: tenantry_domain::UserId, day: chrono::NaiveDate) -> String {
    format!("ads:modal:{user}:{day}")
}

impl Tenantry {
    /// `GET /v1/tenants/{tid}/ads/decision`: what (if anything) to show on this
    /// page view. Only freemium tenants see ads; a modal is shown to a user at
    /// most once per UTC day.
    pub async fn ad_decision(&self, scope: &TenantScope) -> Result<AdDecisionView, AdsError> {
        self.require(scope, builtin::ADS_VIEW, Attempt::AdDecision).await?;
        let now = self.now();
        let day = day_of(now);
        let user = scope.actor().user_id();
        let (shows_ads, modal_seen) = {
            let mut tx = self.begin(scope, Access::Read).await?;
            let sub = self.subscription(tx.as_mut()).await?;
            let seen = match user {
                Some(u) => tx.is_marked(&modal_key(u, day)).await?,
                // Only users get modals; the superuser looking at a tenant does not.
                None => true,
            };
            (sub.shows_ads(), seen)
        };
        if !shows_ads {
            return Ok(AdDecisionView::default());
        }
        let (campaigns, counts) = {
            let mut ptx = self.deps.store.begin_platform().await?;
            (ptx.campaigns().await?, ptx.ad_counts(day).await?)
        };
        let impressions = counts.iter().map(|(id, c)| (*id, c.impressions)).collect();
        let decision = decide(scope.tenant_id(), true, now, &campaigns, &impressions, modal_seen);
        let find = |id: Option<CampaignId>| id.and_then(|id| campaigns.iter().find(|c| c.id == id)).map(AdView::from);
        let mut view = AdDecisionView { banner: find(decision.banner), modal: find(decision.modal) };
        if let (Some(_), Some(u)) = (&view.modal, user) {
            // Record before answering; a concurrent decision that recorded first wins the modal.
            let mut tx = self.begin(scope, Access::Write).await?;
            if tx.mark(&modal_key(u, day), now).await? {
                tx.commit().await?;
            } else {
                view.modal = None;
            }
        }
        Ok(view)
    }

    /// `POST /v1/tenants/{tid}/ads/{cid}/impression` and `/click`: counts one
    /// event for a campaign this tenant may see today (others are `NotFound`).
    pub async fn record_ad_event(
        &self,
        scope: &TenantScope,
        campaign: CampaignId,
        kind: AdCountKind,
    ) -> Result<(), AdsError> {
        self.require(scope, builtin::ADS_VIEW, Attempt::AdCount).await?;
        let now = self.now();
        let shows_ads = {
            let mut tx = self.begin(scope, Access::Read).await?;
            self.subscription(tx.as_mut()).await?.shows_ads()
        };
        let mut ptx = self.deps.store.begin_platform().await?;
        let eligible = shows_ads && ptx.campaign(campaign).await?.is_some_and(|c| c.eligible(scope.tenant_id(), now));
        if !eligible {
            return Err(AccessError::NotFound.into());
        }
        ptx.add_ad_count(campaign, kind).await?;
        ptx.commit().await?;
        Ok(())
    }

    /// A click on an ad of tenantry's own pages: counted like
    /// [`Tenantry::record_ad_event`], and the campaign's registered address
    /// answered (the only place the click may redirect to).
    pub async fn ad_click(&self, scope: &TenantScope, campaign: CampaignId) -> Result<HttpsUrl, AdsError> {
        self.record_ad_event(scope, campaign, AdCountKind::Click).await?;
        let mut ptx = self.deps.store.begin_platform().await?;
        let found = ptx.campaign(campaign).await?.ok_or(AccessError::NotFound)?;
        Ok(found.link_url)
    }

    /// The impressions of what a page showed (a banner, a modal), counted as
    /// the API's impression endpoint counts them.
    pub async fn record_impressions(&self, scope: &TenantScope, decision: &AdDecisionView) -> Result<(), AdsError> {
        for ad in decision.banner.iter().chain(decision.modal.iter()) {
            self.record_ad_event(scope, ad.campaign_id, AdCountKind::Impression).await?;
        }
        Ok(())
    }
}
