//! Stripe's errors in the port's terms: every failure becomes a typed
//! [`PaymentError`] with a clear message (card declined, confirmation needed,
//! not found, unavailable, refused), never a panic and never the secret key.

use stripe::StripeError;
use stripe_shared::{ApiErrorsCode, ApiErrorsType};
use tenantry_ports::payment::PaymentError;

/// Maps an error of the Stripe client onto the port's error.
pub(crate) fn payment_error(error: StripeError) -> PaymentError {
    match error {
        StripeError::Stripe(api, status) => {
            let message = api.message.clone().unwrap_or_else(|| api.type_.as_str().to_owned());
            match (status, &api.type_, api.code.as_ref()) {
                (_, _, Some(ApiErrorsCode::AuthenticationRequired)) => {
                    PaymentError::ActionRequired { hosted_url: None }
                }
                (402, _, _) | (_, ApiErrorsType::CardError, _) => PaymentError::CardDeclined(message),
                (404, _, _) | (_, _, Some(ApiErrorsCode::ResourceMissing)) => PaymentError::NotFound,
                (429, _, _) | (500..=599, _, _) | (_, ApiErrorsType::ApiError, _) => {
                    PaymentError::Unavailable(anyhow::anyhow!("Stripe answered {status}: {message}"))
                }
                _ => PaymentError::Rejected(message),
            }
        }
        StripeError::ClientError(reason) => {
            PaymentError::Unavailable(anyhow::anyhow!("Stripe could not be reached: {reason}"))
        }
        StripeError::Timeout => PaymentError::Unavailable(anyhow::anyhow!("Stripe did not answer in time")),
        StripeError::JSONDeserialize(reason) => {
            PaymentError::Unknown(anyhow::anyhow!("Stripe's answer could not be read: {reason}"))
        }
        StripeError::ConfigError(reason) => {
            PaymentError::Unknown(anyhow::anyhow!("Stripe client configuration: {reason}"))
        }
    }
}

/// An answer of Stripe that does not have the shape tenantry relies on.
pub(crate) fn unexpected(what: impl std::fmt::Display) -> PaymentError {
    PaymentError::Unknown(anyhow::anyhow!("unexpected answer from Stripe: {what}"))
}
