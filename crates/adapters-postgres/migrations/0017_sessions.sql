-- Security II (issue 18): sessions. Each login makes one; every token names it. A tenant user's
-- sessions (and the superuser's support sessions as a user) are tenant-owned rows; the superuser's
-- own are a platform table, written only through the functions below (decision 0019: no hash,
-- token version or time from the caller — the version is read from the superuser's row, the time is
-- tenantry.now()).

CREATE TABLE tenantry.sessions (
    tenant_id          uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    id                 uuid        NOT NULL,
    user_id            uuid        NOT NULL,
    kind               text        NOT NULL CHECK (kind IN ('api', 'web', 'impersonation')),
    impersonator       uuid,                  -- the superuser, in a support session (no foreign key: a platform id)
    token_version      bigint      NOT NULL,  -- the user's when it began; a later version ends it
    refresh_generation bigint      NOT NULL CHECK (refresh_generation >= 0),
    created_at         timestamptz NOT NULL,
    last_used_at       timestamptz NOT NULL,
    idle_seconds       integer     NOT NULL CHECK (idle_seconds > 0),
    expires_at         timestamptz NOT NULL,
    user_agent         text,                  -- at most 200 characters
    address            text,                  -- the client's network (/24, /48), not its address
    ended_at           timestamptz,
    ended_reason       text,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenantry.users (tenant_id, id) ON DELETE CASCADE,
    CHECK ((ended_at IS NULL) = (ended_reason IS NULL))
);
CREATE INDEX sessions_of_user ON tenantry.sessions (tenant_id, user_id, created_at DESC);
SELECT tenantry.make_tenant_owned('tenantry.sessions');

CREATE TABLE tenantry.superuser_sessions (
    id                 uuid        PRIMARY KEY,
    superuser_id       uuid        NOT NULL REFERENCES tenantry.superusers ON DELETE CASCADE,
    kind               text        NOT NULL CHECK (kind IN ('api', 'web')),
    token_version      bigint      NOT NULL,
    refresh_generation bigint      NOT NULL CHECK (refresh_generation >= 0),
    created_at         timestamptz NOT NULL,
    last_used_at       timestamptz NOT NULL,
    idle_seconds       integer     NOT NULL CHECK (idle_seconds > 0),
    expires_at         timestamptz NOT NULL,
    user_agent         text,
    address            text,
    ended_at           timestamptz,
    ended_reason       text,
    CHECK ((ended_at IS NULL) = (ended_reason IS NULL))
);
CREATE INDEX superuser_sessions_of ON tenantry.superuser_sessions (superuser_id, created_at DESC);
COMMENT ON TABLE tenantry.superuser_sessions IS 'tenantry:platform the superusers'' sessions; written through functions';
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON tenantry.superuser_sessions FROM PUBLIC, tenantry_app, tenantry_product;
GRANT SELECT ON tenantry.superuser_sessions TO tenantry_app;

-- A new session of an active superuser at tenantry.now(), at its current token version, with the
-- limits the caller's kind names (capped: 14 days idle, 14 days in all). NULL for no such superuser.
CREATE FUNCTION tenantry_lookup.start_superuser_session(p_id uuid, p_superuser uuid, p_kind text,
                                                        p_idle_seconds integer, p_absolute_seconds integer,
                                                        p_user_agent text, p_address text)
RETURNS timestamptz
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO tenantry.superuser_sessions (id, superuser_id, kind, token_version, refresh_generation, created_at,
                                             last_used_at, idle_seconds, expires_at, user_agent, address)
    SELECT p_id, s.id, p_kind, s.token_version, 0, tenantry.now(), tenantry.now(),
           least(greatest(p_idle_seconds, 60), 1209600),
           tenantry.now() + make_interval(secs => least(greatest(p_absolute_seconds, 60), 1209600)),
           left(p_user_agent, 200), left(p_address, 64)
    FROM tenantry.superusers s WHERE s.id = p_superuser AND s.active
    RETURNING created_at
$$;

-- A use of the session (kept to the minute).
CREATE FUNCTION tenantry_lookup.touch_superuser_session(p_id uuid)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE tenantry.superuser_sessions SET last_used_at = tenantry.now()
    WHERE id = p_id AND ended_at IS NULL AND last_used_at <= tenantry.now() - interval '1 minute'
$$;

-- A refresh of the session with a token of generation p_generation: the next generation; -1 when
-- the session has ended (or expired, or its superuser's version moved on); -2 when the token was
-- exchanged before — then the session ends (a stolen copy or a replay).
CREATE FUNCTION tenantry_lookup.rotate_superuser_session(p_id uuid, p_generation bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now     timestamptz := tenantry.now();
    v_session tenantry.superuser_sessions;
    v_version bigint;
BEGIN
    SELECT * INTO v_session FROM tenantry.superuser_sessions WHERE id = p_id FOR UPDATE;
    SELECT token_version INTO v_version FROM tenantry.superusers WHERE id = v_session.superuser_id AND active;
    IF v_session.id IS NULL OR v_session.ended_at IS NOT NULL OR v_version IS DISTINCT FROM v_session.token_version
       OR v_now >= v_session.expires_at OR v_now >= v_session.last_used_at + make_interval(secs => v_session.idle_seconds) THEN
        RETURN -1;
    END IF;
    IF p_generation <> v_session.refresh_generation THEN
        UPDATE tenantry.superuser_sessions SET ended_at = v_now, ended_reason = 'refresh_reused' WHERE id = p_id;
        RETURN -2;
    END IF;
    UPDATE tenantry.superuser_sessions SET refresh_generation = refresh_generation + 1, last_used_at = v_now
    WHERE id = p_id;
    RETURN v_session.refresh_generation + 1;
END
$$;

CREATE FUNCTION tenantry_lookup.end_superuser_session(p_id uuid, p_reason text)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH done AS (
        UPDATE tenantry.superuser_sessions SET ended_at = tenantry.now(), ended_reason = p_reason
        WHERE id = p_id AND ended_at IS NULL
          AND p_reason IN ('logged_out', 'revoked', 'refresh_reused', 'superseded', 'stopped')
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM done)
$$;

-- Housekeeping also deletes sessions that ended or expired 30 days ago (the owner's delete policy on
-- this one more table; nothing else changes).
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_housekeeping ON tenantry.sessions FOR DELETE TO %I USING (true)', current_user);
END
$$;
DROP FUNCTION tenantry_lookup.housekeeping();
CREATE FUNCTION tenantry_lookup.housekeeping()
RETURNS TABLE (account_links bigint, jobs bigint, markers bigint, sessions bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now   timestamptz := tenantry.now();
    n_links bigint;
    n_jobs  bigint;
    n_marks bigint;
    n_sess  bigint;
    n_su    bigint;
BEGIN
    DELETE FROM tenantry.account_links WHERE expires_at < v_now - interval '7 days';
    GET DIAGNOSTICS n_links = ROW_COUNT;
    DELETE FROM tenantry.jobs WHERE state = 'done' AND finished_at < v_now - interval '30 days';
    GET DIAGNOSTICS n_jobs = ROW_COUNT;
    DELETE FROM tenantry.markers m
    WHERE m.at < v_now - interval '90 days' AND (starts_with(m.key, 'mail:') OR starts_with(m.key, 'ads:modal:'));
    GET DIAGNOSTICS n_marks = ROW_COUNT;
    DELETE FROM tenantry.sessions
    WHERE least(coalesce(ended_at, expires_at), expires_at) < v_now - interval '30 days';
    GET DIAGNOSTICS n_sess = ROW_COUNT;
    DELETE FROM tenantry.superuser_sessions
    WHERE least(coalesce(ended_at, expires_at), expires_at) < v_now - interval '30 days';
    GET DIAGNOSTICS n_su = ROW_COUNT;
    RETURN QUERY SELECT n_links, n_jobs, n_marks, n_sess + n_su;
END
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA tenantry_lookup FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tenantry_lookup TO tenantry_app;
