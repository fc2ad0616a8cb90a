-- The timesheets product's own table, made tenant-owned by tenantry's helper.
CREATE SCHEMA IF NOT EXISTS timesheets;

CREATE TABLE timesheets.entries (
    tenant_id   uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    id          uuid        NOT NULL,
    user_id     uuid        NOT NULL,            -- who worked
    project     text        NOT NULL CHECK (length(project) BETWEEN 1 AND 100),
    day         date        NOT NULL,
    minutes     integer     NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
    note        text        NOT NULL CHECK (length(note) <= 500),
    status      text        NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected')),
    decided_by  uuid,                            -- the manager who approved or rejected
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenantry.users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, decided_by) REFERENCES tenantry.users (tenant_id, id)
);
CREATE INDEX entries_by_day ON timesheets.entries (tenant_id, day DESC);

SELECT tenantry.register_product_table('timesheets.entries');
