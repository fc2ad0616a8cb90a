//! The tenant's monthly usage counters and its storage figure.

use super::PgTenantTx;
use crate::error::{Db, corrupt};
use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::Row;
use tenantry_ports::error::StoreError;
use tenantry_ports::store::{Month, UsageCounters, UsageDelta, UsageStore};

fn month_date(m: Month) -> Result<NaiveDate, StoreError> {
    m.first_day().ok_or_else(|| corrupt("usage", "month out of range"))
}

fn i64_of(v: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|e| corrupt(what, e))
}

#[async_trait]
impl UsageStore for PgTenantTx {
    async fn usage(&mut self, month: Month) -> Result<UsageCounters, StoreError> {
        let row = self
            .optional(
                sqlx::query(
                    "SELECT api_calls, logins, page_views FROM tenantry.usage WHERE tenant_id = $1 AND month = $2",
                )
                .bind(self.t())
                .bind(month_date(month)?),
            )
            .await?;
        match row {
            Some(r) => usage_counters(&r),
            None => Ok(UsageCounters::default()),
        }
    }

    async fn add_usage(&mut self, month: Month, delta: UsageDelta) -> Result<UsageCounters, StoreError> {
        self.writable()?;
        let row = self.one(sqlx::query(
            "INSERT INTO tenantry.usage (tenant_id, month, api_calls, logins, page_views) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, month) DO UPDATE SET api_calls = tenantry.usage.api_calls + EXCLUDED.api_calls, \
             logins = tenantry.usage.logins + EXCLUDED.logins, \
             page_views = tenantry.usage.page_views + EXCLUDED.page_views \
             RETURNING api_calls, logins, page_views",
        )
        .bind(self.t())
        .bind(month_date(month)?)
        .bind(i64_of(delta.api_calls, "usage")?)
        .bind(i64_of(delta.logins, "usage")?)
        .bind(i64_of(delta.page_views, "usage")?)).await?;
        usage_counters(&row)
    }

    async fn storage_used(&mut self) -> Result<u64, StoreError> {
        let bytes: Option<i64> = sqlx::query_scalar("SELECT bytes FROM tenantry.storage WHERE tenant_id = $1")
            .bind(self.t())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(bytes.map_or(0, |b| u64::try_from(b).unwrap_or(0)))
    }

    async fn set_storage_used(&mut self, bytes: u64) -> Result<(), StoreError> {
        self.writable()?;
        self.execute(sqlx::query(
            "INSERT INTO tenantry.storage (tenant_id, bytes) VALUES ($1, $2) ON CONFLICT (tenant_id) DO UPDATE SET bytes = EXCLUDED.bytes",
        )
        .bind(self.t())
        .bind(i64_of(bytes, "storage")?)).await?;
        Ok(())
    }
}

/// A month's usage row (`api_calls`, `logins`, `page_views`).
fn usage_counters(r: &sqlx::postgres::PgRow) -> Result<UsageCounters, StoreError> {
    let count =
        |name: &str| -> Result<u64, StoreError> { Ok(u64::try_from(r.try_get::<i64, _>(name).db()?).unwrap_or(0)) };
    Ok(UsageCounters { api_calls: count("api_calls")?, logins: count("logins")?, page_views: count("page_views")? })
}
