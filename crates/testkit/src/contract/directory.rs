//! The contract of [`TenantDirectory`]: the named cross-tenant paths see only
//! committed state and return only what their path needs.

use super::store::{Fixture, StoreFactory};
use super::{Broken, Context};
use crate::ensure;
use crate::simulator::TestCard;
use chrono::Duration;
use tenantry_domain::subscription::{PlanChoice, PlanTiming};
use tenantry_domain::{AuditAction, EntityId, Interval, Slug, SubscriptionStatus};
use tenantry_ports::directory::{AuditReadReason, TenantListQuery};
use tenantry_ports::store::{Access, AuditQuery, Month};

/// Runs every clause on a fresh store.
pub async fn run(factory: &dyn StoreFactory) -> Result<(), Broken> {
    let f = Fixture::new(factory).await?;
    let dir = f.h.tenantry.deps().directory.clone();

    // resolve_slug: committed state only
    ensure!(
        dir.resolve_slug(&Slug::parse("alpha").ctx("slug")?).await.ctx("resolve")? == Some(f.a.id),
        "a slug resolves to its tenant"
    );
    ensure!(
        dir.resolve_slug(&Slug::parse("gamma").ctx("slug")?).await.ctx("resolve")?.is_none(),
        "an unknown slug resolves to nothing"
    );
    {
        let mut tx = f.store.begin(&f.sa, Access::Write).await.ctx("begin")?;
        tx.purge_tenant().await.ctx("purge")?;
        let seen = dir.resolve_slug(&Slug::parse("alpha").ctx("slug")?).await.ctx("resolve")?;
        ensure!(seen == Some(f.a.id), "an uncommitted purge is not visible to the directory");
        // dropped without commit: rolled back
    }

    // resolve_billing_customer
    let customer = f.h.simulator.customer_of(f.a.id).ctx("alpha has a billing customer")?;
    ensure!(
        dir.resolve_billing_customer(&customer).await.ctx("customer")? == Some(f.a.id),
        "a billing customer resolves to its tenant"
    );
    ensure!(
        dir.resolve_billing_customer("cus_unknown").await.ctx("customer")?.is_none(),
        "an unknown customer resolves to nothing"
    );

    // due_tenants, by the store's clock: both trials have their reminder due on day 11, ordered, limited
    ensure!(dir.due_tenants(10).await.ctx("due")?.is_empty(), "nothing is due at signup");
    f.h.clock.advance(Duration::days(11));
    let due = dir.due_tenants(10).await.ctx("due")?;
    ensure!(due.len() == 2, "both trials are due for their reminder on day 11: {due:?}");
    ensure!(dir.due_tenants(1).await.ctx("due")?.len() == 1, "due_tenants honours its limit");

    // list_tenants, platform_figures: beta pays 7 seats monthly
    f.h.add_card(f.b.id, TestCard::Succeeds).await.ctx("card")?;
    f.h.tenantry
        .change_plan(
            &f.sb,
            PlanChoice::Standard(Interval::Month),
            PlanTiming::Now,
            None,
            &tenantry_ports::payment::ReturnPath::from_static("/"),
        )
        .await
        .ctx("beta subscribes")?;
    f.h.tenantry.change_seats(&f.sb, 7, None).await.ctx("beta buys seats")?;
    f.h.tick().await;
    let all = dir.list_tenants(&TenantListQuery { limit: 10, ..Default::default() }).await.ctx("list")?;
    ensure!(
        all.len() == 2 && all[0].slug.as_str() == "beta",
        "tenants come newest first: {:?}",
        all.iter().map(|t| t.slug.as_str()).collect::<Vec<_>>()
    );
    let beta = &all[0];
    ensure!(
        beta.status == SubscriptionStatus::Active && beta.seats == Some(7) && beta.recurring_cents == Some(6975),
        "a summary shows status, seats and price (7 seats = 6975): {beta:?}"
    );
    let found = dir
        .list_tenants(&TenantListQuery { search: Some("ALP".into()), limit: 10, ..Default::default() })
        .await
        .ctx("search")?;
    ensure!(found.len() == 1 && found[0].id == f.a.id, "search matches name or slug, case-insensitively");
    let trialing = dir
        .list_tenants(&TenantListQuery { status: Some(SubscriptionStatus::Trialing), limit: 10, ..Default::default() })
        .await
        .ctx("by status")?;
    ensure!(trialing.len() == 1 && trialing[0].id == f.a.id, "the status filter keeps that status");
    let second = dir.list_tenants(&TenantListQuery { offset: 1, limit: 10, ..Default::default() }).await.ctx("page")?;
    ensure!(second.len() == 1 && second[0].id == f.a.id, "offset skips");

    f.h.login("alpha", &f.a.owner_email).await.ctx("login")?;
    let figures = dir.platform_figures().await.ctx("figures")?;
    ensure!(figures.month == Some(Month::of(f.h.clock_now())), "figures of the store's month: {:?}", figures.month);
    ensure!(figures.tenants_by_status.get(&SubscriptionStatus::Active) == Some(&1), "figures count tenants by status");
    ensure!(figures.active_users == 2, "figures count active users over all tenants");
    ensure!(
        figures.monthly_recurring_cents == vec![6975] && figures.yearly_recurring_cents.is_empty(),
        "figures list recurring amounts by interval"
    );
    ensure!(figures.logins >= 1, "figures count this month's logins");

    // tenant_audit_events: one tenant's log (and the platform log's events about it)
    let mut tx = f.store.begin(&f.sa, Access::Read).await.ctx("begin")?;
    let own = tx.audit_events(&AuditQuery { limit: 1_000, ..Default::default() }).await.ctx("own")?;
    drop(tx);
    let page = AuditQuery { limit: 1_000, ..Default::default() };
    let via_platform = dir.tenant_audit_events(f.a.id, &page).await.ctx("platform view")?;
    ensure!(
        own.iter().all(|e| via_platform.iter().any(|p| p.id == e.id)),
        "the superuser's view holds every event of the tenant's log"
    );
    ensure!(
        via_platform.iter().all(|e| e.tenant_id == Some(f.a.id)),
        "a tenant's view keeps only that tenant's events"
    );

    // all_audit_events: every tenant's log, recorded as read first; an unknown superuser reads nothing
    let su = f.h.superuser("auditor@platform.example.com").await.ctx("superuser")?;
    let tenantry_ports::Principal::Superuser { id: su, .. } = su else { return Err(Broken("not a superuser".into())) };
    let reason = AuditReadReason::parse("quarterly review").ctx("reason")?;
    let read_id = f.h.tenantry.deps().ids.new_uuid();
    let read_id = tenantry_domain::AuditEventId::from_uuid(read_id).ctx("id")?;
    let stranger = tenantry_domain::PlatformUserId::from_uuid(f.h.tenantry.deps().ids.new_uuid()).ctx("id")?;
    let other_id = tenantry_domain::AuditEventId::from_uuid(f.h.tenantry.deps().ids.new_uuid()).ctx("id")?;
    ensure!(
        dir.all_audit_events(other_id, stranger, &reason, &page).await.ctx("stranger")?.is_empty(),
        "an unknown superuser reads nothing"
    );
    let all = dir.all_audit_events(read_id, su, &reason, &page).await.ctx("all")?;
    ensure!(
        all.iter().any(|e| e.tenant_id == Some(f.a.id)) && all.iter().any(|e| e.tenant_id == Some(f.b.id)),
        "every tenant's events are read"
    );
    let recorded = all.iter().find(|e| e.id == read_id).ctx("the read is recorded and answered with the rest")?;
    ensure!(
        recorded.action == AuditAction::PlatformAuditRead
            && recorded.actor == tenantry_domain::AuditActor::Superuser(su)
            && recorded.tenant_id.is_none()
            && recorded.details.get("reason").map(String::as_str) == Some("quarterly review")
            && recorded.at == f.h.clock_now(),
        "the read is recorded with its reader, reason and the store's time: {recorded:?}"
    );
    ensure!(!all.iter().any(|e| e.id == other_id), "the unknown superuser's read is not recorded");
    Ok(())
}
