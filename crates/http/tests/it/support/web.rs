//! A browser without script for the web pages' tests: no redirect followed,
//! the session cookie kept by hand, the session's CSRF token read off a page.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use tenantry_testkit::harness::PASSWORD;

/// One answer.
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: HeaderMap,
    pub body: String,
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let location = headers.get(LOCATION).map(|l| l.to_str().unwrap().to_owned());
    Answer { status, location, headers, body: response.text().await.unwrap() }
}

/// The CSRF token in a page's forms.
pub fn csrf_in(page: &str) -> Option<String> {
    let at = page.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    page.get(at..at + 32).map(str::to_owned)
}

/// A logged-in browser.
pub struct WebSession {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: String,
    pub csrf: String,
}

impl WebSession {
    /// Logs in (the superuser with an empty `tenant`) and reads the session's
    /// CSRF token off its first page.
    pub async fn login(base: &str, tenant: &str, email: &str) -> Self {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let form = [("tenant", tenant), ("email", email), ("password", PASSWORD)];
        let response = http.post(format!("{base}/login")).form(&form).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "login of {email}");
        let set = response.headers().get(SET_COOKIE).expect("a session cookie").to_str().unwrap();
        let cookie = set.split(';').next().unwrap().to_owned();
        assert!(cookie.starts_with("__Host-tenantry_session="), "{set}");
        let mut session = Self { http, base: base.to_owned(), cookie, csrf: String::new() };
        let start = if tenant.is_empty() { "/admin".to_owned() } else { format!("/app/{tenant}") };
        let page = session.get(&start).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        session.csrf = csrf_in(&page.body).expect("a csrf field");
        session
    }

    pub async fn get(&self, path: &str) -> Answer {
        let response = self.http.get(format!("{}{path}", self.base)).header(COOKIE, &self.cookie).send().await.unwrap();
        answer(response).await
    }

    /// Posts `form` with this session's CSRF token.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut fields = form.to_vec();
        fields.push(("csrf", &self.csrf));
        self.post_raw(path, &fields).await
    }

    /// Posts exactly `form`.
    pub async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        answer(response).await
    }
}
