//! # tenantry-domain
//!
//! The business rules of tenantry as plain types and functions: tenants and their
//! identifiers, users and roles, plans and prices, the subscription state machine,
//! seats, proration, quotas, invitations, audit events and ads.
//!
//! A value of a type in this crate is valid by construction: `Email::parse`,
//! `Slug::parse`, `Seats::new`, `Period::new` refuse bad input with a typed error,
//! and there is no public field a caller could set to nonsense.
//!
//! ## Invariants (stated as absences)
//!
//! - This crate does **no I/O**: no files, no network, no database.
//! - It is **not async** and depends on no async runtime (no tokio, no futures).
//! - It **never reads the clock**: every rule that depends on time takes
//!   `now: DateTime<Utc>` as a parameter (chrono is built without its `clock`
//!   feature, and `clippy.toml` refuses `Utc::now`).
//! - It **never generates randomness or ids**: identifiers and secrets are
//!   produced by ports (`IdGenerator`, `TokenGenerator`) and handed in.
//! - It depends on no sqlx, axum, stripe or tokio, and on no other tenantry crate.
//! - **No floating point** touches money: amounts are `i64` cents and every
//!   rounding is integer arithmetic, written down next to the rule.

pub mod ads;
pub mod api_key;
pub mod audit;
pub mod breached;
pub mod discount;
pub mod downgrade;
pub mod email;
pub mod entitlements;
pub mod export;
pub mod file;
pub mod ids;
pub mod invitation;
pub mod job;
pub mod locale;
pub mod mfa;
pub mod money;
pub mod password;
pub mod password_reset;
pub mod plan;
pub mod preferences;
pub mod proration;
pub mod quota;
pub mod rbac;
pub mod seats;
pub mod session;
pub mod settings;
pub mod slug;
pub mod subscription;
pub mod tenant;
pub mod text;
pub mod time;
pub mod token;
pub mod user;

pub use ads::{AdCampaign, AdDecision, AdFormat, AdTarget};
pub use api_key::{ApiKey, ApiKeyRecord};
pub use audit::{AuditAction, AuditActor, AuditEvent, AuditOutcome, AuditTarget, ProductAction, ProductActionError};
pub use email::Email;
pub use entitlements::{Feature, UpgradeRequired};
pub use ids::{
    ApiKeyId, AuditEventId, CampaignId, CouponId, EntityId, ExportId, FileId, IdError, InvitationId, JobId, MailId,
    PlatformUserId, PromotionCodeId, ResetId, RoleId, SessionId, TenantId, UserId,
};
pub use invitation::{Invitation, InvitationRecord};
pub use money::{Currency, Money};
pub use plan::{PlanCatalog, PlanKind};
pub use rbac::{BuiltinRole, Permission, PermissionSet, Policy, RoleRef};
pub use seats::Seats;
pub use slug::Slug;
pub use subscription::{Subscription, SubscriptionRecord, SubscriptionStatus};
pub use tenant::{Tenant, TenantRecord};
pub use time::{Interval, Period};
pub use user::{User, UserRecord};
