# mail: every e-mail tenantry sends (crates/adapters-mail/src/templates.rs).
# Amounts and dates arrive formatted (the reader's locale and time zone).

## Sizes and role names

mail-size-bytes = { $count ->
    [one] { $count } byte
   *[other] { $count } bytes
}
mail-size-kib = { $size } KiB
mail-size-mib = { $size } MiB
mail-role-owner = eigenaar
mail-role-admin = beheerder
mail-role-manager = manager
mail-role-member = lid
mail-role-viewer = kijker
mail-role-deleted = verwijderde rol

## Invitation

mail-invitation-subject = Je bent uitgenodigd voor { $tenant }
mail-invitation-invited = { $inviter } nodigt je uit voor { $tenant }, met de rol { $role }.
mail-invitation-by-operator = De beheerder van het platform nodigt je uit voor { $tenant }, met de rol { $role }.
mail-invitation-code = Je uitnodigingscode, geldig tot { $until }:
mail-invitation-accept-link = Accepteer de uitnodiging in je browser
mail-invitation-accept-api = Je kunt de uitnodiging ook accepteren door de code met je naam en een wachtwoord te sturen naar { $url } (POST, JSON: token, name, password).
mail-invitation-ignore = Had je dit niet verwacht? Negeer dan deze e-mail: zonder jou gebeurt er niets.

## Trial

mail-trial-reminder-subject = De proefperiode van { $tenant } eindigt op { $date }
mail-trial-reminder-ends = De proefperiode van 14 dagen van { $tenant } eindigt op { $moment }.
mail-trial-reminder-converts = Er is een betaalmethode bekend: dan gaat het betaalde pakket in, voor het aantal gebruikers dat je hebt.
mail-trial-reminder-free = Er is geen betaalmethode bekend: de werkruimte gaat verder op het gratis pakket (3 gebruikers, met advertenties), tenzij een beheerder er vóór die tijd een toevoegt.
mail-trial-converted-subject = { $tenant } heeft nu een betaald pakket
mail-trial-converted-monthly = De proefperiode van { $tenant } is overgegaan in het betaalde pakket: { $seats ->
    [one] { $seats } gebruiker
   *[other] { $seats } gebruikers
}, maandelijks gefactureerd.
mail-trial-converted-yearly = De proefperiode van { $tenant } is overgegaan in het betaalde pakket: { $seats ->
    [one] { $seats } gebruiker
   *[other] { $seats } gebruikers
}, jaarlijks gefactureerd.

## The warning before an invoice

mail-upcoming-invoice-subject = { $tenant }: { $total } wordt op { $date } in rekening gebracht
mail-upcoming-invoice-intro = Op { $date } wordt er { $total } in rekening gebracht bij { $tenant }:
mail-upcoming-invoice-base = Standaardpakket (3 gebruikers inbegrepen)
mail-upcoming-invoice-extra-seats = { $count ->
    [one] { $count } extra gebruiker
   *[other] { $count } extra gebruikers
}
mail-upcoming-invoice-line-monthly = { $item }, maandelijks: { $amount }
mail-upcoming-invoice-line-yearly = { $item }, jaarlijks: { $amount }
mail-upcoming-invoice-subtotal = Subtotaal: { $subtotal }; korting: { $discount }
mail-upcoming-invoice-vat = Btw: { $tax }
mail-upcoming-invoice-total = Totaal: { $total }
mail-upcoming-invoice-link = Het abonnement, de plaatsen en de facturen
mail-upcoming-invoice-opt-out = Eigenaren en beheerders krijgen deze waarschuwing vóór elke factuur; zet hem uit onder "Je e-mail".

## Invoices and payments

mail-invoice-paid-subject = { $tenant }: factuur { $number }, { $total }, betaald
mail-invoice-paid-body = Factuur { $number } van { $date } voor { $tenant }: { $total }, betaald. Bedankt!
mail-invoice-paid-pdf = De factuur (pdf)
mail-payment-failed-subject = Een betaling voor { $tenant } is mislukt
mail-payment-failed-body = Een betaling van { $amount } voor { $tenant } is mislukt.
mail-payment-failed-grace = De toegang blijft bestaan terwijl de betaling 14 dagen lang opnieuw wordt geprobeerd; daarna gaat de werkruimte over op het gratis pakket.
mail-payment-failed-link = Betaal de factuur of wijzig de betaalmethode
mail-payment-action-subject = Bevestig een betaling voor { $tenant }
mail-payment-action-body = Je bank vraagt je een betaling voor { $tenant } te bevestigen.
mail-payment-action-link = Bevestig de betaling

## The free plan and freed seats

mail-downgraded-subject = { $tenant } gebruikt nu het gratis pakket
mail-downgraded-trial-ended = { $tenant } gebruikt nu het gratis pakket: de proefperiode is afgelopen zonder betaalmethode.
mail-downgraded-canceled = { $tenant } gebruikt nu het gratis pakket: het betaalde pakket is opgezegd en de lopende periode is voorbij.
mail-downgraded-payment-failed = { $tenant } gebruikt nu het gratis pakket: de betaling kon niet binnen 14 dagen worden geïnd.
mail-downgraded-platform = { $tenant } gebruikt nu het gratis pakket: de beheerder van het platform heeft de werkruimte overgezet.
mail-seats-freed-subject = Gebruikers van { $tenant } zijn opgeschort
mail-seats-freed-body = { $licensed ->
    [one] { $tenant } heeft { $licensed } betaalde gebruiker, minder dan er in gebruik waren: de nieuwste zijn opgeschort.
   *[other] { $tenant } heeft { $licensed } betaalde gebruikers, minder dan er in gebruik waren: de nieuwste zijn opgeschort.
}
mail-freed-deactivated = { $count ->
    [one] Gedeactiveerd (een beheerder kan deze gebruiker weer activeren zolang er plaatsen zijn): { $people }.
   *[other] Gedeactiveerd (een beheerder kan deze gebruikers weer activeren zolang er plaatsen zijn): { $people }.
}
mail-freed-revoked = { $count ->
    [one] Openstaande uitnodiging ingetrokken: { $count }.
   *[other] Openstaande uitnodigingen ingetrokken: { $count }.
}

## The account

mail-account-locked-subject = Je account bij { $tenant } is geblokkeerd
mail-account-locked-body = Na 5 mislukte inlogpogingen is je account geblokkeerd tot { $until }. Was jij dit niet? Wijzig dan je wachtwoord zodra je weer kunt inloggen.
mail-password-reset-subject = Stel je wachtwoord voor { $tenant } opnieuw in
mail-password-reset-body = Iemand heeft gevraagd het wachtwoord van je account bij { $tenant } opnieuw in te stellen. Je herstelcode, eenmalig geldig tot { $until }:
mail-password-reset-link = Kies een nieuw wachtwoord
mail-password-reset-ignore = Was jij dit niet? Negeer dan deze e-mail: je wachtwoord blijft zoals het is.
mail-verify-email-subject = Bevestig je e-mailadres voor { $tenant }
mail-verify-email-body = Bevestig met deze code dat dit e-mailadres van jou is (eenmalig geldig tot { $until }):
mail-verify-email-link = Bevestig het in je browser
mail-confirm-email-change-subject = Bevestig je nieuwe e-mailadres voor { $tenant }
mail-confirm-email-change-body = Je hebt gevraagd om voortaan met dit e-mailadres in te loggen bij { $tenant }. Bevestig het met deze link (eenmalig, tot { $until }); tot die tijd verandert er niets.
mail-confirm-email-change-link = Bevestig het nieuwe e-mailadres
mail-confirm-email-change-ignore = Was jij dit niet? Negeer dan deze e-mail: het e-mailadres blijft zoals het was.
mail-email-change-requested-subject = Het e-mailadres van je account bij { $tenant } gaat veranderen
mail-email-change-requested-body = Iemand die op je account bij { $tenant } is ingelogd, heeft gevraagd het e-mailadres te wijzigen in { $email }. Het verandert pas als de link wordt gevolgd die naar dat adres is gestuurd.
mail-email-change-requested-advice = Was jij dit niet? Log dan nu in en wijzig je wachtwoord (of log overal uit): daarmee vervalt de wijziging, die zonder de link niet kan worden doorgevoerd.
mail-workspace-reminder-subject = Je werkruimte: { $tenant }
mail-workspace-reminder-body = Je hebt gevraagd waar dit e-mailadres een account heeft. Het heeft er een bij { $tenant }, met de korte naam "{ $slug }".
mail-workspace-reminder-link = Inloggen bij { $tenant }
mail-workspace-reminder-footer = Elke werkruimte waar dit e-mailadres een account heeft, stuurt een eigen e-mail. Heb je hier niet om gevraagd? Negeer dan deze e-mail.

## The workspace's deletion and its data

mail-deletion-requested-subject = { $tenant } wordt op { $date } verwijderd
mail-deletion-requested-body = Er is gevraagd { $tenant } te verwijderen. De gebruikers kunnen niet meer inloggen, de facturatie is gestopt, en op { $moment } worden alle gegevens definitief verwijderd.
mail-deletion-requested-cancel = Tot die tijd kan de eigenaar de verwijdering annuleren en komt alles terug zoals het was. Heeft niemand in je organisatie hierom gevraagd? Neem dan nu contact op met de eigenaar of met de beheerder van het platform.
mail-export-ready-subject = Je gegevensexport van { $tenant } staat klaar
mail-export-ready-body = De export van de gegevens van { $tenant } ({ $size }) kan worden gedownload tot { $until }.
mail-export-ready-download = Download de export, ingelogd als beheerder: GET { $url }

## Product updates (the subject and text are the superuser's own)

mail-product-update-why = Je ontvangt productnieuws omdat je daarvoor hebt gekozen. Met één klik stop je ermee, zonder in te loggen:
mail-product-update-unsubscribe = Afmelden voor productnieuws
