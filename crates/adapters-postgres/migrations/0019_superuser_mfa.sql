-- Security II (issue 18): the superuser's second factor. The secret and the state (start, enabling,
-- the step of the last accepted code, the recovery codes' hashes) live on the superuser's row, which
-- the service role cannot write (decision 0019): an enrolment begins through one function, only while
-- none is enabled, dated by tenantry.now(); every later save goes through another that accepts only a
-- state moving forward — the same start, an enabling dated here, then a newer code's step or one more
-- used recovery code (renewed recovery codes come with a newer step) — so a code works once even for
-- logins racing with it, and no caller can turn an enabled second factor off or replace its secret.
-- Only the owner (`tenantry reset-superuser-mfa`) removes it.

ALTER TABLE tenantry.superusers
    ADD COLUMN mfa_secret        text,  -- the TOTP secret (base32)
    ADD COLUMN mfa_secret_digest text,  -- TotpSecret::fingerprint: a save names the secret it was made with
    ADD COLUMN mfa               jsonb, -- {started_at, enabled_at, last_used_step, recovery: [{hash, used_at}]}
    ADD CONSTRAINT superusers_mfa_whole
        CHECK ((mfa IS NULL) = (mfa_secret IS NULL) AND (mfa IS NULL) = (mfa_secret_digest IS NULL));

CREATE FUNCTION tenantry_lookup.begin_superuser_mfa(p_id uuid, p_secret text, p_digest text)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH done AS (
        UPDATE tenantry.superusers
        SET mfa_secret = p_secret,
            mfa_secret_digest = p_digest,
            mfa = jsonb_build_object('started_at', tenantry.now(), 'enabled_at', NULL, 'last_used_step', NULL,
                                     'recovery', '[]'::jsonb)
        WHERE id = p_id AND active AND (mfa IS NULL OR mfa->>'enabled_at' IS NULL)
          AND length(p_secret) BETWEEN 16 AND 200 AND p_digest ~ '^[0-9a-f]{64}$'
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM done)
$$;

CREATE FUNCTION tenantry_lookup.save_superuser_mfa(p_id uuid, p_digest text, p_mfa jsonb)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_old      jsonb;
    v_step_old numeric;
    v_step_new numeric;
    v_used_old bigint;
    v_used_new bigint;
    v_same     boolean;
BEGIN
    IF jsonb_typeof(p_mfa) IS DISTINCT FROM 'object' OR jsonb_typeof(p_mfa->'recovery') IS DISTINCT FROM 'array'
       OR jsonb_array_length(p_mfa->'recovery') > 20
       OR jsonb_typeof(p_mfa->'last_used_step') NOT IN ('number', 'null') THEN
        RETURN false;
    END IF;
    SELECT mfa INTO v_old FROM tenantry.superusers WHERE id = p_id AND active AND mfa_secret_digest = p_digest FOR UPDATE;
    IF v_old IS NULL OR (p_mfa->>'started_at')::timestamptz IS DISTINCT FROM (v_old->>'started_at')::timestamptz THEN
        RETURN false;
    END IF;
    IF v_old->>'enabled_at' IS NULL THEN
        -- The confirmation: dated here.
        IF p_mfa->>'enabled_at' IS NULL THEN
            RETURN false;
        END IF;
        UPDATE tenantry.superusers
        SET mfa = jsonb_build_object('started_at', v_old->'started_at', 'enabled_at', tenantry.now(),
                                     'last_used_step', p_mfa->'last_used_step', 'recovery', p_mfa->'recovery')
        WHERE id = p_id;
        RETURN true;
    END IF;
    IF (p_mfa->>'enabled_at')::timestamptz IS DISTINCT FROM (v_old->>'enabled_at')::timestamptz THEN
        RETURN false;
    END IF;
    v_step_old := coalesce((v_old->>'last_used_step')::numeric, -1);
    v_step_new := coalesce((p_mfa->>'last_used_step')::numeric, -1);
    SELECT count(*) FILTER (WHERE r->>'used_at' IS NOT NULL) INTO v_used_old FROM jsonb_array_elements(v_old->'recovery') r;
    SELECT count(*) FILTER (WHERE r->>'used_at' IS NOT NULL) INTO v_used_new FROM jsonb_array_elements(p_mfa->'recovery') r;
    v_same := (SELECT coalesce(jsonb_agg(r->'hash'), '[]'::jsonb) FROM jsonb_array_elements(v_old->'recovery') r)
            = (SELECT coalesce(jsonb_agg(r->'hash'), '[]'::jsonb) FROM jsonb_array_elements(p_mfa->'recovery') r);
    IF NOT (v_step_new > v_step_old OR (v_same AND v_used_new > v_used_old)) THEN
        RETURN false;
    END IF;
    UPDATE tenantry.superusers
    SET mfa = jsonb_build_object('started_at', v_old->'started_at', 'enabled_at', v_old->'enabled_at',
                                 'last_used_step', p_mfa->'last_used_step', 'recovery', p_mfa->'recovery')
    WHERE id = p_id;
    RETURN true;
END
$$;

REVOKE EXECUTE ON FUNCTION tenantry_lookup.begin_superuser_mfa(uuid, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION tenantry_lookup.save_superuser_mfa(uuid, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenantry_lookup.begin_superuser_mfa(uuid, text, text) TO tenantry_app;
GRANT EXECUTE ON FUNCTION tenantry_lookup.save_superuser_mfa(uuid, text, jsonb) TO tenantry_app;
