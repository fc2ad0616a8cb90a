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
/// row, and row-level security applies to each as to any other read.
const FACTS: &str = "SELECT 1 AS \"tenant:\", t.*, 1 AS \"user:\", u.*, 1 AS \"session:\", s.*, \
     1 AS \"key:\", k.*, 1 AS \"role:\", r.*, 1 AS \"subscription:\", b.* \
     FROM (SELECT $1::uuid AS tenant_id) p \
     LEFT JOIN tenantry.tenants t ON t.tenant_id = p.tenant_id \
     LEFT JOIN tenantry.users u ON u.tenant_id = p.tenant_id AND u.id = $2 \
     LEFT JOIN tenantry.sessions s ON s.tenant_id = p.tenant_id AND s.id = $3 \
     LEFT JOIN tenantry.api_keys k ON k.tenant_id = p.tenant_id AND k.id = $4 \
     LEFT JOIN tenantry.roles r ON r.tenant_id = p.tenant_id AND r.id = u.custom_role_id \
     LEFT JOIN tenantry.subscriptions b ON b.tenant_id = p.tenant_id";

impl PgTenantTx {
    /// `read`'s facts in one statement: the same answer as
    /// `read_authorization_facts` (API keys hold built-in roles only, so the
    /// custom role is the user's).
    pub(crate) async fn authorizing(&mut self, read: &AuthorizationRead) -> Result<AuthorizationFacts, StoreError> {
        let row = self
            .one(
                sqlx::query(FACTS)
                    .bind(self.t())
                    .bind(read.user.map(|id| id.as_uuid()))
                    .bind(read.session.map(|id| id.as_uuid()))
                    .bind(read.api_key.map(|id| id.as_uuid())),
            )
            .await?;
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
