//! The Stripe side of the plan catalog: one product, four prices found by their
//! `lookup_key` (base and extra seat, monthly and yearly), and the Customer
//! Portal configuration limited to payment methods and invoices.
//!
//! [`sync_catalog`] creates or updates them idempotently: a price whose amount,
//! currency, interval or product differs from the catalog is replaced by a new
//! price that takes over the lookup key (`transfer_lookup_key`); Stripe prices
//! are immutable, and existing subscriptions keep their old price until changed.

use crate::errors::{payment_error, unexpected};
use std::collections::HashMap;
use std::str::FromStr;
use stripe::{Client, StripeRequest};
use stripe_billing::billing_portal_configuration::{
    CreateBillingPortalConfiguration, CreateBillingPortalConfigurationFeatures, InvoiceListParam,
    ListBillingPortalConfiguration, PaymentMethodUpdateParam,
};
use stripe_product::price::{CreatePrice, CreatePriceRecurring, CreatePriceRecurringInterval, ListPrice};
use stripe_product::product::{CreateProduct, RetrieveProduct};
use stripe_shared::{Price, PriceTaxBehavior, RecurringInterval};
use tenantry_domain::plan::PlanCatalog;
use tenantry_domain::{Interval, Money};
use tenantry_ports::payment::PaymentError;

/// The product every price belongs to.
pub const PRODUCT_ID: &str = "prod_tenantry_standard";
/// The metadata that marks tenantry's Customer Portal configuration.
pub const PORTAL_MARKER: (&str, &str) = ("tenantry", "portal-v1");

/// Which of the four prices.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum PriceKind {
    /// The base price (quantity 1, includes the included seats).
    Base(Interval),
    /// The extra-seat price.
    Seat(Interval),
}

impl PriceKind {
    /// All four.
    pub const ALL: [PriceKind; 4] = [
        PriceKind::Base(Interval::Month),
        PriceKind::Seat(Interval::Month),
        PriceKind::Base(Interval::Year),
        PriceKind::Seat(Interval::Year),
    ];

    /// The price's `lookup_key` (`tenantry_base_month`, `tenantry_seat_year`, ...).
    pub fn lookup_key(self) -> String {
        match self {
            PriceKind::Base(i) => format!("tenantry_base_{}", i.as_str()),
            PriceKind::Seat(i) => format!("tenantry_seat_{}", i.as_str()),
        }
    }

    /// The interval.
    pub fn interval(self) -> Interval {
        match self {
            PriceKind::Base(i) | PriceKind::Seat(i) => i,
        }
    }

    /// The amount per period the catalog sets.
    pub fn amount(self, catalog: &PlanCatalog) -> Money {
        match self {
            PriceKind::Base(i) => catalog.prices(i).base,
            PriceKind::Seat(i) => catalog.prices(i).extra_seat,
        }
    }
}

/// The Stripe price ids of the catalog.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PriceIds {
    ids: HashMap<PriceKind, String>,
}

impl PriceIds {
    /// From explicit ids (tests, or prices created by hand).
    pub fn new(ids: impl IntoIterator<Item = (PriceKind, String)>) -> Result<Self, PaymentError> {
        let ids: HashMap<_, _> = ids.into_iter().collect();
        match PriceKind::ALL.iter().find(|k| !ids.contains_key(k)) {
            Some(missing) => Err(PaymentError::Rejected(format!(
                "the Stripe price `{}` is missing; run `tenantry stripe sync-catalog`",
                missing.lookup_key()
            ))),
            None => Ok(Self { ids }),
        }
    }

    /// The id of one price.
    pub fn id(&self, kind: PriceKind) -> &str {
        self.ids.get(&kind).map_or("", String::as_str)
    }

    /// Which price an id is, if it is one of the catalog's.
    pub fn kind_of(&self, price_id: &str) -> Option<PriceKind> {
        self.ids.iter().find(|(_, id)| id.as_str() == price_id).map(|(k, _)| *k)
    }

    /// Finds the four prices by lookup key.
    pub async fn load(client: &Client) -> Result<Self, PaymentError> {
        let found = active_prices(client).await?;
        Self::new(found.into_iter().map(|(kind, price)| (kind, price.id.to_string())))
    }
}

/// What [`sync_catalog`] did.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct SyncReport {
    /// Whether the product was created.
    pub product_created: bool,
    /// Lookup keys of prices created (new, or replacing a price that differed).
    pub prices_created: Vec<String>,
    /// Lookup keys of prices that were already right.
    pub prices_kept: Vec<String>,
    /// Whether the portal configuration was created.
    pub portal_created: bool,
    /// The price ids now in force.
    pub prices: Vec<(String, String)>,
}

/// Creates or updates the product, the four prices and the portal configuration
/// so that Stripe matches `catalog`. Running it twice changes nothing the second time.
pub async fn sync_catalog(client: &Client, catalog: &PlanCatalog) -> Result<SyncReport, PaymentError> {
    let mut report = SyncReport::default();
    match RetrieveProduct::new(PRODUCT_ID).send(client).await {
        Ok(_) => {}
        Err(e) => match payment_error(e) {
            PaymentError::NotFound => {
                CreateProduct::new("tenantry standard")
                    .id(PRODUCT_ID)
                    .description("tenantry's standard plan: a base price with included seats, and extra seats")
                    .customize()
                    .request_strategy(keyed(&format!("tenantry:product:{PRODUCT_ID}"))?)
                    .send(client)
                    .await
                    .map_err(payment_error)?;
                report.product_created = true;
            }
            other => return Err(other),
        },
    }
    let existing = active_prices(client).await?;
    let currency = currency(catalog)?;
    for kind in PriceKind::ALL {
        let key = kind.lookup_key();
        let amount = kind.amount(catalog).cents();
        let right = existing.get(&kind).is_some_and(|p| {
            p.unit_amount == Some(amount)
                && p.currency == currency
                && p.product.id().as_str() == PRODUCT_ID
                && p.recurring.as_ref().is_some_and(|r| same_interval(&r.interval, kind.interval()))
        });
        let id = match existing.get(&kind) {
            Some(p) if right => {
                report.prices_kept.push(key.clone());
                p.id.to_string()
            }
            _ => {
                let interval = match kind.interval() {
                    Interval::Month => CreatePriceRecurringInterval::Month,
                    Interval::Year => CreatePriceRecurringInterval::Year,
                };
                let created = CreatePrice::new(currency.clone())
                    .product(PRODUCT_ID)
                    .unit_amount(amount)
                    .recurring(CreatePriceRecurring::new(interval))
                    .tax_behavior(PriceTaxBehavior::Exclusive)
                    .lookup_key(key.clone())
                    .transfer_lookup_key(true)
                    .nickname(key.clone())
                    .customize()
                    .request_strategy(keyed(&format!("tenantry:price:{key}:{amount}:{currency}"))?)
                    .send(client)
                    .await
                    .map_err(payment_error)?;
                report.prices_created.push(key.clone());
                created.id.to_string()
            }
        };
        report.prices.push((key, id));
    }
    if portal_configuration(client).await?.is_none() {
        let features = CreateBillingPortalConfigurationFeatures {
            invoice_history: Some(InvoiceListParam::new(true)),
            payment_method_update: Some(PaymentMethodUpdateParam::new(true)),
            ..CreateBillingPortalConfigurationFeatures::new()
        };
        CreateBillingPortalConfiguration::new(features)
            .metadata(HashMap::from([(PORTAL_MARKER.0.to_owned(), PORTAL_MARKER.1.to_owned())]))
            .customize()
            .request_strategy(keyed(&format!("tenantry:{}", PORTAL_MARKER.1))?)
            .send(client)
            .await
            .map_err(payment_error)?;
        report.portal_created = true;
    }
    Ok(report)
}

/// The events tenantry handles; the webhook endpoint subscribes to these.
pub const WEBHOOK_EVENTS: [&str; 9] = [
    "checkout.session.completed",
    "setup_intent.succeeded",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.trial_will_end",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.payment_action_required",
];

/// What [`sync_webhook_endpoint`] found or did.
#[derive(Debug)]
pub enum EndpointSync {
    /// Created: its signing secret is shown this once (set it as STRIPE_WEBHOOK_SECRET).
    Created {
        /// The endpoint id.
        id: String,
        /// The signing secret.
        secret: secrecy::SecretString,
    },
    /// It exists with the pinned API version and every event.
    Kept {
        /// The endpoint id.
        id: String,
    },
    /// It existed with the pinned API version but lacked events (a tenantry
    /// upgrade handles more): its event list was replaced by [`WEBHOOK_EVENTS`].
    Updated {
        /// The endpoint id.
        id: String,
        /// The events it gained.
        added: Vec<String>,
    },
}

/// Makes sure a webhook endpoint at `url` exists, pinned to the API version
/// async-stripe rc.10 is generated for and subscribed to [`WEBHOOK_EVENTS`].
/// An endpoint at that url with fewer events gets them (its list is
/// updated); one with another version is refused with the fix (Stripe cannot
/// change an endpoint's version: delete it, rerun).
pub async fn sync_webhook_endpoint(client: &Client, url: &str) -> Result<EndpointSync, PaymentError> {
    use stripe_misc::webhook_endpoint::{
        CreateWebhookEndpoint, CreateWebhookEndpointEnabledEvents, ListWebhookEndpoint, UpdateWebhookEndpoint,
        UpdateWebhookEndpointEnabledEvents,
    };
    let version = stripe_shared::version::VERSION;
    let list = ListWebhookEndpoint::new().limit(100).send(client).await.map_err(payment_error)?;
    if let Some(found) = list.data.iter().find(|e| e.url == url) {
        let pinned = found.api_version.as_deref() == Some(version.as_str());
        if !pinned {
            return Err(PaymentError::Rejected(format!(
                "the webhook endpoint {} ({url}) has API version {}; tenantry needs {}: \
                 delete it in Stripe's dashboard and run sync-catalog again",
                found.id,
                found.api_version.as_deref().unwrap_or("(account default)"),
                version.as_str(),
            )));
        }
        let missing: Vec<String> = WEBHOOK_EVENTS
            .iter()
            .filter(|e| !found.enabled_events.iter().any(|f| f == *e || f == "*"))
            .map(|e| (*e).to_owned())
            .collect();
        if missing.is_empty() {
            return Ok(EndpointSync::Kept { id: found.id.to_string() });
        }
        let events = WEBHOOK_EVENTS
            .iter()
            .map(|e| UpdateWebhookEndpointEnabledEvents::from_str(e).map_err(|_| unexpected(format!("event {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let updated = UpdateWebhookEndpoint::new(found.id.clone())
            .enabled_events(events)
            .customize()
            .request_strategy(keyed(&format!("tenantry:webhook-events:{}:{}", found.id, WEBHOOK_EVENTS.len()))?)
            .send(client)
            .await
            .map_err(payment_error)?;
        return Ok(EndpointSync::Updated { id: updated.id.to_string(), added: missing });
    }
    let events = WEBHOOK_EVENTS
        .iter()
        .map(|e| CreateWebhookEndpointEnabledEvents::from_str(e).map_err(|_| unexpected(format!("event {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let created = CreateWebhookEndpoint::new(events, url)
        .api_version(version.clone())
        .description("tenantry billing")
        .customize()
        .request_strategy(keyed(&format!("tenantry:webhook-endpoint:{url}:{}", version.as_str()))?)
        .send(client)
        .await
        .map_err(payment_error)?;
    let secret = created.secret.clone().ok_or_else(|| unexpected("a new webhook endpoint without its secret"))?;
    Ok(EndpointSync::Created { id: created.id.to_string(), secret: secrecy::SecretString::from(secret) })
}

/// The id of tenantry's portal configuration, if it exists.
pub(crate) async fn portal_configuration(client: &Client) -> Result<Option<String>, PaymentError> {
    let list =
        ListBillingPortalConfiguration::new().active(true).limit(100).send(client).await.map_err(payment_error)?;
    Ok(list
        .data
        .into_iter()
        .find(|c| c.metadata.as_ref().and_then(|m| m.get(PORTAL_MARKER.0)).is_some_and(|v| v == PORTAL_MARKER.1))
        .map(|c| c.id.to_string()))
}

/// A fixed idempotency key: a retried creation within Stripe's 24 hours answers
/// the first creation instead of making a second object.
pub(crate) fn keyed(key: &str) -> Result<stripe::RequestStrategy, PaymentError> {
    crate::key_strategy(&tenantry_ports::payment::IdempotencyKey(key.to_owned()))
}

/// The catalog's currency in Stripe's terms.
pub(crate) fn currency(catalog: &PlanCatalog) -> Result<stripe_types::Currency, PaymentError> {
    stripe_types::Currency::from_str(&catalog.currency.as_str().to_ascii_lowercase())
        .map_err(|_| unexpected(format!("currency {} unknown to Stripe", catalog.currency)))
}

fn same_interval(stripe: &RecurringInterval, ours: Interval) -> bool {
    matches!((stripe, ours), (RecurringInterval::Month, Interval::Month) | (RecurringInterval::Year, Interval::Year))
}

async fn active_prices(client: &Client) -> Result<HashMap<PriceKind, Price>, PaymentError> {
    let keys: Vec<String> = PriceKind::ALL.iter().map(|k| k.lookup_key()).collect();
    let list = ListPrice::new().active(true).lookup_keys(keys).limit(10).send(client).await.map_err(payment_error)?;
    Ok(list
        .data
        .into_iter()
        .filter_map(|p| {
            let kind = PriceKind::ALL.into_iter().find(|k| p.lookup_key.as_deref() == Some(k.lookup_key().as_str()))?;
            Some((kind, p))
        })
        .collect())
}
