-- Password reset links (issue 8, account security): one hour, single use; only the hash of the
-- link's secret is kept.
CREATE TABLE tenantry.password_resets (
    tenant_id  uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    id         uuid        NOT NULL,
    user_id    uuid        NOT NULL,
    token_hash text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenantry.users (tenant_id, id) ON DELETE CASCADE
);
SELECT tenantry.make_tenant_owned('tenantry.password_resets', 'SELECT, INSERT, UPDATE');
