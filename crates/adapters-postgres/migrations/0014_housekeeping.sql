-- Housekeeping (issue 8): every day, one-time account links that expired a week ago, jobs done a
-- month ago and short-lived markers (mail throttles, ad modals: the key prefixes are passed) older
-- than 90 days are deleted across tenants through one more named path. It takes cut-off times and
-- prefixes, nothing that names a tenant, deletes only those rows of those three tables, and answers
-- counts. Failed jobs stay: they are listed for the superuser until retried.
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_housekeeping ON tenantry.account_links FOR DELETE TO %I USING (true)',
                   current_user);
    EXECUTE format('CREATE POLICY owner_housekeeping ON tenantry.jobs FOR DELETE TO %I USING (true)',
                   current_user);
    EXECUTE format('CREATE POLICY owner_housekeeping ON tenantry.markers FOR DELETE TO %I USING (true)',
                   current_user);
END
$$;
CREATE INDEX account_links_expiry ON tenantry.account_links (expires_at);
CREATE INDEX jobs_done ON tenantry.jobs (finished_at) WHERE state = 'done';

CREATE FUNCTION tenantry_lookup.housekeeping(p_links_expired_before timestamptz, p_jobs_done_before timestamptz,
                                             p_markers_before timestamptz, p_marker_prefixes text[])
RETURNS TABLE (account_links bigint, jobs bigint, markers bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n_links bigint;
    n_jobs  bigint;
    n_marks bigint;
BEGIN
    DELETE FROM tenantry.account_links WHERE expires_at < p_links_expired_before;
    GET DIAGNOSTICS n_links = ROW_COUNT;
    DELETE FROM tenantry.jobs WHERE state = 'done' AND finished_at < p_jobs_done_before;
    GET DIAGNOSTICS n_jobs = ROW_COUNT;
    DELETE FROM tenantry.markers m
    WHERE m.at < p_markers_before
      AND EXISTS (SELECT 1 FROM unnest(p_marker_prefixes) AS p(prefix) WHERE starts_with(m.key, p.prefix));
    GET DIAGNOSTICS n_marks = ROW_COUNT;
    RETURN QUERY SELECT n_links, n_jobs, n_marks;
END
$$;
REVOKE ALL ON FUNCTION tenantry_lookup.housekeeping(timestamptz, timestamptz, timestamptz, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenantry_lookup.housekeeping(timestamptz, timestamptz, timestamptz, text[]) TO tenantry_app;
