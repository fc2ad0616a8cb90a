//! Rows ↔ domain values. A row the domain refuses is reported, never patched up.

use crate::cols::Cols;
use crate::error::{Db, corrupt};
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use tenantry_domain::invitation::{InvitationStatus, RevokeReason};
use tenantry_domain::password::PasswordHash;
use tenantry_domain::rbac::{BuiltinRole, CustomRole, PermissionName, RoleName};
use tenantry_domain::text::{CompanyName, Description, KeyName, PersonName};
use tenantry_domain::token::TokenHash;
use tenantry_domain::user::{DeactivationReason, LoginThrottle, PlatformUser, UserStatus};
use tenantry_domain::{ApiKey, Email, EntityId, Invitation, RoleId, RoleRef, Slug, Tenant, User};
use tenantry_domain::{PlatformUserId, TenantId, UserId};
use tenantry_ports::StoreError;
use tenantry_ports::crypto::DataKey;
use uuid::Uuid;

pub(crate) fn id<T: EntityId>(uuid: Uuid, what: &str) -> Result<T, StoreError> {
    T::from_uuid(uuid).map_err(|e| corrupt(what, e))
}

pub(crate) fn u32_of(v: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|e| corrupt(what, e))
}

/// `(role, custom_role_id)` columns of a role reference.
pub(crate) fn role_columns(role: RoleRef) -> (&'static str, Option<Uuid>) {
    match role {
        RoleRef::Builtin(b) => (b.as_str(), None),
        RoleRef::Custom(id) => ("custom", Some(id.as_uuid())),
    }
}

pub(crate) fn role_of(role: &str, custom: Option<Uuid>) -> Result<RoleRef, StoreError> {
    match (role, custom) {
        ("custom", Some(id)) => Ok(RoleRef::Custom(RoleId::from_uuid(id).map_err(|e| corrupt("role", e))?)),
        (name, None) => BuiltinRole::parse(name).map(RoleRef::Builtin).ok_or_else(|| corrupt("role", name)),
        (name, Some(_)) => Err(corrupt("role", name)),
    }
}

pub(crate) fn reason_text(r: DeactivationReason) -> &'static str {
    match r {
        DeactivationReason::Admin => "admin",
        DeactivationReason::Downgrade => "downgrade",
        DeactivationReason::Erased => "erased",
    }
}

/// An erasure, from the tenant's ledger (`tenantry.erasures`) or the platform's copy
/// (`tenantry.erasure_ledger`): the same columns.
pub(crate) fn erasure(row: &PgRow) -> Result<tenantry_domain::user::Erasure, StoreError> {
    Ok(tenantry_domain::user::Erasure {
        tenant_id: id(row.try_get("tenant_id").db()?, "erasure")?,
        user_id: id(row.try_get("user_id").db()?, "erasure")?,
        erased_at: row.try_get("erased_at").db()?,
        erased_by: row.try_get::<Json<_>, _>("erased_by").db()?.0,
    })
}

pub(crate) fn tenant(row: &impl Cols) -> Result<Tenant, StoreError> {
    Ok(Tenant::restore(tenantry_domain::TenantRecord {
        id: id(row.try_get("tenant_id").db()?, "tenant")?,
        slug: Slug::parse(row.try_get::<&str, _>("slug").db()?).map_err(|e| corrupt("tenant", e))?,
        name: CompanyName::parse(row.try_get::<&str, _>("name").db()?).map_err(|e| corrupt("tenant", e))?,
        created_at: row.try_get("created_at").db()?,
        settings: row.try_get::<Json<_>, _>("settings").db()?.0,
        quota_override: row.try_get::<Json<_>, _>("quota_override").db()?.0,
    }))
}

pub(crate) fn user(row: &impl Cols, key: Option<&DataKey>) -> Result<User, StoreError> {
    let active: bool = row.try_get("active").db()?;
    let status = if active {
        UserStatus::Active
    } else {
        let at: DateTime<Utc> = row
            .try_get::<Option<DateTime<Utc>>, _>("deactivated_at")
            .db()?
            .ok_or_else(|| corrupt("user", "no deactivation time"))?;
        let reason = match row.try_get::<Option<&str>, _>("deactivated_reason").db()? {
            Some("downgrade") => DeactivationReason::Downgrade,
            Some("erased") => DeactivationReason::Erased,
            _ => DeactivationReason::Admin,
        };
        UserStatus::Deactivated { at, reason }
    };
    Ok(User::restore(tenantry_domain::UserRecord {
        id: id(row.try_get("id").db()?, "user")?,
        tenant_id: id(row.try_get("tenant_id").db()?, "user")?,
        email: Email::parse(row.try_get::<&str, _>("email").db()?).map_err(|e| corrupt("user", e))?,
        name: PersonName::parse(row.try_get::<&str, _>("name").db()?).map_err(|e| corrupt("user", e))?,
        role: role_of(row.try_get("role").db()?, row.try_get("custom_role_id").db()?)?,
        status,
        password_hash: PasswordHash::from_encoded(secrecy::SecretString::from(
            row.try_get::<String, _>("password_hash").db()?,
        )),
        created_at: row.try_get("created_at").db()?,
        throttle: tenantry_domain::user::AccountThrottle {
            failures: u32_of(i64::from(row.try_get::<i32, _>("failed_logins").db()?), "user")?,
            locked_until: row.try_get("locked_until").db()?,
            window_started: row.try_get("failures_since").db()?,
            addresses: row.try_get::<Json<Vec<tenantry_domain::user::AddressFailures>>, _>("login_addresses").db()?.0,
        },
        token_version: u32_of(row.try_get::<i64, _>("token_version").db()?, "user")?,
        last_login_at: row.try_get("last_login_at").db()?,
        email_verified_at: row.try_get("email_verified_at").db()?,
        mfa: user_mfa(
            key,
            id(row.try_get("tenant_id").db()?, "user")?,
            id(row.try_get("id").db()?, "user")?,
            row.try_get::<Option<Json<serde_json::Value>>, _>("mfa").db()?.map(|j| j.0),
        )?,
        mail_prefs: row.try_get::<Json<tenantry_domain::user::MailPrefs>, _>("mail_prefs").db()?.0,
        preferences: row.try_get::<Json<tenantry_domain::preferences::Preferences>, _>("preferences").db()?.0,
    }))
}

pub(crate) fn invitation(row: &PgRow) -> Result<Invitation, StoreError> {
    let state: &str = row.try_get("state").db()?;
    let at: Option<DateTime<Utc>> = row.try_get("state_at").db()?;
    let status = match (state, at) {
        ("pending", _) => InvitationStatus::Pending,
        ("accepted", Some(at)) => InvitationStatus::Accepted {
            at,
            user_id: id(
                row.try_get::<Option<Uuid>, _>("accepted_user_id")
                    .db()?
                    .ok_or_else(|| corrupt("invitation", "no user"))?,
                "invitation",
            )?,
        },
        ("revoked", Some(at)) => InvitationStatus::Revoked {
            at,
            reason: match row.try_get::<Option<&str>, _>("revoke_reason").db()? {
                Some("downgrade") => RevokeReason::Downgrade,
                Some("restore") => RevokeReason::Restore,
                _ => RevokeReason::Admin,
            },
        },
        (other, _) => return Err(corrupt("invitation", other)),
    };
    Ok(Invitation::restore(tenantry_domain::InvitationRecord {
        id: id(row.try_get("id").db()?, "invitation")?,
        tenant_id: id(row.try_get("tenant_id").db()?, "invitation")?,
        email: Email::parse(row.try_get::<&str, _>("email").db()?).map_err(|e| corrupt("invitation", e))?,
        role: role_of(row.try_get("role").db()?, row.try_get("custom_role_id").db()?)?,
        token_hash: TokenHash::from_hex(row.try_get::<&str, _>("token_hash").db()?)
            .map_err(|e| corrupt("invitation", e))?,
        invited_by: row.try_get::<Option<Uuid>, _>("invited_by").db()?.map(|u| id(u, "invitation")).transpose()?,
        created_at: row.try_get("created_at").db()?,
        expires_at: row.try_get("expires_at").db()?,
        status,
        sent_count: u32_of(i64::from(row.try_get::<i32, _>("sent_count").db()?), "invitation")?,
    }))
}

/// `(state, state_at, accepted_user_id, revoke_reason)` of an invitation status.
pub(crate) fn invitation_status(
    s: &InvitationStatus,
) -> (&'static str, Option<DateTime<Utc>>, Option<Uuid>, Option<&'static str>) {
    match *s {
        InvitationStatus::Pending => ("pending", None, None, None),
        InvitationStatus::Accepted { at, user_id } => ("accepted", Some(at), Some(user_id.as_uuid()), None),
        InvitationStatus::Revoked { at, reason } => (
            "revoked",
            Some(at),
            None,
            Some(match reason {
                RevokeReason::Admin => "admin",
                RevokeReason::Downgrade => "downgrade",
                RevokeReason::Restore => "restore",
            }),
        ),
    }
}

pub(crate) fn role(row: &impl Cols) -> Result<CustomRole, StoreError> {
    let names: Vec<String> = row.try_get("permissions").db()?;
    Ok(CustomRole {
        id: id(row.try_get("id").db()?, "role")?,
        tenant_id: id(row.try_get("tenant_id").db()?, "role")?,
        name: RoleName::parse(row.try_get::<&str, _>("name").db()?).map_err(|e| corrupt("role", e))?,
        description: row
            .try_get::<Option<&str>, _>("description")
            .db()?
            .map(Description::parse)
            .transpose()
            .map_err(|e| corrupt("role", e))?,
        permissions: names
            .iter()
            .map(|n| PermissionName::parse(n))
            .collect::<Result<_, _>>()
            .map_err(|e| corrupt("role", e))?,
        created_at: row.try_get("created_at").db()?,
    })
}

pub(crate) fn api_key(row: &impl Cols) -> Result<ApiKey, StoreError> {
    let role: &str = row.try_get("role").db()?;
    let hash: &str = row.try_get("secret_hash").db()?;
    Ok(ApiKey::restore(tenantry_domain::ApiKeyRecord {
        id: id(row.try_get("id").db()?, "API key")?,
        tenant_id: id(row.try_get("tenant_id").db()?, "API key")?,
        name: KeyName::parse(row.try_get::<&str, _>("name").db()?).map_err(|e| corrupt("API key", e))?,
        role: BuiltinRole::parse(role).map(RoleRef::Builtin).ok_or_else(|| corrupt("API key", role))?,
        secret_hash: TokenHash::from_hex(hash).map_err(|e| corrupt("API key", e))?,
        created_by: row.try_get::<Option<Uuid>, _>("created_by").db()?.map(|u| id(u, "API key")).transpose()?,
        created_at: row.try_get("created_at").db()?,
        revoked_at: row.try_get("revoked_at").db()?,
    }))
}

pub(crate) fn superuser(row: &PgRow, key: Option<&DataKey>) -> Result<PlatformUser, StoreError> {
    Ok(PlatformUser {
        id: id(row.try_get("id").db()?, "superuser")?,
        email: Email::parse(row.try_get::<&str, _>("email").db()?).map_err(|e| corrupt("superuser", e))?,
        name: PersonName::parse(row.try_get::<&str, _>("name").db()?).map_err(|e| corrupt("superuser", e))?,
        password_hash: PasswordHash::from_encoded(secrecy::SecretString::from(
            row.try_get::<String, _>("password_hash").db()?,
        )),
        active: row.try_get("active").db()?,
        throttle: LoginThrottle {
            failures: u32_of(i64::from(row.try_get::<i32, _>("failed_logins").db()?), "superuser")?,
            locked_until: row.try_get("locked_until").db()?,
        },
        token_version: u32_of(row.try_get::<i64, _>("token_version").db()?, "superuser")?,
        created_at: row.try_get("created_at").db()?,
        last_login_at: row.try_get("last_login_at").db()?,
        mfa: superuser_mfa(row, key)?,
    })
}

/// A superuser's two-factor state as the platform row keeps it: the secret in
/// its own column, the rest here.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct MfaState {
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub enabled_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_used_step: Option<u64>,
    pub recovery: Vec<tenantry_domain::mfa::RecoveryCode>,
}

impl MfaState {
    pub(crate) fn of(mfa: &tenantry_domain::mfa::Mfa) -> Self {
        MfaState {
            started_at: mfa.started_at,
            enabled_at: mfa.enabled_at,
            last_used_step: mfa.last_used_step,
            recovery: mfa.recovery.clone(),
        }
    }
}

fn superuser_mfa(row: &PgRow, key: Option<&DataKey>) -> Result<Option<tenantry_domain::mfa::Mfa>, StoreError> {
    let secret: Option<String> = row.try_get("mfa_secret").db()?;
    let state: Option<Json<MfaState>> = row.try_get("mfa").db()?;
    let (Some(secret), Some(Json(state))) = (secret, state) else { return Ok(None) };
    let id: PlatformUserId = id(row.try_get("id").db()?, "superuser")?;
    let secret = open_secret(key, &secret, &tenantry_ports::crypto::superuser_totp_aad(id), "superuser")?;
    Ok(Some(tenantry_domain::mfa::Mfa {
        secret,
        started_at: state.started_at,
        enabled_at: state.enabled_at,
        last_used_step: state.last_used_step,
        recovery: state.recovery,
    }))
}

/// A TOTP secret as stored: sealed (`v1:…`, opened with `key` for the row
/// `aad` names) or, written before sealing existed, its base32 text.
fn open_secret(
    key: Option<&DataKey>,
    stored: &str,
    aad: &[u8],
    what: &'static str,
) -> Result<tenantry_domain::mfa::TotpSecret, StoreError> {
    if !DataKey::is_sealed(stored) {
        return tenantry_domain::mfa::TotpSecret::from_base32(stored).map_err(|e| corrupt(what, e));
    }
    let key = key.ok_or_else(|| corrupt(what, "a sealed TOTP secret, and no data key (TENANTRY_DATA_KEY)"))?;
    let plain = key.open(stored, aad).map_err(|e| corrupt(what, e))?;
    let text = std::str::from_utf8(secrecy::ExposeSecret::expose_secret(&plain)).map_err(|e| corrupt(what, e))?;
    tenantry_domain::mfa::TotpSecret::from_base32(text).map_err(|e| corrupt(what, e))
}

/// A TOTP secret as it is stored: sealed with `key` for the row `aad` names
/// (as base32 text without a key).
fn seal_secret(
    key: Option<&DataKey>,
    secret: &tenantry_domain::mfa::TotpSecret,
    aad: &[u8],
) -> Result<String, StoreError> {
    let text = secret.to_base32();
    match key {
        Some(key) => key
            .seal(secrecy::ExposeSecret::expose_secret(&text).as_bytes(), aad)
            .map_err(|e| StoreError::Unknown(anyhow::anyhow!("sealing a TOTP secret: {e}"))),
        None => Ok(secrecy::ExposeSecret::expose_secret(&text).to_owned()),
    }
}

/// The link token of an outbox mail as stored: sealed with `key` for the row
/// (plain without a key, as TOTP secrets).
pub(crate) fn seal_mail_token(
    key: Option<&DataKey>,
    tenant: TenantId,
    mail: tenantry_domain::MailId,
    token: &secrecy::SecretString,
) -> Result<String, StoreError> {
    let plain = secrecy::ExposeSecret::expose_secret(token);
    match key {
        Some(key) => key
            .seal(plain.as_bytes(), &tenantry_ports::crypto::mail_token_aad(tenant, mail))
            .map_err(|e| StoreError::Unknown(anyhow::anyhow!("sealing a mail's token: {e}"))),
        None => Ok(plain.to_owned()),
    }
}

/// An outbox row, its token opened.
pub(crate) fn queued_mail(key: Option<&DataKey>, r: &PgRow) -> Result<tenantry_ports::system::QueuedMail, StoreError> {
    let what = "mail";
    let tenant: TenantId = id(r.try_get("tenant_id").db()?, what)?;
    let mail_id: tenantry_domain::MailId = id(r.try_get("id").db()?, what)?;
    let Json(mut mail): Json<tenantry_ports::system::Mail> = r.try_get("mail").db()?;
    let token: Option<String> = r.try_get("token").db()?;
    if let Some(stored) = token {
        let plain = if DataKey::is_sealed(&stored) {
            let key = key.ok_or_else(|| corrupt(what, "a sealed token, and no data key (TENANTRY_DATA_KEY)"))?;
            let opened = key
                .open(&stored, &tenantry_ports::crypto::mail_token_aad(tenant, mail_id))
                .map_err(|e| corrupt(what, e))?;
            String::from_utf8(secrecy::ExposeSecret::expose_secret(&opened).to_vec()).map_err(|e| corrupt(what, e))?
        } else {
            stored
        };
        mail.message.set_token(secrecy::SecretString::from(plain));
    }
    let sent_at: Option<chrono::DateTime<chrono::Utc>> = r.try_get("sent_at").db()?;
    let message_id: Option<String> = r.try_get("message_id").db()?;
    let reply: Option<String> = r.try_get("reply").db()?;
    let sent = match (sent_at, message_id) {
        (Some(at), Some(message_id)) => {
            Some((at, tenantry_ports::system::Accepted { message_id, reply: reply.unwrap_or_default() }))
        }
        _ => None,
    };
    Ok(tenantry_ports::system::QueuedMail {
        id: mail_id,
        tenant_id: tenant,
        mail,
        created_at: r.try_get("created_at").db()?,
        sent,
    })
}

/// The superuser's TOTP secret as stored.
pub(crate) fn seal_superuser_secret(
    key: Option<&DataKey>,
    superuser: PlatformUserId,
    secret: &tenantry_domain::mfa::TotpSecret,
) -> Result<String, StoreError> {
    seal_secret(key, secret, &tenantry_ports::crypto::superuser_totp_aad(superuser))
}

/// A user's two-factor state as the `mfa` column keeps it: the secret sealed.
pub(crate) fn user_mfa_json(key: Option<&DataKey>, user: &User) -> Result<Option<Json<serde_json::Value>>, StoreError> {
    let Some(mfa) = &user.mfa() else { return Ok(None) };
    let mut value = serde_json::to_value(mfa).map_err(|e| StoreError::Unknown(e.into()))?;
    let sealed = seal_secret(key, &mfa.secret, &tenantry_ports::crypto::user_totp_aad(user.tenant_id(), user.id()))?;
    if let Some(object) = value.as_object_mut() {
        object.insert("secret".into(), serde_json::Value::String(sealed));
        // For the credential ledger (migration 0022): which secret, never the secret.
        object.insert("fingerprint".into(), serde_json::Value::String(mfa.secret.fingerprint()));
    }
    Ok(Some(Json(value)))
}

fn user_mfa(
    key: Option<&DataKey>,
    tenant: TenantId,
    user: UserId,
    stored: Option<serde_json::Value>,
) -> Result<Option<tenantry_domain::mfa::Mfa>, StoreError> {
    let Some(mut value) = stored else { return Ok(None) };
    if let Some(object) = value.as_object_mut() {
        object.remove("fingerprint"); // the ledger's, not the domain's
    }
    let stored_secret = value.get("secret").and_then(|s| s.as_str()).map(str::to_owned);
    if let Some(stored_secret) = stored_secret {
        let aad = tenantry_ports::crypto::user_totp_aad(tenant, user);
        let secret = open_secret(key, &stored_secret, &aad, "user")?;
        if let Some(object) = value.as_object_mut() {
            let base32 = secret.to_base32();
            object.insert(
                "secret".into(),
                serde_json::Value::String(secrecy::ExposeSecret::expose_secret(&base32).to_owned()),
            );
        }
    }
    serde_json::from_value(value).map(Some).map_err(|e| corrupt("user", e))
}

pub(crate) fn audit(row: &PgRow, tenant: Option<Uuid>) -> Result<tenantry_domain::AuditEvent, StoreError> {
    let action: &str = row.try_get("action").db()?;
    let outcome: Json<tenantry_domain::AuditOutcome> = Json(
        serde_json::from_value(serde_json::Value::String(row.try_get::<String, _>("outcome").db()?))
            .map_err(|e| corrupt("audit", e))?,
    );
    Ok(tenantry_domain::AuditEvent {
        id: id(row.try_get("id").db()?, "audit")?,
        at: row.try_get("at").db()?,
        tenant_id: tenant.map(|t| id(t, "audit")).transpose()?,
        actor: row.try_get::<Json<_>, _>("actor").db()?.0,
        action: tenantry_domain::AuditAction::parse(action).ok_or_else(|| corrupt("audit", action))?,
        target: row.try_get::<Option<Json<_>>, _>("target").db()?.map(|j| j.0),
        outcome: outcome.0,
        details: row.try_get::<Json<_>, _>("details").db()?.0,
    })
}

/// The text form of an outcome (`success`, `denied`, `failed`).
pub(crate) fn outcome_text(o: tenantry_domain::AuditOutcome) -> &'static str {
    match o {
        tenantry_domain::AuditOutcome::Success => "success",
        tenantry_domain::AuditOutcome::Denied => "denied",
        tenantry_domain::AuditOutcome::Failed => "failed",
    }
}

/// A job row (from the tenant's table or the failed-jobs lookup).
pub(crate) fn job(row: &PgRow) -> Result<tenantry_domain::job::Job, StoreError> {
    use tenantry_domain::job::{Job, JobState};
    let last_error: Option<String> = row.try_get("last_error").db()?;
    let finished_at: Option<DateTime<Utc>> = row.try_get("finished_at").db()?;
    let state = match (row.try_get::<&str, _>("state").db()?, finished_at) {
        ("pending", _) => JobState::Pending,
        ("done", Some(at)) => JobState::Done { at },
        ("failed", Some(at)) => JobState::Failed { at, error: last_error.clone().unwrap_or_default() },
        (other, _) => return Err(corrupt("job", format!("state {other} without its time"))),
    };
    Ok(Job {
        id: id(row.try_get("id").db()?, "job")?,
        tenant_id: id(row.try_get("tenant_id").db()?, "job")?,
        kind: row.try_get::<Json<_>, _>("kind").db()?.0,
        run_at: row.try_get("run_at").db()?,
        attempts: u32_of(i64::from(row.try_get::<i32, _>("attempts").db()?), "job")?,
        leased_until: row.try_get("leased_until").db()?,
        last_error,
        state,
        created_at: row.try_get("created_at").db()?,
    })
}

/// `(state, finished_at)` columns of a job state.
pub(crate) fn job_state_columns(state: &tenantry_domain::job::JobState) -> (&'static str, Option<DateTime<Utc>>) {
    use tenantry_domain::job::JobState;
    match state {
        JobState::Pending => ("pending", None),
        JobState::Done { at } => ("done", Some(*at)),
        JobState::Failed { at, .. } => ("failed", Some(*at)),
    }
}

pub(crate) fn export(row: &PgRow) -> Result<tenantry_domain::export::Export, StoreError> {
    use tenantry_domain::export::{Export, ExportRecord, ExportStatus};
    let status = match row.try_get::<&str, _>("status").db()? {
        "queued" => ExportStatus::Queued,
        "running" => ExportStatus::Running,
        "ready" => ExportStatus::Ready,
        "failed" => ExportStatus::Failed,
        "expired" => ExportStatus::Expired,
        other => return Err(corrupt("export", other)),
    };
    Ok(Export::restore(ExportRecord {
        id: id(row.try_get("id").db()?, "export")?,
        tenant_id: id(row.try_get("tenant_id").db()?, "export")?,
        requested_by: row.try_get::<Json<_>, _>("requested_by").db()?.0,
        status,
        sections_done: u32_of(i64::from(row.try_get::<i32, _>("sections_done").db()?), "export")?,
        sections_total: u32_of(i64::from(row.try_get::<i32, _>("sections_total").db()?), "export")?,
        size_bytes: u64::try_from(row.try_get::<i64, _>("size_bytes").db()?).map_err(|e| corrupt("export", e))?,
        created_at: row.try_get("created_at").db()?,
        finished_at: row.try_get("finished_at").db()?,
        expires_at: row.try_get("expires_at").db()?,
    }))
}

/// A session row: a tenant user's (`user_id`) or a superuser's (`superuser_id`).
pub(crate) fn session(row: &impl Cols) -> Result<tenantry_domain::session::Session, StoreError> {
    use tenantry_domain::session::{Session, SessionEnd, SessionKind, SessionOwner};
    let owner = match row.try_get::<Option<Uuid>, _>("user_id").ok().flatten() {
        Some(user) => SessionOwner::User(id(user, "session")?),
        None => SessionOwner::Superuser(id(row.try_get("superuser_id").db()?, "session")?),
    };
    let kind: &str = row.try_get("kind").db()?;
    let ended_at: Option<DateTime<Utc>> = row.try_get("ended_at").db()?;
    let reason: Option<&str> = row.try_get("ended_reason").db()?;
    let ended = match (ended_at, reason) {
        (Some(at), Some(r)) => Some((at, SessionEnd::parse(r).ok_or_else(|| corrupt("session", r))?)),
        _ => None,
    };
    Ok(Session::restore(tenantry_domain::session::SessionRecord {
        id: id(row.try_get("id").db()?, "session")?,
        owner,
        kind: SessionKind::parse(kind).ok_or_else(|| corrupt("session", kind))?,
        impersonator: row
            .try_get::<Option<Uuid>, _>("impersonator")
            .ok()
            .flatten()
            .map(|u| id(u, "session"))
            .transpose()?,
        token_version: u32_of(row.try_get::<i64, _>("token_version").db()?, "session")?,
        refresh_generation: u32_of(row.try_get::<i64, _>("refresh_generation").db()?, "session")?,
        created_at: row.try_get("created_at").db()?,
        last_used_at: row.try_get("last_used_at").db()?,
        idle: chrono::Duration::seconds(i64::from(row.try_get::<i32, _>("idle_seconds").db()?)),
        expires_at: row.try_get("expires_at").db()?,
        user_agent: row.try_get("user_agent").db()?,
        address: row.try_get("address").db()?,
        ended,
    }))
}

/// The tenant's subscription row (`tenantry.subscriptions`: the state and the
/// provider link; the other columns are derived from the state for queries).
pub(crate) fn subscription(row: &impl Cols, tenant: TenantId) -> Result<tenantry_domain::Subscription, StoreError> {
    let customer: Option<String> = row.try_get("provider_customer").db()?;
    Ok(tenantry_domain::Subscription::restore(tenantry_domain::SubscriptionRecord {
        tenant_id: tenant,
        state: row.try_get::<Json<_>, _>("state").db()?.0,
        payment_method_on_file: row.try_get("payment_method_on_file").db()?,
        provider: customer
            .map(|customer| -> Result<_, StoreError> {
                Ok(tenantry_domain::subscription::ProviderLink {
                    customer,
                    subscription: row.try_get("provider_subscription").db()?,
                })
            })
            .transpose()?,
        provider_synced_at: row.try_get("provider_synced_at").db()?,
        timer_checked_at: row.try_get("timer_checked_at").db()?,
        revision: u64::try_from(row.try_get::<i64, _>("revision").db()?).unwrap_or(0),
        discount: row.try_get::<Option<Json<_>>, _>("discount").db()?.map(|j| j.0),
        signup_promotion_code: row.try_get("signup_promotion_code").db()?,
    }))
}
