//! Ads for freemium tenants (DESIGN.md "Ads"): campaigns managed by the
//! superuser, targeted at all freemium tenants or named ones, within a date
//! window; per page view at most one banner, and at most one modal per user per day.

use crate::ids::{CampaignId, TenantId};
use crate::text::{AdText, HttpsUrl};
use crate::time::Period;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Banner or modal.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AdFormat {
    /// Shown in the page; at most one per page view.
    Banner,
    /// Shown over the page; at most one per user per day.
    Modal,
}

/// Who sees a campaign (always freemium tenants only).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "tenants", rename_all = "snake_case")]
pub enum AdTarget {
    /// Every freemium tenant.
    AllFreemium,
    /// These tenants, while they are on freemium.
    Tenants(BTreeSet<TenantId>),
}

/// A campaign.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdCampaign {
    /// Its id.
    pub id: CampaignId,
    /// Internal name.
    pub name: AdText,
    /// Banner or modal.
    pub format: AdFormat,
    /// What the ad says.
    pub text: AdText,
    /// Optional picture.
    pub image_url: Option<HttpsUrl>,
    /// Where a click goes.
    pub link_url: HttpsUrl,
    /// Who sees it.
    pub target: AdTarget,
    /// When it runs (`[start, end)`).
    pub window: Period,
    /// Paused campaigns are never shown.
    pub enabled: bool,
    /// When it was created (ties in rotation go to the older campaign).
    pub created_at: DateTime<Utc>,
}

impl AdCampaign {
    /// Whether this campaign may be shown to `tenant` at `now` (the tenant being freemium).
    pub fn eligible(&self, tenant: TenantId, now: DateTime<Utc>) -> bool {
        self.enabled
            && self.window.contains(now)
            && match &self.target {
                AdTarget::AllFreemium => true,
                AdTarget::Tenants(set) => set.contains(&tenant),
            }
    }
}

/// What to render on one page view.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct AdDecision {
    /// At most one banner.
    pub banner: Option<CampaignId>,
    /// At most one modal, and only if the user saw none today.
    pub modal: Option<CampaignId>,
}

/// The UTC day an instant falls on (the unit of "per day" counting).
pub fn day_of(now: DateTime<Utc>) -> NaiveDate {
    now.date_naive()
}

/// Decides what one page view shows.
///
/// Only freemium tenants see ads. Among eligible campaigns of a format the one
/// with the fewest impressions today wins (ties: the older campaign, then the
/// smaller id), which rotates campaigns evenly without randomness.
pub fn decide(
    tenant: TenantId,
    is_freemium: bool,
    now: DateTime<Utc>,
    campaigns: &[AdCampaign],
    impressions_today: &BTreeMap<CampaignId, u64>,
    modal_seen_today: bool,
) -> AdDecision {
    if !is_freemium {
        return AdDecision::default();
    }
    let pick = |format: AdFormat| {
        campaigns
            .iter()
            .filter(|c| c.format == format && c.eligible(tenant, now))
            .min_by_key(|c| (impressions_today.get(&c.id).copied().unwrap_or(0), c.created_at, c.id))
            .map(|c| c.id)
    };
    AdDecision { banner: pick(AdFormat::Banner), modal: if modal_seen_today { None } else { pick(AdFormat::Modal) } }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{EntityId, uuid_v7_from_parts};
    use chrono::{Duration, TimeZone};

    fn id<T: EntityId>(n: u8) -> T {
        T::from_uuid(uuid_v7_from_parts(u64::from(n), [n; 10])).unwrap()
    }

    fn campaign(n: u8, format: AdFormat, target: AdTarget) -> AdCampaign {
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        AdCampaign {
            id: id(n),
            name: AdText::parse("c").unwrap(),
            format,
            text: AdText::parse("Buy now").unwrap(),
            image_url: None,
            link_url: HttpsUrl::parse("https://example.com").unwrap(),
            target,
            window: Period::new(start, start + Duration::days(30)).unwrap(),
            enabled: true,
            created_at: start + Duration::minutes(i64::from(n)),
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 10, 12, 0, 0).unwrap()
    }

    #[test]
    fn paying_tenants_see_no_ads() {
        let c = [campaign(1, AdFormat::Banner, AdTarget::AllFreemium)];
        assert_eq!(decide(id(9), false, now(), &c, &BTreeMap::new(), false), AdDecision::default());
    }

    #[test]
    fn one_banner_per_page_rotating_by_fewest_impressions() {
        let c = [
            campaign(1, AdFormat::Banner, AdTarget::AllFreemium),
            campaign(2, AdFormat::Banner, AdTarget::AllFreemium),
        ];
        let first = decide(id(9), true, now(), &c, &BTreeMap::new(), false);
        assert_eq!(first.banner, Some(id(1)));
        let counts = BTreeMap::from([(id(1), 1u64)]);
        assert_eq!(decide(id(9), true, now(), &c, &counts, false).banner, Some(id(2)));
    }

    #[test]
    fn a_modal_is_shown_at_most_once_per_user_per_day() {
        let c = [campaign(1, AdFormat::Modal, AdTarget::AllFreemium)];
        assert_eq!(decide(id(9), true, now(), &c, &BTreeMap::new(), false).modal, Some(id(1)));
        assert_eq!(decide(id(9), true, now(), &c, &BTreeMap::new(), true).modal, None);
    }

    #[test]
    fn targeting_and_the_date_window_are_respected() {
        let named = campaign(1, AdFormat::Banner, AdTarget::Tenants(BTreeSet::from([id(7)])));
        assert_eq!(
            decide(id(7), true, now(), std::slice::from_ref(&named), &BTreeMap::new(), false).banner,
            Some(id(1))
        );
        assert_eq!(decide(id(8), true, now(), std::slice::from_ref(&named), &BTreeMap::new(), false).banner, None);
        let late = now() + Duration::days(60);
        assert_eq!(decide(id(7), true, late, std::slice::from_ref(&named), &BTreeMap::new(), false).banner, None);
        let mut paused = named;
        paused.enabled = false;
        assert_eq!(decide(id(7), true, now(), &[paused], &BTreeMap::new(), false).banner, None);
    }
}
