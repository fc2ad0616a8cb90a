//! The isolation verifier: inspects the live schema and names every table that
//! has a `tenant_id` column but lacks forced row-level security, tenantry's two
//! tenant policies (the permissive `tenant_isolation` and the restrictive
//! `tenant_wall` for the service and product roles), a tenant-leading primary
//! key or tenant-inclusive foreign keys; any other permissive policy on such a
//! table (a `USING (true)` someone added would widen the wall for the owner's
//! named paths — and before issue 17 for everyone); every table that holds
//! tenant data — a foreign key to `tenantry.tenants`, or a registered product
//! schema — without being tenant-owned; every view over such a table that is
//! not `security_invoker`; every `SECURITY DEFINER` function (the expected ones
//! marked); a shifted or stopped `tenantry.now()`; and whether the connected
//! role could bypass RLS. `tenantry check-isolation` prints this report.

use crate::PgStore;
use serde::Serialize;
use sqlx::Row;

/// `SECURITY DEFINER` functions that are part of tenantry's design.
pub const EXPECTED_DEFINERS: &[&str] = &[
    "tenantry.audit_time",
    "tenantry_lookup.resolve_slug",
    "tenantry_lookup.resolve_billing_customer",
    "tenantry_lookup.due_tenants",
    "tenantry_lookup.list_tenants",
    "tenantry_lookup.platform_figures",
    "tenantry_lookup.tenant_audit_events",
    "tenantry_lookup.all_audit_events",
    "tenantry_lookup.claim_due_jobs",
    "tenantry_lookup.failed_jobs",
    "tenantry_lookup.housekeeping",
    "tenantry_lookup.erasure_ledger",
    "tenantry_lookup.superuser_login_failed",
    "tenantry_lookup.superuser_login_succeeded",
    "tenantry_lookup.end_superuser_sessions",
    "tenantry_lookup.append_platform_audit",
    "tenantry_lookup.insert_campaign",
    "tenantry_lookup.update_campaign",
    "tenantry_lookup.delete_campaign",
    "tenantry_lookup.count_ad",
    "tenantry_lookup.record_daily_stats",
    "tenantry_lookup.save_platform_settings",
    "tenantry_lookup.note_user_removed",
    "tenantry_lookup.credential_ledger",
    "tenantry_lookup.revoked_api_keys",
    "tenantry_lookup.start_superuser_session",
    "tenantry_lookup.touch_superuser_session",
    "tenantry_lookup.rotate_superuser_session",
    "tenantry_lookup.end_superuser_session",
    "tenantry_lookup.begin_superuser_mfa",
    "tenantry_lookup.save_superuser_mfa",
    "tenantry_lookup.insert_coupon",
    "tenantry_lookup.insert_promotion_code",
    "tenantry_lookup.lock_promotion_code",
    "tenantry_lookup.tenants_of_email",
    "tenantry_lookup.rename_superuser",
    "tenantry_lookup.count_redemption",
    "tenantry_lookup.set_promotion_code_active",
    "tenantry_lookup.claim_slug",
    "tenantry_lookup.release_tenant",
    "tenantry_lookup.set_billing_customer",
    "tenantry_lookup.note_credentials",
    "tenantry_lookup.note_keys_revoked",
    "tenantry_lookup.note_erasures",
];

/// The owner's own permissive policies on tenant-owned tables: its named
/// paths' reads, the job claim and the daily housekeeping (each to the owner
/// role only).
pub const OWNER_POLICIES: &[&str] = &["owner_lookup", "owner_claim", "owner_housekeeping"];

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The table, view, function or role.
    pub object: String,
    /// What is wrong.
    pub problem: String,
}

/// A `SECURITY DEFINER` function found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Definer {
    /// `schema.name`.
    pub function: String,
    /// Whether it is one of tenantry's named paths.
    pub expected: bool,
}

/// What the verifier found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IsolationReport {
    /// Tenant-owned tables that pass every check.
    pub protected: Vec<String>,
    /// Tables marked as platform tables (no tenant data), reported separately.
    pub platform: Vec<String>,
    /// Everything that is wrong.
    pub findings: Vec<Finding>,
    /// Every SECURITY DEFINER function, for review.
    pub definers: Vec<Definer>,
    /// The connected role.
    pub role: String,
}

impl IsolationReport {
    /// Whether nothing is wrong (unexpected definers count as wrong).
    pub fn ok(&self) -> bool {
        self.findings.is_empty()
    }
}

/// tenantry's clock: the named paths' time is the plain now() in production.
async fn clock_findings(conn: &mut sqlx::PgConnection, report: &mut IsolationReport) -> Result<(), sqlx::Error> {
    let clock: Option<(String, Option<chrono::DateTime<chrono::Utc>>)> =
        sqlx::query_as("SELECT offset_by::text, fixed_at FROM tenantry.clock").fetch_optional(&mut *conn).await?;
    match clock {
        Some((offset, fixed)) => {
            if let Some(at) = fixed {
                report.findings.push(Finding {
                    object: "tenantry.clock".into(),
                    problem: format!("the named paths' clock is stopped at {at} (a test's; set fixed_at to NULL)"),
                });
            } else if offset != "00:00:00" {
                report.findings.push(Finding {
                    object: "tenantry.clock".into(),
                    problem: format!("the named paths' clock is shifted by {offset} (set offset_by to '0')"),
                });
            }
        }
        None => report.findings.push(Finding {
            object: "tenantry.clock".into(),
            problem: "has no row: tenantry.now() has no time".into(),
        }),
    }
    Ok(())
}

/// Views over tables with tenant_id must be security_invoker (else they run as their owner).
async fn view_findings(conn: &mut sqlx::PgConnection, report: &mut IsolationReport) -> Result<(), sqlx::Error> {
    let views = sqlx::query(
        "SELECT DISTINCT format('%I.%I', vn.nspname, v.relname) AS name \
         FROM pg_class v JOIN pg_namespace vn ON vn.oid = v.relnamespace \
         JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass \
         JOIN pg_rewrite rw ON rw.oid = d.objid AND rw.ev_class = v.oid \
         JOIN pg_class t ON t.oid = d.refobjid AND t.oid <> v.oid \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped \
         WHERE v.relkind IN ('v', 'm') AND vn.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND NOT coalesce(v.reloptions::text[] && ARRAY['security_invoker=true', 'security_invoker=on'], false) \
         ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    for v in &views {
        report.findings.push(Finding {
            object: v.try_get("name")?,
            problem: "a view over a tenant-owned table that is not security_invoker (it would read as its owner)"
                .into(),
        });
    }
    Ok(())
}

/// Inspects the schema through the store's connection (catalog queries only).
pub async fn verify_isolation(store: &PgStore) -> Result<IsolationReport, sqlx::Error> {
    let pool = store.pool();
    let mut report = IsolationReport::default();

    let (role, why, ..) = crate::unsafe_role(pool).await.map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    report.role = role;
    if let Some(why) = why {
        report.findings.push(Finding {
            object: format!("role {}", report.role),
            problem: format!("{why}; the service role must own nothing and bypass nothing"),
        });
    }

    // One transaction (a read-only one): safe through a transaction pooler, one snapshot of the catalog.
    let mut tx = pool.begin().await?;
    let conn: &mut sqlx::PgConnection = &mut tx;
    clock_findings(&mut *conn, &mut report).await?;

    // The tenant policy's expression, as the server writes it back (the reference for every table).
    let reference: Option<String> = sqlx::query_scalar(
        "SELECT pg_get_expr(p.polqual, p.polrelid) FROM pg_policy p \
         WHERE p.polrelid = 'tenantry.tenants'::regclass AND p.polname = 'tenant_isolation'",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let reference = reference
        .filter(|r| r.contains("current_setting('tenantry.tenant_id'") && r.starts_with("(tenant_id = "))
        .unwrap_or_else(|| {
            "(tenant_id = (NULLIF(current_setting('tenantry.tenant_id'::text, true), ''::text))::uuid)".into()
        });
    let product_schemas: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT n.nspname::text FROM tenantry.product_tables t \
         JOIN pg_class c ON c.oid = to_regclass(t.table_name) JOIN pg_namespace n ON n.oid = c.relnamespace",
    )
    .fetch_all(&mut *conn)
    .await?;

    // Every ordinary table with a tenant_id column, outside the system schemas.
    let tables = sqlx::query(
        "SELECT c.oid::bigint AS oid, format('%I.%I', n.nspname, c.relname) AS name, \
                c.relrowsecurity, c.relforcerowsecurity, \
                coalesce(obj_description(c.oid, 'pg_class'), '') AS comment, \
                (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS tenant_col, \
                (SELECT con.conkey FROM pg_constraint con WHERE con.conrelid = c.oid AND con.contype = 'p') AS pk, \
                n.nspname::text AS schema, \
                EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conrelid = c.oid AND con.contype = 'f' \
                        AND con.confrelid = 'tenantry.tenants'::regclass) AS refers_to_tenants \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg_toast%' \
         ORDER BY 2",
    )
    .fetch_all(&mut *conn)
    .await?;
    for t in &tables {
        let name: String = t.try_get("name")?;
        let comment: String = t.try_get("comment")?;
        let tenant_col: Option<i16> = t.try_get("tenant_col")?;
        let schema: String = t.try_get("schema")?;
        if comment.starts_with("tenantry:platform") {
            report.platform.push(name);
            continue;
        }
        let holds_tenant_data = t.try_get::<bool, _>("refers_to_tenants")? || product_schemas.contains(&schema);
        if holds_tenant_data && comment != "tenantry:tenant-owned" {
            report.findings.push(Finding {
                object: name.clone(),
                problem: "holds tenant data (a foreign key to tenantry.tenants, or a registered product schema) but \
                          is not tenant-owned: give it tenant_id and register it with tenantry.register_product_table"
                    .into(),
            });
            if tenant_col.is_none() {
                continue;
            }
        }
        let Some(tenant_col) = tenant_col else { continue };
        let mut problems: Vec<String> = Vec::new();
        if !t.try_get::<bool, _>("relrowsecurity")? {
            problems.push("row-level security is not enabled".into());
        }
        if !t.try_get::<bool, _>("relforcerowsecurity")? {
            problems.push("row-level security is not forced".into());
        }
        let oid: i64 = t.try_get("oid")?;
        problems.extend(policy_problems(&mut *conn, oid, &reference).await?);
        let pk: Option<Vec<i16>> = t.try_get("pk")?;
        if pk.as_ref().and_then(|k| k.first()) != Some(&tenant_col) {
            problems.push("the primary key does not start with tenant_id".into());
        }
        let bad_fks: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_constraint con WHERE con.conrelid = $1::bigint::oid AND con.contype = 'f' \
             AND NOT ($2::smallint = ANY (con.conkey)) \
             AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = con.confrelid AND a.attname = 'tenant_id')",
        )
        .bind(oid)
        .bind(tenant_col)
        .fetch_one(&mut *conn)
        .await?;
        if bad_fks > 0 {
            problems.push("a foreign key to a tenant-owned table does not include tenant_id".into());
        }
        if problems.is_empty() {
            report.protected.push(name);
        } else {
            for problem in problems {
                report.findings.push(Finding { object: name.clone(), problem });
            }
        }
    }

    view_findings(&mut *conn, &mut report).await?;
    citus_findings(&mut *conn, &mut report).await?;
    product_audit_findings(&mut *conn, &mut report).await?;

    // An extension's own functions (Citus has definers of its own) are the extension's, not tenantry's.
    let definers = sqlx::query(
        "SELECT format('%s.%s', n.nspname, p.proname) AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid \
                           AND d.deptype = 'e') \
         ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    for d in &definers {
        let function: String = d.try_get("name")?;
        let expected = EXPECTED_DEFINERS.contains(&function.as_str());
        if !expected {
            report
                .findings
                .push(Finding { object: function.clone(), problem: "an unexpected SECURITY DEFINER function".into() });
        }
        report.definers.push(Definer { function, expected });
    }
    tx.rollback().await?;
    Ok(report)
}

/// On a Citus coordinator (issue 26): every tenant-owned table distributed by
/// `tenant_id` and colocated with `tenantry.tenants` (else its rows of a tenant
/// are not where the tenant's others are, and a unit of work's statements
/// fan out), and on every shard placement row-level security enabled and
/// forced with a RESTRICTIVE `tenant_wall` (Citus writes every policy on a
/// shard as permissive; `tenantry migrate` makes it restrictive again, and a
/// shard made since — a rebalance — is found here).
async fn citus_findings(conn: &mut sqlx::PgConnection, report: &mut IsolationReport) -> Result<(), sqlx::Error> {
    if !crate::citus::is_citus(&mut *conn).await? {
        return Ok(());
    }
    let tables = sqlx::query(
        "SELECT c.oid::regclass::text AS name, \
                (SELECT column_to_column_name(d.logicalrelid, d.partkey) FROM pg_dist_partition d \
                 WHERE d.logicalrelid = c.oid) AS column_name, \
                (SELECT d.colocationid = (SELECT t.colocationid FROM pg_dist_partition t \
                                         WHERE t.logicalrelid = 'tenantry.tenants'::regclass) \
                 FROM pg_dist_partition d WHERE d.logicalrelid = c.oid) AS colocated \
         FROM pg_class c WHERE c.relkind IN ('r', 'p') AND obj_description(c.oid, 'pg_class') = 'tenantry:tenant-owned' \
         ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    for t in tables {
        let name: String = t.try_get("name")?;
        let column: Option<String> = t.try_get("column_name")?;
        let colocated: Option<bool> = t.try_get("colocated")?;
        if column.as_deref() != Some("tenant_id") {
            report.findings.push(Finding {
                object: name,
                problem: "on Citus, not distributed by tenant_id (run `tenantry migrate`)".into(),
            });
            continue;
        }
        if colocated != Some(true) {
            report.findings.push(Finding {
                object: name.clone(),
                problem: "on Citus, not colocated with tenantry.tenants".into(),
            });
        }
        let on_shards = "SELECT (SELECT c.relrowsecurity AND c.relforcerowsecurity FROM pg_class c \
                         WHERE c.oid = '%1$s'::regclass) \
                         AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = '%1$s'::regclass \
                                     AND p.polname = 'tenant_wall' AND NOT p.polpermissive)";
        let problem = "on this shard row-level security is not forced or tenant_wall is not restrictive \
                       (run `tenantry migrate`)";
        placement_findings(&mut *conn, report, &name, on_shards, problem).await?;
    }
    Ok(())
}

/// The product role may append to the audit log only through the trigger
/// that holds a product's rules (migration 0032: a product's namespace,
/// tenantry's clock). Where the role may insert, the trigger must be there and
/// enabled — on the table and, on Citus, on every shard placement, where it runs.
async fn product_audit_findings(
    conn: &mut sqlx::PgConnection,
    report: &mut IsolationReport,
) -> Result<(), sqlx::Error> {
    // On a shard Citus names the trigger after the shard (`product_audit_rules_102016`).
    const TRIGGER_ON: &str = "EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = '%1$s'::regclass \
                              AND (t.tgname = 'product_audit_rules' OR t.tgname ~ '^product_audit_rules_[0-9]+$') \
                              AND t.tgenabled IN ('O', 'A'))";
    const MISSING: &str = "the product role may insert audit events but the trigger `product_audit_rules` \
                           (a product's namespace, tenantry's clock) is missing or disabled (run `tenantry migrate`)";
    let may_insert: bool =
        sqlx::query_scalar("SELECT has_table_privilege('tenantry_product', 'tenantry.audit_events', 'INSERT')")
            .fetch_one(&mut *conn)
            .await?;
    if !may_insert {
        return Ok(());
    }
    let on_table: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT {}",
        TRIGGER_ON.replace("%1$s", "tenantry.audit_events")
    )))
    .fetch_one(&mut *conn)
    .await?;
    if !on_table {
        report.findings.push(Finding { object: "tenantry.audit_events".into(), problem: MISSING.into() });
    }
    let distributed: bool = crate::citus::is_citus(&mut *conn).await?
        && sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'tenantry.audit_events'::regclass)",
        )
        .fetch_one(&mut *conn)
        .await?;
    if !distributed {
        return Ok(());
    }
    placement_findings(&mut *conn, report, "tenantry.audit_events", &format!("SELECT {TRIGGER_ON}"), MISSING).await?;
    Ok(())
}

/// Runs `check` (a query answering true, `%1$s` the shard's name) on every
/// shard placement of `table`, and reports each placement where it does not
/// answer true (`problem`) or cannot run.
async fn placement_findings(
    conn: &mut sqlx::PgConnection,
    report: &mut IsolationReport,
    table: &str,
    check: &str,
    problem: &str,
) -> Result<(), sqlx::Error> {
    let placements = sqlx::query("SELECT shardid, success, result FROM run_command_on_placements($1::regclass, $2)")
        .bind(table)
        .bind(check)
        .fetch_all(&mut *conn)
        .await?;
    for p in placements {
        let shard: i64 = p.try_get("shardid")?;
        let success: bool = p.try_get("success")?;
        let result: String = p.try_get("result")?;
        if !success || result != "t" {
            report.findings.push(Finding {
                object: format!("{table} (shard {shard})"),
                problem: if success {
                    problem.to_owned()
                } else {
                    format!("the shard could not be inspected: {result}")
                },
            });
        }
    }
    Ok(())
}

/// What is wrong with the row-level security policies of the table `oid`:
/// tenantry's permissive `tenant_isolation` (every role) and restrictive
/// `tenant_wall` (the service and product roles) on `reference`, USING and
/// WITH CHECK; the owner's named policies to the owner only; nothing else
/// permissive (a restrictive policy only narrows, and may stay).
async fn policy_problems(conn: &mut sqlx::PgConnection, oid: i64, reference: &str) -> Result<Vec<String>, sqlx::Error> {
    let policies = sqlx::query(
        "SELECT p.polname::text AS name, p.polpermissive AS permissive, p.polcmd::text AS cmd, \
                coalesce(pg_get_expr(p.polqual, p.polrelid), '') AS using_expr, \
                coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') AS check_expr, \
                ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END \
                      FROM unnest(p.polroles) r ORDER BY 1) AS roles, \
                pg_get_userbyid(c.relowner)::text AS owner \
         FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE p.polrelid = $1::bigint::oid ORDER BY 1",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await?;
    let mut problems = Vec::new();
    let (mut isolation, mut wall) = (false, false);
    for p in &policies {
        let name: String = p.try_get("name")?;
        let permissive: bool = p.try_get("permissive")?;
        let cmd: String = p.try_get("cmd")?;
        let using: String = p.try_get("using_expr")?;
        let check: String = p.try_get("check_expr")?;
        let roles: Vec<String> = p.try_get("roles")?;
        let owner: String = p.try_get("owner")?;
        let on_the_tenant = cmd == "*" && using == reference && check == reference;
        match name.as_str() {
            "tenant_isolation" if permissive && on_the_tenant && roles == ["public"] => isolation = true,
            "tenant_wall" if !permissive && on_the_tenant && roles == ["tenantry_app", "tenantry_product"] => {
                wall = true;
            }
            other if OWNER_POLICIES.contains(&other) && permissive && roles == [owner.clone()] => {}
            _ if !permissive => {}
            _ => problems.push(format!(
                "the permissive policy `{name}` (to {}) is not tenantry's: it widens what a role may see or write \
                 (drop it, or make it AS RESTRICTIVE)",
                roles.join(", ")
            )),
        }
    }
    if !isolation {
        problems.push("no permissive policy `tenant_isolation` on tenantry.tenant_id for USING and WITH CHECK".into());
    }
    if !wall {
        problems.push(
            "no restrictive policy `tenant_wall` on tenantry.tenant_id for tenantry_app and tenantry_product".into(),
        );
    }
    Ok(problems)
}
