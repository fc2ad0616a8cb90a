//! The platform statistics, with charts drawn from the daily snapshots.

use crate::state::AppState;
use crate::web::PageResult;
use crate::web::admin::platform;
use crate::web::charts::{Series, line_chart};
use crate::web::layout::{Page, money};
use crate::web::session::{Session, admin_nav};
use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use maud::{Markup, html};
use tenantry_domain::SubscriptionStatus;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/stats", get(stats))
}

/// `GET /admin/stats`: the platform now, and its history from the daily snapshots.
pub(crate) async fn stats(State(state): State<AppState>, session: Session) -> PageResult {
    let who = platform(&state, &session).await?;
    let stats = state.tenantry.platform_stats(&who).await?;
    let days: Vec<String> = stats.history.iter().map(|d| d.day.format("%m-%d").to_string()).collect();
    let by_status: Vec<Series> = SubscriptionStatus::ALL
        .into_iter()
        .filter(|s| stats.history.iter().any(|d| d.totals.tenants_by_status.get(s).copied().unwrap_or(0) > 0))
        .map(|s| Series {
            name: s.as_str().replace('_', " "),
            values: stats
                .history
                .iter()
                .map(|d| d.totals.tenants_by_status.get(&s).copied().unwrap_or(0) as f64)
                .collect(),
        })
        .collect();
    let single = |name: &str, f: &dyn Fn(&tenantry_ports::services::admin::PlatformTotals) -> f64| {
        vec![Series { name: name.to_owned(), values: stats.history.iter().map(|d| f(&d.totals)).collect() }]
    };
    let mrr = single("MRR (€)", &|t| t.mrr.cents() as f64 / 100.0);
    let users = single("active users", &|t| t.active_users as f64);
    // Logins per month: each snapshot counts the month so far, so a month's figure is its last day's.
    let mut months: Vec<(String, f64)> = Vec::new();
    for d in &stats.history {
        let month = d.day.format("%Y-%m").to_string();
        let value = d.totals.logins_this_month as f64;
        match months.last_mut() {
            Some((m, v)) if *m == month => *v = value,
            _ => months.push((month, value)),
        }
    }
    let month_labels: Vec<String> = months.iter().map(|(m, _)| m.clone()).collect();
    let logins = vec![Series { name: "logins".to_owned(), values: months.iter().map(|(_, v)| *v).collect() }];
    let now = &stats.now;
    let body = html! {
        h1 { "Platform statistics" }
        dl.facts.summary {
            dt { "Tenants" } dd #stat-tenants { (now.tenants) }
            dt { "Active users" } dd { (now.active_users) }
            dt { "MRR" } dd { (money(now.mrr)) }
            dt { "Logins this month" } dd { (now.logins_this_month) }
            dt { "API calls this month" } dd #stat-api-calls { (now.api_calls_this_month) }
            dt { "Page views this month" } dd #stat-page-views { (now.page_views_this_month) }
        }
        @if stats.history.is_empty() {
            p { "The first daily snapshot is taken by the scheduler; charts appear from then on." }
        } @else {
            (chart("Tenants by status", &days, &by_status))
            (chart("Monthly recurring revenue", &days, &mrr))
            (chart("Active users", &days, &users))
            (chart("Logins per month", &month_labels, &logins))
        }
    };
    Ok(Page::new("Statistics", admin_nav(&session), body).into_response())
}

fn chart(title: &str, days: &[String], series: &[Series]) -> Markup {
    html! {
        figure.chart {
            figcaption { (title) }
            (line_chart(title, days, series))
        }
    }
}
