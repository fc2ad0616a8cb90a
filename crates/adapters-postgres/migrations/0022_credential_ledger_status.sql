-- Security (issue 17, found in review): a restore brings back no user deactivated since the
-- backup, and no second factor replaced or removed since (a lost phone's secret must not return).
-- The credential ledger also keeps, at each user's latest write, whether they were active and the
-- fingerprint of their TOTP secret (`mfa->>'fingerprint'`, written by the store beside the sealed
-- secret: SHA-256 under a label, revealing nothing of it). `mfa_known` is false for rows the
-- ledger has not seen since this migration: a restore then keeps the archive's second factor.

ALTER TABLE tenantry.credential_ledger
    ADD COLUMN deactivated     boolean NOT NULL DEFAULT false,
    ADD COLUMN mfa_known       boolean NOT NULL DEFAULT false,
    ADD COLUMN mfa_fingerprint text;

CREATE OR REPLACE FUNCTION tenantry.note_user_credentials() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO tenantry.credential_ledger (tenant_id, user_id, max_token_version, password_digest, deactivated,
                                            mfa_known, mfa_fingerprint)
    VALUES (NEW.tenant_id, NEW.id, NEW.token_version, encode(sha256(convert_to(NEW.password_hash, 'UTF8')), 'hex'),
            NOT NEW.active, true, NEW.mfa ->> 'fingerprint')
    ON CONFLICT (tenant_id, user_id) DO UPDATE
        SET max_token_version = greatest(tenantry.credential_ledger.max_token_version, EXCLUDED.max_token_version),
            password_digest = EXCLUDED.password_digest,
            deactivated = EXCLUDED.deactivated,
            mfa_known = true,
            mfa_fingerprint = EXCLUDED.mfa_fingerprint;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION tenantry.note_user_credentials() FROM PUBLIC;

DROP TRIGGER users_credentials_changed ON tenantry.users;
CREATE TRIGGER users_credentials_changed AFTER UPDATE ON tenantry.users
    FOR EACH ROW
    WHEN (OLD.token_version IS DISTINCT FROM NEW.token_version OR OLD.password_hash IS DISTINCT FROM NEW.password_hash
          OR OLD.active IS DISTINCT FROM NEW.active
          OR OLD.mfa ->> 'fingerprint' IS DISTINCT FROM NEW.mfa ->> 'fingerprint')
    EXECUTE FUNCTION tenantry.note_user_credentials();

-- Whether each known user is active now goes into the ledger as it stands.
UPDATE tenantry.credential_ledger l SET deactivated = NOT u.active
  FROM tenantry.users u WHERE u.tenant_id = l.tenant_id AND u.id = l.user_id;

DROP FUNCTION tenantry_lookup.credential_ledger();
CREATE FUNCTION tenantry_lookup.credential_ledger()
RETURNS TABLE (user_id uuid, max_token_version bigint, password_digest text, removed boolean, deactivated boolean,
               mfa_known boolean, mfa_fingerprint text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT l.user_id, l.max_token_version, l.password_digest, l.removed_at IS NOT NULL, l.deactivated, l.mfa_known,
           l.mfa_fingerprint
    FROM tenantry.credential_ledger l
    WHERE l.tenant_id = nullif(current_setting('tenantry.tenant_id', true), '')::uuid
    ORDER BY l.user_id
$$;
REVOKE ALL ON FUNCTION tenantry_lookup.credential_ledger() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenantry_lookup.credential_ledger() TO tenantry_app;
