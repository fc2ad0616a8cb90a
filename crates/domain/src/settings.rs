//! The superuser's platform security settings (DESIGN.md "Security" and "Quotas"):
//! the password policy (minimum length, the optional breached-list check), TOTP
//! two-factor authentication the superuser can make mandatory platform-wide or per
//! built-in role, the platform's default quota overrides by plan, and the trial
//! policy (DESIGN.md "Trial start and end": is a payment method taken at signup,
//! and what a trial without one ends in).
//!
//! [`PlatformSettings::default`] gives DESIGN.md's defaults: 12 characters, no
//! breached-list check, no mandatory two-factor, no quota change, a payment
//! method required at signup (a cardless trial, where allowed, ends in freemium). The superuser
//! changes them with a [`SettingsPatch`] through [`PlatformSettings::apply`], which
//! refuses a value out of range with a [`SettingsError`] and changes nothing.
//!
//! Stored settings are read leniently: every struct is `#[serde(default)]`, so JSON
//! written before a field existed still reads, the missing field taking its default.

use crate::breached::BreachedList;
use crate::password::{PasswordError, PasswordPolicy};
use crate::plan::PlanKind;
use crate::quota::{Quota, QuotaOverride};
use crate::rbac::{BuiltinRole, RoleRef};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The lowest minimum password length the superuser may set (NIST SP 800-63B: 8).
pub const MIN_PASSWORD_FLOOR: usize = 8;

/// The highest minimum password length the superuser may set.
pub const MIN_PASSWORD_CEILING: usize = 128;

/// The default minimum password length (DESIGN.md: 12).
pub const DEFAULT_MIN_PASSWORD_CHARS: usize = 12;

/// Why a settings change was refused; names the field. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// `password.min_chars` lies outside [`MIN_PASSWORD_FLOOR`]..=[`MIN_PASSWORD_CEILING`].
    #[error("password.min_chars must lie between {floor} and {ceiling}, not {min}")]
    PasswordLength {
        /// The value asked for.
        min: usize,
        /// The lowest allowed ([`MIN_PASSWORD_FLOOR`]).
        floor: usize,
        /// The highest allowed ([`MIN_PASSWORD_CEILING`]).
        ceiling: usize,
    },
    /// `default_quotas.<plan>.requests_per_minute` is set to 0.
    #[error("default_quotas.{plan}.requests_per_minute must be at least 1 when set")]
    RequestsPerMinute {
        /// The plan whose default override is wrong.
        plan: PlanKind,
    },
    /// `default_quotas.<plan>.active_users` is set to 0.
    #[error("default_quotas.{plan}.active_users must be at least 1 when set")]
    ActiveUsers {
        /// The plan whose default override is wrong.
        plan: PlanKind,
    },
    /// `billing.pre_invoice_warning_days` lies outside 1..=[`PRE_INVOICE_WARNING_DAYS_CEILING`].
    #[error("billing.pre_invoice_warning_days must lie between 1 and {ceiling}, not {days}")]
    WarningDays {
        /// The value asked for.
        days: u32,
        /// The highest allowed.
        ceiling: u32,
    },
    /// A throttle's `burst` or `per_minute` lies outside 1..=[`BUCKET_CEILING`].
    #[error("anonymous_limits.{field}: burst and per_minute must lie between 1 and {ceiling}")]
    Bucket {
        /// The throttle (`per_address`, `per_account`, `cross_tenant`).
        field: &'static str,
        /// The highest allowed ([`BUCKET_CEILING`]).
        ceiling: u32,
    },
}

/// The highest `burst` or `per_minute` of a throttle (test suites raise the
/// limits this far).
pub const BUCKET_CEILING: u32 = 1_000_000;

/// A token bucket: `burst` attempts at once, then `per_minute` more a minute
/// (one every 60/`per_minute` seconds).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    /// Attempts at once.
    pub burst: u32,
    /// Attempts regained a minute.
    pub per_minute: u32,
}

impl Bucket {
    fn valid(&self) -> bool {
        (1..=BUCKET_CEILING).contains(&self.burst) && (1..=BUCKET_CEILING).contains(&self.per_minute)
    }
}

/// The throttles of the endpoints anyone can call (issue 18) — signup, login,
/// the second factor, password reset and its confirmation, e-mail verification,
/// invitation acceptance, on the API and the web — and of cross-tenant attempts.
/// Over a limit: 429 with `Retry-After`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct AnonymousLimits {
    /// Per client address (an IPv4 address, an IPv6 /64): 10 at once, then 6 a minute.
    pub per_address: Bucket,
    /// Per account named (the e-mail and tenant of a login or reset, the
    /// account of a second step): 5 at once, then 3 a minute.
    pub per_account: Bucket,
    /// Per signed-in account reaching for another tenant, before anything is
    /// read or audited: 10 at once, then 10 a minute.
    pub cross_tenant: Bucket,
}

impl Default for AnonymousLimits {
    fn default() -> Self {
        Self {
            per_address: Bucket { burst: 10, per_minute: 6 },
            per_account: Bucket { burst: 5, per_minute: 3 },
            cross_tenant: Bucket { burst: 10, per_minute: 10 },
        }
    }
}

/// The platform's password policy.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PasswordSettings {
    /// Minimum characters of a new password (12; between 8 and 128).
    pub min_chars: usize,
    /// Whether a new password on the shipped list of breached passwords is refused (off).
    pub check_breached: bool,
}

impl Default for PasswordSettings {
    fn default() -> Self {
        Self { min_chars: DEFAULT_MIN_PASSWORD_CHARS, check_breached: false }
    }
}

/// Mandatory TOTP two-factor authentication.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct MfaPolicy {
    /// Every user of every tenant must use two-factor (off).
    pub required_for_all: bool,
    /// Users holding one of these built-in roles must use two-factor (none). A custom
    /// role is covered only by `required_for_all`.
    #[cfg_attr(feature = "openapi", schema(schema_with = builtin_roles_schema))]
    pub required_roles: BTreeSet<BuiltinRole>,
}

impl MfaPolicy {
    /// Whether a user holding `role` must use two-factor: always when
    /// `required_for_all`; otherwise when `role` is a built-in role named in
    /// `required_roles`. A custom role is never named there, so it is covered only by
    /// `required_for_all`.
    pub fn requires(&self, role: RoleRef) -> bool {
        self.required_for_all || matches!(role, RoleRef::Builtin(r) if self.required_roles.contains(&r))
    }
}

/// The platform's default quota override of each paid-or-free plan, applied to the
/// catalog's quota before a tenant's own override. The trial has none: it keeps the
/// catalog's quota.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct DefaultQuotas {
    /// Applied to the freemium quota (no change).
    pub freemium: QuotaOverride,
    /// Applied to the standard quota (no change).
    pub standard: QuotaOverride,
}

impl DefaultQuotas {
    /// The default override of `plan`; `None` for the trial.
    pub fn for_plan(&self, plan: PlanKind) -> Option<&QuotaOverride> {
        match plan {
            PlanKind::Trial => None,
            PlanKind::Freemium => Some(&self.freemium),
            PlanKind::Standard => Some(&self.standard),
        }
    }
}

/// Whether signup takes a payment method before the trial starts.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethodAtSignup {
    /// The new tenant is `pending_payment_method` until a setup Checkout puts a
    /// payment method on file; then its trial starts, and converts at its end.
    #[default]
    Required,
    /// The trial starts at signup without one (a cardless trial).
    Optional,
}

/// What a trial that ends without a payment method (and without "continue
/// free" chosen) becomes.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CardlessTrialEnd {
    /// Freemium (the seat rules of a downgrade apply).
    #[default]
    Freemium,
    /// Suspended, on freemium underneath: the superuser resumes it.
    Suspended,
}

/// The trial policy.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct TrialSettings {
    /// Whether signup takes a payment method before the trial starts (default `required`).
    pub payment_method_at_signup: PaymentMethodAtSignup,
    /// What a trial without a payment method ends in (default `freemium`).
    pub trial_without_payment_method_ends_in: CardlessTrialEnd,
}

/// The highest `billing.pre_invoice_warning_days`.
pub const PRE_INVOICE_WARNING_DAYS_CEILING: u32 = 28;

/// The billing notices.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct BillingNotices {
    /// Days before each invoice (a renewal, a trial's conversion) that the
    /// owners and admins who kept it on get the pre-invoice warning (3; 1 to 28).
    pub pre_invoice_warning_days: u32,
}

impl Default for BillingNotices {
    fn default() -> Self {
        Self { pre_invoice_warning_days: 3 }
    }
}

/// The superuser's platform settings.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PlatformSettings {
    /// The password policy.
    pub password: PasswordSettings,
    /// Mandatory two-factor authentication.
    pub mfa: MfaPolicy,
    /// The default quota overrides by plan.
    pub default_quotas: DefaultQuotas,
    /// The throttles of the anonymous endpoints and of cross-tenant attempts.
    pub anonymous_limits: AnonymousLimits,
    /// The trial policy.
    pub trial: TrialSettings,
    /// The billing notices.
    pub billing: BillingNotices,
}

impl PlatformSettings {
    /// The length rules of new passwords: the settings' minimum, the default maximum.
    ///
    /// A stored minimum outside [`MIN_PASSWORD_FLOOR`]..=[`MIN_PASSWORD_CEILING`]
    /// (which [`apply`](Self::apply) never produces) is clamped into that range.
    pub fn password_policy(&self) -> PasswordPolicy {
        let min_chars = self.password.min_chars.clamp(MIN_PASSWORD_FLOOR, MIN_PASSWORD_CEILING);
        PasswordPolicy { min_chars, ..PasswordPolicy::default() }
    }

    /// Checks a new password: the length rules of [`password_policy`](Self::password_policy),
    /// then, when `check_breached` is on, the shipped list of breached passwords
    /// ([`PasswordError::Breached`]).
    pub fn check_password(&self, password: &SecretString) -> Result<(), PasswordError> {
        self.password_policy().check(password)?;
        if self.password.check_breached && BreachedList::shipped().contains(password) {
            return Err(PasswordError::Breached);
        }
        Ok(())
    }

    /// Whether a user holding `role` must use two-factor authentication: when it is
    /// required for all, or when `role` is a built-in role in `required_roles`.
    /// Custom roles are covered only by `required_for_all`.
    pub fn mfa_required_for(&self, role: RoleRef) -> bool {
        self.mfa.requires(role)
    }

    /// The quota of `plan`: the catalog's `plan_quota` with the platform's default
    /// override of that plan applied (the trial has none). The tenant's own override
    /// is applied after this, by the caller.
    pub fn quota(&self, plan: PlanKind, plan_quota: Quota) -> Quota {
        match self.default_quotas.for_plan(plan) {
            Some(o) => plan_quota.with_override(o),
            None => plan_quota,
        }
    }

    /// Checks every value against its limits; the first one out of range is named.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let min = self.password.min_chars;
        if !(MIN_PASSWORD_FLOOR..=MIN_PASSWORD_CEILING).contains(&min) {
            return Err(SettingsError::PasswordLength {
                min,
                floor: MIN_PASSWORD_FLOOR,
                ceiling: MIN_PASSWORD_CEILING,
            });
        }
        for (plan, o) in
            [(PlanKind::Freemium, &self.default_quotas.freemium), (PlanKind::Standard, &self.default_quotas.standard)]
        {
            if o.requests_per_minute == Some(0) {
                return Err(SettingsError::RequestsPerMinute { plan });
            }
            if o.active_users == Some(0) {
                return Err(SettingsError::ActiveUsers { plan });
            }
        }
        let limits = &self.anonymous_limits;
        for (field, bucket) in [
            ("per_address", limits.per_address),
            ("per_account", limits.per_account),
            ("cross_tenant", limits.cross_tenant),
        ] {
            if !bucket.valid() {
                return Err(SettingsError::Bucket { field, ceiling: BUCKET_CEILING });
            }
        }
        let days = self.billing.pre_invoice_warning_days;
        if !(1..=PRE_INVOICE_WARNING_DAYS_CEILING).contains(&days) {
            return Err(SettingsError::WarningDays { days, ceiling: PRE_INVOICE_WARNING_DAYS_CEILING });
        }
        Ok(())
    }

    /// The settings with `patch` applied, checked by [`validate`](Self::validate).
    /// `self` never changes: on a refusal the caller still holds the old settings.
    pub fn apply(&self, patch: &SettingsPatch) -> Result<PlatformSettings, SettingsError> {
        let mut next = self.clone();
        if let Some(p) = &patch.password {
            if let Some(min_chars) = p.min_chars {
                next.password.min_chars = min_chars;
            }
            if let Some(check_breached) = p.check_breached {
                next.password.check_breached = check_breached;
            }
        }
        if let Some(m) = &patch.mfa {
            if let Some(required_for_all) = m.required_for_all {
                next.mfa.required_for_all = required_for_all;
            }
            if let Some(roles) = &m.required_roles {
                next.mfa.required_roles = roles.clone();
            }
        }
        if let Some(q) = &patch.default_quotas {
            if let Some(freemium) = q.freemium {
                next.default_quotas.freemium = freemium;
            }
            if let Some(standard) = q.standard {
                next.default_quotas.standard = standard;
            }
        }
        if let Some(a) = &patch.anonymous_limits {
            if let Some(b) = a.per_address {
                next.anonymous_limits.per_address = b;
            }
            if let Some(b) = a.per_account {
                next.anonymous_limits.per_account = b;
            }
            if let Some(b) = a.cross_tenant {
                next.anonymous_limits.cross_tenant = b;
            }
        }
        if let Some(t) = &patch.trial {
            if let Some(v) = t.payment_method_at_signup {
                next.trial.payment_method_at_signup = v;
            }
            if let Some(v) = t.trial_without_payment_method_ends_in {
                next.trial.trial_without_payment_method_ends_in = v;
            }
        }
        if let Some(days) = patch.billing.and_then(|b| b.pre_invoice_warning_days) {
            next.billing.pre_invoice_warning_days = days;
        }
        next.validate()?;
        Ok(next)
    }
}

/// A change to the platform settings (`PATCH /v1/admin/settings`): what it names
/// changes, the rest stays. Unknown fields are refused.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    /// Changes to the password policy.
    #[serde(default)]
    pub password: Option<PasswordPatch>,
    /// Changes to mandatory two-factor authentication.
    #[serde(default)]
    pub mfa: Option<MfaPolicyPatch>,
    /// Changes to the default quota overrides.
    #[serde(default)]
    pub default_quotas: Option<DefaultQuotasPatch>,
    /// Changes to the anonymous endpoints' throttles.
    #[serde(default)]
    pub anonymous_limits: Option<AnonymousLimitsPatch>,
    /// Changes to the trial policy.
    #[serde(default)]
    pub trial: Option<TrialPatch>,
    /// Changes to the billing notices.
    #[serde(default)]
    pub billing: Option<BillingNoticesPatch>,
}

/// A change to the billing notices.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BillingNoticesPatch {
    /// 1 to 28.
    #[serde(default)]
    pub pre_invoice_warning_days: Option<u32>,
}

/// A change to the trial policy.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TrialPatch {
    /// `required` or `optional`.
    #[serde(default)]
    pub payment_method_at_signup: Option<PaymentMethodAtSignup>,
    /// `freemium` or `suspended`.
    #[serde(default)]
    pub trial_without_payment_method_ends_in: Option<CardlessTrialEnd>,
}

/// A change to the throttles: a given bucket replaces that throttle's.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AnonymousLimitsPatch {
    /// Per client address.
    #[serde(default)]
    pub per_address: Option<Bucket>,
    /// Per account named.
    #[serde(default)]
    pub per_account: Option<Bucket>,
    /// Per account reaching for another tenant.
    #[serde(default)]
    pub cross_tenant: Option<Bucket>,
}

/// A change to the password policy.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordPatch {
    /// The new minimum length (8 to 128).
    #[serde(default)]
    pub min_chars: Option<usize>,
    /// Turns the breached-list check on or off.
    #[serde(default)]
    pub check_breached: Option<bool>,
}

/// A change to mandatory two-factor authentication.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MfaPolicyPatch {
    /// Requires two-factor of everyone, or stops requiring it of everyone.
    #[serde(default)]
    pub required_for_all: Option<bool>,
    /// Replaces the whole set of built-in roles that require two-factor.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = builtin_roles_schema))]
    pub required_roles: Option<BTreeSet<BuiltinRole>>,
}

/// A change to the default quota overrides: a given override replaces that plan's
/// whole override (`{}` clears it).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DefaultQuotasPatch {
    /// Replaces the freemium override.
    #[serde(default)]
    pub freemium: Option<QuotaOverride>,
    /// Replaces the standard override.
    #[serde(default)]
    pub standard: Option<QuotaOverride>,
}

/// The schema of a set of built-in roles as serde writes it: an array of distinct
/// role names, inline (it does not depend on `BuiltinRole` having a schema).
#[cfg(feature = "openapi")]
fn builtin_roles_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let role =
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(BuiltinRole::ALL.iter().map(|r| r.as_str())));
    ArrayBuilder::new()
        .items(role)
        .unique_items(true)
        .description(Some("Built-in roles (`owner`, `admin`, `manager`, `member`, `viewer`)."))
        .build()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;
    use crate::ids::RoleId;
    use proptest::prelude::*;

    fn secret(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    fn patch(json: serde_json::Value) -> SettingsPatch {
        serde_json::from_value(json).unwrap()
    }

    fn min_chars(n: usize) -> SettingsPatch {
        SettingsPatch {
            password: Some(PasswordPatch { min_chars: Some(n), check_breached: None }),
            ..Default::default()
        }
    }

    #[test]
    fn the_defaults_are_designs() {
        let s = PlatformSettings::default();
        assert_eq!(s.password.min_chars, 12);
        assert!(!s.password.check_breached);
        assert!(!s.mfa.required_for_all);
        assert!(s.mfa.required_roles.is_empty());
        assert_eq!(s.default_quotas, DefaultQuotas::default());
        assert_eq!(s.default_quotas.freemium, QuotaOverride::default());
        assert_eq!(s.password_policy(), PasswordPolicy::default());
        assert_eq!(s.trial.payment_method_at_signup, PaymentMethodAtSignup::Required);
        assert_eq!(s.trial.trial_without_payment_method_ends_in, CardlessTrialEnd::Freemium);
        assert_eq!(s.billing.pre_invoice_warning_days, 3);
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn the_pre_invoice_warning_comes_1_to_28_days_before() {
        let s = PlatformSettings::default();
        for bad in [0, 29] {
            let refused = s.apply(&patch(serde_json::json!({"billing": {"pre_invoice_warning_days": bad}})));
            assert_eq!(refused, Err(SettingsError::WarningDays { days: bad, ceiling: 28 }));
        }
        for good in [1, 28] {
            let next = s.apply(&patch(serde_json::json!({"billing": {"pre_invoice_warning_days": good}}))).unwrap();
            assert_eq!(next.billing.pre_invoice_warning_days, good);
        }
    }

    #[test]
    fn the_trial_policy_is_patched_by_name_and_settings_stored_before_it_read_as_required() {
        let next = PlatformSettings::default()
            .apply(&patch(serde_json::json!({"trial": {"payment_method_at_signup": "optional"}})))
            .unwrap();
        assert_eq!(next.trial.payment_method_at_signup, PaymentMethodAtSignup::Optional);
        assert_eq!(next.trial.trial_without_payment_method_ends_in, CardlessTrialEnd::Freemium, "unnamed: kept");
        let next = next
            .apply(&patch(serde_json::json!({"trial": {"trial_without_payment_method_ends_in": "suspended"}})))
            .unwrap();
        assert_eq!(next.trial.payment_method_at_signup, PaymentMethodAtSignup::Optional);
        assert_eq!(next.trial.trial_without_payment_method_ends_in, CardlessTrialEnd::Suspended);
        let bad = serde_json::from_value::<SettingsPatch>(
            serde_json::json!({"trial": {"payment_method_at_signup": "maybe"}}),
        );
        assert!(bad.is_err());
        let old: PlatformSettings = serde_json::from_value(serde_json::json!({"password": {"min_chars": 14}})).unwrap();
        assert_eq!(old.trial, TrialSettings::default());
    }

    #[test]
    fn the_minimum_length_lies_between_8_and_128() {
        let s = PlatformSettings::default();
        for bad in [0, 7, 129, usize::MAX] {
            assert_eq!(
                s.apply(&min_chars(bad)),
                Err(SettingsError::PasswordLength { min: bad, floor: 8, ceiling: 128 }),
                "{bad}"
            );
        }
        for good in [8, 128] {
            let next = s.apply(&min_chars(good)).unwrap();
            assert_eq!(next.password.min_chars, good);
            assert_eq!(next.password_policy().min_chars, good);
            assert_eq!(next.password_policy().max_chars, PasswordPolicy::default().max_chars);
        }
        let err = s.apply(&min_chars(7)).unwrap_err();
        assert!(err.to_string().contains("password.min_chars"), "{err}");
    }

    #[test]
    fn a_refused_patch_changes_nothing_and_names_the_field() {
        let s = PlatformSettings::default();
        let before = s.clone();
        let bad = patch(serde_json::json!({"password": {"min_chars": 4}, "mfa": {"required_for_all": true}}));
        assert_eq!(s.apply(&bad), Err(SettingsError::PasswordLength { min: 4, floor: 8, ceiling: 128 }));
        assert_eq!(s, before);
        let zero_rpm = patch(serde_json::json!({"default_quotas": {"standard": {"requests_per_minute": 0}}}));
        assert_eq!(s.apply(&zero_rpm), Err(SettingsError::RequestsPerMinute { plan: PlanKind::Standard }));
        let zero_users = patch(serde_json::json!({"default_quotas": {"freemium": {"active_users": 0}}}));
        assert_eq!(s.apply(&zero_users), Err(SettingsError::ActiveUsers { plan: PlanKind::Freemium }));
        assert!(SettingsError::ActiveUsers { plan: PlanKind::Freemium }.to_string().contains("freemium.active_users"));
        assert_eq!(s, before);
    }

    #[test]
    fn a_patch_of_only_mfa_keeps_the_password_settings() {
        let s = PlatformSettings::default().apply(&min_chars(20)).unwrap();
        let s = s.apply(&patch(serde_json::json!({"password": {"check_breached": true}}))).unwrap();
        let next = s.apply(&patch(serde_json::json!({"mfa": {"required_roles": ["owner", "admin"]}}))).unwrap();
        assert_eq!(next.password, PasswordSettings { min_chars: 20, check_breached: true });
        assert_eq!(next.mfa.required_roles, [BuiltinRole::Owner, BuiltinRole::Admin].into_iter().collect());
        assert!(!next.mfa.required_for_all);
        // The role set is replaced as a whole; an empty patch changes nothing.
        let next = next.apply(&patch(serde_json::json!({"mfa": {"required_roles": ["viewer"]}}))).unwrap();
        assert_eq!(next.mfa.required_roles, [BuiltinRole::Viewer].into_iter().collect());
        assert_eq!(next.apply(&SettingsPatch::default()).unwrap(), next);
    }

    #[test]
    fn a_patch_with_an_unknown_field_or_role_is_refused() {
        let read = |v: serde_json::Value| serde_json::from_value::<SettingsPatch>(v).is_err();
        assert!(read(serde_json::json!({"passwords": {}})));
        assert!(read(serde_json::json!({"password": {"max_chars": 20}})));
        assert!(read(serde_json::json!({"mfa": {"required_roles": ["root"]}})));
        assert!(read(serde_json::json!({"default_quotas": {"trial": {}}})));
        assert!(read(serde_json::json!({"password": {"min_chars": -1}})));
    }

    #[test]
    fn a_breached_password_is_refused_only_when_the_check_is_on() {
        let breached = secret("password1234");
        assert!(BreachedList::shipped().contains(&breached), "the example must be on the shipped list");
        let off = PlatformSettings::default();
        assert_eq!(off.check_password(&breached), Ok(()));
        let on = off.apply(&patch(serde_json::json!({"password": {"check_breached": true}}))).unwrap();
        assert_eq!(on.check_password(&breached), Err(PasswordError::Breached));
        assert_eq!(on.check_password(&secret("PassWord1234")), Err(PasswordError::Breached));
        assert!(PasswordError::Breached.to_string().contains("breached"));
        assert_eq!(on.check_password(&secret("correct horse battery staple")), Ok(()));
        // The length rules come first: a short breached password is too short.
        assert_eq!(on.check_password(&secret("password")), Err(PasswordError::TooShort { min: 12 }));
        assert_eq!(on.check_password(&secret(&" ".repeat(20))), Err(PasswordError::Blank));
    }

    #[test]
    fn the_length_rules_follow_the_settings() {
        let s = PlatformSettings::default().apply(&min_chars(20)).unwrap();
        assert_eq!(s.check_password(&secret("a-fine-password-16")), Err(PasswordError::TooShort { min: 20 }));
        assert_eq!(s.check_password(&secret("a-fine-password-is-20")), Ok(()));
        let s = PlatformSettings::default().apply(&min_chars(8)).unwrap();
        assert_eq!(s.check_password(&secret("8 chars!")), Ok(()));
        assert_eq!(s.check_password(&secret(&"x".repeat(1025))), Err(PasswordError::TooLong { max: 1024 }));
    }

    #[test]
    fn a_stored_minimum_out_of_range_is_clamped() {
        let mut s = PlatformSettings::default();
        s.password.min_chars = 0;
        assert_eq!(s.password_policy().min_chars, MIN_PASSWORD_FLOOR);
        s.password.min_chars = 10_000;
        assert_eq!(s.password_policy().min_chars, MIN_PASSWORD_CEILING);
        assert!(s.validate().is_err());
    }

    #[test]
    fn two_factor_is_required_for_all_or_by_builtin_role() {
        let custom = RoleRef::Custom(RoleId::parse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").unwrap());
        let none = PlatformSettings::default();
        assert!(BuiltinRole::ALL.into_iter().all(|r| !none.mfa_required_for(RoleRef::Builtin(r))));
        assert!(!none.mfa_required_for(custom));

        let owners = none.apply(&patch(serde_json::json!({"mfa": {"required_roles": ["owner"]}}))).unwrap();
        assert!(owners.mfa_required_for(RoleRef::OWNER));
        assert!(!owners.mfa_required_for(RoleRef::Builtin(BuiltinRole::Admin)));
        assert!(!owners.mfa_required_for(custom), "a custom role is covered only by required_for_all");

        let all = owners.apply(&patch(serde_json::json!({"mfa": {"required_for_all": true}}))).unwrap();
        assert!(BuiltinRole::ALL.into_iter().all(|r| all.mfa_required_for(RoleRef::Builtin(r))));
        assert!(all.mfa_required_for(custom));
    }

    #[test]
    fn the_platform_default_applies_to_the_plan_quota_and_keeps_unset_fields() {
        let plan_quota =
            Quota { requests_per_minute: 60, api_calls_per_month: 1000, storage_bytes: 100, active_users: None };
        let none = PlatformSettings::default();
        for plan in [PlanKind::Trial, PlanKind::Freemium, PlanKind::Standard] {
            assert_eq!(none.quota(plan, plan_quota), plan_quota);
        }
        let s = none
            .apply(&patch(
                serde_json::json!({"default_quotas": {"freemium": {"requests_per_minute": 30, "active_users": 2}}}),
            ))
            .unwrap();
        assert_eq!(
            s.quota(PlanKind::Freemium, plan_quota),
            Quota { requests_per_minute: 30, api_calls_per_month: 1000, storage_bytes: 100, active_users: Some(2) }
        );
        assert_eq!(s.quota(PlanKind::Standard, plan_quota), plan_quota);
        assert_eq!(s.quota(PlanKind::Trial, plan_quota), plan_quota, "the trial has no platform default");
        // The tenant's own override comes after, by the caller.
        let tenant = QuotaOverride {
            requests_per_minute: None,
            api_calls_per_month: None,
            storage_bytes: Some(500),
            active_users: None,
        };
        assert_eq!(
            s.quota(PlanKind::Freemium, plan_quota).with_override(&tenant),
            Quota { requests_per_minute: 30, api_calls_per_month: 1000, storage_bytes: 500, active_users: Some(2) }
        );
        // A given override replaces the plan's whole override; `{}` clears it.
        let s = s.apply(&patch(serde_json::json!({"default_quotas": {"freemium": {"storage_bytes": 0}}}))).unwrap();
        assert_eq!(s.default_quotas.freemium, QuotaOverride { storage_bytes: Some(0), ..QuotaOverride::default() });
        let s = s.apply(&patch(serde_json::json!({"default_quotas": {"freemium": {}}}))).unwrap();
        assert_eq!(s, PlatformSettings::default());
    }

    #[test]
    fn the_settings_round_trip_and_older_json_reads_with_defaults() {
        let s = PlatformSettings::default()
            .apply(&patch(serde_json::json!({
                "password": {"min_chars": 16, "check_breached": true},
                "mfa": {"required_roles": ["admin", "owner"]},
                "default_quotas": {"standard": {"storage_bytes": 1024}}
            })))
            .unwrap();
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["mfa"]["required_roles"], serde_json::json!(["owner", "admin"]));
        assert_eq!(serde_json::from_value::<PlatformSettings>(json).unwrap(), s);
        assert_eq!(serde_json::from_str::<PlatformSettings>("{}").unwrap(), PlatformSettings::default());
        let older: PlatformSettings = serde_json::from_str(r#"{"password": {"min_chars": 14}}"#).unwrap();
        assert_eq!(older.password, PasswordSettings { min_chars: 14, check_breached: false });
        assert_eq!(older.mfa, MfaPolicy::default());
        let patch_json = serde_json::to_value(SettingsPatch::default()).unwrap();
        assert_eq!(serde_json::from_value::<SettingsPatch>(patch_json).unwrap(), SettingsPatch::default());
    }

    fn quota_override() -> impl Strategy<Value = QuotaOverride> {
        (proptest::option::of(0u32..5), proptest::option::of(any::<u64>()), proptest::option::of(0u32..5)).prop_map(
            |(requests_per_minute, storage_bytes, active_users)| QuotaOverride {
                requests_per_minute,
                api_calls_per_month: None,
                storage_bytes,
                active_users,
            },
        )
    }

    #[test]
    fn the_throttles_default_to_ten_then_six_a_minute_per_address_and_refuse_zero() {
        let d = PlatformSettings::default().anonymous_limits;
        assert_eq!((d.per_address.burst, d.per_address.per_minute), (10, 6));
        assert_eq!((d.per_account.burst, d.per_account.per_minute), (5, 3));
        let zero = SettingsPatch {
            anonymous_limits: Some(AnonymousLimitsPatch {
                per_account: Some(Bucket { burst: 0, per_minute: 1 }),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            PlatformSettings::default().apply(&zero),
            Err(SettingsError::Bucket { field: "per_account", ceiling: BUCKET_CEILING })
        );
        let raised = SettingsPatch {
            anonymous_limits: Some(AnonymousLimitsPatch {
                per_address: Some(Bucket { burst: BUCKET_CEILING, per_minute: BUCKET_CEILING }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let next = PlatformSettings::default().apply(&raised).unwrap();
        assert_eq!(next.anonymous_limits.per_address.burst, BUCKET_CEILING);
        assert_eq!(next.anonymous_limits.per_account, d.per_account, "what the patch does not name stays");
    }

    fn settings_patch() -> impl Strategy<Value = SettingsPatch> {
        let password = proptest::option::of(
            (proptest::option::of(0usize..200), proptest::option::of(any::<bool>()))
                .prop_map(|(min_chars, check_breached)| PasswordPatch { min_chars, check_breached }),
        );
        let roles = proptest::collection::btree_set(proptest::sample::select(BuiltinRole::ALL.to_vec()), 0..=5);
        let mfa = proptest::option::of(
            (proptest::option::of(any::<bool>()), proptest::option::of(roles))
                .prop_map(|(required_for_all, required_roles)| MfaPolicyPatch { required_for_all, required_roles }),
        );
        let quotas = proptest::option::of(
            (proptest::option::of(quota_override()), proptest::option::of(quota_override()))
                .prop_map(|(freemium, standard)| DefaultQuotasPatch { freemium, standard }),
        );
        let bucket = || {
            proptest::option::of(
                (prop_oneof![Just(0u32), 1u32..100, Just(BUCKET_CEILING + 1)], 0u32..100)
                    .prop_map(|(burst, per_minute)| Bucket { burst, per_minute }),
            )
        };
        let limits = proptest::option::of((bucket(), bucket(), bucket()).prop_map(
            |(per_address, per_account, cross_tenant)| AnonymousLimitsPatch { per_address, per_account, cross_tenant },
        ));
        let trial = proptest::option::of(
            (
                proptest::option::of(prop_oneof![
                    Just(PaymentMethodAtSignup::Required),
                    Just(PaymentMethodAtSignup::Optional)
                ]),
                proptest::option::of(prop_oneof![Just(CardlessTrialEnd::Freemium), Just(CardlessTrialEnd::Suspended)]),
            )
                .prop_map(|(payment_method_at_signup, trial_without_payment_method_ends_in)| TrialPatch {
                    payment_method_at_signup,
                    trial_without_payment_method_ends_in,
                }),
        );
        let billing = proptest::option::of(
            proptest::option::of(0u32..40)
                .prop_map(|pre_invoice_warning_days| BillingNoticesPatch { pre_invoice_warning_days }),
        );
        (password, mfa, quotas, limits, trial, billing).prop_map(
            |(password, mfa, default_quotas, anonymous_limits, trial, billing)| SettingsPatch {
                password,
                mfa,
                default_quotas,
                anonymous_limits,
                trial,
                billing,
            },
        )
    }

    proptest! {
        #[test]
        fn applying_patches_yields_valid_settings_or_an_error_and_no_change(
            patches in proptest::collection::vec(settings_patch(), 0..12)
        ) {
            let mut current = PlatformSettings::default();
            for p in &patches {
                let before = current.clone();
                match current.apply(p) {
                    Ok(next) => {
                        prop_assert_eq!(next.validate(), Ok(()));
                        let json = serde_json::to_string(&next).unwrap();
                        prop_assert_eq!(serde_json::from_str::<PlatformSettings>(&json).unwrap(), next.clone());
                        current = next;
                    }
                    Err(_) => prop_assert_eq!(&current, &before),
                }
                prop_assert_eq!(current.validate(), Ok(()));
            }
        }
    }
}
