//! Contract suites: one per port, as public async functions that any adapter
//! crate runs against its implementation (this crate runs them against the
//! in-memory adapters and the fakes; the PostgreSQL and Stripe crates against
//! theirs), so that implementations cannot drift apart.
//!
//! Each suite returns `Err` with a sentence saying which clause of the port's
//! contract failed. Suites that need tenant scopes get them the way a client
//! does — by signing up through [`crate::Harness`] built on the store under test.

pub mod directory;
pub mod files;
pub mod payment;
pub mod store;
pub mod system;

/// A broken clause of a port's contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("contract broken: {0}")]
pub struct Broken(pub String);

/// `ensure!(cond, "what must hold {}", x)`: returns [`Broken`] when `cond` is false.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err($crate::contract::Broken(format!($($msg)+)));
        }
    };
}

/// Turns any error into a [`Broken`] with context.
pub trait Context<T> {
    /// Adds what was being done.
    fn ctx(self, what: &str) -> Result<T, Broken>;
}

impl<T, E: std::fmt::Display> Context<T> for Result<T, E> {
    fn ctx(self, what: &str) -> Result<T, Broken> {
        self.map_err(|e| Broken(format!("{what}: {e}")))
    }
}

impl<T> Context<T> for Option<T> {
    fn ctx(self, what: &str) -> Result<T, Broken> {
        self.ok_or_else(|| Broken(format!("{what}: nothing there")))
    }
}
