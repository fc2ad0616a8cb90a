//! A complete tenantry on test adapters: [`Tenantry`] over a store (in memory
//! by default, or any adapter under test), the billing simulator, a fake clock,
//! sequential ids, predictable secrets, a fast hasher and a recording mailer —
//! with helpers that take the front door (signup, invitation, login,
//! authorise) and a [`Harness::tick`] that moves the provider's timeline and
//! the timers the way the embedded default's scheduler does.

use crate::fakes::{FakeClock, InsecureFastHasher, PredictableTokens, RecordingMailer, SequentialIds};
use crate::memory::MemoryStore;
use crate::simulator::{BillingSimulator, TestCard, run_timeline};
use chrono::{DateTime, Duration, TimeZone, Utc};
use secrecy::SecretString;
use std::sync::Arc;
use tenantry_domain::settings::{PaymentMethodAtSignup, PlatformSettings, TrialSettings};
use tenantry_domain::subscription::{PlanChoice, PlanTiming};
use tenantry_domain::{Interval, PlanCatalog, Policy, TenantId, UserId};
use tenantry_ports::backup::BackupKey;
use tenantry_ports::payment::PaymentProvider;
use tenantry_ports::services::auth::{LoginInput, NewSuperuser, SignedUp, SignupInput, SignupPlan};
use tenantry_ports::services::invitations::{AcceptInput, InviteInput};
use tenantry_ports::services::scheduler::Tick;
use tenantry_ports::store::OperatorStore;
use tenantry_ports::system::IdGenerator;
use tenantry_ports::system::PasswordHasher;
use tenantry_ports::{Clock, Deps, Principal, TenantDirectory, TenantScope, Tenantry, TenantryConfig, UnitOfWork};

/// The password every harness user gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// The start of every harness clock: 2026-11-01T00:00:00Z.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().unwrap_or(DateTime::UNIX_EPOCH)
}

/// A signed-up tenant as a test holds it.
#[derive(Clone, Debug)]
pub struct TestTenant {
    /// Its id.
    pub id: TenantId,
    /// Its slug.
    pub slug: String,
    /// The owner's principal.
    pub owner: Principal,
    /// The owner's id.
    pub owner_id: UserId,
    /// The owner's email.
    pub owner_email: String,
}

/// The stores a harness runs on: the units of work, the named paths and the
/// operator's (creating superusers).
#[derive(Clone)]
pub struct Stores {
    /// Units of work.
    pub store: Arc<dyn UnitOfWork>,
    /// The named cross-tenant paths.
    pub directory: Arc<dyn TenantDirectory>,
    /// Creating superusers.
    pub operator: Arc<dyn OperatorStore>,
    /// The bytes of tenants' files.
    pub files: Arc<dyn tenantry_ports::files::FileStore>,
}

impl Stores {
    /// `store` (its units of work and named paths) with `operator`.
    pub fn of<S>(store: S, operator: Arc<dyn OperatorStore>) -> Self
    where
        S: UnitOfWork + TenantDirectory + tenantry_ports::files::FileStore + Clone + 'static,
    {
        Self { store: Arc::new(store.clone()), files: Arc::new(store.clone()), directory: Arc::new(store), operator }
    }

    /// A memory store for all three.
    pub fn memory(memory: &MemoryStore) -> Self {
        Self::of(memory.clone(), Arc::new(memory.clone()))
    }
}

type MakeStores<'a> = Box<dyn FnOnce(Arc<dyn Clock>) -> Stores + 'a>;

/// Options of a harness.
pub struct HarnessBuilder<'a> {
    start: DateTime<Utc>,
    catalog: PlanCatalog,
    policy: Policy,
    hasher: Option<Arc<dyn PasswordHasher>>,
    stores: Option<MakeStores<'a>>,
    payments: Option<Arc<dyn PaymentProvider>>,
    ids: Option<Arc<dyn IdGenerator>>,
    clock: Option<FakeClock>,
    backup_key: Option<BackupKey>,
    superuser_mfa: bool,
    mail_delivery: tenantry_ports::services::outbox::MailDelivery,
    payment_method_at_signup: PaymentMethodAtSignup,
}

/// The TOTP secret the harness gives superuser `email` when two-factor
/// authentication is required (derived from the address, so a test can play
/// the device).
pub fn superuser_totp(email: &str) -> tenantry_domain::mfa::TotpSecret {
    use sha2::Digest;
    let digest = sha2::Sha256::new().chain_update(b"tenantry-test-totp\0").chain_update(email.as_bytes()).finalize();
    let mut bytes = [0u8; 20];
    bytes.copy_from_slice(&digest[..20]);
    tenantry_domain::mfa::TotpSecret::from_bytes(bytes)
}

/// Raises the anonymous endpoints' throttles (a platform setting) as far as
/// they go, written straight to the platform's store — for test suites whose
/// every request comes from one address.
pub async fn raise_anonymous_limits(tenantry: &Tenantry) -> Result<(), HarnessError> {
    use tenantry_domain::settings::{BUCKET_CEILING, Bucket};
    let mut ptx = tenantry.deps().store.begin_platform().await.map_err(fail)?;
    let mut settings =
        ptx.settings().await.map_err(fail)?.unwrap_or_else(|| tenantry.config().initial_settings.clone());
    let most = Bucket { burst: BUCKET_CEILING, per_minute: BUCKET_CEILING };
    settings.anonymous_limits.per_address = most;
    settings.anonymous_limits.per_account = most;
    settings.anonymous_limits.cross_tenant = most;
    ptx.save_settings(&settings).await.map_err(fail)?;
    ptx.commit().await.map_err(fail)?;
    tenantry.forget_settings();
    Ok(())
}

/// The backup key every harness seals its backups with (unless told otherwise).
pub fn test_backup_key() -> BackupKey {
    BackupKey::from_bytes([0x42; 32])
}

impl<'a> HarnessBuilder<'a> {
    /// A clock shared with an adapter under test (replaces `start`).
    pub fn clock(mut self, clock: FakeClock) -> Self {
        self.clock = Some(clock);
        self
    }
    /// The clock's start.
    pub fn start(mut self, at: DateTime<Utc>) -> Self {
        self.start = at;
        self
    }
    /// A plan catalog.
    pub fn catalog(mut self, catalog: PlanCatalog) -> Self {
        self.catalog = catalog;
        self
    }
    /// A permission policy (with product permissions).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }
    /// A password hasher (the default is the fast, insecure one).
    pub fn hasher(mut self, hasher: Arc<dyn PasswordHasher>) -> Self {
        self.hasher = Some(hasher);
        self
    }
    /// Other stores (an adapter under test) instead of memory, made for the
    /// harness's clock: the store's named paths and platform writes must see
    /// the time the test sets (PostgreSQL's `TestDatabase::follow`, or
    /// `MemoryStore::with_clock`).
    pub fn stores<'b>(self, make: impl FnOnce(Arc<dyn Clock>) -> Stores + 'b) -> HarnessBuilder<'b>
    where
        'a: 'b,
    {
        HarnessBuilder {
            start: self.start,
            catalog: self.catalog,
            policy: self.policy,
            hasher: self.hasher,
            stores: Some(Box::new(make)),
            payments: self.payments,
            ids: self.ids,
            clock: self.clock,
            backup_key: self.backup_key,
            superuser_mfa: self.superuser_mfa,
            mail_delivery: self.mail_delivery,
            payment_method_at_signup: self.payment_method_at_signup,
        }
    }
    /// Superusers must have two-factor authentication (as on PostgreSQL in
    /// production): [`Harness::superuser`] then creates them with
    /// [`superuser_totp`]'s secret and logs in with its codes.
    pub fn superuser_mfa(mut self, required: bool) -> Self {
        self.superuser_mfa = required;
        self
    }
    /// Another payment provider (a mock, or an adapter under test) instead of
    /// the simulator (which then only serves the harness's helpers).
    pub fn payments(mut self, payments: Arc<dyn PaymentProvider>) -> Self {
        self.payments = Some(payments);
        self
    }
    /// Another id generator (shared between harnesses on one database, so ids never collide).
    pub fn ids(mut self, ids: Arc<dyn IdGenerator>) -> Self {
        self.ids = Some(ids);
        self
    }
    /// Another backup key (`None`: backups not configured).
    pub fn backup_key(mut self, key: Option<BackupKey>) -> Self {
        self.backup_key = key;
        self
    }
    /// When queued mails are first tried (default: awaited after the commit,
    /// so a test reads its mail when the use case returns).
    pub fn mail_delivery(mut self, delivery: tenantry_ports::services::outbox::MailDelivery) -> Self {
        self.mail_delivery = delivery;
        self
    }
    /// The trial policy's `payment_method_at_signup` until a test saves other
    /// settings. The harness's default is `optional` (cardless trials, so a
    /// signed-up tenant can act at once); DESIGN.md's and the binary's is
    /// `required`, which the tests of that flow ask for here.
    pub fn payment_method_at_signup(mut self, policy: PaymentMethodAtSignup) -> Self {
        self.payment_method_at_signup = policy;
        self
    }
    /// Builds the harness.
    pub fn build(self) -> Harness {
        let clock = self.clock.unwrap_or_else(|| FakeClock::at(self.start));
        let simulator = BillingSimulator::new(Arc::new(clock.clone()), self.catalog.clone());
        let mailer = RecordingMailer::new();
        let memory = MemoryStore::with_clock(Arc::new(clock.clone()));
        let stores = match self.stores {
            Some(make) => make(Arc::new(clock.clone())),
            None => Stores::memory(&memory),
        };
        let deps = Deps {
            store: stores.store,
            directory: stores.directory,
            payments: self.payments.unwrap_or_else(|| Arc::new(simulator.clone())),
            clock: Arc::new(clock.clone()),
            ids: self.ids.unwrap_or_else(|| Arc::new(SequentialIds::default())),
            tokens: Arc::new(PredictableTokens::default()),
            hasher: self.hasher.unwrap_or_else(|| Arc::new(InsecureFastHasher)),
            mailer: Arc::new(mailer.clone()),
            files: stores.files,
        };
        let config = TenantryConfig {
            catalog: self.catalog,
            policy: self.policy,
            backup_key: self.backup_key,
            superuser_mfa_required: self.superuser_mfa,
            mail_delivery: self.mail_delivery,
            initial_settings: PlatformSettings {
                trial: TrialSettings {
                    payment_method_at_signup: self.payment_method_at_signup,
                    ..TrialSettings::default()
                },
                ..PlatformSettings::default()
            },
            ..TenantryConfig::default()
        };
        Harness {
            tenantry: Tenantry::new(deps, config),
            clock,
            simulator,
            mailer,
            memory,
            operator: stores.operator,
            totp_steps: Default::default(),
        }
    }
}

/// A complete tenantry on test adapters.
#[derive(Clone)]
pub struct Harness {
    /// The services.
    pub tenantry: Tenantry,
    /// The clock.
    pub clock: FakeClock,
    /// The payment provider.
    pub simulator: BillingSimulator,
    /// The mailer.
    pub mailer: RecordingMailer,
    /// The in-memory store (unused when another store was given).
    pub memory: MemoryStore,
    /// Creates superusers (the store under test's operator).
    pub operator: Arc<dyn OperatorStore>,
    /// The last TOTP step each superuser logged in with (see [`Harness::next_superuser_code`]).
    totp_steps: Arc<std::sync::Mutex<std::collections::HashMap<String, i64>>>,
}

/// Why a harness helper failed (a test failure, with the use case's message).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HarnessError(pub String);

fn fail(e: impl std::fmt::Display) -> HarnessError {
    HarnessError(e.to_string())
}

impl Harness {
    /// Options, starting from the DESIGN.md defaults on 2026-11-01 in memory.
    pub fn builder() -> HarnessBuilder<'static> {
        HarnessBuilder {
            start: epoch(),
            catalog: PlanCatalog::default(),
            policy: Policy::standard(),
            hasher: None,
            stores: None,
            payments: None,
            ids: None,
            clock: None,
            backup_key: Some(test_backup_key()),
            superuser_mfa: false,
            mail_delivery: Default::default(),
            payment_method_at_signup: PaymentMethodAtSignup::Optional,
        }
    }

    /// The default harness.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Signs a tenant up through the front door (the standard plan, monthly;
    /// under the harness's trial policy).
    pub async fn signup(&self, slug: &str) -> Result<TestTenant, HarnessError> {
        Ok(self.sign_up(slug, SignupPlan::Standard, Interval::Month).await?.0)
    }

    /// Signs a tenant up for `plan` and `interval`, with the whole answer
    /// (its status, and the setup Checkout under the `required` trial policy).
    pub async fn sign_up(
        &self,
        slug: &str,
        plan: SignupPlan,
        interval: Interval,
    ) -> Result<(TestTenant, SignedUp), HarnessError> {
        let owner_email = format!("owner@{slug}.example.com");
        let done = self
            .tenantry
            .signup(SignupInput {
                company_name: format!("{slug} Ltd"),
                slug: slug.to_owned(),
                email: owner_email.clone(),
                password: SecretString::from(PASSWORD),
                name: format!("Owner of {slug}"),
                plan,
                interval,
                promotion_code: None,
                language: None,
            })
            .await
            .map_err(fail)?;
        let tenant = TestTenant {
            id: done.tenant.id,
            slug: done.tenant.slug.to_string(),
            owner: done.principal,
            owner_id: done.user.id,
            owner_email,
        };
        Ok((tenant, done))
    }

    /// Authorises a principal for a tenant.
    pub async fn scope(&self, principal: &Principal, tenant: TenantId) -> Result<TenantScope, HarnessError> {
        self.tenantry.authorize(principal, tenant).await.map_err(fail)
    }

    /// The owner's scope — in the owner's first session while it holds, else
    /// (a test moved the clock past its idle limit, or ended it) in a new login,
    /// as the owner would log in again.
    pub async fn owner_scope(&self, tenant: &TestTenant) -> Result<TenantScope, HarnessError> {
        match self.tenantry.authorize(&tenant.owner, tenant.id).await {
            Err(tenantry_ports::services::auth::AuthorizeError::Unauthenticated) => {
                let again = self.login(&tenant.slug, &tenant.owner_email).await?;
                self.scope(&again, tenant.id).await
            }
            other => other.map_err(fail),
        }
    }

    /// Invites `email` with `role` as the owner, and accepts the mailed link.
    pub async fn add_user(
        &self,
        tenant: &TestTenant,
        email: &str,
        role: &str,
    ) -> Result<(UserId, Principal), HarnessError> {
        let scope = self.owner_scope(tenant).await?;
        self.tenantry
            .invite(&scope, InviteInput { email: email.to_owned(), role: role.to_owned() })
            .await
            .map_err(fail)?;
        self.accept(email).await
    }

    /// Accepts the newest invitation mailed to `email`.
    pub async fn accept(&self, email: &str) -> Result<(UserId, Principal), HarnessError> {
        let token = self
            .mailer
            .invitation_token(email)
            .ok_or_else(|| HarnessError(format!("no invitation mailed to {email}")))?;
        let done = self
            .tenantry
            .accept_invitation(AcceptInput {
                token,
                name: format!("User {email}"),
                password: SecretString::from(PASSWORD),
            })
            .await
            .map_err(fail)?;
        Ok((done.user.id, done.principal))
    }

    /// Logs in with the harness password.
    pub async fn login(&self, slug: &str, email: &str) -> Result<Principal, HarnessError> {
        let done = self
            .tenantry
            .login(LoginInput {
                tenant: Some(slug.to_owned()),
                email: email.to_owned(),
                password: SecretString::from(PASSWORD),
            })
            .await
            .map_err(fail)?;
        Ok(done.principal)
    }

    /// Creates and logs in a superuser (with two-factor authentication, by
    /// [`superuser_totp`]'s secret, when the harness requires it).
    pub async fn superuser(&self, email: &str) -> Result<Principal, HarnessError> {
        let mfa = self.tenantry.config().superuser_mfa_required;
        let input = NewSuperuser {
            email: email.to_owned(),
            name: "Operator".into(),
            password: SecretString::from(PASSWORD),
            totp_secret: mfa.then(|| superuser_totp(email)),
        };
        self.tenantry.create_superuser(self.operator.as_ref(), input).await.map_err(fail)?;
        self.superuser_login(email).await
    }

    /// Logs a superuser created by [`Harness::superuser`] in again (a new
    /// session), with a code of their device when they have a second factor:
    /// up to three logins per 30-second step (the previous, current and next
    /// step's codes each work once).
    pub async fn superuser_login(&self, email: &str) -> Result<Principal, HarnessError> {
        let done = self
            .tenantry
            .login(LoginInput { tenant: None, email: email.to_owned(), password: SecretString::from(PASSWORD) })
            .await
            .map_err(fail)?;
        if !done.mfa_required {
            return Ok(done.principal);
        }
        let code = self.next_superuser_code(email)?;
        let code = secrecy::ExposeSecret::expose_secret(&code).to_owned();
        let done = self.tenantry.complete_mfa_login(&done.principal, &code).await.map_err(fail)?;
        Ok(done.principal)
    }

    /// The next unused code of superuser `email`'s device at the harness's now.
    pub fn next_superuser_code(&self, email: &str) -> Result<SecretString, HarnessError> {
        let step_seconds = i64::try_from(tenantry_domain::mfa::Totp::STEP_SECONDS).unwrap_or(30);
        let now = self.clock_now().timestamp() / step_seconds;
        let mut used = self.totp_steps.lock().unwrap_or_else(|p| p.into_inner());
        let step = used.get(email).map_or(now - 1, |last| (last + 1).max(now - 1));
        if step > now + 1 {
            return Err(HarnessError(format!("{email} logged in three times in one 30-second step; move the clock")));
        }
        used.insert(email.to_owned(), step);
        let at = DateTime::from_timestamp(step * step_seconds, 0)
            .ok_or_else(|| HarnessError("the clock is out of range".into()))?;
        tenantry_domain::mfa::code_at(&superuser_totp(email), at)
            .ok_or_else(|| HarnessError("the clock is before 1970".into()))
    }

    /// Signs a tenant up, gives it a working card and buys the monthly paid plan
    /// with `seats` seats (at least the 3 included), then lets the provider's
    /// events arrive.
    pub async fn paid_tenant(&self, slug: &str, seats: i64) -> Result<TestTenant, HarnessError> {
        let tenant = self.signup(slug).await?;
        self.add_card(tenant.id, TestCard::Succeeds).await?;
        let owner = self.owner_scope(&tenant).await?;
        self.tenantry
            .change_plan(
                &owner,
                PlanChoice::Standard(Interval::Month),
                PlanTiming::Now,
                None,
                &tenantry_ports::payment::ReturnPath::from_static("/"),
            )
            .await
            .map_err(fail)?;
        if seats > 3 {
            self.tenantry.change_seats(&owner, seats, None).await.map_err(fail)?;
        }
        self.tick().await;
        Ok(tenant)
    }

    /// Gives the tenant's billing customer a test card (like completing Checkout).
    pub async fn add_card(&self, tenant: TenantId, card: TestCard) -> Result<(), HarnessError> {
        let customer = self
            .simulator
            .customer_of(tenant)
            .ok_or_else(|| HarnessError("the tenant has no billing customer".into()))?;
        self.simulator.attach_card(&customer, card).map_err(fail)?;
        self.tick().await;
        Ok(())
    }

    /// Moves the provider's timeline to the clock, applies its events, and runs
    /// the due timers, until nothing more happens (see [`run_timeline`]).
    pub async fn tick(&self) -> Tick {
        run_timeline(&self.tenantry, &self.simulator).await
    }

    /// Moves the clock forward in steps of at most one hour, ticking after each;
    /// returns what all the ticks did.
    pub async fn advance(&self, by: Duration) -> Tick {
        let end = self.clock_now() + by;
        let mut total = Tick::default();
        while self.clock_now() < end {
            let step = (end - self.clock_now()).min(Duration::hours(1));
            self.clock.advance(step);
            total.add(&self.tick().await);
        }
        total
    }

    /// Moves the clock forward by whole days, ticking hourly.
    pub async fn advance_days(&self, days: i64) -> Tick {
        self.advance(Duration::days(days)).await
    }

    /// The clock's time.
    pub fn clock_now(&self) -> DateTime<Utc> {
        use tenantry_ports::Clock;
        self.clock.now()
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}
