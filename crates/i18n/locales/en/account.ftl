# account: signing in and out, signup, the mailed links (reset, verify, address change, invitation,
# unsubscribe), two-factor authentication, sessions and a person's own mail.

## Shared by the area's pages

account-email = E-mail
account-password = Password
account-your-name = Your name
account-back = Back
account-back-to-login = Back to the login
account-continue = Continue
account-log-in = Log in
account-check-mail = Check your mail
account-forgot-password-link = Forgot your password?
account-forgot-workspace-link = Forgot your workspace?
account-save = Save
account-saved = Saved.
account-language-switch = Language

## Refusals the web layer makes itself

account-error-session-not-set = the session could not be set
account-error-cross-site = This form was posted by another site.
account-error-form-incomplete = The form is incomplete: { $reason }
account-error-csrf = This form has expired; reload the page and try again.
account-error-login-expired = The login has expired; log in again.
account-form-date-invalid = The { $which } date is not a date (YYYY-MM-DD).
account-link-incomplete-reset = This reset link is incomplete.
account-link-incomplete-confirmation = This confirmation link is incomplete.
account-link-incomplete-address-change = This address change link is incomplete.
account-link-incomplete-invitation = This invitation link is incomplete.

## Login

account-login-title = Log in
account-login-workspace = Workspace
account-login-workspace-hint = (its short name; leave empty for the platform administrator)
account-login-submit = Log in
account-login-mfa-title = Two-factor authentication
account-login-mfa-code = Code from your authenticator app, or a recovery code

## Signup

account-signup-title = Create your workspace
account-signup-company = Company name
account-signup-slug = Workspace short name
account-signup-slug-hint = (3 to 63 lowercase letters, digits and single hyphens; your address will be /app/
account-signup-slug-placeholder = short-name
account-signup-slug-hint-end = )
account-signup-email = Your e-mail
account-signup-password-hint = { $count ->
    [one] (at least { $count } character)
   *[other] (at least { $count } characters)
}
account-signup-password-hint-breached = { $count ->
    [one] (at least { $count } character, not one known from a breach)
   *[other] (at least { $count } characters, not one known from a breach)
}
account-signup-plan = Plan
account-signup-plan-standard = { $users ->
    [one] Standard — a { $days }-day trial, then { $price } a month for { $users } user
   *[other] Standard — a { $days }-day trial, then { $price } a month for { $users } users
}
account-signup-plan-freemium = Freemium — free, with ads
account-signup-interval = Billed after the trial
account-signup-monthly = Monthly
account-signup-yearly = Yearly
account-signup-promotion-code = Promotion code
account-signup-optional = (optional)
account-signup-submit = Create the workspace
account-signup-have-one = Already have one?
account-signup-invalid-plan = Choose a plan and how it is billed.

## Forgotten password, reset

account-forgot-title = Forgot your password?
account-forgot-intro = We mail a link to set a new one (valid for an hour) to the address of your account.
account-forgot-workspace-hint = (its short name, as at the login)
account-forgot-submit = Mail me a link
account-forgot-sent = If this workspace has an account with this address, a link to set a new password is on its way. It works once, for an hour.
account-reset-title = Set a new password
account-reset-password = New password
account-reset-password-hint = (at least the length the platform asks, 8 characters by default)
account-reset-submit = Set the password
account-reset-sessions-end = Every session of your account ends: log in again with the new password.
account-reset-done-title = Your password is set
account-reset-done = Log in with it: every other session of your account has ended.

## Address confirmation and change

account-verify-title = Confirm your address
account-verify-intro = This confirms that the address this link was mailed to is yours.
account-verify-submit = Confirm my address
account-verify-done-title = Your address is confirmed
account-verify-done = Thank you.
account-verify-done-continue = Go to your workspace
account-email-change-title = Confirm your new address
account-email-change-intro = Your account moves to the address this link was mailed to: you sign in with it from now on.
account-email-change-submit = Use this address
account-email-change-done-title = Your address is changed
account-email-change-done = Sign in with the new address from now on.

## Finding one's workspaces

account-find-title = Find your workspace
account-find-intro = We mail you the name and sign-in link of each workspace where your address has an account.
account-find-submit = Mail me my workspaces
account-find-sent = If this address has an account in a workspace, a mail for each one is on its way, with its name and a link to sign in.

## Invitation

account-invitation-title = Join your team
account-invitation-password = Choose a password
account-invitation-submit = Join

## Unsubscribe

account-unsubscribe-title = Unsubscribe
account-unsubscribe-intro = Stop receiving the platform's product updates at this address? Mails about your account and billing are not affected.
account-unsubscribe-submit = Unsubscribe
account-unsubscribed-title = Unsubscribed
account-unsubscribed = You will receive no more product updates. You can opt in again under “Your mail” once signed in.

## Sessions

account-sessions-title = Your sessions
account-sessions-intro = Every place your account is signed in. Ending one signs that browser or client out at once.
account-sessions-kind = Kind
account-sessions-client = Client
account-sessions-network = Network
account-sessions-started = Started
account-sessions-last-used = Last used
account-sessions-kind-api = api
account-sessions-kind-web = web
account-sessions-kind-impersonation = impersonation
account-sessions-current = (this one)
account-sessions-unknown = —
account-sessions-end-label = End the session started { $started }
account-sessions-end = End
account-sessions-end-all = Sign out everywhere

## Two-factor authentication

account-mfa-title = Two-factor authentication
account-mfa-on = On: every login asks for a code from your authenticator app.
account-mfa-codes-left = { $count ->
    [one] { $count } recovery code left.
   *[other] { $count } recovery codes left.
}
account-mfa-renew-title = New recovery codes
account-mfa-renew-hint = The old ones stop working.
account-mfa-app-code = A code from your app
account-mfa-renew-submit = Make new recovery codes
account-mfa-off-title = Turn it off
account-mfa-app-or-recovery-code = A code from your app, or a recovery code
account-mfa-off-submit = Turn two-factor authentication off
account-mfa-required-operators = The platform requires it for operators. If you lose your device and your recovery codes, the database owner runs `tenantry reset-superuser-mfa`.
account-mfa-required-account = The platform requires it for your account.
account-mfa-needed = Your account needs two-factor authentication before you can continue.
account-mfa-intro = Two-factor authentication asks for a code from an authenticator app (on your phone) at every login, so that a stolen password alone does not open your account.
account-mfa-start-submit = Set up two-factor authentication
account-mfa-qr-label = QR code for your authenticator app
account-mfa-setup-title = Set up two-factor authentication
account-mfa-setup-scan = Scan this code with your authenticator app (or type the key below).
account-mfa-setup-enter = Enter the { $digits }-digit code the app shows.
account-mfa-setup-key = Key:
account-mfa-setup-code = Code from the app
account-mfa-setup-submit = Turn on
account-mfa-codes-title = Your recovery codes
account-mfa-codes-intro = Each works once in place of a code from the app, if you lose your device. Keep them somewhere safe: they are shown only now.

## A person's own mail

account-mail-title = Your mail
account-mail-always = Mails about your own account (invitations, reset and verification links, a locked account, your data export) always reach you.
account-mail-billing = Billing mails I may refuse (a trial that became the paid plan)
account-mail-upcoming-invoice = A warning before each invoice, with its amount
account-mail-billing-notices = Notices that need action — the trial ending, a failed payment, a move to the free plan, users suspended — reach every owner and admin regardless.
account-mail-billing-off = Your workspace has switched the refusable ones off for everyone.
account-mail-product-updates = Product updates from the platform
account-mail-product-updates-off = Your workspace does not allow product updates: none reach you while it does not.
