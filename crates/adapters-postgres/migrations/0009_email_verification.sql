-- E-mail verification (issue 8, account security). The one-time links of migration 0008 serve
-- both purposes now: password resets and address verifications.
ALTER TABLE tenantry.password_resets RENAME TO account_links;
ALTER TABLE tenantry.account_links
    ADD COLUMN purpose text NOT NULL DEFAULT 'password_reset'
    CHECK (purpose IN ('password_reset', 'email_verification'));
ALTER TABLE tenantry.account_links ALTER COLUMN purpose DROP DEFAULT;

-- When the address was proven (a verification link, or the invitation link that reached it).
ALTER TABLE tenantry.users ADD COLUMN email_verified_at timestamptz;
