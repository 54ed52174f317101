skip = Gå til innholdet
language = Språk
send = Send
save = Lagre
amount = Beløp
date = Dato
reason = Grunn
total = Totalt
col-invoice = Faktura
col-issued = Fakturadato
col-due = Forfallsdato
debtor-title = Dine fakturaer fra { $creditor }
debtor-hello = Hei { $name }. Her ser du hva du skylder { $creditor }, hvorfor og hvordan du betaler. Du kan også si fra hvis noe er feil, love å betale innen en dato eller be om en betalingsavtale.
debtor-nothing = Du har ingen ubetalte fakturaer hos { $creditor }. Takk!
debtor-total = Totalt å betale i dag: { $amount }
debtor-claim = Faktura { $invoice }
debtor-what = Hva beløpet består av
debtor-principal = Fakturabeløpet som ennå ikke er betalt
debtor-interest = Forsinkelsesrente etter loven, fordi fakturaen ble betalt for sent
debtor-fee-explained = { $kind ->
    [reminder] Purregebyr for den skriftlige purringen, som loven tillater
    [collection] Inkassosalær for inkassovarselet eller betalingsoppfordringen, etter loven
    [late_compensation] Kompensasjon for inndrivelseskostnader, som loven gir en næringsdrivende kreditor
    [payment_plan] Gebyr for å sette opp en betalingsavtale, etter loven
   *[other] Gebyr
}
debtor-no-fees = Ingen gebyrer er lagt til.
debtor-to-pay = Å betale i dag
debtor-how = Slik betaler du
debtor-paused = Stilt i bero: { $why }
debtor-act = Noe å ordne?
debtor-dispute = Jeg mener fakturaen er feil
debtor-dispute-reason = Hva er feil?
debtor-promise = Jeg betaler innen en dato
debtor-promise-by = Dato (senest { $date })
debtor-plan = Jeg vil betale i månedlige avdrag
debtor-plan-months = Antall måneder
debtor-plan-fee = Et gebyr for betalingsavtalen kan komme i tillegg, etter loven.
debtor-contact = Hvordan vi når deg
debtor-channel = Send påminnelser med
channel-letter = Brev
channel-email = E-post
channel-sms = SMS
channel-default = Slik kreditor velger
debtor-language = Språk i brev og på denne siden
done-dispute = Takk. Vi har mottatt innsigelsen din; vi driver ikke kravet videre før den er undersøkt.
done-promise = Takk. Vi har notert betalingsløftet ditt.
done-plan = Takk. Betalingsavtalen din er registrert; du får en bekreftelse.
done-contact = Takk. Valgene dine er lagret.
debtor-questions = Spørsmål? Kontakt { $contact }.
debtor-disputed = Du har protestert på fakturaen; den blir undersøkt.
link-invalid = Lenken kan ikke brukes
link-wrong = Lenken er ikke gyldig. Bruk lenken i det siste brevet eller e-posten din.
link-expired = Lenken er utløpt. Bruk lenken i det siste brevet eller e-posten din, eller kontakt kreditor.
link-off = Siden er ikke tilgjengelig.
error-title = Noe gikk galt
