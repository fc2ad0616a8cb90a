//! Every mail tenantry sends, rendered from one template per [`Message`]: a
//! subject, a plain-text body and an HTML body carrying the tenant's branding
//! (its name, primary colour and logo). Every value from the outside — names,
//! roles, addresses, URLs — is HTML-escaped in the HTML body; links are only
//! ever `https` (the provider's pages, the tenant's logo) or built from the
//! configured public URL.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use tenantry_domain::subscription::FreemiumReason;
use tenantry_ports::system::{Mail, MailRenderer, Message};

/// A rendered mail (the port's type).
pub use tenantry_ports::system::RenderedMail as Rendered;

/// Where links in mails point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Links {
    /// The service's public base URL (`https://app.example.com`), if known;
    /// without it, mails name the API paths instead of linking them.
    pub public_url: Option<String>,
}

impl Links {
    fn to(&self, path: &str) -> String {
        match &self.public_url {
            Some(base) => format!("{}{path}", base.trim_end_matches('/')),
            None => path.to_owned(),
        }
    }
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn day(at: &DateTime<Utc>) -> String {
    at.format("%-d %B %Y").to_string()
}

fn moment(at: &DateTime<Utc>) -> String {
    at.format("%-d %B %Y, %H:%M UTC").to_string()
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

/// The pre-invoice warning: the date, each line, the discount and VAT when
/// there are any, the total, and the billing page.
fn upcoming_invoice(
    tenant: &str,
    links: &Links,
    slug: &str,
    at: &DateTime<Utc>,
    lines: &[tenantry_domain::proration::ChargeLine],
    (subtotal, discount, tax, total): (
        &tenantry_domain::Money,
        &tenantry_domain::Money,
        &tenantry_domain::Money,
        &tenantry_domain::Money,
    ),
) -> (String, Vec<Line>) {
    use tenantry_domain::proration::LineItem;
    let mut body = vec![Line::Text(format!("On {}, {tenant} will be charged {total}:", day(at)))];
    for l in lines {
        let item = match l.item {
            LineItem::Base => "Standard plan (3 users included)".to_owned(),
            LineItem::ExtraSeats => format!("{} extra user(s)", l.quantity),
        };
        let every = match l.interval {
            tenantry_domain::Interval::Month => "monthly",
            tenantry_domain::Interval::Year => "yearly",
        };
        body.push(Line::Text(format!("{item}, {every}: {}", l.amount)));
    }
    if discount.cents() != 0 {
        body.push(Line::Text(format!("Subtotal: {subtotal}; discount: -{discount}")));
    }
    if tax.cents() != 0 {
        body.push(Line::Text(format!("VAT: {tax}")));
    }
    body.push(Line::Text(format!("Total: {total}")));
    body.push(Line::Link(
        "The subscription, its seats and invoices".into(),
        links.to(&format!("/app/{slug}/settings")),
    ));
    body.push(Line::Text(
        "Owners and admins get this warning before each invoice; switch it off under \"Your mail\".".into(),
    ));
    (format!("{tenant}: {total} will be charged on {}", day(at)), body)
}

fn confirm_email_change(
    tenant: &str,
    links: &Links,
    token: &SecretString,
    expires_at: &DateTime<Utc>,
) -> (String, Vec<Line>) {
    (
        format!("Confirm your new address for {tenant}"),
        vec![
            Line::Text(format!(
                "You asked to sign in to {tenant} with this address from now on. Confirm it with this link \
                 (once, until {}); until then nothing changes.",
                moment(expires_at)
            )),
            Line::Link(
                "Confirm the new address".into(),
                links.to(&format!("/email-change?token={}", token.expose_secret())),
            ),
            Line::Text("If it was not you, ignore this mail: the address stays as it was.".into()),
        ],
    )
}

fn email_change_requested(tenant: &str, new_email: &str) -> (String, Vec<Line>) {
    (
        format!("Your {tenant} address is about to change"),
        vec![
            Line::Text(format!(
                "Someone signed in to your {tenant} account asked to move it to {new_email}. It moves only \
                 when the link sent to that address is followed."
            )),
            Line::Text(
                "If it was not you, sign in and change your password (or sign out everywhere) now: that \
                 cancels the change, which cannot be made without the link."
                    .into(),
            ),
        ],
    )
}

fn workspace_reminder(tenant: &str, links: &Links, slug: &str) -> (String, Vec<Line>) {
    (
        format!("Your workspace: {tenant}"),
        vec![
            Line::Text(format!(
                "You asked where this address has an account. It has one in {tenant}, whose short name is \
                 \"{slug}\"."
            )),
            Line::Link(format!("Sign in to {tenant}"), links.to(&format!("/login?tenant={slug}"))),
            Line::Text(
                "Each workspace where this address has an account sends its own mail. If you did not ask, \
                 ignore this mail."
                    .into(),
            ),
        ],
    )
}

/// One line of a body: text, or text with a link.
enum Line {
    Text(String),
    Link(String, String),
}

/// The templates with links to the configured public URL (the `MailRenderer` port).
impl MailRenderer for Links {
    fn render(&self, mail: &Mail) -> Rendered {
        render(mail, self)
    }
}

/// Renders `mail` with links to `links`.
pub fn render(mail: &Mail, links: &Links) -> Rendered {
    let tenant = mail.tenant.as_ref().map_or("tenantry", |t| t.name.as_str());
    let mut unsubscribe = None;
    let (subject, lines) = match &mail.message {
        Message::Invitation { inviter, role, token, expires_at } => {
            invitation(tenant, links, inviter.as_deref(), role, token, expires_at)
        }
        Message::TrialReminder { trial_ends_at, converts } => (
            format!("Your {tenant} trial ends on {}", day(trial_ends_at)),
            vec![
                Line::Text(format!("The 14-day trial of {tenant} ends on {}.", moment(trial_ends_at))),
                Line::Text(if *converts {
                    "A payment method is on file: the paid plan starts then, for the users you have.".into()
                } else {
                    "No payment method is on file: the tenant continues on the free plan (3 users, with ads) \
                     unless an admin adds one before then."
                        .into()
                }),
            ],
        ),
        Message::UpcomingInvoice { slug, at, lines, subtotal, discount, tax, total } => {
            upcoming_invoice(tenant, links, slug, at, lines, (subtotal, discount, tax, total))
        }
        Message::TrialConverted { interval, seats } => (
            format!("{tenant} is on the paid plan"),
            vec![Line::Text(format!(
                "The trial of {tenant} became the paid plan: {seats} users, billed {}.",
                match interval {
                    tenantry_domain::Interval::Month => "monthly",
                    tenantry_domain::Interval::Year => "yearly",
                }
            ))],
        ),
        Message::InvoicePaid { number, total, issued_at, pdf_url } => {
            let mut lines = vec![Line::Text(format!(
                "Invoice {number} of {} for {tenant}: {total}, paid. Thank you.",
                day(issued_at)
            ))];
            if let Some(url) = https_or_here(links, pdf_url) {
                lines.push(Line::Link("The invoice (PDF)".into(), url));
            }
            (format!("{tenant}: invoice {number}, {total}, paid"), lines)
        }
        Message::PaymentFailed { amount_due, hosted_url } => {
            let mut lines = vec![
                Line::Text(format!("A payment of {amount_due} for {tenant} failed.")),
                Line::Text(
                    "Access continues while the payment is retried for 14 days; after that the tenant moves \
                     to the free plan."
                        .into(),
                ),
            ];
            if let Some(url) = https(hosted_url) {
                lines.push(Line::Link("Pay the invoice or update the payment method".into(), url));
            }
            (format!("A payment for {tenant} failed"), lines)
        }
        Message::PaymentActionRequired { hosted_url } => {
            let mut lines = vec![Line::Text(format!("Your bank asks you to confirm a payment for {tenant}."))];
            if let Some(url) = https(hosted_url) {
                lines.push(Line::Link("Confirm the payment".into(), url));
            }
            (format!("Confirm a payment for {tenant}"), lines)
        }
        Message::Downgraded { reason, deactivated, revoked_invitations } => {
            let why = match reason {
                FreemiumReason::TrialEnded => "the trial ended without a payment method",
                FreemiumReason::Canceled => "the paid plan was cancelled and its period ended",
                FreemiumReason::PaymentFailed => "the payment could not be collected within 14 days",
                FreemiumReason::Platform => "the platform's operator moved it",
            };
            let mut lines = vec![Line::Text(format!("{tenant} is now on the free plan: {why}."))];
            lines.extend(freed(deactivated, *revoked_invitations));
            (format!("{tenant} is now on the free plan"), lines)
        }
        Message::SeatsFreed { licensed, deactivated, revoked_invitations } => {
            let mut lines = vec![Line::Text(format!(
                "{tenant} has {licensed} paid users, fewer than it used: the newest were suspended."
            ))];
            lines.extend(freed(deactivated, *revoked_invitations));
            (format!("Users of {tenant} were suspended"), lines)
        }
        Message::AccountLocked { until } => (
            format!("Your {tenant} account is locked"),
            vec![Line::Text(format!(
                "After 5 failed sign-ins, your account is locked until {}. If it was not you, change your \
                     password once you can sign in again.",
                moment(until)
            ))],
        ),
        Message::PasswordReset { token, expires_at } => password_reset(tenant, links, token, expires_at),
        Message::VerifyEmail { token, expires_at } => (
            format!("Confirm your address for {tenant}"),
            vec![
                Line::Text(format!(
                    "Confirm that this address is yours, with this code (valid once until {}):",
                    moment(expires_at)
                )),
                Line::Text(token.expose_secret().to_owned()),
                Line::Link(
                    "Confirm it in your browser".into(),
                    links.to(&format!("/verify?token={}", token.expose_secret())),
                ),
            ],
        ),
        Message::ConfirmEmailChange { token, expires_at } => confirm_email_change(tenant, links, token, expires_at),
        Message::EmailChangeRequested { new_email } => email_change_requested(tenant, new_email),
        Message::WorkspaceReminder { slug } => workspace_reminder(tenant, links, slug),
        Message::DeletionRequested { purge_at } => (
            format!("{tenant} will be deleted on {}", day(purge_at)),
            vec![
                Line::Text(format!(
                    "The deletion of {tenant} was asked for. Its users can no longer sign in, its billing has \
                     stopped, and on {} all of its data is deleted for good.",
                    moment(purge_at)
                )),
                Line::Text(
                    "Until then the owner can cancel the deletion and everything comes back as it was. If nobody \
                     in your organisation asked for it, contact the owner or the platform's operator now."
                        .into(),
                ),
            ],
        ),
        Message::ProductUpdate { subject, body, unsubscribe: token } => {
            let url = links.to(&format!("/unsubscribe?token={}", token.expose_secret()));
            unsubscribe = Some(url.clone());
            let mut lines: Vec<Line> =
                body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(|p| Line::Text(p.to_owned())).collect();
            lines.push(Line::Text(
                "You receive product updates because you chose to. One click ends them, without signing in:".into(),
            ));
            lines.push(Line::Link("Unsubscribe from product updates".into(), url));
            (subject.clone(), lines)
        }
        Message::ExportReady { export_id, size_bytes, expires_at } => {
            export_ready(mail, tenant, links, *export_id, *size_bytes, expires_at)
        }
    };
    let text = lines
        .iter()
        .map(|l| match l {
            Line::Text(t) => t.clone(),
            Line::Link(label, url) => format!("{label}: {url}"),
        })
        .collect::<Vec<_>>()
        .join("\n\n");
    let html = html(mail, &subject, &lines);
    Rendered { text: format!("{text}\n\n-- \n{tenant}\n"), subject, html, unsubscribe }
}

/// The invitation's subject and lines.
fn invitation(
    tenant: &str,
    links: &Links,
    inviter: Option<&str>,
    role: &str,
    token: &SecretString,
    expires_at: &DateTime<Utc>,
) -> (String, Vec<Line>) {
    (
        format!("You are invited to {tenant}"),
        vec![
            Line::Text(format!(
                "{} invited you to join {tenant} as {role}.",
                inviter.unwrap_or("The platform's operator")
            )),
            Line::Text(format!("Your invitation code, valid until {}:", moment(expires_at))),
            Line::Text(token.expose_secret().to_owned()),
            Line::Link(
                "Accept it in your browser".into(),
                links.to(&format!("/invitations/accept?token={}", token.expose_secret())),
            ),
            Line::Text(format!(
                "Accept it by sending it with your name and a password to {} (POST, JSON: token, name, password).",
                links.to("/v1/invitations/accept")
            )),
            Line::Text("If you did not expect this, ignore this mail: nothing happens without you.".into()),
        ],
    )
}

/// The password reset's subject and lines.
fn password_reset(
    tenant: &str,
    links: &Links,
    token: &SecretString,
    expires_at: &DateTime<Utc>,
) -> (String, Vec<Line>) {
    (
        format!("Reset your {tenant} password"),
        vec![
            Line::Text(format!(
                "Someone asked to reset the password of your {tenant} account. Your reset code, valid once \
             until {}:",
                moment(expires_at)
            )),
            Line::Text(token.expose_secret().to_owned()),
            Line::Link("Set a new password".into(), links.to(&format!("/reset?token={}", token.expose_secret()))),
            Line::Text("If it was not you, ignore this mail: your password stays as it is.".into()),
        ],
    )
}

/// The export notice's subject and lines.
fn export_ready(
    mail: &Mail,
    tenant: &str,
    links: &Links,
    export_id: tenantry_domain::ExportId,
    size_bytes: u64,
    expires_at: &DateTime<Utc>,
) -> (String, Vec<Line>) {
    let tid = mail.tenant.as_ref().map(|t| t.id.to_string()).unwrap_or_default();
    (
        format!("Your data export of {tenant} is ready"),
        vec![
            Line::Text(format!(
                "The export of {tenant}'s data ({}) can be downloaded until {}.",
                size(size_bytes),
                moment(expires_at)
            )),
            Line::Text(format!(
                "Download it, signed in as an admin: GET {}",
                links.to(&format!("/v1/tenants/{tid}/exports/{export_id}/download"))
            )),
        ],
    )
}

/// A provider's page, only if it is `https` (anything else is left out).
fn https(url: &Option<String>) -> Option<String> {
    url.as_ref().filter(|u| u.starts_with("https://")).cloned()
}

/// An `https` link as it is, or a path on this service (the billing
/// simulator's invoice PDF) joined to the public URL; nothing else.
fn https_or_here(links: &Links, url: &Option<String>) -> Option<String> {
    match url.as_deref() {
        Some(u) if u.starts_with("https://") => Some(u.to_owned()),
        Some(u) if u.starts_with('/') && !u.starts_with("//") => Some(links.to(u)),
        _ => None,
    }
}

fn freed(deactivated: &[String], revoked: u32) -> Vec<Line> {
    let mut lines = Vec::new();
    if !deactivated.is_empty() {
        lines.push(Line::Text(format!(
            "Deactivated (an admin can reactivate them within the seats): {}.",
            deactivated.join(", ")
        )));
    }
    if revoked > 0 {
        lines.push(Line::Text(format!("Pending invitations revoked: {revoked}.")));
    }
    lines
}

fn html(mail: &Mail, subject: &str, lines: &[Line]) -> String {
    let tenant = mail.tenant.as_ref().map_or("tenantry", |t| t.name.as_str());
    let branding = mail.tenant.as_ref().map(|t| &t.branding);
    // A HexColor is `#` and hex digits only (checked at parse), safe in a style.
    let color = branding.and_then(|b| b.primary_color.as_ref()).map_or("#334155", |c| c.as_str());
    let logo = branding
        .and_then(|b| b.logo_url.as_ref())
        .map(|url| {
            format!(
                "<img src=\"{}\" alt=\"\" height=\"32\" style=\"vertical-align:middle;margin-right:8px\">",
                escape(&url.to_string())
            )
        })
        .unwrap_or_default();
    let body: String = lines
        .iter()
        .map(|l| match l {
            Line::Text(t) => format!("<p>{}</p>\n", escape(t)),
            Line::Link(label, url) => format!("<p><a href=\"{}\">{}</a></p>\n", escape(url), escape(label)),
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family:sans-serif;margin:0;color:#0f172a\">\n\
         <div style=\"background:{color};color:#ffffff;padding:12px 16px;font-weight:bold\">{logo}{name}</div>\n\
         <div style=\"padding:16px\">\n<h1 style=\"font-size:20px\">{title}</h1>\n{body}</div>\n</body></html>\n",
        title = escape(subject),
        name = escape(tenant),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;
    use secrecy::SecretString;
    use tenantry_domain::tenant::Branding;
    use tenantry_domain::text::{HexColor, HttpsUrl};
    use tenantry_domain::{Email, EntityId, TenantId};
    use tenantry_ports::system::MailTenant;

    fn mail(message: Message) -> Mail {
        Mail {
            to: Email::parse("ann@example.com").unwrap(),
            tenant: Some(MailTenant {
                id: TenantId::from_uuid(tenantry_domain::ids::uuid_v7_from_parts(1, [1; 10])).unwrap(),
                name: "Acme <Tools> & Co".into(),
                branding: Branding {
                    primary_color: Some(HexColor::parse("#ff6600").unwrap()),
                    logo_url: Some(HttpsUrl::parse("https://cdn.example.com/logo.png?a=1&b=\"2\"").unwrap()),
                },
            }),
            message,
        }
    }

    #[test]
    fn the_html_carries_the_branding_and_escapes_everything_from_outside() {
        let r = render(
            &mail(Message::AccountLocked { until: DateTime::from_timestamp(1_790_000_000, 0).unwrap() }),
            &Links::default(),
        );
        assert_eq!(r.subject, "Your Acme <Tools> & Co account is locked");
        assert!(r.html.contains("background:#ff6600"));
        assert!(r.html.contains("Acme &lt;Tools&gt; &amp; Co"), "{}", r.html);
        assert!(!r.html.contains("<Tools>"));
        assert!(r.html.contains("src=\"https://cdn.example.com/logo.png?a=1&amp;b=&quot;2&quot;\""), "{}", r.html);
        assert!(r.text.contains("locked until 21 September 2026, 14:13 UTC"), "{}", r.text);
    }

    #[test]
    fn every_message_has_a_subject_a_text_and_an_html_body() {
        let at = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let money = tenantry_domain::Money::eur(4950);
        let messages = vec![
            Message::Invitation {
                inviter: Some("Bob".into()),
                role: "member".into(),
                token: SecretString::from("tinv_secret"),
                expires_at: at,
            },
            Message::TrialReminder { trial_ends_at: at, converts: false },
            Message::TrialConverted { interval: tenantry_domain::Interval::Year, seats: 4 },
            Message::PaymentFailed { amount_due: money, hosted_url: Some("https://pay.example.com/i/1".into()) },
            Message::PaymentActionRequired { hosted_url: Some("javascript:alert(1)".into()) },
            Message::Downgraded {
                reason: FreemiumReason::PaymentFailed,
                deactivated: vec!["x@example.com".into()],
                revoked_invitations: 2,
            },
            Message::SeatsFreed { licensed: 3, deactivated: vec![], revoked_invitations: 1 },
            Message::AccountLocked { until: at },
            Message::PasswordReset { token: SecretString::from("trst_secret"), expires_at: at },
            Message::VerifyEmail { token: SecretString::from("tver_secret"), expires_at: at },
            Message::ConfirmEmailChange { token: SecretString::from("tchg_secret"), expires_at: at },
            Message::EmailChangeRequested { new_email: "ann.new@example.com".into() },
            Message::WorkspaceReminder { slug: "acme".into() },
            Message::ExportReady {
                export_id: tenantry_domain::ExportId::from_uuid(tenantry_domain::ids::uuid_v7_from_parts(2, [2; 10]))
                    .unwrap(),
                size_bytes: 5 * 1024,
                expires_at: at,
            },
            Message::DeletionRequested { purge_at: at },
            Message::InvoicePaid {
                number: "SIM-000003".into(),
                total: tenantry_domain::Money::eur(5490),
                issued_at: at,
                pdf_url: Some("/billing/simulator/invoices/in_1/pdf?key=k".into()),
            },
            Message::UpcomingInvoice {
                slug: "acme".into(),
                at,
                lines: tenantry_domain::proration::full_period_lines(
                    &tenantry_domain::PlanCatalog::default(),
                    tenantry_domain::Interval::Month,
                    5,
                    at,
                )
                .unwrap(),
                subtotal: tenantry_domain::Money::eur(5985),
                discount: tenantry_domain::Money::eur(1197),
                tax: tenantry_domain::Money::eur(958),
                total: tenantry_domain::Money::eur(5746),
            },
            Message::ProductUpdate {
                subject: "New <b>reports</b>".into(),
                body: "First & foremost.\n\nSecond paragraph.".into(),
                unsubscribe: SecretString::from("u1.abc.def"),
            },
        ];
        let links = Links { public_url: Some("https://app.example.com/".into()) };
        for m in messages {
            let template = m.template();
            let r = render(&mail(m), &links);
            assert!(!r.subject.is_empty() && !r.text.is_empty(), "{template}");
            assert!(r.html.starts_with("<!DOCTYPE html>") && r.html.contains("<h1"), "{template}");
            assert!(!r.html.contains("javascript:") && !r.text.contains("javascript:"), "{template}: https links only");
            match template {
                "invitation" => assert!(
                    r.text.contains("tinv_secret") && r.text.contains("https://app.example.com/v1/invitations/accept")
                ),
                "payment_failed" => {
                    assert!(r.html.contains("<a href=\"https://pay.example.com/i/1\">") && r.text.contains("49.50 EUR"))
                }
                // The links open the pages (issue 24), absolute on the public address.
                "password_reset" => {
                    assert!(r.text.contains("https://app.example.com/reset?token=trst_secret"), "{}", r.text);
                    assert!(r.html.contains("<a href=\"https://app.example.com/reset?token=trst_secret\">"));
                }
                "verify_email" => {
                    assert!(r.text.contains("https://app.example.com/verify?token=tver_secret"), "{}", r.text);
                }
                "confirm_email_change" => {
                    assert!(r.text.contains("https://app.example.com/email-change?token=tchg_secret"), "{}", r.text);
                }
                "email_change_requested" => {
                    assert!(r.text.contains("ann.new@example.com") && !r.text.contains("token"), "{}", r.text);
                }
                "workspace_reminder" => {
                    assert!(r.subject.contains("Acme <Tools> & Co"), "{}", r.subject);
                    assert!(r.text.contains("https://app.example.com/login?tenant=acme"), "{}", r.text);
                }
                "export_ready" => assert!(r.text.contains("5.0 KiB") && r.text.contains("/download")),
                "downgraded" => assert!(r.text.contains("x@example.com") && r.text.contains("revoked: 2")),
                "invoice_paid" => {
                    assert!(r.subject.contains("invoice SIM-000003, 54.90 EUR, paid"), "{}", r.subject);
                    assert!(
                        r.text.contains("https://app.example.com/billing/simulator/invoices/in_1/pdf?key=k"),
                        "{}",
                        r.text
                    );
                }
                "upcoming_invoice" => {
                    assert!(r.subject.contains("57.46 EUR will be charged on 21 September 2026"), "{}", r.subject);
                    for line in [
                        "Standard plan (3 users included), monthly: 49.95 EUR",
                        "2 extra user(s), monthly: 9.90 EUR",
                        "Subtotal: 59.85 EUR; discount: -11.97 EUR",
                        "VAT: 9.58 EUR",
                        "Total: 57.46 EUR",
                        "https://app.example.com/app/acme/settings",
                    ] {
                        assert!(r.text.contains(line), "{line}: {}", r.text);
                    }
                }
                "deletion_requested" => {
                    assert!(r.subject.contains("will be deleted on") && r.text.contains("cancel the deletion"))
                }
                "product_update" => {
                    assert_eq!(r.unsubscribe.as_deref(), Some("https://app.example.com/unsubscribe?token=u1.abc.def"));
                    assert!(r.text.contains("First & foremost.\n\nSecond paragraph."), "{}", r.text);
                    assert!(
                        r.html.contains("New &lt;b&gt;reports&lt;/b&gt;") && r.html.contains("First &amp; foremost.")
                    );
                }
                _ => assert!(r.unsubscribe.is_none(), "{template}: only product updates carry an unsubscribe link"),
            }
        }
    }
}
