//! Stripe's webhooks: the `Stripe-Signature` is verified against the raw body
//! with async-stripe's webhook crate at the time of the [`Clock`] port
//! (tolerance 300 s), then the event is mapped onto a provider-neutral
//! [`BillingEvent`]. The effect and the record of the event id happen in one
//! unit of work in the billing service, so a redelivery has no second effect.
//!
//! Subscription events are not applied from their payload: the subscription
//! is fetched again (with its schedule) and the current state applied, so
//! events delivered out of order never move a subscription backwards.

use crate::StripeProvider;
use crate::convert;
use crate::errors::payment_error;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::Arc;
use stripe::StripeRequest;
use stripe_core::customer::{UpdateCustomer, UpdateCustomerInvoiceSettings};
use stripe_core::setup_intent::RetrieveSetupIntent;
use stripe_webhook::{EventObject, Webhook, WebhookError};
pub use tenantry_ports::payment::WebhookRefusal;
use tenantry_ports::payment::{BillingEvent, BillingEventKind, PaymentError, WebhookVerifier};

/// Verifies and maps Stripe's webhook deliveries.
pub struct StripeWebhooks {
    secret: SecretString,
    provider: Arc<StripeProvider>,
}

impl std::fmt::Debug for StripeWebhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeWebhooks").field("secret", &"[redacted]").finish()
    }
}

impl StripeWebhooks {
    /// Webhooks signed with `secret`, followed up through `provider`.
    pub fn new(secret: SecretString, provider: Arc<StripeProvider>) -> Self {
        Self { secret, provider }
    }

    /// Verifies `payload` against `signature` at `now`, and maps the event.
    /// `Ok(None)`: a valid event tenantry does not handle (acknowledge it).
    pub async fn event(
        &self,
        payload: &str,
        signature: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<BillingEvent>, WebhookRefusal> {
        let signature = signature.ok_or(WebhookRefusal::BadSignature)?;
        let event = match Webhook::construct_event_with_timestamp(
            payload,
            signature,
            self.secret.expose_secret(),
            now.timestamp(),
        ) {
            Ok(event) => event,
            Err(WebhookError::BadParse(reason)) => return Err(WebhookRefusal::Unreadable(reason)),
            Err(_) => return Err(WebhookRefusal::BadSignature),
        };
        let id = event.id.to_string();
        let occurred_at = convert::instant(event.created)?;
        let provider = &self.provider;
        let (customer, kind) = match event.data.object {
            EventObject::CheckoutSessionCompleted(session) => {
                let Some(customer) = session.customer.as_ref().map(|c| c.id().to_string()) else {
                    return Ok(None);
                };
                if let Some(intent) = &session.setup_intent {
                    self.make_default(&customer, intent.id().as_str()).await?;
                }
                (customer, BillingEventKind::PaymentMethodAttached)
            }
            // The same completion seen from the SetupIntent (and a method added
            // in the Customer Portal): whichever arrives first starts the trial;
            // the second finds the method on file and changes nothing.
            EventObject::SetupIntentSucceeded(intent) => {
                let Some(customer) = intent.customer.as_ref().map(|c| c.id().to_string()) else {
                    return Ok(None);
                };
                self.make_default(&customer, intent.id.as_str()).await?;
                (customer, BillingEventKind::PaymentMethodAttached)
            }
            EventObject::CustomerSubscriptionCreated(sub) | EventObject::CustomerSubscriptionUpdated(sub) => {
                let customer = sub.customer.id().to_string();
                match provider.fetch(sub.id.as_str()).await? {
                    Some((current, schedule)) => {
                        let ps = provider.snapshot(&current, schedule.as_ref(), now)?;
                        (customer, BillingEventKind::SubscriptionUpdated(ps))
                    }
                    None => return Ok(None),
                }
            }
            EventObject::CustomerSubscriptionDeleted(sub) => {
                let ps = provider.snapshot(&sub, None, now)?;
                (sub.customer.id().to_string(), BillingEventKind::SubscriptionDeleted(ps))
            }
            EventObject::CustomerSubscriptionTrialWillEnd(sub) => {
                let Some(end) = sub.trial_end else {
                    return Ok(None);
                };
                (sub.customer.id().to_string(), BillingEventKind::TrialWillEnd { trial_end: convert::instant(end)? })
            }
            EventObject::InvoicePaid(inv) => invoice_event(&inv, BillingEventKind::InvoicePaid)?,
            EventObject::InvoicePaymentFailed(inv) => invoice_event(&inv, BillingEventKind::InvoicePaymentFailed)?,
            EventObject::InvoicePaymentActionRequired(inv) => {
                invoice_event(&inv, BillingEventKind::InvoicePaymentActionRequired)?
            }
            _ => return Ok(None),
        };
        Ok(Some(BillingEvent { id, occurred_at, customer, kind }))
    }

    /// Makes the payment method a completed setup-mode Checkout collected the
    /// customer's default for invoices (and so for its subscription).
    async fn make_default(&self, customer: &str, setup_intent: &str) -> Result<(), PaymentError> {
        let client = self.provider.client();
        let intent = RetrieveSetupIntent::new(setup_intent).send(client).await.map_err(payment_error)?;
        let Some(method) = intent.payment_method.as_ref().map(|m| m.id().to_string()) else {
            return Ok(());
        };
        let mut settings = UpdateCustomerInvoiceSettings::new();
        settings.default_payment_method = Some(method);
        UpdateCustomer::new(customer)
            .invoice_settings(settings)
            .metadata(HashMap::from([("tenantry_setup_intent".to_owned(), setup_intent.to_owned())]))
            .customize()
            .request_strategy(crate::catalog::keyed(&format!("tenantry:default-pm:{setup_intent}"))?)
            .send(client)
            .await
            .map_err(payment_error)?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl WebhookVerifier for StripeWebhooks {
    async fn verify(
        &self,
        payload: &str,
        signature: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<BillingEvent>, WebhookRefusal> {
        self.event(payload, signature, now).await
    }
}

fn invoice_event(
    inv: &stripe_shared::Invoice,
    kind: fn(tenantry_ports::payment::Invoice) -> BillingEventKind,
) -> Result<(String, BillingEventKind), WebhookRefusal> {
    let customer = inv
        .customer
        .as_ref()
        .map(|c| c.id().to_string())
        .ok_or_else(|| WebhookRefusal::Unreadable("an invoice without a customer".into()))?;
    Ok((customer, kind(convert::invoice(inv)?)))
}
