//! The composition root: which store, payment provider and mailer serve, put
//! together into the use cases and the router, and the service's lifetime.

use crate::commands::totp_secret_from;
use crate::config::*;
use crate::{Failure, env, secret_env};
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use tenantry_http::{AppState, router};
use tenantry_mail::Links;
use tenantry_memory::{BillingSimulator, MemoryStore};
use tenantry_ports::Mailer;
use tenantry_ports::defaults::{Argon2idHasher, OsTokenGenerator, SystemClock, UuidV7Generator};
use tenantry_ports::files::FileStore;
use tenantry_ports::payment::PaymentProvider;
use tenantry_ports::services::auth::NewSuperuser;
use tenantry_ports::store::OperatorStore;
use tenantry_ports::{Clock, Deps, TenantDirectory, Tenantry, TenantryConfig, UnitOfWork};
use tenantry_postgres::{PgOperator, PgOptions, PgStore};
use tenantry_server::embedded::spawn_scheduler;
use tenantry_stripe::StripeProvider;
use tenantry_stripe::webhook::StripeWebhooks;

pub(crate) async fn pg_store() -> Result<PgStore, Failure> {
    pg_store_with(Some(data_key()?)).await
}

/// The store on DATABASE_URL; without a data key it opens no sealed secret
/// (for `check-isolation`, which reads the schema only).
pub(crate) async fn pg_store_with(data_key: Option<tenantry_ports::crypto::DataKey>) -> Result<PgStore, Failure> {
    let url = secret_env("DATABASE_URL").ok_or_else(|| Failure::Config("DATABASE_URL is not set".into()))?;
    let options = PgOptions { data_key, transaction_pooler: transaction_pooler()?, ..PgOptions::default() };
    PgStore::connect(&url, options).await.map_err(|e| Failure::Config(e.to_string()))
}

/// `DATABASE_POOLER`: `transaction` when DATABASE_URL leads to a pooler in
/// transaction mode (PgBouncer's `pool_mode = transaction`), `none` (the
/// default) when it leads to the server.
pub(crate) fn transaction_pooler() -> Result<bool, Failure> {
    match env("DATABASE_POOLER").as_deref().map(str::trim) {
        None | Some("none") => Ok(false),
        Some("transaction") => Ok(true),
        Some(other) => Err(Failure::Config(format!(
            "DATABASE_POOLER={other:?} is not known: `transaction` (DATABASE_URL leads to PgBouncer with \
             pool_mode = transaction) or `none` (it leads to the server)"
        ))),
    }
}

/// DATABASE_ADMIN_URL, refused when it leads to the transaction pooler
/// DATABASE_URL leads to: migrations hold a session-level lock, which a
/// transaction pooler does not keep (the owner connects to the server directly).
pub(crate) fn admin_url() -> Result<Option<SecretString>, Failure> {
    let Some(admin) = secret_env("DATABASE_ADMIN_URL") else { return Ok(None) };
    if transaction_pooler()?
        && let Some(service) = secret_env("DATABASE_URL")
        && tenantry_postgres::same_server(&admin, &service)
    {
        return Err(Failure::Config(
            "DATABASE_ADMIN_URL leads to the same host and port as DATABASE_URL, which DATABASE_POOLER says is a \
             transaction pooler: the owner's connection (migrations hold a session-level lock) must go to PostgreSQL \
             directly — point DATABASE_ADMIN_URL at the server"
                .into(),
        ));
    }
    Ok(Some(admin))
}

/// The payment provider: Stripe when configured, else the local simulator.
pub(crate) struct Billing {
    payments: Arc<dyn PaymentProvider>,
    simulator: Option<BillingSimulator>,
    webhooks: Option<Arc<StripeWebhooks>>,
}

pub(crate) async fn billing(
    config: &TenantryConfig,
    clock: &Arc<dyn Clock>,
    on_postgres: bool,
) -> Result<Billing, Failure> {
    match billing_choice(on_postgres)? {
        BillingChoice::Stripe(stripe) => {
            let provider = StripeProvider::connect(stripe.clone(), config.catalog.clone(), clock.clone())
                .await
                .map_err(|e| Failure::Config(format!("Stripe: {e}")))?;
            let provider = Arc::new(provider);
            tracing::info!("billing on Stripe; webhooks at POST /v1/webhooks/stripe");
            Ok(Billing {
                payments: provider.clone(),
                simulator: None,
                webhooks: Some(Arc::new(StripeWebhooks::new(stripe.webhook_secret, provider))),
            })
        }
        BillingChoice::Simulator => {
            let simulator = BillingSimulator::new(clock.clone(), config.catalog.clone());
            if on_postgres {
                tracing::warn!(
                    "BILLING SIMULATOR on PostgreSQL (TENANTRY_BILLING=simulator): customers, cards and invoices live \
                     in this process and END WITH IT; for a demo or a test only, never production"
                );
            } else {
                tracing::info!(
                    "billing by the local simulator (set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET for Stripe)"
                );
            }
            Ok(Billing { payments: Arc::new(simulator.clone()), simulator: Some(simulator), webhooks: None })
        }
    }
}

/// tenantry as configured by the environment: its use cases, billing, clock,
/// and — where the service may create superusers — the operator's store (the
/// embedded default's memory; PostgreSQL's owner with DATABASE_ADMIN_URL).
/// TENANTRY_PAYMENT_METHOD_AT_SIGNUP (`required`, the default, or
/// `optional`): the trial policy until the superuser saves settings (then
/// theirs, at `PATCH /v1/admin/settings`, hold for every instance).
pub(crate) fn initial_settings() -> Result<tenantry_ports::domain::settings::PlatformSettings, Failure> {
    use tenantry_ports::domain::settings::{PaymentMethodAtSignup, PlatformSettings};
    let mut settings = PlatformSettings::default();
    if let Some(text) = env("TENANTRY_PAYMENT_METHOD_AT_SIGNUP") {
        settings.trial.payment_method_at_signup = match text.trim() {
            "required" => PaymentMethodAtSignup::Required,
            "optional" => PaymentMethodAtSignup::Optional,
            _ => {
                return Err(Failure::Config(format!(
                    "TENANTRY_PAYMENT_METHOD_AT_SIGNUP={text} is neither `required` (a payment method before the \
                     trial, the default) nor `optional` (cardless trials)"
                )));
            }
        };
    }
    Ok(settings)
}

/// Where files' bytes live: `TENANTRY_FILES=fs:<dir>` on the local file system
/// (through object_store), else the store's own (PostgreSQL's chunks, or memory).
fn file_store(own: Arc<dyn FileStore>) -> Result<Arc<dyn FileStore>, Failure> {
    match env("TENANTRY_FILES") {
        None => Ok(own),
        Some(setting) => match setting.strip_prefix("fs:") {
            Some(dir) if !dir.is_empty() => {
                let store = tenantry_objects::ObjectFileStore::local(dir)
                    .map_err(|e| Failure::Config(format!("TENANTRY_FILES: {e}")))?;
                tracing::info!(dir, "files on the local file system (TENANTRY_FILES)");
                Ok(Arc::new(store))
            }
            _ => Err(Failure::Config(format!(
                "TENANTRY_FILES: `{setting}` is not `fs:<directory>` (leave it unset to keep files in the database)"
            ))),
        },
    }
}

/// `TENANTRY_MAX_UPLOAD_BYTES`: the largest upload (default 100 MiB).
fn max_upload_bytes() -> Result<u64, Failure> {
    match env("TENANTRY_MAX_UPLOAD_BYTES") {
        None => Ok(tenantry_domain::file::DEFAULT_MAX_UPLOAD_BYTES),
        Some(v) => v.trim().parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            Failure::Config(format!("TENANTRY_MAX_UPLOAD_BYTES: `{v}` is not a positive number of bytes"))
        }),
    }
}

pub(crate) async fn service() -> Result<(Tenantry, Billing, Arc<dyn Clock>, Option<Arc<dyn OperatorStore>>), Failure> {
    let config = TenantryConfig {
        backup_key: backup_key(env("DATABASE_URL").is_none())?,
        // On PostgreSQL the platform operator always has a second factor (issue 18).
        superuser_mfa_required: env("DATABASE_URL").is_some(),
        // A request's answer never waits for the mail server (issue 20).
        mail_delivery: tenantry_ports::services::outbox::MailDelivery::Spawned,
        // Unsubscribe links are signed with a key of the JWT secret's (every
        // instance shares it); without one, a random key of this process's.
        link_key: secret_env("TENANTRY_JWT_SECRET")
            .map(|s| tenantry_ports::links::LinkKey::derived_from(secrecy::ExposeSecret::expose_secret(&s).as_bytes())),
        initial_settings: initial_settings()?,
        max_upload_bytes: max_upload_bytes()?,
        ..TenantryConfig::default()
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::default());
    type Stores = (
        Arc<dyn UnitOfWork>,
        Arc<dyn TenantDirectory>,
        Arc<dyn FileStore>,
        Arc<dyn Mailer>,
        Option<Arc<dyn OperatorStore>>,
    );
    let (store, directory, files, mailer, operator): Stores = if env("DATABASE_URL").is_some() {
        let mut operator: Option<Arc<dyn OperatorStore>> = None;
        if let Some(admin) = admin_url()? {
            tenantry_postgres::migrate(&admin).await.map_err(|e| Failure::Config(format!("migrate: {e}")))?;
            let sealed = tenantry_postgres::seal_secrets(&admin, &data_key()?)
                .await
                .map_err(|e| Failure::Config(format!("migrate: {e}")))?;
            tracing::info!(sealed, "migrations applied with DATABASE_ADMIN_URL");
            let owner = PgOperator::connect(&admin)
                .await
                .map_err(|e| Failure::Config(e.to_string()))?
                .with_data_key(Some(data_key()?));
            operator = Some(Arc::new(owner));
        }
        let store = pg_store().await?;
        tracing::info!("serving on PostgreSQL (DATABASE_URL)");
        (Arc::new(store.clone()), Arc::new(store.clone()), Arc::new(store), mailer(false)?, operator)
    } else {
        tracing::warn!(
            "EMBEDDED DEFAULT: everything is in memory and NOTHING IS PERSISTED; set DATABASE_URL for PostgreSQL"
        );
        let memory = MemoryStore::new();
        (
            Arc::new(memory.clone()),
            Arc::new(memory.clone()),
            Arc::new(memory.clone()),
            mailer(true)?,
            Some(Arc::new(memory)),
        )
    };
    // After the store: a refused DATABASE_URL is named first, with its fix.
    let billing = billing(&config, &clock, env("DATABASE_URL").is_some()).await?;
    let deps = Deps {
        store,
        directory,
        payments: billing.payments.clone(),
        clock: clock.clone(),
        ids: Arc::new(UuidV7Generator::default()),
        tokens: Arc::new(OsTokenGenerator),
        hasher: Arc::new(Argon2idHasher::new()?),
        mailer,
        files: file_store(files)?,
    };
    Ok((Tenantry::new(deps, config), billing, clock, operator))
}

pub(crate) async fn serve() -> Result<ExitCode, Failure> {
    let addr = addr()?;
    let keys = keys()?;
    let proxies = tenantry_http::client::TrustedProxies::parse(&env("TENANTRY_TRUSTED_PROXIES").unwrap_or_default())
        .map_err(|e| Failure::Config(format!("TENANTRY_TRUSTED_PROXIES: {e}")))?;
    let (metrics_token, metrics_listener) = metrics_config().await?;
    let schedule_every = seconds_env("TENANTRY_SCHEDULER_SECS", 60, 1..=3600)?;
    let flush_every = meter_flush_every()?;
    let limiter = shared_limiter()?;
    let metering = match env("TENANTRY_METERING").as_deref() {
        None | Some("on") => true,
        Some("off") => {
            tracing::warn!(
                "TENANTRY_METERING=off: API calls and page views are NOT counted and no monthly allowance is enforced (for measuring the metering's cost only)"
            );
            false
        }
        Some(other) => return Err(Failure::Config(format!("TENANTRY_METERING={other} is neither `on` nor `off`"))),
    };
    let (tenantry, billing, clock, operator) = service().await?;
    seed_superuser(&tenantry, operator.as_deref()).await?;
    let scheduler = spawn_scheduler(tenantry.clone(), billing.simulator.clone(), schedule_every);
    let mails = Arc::new(Links { public_url: mail_base_url(env("DATABASE_URL").is_none())? });
    let mut state =
        AppState::new(tenantry, keys, clock, mails).with_public_url(public_url()?).with_trusted_proxies(proxies);
    if let Some(simulator) = billing.simulator {
        state = state.with_simulator(simulator);
    }
    if let Some(webhooks) = billing.webhooks {
        state = state.with_stripe_webhooks(webhooks);
    }
    let mut state = state.with_metrics_token(metrics_token).with_metering(metering);
    if let Some(limiter) = limiter {
        state = state.with_rate_limiter(limiter);
    }
    let meter = state.meter.clone();
    let tenantry = state.tenantry.clone();
    let metering = tenantry_http::meter::spawn_meter(tenantry.clone(), meter.clone(), flush_every);
    let app = router(state);
    if let Some(listener) = metrics_listener {
        let metrics = axum::Router::new().route("/metrics", axum::routing::get(tenantry_http::metrics::render));
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, metrics).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::Config(format!("cannot listen on {addr}: {e}")))?;
    tracing::info!(%addr, "tenantry listening");
    // The peer's address reaches the handlers (per-address throttles, the sessions' networks).
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| Failure::Other(anyhow::anyhow!("server: {e}")))?;
    scheduler.abort();
    metering.abort();
    // What was counted since the last flush is written before the process ends.
    let flushed = meter.flush(&tenantry).await;
    tracing::info!(
        api_calls = flushed.api_calls,
        page_views = flushed.page_views,
        failed = flushed.failed,
        "metered usage flushed"
    );
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// The superuser from TENANTRY_SUPERUSER_EMAIL/_PASSWORD (and, optionally, a
/// TOTP secret from TENANTRY_SUPERUSER_TOTP_SECRET_FILE), or one with a random
/// address and a generated password printed once (only when none of that email
/// exists yet). On PostgreSQL only with DATABASE_ADMIN_URL (the owner creates
/// superusers) and both variables: a database never gets generated credentials;
/// without a TOTP secret that superuser enrols in 2FA at the first login.
pub(crate) async fn seed_superuser(tenantry: &Tenantry, operator: Option<&dyn OperatorStore>) -> Result<(), Failure> {
    use tenantry_ports::services::auth::CreateSuperuserError;
    let on_postgres = env("DATABASE_URL").is_some();
    let named = env("TENANTRY_SUPERUSER_EMAIL").is_some() && env("TENANTRY_SUPERUSER_PASSWORD").is_some();
    if on_postgres && (!named || operator.is_none()) {
        tracing::info!(
            "no superuser is created at start on PostgreSQL: run `tenantry create-superuser --email ...` with \
             DATABASE_ADMIN_URL, or set TENANTRY_SUPERUSER_EMAIL and TENANTRY_SUPERUSER_PASSWORD with DATABASE_ADMIN_URL"
        );
        return Ok(());
    }
    let Some(operator) = operator else { return Ok(()) };
    let random = |n: usize| -> Result<String, Failure> {
        let mut bytes = vec![0u8; n];
        getrandom::fill(&mut bytes).map_err(|e| Failure::Config(format!("no OS randomness: {e}")))?;
        Ok(hex::encode(bytes))
    };
    // The embedded default's operator is nobody anyone can guess: a random
    // address and password unless TENANTRY_SUPERUSER_EMAIL/_PASSWORD name them.
    let (email, password, generated) =
        match (env("TENANTRY_SUPERUSER_EMAIL"), secret_env("TENANTRY_SUPERUSER_PASSWORD")) {
            (Some(email), Some(password)) => (email, password, false),
            (None, None) => {
                (format!("operator-{}@tenantry.localhost", random(4)?), SecretString::from(random(18)?), true)
            }
            _ => {
                return Err(Failure::Config(
                    "set both TENANTRY_SUPERUSER_EMAIL and TENANTRY_SUPERUSER_PASSWORD, or neither".into(),
                ));
            }
        };
    let totp_secret = env("TENANTRY_SUPERUSER_TOTP_SECRET_FILE")
        .map(|path| totp_secret_from(std::path::Path::new(&path)))
        .transpose()?;
    let input = NewSuperuser { email: email.clone(), name: "Operator".into(), password: password.clone(), totp_secret };
    match tenantry.create_superuser(operator, input).await {
        Ok(_) if generated => println!(
            "superuser created (shown once): email {email} password {}\nlog in at /login (leave the workspace empty), or POST /v1/auth/login {{\"email\": ..., \"password\": ...}}",
            password.expose_secret()
        ),
        Ok(_) => tracing::info!(%email, "superuser created"),
        Err(CreateSuperuserError::EmailTaken) => tracing::info!(%email, "superuser exists"),
        Err(e) => return Err(Failure::Config(format!("superuser: {e}"))),
    }
    Ok(())
}

pub(crate) async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
