//! No literal left untranslated (issue 25): every page an anonymous visitor,
//! an owner, an admin, a member and the superuser can reach — and refused
//! forms with their error summaries — rendered in the pseudo-locale, where
//! every catalogue message and every formatted amount or moment is wrapped in
//! ⟦ ⟧. Any visible text (a text node, a `title`, `aria-label`, `placeholder`,
//! `alt`, or a button's `value`) outside the markers that is not the fixture's
//! own data fails the test, naming the page and the text.

use crate::support;
use crate::support::web::WebSession;
use reqwest::header::{ACCEPT, COOKIE};
use scraper::{Html, Node};
use tenantry_testkit::Harness;

const PSEUDO: &str = "__Host-tenantry_lang=x-pseudo";

/// The text outside ⟦ ⟧ (markers may nest: a formatted amount inside a message).
fn unmarked(text: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '⟦' => depth += 1,
            '⟧' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// What is left of `text` once the fixture's data, and words that are data by
/// their form (addresses, ids, zone names, numbers), are taken out.
fn leftover(text: &str, data: &[String]) -> Option<String> {
    let mut rest = unmarked(text);
    for d in data {
        rest = rest.replace(d.as_str(), " ");
    }
    let words: Vec<&str> = rest
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .filter(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            // An address, a tz name (`Europe/Amsterdam`), a hex id or a UUID: data by its form.
            !(w.contains('@')
                || (w.contains('/') && w.chars().all(|c| c.is_alphanumeric() || "/_-+".contains(c)))
                || w.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
                || w.is_empty())
        })
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Every piece of visible text on a page that is not marked.
fn unmarked_texts(page: &str, data: &[String]) -> Vec<String> {
    let doc = Html::parse_document(page);
    let mut found = Vec::new();
    for node in doc.tree.nodes() {
        match node.value() {
            Node::Text(text) => {
                // Machine words (permissions, audit actions, codes) are shown as code: not prose.
                let in_code = node.ancestors().any(|a| {
                    a.value()
                        .as_element()
                        .is_some_and(|e| matches!(e.name(), "code" | "pre" | "kbd" | "samp" | "style" | "script"))
                });
                if !in_code && let Some(left) = leftover(text, data) {
                    found.push(left);
                }
            }
            Node::Element(e) => {
                for attr in ["title", "aria-label", "placeholder", "alt"] {
                    if let Some(v) = e.attr(attr)
                        && let Some(left) = leftover(v, data)
                    {
                        found.push(format!("{attr}=\"{left}\""));
                    }
                }
                let button = e.name() == "input" && matches!(e.attr("type"), Some("submit" | "button" | "reset"));
                if button
                    && let Some(v) = e.attr("value")
                    && let Some(left) = leftover(v, data)
                {
                    found.push(format!("value=\"{left}\""));
                }
            }
            _ => {}
        }
    }
    found
}

async fn walk(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    who: &str,
    pages: &[String],
    data: &[String],
    found: &mut Vec<String>,
) {
    for page in pages {
        let response =
            http.get(format!("{base}{page}")).header(COOKIE, cookie).header(ACCEPT, "text/html").send().await.unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(body.contains("<html"), "{who} {page} ({status}) is a page");
        assert!(body.contains('⟦'), "{who} {page} ({status}) was rendered in the pseudo-locale");
        for text in unmarked_texts(&body, data) {
            found.push(format!("{who} {page}: {text}"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_in_the_pseudo_locale_has_no_text_outside_the_catalogue() {
    let h = Harness::new();
    let crate::browser::EveryPage { t, paid, free } = crate::browser::every_page(&h).await;
    let base = support::serve(support::state_for(&h)).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // The fixture's own data, which no catalogue translates.
    let mut data: Vec<String> = vec!["tenantry".into(), "English".into(), "Nederlands".into(), "UTC".into()];
    for slug in ["acme", "globex", "freebie"] {
        data.push(format!("Owner of {slug}"));
        data.push(format!("{slug} Ltd"));
        data.push(slug.into());
    }
    for u in ["ada@acme.example.com", "max@acme.example.com"] {
        data.push(format!("User {u}"));
    }
    for address in ["ada@acme.example.com", "max@acme.example.com", "new@acme.example.com", "ops@platform.example.com"]
    {
        data.push(address.into());
    }
    for slug in ["acme", "globex", "freebie"] {
        data.push(format!("owner@{slug}.example.com"));
    }
    for name in ["Banner", "Modal"] {
        data.push(name.into());
        data.push(format!("{name}: try Acme Cloud"));
    }
    data.sort_by_key(|d| std::cmp::Reverse(d.len()));
    let mut found = Vec::new();

    let anonymous: Vec<String> = crate::browser::ANONYMOUS.map(String::from).to_vec();
    walk(&http, &base, PSEUDO, "anonymous", &anonymous, &data, &mut found).await;
    // Refused forms, with their error summaries.
    for (path, form) in [
        ("/login", vec![("tenant", "acme"), ("email", "ada@acme.example.com"), ("password", "wrong password!")]),
        (
            "/signup",
            vec![
                ("company_name", "Initech"),
                ("slug", "acme"),
                ("name", "Ina"),
                ("email", "ina@x.example.com"),
                ("password", "x"),
            ],
        ),
        ("/forgot", vec![("tenant", ""), ("email", "")]),
    ] {
        let response = http.post(format!("{base}{path}")).header(COOKIE, PSEUDO).form(&form).send().await.unwrap();
        let body = response.text().await.unwrap();
        for text in unmarked_texts(&body, &data) {
            found.push(format!("anonymous refused {path}: {text}"));
        }
    }

    let settings = crate::browser::SETTINGS;
    let common = ["/account/mfa", "/account/sessions", "/account/notifications"];
    for (who, slug, email, extra) in [
        ("owner", "acme", t.owner_email.as_str(), &settings[..]),
        ("admin", "acme", "ada@acme.example.com", &settings[..]),
        ("member", "acme", "max@acme.example.com", &["settings"][..]),
        ("paying owner", "globex", paid.owner_email.as_str(), &settings[..2]),
        ("freemium owner", "freebie", free.owner_email.as_str(), &settings[..1]),
    ] {
        let s = WebSession::login(&base, slug, email).await;
        let cookie = format!("{}; {PSEUDO}", s.cookie);
        let mut pages: Vec<String> = vec![format!("/app/{slug}"), format!("/app/{slug}/profile")];
        pages.extend(extra.iter().map(|p| format!("/app/{slug}/{p}")));
        pages.extend(common.iter().map(|p| (*p).to_owned()));
        walk(&http, &base, &cookie, who, &pages, &data, &mut found).await;
    }

    let s = WebSession::login(&base, "", "ops@platform.example.com").await;
    let cookie = format!("{}; {PSEUDO}", s.cookie);
    let mut admin = crate::browser::admin_pages(t.id);
    admin.push(format!("/admin/tenants/{}", paid.id));
    walk(&http, &base, &cookie, "superuser", &admin, &data, &mut found).await;

    assert!(found.is_empty(), "{} texts outside the catalogue:\n{}", found.len(), found.join("\n"));
}
