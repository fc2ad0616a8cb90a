//! sqlx errors → the store port's errors: unique violations by constraint name,
//! lost connections and serialisation failures as retryable, the rest as unknown.

use sqlx::error::DatabaseError;
use tenantry_ports::error::{Constraint, StoreError};

/// Maps a constraint name of the schema to the port's constraint.
fn constraint(name: &str) -> Constraint {
    match name {
        "tenant_slugs_pkey" => Constraint::TenantSlug,
        "users_email_key" => Constraint::UserEmail,
        "roles_name_key" => Constraint::RoleName,
        "billing_customers_pkey" | "billing_customers_tenant_id_key" => Constraint::BillingCustomer,
        "superusers_email_key" => Constraint::SuperuserEmail,
        "promotion_codes_code_key" => Constraint::PromotionCode,
        "users_tenant_id_custom_role_id_fkey" | "invitations_tenant_id_custom_role_id_fkey" => {
            Constraint::RoleReference
        }
        _ => Constraint::PrimaryKey,
    }
}

/// The name of the constraint an error is about. PostgreSQL says it in a field
/// of its own; a Citus worker's error reaches the coordinator without that
/// field and names the shard's constraint in the message
/// (`… violates unique constraint "users_email_key_102008"`), so the name is
/// read from the message there and the shard's suffix (`_` and digits) dropped.
fn constraint_name(e: &dyn DatabaseError) -> String {
    e.constraint().map_or_else(|| named_in(e.message()).unwrap_or_default(), str::to_owned)
}

/// The constraint a worker's message names, without the shard's suffix.
fn named_in(message: &str) -> Option<String> {
    let quoted = message.split("constraint \"").nth(1)?.split('"').next()?;
    Some(match quoted.rsplit_once('_') {
        Some((name, shard)) if !shard.is_empty() && shard.bytes().all(|b| b.is_ascii_digit()) => name.to_owned(),
        _ => quoted.to_owned(),
    })
}

fn database(e: &dyn DatabaseError) -> StoreError {
    let code = e.code().map(|c| c.into_owned()).unwrap_or_default();
    match code.as_str() {
        // unique_violation: which rule says the constraint's name
        "23505" => StoreError::Conflict(constraint(&constraint_name(e))),
        // foreign_key_violation: the named references have a typed answer; any
        // other is a bug (the domain never writes a row whose tenant is missing)
        "23503" => match constraint(&constraint_name(e)) {
            Constraint::RoleReference => StoreError::Conflict(Constraint::RoleReference),
            _ => StoreError::Unknown(anyhow::anyhow!("{code}: {}", e.message())),
        },
        // serialization_failure, deadlock_detected, admin/crash shutdown, cannot connect now
        "40001" | "40P01" | "57P01" | "57P02" | "57P03" | "08000" | "08003" | "08006" => {
            StoreError::Unavailable(anyhow::anyhow!("{code}: {}", e.message()))
        }
        // insufficient_privilege (includes "new row violates row-level security policy")
        "42501" => StoreError::Unknown(anyhow::anyhow!(
            "refused by the database's tenant scope or privileges: {}",
            e.message()
        )),
        _ => StoreError::Unknown(anyhow::anyhow!("{code}: {}", e.message())),
    }
}

/// Whether the error says the connection itself is gone (so a statement that
/// failed with it was never run, or ran in a transaction that is rolled back).
pub(crate) fn dead_connection(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("57P01" | "57P02" | "08000" | "08003" | "08006"))
        }
        _ => false,
    }
}

/// Converts any sqlx error.
pub(crate) fn store(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) => database(db.as_ref()),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => StoreError::Unavailable(anyhow::Error::new(e)),
        _ => StoreError::Unknown(anyhow::Error::new(e)),
    }
}

/// A row the domain refuses (a bug or a hand edit): never silently accepted.
pub(crate) fn corrupt(what: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Unknown(anyhow::anyhow!("corrupt {what} row: {why}"))
}

/// Shorthand: `.map_err(db)`.
pub(crate) trait Db<T> {
    /// Maps the error.
    fn db(self) -> Result<T, StoreError>;
}

impl<T> Db<T> for Result<T, sqlx::Error> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worker errors as a Citus 13.2 coordinator relays them (the constraint field empty).
    #[test]
    fn a_shard_constraint_named_in_a_message_is_the_schema_constraint() {
        let cases = [
            ("duplicate key value violates unique constraint \"users_email_key_102008\"", Some("users_email_key")),
            (
                "insert or update on table \"users_102040\" violates foreign key constraint \
                 \"users_tenant_id_custom_role_id_fkey_102040\"",
                Some("users_tenant_id_custom_role_id_fkey"),
            ),
            ("duplicate key value violates unique constraint \"tenant_slugs_pkey\"", Some("tenant_slugs_pkey")),
            ("duplicate key value violates unique constraint \"odd_\"", Some("odd_")),
            ("something else entirely", None),
        ];
        for (message, expected) in cases {
            assert_eq!(named_in(message).as_deref(), expected, "{message}");
        }
        assert_eq!(constraint("users_email_key"), Constraint::UserEmail);
        assert_eq!(constraint("users_tenant_id_custom_role_id_fkey"), Constraint::RoleReference);
    }
}
