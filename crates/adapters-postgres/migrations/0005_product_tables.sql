-- Product tables (the embedding API). A product that embeds tenantry makes its own tables
-- tenant-owned with one line in its own migration, run as the owner:
--
--     SELECT tenantry.register_product_table('timesheets.entries');
--
-- The function checks the table's shape — a `tenant_id uuid NOT NULL` column, a primary key that
-- starts with it, foreign keys that all include it (a row can only reference rows of its own
-- tenant) — then makes it tenant-owned exactly as tenantry's own tables (row-level security
-- enabled and forced, the `tenant_isolation` policy on `tenantry.tenant_id`, grants to the service
-- role, which also gets USAGE on the table's schema), and records it in `tenantry.product_tables`,
-- the registry that exports, backups and restores read. A refusal raises
-- `invalid_table_definition` naming the table and the fix, and changes nothing.

CREATE TABLE tenantry.product_tables (
    table_name    text        PRIMARY KEY,   -- schema-qualified, as format('%I.%I') writes it
    registered_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tenantry.product_tables IS 'tenantry:platform';
GRANT SELECT ON tenantry.product_tables TO tenantry_app;

CREATE FUNCTION tenantry.register_product_table(p_table regclass, p_privileges text DEFAULT 'SELECT, INSERT, UPDATE, DELETE')
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
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO tenantry_app', v_schema);
    PERFORM tenantry.make_tenant_owned(p_table, p_privileges);
    INSERT INTO tenantry.product_tables (table_name) VALUES (v_name) ON CONFLICT (table_name) DO NOTHING;
END
$$;
REVOKE ALL ON FUNCTION tenantry.register_product_table(regclass, text) FROM PUBLIC;
