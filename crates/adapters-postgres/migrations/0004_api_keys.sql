-- Tenant API keys (tenant-owned): machine access to one tenant with one BUILT-IN role (never the
-- owner's). Only the SHA-256 of the secret is stored; the key text names its tenant and key id,
-- so authenticating needs no lookup across tenants. Revoked keys stay for the audit trail.
CREATE TABLE tenantry.api_keys (
    tenant_id   uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    id          uuid        NOT NULL,
    name        text        NOT NULL,
    role        text        NOT NULL CHECK (role IN ('admin', 'manager', 'member', 'viewer')),
    secret_hash text        NOT NULL,  -- SHA-256 hex of the secret; never exported or logged
    created_by  uuid,                  -- no foreign key: the creator may be removed later
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    PRIMARY KEY (tenant_id, id)
);
SELECT tenantry.make_tenant_owned('tenantry.api_keys');
