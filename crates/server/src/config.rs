//! The service's configuration, read from the environment: each bad or
//! missing value is refused with a message that names the variable and the fix.

use crate::{Failure, env, secret_env};
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tenantry_http::auth::TokenKeys;
use tenantry_mail::ConsoleMailer;
use tenantry_mail::{Links, SmtpConfig, SmtpMailer};
use tenantry_ports::Mailer;
use tenantry_ports::backup::BackupKey;
use tenantry_stripe::StripeConfig;

/// Who may read `/metrics`: the bearer of TENANTRY_METRICS_TOKEN (16
/// characters or more) on the main listener, and anyone reaching
/// TENANTRY_METRICS_ADDR (a listener of its own, e.g. on an internal address).
/// With neither, the metrics are not served.
pub(crate) async fn metrics_config() -> Result<(Option<SecretString>, Option<tokio::net::TcpListener>), Failure> {
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
pub(crate) fn shared_limiter() -> Result<Option<Arc<dyn tenantry_ports::RateLimiter>>, Failure> {
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
pub(crate) fn meter_flush_every() -> Result<Duration, Failure> {
    seconds_env("TENANTRY_METER_FLUSH_SECS", tenantry_http::meter::FLUSH_EVERY.as_secs(), 1..=60)
}

/// A number of seconds from the environment, within `range`, or `default`.
pub(crate) fn seconds_env(name: &str, default: u64, range: std::ops::RangeInclusive<u64>) -> Result<Duration, Failure> {
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

pub(crate) fn addr() -> Result<SocketAddr, Failure> {
    let text = env("TENANTRY_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
    text.parse().map_err(|_| Failure::Config(format!("TENANTRY_ADDR={text} is not an address like 127.0.0.1:8080")))
}

pub(crate) fn keys() -> Result<TokenKeys, Failure> {
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
pub(crate) fn backup_key(embedded: bool) -> Result<Option<BackupKey>, Failure> {
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
pub(crate) fn mailer(in_memory: bool) -> Result<Arc<dyn Mailer>, Failure> {
    match env("TENANTRY_MAIL").as_deref() {
        None if in_memory => Ok(Arc::new(ConsoleMailer::new(mail_base_url(in_memory)?))),
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
            Ok(Arc::new(ConsoleMailer::new(mail_base_url(in_memory)?)))
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
pub(crate) fn public_url() -> Result<Option<String>, Failure> {
    let public_url = env("TENANTRY_PUBLIC_URL");
    if let Some(url) = &public_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(Failure::Config(format!("TENANTRY_PUBLIC_URL={url} is not an http(s) address")));
    }
    Ok(public_url)
}

/// Where mails' links lead: TENANTRY_PUBLIC_URL, or — on the embedded
/// default, which serves this machine — `http://localhost:{TENANTRY_ADDR's
/// port}` (8080), so that a reset or verification mail's link opens its page.
pub(crate) fn mail_base_url(in_memory: bool) -> Result<Option<String>, Failure> {
    match public_url()? {
        Some(url) => Ok(Some(url)),
        None if in_memory => Ok(Some(format!("http://localhost:{}", addr()?.port()))),
        None => Ok(None),
    }
}

/// TENANTRY_DATA_KEY (64 hex characters), which seals the TOTP secrets at
/// rest: required on PostgreSQL — without it, or with another one, no sealed
/// secret opens (keep it apart from the database and its backups).
pub(crate) fn data_key() -> Result<tenantry_ports::crypto::DataKey, Failure> {
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
pub(crate) fn stripe_config(need_webhook_secret: bool) -> Result<Option<StripeConfig>, Failure> {
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

/// Which payment provider serves: `TENANTRY_BILLING` (`stripe` or
/// `simulator`), or by default Stripe when its keys are set and the simulator
/// on the embedded default. With PostgreSQL and no Stripe the simulator serves
/// only when `TENANTRY_BILLING=simulator` says so: its state lives in this
/// process (a demo or a test backend, never a production one).
pub(crate) fn billing_choice(on_postgres: bool) -> Result<BillingChoice, Failure> {
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

pub(crate) enum BillingChoice {
    Stripe(StripeConfig),
    Simulator,
}
