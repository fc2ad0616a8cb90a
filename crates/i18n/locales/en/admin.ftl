# The superuser's control plane: tenants, statistics, the platform audit log, jobs, the superuser's profile.
# (Audit action names, job kinds and mail templates stay as code: they are shown in `code` elements or as arguments.)

## Words several pages share

admin-label-tenant = Tenant
admin-label-status = Status
admin-label-plan = Plan
admin-label-seats = Seats
admin-label-active-users = Active users
admin-label-mrr = MRR
admin-label-since = Since
admin-label-name = Name
admin-label-action = Action
admin-label-requests-per-minute = Requests per minute
admin-filter = Filter

## A subscription's status, as the status filter and the charts name it

admin-status-pending-payment-method = pending payment method
admin-status-trialing = trialing
admin-status-active = active
admin-status-past-due = past due
admin-status-freemium = freemium
admin-status-canceling = canceling at period end
admin-status-suspended = suspended
admin-status-pending-deletion = pending deletion

## Plans and billing intervals

admin-plan-trial = trial
admin-plan-freemium = freemium
admin-plan-standard = standard
admin-interval-month = month
admin-interval-year = year

## Built-in roles and a user's status

admin-role-owner = owner
admin-role-admin = admin
admin-role-manager = manager
admin-role-member = member
admin-role-viewer = viewer
admin-user-status-active = active
admin-user-status-deactivated = deactivated

## The tenant list (/admin)

admin-tenants-title = Tenants
admin-tenants-search = Search
admin-tenants-status-any = any
admin-tenants-none = No tenant matches.
admin-tenants-new-heading = Create a tenant
admin-tenants-new-company = Company name
admin-tenants-new-slug = Short name (in addresses)
admin-tenants-new-admin-name = Administrator's name
admin-tenants-new-admin-email = Administrator's e-mail
admin-tenants-new-admin-password = Administrator's first password
admin-tenants-new-submit = Create tenant

## One tenant (/admin/tenants/…)

admin-tenant-short-name = Short name
admin-tenant-since = · since { $date }
admin-tenant-subscription = Subscription
admin-tenant-seats-used = { $used } used
admin-tenant-seats-used-of = { $used } used of { $seats }
admin-tenant-price = Price
admin-tenant-next-invoice = Next invoice
admin-tenant-next-invoice-value = { $amount } on { $date }
admin-tenant-trial = Trial
admin-tenant-trial-left = { $count ->
    [one] { $count } day left
   *[other] { $count } days left
}
admin-tenant-purge = Purge
admin-tenant-payments = Payments
admin-tenant-payments-paused = paused: invoices are voided
admin-tenant-free = Free
admin-tenant-free-until = until { $date }
admin-tenant-resume-payments = Resume payments
admin-tenant-pause-payments = Pause payments
admin-tenant-comp-months = Free for (months, 1 to 36)
admin-tenant-comp = Give the plan free
admin-tenant-resume = Resume the tenant
admin-tenant-suspend = Suspend the tenant
admin-tenant-usage = Usage this month
admin-tenant-api-calls = API calls
admin-tenant-api-calls-value = { $used } of { $limit } this month
admin-tenant-page-views = Page views
admin-tenant-logins = Logins
admin-tenant-storage = Storage
admin-tenant-storage-value = { $used } of { $limit } bytes
admin-tenant-active-users-value = { $active } (+ { $invited } invited)
admin-tenant-users = Users ({ $count })
admin-tenant-email = E-mail
admin-tenant-role = Role
admin-tenant-last-login = Last login
admin-tenant-support = Support
admin-tenant-never = never
admin-tenant-act-as = Act as
admin-tenant-act-as-for = for 30 minutes
admin-tenant-remove-mfa-label = Remove the two-factor authentication of { $email }
admin-tenant-remove-mfa = Remove two-factor
admin-tenant-delete-heading = Delete
admin-tenant-delete-explained = The tenant's data is purged after the retention period; its owner can cancel until then.
admin-tenant-delete = Delete the tenant
admin-tenant-suspend-or-resume = Suspend or resume?
admin-tenant-pause-or-resume = Pause or resume?
admin-tenant-comp-months-invalid = The months are a number from 1 to 36.

## A tenant's plan and limits override

admin-override-heading = Plan and limits override
admin-override-api-calls = API calls per month
admin-override-storage = Storage bytes
admin-override-active-users = Active users at most
admin-override-empty-plan = (empty: the plan's)
admin-override-empty-seats = (empty: the licensed seats)
admin-override-trial-end = Trial ends on
admin-override-freemium = Put the tenant on freemium now
admin-override-save = Save
admin-override-not-a-number = { $field } must be a whole number (or empty).
admin-override-trial-not-a-date = The trial's end must be a date.

## Platform statistics (/admin/stats)

admin-stats-title = Statistics
admin-stats-heading = Platform statistics
admin-stats-logins-month = Logins this month
admin-stats-api-calls-month = API calls this month
admin-stats-page-views-month = Page views this month
admin-stats-no-history = The first daily snapshot is taken by the scheduler; charts appear from then on.
admin-stats-chart-by-status = Tenants by status
admin-stats-chart-mrr = Monthly recurring revenue
admin-stats-chart-logins = Logins per month
admin-stats-series-mrr = MRR (€)
admin-stats-series-active-users = active users
admin-stats-series-logins = logins

## The platform audit log (/admin/audit)

admin-audit-title = Audit log
admin-audit-intro = Every tenant's events and the platform's own, newest first. Reading every tenant's log is itself recorded in the platform log, with the reason given; a tenant id reads that tenant's log only.
admin-audit-tenant-id = Tenant id
admin-audit-user-id = User id
admin-audit-reason = Reason (recorded)
admin-audit-reason-placeholder = the platform audit log viewed
admin-audit-per-page = Per page
admin-audit-clear = Clear
admin-audit-when = When
admin-audit-who = Who
admin-audit-target = Target
admin-audit-outcome = Outcome
admin-audit-details = Details
admin-audit-none = No event matches.
admin-audit-next = Next page (older events)
admin-audit-platform = platform
admin-audit-actor-user = user { $id }
admin-audit-actor-superuser = platform administrator { $id }
admin-audit-actor-api-key = API key { $id }
admin-audit-actor-impersonation = platform administrator { $superuser } as user { $user }
admin-audit-actor-system = system ({ $name })
admin-audit-actor-anonymous = anonymous
admin-audit-target-tenant = tenant
admin-audit-target-user = user
admin-audit-target-invitation = invitation
admin-audit-target-role = role
admin-audit-target-subscription = subscription
admin-audit-target-campaign = campaign
admin-audit-target-superuser = platform administrator
admin-audit-target-api-key = API key
admin-audit-target-export = export
admin-audit-target-file = file
admin-audit-target-foreign-tenant = another tenant
admin-audit-outcome-success = success
admin-audit-outcome-denied = denied
admin-audit-outcome-failed = failed
admin-audit-bad-tenant = The tenant id is not an identifier (a UUID v7).
admin-audit-bad-user = The user id is not an identifier (a UUID v7).
admin-audit-bad-cursor = The page cursor is not valid; start from the first page.
admin-audit-bad-limit = The page size is not a number.

## Scheduled work (/admin/jobs)

admin-jobs-title = Jobs
admin-jobs-intro = Scheduled work runs every minute and is retried after 30 s, 1, 2 and 4 minutes; a job that failed its fifth attempt stays here until it is retried.
admin-jobs-failed = Failed for good ({ $count })
admin-jobs-none-failed = No failed job.
admin-jobs-job = Job
admin-jobs-attempts = Attempts
admin-jobs-last-error = Last error
admin-jobs-retry-label = Retry the job { $id }
admin-jobs-retry = Retry
admin-jobs-purges = Waiting for their purge ({ $count })
admin-jobs-no-purges = No tenant is waiting for its purge.
admin-jobs-why = Why
admin-jobs-purged-on = Purged on
admin-jobs-reason-deletion = deletion requested
admin-jobs-reason-no-payment-method = signup without a payment method
admin-job-mail-to = mail { $template } to { $to }
admin-job-export = GDPR export { $id }
admin-job-expire-export = expiry of export { $id }
admin-job-timers = timers due { $at }
admin-job-mail = mail { $id }

## The superuser's profile (/admin/profile)

admin-profile-title = Your profile
admin-profile-your-name = Your name
admin-profile-save-name = Save the name
admin-profile-sign-in-as = You sign in as
admin-profile-security = Security
admin-profile-mfa = Two-factor authentication
admin-profile-mfa-on = (on)
admin-profile-mfa-off = (off)
admin-profile-sessions = Your sessions
admin-profile-password-hint = Your password and address are the operator's to change, with the database owner's rights:
admin-profile-saved = Your name is saved.
