-- The platform's copy of the erasure ledger (issue 8, DESIGN.md "Data rights"): ids and times
-- only, no personal data, and no foreign key to the tenant, so that it outlives the tenant's purge
-- and a restore of an older backup — even of a purged tenant — erases the person again.
-- The tenant's own ledger (tenantry.erasures) stays tenant-owned; this copy is what a restore reads.
CREATE TABLE tenantry.erasure_ledger (
    tenant_id uuid        NOT NULL,
    user_id   uuid        NOT NULL,
    erased_at timestamptz NOT NULL,
    erased_by jsonb       NOT NULL,   -- the actor (ids only)
    PRIMARY KEY (tenant_id, user_id, erased_at)
);
COMMENT ON TABLE tenantry.erasure_ledger IS 'tenantry:platform erasure ledger: ids only, kept through purges';
GRANT SELECT, INSERT ON tenantry.erasure_ledger TO tenantry_app;
