# Fordras meldinger på norsk bokmål. Samme nøkler som en.ftl (en test kontrollerer).

## Formater
fmt-group = { "\u00A0" }
fmt-decimal = ,
fmt-money = { $code ->
    [NOK] kr { $amount }
   *[other] { $code } { $amount }
}
fmt-date = { $d }. { $month } { $y }
month-1 = januar
month-2 = februar
month-3 = mars
month-4 = april
month-5 = mai
month-6 = juni
month-7 = juli
month-8 = august
month-9 = september
month-10 = oktober
month-11 = november
month-12 = desember

## Overskrifter
heading-pre_due = Fakturaen din { $invoice } forfaller { $due }
heading-reminder = Betalingspåminnelse (purring)
heading-collection_notice = Inkassovarsel
heading-phone_call = Samtale om ubetalte fakturaer
heading-late_compensation = Krav om kompensasjon for inndrivingskostnader
heading-collection = Betalingsoppfordring
heading-legal = Kravet ditt overføres til rettslig inndriving
heading-payment_plan = Bekreftelse på nedbetalingsplanen din
heading-promise = Bekreftelse på betalingsløftet ditt
heading-dispute = Vi har mottatt innsigelsen din

## Hilsen
greeting = Hei { $name },
closing = { $segment ->
    [vip] Takk for at du er kunde hos oss. Vennlig hilsen
   *[other] Vennlig hilsen
}

## Innledninger; tonen følger segmentet
intro-pre_due = { $segment ->
    [vip] En vennlig påminnelse: faktura { $invoice } forfaller { $due }. Har du allerede betalt – takk!
   *[other] Vi minner om at faktura { $invoice } forfaller { $due }.
}
intro-reminder = { $segment ->
    [vip] Vi har ennå ikke mottatt betaling for fakturaene nedenfor. Det har nok bare blitt oversett – vi setter pris på om du betaler innen { $deadline }.
    [risk] Vi har ikke mottatt betaling for fakturaene nedenfor. Betal innen { $deadline }.
   *[other] Kanskje har vi oversett betalingen din, men ifølge vårt regnskap er fakturaene nedenfor fortsatt ubetalt. Betal innen { $deadline }.
}
intro-collection_notice = Fakturaene nedenfor er forfalt. Blir de ikke betalt innen { $deadline }, vil kravet bli sendt til inkasso, og du må betale inkassosalær og andre kostnader{ $jurisdiction ->
    [no] { " " }(inkassoloven § 9).
   *[other] .
}
intro-phone_call = Ring { $name } om de forfalte fakturaene nedenfor.
intro-late_compensation = Fakturaene nedenfor er betalt for sent eller fortsatt ubetalt. { $jurisdiction ->
    [no] Etter forsinkelsesrenteloven (direktiv 2011/7/EU)
   *[other] Etter direktiv 2011/7/EU om forsinket betaling
} krever vi den faste kompensasjonen for inndrivingskostnader nedenfor.
intro-collection = { $jurisdiction ->
    [no] Dette er en betalingsoppfordring (inkassoloven § 10).
   *[other] Dette er en betalingsoppfordring.
} Kravet nedenfor er ubetalt til tross for inkassovarsel. Betal hele beløpet innen { $deadline }, eller kom med innsigelse innen samme dato hvis du mener kravet er feil.
intro-legal = Kravet nedenfor er fortsatt ubetalt til tross for betalingsoppfordringen. Det overføres nå til rettslig inndriving. Du kan fortsatt unngå dette ved å betale hele beløpet straks eller kontakte oss.
intro-payment_plan = Vi bekrefter nedbetalingsplanen vi har avtalt. Behandlingen av fakturaene nedenfor stanses så lenge planen følges.
intro-promise = Vi bekrefter løftet ditt om å betale beløpet nedenfor innen { $deadline }. Vi gjør ingen nye skritt før da.
intro-dispute = Vi har mottatt innsigelsen din mot kravene nedenfor. Vi gjør ingen nye inndrivingsskritt før saken er avklart, og vi tar kontakt med deg.

## Tabellen
col-invoice = Faktura
col-issued = Fakturadato
col-due = Forfallsdato
col-principal = Hovedstol
col-interest = Renter
col-fees = Gebyrer
col-total = Å betale
total = Totalt

## Hva kravet består av (betalingsoppfordring)
basis = Grunnlaget for kravet: faktura { $invoice } datert { $issued }, forfalt { $due }, fra { $creditor }.
principal-line = Hovedstol: { $amount }
paid-line = Betalt så langt: { $amount }
interest-line = Forsinkelsesrenter: { $amount }
interest-period = Renter { $rate } % per år av { $principal } fra { $from } til { $through } ({ $days } dager).
interest-until-deadline = Rentene løper til betaling skjer; betaler du { $amount } innen { $deadline }, er kravet oppgjort.
fee-line = { $kind ->
    [reminder] Purregebyr
    [collection] Inkassosalær
    [late_compensation] Kompensasjon for inndrivingskostnader
    [payment_plan] Gebyr for nedbetalingsplan
   *[other] Gebyr
} ({ $date }): { $amount }
no-fees = Det er ikke tatt gebyrer.
creditor-line = Kreditor: { $creditor }
agency-line = { $agency } (bevilling { $licence }) driver inn kravet på vegne av { $creditor }.

## Innsigelse
object-how = Mener du at kravet er feil, send en skriftlig innsigelse innen { $deadline } til { $contact }, og oppgi hvilken del du bestrider og hvorfor.
object-effect = { $jurisdiction ->
    [fi] Inndrivingen stanses ved en begrunnet innsigelse til saken er avklart. Du kan også be om en nedbetalingsplan.
   *[other] Vi gjør ingen nye skritt for den delen du bestrider før saken er avklart.
}
consequence = { $jurisdiction ->
    [se] Betaler du ikke og kommer ikke med innsigelse innen { $deadline }, kan vi begjære betalingspålegg hos Kronofogden i Sverige, noe som kan gi en betalingsanmerkning.
    [fi] Betaler du ikke og kommer ikke med innsigelse innen { $deadline }, kan kravet bringes inn for tingretten, noe som kan gi en betalingsanmerkning.
    [no] Betaler du ikke og kommer ikke med innsigelse innen { $deadline }, kan vi ta rettslige skritt for å inndrive kravet, noe som kan gi ytterligere kostnader.
    [dk] Betaler du ikke og kommer ikke med innsigelse innen { $deadline }, kan kravet bringes inn for fogedretten.
   *[other] Betaler du ikke og kommer ikke med innsigelse innen { $deadline }, kan kravet bringes inn for retten.
}
notice-consequence = Blir beløpet ikke betalt innen fristen på minst 14 dager, sendes kravet til inkasso og kostnader kommer i tillegg.

## Betaling
pay-heading = Slik betaler du
pay-amount = Beløp å betale: { $amount }
pay-deadline = Betal innen: { $deadline }
pay-reference = KID: { $reference }
pay-bankgiro = Bankgiro: { $bankgiro }
pay-iban = Konto/IBAN: { $iban }
pay-barcode = Strekkode: { $code }
pay-qr = Skann koden med bankappen din.
pay-several = Betal hver faktura med sin egen KID.
page-link = Se fakturaene dine, betal eller be om en nedbetalingsplan her: { $url }
contact = Spørsmål? Kontakt { $contact }.

## SMS
sms-pre_due = { $creditor }: faktura { $invoice } på { $amount } forfaller { $due }. KID { $reference }.
sms-reminder = { $creditor }: vi har ikke mottatt { $amount } (KID { $reference }). Betal innen { $deadline }.
sms-collection_notice = { $creditor }: { $amount } er forfalt. Betal innen { $deadline } for å unngå inkasso. KID { $reference }.
sms-phone_call = { $creditor }: vi har prøvd å ringe deg om { $amount }. Ta gjerne kontakt.
sms-late_compensation = { $creditor }: kompensasjon for inndrivingskostnader er lagt til; { $amount } å betale innen { $deadline }.
sms-collection = { $creditor }: betalingsoppfordring på { $amount }. Betal eller kom med innsigelse innen { $deadline }. KID { $reference }.
sms-legal = { $creditor }: { $amount } ubetalt; kravet overføres til rettslig inndriving.
sms-payment_plan = { $creditor }: nedbetalingsplanen din er bekreftet.
sms-promise = { $creditor }: løftet ditt om å betale { $amount } innen { $deadline } er bekreftet.
sms-dispute = { $creditor }: vi har mottatt innsigelsen din og stanset inndrivingen.

## Samtalemanus
script-open = Presenter deg og { $creditor }. Bekreft at du snakker med { $name }.
script-amount = Totalt ubetalt: { $amount }. Spør om skyldneren kan betale, og når.
script-outcome = Registrer: nådd, betalingsløfte (med dato), innsigelse, feil nummer eller ikke svar.
