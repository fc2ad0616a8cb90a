-- tenantry's core schema. Run as the OWNER role (DATABASE_ADMIN_URL, `tenantry migrate`);
-- the service connects as `tenantry_app`, which owns nothing, is not a superuser and has no
-- BYPASSRLS (DESIGN.md section 2, wall 2).
--
-- Conventions, checked by the isolation verifier (src/verify.rs):
-- * every TENANT-OWNED table has `tenant_id uuid NOT NULL`, a primary key that starts with
--   tenant_id, foreign keys that include tenant_id, and row-level security ENABLED and FORCED
--   with the policy `tenant_isolation` on the transaction-local setting `tenantry.tenant_id`;
-- * every PLATFORM table holds no tenant data and says so in its comment ('tenantry:platform');
-- * the only reads across tenants are the SECURITY DEFINER functions in schema tenantry_lookup.
-- Unique constraints on tenant-owned tables include tenant_id, so that every tenant-owned table
-- can be distributed by tenant_id on Citus (docs/SCALING.md); cross-tenant uniqueness (slugs,
-- billing customers) lives in platform tables kept by triggers.

-- The service role. Roles are cluster-wide, so several databases migrating at once (parallel
-- tests, several instances) may race to create it: a lock serialises this database's
-- migrations, and the exception handler absorbs a race with another database.
SELECT pg_advisory_xact_lock(7408521437);
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'tenantry_app') THEN
        BEGIN
            CREATE ROLE tenantry_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END
$$;

CREATE SCHEMA tenantry;
CREATE SCHEMA tenantry_lookup;
COMMENT ON SCHEMA tenantry IS 'tenantry: tenant-owned and platform tables';
COMMENT ON SCHEMA tenantry_lookup IS 'tenantry: the named cross-tenant paths (SECURITY DEFINER functions)';
REVOKE ALL ON SCHEMA tenantry, tenantry_lookup FROM PUBLIC;
GRANT USAGE ON SCHEMA tenantry, tenantry_lookup TO tenantry_app;

-- The standard treatment of a tenant-owned table, used for tenantry's tables here and for a
-- product's own tables (docs/EMBEDDING.md): RLS enabled AND forced (so that even the owner is
-- subject to it), one policy for reads and writes on the transaction-local tenant setting, a
-- read-only policy for the owner role (the role of the SECURITY DEFINER lookup functions),
-- and the service role's grants. nullif(...,'') makes an unset setting match nothing.
CREATE FUNCTION tenantry.make_tenant_owned(p_table regclass, p_privileges text DEFAULT 'SELECT, INSERT, UPDATE, DELETE')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', p_table);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', p_table);
    EXECUTE format(
        'CREATE POLICY tenant_isolation ON %s '
        'USING (tenant_id = nullif(current_setting(''tenantry.tenant_id'', true), '''')::uuid) '
        'WITH CHECK (tenant_id = nullif(current_setting(''tenantry.tenant_id'', true), '''')::uuid)',
        p_table);
    EXECUTE format('CREATE POLICY owner_lookup ON %s FOR SELECT TO %I USING (true)', p_table, current_user);
    EXECUTE format('GRANT %s ON %s TO tenantry_app', p_privileges, p_table);
    EXECUTE format('COMMENT ON TABLE %s IS %L', p_table, 'tenantry:tenant-owned');
END
$$;
REVOKE ALL ON FUNCTION tenantry.make_tenant_owned(regclass, text) FROM PUBLIC;

-- ---------------------------------------------------------------- tenant-owned tables

-- The tenant itself: its id is its tenant_id.
CREATE TABLE tenantry.tenants (
    tenant_id      uuid        PRIMARY KEY,
    slug           text        NOT NULL,
    name           text        NOT NULL,
    created_at     timestamptz NOT NULL,
    settings       jsonb       NOT NULL,   -- branding, notification preferences, billing details
    quota_override jsonb       NOT NULL    -- the superuser's per-tenant quota override
);
SELECT tenantry.make_tenant_owned('tenantry.tenants');

CREATE TABLE tenantry.roles (
    tenant_id   uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    id          uuid        NOT NULL,
    name        text        NOT NULL,
    description text,
    permissions text[]      NOT NULL,      -- permission names: roles survive new registrations
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
-- Names are unique per tenant, case-insensitively.
CREATE UNIQUE INDEX roles_name_key ON tenantry.roles (tenant_id, lower(name));
SELECT tenantry.make_tenant_owned('tenantry.roles');

CREATE TABLE tenantry.users (
    tenant_id          uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    id                 uuid        NOT NULL,
    email              text        NOT NULL,  -- normalised to lower case by the domain
    name               text        NOT NULL,
    role               text        NOT NULL,  -- owner | admin | manager | member | viewer | custom
    custom_role_id     uuid,
    active             boolean     NOT NULL,
    deactivated_at     timestamptz,
    deactivated_reason text,
    password_hash      text        NOT NULL,  -- Argon2id PHC string; never exported or logged
    created_at         timestamptz NOT NULL,
    failed_logins      integer     NOT NULL,
    locked_until       timestamptz,
    token_version      bigint      NOT NULL,
    last_login_at      timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_email_key UNIQUE (tenant_id, email),
    -- A custom role of the SAME tenant; RESTRICT: a role in use cannot be deleted.
    FOREIGN KEY (tenant_id, custom_role_id) REFERENCES tenantry.roles (tenant_id, id),
    CHECK ((role = 'custom') = (custom_role_id IS NOT NULL)),
    CHECK (active = (deactivated_at IS NULL))
);
-- At most one owner per tenant, as a backstop to the domain's rule (transfers update the old
-- owner first).
CREATE UNIQUE INDEX users_one_owner ON tenantry.users (tenant_id) WHERE role = 'owner';
SELECT tenantry.make_tenant_owned('tenantry.users');

CREATE TABLE tenantry.invitations (
    tenant_id        uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    id               uuid        NOT NULL,
    email            text        NOT NULL,
    role             text        NOT NULL,
    custom_role_id   uuid,
    token_hash       text        NOT NULL,  -- SHA-256 of the link's secret; the secret is never stored
    invited_by       uuid,                  -- no foreign key: the inviter may be removed later
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    state            text        NOT NULL,  -- pending | accepted | revoked
    state_at         timestamptz,
    accepted_user_id uuid,
    revoke_reason    text,
    sent_count       integer     NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, custom_role_id) REFERENCES tenantry.roles (tenant_id, id),
    CHECK ((role = 'custom') = (custom_role_id IS NOT NULL))
);
SELECT tenantry.make_tenant_owned('tenantry.invitations');

-- The subscription: the state machine as JSON, and the facts the named cross-tenant paths read
-- (computed by the services with the domain whenever the subscription is saved).
CREATE TABLE tenantry.subscriptions (
    tenant_id              uuid        PRIMARY KEY REFERENCES tenantry.tenants ON DELETE CASCADE,
    state                  jsonb       NOT NULL,
    payment_method_on_file boolean     NOT NULL,
    provider_customer      text,
    provider_subscription  text,
    provider_synced_at     timestamptz,
    timer_checked_at       timestamptz,
    status                 text        NOT NULL,
    plan                   text        NOT NULL,
    billing_interval       text,
    seats                  integer,
    recurring_cents        bigint,
    next_due_at            timestamptz
);
-- For the due-work lookup across tenants (a named path, not a tenant-scoped access).
CREATE INDEX subscriptions_next_due ON tenantry.subscriptions (next_due_at) WHERE next_due_at IS NOT NULL;
SELECT tenantry.make_tenant_owned('tenantry.subscriptions');

-- Invoices as the payment provider issued them, cached from its events.
CREATE TABLE tenantry.invoices (
    tenant_id  uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    id         text        NOT NULL,   -- the provider's id
    created_at timestamptz NOT NULL,
    data       jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
SELECT tenantry.make_tenant_owned('tenantry.invoices');

-- Provider event ids already applied, recorded in the same transaction as their effect
-- (a redelivered webhook is acknowledged without a second effect). Tenant-owned because each
-- event is applied inside the tenant its customer resolves to.
CREATE TABLE tenantry.billing_events (
    tenant_id   uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    event_id    text        NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
SELECT tenantry.make_tenant_owned('tenantry.billing_events', 'SELECT, INSERT');

-- The tenant's audit log: append-only for the service (no UPDATE, no DELETE grant; the purge of a
-- tenant removes it by cascade).
CREATE TABLE tenantry.audit_events (
    tenant_id   uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    id          uuid        NOT NULL,   -- UUID v7: time-ordered, pages by id
    at          timestamptz NOT NULL,
    actor       jsonb       NOT NULL,
    actor_user  uuid,                   -- denormalised for the "by or about a user" filter
    action      text        NOT NULL,
    target      jsonb,
    target_user uuid,
    outcome     text        NOT NULL,
    details     jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_events_action ON tenantry.audit_events (tenant_id, action, id);
SELECT tenantry.make_tenant_owned('tenantry.audit_events', 'SELECT, INSERT');

CREATE TABLE tenantry.usage (
    tenant_id uuid   NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    month     date   NOT NULL,   -- the first day of the month
    api_calls bigint NOT NULL,
    logins    bigint NOT NULL,
    PRIMARY KEY (tenant_id, month)
);
SELECT tenantry.make_tenant_owned('tenantry.usage');

CREATE TABLE tenantry.storage (
    tenant_id uuid   PRIMARY KEY REFERENCES tenantry.tenants ON DELETE CASCADE,
    bytes     bigint NOT NULL CHECK (bytes >= 0)
);
SELECT tenantry.make_tenant_owned('tenantry.storage');

-- One-time facts: a mail sent once, an ad modal shown to a user on a day.
CREATE TABLE tenantry.markers (
    tenant_id uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    key       text        NOT NULL,
    at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
SELECT tenantry.make_tenant_owned('tenantry.markers');

-- ---------------------------------------------------------------- platform tables

-- Slug -> tenant, for login. Kept by a trigger on tenants; the service role has no grant.
CREATE TABLE tenantry.tenant_slugs (
    slug      text PRIMARY KEY,
    tenant_id uuid NOT NULL UNIQUE
);
COMMENT ON TABLE tenantry.tenant_slugs IS 'tenantry:platform slug -> tenant id, kept by trigger';

-- Billing customer -> tenant, for webhooks. Kept by a trigger on subscriptions.
CREATE TABLE tenantry.billing_customers (
    customer  text PRIMARY KEY,
    tenant_id uuid NOT NULL UNIQUE
);
COMMENT ON TABLE tenantry.billing_customers IS 'tenantry:platform billing customer -> tenant id, kept by trigger';

CREATE TABLE tenantry.superusers (
    id            uuid        PRIMARY KEY,
    email         text        NOT NULL CONSTRAINT superusers_email_key UNIQUE,
    name          text        NOT NULL,
    password_hash text        NOT NULL,
    active        boolean     NOT NULL,
    failed_logins integer     NOT NULL,
    locked_until  timestamptz,
    token_version bigint      NOT NULL,
    created_at    timestamptz NOT NULL,
    last_login_at timestamptz
);
COMMENT ON TABLE tenantry.superusers IS 'tenantry:platform operators, who belong to no tenant';
GRANT SELECT, INSERT, UPDATE ON tenantry.superusers TO tenantry_app;

CREATE TABLE tenantry.ad_campaigns (
    id         uuid        PRIMARY KEY,
    created_at timestamptz NOT NULL,
    data       jsonb       NOT NULL
);
COMMENT ON TABLE tenantry.ad_campaigns IS 'tenantry:platform ad campaigns of the superuser';
GRANT SELECT, INSERT, UPDATE, DELETE ON tenantry.ad_campaigns TO tenantry_app;

-- Impressions and clicks per campaign per day: counts only, no personal data.
CREATE TABLE tenantry.ad_counts (
    campaign_id uuid   NOT NULL REFERENCES tenantry.ad_campaigns ON DELETE CASCADE,
    day         date   NOT NULL,
    impressions bigint NOT NULL,
    clicks      bigint NOT NULL,
    PRIMARY KEY (campaign_id, day)
);
COMMENT ON TABLE tenantry.ad_counts IS 'tenantry:platform ad counters, no personal data';
GRANT SELECT, INSERT, UPDATE, DELETE ON tenantry.ad_counts TO tenantry_app;

-- The platform log: platform events and copies of cross-tenant attempts. tenant_id is a plain
-- reference (no foreign key): the record survives the tenant's purge.
CREATE TABLE tenantry.platform_audit (
    id        uuid        PRIMARY KEY,
    at        timestamptz NOT NULL,
    tenant_id uuid,
    actor     jsonb       NOT NULL,
    action    text        NOT NULL,
    target    jsonb,
    outcome   text        NOT NULL,
    details   jsonb       NOT NULL
);
COMMENT ON TABLE tenantry.platform_audit IS 'tenantry:platform audit log of the platform';
GRANT INSERT ON tenantry.platform_audit TO tenantry_app;

-- ---------------------------------------------------------------- triggers keeping the platform indexes

CREATE FUNCTION tenantry.sync_tenant_slug() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tenantry.tenant_slugs (slug, tenant_id) VALUES (NEW.slug, NEW.tenant_id);
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.slug IS DISTINCT FROM OLD.slug THEN
            RAISE EXCEPTION 'a tenant''s slug never changes' USING ERRCODE = 'check_violation';
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM tenantry.tenant_slugs WHERE tenant_id = OLD.tenant_id;
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION tenantry.sync_tenant_slug() FROM PUBLIC;
CREATE TRIGGER tenants_slug AFTER INSERT OR UPDATE OR DELETE ON tenantry.tenants
    FOR EACH ROW EXECUTE FUNCTION tenantry.sync_tenant_slug();

CREATE FUNCTION tenantry.sync_billing_customer() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM tenantry.billing_customers WHERE tenant_id = OLD.tenant_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.provider_customer IS NOT NULL THEN
        INSERT INTO tenantry.billing_customers (customer, tenant_id) VALUES (NEW.provider_customer, NEW.tenant_id);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION tenantry.sync_billing_customer() FROM PUBLIC;
CREATE TRIGGER subscriptions_customer AFTER INSERT OR UPDATE OF provider_customer OR DELETE ON tenantry.subscriptions
    FOR EACH ROW EXECUTE FUNCTION tenantry.sync_billing_customer();

-- ---------------------------------------------------------------- the named cross-tenant paths
-- Each runs as the owner (SECURITY DEFINER), with a fixed search_path, and returns only what its
-- path needs. The service role may execute them and nothing else across tenants.

CREATE FUNCTION tenantry_lookup.resolve_slug(p_slug text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenant_id FROM tenantry.tenant_slugs WHERE slug = p_slug $$;

CREATE FUNCTION tenantry_lookup.resolve_billing_customer(p_customer text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenant_id FROM tenantry.billing_customers WHERE customer = p_customer $$;

CREATE FUNCTION tenantry_lookup.due_tenants(p_now timestamptz, p_limit integer) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT tenant_id FROM tenantry.subscriptions
    WHERE next_due_at <= p_now
    ORDER BY next_due_at, tenant_id
    LIMIT greatest(p_limit, 0)
$$;

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
    OFFSET greatest(p_offset, 0) LIMIT greatest(p_limit, 0)
$$;

CREATE FUNCTION tenantry_lookup.platform_figures(p_month date) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'tenants_by_status', coalesce((SELECT jsonb_object_agg(status, n)
                                       FROM (SELECT status, count(*) AS n FROM tenantry.subscriptions GROUP BY status) g), '{}'::jsonb),
        'active_users', (SELECT count(*) FROM tenantry.users WHERE active),
        'monthly_recurring_cents', coalesce((SELECT jsonb_agg(recurring_cents ORDER BY tenant_id) FROM tenantry.subscriptions
                                             WHERE recurring_cents IS NOT NULL AND billing_interval = 'month'), '[]'::jsonb),
        'yearly_recurring_cents', coalesce((SELECT jsonb_agg(recurring_cents ORDER BY tenant_id) FROM tenantry.subscriptions
                                            WHERE recurring_cents IS NOT NULL AND billing_interval = 'year'), '[]'::jsonb),
        'logins', (SELECT coalesce(sum(logins), 0) FROM tenantry.usage WHERE month = p_month),
        'storage_bytes', (SELECT coalesce(sum(bytes), 0) FROM tenantry.storage)
    )
$$;

CREATE FUNCTION tenantry_lookup.audit_events(
    p_tenant uuid, p_platform_only boolean, p_before uuid, p_limit integer, p_action text, p_user uuid
)
RETURNS TABLE (
    id uuid, at timestamptz, tenant_id uuid, actor jsonb, action text, target jsonb, outcome text, details jsonb
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM (
        SELECT e.id, e.at, e.tenant_id, e.actor, e.action, e.target, e.outcome, e.details
        FROM tenantry.audit_events e
        WHERE NOT p_platform_only
          AND (p_tenant IS NULL OR e.tenant_id = p_tenant)
          AND (p_before IS NULL OR e.id < p_before)
          AND (p_action IS NULL OR e.action = p_action)
          AND (p_user IS NULL OR e.actor_user = p_user OR e.target_user = p_user)
        UNION ALL
        SELECT p.id, p.at, p.tenant_id, p.actor, p.action, p.target, p.outcome, p.details
        FROM tenantry.platform_audit p
        WHERE (p_tenant IS NULL OR p.tenant_id = p_tenant)
          AND (p_before IS NULL OR p.id < p_before)
          AND (p_action IS NULL OR p.action = p_action)
          AND (p_user IS NULL OR p.actor ->> 'id' = p_user::text OR p.target ->> 'id' = p_user::text)
    ) all_events
    ORDER BY id DESC
    LIMIT greatest(p_limit, 0)
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA tenantry_lookup FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tenantry_lookup TO tenantry_app;
