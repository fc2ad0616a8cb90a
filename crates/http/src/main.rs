//! `tenantry`: serves the v1 API (the default subcommand), migrates the
//! PostgreSQL schema, creates a superuser, and checks tenant isolation.

use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tenantry_http::auth::TokenKeys;
use tenantry_http::embedded::{ConsoleMailer, NoMailer, spawn_scheduler};
use tenantry_http::{AppState, router};
use tenantry_mail::{Links, SmtpConfig, SmtpMailer};
use tenantry_memory::{BillingSimulator, MemoryStore};
use tenantry_ports::Mailer;
use tenantry_ports::backup::BackupKey;
use tenantry_ports::defaults::{Argon2idHasher, OsTokenGenerator, SystemClock, UuidV7Generator};
use tenantry_ports::payment::PaymentProvider;
use tenantry_ports::services::auth::NewSuperuser;
use tenantry_ports::store::OperatorStore;
use tenantry_ports::{Clock, Deps, TenantDirectory, Tenantry, TenantryConfig, UnitOfWork};
use tenantry_postgres::{PgOperator, PgOptions, PgStore};
use tenantry_stripe::webhook::StripeWebhooks;
use tenantry_stripe::{StripeConfig, StripeProvider};

#[derive(Parser)]
#[command(name = "tenantry", version, about = "The multi-tenant core of a SaaS product, as an HTTP service")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the v1 API (the default). In memory unless DATABASE_URL is set.
    Serve,
    /// Run the PostgreSQL migrations as the owner (DATABASE_ADMIN_URL); creates the service role.
    Migrate,
    /// Create a platform superuser in PostgreSQL: written with the owner's
    /// DATABASE_ADMIN_URL (the service role cannot create one), the platform
    /// settings read with DATABASE_URL. The password (12 characters or more)
    /// comes from TENANTRY_SUPERUSER_PASSWORD or the first line of standard
    /// input, never from an argument (arguments show in `ps` and shell history).
    CreateSuperuser {
        /// Their email.
        #[arg(long)]
        email: String,
        /// Their name.
        #[arg(long, default_value = "Operator")]
        name: String,
        /// A file holding a TOTP secret (base32, 32 characters) the operator
        /// keeps: the superuser starts with two-factor authentication enabled
        /// with it (for scripts that log in and compute codes). Without it the
        /// superuser enrols at the first login.
        #[arg(long)]
        totp_secret_file: Option<std::path::PathBuf>,
    },
    /// Remove a superuser's two-factor authentication (a lost device and lost
    /// recovery codes) with the owner's DATABASE_ADMIN_URL; their sessions end
    /// and they enrol again at the next login. Audited.
    ResetSuperuserMfa {
        /// Their email.
        #[arg(long)]
        email: String,
    },
    /// Print the isolation verifier's report for DATABASE_URL; exit 1 when anything is unprotected.
    CheckIsolation,
    /// Scheduled work on PostgreSQL (DATABASE_URL), for cron-style deployments.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Stripe administration (STRIPE_SECRET_KEY).
    Stripe {
        #[command(subcommand)]
        command: StripeCommand,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Run the due timers and the due jobs once, print what was done, and exit
    /// (several instances may run it at once: a job is never claimed twice).
    RunDue,
}

#[derive(Subcommand)]
enum StripeCommand {
    /// Create or update the product, the four prices (by lookup_key) and the
    /// Customer Portal configuration so that Stripe matches the plan catalog.
    SyncCatalog,
}

/// A configuration or start-up failure, printed as one clear message.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn secret_env(name: &str) -> Option<SecretString> {
    env(name).map(SecretString::from)
}

#[tokio::main]
async fn main() -> ExitCode {
    // TENANTRY_LOG_FORMAT: `text` (the default) or `json` (one object per line).
    match env("TENANTRY_LOG_FORMAT").as_deref() {
        None | Some("text") => tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).init(),
        Some("json") => tracing_subscriber::fmt().json().with_max_level(tracing::Level::INFO).init(),
        Some(other) => {
            eprintln!("tenantry: TENANTRY_LOG_FORMAT={other} is neither `text` nor `json`");
            return ExitCode::from(2);
        }
    }
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Migrate => migrate().await,
        Command::CreateSuperuser { email, name, totp_secret_file } => {
            create_superuser(email, name, totp_secret_file).await
        }
        Command::ResetSuperuserMfa { email } => reset_superuser_mfa(email).await,
        Command::CheckIsolation => check_isolation().await,
        Command::Jobs { command: JobsCommand::RunDue } => jobs_run_due().await,
        Command::Stripe { command: StripeCommand::SyncCatalog } => stripe_sync_catalog().await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tenantry: {e}");
            ExitCode::from(2)
        }
    }
}

/// Who may read `/metrics`: the bearer of TENANTRY_METRICS_TOKEN (16
/// characters or more) on the main listener, and anyone reaching
/// TENANTRY_METRICS_ADDR (a listener of its own, e.g. on an internal address).
/// With neither, the metrics are not served.
async fn metrics_config() -> Result<(Option<SecretString>, Option<tokio::net::TcpListener>), Failure> {
    let token = secret_env("TENANTRY_METRICS_TOKEN");
    if let Some(token) = &token
        && token.expose_secret().len() < 16
    {
        return Err(Failure::Config("TENANTRY_METRICS_TOKEN must be 16 characters or more".into()));
    }
    let listener = match env("TENANTRY_METRICS_ADDR") {
        None => None,
        Some(text) => {
            let addr: SocketAddr = text.parse().map_err(|_| {
                Failure::Config(format!("TENANTRY_METRICS_ADDR={text} is not an address like 127.0.0.1:9090"))
            })?;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| Failure::Config(format!("cannot listen on {addr} for the metrics: {e}")))?;
            tracing::info!(%addr, "metrics listening");
            Some(listener)
        }
    };
    Ok((token, listener))
}

/// REDIS_URL: the tenants' rate limits and the anonymous throttles counted in
/// Redis, shared by every instance (in this process without it).
fn shared_limiter() -> Result<Option<Arc<dyn tenantry_ports::RateLimiter>>, Failure> {
    let Some(url) = secret_env("REDIS_URL") else {
        tracing::info!("rate limits counted in this process (set REDIS_URL to share them between instances)");
        return Ok(None);
    };
    let mut options = tenantry_redis::RedisLimiterOptions::default();
    if let Some(prefix) = env("TENANTRY_REDIS_KEY_PREFIX") {
        // Several deployments (or test runs) on one Redis keep their buckets apart.
        options.key_prefix = prefix;
    }
    let limiter = tenantry_redis::SharedRateLimiter::connect(url.expose_secret(), &options)
        .map_err(|e| Failure::Config(format!("REDIS_URL: {e}")))?;
    tracing::info!(shared = limiter.is_shared(), "rate limits counted in Redis (REDIS_URL), shared by every instance");
    Ok(Some(Arc::new(limiter)))
}

/// TENANTRY_METER_FLUSH_SECS: how often the metered API calls and page views
/// are written (1 to 60 seconds, 5 by default).
fn meter_flush_every() -> Result<Duration, Failure> {
    seconds_env("TENANTRY_METER_FLUSH_SECS", tenantry_http::meter::FLUSH_EVERY.as_secs(), 1..=60)
}

/// A number of seconds from the environment, within `range`, or `default`.
fn seconds_env(name: &str, default: u64, range: std::ops::RangeInclusive<u64>) -> Result<Duration, Failure> {
    match env(name) {
        None => Ok(Duration::from_secs(default)),
        Some(text) => match text.trim().parse::<u64>() {
            Ok(secs) if range.contains(&secs) => Ok(Duration::from_secs(secs)),
            _ => Err(Failure::Config(format!(
                "{name}={text} is not a number of seconds from {} to {}",
                range.start(),
                range.end()
            ))),
        },
    }
}

fn addr() -> Result<SocketAddr, Failure> {
    let text = env("TENANTRY_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
    text.parse().map_err(|_| Failure::Config(format!("TENANTRY_ADDR={text} is not an address like 127.0.0.1:8080")))
}

fn keys() -> Result<TokenKeys, Failure> {
    match secret_env("TENANTRY_JWT_SECRET") {
        Some(secret) => TokenKeys::from_secret(&secret).map_err(|e| {
            Failure::Config(format!("TENANTRY_JWT_SECRET: {e}; generate one with `openssl rand -hex 32`"))
        }),
        // With a database, tokens must outlive the process and be the same for every instance.
        None if env("DATABASE_URL").is_some() => Err(Failure::Config(
            "TENANTRY_JWT_SECRET is required with DATABASE_URL (hex or base64 of 32 random bytes or more, e.g. \
             `openssl rand -hex 32`; the same for every instance)"
                .into(),
        )),
        None => {
            tracing::warn!(
                "TENANTRY_JWT_SECRET is not set: tokens are signed with a random key and end with the process"
            );
            TokenKeys::random().map_err(|e| Failure::Config(format!("no OS randomness for the token key: {e}")))
        }
    }
}

/// TENANTRY_BACKUP_KEY (64 hex characters) seals the superuser's per-tenant
/// backups. Without it, a PostgreSQL deployment refuses backups (an archive
/// sealed with a key that ends with the process could never be restored); the
/// embedded default, whose data ends with the process anyway, uses a random key.
fn backup_key(embedded: bool) -> Result<Option<BackupKey>, Failure> {
    match secret_env("TENANTRY_BACKUP_KEY") {
        Some(text) => BackupKey::from_hex(&text).map(Some).map_err(|e| {
            Failure::Config(format!("TENANTRY_BACKUP_KEY: {e}; generate one with `openssl rand -hex 32`"))
        }),
        None if embedded => {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes)
                .map_err(|e| Failure::Config(format!("no OS randomness for the backup key: {e}")))?;
            tracing::warn!(
                "TENANTRY_BACKUP_KEY is not set: backups are sealed with a random key and end with the process"
            );
            Ok(Some(BackupKey::from_bytes(bytes)))
        }
        None => {
            tracing::warn!("TENANTRY_BACKUP_KEY is not set: the superuser's backups are refused");
            Ok(None)
        }
    }
}

/// The mailer: `TENANTRY_MAIL=smtp` sends over SMTP (`TENANTRY_SMTP_URL`,
/// `TENANTRY_MAIL_FROM`); `console` prints mails to standard output
/// (development: they carry links' secrets). Unset, the embedded default
/// prints (`console`) and PostgreSQL refuses to start, naming both.
fn mailer(in_memory: bool) -> Result<Arc<dyn Mailer>, Failure> {
    match env("TENANTRY_MAIL").as_deref() {
        None if in_memory => Ok(Arc::new(ConsoleMailer::new(public_url()?))),
        // A deployment that forgot its mail would lose every invitation, reset link and notice.
        None => Err(Failure::Config(
            "DATABASE_URL is set but no mail is: set TENANTRY_MAIL=smtp with TENANTRY_SMTP_URL and \
             TENANTRY_MAIL_FROM, or TENANTRY_MAIL=console to write every mail to the log on purpose (a demo or a \
             test: mails carry one-time links)"
                .into(),
        )),
        Some("console") => {
            if !in_memory {
                tracing::warn!(
                    "TENANTRY_MAIL=console: mails are written to the log, not sent; they carry one-time links"
                );
            }
            Ok(Arc::new(ConsoleMailer::new(public_url()?)))
        }
        Some("smtp") => {
            let url = secret_env("TENANTRY_SMTP_URL")
                .ok_or_else(|| Failure::Config("TENANTRY_MAIL=smtp needs TENANTRY_SMTP_URL".into()))?;
            let from = env("TENANTRY_MAIL_FROM")
                .ok_or_else(|| Failure::Config("TENANTRY_MAIL=smtp needs TENANTRY_MAIL_FROM".into()))?;
            let config = SmtpConfig { url, from, links: Links { public_url: public_url()? } };
            let mailer = SmtpMailer::new(&config).map_err(|e| Failure::Config(e.to_string()))?;
            tracing::info!("mail by SMTP (TENANTRY_SMTP_URL)");
            Ok(Arc::new(mailer))
        }
        Some(other) => Err(Failure::Config(format!("TENANTRY_MAIL={other} is neither `smtp` nor `console`"))),
    }
}

/// TENANTRY_PUBLIC_URL: where the service is reached (links in mails, hosted pages' returns).
fn public_url() -> Result<Option<String>, Failure> {
    let public_url = env("TENANTRY_PUBLIC_URL");
    if let Some(url) = &public_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(Failure::Config(format!("TENANTRY_PUBLIC_URL={url} is not an http(s) address")));
    }
    Ok(public_url)
}

async fn pg_store() -> Result<PgStore, Failure> {
    pg_store_with(Some(data_key()?)).await
}

/// The store on DATABASE_URL; without a data key it opens no sealed secret
/// (for `check-isolation`, which reads the schema only).
async fn pg_store_with(data_key: Option<tenantry_ports::crypto::DataKey>) -> Result<PgStore, Failure> {
    let url = secret_env("DATABASE_URL").ok_or_else(|| Failure::Config("DATABASE_URL is not set".into()))?;
    let options = PgOptions { data_key, ..PgOptions::default() };
    PgStore::connect(&url, options).await.map_err(|e| Failure::Config(e.to_string()))
}

/// TENANTRY_DATA_KEY (64 hex characters), which seals the TOTP secrets at
/// rest: required on PostgreSQL — without it, or with another one, no sealed
/// secret opens (keep it apart from the database and its backups).
fn data_key() -> Result<tenantry_ports::crypto::DataKey, Failure> {
    let text = secret_env("TENANTRY_DATA_KEY").ok_or_else(|| {
        Failure::Config(
            "TENANTRY_DATA_KEY is not set: on PostgreSQL it seals the TOTP secrets at rest (64 hex characters, \
             e.g. `openssl rand -hex 32`; keep it apart from the database and its backups)"
                .into(),
        )
    })?;
    tenantry_ports::crypto::DataKey::from_hex(&text).map_err(|e| Failure::Config(format!("TENANTRY_DATA_KEY: {e}")))
}

/// Stripe from STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (both or neither),
/// with STRIPE_API_BASE (another API base, for a fake), STRIPE_AUTOMATIC_TAX
/// (`true`/`false`) and TENANTRY_PUBLIC_URL (where hosted pages return to).
fn stripe_config(need_webhook_secret: bool) -> Result<Option<StripeConfig>, Failure> {
    let automatic_tax = match env("STRIPE_AUTOMATIC_TAX").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(Failure::Config(format!("STRIPE_AUTOMATIC_TAX={other} is neither `true` nor `false`")));
        }
    };
    let public_url = public_url()?;
    match (secret_env("STRIPE_SECRET_KEY"), secret_env("STRIPE_WEBHOOK_SECRET")) {
        (None, None) => Ok(None),
        (Some(_), None) if need_webhook_secret => Err(Failure::Config(
            "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: add the endpoint /v1/webhooks/stripe in \
             Stripe's dashboard and set its signing secret (whsec_...)"
                .into(),
        )),
        (None, Some(_)) => Err(Failure::Config("STRIPE_WEBHOOK_SECRET is set but STRIPE_SECRET_KEY is not".into())),
        (Some(secret_key), webhook_secret) => Ok(Some(StripeConfig {
            secret_key,
            webhook_secret: webhook_secret.unwrap_or_else(|| SecretString::from(String::new())),
            api_base: env("STRIPE_API_BASE"),
            public_url,
            automatic_tax,
        })),
    }
}

/// The payment provider: Stripe when configured, else the local simulator.
struct Billing {
    payments: Arc<dyn PaymentProvider>,
    simulator: Option<BillingSimulator>,
    webhooks: Option<Arc<StripeWebhooks>>,
}

/// Which payment provider serves: `TENANTRY_BILLING` (`stripe` or
/// `simulator`), or by default Stripe when its keys are set and the simulator
/// on the embedded default. With PostgreSQL and no Stripe the simulator serves
/// only when `TENANTRY_BILLING=simulator` says so: its state lives in this
/// process (a demo or a test backend, never a production one).
fn billing_choice(on_postgres: bool) -> Result<BillingChoice, Failure> {
    let stripe = stripe_config(true)?;
    match (env("TENANTRY_BILLING").as_deref(), stripe) {
        (Some("stripe") | None, Some(stripe)) => Ok(BillingChoice::Stripe(stripe)),
        (Some("stripe"), None) => {
            Err(Failure::Config("TENANTRY_BILLING=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET".into()))
        }
        (Some("simulator"), Some(_)) => Err(Failure::Config(
            "TENANTRY_BILLING=simulator but STRIPE_SECRET_KEY is set: choose one (unset the Stripe keys for a demo)"
                .into(),
        )),
        (Some("simulator"), None) => Ok(BillingChoice::Simulator),
        (None, None) if !on_postgres => Ok(BillingChoice::Simulator),
        (None, None) => Err(Failure::Config(
            "DATABASE_URL is set but no payment provider is: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or \
             TENANTRY_BILLING=simulator for a demo or a test (the simulator's customers, cards and invoices live in \
             this process and end with it)"
                .into(),
        )),
        (Some(other), _) => {
            Err(Failure::Config(format!("TENANTRY_BILLING={other} is neither `stripe` nor `simulator`")))
        }
    }
}

enum BillingChoice {
    Stripe(StripeConfig),
    Simulator,
}

async fn billing(config: &TenantryConfig, clock: &Arc<dyn Clock>, on_postgres: bool) -> Result<Billing, Failure> {
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
async fn service() -> Result<(Tenantry, Billing, Arc<dyn Clock>, Option<Arc<dyn OperatorStore>>), Failure> {
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
        ..TenantryConfig::default()
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::default());
    type Stores = (Arc<dyn UnitOfWork>, Arc<dyn TenantDirectory>, Arc<dyn Mailer>, Option<Arc<dyn OperatorStore>>);
    let (store, directory, mailer, operator): Stores = if env("DATABASE_URL").is_some() {
        let mut operator: Option<Arc<dyn OperatorStore>> = None;
        if let Some(admin) = secret_env("DATABASE_ADMIN_URL") {
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
        (Arc::new(store.clone()), Arc::new(store), mailer(false)?, operator)
    } else {
        tracing::warn!(
            "EMBEDDED DEFAULT: everything is in memory and NOTHING IS PERSISTED; set DATABASE_URL for PostgreSQL"
        );
        let memory = MemoryStore::new();
        (Arc::new(memory.clone()), Arc::new(memory.clone()), mailer(true)?, Some(Arc::new(memory)))
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
    };
    Ok((Tenantry::new(deps, config), billing, clock, operator))
}

async fn serve() -> Result<ExitCode, Failure> {
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
    let mut state = AppState::new(tenantry, keys, clock).with_public_url(public_url()?).with_trusted_proxies(proxies);
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

/// `tenantry stripe sync-catalog`: the product, the four prices and the portal
/// configuration, created or updated to match the plan catalog.
async fn stripe_sync_catalog() -> Result<ExitCode, Failure> {
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
            }
        }
        None => println!(
            "set TENANTRY_PUBLIC_URL to have the webhook endpoint created too (https://<host>/v1/webhooks/stripe)"
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// The superuser from TENANTRY_SUPERUSER_EMAIL/_PASSWORD (and, optionally, a
/// TOTP secret from TENANTRY_SUPERUSER_TOTP_SECRET_FILE), or one with a random
/// address and a generated password printed once (only when none of that email
/// exists yet). On PostgreSQL only with DATABASE_ADMIN_URL (the owner creates
/// superusers) and both variables: a database never gets generated credentials;
/// without a TOTP secret that superuser enrols in 2FA at the first login.
async fn seed_superuser(tenantry: &Tenantry, operator: Option<&dyn OperatorStore>) -> Result<(), Failure> {
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

async fn shutdown() {
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

async fn migrate() -> Result<ExitCode, Failure> {
    let admin = secret_env("DATABASE_ADMIN_URL")
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
fn totp_secret_from(path: &std::path::Path) -> Result<tenantry_domain::mfa::TotpSecret, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Config(format!("the TOTP secret file {}: {e}", path.display())))?;
    tenantry_domain::mfa::TotpSecret::from_base32(text.trim()).map_err(|e| {
        Failure::Config(format!("the TOTP secret file {}: {e} (32 base32 characters, A-Z and 2-7)", path.display()))
    })
}

/// A one-shot tenantry on PostgreSQL for the owner's commands, with the owner's operator store.
async fn operator_service() -> Result<(Tenantry, PgOperator), Failure> {
    let admin = secret_env("DATABASE_ADMIN_URL").ok_or_else(|| {
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

async fn reset_superuser_mfa(email: String) -> Result<ExitCode, Failure> {
    let (tenantry, operator) = operator_service().await?;
    let done = tenantry.reset_superuser_mfa(&operator, &email).await.map_err(|e| Failure::Config(e.to_string()));
    operator.close().await;
    if !done? {
        return Err(Failure::Config(format!("no superuser with the email {email}")));
    }
    println!("two-factor authentication removed; the superuser enrols again at the next login");
    Ok(ExitCode::SUCCESS)
}

async fn create_superuser(
    email: String,
    name: String,
    totp_secret_file: Option<std::path::PathBuf>,
) -> Result<ExitCode, Failure> {
    let password = match env("TENANTRY_SUPERUSER_PASSWORD") {
        Some(password) => password,
        None => {
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
            password
        }
    };
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
async fn jobs_run_due() -> Result<ExitCode, Failure> {
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

async fn check_isolation() -> Result<ExitCode, Failure> {
    let store = pg_store_with(None).await?;
    let report = tenantry_postgres::verify_isolation(&store).await.map_err(|e| Failure::Config(e.to_string()))?;
    println!("{}", serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?);
    Ok(if report.findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
