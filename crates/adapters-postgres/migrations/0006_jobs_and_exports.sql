-- Scheduled work and GDPR exports (issue 8; DESIGN.md "Data rights").
--
-- Jobs are tenant-owned rows, written in the same unit of work as what asks for them (an export
-- request and its job commit together). Workers claim due jobs across tenants through ONE named
-- path, tenantry_lookup.claim_due_jobs: FOR UPDATE SKIP LOCKED, so that concurrent workers
-- (several service instances) never claim one job twice; the claim counts an attempt and leases
-- the job, so that a worker that dies mid-job leaves it to be claimed again once the lease ends.

CREATE TABLE tenantry.jobs (
    tenant_id    uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    id           uuid        NOT NULL,
    kind         jsonb       NOT NULL,              -- {"kind": "export", "id": ...}
    run_at       timestamptz NOT NULL,
    attempts     integer     NOT NULL CHECK (attempts >= 0),
    leased_until timestamptz,
    last_error   text,
    state        text        NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    finished_at  timestamptz,                       -- when done or failed
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX jobs_due ON tenantry.jobs (run_at) WHERE state = 'pending';
CREATE INDEX jobs_failed ON tenantry.jobs (finished_at DESC) WHERE state = 'failed';
SELECT tenantry.make_tenant_owned('tenantry.jobs', 'SELECT, INSERT, UPDATE');
-- The claim runs as the owner (SECURITY DEFINER) and updates jobs of every tenant: the owner's
-- read-only lookup policy gets an update counterpart on this one table.
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_claim ON tenantry.jobs FOR UPDATE TO %I USING (true) WITH CHECK (true)',
                   current_user);
END
$$;

CREATE FUNCTION tenantry_lookup.claim_due_jobs(p_now timestamptz, p_lease_seconds integer, p_limit integer)
RETURNS TABLE (tenant_id uuid, id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH due AS (
        SELECT j.tenant_id, j.id FROM tenantry.jobs j
        WHERE j.state = 'pending' AND j.run_at <= p_now AND (j.leased_until IS NULL OR j.leased_until <= p_now)
        ORDER BY j.run_at, j.tenant_id, j.id
        LIMIT greatest(p_limit, 0)
        FOR UPDATE SKIP LOCKED
    )
    UPDATE tenantry.jobs j
    SET attempts = j.attempts + 1, leased_until = p_now + make_interval(secs => p_lease_seconds)
    FROM due
    WHERE j.tenant_id = due.tenant_id AND j.id = due.id
    RETURNING j.tenant_id, j.id
$$;

CREATE FUNCTION tenantry_lookup.failed_jobs(p_limit integer)
RETURNS TABLE (
    tenant_id uuid, id uuid, kind jsonb, run_at timestamptz, attempts integer, leased_until timestamptz,
    last_error text, state text, finished_at timestamptz, created_at timestamptz
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT j.tenant_id, j.id, j.kind, j.run_at, j.attempts, j.leased_until, j.last_error, j.state, j.finished_at,
           j.created_at
    FROM tenantry.jobs j
    WHERE j.state = 'failed'
    ORDER BY j.finished_at DESC, j.id DESC
    LIMIT greatest(p_limit, 0)
$$;

REVOKE ALL ON FUNCTION tenantry_lookup.claim_due_jobs(timestamptz, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION tenantry_lookup.failed_jobs(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenantry_lookup.claim_due_jobs(timestamptz, integer, integer) TO tenantry_app;
GRANT EXECUTE ON FUNCTION tenantry_lookup.failed_jobs(integer) TO tenantry_app;

CREATE TABLE tenantry.exports (
    tenant_id      uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    id             uuid        NOT NULL,
    requested_by   jsonb       NOT NULL,
    status         text        NOT NULL CHECK (status IN ('queued', 'running', 'ready', 'failed', 'expired')),
    sections_done  integer     NOT NULL CHECK (sections_done >= 0),
    sections_total integer     NOT NULL CHECK (sections_total >= 0),
    size_bytes     bigint      NOT NULL CHECK (size_bytes >= 0),
    created_at     timestamptz NOT NULL,
    finished_at    timestamptz,
    expires_at     timestamptz,
    PRIMARY KEY (tenant_id, id)
);
SELECT tenantry.make_tenant_owned('tenantry.exports', 'SELECT, INSERT, UPDATE');

CREATE TABLE tenantry.export_files (
    tenant_id uuid  NOT NULL,
    export_id uuid  NOT NULL,
    content   bytea NOT NULL,
    PRIMARY KEY (tenant_id, export_id),
    FOREIGN KEY (tenant_id, export_id) REFERENCES tenantry.exports (tenant_id, id) ON DELETE CASCADE
);
SELECT tenantry.make_tenant_owned('tenantry.export_files');
