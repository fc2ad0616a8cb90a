-- Scale-out (issue 26, decision 0029): the platform's indexes and ledgers are written by the store,
-- in the same unit of work as the change, through named functions, instead of by triggers.
--
-- Citus refuses a table with triggers when it distributes it, and a trigger on a shard runs on a
-- worker, where the platform tables (which stay on the coordinator) are not. So the six triggers go,
-- and each write they made is a function the adapter calls after the write it follows (never in
-- the same statement: Citus may send a one-tenant statement whole to a worker). Like the other
-- named paths, each runs as the owner, writes only rows of the tenant the transaction is set to,
-- and takes its values from the adapter — it cannot read them back from the tenant's row, which on
-- Citus lives in a worker transaction of the service role's that the owner's connection cannot see.
--
-- What this changes for an attacker holding the service role (product SQL injection): nothing they
-- could not already do. They could already write any of these rows through the triggers, by
-- writing the tenant row that fires them (the role may set its own tenant). The ledgers stay
-- monotone where the triggers kept them so: a token version only rises, a removal, a revoked key
-- and an erasure are only added. What is new is that a store that forgets a call leaves a ledger
-- behind; the store contract suite checks the ledger after every kind of write that notes it.
--
-- The slug still never changes: the service role may update every column of a tenant's row but
-- the slug and the id (column privileges, which Citus also checks on the coordinator).

DROP TRIGGER tenants_slug ON tenantry.tenants;
DROP TRIGGER subscriptions_customer ON tenantry.subscriptions;
DROP TRIGGER users_credentials_inserted ON tenantry.users;
DROP TRIGGER users_credentials_changed ON tenantry.users;
DROP TRIGGER api_keys_revoked ON tenantry.api_keys;
DROP TRIGGER erasures_ledger_copy ON tenantry.erasures;
DROP FUNCTION tenantry.sync_tenant_slug();
DROP FUNCTION tenantry.sync_billing_customer();
DROP FUNCTION tenantry.note_user_credentials();
DROP FUNCTION tenantry.note_key_revoked();
DROP FUNCTION tenantry.copy_erasure();

COMMENT ON TABLE tenantry.tenant_slugs IS 'tenantry:platform slug -> tenant id, kept by the store (tenantry_lookup.claim_slug)';
COMMENT ON TABLE tenantry.billing_customers IS
    'tenantry:platform billing customer -> tenant id, kept by the store (tenantry_lookup.set_billing_customer)';

REVOKE UPDATE ON tenantry.tenants FROM tenantry_app;
DO $$
DECLARE
    v_columns text;
BEGIN
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO v_columns
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = 'tenantry.tenants'::regclass AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname NOT IN ('tenant_id', 'slug');
    EXECUTE format('GRANT UPDATE (%s) ON tenantry.tenants TO tenantry_app', v_columns);
END
$$;

-- The transaction's tenant, or an error: a note is never written for no tenant.
CREATE FUNCTION tenantry.noted_tenant() RETURNS uuid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := nullif(current_setting('tenantry.tenant_id', true), '')::uuid;
BEGIN
    IF v_tenant IS NULL THEN
        RAISE EXCEPTION 'a platform note needs the unit of work''s tenant' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN v_tenant;
END
$$;
REVOKE ALL ON FUNCTION tenantry.noted_tenant() FROM PUBLIC;

-- A new tenant's slug (a taken slug fails on tenant_slugs_pkey, as the trigger's insert did).
CREATE FUNCTION tenantry_lookup.claim_slug(p_slug text) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO tenantry.tenant_slugs (slug, tenant_id) VALUES (p_slug, tenantry.noted_tenant())
$$;

-- A purged (or reloaded) tenant's slug and billing customer go.
CREATE FUNCTION tenantry_lookup.release_tenant() RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    DELETE FROM tenantry.tenant_slugs WHERE tenant_id = tenantry.noted_tenant();
    DELETE FROM tenantry.billing_customers WHERE tenant_id = tenantry.noted_tenant();
$$;

-- The tenant's billing customer as its subscription now names it (none: none). Unchanged, nothing
-- is written; a customer another tenant has fails on billing_customers_pkey.
CREATE FUNCTION tenantry_lookup.set_billing_customer(p_customer text) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    DELETE FROM tenantry.billing_customers b
    WHERE b.tenant_id = tenantry.noted_tenant() AND b.customer IS DISTINCT FROM p_customer;
    INSERT INTO tenantry.billing_customers (customer, tenant_id)
    SELECT p_customer, tenantry.noted_tenant()
    WHERE p_customer IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM tenantry.billing_customers b WHERE b.tenant_id = tenantry.noted_tenant());
$$;

-- Users as written (the values the store's INSERT or UPDATE returned): the highest token version
-- ever, the digest of the latest password hash, whether active, the second factor's fingerprint.
CREATE FUNCTION tenantry_lookup.note_credentials(
    p_users uuid[], p_token_versions bigint[], p_password_hashes text[], p_active boolean[], p_mfa_fingerprints text[]
) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO tenantry.credential_ledger (tenant_id, user_id, max_token_version, password_digest, deactivated,
                                            mfa_known, mfa_fingerprint)
    SELECT tenantry.noted_tenant(), u.id, u.version, encode(sha256(convert_to(u.hash, 'UTF8')), 'hex'), NOT u.active,
           true, u.fingerprint
    FROM unnest(p_users, p_token_versions, p_password_hashes, p_active, p_mfa_fingerprints)
         AS u (id, version, hash, active, fingerprint)
    ON CONFLICT (tenant_id, user_id) DO UPDATE
        SET max_token_version = greatest(tenantry.credential_ledger.max_token_version, EXCLUDED.max_token_version),
            password_digest = EXCLUDED.password_digest,
            deactivated = EXCLUDED.deactivated,
            mfa_known = true,
            mfa_fingerprint = EXCLUDED.mfa_fingerprint;
$$;

-- API keys revoked (only added, never removed).
CREATE FUNCTION tenantry_lookup.note_keys_revoked(p_keys uuid[], p_revoked_at timestamptz[]) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO tenantry.revoked_api_keys (tenant_id, key_id, revoked_at)
    SELECT tenantry.noted_tenant(), k.id, k.at FROM unnest(p_keys, p_revoked_at) AS k (id, at)
    WHERE k.at IS NOT NULL
    ON CONFLICT DO NOTHING;
$$;

-- Erasures recorded (only added, never removed).
CREATE FUNCTION tenantry_lookup.note_erasures(p_users uuid[], p_erased_at timestamptz[], p_erased_by jsonb[])
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO tenantry.erasure_ledger (tenant_id, user_id, erased_at, erased_by)
    SELECT tenantry.noted_tenant(), e.id, e.at, e.by FROM unnest(p_users, p_erased_at, p_erased_by) AS e (id, at, by)
    ON CONFLICT DO NOTHING;
$$;

REVOKE ALL ON FUNCTION tenantry_lookup.claim_slug(text), tenantry_lookup.release_tenant(),
    tenantry_lookup.set_billing_customer(text),
    tenantry_lookup.note_credentials(uuid[], bigint[], text[], boolean[], text[]),
    tenantry_lookup.note_keys_revoked(uuid[], timestamptz[]),
    tenantry_lookup.note_erasures(uuid[], timestamptz[], jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenantry_lookup.claim_slug(text), tenantry_lookup.release_tenant(),
    tenantry_lookup.set_billing_customer(text),
    tenantry_lookup.note_credentials(uuid[], bigint[], text[], boolean[], text[]),
    tenantry_lookup.note_keys_revoked(uuid[], timestamptz[]),
    tenantry_lookup.note_erasures(uuid[], timestamptz[], jsonb[]) TO tenantry_app;
