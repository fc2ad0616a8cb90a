//! What authorising a caller reads, in one statement: the tenant, the user and
//! the session (or the API key), the user's custom role and the subscription,
//! one left join each on its primary key, in one row. A read-only unit of work
//! keeps the tenant and the user it read there and answers them again without
//! a second statement (`Seen`).

use super::PgTenantTx;
use crate::cols::Part;
use crate::error::Db;
use crate::rows;
use tenantry_domain::{Tenant, User, UserId};
use tenantry_ports::error::StoreError;
use tenantry_ports::store::{Access, AuthorizationFacts, AuthorizationRead};
use uuid::Uuid;

/// Rows a read-only unit of work already read in its authorising statement.
/// Nothing in a read-only unit of work can change them; answered again, they
/// are the rows the request was authorised on (a write another transaction
/// commits meanwhile is seen by the next request, as on the memory store,
/// whose read unit of work is a snapshot). A unit of work that writes, or one
/// an SQL error aborted, answers none of them.
#[derive(Default)]
pub(crate) struct Seen {
    tenant: Option<Tenant>,
    user: Option<User>,
}

/// Markers before each table's columns (see `cols::Part`); every join is on
/// the table's key within the unit of work's tenant, so each finds at most one
/// row, and row-level security applies to each as to any other read. Every
/// table names the tenant itself (`$1`), so that on Citus the statement is
/// planned for the one shard group that holds the tenant (a join through a
/// constant subquery crashed Citus 13.2's planner). No tenant row, no row:
/// nothing else of a tenant outlives it (every table cascades from it). An id
/// not asked for is the nil UUID, which no row has (tenantry's ids are v7):
/// a NULL there folds the join away into a form Citus refuses.
pub(crate) const FACTS: &str = "SELECT 1 AS \"tenant:\", t.*, 1 AS \"user:\", u.*, 1 AS \"session:\", s.*, \
     1 AS \"key:\", k.*, 1 AS \"role:\", r.*, 1 AS \"subscription:\", b.* \
     FROM tenantry.tenants t \
     LEFT JOIN tenantry.users u ON u.tenant_id = $1 AND u.id = $2 \
     LEFT JOIN tenantry.sessions s ON s.tenant_id = $1 AND s.id = $3 \
     LEFT JOIN tenantry.api_keys k ON k.tenant_id = $1 AND k.id = $4 \
     LEFT JOIN tenantry.roles r ON r.tenant_id = $1 AND r.id = u.custom_role_id \
     LEFT JOIN tenantry.subscriptions b ON b.tenant_id = $1 \
     WHERE t.tenant_id = $1";

impl PgTenantTx {
    /// `read`'s facts in one statement: the same answer as
    /// `read_authorization_facts` (API keys hold built-in roles only, so the
    /// custom role is the user's).
    pub(crate) async fn authorizing(&mut self, read: &AuthorizationRead) -> Result<AuthorizationFacts, StoreError> {
        let found = self
            .optional(
                sqlx::query(FACTS)
                    .bind(self.t())
                    .bind(read.user.map_or(Uuid::nil(), |id| id.as_uuid()))
                    .bind(read.session.map_or(Uuid::nil(), |id| id.as_uuid()))
                    .bind(read.api_key.map_or(Uuid::nil(), |id| id.as_uuid())),
            )
            .await?;
        let Some(row) = found else {
            self.seen = Seen::default();
            return Ok(AuthorizationFacts::default());
        };
        let part = |name: &str, key: &str| -> Result<Option<Part<'_>>, StoreError> {
            let part = Part::of(&row, name).db()?;
            Ok(part.found(key).db()?.then_some(part))
        };
        let tenant = part("tenant", "tenant_id")?.map(|p| rows::tenant(&p)).transpose()?;
        let user = part("user", "id")?.map(|p| rows::user(&p, self.key.as_ref())).transpose()?;
        let facts = AuthorizationFacts {
            session: part("session", "id")?.map(|p| rows::session(&p)).transpose()?,
            api_key: part("key", "id")?.map(|p| rows::api_key(&p)).transpose()?,
            custom_role: part("role", "id")?.map(|p| rows::role(&p)).transpose()?,
            subscription: part("subscription", "tenant_id")?
                .map(|p| rows::subscription(&p, self.tenant))
                .transpose()?,
            user: user.clone(),
        };
        if self.access == Access::Read {
            self.seen = Seen { tenant, user };
        }
        Ok(facts)
    }

    /// The tenant's row, when the authorising statement read it.
    pub(crate) fn seen_tenant(&self) -> Option<Tenant> {
        if self.aborted { None } else { self.seen.tenant.clone() }
    }

    /// The user `id`, when the authorising statement read it.
    pub(crate) fn seen_user(&self, id: UserId) -> Option<User> {
        if self.aborted {
            return None;
        }
        self.seen.user.as_ref().filter(|u| u.id() == id).cloned()
    }
}
