-- Issue 20: the mail outbox. A change that causes mail writes it here, with its job (kind
-- {"kind": "mail", "id": …}), in its own transaction; the job runner sends it and records the
-- server's acceptance (sent_at, message_id, reply) at once, so that a retry never sends it again.
-- The token of a link a mail carries (invitation, password reset, verification) is a credential:
-- it is kept sealed with the data key (TENANTRY_DATA_KEY, as TOTP secrets; AAD names the tenant
-- and the mail) and set to NULL once the mail is sent.
CREATE TABLE tenantry.mails (
    tenant_id  uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    id         uuid        NOT NULL,
    template   text        NOT NULL,
    to_email   text        NOT NULL,
    mail       jsonb       NOT NULL,            -- the mail without its token
    token      text,                            -- sealed (v1:…), or plain without a data key; NULL once sent
    created_at timestamptz NOT NULL,
    sent_at    timestamptz,
    message_id text,
    reply      text,
    PRIMARY KEY (tenant_id, id),
    CHECK ((sent_at IS NULL) = (message_id IS NULL)),
    CHECK (sent_at IS NULL OR token IS NULL)
);
CREATE INDEX mails_to ON tenantry.mails (tenant_id, to_email);
CREATE INDEX mails_sent ON tenantry.mails (sent_at) WHERE sent_at IS NOT NULL;
SELECT tenantry.make_tenant_owned('tenantry.mails');

-- Housekeeping also deletes the record of mails sent more than 30 days ago (as done jobs).
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_housekeeping ON tenantry.mails FOR DELETE TO %I USING (true)',
                   current_user);
END
$$;

DROP FUNCTION tenantry_lookup.housekeeping();
CREATE FUNCTION tenantry_lookup.housekeeping()
RETURNS TABLE (account_links bigint, jobs bigint, markers bigint, sessions bigint, mails bigint)
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
    n_mails bigint;
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
    DELETE FROM tenantry.mails WHERE sent_at < v_now - interval '30 days';
    GET DIAGNOSTICS n_mails = ROW_COUNT;
    RETURN QUERY SELECT n_links, n_jobs, n_marks, n_sess + n_su, n_mails;
END
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA tenantry_lookup FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tenantry_lookup TO tenantry_app;

-- Which mails a person chose (tenantry_domain::user::MailPrefs): refusable billing mails on,
-- product updates off until they opt in.
ALTER TABLE tenantry.users ADD COLUMN mail_prefs jsonb NOT NULL
    DEFAULT '{"billing": true, "product_updates": false}'::jsonb;
