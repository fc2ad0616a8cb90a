//! Metering (issue 19): every authenticated API request of a tenant (a user's
//! token, an API key, an impersonation) counts one API call for its tenant and
//! month, and every tenant web page a user sees one page view.
//!
//! No database write per request: the counts are aggregated in this process
//! and flushed as atomic increments (`INSERT … ON CONFLICT DO UPDATE SET
//! api_calls = api_calls + n`) every few seconds ([`spawn_meter`]) and once
//! more on a graceful shutdown. A crash loses at most the counts of one flush
//! window. A flush that fails keeps its counts for the next one.
//!
//! The monthly API allowance is enforced here: a call is refused when the
//! calls the store had at the last flush (every instance's, read back by the
//! flush) plus this process's unflushed calls reach the allowance. Each
//! instance sees the others' calls one flush late, so the allowance holds to
//! within (flush interval × instances) of traffic.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tenantry_domain::TenantId;
use tenantry_domain::quota::{ApiCallQuotaExceeded, Quota, check_api_calls};
use tenantry_ports::store::{Month, UsageDelta};
use tenantry_ports::{InfraError, TenantScope, Tenantry};

/// How often the counts are flushed by default.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

/// Failed flushes after which a tenant's counts are dropped (logged and counted).
const MAX_FAILED_FLUSHES: u32 = 12;

#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
struct Counts {
    api_calls: u64,
    page_views: u64,
    failures: u32,
}

#[derive(Default)]
struct State {
    /// Counted, not yet being flushed.
    pending: HashMap<(TenantId, Month), Counts>,
    /// Being flushed now (counted in the allowance until the store has them).
    flushing: HashMap<(TenantId, Month), Counts>,
    /// The month's API calls the store had when last read or flushed.
    stored: HashMap<TenantId, (Month, u64)>,
}

/// The process's meter.
#[derive(Default)]
pub struct Meter {
    state: Mutex<State>,
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Meter")
    }
}

/// What one flush did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flushed {
    /// Tenant-months written.
    pub tenants: usize,
    /// API calls written.
    pub api_calls: u64,
    /// Page views written.
    pub page_views: u64,
    /// Tenant-months whose write failed (kept for the next flush).
    pub failed: usize,
}

impl Meter {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one API call of `scope`'s tenant when the month's allowance has
    /// room; refused, nothing is counted. `enforce: false` counts without
    /// refusing (a support session must reach a tenant that used up its calls).
    pub async fn api_call(
        &self,
        tenantry: &Tenantry,
        scope: &TenantScope,
        quota: &Quota,
        enforce: bool,
    ) -> Result<(), MeterError> {
        let now = tenantry.now();
        let month = Month::of(now);
        let tenant = scope.tenant_id();
        let known = self.lock().stored.get(&tenant).filter(|(m, _)| *m == month).is_some();
        if !known {
            // The first call of a tenant (or of a month) in this process reads the store once.
            let (read_month, calls) = tenantry.api_calls_this_month(scope).await?;
            if read_month == month {
                self.lock()
                    .stored
                    .entry(tenant)
                    .and_modify(|e| *e = (*e).max((month, calls)))
                    .or_insert((month, calls));
            }
        }
        let mut state = self.lock();
        let stored = state.stored.get(&tenant).filter(|(m, _)| *m == month).map_or(0, |(_, n)| *n);
        let key = (tenant, month);
        let local =
            state.pending.get(&key).map_or(0, |c| c.api_calls) + state.flushing.get(&key).map_or(0, |c| c.api_calls);
        if enforce {
            check_api_calls(quota, stored.saturating_add(local), now).map_err(|e| {
                let wait = (e.resets_at - now).num_seconds().max(1);
                MeterError::Exceeded { retry_after: u64::try_from(wait).unwrap_or(1), exceeded: e }
            })?;
        }
        state.pending.entry(key).or_default().api_calls += 1;
        Ok(())
    }

    /// Counts one web page view of `tenant`.
    pub fn page_view(&self, tenant: TenantId, month: Month) {
        self.lock().pending.entry((tenant, month)).or_default().page_views += 1;
    }

    /// The counts not yet in the store (tests and the shutdown log).
    pub fn unflushed(&self) -> (u64, u64) {
        let state = self.lock();
        state
            .pending
            .values()
            .chain(state.flushing.values())
            .fold((0, 0), |(a, p), c| (a + c.api_calls, p + c.page_views))
    }

    /// Writes what was counted: one atomic increment per tenant and month.
    pub async fn flush(&self, tenantry: &Tenantry) -> Flushed {
        let batch: Vec<((TenantId, Month), Counts)> = {
            let mut state = self.lock();
            let taken = std::mem::take(&mut state.pending);
            for (key, counts) in &taken {
                merge(state.flushing.entry(*key).or_default(), *counts);
            }
            taken.into_iter().collect()
        };
        let mut report = Flushed::default();
        for ((tenant, month), counts) in batch {
            let delta = UsageDelta { api_calls: counts.api_calls, page_views: counts.page_views, logins: 0 };
            let written = tenantry.add_metered_usage(tenant, month, delta).await;
            let mut state = self.lock();
            if let Some(f) = state.flushing.get_mut(&(tenant, month)) {
                f.api_calls = f.api_calls.saturating_sub(counts.api_calls);
                f.page_views = f.page_views.saturating_sub(counts.page_views);
                if f.api_calls == 0 && f.page_views == 0 {
                    state.flushing.remove(&(tenant, month));
                }
            }
            match written {
                Ok(totals) => {
                    report.tenants += 1;
                    report.api_calls += counts.api_calls;
                    report.page_views += counts.page_views;
                    let newer = state.stored.get(&tenant).is_none_or(|(m, _)| *m <= month);
                    if newer {
                        state.stored.insert(tenant, (month, totals.api_calls));
                    }
                }
                Err(e) => {
                    report.failed += 1;
                    let failures = counts.failures + 1;
                    if failures >= MAX_FAILED_FLUSHES {
                        tracing::error!(
                            %tenant, api_calls = counts.api_calls, page_views = counts.page_views, error = %e,
                            "metered usage dropped after repeated failed flushes"
                        );
                        metrics::counter!("tenantry_meter_dropped_total")
                            .increment(counts.api_calls + counts.page_views);
                    } else {
                        tracing::warn!(%tenant, error = %e, "metered usage not flushed; kept for the next flush");
                        merge(state.pending.entry((tenant, month)).or_default(), Counts { failures, ..counts });
                    }
                }
            }
        }
        if report.api_calls + report.page_views > 0 {
            metrics::counter!("tenantry_metered_api_calls_total").increment(report.api_calls);
            metrics::counter!("tenantry_metered_page_views_total").increment(report.page_views);
        }
        report
    }
}

fn merge(into: &mut Counts, more: Counts) {
    into.api_calls = into.api_calls.saturating_add(more.api_calls);
    into.page_views = into.page_views.saturating_add(more.page_views);
    into.failures = into.failures.max(more.failures);
}

/// Why a call was not counted.
#[derive(Debug, thiserror::Error)]
pub enum MeterError {
    /// The month's allowance is used up.
    #[error("{exceeded}")]
    Exceeded {
        /// What was exceeded.
        exceeded: ApiCallQuotaExceeded,
        /// Seconds until the allowance is back.
        retry_after: u64,
    },
    /// The store could not be read.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Flushes `meter` every `every` until the handle is aborted; call
/// [`Meter::flush`] once more after the server stopped (the binary does).
pub fn spawn_meter(tenantry: Tenantry, meter: Arc<Meter>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            meter.flush(&tenantry).await;
        }
    })
}

impl From<MeterError> for crate::problem::ApiError {
    fn from(e: MeterError) -> Self {
        match e {
            MeterError::Exceeded { exceeded, retry_after } => crate::problem::ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "quota_exceeded",
                exceeded.to_string(),
            )
            .retry_after(retry_after)
            .with_quota("api_calls_per_month", exceeded.resets_at),
            MeterError::Infra(e) => e.into(),
        }
    }
}
