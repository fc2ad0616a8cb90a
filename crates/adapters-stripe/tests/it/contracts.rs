//! The payment provider's contract — the suite the billing simulator keeps
//! (`tenantry_testkit::contract::payment`) — against the Stripe adapter,
//! through the stateful Stripe fake over HTTP: the same customers, trials,
//! conversions, previews, seat changes, refusals and cancellations.

use crate::support::{self, fake_stripe::FakeStripe};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use std::sync::Arc;
use tenantry_domain::{EntityId, PlanCatalog, TenantId};
use tenantry_ports::Clock;
use tenantry_ports::payment::PaymentProvider;
use tenantry_stripe::{StripeConfig, StripeProvider};
use tenantry_testkit::contract::Broken;
use tenantry_testkit::contract::payment::{self, ProviderHarness};
use tenantry_testkit::fakes::FakeClock;
use tenantry_testkit::harness::epoch;
use tenantry_testkit::simulator::TestCard;

/// The adapter on the fake, on a fixed clock; a test card is the fake's
/// default payment method, which succeeds or declines.
struct StripeHarness {
    provider: Arc<StripeProvider>,
    fake: FakeStripe,
    clock: FakeClock,
    _server: wiremock::MockServer,
}

#[async_trait::async_trait]
impl ProviderHarness for StripeHarness {
    fn provider(&self) -> Arc<dyn PaymentProvider> {
        self.provider.clone()
    }
    async fn attach_card(&self, customer: &str, card: TestCard) -> Result<(), Broken> {
        self.fake.attach_card(customer, matches!(card, TestCard::Succeeds));
        Ok(())
    }
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

#[tokio::test]
async fn the_stripe_adapter_keeps_the_payment_provider_contract() {
    let clock = FakeClock::at(epoch());
    let (server, fake) = FakeStripe::start(Arc::new(clock.clone())).await;
    let config = StripeConfig {
        secret_key: SecretString::from("sk_test_contract".to_owned()),
        webhook_secret: SecretString::from("whsec_contract".to_owned()),
        api_base: Some(server.uri()),
        public_url: Some("https://app.example.com".into()),
        automatic_tax: false,
    };
    let provider = Arc::new(
        StripeProvider::with_prices(
            config,
            PlanCatalog::default(),
            support::price_ids(),
            None,
            Arc::new(clock.clone()),
        )
        .unwrap(),
    );
    let tenant = TenantId::from_uuid(tenantry_domain::ids::uuid_v7_from_parts(1, [1; 10])).unwrap();
    payment::run(&StripeHarness { provider, fake, clock, _server: server }, tenant).await.unwrap();
}
