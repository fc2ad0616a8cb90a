# platform: de pagina's van de superbeheerder voor advertenties, kortingscodes, productnieuws en instellingen.

## Advertenties (/admin/ads)

platform-ads-title = Advertenties
platform-ads-intro = Campagnes voor freemium-werkruimtes: hooguit één banner per pagina en hooguit één pop-up per gebruiker per dag.
platform-ads-col-name = Naam
platform-ads-col-format = Formaat
platform-ads-col-status = Status
platform-ads-col-runs = Looptijd
platform-ads-col-shown-to = Getoond aan
platform-ads-col-impressions-today = Vertoningen vandaag
platform-ads-col-clicks-today = Klikken vandaag
platform-ads-col-day = Dag
platform-ads-col-impressions = Vertoningen
platform-ads-col-clicks = Klikken
platform-ads-total = Totaal
platform-ads-none = Nog geen campagne.
platform-ads-create-heading = Een campagne maken
platform-ads-create-button = Campagne maken
platform-ads-format-banner = banner
platform-ads-format-modal = pop-up
platform-ads-enabled = ingeschakeld
platform-ads-disabled = uitgeschakeld
platform-ads-target-all = alle freemium-werkruimtes
platform-ads-target-tenants = { $count ->
    [one] { $count } werkruimte:
   *[other] { $count } werkruimtes:
}
platform-ads-field-name = Naam
platform-ads-field-name-hint = (intern, nooit getoond)
platform-ads-field-format = Formaat
platform-ads-option-banner = banner (in de pagina)
platform-ads-option-modal = pop-up (over de pagina, één keer per dag per gebruiker)
platform-ads-field-text = Tekst
platform-ads-field-link = Link (https)
platform-ads-field-image = Afbeelding (https, optioneel)
platform-ads-url-placeholder = https://
platform-ads-field-starts = Begint op
platform-ads-field-starts-hint = (00:00 UTC)
platform-ads-field-ends = Eindigt op
platform-ads-field-ends-hint = (00:00 UTC, niet inbegrepen)
platform-ads-field-tenants = Alleen deze werkruimtes
platform-ads-field-tenants-hint = (id's, gescheiden door komma's; leeg voor elke freemium-werkruimte)
platform-ads-field-enabled = Ingeschakeld
platform-ads-error-format = Kies een formaat: banner of pop-up.
platform-ads-error-tenant-id = ‘{ $id }’ is geen werkruimte-id.
platform-ads-error-start-date = De begindatum is geen datum (JJJJ-MM-DD).
platform-ads-error-end-date = De einddatum is geen datum (JJJJ-MM-DD).
platform-ads-all = Alle campagnes
platform-ads-campaign-heading = Campagne
platform-ads-fact-link = Link
platform-ads-fact-image = Afbeelding
platform-ads-fact-created = Gemaakt
platform-ads-runs-hint = (UTC, einddag niet inbegrepen)
platform-ads-daily-heading = Vertoningen en klikken per dag
platform-ads-daily-none = Nog niet getoond.
platform-ads-edit-heading = Bewerken
platform-ads-save = Opslaan
platform-ads-delete-heading = Verwijderen
platform-ads-delete-button = Deze campagne verwijderen
platform-ads-preview-heading = Voorbeeld
platform-ads-preview-hint = Zoals een freemium-werkruimte het ziet. Deze campagne loopt als
platform-ads-preview-hint-end = .
platform-ads-preview-banner = Als banner
platform-ads-preview-modal = Als pop-up

## Kortingscodes en actiecodes (/admin/coupons)

platform-coupons-title = Kortingscodes
platform-coupons-heading = Kortingscodes en actiecodes
platform-coupons-codes-heading = Actiecodes
platform-coupons-codes-none = Nog geen actiecode.
platform-coupons-col-code = Code
platform-coupons-col-coupon = Kortingscode
platform-coupons-col-first-time = Alleen nieuwe klanten
platform-coupons-col-expires = Verloopt
platform-coupons-col-redeemed = Ingewisseld
platform-coupons-col-active = Actief
platform-coupons-col-name = Naam
platform-coupons-col-off = Korting
platform-coupons-col-for = Voor
platform-coupons-col-redeem-by = In te wisselen tot
platform-coupons-col-made = Gemaakt
platform-coupons-yes = ja
platform-coupons-no = nee
platform-coupons-never = nooit
platform-coupons-any-time = altijd
platform-coupons-duration-once = eenmalig
platform-coupons-duration-months = { $count ->
    [one] { $count } maand
   *[other] { $count } maanden
}
platform-coupons-duration-forever = voor altijd
platform-coupons-redeemed-of = { $used } van { $max }
platform-coupons-switch-off = Uitschakelen
platform-coupons-switch-on = Inschakelen
platform-coupons-new-code-heading = Nieuwe actiecode
platform-coupons-field-code = Code
platform-coupons-field-code-hint = (3 tot 32 letters, cijfers, - of _; wordt in hoofdletters gezet)
platform-coupons-field-first-time = Alleen voor klanten die nog niet eerder betaald hebben
platform-coupons-field-expires = Verloopt op
platform-coupons-field-expires-hint = (00:00 UTC; leeg: nooit)
platform-coupons-field-max = Hooguit zo vaak in te wisselen
platform-coupons-field-code-max-hint = (leeg: zoals de kortingscode toestaat)
platform-coupons-create-code = Actiecode maken
platform-coupons-coupons-heading = Kortingscodes
platform-coupons-coupons-none = Nog geen kortingscode.
platform-coupons-new-coupon-heading = Nieuwe kortingscode
platform-coupons-field-name-hint = (staat op facturen)
platform-coupons-field-kind = Korting
platform-coupons-kind-percent = een percentage van elke regel
platform-coupons-kind-amount = een bedrag (EUR) van elke factuur
platform-coupons-field-value = Percentage of bedrag
platform-coupons-field-value-hint = (20; 12,5 of 10,00)
platform-coupons-option-once = de volgende factuur
platform-coupons-option-repeating = een aantal maanden
platform-coupons-option-forever = elke factuur
platform-coupons-field-months = Maanden
platform-coupons-field-months-hint = (1 tot 36, bij een aantal maanden)
platform-coupons-field-max-hint = (leeg: onbeperkt)
platform-coupons-field-redeem-by = In te wisselen tot
platform-coupons-field-redeem-by-hint = (00:00 UTC; leeg: altijd)
platform-coupons-create-coupon = Kortingscode maken
platform-coupons-error-value = Het percentage of bedrag is een getal met hooguit twee decimalen.
platform-coupons-error-negative = Een percentage is positief.
platform-coupons-error-kind = Kies een percentage of een bedrag.
platform-coupons-error-duration = Kies hoe lang.
platform-coupons-error-months-number = Het aantal maanden is een geheel getal.
platform-coupons-error-months-missing = Vul het aantal maanden in.
platform-coupons-error-limit-number = Het maximale aantal keer inwisselen is een geheel getal.
platform-coupons-error-redeem-by-date = De laatste inwisseldatum is geen datum (JJJJ-MM-DD).
platform-coupons-error-expires-date = De vervaldatum is geen datum (JJJJ-MM-DD).
platform-coupons-error-switch = Kies aan of uit.

## Productnieuws (/admin/broadcasts)

platform-broadcasts-title = Productnieuws
platform-broadcasts-intro = Gemaild naar de mensen die zich ervoor hebben aangemeld, in de werkruimtes die productnieuws toestaan — 120 per minuut, via de outbox.
platform-broadcasts-field-subject = Onderwerp
platform-broadcasts-field-text = Tekst
platform-broadcasts-field-text-hint = Platte tekst; een lege regel begint een nieuwe alinea. Elke mail eindigt met de eigen afmeldlink van de ontvanger.
platform-broadcasts-preview-button = Voorbeeld bekijken
platform-broadcasts-preview-heading = Voorbeeld
# Rond het aantal mensen, dat de pagina vet toont.
platform-broadcasts-goes-to = Gaat naar
platform-broadcasts-goes-to-rest = { $people ->
    [one] persoon
   *[other] personen
} in { $tenants ->
    [one] { $tenants } werkruimte
   *[other] { $tenants } werkruimtes
}.
platform-broadcasts-subject = Onderwerp:
platform-broadcasts-send = { $people ->
    [one] Versturen naar { $people } persoon
   *[other] Versturen naar { $people } personen
}
platform-broadcasts-queued = In de wachtrij gezet voor { $people ->
    [one] { $people } persoon
   *[other] { $people } personen
} in { $tenants ->
    [one] { $tenants } werkruimte
   *[other] { $tenants } werkruimtes
}; de laatste mail staat gepland op { $due }. Mislukte verzendingen staan op de pagina Taken.
platform-broadcasts-queued-already = { $tenants ->
    [one] Bij { $tenants } werkruimte stond het al in de wachtrij (wordt één keer verstuurd).
   *[other] Bij { $tenants } werkruimtes stond het al in de wachtrij (wordt één keer verstuurd).
}
platform-broadcasts-write-another = Nog een bericht schrijven
platform-broadcasts-jobs = Taken

## Platforminstellingen (/admin/settings)

platform-settings-title = Instellingen
platform-settings-saved = Opgeslagen.
platform-settings-trial-heading = Proefperiode
platform-settings-payment-method-legend = Een betaalmethode bij het aanmelden
platform-settings-payment-method-required = Verplicht: de proefperiode begint zodra er een betaalmethode is vastgelegd, en gaat aan het eind over in het betaalde pakket
platform-settings-payment-method-optional = Optioneel: de proefperiode begint bij het aanmelden, met of zonder betaalmethode
platform-settings-trial-end-legend = Een proefperiode zonder betaalmethode eindigt in
platform-settings-trial-end-freemium = Freemium
platform-settings-trial-end-suspended = Opgeschort (jij hervat de werkruimte)
platform-settings-trial-save = Beleid voor de proefperiode opslaan
platform-settings-billing-heading = Factuurmeldingen
platform-settings-billing-days = De waarschuwing vóór een factuur gaat zoveel dagen voor elke factuur uit (1 tot 28)
platform-settings-billing-save = Factuurmeldingen opslaan
platform-settings-password-heading = Wachtwoorden
platform-settings-password-min = Minimale lengte (8 tot 128 tekens)
platform-settings-password-breached = Wachtwoorden weigeren die op de meegeleverde lijst van gelekte wachtwoorden staan
platform-settings-password-save = Wachtwoordbeleid opslaan
platform-settings-mfa-heading = Tweestapsverificatie
platform-settings-mfa-all = Verplicht voor elke gebruiker
platform-settings-mfa-roles = Verplicht voor deze rollen
platform-settings-mfa-save = Tweestapsverificatie opslaan
platform-settings-role-owner = eigenaar
platform-settings-role-admin = beheerder
platform-settings-role-manager = manager
platform-settings-role-member = lid
platform-settings-role-viewer = kijker
platform-settings-limits-heading = Quota en limieten
platform-settings-limits-hint = Te wijzigen met PATCH /v1/admin/settings (default_quotas, anonymous_limits).
platform-settings-quota-freemium = Afwijkende quota voor het freemium-pakket
platform-settings-quota-standard = Afwijkende quota voor het standaardpakket
platform-settings-quota-none = geen (die van het pakket)
platform-settings-quota-requests = { $count ->
    [one] { $count } verzoek per minuut
   *[other] { $count } verzoeken per minuut
}
platform-settings-quota-api-calls = { $count ->
    [one] { $count } API-aanroep per maand
   *[other] { $count } API-aanroepen per maand
}
platform-settings-quota-storage = { $count } bytes opslag
platform-settings-quota-active-users = { $count ->
    [one] { $count } actieve gebruiker
   *[other] { $count } actieve gebruikers
}
platform-settings-throttle-per-address = Per adres
platform-settings-throttle-per-account = Per account
platform-settings-throttle-cross-tenant = Pogingen over werkruimtes heen
platform-settings-throttle = { $burst } tegelijk, daarna { $per_minute } per minuut
platform-settings-error-days = Het aantal dagen is een getal.
platform-settings-error-min-chars = De minimale lengte is een getal.
