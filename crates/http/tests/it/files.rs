//! Tenant files over HTTP and on the pages (issue 27), on both stores: a
//! multipart upload, the list, a download served so that nothing uploaded can
//! run in tenantry's origin, the refusals as problem+json (415 for a type, 413
//! for the quota, 422 for a body that is not a form), another tenant's file a
//! 404, and the "Files" page's upload (its CSRF token first), list, download
//! and delete.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use crate::support::web::WebSession;
use crate::support::{TestStore, on_both};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

struct App {
    base: String,
    http: reqwest::Client,
    h: Harness,
}

async fn app(store: &TestStore) -> App {
    let h = store.harness(Harness::builder());
    let base = crate::support::serve(crate::support::state_for(&h)).await;
    App { base, http: reqwest::Client::new(), h }
}

const BOUNDARY: &str = "tenantry-test-boundary-7MA4YWxkTrZu0gW";

/// A multipart body: the text parts, then the file part.
fn form(texts: &[(&str, &str)], name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in texts {
        body.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    body.extend(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: text/html\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(bytes);
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl App {
    /// `GET path` with `token`: the answer's JSON.
    async fn get_json(&self, path: &str, token: &str) -> Value {
        self.http.get(format!("{}{path}", self.base)).bearer_auth(token).send().await.unwrap().json().await.unwrap()
    }

    async fn signup(&self, slug: &str) -> (String, String) {
        let body = json!({"company_name": format!("{slug} Ltd"), "slug": slug, "email": format!("owner@{slug}.example.com"),
                          "password": PASSWORD, "name": "Owner"});
        let r = self.http.post(format!("{}/v1/signup", self.base)).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: Value = r.json().await.unwrap();
        (v["tenant"]["id"].as_str().unwrap().to_owned(), v["access_token"].as_str().unwrap().to_owned())
    }

    async fn upload(&self, tid: &str, token: &str, name: &str, bytes: &[u8]) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}/v1/tenants/{tid}/files", self.base))
            .bearer_auth(token)
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(form(&[], name, bytes))
            .send()
            .await
            .unwrap();
        let status = r.status();
        if status.is_client_error() {
            assert_eq!(r.headers()["content-type"], "application/problem+json", "{status}");
        }
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

async fn files_are_uploaded_served_safely_and_refused_clearly(app: App) {
    let (tid, owner) = app.signup("acme").await;
    let (other, stranger) = app.signup("beta").await;
    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
    // The client calls it text/html and names it .html: the bytes say PDF, and PDF it is.
    let (status, file) = app.upload(&tid, &owner, "../../contract.html", pdf).await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    assert_eq!(
        (file["name"].as_str(), file["content_type"].as_str()),
        (Some("contract.html"), Some("application/pdf"))
    );
    assert_eq!(file["size"], pdf.len());
    let fid = file["id"].as_str().unwrap().to_owned();

    let list: Value = app.get_json(&format!("/v1/tenants/{tid}/files"), &owner).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

    let r =
        app.http.get(format!("{}/v1/tenants/{tid}/files/{fid}", app.base)).bearer_auth(&owner).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-security-policy"], "sandbox");
    assert!(h["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"contract.html\""));
    assert_eq!(h["content-length"], pdf.len().to_string().as_str());
    assert_eq!(r.bytes().await.unwrap().as_ref(), pdf);

    // Markup by its bytes, whatever it is called: refused, 415.
    let (status, refused) = app.upload(&tid, &owner, "invoice.pdf", b"<svg onload='alert(1)'/>").await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("file_type_not_allowed")));
    // Not a form: 422.
    let r = app
        .http
        .post(format!("{}/v1/tenants/{tid}/files", app.base))
        .bearer_auth(&owner)
        .json(&json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "invalid_upload");

    // Another tenant: 404 for the file, in its own path or in A's.
    for (path, token) in
        [(format!("/v1/tenants/{other}/files/{fid}"), &stranger), (format!("/v1/tenants/{tid}/files/{fid}"), &stranger)]
    {
        for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
            let r = app
                .http
                .request(method.clone(), format!("{}{path}", app.base))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
        }
    }

    // The quota: 413, nothing stored.
    let su = app.h.superuser("ops@platform.example.com").await.unwrap();
    let scope = app.h.tenantry.authorize(&su, tid.parse().unwrap()).await.unwrap();
    let patch = tenantry_ports::services::admin::AdminTenantPatch {
        quota_override: Some(tenantry_domain::quota::QuotaOverride { storage_bytes: Some(100), ..Default::default() }),
        ..Default::default()
    };
    app.h.tenantry.admin_update_tenant(&scope, patch).await.unwrap();
    let (status, refused) = app.upload(&tid, &owner, "big.txt", &[b'x'; 200]).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("storage_quota_exceeded")));

    let r =
        app.http.delete(format!("{}/v1/tenants/{tid}/files/{fid}", app.base)).bearer_auth(&owner).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let usage: Value = app.get_json(&format!("/v1/tenants/{tid}/usage"), &owner).await;
    assert_eq!(usage["storage_bytes"], 0, "{usage}");
}
on_both!(files_are_uploaded_served_safely_and_refused_clearly);

async fn the_files_page_uploads_lists_downloads_and_deletes(app: App) {
    app.signup("acme").await;
    let web = WebSession::login(&app.base, "acme", "owner@acme.example.com").await;
    let page = web.get("/app/acme/settings/files").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"no-files\""), "{}", page.body);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));

    let post = |texts: Vec<(&'static str, String)>| {
        let texts: Vec<(&str, String)> = texts;
        let body = form(
            &texts.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>(),
            "hours.csv",
            b"date;hours\n2026-12-01;8\n",
        );
        web.http
            .post(format!("{}/app/acme/settings/files", app.base))
            .header("cookie", &web.cookie)
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(body)
            .send()
    };
    // Without the CSRF token: refused, nothing stored.
    let refused = post(vec![]).await.unwrap();
    assert!(refused.status().is_client_error(), "{}", refused.status());
    let done = post(vec![("csrf", web.csrf.clone())]).await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let back = done.headers()["location"].to_str().unwrap().to_owned();
    let page = web.get(&back).await;
    assert!(page.body.contains("hours.csv") && page.body.contains("text/csv"), "{}", page.body);
    assert!(page.body.contains("id=\"file-notice\""));
    let row = page.body.split("<tr id=\"file-").nth(1).unwrap();
    let fid = &row[..36];
    let download = web.get(&format!("/app/acme/settings/files/{fid}")).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.headers["content-security-policy"], "sandbox");
    assert_eq!(download.body, "date;hours\n2026-12-01;8\n");
    let deleted = web.post(&format!("/app/acme/settings/files/{fid}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    let page = web.get("/app/acme/settings/files").await;
    assert!(page.body.contains("id=\"no-files\""), "{}", page.body);
}
on_both!(the_files_page_uploads_lists_downloads_and_deletes);

/// A PNG's first bytes (the signature and an IHDR), then `len` bytes in all.
fn png(len: usize) -> Vec<u8> {
    let mut bytes = vec![
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1,
        8, 6, 0, 0, 0,
    ];
    bytes.resize(len.max(bytes.len()), 0);
    bytes
}

async fn logo_app(store: &TestStore) -> App {
    let h = store.harness(Harness::builder());
    let state = crate::support::state_for(&h).with_public_url(Some("https://tenantry.example.com".into()));
    let base = crate::support::serve(state).await;
    App { base, http: reqwest::Client::new(), h }
}

async fn a_logo_is_uploaded_shown_to_anyone_and_replaced(app: App) {
    let (tid, owner) = app.signup("acme").await;
    let (other, _) = app.signup("beta").await;
    let put = |bytes: Vec<u8>| {
        app.http
            .put(format!("{}/v1/tenants/{tid}/logo", app.base))
            .bearer_auth(&owner)
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(form(&[], "logo.png", &bytes))
            .send()
    };
    let first: Value = put(png(2048)).await.unwrap().json().await.unwrap();
    assert_eq!(
        (first["content_type"].as_str(), first["purpose"].as_str()),
        (Some("image/png"), Some("logo")),
        "{first}"
    );
    let fid = first["id"].as_str().unwrap().to_owned();
    let tenant: Value = app
        .http
        .get(format!("{}/v1/tenants/{tid}", app.base))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let branding = &tenant["settings"]["branding"];
    assert_eq!(branding["logo_file"], fid.as_str(), "{tenant}");
    // Mails show it from the service's public https address.
    assert_eq!(branding["logo_url"], format!("https://tenantry.example.com/logos/{tid}/{fid}"), "{tenant}");

    // Anyone loads it, as an image that cannot run.
    let shown = app.http.get(format!("{}/logos/{tid}/{fid}", app.base)).send().await.unwrap();
    assert_eq!(shown.status(), StatusCode::OK);
    assert_eq!(shown.headers()["content-type"], "image/png");
    assert_eq!(shown.headers()["content-security-policy"], "sandbox");
    assert_eq!(shown.headers()["x-content-type-options"], "nosniff");
    assert_eq!(shown.bytes().await.unwrap().len(), 2048);
    // Not under another tenant, and no other file of the tenant through this route.
    assert_eq!(
        app.http.get(format!("{}/logos/{other}/{fid}", app.base)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let (_, doc) = app.upload(&tid, &owner, "contract.pdf", b"%PDF-1.7\nprivate").await;
    let private = doc["id"].as_str().unwrap();
    let r = app.http.get(format!("{}/logos/{tid}/{private}", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "a tenant's other files are not public");

    // Refusals: not a PNG or JPEG (415), more than 1 MiB (413); the logo stays.
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
    for (bytes, status, code) in [
        (gif, StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_logo_type"),
        (b"<svg onload='alert(1)'/>".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_logo_type"),
        (png(1024 * 1024 + 1), StatusCode::PAYLOAD_TOO_LARGE, "file_too_large"),
    ] {
        let r = put(bytes).await.unwrap();
        assert_eq!(r.status(), status);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], code);
    }
    assert_eq!(app.http.get(format!("{}/logos/{tid}/{fid}", app.base)).send().await.unwrap().status(), StatusCode::OK);

    // A new logo replaces the old one, whose file goes.
    let second: Value = put(png(4096)).await.unwrap().json().await.unwrap();
    let fid2 = second["id"].as_str().unwrap().to_owned();
    assert_ne!(fid, fid2);
    assert_eq!(
        app.http.get(format!("{}/logos/{tid}/{fid}", app.base)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let files: Value = app.get_json(&format!("/v1/tenants/{tid}/files"), &owner).await;
    let ids: Vec<&str> = files.as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&fid2.as_str()) && !ids.contains(&fid.as_str()), "{files}");

    let r = app.http.delete(format!("{}/v1/tenants/{tid}/logo", app.base)).bearer_auth(&owner).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.http.get(format!("{}/logos/{tid}/{fid2}", app.base)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let usage: Value = app.get_json(&format!("/v1/tenants/{tid}/usage"), &owner).await;
    assert_eq!(usage["storage_bytes"], "%PDF-1.7\nprivate".len(), "only the private file is stored: {usage}");
}
on_both!(a_logo_is_uploaded_shown_to_anyone_and_replaced, logo_app);
