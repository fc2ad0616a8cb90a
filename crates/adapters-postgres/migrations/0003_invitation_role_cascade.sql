-- An invitation's custom role: deleting the role deletes the invitations that refer to it.
-- The roles use case refuses to delete a role while a user holds it or a PENDING invitation
-- offers it, so what goes with the role are accepted, revoked and expired invitations — which
-- used to make the deletion fail on this foreign key (the in-memory store did not have it; the
-- store contract now pins the same behaviour for both). Users keep the restricting key.
ALTER TABLE tenantry.invitations
    DROP CONSTRAINT invitations_tenant_id_custom_role_id_fkey,
    ADD CONSTRAINT invitations_tenant_id_custom_role_id_fkey
        FOREIGN KEY (tenant_id, custom_role_id) REFERENCES tenantry.roles (tenant_id, id) ON DELETE CASCADE;
