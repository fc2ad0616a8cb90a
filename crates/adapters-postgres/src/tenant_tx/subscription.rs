//! The tenant's subscription, invoices and the billing events already applied.

use super::PgTenantTx;
use crate::error::{Db, corrupt};
use crate::rows;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::types::Json;
use tenantry_domain::Subscription;
use tenantry_ports::error::StoreError;
use tenantry_ports::payment::Invoice;
use tenantry_ports::store::{SubscriptionFacts, SubscriptionStore};

#[async_trait]
impl SubscriptionStore for PgTenantTx {
    async fn subscription(&mut self) -> Result<Option<Subscription>, StoreError> {
        let row = self.optional(sqlx::query("SELECT state, payment_method_on_file, provider_customer, provider_subscription, provider_synced_at, timer_checked_at, revision, discount, signup_promotion_code FROM tenantry.subscriptions WHERE tenant_id = $1")
            .bind(self.t())).await?;
        row.as_ref().map(|r| rows::subscription(r, self.tenant)).transpose()
    }

    async fn save_subscription(&mut self, s: &Subscription, f: &SubscriptionFacts) -> Result<(), StoreError> {
        self.writable()?;
        self.own(s.tenant_id(), "a subscription")?;
        let status = serde_json::to_value(f.status).map_err(|e| corrupt("subscription", e))?;
        let plan = serde_json::to_value(f.plan).map_err(|e| corrupt("subscription", e))?;
        self.execute(
            sqlx::query(
                "INSERT INTO tenantry.subscriptions (tenant_id, state, payment_method_on_file, provider_customer, \
             provider_subscription, provider_synced_at, timer_checked_at, status, plan, billing_interval, seats, \
             recurring_cents, next_due_at, revision, discount, signup_promotion_code) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
             ON CONFLICT (tenant_id) DO UPDATE SET state = EXCLUDED.state, \
             payment_method_on_file = EXCLUDED.payment_method_on_file, provider_customer = EXCLUDED.provider_customer, \
             provider_subscription = EXCLUDED.provider_subscription, provider_synced_at = EXCLUDED.provider_synced_at, \
             timer_checked_at = EXCLUDED.timer_checked_at, status = EXCLUDED.status, plan = EXCLUDED.plan, \
             billing_interval = EXCLUDED.billing_interval, seats = EXCLUDED.seats, \
             recurring_cents = EXCLUDED.recurring_cents, next_due_at = EXCLUDED.next_due_at, \
             revision = EXCLUDED.revision, discount = EXCLUDED.discount, \
             signup_promotion_code = EXCLUDED.signup_promotion_code",
            )
            .bind(self.t())
            .bind(Json(&s.state()))
            .bind(s.payment_method_on_file())
            .bind(s.provider().as_ref().map(|l| l.customer.as_str()))
            .bind(s.provider().as_ref().and_then(|l| l.subscription.as_deref()))
            .bind(s.provider_synced_at())
            .bind(s.timer_checked_at())
            .bind(status.as_str().unwrap_or_default().to_owned())
            .bind(plan.as_str().unwrap_or_default().to_owned())
            .bind(f.interval.map(|i| i.as_str()))
            .bind(f.seats.map(|n| i32::try_from(n).unwrap_or(i32::MAX)))
            .bind(f.recurring_cents)
            .bind(f.next_due_at)
            .bind(i64::try_from(s.revision()).unwrap_or(i64::MAX))
            .bind(s.discount().map(Json))
            .bind(s.signup_promotion_code()),
        )
        .await?;
        self.set_billing_customer(s.provider().as_ref().map(|l| l.customer.as_str())).await
    }

    async fn invoices(&mut self) -> Result<Vec<Invoice>, StoreError> {
        let found = self
            .all(
                sqlx::query(
                    "SELECT data FROM tenantry.invoices WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC",
                )
                .bind(self.t()),
            )
            .await?;
        found.iter().map(|r| r.try_get::<Json<Invoice>, _>("data").db().map(|j| j.0)).collect()
    }

    async fn save_invoice(&mut self, invoice: &Invoice) -> Result<(), StoreError> {
        self.writable()?;
        self.execute(
            sqlx::query(
                "INSERT INTO tenantry.invoices (tenant_id, id, created_at, data) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET created_at = EXCLUDED.created_at, data = EXCLUDED.data",
            )
            .bind(self.t())
            .bind(invoice.id.as_str())
            .bind(invoice.created_at)
            .bind(Json(invoice)),
        )
        .await?;
        Ok(())
    }

    async fn record_billing_event(&mut self, event_id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.writable()?;
        let changed = self.execute(sqlx::query(
            "INSERT INTO tenantry.billing_events (tenant_id, event_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(self.t())
        .bind(event_id)
        .bind(at)).await?;
        Ok(changed == 1)
    }
}
