skip = Siirry sisältöön
language = Kieli
send = Lähetä
save = Tallenna
amount = Summa
date = Päivämäärä
reason = Syy
total = Yhteensä
col-invoice = Lasku
col-issued = Laskun päiväys
col-due = Eräpäivä
debtor-title = Laskusi: { $creditor }
debtor-hello = Hei { $name }. Tässä näet, mitä olet velkaa { $creditor } -yritykselle, miksi ja miten maksat. Voit myös kertoa, jos jokin on väärin, luvata maksaa tiettyyn päivään mennessä tai pyytää maksusuunnitelmaa.
debtor-nothing = Sinulla ei ole avoimia laskuja: { $creditor }. Kiitos!
debtor-total = Maksettavaa tänään yhteensä: { $amount }
debtor-claim = Lasku { $invoice }
debtor-what = Mistä summa koostuu
debtor-principal = Laskun maksamaton määrä
debtor-interest = Lain mukainen viivästyskorko, koska lasku maksettiin myöhässä
debtor-fee-explained = { $kind ->
    [reminder] Maksumuistutuksen kulu, jonka laki sallii
    [collection] Perintäkulu perintävaatimuksesta, lain sallimissa rajoissa
    [late_compensation] Perintäkulujen korvaus, jonka laki antaa elinkeinonharjoittajalle
    [payment_plan] Maksusuunnitelman laatimiskulu, lain sallimissa rajoissa
   *[other] Kulu
}
debtor-no-fees = Kuluja ei ole peritty.
debtor-to-pay = Maksettavaa tänään
debtor-how = Näin maksat
debtor-paused = Keskeytetty: { $why }
debtor-act = Haluatko sopia jotakin?
debtor-dispute = Mielestäni lasku on virheellinen
debtor-dispute-reason = Mikä on väärin?
debtor-promise = Maksan tiettyyn päivään mennessä
debtor-promise-by = Päivämäärä (viimeistään { $date })
debtor-plan = Haluan maksaa kuukausierissä
debtor-plan-months = Kuukausien määrä
debtor-plan-fee = Maksusuunnitelmasta voidaan periä lain sallima kulu.
debtor-contact = Miten tavoitamme sinut
debtor-channel = Lähetä muistutukset
channel-letter = Kirjeenä
channel-email = Sähköpostilla
channel-sms = Tekstiviestillä
channel-default = Velkojan valinnan mukaan
debtor-language = Kirjeiden ja tämän sivun kieli
done-dispute = Kiitos. Olemme vastaanottaneet riitautuksesi; perintä keskeytetään, kunnes asia on selvitetty.
done-promise = Kiitos. Olemme kirjanneet maksulupauksesi.
done-plan = Kiitos. Maksusuunnitelmasi on kirjattu; saat vahvistuksen.
done-contact = Kiitos. Valintasi on tallennettu.
debtor-questions = Kysyttävää? Ota yhteyttä: { $contact }.
debtor-disputed = Olet riitauttanut laskun; asiaa selvitetään.
link-invalid = Linkkiä ei voi käyttää
link-wrong = Linkki ei ole voimassa. Käytä viimeisimmän kirjeen tai sähköpostin linkkiä.
link-expired = Linkki on vanhentunut. Käytä viimeisimmän kirjeen tai sähköpostin linkkiä tai ota yhteyttä velkojaan.
link-off = Sivu ei ole käytettävissä.
error-title = Jokin meni vikaan
