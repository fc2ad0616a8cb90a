-- Scale-out (issue 26): the cross-tenant named paths read the clock once, on the node they run on,
-- and the job claimer claims each job with a conditional update of its own row.
--
-- On a Citus coordinator a STABLE function in the WHERE clause of a SELECT is sent to the workers
-- with the query, where `tenantry.now()` cannot run (its clock is a coordinator table, and a query on
-- a shard may not start another distributed query). A plpgsql variable is a parameter: evaluated
-- once, here, and sent as a value. On plain PostgreSQL the answers are the same.
--
-- The claimer took its candidates with `FOR UPDATE SKIP LOCKED` across every tenant's jobs, which
-- Citus refuses across shards. It now reads the candidates without a lock, then claims each with
-- an UPDATE of that one row (one tenant: one shard) whose WHERE repeats the conditions: a job that
-- another claimer took in the meantime no longer matches once its row lock is released (READ
-- COMMITTED re-checks the row), so every due job is claimed by exactly one claimer. The candidates
-- are taken in one order, so two claimers lock rows in the same order and cannot deadlock.

CREATE OR REPLACE FUNCTION tenantry_lookup.due_tenants(p_limit integer) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now timestamptz := tenantry.now();
BEGIN
    RETURN QUERY
    SELECT s.tenant_id FROM tenantry.subscriptions s
    WHERE s.next_due_at <= v_now
    ORDER BY s.next_due_at, s.tenant_id
    LIMIT least(greatest(p_limit, 0), 1000);
END
$$;

-- The lease is the domain's (job::LEASE_SECONDS = 300); at most 100 jobs a claim.
CREATE OR REPLACE FUNCTION tenantry_lookup.claim_due_jobs(p_limit integer)
RETURNS TABLE (tenant_id uuid, id uuid)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now timestamptz := tenantry.now();
    v_candidate record;
BEGIN
    FOR v_candidate IN
        SELECT j.tenant_id, j.id FROM tenantry.jobs j
        WHERE j.state = 'pending' AND j.run_at <= v_now AND (j.leased_until IS NULL OR j.leased_until <= v_now)
        ORDER BY j.run_at, j.tenant_id, j.id
        LIMIT least(greatest(p_limit, 0), 100)
    LOOP
        UPDATE tenantry.jobs j
        SET attempts = j.attempts + 1, leased_until = v_now + interval '300 seconds'
        WHERE j.tenant_id = v_candidate.tenant_id AND j.id = v_candidate.id
          AND j.state = 'pending' AND j.run_at <= v_now AND (j.leased_until IS NULL OR j.leased_until <= v_now);
        IF FOUND THEN
            tenant_id := v_candidate.tenant_id;
            id := v_candidate.id;
            RETURN NEXT;
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION tenantry_lookup.platform_figures() RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_month date := date_trunc('month', tenantry.now() AT TIME ZONE 'UTC')::date;
    v_usage record;
BEGIN
    SELECT coalesce(sum(u.logins), 0) AS logins, coalesce(sum(u.api_calls), 0) AS api_calls,
           coalesce(sum(u.page_views), 0) AS page_views
    INTO v_usage
    FROM tenantry.usage u WHERE u.month = v_month;
    RETURN jsonb_build_object(
        'month', v_month,
        'tenants_by_status', coalesce((SELECT jsonb_object_agg(g.status, g.n)
                                       FROM (SELECT s.status, count(*) AS n FROM tenantry.subscriptions s
                                             GROUP BY s.status) g), '{}'::jsonb),
        'active_users', (SELECT count(*) FROM tenantry.users u WHERE u.active),
        'monthly_recurring_cents', coalesce((SELECT jsonb_agg(s.recurring_cents ORDER BY s.tenant_id)
                                             FROM tenantry.subscriptions s
                                             WHERE s.recurring_cents IS NOT NULL AND s.billing_interval = 'month'),
                                            '[]'::jsonb),
        'yearly_recurring_cents', coalesce((SELECT jsonb_agg(s.recurring_cents ORDER BY s.tenant_id)
                                            FROM tenantry.subscriptions s
                                            WHERE s.recurring_cents IS NOT NULL AND s.billing_interval = 'year'),
                                           '[]'::jsonb),
        'logins', v_usage.logins,
        'api_calls', v_usage.api_calls,
        'page_views', v_usage.page_views,
        'storage_bytes', (SELECT coalesce(sum(st.bytes), 0) FROM tenantry.storage st)
    );
END
$$;

-- Citus plans no distributed query from an SQL-language function's parameters ("could not create
-- distributed plan"; a plpgsql function's are values): the named paths that read tenant tables
-- are plpgsql, with the same answers.
CREATE OR REPLACE FUNCTION tenantry_lookup.failed_jobs(p_limit integer)
RETURNS TABLE (
    tenant_id uuid, id uuid, kind jsonb, run_at timestamptz, attempts integer, leased_until timestamptz,
    last_error text, state text, finished_at timestamptz, created_at timestamptz
)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT j.tenant_id, j.id, j.kind, j.run_at, j.attempts, j.leased_until, j.last_error, j.state, j.finished_at,
           j.created_at
    FROM tenantry.jobs j
    WHERE j.state = 'failed'
    ORDER BY j.finished_at DESC, j.id DESC
    LIMIT least(greatest(p_limit, 0), 1000);
END
$$;

CREATE OR REPLACE FUNCTION tenantry_lookup.list_tenants(p_search text, p_status text, p_offset integer, p_limit integer)
RETURNS TABLE (
    tenant_id uuid, slug text, name text, status text, plan text, billing_interval text, seats integer,
    active_users integer, recurring_cents bigint, created_at timestamptz
)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT t.tenant_id, t.slug, t.name, s.status, s.plan, s.billing_interval, s.seats,
           (SELECT count(*)::integer FROM tenantry.users u WHERE u.tenant_id = t.tenant_id AND u.active),
           s.recurring_cents, t.created_at
    FROM tenantry.tenants t
    JOIN tenantry.subscriptions s ON s.tenant_id = t.tenant_id
    WHERE (p_status IS NULL OR s.status = p_status)
      AND (p_search IS NULL
           OR strpos(lower(t.name), lower(p_search)) > 0
           OR strpos(t.slug, lower(p_search)) > 0)
    ORDER BY t.created_at DESC, t.tenant_id DESC
    OFFSET greatest(p_offset, 0) LIMIT least(greatest(p_limit, 0), 1000);
END
$$;

CREATE OR REPLACE FUNCTION tenantry_lookup.tenants_of_email(p_email text, p_limit integer) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    SELECT u.tenant_id FROM tenantry.users u JOIN tenantry.tenants t ON t.tenant_id = u.tenant_id
    WHERE u.email = p_email AND u.active AND u.email_verified_at IS NOT NULL
    ORDER BY t.created_at, t.tenant_id
    LIMIT least(greatest(p_limit, 0), 100);
END
$$;
