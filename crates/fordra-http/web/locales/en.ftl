## Common
skip = Skip to content
nav-main = Main menu
nav-dashboard = Overview
nav-claims = Claims
nav-work = Worklist
nav-model = Handling models
sign-out = Sign out
signed-in-as = Signed in as { $name } ({ $role })
language = Language
save = Save
send = Send
yes = Yes
no = No
none = None
back-home = Back to the start page
amount = Amount
date = Date
status = Status
reason = Reason
note = Note
claim = Claim
customer = Customer
segment = Segment
total = Total
download-csv = Download as CSV
table-numbers = The numbers

## Sign-in
login-title = Sign in to Fordra
login-id = User name (e-mail)
login-password = Password
login-submit = Sign in
login-wrong = The user name or password is wrong.
login-rate = Too many attempts: wait a minute and try again.
login-csrf = The form had expired: please try again.

## Operator
creditors-title = Creditors

## Dashboard
dash-title = Overview of { $name }
dash-as-of = As of { $date }
dash-aging = Outstanding by days past due
dash-trend = DSO and average days to pay per segment
dash-segments = Segments
dash-moves = Moves between segments, last 30 days
dash-cash = Cash expected
dash-experiments = Running experiments
dash-factors = What drives late payment (the model's strongest factors)
dash-run = Run today's handling
col-bucket = Days past due
col-claims = Claims
col-open = Open
col-dso = DSO (days)
col-days-to-pay = Average days to pay
col-customers = Customers
col-invoices = Invoices
col-open-claims = Open claims
col-collection-rate = Collection rate
col-collection = To collection
col-legal = To legal action
col-fees = Fees
col-interest = Interest
col-from = From
col-to = To
col-within = Within
col-expected = Expected
col-if-on-time = If paid on the due date
col-arm = Arm
col-collected = Collected share
col-factor = Factor
col-weight = Days late per unit
within-days = { $days } days
no-model = No payment-behaviour model is in use yet.
no-experiments = No experiments are running.
interval = { $value } ({ $low } – { $high })

## Claims
claims-title = Claims
claims-filter = Filter
claims-status-any = Any status
claims-more = Show more
col-invoice = Invoice
col-issued = Invoice date
col-due = Due date
col-principal = Principal
col-balance = Balance
status-open = open
status-paid = paid
claim-title = Claim { $id }
claim-balance = Balance
claim-balance-as-of = Balance as of a day
claim-show = Show
claim-timeline = Timeline
claim-deliveries = Letters and messages
claim-pdf = Letter (PDF)
claim-paused = Paused: { $why }
claim-segment-why = Why this segment
claim-model-why = The model's reasons
claim-actions = Work the claim
interest-accrued = Interest accrued, not yet posted
col-event = Event
col-detail = Detail
col-channel = Channel
col-kind = Kind
col-sent = Sent

## Pauses and actions
pause-add = Register
pause-kind = What
kind-dispute = Dispute
kind-promise = Promise to pay
kind-payment_plan = Payment plan
kind-hold = Hold
pause-until = Until (for a dispute: leave empty until decided)
pause-instalments = Instalments (payment plan)
pause-plan-fee = Charge the lawful payment-plan fee
pause-end = End
pauses-open = Open pauses
decide = Decide
decide-rejected = Rejected: the claim stands
decide-upheld = Upheld: the debtor is right
vip-set = Mark as VIP
vip-unset = Remove VIP
note-add = Write a note
notes = Notes

## Customer
customer-title = Customer { $id }
customer-contact = Contact
customer-vip = VIP
customer-score = Credit score
customer-segment-changes = Segment changes
customer-claims = Claims

## Worklist
work-title = Worklist
work-calls = Phone calls to make
work-unmatched = Payments nobody could match
work-disputes = Disputes awaiting a decision
work-promises = Broken promises
work-escalations = About to go to collection or legal action (next { $days } days)
work-debtors = What debtors did on their page (last { $days } days)
work-empty = Nothing here.
assign = Assign
assign-to = Assign to { $claim }
payer = Payer
reference = Reference
suggestion = Suggestion
call-outcome = Outcome
call-record = Record the call
promised-by = Promised by
step = Step
who = Who
when = When

## Model editor
model-title = Handling model: { $segment }
model-intro = Each row is a step. Rows without a kind are left out. Saving checks every rule of the policy and the law and names each one broken.
backtest-horizon = Days each claim is followed
model-backtest = Backtest this model
model-save = Save and use
model-problems = The model was not accepted
backtest-title = Backtest: the claims of the segment replayed
col-after = Counted from
col-days = Days
col-payment-days = Days to pay
col-fee = Fee
col-min = Minimum amount
after-due = the due date
after-previous = the previous deadline
observed = Observed
current = Current model
alternative = This model
col-paid-share = Paid share
col-letters = Letters per claim
col-fees-per-claim = Fees per claim
col-collection-share = Collection share

## The debtor's page
debtor-title = Your invoices from { $creditor }
debtor-hello = Hello { $name }. Here you see what you owe { $creditor }, why, and how to pay. You can also tell us if something is wrong, promise to pay by a date or ask for a payment plan.
debtor-nothing = You have no open invoices with { $creditor }. Thank you!
debtor-total = In total to pay today: { $amount }
debtor-claim = Invoice { $invoice }
debtor-what = What the amount consists of
debtor-principal = The invoice's amount still unpaid
debtor-interest = Late interest, by law, because the invoice was paid late
debtor-fee-explained = { $kind ->
    [reminder] A reminder fee for the written reminder, which the law allows when it was agreed in advance
    [collection] A collection fee for the collection demand, as the law allows
    [late_compensation] Compensation for recovery costs, which the law gives a business creditor
    [payment_plan] A fee for drawing up a payment plan, as the law allows
   *[other] A fee
}
debtor-no-fees = No fees have been charged.
debtor-to-pay = To pay today
debtor-how = How to pay
debtor-paused = On hold: { $why }
debtor-act = Something to arrange?
debtor-dispute = I think this invoice is wrong
debtor-dispute-reason = What is wrong?
debtor-promise = I will pay by a date
debtor-promise-by = Date (at most { $date })
debtor-plan = I want to pay in monthly instalments
debtor-plan-months = Number of months
debtor-plan-fee = A payment-plan fee may be added, as the law allows.
debtor-contact = How we reach you
debtor-channel = Send reminders by
channel-letter = Letter
channel-email = E-mail
channel-sms = Text message (SMS)
channel-default = As the creditor chooses
debtor-language = Language of letters and this page
done-dispute = Thank you. We have received your objection; we will not press the claim until it has been looked into.
done-promise = Thank you. We have noted your promise to pay.
done-plan = Thank you. Your payment plan is registered; you will get a confirmation.
done-contact = Thank you. Your choices are saved.
debtor-questions = Questions? Contact { $contact }.
debtor-disputed = You have disputed this invoice; it is being looked into.
link-invalid = This link cannot be used
link-wrong = The link is not valid. Please use the link in your latest letter or e-mail.
link-expired = The link has expired. Please use the link in your latest letter or e-mail, or contact the creditor.
link-off = The debtor's page is not available.
error-title = Something went wrong
