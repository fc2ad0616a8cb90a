-- The subscription's revision: incremented by every save, it names the state a
-- payment-provider request was made from (its idempotency key), so that a retry
-- reuses the key and the same request made again from a later state does not.
ALTER TABLE tenantry.subscriptions ADD COLUMN revision bigint NOT NULL DEFAULT 0 CHECK (revision >= 0);
