# mail: every e-mail tenantry sends (crates/adapters-mail/src/templates.rs).
# Amounts and dates arrive formatted (the reader's locale and time zone).

## Sizes and role names

mail-size-bytes = { $count ->
    [one] { $count } byte
   *[other] { $count } bytes
}
mail-size-kib = { $size } KiB
mail-size-mib = { $size } MiB
mail-role-owner = owner
mail-role-admin = admin
mail-role-manager = manager
mail-role-member = member
mail-role-viewer = viewer
mail-role-deleted = deleted role

## Invitation

mail-invitation-subject = You are invited to { $tenant }
mail-invitation-invited = { $inviter } invited you to join { $tenant } as { $role }.
mail-invitation-by-operator = The platform's operator invited you to join { $tenant } as { $role }.
mail-invitation-code = Your invitation code, valid until { $until }:
mail-invitation-accept-link = Accept it in your browser
mail-invitation-accept-api = Accept it by sending it with your name and a password to { $url } (POST, JSON: token, name, password).
mail-invitation-ignore = If you did not expect this, ignore this mail: nothing happens without you.

## Trial

mail-trial-reminder-subject = Your { $tenant } trial ends on { $date }
mail-trial-reminder-ends = The 14-day trial of { $tenant } ends on { $moment }.
mail-trial-reminder-converts = A payment method is on file: the paid plan starts then, for the users you have.
mail-trial-reminder-free = No payment method is on file: the tenant continues on the free plan (3 users, with ads) unless an admin adds one before then.
mail-trial-converted-subject = { $tenant } is on the paid plan
mail-trial-converted-monthly = The trial of { $tenant } became the paid plan: { $seats ->
    [one] { $seats } user
   *[other] { $seats } users
}, billed monthly.
mail-trial-converted-yearly = The trial of { $tenant } became the paid plan: { $seats ->
    [one] { $seats } user
   *[other] { $seats } users
}, billed yearly.

## The warning before an invoice

mail-upcoming-invoice-subject = { $tenant }: { $total } will be charged on { $date }
mail-upcoming-invoice-intro = On { $date }, { $tenant } will be charged { $total }:
mail-upcoming-invoice-base = Standard plan (3 users included)
mail-upcoming-invoice-extra-seats = { $count ->
    [one] { $count } extra user
   *[other] { $count } extra users
}
mail-upcoming-invoice-line-monthly = { $item }, monthly: { $amount }
mail-upcoming-invoice-line-yearly = { $item }, yearly: { $amount }
mail-upcoming-invoice-subtotal = Subtotal: { $subtotal }; discount: { $discount }
mail-upcoming-invoice-vat = VAT: { $tax }
mail-upcoming-invoice-total = Total: { $total }
mail-upcoming-invoice-link = The subscription, its seats and invoices
mail-upcoming-invoice-opt-out = Owners and admins get this warning before each invoice; switch it off under "Your mail".

## Invoices and payments

mail-invoice-paid-subject = { $tenant }: invoice { $number }, { $total }, paid
mail-invoice-paid-body = Invoice { $number } of { $date } for { $tenant }: { $total }, paid. Thank you.
mail-invoice-paid-pdf = The invoice (PDF)
mail-payment-failed-subject = A payment for { $tenant } failed
mail-payment-failed-body = A payment of { $amount } for { $tenant } failed.
mail-payment-failed-grace = Access continues while the payment is retried for 14 days; after that the tenant moves to the free plan.
mail-payment-failed-link = Pay the invoice or update the payment method
mail-payment-action-subject = Confirm a payment for { $tenant }
mail-payment-action-body = Your bank asks you to confirm a payment for { $tenant }.
mail-payment-action-link = Confirm the payment

## The free plan and freed seats

mail-downgraded-subject = { $tenant } is now on the free plan
mail-downgraded-trial-ended = { $tenant } is now on the free plan: the trial ended without a payment method.
mail-downgraded-canceled = { $tenant } is now on the free plan: the paid plan was cancelled and its period ended.
mail-downgraded-payment-failed = { $tenant } is now on the free plan: the payment could not be collected within 14 days.
mail-downgraded-platform = { $tenant } is now on the free plan: the platform's operator moved it.
mail-seats-freed-subject = Users of { $tenant } were suspended
mail-seats-freed-body = { $licensed ->
    [one] { $tenant } has { $licensed } paid user, fewer than it used: the newest were suspended.
   *[other] { $tenant } has { $licensed } paid users, fewer than it used: the newest were suspended.
}
mail-freed-deactivated = { $count ->
    [one] Deactivated (an admin can reactivate them within the seats): { $people }.
   *[other] Deactivated (an admin can reactivate them within the seats): { $people }.
}
mail-freed-revoked = { $count ->
    [one] Pending invitation revoked: { $count }.
   *[other] Pending invitations revoked: { $count }.
}

## The account

mail-account-locked-subject = Your { $tenant } account is locked
mail-account-locked-body = After 5 failed sign-ins, your account is locked until { $until }. If it was not you, change your password once you can sign in again.
mail-password-reset-subject = Reset your { $tenant } password
mail-password-reset-body = Someone asked to reset the password of your { $tenant } account. Your reset code, valid once until { $until }:
mail-password-reset-link = Set a new password
mail-password-reset-ignore = If it was not you, ignore this mail: your password stays as it is.
mail-verify-email-subject = Confirm your address for { $tenant }
mail-verify-email-body = Confirm that this address is yours, with this code (valid once until { $until }):
mail-verify-email-link = Confirm it in your browser
mail-confirm-email-change-subject = Confirm your new address for { $tenant }
mail-confirm-email-change-body = You asked to sign in to { $tenant } with this address from now on. Confirm it with this link (once, until { $until }); until then nothing changes.
mail-confirm-email-change-link = Confirm the new address
mail-confirm-email-change-ignore = If it was not you, ignore this mail: the address stays as it was.
mail-email-change-requested-subject = Your { $tenant } address is about to change
mail-email-change-requested-body = Someone signed in to your { $tenant } account asked to move it to { $email }. It moves only when the link sent to that address is followed.
mail-email-change-requested-advice = If it was not you, sign in and change your password (or sign out everywhere) now: that cancels the change, which cannot be made without the link.
mail-workspace-reminder-subject = Your workspace: { $tenant }
mail-workspace-reminder-body = You asked where this address has an account. It has one in { $tenant }, whose short name is "{ $slug }".
mail-workspace-reminder-link = Sign in to { $tenant }
mail-workspace-reminder-footer = Each workspace where this address has an account sends its own mail. If you did not ask, ignore this mail.

## The workspace's deletion and its data

mail-deletion-requested-subject = { $tenant } will be deleted on { $date }
mail-deletion-requested-body = The deletion of { $tenant } was asked for. Its users can no longer sign in, its billing has stopped, and on { $moment } all of its data is deleted for good.
mail-deletion-requested-cancel = Until then the owner can cancel the deletion and everything comes back as it was. If nobody in your organisation asked for it, contact the owner or the platform's operator now.
mail-export-ready-subject = Your data export of { $tenant } is ready
mail-export-ready-body = The export of { $tenant }'s data ({ $size }) can be downloaded until { $until }.
mail-export-ready-download = Download it, signed in as an admin: GET { $url }

## Product updates (the subject and text are the superuser's own)

mail-product-update-why = You receive product updates because you chose to. One click ends them, without signing in:
mail-product-update-unsubscribe = Unsubscribe from product updates
