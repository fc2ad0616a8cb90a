//! Cross-tenant attempts, aggregated (issue 18). Every attempt of a signed-in
//! account at another tenant is refused with `NotFound` and audited in the
//! account's own tenant log and the platform log (DESIGN.md wall 3) — but a
//! flood of them must not become a flood of writes: the first attempt of an
//! account at a tenant in a minute is written at once; the ones after it in
//! that minute are counted, and written as one event (`repeated: n`, the last
//! one's time) when the minute is over — at the next attempt, or when the
//! scheduler's tick calls [`Tenantry::flush_cross_tenant_attempts`].
//!
//! The counts live in this process: a crash loses at most one minute's count
//! (never the first attempt, which is written before the answer).

use super::Tenantry;
use crate::error::InfraError;
use crate::scope::{Actor, TenantScope};
use crate::store::Access;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use tenantry_domain::audit::AuditTarget;
use tenantry_domain::rbac::PermissionSet;
use tenantry_domain::{AuditAction, AuditActor, AuditEvent, AuditOutcome, TenantId};

/// How long repeated attempts are counted before they are written.
pub const WINDOW_SECONDS: i64 = 60;

/// Keys counted at most (beyond it, a new key's first attempt is still
/// written, and the oldest windows are written out first).
const KEYS_KEPT: usize = 10_000;

/// Who tried from which tenant at which other tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    own: TenantId,
    actor: AuditActor,
    target: TenantId,
}

/// A minute of one key's attempts: those after the first, not yet written.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    started: DateTime<Utc>,
    actor: Actor,
    repeated: u32,
    last_at: DateTime<Utc>,
}

/// The counted attempts of this process.
pub(crate) type Attempts = std::sync::Mutex<HashMap<Key, Window>>;

impl Tenantry {
    /// Records one attempt of `actor` (of tenant `own`) at tenant `target`:
    /// written at once when it is the first in its minute, counted otherwise.
    pub(crate) async fn record_cross_tenant_attempt(&self, own: TenantId, actor: Actor, target: TenantId) {
        let now = self.now();
        let key = Key { own, actor: actor.audit(), target };
        let (write_now, ended) = {
            let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
            let mut ended = Vec::new();
            let write_now = match attempts.get_mut(&key) {
                Some(w) if now - w.started < Duration::seconds(WINDOW_SECONDS) => {
                    w.repeated = w.repeated.saturating_add(1);
                    w.last_at = now;
                    false
                }
                _ => {
                    if let Some(old) = attempts.remove(&key) {
                        ended.push((key, old));
                    }
                    if attempts.len() >= KEYS_KEPT {
                        ended.extend(Self::take_oldest(&mut attempts, KEYS_KEPT / 10));
                    }
                    attempts.insert(key, Window { started: now, actor, repeated: 0, last_at: now });
                    true
                }
            };
            (write_now, ended)
        };
        for (key, window) in ended {
            self.write_repeated(key, window).await;
        }
        if write_now {
            self.write_attempt(key, actor, None).await;
        }
    }

    /// Writes the counts of every minute that is over (the scheduler's tick
    /// calls it; so may an embedder's). Answers how many events were written.
    pub async fn flush_cross_tenant_attempts(&self) -> usize {
        let now = self.now();
        let ended: Vec<(Key, Window)> = {
            let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
            let over: Vec<Key> = attempts
                .iter()
                .filter(|(_, w)| now - w.started >= Duration::seconds(WINDOW_SECONDS))
                .map(|(k, _)| *k)
                .collect();
            over.into_iter().filter_map(|k| attempts.remove(&k).map(|w| (k, w))).collect()
        };
        let mut written = 0;
        for (key, window) in ended {
            if window.repeated > 0 {
                self.write_repeated(key, window).await;
                written += 1;
            }
        }
        written
    }

    fn take_oldest(attempts: &mut HashMap<Key, Window>, n: usize) -> Vec<(Key, Window)> {
        let mut by_age: Vec<(Key, DateTime<Utc>)> = attempts.iter().map(|(k, w)| (*k, w.started)).collect();
        by_age.sort_by_key(|(_, started)| *started);
        by_age.into_iter().take(n).filter_map(|(k, _)| attempts.remove(&k).map(|w| (k, w))).collect()
    }

    async fn write_repeated(&self, key: Key, window: Window) {
        if window.repeated > 0 {
            self.write_attempt(key, window.actor, Some((window.repeated, window.last_at))).await;
        }
    }

    /// One event in the account's tenant log and its copy, naming the target,
    /// in the platform log; `repeated`: the count and the last time of the
    /// attempts it stands for.
    async fn write_attempt(&self, key: Key, actor: Actor, repeated: Option<(u32, DateTime<Utc>)>) {
        let result: Result<(), InfraError> = async {
            let scope = TenantScope::new(key.own, actor, PermissionSet::EMPTY);
            // The user's own tenant learns that one of its users tried; which tenant they
            // aimed at (an id of another tenant) goes only to the platform log.
            let mut event = self.event(&scope, AuditAction::CrossTenantAttempt, None, AuditOutcome::Denied)?;
            if let Some((n, last_at)) = repeated {
                event = event.with("repeated", n).with("last_at", last_at.to_rfc3339());
            }
            let mut tx = self.begin(&scope, Access::Write).await?;
            tx.append_audit(&event).await?;
            tx.commit().await?;
            let mut ptx = self.deps.store.begin_platform().await?;
            let platform_event =
                AuditEvent { id: self.new_id()?, target: Some(AuditTarget::ForeignTenant(key.target)), ..event };
            ptx.append_platform_audit(&platform_event).await?;
            ptx.commit().await?;
            Ok(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(tenant = %key.own, error = %e, "could not record a cross-tenant attempt");
        }
    }
}
