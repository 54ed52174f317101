## Gemensamt
skip = Hoppa till innehållet
nav-main = Huvudmeny
nav-dashboard = Översikt
nav-claims = Fordringar
nav-work = Arbetslista
nav-model = Hanteringsmodeller
sign-out = Logga ut
signed-in-as = Inloggad som { $name } ({ $role })
language = Språk
save = Spara
send = Skicka
yes = Ja
no = Nej
none = Inga
back-home = Till startsidan
amount = Belopp
date = Datum
status = Status
reason = Anledning
note = Anteckning
claim = Fordran
customer = Kund
segment = Segment
total = Totalt
download-csv = Ladda ner som CSV
table-numbers = Siffrorna

## Inloggning
login-title = Logga in i Fordra
login-id = Användarnamn (e-post)
login-password = Lösenord
login-submit = Logga in
login-wrong = Fel användarnamn eller lösenord.
login-rate = För många försök: vänta en minut och försök igen.
login-csrf = Formuläret hade gått ut: försök igen.

## Operatör
creditors-title = Borgenärer

## Översikt
dash-title = Översikt för { $name }
dash-as-of = Per { $date }
dash-aging = Utestående per dagar efter förfallodag
dash-trend = DSO och genomsnittliga dagar till betalning per segment
dash-segments = Segment
dash-moves = Byten mellan segment, senaste 30 dagarna
dash-cash = Förväntade inbetalningar
dash-experiments = Pågående experiment
dash-factors = Vad som driver sen betalning (modellens starkaste faktorer)
dash-run = Kör dagens hantering
col-bucket = Dagar efter förfallodag
col-claims = Fordringar
col-open = Utestående
col-dso = DSO (dagar)
col-days-to-pay = Genomsnittliga dagar till betalning
col-customers = Kunder
col-invoices = Fakturor
col-open-claims = Öppna fordringar
col-collection-rate = Andel betalda
col-collection = Till inkasso
col-legal = Till rättsliga åtgärder
col-fees = Avgifter
col-interest = Ränta
col-from = Från
col-to = Till
col-within = Inom
col-expected = Förväntat
col-if-on-time = Om allt betalas på förfallodagen
col-arm = Gren
col-collected = Andel inbetalt
col-factor = Faktor
col-weight = Dagars försening per enhet
within-days = { $days } dagar
no-model = Ingen betalningsmodell används ännu.
no-experiments = Inga experiment pågår.
interval = { $value } ({ $low } – { $high })

## Fordringar
claims-title = Fordringar
claims-filter = Filtrera
claims-status-any = Alla
claims-more = Visa fler
col-invoice = Faktura
col-issued = Fakturadatum
col-due = Förfallodag
col-principal = Kapital
col-balance = Saldo
status-open = öppen
status-paid = betald
claim-title = Fordran { $id }
claim-balance = Saldo
claim-balance-as-of = Saldo per dag
claim-show = Visa
claim-timeline = Händelser
claim-deliveries = Brev och meddelanden
claim-pdf = Brev (PDF)
claim-paused = Pausad: { $why }
claim-segment-why = Varför detta segment
claim-model-why = Modellens skäl
claim-actions = Hantera fordran
interest-accrued = Upplupen ränta, ännu inte bokförd
col-event = Händelse
col-detail = Detaljer
col-channel = Kanal
col-kind = Typ
col-sent = Skickad

## Pauser och åtgärder
pause-add = Registrera
pause-kind = Vad
kind-dispute = Bestridande
kind-promise = Betalningslöfte
kind-payment_plan = Avbetalningsplan
kind-hold = Vilande
pause-until = Till och med (bestridande: lämna tomt tills det avgjorts)
pause-instalments = Delbetalningar (avbetalningsplan)
pause-plan-fee = Ta ut den lagliga avgiften för avbetalningsplan
pause-end = Avsluta
pauses-open = Pågående pauser
decide = Avgör
decide-rejected = Avslaget: fordran står fast
decide-upheld = Bifallet: gäldenären har rätt
vip-set = Markera som VIP
vip-unset = Ta bort VIP
note-add = Skriv en anteckning
notes = Anteckningar

## Kund
customer-title = Kund { $id }
customer-contact = Kontakt
customer-vip = VIP
customer-score = Kreditbetyg
customer-segment-changes = Segmentbyten
customer-claims = Fordringar

## Arbetslista
work-title = Arbetslista
work-calls = Samtal att ringa
work-unmatched = Inbetalningar som inte kunde matchas
work-disputes = Bestridanden som väntar på beslut
work-promises = Brutna betalningslöften
work-escalations = På väg till inkasso eller rättsliga åtgärder (närmaste { $days } dagarna)
work-debtors = Vad gäldenärer gjort på sin sida (senaste { $days } dagarna)
work-empty = Inget här.
assign = Koppla
assign-to = Koppla till { $claim }
payer = Betalare
reference = Referens
suggestion = Förslag
call-outcome = Utfall
call-record = Registrera samtalet
promised-by = Lovat till
step = Steg
who = Vem
when = När

## Modellredigerare
model-title = Hanteringsmodell: { $segment }
model-intro = Varje rad är ett steg. Rader utan typ tas bort. När du sparar prövas varje regel i policyn och lagen, och varje brott nämns.
backtest-horizon = Dagar varje fordran följs
model-backtest = Testa modellen bakåt
model-save = Spara och använd
model-problems = Modellen godtogs inte
backtest-title = Bakåttest: segmentets fordringar spelade igen
col-after = Räknat från
col-days = Dagar
col-payment-days = Betalningsdagar
col-fee = Avgift
col-min = Lägsta belopp
after-due = förfallodagen
after-previous = föregående frist
observed = Faktiskt utfall
current = Nuvarande modell
alternative = Denna modell
col-paid-share = Andel betald
col-letters = Brev per fordran
col-fees-per-claim = Avgifter per fordran
col-collection-share = Andel till inkasso

## Gäldenärens sida
debtor-title = Dina fakturor från { $creditor }
debtor-hello = Hej { $name }. Här ser du vad du är skyldig { $creditor }, varför och hur du betalar. Du kan också säga till om något är fel, lova att betala ett visst datum eller be om en avbetalningsplan.
debtor-nothing = Du har inga obetalda fakturor hos { $creditor }. Tack!
debtor-total = Totalt att betala i dag: { $amount }
debtor-claim = Faktura { $invoice }
debtor-what = Vad beloppet består av
debtor-principal = Fakturans belopp som ännu inte är betalt
debtor-interest = Dröjsmålsränta enligt lag, eftersom fakturan betalades för sent
debtor-fee-explained = { $kind ->
    [reminder] Påminnelseavgift för den skriftliga påminnelsen, som lagen tillåter när den avtalats i förväg
    [collection] Inkassoavgift för inkassokravet, enligt lag
    [late_compensation] Förseningsersättning, som lagen ger en näringsidkare som borgenär
    [payment_plan] Avgift för att upprätta en avbetalningsplan, enligt lag
   *[other] Avgift
}
debtor-no-fees = Inga avgifter har tagits ut.
debtor-to-pay = Att betala i dag
debtor-how = Så betalar du
debtor-paused = Vilande: { $why }
debtor-act = Något att ordna?
debtor-dispute = Jag anser att fakturan är fel
debtor-dispute-reason = Vad är fel?
debtor-promise = Jag betalar senast ett visst datum
debtor-promise-by = Datum (senast { $date })
debtor-plan = Jag vill betala med månadsvisa delbetalningar
debtor-plan-months = Antal månader
debtor-plan-fee = En avgift för avbetalningsplanen kan tillkomma, enligt lag.
debtor-contact = Hur vi når dig
debtor-channel = Skicka påminnelser med
channel-letter = Brev
channel-email = E-post
channel-sms = Sms
channel-default = Som borgenären väljer
debtor-language = Språk i brev och på denna sida
done-dispute = Tack. Vi har tagit emot ditt bestridande; vi driver inte fordran vidare innan det har utretts.
done-promise = Tack. Vi har noterat ditt betalningslöfte.
done-plan = Tack. Din avbetalningsplan är registrerad; du får en bekräftelse.
done-contact = Tack. Dina val är sparade.
debtor-questions = Frågor? Kontakta { $contact }.
debtor-disputed = Du har bestridit fakturan; den utreds.
link-invalid = Länken kan inte användas
link-wrong = Länken är inte giltig. Använd länken i ditt senaste brev eller e-postmeddelande.
link-expired = Länken har gått ut. Använd länken i ditt senaste brev eller e-postmeddelande, eller kontakta borgenären.
link-off = Gäldenärssidan är inte tillgänglig.
error-title = Något gick fel
