#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! The superuser's audit and ads pages (`/admin/audit`, `/admin/ads`) over
//! plain HTTP, as a browser without script uses them: forms, the session
//! cookie, the CSRF token; and that nobody but the superuser reaches them.

use crate::support;

use regex::Regex;
use reqwest::StatusCode;
use tenantry_testkit::Harness;

use support::web::WebSession as Browser;

/// The campaign form's fields, with `changes` applied.
fn campaign_form<'a>(csrf: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("csrf", csrf),
        ("name", "Spring upgrade"),
        ("format", "banner"),
        ("text", "Go Pro: unlimited seats"),
        ("link_url", "https://ads.example.com/pro"),
        ("image_url", ""),
        ("starts_on", "2026-10-01"),
        ("ends_on", "2027-01-01"),
        ("enabled", "on"),
        ("tenants", ""),
    ];
    for (k, v) in changes {
        form.retain(|(name, _)| name != k);
        if !v.is_empty() || *k != "enabled" {
            form.push((k, v));
        }
    }
    form
}

fn count(body: &str, needle: &str) -> usize {
    body.matches(needle).count()
}

/// The superuser signed in on the pages, with tenant `acme` beside them.
struct Ops {
    h: Harness,
    acme: tenantry_testkit::TestTenant,
    base: String,
    ops: Browser,
    csrf: String,
    who: tenantry_ports::PlatformScope,
}

impl Ops {
    async fn new() -> Self {
        let h = Harness::new();
        let su = h.superuser("ops@platform.example.com").await.unwrap();
        let acme = h.signup("acme").await.unwrap();
        let base = support::serve(support::state_for(&h)).await;
        let who = h.tenantry.authorize_platform(&su).await.unwrap();
        let ops = Browser::login(&base, "", "ops@platform.example.com").await;
        let csrf = ops.csrf.clone();
        Ops { h, acme, base, ops, csrf, who }
    }

    /// The campaigns as stored.
    async fn stored(&self) -> Vec<tenantry_domain::AdCampaign> {
        self.h.tenantry.list_campaigns(&self.who).await.unwrap()
    }

    /// Creates the form's campaign (with `changes`): its page's path and its id.
    async fn create(&self, changes: &[(&str, &str)]) -> (String, String) {
        let created = self.ops.post_raw("/admin/ads", &campaign_form(&self.csrf, changes)).await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        let at = created.location.unwrap();
        let cid = at.strip_prefix("/admin/ads/").expect("the campaign's page").to_owned();
        (at, cid)
    }
}

#[tokio::test]
async fn a_campaign_created_through_the_form_is_listed_and_previewed_as_a_tenant_sees_it() {
    let o = Ops::new().await;
    let list = o.ops.get("/admin/ads").await;
    assert!(list.body.contains("id=\"no-campaigns\""), "{}", list.body);
    assert!(list.body.contains("<input id=\"starts_on\" name=\"starts_on\" type=\"date\""), "{}", list.body);

    let (at, cid) = o.create(&[]).await;
    assert_eq!(o.stored().await.len(), 1);
    let list = o.ops.get("/admin/ads").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&format!("<a href=\"/admin/ads/{cid}\">Spring upgrade</a>")), "{}", list.body);
    assert!(list.body.contains("<td class=\"enabled\">enabled</td>"), "{}", list.body);
    assert!(list.body.contains("all freemium tenants"));

    // Its page: counts, prefilled edit form, and the preview as a tenant sees it.
    let page = o.ops.get(&at).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let preview = Regex::new(r#"(?s)<section class="card" id="preview".*?</section>"#).unwrap();
    let preview = preview.find(&page.body).expect("a preview section").as_str();
    let banner = Regex::new(concat!(
        r#"<aside class="ad-banner"[^>]*>\s*<span class="ad-label">Ad</span> "#,
        r#"<a href="https://ads.example.com/pro" rel="noopener sponsored">Go Pro: unlimited seats</a>\s*</aside>"#,
    ))
    .unwrap();
    assert!(banner.is_match(preview), "{preview}");
    assert!(preview.contains("<dialog class=\"ad-modal\" open"), "{preview}");
    assert!(page.body.contains("value=\"2026-10-01\""), "prefilled dates");
    assert!(page.body.contains("id=\"campaign-enabled\">enabled<"), "{}", page.body);

    // An unknown or malformed campaign id is not found.
    assert_eq!(o.ops.get("/admin/ads/not-an-id").await.status, StatusCode::NOT_FOUND);
    assert_eq!(o.ops.get("/admin/ads/01900000-0000-7000-8000-000000000000").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_refused_campaign_form_answers_422_with_what_was_typed_and_creates_nothing() {
    let o = Ops::new().await;
    o.create(&[]).await;
    // A bad date: 422 with a clear message, nothing created.
    let bad =
        o.ops.post_raw("/admin/ads", &campaign_form(&o.csrf, &[("name", "Broken"), ("starts_on", "2026-13-45")])).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("The start date is not a date"), "{}", bad.body);
    assert!(bad.body.contains("value=\"Broken\""), "the form keeps what was typed");
    // A refusal of the use case (an end before the start, a plain-http link, a tenant that is no id) likewise.
    for changes in [
        [("name", "Broken"), ("ends_on", "2026-09-01")],
        [("name", "Broken"), ("link_url", "http://plain.example.com")],
        [("name", "Broken"), ("tenants", "acme")],
    ] {
        let bad = o.ops.post_raw("/admin/ads", &campaign_form(&o.csrf, &changes)).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{changes:?}: {}", bad.body);
    }
    assert_eq!(o.stored().await.len(), 1);
    assert!(!o.ops.get("/admin/ads").await.body.contains("Broken"));
}

#[tokio::test]
async fn an_update_disables_and_targets_a_campaign_and_a_bad_date_changes_nothing() {
    let o = Ops::new().await;
    let (at, _) = o.create(&[]).await;
    let acme_id = o.acme.id.to_string();
    let updated = o.ops.post_raw(&at, &campaign_form(&o.csrf, &[("enabled", ""), ("tenants", &acme_id)])).await;
    assert_eq!(updated.status, StatusCode::SEE_OTHER, "{}", updated.body);
    assert_eq!(updated.location.as_deref(), Some(at.as_str()));
    let page = o.ops.get(&at).await;
    assert!(page.body.contains("id=\"campaign-enabled\">disabled<"), "{}", page.body);
    assert!(page.body.contains(&format!("href=\"/admin/tenants/{acme_id}\"")));
    assert!(o.ops.get("/admin/ads").await.body.contains("<td class=\"enabled\">disabled</td>"));
    assert!(!o.stored().await[0].enabled);
    // A bad date on the update: 422, unchanged.
    let bad = o.ops.post_raw(&at, &campaign_form(&o.csrf, &[("ends_on", "soon")])).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("The end date is not a date"), "{}", bad.body);
    assert_eq!(day_of(o.stored().await[0].window.end()), "2027-01-01");
}

#[tokio::test]
async fn without_the_right_csrf_token_no_campaign_form_changes_anything() {
    let o = Ops::new().await;
    let (at, _) = o.create(&[]).await;
    for token in ["", "0123456789abcdef0123456789abcdef"] {
        let r = o.ops.post_raw("/admin/ads", &campaign_form(token, &[("name", "Forged")])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = o.ops.post_raw(&at, &campaign_form(token, &[("name", "Forged")])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = o.ops.post_raw(&format!("{at}/delete"), &[("csrf", token)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    let r = o.ops.post_raw(&format!("{at}/delete"), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let now = o.stored().await;
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].name.to_string(), "Spring upgrade");
}

#[tokio::test]
async fn the_audit_log_page_filters_by_action_and_tenant_pages_older_events_and_refuses_bad_filters() {
    let o = Ops::new().await;
    let (at, cid) = o.create(&[]).await;
    let updated = o.ops.post_raw(&at, &campaign_form(&o.csrf, &[("enabled", "")])).await;
    assert_eq!(updated.status, StatusCode::SEE_OTHER, "{}", updated.body);
    let acme_id = o.acme.id.to_string();

    let log = o.ops.get("/admin/audit").await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    assert!(log.body.contains("<code>ads.campaign_created</code>"), "{}", log.body);
    assert!(log.body.contains("<code>ads.campaign_updated</code>"));
    assert!(log.body.contains("<code>tenant.created</code>"), "{}", log.body);
    let only = o.ops.get("/admin/audit?action=ads.campaign_created").await;
    assert_eq!(only.status, StatusCode::OK);
    assert_eq!(count(&only.body, "<code>ads.campaign_created</code>"), 1);
    assert!(!only.body.contains("<code>ads.campaign_updated</code>"));
    assert!(only.body.contains(&format!("href=\"/admin/ads/{cid}\"")), "the target links to the campaign");
    let of_acme = o.ops.get(&format!("/admin/audit?tenant={acme_id}&action=&user=")).await;
    assert_eq!(of_acme.status, StatusCode::OK, "{}", of_acme.body);
    assert!(!of_acme.body.contains("ads.campaign_created</code>"), "{}", of_acme.body);
    assert!(of_acme.body.contains(&format!("<a href=\"/admin/tenants/{acme_id}\"><code>{acme_id}</code></a>")));
    assert!(of_acme.body.contains(&format!("value=\"{acme_id}\"")), "the filter stays filled");
    let other = o.h.signup("globex").await.unwrap();
    let of_globex = o.ops.get(&format!("/admin/audit?tenant={}", other.id)).await;
    assert!(!of_globex.body.contains(&acme_id), "{}", of_globex.body);
    // A page of one event links to the next, older one.
    let first = o.ops.get("/admin/audit?limit=1").await;
    let next = Regex::new(r#"id="next-page" href="([^"]+)""#).unwrap();
    let link = next.captures(&first.body).expect("a next-page link")[1].replace("&amp;", "&");
    assert!(link.contains("limit=1") && link.contains("before="), "{link}");
    let second = o.ops.get(&link).await;
    assert_eq!(second.status, StatusCode::OK);
    let row = Regex::new(r#"<time datetime="[^"]+">[^<]+</time>.*?<code>([a-z_.]+)</code>"#).unwrap();
    let events = |b: &str| count(b, "<time datetime=");
    assert_eq!((events(&first.body), events(&second.body)), (1, 1));
    assert!(row.is_match(&second.body));
    // Bad filters: the typed refusal, as a page with the form.
    for bad in [
        "/admin/audit?tenant=acme",
        "/admin/audit?action=ads.no_such_action",
        "/admin/audit?action=Not%20one",
        "/admin/audit?before=x",
    ] {
        let r = o.ops.get(bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.body);
        assert!(r.body.contains("role=\"alert\""), "{}", r.body);
        assert!(r.body.contains("id=\"audit-filters\""));
    }
}

#[tokio::test]
async fn a_deleted_campaign_is_gone_everywhere_and_its_deletion_audited() {
    let o = Ops::new().await;
    let (at, _) = o.create(&[]).await;
    let deleted = o.ops.post_raw(&format!("{at}/delete"), &[("csrf", &o.csrf)]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert_eq!(deleted.location.as_deref(), Some("/admin/ads"));
    assert!(o.stored().await.is_empty());
    let list = o.ops.get("/admin/ads").await;
    assert!(!list.body.contains("Spring upgrade"), "{}", list.body);
    assert_eq!(o.ops.get(&at).await.status, StatusCode::NOT_FOUND);
    assert_eq!(o.ops.post_raw(&format!("{at}/delete"), &[("csrf", &o.csrf)]).await.status, StatusCode::NOT_FOUND);
    assert!(
        o.ops.get("/admin/audit?action=ads.campaign_deleted").await.body.contains("<code>ads.campaign_deleted</code>")
    );
}

#[tokio::test]
async fn a_tenant_owner_gets_404_on_every_ads_and_audit_page_and_form_and_a_stranger_the_login() {
    let o = Ops::new().await;
    let (kept_at, _) = o.create(&[("name", "Kept")]).await;
    let owner = Browser::login(&o.base, "acme", &o.acme.owner_email).await;
    let owner_csrf = owner.csrf.clone();
    for path in ["/admin/audit", "/admin/audit?tenant=x", "/admin/ads", kept_at.as_str(), "/admin/ads/not-an-id"] {
        let r = owner.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "GET {path}: {}", r.body);
        assert!(!r.body.contains("Kept"));
    }
    let r = owner.post_raw("/admin/ads", &campaign_form(&owner_csrf, &[("name", "Owner's")])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = owner.post_raw(&kept_at, &campaign_form(&owner_csrf, &[("name", "Owner's")])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = owner.post_raw(&format!("{kept_at}/delete"), &[("csrf", owner_csrf.as_str())]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let now = o.stored().await;
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].name.to_string(), "Kept");

    // Without a session: to the login.
    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for path in ["/admin/audit", "/admin/ads"] {
        let r = anonymous.get(format!("{}{path}", o.base)).send().await.unwrap();
        assert!(r.status().is_redirection());
        assert_eq!(r.headers()["location"], "/login");
    }
}

fn day_of(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// Issue 19, "one MRR": pages compute no money. A yearly tenant (3 seats,
/// €479.00 a year: a twelfth is €39.916…) shows the domain's `mrr_cents`
/// figure — €39.92, rounded half away from zero — in the superuser's list, on
/// its detail page and in the statistics, which the list once rounded down to
/// €39.91.
#[tokio::test]
async fn the_tenant_list_the_detail_and_the_statistics_show_the_domains_mrr() {
    use tenantry_domain::Interval;
    use tenantry_domain::subscription::{PlanChoice, PlanTiming};
    let h = Harness::new();
    h.superuser("ops@platform.example.com").await.unwrap();
    let t = h.signup("yearly").await.unwrap();
    h.add_card(t.id, tenantry_testkit::TestCard::Succeeds).await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry
        .change_plan(
            &owner,
            PlanChoice::Standard(Interval::Year),
            PlanTiming::Now,
            None,
            &tenantry_ports::payment::ReturnPath::from_static("/return"),
        )
        .await
        .unwrap();
    h.tick().await;
    let expected = tenantry_domain::money::mrr_cents(&[], &[47_900]).unwrap();
    assert_eq!(expected, 3992, "the worked example: 47,900 / 12 = 3,991.67 → 3,992");
    let shown = "€39.92";
    let base = support::serve(support::state_for(&h)).await;
    let ops = Browser::login(&base, "", "ops@platform.example.com").await;
    let list = ops.get("/admin").await;
    assert!(list.body.contains(shown) && !list.body.contains("€39.91"), "{}", list.body);
    let detail = ops.get(&format!("/admin/tenants/{}", t.id)).await;
    assert!(detail.body.contains("<dt>MRR</dt><dd>€39.92</dd>"), "{}", detail.body);
    let stats = ops.get("/admin/stats").await;
    assert!(stats.body.contains(shown), "{}", stats.body);
}

/// `/admin/jobs`: a timer that failed its fifth attempt is listed with its
/// tenant, attempts and error; Retry makes it due again (it then runs once
/// and leaves the list); a tenant's owner gets 404 for the page and the form.
#[tokio::test]
async fn the_jobs_page_lists_a_job_that_failed_for_good_and_retries_it() {
    let h = Harness::new();
    h.superuser("ops@platform.example.com").await.unwrap();
    let t = h.signup("stuck").await.unwrap();
    h.mailer.set_failing(true);
    h.advance_days(11).await;
    h.advance(chrono::Duration::hours(6)).await;
    let base = support::serve(support::state_for(&h)).await;
    let ops = Browser::login(&base, "", "ops@platform.example.com").await;
    let page = ops.get("/admin/jobs").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(count(&page.body, "<tr id=\"job-"), 1, "{}", page.body);
    // The timer's change stood; its reminder's mail is what failed (issue 20: mail is an outbox).
    assert!(
        page.body.contains(&format!("mail trial_reminder to {}", t.owner_email))
            && page.body.contains(&t.id.to_string()),
        "{}",
        page.body
    );
    let action = Regex::new(r#"action="(/admin/tenants/[0-9a-f-]+/jobs/[0-9a-f-]+/retry)""#).unwrap();
    let retry = action.captures(&page.body).unwrap()[1].to_owned();
    // Only the superuser: the owner gets 404 for the page and the form.
    let owner = Browser::login(&base, "stuck", &t.owner_email).await;
    assert_eq!(owner.get("/admin/jobs").await.status, StatusCode::NOT_FOUND);
    assert_eq!(owner.post(&retry, &[]).await.status, StatusCode::NOT_FOUND);
    // Without this session's token nothing changes.
    assert_eq!(
        ops.post_raw(&retry, &[("csrf", "0123456789abcdef0123456789abcdef")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(count(&ops.get("/admin/jobs").await.body, "<tr id=\"job-"), 1);
    h.mailer.set_failing(false);
    let answer = ops.post(&retry, &[]).await;
    assert_eq!((answer.status, answer.location.as_deref()), (StatusCode::SEE_OTHER, Some("/admin/jobs")));
    h.tick().await;
    let page = ops.get("/admin/jobs").await;
    assert!(page.body.contains("id=\"no-failed-jobs\""), "{}", page.body);
    let reminders = h.mailer.sent().iter().filter(|m| m.message.template() == "trial_reminder").count();
    assert_eq!(reminders, 1, "the reminder went out once, after the retry");
    // Retrying again is refused (the job is no longer failed): a clear page, not a crash.
    let again = ops.post(&retry, &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
}

/// The platform settings page: the trial policy, the password policy and
/// mandatory two-factor are forms that save what they show; a value out of
/// range is refused with the field named and changes nothing; a tenant's user
/// gets 404.
#[tokio::test]
async fn the_superuser_sets_the_trial_policy_and_the_password_policy_on_the_settings_page() {
    use tenantry_domain::settings::{CardlessTrialEnd, PaymentMethodAtSignup};
    let o = Ops::new().await;
    let page = o.ops.get("/admin/settings").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("A payment method at signup"), "{}", page.body);
    let saved = o
        .ops
        .post(
            "/admin/settings/trial",
            &[("payment_method_at_signup", "required"), ("trial_without_payment_method_ends_in", "suspended")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let stored = o.h.tenantry.admin_settings(&o.who).await.unwrap();
    assert_eq!(stored.trial.payment_method_at_signup, PaymentMethodAtSignup::Required);
    assert_eq!(stored.trial.trial_without_payment_method_ends_in, CardlessTrialEnd::Suspended);
    let shown = o.ops.get("/admin/settings?saved=1").await.body;
    assert!(shown.contains(r#"value="suspended" checked"#), "{shown}");

    let refused = o.ops.post("/admin/settings/password", &[("min_chars", "7")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("password.min_chars"), "{}", refused.body);
    assert_eq!(o.h.tenantry.admin_settings(&o.who).await.unwrap(), stored, "nothing changed");
    let bad = o.ops.post("/admin/settings/trial", &[("payment_method_at_signup", "sometimes")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let ok = o.ops.post("/admin/settings/billing", &[("pre_invoice_warning_days", "5")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let refused = o.ops.post("/admin/settings/billing", &[("pre_invoice_warning_days", "30")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("billing.pre_invoice_warning_days"), "{}", refused.body);
    let ok = o.ops.post("/admin/settings/password", &[("min_chars", "14"), ("check_breached", "on")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let ok = o.ops.post("/admin/settings/mfa", &[("role_manager", "on"), ("role_viewer", "on")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let stored = o.h.tenantry.admin_settings(&o.who).await.unwrap();
    assert_eq!((stored.password.min_chars, stored.password.check_breached), (14, true));
    assert!(!stored.mfa.required_for_all);
    assert_eq!(stored.mfa.required_roles.len(), 2);
    assert_eq!(
        stored.trial.trial_without_payment_method_ends_in,
        CardlessTrialEnd::Suspended,
        "the other forms keep it"
    );
    assert_eq!(stored.billing.pre_invoice_warning_days, 5);

    let owner = Browser::login(&o.base, "acme", &o.acme.owner_email).await;
    assert_eq!(owner.get("/admin/settings").await.status, StatusCode::NOT_FOUND);
    let forged = owner
        .post(
            "/admin/settings/trial",
            &[("payment_method_at_signup", "optional"), ("trial_without_payment_method_ends_in", "freemium")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    assert_eq!(
        o.h.tenantry.admin_settings(&o.who).await.unwrap().trial.payment_method_at_signup,
        PaymentMethodAtSignup::Required
    );
}

/// The tenant detail pauses and resumes a paid plan's payments and comps it
/// for some months; a bad number is refused on the page and changes nothing;
/// a tenant without a paid plan shows neither form; a tenant's user gets 404.
#[tokio::test]
async fn the_superuser_pauses_payments_and_comps_a_paid_tenant_on_its_page() {
    let o = Ops::new().await;
    let paid = o.h.paid_tenant("paying", 3).await.unwrap();
    let page = format!("/admin/tenants/{}", paid.id);
    let before = o.ops.get(&page).await.body;
    assert!(before.contains("id=\"pause-payments\"") && before.contains("id=\"comp\""), "{before}");
    let trial = o.ops.get(&format!("/admin/tenants/{}", o.acme.id)).await.body;
    assert!(!trial.contains("id=\"pause-payments\""), "no paid plan, nothing to pause");

    let paused = o.ops.post(&format!("{page}/collection"), &[("paused", "true")]).await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER, "{}", paused.body);
    let shown = o.ops.get(&page).await.body;
    assert!(shown.contains("id=\"collection-paused\"") && shown.contains("id=\"resume-payments\""), "{shown}");
    let resumed = o.ops.post(&format!("{page}/collection"), &[("paused", "false")]).await;
    assert_eq!(resumed.status, StatusCode::SEE_OTHER);
    assert!(!o.ops.get(&page).await.body.contains("id=\"collection-paused\""));

    for bad in ["x", "0", "40"] {
        let refused = o.ops.post(&format!("{page}/comp"), &[("months", bad)]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", refused.body);
        assert!(!o.ops.get(&page).await.body.contains("id=\"free-until\""), "{bad}: nothing changed");
    }
    let comped = o.ops.post(&format!("{page}/comp"), &[("months", "2")]).await;
    assert_eq!(comped.status, StatusCode::SEE_OTHER, "{}", comped.body);
    assert!(o.ops.get(&page).await.body.contains("until 1 January 2027"), "free for 2 months from 2026-11-01");

    let owner = Browser::login(&o.base, "paying", &paid.owner_email).await;
    assert_eq!(owner.post(&format!("{page}/collection"), &[("paused", "true")]).await.status, StatusCode::NOT_FOUND);
}
