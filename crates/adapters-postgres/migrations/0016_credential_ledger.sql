-- Security I (issue 17): a restore never brings a revoked credential back.
--
-- The platform keeps, per tenant and kept through its purge (no foreign key, like the erasure
-- ledger), what a backup cannot know: the highest token version each user ever had (a restore sets
-- every user past it, so every session from before ends), a digest of each user's latest password
-- hash (a restored user whose password changed since the backup must set a new one: the archive's
-- hash is an old password), the users removed, and the API keys revoked. Triggers keep it on every
-- write of a user or key, so no code path can forget it; the removal of a user is noted by the
-- store's delete (a purge or a restore's reload is not a removal). The service role reads its own
-- tenant's part only, through functions; it writes none of it.

CREATE TABLE tenantry.credential_ledger (
    tenant_id         uuid        NOT NULL,
    user_id           uuid        NOT NULL,
    max_token_version bigint      NOT NULL,
    password_digest   text,                  -- SHA-256 (hex) of the latest password hash, not the hash
    removed_at        timestamptz,
    PRIMARY KEY (tenant_id, user_id)
);
COMMENT ON TABLE tenantry.credential_ledger IS 'tenantry:platform credential ledger: ids, versions and digests; kept through purges';

CREATE TABLE tenantry.revoked_api_keys (
    tenant_id  uuid        NOT NULL,
    key_id     uuid        NOT NULL,
    revoked_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, key_id)
);
COMMENT ON TABLE tenantry.revoked_api_keys IS 'tenantry:platform revoked API keys: ids only; kept through purges';

CREATE FUNCTION tenantry.note_user_credentials() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO tenantry.credential_ledger (tenant_id, user_id, max_token_version, password_digest)
    VALUES (NEW.tenant_id, NEW.id, NEW.token_version, encode(sha256(convert_to(NEW.password_hash, 'UTF8')), 'hex'))
    ON CONFLICT (tenant_id, user_id) DO UPDATE
        SET max_token_version = greatest(tenantry.credential_ledger.max_token_version, EXCLUDED.max_token_version),
            password_digest = EXCLUDED.password_digest;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION tenantry.note_user_credentials() FROM PUBLIC;
CREATE TRIGGER users_credentials_inserted AFTER INSERT ON tenantry.users
    FOR EACH ROW EXECUTE FUNCTION tenantry.note_user_credentials();
CREATE TRIGGER users_credentials_changed AFTER UPDATE ON tenantry.users
    FOR EACH ROW
    WHEN (OLD.token_version IS DISTINCT FROM NEW.token_version OR OLD.password_hash IS DISTINCT FROM NEW.password_hash)
    EXECUTE FUNCTION tenantry.note_user_credentials();

CREATE FUNCTION tenantry.note_key_revoked() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO tenantry.revoked_api_keys (tenant_id, key_id, revoked_at)
    VALUES (NEW.tenant_id, NEW.id, NEW.revoked_at)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION tenantry.note_key_revoked() FROM PUBLIC;
CREATE TRIGGER api_keys_revoked AFTER INSERT OR UPDATE OF revoked_at ON tenantry.api_keys
    FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION tenantry.note_key_revoked();

-- What exists now goes into the ledger as it stands.
INSERT INTO tenantry.credential_ledger (tenant_id, user_id, max_token_version, password_digest)
SELECT tenant_id, id, token_version, encode(sha256(convert_to(password_hash, 'UTF8')), 'hex') FROM tenantry.users
ON CONFLICT DO NOTHING;
INSERT INTO tenantry.revoked_api_keys (tenant_id, key_id, revoked_at)
SELECT tenant_id, id, revoked_at FROM tenantry.api_keys WHERE revoked_at IS NOT NULL
ON CONFLICT DO NOTHING;

-- The removal of a user of the transaction's tenant (called by the store's delete, in its statement).
CREATE FUNCTION tenantry_lookup.note_user_removed(p_user uuid) RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO tenantry.credential_ledger (tenant_id, user_id, max_token_version, removed_at)
    SELECT nullif(current_setting('tenantry.tenant_id', true), '')::uuid, p_user, 0, tenantry.now()
    WHERE nullif(current_setting('tenantry.tenant_id', true), '') IS NOT NULL
    ON CONFLICT (tenant_id, user_id) DO UPDATE SET removed_at = EXCLUDED.removed_at
    RETURNING true
$$;

-- The transaction's tenant's part of the ledger (also of a purged tenant whose id it is set to).
CREATE FUNCTION tenantry_lookup.credential_ledger()
RETURNS TABLE (user_id uuid, max_token_version bigint, password_digest text, removed boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT l.user_id, l.max_token_version, l.password_digest, l.removed_at IS NOT NULL
    FROM tenantry.credential_ledger l
    WHERE l.tenant_id = nullif(current_setting('tenantry.tenant_id', true), '')::uuid
    ORDER BY l.user_id
$$;

CREATE FUNCTION tenantry_lookup.revoked_api_keys() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT k.key_id FROM tenantry.revoked_api_keys k
    WHERE k.tenant_id = nullif(current_setting('tenantry.tenant_id', true), '')::uuid
    ORDER BY k.key_id
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA tenantry_lookup FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tenantry_lookup TO tenantry_app;
