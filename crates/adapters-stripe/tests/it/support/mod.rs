//! Shared by the adapter's test binaries.

#![allow(dead_code, clippy::unwrap_used)] // each test binary uses part of it; test code

pub mod fake_stripe;

use tenantry_stripe::catalog::{PriceIds, PriceKind};

/// The fixtures' price ids (`price_base_month`, `price_seat_year`, ...).
pub fn price_ids() -> PriceIds {
    PriceIds::new(PriceKind::ALL.map(|k| {
        let kind = if matches!(k, PriceKind::Base(_)) { "base" } else { "seat" };
        (k, format!("price_{kind}_{}", k.interval().as_str()))
    }))
    .unwrap()
}
