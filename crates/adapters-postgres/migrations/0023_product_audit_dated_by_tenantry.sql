-- Security (issue 17, found in review): a product's audit event is dated by tenantry's clock. The
-- helper took its time from the caller, so product code (or SQL injected into it) could write events
-- dated in the past or the future into the tenant's audit trail. The argument stays (the signature
-- products call) and is ignored.
CREATE OR REPLACE FUNCTION tenantry.append_product_audit(p_id uuid, p_at timestamptz, p_actor jsonb, p_actor_user uuid,
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
    -- Dated by tenantry's clock, never the caller's: a product cannot backdate its audit trail.
    VALUES (v_tenant, p_id, tenantry.now(), p_actor, p_actor_user, p_action, p_target, p_target_user, p_outcome,
            p_details);
END
$$;
