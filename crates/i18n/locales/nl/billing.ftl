# billing: "Abonnement & Facturatie", de voorbeelden van plaatsen en
# kortingscodes, de startpagina van een werkruimte die op haar betaalmethode
# wacht, de pagina's van de betalingssimulator, en het kader van de grafieken.

## "Abonnement & Facturatie"

billing-title = Abonnement & Facturatie
billing-notice-seats = Plaatsen gekocht: het naar rato berekende bedrag is gefactureerd.
billing-notice-plan = Het pakket is gewijzigd.
billing-notice-card = Welkom terug: als je het formulier hebt afgerond, is de betaalmethode opgeslagen.
billing-notice-promotion = De kortingscode is toegepast: de facturen waarvoor hij geldt, krijgen korting.

billing-plan-heading = Jouw abonnement
billing-plan = Pakket
billing-plan-trial = Proefperiode
billing-plan-freemium = Freemium
billing-plan-standard = Standaard
billing-plan-monthly = { $plan }, maandelijks
billing-plan-yearly = { $plan }, jaarlijks
billing-status = Status
billing-seats = Plaatsen
billing-seats-usage = { $seats ->
    [one] { $used } van { $seats } plaats in gebruik
   *[other] { $used } van { $seats } plaatsen in gebruik
}
billing-seats-used = Plaatsen in gebruik
billing-seats-next = Plaatsen vanaf de volgende periode
billing-price = Prijs
billing-price-per-month = { $amount } per maand
billing-price-per-year = { $amount } per jaar
billing-discount = Korting
billing-price-after = Prijs na korting
billing-next-invoice = Volgende factuur
billing-next-invoice-when = { $amount } op { $date }
billing-trial = Proefperiode
billing-trial-left = { $count ->
    [one] nog { $count } dag (eindigt op { $date })
   *[other] nog { $count } dagen (eindigt op { $date })
}
billing-payment = Betaling
billing-payment-overdue = achterstallig sinds { $date }
billing-payment-method = Betaalmethode
billing-payment-method-on-file = vastgelegd
billing-payment-method-none = nog geen

billing-seats-hint = Elke gebruiker en elke openstaande uitnodiging neemt een plaats in.
billing-add-seat-month = +1 gebruiker ({ $amount }/maand)
billing-add-seat-year = +1 gebruiker ({ $amount }/jaar)
billing-seats-set = Of stel het aantal plaatsen in op
billing-seats-preview = Bekijk de kosten

billing-promotion-heading = Kortingscode
billing-promotion-code = Code
billing-promotion-see = Bekijk de korting
billing-promotion-hint = Je ziet wat de code van de volgende factuur aftrekt voordat je hem toepast.

billing-change-heading = Pakket wijzigen
billing-freemium-button = Freemium (gratis, met advertenties)
billing-cancel-button = Opzeggen aan het einde van de periode
billing-change-hint = Voor een betaald pakket vragen we eerst een betaalmethode als er nog geen is vastgelegd.
billing-add-payment-method = Betaalmethode toevoegen
billing-portal-button = Facturen en betaalmethoden

## De lijst met facturen (ook op het portaal van de simulator)

billing-invoices = Facturen
billing-invoices-none = Nog geen factuur.
billing-invoice = Factuur
billing-date = Datum
billing-total = Totaal
billing-download = Downloaden
billing-invoice-pdf = pdf
billing-invoice-view = Bekijken
billing-invoice-draft = concept
billing-invoice-open = openstaand
billing-invoice-paid = betaald
billing-invoice-void = geannuleerd
billing-invoice-uncollectible = oninbaar

## Wijzigingen van plaatsen en hun verrekening naar rato

billing-error-seats = Het aantal plaatsen moet een heel getal zijn.
billing-error-preview-date = De datum van het voorbeeld is niet leesbaar.
billing-error-plan = Dit pakket bestaat niet.
billing-seats-increase = { $to ->
    [one] Van { $from } naar { $to } plaats, per direct.
   *[other] Van { $from } naar { $to } plaatsen, per direct.
}
billing-seats-reduction = { $to ->
    [one] Van { $from } naar { $to } plaats aan het einde van de huidige periode (nu geen terugbetaling).
   *[other] Van { $from } naar { $to } plaatsen aan het einde van de huidige periode (nu geen terugbetaling).
}
billing-seats-unchanged = Geen wijziging.
billing-seats-confirm-title = Plaatsen bevestigen
billing-preview-caption = Wat er gefactureerd wordt
billing-item = Omschrijving
billing-period = Periode
billing-amount = Bedrag
billing-period-range = { $start } – { $end }
billing-total-now = Nu te betalen
billing-confirm-pay = Bevestigen en { $amount } betalen
billing-cancel = Annuleren
billing-line = { $quantity } × { $item } ({ $kind })
billing-line-base = basisprijs
billing-line-extra-seat = extra plaats
billing-line-unused = ongebruikte tijd, gecrediteerd
billing-line-remaining = resterende tijd
billing-line-full = volledige periode

## Kortingen en kortingscodes

billing-discount-text = { $code }: { $off }, { $duration }
billing-off-percent = { $percent } korting
billing-off-amount = { $amount } korting
billing-discount-once = op de volgende factuur
billing-discount-repeating = { $months ->
    [one] op de facturen van { $months } maand, tot { $date }
   *[other] op de facturen van { $months } maanden, tot { $date }
}
billing-discount-forever = op elke factuur
billing-promotion-title = Kortingscode toepassen
billing-promotion-caption = De volgende factuur, op { $date }, met de code
billing-discount-minus = −{ $amount }
billing-vat = btw
billing-promotion-nothing-next = Er wordt voorlopig niets gefactureerd; de code geldt voor de facturen waarvoor hij bedoeld is.
billing-promotion-apply = { $code } toepassen

## De startpagina (eerst een betaalmethode, dan de proefperiode)

billing-start-title = Start je proefperiode
billing-start-heading = Voeg een betaalmethode toe om je proefperiode te starten
billing-start-why = { $days ->
    [one] Je proefperiode van { $days } dag voor het standaardpakket begint zodra er een betaalmethode is vastgelegd.
   *[other] Je proefperiode van { $days } dagen voor het standaardpakket begint zodra er een betaalmethode is vastgelegd.
} Tijdens de proefperiode betaal je niets; aan het einde wordt het pakket dat je kiest automatisch in rekening gebracht, tenzij je daarvoor kiest voor "gratis doorgaan" of opzegt.
billing-start-expiry = Zonder betaalmethode worden deze werkruimte en de gegevens ervan op { $date } verwijderd.

## De pagina's van de betalingssimulator

billing-simulator = Betalingssimulator
billing-simulator-note = — er wordt niet echt betaald.
billing-simulator-card-succeeds = Testkaart: betalingen slagen
billing-simulator-card-declines = Testkaart: betalingen worden geweigerd
billing-simulator-card-requires-action = Testkaart: betalingen vragen om bevestiging (3-D Secure)
billing-simulator-error-card = Kies een van de testkaarten: succeeds, declines of requires_action.
billing-simulator-error-unknown = onbekende sessie of klant
billing-simulator-error-completed = deze betaalsessie is al eerder afgerond
billing-simulator-error-expired = de sessie is verlopen; begin opnieuw vanaf de facturatiepagina
billing-simulator-checkout-intro = Kies de testkaart die je voor deze klant wilt opslaan.
billing-simulator-portal = Facturatieportaal
billing-simulator-replace = Betaalmethode vervangen
billing-simulator-back = Terug
billing-simulator-invoice-title = Factuur { $number }
billing-simulator-invoice-to = Aan
billing-simulator-description = Omschrijving
billing-simulator-quantity = Aantal
billing-simulator-subtotal = Subtotaal
billing-simulator-pdf = Download de pdf

## Grafieken (de statistieken van het platform)

billing-chart-numbers = De cijfers
billing-chart-day = Dag
