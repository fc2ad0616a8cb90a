//! The mail outbox's scenarios (issue 20), run on every store: each returns
//! what it saw, and the tests assert it against the rule.

use crate::harness::{Harness, HarnessError};
use std::time::Duration as StdDuration;
use tenantry_domain::job::{JobKind, JobState};
use tenantry_domain::{EntityId, JobId, MailId};
use tenantry_ports::services::account::{ResetConfirmation, ResetRequest};
use tenantry_ports::services::backups::RestoreMode;
use tenantry_ports::services::invitations::InviteInput;
use tenantry_ports::store::Access;
use tenantry_ports::system::{Mail, Message, QueuedMail};

fn fail(e: impl std::fmt::Display) -> HarnessError {
    HarnessError(e.to_string())
}

/// What [`failing_mail`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailingMail {
    /// The superuser's "send a reset link" answered success with the mailer down.
    pub answered_ok: bool,
    /// Attempts the mail job had made when it was listed as failed.
    pub attempts_when_listed: u32,
    /// The delays between its attempts, in seconds (the jobs' backoff).
    pub delays: Vec<i64>,
    /// The failed mail job was listed for the superuser.
    pub listed: bool,
    /// Mails accepted once the superuser retried it with the mailer up.
    pub sent_after_retry: usize,
    /// The link it carried worked (the change stood the whole time).
    pub link_works: bool,
    /// Mails accepted after the retry's job ran again later (none: sent once).
    pub sent_later: usize,
}

impl FailingMail {
    /// What every store must give: answered, five attempts 30 s, 1, 2, 4 min
    /// apart, listed, sent once after the retry, and its link works.
    pub fn expected() -> Self {
        FailingMail {
            answered_ok: true,
            attempts_when_listed: 5,
            delays: vec![30, 60, 120, 240],
            listed: true,
            sent_after_retry: 1,
            link_works: true,
            sent_later: 0,
        }
    }
}

/// The mailer is down when the superuser sends a user a reset link: the
/// request succeeds, the mail's job fails five times with the jobs' backoff
/// and is listed; the superuser retries it once the mailer is up; it is sent
/// once, and its link works.
pub async fn failing_mail(h: &Harness, slug: &str) -> Result<FailingMail, HarnessError> {
    let su = h.superuser(&format!("ops@{slug}.example.com")).await?;
    let t = h.signup(slug).await?;
    let email = format!("forgetful@{slug}.example.com");
    let (user, _) = h.add_user(&t, &email, "member").await?;
    let scope = h.scope(&su, t.id).await?;
    let who = h.tenantry.authorize_platform(&su).await.map_err(fail)?;
    h.mailer.set_failing(true);
    let answered_ok = h.tenantry.admin_password_reset(&scope, user).await.is_ok();
    let mut delays = Vec::new();
    let mut listed = None;
    let mut last_run = h.clock_now();
    for _ in 0..20 {
        let failed = h.tenantry.failed_jobs(&who, 100).await.map_err(fail)?;
        if let Some(job) = failed.into_iter().find(|j| j.tenant_id == t.id && matches!(j.kind, JobKind::Mail(_))) {
            listed = Some(job);
            break;
        }
        // Step a second at a time to the next attempt (the backoff is whole seconds).
        for _ in 0..3600 {
            h.clock.advance(chrono::Duration::seconds(1));
            let report = h.tenantry.run_due_jobs(100).await.map_err(fail)?;
            if report.claimed > 0 {
                delays.push((h.clock_now() - last_run).num_seconds());
                last_run = h.clock_now();
                break;
            }
        }
    }
    let job = listed.ok_or_else(|| HarnessError("the failed mail was never listed".into()))?;
    h.mailer.set_failing(false);
    h.tenantry.retry_job(&scope, job.id).await.map_err(fail)?;
    h.tenantry.run_due_jobs(100).await.map_err(fail)?;
    let sent_after_retry = h.mailer.count(&email, "password_reset");
    let link_works = match h.mailer.reset_token(&email) {
        Some(token) => h
            .tenantry
            .confirm_password_reset(ResetConfirmation {
                token,
                password: secrecy::SecretString::from("a brand new passphrase 42"),
            })
            .await
            .is_ok(),
        None => false,
    };
    h.clock.advance(chrono::Duration::hours(2));
    h.tenantry.run_due_jobs(100).await.map_err(fail)?;
    Ok(FailingMail {
        answered_ok,
        attempts_when_listed: job.attempts,
        delays,
        listed: true,
        sent_after_retry,
        link_works,
        sent_later: h.mailer.count(&email, "password_reset") - sent_after_retry,
    })
}

/// A unit of work writes a mail and its job, then ends without a commit: the
/// runner finds nothing to claim and nothing is sent. The count claimed and sent.
pub async fn rolled_back_mail(h: &Harness, slug: &str) -> Result<(usize, usize), HarnessError> {
    let t = h.signup(slug).await?;
    let scope = h.owner_scope(&t).await?;
    let sent_before = h.mailer.sent().len();
    let now = h.clock_now();
    let id = |n: u128| uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_00f0_0000_0000 | n);
    let mail_id = MailId::from_uuid(id(1)).map_err(fail)?;
    let mut tx = h.tenantry.deps().store.begin(&scope, Access::Write).await.map_err(fail)?;
    let mail = Mail {
        to: tenantry_domain::Email::parse(&t.owner_email).map_err(fail)?,
        tenant: None,
        message: Message::AccountLocked { until: now },
        reader: Default::default(),
    };
    tx.insert_mail(&QueuedMail { id: mail_id, tenant_id: t.id, mail, created_at: now, sent: None })
        .await
        .map_err(fail)?;
    let job =
        tenantry_domain::job::Job::new(JobId::from_uuid(id(2)).map_err(fail)?, t.id, JobKind::Mail(mail_id), now, now);
    tx.insert_job(&job).await.map_err(fail)?;
    drop(tx); // the change failed: rolled back
    h.clock.advance(chrono::Duration::minutes(1));
    let report = h.tenantry.run_due_jobs(100).await.map_err(fail)?;
    Ok((report.claimed, h.mailer.sent().len() - sent_before))
}

/// What [`late_answer`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateAnswer {
    /// The caller stopped waiting (its timeout) while the server had accepted
    /// the mail and not yet answered.
    pub caller_timed_out: bool,
    /// Times the server accepted that mail, after the lease ran out and the
    /// jobs ran again.
    pub accepted: usize,
    /// The mail's job ended done.
    pub job_done: bool,
    /// The outbox recorded the server's answer (`Message-ID`).
    pub recorded: bool,
}

impl LateAnswer {
    /// What every store must give: the caller gave up, the mail went once and is recorded.
    pub fn expected() -> Self {
        LateAnswer { caller_timed_out: true, accepted: 1, job_done: true, recorded: true }
    }
}

/// The mail server accepts a reset mail at once but answers late; the caller
/// (a request with a timeout) stops waiting in between. The send still
/// records the acceptance: after the lease runs out and the runner runs
/// again, the server has accepted it once.
pub async fn late_answer(h: &Harness, slug: &str) -> Result<LateAnswer, HarnessError> {
    let t = h.signup(slug).await?;
    let scope = h.owner_scope(&t).await?;
    h.mailer.set_answer_after(Some(StdDuration::from_millis(300)));
    let request = h.tenantry.request_password_reset(ResetRequest { tenant: slug.into(), email: t.owner_email.clone() });
    let caller_timed_out = tokio::time::timeout(StdDuration::from_millis(50), request).await.is_err();
    h.mailer.set_answer_after(None);
    // The send goes on without its caller, and records the answer.
    tokio::time::sleep(StdDuration::from_millis(800)).await;
    h.clock.advance(chrono::Duration::minutes(10));
    h.tenantry.run_due_jobs(100).await.map_err(fail)?;
    let ids: Vec<MailId> = h.mailer.accepted_ids();
    let Some(last) = ids.last().copied() else { return Err(HarnessError("nothing was accepted".into())) };
    let accepted = ids.iter().filter(|i| **i == last).count();
    let mut tx = h.tenantry.deps().store.begin(&scope, Access::Read).await.map_err(fail)?;
    let recorded = tx.queued_mail(last).await.map_err(fail)?.is_some_and(|m| m.sent.is_some());
    let job_done = tx
        .jobs_of_kind(&JobKind::Mail(last))
        .await
        .map_err(fail)?
        .iter()
        .all(|j| matches!(j.state, JobState::Done { .. }));
    Ok(LateAnswer { caller_timed_out, accepted, job_done, recorded })
}

/// What [`erased_and_voided`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasedAndVoided {
    /// Reset mails that reached an erased person (queued before the erasure).
    pub sent_to_erased: usize,
    /// Mail jobs left failed in the tenant.
    pub failed_mail_jobs: usize,
    /// Unsent mails a restore deleted.
    pub mails_voided: u64,
    /// Invitation mails of the archive sent after the restore.
    pub sent_after_restore: usize,
}

impl ErasedAndVoided {
    /// What every store must give: nothing reaches the erased or the voided, no job is left failed.
    pub fn expected() -> Self {
        ErasedAndVoided { sent_to_erased: 0, failed_mail_jobs: 0, mails_voided: 1, sent_after_restore: 0 }
    }
}

/// The mailer is down: a reset mail to a member waits in the outbox, and the
/// member is erased — the mail goes with them; an invitation mail waits, the
/// tenant is backed up, and the backup restored — the archive's unsent mail is
/// void. The mailer comes back: neither is ever sent, and no job is left failed.
pub async fn erased_and_voided(h: &Harness, slug: &str) -> Result<ErasedAndVoided, HarnessError> {
    let su = h.superuser(&format!("ops@{slug}.example.com")).await?;
    let t = h.signup(slug).await?;
    let owner = h.owner_scope(&t).await?;
    let leaver = format!("leaver@{slug}.example.com");
    let (leaver_id, _) = h.add_user(&t, &leaver, "member").await?;
    let scope = h.scope(&su, t.id).await?;
    h.mailer.set_failing(true);
    h.tenantry.admin_password_reset(&scope, leaver_id).await.map_err(fail)?;
    h.tenantry.erase_user(&owner, leaver_id).await.map_err(fail)?;
    let late = format!("late@{slug}.example.com");
    h.tenantry.invite(&owner, InviteInput { email: late.clone(), role: "member".into() }).await.map_err(fail)?;
    let archive = h.tenantry.backup_tenant(&scope).await.map_err(fail)?.archive;
    let who = h.tenantry.authorize_platform(&su).await.map_err(fail)?;
    let restored = h.tenantry.restore_tenant(&who, t.id, &archive, RestoreMode::SameId).await.map_err(fail)?;
    h.mailer.set_failing(false);
    for _ in 0..8 {
        h.clock.advance(chrono::Duration::hours(1));
        h.tenantry.run_due_jobs(100).await.map_err(fail)?;
    }
    let failed = h.tenantry.failed_jobs(&who, 100).await.map_err(fail)?;
    Ok(ErasedAndVoided {
        sent_to_erased: h.mailer.count(&leaver, "password_reset"),
        failed_mail_jobs: failed.iter().filter(|j| j.tenant_id == t.id && matches!(j.kind, JobKind::Mail(_))).count(),
        mails_voided: restored.credentials.mails_voided,
        sent_after_restore: h.mailer.count(&late, "invitation"),
    })
}

/// What [`broadcast`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broadcast {
    /// The preview's count of recipients, and of tenants.
    pub previewed: (u64, u64),
    /// The send's count of recipients, and of tenants.
    pub queued: (u64, u64),
    /// The same send again with the preview's key: recipients queued, tenants skipped.
    pub sent_again: (u64, u64),
    /// Jobs claimed in the first minute (the throttle lets 120 fall due a minute).
    pub claimed_in_first_run: usize,
    /// Who got the first broadcast (the part before `@`, with the tenant's slug).
    pub reached: Vec<String>,
    /// A token of tenant A with tenant B's user spliced in was refused.
    pub spliced_token_refused: bool,
    /// B's person was still opted in after A's person used their link.
    pub other_tenant_unchanged: bool,
    /// Who got the second broadcast (A's person unsubscribed by link).
    pub reached_again: Vec<String>,
}

impl Broadcast {
    /// What [`broadcast`] must see for `slug`: three recipients in two
    /// tenants, one due at once (the rest within the throttle's next second).
    pub fn expected(slug: &str) -> Self {
        Broadcast {
            previewed: (3, 2),
            queued: (3, 2),
            sent_again: (0, 2),
            claimed_in_first_run: 1,
            reached: vec![format!("keen@{slug}a"), format!("keen@{slug}b"), format!("owner@{slug}a")],
            spliced_token_refused: true,
            other_tenant_unchanged: true,
            reached_again: vec![format!("keen@{slug}b"), format!("owner@{slug}a")],
        }
    }
}

/// Three tenants: `{slug}a` and `{slug}b` allow product updates, `{slug}c`
/// does not. In A the owner and one member opt in, another member does not,
/// and one who opted in is deactivated; in B and C one member each opts in.
/// The superuser previews and sends a broadcast: it reaches exactly A's owner
/// and member and B's member. A's member's link, spliced with B's member's
/// id, is refused; used as mailed, it unsubscribes A's member only. A second
/// broadcast reaches A's owner and B's member.
pub async fn broadcast(h: &Harness, slug: &str) -> Result<Broadcast, HarnessError> {
    use tenantry_ports::services::notifications::{BroadcastDraft, MailPrefsPatch};
    use tenantry_ports::services::tenant::SettingsInput;
    let su = h.superuser(&format!("ops@{slug}.example.com")).await?;
    let who = h.tenantry.authorize_platform(&su).await.map_err(fail)?;
    let opt_in = MailPrefsPatch { product_updates: Some(true), ..MailPrefsPatch::default() };
    let mut ids = std::collections::BTreeMap::new();
    for (suffix, allows) in [("a", true), ("b", true), ("c", false)] {
        let t = h.signup(&format!("{slug}{suffix}")).await?;
        let owner = h.owner_scope(&t).await?;
        if allows {
            let prefs = tenantry_domain::tenant::NotificationPrefs { product_updates: true, ..Default::default() };
            let input = SettingsInput { notifications: Some(prefs), ..SettingsInput::default() };
            h.tenantry.update_tenant(&owner, input).await.map_err(fail)?;
        }
        let members: &[&str] = if suffix == "a" { &["keen", "quiet", "leaver"] } else { &["keen"] };
        for m in members {
            let email = format!("{m}@{slug}{suffix}.example.com");
            let (user, principal) = h.add_user(&t, &email, "member").await?;
            ids.insert(format!("{m}@{slug}{suffix}"), (t.id, user));
            if *m != "quiet" {
                let scope = h.scope(&principal, t.id).await?;
                h.tenantry.set_my_mail_prefs(&scope, opt_in).await.map_err(fail)?;
            }
        }
        if suffix == "a" {
            h.tenantry.set_my_mail_prefs(&owner, opt_in).await.map_err(fail)?;
            let (_, leaver) = ids[&format!("leaver@{slug}a")];
            h.tenantry.deactivate_user(&owner, leaver).await.map_err(fail)?;
        }
    }
    let draft = BroadcastDraft { subject: "What is new".into(), body: "First paragraph.\n\nSecond.".into(), key: None };
    let preview = h.tenantry.preview_broadcast(&who, &draft).await.map_err(fail)?;
    let before = h.mailer.sent().len();
    let keyed = BroadcastDraft { key: Some(preview.key.clone()), ..draft.clone() };
    let sent = h.tenantry.send_broadcast(&who, &keyed).await.map_err(fail)?;
    // Sent again with its key (a second click, a retry): nothing is queued twice.
    let again = h.tenantry.send_broadcast(&who, &keyed).await.map_err(fail)?;
    let first = h.tenantry.run_due_jobs(100).await.map_err(fail)?;
    let deliver = |from: usize| async move {
        for _ in 0..5 {
            h.clock.advance(chrono::Duration::minutes(1));
            h.tenantry.run_due_jobs(100).await.map_err(fail)?;
        }
        let got: Vec<(String, SecretOf)> = h.mailer.sent()[from..]
            .iter()
            .filter_map(|m| match &m.message {
                Message::ProductUpdate { unsubscribe, .. } => Some((
                    m.to.as_str().trim_end_matches(".example.com").to_owned(),
                    SecretOf(secrecy::ExposeSecret::expose_secret(unsubscribe).to_owned()),
                )),
                _ => None,
            })
            .collect();
        Ok::<_, HarnessError>(got)
    };
    let got = deliver(before).await?;
    let mut reached: Vec<String> = got.iter().map(|(to, _)| to.clone()).collect();
    reached.sort();
    let token_of = |who: &str| got.iter().find(|(to, _)| to == who).map(|(_, t)| t.0.clone());
    let a_token = token_of(&format!("keen@{slug}a")).ok_or_else(|| HarnessError("A's member got no mail".into()))?;
    let b_token = token_of(&format!("keen@{slug}b")).ok_or_else(|| HarnessError("B's member got no mail".into()))?;
    // A's tag over B's ids (u1.<ids>.<tag>).
    let spliced = format!(
        "{}.{}",
        b_token.rsplit_once('.').map_or("", |(ids, _)| ids),
        a_token.rsplit_once('.').map_or("", |(_, tag)| tag)
    );
    let spliced_token_refused = h.tenantry.unsubscribe(&spliced).await.is_err();
    h.tenantry.unsubscribe(&a_token).await.map_err(fail)?;
    let (b_tenant, b_user) = ids[&format!("keen@{slug}b")];
    let other_tenant_unchanged = {
        let scope = h.scope(&su, b_tenant).await?;
        let mut tx = h.tenantry.deps().store.begin(&scope, Access::Read).await.map_err(fail)?;
        tx.user(b_user).await.map_err(fail)?.is_some_and(|u| u.mail_prefs().product_updates)
    };
    let before = h.mailer.sent().len();
    h.tenantry.send_broadcast(&who, &draft).await.map_err(fail)?;
    let mut reached_again: Vec<String> = deliver(before).await?.into_iter().map(|(to, _)| to).collect();
    reached_again.sort();
    Ok(Broadcast {
        previewed: (preview.recipients, preview.tenants),
        queued: (sent.recipients, sent.tenants),
        sent_again: (again.recipients, again.tenants_already_done),
        claimed_in_first_run: first.claimed,
        reached,
        spliced_token_refused,
        other_tenant_unchanged,
        reached_again,
    })
}

/// A token read from a mail (kept out of Debug output).
struct SecretOf(String);
