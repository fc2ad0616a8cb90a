-- Scale-out (issue 26, decision 0032): a product's audit event is written by the product role itself,
-- in the unit of work of the product's own write, on plain PostgreSQL and on Citus alike.
--
-- `append_product_audit` wrote as the owner (SECURITY DEFINER). On Citus that is a second role on the
-- tenant's shards inside one distributed transaction, which Citus refuses ("modified in this
-- transaction by a different user"), so a product could not record an event with the change it
-- describes. Now the product role may INSERT into the audit log — nothing else: it still cannot read,
-- change or delete an event — and a BEFORE INSERT trigger holds the rules the helper held, for that
-- role only:
--   * a product's action only: `namespace.event`, at most 64 characters, outside tenantry's namespaces
--     (the log is evidence: a product cannot write `auth.login_succeeded`) — with `file` and `webhook`,
--     kept for tenantry's files and outbound events (issues 27, 28), as the domain keeps them;
--   * dated by tenantry's clock, never the caller's (migration 0023): the row's `at` is overwritten.
-- The tenant is the transaction's, as for every row: the tenant policies check the insert.
--
-- The trigger touches only the row it is given: it reads and writes no other table, so Citus may run
-- it on the shards (`citus.enable_unsafe_triggers` is set for this table alone, here and where
-- `distribute_tenant_table` distributes it; decision 0029's "no triggers" was about triggers that
-- write the platform's tables). On a shard the row is dated by the worker's clock (`now()`, the
-- transaction's start there): tenantry's clock table is the coordinator's, which a query on a shard
-- cannot read. On plain PostgreSQL (and a Citus table not distributed yet) it is `tenantry.now()`,
-- through a definer that answers the time and nothing else.

SET LOCAL citus.enable_unsafe_triggers = on;

CREATE FUNCTION tenantry.audit_time() RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenantry.now() $$;
REVOKE ALL ON FUNCTION tenantry.audit_time() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenantry.audit_time() TO tenantry_product;

CREATE FUNCTION tenantry.product_audit_rules() RETURNS trigger
LANGUAGE plpgsql SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_user <> 'tenantry_product' THEN
        RETURN NEW;
    END IF;
    IF NEW.action IS NULL OR length(NEW.action) > 64 OR NEW.action !~ '^[a-z0-9_]+\.[a-z0-9_]+$'
       OR split_part(NEW.action, '.', 1) = ANY (ARRAY['tenantry', 'security', 'session', 'mfa', 'export', 'backup',
            'erasure', 'auth', 'user', 'invitation', 'role', 'ownership', 'tenant', 'api_key', 'subscription',
            'billing', 'access', 'platform', 'ads', 'quota', 'data', 'job', 'file', 'webhook']) THEN
        RAISE EXCEPTION 'tenantry: % is not a product action (namespace.event outside tenantry''s namespaces)',
            NEW.action USING ERRCODE = 'check_violation';
    END IF;
    -- On a shard the table's name carries the shard's number.
    IF TG_TABLE_NAME = 'audit_events' THEN
        NEW.at := tenantry.audit_time();
    ELSE
        NEW.at := now();
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION tenantry.product_audit_rules() FROM PUBLIC;

CREATE TRIGGER product_audit_rules BEFORE INSERT ON tenantry.audit_events
    FOR EACH ROW EXECUTE FUNCTION tenantry.product_audit_rules();

GRANT INSERT ON tenantry.audit_events TO tenantry_product;

-- The helper stays (the SQL products call) and now writes as its caller: the trigger holds the rules.
CREATE OR REPLACE FUNCTION tenantry.append_product_audit(p_id uuid, p_at timestamptz, p_actor jsonb, p_actor_user uuid,
                                              p_action text, p_target jsonb, p_target_user uuid, p_outcome text,
                                              p_details jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := nullif(current_setting('tenantry.tenant_id', true), '')::uuid;
BEGIN
    IF v_tenant IS NULL THEN
        RAISE EXCEPTION 'tenantry: no tenant is set for this transaction' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO tenantry.audit_events (tenant_id, id, at, actor, actor_user, action, target, target_user, outcome, details)
    VALUES (v_tenant, p_id, p_at, p_actor, p_actor_user, p_action, p_target, p_target_user, p_outcome, p_details);
END
$$;

-- Distributing the audit log (a fresh cluster, or a database moved onto Citus) carries its trigger.
CREATE OR REPLACE FUNCTION tenantry.distribute_tenant_table(p_table regclass) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Two statements: on plain PostgreSQL pg_dist_partition does not exist, and one expression
    -- naming it would fail to plan there.
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = p_table) THEN
        RETURN;
    END IF;
    -- Only tenantry's own trigger, which touches nothing but its row (migration 0032); a product
    -- table with triggers is still refused by Citus.
    IF p_table = 'tenantry.audit_events'::regclass THEN
        PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    END IF;
    PERFORM create_distributed_table(p_table, 'tenant_id',
        colocate_with => CASE WHEN p_table = 'tenantry.tenants'::regclass THEN 'default' ELSE 'tenantry.tenants' END);
END
$$;
REVOKE ALL ON FUNCTION tenantry.distribute_tenant_table(regclass) FROM PUBLIC;
