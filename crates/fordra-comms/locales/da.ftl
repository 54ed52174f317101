# Fordras meddelelser på dansk. Samme nøgler som en.ftl (en test kontrollerer).

## Formater
fmt-group = .
fmt-decimal = ,
fmt-money = { $amount } { $code ->
    [DKK] kr.
   *[other] { $code }
}
fmt-date = { $d }. { $month } { $y }
month-1 = januar
month-2 = februar
month-3 = marts
month-4 = april
month-5 = maj
month-6 = juni
month-7 = juli
month-8 = august
month-9 = september
month-10 = oktober
month-11 = november
month-12 = december

## Overskrifter
heading-pre_due = Din faktura { $invoice } forfalder den { $due }
heading-reminder = Betalingspåmindelse (rykker)
heading-collection_notice = Varsel om inkasso
heading-phone_call = Opkald om ubetalte fakturaer
heading-late_compensation = Krav om kompensation for inddrivelsesomkostninger
heading-collection = Inkassomeddelelse
heading-legal = Din gæld overgives til retslig inddrivelse
heading-payment_plan = Bekræftelse af din afdragsordning
heading-promise = Bekræftelse af dit betalingsløfte
heading-dispute = Vi har modtaget din indsigelse

## Hilsen
greeting = Kære { $name },
closing = { $segment ->
    [vip] Tak fordi du er kunde hos os. Venlig hilsen
   *[other] Venlig hilsen
}

## Indledninger; tonen følger segmentet
intro-pre_due = { $segment ->
    [vip] En venlig påmindelse: faktura { $invoice } forfalder den { $due }. Har du allerede betalt – tak!
   *[other] Vi minder om, at faktura { $invoice } forfalder den { $due }.
}
intro-reminder = { $segment ->
    [vip] Vi har endnu ikke modtaget betaling for fakturaerne nedenfor. Det er sikkert blot blevet overset – vi vil sætte pris på, at du betaler senest den { $deadline }.
    [risk] Vi har ikke modtaget betaling for fakturaerne nedenfor. Betal senest den { $deadline }.
   *[other] Måske har vi overset din betaling, men ifølge vores regnskab er fakturaerne nedenfor stadig ubetalte. Betal senest den { $deadline }.
}
intro-collection_notice = Fakturaerne nedenfor er forfaldne. Betales de ikke senest den { $deadline }, overgives kravet til inkasso, og der tillægges omkostninger.
intro-phone_call = Ring til { $name } om de forfaldne fakturaer nedenfor.
intro-late_compensation = Fakturaerne nedenfor er betalt for sent eller stadig ubetalte. { $jurisdiction ->
    [dk] Efter renteloven § 9 b (direktiv 2011/7/EU)
   *[other] Efter direktiv 2011/7/EU om bekæmpelse af forsinket betaling
} kræver vi den faste kompensation for inddrivelsesomkostninger nedenfor.
intro-collection = Dette er en inkassomeddelelse. Kravet nedenfor er ubetalt trods tidligere påmindelser. Betal hele beløbet senest den { $deadline }, eller gør indsigelse inden samme dato, hvis du mener, at kravet er forkert.
intro-legal = Kravet nedenfor er stadig ubetalt trods vores inkassomeddelelse. Det overgives nu til retslig inddrivelse. Du kan stadig undgå det ved at betale hele beløbet straks eller kontakte os.
intro-payment_plan = Vi bekræfter den afdragsordning, vi har aftalt. Behandlingen af fakturaerne nedenfor er sat i bero, så længe ordningen overholdes.
intro-promise = Vi bekræfter dit løfte om at betale beløbet nedenfor senest den { $deadline }. Indtil da tager vi ingen yderligere skridt.
intro-dispute = Vi har modtaget din indsigelse mod kravene nedenfor. Vi tager ingen yderligere inddrivelsesskridt, før sagen er afklaret, og vi kontakter dig.

## Tabellen
col-invoice = Faktura
col-issued = Fakturadato
col-due = Forfaldsdato
col-principal = Hovedstol
col-interest = Renter
col-fees = Gebyrer
col-total = At betale
total = I alt

## Hvad kravet består af (inkassomeddelelse)
basis = Grundlaget for kravet: faktura { $invoice } dateret { $issued }, forfalden { $due }, fra { $creditor }.
principal-line = Hovedstol: { $amount }
paid-line = Betalt indtil nu: { $amount }
interest-line = Morarenter: { $amount }
interest-period = Renter { $rate } % om året af { $principal } fra { $from } til { $through } ({ $days } dage).
interest-until-deadline = Renterne løber, indtil der betales; betaler du { $amount } senest den { $deadline }, er kravet indfriet.
fee-line = { $kind ->
    [reminder] Rykkergebyr
    [collection] Inkassogebyr
    [late_compensation] Kompensation for inddrivelsesomkostninger
    [payment_plan] Gebyr for afdragsordning
   *[other] Gebyr
} ({ $date }): { $amount }
no-fees = Der er ikke opkrævet gebyrer.
creditor-line = Kreditor: { $creditor }
agency-line = { $agency } (tilladelse { $licence }) inddriver kravet på vegne af { $creditor }.

## Indsigelse
object-how = Mener du, at kravet er forkert, så send en skriftlig indsigelse senest den { $deadline } til { $contact }, og oplys hvilken del du bestrider og hvorfor.
object-effect = { $jurisdiction ->
    [fi] Inddrivelsen standses ved en begrundet indsigelse, indtil sagen er afklaret. Du kan også bede om en afdragsordning.
   *[other] Vi tager ingen yderligere skridt for den del, du bestrider, før sagen er afklaret.
}
consequence = { $jurisdiction ->
    [se] Betaler du ikke og gør du ikke indsigelse senest den { $deadline }, kan vi søge om betalingspåkrav hos Kronofogden i Sverige, hvilket kan føre til en betalingsanmærkning.
    [fi] Betaler du ikke og gør du ikke indsigelse senest den { $deadline }, kan kravet indbringes for tingretten, hvilket kan føre til en betalingsanmærkning.
    [no] Betaler du ikke og gør du ikke indsigelse senest den { $deadline }, kan vi tage retslige skridt, hvilket kan medføre yderligere omkostninger.
    [dk] Betaler du ikke og gør du ikke indsigelse senest den { $deadline }, kan kravet indbringes for fogedretten.
   *[other] Betaler du ikke og gør du ikke indsigelse senest den { $deadline }, kan kravet indbringes for retten.
}
notice-consequence = Betales beløbet ikke inden fristen på mindst 14 dage, overgives kravet til inkasso, og der tillægges omkostninger.

## Betaling
pay-heading = Sådan betaler du
pay-amount = Beløb at betale: { $amount }
pay-deadline = Betal senest: { $deadline }
pay-reference = Betalings-id (FIK): { $reference }
pay-bankgiro = Bankgiro: { $bankgiro }
pay-iban = IBAN: { $iban }
pay-barcode = Stregkode: { $code }
pay-qr = Scan koden med din bankapp.
pay-several = Betal hver faktura med sin egen reference.
page-link = Se dine fakturaer, betal eller bed om en afdragsordning her: { $url }
contact = Spørgsmål? Kontakt { $contact }.

## SMS
sms-pre_due = { $creditor }: faktura { $invoice } på { $amount } forfalder { $due }. Ref. { $reference }.
sms-reminder = { $creditor }: vi har ikke modtaget { $amount } (ref. { $reference }). Betal senest { $deadline }.
sms-collection_notice = { $creditor }: { $amount } er forfalden. Betal senest { $deadline } for at undgå inkasso. Ref. { $reference }.
sms-phone_call = { $creditor }: vi har forsøgt at ringe til dig om { $amount }. Kontakt os venligst.
sms-late_compensation = { $creditor }: kompensation for inddrivelsesomkostninger er tillagt; { $amount } at betale senest { $deadline }.
sms-collection = { $creditor }: inkassomeddelelse på { $amount }. Betal eller gør indsigelse senest { $deadline }. Ref. { $reference }.
sms-legal = { $creditor }: { $amount } ubetalt; kravet overgives til retslig inddrivelse.
sms-payment_plan = { $creditor }: din afdragsordning er bekræftet.
sms-promise = { $creditor }: dit løfte om at betale { $amount } senest { $deadline } er bekræftet.
sms-dispute = { $creditor }: vi har modtaget din indsigelse og standset inddrivelsen.

## Opkaldsmanuskript
script-open = Præsenter dig selv og { $creditor }. Bekræft, at du taler med { $name }.
script-amount = Ubetalt i alt: { $amount }. Spørg, om skyldneren kan betale, og hvornår.
script-outcome = Registrer: truffet, betalingsløfte (med dato), indsigelse, forkert nummer eller intet svar.
