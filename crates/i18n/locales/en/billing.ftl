# billing: "Subscription & billing", the seat and promotion-code previews, the
# start page of a tenant awaiting its payment method, the billing simulator's
# hosted pages, and the charts' frame.

## "Subscription & billing"

billing-title = Subscription & billing
billing-notice-seats = Seats bought: the prorated amount has been invoiced.
billing-notice-plan = The plan has been changed.
billing-notice-card = Welcome back: the payment method is saved if you completed the form.
billing-notice-promotion = The promotion code is applied: the invoices it covers are discounted.

billing-plan-heading = Your plan
billing-plan = Plan
billing-plan-trial = Trial
billing-plan-freemium = Freemium
billing-plan-standard = Standard
billing-plan-monthly = { $plan }, monthly
billing-plan-yearly = { $plan }, yearly
billing-status = Status
billing-seats = Seats
billing-seats-usage = { $used } used of { $seats } licensed
billing-seats-used = Seats used
billing-seats-next = Seats from the next period
billing-price = Price
billing-price-per-month = { $amount } per month
billing-price-per-year = { $amount } per year
billing-discount = Discount
billing-price-after = Price after the discount
billing-next-invoice = Next invoice
billing-next-invoice-when = { $amount } on { $date }
billing-trial = Trial
billing-trial-left = { $count ->
    [one] { $count } day left (ends { $date })
   *[other] { $count } days left (ends { $date })
}
billing-payment = Payment
billing-payment-overdue = overdue since { $date }
billing-payment-method = Payment method
billing-payment-method-on-file = on file
billing-payment-method-none = none yet

billing-seats-hint = Each user or pending invitation takes a seat.
billing-add-seat-month = +1 user ({ $amount }/month)
billing-add-seat-year = +1 user ({ $amount }/year)
billing-seats-set = Or set the seats to
billing-seats-preview = Preview

billing-promotion-heading = Promotion code
billing-promotion-code = Code
billing-promotion-see = See the discount
billing-promotion-hint = You see what it takes off the next invoice before you apply it.

billing-change-heading = Change plan
billing-freemium-button = Freemium (free, with ads)
billing-cancel-button = Cancel at the end of the period
billing-change-hint = A paid plan asks for a payment method first when none is on file.
billing-add-payment-method = Add a payment method
billing-portal-button = Invoices and payment methods

## The invoice list (also the simulator's portal)

billing-invoices = Invoices
billing-invoices-none = No invoice yet.
billing-invoice = Invoice
billing-date = Date
billing-total = Total
billing-download = Download
billing-invoice-pdf = PDF
billing-invoice-view = View
billing-invoice-draft = draft
billing-invoice-open = open
billing-invoice-paid = paid
billing-invoice-void = void
billing-invoice-uncollectible = uncollectible

## Seat changes and their proration

billing-error-seats = The number of seats must be a whole number.
billing-error-preview-date = The preview's date is not readable.
billing-error-plan = There is no such plan.
billing-seats-increase = { $to ->
    [one] From { $from } to { $to } seat, now.
   *[other] From { $from } to { $to } seats, now.
}
billing-seats-reduction = { $to ->
    [one] From { $from } to { $to } seat at the end of the current period (no refund now).
   *[other] From { $from } to { $to } seats at the end of the current period (no refund now).
}
billing-seats-unchanged = No change.
billing-seats-confirm-title = Confirm the seats
billing-preview-caption = What will be invoiced
billing-item = Item
billing-period = Period
billing-amount = Amount
billing-period-range = { $start } – { $end }
billing-total-now = Total now
billing-confirm-pay = Confirm and pay { $amount }
billing-cancel = Cancel
billing-line = { $quantity } × { $item } ({ $kind })
billing-line-base = base price
billing-line-extra-seat = extra seat
billing-line-unused = unused time, credited
billing-line-remaining = remaining time
billing-line-full = full period

## Discounts and promotion codes

billing-discount-text = { $code }: { $off }, { $duration }
billing-off-percent = { $percent } off
billing-off-amount = { $amount } off
billing-discount-once = the next invoice
billing-discount-repeating = { $months ->
    [one] the invoices of { $months } month, until { $date }
   *[other] the invoices of { $months } months, until { $date }
}
billing-discount-forever = every invoice
billing-promotion-title = Apply a promotion code
billing-promotion-caption = The next invoice, on { $date }, with the code
billing-discount-minus = −{ $amount }
billing-vat = VAT
billing-promotion-nothing-next = Nothing will be invoiced next; the code applies to the invoices it covers.
billing-promotion-apply = Apply { $code }

## The start page (a payment method before the trial)

billing-start-title = Start your trial
billing-start-heading = Add a payment method to start your trial
billing-start-why = Your { $days }-day trial of the standard plan starts as soon as a payment method is on file. Nothing is charged during the trial; at its end the plan you chose is charged automatically, unless you choose "continue free" or cancel before then.
billing-start-expiry = Without a payment method, this workspace and its data are deleted on { $date }.

## The billing simulator's hosted pages

billing-simulator = Billing simulator
billing-simulator-note = — no real payment is made.
billing-simulator-card-succeeds = Test card: payments succeed
billing-simulator-card-declines = Test card: payments are declined
billing-simulator-card-requires-action = Test card: payments need confirmation (3-D Secure)
billing-simulator-error-card = Choose one of the test cards: succeeds, declines or requires_action.
billing-simulator-error-unknown = unknown session or customer
billing-simulator-error-completed = the checkout session was completed before
billing-simulator-error-expired = the session has expired; start again from the billing page
billing-simulator-checkout-intro = Choose the test card to save for this customer.
billing-simulator-portal = Billing portal
billing-simulator-replace = Replace the payment method
billing-simulator-back = Back
billing-simulator-invoice-title = Invoice { $number }
billing-simulator-invoice-to = To
billing-simulator-description = Description
billing-simulator-quantity = Quantity
billing-simulator-subtotal = Subtotal
billing-simulator-pdf = Download the PDF

## Charts (the platform's statistics)

billing-chart-numbers = The numbers
billing-chart-day = Day
