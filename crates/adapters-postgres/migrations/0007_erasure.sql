-- GDPR erasure (DESIGN.md "Data rights"): the ledger of erasures, which a restore re-applies, and the
-- one change the append-only audit log allows: rewriting details to remove an erased person's data.

CREATE TABLE tenantry.erasures (
    tenant_id uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    user_id   uuid        NOT NULL,   -- no foreign key: the ledger outlives nothing, but must not block a user's removal
    erased_at timestamptz NOT NULL,
    erased_by jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, user_id, erased_at)
);
SELECT tenantry.make_tenant_owned('tenantry.erasures', 'SELECT, INSERT');

-- Erasure rewrites the details of the tenant's own events (row-level security applies to UPDATE).
GRANT UPDATE (details) ON tenantry.audit_events TO tenantry_app;
