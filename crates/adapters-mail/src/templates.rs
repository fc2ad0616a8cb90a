//! Every mail tenantry sends, rendered from one template per [`Message`]: a
//! subject, a plain-text body and an HTML body carrying the tenant's branding
//! (its name, primary colour and logo), in the recipient's language — their
//! own choice, else the tenant's default, else English (issue 25) — with
//! amounts and moments as that reader writes them, in their time zone. Every
//! text is a message of the catalogue (`mail-…`, crates/i18n). Every value from the outside — names,
//! roles, addresses, URLs — is HTML-escaped in the HTML body; links are only
//! ever `https` (the provider's pages, the tenant's logo) or built from the
//! configured public URL.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use tenantry_domain::subscription::FreemiumReason;
use tenantry_domain::{Interval, Money};
use tenantry_i18n::{Language, Locale, t};
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

/// The reader's text for `bytes`: whole bytes below a KiB, else KiB or MiB
/// with one decimal, written with the reader's decimal separator.
fn size(l: &Locale, bytes: u64) -> String {
    // Tenths of the unit, rounded half up (exact: integers only).
    let tenths = |unit: u64| (u128::from(bytes) * 10 + u128::from(unit) / 2) / u128::from(unit);
    let decimal = |tenths: u128| match l.language() {
        Language::Nl => format!("{},{}", tenths / 10, tenths % 10),
        Language::En => format!("{}.{}", tenths / 10, tenths % 10),
    };
    match bytes {
        b if b >= 1 << 20 => t!(l, "mail-size-mib", size = decimal(tenths(1 << 20))),
        b if b >= 1 << 10 => t!(l, "mail-size-kib", size = decimal(tenths(1 << 10))),
        b => t!(l, "mail-size-bytes", count = b),
    }
}

/// A built-in role's name in the reader's language; a custom role's name as
/// its tenant wrote it (a custom role never bears a built-in role's name).
fn role_name(l: &Locale, role: &str) -> String {
    match role {
        "owner" => t!(l, "mail-role-owner"),
        "admin" => t!(l, "mail-role-admin"),
        "manager" => t!(l, "mail-role-manager"),
        "member" => t!(l, "mail-role-member"),
        "viewer" => t!(l, "mail-role-viewer"),
        "deleted role" => t!(l, "mail-role-deleted"),
        custom => custom.to_owned(),
    }
}

/// The pre-invoice warning: the date, each line, the discount and VAT when
/// there are any, the total, and the billing page.
fn upcoming_invoice(
    l: &Locale,
    tenant: &str,
    links: &Links,
    slug: &str,
    at: &DateTime<Utc>,
    lines: &[tenantry_domain::proration::ChargeLine],
    (subtotal, discount, tax, total): (Money, Money, Money, Money),
) -> (String, Vec<Line>) {
    use tenantry_domain::proration::LineItem;
    let (date, total) = (l.date(*at), l.money(total));
    let mut body =
        vec![Line::Text(t!(l, "mail-upcoming-invoice-intro", date = &date, tenant = tenant, total = &total))];
    for line in lines {
        let item = match line.item {
            LineItem::Base => t!(l, "mail-upcoming-invoice-base"),
            LineItem::ExtraSeats => t!(l, "mail-upcoming-invoice-extra-seats", count = line.quantity),
        };
        let amount = l.money(line.amount);
        body.push(Line::Text(match line.interval {
            Interval::Month => t!(l, "mail-upcoming-invoice-line-monthly", item = item, amount = amount),
            Interval::Year => t!(l, "mail-upcoming-invoice-line-yearly", item = item, amount = amount),
        }));
    }
    if discount.cents() != 0 {
        // The discount is what is taken off: shown as the credit it is.
        let off = l.money(discount.checked_neg().unwrap_or(discount));
        body.push(Line::Text(t!(l, "mail-upcoming-invoice-subtotal", subtotal = l.money(subtotal), discount = off)));
    }
    if tax.cents() != 0 {
        body.push(Line::Text(t!(l, "mail-upcoming-invoice-vat", tax = l.money(tax))));
    }
    body.push(Line::Text(t!(l, "mail-upcoming-invoice-total", total = &total)));
    body.push(Line::Link(t!(l, "mail-upcoming-invoice-link"), links.to(&format!("/app/{slug}/settings"))));
    body.push(Line::Text(t!(l, "mail-upcoming-invoice-opt-out")));
    (t!(l, "mail-upcoming-invoice-subject", tenant = tenant, total = &total, date = &date), body)
}

fn confirm_email_change(
    l: &Locale,
    tenant: &str,
    links: &Links,
    token: &SecretString,
    expires_at: &DateTime<Utc>,
) -> (String, Vec<Line>) {
    (
        t!(l, "mail-confirm-email-change-subject", tenant = tenant),
        vec![
            Line::Text(t!(l, "mail-confirm-email-change-body", tenant = tenant, until = l.date_time(*expires_at))),
            Line::Link(
                t!(l, "mail-confirm-email-change-link"),
                links.to(&format!("/email-change?token={}", token.expose_secret())),
            ),
            Line::Text(t!(l, "mail-confirm-email-change-ignore")),
        ],
    )
}

fn email_change_requested(l: &Locale, tenant: &str, new_email: &str) -> (String, Vec<Line>) {
    (
        t!(l, "mail-email-change-requested-subject", tenant = tenant),
        vec![
            Line::Text(t!(l, "mail-email-change-requested-body", tenant = tenant, email = new_email)),
            Line::Text(t!(l, "mail-email-change-requested-advice")),
        ],
    )
}

fn workspace_reminder(l: &Locale, tenant: &str, links: &Links, slug: &str) -> (String, Vec<Line>) {
    (
        t!(l, "mail-workspace-reminder-subject", tenant = tenant),
        vec![
            Line::Text(t!(l, "mail-workspace-reminder-body", tenant = tenant, slug = slug)),
            Line::Link(
                t!(l, "mail-workspace-reminder-link", tenant = tenant),
                links.to(&format!("/login?tenant={slug}")),
            ),
            Line::Text(t!(l, "mail-workspace-reminder-footer")),
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

/// The reader of `mail`: the recipient's own language and time zone, else
/// the tenant's defaults, else English and UTC.
pub fn reader(mail: &Mail) -> Locale {
    let defaults = mail.tenant.as_ref().map(|t| t.defaults).unwrap_or_default();
    Locale::default().settled(&[&defaults, &mail.reader])
}

/// Renders `mail` with links to `links`, in its reader's language and time zone.
pub fn render(mail: &Mail, links: &Links) -> Rendered {
    let l = &reader(mail);
    let tenant = mail.tenant.as_ref().map_or("tenantry", |t| t.name.as_str());
    let mut unsubscribe = None;
    let (subject, lines) = match &mail.message {
        Message::Invitation { inviter, role, token, expires_at } => {
            invitation(l, tenant, links, inviter.as_deref(), role, token, expires_at)
        }
        Message::TrialReminder { trial_ends_at, converts } => (
            t!(l, "mail-trial-reminder-subject", tenant = tenant, date = l.date(*trial_ends_at)),
            vec![
                Line::Text(t!(l, "mail-trial-reminder-ends", tenant = tenant, moment = l.date_time(*trial_ends_at))),
                Line::Text(if *converts {
                    t!(l, "mail-trial-reminder-converts")
                } else {
                    t!(l, "mail-trial-reminder-free")
                }),
            ],
        ),
        Message::UpcomingInvoice { slug, at, lines, subtotal, discount, tax, total } => {
            upcoming_invoice(l, tenant, links, slug, at, lines, (*subtotal, *discount, *tax, *total))
        }
        Message::TrialConverted { interval, seats } => (
            t!(l, "mail-trial-converted-subject", tenant = tenant),
            vec![Line::Text(match interval {
                Interval::Month => t!(l, "mail-trial-converted-monthly", tenant = tenant, seats = *seats),
                Interval::Year => t!(l, "mail-trial-converted-yearly", tenant = tenant, seats = *seats),
            })],
        ),
        Message::InvoicePaid { number, total, issued_at, pdf_url } => {
            let total = l.money(*total);
            let mut lines = vec![Line::Text(t!(
                l,
                "mail-invoice-paid-body",
                number = number,
                date = l.date(*issued_at),
                tenant = tenant,
                total = &total
            ))];
            if let Some(url) = https_or_here(links, pdf_url) {
                lines.push(Line::Link(t!(l, "mail-invoice-paid-pdf"), url));
            }
            (t!(l, "mail-invoice-paid-subject", tenant = tenant, number = number, total = &total), lines)
        }
        Message::PaymentFailed { amount_due, hosted_url } => {
            let mut lines = vec![
                Line::Text(t!(l, "mail-payment-failed-body", amount = l.money(*amount_due), tenant = tenant)),
                Line::Text(t!(l, "mail-payment-failed-grace")),
            ];
            if let Some(url) = https(hosted_url) {
                lines.push(Line::Link(t!(l, "mail-payment-failed-link"), url));
            }
            (t!(l, "mail-payment-failed-subject", tenant = tenant), lines)
        }
        Message::PaymentActionRequired { hosted_url } => {
            let mut lines = vec![Line::Text(t!(l, "mail-payment-action-body", tenant = tenant))];
            if let Some(url) = https(hosted_url) {
                lines.push(Line::Link(t!(l, "mail-payment-action-link"), url));
            }
            (t!(l, "mail-payment-action-subject", tenant = tenant), lines)
        }
        Message::Downgraded { reason, deactivated, revoked_invitations } => {
            let why = match reason {
                FreemiumReason::TrialEnded => t!(l, "mail-downgraded-trial-ended", tenant = tenant),
                FreemiumReason::Canceled => t!(l, "mail-downgraded-canceled", tenant = tenant),
                FreemiumReason::PaymentFailed => t!(l, "mail-downgraded-payment-failed", tenant = tenant),
                FreemiumReason::Platform => t!(l, "mail-downgraded-platform", tenant = tenant),
            };
            let mut lines = vec![Line::Text(why)];
            lines.extend(freed(l, deactivated, *revoked_invitations));
            (t!(l, "mail-downgraded-subject", tenant = tenant), lines)
        }
        Message::SeatsFreed { licensed, deactivated, revoked_invitations } => {
            let mut lines = vec![Line::Text(t!(l, "mail-seats-freed-body", tenant = tenant, licensed = *licensed))];
            lines.extend(freed(l, deactivated, *revoked_invitations));
            (t!(l, "mail-seats-freed-subject", tenant = tenant), lines)
        }
        Message::AccountLocked { until } => (
            t!(l, "mail-account-locked-subject", tenant = tenant),
            vec![Line::Text(t!(l, "mail-account-locked-body", until = l.date_time(*until)))],
        ),
        Message::PasswordReset { token, expires_at } => password_reset(l, tenant, links, token, expires_at),
        Message::VerifyEmail { token, expires_at } => (
            t!(l, "mail-verify-email-subject", tenant = tenant),
            vec![
                Line::Text(t!(l, "mail-verify-email-body", until = l.date_time(*expires_at))),
                Line::Text(token.expose_secret().to_owned()),
                Line::Link(
                    t!(l, "mail-verify-email-link"),
                    links.to(&format!("/verify?token={}", token.expose_secret())),
                ),
            ],
        ),
        Message::ConfirmEmailChange { token, expires_at } => confirm_email_change(l, tenant, links, token, expires_at),
        Message::EmailChangeRequested { new_email } => email_change_requested(l, tenant, new_email),
        Message::WorkspaceReminder { slug } => workspace_reminder(l, tenant, links, slug),
        Message::DeletionRequested { purge_at } => (
            t!(l, "mail-deletion-requested-subject", tenant = tenant, date = l.date(*purge_at)),
            vec![
                Line::Text(t!(l, "mail-deletion-requested-body", tenant = tenant, moment = l.date_time(*purge_at))),
                Line::Text(t!(l, "mail-deletion-requested-cancel")),
            ],
        ),
        Message::ProductUpdate { subject, body, unsubscribe: token } => {
            // The superuser's own words, as they wrote them; only the unsubscribe lines are tenantry's.
            let url = links.to(&format!("/unsubscribe?token={}", token.expose_secret()));
            unsubscribe = Some(url.clone());
            let mut lines: Vec<Line> =
                body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(|p| Line::Text(p.to_owned())).collect();
            lines.push(Line::Text(t!(l, "mail-product-update-why")));
            lines.push(Line::Link(t!(l, "mail-product-update-unsubscribe"), url));
            (subject.clone(), lines)
        }
        Message::ExportReady { export_id, size_bytes, expires_at } => {
            export_ready(l, mail, tenant, links, *export_id, *size_bytes, expires_at)
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
    let html = html(l, mail, &subject, &lines);
    Rendered { text: format!("{text}\n\n-- \n{tenant}\n"), subject, html, unsubscribe }
}

/// The invitation's subject and lines.
fn invitation(
    l: &Locale,
    tenant: &str,
    links: &Links,
    inviter: Option<&str>,
    role: &str,
    token: &SecretString,
    expires_at: &DateTime<Utc>,
) -> (String, Vec<Line>) {
    let role = role_name(l, role);
    (
        t!(l, "mail-invitation-subject", tenant = tenant),
        vec![
            Line::Text(match inviter {
                Some(inviter) => t!(l, "mail-invitation-invited", inviter = inviter, tenant = tenant, role = role),
                None => t!(l, "mail-invitation-by-operator", tenant = tenant, role = role),
            }),
            Line::Text(t!(l, "mail-invitation-code", until = l.date_time(*expires_at))),
            Line::Text(token.expose_secret().to_owned()),
            Line::Link(
                t!(l, "mail-invitation-accept-link"),
                links.to(&format!("/invitations/accept?token={}", token.expose_secret())),
            ),
            Line::Text(t!(l, "mail-invitation-accept-api", url = links.to("/v1/invitations/accept"))),
            Line::Text(t!(l, "mail-invitation-ignore")),
        ],
    )
}

/// The password reset's subject and lines.
fn password_reset(
    l: &Locale,
    tenant: &str,
    links: &Links,
    token: &SecretString,
    expires_at: &DateTime<Utc>,
) -> (String, Vec<Line>) {
    (
        t!(l, "mail-password-reset-subject", tenant = tenant),
        vec![
            Line::Text(t!(l, "mail-password-reset-body", tenant = tenant, until = l.date_time(*expires_at))),
            Line::Text(token.expose_secret().to_owned()),
            Line::Link(t!(l, "mail-password-reset-link"), links.to(&format!("/reset?token={}", token.expose_secret()))),
            Line::Text(t!(l, "mail-password-reset-ignore")),
        ],
    )
}

/// The export notice's subject and lines.
fn export_ready(
    l: &Locale,
    mail: &Mail,
    tenant: &str,
    links: &Links,
    export_id: tenantry_domain::ExportId,
    size_bytes: u64,
    expires_at: &DateTime<Utc>,
) -> (String, Vec<Line>) {
    let tid = mail.tenant.as_ref().map(|t| t.id.to_string()).unwrap_or_default();
    (
        t!(l, "mail-export-ready-subject", tenant = tenant),
        vec![
            Line::Text(t!(
                l,
                "mail-export-ready-body",
                tenant = tenant,
                size = size(l, size_bytes),
                until = l.date_time(*expires_at)
            )),
            Line::Text(t!(
                l,
                "mail-export-ready-download",
                url = links.to(&format!("/v1/tenants/{tid}/exports/{export_id}/download"))
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

fn freed(l: &Locale, deactivated: &[String], revoked: u32) -> Vec<Line> {
    let mut lines = Vec::new();
    if !deactivated.is_empty() {
        lines.push(Line::Text(t!(
            l,
            "mail-freed-deactivated",
            count = deactivated.len(),
            people = deactivated.join(", ")
        )));
    }
    if revoked > 0 {
        lines.push(Line::Text(t!(l, "mail-freed-revoked", count = revoked)));
    }
    lines
}

fn html(l: &Locale, mail: &Mail, subject: &str, lines: &[Line]) -> String {
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
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family:sans-serif;margin:0;color:#0f172a\">\n\
         <div style=\"background:{color};color:#ffffff;padding:12px 16px;font-weight:bold\">{logo}{name}</div>\n\
         <div style=\"padding:16px\">\n<h1 style=\"font-size:20px\">{title}</h1>\n{body}</div>\n</body></html>\n",
        lang = l.tag(),
        title = escape(subject),
        name = escape(tenant),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;
    use secrecy::SecretString;
    use tenantry_domain::preferences::{Preferences, TimeZone};
    use tenantry_domain::tenant::Branding;
    use tenantry_domain::text::{HexColor, HttpsUrl};
    use tenantry_domain::{Email, EntityId, TenantId};
    use tenantry_ports::system::MailTenant;

    fn mail(message: Message) -> Mail {
        Mail::new(
            Email::parse("ann@example.com").unwrap(),
            Some(MailTenant {
                id: TenantId::from_uuid(tenantry_domain::ids::uuid_v7_from_parts(1, [1; 10])).unwrap(),
                name: "Acme <Tools> & Co".into(),
                branding: Branding {
                    primary_color: Some(HexColor::parse("#ff6600").unwrap()),
                    logo_url: Some(HttpsUrl::parse("https://cdn.example.com/logo.png?a=1&b=\"2\"").unwrap()),
                    logo_file: None,
                },
                defaults: Preferences::default(),
            }),
            message,
        )
    }

    /// `mail(message)` in a tenant whose default is `language` (and `zone`, if any).
    fn in_tenant(message: Message, language: Language, zone: Option<&str>) -> Mail {
        let mut m = mail(message);
        if let Some(t) = m.tenant.as_mut() {
            t.defaults = Preferences { language: Some(language), time_zone: zone.map(|z| TimeZone::parse(z).unwrap()) };
        }
        m
    }

    fn at() -> DateTime<Utc> {
        // 2026-09-21 14:13:20 UTC.
        DateTime::from_timestamp(1_790_000_000, 0).unwrap()
    }

    /// One of every message.
    fn every_message() -> Vec<Message> {
        let at = at();
        let money = tenantry_domain::Money::eur(4950);
        vec![
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
        ]
    }

    /// A word of `text` that is a message id (`mail-…`) the catalogue did not turn into text.
    fn raw_id(text: &str) -> Option<&str> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .find(|w| w.starts_with("mail-") || w.starts_with("common-"))
    }

    #[test]
    fn the_html_carries_the_branding_and_escapes_everything_from_outside() {
        let r = render(&mail(Message::AccountLocked { until: at() }), &Links::default());
        assert_eq!(r.subject, "Your Acme <Tools> & Co account is locked");
        assert!(r.html.contains("background:#ff6600"));
        assert!(r.html.contains("Acme &lt;Tools&gt; &amp; Co"), "{}", r.html);
        assert!(!r.html.contains("<Tools>"));
        assert!(r.html.contains("src=\"https://cdn.example.com/logo.png?a=1&amp;b=&quot;2&quot;\""), "{}", r.html);
        // An English reader without a zone of their own reads UTC, as the catalogue writes a moment.
        assert!(r.text.contains("locked until 21 September 2026, 14:13."), "{}", r.text);
        assert!(r.html.contains("<html lang=\"en\">"));
    }

    #[test]
    fn every_message_has_a_subject_a_text_and_an_html_body() {
        let links = Links { public_url: Some("https://app.example.com/".into()) };
        for m in every_message() {
            let template = m.template();
            let r = render(&mail(m), &links);
            assert!(!r.subject.is_empty() && !r.text.is_empty(), "{template}");
            assert!(r.html.starts_with("<!DOCTYPE html>") && r.html.contains("<h1"), "{template}");
            assert!(!r.html.contains("javascript:") && !r.text.contains("javascript:"), "{template}: https links only");
            match template {
                "invitation" => assert!(
                    r.text.contains("tinv_secret")
                        && r.text.contains("https://app.example.com/v1/invitations/accept")
                        && r.text.contains("Bob invited you to join Acme <Tools> & Co as member."),
                    "{}",
                    r.text
                ),
                "payment_failed" => {
                    assert!(r.html.contains("<a href=\"https://pay.example.com/i/1\">") && r.text.contains("€49.50"))
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
                "export_ready" => assert!(r.text.contains("5.0 KiB") && r.text.contains("/download"), "{}", r.text),
                "downgraded" => assert!(r.text.contains("x@example.com") && r.text.contains("revoked: 2")),
                "seats_freed" => {
                    assert!(r.text.contains("3 paid users") && r.text.contains("revoked: 1"), "{}", r.text)
                }
                "trial_converted" => assert!(r.text.contains("4 users, billed yearly."), "{}", r.text),
                "invoice_paid" => {
                    assert!(r.subject.contains("invoice SIM-000003, €54.90, paid"), "{}", r.subject);
                    assert!(
                        r.text.contains("https://app.example.com/billing/simulator/invoices/in_1/pdf?key=k"),
                        "{}",
                        r.text
                    );
                }
                "upcoming_invoice" => {
                    assert!(r.subject.contains("€57.46 will be charged on 21 September 2026"), "{}", r.subject);
                    for line in [
                        "Standard plan (3 users included), monthly: €49.95",
                        "2 extra users, monthly: €9.90",
                        "Subtotal: €59.85; discount: -€11.97",
                        "VAT: €9.58",
                        "Total: €57.46",
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
                    assert!(r.text.contains("Unsubscribe from product updates: https://app.example.com/unsubscribe"));
                }
                _ => {}
            }
            if template != "product_update" {
                assert!(r.unsubscribe.is_none(), "{template}: only product updates carry an unsubscribe link");
            }
        }
    }

    #[test]
    fn every_message_is_written_in_dutch_when_the_tenant_reads_dutch_with_its_branding_and_no_raw_id() {
        let links = Links { public_url: Some("https://app.example.com".into()) };
        for m in every_message() {
            let template = m.template();
            let en = render(&in_tenant(m.clone(), Language::En, None), &links);
            let nl = render(&in_tenant(m, Language::Nl, None), &links);
            assert!(en.html.contains("<html lang=\"en\">"), "{template}");
            assert!(nl.html.contains("<html lang=\"nl\">"), "{template}");
            if template == "product_update" {
                // The superuser's own subject and words; tenantry's lines around them are Dutch.
                assert_eq!(nl.subject, en.subject);
                assert!(nl.text.contains("First & foremost."), "{}", nl.text);
                assert!(nl.text.contains("Afmelden voor productnieuws: https://app.example.com/unsubscribe"));
            } else {
                assert_ne!(nl.subject, en.subject, "{template}: the subject is Dutch");
            }
            assert_ne!(nl.text, en.text, "{template}: the text is Dutch");
            for r in [&en, &nl] {
                for part in [&r.subject, &r.text, &r.html] {
                    assert_eq!(raw_id(part), None, "{template}: a message id was left: {part}");
                }
                // The branding, whatever the language: the name and the logo's absolute address.
                assert!(r.html.contains("Acme &lt;Tools&gt; &amp; Co"), "{template}");
                assert!(r.html.contains("src=\"https://cdn.example.com/logo.png?a=1&amp;b=&quot;2&quot;\""));
                assert!(r.html.contains("background:#ff6600"));
                assert!(r.text.ends_with("-- \nAcme <Tools> & Co\n"), "{template}");
            }
            match template {
                "invitation" => {
                    assert!(
                        nl.text.contains("Bob nodigt je uit voor Acme <Tools> & Co, met de rol lid."),
                        "{}",
                        nl.text
                    )
                }
                "payment_failed" => assert!(nl.text.contains("€ 49,50"), "{}", nl.text),
                "export_ready" => assert!(nl.text.contains("(5,0 KiB)"), "{}", nl.text),
                "account_locked" => {
                    assert!(nl.text.contains("geblokkeerd tot 21 september 2026 om 14:13."), "{}", nl.text)
                }
                "trial_converted" => assert!(nl.text.contains("4 gebruikers, jaarlijks gefactureerd."), "{}", nl.text),
                "upcoming_invoice" => {
                    assert!(
                        nl.subject.contains("€ 57,46 wordt op 21 september 2026 in rekening gebracht"),
                        "{}",
                        nl.subject
                    );
                    for line in [
                        "Standaardpakket (3 gebruikers inbegrepen), maandelijks: € 49,95",
                        "2 extra gebruikers, maandelijks: € 9,90",
                        "Subtotaal: € 59,85; korting: € -11,97",
                        "Btw: € 9,58",
                        "Totaal: € 57,46",
                    ] {
                        assert!(nl.text.contains(line), "{line}: {}", nl.text);
                    }
                }
                _ => {}
            }
        }
    }

    #[test]
    fn the_readers_own_language_and_zone_beat_the_tenants() {
        let links = Links::default();
        let locked = Message::AccountLocked { until: at() };
        let dutch_tenant = in_tenant(locked.clone(), Language::Nl, Some("Europe/Amsterdam"));
        let nl = render(&dutch_tenant, &links);
        assert_eq!(nl.subject, "Je account bij Acme <Tools> & Co is geblokkeerd");
        assert!(nl.text.contains("21 september 2026 om 16:13"), "the tenant's zone: {}", nl.text);

        let english_reader =
            dutch_tenant.clone().read_by(Preferences { language: Some(Language::En), time_zone: None });
        let en = render(&english_reader, &links);
        assert_eq!(en.subject, "Your Acme <Tools> & Co account is locked");
        assert!(en.html.contains("<html lang=\"en\">"));
        assert!(en.text.contains("21 September 2026, 16:13"), "the tenant's zone still: {}", en.text);

        let in_new_york = english_reader.read_by(Preferences {
            language: Some(Language::En),
            time_zone: Some(TimeZone::parse("America/New_York").unwrap()),
        });
        assert!(render(&in_new_york, &links).text.contains("21 September 2026, 10:13"), "the reader's own zone");

        let dutch_reader = in_tenant(locked, Language::En, None)
            .read_by(Preferences { language: Some(Language::Nl), time_zone: None });
        let nl = render(&dutch_reader, &links);
        assert!(nl.html.contains("<html lang=\"nl\">") && nl.subject.starts_with("Je account"), "{}", nl.subject);
        assert!(nl.text.contains("21 september 2026 om 14:13"), "UTC, as nobody chose a zone: {}", nl.text);

        // Without a tenant (a product update): the reader alone decides.
        let update = Mail::new(
            Email::parse("ann@example.com").unwrap(),
            None,
            Message::ProductUpdate {
                subject: "Nieuw".into(),
                body: "Tekst.".into(),
                unsubscribe: SecretString::from("u1"),
            },
        )
        .read_by(Preferences { language: Some(Language::Nl), time_zone: None });
        let r = render(&update, &links);
        assert!(r.html.contains("<html lang=\"nl\">") && r.text.contains("Afmelden voor productnieuws"), "{}", r.text);
    }

    #[test]
    fn a_moment_is_shown_in_the_readers_zone_across_a_daylight_saving_change() {
        // Amsterdam moves from CET (+1) to CEST (+2) at 01:00 UTC on 29 March 2026.
        let before = DateTime::parse_from_rfc3339("2026-03-29T00:30:00Z").unwrap().with_timezone(&Utc);
        let after = DateTime::parse_from_rfc3339("2026-03-29T01:30:00Z").unwrap().with_timezone(&Utc);
        let links = Links::default();
        for (until, nl, en) in [
            (before, "geblokkeerd tot 29 maart 2026 om 01:30.", "locked until 29 March 2026, 01:30."),
            (after, "geblokkeerd tot 29 maart 2026 om 03:30.", "locked until 29 March 2026, 03:30."),
        ] {
            let m = in_tenant(Message::AccountLocked { until }, Language::Nl, Some("Europe/Amsterdam"));
            let text = render(&m, &links).text;
            assert!(text.contains(nl), "{text}");
            let m = m.read_by(Preferences { language: Some(Language::En), time_zone: None });
            let text = render(&m, &links).text;
            assert!(text.contains(en), "{text}");
        }
        // A day, too, is the reader's: 23:30 UTC on 31 October is 1 November in Amsterdam (CET, +1).
        let late = DateTime::parse_from_rfc3339("2026-10-31T23:30:00Z").unwrap().with_timezone(&Utc);
        let m = in_tenant(Message::DeletionRequested { purge_at: late }, Language::Nl, Some("Europe/Amsterdam"));
        let r = render(&m, &links);
        assert_eq!(r.subject, "Acme <Tools> & Co wordt op 1 november 2026 verwijderd");
        assert!(r.text.contains("op 1 november 2026 om 00:30 worden alle gegevens"), "{}", r.text);
    }

    #[test]
    fn money_sizes_and_counts_are_written_as_the_reader_writes_them() {
        let links = Links::default();
        let failed = Message::PaymentFailed { amount_due: tenantry_domain::Money::eur(4995), hosted_url: None };
        let nl = render(&in_tenant(failed.clone(), Language::Nl, None), &links);
        assert!(nl.text.contains("Een betaling van € 49,95 voor Acme <Tools> & Co is mislukt."), "{}", nl.text);
        assert!(render(&mail(failed), &links).text.contains("A payment of €49.95 for"));

        let l = Locale::new(Language::Nl, TimeZone::utc());
        assert_eq!(size(&l, 1), "1 byte");
        assert_eq!(size(&l, 1000), "1000 bytes");
        assert_eq!(size(&l, 1536), "1,5 KiB");
        assert_eq!(size(&l, 3 * (1 << 20) + (1 << 19)), "3,5 MiB");
        let l = Locale::default();
        assert_eq!(size(&l, 0), "0 bytes");
        assert_eq!(size(&l, 1536), "1.5 KiB");
        assert_eq!(size(&l, (1 << 20) - 1), "1024.0 KiB");

        let freed = |licensed, deactivated: Vec<String>, revoked| Message::SeatsFreed {
            licensed,
            deactivated,
            revoked_invitations: revoked,
        };
        let one = render(&in_tenant(freed(1, vec!["x@example.com".into()], 1), Language::Nl, None), &links).text;
        assert!(one.contains("heeft 1 betaalde gebruiker,"), "{one}");
        assert!(one.contains("deze gebruiker weer activeren") && one.contains("uitnodiging ingetrokken: 1."), "{one}");
        let two = vec!["x@example.com".to_owned(), "y@example.com".to_owned()];
        let many = render(&in_tenant(freed(2, two, 3), Language::Nl, None), &links).text;
        assert!(many.contains("heeft 2 betaalde gebruikers,"), "{many}");
        assert!(
            many.contains("deze gebruikers weer activeren") && many.contains("uitnodigingen ingetrokken: 3."),
            "{many}"
        );
        let en = render(&mail(freed(1, vec![], 1)), &links).text;
        assert!(en.contains("has 1 paid user, fewer") && en.contains("Pending invitation revoked: 1."), "{en}");
    }

    #[test]
    fn old_mails_without_a_reader_or_defaults_read_in_english() {
        let json = serde_json::json!({
            "to": "ann@example.com",
            "tenant": {
                "id": TenantId::from_uuid(tenantry_domain::ids::uuid_v7_from_parts(1, [1; 10])).unwrap(),
                "name": "Acme",
                "branding": {}
            },
            "message": {"template": "account_locked", "until": "2026-09-21T14:13:20Z"}
        });
        let old: Mail = serde_json::from_value(json).unwrap();
        assert_eq!(old.reader, Preferences::default());
        let r = render(&old, &Links::default());
        assert_eq!(r.subject, "Your Acme account is locked");
        assert!(r.html.contains("<html lang=\"en\">"));
    }
}
