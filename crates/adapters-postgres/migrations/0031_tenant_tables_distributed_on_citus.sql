-- Scale-out (issue 26, decision 0030): one function distributes a tenant-owned table on a Citus
-- coordinator — by tenant_id, colocated with tenantry.tenants. `tenantry migrate` runs it for every
-- tenant-owned table; `register_product_table` for the product's table, so a product table is
-- distributed as it is registered, before the product's next migration adds keys to it or from it.
-- On plain PostgreSQL it does nothing. Citus writes every shard policy as permissive: `tenantry
-- migrate` (and `migrate_product`) then make each shard's `tenant_wall` RESTRICTIVE again, in
-- statements of their own — Citus sends that command to the workers outside the transaction that
-- made the shards, so it cannot be done here, where a product's migration registers its table.

CREATE FUNCTION tenantry.distribute_tenant_table(p_table regclass) RETURNS void
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
    PERFORM create_distributed_table(p_table, 'tenant_id',
        colocate_with => CASE WHEN p_table = 'tenantry.tenants'::regclass THEN 'default' ELSE 'tenantry.tenants' END);
END
$$;
REVOKE ALL ON FUNCTION tenantry.distribute_tenant_table(regclass) FROM PUBLIC;

CREATE OR REPLACE FUNCTION tenantry.register_product_table(p_table regclass,
                                                p_privileges text DEFAULT 'SELECT, INSERT, UPDATE, DELETE',
                                                p_export_excluded text[] DEFAULT '{}')
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
    v_column text;
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
    FOREACH v_column IN ARRAY coalesce(p_export_excluded, '{}') LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = p_table AND a.attname = v_column
                          AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'tenantry: % has no column % to leave out of the export', v_name, v_column
                USING ERRCODE = 'undefined_column';
        END IF;
    END LOOP;
    PERFORM tenantry.make_tenant_owned(p_table, p_privileges, true);
    INSERT INTO tenantry.product_tables (table_name, export_excluded)
    VALUES (v_name, coalesce(p_export_excluded, '{}'))
    ON CONFLICT (table_name) DO UPDATE SET export_excluded = EXCLUDED.export_excluded;
    -- On Citus: distributed with the tenant's other rows (decision 0030).
    PERFORM tenantry.distribute_tenant_table(p_table);
END
$$;
