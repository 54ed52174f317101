skip = Gå til indholdet
language = Sprog
send = Send
save = Gem
amount = Beløb
date = Dato
reason = Begrundelse
total = I alt
col-invoice = Faktura
col-issued = Fakturadato
col-due = Forfaldsdato
debtor-title = Dine fakturaer fra { $creditor }
debtor-hello = Hej { $name }. Her kan du se, hvad du skylder { $creditor }, hvorfor og hvordan du betaler. Du kan også sige til, hvis noget er forkert, love at betale inden en dato eller bede om en afdragsordning.
debtor-nothing = Du har ingen ubetalte fakturaer hos { $creditor }. Tak!
debtor-total = I alt at betale i dag: { $amount }
debtor-claim = Faktura { $invoice }
debtor-what = Hvad beløbet består af
debtor-principal = Fakturaens beløb, som endnu ikke er betalt
debtor-interest = Morarente efter loven, fordi fakturaen blev betalt for sent
debtor-fee-explained = { $kind ->
    [reminder] Rykkergebyr for den skriftlige rykker, som loven tillader
    [collection] Inkassogebyr for inkassokravet, efter loven
    [late_compensation] Kompensation for inddrivelsesomkostninger, som loven giver en erhvervsdrivende kreditor
    [payment_plan] Gebyr for at oprette en afdragsordning, efter loven
   *[other] Gebyr
}
debtor-no-fees = Der er ikke pålagt gebyrer.
debtor-to-pay = At betale i dag
debtor-how = Sådan betaler du
debtor-paused = Sat i bero: { $why }
debtor-act = Noget at aftale?
debtor-dispute = Jeg mener, fakturaen er forkert
debtor-dispute-reason = Hvad er forkert?
debtor-promise = Jeg betaler senest en bestemt dato
debtor-promise-by = Dato (senest { $date })
debtor-plan = Jeg vil betale i månedlige afdrag
debtor-plan-months = Antal måneder
debtor-plan-fee = Der kan komme et gebyr for afdragsordningen, efter loven.
debtor-contact = Hvordan vi når dig
debtor-channel = Send påmindelser med
channel-letter = Brev
channel-email = E-mail
channel-sms = SMS
channel-default = Som kreditor vælger
debtor-language = Sprog i breve og på denne side
done-dispute = Tak. Vi har modtaget din indsigelse; vi forfølger ikke kravet, før den er undersøgt.
done-promise = Tak. Vi har noteret dit betalingsløfte.
done-plan = Tak. Din afdragsordning er registreret; du får en bekræftelse.
done-contact = Tak. Dine valg er gemt.
debtor-questions = Spørgsmål? Kontakt { $contact }.
debtor-disputed = Du har gjort indsigelse mod fakturaen; den bliver undersøgt.
link-invalid = Linket kan ikke bruges
link-wrong = Linket er ikke gyldigt. Brug linket i dit seneste brev eller din seneste e-mail.
link-expired = Linket er udløbet. Brug linket i dit seneste brev eller din seneste e-mail, eller kontakt kreditor.
link-off = Siden er ikke tilgængelig.
error-title = Noget gik galt
