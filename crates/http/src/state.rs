//! What every handler shares.

use crate::auth::TokenKeys;
use crate::ratelimit::RateLimits;
use std::sync::Arc;
use tenantry_memory::BillingSimulator;
use tenantry_ports::payment::WebhookVerifier;
use tenantry_ports::system::MailRenderer;
use tenantry_ports::{Clock, Tenantry};

/// The service's state: the use cases, the token keys and the clock tokens are
/// dated with (the same clock the use cases read). One `Arc`: axum clones the
/// state for every request and extractor, which is then one count, not a copy
/// of every field (the public URL's `String` among them). Its parts read and
/// change as fields (`state.tenantry`; a change copies them first if the state
/// is shared — the builders below run before it is).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }
}

/// What [`AppState`] holds.
#[derive(Clone)]
pub struct Shared {
    /// The use cases.
    pub tenantry: Tenantry,
    /// Token signing keys.
    pub keys: TokenKeys,
    /// The service's clock.
    pub clock: Arc<dyn Clock>,
    /// The mail templates (a broadcast's preview shows the mail as it is sent).
    pub mails: Arc<dyn MailRenderer>,
    /// The local billing simulator, whose hosted pages are then served.
    pub simulator: Option<BillingSimulator>,
    /// Per-tenant request rate limits (and the limiter the throttles count with).
    pub limits: Arc<RateLimits>,
    /// The API calls and page views counted in this process, flushed every few seconds.
    pub meter: Arc<crate::meter::Meter>,
    /// Whether requests are metered (`TENANTRY_METERING=off` measures the service without it:
    /// nothing is counted and no monthly allowance is enforced).
    pub metering: bool,
    /// The provider's webhook verifier (Stripe's, when Stripe is the provider).
    pub stripe: Option<Arc<dyn WebhookVerifier>>,
    /// Where browsers reach the service (`TENANTRY_PUBLIC_URL`): the web pages'
    /// return addresses for Stripe's hosted pages start with it.
    pub public_url: Option<String>,
    /// The proxies whose `X-Forwarded-For` names the client (`TENANTRY_TRUSTED_PROXIES`).
    pub proxies: crate::client::TrustedProxies,
    /// The anonymous endpoints' throttles (issue 18).
    pub throttles: Arc<crate::throttle::Throttles>,
    /// The bearer token `/metrics` answers to (`TENANTRY_METRICS_TOKEN`); without
    /// one the main listener does not serve the metrics.
    pub metrics_token: Option<Arc<secrecy::SecretString>>,
}

impl AppState {
    /// The state for a composed [`Tenantry`], whose mails look as `mails` renders them.
    pub fn new(tenantry: Tenantry, keys: TokenKeys, clock: Arc<dyn Clock>, mails: Arc<dyn MailRenderer>) -> Self {
        Self(Arc::new(Shared {
            tenantry,
            keys,
            clock,
            mails,
            simulator: None,
            limits: Arc::new(RateLimits::default()),
            meter: Arc::new(crate::meter::Meter::default()),
            metering: true,
            throttles: Arc::new(crate::throttle::Throttles::default()),
            stripe: None,
            public_url: None,
            proxies: crate::client::TrustedProxies::default(),
            metrics_token: None,
        }))
    }

    /// Counts the tenants' limits and the anonymous throttles with `limiter`
    /// (Redis's, shared by instances, instead of this process's).
    pub fn with_rate_limiter(mut self, limiter: Arc<dyn tenantry_ports::RateLimiter>) -> Self {
        self.limits = Arc::new(RateLimits::new(limiter.clone()));
        self.throttles = Arc::new(crate::throttle::Throttles::new(limiter));
        self
    }

    /// Meters requests (the default) or not (a measurement of its cost).
    pub fn with_metering(mut self, on: bool) -> Self {
        self.metering = on;
        self
    }

    /// Serves `/metrics` to the bearer of this token.
    pub fn with_metrics_token(mut self, token: Option<secrecy::SecretString>) -> Self {
        self.metrics_token = token.map(Arc::new);
        self
    }

    /// Believes `X-Forwarded-For` from these proxies.
    pub fn with_trusted_proxies(mut self, proxies: crate::client::TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// Serves the billing simulator's Checkout and Portal pages (when it is the provider).
    pub fn with_simulator(mut self, simulator: BillingSimulator) -> Self {
        self.simulator = Some(simulator);
        self
    }
}

impl AppState {
    /// Where browsers reach the service (no trailing slash).
    pub fn with_public_url(mut self, url: Option<String>) -> Self {
        self.public_url = url.map(|u| u.trim_end_matches('/').to_owned());
        self
    }

    /// Accepts Stripe's webhooks at `POST /v1/webhooks/stripe` (when Stripe is the provider).
    pub fn with_stripe_webhooks(mut self, webhooks: Arc<dyn WebhookVerifier>) -> Self {
        self.stripe = Some(webhooks);
        self
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("keys", &self.keys).finish_non_exhaustive()
    }
}
