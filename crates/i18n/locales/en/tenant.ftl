# tenant: a workspace's own pages under /app/{slug} (not billing): home, users,
# roles, API keys, branding, audit log, exports, notifications, the profile.

## The frame's notices: a failed payment, an address not confirmed yet

tenant-dunning-failed = A payment failed.
tenant-dunning-update-by = Update the payment method by { $date }, or the workspace moves to the free plan then (users beyond its seats are suspended).
tenant-dunning-button = Update the payment method
tenant-verify-before = Confirm your address
tenant-verify-after = with the link we mailed to it.
tenant-verify-resend = Mail the link again

## A premium feature the plan lacks ($unlocked, $current: plan names below)

tenant-premium-badge = Premium
tenant-premium-custom-roles = Custom roles are included in the { $unlocked } plan, not in { $current }.
tenant-premium-api-keys = API keys are included in the { $unlocked } plan, not in { $current }.
tenant-premium-audit-log = The audit log is included in the { $unlocked } plan, not in { $current }.
tenant-premium-feature = This feature is included in the { $unlocked } plan, not in { $current }.
tenant-premium-upgrade = Upgrade to { $plan }
tenant-plan-trial = trial
tenant-plan-freemium = freemium
tenant-plan-standard = standard

## Roles: in tables, and as a form's options

tenant-role-owner = owner
tenant-role-admin = admin
tenant-role-manager = manager
tenant-role-member = member
tenant-role-viewer = viewer
tenant-role-option-owner = Owner
tenant-role-option-admin = Admin
tenant-role-option-manager = Manager
tenant-role-option-member = Member
tenant-role-option-viewer = Viewer

## Home

tenant-home-verification-sent = The confirmation link is on its way to your address.
tenant-home-welcome = Welcome to your workspace.
tenant-home-signed-in = Signed in as
tenant-home-signed-in-role = ({ $role }).
tenant-home-link-billing = Subscription & billing
tenant-home-start-title = Getting started
tenant-home-start-invite = Invite your team
tenant-home-start-plan = Choose a plan
tenant-home-trial-left = Your trial has
tenant-home-trial-left-days = { $count ->
    [one] day left.
   *[other] days left.
}

## Users & invitations

tenant-users-title = Users & invitations
tenant-users-active-invalid = Deactivate or reactivate?
tenant-users-invited = Invitation sent to { $email }.
tenant-users-seats-used = { $count ->
    [one] { $count } seat used.
   *[other] { $count } seats used.
}
tenant-users-seats-used-of = { $count ->
    [one] { $count } seat used of { $seats }.
   *[other] { $count } seats used of { $seats }.
}
tenant-users-invite-title = Invite someone
tenant-users-buy-seat = Buy a seat on the billing page
tenant-users-email = E-mail
tenant-users-role = Role
tenant-users-invite-button = Send invitation
tenant-users-users-title = Users
tenant-users-name = Name
tenant-users-status = Status
tenant-users-actions = Actions
tenant-users-status-active = active
tenant-users-status-deactivated = deactivated
tenant-users-deactivate = Deactivate
tenant-users-reactivate = Reactivate
tenant-users-pending-title = Pending invitations
tenant-users-pending-none = None.
tenant-users-expires = Expires
tenant-users-resend = Resend
tenant-users-revoke = Revoke

## Roles

tenant-roles-title = Roles
tenant-roles-intro = What each role may do. Built-in roles are the same in every workspace.
tenant-roles-caption = Roles and their permissions
tenant-roles-role = Role
tenant-roles-kind = Kind
tenant-roles-description = Description
tenant-roles-permissions = Permissions
tenant-roles-actions = Actions
tenant-roles-builtin = built-in
tenant-roles-custom = custom
tenant-roles-no-permissions = none
tenant-roles-delete = Delete
tenant-roles-new-title = A custom role
tenant-roles-name = Name
tenant-roles-optional = (optional)
tenant-roles-create = Create the role

## API keys

tenant-api-keys-title = API keys
tenant-api-keys-intro = An API key gives a program access to this workspace with one role. Send it as
tenant-api-keys-header = Authorization: Bearer <key>
tenant-api-keys-intro-end = .
tenant-api-keys-created = Key “{ $name }” created
tenant-api-keys-copy-now = Copy it now: it is not shown again.
tenant-api-keys-fingerprint = Only a fingerprint of it is kept; if it is lost, revoke it and create another.
tenant-api-keys-the-key = The key
tenant-api-keys-create-title = Create a key
tenant-api-keys-name = Name
tenant-api-keys-name-hint = (what it is for)
tenant-api-keys-role = Role
tenant-api-keys-create-button = Create key
tenant-api-keys-keys-title = Keys
tenant-api-keys-none = No keys yet.
tenant-api-keys-key-id = Key id
tenant-api-keys-created-at = Created
tenant-api-keys-status = Status
tenant-api-keys-action = Action
tenant-api-keys-revoked = revoked
tenant-api-keys-revoked-on = on { $date }
tenant-api-keys-active = active
tenant-api-keys-revoke-label = Revoke the key { $name }
tenant-api-keys-revoke = Revoke

## Branding, and the workspace's language and time zone

tenant-branding-title = Branding
tenant-branding-saved = The branding has been saved.
tenant-locale-saved = The language and time zone have been saved.
tenant-branding-now = Now
tenant-branding-color = Primary colour
tenant-branding-color-none = none (the default)
tenant-branding-logo = Logo
tenant-branding-logo-alt = The workspace's logo
tenant-branding-logo-none = none
tenant-branding-logo-upload-title = Upload a logo
tenant-branding-logo-upload-hint = A PNG or JPEG image of at most 1 MB. It replaces the current logo on the workspace's pages and in its mails.
tenant-branding-logo-file = Image
tenant-branding-logo-upload = Upload logo
tenant-branding-logo-remove = Remove the logo
tenant-branding-change = Change
tenant-branding-color-hint = (#rrggbb; leave empty for the default)
tenant-branding-logo-url = Logo URL
tenant-branding-logo-url-hint = (https://…; leave empty for none)
tenant-branding-logo-url-placeholder = https://example.com/logo.png
tenant-branding-save = Save
tenant-locale-title = Language and time zone
tenant-locale-intro = The workspace's pages and mails use these for everyone who has not chosen their own in their profile.
tenant-locale-language = Language
tenant-locale-language-browser = The reader's browser decides
tenant-locale-time-zone = Time zone
tenant-locale-time-zone-utc = UTC
tenant-locale-save = Save the language and time zone

## Audit log

tenant-audit-title = Audit log
tenant-audit-invalid-user = The user filter must be one of the workspace's users.
tenant-audit-invalid-before = The page link is not valid; start again from the first page.
tenant-audit-invalid-limit = The page size must be a whole number.
tenant-audit-system-billing = billing
tenant-audit-system-scheduler = scheduler
tenant-audit-system-signup = signup
tenant-audit-system-invitation-link = invitation link
tenant-audit-system-unsubscribe-link = unsubscribe link
tenant-audit-system-logo = someone loading the logo
tenant-audit-system-login = login
tenant-audit-system-meter = metering
tenant-audit-user-id = user { $id }
tenant-audit-actor-superuser = platform administrator
tenant-audit-actor-api-key = API key { $id }
tenant-audit-actor-impersonation = platform administrator as { $name }
tenant-audit-actor-system = system ({ $name })
tenant-audit-actor-anonymous = anonymous
tenant-audit-target-tenant = the workspace
tenant-audit-target-invitation = invitation { $id }
tenant-audit-target-role = role { $id }
tenant-audit-target-subscription = the subscription
tenant-audit-target-campaign = ad campaign { $id }
tenant-audit-target-superuser = a platform administrator
tenant-audit-target-api-key = API key { $id }
tenant-audit-target-export = export { $id }
tenant-audit-target-file = file { $id }
tenant-audit-target-foreign-tenant = another workspace ({ $id })
tenant-audit-outcome-success = success
tenant-audit-outcome-denied = denied
tenant-audit-outcome-failed = failed
tenant-audit-filter-label = Filter the audit log
tenant-audit-action = Action
tenant-audit-action-hint = (e.g. api_key.created; empty for all)
tenant-audit-user = User
tenant-audit-user-hint = (who acted or was acted upon)
tenant-audit-anyone = Anyone
tenant-audit-user-option = { $name } ({ $email })
tenant-audit-user-id-label = User id
tenant-audit-user-id-hint = (empty for anyone)
tenant-audit-filter = Filter
tenant-audit-clear = Clear
tenant-audit-none = No events.
tenant-audit-caption = Events, newest first
tenant-audit-when = When
tenant-audit-who = Who
tenant-audit-on-what = On what
tenant-audit-outcome = Outcome
tenant-audit-details = Details
tenant-audit-pages = Pages
tenant-audit-older = Older events

## Data export

tenant-exports-title = Data export
tenant-exports-intro = An export is a JSON archive of the workspace's data (never passwords or key secrets). It is produced in the background and can be downloaded for seven days.
tenant-exports-requested = The export has been requested: reload this page to follow it.
tenant-exports-running = An export is already being produced: it is highlighted below. Reload this page to follow it.
tenant-exports-request = Request an export
tenant-exports-none = No exports yet.
tenant-exports-caption = Exports, newest first
tenant-exports-requested-at = Requested
tenant-exports-status = Status
tenant-exports-progress = Progress
tenant-exports-size = Size
tenant-exports-available-until = Available until
tenant-exports-archive = Archive
tenant-exports-download = Download
tenant-exports-percent = { $percent }%
tenant-exports-size-mb = { $count } MB
tenant-exports-size-kb = { $count } kB
tenant-exports-size-bytes = { $count ->
    [one] { $count } byte
   *[other] { $count } bytes
}
tenant-exports-status-queued = queued
tenant-exports-status-running = running
tenant-exports-status-ready = ready
tenant-exports-status-failed = failed
tenant-exports-status-expired = expired

## The workspace's mail settings

tenant-notifications-title = Notifications
tenant-notifications-saved = Saved.
tenant-notifications-billing-email = Billing e-mail
tenant-notifications-billing-email-hint = Every billing mail also goes here (an accounts-payable mailbox, say). Empty: owners and admins only.
tenant-notifications-billing-mails = Billing mails we may refuse (a trial that became the paid plan)
tenant-notifications-always-mailed = The trial ending, a failed payment or one needing action, a move to the free plan and users suspended are always mailed: they need someone to act.
tenant-notifications-product-updates = Let our people receive the platform's product updates (each person still opts in)
tenant-notifications-save = Save

## Your profile

tenant-profile-title = Your profile
tenant-profile-saved-name = Your name is saved.
tenant-profile-saved-password = Your password is changed; your other sessions have ended.
tenant-profile-saved-email = A link is on its way to the new address: your address changes when you follow it.
tenant-profile-saved-preferences = Your language and time zone are saved.
tenant-profile-name-title = Name
tenant-profile-name = Your name
tenant-profile-name-save = Save the name
tenant-profile-email-title = E-mail
tenant-profile-email-current = You sign in with
tenant-profile-email-current-end = .
tenant-profile-email-unconfirmed = (not confirmed yet).
tenant-profile-email-new = New address
tenant-profile-current-password = Current password
tenant-profile-email-change = Change the address
tenant-profile-email-hint = A link goes to the new address; it changes when you follow it. Your current address is told.
tenant-profile-preferences-title = Language and time zone
tenant-profile-language = Language
tenant-profile-as-workspace = As the workspace
tenant-profile-time-zone = Time zone
tenant-profile-preferences-save = Save
tenant-profile-password-title = Password
tenant-profile-password-new = New password
tenant-profile-password-min = { $count ->
    [one] (at least { $count } character)
   *[other] (at least { $count } characters)
}
tenant-profile-password-change = Change the password
tenant-profile-password-hint = Your other sessions end; this browser stays signed in.
tenant-profile-security-title = Security and mail
tenant-profile-mfa = Two-factor authentication
tenant-profile-mfa-on = (on)
tenant-profile-mfa-off = (off)
tenant-profile-sessions = Your sessions
tenant-profile-mail = Your mail

## Files (issue 27)
tenant-files-title = Files
tenant-files-intro = Documents and images of this workspace. A file's type is read from its contents; only common documents and images are accepted, and every file is downloaded as an attachment.
tenant-files-accepted = Accepted types
tenant-files-used = { $used } of { $limit } used
tenant-files-over-quota = This workspace stores more than its plan allows. Nothing was deleted, but new files are refused until enough is deleted or the plan grows.
tenant-files-uploaded = The file was stored.
tenant-files-deleted = The file was deleted.
tenant-files-choose = File
tenant-files-upload = Upload
tenant-files-none = No files yet.
tenant-files-caption = The workspace's files, newest first
tenant-files-name = Name
tenant-files-type = Type
tenant-files-size = Size
tenant-files-uploaded-at = Uploaded
tenant-files-actions = Actions
tenant-files-delete = Delete
tenant-files-size-mb = { $count } MB
tenant-files-size-kb = { $count } KB
tenant-files-size-bytes = { $count ->
    [one] { $count } byte
   *[other] { $count } bytes
}
