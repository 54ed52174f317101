# Fordra's messages in English. Every file in locales/ has the same keys (a test checks).
# Variables: $name (debtor), $creditor, $amount, $deadline, $due, $invoice, $segment
# (vip, normal, risk), $jurisdiction (se, fi, no, dk, eu), $debtor (consumer, business).

## Formats
fmt-group = ,
fmt-decimal = .
fmt-money = { $code } { $amount }
fmt-date = { $d } { $month } { $y }
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December

## Headings (letter heading and e-mail subject)
heading-pre_due = Your invoice { $invoice } falls due on { $due }
heading-reminder = Payment reminder
heading-collection_notice = Notice of debt collection (inkassovarsel)
heading-phone_call = Call about unpaid invoices
heading-late_compensation = Claim for compensation for recovery costs
heading-collection = Collection demand
heading-legal = Your debt is being handed over for legal action
heading-payment_plan = Confirmation of your payment plan
heading-promise = Confirmation of your promise to pay
heading-dispute = We have received your objection

## Greeting and closing
greeting = Dear { $name },
closing = { $segment ->
    [vip] Thank you for being a valued customer. Kind regards,
   *[other] Kind regards,
}

## Openings by step; the tone follows the segment
intro-pre_due = { $segment ->
    [vip] A friendly note: invoice { $invoice } falls due on { $due }. If it is already on its way, thank you.
   *[other] This is a reminder that invoice { $invoice } falls due on { $due }.
}
intro-reminder = { $segment ->
    [vip] We have not yet received payment for the invoices below. It has probably just slipped through — we would be grateful if you could pay by { $deadline }.
    [risk] We have not received payment for the invoices below. Please pay by { $deadline }.
   *[other] We may have missed your payment, but according to our records the invoices below are still unpaid. Please pay by { $deadline }.
}
intro-collection_notice = The invoices below are overdue. If they are not paid by { $deadline }, the claim will be sent to debt collection and collection costs will be added.
intro-phone_call = Call { $name } about the overdue invoices below.
intro-late_compensation = The invoices below were paid late or are still unpaid. Under the Late Payment Directive (2011/7/EU) we claim the fixed compensation for recovery costs shown below.
intro-collection = This is a collection demand. The claim below is unpaid despite earlier reminders. Pay the full amount by { $deadline }, or object by the same date if you think the claim is wrong.
intro-legal = The claim below remains unpaid despite our collection demand. It is now being handed over for legal action. You can still avoid this by paying the full amount at once or by contacting us.
intro-payment_plan = This confirms the payment plan we agreed. Handling of the claims below is paused while the plan is kept.
intro-promise = This confirms your promise to pay the amount below by { $deadline }. We will take no further steps until then.
intro-dispute = We have received your objection to the claims below. We will take no further collection steps on them until the matter has been resolved, and we will contact you.

## The claim table
col-invoice = Invoice
col-issued = Invoice date
col-due = Due date
col-principal = Principal
col-interest = Interest
col-fees = Fees
col-total = To pay
total = Total

## What the claim consists of (collection demand)
basis = Basis of the claim: invoice { $invoice } dated { $issued }, due { $due }, from { $creditor }.
principal-line = Principal: { $amount }
paid-line = Paid so far: { $amount }
interest-line = Late interest: { $amount }
interest-period = Interest { $rate } % per year on { $principal } from { $from } to { $through } ({ $days } days).
interest-until-deadline = Interest keeps running until payment; paying { $amount } by { $deadline } settles the claim.
fee-line = { $kind ->
    [reminder] Reminder fee
    [collection] Collection fee
    [late_compensation] Compensation for recovery costs
    [payment_plan] Payment plan fee
   *[other] Fee
} ({ $date }): { $amount }
no-fees = No fees have been charged.
creditor-line = Creditor: { $creditor }
agency-line = { $agency } (licence { $licence }) collects this claim on behalf of { $creditor }.

## Objecting
object-how = If you think the claim is wrong, object in writing by { $deadline } to { $contact }, saying which part you dispute and why.
object-effect = { $jurisdiction ->
    [fi] Collection stops on a justified objection until the matter is resolved. You may also ask for a repayment plan.
   *[other] We will not take further steps on the part you dispute until the matter is resolved.
}
consequence = { $jurisdiction ->
    [se] If you neither pay nor object by { $deadline }, we may apply to the Swedish Enforcement Authority (Kronofogden) for an order to pay, which can lead to a payment remark.
    [fi] If you neither pay nor object by { $deadline }, the claim may be taken to the district court, which can lead to a payment default entry.
    [no] If you neither pay nor object by { $deadline }, we may take legal steps to recover the claim, which can lead to further costs.
    [dk] If you neither pay nor object by { $deadline }, the claim may be brought before the bailiff's court (fogedretten).
   *[other] If you neither pay nor object by { $deadline }, the claim may be taken to court.
}
notice-consequence = If the amount is not paid within the deadline of at least 14 days, the claim will be handed over to debt collection and costs will be added.

## Paying
pay-heading = How to pay
pay-amount = Amount to pay: { $amount }
pay-deadline = Pay by: { $deadline }
pay-reference = Reference: { $reference }
pay-bankgiro = Bankgiro: { $bankgiro }
pay-iban = IBAN: { $iban }
pay-barcode = Bank barcode: { $code }
pay-qr = Scan the code with your banking app.
pay-several = Pay each invoice with its own reference.
page-link = See your invoices, pay, or ask for a payment plan here: { $url }
contact = Questions? Contact { $contact }.

## Texts (SMS)
sms-pre_due = { $creditor }: invoice { $invoice } of { $amount } falls due on { $due }. Ref { $reference }.
sms-reminder = { $creditor }: we have not received { $amount } (ref { $reference }). Please pay by { $deadline }.
sms-collection_notice = { $creditor }: { $amount } is overdue. Pay by { $deadline } to avoid debt collection. Ref { $reference }.
sms-phone_call = { $creditor }: we tried to call you about { $amount }. Please contact us.
sms-late_compensation = { $creditor }: compensation for recovery costs has been added; { $amount } to pay by { $deadline }.
sms-collection = { $creditor }: collection demand for { $amount }. Pay or object by { $deadline }. Ref { $reference }.
sms-legal = { $creditor }: { $amount } unpaid; the claim is handed over for legal action.
sms-payment_plan = { $creditor }: your payment plan is confirmed.
sms-promise = { $creditor }: your promise to pay { $amount } by { $deadline } is confirmed.
sms-dispute = { $creditor }: we have received your objection and paused collection.

## Call script
script-open = Introduce yourself and { $creditor }. Confirm you are speaking with { $name }.
script-amount = Open in total: { $amount }. Ask whether the debtor can pay, and by when.
script-outcome = Record: reached, promise (with its date), dispute, wrong number or no answer.
