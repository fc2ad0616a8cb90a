-- TOTP two-factor (issue 8): the user's enrolment — its secret, whether it is confirmed, the last
-- step used (a code works once) and the recovery codes' hashes — as the domain's JSON. A secret:
-- read by the service, written out by nothing but the superuser's encrypted backup (the GDPR export
-- is built from views that do not carry it).
ALTER TABLE tenantry.users ADD COLUMN mfa jsonb;
