-- Security II (issue 18): failed logins counted per account and client address (DESIGN.md §3).
-- failed_logins and locked_until now hold the count from all addresses and the lock everywhere;
-- failures_since is the start of that count's 15-minute window; login_addresses the per-address
-- counts and locks ([{address, failures, last_at, locked_until}], at most 64).
ALTER TABLE tenantry.users
    ADD COLUMN failures_since  timestamptz,
    ADD COLUMN login_addresses jsonb NOT NULL DEFAULT '[]'::jsonb
        CHECK (jsonb_typeof(login_addresses) = 'array' AND jsonb_array_length(login_addresses) <= 64);
