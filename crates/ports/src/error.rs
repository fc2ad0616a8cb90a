//! Errors shared by ports and services, and the [`Problem`] trait that gives
//! every use-case error a stable `code` and an [`ErrorKind`] (the HTTP layer maps
//! kinds to status codes in one place).

/// A uniqueness rule a store enforces (unique index in SQL, a check in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Constraint {
    /// Tenant slugs are unique platform-wide.
    TenantSlug,
    /// User emails are unique within a tenant.
    UserEmail,
    /// Custom role names are unique within a tenant (case-insensitively).
    RoleName,
    /// A billing customer belongs to one tenant.
    BillingCustomer,
    /// Superuser emails are unique.
    SuperuserEmail,
    /// The row already exists (same primary key).
    PrimaryKey,
    /// Promotion code texts are unique platform-wide.
    PromotionCode,
    /// A user or invitation refers to a custom role of the tenant: the role
    /// must exist, and a role still referred to cannot be deleted.
    RoleReference,
}

/// What a store port can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write; nothing was written.
    #[error("conflict on {0:?}")]
    Conflict(Constraint),
    /// An update or delete named a row that does not exist in the scope.
    #[error("not found")]
    NotFound,
    /// The store could not be reached or the transaction was aborted by a
    /// serialisation failure; the unit of work was rolled back; retrying is safe.
    #[error("the store is temporarily unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// Rows given to the store do not fit it (a backup's table or column that
    /// this schema does not have, or rows of another kind of store); nothing was written.
    #[error("the rows do not fit this store: {0}")]
    Incompatible(String),
    /// Anything else; the unit of work was rolled back.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// An infrastructure failure inside a use case: nothing the caller did wrong.
#[derive(Debug, thiserror::Error)]
pub enum InfraError {
    /// Retry later (store or provider unavailable); nothing was changed.
    #[error("temporarily unavailable, nothing was changed; retry: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// A bug or an unexpected state; nothing was changed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl From<StoreError> for InfraError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(e) => InfraError::Unavailable(e),
            StoreError::Unknown(e) => InfraError::Unknown(e),
            StoreError::Incompatible(what) => InfraError::Unknown(anyhow::anyhow!("incompatible rows: {what}")),
            // A conflict or a missing row the use case did not expect is a race
            // with another unit of work (its own checks passed); nothing was
            // written, and a retry checks again and gets the typed answer.
            other => InfraError::Unavailable(anyhow::anyhow!("a concurrent change interfered ({other}); retry")),
        }
    }
}

/// How a client should read an error (the HTTP layer's status mapping).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The input is invalid (422).
    Invalid,
    /// No or stale credentials (401).
    Unauthenticated,
    /// Authenticated but not allowed (403).
    Forbidden,
    /// Missing, or of another tenant (404: no existence oracle).
    NotFound,
    /// The request conflicts with the current state (409).
    Conflict,
    /// A gated feature; the error names the plan that unlocks it (403).
    UpgradeRequired,
    /// A payment is needed or failed (402).
    PaymentRequired,
    /// The state allows it later or never (e.g. a stale preview) (409/410).
    Gone,
    /// Rate or quota exceeded (429).
    QuotaExceeded,
    /// More bytes than may be stored: an upload's size limit or the storage quota (413).
    TooLarge,
    /// A file of a type that is not accepted (415).
    UnsupportedType,
    /// Retry later (503).
    Unavailable,
    /// A bug (500).
    Internal,
}

/// Implemented by every use-case error: a stable machine code and a kind.
pub trait Problem: std::error::Error {
    /// Stable, documented, snake_case (`seat_limit_reached`, `upgrade_required`).
    fn code(&self) -> &'static str;
    /// How to read it.
    fn kind(&self) -> ErrorKind;
}

/// Implements [`Problem`] for a use-case error, one line per variant: its
/// pattern, then its code and kind — `("seat_limit_reached", Conflict)` — or
/// `(via e)` to take both from the error it wraps. Both matches are exhaustive
/// and have no wildcard arm, so a new variant does not compile until it has
/// its own line (and never becomes a generic refusal by accident).
#[macro_export]
macro_rules! problem {
    ($ty:ty { $($pat:pat => $arm:tt),+ $(,)? }) => {
        impl $crate::error::Problem for $ty {
            fn code(&self) -> &'static str {
                match self { $($pat => $crate::problem!(@code $arm)),+ }
            }
            fn kind(&self) -> $crate::error::ErrorKind {
                match self { $($pat => $crate::problem!(@kind $arm)),+ }
            }
        }
    };
    (@code ($code:literal, $kind:ident)) => { $code };
    (@kind ($code:literal, $kind:ident)) => { $crate::error::ErrorKind::$kind };
    (@code (via $e:ident)) => { $crate::error::Problem::code($e) };
    (@kind (via $e:ident)) => { $crate::error::Problem::kind($e) };
}

/// A boxed use-case error keeps its code and kind.
impl<T: Problem> Problem for Box<T> {
    fn code(&self) -> &'static str {
        (**self).code()
    }
    fn kind(&self) -> ErrorKind {
        (**self).kind()
    }
}

crate::problem!(InfraError {
    InfraError::Unavailable(_) => ("temporarily_unavailable", Unavailable),
    InfraError::Unknown(_) => ("internal_error", Internal),
});
