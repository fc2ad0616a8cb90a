-- The web account flows (issue 24): a person's language and time zone, a change of address proven
-- by a link to the new one, and the named lookup behind /find-workspace.

-- tenantry_domain::preferences::Preferences: {"language": "nl", "time_zone": "Europe/Amsterdam"},
-- each key absent while unset.
ALTER TABLE tenantry.users ADD COLUMN preferences jsonb NOT NULL DEFAULT '{}'::jsonb;

-- An e-mail change link carries the address it moves the account to (and was sent to).
ALTER TABLE tenantry.account_links ADD COLUMN new_email text;
ALTER TABLE tenantry.account_links DROP CONSTRAINT account_links_purpose_check;
ALTER TABLE tenantry.account_links ADD CONSTRAINT account_links_purpose_check
    CHECK (purpose IN ('password_reset', 'email_verification', 'email_change'));
ALTER TABLE tenantry.account_links ADD CONSTRAINT account_links_new_email_check
    CHECK ((purpose = 'email_change') = (new_email IS NOT NULL));

-- "Which workspaces does this address have an account in?" — the tenants only, where an active
-- user PROVED the address (so nobody can make an address list workspaces it never confirmed), at
-- most p_limit, oldest first; the service mails each tenant's user from that tenant's own unit of
-- work and records the lookup (with a keyed pseudonym of the address) in the platform log.
CREATE INDEX users_email ON tenantry.users (email) WHERE active AND email_verified_at IS NOT NULL;
CREATE FUNCTION tenantry_lookup.tenants_of_email(p_email text, p_limit integer) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT u.tenant_id FROM tenantry.users u JOIN tenantry.tenants t ON t.tenant_id = u.tenant_id
    WHERE u.email = p_email AND u.active AND u.email_verified_at IS NOT NULL
    ORDER BY t.created_at, t.tenant_id
    LIMIT least(greatest(p_limit, 0), 100)
$$;
REVOKE ALL ON FUNCTION tenantry_lookup.tenants_of_email(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenantry_lookup.tenants_of_email(text, integer) TO tenantry_app;

-- A superuser's own display name (their profile under /admin). Like every platform write of the
-- service role it takes no password hash, token version or time: a superuser's password is set
-- by the operator's command with the owner's URL only (`tenantry set-superuser-password`).
CREATE FUNCTION tenantry_lookup.rename_superuser(p_id uuid, p_name text) RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH done AS (
        UPDATE tenantry.superusers SET name = p_name
        WHERE id = p_id AND active AND length(btrim(p_name)) BETWEEN 1 AND 100
        RETURNING 1
    )
    SELECT EXISTS (SELECT FROM done)
$$;
REVOKE ALL ON FUNCTION tenantry_lookup.rename_superuser(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenantry_lookup.rename_superuser(uuid, text) TO tenantry_app;
