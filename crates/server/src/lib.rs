//! # tenantry-server
//!
//! The composition root: the `tenantry` binary (`src/main.rs`) reads its
//! configuration, picks the adapters — PostgreSQL or memory, Stripe or the
//! local billing simulator, SMTP or the console — and serves
//! [`tenantry_http::router`] with them. The HTTP library itself depends on the
//! ports only; this crate is the one place that knows every adapter.
//!
//! As a library it offers the embedded default ([`embedded::Embedded`]: in
//! memory, the simulator, the console mailer) and the service's scheduler
//! ([`embedded::spawn_scheduler`]), for a product that embeds tenantry and
//! wants the same parts.

pub mod embedded;
