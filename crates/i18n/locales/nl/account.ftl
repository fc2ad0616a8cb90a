# account: inloggen en uitloggen, aanmelden, de gemailde links (wachtwoord, adres bevestigen, adreswijziging,
# uitnodiging, afmelden), tweestapsverificatie, sessies en je eigen mail.

## Gedeeld door de pagina's van dit gebied

account-email = E-mail
account-password = Wachtwoord
account-your-name = Je naam
account-back = Terug
account-back-to-login = Terug naar inloggen
account-continue = Doorgaan
account-log-in = Inloggen
account-check-mail = Kijk in je mail
account-forgot-password-link = Wachtwoord vergeten?
account-forgot-workspace-link = Werkruimte vergeten?
account-save = Opslaan
account-saved = Opgeslagen.
account-language-switch = Taal

## Weigeringen van de weblaag zelf

account-error-session-not-set = de sessie kon niet worden ingesteld
account-error-cross-site = Dit formulier is door een andere site verstuurd.
account-error-form-incomplete = Het formulier is onvolledig: { $reason }
account-error-csrf = Dit formulier is verlopen; laad de pagina opnieuw en probeer het nog eens.
account-error-login-expired = Het inloggen is verlopen; log opnieuw in.
account-form-date-invalid = De datum ({ $which }) is geen geldige datum (JJJJ-MM-DD).
account-link-incomplete-reset = Deze link om je wachtwoord opnieuw in te stellen is onvolledig.
account-link-incomplete-confirmation = Deze bevestigingslink is onvolledig.
account-link-incomplete-address-change = Deze link voor je adreswijziging is onvolledig.
account-link-incomplete-invitation = Deze uitnodigingslink is onvolledig.

## Inloggen

account-login-title = Inloggen
account-login-workspace = Werkruimte
account-login-workspace-hint = (de korte naam; laat leeg voor de platformbeheerder)
account-login-submit = Inloggen
account-login-mfa-title = Tweestapsverificatie
account-login-mfa-code = Code uit je authenticator-app, of een herstelcode

## Aanmelden

account-signup-title = Maak je werkruimte aan
account-signup-company = Bedrijfsnaam
account-signup-slug = Korte naam van de werkruimte
account-signup-slug-hint = (3 tot 63 kleine letters, cijfers en losse koppeltekens; je adres wordt /app/
account-signup-slug-placeholder = korte-naam
account-signup-slug-hint-end = )
account-signup-email = Je e-mailadres
account-signup-password-hint = { $count ->
    [one] (minstens { $count } teken)
   *[other] (minstens { $count } tekens)
}
account-signup-password-hint-breached = { $count ->
    [one] (minstens { $count } teken, en geen wachtwoord dat uit een datalek bekend is)
   *[other] (minstens { $count } tekens, en geen wachtwoord dat uit een datalek bekend is)
}
account-signup-plan = Abonnement
account-signup-plan-standard = { $users ->
    [one] Standaard — een proefperiode van { $days } dagen, daarna { $price } per maand voor { $users } gebruiker
   *[other] Standaard — een proefperiode van { $days } dagen, daarna { $price } per maand voor { $users } gebruikers
}
account-signup-plan-freemium = Freemium — gratis, met advertenties
account-signup-interval = Facturatie na de proefperiode
account-signup-monthly = Maandelijks
account-signup-yearly = Jaarlijks
account-signup-promotion-code = Kortingscode
account-signup-optional = (optioneel)
account-signup-submit = Werkruimte aanmaken
account-signup-have-one = Heb je er al een?
account-signup-invalid-plan = Kies een abonnement en hoe het wordt gefactureerd.

## Wachtwoord vergeten, opnieuw instellen

account-forgot-title = Wachtwoord vergeten?
account-forgot-intro = We mailen een link om een nieuw wachtwoord in te stellen (een uur geldig) naar het adres van je account.
account-forgot-workspace-hint = (de korte naam, zoals bij het inloggen)
account-forgot-submit = Mail me een link
account-forgot-sent = Als deze werkruimte een account met dit adres heeft, is er een link onderweg om een nieuw wachtwoord in te stellen. De link werkt één keer, een uur lang.
account-reset-title = Stel een nieuw wachtwoord in
account-reset-password = Nieuw wachtwoord
account-reset-password-hint = (minstens de lengte die het platform vraagt, standaard 8 tekens)
account-reset-submit = Wachtwoord instellen
account-reset-sessions-end = Elke sessie van je account wordt beëindigd: log opnieuw in met het nieuwe wachtwoord.
account-reset-done-title = Je wachtwoord is ingesteld
account-reset-done = Log ermee in: elke andere sessie van je account is beëindigd.

## Adres bevestigen en wijzigen

account-verify-title = Bevestig je adres
account-verify-intro = Hiermee bevestig je dat het adres waarnaar deze link is gemaild van jou is.
account-verify-submit = Bevestig mijn adres
account-verify-done-title = Je adres is bevestigd
account-verify-done = Bedankt.
account-verify-done-continue = Naar je werkruimte
account-email-change-title = Bevestig je nieuwe adres
account-email-change-intro = Je account verhuist naar het adres waarnaar deze link is gemaild: vanaf nu log je daarmee in.
account-email-change-submit = Dit adres gebruiken
account-email-change-done-title = Je adres is gewijzigd
account-email-change-done = Log vanaf nu in met het nieuwe adres.

## Je werkruimtes terugvinden

account-find-title = Vind je werkruimte
account-find-intro = We mailen je de naam en inloglink van elke werkruimte waar je adres een account heeft.
account-find-submit = Mail me mijn werkruimtes
account-find-sent = Als dit adres een account in een werkruimte heeft, is er voor elke werkruimte een mail onderweg, met de naam en een link om in te loggen.

## Uitnodiging

account-invitation-title = Word lid van je team
account-invitation-password = Kies een wachtwoord
account-invitation-submit = Lid worden

## Afmelden voor productupdates

account-unsubscribe-title = Afmelden
account-unsubscribe-intro = Wil je de productupdates van het platform niet meer op dit adres ontvangen? Mails over je account en facturatie blijven gewoon komen.
account-unsubscribe-submit = Afmelden
account-unsubscribed-title = Afgemeld
account-unsubscribed = Je ontvangt geen productupdates meer. Als je bent ingelogd, kun je je onder „Je e-mail” weer aanmelden.

## Sessies

account-sessions-title = Je sessies
account-sessions-intro = Overal waar je account is ingelogd. Beëindig je er een, dan wordt die browser of client meteen uitgelogd.
account-sessions-kind = Soort
account-sessions-client = Client
account-sessions-network = Netwerk
account-sessions-started = Gestart
account-sessions-last-used = Laatst gebruikt
account-sessions-kind-api = API
account-sessions-kind-web = web
account-sessions-kind-impersonation = ondersteuning
account-sessions-current = (deze)
account-sessions-unknown = —
account-sessions-end-label = Beëindig de sessie die is gestart op { $started }
account-sessions-end = Beëindigen
account-sessions-end-all = Overal uitloggen

## Tweestapsverificatie

account-mfa-title = Tweestapsverificatie
account-mfa-on = Aan: elke keer dat je inlogt, wordt om een code uit je authenticator-app gevraagd.
account-mfa-codes-left = { $count ->
    [one] Nog { $count } herstelcode over.
   *[other] Nog { $count } herstelcodes over.
}
account-mfa-renew-title = Nieuwe herstelcodes
account-mfa-renew-hint = De oude werken dan niet meer.
account-mfa-app-code = Een code uit je app
account-mfa-renew-submit = Nieuwe herstelcodes maken
account-mfa-off-title = Uitzetten
account-mfa-app-or-recovery-code = Een code uit je app, of een herstelcode
account-mfa-off-submit = Tweestapsverificatie uitzetten
account-mfa-required-operators = Het platform vereist dit voor beheerders van het platform. Raak je je apparaat en je herstelcodes kwijt, dan voert de eigenaar van de database `tenantry reset-superuser-mfa` uit.
account-mfa-required-account = Het platform vereist dit voor je account.
account-mfa-needed = Je account heeft tweestapsverificatie nodig voordat je verder kunt.
account-mfa-intro = Tweestapsverificatie vraagt elke keer dat je inlogt om een code uit een authenticator-app (op je telefoon), zodat een gestolen wachtwoord alleen niet genoeg is om je account te openen.
account-mfa-start-submit = Tweestapsverificatie instellen
account-mfa-qr-label = QR-code voor je authenticator-app
account-mfa-setup-title = Tweestapsverificatie instellen
account-mfa-setup-scan = Scan deze code met je authenticator-app (of typ de sleutel hieronder over).
account-mfa-setup-enter = Vul de code van { $digits } cijfers in die de app toont.
account-mfa-setup-key = Sleutel:
account-mfa-setup-code = Code uit de app
account-mfa-setup-submit = Aanzetten
account-mfa-codes-title = Je herstelcodes
account-mfa-codes-intro = Elke code werkt één keer in plaats van een code uit de app, als je je apparaat kwijtraakt. Bewaar ze op een veilige plek: ze worden alleen nu getoond.

## Je eigen mail

account-mail-title = Je e-mail
account-mail-always = Mails over je eigen account (uitnodigingen, links om je wachtwoord opnieuw in te stellen of je adres te bevestigen, een geblokkeerd account, je data-export) ontvang je altijd.
account-mail-billing = Facturatiemails die ik mag weigeren (een proefperiode die een betaald pakket is geworden)
account-mail-upcoming-invoice = Een waarschuwing vóór elke factuur, met het bedrag
account-mail-billing-notices = Berichten waarvoor actie nodig is — het einde van de proefperiode, een mislukte betaling, een overstap naar het gratis pakket, opgeschorte gebruikers — gaan hoe dan ook naar elke eigenaar en beheerder.
account-mail-billing-off = Je werkruimte heeft de weigerbare mails voor iedereen uitgezet.
account-mail-product-updates = Productupdates van het platform
account-mail-product-updates-off = Je werkruimte staat geen productupdates toe: zolang dat zo is, ontvang je er geen.
