//! An invitation's acceptance from the mailed link: the code, the name and the password.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::layout::{Page, summary};
use crate::web::session::{WebForm, sign_in};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use maud::html;
use secrecy::SecretString;
use serde::Deserialize;
use tenantry_ports::services::invitations::AcceptInput;

/// Its pages anyone may post to (behind the per-address throttle).
pub(super) fn anonymous() -> Router<AppState> {
    Router::new().route("/invitations/accept", post(accept_submit))
}

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/invitations/accept", get(accept_page))
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    token: Option<String>,
}

/// The field each refusal of the acceptance concerns.
const FIELDS: &[(&str, &str)] = &[("invalid_name", "name"), ("weak_password", "password")];

fn accept_form(token: &str, error: Option<&PageError>) -> Page {
    let title = t!("account-invitation-title");
    Page::bare(
        &title,
        html! {
            h1 { (title) }
            (summary(error.map(PageError::detail).as_deref(), error.and_then(|e| e.field(FIELDS))))
            form.card method="post" action="/invitations/accept" {
                input type="hidden" name="token" value=(token);
                label for="name" { (t!("account-your-name")) }
                input #name name="name" type="text" required autocomplete="name";
                label for="password" { (t!("account-invitation-password")) }
                input #password name="password" type="password" required autocomplete="new-password";
                button #accept type="submit" { (t!("account-invitation-submit")) }
            }
        },
    )
}

/// `GET /invitations/accept?token=…`: the invitation mail's link.
pub(crate) async fn accept_page(Query(q): Query<TokenQuery>) -> PageResult {
    match q.token.filter(|t| !t.is_empty()) {
        Some(token) => Ok(accept_form(&token, None).into_response()),
        None => Err(PageError::new(StatusCode::NOT_FOUND, "invalid_token", &t!("account-link-incomplete-invitation"))),
    }
}

#[derive(Deserialize)]
pub(crate) struct AcceptForm {
    token: String,
    name: String,
    password: SecretString,
}

/// `POST /invitations/accept`: the account is made and the browser signed in.
pub(crate) async fn accept_submit(
    State(state): State<AppState>,
    client: crate::client::Client,
    WebForm(form): WebForm<AcceptForm>,
) -> PageResult {
    let token = SecretString::from(form.token.clone());
    if let Err(e) = state.throttles.account(&state.tenantry, &crate::throttle::link_key(&token)).await {
        return Ok(super::too_many(e));
    }
    let input = AcceptInput { token, name: form.name, password: form.password };
    match state.tenantry.accept_invitation_from(input, &client.web()).await {
        Ok(accepted) => sign_in(&state, &accepted.principal),
        Err(e) => {
            let e = PageError::from(e);
            Ok((e.status(), accept_form(&form.token, Some(&e))).into_response())
        }
    }
}
