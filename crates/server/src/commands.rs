//! The operator's commands: migrations, superusers, the due jobs, the
//! isolation check and Stripe's catalog.

use crate::compose::*;
use crate::config::*;
use crate::{Failure, env, secret_env};
use secrecy::{ExposeSecret, SecretString};
use std::process::ExitCode;
use std::sync::Arc;
use tenantry_mail::NoMailer;
use tenantry_memory::BillingSimulator;
use tenantry_ports::defaults::{Argon2idHasher, OsTokenGenerator, SystemClock, UuidV7Generator};
use tenantry_ports::services::auth::NewSuperuser;
use tenantry_ports::{Clock, Deps, Tenantry, TenantryConfig};
use tenantry_postgres::PgOperator;

/// `tenantry stripe sync-catalog`: the product, the four prices and the portal
/// configuration, created or updated to match the plan catalog.
pub(crate) async fn stripe_sync_catalog() -> Result<ExitCode, Failure> {
    let stripe = stripe_config(false)?.ok_or_else(|| Failure::Config("STRIPE_SECRET_KEY is not set".into()))?;
    let client = stripe.client().map_err(|e| Failure::Config(e.to_string()))?;
    let report = tenantry_stripe::catalog::sync_catalog(&client, &TenantryConfig::default().catalog)
        .await
        .map_err(|e| Failure::Config(format!("Stripe: {e}")))?;
    println!(
        "product {}; prices created: {:?}; prices kept: {:?}; portal configuration {}",
        if report.product_created { "created" } else { "kept" },
        report.prices_created,
        report.prices_kept,
        if report.portal_created { "created" } else { "kept" },
    );
    for (key, id) in &report.prices {
        println!("{key} = {id}");
    }
    // With a public address, the webhook endpoint too (pinned to the API version tenantry reads).
    match &stripe.public_url {
        Some(base) => {
            let url = format!("{}/v1/webhooks/stripe", base.trim_end_matches('/'));
            match tenantry_stripe::catalog::sync_webhook_endpoint(&client, &url)
                .await
                .map_err(|e| Failure::Config(format!("Stripe: {e}")))?
            {
                tenantry_stripe::catalog::EndpointSync::Created { id, secret } => println!(
                    "webhook endpoint {id} created for {url}; its signing secret, shown this once:\nSTRIPE_WEBHOOK_SECRET={}",
                    secret.expose_secret()
                ),
                tenantry_stripe::catalog::EndpointSync::Kept { id } => println!("webhook endpoint {id} kept for {url}"),
                tenantry_stripe::catalog::EndpointSync::Updated { id, added } => {
                    println!("webhook endpoint {id} for {url} now also receives {}", added.join(", "))
                }
            }
        }
        None => println!(
            "set TENANTRY_PUBLIC_URL to have the webhook endpoint created too (https://<host>/v1/webhooks/stripe)"
        ),
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn migrate() -> Result<ExitCode, Failure> {
    let admin = crate::compose::admin_url()?
        .ok_or_else(|| Failure::Config("DATABASE_ADMIN_URL (the schema owner's URL) is not set".into()))?;
    tenantry_postgres::migrate(&admin).await.map_err(|e| Failure::Config(e.to_string()))?;
    // TOTP secrets written before they were sealed at rest are sealed now (with the key, when given).
    match secret_env("TENANTRY_DATA_KEY") {
        Some(_) => {
            let sealed = tenantry_postgres::seal_secrets(&admin, &data_key()?)
                .await
                .map_err(|e| Failure::Config(e.to_string()))?;
            if sealed > 0 {
                println!("sealed {sealed} TOTP secret(s) with TENANTRY_DATA_KEY");
            }
        }
        None => println!("TENANTRY_DATA_KEY is not set: TOTP secrets written before sealing stay as they are"),
    }
    println!("migrated; the service connects as tenantry_app through DATABASE_URL");
    Ok(ExitCode::SUCCESS)
}

/// The TOTP secret in `path` (base32; spaces and a trailing newline ignored).
pub(crate) fn totp_secret_from(path: &std::path::Path) -> Result<tenantry_domain::mfa::TotpSecret, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Config(format!("the TOTP secret file {}: {e}", path.display())))?;
    tenantry_domain::mfa::TotpSecret::from_base32(text.trim()).map_err(|e| {
        Failure::Config(format!("the TOTP secret file {}: {e} (32 base32 characters, A-Z and 2-7)", path.display()))
    })
}

/// A one-shot tenantry on PostgreSQL for the owner's commands, with the owner's operator store.
pub(crate) async fn operator_service() -> Result<(Tenantry, PgOperator), Failure> {
    let admin = crate::compose::admin_url()?.ok_or_else(|| {
        Failure::Config(
            "DATABASE_ADMIN_URL (the schema owner's URL) is not set: superusers are managed by the owner, the \
             service role may not"
                .into(),
        )
    })?;
    let operator =
        PgOperator::connect(&admin).await.map_err(|e| Failure::Config(e.to_string()))?.with_data_key(Some(data_key()?));
    let store = pg_store().await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::default());
    let config = TenantryConfig { superuser_mfa_required: true, ..TenantryConfig::default() };
    let deps = Deps {
        store: Arc::new(store.clone()),
        files: Arc::new(store.clone()),
        directory: Arc::new(store),
        payments: Arc::new(BillingSimulator::new(clock.clone(), config.catalog.clone())),
        clock,
        ids: Arc::new(UuidV7Generator::default()),
        tokens: Arc::new(OsTokenGenerator),
        hasher: Arc::new(Argon2idHasher::new()?),
        mailer: Arc::new(NoMailer),
    };
    Ok((Tenantry::new(deps, config), operator))
}

pub(crate) async fn reset_superuser_mfa(email: String) -> Result<ExitCode, Failure> {
    let (tenantry, operator) = operator_service().await?;
    let done = tenantry.reset_superuser_mfa(&operator, &email).await.map_err(|e| Failure::Config(e.to_string()));
    operator.close().await;
    if !done? {
        return Err(Failure::Config(format!("no superuser with the email {email}")));
    }
    println!("two-factor authentication removed; the superuser enrols again at the next login");
    Ok(ExitCode::SUCCESS)
}

/// A superuser's password: TENANTRY_SUPERUSER_PASSWORD, or the first line of
/// standard input — never an argument (arguments show in `ps` and shell history).
fn superuser_password() -> Result<String, Failure> {
    if let Some(password) = env("TENANTRY_SUPERUSER_PASSWORD") {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Failure::Config(format!("reading the password from standard input: {e}")))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(Failure::Config(
            "no password: set TENANTRY_SUPERUSER_PASSWORD or write it on standard input".into(),
        ));
    }
    Ok(password)
}

/// `tenantry set-superuser-password`: with the owner's rights, as creating one.
pub(crate) async fn set_superuser_password(email: String) -> Result<ExitCode, Failure> {
    let password = SecretString::from(superuser_password()?);
    let (tenantry, operator) = operator_service().await?;
    let done =
        tenantry.set_superuser_password(&operator, &email, &password).await.map_err(|e| Failure::Config(e.to_string()));
    operator.close().await;
    if !done? {
        return Err(Failure::Config(format!("no superuser with the email {email}")));
    }
    println!("password set; the superuser's sessions have ended");
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn create_superuser(
    email: String,
    name: String,
    totp_secret_file: Option<std::path::PathBuf>,
) -> Result<ExitCode, Failure> {
    let password = superuser_password()?;
    let totp_secret = totp_secret_file.as_deref().map(totp_secret_from).transpose()?;
    let enrolled = totp_secret.is_some();
    let (tenantry, operator) = operator_service().await?;
    let input = NewSuperuser { email, name, password: SecretString::from(password), totp_secret };
    let created = tenantry.create_superuser(&operator, input).await.map_err(|e| Failure::Config(e.to_string()));
    operator.close().await;
    created?;
    if enrolled {
        println!("superuser created, with two-factor authentication by the secret in the file");
    } else {
        println!("superuser created; they set up two-factor authentication at their first login");
    }
    Ok(ExitCode::SUCCESS)
}

/// `tenantry jobs run-due`: one round of scheduled work on PostgreSQL.
pub(crate) async fn jobs_run_due() -> Result<ExitCode, Failure> {
    if env("DATABASE_URL").is_none() {
        return Err(Failure::Config(
            "DATABASE_URL is not set (in memory there is nothing to run: the service's own scheduler runs it)".into(),
        ));
    }
    let (tenantry, _, _, _) = service().await?;
    let timers = tenantry.run_due_timers(10_000).await.map_err(|e| Failure::Other(e.into()))?;
    let jobs = &timers.jobs;
    let daily = tenantry.run_daily_work().await.map_err(|e| Failure::Other(e.into()))?;
    let summary = serde_json::json!({
        "timers": { "enqueued": timers.enqueued, "done": timers.timers_done(), "failures": timers.timer_failures() },
        "jobs": { "claimed": jobs.claimed, "done": jobs.done.len(), "failed": jobs.failed.len(), "gave_up": jobs.gave_up.len() },
        "daily": daily,
    });
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn check_isolation() -> Result<ExitCode, Failure> {
    let store = pg_store_with(None).await?;
    let report = tenantry_postgres::verify_isolation(&store).await.map_err(|e| Failure::Config(e.to_string()))?;
    println!("{}", serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?);
    Ok(if report.findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
