//! The platform statistics, with charts drawn from the daily snapshots.

use crate::l10n::{reader, t};
use crate::state::AppState;
use crate::web::PageResult;
use crate::web::admin::{platform, status_name};
use crate::web::charts::{Series, line_chart};
use crate::web::layout::{Page, money};
use crate::web::session::{Session, admin_nav};
use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use maud::{Markup, html};
use tenantry_domain::SubscriptionStatus;
use tenantry_i18n::TimeZone;

/// A snapshot's day (a UTC day) as the reader writes it: `4 December 2026`.
fn snapshot_day(day: chrono::NaiveDate) -> String {
    reader().with_zone(TimeZone::utc()).date(day.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/stats", get(stats))
}

/// `GET /admin/stats`: the platform now, and its history from the daily snapshots.
pub(crate) async fn stats(State(state): State<AppState>, session: Session) -> PageResult {
    let who = platform(&state, &session).await?;
    let stats = state.tenantry.platform_stats(&who).await?;
    let days: Vec<String> = stats.history.iter().map(|d| snapshot_day(d.day)).collect();
    let by_status: Vec<Series> = SubscriptionStatus::ALL
        .into_iter()
        .filter(|s| stats.history.iter().any(|d| d.totals.tenants_by_status.get(s).copied().unwrap_or(0) > 0))
        .map(|s| Series {
            name: status_name(s),
            values: stats
                .history
                .iter()
                .map(|d| d.totals.tenants_by_status.get(&s).copied().unwrap_or(0) as f64)
                .collect(),
        })
        .collect();
    let single = |name: String, f: &dyn Fn(&tenantry_ports::services::admin::PlatformTotals) -> f64| {
        vec![Series { name, values: stats.history.iter().map(|d| f(&d.totals)).collect() }]
    };
    let mrr = single(t!("admin-stats-series-mrr"), &|t| t.mrr.cents() as f64 / 100.0);
    let users = single(t!("admin-stats-series-active-users"), &|t| t.active_users as f64);
    // Logins per month: each snapshot counts the month so far, so a month's figure is its last day's
    // (and the month is labelled with that day: the figure as of then).
    let mut months: Vec<((i32, u32), chrono::NaiveDate, f64)> = Vec::new();
    for d in &stats.history {
        use chrono::Datelike;
        let month = (d.day.year(), d.day.month());
        let value = d.totals.logins_this_month as f64;
        match months.last_mut() {
            Some((m, last, v)) if *m == month => (*last, *v) = (d.day, value),
            _ => months.push((month, d.day, value)),
        }
    }
    let month_labels: Vec<String> = months.iter().map(|(_, last, _)| snapshot_day(*last)).collect();
    let logins =
        vec![Series { name: t!("admin-stats-series-logins"), values: months.iter().map(|(_, _, v)| *v).collect() }];
    let now = &stats.now;
    let body = html! {
        h1 { (t!("admin-stats-heading")) }
        dl.facts.summary {
            dt { (t!("admin-tenants-title")) } dd #stat-tenants { (now.tenants) }
            dt { (t!("admin-label-active-users")) } dd { (now.active_users) }
            dt { (t!("admin-label-mrr")) } dd { (money(now.mrr)) }
            dt { (t!("admin-stats-logins-month")) } dd { (now.logins_this_month) }
            dt { (t!("admin-stats-api-calls-month")) } dd #stat-api-calls { (now.api_calls_this_month) }
            dt { (t!("admin-stats-page-views-month")) } dd #stat-page-views { (now.page_views_this_month) }
        }
        @if stats.history.is_empty() {
            p { (t!("admin-stats-no-history")) }
        } @else {
            (chart(&t!("admin-stats-chart-by-status"), &days, &by_status))
            (chart(&t!("admin-stats-chart-mrr"), &days, &mrr))
            (chart(&t!("admin-label-active-users"), &days, &users))
            (chart(&t!("admin-stats-chart-logins"), &month_labels, &logins))
        }
    };
    Ok(Page::new(&t!("admin-stats-title"), admin_nav(&session), body).into_response())
}

fn chart(title: &str, days: &[String], series: &[Series]) -> Markup {
    html! {
        figure.chart {
            figcaption { (title) }
            (line_chart(title, days, series))
        }
    }
}
