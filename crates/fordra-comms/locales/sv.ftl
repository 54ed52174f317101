# Fordras meddelanden på svenska. Samma nycklar som en.ftl (ett test kontrollerar).

## Format
fmt-group = { "\u00A0" }
fmt-decimal = ,
fmt-money = { $amount } { $code ->
    [SEK] kr
   *[other] { $code }
}
fmt-date = { $d } { $month } { $y }
month-1 = januari
month-2 = februari
month-3 = mars
month-4 = april
month-5 = maj
month-6 = juni
month-7 = juli
month-8 = augusti
month-9 = september
month-10 = oktober
month-11 = november
month-12 = december

## Rubriker
heading-pre_due = Din faktura { $invoice } förfaller den { $due }
heading-reminder = Betalningspåminnelse
heading-collection_notice = Varsel om inkasso
heading-phone_call = Samtal om obetalda fakturor
heading-late_compensation = Krav på ersättning för indrivningskostnader
heading-collection = Inkassokrav
heading-legal = Din skuld lämnas vidare för rättsliga åtgärder
heading-payment_plan = Bekräftelse av din avbetalningsplan
heading-promise = Bekräftelse av ditt betalningslöfte
heading-dispute = Vi har tagit emot din invändning

## Hälsning
greeting = Hej { $name },
closing = { $segment ->
    [vip] Tack för att du är kund hos oss. Vänliga hälsningar,
   *[other] Vänliga hälsningar,
}

## Inledningar; tonen följer segmentet
intro-pre_due = { $segment ->
    [vip] En vänlig påminnelse: faktura { $invoice } förfaller den { $due }. Har du redan betalat – tack!
   *[other] Vi vill påminna om att faktura { $invoice } förfaller den { $due }.
}
intro-reminder = { $segment ->
    [vip] Vi har ännu inte fått betalt för fakturorna nedan. Det har säkert bara blivit förbisett – vi är tacksamma om du betalar senast { $deadline }.
    [risk] Vi har inte fått betalt för fakturorna nedan. Betala senast { $deadline }.
   *[other] Kanske har vi missat din betalning, men enligt vår bokföring är fakturorna nedan fortfarande obetalda. Betala senast { $deadline }.
}
intro-collection_notice = Fakturorna nedan är förfallna. Betalas de inte senast { $deadline } lämnas fordran till inkasso och inkassokostnader tillkommer.
intro-phone_call = Ring { $name } om de förfallna fakturorna nedan.
intro-late_compensation = Fakturorna nedan har betalats för sent eller är fortfarande obetalda. { $jurisdiction ->
    [se] Enligt lagen (1981:739) om ersättning för inkassokostnader m.m. 4 a § (direktiv 2011/7/EU)
   *[other] Enligt direktiv 2011/7/EU om bekämpande av sena betalningar
} kräver vi den fasta ersättningen för indrivningskostnader nedan.
intro-collection = Detta är ett inkassokrav. Fordran nedan är obetald trots tidigare påminnelser. Betala hela beloppet senast { $deadline }, eller gör en invändning senast samma dag om du anser att kravet är felaktigt.
intro-legal = Fordran nedan är fortfarande obetald trots vårt inkassokrav. Den lämnas nu vidare för rättsliga åtgärder. Du kan fortfarande undvika det genom att betala hela beloppet direkt eller kontakta oss.
intro-payment_plan = Här bekräftar vi avbetalningsplanen vi kommit överens om. Hanteringen av fakturorna nedan pausas så länge planen följs.
intro-promise = Här bekräftar vi ditt löfte att betala beloppet nedan senast { $deadline }. Fram till dess vidtar vi inga fler åtgärder.
intro-dispute = Vi har tagit emot din invändning mot fordringarna nedan. Vi vidtar inga fler indrivningsåtgärder för dem innan frågan är utredd, och vi kontaktar dig.

## Tabellen
col-invoice = Faktura
col-issued = Fakturadatum
col-due = Förfallodag
col-principal = Kapital
col-interest = Ränta
col-fees = Avgifter
col-total = Att betala
total = Totalt

## Vad fordran består av (inkassokrav)
basis = Grund för fordran: faktura { $invoice } daterad { $issued }, förfallen { $due }, från { $creditor }.
principal-line = Kapitalbelopp: { $amount }
paid-line = Hittills betalt: { $amount }
interest-line = Dröjsmålsränta: { $amount }
interest-period = Ränta { $rate } % per år på { $principal } från { $from } till { $through } ({ $days } dagar).
interest-until-deadline = Räntan löper tills betalning sker; betalar du { $amount } senast { $deadline } är fordran reglerad.
fee-line = { $kind ->
    [reminder] Påminnelseavgift
    [collection] Inkassoavgift
    [late_compensation] Förseningsersättning
    [payment_plan] Avgift för avbetalningsplan
   *[other] Avgift
} ({ $date }): { $amount }
no-fees = Inga avgifter har tagits ut.
creditor-line = Borgenär: { $creditor }
agency-line = { $agency } (tillstånd { $licence }) driver in fordran för { $creditor }s räkning.

## Invändning
object-how = Anser du att kravet är felaktigt, gör en skriftlig invändning senast { $deadline } till { $contact } och ange vilken del du bestrider och varför.
object-effect = { $jurisdiction ->
    [fi] Indrivningen avbryts vid en grundad invändning tills frågan är utredd. Du kan också begära en betalningsplan.
   *[other] Vi vidtar inga fler åtgärder för den del du bestrider innan frågan är utredd.
}
consequence = { $jurisdiction ->
    [se] Om du varken betalar eller gör en invändning senast { $deadline } kan vi ansöka om betalningsföreläggande hos Kronofogden, vilket kan leda till en betalningsanmärkning.
    [fi] Om du varken betalar eller gör en invändning senast { $deadline } kan fordran föras till tingsrätten, vilket kan leda till en betalningsanmärkning.
    [no] Om du varken betalar eller gör en invändning senast { $deadline } kan vi vidta rättsliga åtgärder, vilket kan medföra ytterligare kostnader.
    [dk] Om du varken betalar eller gör en invändning senast { $deadline } kan fordran föras till fogedretten.
   *[other] Om du varken betalar eller gör en invändning senast { $deadline } kan fordran föras till domstol.
}
notice-consequence = Betalas beloppet inte inom fristen på minst 14 dagar lämnas fordran till inkasso och kostnader tillkommer.

## Betalning
pay-heading = Så betalar du
pay-amount = Belopp att betala: { $amount }
pay-deadline = Betala senast: { $deadline }
pay-reference = OCR/referens: { $reference }
pay-bankgiro = Bankgiro: { $bankgiro }
pay-iban = IBAN: { $iban }
pay-barcode = Bankstreckkod: { $code }
pay-qr = Skanna koden med din bankapp.
pay-several = Betala varje faktura med sin egen referens.
page-link = Se dina fakturor, betala eller be om en avbetalningsplan här: { $url }
contact = Frågor? Kontakta { $contact }.

## SMS
sms-pre_due = { $creditor }: faktura { $invoice } på { $amount } förfaller { $due }. OCR { $reference }.
sms-reminder = { $creditor }: vi har inte fått { $amount } (OCR { $reference }). Betala senast { $deadline }.
sms-collection_notice = { $creditor }: { $amount } är förfallet. Betala senast { $deadline } för att undvika inkasso. OCR { $reference }.
sms-phone_call = { $creditor }: vi har sökt dig om { $amount }. Kontakta oss gärna.
sms-late_compensation = { $creditor }: förseningsersättning har lagts till; { $amount } att betala senast { $deadline }.
sms-collection = { $creditor }: inkassokrav på { $amount }. Betala eller invänd senast { $deadline }. OCR { $reference }.
sms-legal = { $creditor }: { $amount } obetalt; fordran lämnas för rättsliga åtgärder.
sms-payment_plan = { $creditor }: din avbetalningsplan är bekräftad.
sms-promise = { $creditor }: ditt löfte att betala { $amount } senast { $deadline } är bekräftat.
sms-dispute = { $creditor }: vi har tagit emot din invändning och pausat indrivningen.

## Samtalsmanus
script-open = Presentera dig och { $creditor }. Kontrollera att du talar med { $name }.
script-amount = Totalt obetalt: { $amount }. Fråga om gäldenären kan betala, och när.
script-outcome = Registrera: nådd, betalningslöfte (med datum), invändning, fel nummer eller inget svar.
