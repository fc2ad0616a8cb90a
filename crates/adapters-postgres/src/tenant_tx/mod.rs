//! A unit of work inside one tenant: one transaction on which
//! `tenantry.tenant_id` is set (transaction-local), so that row-level security
//! shows and accepts only that tenant's rows. Queries still name the tenant
//! explicitly — belt and braces, and it lets the planner use the indexes that
//! lead with tenant_id.

mod api_keys;
mod audit;
mod authorizing;
mod credentials;
mod erasures;
mod exports;
mod files;
mod invitations;
mod jobs;
mod links;
mod markers;
mod notes;
mod outbox;
mod product_data;
mod roles;
mod sessions;
mod subscription;
mod tenant;
mod usage;
mod users;

pub(crate) use audit::insert_audit;
#[cfg(test)]
pub(crate) use authorizing::FACTS;
pub(crate) use authorizing::Seen;

use crate::error::store;
use async_trait::async_trait;
use sqlx::Transaction;
use sqlx::postgres::{PgArguments, PgRow, Postgres};
use tenantry_domain::TenantId;
use tenantry_ports::error::StoreError;
use tenantry_ports::store::{Access, TenantTx};
use uuid::Uuid;

pub(crate) struct PgTenantTx {
    pub(crate) tenant: TenantId,
    pub(crate) access: Access,
    pub(crate) tx: Transaction<'static, Postgres>,
    /// Set by any SQL error: PostgreSQL has aborted the transaction (and would
    /// answer COMMIT with a silent rollback, which must not pass for success).
    pub(crate) aborted: bool,
    /// Seals and opens the TOTP secrets (the store's data key).
    pub(crate) key: Option<tenantry_ports::crypto::DataKey>,
    /// What the authorising statement read, kept by a read-only unit of work.
    pub(crate) seen: Seen,
}

/// A statement with its bound values, ready to run in the unit of work.
pub(crate) type Statement<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

impl PgTenantTx {
    /// Every SQL error goes through here: PostgreSQL has aborted the
    /// transaction, so the unit of work is marked aborted and `commit` refuses.
    pub(crate) fn fail(&mut self, e: sqlx::Error) -> StoreError {
        self.aborted = true;
        store(e)
    }
    /// Runs a statement in the transaction; answers the rows it changed.
    pub(crate) async fn execute(&mut self, q: Statement<'_>) -> Result<u64, StoreError> {
        let done = q.execute(&mut *self.tx).await;
        done.map(|d| d.rows_affected()).map_err(|e| self.fail(e))
    }
    /// Runs a query that answers at most one row.
    pub(crate) async fn optional(&mut self, q: Statement<'_>) -> Result<Option<PgRow>, StoreError> {
        let found = q.fetch_optional(&mut *self.tx).await;
        found.map_err(|e| self.fail(e))
    }
    /// Runs a query that answers exactly one row.
    pub(crate) async fn one(&mut self, q: Statement<'_>) -> Result<PgRow, StoreError> {
        let found = q.fetch_one(&mut *self.tx).await;
        found.map_err(|e| self.fail(e))
    }
    /// Runs a query and answers all its rows.
    pub(crate) async fn all(&mut self, q: Statement<'_>) -> Result<Vec<PgRow>, StoreError> {
        let found = q.fetch_all(&mut *self.tx).await;
        found.map_err(|e| self.fail(e))
    }
    pub(crate) fn t(&self) -> Uuid {
        self.tenant.as_uuid()
    }
    pub(crate) fn writable(&self) -> Result<(), StoreError> {
        if self.access == Access::Write {
            Ok(())
        } else {
            Err(StoreError::Unknown(anyhow::anyhow!("write in a read-only unit of work")))
        }
    }
    fn own(&self, tenant: TenantId, what: &str) -> Result<(), StoreError> {
        if tenant == self.tenant {
            Ok(())
        } else {
            Err(StoreError::Unknown(anyhow::anyhow!("{what} of another tenant refused by the unit of work's scope")))
        }
    }
}

fn int(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

#[async_trait]
impl TenantTx for PgTenantTx {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        if self.aborted {
            return Err(StoreError::Unknown(anyhow::anyhow!("the unit of work was aborted by an earlier error")));
        }
        self.tx.commit().await.map_err(store)
    }
}
