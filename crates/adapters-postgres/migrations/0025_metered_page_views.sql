-- Issue 19: the service meters API calls and web page views (aggregated in each process and
-- added here as atomic increments every few seconds); the platform's figures count both.
ALTER TABLE tenantry.usage ADD COLUMN page_views bigint NOT NULL DEFAULT 0;
ALTER TABLE tenantry.usage ADD CONSTRAINT usage_counts_not_negative
    CHECK (api_calls >= 0 AND logins >= 0 AND page_views >= 0);

CREATE OR REPLACE FUNCTION tenantry_lookup.platform_figures() RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH m AS (SELECT date_trunc('month', tenantry.now() AT TIME ZONE 'UTC')::date AS month),
         u AS (SELECT coalesce(sum(logins), 0) AS logins, coalesce(sum(api_calls), 0) AS api_calls,
                      coalesce(sum(page_views), 0) AS page_views
               FROM tenantry.usage WHERE month = (SELECT month FROM m))
    SELECT jsonb_build_object(
        'month', (SELECT month FROM m),
        'tenants_by_status', coalesce((SELECT jsonb_object_agg(status, n)
                                       FROM (SELECT status, count(*) AS n FROM tenantry.subscriptions GROUP BY status) g), '{}'::jsonb),
        'active_users', (SELECT count(*) FROM tenantry.users WHERE active),
        'monthly_recurring_cents', coalesce((SELECT jsonb_agg(recurring_cents ORDER BY tenant_id) FROM tenantry.subscriptions
                                             WHERE recurring_cents IS NOT NULL AND billing_interval = 'month'), '[]'::jsonb),
        'yearly_recurring_cents', coalesce((SELECT jsonb_agg(recurring_cents ORDER BY tenant_id) FROM tenantry.subscriptions
                                            WHERE recurring_cents IS NOT NULL AND billing_interval = 'year'), '[]'::jsonb),
        'logins', (SELECT logins FROM u),
        'api_calls', (SELECT api_calls FROM u),
        'page_views', (SELECT page_views FROM u),
        'storage_bytes', (SELECT coalesce(sum(bytes), 0) FROM tenantry.storage)
    )
$$;
