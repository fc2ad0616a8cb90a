//! The tenant's mail outbox (`tenantry.mails`).

use super::PgTenantTx;
use crate::rows;
use async_trait::async_trait;
use sqlx::types::Json;
use tenantry_ports::error::StoreError;

#[async_trait]
impl tenantry_ports::store::OutboxStore for PgTenantTx {
    async fn insert_mail(&mut self, m: &tenantry_ports::system::QueuedMail) -> Result<(), StoreError> {
        self.writable()?;
        self.own(m.tenant_id, "a mail")?;
        let token = match m.mail.message.token() {
            Some(token) => Some(rows::seal_mail_token(self.key.as_ref(), m.tenant_id, m.id, &token)?),
            None => None,
        };
        let (sent_at, message_id, reply) = match &m.sent {
            Some((at, accepted)) => (Some(*at), Some(accepted.message_id.as_str()), Some(accepted.reply.as_str())),
            None => (None, None, None),
        };
        self.execute(sqlx::query(
            "INSERT INTO tenantry.mails (tenant_id, id, template, to_email, mail, token, created_at, sent_at, message_id, reply) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(self.t())
        .bind(m.id.as_uuid())
        .bind(m.mail.message.template())
        .bind(m.mail.to.as_str())
        .bind(Json(&m.mail))
        .bind(token)
        .bind(m.created_at)
        .bind(sent_at)
        .bind(message_id)
        .bind(reply)).await?;
        Ok(())
    }

    async fn queued_mail(
        &mut self,
        id: tenantry_domain::MailId,
    ) -> Result<Option<tenantry_ports::system::QueuedMail>, StoreError> {
        let row = self
            .optional(
                sqlx::query("SELECT * FROM tenantry.mails WHERE tenant_id = $1 AND id = $2")
                    .bind(self.t())
                    .bind(id.as_uuid()),
            )
            .await?;
        row.as_ref().map(|r| rows::queued_mail(self.key.as_ref(), r)).transpose()
    }

    async fn mark_mail_sent(
        &mut self,
        id: tenantry_domain::MailId,
        at: chrono::DateTime<chrono::Utc>,
        accepted: &tenantry_ports::system::Accepted,
    ) -> Result<(), StoreError> {
        self.writable()?;
        let changed = self
            .execute(
                sqlx::query(
                    "UPDATE tenantry.mails SET sent_at = $3, message_id = $4, reply = $5, token = NULL \
             WHERE tenant_id = $1 AND id = $2",
                )
                .bind(self.t())
                .bind(id.as_uuid())
                .bind(at)
                .bind(&accepted.message_id)
                .bind(&accepted.reply),
            )
            .await?;
        if changed == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn forget_mails_of(&mut self, email: &tenantry_domain::Email, name: &str) -> Result<u64, StoreError> {
        self.writable()?;
        // Every string value at any depth of the mail (`$.**`): one that contains the
        // address or is the name marks the mail as the person's.
        let changed = self
            .execute(
                sqlx::query(
                    "DELETE FROM tenantry.mails m WHERE m.tenant_id = $1 AND (m.to_email = $2 OR EXISTS ( \
                 SELECT 1 FROM jsonb_path_query(m.mail, 'strict $.**') AS v(value) \
                 WHERE jsonb_typeof(v.value) = 'string' \
                   AND (strpos(v.value #>> '{}', $2) > 0 OR ($3 <> '' AND v.value #>> '{}' = $3))))",
                )
                .bind(self.t())
                .bind(email.as_str())
                .bind(name),
            )
            .await?;
        Ok(changed)
    }

    async fn void_unsent_mails(&mut self) -> Result<u64, StoreError> {
        self.writable()?;
        let changed = self
            .execute(sqlx::query("DELETE FROM tenantry.mails WHERE tenant_id = $1 AND sent_at IS NULL").bind(self.t()))
            .await?;
        Ok(changed)
    }
}
