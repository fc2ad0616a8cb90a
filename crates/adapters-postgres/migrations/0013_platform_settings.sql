-- The superuser's platform settings (issue 8): password policy, mandatory two-factor authentication,
-- default quotas by plan — one row of the domain's JSON, no tenant data.
CREATE TABLE tenantry.platform_settings (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    settings jsonb   NOT NULL
);
COMMENT ON TABLE tenantry.platform_settings IS 'tenantry:platform';
GRANT SELECT, INSERT, UPDATE ON tenantry.platform_settings TO tenantry_app;
