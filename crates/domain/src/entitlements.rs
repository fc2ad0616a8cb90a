//! Entitlements: which plan includes which feature, and the `upgrade_required`
//! answer that names the plan unlocking a gated feature (DESIGN.md "Entitlements").

use crate::plan::PlanKind;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A named product capability that a plan may or may not include
/// (`custom_roles`, `audit_log`, or a product's own such as `timesheets_export`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Feature(String);

/// Why a feature name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a feature name; use 1 to 64 of a-z, 0-9 and _")]
pub struct FeatureError(pub String);

impl Feature {
    /// Custom roles (premium).
    pub fn custom_roles() -> Self {
        Self("custom_roles".into())
    }
    /// Reading the audit log (premium).
    pub fn audit_log() -> Self {
        Self("audit_log".into())
    }
    /// Machine API keys (premium).
    pub fn api_keys() -> Self {
        Self("api_keys".into())
    }

    /// Checks a feature name.
    pub fn parse(text: &str) -> Result<Self, FeatureError> {
        let t = text.trim();
        let ok = (1..=64).contains(&t.len())
            && t.starts_with(|c: char| c.is_ascii_lowercase())
            && t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok { Ok(Self(t.to_owned())) } else { Err(FeatureError(t.chars().take(70).collect())) }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Feature {
    type Error = FeatureError;
    fn try_from(value: String) -> Result<Self, FeatureError> {
        Self::parse(&value)
    }
}
impl From<Feature> for String {
    fn from(f: Feature) -> String {
        f.0
    }
}
impl fmt::Debug for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Feature({})", self.0)
    }
}
impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A gated feature was used on a plan that lacks it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("`{feature}` is not included in the {current} plan; upgrade to {unlocked_by} to use it")]
pub struct UpgradeRequired {
    /// The feature asked for.
    pub feature: Feature,
    /// The plan the tenant is on.
    pub current: PlanKind,
    /// The plan that includes it.
    pub unlocked_by: PlanKind,
}
