//! tenantry on a Citus cluster (issue 26, decision 0030): after the ordinary
//! migrations, `tenantry migrate` on a Citus coordinator distributes every
//! tenant-owned table by `tenant_id`, colocated with `tenantry.tenants`, so that
//! a tenant's rows of every table live on one node and a unit of work's
//! statements each go to one shard. The platform tables stay plain tables on
//! the coordinator (decision 0030 says why). On plain PostgreSQL this does
//! nothing.
//!
//! Citus copies row-level security to the shards (enabled, forced, the
//! policies), but writes every policy as PERMISSIVE: the restrictive
//! `tenant_wall` would become one more permissive policy there. So each
//! shard's `tenant_wall` is made again as RESTRICTIVE, from the shell table's
//! own expressions (migration 0031); a shard made later (a rebalance, a split)
//! is found by the isolation verifier and fixed by the next `tenantry migrate`.

use sqlx::{PgPool, Row};

/// What the Citus step did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Distribution {
    /// Tables distributed by this run (in order).
    pub distributed: Vec<String>,
    /// Tenant-owned tables distributed already (their walls checked again).
    pub already: usize,
}

/// Whether the database is a Citus coordinator (the extension is installed).
pub async fn is_citus<'c>(on: impl sqlx::PgExecutor<'c>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus')")
        .fetch_one(on)
        .await
}

/// The tenant-owned tables (tenantry's and the products'), `tenantry.tenants`
/// first and every table after the tables its foreign keys reference.
async fn tenant_tables(pool: &PgPool) -> Result<Vec<(String, bool)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.oid::regclass::text AS name, \
                EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid) AS distributed, \
                coalesce((SELECT array_agg(DISTINCT f.confrelid::regclass::text) FROM pg_catalog.pg_constraint f \
                          WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid), '{}') AS parents \
         FROM pg_catalog.pg_class c \
         WHERE c.relkind IN ('r', 'p') AND obj_description(c.oid, 'pg_class') = 'tenantry:tenant-owned' \
         ORDER BY c.oid::regclass::text",
    )
    .fetch_all(pool)
    .await?;
    let mut pending: Vec<(String, bool, Vec<String>)> = rows
        .iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("distributed")?, r.try_get("parents")?)))
        .collect::<Result<_, sqlx::Error>>()?;
    let mut ordered: Vec<(String, bool)> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let placed = |name: &String| ordered.iter().any(|(n, _)| n == name);
        let known = |name: &String| pending.iter().any(|(n, ..)| n == name) || placed(name);
        let next = pending.iter().position(|(name, _, parents)| {
            (name == "tenantry.tenants" || placed(&"tenantry.tenants".to_owned()))
                && parents.iter().all(|p| placed(p) || !known(p))
        });
        // A cycle of foreign keys (none in tenantry's schema): the rest in name order.
        let (name, distributed, _) = pending.remove(next.unwrap_or(0));
        ordered.push((name, distributed));
    }
    Ok(ordered)
}

/// Distributes every tenant-owned table not distributed yet
/// (`tenantry.distribute_tenant_table`, migration 0031, which
/// `register_product_table` runs too) and makes each shard's `tenant_wall`
/// restrictive. Idempotent; nothing on plain PostgreSQL.
pub async fn distribute(pool: &PgPool) -> Result<Distribution, sqlx::Error> {
    let mut done = Distribution::default();
    if !is_citus(pool).await? {
        return Ok(done);
    }
    let tables = tenant_tables(pool).await?;
    for (table, distributed) in &tables {
        sqlx::query("SELECT tenantry.distribute_tenant_table($1::regclass)").bind(table).execute(pool).await?;
        if *distributed {
            done.already += 1;
        } else {
            done.distributed.push(table.clone());
        }
    }
    restore_walls(pool).await?;
    // A table distributed with rows (a database moved from a single PostgreSQL) keeps a copy of
    // them in the coordinator's shell table, invisible to queries: removed, so that no tenant's
    // rows stay behind where the shards are not (children first: the keys reference the parents).
    for (table, _) in tables.iter().rev() {
        sqlx::query("SELECT truncate_local_data_after_distributing_table($1::regclass)")
            .bind(table)
            .execute(pool)
            .await?;
    }
    Ok(done)
}

/// Makes `tenant_wall` RESTRICTIVE again on every shard placement where Citus
/// made it permissive, with the shell table's own roles and expressions. Each
/// table's command is a statement of its own: Citus sends it to the workers
/// on connections of their own, which see only committed shards.
async fn restore_walls(pool: &PgPool) -> Result<(), sqlx::Error> {
    let walls = sqlx::query(
        "SELECT p.schemaname || '.' || p.tablename AS tbl, \
                array_to_string(ARRAY(SELECT quote_ident(r) FROM unnest(p.roles) r), ', ') AS roles, \
                p.qual, p.with_check \
         FROM pg_catalog.pg_policies p JOIN pg_dist_partition d \
           ON d.logicalrelid = (quote_ident(p.schemaname) || '.' || quote_ident(p.tablename))::regclass \
         WHERE p.policyname = 'tenant_wall' AND p.permissive = 'RESTRICTIVE'",
    )
    .fetch_all(pool)
    .await?;
    for wall in walls {
        let table: String = wall.try_get("tbl")?;
        let roles: String = wall.try_get("roles")?;
        let qual: Option<String> = wall.try_get("qual")?;
        let check: Option<String> = wall.try_get("with_check")?;
        let mut create = format!("CREATE POLICY tenant_wall ON %1$s AS RESTRICTIVE FOR ALL TO {roles}");
        if let Some(qual) = qual {
            create.push_str(&format!(" USING ({qual})"));
        }
        if let Some(check) = check {
            create.push_str(&format!(" WITH CHECK ({check})"));
        }
        // Only where it is permissive. Citus formats the command with the shard's name: `%1$s`
        // is it, wherever it stands.
        let command = format!(
            "DO $wall$ BEGIN IF EXISTS (SELECT 1 FROM pg_catalog.pg_policy WHERE polrelid = '%1$s'::regclass \
               AND polname = 'tenant_wall' AND polpermissive) THEN \
               DROP POLICY tenant_wall ON %1$s; {create}; END IF; END $wall$"
        );
        let failed: Option<String> = sqlx::query_scalar(
            "SELECT string_agg(r.shardid || ': ' || r.result, '; ') \
             FROM run_command_on_placements($1::regclass, $2) r WHERE NOT r.success",
        )
        .bind(&table)
        .bind(&command)
        .fetch_one(pool)
        .await?;
        if let Some(failed) = failed {
            return Err(sqlx::Error::Protocol(format!(
                "making tenant_wall restrictive on the shards of {table}: {failed}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
    use crate::testing::{TestDatabase, citus_url};
    use crate::verify_isolation;
    use secrecy::SecretString;
    use sqlx::postgres::PgPoolOptions;

    /// Every tenant-owned table distributed by tenant_id and colocated with the tenants, and
    /// on every shard row-level security forced with a restrictive wall: `check-isolation`
    /// says so, finds a shard whose wall Citus made permissive (what a rebalance does), and
    /// `tenantry migrate` makes it restrictive again.
    #[tokio::test]
    async fn on_citus_every_tenant_table_is_distributed_and_walled_on_every_shard() {
        let Some(url) = citus_url("on_citus_every_tenant_table_is_distributed_and_walled_on_every_shard") else {
            return;
        };
        let db = TestDatabase::create(&SecretString::from(url)).await.unwrap();
        let store = db.store().await.unwrap();
        let report = verify_isolation(&store).await.unwrap();
        assert!(report.ok(), "a clean Citus schema: {:?}", report.findings);
        assert_eq!(report.protected.len(), 21, "every tenant table: {:?}", report.protected);
        let admin = PgPoolOptions::new().max_connections(1).connect_with(db.admin_options()).await.unwrap();
        let distributed: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_dist_partition WHERE colocationid = \
             (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'tenantry.tenants'::regclass) \
             AND column_to_column_name(logicalrelid, partkey) = 'tenant_id'",
        )
        .fetch_one(&admin)
        .await
        .unwrap();
        assert_eq!(distributed, 21);
        let platform_distributed: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_dist_partition WHERE obj_description(logicalrelid, 'pg_class') LIKE 'tenantry:platform%'",
        )
        .fetch_one(&admin)
        .await
        .unwrap();
        assert_eq!(platform_distributed, 0, "the platform's tables stay on the coordinator");

        // What Citus does to a shard it makes: the wall permissive.
        sqlx::query(
            "SELECT * FROM run_command_on_placements('tenantry.users', \
             $c$DROP POLICY tenant_wall ON %1$s; CREATE POLICY tenant_wall ON %1$s FOR ALL TO tenantry_app \
               USING (tenant_id = nullif(current_setting('tenantry.tenant_id', true), '')::uuid)$c$)",
        )
        .execute(&admin)
        .await
        .unwrap();
        let report = verify_isolation(&store).await.unwrap();
        let shards: Vec<_> = report.findings.iter().filter(|f| f.object.starts_with("tenantry.users (shard")).collect();
        assert_eq!(shards.len(), 4, "each of the 4 shards of users is found: {:?}", report.findings);
        super::distribute(&admin).await.unwrap();
        let report = verify_isolation(&store).await.unwrap();
        assert!(report.ok(), "migrate makes the walls restrictive again: {:?}", report.findings);
        admin.close().await;
        db.drop_now().await.unwrap();
    }

    /// The hot reads of a unit of work are planned by Citus's router for the one shard that
    /// holds the tenant ("Task Count: 1"), read through the service role with its tenant set.
    #[tokio::test]
    async fn on_citus_the_hot_reads_are_planned_for_one_shard() {
        let Some(url) = citus_url("on_citus_the_hot_reads_are_planned_for_one_shard") else { return };
        let db = TestDatabase::create(&SecretString::from(url)).await.unwrap();
        let store = db.store().await.unwrap();
        let tenant = tenantry_domain::TenantId::parse("0190d2c4-2c54-7000-8000-00000000000a").unwrap();
        let user = uuid::Uuid::parse_str("0190d2c4-2c54-7000-8000-0000000000a1").unwrap();
        let hot: [(&str, String); 7] = [
            // The control: a read without the tenant's key goes to every shard (RLS still filters it).
            ("fan-out", "SELECT count(*) FROM tenantry.users WHERE $1::uuid IS NOT NULL AND $2::uuid IS NOT NULL".to_owned()),
            ("authorising", crate::tenant_tx::FACTS.to_owned()),
            ("a user", "SELECT * FROM tenantry.users WHERE tenant_id = $1 AND id = $2".to_owned()),
            ("the users", "SELECT * FROM tenantry.users WHERE tenant_id = $1 AND $2::uuid IS NOT NULL ORDER BY created_at, id".to_owned()),
            ("the subscription", "SELECT * FROM tenantry.subscriptions WHERE tenant_id = $1 AND $2::uuid IS NOT NULL".to_owned()),
            ("the audit log", "SELECT * FROM tenantry.audit_events WHERE tenant_id = $1 AND $2::uuid IS NOT NULL ORDER BY id DESC LIMIT 50".to_owned()),
            ("the usage", "SELECT * FROM tenantry.usage WHERE tenant_id = $1 AND $2::uuid IS NOT NULL".to_owned()),
        ];
        for (what, sql) in hot {
            let mut tx = crate::open_on(
                store.pool(),
                crate::embedding::begin_sql(tenant, tenantry_ports::store::Access::Read, true),
            )
            .await
            .unwrap();
            let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!("EXPLAIN (COSTS OFF) {sql}")))
                .bind(tenant.as_uuid())
                .bind(user);
            if what == "authorising" {
                q = q.bind(uuid::Uuid::nil()).bind(uuid::Uuid::nil());
            }
            let plan = q.fetch_all(&mut *tx).await.unwrap().join("\n");
            if what == "fan-out" {
                assert!(plan.contains("Task Count: 4"), "the control reads every shard:\n{plan}");
            } else {
                assert!(plan.contains("Task Count: 1"), "{what} is planned for one shard:\n{plan}");
            }
            tx.rollback().await.unwrap();
        }
        db.drop_now().await.unwrap();
    }
}
