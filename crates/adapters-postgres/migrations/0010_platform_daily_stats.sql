-- One snapshot of the platform totals a day (issue 8), for the superuser's history charts: totals
-- only (tenants by status, active users, MRR, logins, storage), no tenant data.
CREATE TABLE tenantry.platform_daily_stats (
    day   date  PRIMARY KEY,
    stats jsonb NOT NULL
);
COMMENT ON TABLE tenantry.platform_daily_stats IS 'tenantry:platform';
GRANT SELECT, INSERT ON tenantry.platform_daily_stats TO tenantry_app;
