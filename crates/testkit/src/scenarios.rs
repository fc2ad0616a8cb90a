//! Whole-service scenarios that every store must pass, as functions that
//! report what happened (the caller's test asserts it). The in-memory tests run
//! them over [`crate::MemoryStore`]; an adapter crate runs them over its own
//! store by building the [`Harness`] with [`crate::harness::HarnessBuilder::stores`].

use crate::harness::{Harness, HarnessError};
use tenantry_ports::Problem;
use tenantry_ports::services::invitations::InviteInput;
use tenantry_ports::services::users::UserPatch;

/// What the seat rush ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatRush {
    /// Requests that consumed a seat.
    pub succeeded: usize,
    /// Requests refused with `seat_limit_reached`.
    pub refused: usize,
    /// The codes of any other answer (there should be none).
    pub other: Vec<&'static str>,
    /// Seats used afterwards, as the subscription view counts them.
    pub seats_used: u32,
    /// Seats licensed afterwards.
    pub seats: Option<u32>,
}

/// 100 concurrent seat-consuming requests on a paid tenant with exactly 5 free
/// seats: 96 invitations and 4 reactivations (each of the 4 deactivated users
/// asked for once), all started at once on a multi-threaded runtime. The seat
/// rule holds under concurrency when exactly 5 succeed and 95 are refused with
/// `seat_limit_reached`, and 10 of 10 seats are then used.
///
/// The tenant (`slug`) has 10 licensed seats; used are the owner and 4 pending
/// invitations, while 4 members are deactivated (they use no seat).
pub async fn seat_rush(h: &Harness, slug: &str) -> Result<SeatRush, HarnessError> {
    let tenant = h.paid_tenant(slug, 10).await?;
    let owner = h.owner_scope(&tenant).await?;
    let mut deactivated = Vec::new();
    for i in 0..4 {
        let (id, _) = h.add_user(&tenant, &format!("u{i}@{slug}.example.com"), "member").await?;
        deactivated.push(id);
    }
    for id in &deactivated {
        h.tenantry
            .update_user(&owner, *id, UserPatch { role: None, active: Some(false) })
            .await
            .map_err(|e| HarnessError(e.to_string()))?;
    }
    for i in 0..4 {
        let input = InviteInput { email: format!("p{i}@{slug}.example.com"), role: "member".into() };
        h.tenantry.invite(&owner, input).await.map_err(|e| HarnessError(e.to_string()))?;
    }
    let before = h.tenantry.subscription_view(&owner).await.map_err(|e| HarnessError(e.to_string()))?;
    if before.seats_used != 5 {
        return Err(HarnessError(format!("the rush must start with 5 used seats, not {}", before.seats_used)));
    }
    let mut tasks = Vec::new();
    for i in 0..100 {
        let svc = h.tenantry.clone();
        let scope = owner.clone();
        let reactivate = deactivated.get(i / 25).copied().filter(|_| i % 25 == 0);
        let email = format!("r{i}@{slug}.example.com");
        tasks.push(tokio::spawn(async move {
            match reactivate {
                Some(id) => svc
                    .update_user(&scope, id, UserPatch { role: None, active: Some(true) })
                    .await
                    .map(|_| ())
                    .map_err(|e| e.code()),
                None => svc
                    .invite(&scope, InviteInput { email, role: "member".into() })
                    .await
                    .map(|_| ())
                    .map_err(|e| e.code()),
            }
        }));
    }
    let mut rush = SeatRush { succeeded: 0, refused: 0, other: Vec::new(), seats_used: 0, seats: None };
    for task in tasks {
        match task.await.map_err(|e| HarnessError(format!("a request task failed: {e}")))? {
            Ok(()) => rush.succeeded += 1,
            Err("seat_limit_reached") => rush.refused += 1,
            Err(code) => rush.other.push(code),
        }
    }
    let after = h.tenantry.subscription_view(&owner).await.map_err(|e| HarnessError(e.to_string()))?;
    rush.seats_used = after.seats_used;
    rush.seats = after.seats;
    Ok(rush)
}

/// What racing schedulers ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRace {
    /// Export jobs the two schedulers claimed in all. (An export that is ready
    /// queues its mail and delivers it itself; a scheduler may take that mail
    /// job over first — the outbox's designed race, each mail still sent once —
    /// so mail jobs are not counted here.)
    pub claimed: usize,
    /// Export jobs they completed in all.
    pub done: usize,
    /// Exports ready afterwards.
    pub ready: usize,
    /// `data.export_ready` events in all the tenants' logs.
    pub ready_events: usize,
}

async fn job_kind(
    h: &Harness,
    tenants: &[crate::harness::TestTenant],
    tenant: tenantry_domain::TenantId,
    job: tenantry_domain::JobId,
) -> Result<Option<tenantry_domain::job::JobKind>, HarnessError> {
    let Some(owner) = tenants.iter().find(|t| t.id == tenant) else { return Ok(None) };
    Ok(stored_job(h, &h.owner_scope(owner).await?, job).await?.map(|j| j.kind))
}

/// The job `job` of the scope's tenant, as stored.
async fn stored_job(
    h: &Harness,
    scope: &tenantry_ports::TenantScope,
    job: tenantry_domain::JobId,
) -> Result<Option<tenantry_domain::job::Job>, HarnessError> {
    let mut tx = h
        .tenantry
        .deps()
        .store
        .begin(scope, tenantry_ports::store::Access::Read)
        .await
        .map_err(|e| HarnessError(e.to_string()))?;
    tx.job(job).await.map_err(|e| HarnessError(e.to_string()))
}

async fn ready_events(h: &Harness, tenant: &crate::harness::TestTenant) -> Result<usize, HarnessError> {
    use tenantry_ports::store::{Access, AuditQuery};
    let scope = h.owner_scope(tenant).await?;
    let mut tx = h.tenantry.deps().store.begin(&scope, Access::Read).await.map_err(|e| HarnessError(e.to_string()))?;
    let query = AuditQuery { limit: 1000, ..AuditQuery::default() };
    let events = tx.audit_events(&query).await.map_err(|e| HarnessError(e.to_string()))?;
    Ok(events.iter().filter(|e| e.action.as_str() == "data.export_ready").count())
}

/// `tenants` tenants each ask for an export; then two schedulers run the due
/// jobs at the same moment, on a multi-threaded runtime. Each job must be
/// claimed and done exactly once: `claimed == done == ready == ready_events == tenants`.
pub async fn job_race(h: &Harness, prefix: &str, tenants: usize) -> Result<JobRace, HarnessError> {
    let mut list = Vec::new();
    for i in 0..tenants {
        let t = h.signup(&format!("{prefix}{i}")).await?;
        let scope = h.owner_scope(&t).await?;
        h.tenantry.request_export(&scope).await.map_err(|e| HarnessError(e.to_string()))?;
        list.push(t);
    }
    let (a, b) = (h.tenantry.clone(), h.tenantry.clone());
    let first = tokio::spawn(async move { a.run_due_jobs(1_000).await });
    let second = tokio::spawn(async move { b.run_due_jobs(1_000).await });
    let mut claimed = 0;
    let mut done = 0;
    for handle in [first, second] {
        let report = handle.await.map_err(|e| HarnessError(e.to_string()))?.map_err(|e| HarnessError(e.to_string()))?;
        let mut mails = 0;
        for (tenant, job) in report.done.iter().copied().chain(report.failed.iter().map(|(t, j, _)| (*t, *j))) {
            let is_mail =
                matches!(job_kind(h, &list, tenant, job).await?, Some(tenantry_domain::job::JobKind::Mail(_)));
            if is_mail {
                mails += 1;
            } else if report.done.contains(&(tenant, job)) {
                done += 1;
            }
        }
        claimed += report.claimed - mails;
    }
    let mut ready = 0;
    let mut events = 0;
    for t in &list {
        let scope = h.owner_scope(t).await?;
        let exports = h.tenantry.list_exports(&scope).await.map_err(|e| HarnessError(e.to_string()))?;
        ready += exports.iter().filter(|e| e.status == tenantry_domain::export::ExportStatus::Ready).count();
        events += ready_events(h, t).await?;
    }
    Ok(JobRace { claimed, done, ready, ready_events: events })
}

/// What a worker that died mid-job left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadWorker {
    /// Jobs claimed while the dead worker's lease lasted (must be 0).
    pub claimed_during_lease: usize,
    /// Jobs done once the lease ran out (must be 1).
    pub done_after_lease: usize,
    /// The job's attempts at the end (the dead one counts: 2).
    pub attempts: u32,
    /// Exports ready and `data.export_ready` events (must be 1 and 1).
    pub ready: usize,
    /// See above.
    pub ready_events: usize,
}

/// A worker claims the export job and dies (nothing more happens); another
/// runs the due jobs within the lease (nothing to claim), and again when the
/// lease (5 minutes) has run out: the job runs then, once.
pub async fn dead_worker(h: &Harness, slug: &str) -> Result<DeadWorker, HarnessError> {
    let t = h.signup(slug).await?;
    let scope = h.owner_scope(&t).await?;
    h.tenantry.request_export(&scope).await.map_err(|e| HarnessError(e.to_string()))?;
    let dead = h.tenantry.deps().directory.claim_due_jobs(10).await.map_err(|e| HarnessError(e.to_string()))?;

    if dead.len() != 1 {
        return Err(HarnessError("the dead worker claimed no job".into()));
    }
    h.clock.advance(chrono::Duration::minutes(4));
    let during = h.tenantry.run_due_jobs(10).await.map_err(|e| HarnessError(e.to_string()))?;
    h.clock.advance(chrono::Duration::minutes(1));
    let after = h.tenantry.run_due_jobs(10).await.map_err(|e| HarnessError(e.to_string()))?;
    let (_, job) = dead[0];
    let attempts = stored_job(h, &scope, job).await?.map(|j| j.attempts).unwrap_or_default();
    let exports = h.tenantry.list_exports(&scope).await.map_err(|e| HarnessError(e.to_string()))?;
    Ok(DeadWorker {
        claimed_during_lease: during.claimed,
        done_after_lease: after.done.len(),
        attempts,
        ready: exports.iter().filter(|e| e.status == tenantry_domain::export::ExportStatus::Ready).count(),
        ready_events: ready_events(h, &t).await?,
    })
}

/// A person to erase: their email and name as the tests search for them.
#[derive(Debug, Clone)]
pub struct Erased {
    /// The tenant.
    pub tenant: crate::harness::TestTenant,
    /// Their address before erasure.
    pub email: String,
    /// Their name before erasure (the harness names users `User <email>`).
    pub name: String,
}

/// A member with a distinctive address is invited, logs in, gets a role
/// change, is deactivated and reactivated, and then is erased by the owner —
/// leaving traces in the user row, the invitation, the audit log and a
/// finished export before the erasure. `before` is called just before the
/// erasure (a test checks there that its search finds the person then).
pub async fn erase_someone<F, Fut>(h: &Harness, slug: &str, before: F) -> Result<Erased, HarnessError>
where
    F: FnOnce(crate::harness::TestTenant, String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let t = h.signup(slug).await?;
    let owner = h.owner_scope(&t).await?;
    let email = format!("quentin.quixote@{slug}.example.com");
    let (id, _) = h.add_user(&t, &email, "member").await?;
    h.login(slug, &email).await?;
    // A browser session too: its user agent and network are the person's data.
    let client = tenantry_ports::services::sessions::ClientInfo {
        kind: tenantry_domain::session::SessionKind::Web,
        user_agent: Some("QuixoteBrowser/1.0".into()),
        address: Some(std::net::IpAddr::from([198, 51, 100, 23])),
    };
    let input = tenantry_ports::services::auth::LoginInput {
        tenant: Some(slug.to_owned()),
        email: email.clone(),
        password: secrecy::SecretString::from(crate::harness::PASSWORD),
    };
    h.tenantry.login_from(input, &client).await.map_err(|e| HarnessError(e.to_string()))?;
    let err = |e: &dyn Problem| HarnessError(e.code().to_owned());
    h.tenantry.change_role(&owner, id, "manager").await.map_err(|e| err(&e))?;
    h.tenantry.deactivate_user(&owner, id).await.map_err(|e| err(&e))?;
    h.tenantry.reactivate_user(&owner, id).await.map_err(|e| err(&e))?;
    h.tenantry.request_export(&owner).await.map_err(|e| err(&e))?;
    h.tenantry.run_due_jobs(10).await.map_err(|e| HarnessError(e.to_string()))?;
    before(t.clone(), email.clone()).await;
    h.tenantry.erase_user(&owner, id).await.map_err(|e| err(&e))?;
    Ok(Erased { tenant: t, name: format!("User {email}"), email })
}

fn err(e: impl std::fmt::Display) -> HarnessError {
    HarnessError(e.to_string())
}

/// A timer that kept failing, as the superuser finds it and retries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailingTimer {
    /// Attempts of the trial reminder's timers job before it was kept failed (5).
    pub attempts: u32,
    /// The tenant's timers jobs listed as failed for the superuser (1).
    pub listed: usize,
    /// Timers jobs made while the reminder's mail was listed (0: the reminder
    /// is not queued twice).
    pub made_while_listed: u32,
    /// Reminders that reached the owner while the mailer failed (0) and after
    /// the superuser's retry (1).
    pub reminders: (usize, usize),
    /// The tenant's jobs listed as failed after the retry ran (0).
    pub listed_after: usize,
    /// `job.failed` and `job.retried` events in the tenant's log (1, 1).
    pub events: (usize, usize),
    /// A second retry of the job, now done, is refused: its problem code.
    pub retry_again: String,
}

impl FailingTimer {
    /// The worked example every store must give.
    pub fn expected() -> Self {
        FailingTimer {
            attempts: 5,
            listed: 1,
            made_while_listed: 0,
            reminders: (0, 1),
            listed_after: 0,
            events: (1, 1),
            retry_again: "job_not_failed".into(),
        }
    }
}

/// The trial reminder's mail cannot be sent (the mailer fails): the timers
/// job for day 11 does its work (the reminder is written to the outbox with
/// it), and the reminder's mail job fails on every tick, is kept failed after
/// its fifth attempt and listed; no new timers job is made meanwhile (the
/// reminder is marked sent with the change that queued it); the superuser
/// retries the mail once the mailer works and the reminder goes out, once.
pub async fn failing_timer(h: &Harness, slug: &str) -> Result<FailingTimer, HarnessError> {
    use tenantry_domain::job::JobKind;
    use tenantry_ports::system::Message;
    let t = h.signup(slug).await?;
    let su = h.superuser(&format!("ops@{slug}.example.com")).await?;
    let platform = h.tenantry.authorize_platform(&su).await.map_err(err)?;
    let reminders = || {
        h.mailer.sent_to(&t.owner_email).iter().filter(|m| matches!(m.message, Message::TrialReminder { .. })).count()
    };
    let listed = || async {
        let failed = h.tenantry.failed_jobs(&platform, 500).await.map_err(err)?;
        Ok::<_, HarnessError>(
            failed
                .into_iter()
                .filter(|j| j.tenant_id == t.id && matches!(j.kind, JobKind::Mail(_)))
                .collect::<Vec<_>>(),
        )
    };
    h.mailer.set_failing(true);
    h.advance_days(11).await;
    h.advance(chrono::Duration::hours(6)).await;
    let failed = listed().await?;
    let mut made_while_listed = 0;
    for _ in 0..2 {
        h.clock.advance(chrono::Duration::minutes(10));
        made_while_listed += h.tenantry.run_due_timers(100).await.map_err(err)?.enqueued;
    }
    let before = reminders();
    let job = failed.first().ok_or_else(|| HarnessError("no failed mail job is listed".into()))?;
    h.mailer.set_failing(false);
    let scope = h.scope(&su, t.id).await?;
    h.tenantry.retry_job(&scope, job.id).await.map_err(err)?;
    h.tick().await;
    let retry_again = match h.tenantry.retry_job(&scope, job.id).await {
        Ok(_) => "accepted".to_owned(),
        Err(e) => e.code().to_owned(),
    };
    let owner = h.owner_scope(&t).await?;
    let mut tx = h.tenantry.deps().store.begin(&owner, tenantry_ports::store::Access::Read).await.map_err(err)?;
    let query = tenantry_ports::store::AuditQuery { limit: 1000, ..Default::default() };
    let events = tx.audit_events(&query).await.map_err(err)?;
    drop(tx);
    let count = |action: &str| events.iter().filter(|e| e.action.as_str() == action).count();
    Ok(FailingTimer {
        attempts: job.attempts,
        listed: failed.len(),
        made_while_listed,
        reminders: (before, reminders()),
        listed_after: listed().await?.len(),
        events: (count("job.failed"), count("job.retried")),
        retry_again,
    })
}

/// What the daily housekeeping left, day by day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Housekeeping {
    /// The tenant's one-time account links on day 0, day 9 and day 40: the
    /// verification link from signup (7 days) and a reset link (1 hour), each
    /// deleted a week after it expired (2, 1, 0).
    pub links: [usize; 3],
    /// The export's two jobs (produce, expire) on day 0 and day 40: deleted 30
    /// days after they were done (2, 0).
    pub export_jobs: [usize; 2],
    /// The reset mail's throttle marker on day 40 and day 91 (kept, deleted).
    pub throttle_marker: [bool; 2],
    /// A marker that is not short-lived, on day 91 (kept).
    pub lasting_marker: bool,
    /// What each day's run deleted, summed: account links, jobs (the
    /// export's two and the three mails' — verification, reset, export ready),
    /// markers, and the outbox's records of those three mails (30 days after sending).
    pub deleted: (u64, u64, u64, u64),
}

/// One tenant leaves expired links, finished jobs and markers behind; the
/// clock jumps to day 9, 40 and 91 and the daily work runs each time.
pub async fn housekeeping(h: &Harness, slug: &str) -> Result<Housekeeping, HarnessError> {
    use tenantry_domain::job::JobKind;
    use tenantry_ports::services::account::ResetRequest;
    use tenantry_ports::store::Access;
    let t = h.signup(slug).await?;
    let owner = h.owner_scope(&t).await?;
    let request = ResetRequest { tenant: t.slug.clone(), email: t.owner_email.clone() };
    h.tenantry.request_password_reset(request).await.map_err(err)?;
    let throttle = format!("mail:password_reset:{}:{}", t.owner_id, h.clock_now().timestamp().div_euclid(60));
    let lasting = "provider:ended:sub_housekeeping";
    let mut tx = h.tenantry.deps().store.begin(&owner, Access::Write).await.map_err(err)?;
    tx.mark(lasting, h.clock_now()).await.map_err(err)?;
    tx.commit().await.map_err(err)?;
    let export = h.tenantry.request_export(&owner).await.map_err(err)?.export.id;
    h.tenantry.run_due_jobs(10).await.map_err(err)?;
    let kinds = [JobKind::Export(export), JobKind::ExpireExport(export)];
    let look = || async {
        let mut tx = h.tenantry.deps().store.begin(&owner, Access::Read).await.map_err(err)?;
        let rows = tx.dump_rows().await.map_err(err)?;
        let links = rows
            .tables
            .iter()
            .filter(|t| t.table == "resets" || t.table == "tenantry.account_links")
            .map(|t| t.rows.len())
            .sum::<usize>();
        let mut jobs = 0;
        for kind in &kinds {
            jobs += tx.jobs_of_kind(kind).await.map_err(err)?.len();
        }
        let markers = (tx.is_marked(&throttle).await.map_err(err)?, tx.is_marked(lasting).await.map_err(err)?);
        Ok::<_, HarnessError>((links, jobs, markers))
    };
    let mut deleted = (0, 0, 0, 0);
    let run = |days: i64| {
        h.clock.advance(chrono::Duration::days(days));
        async {
            h.tenantry.run_due_jobs(10).await.map_err(err)?;
            let r = h.tenantry.run_daily_work().await.map_err(err)?;
            Ok::<_, HarnessError>(r.housekept)
        }
    };
    let day0 = look().await?;
    let mut add = |k: tenantry_ports::directory::Housekept| {
        deleted = (deleted.0 + k.account_links, deleted.1 + k.jobs, deleted.2 + k.markers, deleted.3 + k.mails);
    };
    add(run(9).await?);
    let day9 = look().await?;
    add(run(31).await?);
    let day40 = look().await?;
    add(run(51).await?);
    let day91 = look().await?;
    Ok(Housekeeping {
        links: [day0.0, day9.0, day40.0],
        export_jobs: [day0.1, day40.1],
        throttle_marker: [day40.2.0, day91.2.0],
        lasting_marker: day91.2.1,
        deleted,
    })
}

/// Two schedulers racing on the timers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerRace {
    /// Timers jobs made by both (one per tenant).
    pub enqueued: u32,
    /// Timers jobs done by both (one per tenant).
    pub done: usize,
    /// Trial reminders mailed, in all (one per tenant).
    pub reminders: usize,
}

/// `tenants` tenants reach day 11 of their trial at once (the clock jumps, no
/// tick); two schedulers run the due timers at the same moment on a
/// multi-threaded runtime: each tenant gets one timers job, run once, and one
/// reminder.
pub async fn timer_race(h: &Harness, prefix: &str, tenants: usize) -> Result<TimerRace, HarnessError> {
    use tenantry_ports::system::Message;
    for i in 0..tenants {
        h.signup(&format!("{prefix}{i}")).await?;
    }
    h.clock.advance(chrono::Duration::days(11));
    let (a, b) = (h.tenantry.clone(), h.tenantry.clone());
    let first = tokio::spawn(async move { a.run_due_timers(1_000).await });
    let second = tokio::spawn(async move { b.run_due_timers(1_000).await });
    let mut race = TimerRace { enqueued: 0, done: 0, reminders: 0 };
    for handle in [first, second] {
        let report = handle.await.map_err(err)?.map_err(err)?;
        race.enqueued += report.enqueued;
        race.done += report.timers_done();
    }
    race.reminders = h.mailer.sent().iter().filter(|m| matches!(m.message, Message::TrialReminder { .. })).count();
    Ok(race)
}

/// What racing superuser logins ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuperuserRace {
    /// Wrong passwords answered `invalid_credentials` (all of them).
    pub wrong_refused: usize,
    /// Whether the right password was refused afterwards (the account locked).
    pub right_refused_after: bool,
    /// Failures the store counted.
    pub failures_counted: u32,
    /// Whether the account is locked.
    pub locked: bool,
    /// In how many rounds a logout racing wrong passwords left the old token working.
    pub revived_after_logout: usize,
}

/// `wrong` wrong passwords for one superuser at the same moment, on a
/// multi-threaded runtime: each is counted (atomically), so the account
/// locks and the right password is refused after them. Then, on a second
/// superuser, `rounds` rounds of a login, and its logout racing three wrong
/// passwords: the logout must hold (the old token opens nothing) every time.
pub async fn superuser_race(h: &Harness, wrong: usize, rounds: usize) -> Result<SuperuserRace, HarnessError> {
    use secrecy::SecretString;
    use tenantry_ports::services::auth::LoginInput;
    let fail = |e: &dyn std::fmt::Display| HarnessError(e.to_string());
    h.superuser("racer@platform.example.com").await?;
    let attempt = |email: &'static str, password: &'static str| {
        let t = h.tenantry.clone();
        tokio::spawn(async move {
            t.login(LoginInput { tenant: None, email: email.into(), password: SecretString::from(password) }).await
        })
    };
    let handles: Vec<_> =
        (0..wrong).map(|_| attempt("racer@platform.example.com", "not the password at all")).collect();
    let mut wrong_refused = 0;
    for handle in handles {
        if handle.await.map_err(|e| fail(&e))?.is_err_and(|e| e.code() == "invalid_credentials") {
            wrong_refused += 1;
        }
    }
    let right = attempt("racer@platform.example.com", crate::harness::PASSWORD).await.map_err(|e| fail(&e))?;
    let mut ptx = h.tenantry.deps().store.begin_platform().await.map_err(|e| fail(&e))?;
    let email = tenantry_domain::Email::parse("racer@platform.example.com").map_err(|e| fail(&e))?;
    let su = ptx.superuser_by_email(&email).await.map_err(|e| fail(&e))?.ok_or_else(|| fail(&"no superuser"))?;
    drop(ptx);

    h.superuser("leaver@platform.example.com").await?;
    let mut revived = 0;
    for _ in 0..rounds {
        let principal = h
            .tenantry
            .login(LoginInput {
                tenant: None,
                email: "leaver@platform.example.com".into(),
                password: SecretString::from(crate::harness::PASSWORD),
            })
            .await
            .map_err(|e| fail(&e))?
            .principal;
        let t = h.tenantry.clone();
        let leaving = principal;
        let logout = tokio::spawn(async move { t.logout(&leaving).await });
        let guesses: Vec<_> =
            (0..3).map(|_| attempt("leaver@platform.example.com", "a wrong password again")).collect();
        logout.await.map_err(|e| fail(&e))?.map_err(|e| fail(&e))?;
        for g in guesses {
            let _ = g.await.map_err(|e| fail(&e))?;
        }
        if h.tenantry.authorize_platform(&principal).await.is_ok() {
            revived += 1;
        }
    }
    Ok(SuperuserRace {
        wrong_refused,
        right_refused_after: right.is_err(),
        failures_counted: su.throttle.failures,
        locked: su.throttle.locked_at(h.clock_now()).is_some(),
        revived_after_logout: revived,
    })
}

/// What the specified trial (DESIGN.md "Trial start and end", the `required`
/// trial policy) showed at each step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecifiedTrial {
    /// The status signup answered (`pending_payment_method`).
    pub at_signup: tenantry_domain::SubscriptionStatus,
    /// Whether signup answered a setup Checkout.
    pub checkout: bool,
    /// What inviting, listing the users, choosing a plan and a product's own
    /// permission check answered while waiting (all `payment_method_required`).
    pub refused_while_waiting: Vec<&'static str>,
    /// When the waiting signup would be purged (7 days after it).
    pub purge_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Status and trial days left once the Checkout was completed, 12 hours after signup.
    pub after_checkout: (tenantry_domain::SubscriptionStatus, Option<i64>),
    /// Trial reminders the owner had 11 days into the trial (one: 3 days
    /// before its end).
    pub reminders: usize,
    /// The pre-invoice warnings' totals the owner had then (one, for the
    /// first invoice: 4995 cents).
    pub warned: Vec<i64>,
    /// Status and seats after the trial's end, with nothing done.
    pub after_trial: (tenantry_domain::SubscriptionStatus, Option<u32>),
    /// The paid invoices' totals in cents.
    pub paid_invoices: Vec<i64>,
}

/// The specified journey on a harness built with the `required` trial
/// policy: signup waits for its payment method (every use case but the
/// tenant, its subscription and the setup Checkout refused), the Checkout is
/// completed 12 hours later and starts the 14-day trial, the reminder and the
/// pre-invoice warning go out 3 days before its end, and at its end the plan chosen at signup (monthly,
/// 3 seats) is charged with no action: €49.95.
pub async fn specified_trial(h: &Harness, slug: &str) -> Result<SpecifiedTrial, HarnessError> {
    use tenantry_domain::Interval;
    use tenantry_ports::services::auth::SignupPlan;
    let err = |e: &dyn std::fmt::Display| HarnessError(e.to_string());
    let (tenant, done) = h.sign_up(slug, SignupPlan::Standard, Interval::Month).await?;
    let owner = h.owner_scope(&tenant).await?;
    let mut refused = Vec::new();
    let invite = InviteInput { email: format!("ann@{slug}.example.com"), role: "member".into() };
    refused.push(h.tenantry.invite(&owner, invite).await.err().map_or("accepted", |e| e.code()));
    refused.push(h.tenantry.list_users(&owner).await.err().map_or("accepted", |e| e.code()));
    let plan = h
        .tenantry
        .change_plan(
            &owner,
            tenantry_domain::subscription::PlanChoice::Freemium,
            tenantry_domain::subscription::PlanTiming::Now,
            None,
            &tenantry_ports::payment::ReturnPath::from_static("/"),
        )
        .await;
    refused.push(plan.err().map_or("accepted", |e| e.code()));
    let product = h.tenantry.require_permission(&owner, "tenant:read", "product.read").await;
    refused.push(product.err().map_or("accepted", |e| e.code()));
    h.tenantry.get_tenant(&owner).await.map_err(|e| err(&e))?;
    let waiting = h.tenantry.subscription_view(&owner).await.map_err(|e| err(&e))?;

    // Checkout sessions live 24 hours (as Stripe's): completed 12 hours after signup.
    h.advance(chrono::Duration::hours(12)).await;
    let checkout = done.checkout.clone().ok_or_else(|| HarnessError("no Checkout at signup".into()))?;
    h.simulator.complete_checkout(&checkout.id, crate::simulator::TestCard::Succeeds).map_err(|e| err(&e))?;
    h.tick().await;
    let owner = h.owner_scope(&tenant).await?;
    let started = h.tenantry.subscription_view(&owner).await.map_err(|e| err(&e))?;

    h.advance_days(11).await;
    let reminders = h.mailer.count(&tenant.owner_email, "trial_reminder");
    let warned = h
        .mailer
        .sent_to(&tenant.owner_email)
        .iter()
        .filter_map(|m| match &m.message {
            tenantry_ports::system::Message::UpcomingInvoice { total, .. } => Some(total.cents()),
            _ => None,
        })
        .collect();
    h.advance_days(4).await;
    let owner = h.owner_scope(&tenant).await?;
    let after = h.tenantry.subscription_view(&owner).await.map_err(|e| err(&e))?;
    let invoices = h.tenantry.invoices(&owner).await.map_err(|e| err(&e))?;
    Ok(SpecifiedTrial {
        at_signup: done.status,
        checkout: done.checkout.is_some(),
        refused_while_waiting: refused,
        purge_at: waiting.purge_at,
        after_checkout: (started.status, started.trial_days_left),
        reminders,
        warned,
        after_trial: (after.status, after.seats),
        paid_invoices: invoices
            .iter()
            .filter(|i| i.status == tenantry_ports::payment::InvoiceStatus::Paid)
            .map(|i| i.total.cents())
            .collect(),
    })
}

/// What became of a signup that never got its payment method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfinishedSignup {
    /// Whether the owner could still sign in to it on day 6.
    pub there_on_day_6: bool,
    /// Whether it was gone (its slug free, its owner unknown) on day 7.
    pub gone_on_day_7: bool,
    /// Whether the slug could be signed up for again after.
    pub slug_free_again: bool,
}

/// A `required` signup that never completes its Checkout: it waits 7 days,
/// then the scheduler purges it and its slug is free again.
pub async fn unfinished_signup(h: &Harness, slug: &str) -> Result<UnfinishedSignup, HarnessError> {
    use tenantry_domain::Interval;
    use tenantry_ports::services::auth::SignupPlan;
    let (tenant, _) = h.sign_up(slug, SignupPlan::Standard, Interval::Month).await?;
    h.advance_days(6).await;
    let there_on_day_6 = h.login(slug, &tenant.owner_email).await.is_ok();
    h.advance_days(1).await;
    let resolved = h
        .tenantry
        .deps()
        .directory
        .resolve_slug(&tenantry_domain::Slug::parse(slug).map_err(|e| HarnessError(e.to_string()))?)
        .await
        .map_err(|e| HarnessError(e.to_string()))?;
    let gone_on_day_7 = resolved.is_none() && h.login(slug, &tenant.owner_email).await.is_err();
    let slug_free_again = h.sign_up(slug, SignupPlan::Standard, Interval::Month).await.is_ok();
    Ok(UnfinishedSignup { there_on_day_6, gone_on_day_7, slug_free_again })
}
