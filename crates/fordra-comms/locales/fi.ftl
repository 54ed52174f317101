# Fordran viestit suomeksi. Samat avaimet kuin en.ftl (testi tarkistaa).

## Muodot
fmt-group = { "\u00A0" }
fmt-decimal = ,
fmt-money = { $amount } { $code ->
    [EUR] €
   *[other] { $code }
}
fmt-date = { $d }.{ $m }.{ $y }
month-1 = tammikuuta
month-2 = helmikuuta
month-3 = maaliskuuta
month-4 = huhtikuuta
month-5 = toukokuuta
month-6 = kesäkuuta
month-7 = heinäkuuta
month-8 = elokuuta
month-9 = syyskuuta
month-10 = lokakuuta
month-11 = marraskuuta
month-12 = joulukuuta

## Otsikot
heading-pre_due = Laskusi { $invoice } erääntyy { $due }
heading-reminder = Maksumuistutus
heading-collection_notice = Ilmoitus perintään siirtämisestä
heading-phone_call = Puhelu maksamattomista laskuista
heading-late_compensation = Vaatimus perintäkulujen korvauksesta
heading-collection = Perintäkirje (maksuvaatimus)
heading-legal = Saatavasi siirretään oikeudelliseen perintään
heading-payment_plan = Maksusuunnitelmasi vahvistus
heading-promise = Maksulupauksesi vahvistus
heading-dispute = Olemme vastaanottaneet vastustuksesi

## Tervehdys
greeting = Hyvä { $name },
closing = { $segment ->
    [vip] Kiitos, että olet asiakkaamme. Ystävällisin terveisin,
   *[other] Ystävällisin terveisin,
}

## Aloitukset; sävy seuraa segmenttiä
intro-pre_due = { $segment ->
    [vip] Ystävällinen muistutus: lasku { $invoice } erääntyy { $due }. Jos olet jo maksanut, kiitos!
   *[other] Muistutamme, että lasku { $invoice } erääntyy { $due }.
}
intro-reminder = { $segment ->
    [vip] Emme ole vielä saaneet maksua alla olevista laskuista. Se on varmasti vain unohtunut – olisimme kiitollisia, jos maksaisit viimeistään { $deadline }.
    [risk] Emme ole saaneet maksua alla olevista laskuista. Maksa viimeistään { $deadline }.
   *[other] Maksusi on ehkä jäänyt meiltä huomaamatta, mutta kirjanpitomme mukaan alla olevat laskut ovat yhä maksamatta. Maksa viimeistään { $deadline }.
}
intro-collection_notice = Alla olevat laskut ovat erääntyneet. Jos niitä ei makseta viimeistään { $deadline }, saatava siirretään perintään ja perintäkuluja lisätään.
intro-phone_call = Soita asiakkaalle { $name } alla olevista erääntyneistä laskuista.
intro-late_compensation = Alla olevat laskut on maksettu myöhässä tai ne ovat yhä maksamatta. { $jurisdiction ->
    [fi] Perintälain 10 e §:n (direktiivi 2011/7/EU) nojalla
   *[other] Maksuviivästysdirektiivin 2011/7/EU nojalla
} vaadimme alla näkyvän kiinteän korvauksen perintäkuluista.
intro-collection = Tämä on perintäkirje. Alla oleva saatava on maksamatta aiemmista muistutuksista huolimatta. Maksa koko summa viimeistään { $deadline } tai esitä vastustuksesi samaan päivään mennessä, jos katsot vaatimuksen virheelliseksi.
intro-legal = Alla oleva saatava on yhä maksamatta perintäkirjeestämme huolimatta. Se siirretään nyt oikeudelliseen perintään. Voit vielä välttää tämän maksamalla koko summan heti tai ottamalla meihin yhteyttä.
intro-payment_plan = Vahvistamme sopimamme maksusuunnitelman. Alla olevien laskujen käsittely on keskeytetty niin kauan kuin suunnitelmaa noudatetaan.
intro-promise = Vahvistamme lupauksesi maksaa alla oleva summa viimeistään { $deadline }. Emme ryhdy muihin toimiin ennen sitä.
intro-dispute = Olemme vastaanottaneet vastustuksesi alla olevia saatavia kohtaan. Emme jatka perintää ennen kuin asia on selvitetty, ja otamme sinuun yhteyttä.

## Taulukko
col-invoice = Lasku
col-issued = Laskun päiväys
col-due = Eräpäivä
col-principal = Pääoma
col-interest = Korko
col-fees = Kulut
col-total = Maksettava
total = Yhteensä

## Saatavan erittely (perintäkirje)
basis = Saatavan peruste: lasku { $invoice }, päivätty { $issued }, eräpäivä { $due }, velkoja { $creditor }.
principal-line = Pääoma: { $amount }
paid-line = Maksettu tähän mennessä: { $amount }
interest-line = Viivästyskorko: { $amount }
interest-period = Korko { $rate } % vuodessa pääomalle { $principal } ajalta { $from }–{ $through } ({ $days } päivää).
interest-until-deadline = Korko juoksee maksupäivään asti; maksamalla { $amount } viimeistään { $deadline } saatava on suoritettu.
fee-line = { $kind ->
    [reminder] Muistutusmaksu
    [collection] Perintäkulu
    [late_compensation] Korvaus perintäkuluista
    [payment_plan] Maksusuunnitelman kulu
   *[other] Kulu
} ({ $date }): { $amount }
no-fees = Kuluja ei ole peritty.
creditor-line = Velkoja: { $creditor }
agency-line = { $agency } (rekisteröinti { $licence }) perii saatavaa velkojan { $creditor } puolesta.

## Vastustaminen
object-how = Jos katsot vaatimuksen virheelliseksi, esitä kirjallinen vastustus viimeistään { $deadline } osoitteeseen { $contact } ja kerro, mitä osaa vastustat ja miksi.
object-effect = { $jurisdiction ->
    [fi] Perintä keskeytetään perustellun vastustuksen johdosta, kunnes asia on selvitetty. Voit myös pyytää maksusuunnitelmaa.
   *[other] Emme jatka perintää kiistämäsi osan osalta ennen kuin asia on selvitetty.
}
consequence = { $jurisdiction ->
    [se] Jos et maksa etkä vastusta vaatimusta viimeistään { $deadline }, voimme hakea maksamismääräystä Ruotsin ulosottoviranomaiselta (Kronofogden), mikä voi johtaa maksuhäiriömerkintään.
    [fi] Jos et maksa etkä vastusta vaatimusta viimeistään { $deadline }, saatava voidaan viedä käräjäoikeuteen, mikä voi johtaa maksuhäiriömerkintään.
    [no] Jos et maksa etkä vastusta vaatimusta viimeistään { $deadline }, voimme ryhtyä oikeudellisiin toimiin, mistä voi aiheutua lisäkuluja.
    [dk] Jos et maksa etkä vastusta vaatimusta viimeistään { $deadline }, saatava voidaan viedä ulosottotuomioistuimeen (fogedretten).
   *[other] Jos et maksa etkä vastusta vaatimusta viimeistään { $deadline }, saatava voidaan viedä tuomioistuimeen.
}
notice-consequence = Jos summaa ei makseta vähintään 14 päivän määräajassa, saatava siirretään perintään ja kuluja lisätään.

## Maksaminen
pay-heading = Näin maksat
pay-amount = Maksettava summa: { $amount }
pay-deadline = Maksa viimeistään: { $deadline }
pay-reference = Viitenumero: { $reference }
pay-bankgiro = Bankgiro: { $bankgiro }
pay-iban = IBAN: { $iban }
pay-barcode = Virtuaaliviivakoodi: { $code }
pay-qr = Lue koodi pankkisovelluksellasi.
pay-several = Maksa jokainen lasku omalla viitteellään.
page-link = Katso laskusi, maksa tai pyydä maksusuunnitelmaa täällä: { $url }
contact = Kysyttävää? Ota yhteyttä: { $contact }.

## Tekstiviestit
sms-pre_due = { $creditor }: lasku { $invoice } ({ $amount }) erääntyy { $due }. Viite { $reference }.
sms-reminder = { $creditor }: emme ole saaneet maksua { $amount } (viite { $reference }). Maksa viimeistään { $deadline }.
sms-collection_notice = { $creditor }: { $amount } on erääntynyt. Maksa viimeistään { $deadline } välttääksesi perinnän. Viite { $reference }.
sms-phone_call = { $creditor }: yritimme soittaa sinulle summasta { $amount }. Ota meihin yhteyttä.
sms-late_compensation = { $creditor }: perintäkulujen korvaus on lisätty; maksettava { $amount } viimeistään { $deadline }.
sms-collection = { $creditor }: perintäkirje, { $amount }. Maksa tai vastusta viimeistään { $deadline }. Viite { $reference }.
sms-legal = { $creditor }: { $amount } maksamatta; saatava siirretään oikeudelliseen perintään.
sms-payment_plan = { $creditor }: maksusuunnitelmasi on vahvistettu.
sms-promise = { $creditor }: lupauksesi maksaa { $amount } viimeistään { $deadline } on vahvistettu.
sms-dispute = { $creditor }: olemme vastaanottaneet vastustuksesi ja keskeyttäneet perinnän.

## Puhelukäsikirjoitus
script-open = Esittele itsesi ja { $creditor }. Varmista, että puhut henkilön { $name } kanssa.
script-amount = Avoinna yhteensä: { $amount }. Kysy, voiko velallinen maksaa ja milloin.
script-outcome = Kirjaa: tavoitettu, maksulupaus (päivämäärineen), vastustus, väärä numero tai ei vastausta.
