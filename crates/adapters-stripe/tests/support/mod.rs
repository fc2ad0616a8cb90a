//! Shared by the adapter's test binaries.

pub mod fake_stripe;
