-- Security I (issue 17): the layer around the tenant walls, sealed.
--
-- * tenantry's clock: `tenantry.now()` = now() + an offset, or a fixed time, kept in an owner-only
--   one-row table. Every named path and platform write takes its time from it, never from the
--   caller; only tests move it (through the owner's URL, to follow their fake clock), and
--   `tenantry check-isolation` reports it when it is not the plain now().
-- * The service role (`tenantry_app`) has no DML on any platform table (comment 'tenantry:platform'):
--   each platform write is a narrow SECURITY DEFINER function below that takes no password hash,
--   token version or time. Superusers are created with the owner's URL only.
-- * No "NULL means all tenants": one tenant's audit read and the superuser's read of every tenant's
--   log are two functions, and the second records itself (with a reason) before it answers.
-- * Product code connects as its own role, `tenantry_product`, granted only on registered product
--   tables and the scoped helper that appends a product's audit event.
-- * Every tenant-owned table gets a second, RESTRICTIVE policy for the service and product roles:
--   a permissive policy someone adds later (`USING (true)`) can widen nothing for them.

SELECT pg_advisory_xact_lock(7408521437);
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'tenantry_product') THEN
        BEGIN
            CREATE ROLE tenantry_product LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END
$$;
-- The product role reaches the scoped helpers in schema tenantry (and nothing else of it).
GRANT USAGE ON SCHEMA tenantry TO tenantry_product;
-- Functions the owner creates here from now on are nobody's until granted.
ALTER DEFAULT PRIVILEGES IN SCHEMA tenantry, tenantry_lookup REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- ---------------------------------------------------------------- tenantry's clock

CREATE TABLE tenantry.clock (
    id        boolean     PRIMARY KEY DEFAULT true CHECK (id),
    offset_by interval    NOT NULL DEFAULT '0',   -- a shifted clock (a rehearsal); zero in production
    fixed_at  timestamptz                          -- a stopped clock (tests that drive a fake clock)
);
COMMENT ON TABLE tenantry.clock IS 'tenantry:platform the time of the named paths; owner-only writes';
INSERT INTO tenantry.clock DEFAULT VALUES;
-- Read-only for the service role: `check-isolation` reports a shifted or stopped clock.
GRANT SELECT ON tenantry.clock TO tenantry_app;

CREATE FUNCTION tenantry.now() RETURNS timestamptz
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT coalesce(c.fixed_at, now() + c.offset_by) FROM tenantry.clock c $$;
REVOKE ALL ON FUNCTION tenantry.now() FROM PUBLIC;

-- ---------------------------------------------------------------- no DML on platform tables

DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN
        SELECT c.oid::regclass FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'tenantry' AND c.relkind IN ('r', 'p')
          AND obj_description(c.oid, 'pg_class') LIKE 'tenantry:platform%'
    LOOP
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %s FROM PUBLIC, tenantry_app, tenantry_product', t);
    END LOOP;
END
$$;
-- The erasure ledger names every tenant's erased users: read only through the tenant's own scope.
REVOKE SELECT ON tenantry.erasure_ledger FROM tenantry_app;

-- ---------------------------------------------------------------- the tenant walls, restrictive too

-- make_tenant_owned, as before, plus: a RESTRICTIVE copy of the tenant policy for the service and
-- product roles (a permissive policy added later can widen nothing for them; the owner keeps its
-- named read/claim/housekeeping policies), and for product tables the product role's grants.
DROP FUNCTION tenantry.make_tenant_owned(regclass, text);
CREATE FUNCTION tenantry.make_tenant_owned(p_table regclass,
                                           p_privileges text DEFAULT 'SELECT, INSERT, UPDATE, DELETE',
                                           p_product boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_wall CONSTANT text := 'tenant_id = nullif(current_setting(''tenantry.tenant_id'', true), '''')::uuid';
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', p_table);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', p_table);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (%s) WITH CHECK (%s)', p_table, v_wall, v_wall);
    EXECUTE format('CREATE POLICY tenant_wall ON %s AS RESTRICTIVE FOR ALL TO tenantry_app, tenantry_product '
                   'USING (%s) WITH CHECK (%s)', p_table, v_wall, v_wall);
    EXECUTE format('CREATE POLICY owner_lookup ON %s FOR SELECT TO %I USING (true)', p_table, current_user);
    EXECUTE format('GRANT %s ON %s TO tenantry_app', p_privileges, p_table);
    IF p_product THEN
        EXECUTE format('GRANT %s ON %s TO tenantry_product', p_privileges, p_table);
    END IF;
    EXECUTE format('COMMENT ON TABLE %s IS %L', p_table, 'tenantry:tenant-owned');
END
$$;
REVOKE ALL ON FUNCTION tenantry.make_tenant_owned(regclass, text, boolean) FROM PUBLIC;

DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN
        SELECT c.oid::regclass FROM pg_catalog.pg_class c
        WHERE c.relkind IN ('r', 'p') AND obj_description(c.oid, 'pg_class') = 'tenantry:tenant-owned'
    LOOP
        EXECUTE format('CREATE POLICY tenant_wall ON %s AS RESTRICTIVE FOR ALL TO tenantry_app, tenantry_product '
                       'USING (tenant_id = nullif(current_setting(''tenantry.tenant_id'', true), '''')::uuid) '
                       'WITH CHECK (tenant_id = nullif(current_setting(''tenantry.tenant_id'', true), '''')::uuid)', t);
    END LOOP;
END
$$;

-- Product tables registered before this migration: the product role gets what the service role has.
DO $$
DECLARE
    r record;
    p text;
BEGIN
    FOR r IN SELECT table_name, split_part(table_name, '.', 1) AS schema_name FROM tenantry.product_tables LOOP
        EXECUTE format('GRANT USAGE ON SCHEMA %s TO tenantry_product', r.schema_name);
        FOREACH p IN ARRAY ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'] LOOP
            IF has_table_privilege('tenantry_app', r.table_name, p) THEN
                EXECUTE format('GRANT %s ON %s TO tenantry_product', p, r.table_name);
            END IF;
        END LOOP;
    END LOOP;
END
$$;

-- register_product_table, as before, with the product role's grants (USAGE on the schema too).
CREATE OR REPLACE FUNCTION tenantry.register_product_table(p_table regclass, p_privileges text DEFAULT 'SELECT, INSERT, UPDATE, DELETE')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_schema text;
    v_name   text;
    v_tenant int2;
    v_pk     int2[];
    v_fk     text;
BEGIN
    SELECT n.nspname, format('%I.%I', n.nspname, c.relname) INTO v_schema, v_name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = p_table AND c.relkind IN ('r', 'p');
    IF v_name IS NULL THEN
        RAISE EXCEPTION 'tenantry: % is not a table', p_table USING ERRCODE = 'invalid_table_definition';
    END IF;
    IF v_schema IN ('tenantry', 'tenantry_lookup') THEN
        RAISE EXCEPTION 'tenantry: % lies in tenantry''s own schema; give product tables a schema of their own', v_name
            USING ERRCODE = 'invalid_table_definition';
    END IF;
    SELECT a.attnum INTO v_tenant FROM pg_attribute a
     WHERE a.attrelid = p_table AND a.attname = 'tenant_id' AND NOT a.attisdropped
       AND a.atttypid = 'uuid'::regtype AND a.attnotnull;
    IF v_tenant IS NULL THEN
        RAISE EXCEPTION 'tenantry: % needs a column `tenant_id uuid NOT NULL`', v_name
            USING ERRCODE = 'invalid_table_definition';
    END IF;
    SELECT conkey INTO v_pk FROM pg_constraint WHERE conrelid = p_table AND contype = 'p';
    IF v_pk IS NULL OR v_pk[1] <> v_tenant THEN
        RAISE EXCEPTION 'tenantry: the primary key of % must start with tenant_id, e.g. PRIMARY KEY (tenant_id, id)', v_name
            USING ERRCODE = 'invalid_table_definition';
    END IF;
    SELECT conname INTO v_fk FROM pg_constraint
     WHERE conrelid = p_table AND contype = 'f' AND NOT (v_tenant = ANY (conkey)) LIMIT 1;
    IF v_fk IS NOT NULL THEN
        RAISE EXCEPTION 'tenantry: the foreign key % of % must include tenant_id, e.g. FOREIGN KEY (tenant_id, user_id) REFERENCES tenantry.users (tenant_id, id)', v_fk, v_name
            USING ERRCODE = 'invalid_table_definition';
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO tenantry_app, tenantry_product', v_schema);
    PERFORM tenantry.make_tenant_owned(p_table, p_privileges, true);
    INSERT INTO tenantry.product_tables (table_name) VALUES (v_name) ON CONFLICT (table_name) DO NOTHING;
END
$$;
REVOKE ALL ON FUNCTION tenantry.register_product_table(regclass, text) FROM PUBLIC;

-- The scoped helper of product code: a product's audit event, appended to the log of the tenant the
-- transaction is set to (never another: the insert is checked by the tenant policy), in a product's
-- namespace (`timesheets.entry_approved`) — never one of tenantry's own.
CREATE FUNCTION tenantry.append_product_audit(p_id uuid, p_at timestamptz, p_actor jsonb, p_actor_user uuid,
                                              p_action text, p_target jsonb, p_target_user uuid, p_outcome text,
                                              p_details jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := nullif(current_setting('tenantry.tenant_id', true), '')::uuid;
BEGIN
    IF v_tenant IS NULL THEN
        RAISE EXCEPTION 'tenantry: no tenant is set for this transaction' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_action IS NULL OR length(p_action) > 64 OR p_action !~ '^[a-z0-9_]+\.[a-z0-9_]+$'
       OR split_part(p_action, '.', 1) = ANY (ARRAY['tenantry', 'security', 'session', 'mfa', 'export', 'backup',
            'erasure', 'auth', 'user', 'invitation', 'role', 'ownership', 'tenant', 'api_key', 'subscription',
            'billing', 'access', 'platform', 'ads', 'quota', 'data', 'job']) THEN
        RAISE EXCEPTION 'tenantry: % is not a product action (namespace.event outside tenantry''s namespaces)', p_action
            USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO tenantry.audit_events (tenant_id, id, at, actor, actor_user, action, target, target_user, outcome, details)
    VALUES (v_tenant, p_id, p_at, p_actor, p_actor_user, p_action, p_target, p_target_user, p_outcome, p_details);
END
$$;
REVOKE ALL ON FUNCTION tenantry.append_product_audit(uuid, timestamptz, jsonb, uuid, text, jsonb, uuid, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenantry.append_product_audit(uuid, timestamptz, jsonb, uuid, text, jsonb, uuid, text, jsonb)
    TO tenantry_product;

-- ---------------------------------------------------------------- platform writes

-- The superuser's failed login, counted atomically: parallel failures all count. Answers the end of
-- the lock when this failure locked the account (NULL otherwise: counted, already locked, or no
-- such active superuser). A lock that has run out starts a fresh count.
CREATE FUNCTION tenantry_lookup.superuser_login_failed(p_id uuid, p_max_failures integer, p_lock_minutes integer)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now   timestamptz := tenantry.now();
    v_until timestamptz;
BEGIN
    UPDATE tenantry.superusers s
       SET failed_logins = CASE WHEN s.locked_until IS NULL THEN s.failed_logins + 1 ELSE 1 END,
           locked_until = CASE
               WHEN (CASE WHEN s.locked_until IS NULL THEN s.failed_logins + 1 ELSE 1 END) >= greatest(p_max_failures, 1)
               THEN v_now + make_interval(mins => least(greatest(p_lock_minutes, 1), 1440))
               ELSE NULL END
     WHERE s.id = p_id AND s.active AND (s.locked_until IS NULL OR s.locked_until <= v_now)
    RETURNING s.locked_until INTO v_until;
    RETURN v_until;
END
$$;

-- The superuser's successful login: only when active, not locked now and still at the token version
-- its password was checked against; clears the failures. Never writes the version or the hash.
CREATE FUNCTION tenantry_lookup.superuser_login_succeeded(p_id uuid, p_token_version bigint)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH done AS (
        UPDATE tenantry.superusers s
           SET failed_logins = 0, locked_until = NULL, last_login_at = tenantry.now()
         WHERE s.id = p_id AND s.active AND s.token_version = p_token_version
           AND (s.locked_until IS NULL OR s.locked_until <= tenantry.now())
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM done)
$$;

-- A superuser's logout: every token issued so far stops working (the version moves on by one).
CREATE FUNCTION tenantry_lookup.end_superuser_sessions(p_id uuid)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH done AS (
        UPDATE tenantry.superusers s SET token_version = s.token_version + 1 WHERE s.id = p_id AND s.active RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM done)
$$;

CREATE FUNCTION tenantry_lookup.append_platform_audit(p_id uuid, p_tenant uuid, p_actor jsonb, p_action text,
                                                      p_target jsonb, p_outcome text, p_details jsonb)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO tenantry.platform_audit (id, at, tenant_id, actor, action, target, outcome, details)
    VALUES (p_id, tenantry.now(), p_tenant, p_actor, p_action, p_target, p_outcome, p_details)
$$;

CREATE FUNCTION tenantry_lookup.insert_campaign(p_id uuid, p_data jsonb)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ INSERT INTO tenantry.ad_campaigns (id, created_at, data) VALUES (p_id, tenantry.now(), p_data) $$;

CREATE FUNCTION tenantry_lookup.update_campaign(p_id uuid, p_data jsonb)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH done AS (UPDATE tenantry.ad_campaigns SET data = p_data WHERE id = p_id RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM done)
$$;

CREATE FUNCTION tenantry_lookup.delete_campaign(p_id uuid)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH done AS (DELETE FROM tenantry.ad_campaigns WHERE id = p_id RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM done)
$$;

-- One impression or click of a campaign on tenantry's today (UTC); false for no such campaign.
CREATE FUNCTION tenantry_lookup.count_ad(p_campaign uuid, p_click boolean)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH done AS (
        INSERT INTO tenantry.ad_counts (campaign_id, day, impressions, clicks)
        SELECT p_campaign, (tenantry.now() AT TIME ZONE 'UTC')::date,
               CASE WHEN p_click THEN 0 ELSE 1 END, CASE WHEN p_click THEN 1 ELSE 0 END
        WHERE EXISTS (SELECT 1 FROM tenantry.ad_campaigns WHERE id = p_campaign)
        ON CONFLICT (campaign_id, day) DO UPDATE
            SET impressions = tenantry.ad_counts.impressions + EXCLUDED.impressions,
                clicks = tenantry.ad_counts.clicks + EXCLUDED.clicks
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM done)
$$;

-- The platform totals of tenantry's today; false when the day was recorded already (kept).
CREATE FUNCTION tenantry_lookup.record_daily_stats(p_stats jsonb)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH done AS (
        INSERT INTO tenantry.platform_daily_stats (day, stats)
        VALUES ((tenantry.now() AT TIME ZONE 'UTC')::date, p_stats)
        ON CONFLICT (day) DO NOTHING
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM done)
$$;

CREATE FUNCTION tenantry_lookup.save_platform_settings(p_settings jsonb)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO tenantry.platform_settings (id, settings) VALUES (true, p_settings)
    ON CONFLICT (id) DO UPDATE SET settings = EXCLUDED.settings
$$;

-- The erasure ledger's platform copy, kept from and read by the tenant's own unit of work: every
-- erasure row the tenant writes (row-level security checks its tenant) is copied by a trigger in the
-- same transaction — both or neither — and the copy is read back for the tenant the transaction is
-- set to. Nothing of another tenant can be read or forged through them.
CREATE FUNCTION tenantry.copy_erasure() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO tenantry.erasure_ledger (tenant_id, user_id, erased_at, erased_by)
    VALUES (NEW.tenant_id, NEW.user_id, NEW.erased_at, NEW.erased_by)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION tenantry.copy_erasure() FROM PUBLIC;
CREATE TRIGGER erasures_ledger_copy AFTER INSERT ON tenantry.erasures
    FOR EACH ROW EXECUTE FUNCTION tenantry.copy_erasure();

CREATE FUNCTION tenantry_lookup.erasure_ledger()
RETURNS TABLE (tenant_id uuid, user_id uuid, erased_at timestamptz, erased_by jsonb)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT l.tenant_id, l.user_id, l.erased_at, l.erased_by FROM tenantry.erasure_ledger l
    WHERE l.tenant_id = nullif(current_setting('tenantry.tenant_id', true), '')::uuid
    ORDER BY l.erased_at, l.user_id
$$;

-- ---------------------------------------------------------------- the named paths, on their own time

DROP FUNCTION tenantry_lookup.due_tenants(timestamptz, integer);
CREATE FUNCTION tenantry_lookup.due_tenants(p_limit integer) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT tenant_id FROM tenantry.subscriptions
    WHERE next_due_at <= tenantry.now()
    ORDER BY next_due_at, tenant_id
    LIMIT least(greatest(p_limit, 0), 1000)
$$;

-- The lease is the domain's (job::LEASE_SECONDS = 300); at most 100 jobs a claim.
DROP FUNCTION tenantry_lookup.claim_due_jobs(timestamptz, integer, integer);
CREATE FUNCTION tenantry_lookup.claim_due_jobs(p_limit integer)
RETURNS TABLE (tenant_id uuid, id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH due AS (
        SELECT j.tenant_id, j.id FROM tenantry.jobs j
        WHERE j.state = 'pending' AND j.run_at <= tenantry.now()
          AND (j.leased_until IS NULL OR j.leased_until <= tenantry.now())
        ORDER BY j.run_at, j.tenant_id, j.id
        LIMIT least(greatest(p_limit, 0), 100)
        FOR UPDATE SKIP LOCKED
    )
    UPDATE tenantry.jobs j
    SET attempts = j.attempts + 1, leased_until = tenantry.now() + interval '300 seconds'
    FROM due
    WHERE j.tenant_id = due.tenant_id AND j.id = due.id
    RETURNING j.tenant_id, j.id
$$;

DROP FUNCTION tenantry_lookup.failed_jobs(integer);
CREATE FUNCTION tenantry_lookup.failed_jobs(p_limit integer)
RETURNS TABLE (
    tenant_id uuid, id uuid, kind jsonb, run_at timestamptz, attempts integer, leased_until timestamptz,
    last_error text, state text, finished_at timestamptz, created_at timestamptz
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT j.tenant_id, j.id, j.kind, j.run_at, j.attempts, j.leased_until, j.last_error, j.state, j.finished_at,
           j.created_at
    FROM tenantry.jobs j
    WHERE j.state = 'failed'
    ORDER BY j.finished_at DESC, j.id DESC
    LIMIT least(greatest(p_limit, 0), 1000)
$$;

-- The cut-offs are directory::housekeeping's: links 7 days after expiry, done jobs after 30 days,
-- the short-lived markers ('mail:', 'ads:modal:') after 90 days.
DROP FUNCTION tenantry_lookup.housekeeping(timestamptz, timestamptz, timestamptz, text[]);
CREATE FUNCTION tenantry_lookup.housekeeping()
RETURNS TABLE (account_links bigint, jobs bigint, markers bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now   timestamptz := tenantry.now();
    n_links bigint;
    n_jobs  bigint;
    n_marks bigint;
BEGIN
    DELETE FROM tenantry.account_links WHERE expires_at < v_now - interval '7 days';
    GET DIAGNOSTICS n_links = ROW_COUNT;
    DELETE FROM tenantry.jobs WHERE state = 'done' AND finished_at < v_now - interval '30 days';
    GET DIAGNOSTICS n_jobs = ROW_COUNT;
    DELETE FROM tenantry.markers m
    WHERE m.at < v_now - interval '90 days' AND (starts_with(m.key, 'mail:') OR starts_with(m.key, 'ads:modal:'));
    GET DIAGNOSTICS n_marks = ROW_COUNT;
    RETURN QUERY SELECT n_links, n_jobs, n_marks;
END
$$;

DROP FUNCTION tenantry_lookup.list_tenants(text, text, integer, integer);
CREATE FUNCTION tenantry_lookup.list_tenants(p_search text, p_status text, p_offset integer, p_limit integer)
RETURNS TABLE (
    tenant_id uuid, slug text, name text, status text, plan text, billing_interval text, seats integer,
    active_users integer, recurring_cents bigint, created_at timestamptz
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
    OFFSET greatest(p_offset, 0) LIMIT least(greatest(p_limit, 0), 1000)
$$;

DROP FUNCTION tenantry_lookup.platform_figures(date);
CREATE FUNCTION tenantry_lookup.platform_figures() RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH m AS (SELECT date_trunc('month', tenantry.now() AT TIME ZONE 'UTC')::date AS month)
    SELECT jsonb_build_object(
        'month', (SELECT month FROM m),
        'tenants_by_status', coalesce((SELECT jsonb_object_agg(status, n)
                                       FROM (SELECT status, count(*) AS n FROM tenantry.subscriptions GROUP BY status) g), '{}'::jsonb),
        'active_users', (SELECT count(*) FROM tenantry.users WHERE active),
        'monthly_recurring_cents', coalesce((SELECT jsonb_agg(recurring_cents ORDER BY tenant_id) FROM tenantry.subscriptions
                                             WHERE recurring_cents IS NOT NULL AND billing_interval = 'month'), '[]'::jsonb),
        'yearly_recurring_cents', coalesce((SELECT jsonb_agg(recurring_cents ORDER BY tenant_id) FROM tenantry.subscriptions
                                            WHERE recurring_cents IS NOT NULL AND billing_interval = 'year'), '[]'::jsonb),
        'logins', (SELECT coalesce(sum(logins), 0) FROM tenantry.usage WHERE month = (SELECT month FROM m)),
        'storage_bytes', (SELECT coalesce(sum(bytes), 0) FROM tenantry.storage)
    )
$$;

-- One tenant's log and the platform log's events about it. A tenant must be named.
DROP FUNCTION tenantry_lookup.audit_events(uuid, boolean, uuid, integer, text, uuid);
CREATE FUNCTION tenantry_lookup.tenant_audit_events(p_tenant uuid, p_before uuid, p_limit integer, p_action text,
                                                    p_user uuid)
RETURNS TABLE (
    id uuid, at timestamptz, tenant_id uuid, actor jsonb, action text, target jsonb, outcome text, details jsonb
)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF p_tenant IS NULL THEN
        RAISE EXCEPTION 'tenantry: name the tenant (every tenant''s log is read by all_audit_events, with a reason)'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    RETURN QUERY
    SELECT * FROM (
        SELECT e.id, e.at, e.tenant_id, e.actor, e.action, e.target, e.outcome, e.details
        FROM tenantry.audit_events e
        WHERE e.tenant_id = p_tenant
          AND (p_before IS NULL OR e.id < p_before)
          AND (p_action IS NULL OR e.action = p_action)
          AND (p_user IS NULL OR e.actor_user = p_user OR e.target_user = p_user)
        UNION ALL
        SELECT p.id, p.at, p.tenant_id, p.actor, p.action, p.target, p.outcome, p.details
        FROM tenantry.platform_audit p
        WHERE p.tenant_id = p_tenant
          AND (p_before IS NULL OR p.id < p_before)
          AND (p_action IS NULL OR p.action = p_action)
          AND (p_user IS NULL OR p.actor ->> 'id' = p_user::text OR p.target ->> 'id' = p_user::text)
    ) one_tenant
    ORDER BY 1 DESC
    LIMIT least(greatest(p_limit, 0), 1000);
END
$$;

-- The superuser's read of every tenant's log: recorded first (as p_event_id, with the reason and the
-- filters, by an active superuser — anyone else reads nothing), then answered.
CREATE FUNCTION tenantry_lookup.all_audit_events(p_event_id uuid, p_superuser uuid, p_reason text, p_before uuid,
                                                 p_limit integer, p_action text, p_user uuid)
RETURNS TABLE (
    id uuid, at timestamptz, tenant_id uuid, actor jsonb, action text, target jsonb, outcome text, details jsonb
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_limit integer := least(greatest(p_limit, 0), 1000);
BEGIN
    IF p_reason IS NULL OR length(btrim(p_reason)) = 0 OR length(p_reason) > 200 THEN
        RAISE EXCEPTION 'tenantry: reading every tenant''s log needs a reason of 1 to 200 characters'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM tenantry.superusers s WHERE s.id = p_superuser AND s.active) THEN
        RETURN;
    END IF;
    INSERT INTO tenantry.platform_audit (id, at, tenant_id, actor, action, target, outcome, details)
    VALUES (p_event_id, tenantry.now(), NULL, jsonb_build_object('kind', 'superuser', 'id', p_superuser),
            'platform.audit_read', NULL, 'success',
            jsonb_strip_nulls(jsonb_build_object('reason', p_reason, 'limit', v_limit::text,
                                                 'before', p_before::text, 'action', p_action, 'user', p_user::text)));
    RETURN QUERY
    SELECT * FROM (
        SELECT e.id, e.at, e.tenant_id, e.actor, e.action, e.target, e.outcome, e.details
        FROM tenantry.audit_events e
        WHERE (p_before IS NULL OR e.id < p_before)
          AND (p_action IS NULL OR e.action = p_action)
          AND (p_user IS NULL OR e.actor_user = p_user OR e.target_user = p_user)
        UNION ALL
        SELECT p.id, p.at, p.tenant_id, p.actor, p.action, p.target, p.outcome, p.details
        FROM tenantry.platform_audit p
        WHERE (p_before IS NULL OR p.id < p_before)
          AND (p_action IS NULL OR p.action = p_action)
          AND (p_user IS NULL OR p.actor ->> 'id' = p_user::text OR p.target ->> 'id' = p_user::text)
    ) every_tenant
    ORDER BY 1 DESC
    LIMIT v_limit;
END
$$;

-- Every function of the named paths is the service role's alone.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA tenantry_lookup FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tenantry_lookup TO tenantry_app;
