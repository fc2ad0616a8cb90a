//! The `tenantry` binary's configuration: each bad or missing value is refused
//! with a clear message and a non-zero exit, before anything listens.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use std::process::Command;

fn tenantry(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tenantry"));
    cmd.args(args).env_remove("DATABASE_URL").env_remove("DATABASE_ADMIN_URL");
    for name in [
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_API_BASE",
        "STRIPE_AUTOMATIC_TAX",
        "TENANTRY_PUBLIC_URL",
        "TENANTRY_MAIL",
        "TENANTRY_SMTP_URL",
        "TENANTRY_MAIL_FROM",
        "TENANTRY_BILLING",
        "TENANTRY_DATA_KEY",
        "TENANTRY_JWT_SECRET",
        "TENANTRY_METRICS_TOKEN",
        "TENANTRY_METRICS_ADDR",
        "TENANTRY_TRUSTED_PROXIES",
        "TENANTRY_METER_FLUSH_SECS",
        "TENANTRY_SCHEDULER_SECS",
        "REDIS_URL",
        "TENANTRY_METERING",
    ] {
        cmd.env_remove(name);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn bad_configuration_is_refused_with_the_value_named() {
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case<'_>] = &[
        (&[], &[("TENANTRY_ADDR", "localhost")], "TENANTRY_ADDR=localhost is not an address"),
        (&[], &[("TENANTRY_JWT_SECRET", "short")], "TENANTRY_JWT_SECRET"),
        (&[], &[("TENANTRY_SUPERUSER_EMAIL", "ops@example.com")], "set both TENANTRY_SUPERUSER_EMAIL"),
        (&[], &[("TENANTRY_LOG_FORMAT", "xml")], "TENANTRY_LOG_FORMAT=xml"),
        (&[], &[("TENANTRY_METRICS_TOKEN", "short")], "TENANTRY_METRICS_TOKEN must be 16 characters"),
        (&[], &[("TENANTRY_METRICS_ADDR", "nowhere")], "TENANTRY_METRICS_ADDR=nowhere is not an address"),
        (
            &[],
            &[("TENANTRY_METER_FLUSH_SECS", "0")],
            "TENANTRY_METER_FLUSH_SECS=0 is not a number of seconds from 1 to 60",
        ),
        (&[], &[("TENANTRY_SCHEDULER_SECS", "soon")], "TENANTRY_SCHEDULER_SECS=soon is not a number of seconds"),
        (&[], &[("REDIS_URL", "http://127.0.0.1:6379")], "REDIS_URL"),
        (&[], &[("TENANTRY_METERING", "sometimes")], "TENANTRY_METERING=sometimes"),
        (&[], &[("TENANTRY_TRUSTED_PROXIES", "10.0.0.0/8, proxy")], "TENANTRY_TRUSTED_PROXIES"),
        (&["migrate"], &[], "DATABASE_ADMIN_URL"),
        (&["check-isolation"], &[], "DATABASE_URL is not set"),
        (&[], &[("STRIPE_SECRET_KEY", "sk_test_x")], "STRIPE_WEBHOOK_SECRET is not"),
        (&[], &[("STRIPE_WEBHOOK_SECRET", "whsec_x")], "STRIPE_SECRET_KEY is not"),
        (&[], &[("STRIPE_AUTOMATIC_TAX", "maybe")], "STRIPE_AUTOMATIC_TAX=maybe"),
        (&[], &[("TENANTRY_PUBLIC_URL", "app.example.com")], "TENANTRY_PUBLIC_URL=app.example.com"),
        (&["stripe", "sync-catalog"], &[], "STRIPE_SECRET_KEY is not set"),
        (&["jobs", "run-due"], &[], "DATABASE_URL is not set"),
        (&[], &[("TENANTRY_MAIL", "carrier-pigeon")], "TENANTRY_MAIL=carrier-pigeon"),
        (&[], &[("TENANTRY_BILLING", "barter")], "TENANTRY_BILLING=barter"),
        (&[], &[("TENANTRY_BILLING", "stripe")], "TENANTRY_BILLING=stripe needs STRIPE_SECRET_KEY"),
        (
            &[],
            &[
                ("TENANTRY_BILLING", "simulator"),
                ("STRIPE_SECRET_KEY", "sk_test_x"),
                ("STRIPE_WEBHOOK_SECRET", "whsec_x"),
            ],
            "choose one",
        ),
        (&[], &[("TENANTRY_MAIL", "smtp")], "needs TENANTRY_SMTP_URL"),
        (&[], &[("TENANTRY_MAIL", "smtp"), ("TENANTRY_SMTP_URL", "smtp://h:25")], "needs TENANTRY_MAIL_FROM"),
        (
            &[],
            &[("TENANTRY_MAIL", "smtp"), ("TENANTRY_SMTP_URL", "ftp://u:pw@h"), ("TENANTRY_MAIL_FROM", "a@b.example")],
            "TENANTRY_SMTP_URL is not a usable SMTP URL",
        ),
        (
            &[],
            &[("TENANTRY_MAIL", "smtp"), ("TENANTRY_SMTP_URL", "smtp://h:25"), ("TENANTRY_MAIL_FROM", "nobody")],
            "TENANTRY_MAIL_FROM is not a mailbox",
        ),
        // Stripe down (nothing listens there): a clear error, not a panic, before anything listens.
        (
            &[],
            &[
                ("STRIPE_SECRET_KEY", "sk_test_x"),
                ("STRIPE_WEBHOOK_SECRET", "whsec_x"),
                ("STRIPE_API_BASE", "http://127.0.0.1:9"),
            ],
            "Stripe: the payment provider is unavailable",
        ),
    ];
    for (args, env, expected) in cases {
        let (code, text) = tenantry(args, env);
        assert_eq!(code, 2, "{args:?} {env:?}: {text}");
        assert!(text.contains(expected), "{args:?} {env:?}: {text}");
    }
}

/// With PostgreSQL and no Stripe, the simulator serves only when asked for:
/// its customers, cards and invoices live in the process (a demo or a test,
/// never production), and its hosted pages would otherwise be mounted on a
/// deployment that believes it bills for real.
#[test]
fn postgres_without_a_payment_provider_is_refused_unless_the_simulator_is_asked_for() {
    let Some(admin) = tenantry_postgres::testing::admin_url("postgres_without_a_payment_provider_is_refused") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let db = rt.block_on(tenantry_postgres::testing::TestDatabase::create(&admin)).unwrap();
    let url = db.service_url();
    // Tokens must outlive the process and be the same for every instance: a signing secret is
    // required, and a passphrase is not one (it must decode to 32 bytes or more).
    let (code, text) = tenantry(&[], &[("DATABASE_URL", &url), ("TENANTRY_ADDR", "127.0.0.1:0")]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("TENANTRY_JWT_SECRET is required with DATABASE_URL"), "{text}");
    let passphrase = "correct horse battery staple, quite long";
    let (code, text) =
        tenantry(&[], &[("DATABASE_URL", &url), ("TENANTRY_ADDR", "127.0.0.1:0"), ("TENANTRY_JWT_SECRET", passphrase)]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("TENANTRY_JWT_SECRET: the token signing secret must be hex or base64"), "{text}");
    assert!(!text.contains(passphrase), "the value is not echoed");
    let jwt = ("TENANTRY_JWT_SECRET", "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=");
    // Without the data key the TOTP secrets could not be sealed: refused, naming it.
    let (code, text) = tenantry(&[], &[("DATABASE_URL", &url), ("TENANTRY_ADDR", "127.0.0.1:0"), jwt]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("TENANTRY_DATA_KEY is not set"), "{text}");
    let (code, text) =
        tenantry(&[], &[("DATABASE_URL", &url), ("TENANTRY_ADDR", "127.0.0.1:0"), jwt, ("TENANTRY_DATA_KEY", "ab")]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("TENANTRY_DATA_KEY: a data key is 64 hexadecimal"), "{text}");
    assert!(!text.contains("ab\n"), "the value is not echoed");
    let key = "5e".repeat(32);
    // Mail cannot be forgotten (issue 20): without it, refused with both fixes named.
    let (code, text) =
        tenantry(&[], &[("DATABASE_URL", &url), ("TENANTRY_ADDR", "127.0.0.1:0"), jwt, ("TENANTRY_DATA_KEY", &key)]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("no mail is") && text.contains("TENANTRY_MAIL=smtp"), "{text}");
    assert!(text.contains("TENANTRY_MAIL=console"), "{text}");
    let (code, text) = tenantry(
        &[],
        &[
            ("DATABASE_URL", &url),
            ("TENANTRY_ADDR", "127.0.0.1:0"),
            jwt,
            ("TENANTRY_DATA_KEY", &key),
            ("TENANTRY_MAIL", "console"),
        ],
    );
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("no payment provider") && text.contains("TENANTRY_BILLING=simulator"), "{text}");
    rt.block_on(db.drop_now()).unwrap();
}

#[test]
fn a_superuser_database_url_is_refused_with_the_commands_that_fix_it() {
    let Some(admin) = tenantry_postgres::testing::admin_url("a_superuser_database_url_is_refused") else { return };
    use secrecy::ExposeSecret;
    let key = "5e".repeat(32);
    let (code, text) = tenantry(
        &[],
        &[
            ("DATABASE_URL", admin.expose_secret()),
            ("TENANTRY_ADDR", "127.0.0.1:0"),
            ("TENANTRY_DATA_KEY", &key),
            ("TENANTRY_JWT_SECRET", &"ab".repeat(32)),
        ],
    );
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("tenantry migrate") && text.contains("tenantry_app"), "{text}");
}

/// `create-superuser` takes the password from TENANTRY_SUPERUSER_PASSWORD or
/// standard input, never from an argument (arguments show in `ps` and in
/// shell history); the one created from standard input logs in with it.
#[test]
fn the_superusers_password_comes_from_the_environment_or_standard_input_never_an_argument() {
    use std::io::Write;
    let Some(admin) = tenantry_postgres::testing::admin_url("the_superusers_password_comes_from") else { return };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let db = rt.block_on(tenantry_postgres::testing::TestDatabase::create(&admin)).unwrap();
    let owner_url = sqlx::ConnectOptions::to_url_lossy(&db.admin_options()).to_string();
    let key = "5e".repeat(32);
    let command = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tenantry"));
        cmd.env_remove("TENANTRY_SUPERUSER_PASSWORD")
            .env("DATABASE_URL", db.service_url())
            .env("DATABASE_ADMIN_URL", &owner_url)
            .env("TENANTRY_DATA_KEY", &key);
        cmd
    };
    let out = command()
        .args(["create-superuser", "--email", "ops@stdin.example.com", "--password", "an argument password"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--password"), "clap names the unknown argument");
    let mut child = command()
        .args(["create-superuser", "--email", "ops@stdin.example.com"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a password typed on stdin\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("a password typed on stdin"), "the password is not echoed");
    let found: Option<String> = rt.block_on(async {
        use sqlx::ConnectOptions;
        let mut conn = db.admin_options().connect().await.unwrap();
        sqlx::query_scalar("SELECT password_hash FROM tenantry.superusers WHERE email = 'ops@stdin.example.com'")
            .fetch_optional(&mut conn)
            .await
            .unwrap()
    });
    let hash = tenantry_domain::password::PasswordHash::from_encoded(found.expect("the superuser exists").into());
    let hasher = tenantry_ports::defaults::Argon2idHasher::new().unwrap();
    let ok = rt.block_on(tenantry_ports::PasswordHasher::verify(
        &hasher,
        &secrecy::SecretString::from("a password typed on stdin"),
        &hash,
    ));
    assert!(ok.unwrap(), "the password from standard input is the superuser's");
    rt.block_on(db.drop_now()).unwrap();
}
