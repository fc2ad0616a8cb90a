//! Signup: a new tenant with its owner, its subscription and its billing customer.

use super::sessions::ClientInfo;
use super::views::{TenantView, UserView};
use super::{Tenantry, infra_from_store};
use crate::error::{InfraError, StoreError};
use crate::payment::{HostedSession, ReturnPath};
use crate::scope::{Actor, Principal, TenantScope};
use crate::store::Access;
use secrecy::SecretString;
use tenantry_domain::audit::{AuditTarget, SystemActor};
use tenantry_domain::email::EmailError;
use tenantry_domain::password::PasswordError;
use tenantry_domain::password_reset::LinkPurpose;
use tenantry_domain::preferences::Language;
use tenantry_domain::settings::PaymentMethodAtSignup;
use tenantry_domain::slug::SlugError;
use tenantry_domain::text::{CompanyName, PersonName, TextError};
use tenantry_domain::{
    AuditAction, AuditOutcome, Email, Interval, RoleRef, Slug, Subscription, SubscriptionStatus, Tenant, TenantId, User,
};

/// The plan a tenant signs up for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignupPlan {
    /// The standard plan after a 14-day trial (the trial policy decides
    /// whether a payment method comes first).
    #[default]
    Standard,
    /// Freemium from the start: no trial, no payment method.
    Freemium,
}

/// Input of [`Tenantry::signup`].
#[derive(Debug)]
pub struct SignupInput {
    /// Company name.
    pub company_name: String,
    /// Desired slug.
    pub slug: String,
    /// Owner's email.
    pub email: String,
    /// Owner's password.
    pub password: SecretString,
    /// Owner's name.
    pub name: String,
    /// The plan (standard unless chosen).
    pub plan: SignupPlan,
    /// The standard plan's interval after the trial (monthly unless chosen).
    pub interval: Interval,
    /// A promotion code for the standard plan: checked now (a refusal
    /// creates nothing), redeemed when the payment method is on file.
    pub promotion_code: Option<String>,
    /// The language the signup was made in (the signup page's, or the
    /// request's `Accept-Language`): it becomes the workspace's default
    /// language, so that its pages and mails — the owner's first, the address
    /// confirmation — speak it until someone chooses otherwise (issue 25).
    pub language: Option<Language>,
}

/// Result of a signup: the tenant (in its trial, waiting for its payment
/// method, or on freemium), its owner, and the owner's principal.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignedUp {
    /// The tenant.
    pub tenant: TenantView,
    /// The owner.
    pub user: UserView,
    /// To issue the owner's first access token.
    pub principal: Principal,
    /// The subscription's status: `pending_payment_method` (the `required`
    /// trial policy), `trialing`, or `freemium`.
    pub status: SubscriptionStatus,
    /// Under the `required` trial policy: the setup Checkout that puts the
    /// payment method on file and so starts the trial. `None` otherwise, or
    /// when the provider did not answer (`POST …/billing/checkout` makes one later).
    pub checkout: Option<HostedSession>,
}

/// How a new tenant's subscription starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// The trial at once (a cardless trial, or the superuser's creation).
    Trial,
    /// Waiting for a payment method; the trial starts when it is on file.
    AwaitPaymentMethod(Interval),
    /// Freemium, no trial.
    Freemium,
}

/// Why a signup was refused. Nothing was created.
#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    /// Bad company or person name.
    #[error(transparent)]
    InvalidName(#[from] TextError),
    /// Bad slug.
    #[error(transparent)]
    InvalidSlug(#[from] SlugError),
    /// The slug is taken.
    #[error("the slug `{0}` is taken")]
    SlugTaken(String),
    /// Bad email.
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    /// Password too short or long.
    #[error(transparent)]
    WeakPassword(#[from] PasswordError),
    /// The promotion code was refused.
    #[error(transparent)]
    Promotion(Box<super::promotions::PromotionError>),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
crate::problem!(SignupError {
    SignupError::InvalidName(_) => ("invalid_name", Invalid),
    SignupError::InvalidSlug(_) => ("invalid_slug", Invalid),
    SignupError::SlugTaken(_) => ("slug_taken", Conflict),
    SignupError::InvalidEmail(_) => ("invalid_email", Invalid),
    SignupError::WeakPassword(_) => ("weak_password", Invalid),
    SignupError::Promotion(e) => (via e),
    SignupError::Infra(e) => (via e),
});
infra_from_store!(SignupError);

/// Everything a tenant owner or a superuser gives to create a tenant.
pub(crate) struct NewTenant {
    pub language: Option<Language>,
    pub company: CompanyName,
    pub slug: Slug,
    pub email: Email,
    pub name: PersonName,
    pub password: SecretString,
}

impl Tenantry {
    /// Public signup (`POST /v1/signup`): creates the tenant in its 14-day trial
    /// with the caller as owner, logged in by an API session.
    pub async fn signup(&self, input: SignupInput) -> Result<SignedUp, SignupError> {
        self.signup_from(input, &ClientInfo::api()).await
    }

    /// [`Tenantry::signup`] from `client`: the owner's first session is of its kind.
    pub async fn signup_from(&self, input: SignupInput, client: &ClientInfo) -> Result<SignedUp, SignupError> {
        let new = NewTenant {
            language: input.language,
            company: CompanyName::parse(&input.company_name)?,
            slug: Slug::parse(&input.slug)?,
            email: Email::parse(&input.email)?,
            name: PersonName::parse(&input.name)?,
            password: input.password,
        };
        self.check_new_password(&new.password).await??;
        let code = match (&input.promotion_code, input.plan) {
            (None, _) => None,
            (Some(_), SignupPlan::Freemium) => {
                return Err(SignupError::Promotion(Box::new(super::promotions::PromotionError::NothingToDiscount)));
            }
            (Some(code), SignupPlan::Standard) => {
                let trial_end = tenantry_domain::time::saturating_add(
                    self.now(),
                    chrono::Duration::days(i64::from(self.catalog().trial_days)),
                );
                let (promo, _, _) =
                    self.checked_code(code, false, trial_end).await.map_err(|e| SignupError::Promotion(Box::new(e)))?;
                Some(promo.promotion.code)
            }
        };
        let start = match input.plan {
            SignupPlan::Freemium => Start::Freemium,
            SignupPlan::Standard => match self.platform_settings().await?.trial.payment_method_at_signup {
                PaymentMethodAtSignup::Required => Start::AwaitPaymentMethod(input.interval),
                PaymentMethodAtSignup::Optional => Start::Trial,
            },
        };
        let (tenant, owner) = self.create_tenant_with_owner(new, SystemActor::Signup, None, start).await?;
        let scope = self.system_scope(tenant.id(), SystemActor::Signup);
        // The setup Checkout is asked for with no unit of work open (a slow
        // provider holds no lock), for the customer made after the tenant.
        let checkout = match start {
            Start::AwaitPaymentMethod(_) => self.signup_checkout(&scope, &tenant).await,
            Start::Trial | Start::Freemium => None,
        };
        let mut tx = self.begin(&scope, Access::Write).await?;
        let session = self.begin_user_session(tx.as_mut(), &owner, client, None, None).await?;
        if let Some(code) = &code {
            // Redeemed once the payment method is on file (`handle_billing_event`).
            let mut sub = self.subscription(tx.as_mut()).await?;
            sub.remember_signup_promotion_code(code);
            self.save_subscription(tx.as_mut(), &mut sub).await?;
        }
        if checkout.is_some() {
            let started = self.event(
                &scope,
                AuditAction::CheckoutStarted,
                Some(AuditTarget::Subscription),
                AuditOutcome::Success,
            )?;
            tx.append_audit(&started).await?;
        }
        tx.commit().await?;
        let principal = Principal::User {
            tenant_id: tenant.id(),
            user_id: owner.id(),
            token_version: owner.token_version(),
            session: Some(session.id()),
        };
        let status = match start {
            Start::Trial => SubscriptionStatus::Trialing,
            Start::AwaitPaymentMethod(_) => SubscriptionStatus::PendingPaymentMethod,
            Start::Freemium => SubscriptionStatus::Freemium,
        };
        Ok(SignedUp { tenant: TenantView::from(&tenant), user: UserView::from(&owner), principal, status, checkout })
    }

    /// Creates a tenant, its owner and its trial in one unit of work. The
    /// provider link is made on the way when the provider answers; if it does
    /// not, the tenant is created anyway and linked later (checkout, timers).
    pub(crate) async fn create_tenant_with_owner(
        &self,
        new: NewTenant,
        creator: SystemActor,
        superuser: Option<tenantry_domain::PlatformUserId>,
        start: Start,
    ) -> Result<(Tenant, User), SignupError> {
        if self.deps.directory.resolve_slug(&new.slug).await?.is_some() {
            return Err(SignupError::SlugTaken(new.slug.to_string()));
        }
        let hash = self.deps.hasher.hash(&new.password).await.map_err(crate::defaults::hasher_error)?;
        let now = self.now();
        let tenant_id: TenantId = self.new_id()?;
        let scope = match superuser {
            Some(id) => TenantScope::new(tenant_id, Actor::Superuser { id }, self.all_permissions()),
            None => self.system_scope(tenant_id, creator),
        };
        let mut tenant = Tenant::new(tenant_id, new.slug.clone(), new.company, now);
        if let Some(language) = new.language {
            tenant.apply(tenantry_domain::tenant::TenantPatch { language: Some(Some(language)), ..Default::default() });
        }
        let owner = User::new(self.new_id()?, tenant_id, new.email, new.name, RoleRef::OWNER, hash, now);
        let (mut sub, started) = match start {
            Start::Trial => {
                let (sub, started) = Subscription::start_trial(tenant_id, now, self.catalog())
                    .map_err(|e| InfraError::Unknown(anyhow::anyhow!("trial: {e}")))?;
                (sub, vec![started])
            }
            Start::AwaitPaymentMethod(interval) => {
                (Subscription::await_payment_method(tenant_id, now, interval), Vec::new())
            }
            Start::Freemium => (Subscription::start_freemium(tenant_id, now), Vec::new()),
        };

        let mut tx = self.begin(&scope, Access::Write).await?;
        match tx.insert_tenant(&tenant).await {
            Err(StoreError::Conflict(_)) => {
                return Err(SignupError::SlugTaken(new.slug.to_string()));
            }
            other => other?,
        }
        tx.insert_user(&owner).await?;
        self.save_subscription(tx.as_mut(), &mut sub).await?;
        let created = self
            .event(&scope, AuditAction::TenantCreated, Some(AuditTarget::Tenant(tenant_id)), AuditOutcome::Success)?
            .with("slug", tenant.slug())
            .with("owner", owner.id());
        tx.append_audit(&created).await?;
        // A trial's start mails nothing; should it ever, the mails go with the verification.
        let mut mails = self.apply_subscription_events(tx.as_mut(), &scope, &mut sub, &started).await?;
        // The owner proves the address with a mailed link (signup and the superuser's creation alike).
        let verification = self.issue_link(tx.as_mut(), &scope, &owner, LinkPurpose::EmailVerification, None).await?;
        mails.push(verification);
        let queued = self.queue_mails(tx.as_mut(), &scope, mails).await?;
        match tx.commit().await {
            Err(StoreError::Conflict(_)) => {
                return Err(SignupError::SlugTaken(new.slug.to_string()));
            }
            other => other?,
        }
        self.deliver(queued).await;
        // The provider is called after the tenant exists, with no unit of work
        // open (issue 18): a slow provider holds no lock; if it does not answer,
        // the tenant is linked later (checkout, timers).
        if let Err(e) = self.link_after_creation(&scope, &tenant, &owner).await {
            tracing::warn!(tenant = %tenant_id, error = %e, "payment provider not reached at signup; the tenant is linked later");
        }
        Ok((tenant, owner))
    }

    /// The setup Checkout of a new tenant waiting for its payment method, back
    /// to its billing page; `None` (logged) when it has no customer yet or the
    /// provider did not answer: the owner asks for one later (`/start`, `POST
    /// …/billing/checkout`).
    async fn signup_checkout(&self, scope: &TenantScope, tenant: &Tenant) -> Option<HostedSession> {
        let customer = async {
            let mut tx = self.begin(scope, Access::Read).await?;
            let sub = self.subscription(tx.as_mut()).await?;
            Ok::<_, InfraError>(sub.provider().as_ref().map(|l| l.customer.clone()))
        };
        let customer = match customer.await {
            Ok(Some(customer)) => customer,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(tenant = %tenant.id(), error = %e, "no Checkout at signup");
                return None;
            }
        };
        // Back to the workspace's getting-started page.
        let back = ReturnPath::parse(format!("/app/{}?welcome=1", tenant.slug())).ok()?;
        match self.deps.payments.checkout_session(&customer, &back).await {
            Ok(session) => Some(session),
            Err(e) => {
                tracing::warn!(tenant = %tenant.id(), error = %e, "no Checkout at signup; the owner asks for one later");
                None
            }
        }
    }

    /// Makes a new tenant the provider's customer (and its trial the
    /// provider's), then records the link — unless something linked it meanwhile.
    async fn link_after_creation(&self, scope: &TenantScope, tenant: &Tenant, owner: &User) -> Result<(), InfraError> {
        let mut sub = {
            let mut tx = self.begin(scope, Access::Read).await?;
            self.subscription(tx.as_mut()).await?
        };
        if sub.provider().is_some() {
            return Ok(());
        }
        // The customer is kept even when the trial subscription then fails: the
        // trial's end starts the paid plan for that customer (the timers).
        let linked = self
            .link_with_provider(tenant, std::slice::from_ref(owner), &mut sub)
            .await
            .map_err(|e| InfraError::Unavailable(anyhow::anyhow!("payment provider: {e}")));
        if sub.provider().is_some() {
            let mut tx = self.begin(scope, Access::Write).await?;
            let mut current = self.subscription(tx.as_mut()).await?;
            if current.provider().is_none() {
                current.adopt_provider(sub.provider().clone());
                self.save_subscription(tx.as_mut(), &mut current).await?;
                tx.commit().await?;
            }
        }
        linked.map(|_| ())
    }
}
