//! The tenant: one customer company, with its profile and settings.

use crate::email::Email;
use crate::ids::TenantId;
use crate::preferences::{Language, Preferences, TimeZone};
use crate::quota::QuotaOverride;
use crate::slug::Slug;
use crate::text::{CompanyName, CountryCode, HexColor, HttpsUrl, VatId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How the tenant's pages and mails look.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Branding {
    /// Primary colour.
    pub primary_color: Option<HexColor>,
    /// Logo URL (https): what mails show (an uploaded logo's public address
    /// when the service has an https one).
    pub logo_url: Option<HttpsUrl>,
    /// The uploaded logo (a file of the tenant's, issue 27): what its pages
    /// show, from `/logos/{tenant}/{file}`.
    #[serde(default)]
    pub logo_file: Option<crate::ids::FileId>,
}

/// Which mails the tenant wants (DESIGN.md "Notifications").
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationPrefs {
    /// The billing mails a tenant may refuse (a trial that became the paid
    /// plan), to the billing e-mail and the owners and admins (on by default).
    /// The ones it cannot refuse — trial ending, payment failed or needing
    /// action, moved to free, users suspended — go regardless.
    pub billing_emails: bool,
    /// Whether its people may receive the platform's product updates (each
    /// still opts in for themselves); off by default.
    pub product_updates: bool,
}

impl Default for NotificationPrefs {
    fn default() -> Self {
        Self { billing_emails: true, product_updates: false }
    }
}

/// What invoices need: country (for tax), VAT id, where invoices go.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingDetails {
    /// Legal name on invoices, if not the company name.
    pub legal_name: Option<CompanyName>,
    /// Country of the billing address.
    pub country: Option<CountryCode>,
    /// VAT identification number.
    pub vat_id: Option<VatId>,
    /// Where invoices are sent (defaults to the owner).
    pub billing_email: Option<Email>,
}

/// Profile and settings of a tenant.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantSettings {
    /// Looks.
    pub branding: Branding,
    /// Mail preferences.
    pub notifications: NotificationPrefs,
    /// Invoice details.
    pub billing: BillingDetails,
    /// The language and time zone of the workspace's pages and mails for
    /// whoever has not chosen their own (issue 25); unset, the reader's
    /// browser decides, then English and UTC.
    #[serde(default)]
    pub defaults: Preferences,
    /// The types of files the workspace accepts (issue 27); unset, the
    /// default list of documents and images (`file::DEFAULT_ALLOWED_TYPES`).
    #[serde(default)]
    pub file_types: Option<Vec<String>>,
}

/// A tenant.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tenant {
    /// Every field, private: read through the accessors, changed by the transitions.
    r: TenantRecord,
}

/// Tenant as a store keeps it: every field, for [`Tenant::restore`] and
/// [`Tenant::record`]. Changes go through [`Tenant`]'s transitions.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct TenantRecord {
    /// Its id.
    pub id: TenantId,
    /// Unique platform-wide; typed at login.
    pub slug: Slug,
    /// Display name.
    pub name: CompanyName,
    /// When it signed up.
    pub created_at: DateTime<Utc>,
    /// Profile and settings.
    pub settings: TenantSettings,
    /// The superuser's per-tenant quota override.
    pub quota_override: QuotaOverride,
}

/// Reading: one accessor per field (the fields are private, so that every change is a transition).
impl Tenant {
    /// Its id.
    pub fn id(&self) -> TenantId {
        self.r.id
    }
    /// Unique platform-wide; typed at login.
    pub fn slug(&self) -> &Slug {
        &self.r.slug
    }
    /// Display name.
    pub fn name(&self) -> &CompanyName {
        &self.r.name
    }
    /// When it signed up.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.r.created_at
    }
    /// Profile and settings.
    pub fn settings(&self) -> &TenantSettings {
        &self.r.settings
    }
    /// The superuser's per-tenant quota override.
    pub fn quota_override(&self) -> &QuotaOverride {
        &self.r.quota_override
    }

    /// The tenant from what a store kept.
    pub fn restore(r: TenantRecord) -> Self {
        Self { r }
    }

    /// What a store keeps of it.
    pub fn record(&self) -> TenantRecord {
        self.r.clone()
    }
}

/// A partial update of the tenant profile; `None` leaves a field as it is,
/// `Some(None)` clears an optional one.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct TenantPatch {
    /// New name.
    pub name: Option<CompanyName>,
    /// New primary colour.
    pub primary_color: Option<Option<HexColor>>,
    /// New logo.
    pub logo_url: Option<Option<HttpsUrl>>,
    /// New uploaded logo.
    pub logo_file: Option<Option<crate::ids::FileId>>,
    /// Mail preferences.
    pub notifications: Option<NotificationPrefs>,
    /// Legal name.
    pub legal_name: Option<Option<CompanyName>>,
    /// Country.
    pub country: Option<Option<CountryCode>>,
    /// VAT id.
    pub vat_id: Option<Option<VatId>>,
    /// Billing email.
    pub billing_email: Option<Option<Email>>,
    /// The workspace's default language.
    pub language: Option<Option<Language>>,
    /// The workspace's default time zone.
    pub time_zone: Option<Option<TimeZone>>,
    /// The types of files it accepts (checked by `file::accepted_types`).
    pub file_types: Option<Option<Vec<String>>>,
}

impl TenantPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == TenantPatch::default()
    }

    /// Whether the patch touches billing details (which the payment provider must learn).
    pub fn touches_billing(&self) -> bool {
        self.legal_name.is_some() || self.country.is_some() || self.vat_id.is_some() || self.billing_email.is_some()
    }
}

impl Tenant {
    /// A new tenant: default settings, no quota override.
    pub fn new(id: TenantId, slug: Slug, name: CompanyName, now: DateTime<Utc>) -> Self {
        Self {
            r: TenantRecord {
                id,
                slug,
                name,
                created_at: now,
                settings: TenantSettings::default(),
                quota_override: QuotaOverride::default(),
            },
        }
    }

    /// The superuser's per-tenant quota override, replaced.
    pub fn override_quota(&mut self, quota: QuotaOverride) {
        self.r.quota_override = quota;
    }

    /// A restore into another tenant (a clone) under its own short name.
    pub fn restore_as(&mut self, slug: Slug) {
        self.r.slug = slug;
    }

    /// Applies a patch and returns the names of the fields that changed.
    pub fn apply(&mut self, patch: TenantPatch) -> Vec<&'static str> {
        let mut changed = Vec::new();
        fn set<T: PartialEq>(slot: &mut T, value: Option<T>, name: &'static str, changed: &mut Vec<&'static str>) {
            if let Some(v) = value
                && *slot != v
            {
                *slot = v;
                changed.push(name);
            }
        }
        set(&mut self.r.name, patch.name, "name", &mut changed);
        set(&mut self.r.settings.branding.primary_color, patch.primary_color, "primary_color", &mut changed);
        // A logo given by another address replaces an uploaded one (its file stays among the files).
        let replaced = patch.logo_file.is_none()
            && patch.logo_url.as_ref().is_some_and(|u| *u != self.r.settings.branding.logo_url);
        set(&mut self.r.settings.branding.logo_url, patch.logo_url, "logo_url", &mut changed);
        let logo_file = if replaced { Some(None) } else { patch.logo_file };
        set(&mut self.r.settings.branding.logo_file, logo_file, "logo_file", &mut changed);
        set(&mut self.r.settings.notifications, patch.notifications, "notifications", &mut changed);
        set(&mut self.r.settings.billing.legal_name, patch.legal_name, "legal_name", &mut changed);
        set(&mut self.r.settings.billing.country, patch.country, "country", &mut changed);
        set(&mut self.r.settings.billing.vat_id, patch.vat_id, "vat_id", &mut changed);
        set(&mut self.r.settings.billing.billing_email, patch.billing_email, "billing_email", &mut changed);
        set(&mut self.r.settings.defaults.language, patch.language, "language", &mut changed);
        set(&mut self.r.settings.defaults.time_zone, patch.time_zone, "time_zone", &mut changed);
        set(&mut self.r.settings.file_types, patch.file_types, "file_types", &mut changed);
        changed
    }
}
