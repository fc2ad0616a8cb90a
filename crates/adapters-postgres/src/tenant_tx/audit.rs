//! The tenant's audit log (`tenantry.audit_events`): append, redact, read.

use super::{PgTenantTx, Statement};
use crate::rows;
use async_trait::async_trait;
use sqlx::types::Json;
use tenantry_domain::{AuditEvent, AuditTarget};
use tenantry_ports::error::StoreError;
use tenantry_ports::store::{AuditQuery, AuditStore, Redaction};
use uuid::Uuid;

pub(crate) fn target_user(t: &Option<AuditTarget>) -> Option<Uuid> {
    match t {
        Some(AuditTarget::User(u)) => Some(u.as_uuid()),
        _ => None,
    }
}

/// The statement that appends `e` to `tenant`'s log — the service's, and a
/// product's scoped transaction's (where, as the product role, the trigger
/// `product_audit_rules` accepts only a product's actions).
pub(crate) fn insert_audit(tenant: Uuid, e: &AuditEvent) -> Statement<'_> {
    sqlx::query(
        "INSERT INTO tenantry.audit_events (tenant_id, id, at, actor, actor_user, action, target, target_user, outcome, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tenant)
    .bind(e.id.as_uuid())
    .bind(e.at)
    .bind(Json(&e.actor))
    .bind(e.actor.user().map(|u| u.as_uuid()))
    .bind(e.action.as_str())
    .bind(e.target.as_ref().map(Json))
    .bind(target_user(&e.target))
    .bind(rows::outcome_text(e.outcome))
    .bind(Json(&e.details))
}

#[async_trait]
impl AuditStore for PgTenantTx {
    async fn append_audit(&mut self, e: &AuditEvent) -> Result<(), StoreError> {
        self.writable()?;
        match e.tenant_id {
            Some(t) => self.own(t, "an audit event")?,
            None => return Err(StoreError::Unknown(anyhow::anyhow!("a platform event in a tenant log"))),
        }
        self.execute(insert_audit(self.t(), e)).await?;
        Ok(())
    }

    async fn redact_audit(&mut self, redactions: &[Redaction]) -> Result<u64, StoreError> {
        self.writable()?;
        let mut changed = std::collections::BTreeSet::new();
        for r in redactions.iter().filter(|r| !r.find.is_empty()) {
            // Each string value of the details: replaced when equal to (or, unless
            // `whole_value`, containing) the text; other values kept as they are.
            let ids: Vec<Uuid> = sqlx::query_scalar(
                "UPDATE tenantry.audit_events e SET details = ( \
                     SELECT coalesce(jsonb_object_agg(d.key, CASE \
                         WHEN jsonb_typeof(d.value) = 'string' AND $4 AND d.value #>> '{}' = $2 THEN to_jsonb($3::text) \
                         WHEN jsonb_typeof(d.value) = 'string' AND NOT $4 THEN to_jsonb(replace(d.value #>> '{}', $2, $3)) \
                         ELSE d.value END), '{}'::jsonb) \
                     FROM jsonb_each(e.details) AS d(key, value)) \
                 WHERE e.tenant_id = $1 AND EXISTS ( \
                     SELECT 1 FROM jsonb_each_text(e.details) AS t(key, value) \
                     WHERE CASE WHEN $4 THEN t.value = $2 ELSE strpos(t.value, $2) > 0 END) \
                 RETURNING e.id",
            )
            .bind(self.t())
            .bind(&r.find)
            .bind(&r.replace)
            .bind(r.whole_value)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
            changed.extend(ids);
        }
        Ok(u64::try_from(changed.len()).unwrap_or(u64::MAX))
    }

    async fn audit_events(&mut self, q: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        let found = self
            .all(
                sqlx::query(
                    "SELECT * FROM tenantry.audit_events WHERE tenant_id = $1 \
             AND ($2::uuid IS NULL OR id < $2) AND ($3::text IS NULL OR action = $3) \
             AND ($4::uuid IS NULL OR actor_user = $4 OR target_user = $4) \
             ORDER BY id DESC LIMIT $5",
                )
                .bind(self.t())
                .bind(q.before.map(|b| b.as_uuid()))
                .bind(q.action.as_ref().map(|a| a.as_str()))
                .bind(q.user.map(|u| u.as_uuid()))
                .bind(i64::from(q.limit)),
            )
            .await?;
        found.iter().map(|r| rows::audit(r, Some(self.t()))).collect()
    }
}
