# platform: the superuser's ads, coupons, product updates and settings pages.

## Ads (/admin/ads)

platform-ads-title = Ads
platform-ads-intro = Campaigns shown to freemium tenants: at most one banner per page, at most one modal per user a day.
platform-ads-col-name = Name
platform-ads-col-format = Format
platform-ads-col-status = Status
platform-ads-col-runs = Runs
platform-ads-col-shown-to = Shown to
platform-ads-col-impressions-today = Impressions today
platform-ads-col-clicks-today = Clicks today
platform-ads-col-day = Day
platform-ads-col-impressions = Impressions
platform-ads-col-clicks = Clicks
platform-ads-total = Total
platform-ads-none = No campaign yet.
platform-ads-create-heading = Create a campaign
platform-ads-create-button = Create campaign
platform-ads-format-banner = banner
platform-ads-format-modal = modal
platform-ads-enabled = enabled
platform-ads-disabled = disabled
platform-ads-target-all = all freemium tenants
platform-ads-target-tenants = { $count ->
    [one] { $count } tenant:
   *[other] { $count } tenants:
}
platform-ads-field-name = Name
platform-ads-field-name-hint = (internal, never shown)
platform-ads-field-format = Format
platform-ads-option-banner = banner (in the page)
platform-ads-option-modal = modal (over the page, once a day per user)
platform-ads-field-text = Text
platform-ads-field-link = Link (https)
platform-ads-field-image = Image (https, optional)
platform-ads-url-placeholder = https://
platform-ads-field-starts = Starts on
platform-ads-field-starts-hint = (00:00 UTC)
platform-ads-field-ends = Ends on
platform-ads-field-ends-hint = (00:00 UTC, not included)
platform-ads-field-tenants = Only these tenants
platform-ads-field-tenants-hint = (ids, comma-separated; empty for every freemium tenant)
platform-ads-field-enabled = Enabled
platform-ads-error-format = Choose a format: banner or modal.
platform-ads-error-tenant-id = “{ $id }” is not a tenant id.
platform-ads-error-start-date = The start date is not a date (YYYY-MM-DD).
platform-ads-error-end-date = The end date is not a date (YYYY-MM-DD).
platform-ads-all = All campaigns
platform-ads-campaign-heading = Campaign
platform-ads-fact-link = Link
platform-ads-fact-image = Image
platform-ads-fact-created = Created
platform-ads-runs-hint = (UTC, end not included)
platform-ads-daily-heading = Impressions and clicks per day
platform-ads-daily-none = Not shown yet.
platform-ads-edit-heading = Edit
platform-ads-save = Save
platform-ads-delete-heading = Delete
platform-ads-delete-button = Delete this campaign
platform-ads-preview-heading = Preview
platform-ads-preview-hint = As a freemium tenant sees it. This campaign runs as a
platform-ads-preview-hint-end = .
platform-ads-preview-banner = As a banner
platform-ads-preview-modal = As a modal

## Coupons and promotion codes (/admin/coupons)

platform-coupons-title = Coupons
platform-coupons-heading = Coupons and promotion codes
platform-coupons-codes-heading = Promotion codes
platform-coupons-codes-none = No promotion code yet.
platform-coupons-col-code = Code
platform-coupons-col-coupon = Coupon
platform-coupons-col-first-time = New customers only
platform-coupons-col-expires = Expires
platform-coupons-col-redeemed = Redeemed
platform-coupons-col-active = Active
platform-coupons-col-name = Name
platform-coupons-col-off = Off
platform-coupons-col-for = For
platform-coupons-col-redeem-by = Redeem by
platform-coupons-col-made = Made
platform-coupons-yes = yes
platform-coupons-no = no
platform-coupons-never = never
platform-coupons-any-time = any time
platform-coupons-duration-once = once
platform-coupons-duration-months = { $count ->
    [one] { $count } month
   *[other] { $count } months
}
platform-coupons-duration-forever = forever
platform-coupons-redeemed-of = { $used } of { $max }
platform-coupons-switch-off = Switch off
platform-coupons-switch-on = Switch on
platform-coupons-new-code-heading = New promotion code
platform-coupons-field-code = Code
platform-coupons-field-code-hint = (3 to 32 letters, digits, - or _; upper-cased)
platform-coupons-field-first-time = Only for customers who have not paid before
platform-coupons-field-expires = Expires on
platform-coupons-field-expires-hint = (00:00 UTC; empty: never)
platform-coupons-field-max = At most this many redemptions
platform-coupons-field-code-max-hint = (empty: as the coupon allows)
platform-coupons-create-code = Make the promotion code
platform-coupons-coupons-heading = Coupons
platform-coupons-coupons-none = No coupon yet.
platform-coupons-new-coupon-heading = New coupon
platform-coupons-field-name-hint = (shown on invoices)
platform-coupons-field-kind = Takes off
platform-coupons-kind-percent = a percentage of each line
platform-coupons-kind-amount = an amount (EUR) off each invoice
platform-coupons-field-value = Percentage or amount
platform-coupons-field-value-hint = (20, 12.5 or 10.00)
platform-coupons-option-once = the next invoice
platform-coupons-option-repeating = some months
platform-coupons-option-forever = every invoice
platform-coupons-field-months = Months
platform-coupons-field-months-hint = (1 to 36, for some months)
platform-coupons-field-max-hint = (empty: no limit)
platform-coupons-field-redeem-by = Redeemable until
platform-coupons-field-redeem-by-hint = (00:00 UTC; empty: any time)
platform-coupons-create-coupon = Make the coupon
platform-coupons-error-value = The percentage or amount is a number with at most two decimals.
platform-coupons-error-negative = A percentage is positive.
platform-coupons-error-kind = Choose a percentage or an amount.
platform-coupons-error-duration = Choose for how long.
platform-coupons-error-months-number = The months is a whole number.
platform-coupons-error-months-missing = Give the months.
platform-coupons-error-limit-number = The redemption limit is a whole number.
platform-coupons-error-redeem-by-date = The last redemption date is not a date (YYYY-MM-DD).
platform-coupons-error-expires-date = The expiry date is not a date (YYYY-MM-DD).
platform-coupons-error-switch = Switch on or off.

## Product updates (/admin/broadcasts)

platform-broadcasts-title = Product updates
platform-broadcasts-intro = Mailed to the people who opted in, in the workspaces that allow product updates — 120 a minute, through the outbox.
platform-broadcasts-field-subject = Subject
platform-broadcasts-field-text = Text
platform-broadcasts-field-text-hint = Plain text; a blank line starts a paragraph. Every mail ends with the person's own unsubscribe link.
platform-broadcasts-preview-button = Preview
platform-broadcasts-preview-heading = Preview
# Around the number of people, which the page shows in bold.
platform-broadcasts-goes-to = Goes to
platform-broadcasts-goes-to-rest = { $people ->
    [one] person
   *[other] people
} in { $tenants ->
    [one] { $tenants } workspace
   *[other] { $tenants } workspaces
}.
platform-broadcasts-subject = Subject:
platform-broadcasts-send = { $people ->
    [one] Send to { $people } person
   *[other] Send to { $people } people
}
platform-broadcasts-queued = Queued for { $people ->
    [one] { $people } person
   *[other] { $people } people
} in { $tenants ->
    [one] { $tenants } workspace
   *[other] { $tenants } workspaces
}; the last falls due at { $due }. Failures show on the Jobs page.
platform-broadcasts-queued-already = { $tenants ->
    [one] { $tenants } workspace had it queued already (sent once).
   *[other] { $tenants } workspaces had it queued already (sent once).
}
platform-broadcasts-write-another = Write another
platform-broadcasts-jobs = Jobs

## Platform settings (/admin/settings)

platform-settings-title = Settings
platform-settings-saved = Saved.
platform-settings-trial-heading = Trial
platform-settings-payment-method-legend = A payment method at signup
platform-settings-payment-method-required = Required: the trial starts when a payment method is on file, and converts to the paid plan at its end
platform-settings-payment-method-optional = Optional: the trial starts at signup, with or without one
platform-settings-trial-end-legend = A trial without a payment method ends in
platform-settings-trial-end-freemium = Freemium
platform-settings-trial-end-suspended = Suspended (you resume it)
platform-settings-trial-save = Save the trial policy
platform-settings-billing-heading = Billing notices
platform-settings-billing-days = The pre-invoice warning goes out this many days before each invoice (1 to 28)
platform-settings-billing-save = Save the billing notices
platform-settings-password-heading = Passwords
platform-settings-password-min = Minimum length (8 to 128 characters)
platform-settings-password-breached = Refuse passwords on the shipped list of breached passwords
platform-settings-password-save = Save the password policy
platform-settings-mfa-heading = Two-factor authentication
platform-settings-mfa-all = Required for every user
platform-settings-mfa-roles = Required for these roles
platform-settings-mfa-save = Save two-factor authentication
platform-settings-role-owner = owner
platform-settings-role-admin = admin
platform-settings-role-manager = manager
platform-settings-role-member = member
platform-settings-role-viewer = viewer
platform-settings-limits-heading = Quotas and throttles
platform-settings-limits-hint = Changed with PATCH /v1/admin/settings (default_quotas, anonymous_limits).
platform-settings-quota-freemium = Freemium quota override
platform-settings-quota-standard = Standard quota override
platform-settings-quota-none = none (the plan's)
platform-settings-quota-requests = { $count } requests a minute
platform-settings-quota-api-calls = { $count } API calls a month
platform-settings-quota-storage = { $count } bytes of storage
platform-settings-quota-active-users = { $count } active users
platform-settings-throttle-per-address = Per address
platform-settings-throttle-per-account = Per account
platform-settings-throttle-cross-tenant = Cross-tenant attempts
platform-settings-throttle = { $burst } at once, then { $per_minute } a minute
platform-settings-error-days = The days are a number.
platform-settings-error-min-chars = The minimum length is a number.
