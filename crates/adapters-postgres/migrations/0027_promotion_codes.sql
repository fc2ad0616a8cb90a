-- Promotion codes (issue 23): the superuser's coupons and their codes (platform tables: no
-- tenant data), and the discount a subscription carries while it runs.
--
-- The service role reads both tables and writes them only through the narrow functions below,
-- which date what they write with tenantry's clock. A redemption is counted under a row lock
-- (`lock_promotion_code` ... `count_redemption` in one transaction), so that two tenants taking the
-- last redemption at once are counted one after the other: exactly one gets it.

SELECT pg_advisory_xact_lock(7408521437);

CREATE TABLE tenantry.coupons (
    id             uuid        PRIMARY KEY,
    created_at     timestamptz NOT NULL,
    times_redeemed integer     NOT NULL DEFAULT 0 CHECK (times_redeemed >= 0),
    data           jsonb       NOT NULL
);
COMMENT ON TABLE tenantry.coupons IS 'tenantry:platform coupons of the superuser, no tenant data';
GRANT SELECT ON tenantry.coupons TO tenantry_app;

CREATE TABLE tenantry.promotion_codes (
    id             uuid        PRIMARY KEY,
    coupon_id      uuid        NOT NULL REFERENCES tenantry.coupons,
    code           text        NOT NULL CONSTRAINT promotion_codes_code_key UNIQUE,
    active         boolean     NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL,
    times_redeemed integer     NOT NULL DEFAULT 0 CHECK (times_redeemed >= 0),
    data           jsonb       NOT NULL
);
COMMENT ON TABLE tenantry.promotion_codes IS 'tenantry:platform promotion codes of the superuser, no tenant data';
GRANT SELECT ON tenantry.promotion_codes TO tenantry_app;

CREATE FUNCTION tenantry_lookup.insert_coupon(p_id uuid, p_data jsonb)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ INSERT INTO tenantry.coupons (id, created_at, data) VALUES (p_id, tenantry.now(), p_data) $$;

CREATE FUNCTION tenantry_lookup.insert_promotion_code(p_id uuid, p_coupon uuid, p_code text, p_active boolean,
                                                      p_data jsonb)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO tenantry.promotion_codes (id, coupon_id, code, active, created_at, data)
    VALUES (p_id, p_coupon, p_code, p_active, tenantry.now(), p_data)
$$;

-- The code and its coupon, locked until the caller's transaction ends.
CREATE FUNCTION tenantry_lookup.lock_promotion_code(p_code text)
RETURNS TABLE (id uuid, coupon_id uuid, active boolean, created_at timestamptz, times_redeemed integer, data jsonb,
               coupon_created_at timestamptz, coupon_times_redeemed integer, coupon_data jsonb)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.id, p.coupon_id, p.active, p.created_at, p.times_redeemed, p.data,
           c.created_at, c.times_redeemed, c.data
    FROM tenantry.promotion_codes p JOIN tenantry.coupons c ON c.id = p.coupon_id
    WHERE p.code = p_code
    FOR UPDATE OF p, c
$$;

-- One redemption more (1) or given back (-1) on the code and its coupon; false for no such code.
CREATE FUNCTION tenantry_lookup.count_redemption(p_code uuid, p_delta integer)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH code AS (
        UPDATE tenantry.promotion_codes SET times_redeemed = greatest(times_redeemed + p_delta, 0)
        WHERE id = p_code AND p_delta IN (-1, 1)
        RETURNING coupon_id
    ), coupon AS (
        UPDATE tenantry.coupons c SET times_redeemed = greatest(c.times_redeemed + p_delta, 0)
        FROM code WHERE c.id = code.coupon_id
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM code) AND EXISTS (SELECT 1 FROM coupon)
$$;

CREATE FUNCTION tenantry_lookup.set_promotion_code_active(p_code uuid, p_active boolean)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH done AS (UPDATE tenantry.promotion_codes SET active = p_active WHERE id = p_code RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM done)
$$;

GRANT EXECUTE ON FUNCTION tenantry_lookup.insert_coupon(uuid, jsonb),
    tenantry_lookup.insert_promotion_code(uuid, uuid, text, boolean, jsonb),
    tenantry_lookup.lock_promotion_code(text),
    tenantry_lookup.count_redemption(uuid, integer),
    tenantry_lookup.set_promotion_code_active(uuid, boolean)
TO tenantry_app;

-- The subscription's discount (a promotion code's, while it runs), as the provider reported it, and
-- a code entered at signup that waits for the payment method (then it is redeemed, or refused).
ALTER TABLE tenantry.subscriptions ADD COLUMN discount jsonb,
                                   ADD COLUMN signup_promotion_code text
                                       CHECK (signup_promotion_code ~ '^[A-Z0-9_-]{3,32}$');
