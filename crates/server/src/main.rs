//! `tenantry`: serves the v1 API (the default subcommand), migrates the
//! PostgreSQL schema, creates a superuser, and checks tenant isolation.

mod commands;
mod compose;
mod config;

use clap::{Parser, Subcommand};
use commands::*;
use compose::*;

use secrecy::SecretString;
use std::process::ExitCode;

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
    /// Set a superuser's password with the owner's DATABASE_ADMIN_URL (the
    /// service role cannot); a login lock is lifted and their sessions end.
    /// Audited. The password comes as for create-superuser.
    SetSuperuserPassword {
        /// Their email.
        #[arg(long)]
        email: String,
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
        Command::SetSuperuserPassword { email } => commands::set_superuser_password(email).await,
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
