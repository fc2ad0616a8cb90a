//! The isolation verifier: inspects the live schema and names every table that
//! has a `tenant_id` column but lacks forced row-level security, a tenant-leading
//! primary key or tenant-inclusive foreign keys; every view over such a table
//! that is not `security_invoker`; every `SECURITY DEFINER` function (the
//! expected ones marked); and whether the connected role could bypass RLS.
//! `tenantry check-isolation` prints this report.

use crate::PgStore;
use serde::Serialize;
use sqlx::Row;

/// `SECURITY DEFINER` functions that are part of tenantry's design.
pub const EXPECTED_DEFINERS: &[&str] = &[
    "tenantry.sync_tenant_slug",
    "tenantry.sync_billing_customer",
    "tenantry_lookup.resolve_slug",
    "tenantry_lookup.resolve_billing_customer",
    "tenantry_lookup.due_tenants",
    "tenantry_lookup.list_tenants",
    "tenantry_lookup.platform_figures",
    "tenantry_lookup.audit_events",
    "tenantry_lookup.claim_due_jobs",
    "tenantry_lookup.failed_jobs",
    "tenantry_lookup.housekeeping",
];

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

/// Inspects the schema through the store's connection (catalog queries only).
pub async fn verify_isolation(store: &PgStore) -> Result<IsolationReport, sqlx::Error> {
    let pool = store.pool();
    let mut report = IsolationReport::default();

    let role = sqlx::query(
        "SELECT r.rolname::text AS role, r.rolsuper, r.rolbypassrls, \
                (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relowner = r.oid AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                   AND c.relkind IN ('r', 'p', 'v')) AS owned \
         FROM pg_roles r WHERE r.rolname = current_user",
    )
    .fetch_one(pool)
    .await?;
    report.role = role.try_get("role")?;
    if role.try_get::<bool, _>("rolsuper")? {
        report
            .findings
            .push(Finding { object: format!("role {}", report.role), problem: "is a superuser (bypasses RLS)".into() });
    }
    if role.try_get::<bool, _>("rolbypassrls")? {
        report.findings.push(Finding { object: format!("role {}", report.role), problem: "has BYPASSRLS".into() });
    }
    let owned: i64 = role.try_get("owned")?;
    if owned > 0 {
        report.findings.push(Finding {
            object: format!("role {}", report.role),
            problem: format!("owns {owned} table(s) or view(s); the service role must own nothing"),
        });
    }

    // Every ordinary table with a tenant_id column, outside the system schemas.
    let tables = sqlx::query(
        "SELECT c.oid::bigint AS oid, format('%I.%I', n.nspname, c.relname) AS name, \
                c.relrowsecurity, c.relforcerowsecurity, \
                coalesce(obj_description(c.oid, 'pg_class'), '') AS comment, \
                (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS tenant_col, \
                (SELECT con.conkey FROM pg_constraint con WHERE con.conrelid = c.oid AND con.contype = 'p') AS pk, \
                EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polcmd = '*' \
                        AND pg_get_expr(p.polqual, p.polrelid) LIKE '%tenantry.tenant_id%' \
                        AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%tenantry.tenant_id%') AS policy \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg_toast%' \
         ORDER BY 2",
    )
    .fetch_all(pool)
    .await?;
    for t in &tables {
        let name: String = t.try_get("name")?;
        let comment: String = t.try_get("comment")?;
        let tenant_col: Option<i16> = t.try_get("tenant_col")?;
        if comment.starts_with("tenantry:platform") {
            report.platform.push(name);
            continue;
        }
        let Some(tenant_col) = tenant_col else { continue };
        let mut problems = Vec::new();
        if !t.try_get::<bool, _>("relrowsecurity")? {
            problems.push("row-level security is not enabled");
        }
        if !t.try_get::<bool, _>("relforcerowsecurity")? {
            problems.push("row-level security is not forced");
        }
        if !t.try_get::<bool, _>("policy")? {
            problems.push("no policy on tenantry.tenant_id for USING and WITH CHECK");
        }
        let pk: Option<Vec<i16>> = t.try_get("pk")?;
        if pk.as_ref().and_then(|k| k.first()) != Some(&tenant_col) {
            problems.push("the primary key does not start with tenant_id");
        }
        let oid: i64 = t.try_get("oid")?;
        let bad_fks: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_constraint con WHERE con.conrelid = $1::bigint::oid AND con.contype = 'f' \
             AND NOT ($2::smallint = ANY (con.conkey)) \
             AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = con.confrelid AND a.attname = 'tenant_id')",
        )
        .bind(oid)
        .bind(tenant_col)
        .fetch_one(pool)
        .await?;
        if bad_fks > 0 {
            problems.push("a foreign key to a tenant-owned table does not include tenant_id");
        }
        if problems.is_empty() {
            report.protected.push(name);
        } else {
            for p in problems {
                report.findings.push(Finding { object: name.clone(), problem: p.into() });
            }
        }
    }

    // Views over tables with tenant_id must be security_invoker (else they run as their owner).
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
    .fetch_all(pool)
    .await?;
    for v in &views {
        report.findings.push(Finding {
            object: v.try_get("name")?,
            problem: "a view over a tenant-owned table that is not security_invoker (it would read as its owner)"
                .into(),
        });
    }

    let definers = sqlx::query(
        "SELECT format('%s.%s', n.nspname, p.proname) AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    )
    .fetch_all(pool)
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
    Ok(report)
}
