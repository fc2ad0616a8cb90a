-- Tenant files (issue 27, decision 0033): what tenantry keeps about a file, and — with the
-- PostgreSQL file store — its bytes, in chunks. Both are tenant-owned: forced row-level security,
-- the tenant policies, the restrictive wall; on Citus `tenantry migrate` distributes both by
-- tenant_id, colocated with the tenants (a tenant's files and their chunks live on its shard).
--
-- The bytes are written before the row (an upload streams into them, in a transaction of its own
-- that does not hold the tenant's writer lock), and the row with the storage counter afterwards, in
-- the unit of work that checks the quota: so the chunks do not reference the row. An upload that is
-- refused there (the quota) or fails to commit has its chunks deleted by the service at once; only a
-- process that dies in between leaves chunks without a row (`FileStore::list` names them).

CREATE TABLE tenantry.files (
    tenant_id    uuid        NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    id           uuid        NOT NULL,
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 1024),
    content_type text        NOT NULL CHECK (length(content_type) BETWEEN 3 AND 255),
    size         bigint      NOT NULL CHECK (size > 0),
    sha256       text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    uploaded_by  uuid,
    uploaded_at  timestamptz NOT NULL,
    purpose      text        NOT NULL CHECK (purpose IN ('attachment', 'logo')),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX files_newest ON tenantry.files (tenant_id, uploaded_at DESC, id DESC);
SELECT tenantry.make_tenant_owned('tenantry.files');

CREATE TABLE tenantry.file_chunks (
    tenant_id uuid    NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    file_id   uuid    NOT NULL,
    seq       integer NOT NULL CHECK (seq >= 0),
    data      bytea   NOT NULL,
    PRIMARY KEY (tenant_id, file_id, seq)
);
-- Most files are compressed already (PDF, images, Office documents): stored as they are, a chunk's
-- read touches only its own pages.
ALTER TABLE tenantry.file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
SELECT tenantry.make_tenant_owned('tenantry.file_chunks', 'SELECT, INSERT, DELETE');
