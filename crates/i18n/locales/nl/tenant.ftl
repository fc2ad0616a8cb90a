# tenant: de eigen pagina's van een werkruimte onder /app/{slug} (niet de facturatie): start,
# gebruikers, rollen, API-sleutels, huisstijl, auditlog, exports, meldingen, het profiel.

## De meldingen boven elke pagina: een mislukte betaling, een nog niet bevestigd adres

tenant-dunning-failed = Een betaling is mislukt.
tenant-dunning-update-by = Werk de betaalmethode vóór { $date } bij; anders gaat de werkruimte op die dag over op het gratis pakket (gebruikers boven het aantal plaatsen worden opgeschort).
tenant-dunning-button = Betaalmethode bijwerken
tenant-verify-before = Bevestig je adres
tenant-verify-after = met de link die we ernaartoe hebben gemaild.
tenant-verify-resend = Link opnieuw mailen

## Een premiumfunctie die niet in het pakket zit ($unlocked, $current: de pakketnamen hieronder)

tenant-premium-badge = Premium
tenant-premium-custom-roles = Eigen rollen zitten in het pakket { $unlocked }, niet in { $current }.
tenant-premium-api-keys = API-sleutels zitten in het pakket { $unlocked }, niet in { $current }.
tenant-premium-audit-log = De auditlog zit in het pakket { $unlocked }, niet in { $current }.
tenant-premium-feature = Deze functie zit in het pakket { $unlocked }, niet in { $current }.
tenant-premium-upgrade = Overstappen op { $plan }
tenant-plan-trial = proefperiode
tenant-plan-freemium = freemium
tenant-plan-standard = standaard

## Rollen: in tabellen, en als keuze in een formulier

tenant-role-owner = eigenaar
tenant-role-admin = beheerder
tenant-role-manager = manager
tenant-role-member = lid
tenant-role-viewer = kijker
tenant-role-option-owner = Eigenaar
tenant-role-option-admin = Beheerder
tenant-role-option-manager = Manager
tenant-role-option-member = Lid
tenant-role-option-viewer = Kijker

## Start

tenant-home-verification-sent = De bevestigingslink is onderweg naar je adres.
tenant-home-welcome = Welkom in je werkruimte.
tenant-home-signed-in = Ingelogd als
tenant-home-signed-in-role = ({ $role }).
tenant-home-link-billing = Abonnement & facturatie
tenant-home-start-title = Aan de slag
tenant-home-start-invite = Nodig je team uit
tenant-home-start-plan = Kies een abonnement
tenant-home-trial-left = Je proefperiode duurt nog
tenant-home-trial-left-days = { $count ->
    [one] dag.
   *[other] dagen.
}

## Gebruikers & uitnodigingen

tenant-users-title = Gebruikers & uitnodigingen
tenant-users-active-invalid = Deactiveren of weer activeren?
tenant-users-invited = Uitnodiging verstuurd naar { $email }.
tenant-users-seats-used = { $count ->
    [one] { $count } plaats in gebruik.
   *[other] { $count } plaatsen in gebruik.
}
tenant-users-seats-used-of = { $seats ->
    [one] { $count } van { $seats } plaats in gebruik.
   *[other] { $count } van de { $seats } plaatsen in gebruik.
}
tenant-users-invite-title = Iemand uitnodigen
tenant-users-buy-seat = Koop een plaats op de facturatiepagina
tenant-users-email = E-mail
tenant-users-role = Rol
tenant-users-invite-button = Uitnodiging versturen
tenant-users-users-title = Gebruikers
tenant-users-name = Naam
tenant-users-status = Status
tenant-users-actions = Acties
tenant-users-status-active = actief
tenant-users-status-deactivated = gedeactiveerd
tenant-users-deactivate = Deactiveren
tenant-users-reactivate = Weer activeren
tenant-users-pending-title = Openstaande uitnodigingen
tenant-users-pending-none = Geen.
tenant-users-expires = Verloopt
tenant-users-resend = Opnieuw versturen
tenant-users-revoke = Intrekken

## Rollen

tenant-roles-title = Rollen
tenant-roles-intro = Wat elke rol mag. Ingebouwde rollen zijn in elke werkruimte hetzelfde.
tenant-roles-caption = Rollen en hun rechten
tenant-roles-role = Rol
tenant-roles-kind = Soort
tenant-roles-description = Omschrijving
tenant-roles-permissions = Rechten
tenant-roles-actions = Acties
tenant-roles-builtin = ingebouwd
tenant-roles-custom = eigen
tenant-roles-no-permissions = geen
tenant-roles-delete = Verwijderen
tenant-roles-new-title = Een eigen rol
tenant-roles-name = Naam
tenant-roles-optional = (optioneel)
tenant-roles-create = Rol aanmaken

## API-sleutels

tenant-api-keys-title = API-sleutels
tenant-api-keys-intro = Met een API-sleutel krijgt een programma toegang tot deze werkruimte, met één rol. Stuur hem mee als
tenant-api-keys-header = Authorization: Bearer <sleutel>
tenant-api-keys-intro-end = .
tenant-api-keys-created = Sleutel “{ $name }” aangemaakt
tenant-api-keys-copy-now = Kopieer hem nu: hij wordt niet nog eens getoond.
tenant-api-keys-fingerprint = We bewaren alleen een vingerafdruk ervan; raak je hem kwijt, trek hem dan in en maak een nieuwe aan.
tenant-api-keys-the-key = De sleutel
tenant-api-keys-create-title = Een sleutel aanmaken
tenant-api-keys-name = Naam
tenant-api-keys-name-hint = (waar hij voor is)
tenant-api-keys-role = Rol
tenant-api-keys-create-button = Sleutel aanmaken
tenant-api-keys-keys-title = Sleutels
tenant-api-keys-none = Nog geen sleutels.
tenant-api-keys-key-id = Sleutel-id
tenant-api-keys-created-at = Aangemaakt
tenant-api-keys-status = Status
tenant-api-keys-action = Actie
tenant-api-keys-revoked = ingetrokken
tenant-api-keys-revoked-on = op { $date }
tenant-api-keys-active = actief
tenant-api-keys-revoke-label = Sleutel { $name } intrekken
tenant-api-keys-revoke = Intrekken

## Huisstijl, en de taal en tijdzone van de werkruimte

tenant-branding-title = Huisstijl
tenant-branding-saved = De huisstijl is opgeslagen.
tenant-locale-saved = De taal en tijdzone zijn opgeslagen.
tenant-branding-now = Nu
tenant-branding-color = Hoofdkleur
tenant-branding-color-none = geen (de standaard)
tenant-branding-logo = Logo
tenant-branding-logo-alt = Het logo van de werkruimte
tenant-branding-logo-none = geen
tenant-branding-logo-upload-title = Een logo uploaden
tenant-branding-logo-upload-hint = Een PNG- of JPEG-afbeelding van hoogstens 1 MB. Het vervangt het huidige logo op de pagina's van de werkruimte en in haar mails.
tenant-branding-logo-file = Afbeelding
tenant-branding-logo-upload = Logo uploaden
tenant-branding-logo-remove = Het logo verwijderen
tenant-branding-change = Wijzigen
tenant-branding-color-hint = (#rrggbb; laat leeg voor de standaard)
tenant-branding-logo-url = Logo-URL
tenant-branding-logo-url-hint = (https://…; laat leeg voor geen logo)
tenant-branding-logo-url-placeholder = https://voorbeeld.nl/logo.png
tenant-branding-save = Opslaan
tenant-locale-title = Taal en tijdzone
tenant-locale-intro = De pagina's en mails van de werkruimte gebruiken deze voor iedereen die in het eigen profiel niets heeft gekozen.
tenant-locale-language = Taal
tenant-locale-language-browser = De browser van de lezer bepaalt het
tenant-locale-time-zone = Tijdzone
tenant-locale-time-zone-utc = UTC
tenant-locale-save = Taal en tijdzone opslaan

## Auditlog

tenant-audit-title = Auditlog
tenant-audit-invalid-user = Het gebruikersfilter moet een van de gebruikers van de werkruimte zijn.
tenant-audit-invalid-before = De paginalink is ongeldig; begin opnieuw bij de eerste pagina.
tenant-audit-invalid-limit = Het aantal per pagina moet een geheel getal zijn.
tenant-audit-system-billing = facturatie
tenant-audit-system-scheduler = planner
tenant-audit-system-signup = aanmelding
tenant-audit-system-invitation-link = uitnodigingslink
tenant-audit-system-unsubscribe-link = afmeldlink
tenant-audit-system-logo = iemand die het logo laadt
tenant-audit-system-login = inloggen
tenant-audit-system-meter = meting
tenant-audit-user-id = gebruiker { $id }
tenant-audit-actor-superuser = platformbeheerder
tenant-audit-actor-api-key = API-sleutel { $id }
tenant-audit-actor-impersonation = platformbeheerder als { $name }
tenant-audit-actor-system = systeem ({ $name })
tenant-audit-actor-anonymous = anoniem
tenant-audit-target-tenant = de werkruimte
tenant-audit-target-invitation = uitnodiging { $id }
tenant-audit-target-role = rol { $id }
tenant-audit-target-subscription = het abonnement
tenant-audit-target-campaign = advertentiecampagne { $id }
tenant-audit-target-superuser = een platformbeheerder
tenant-audit-target-api-key = API-sleutel { $id }
tenant-audit-target-export = export { $id }
tenant-audit-target-file = bestand { $id }
tenant-audit-target-foreign-tenant = een andere werkruimte ({ $id })
tenant-audit-outcome-success = gelukt
tenant-audit-outcome-denied = geweigerd
tenant-audit-outcome-failed = mislukt
tenant-audit-filter-label = De auditlog filteren
tenant-audit-action = Actie
tenant-audit-action-hint = (bijv. api_key.created; leeg voor alle)
tenant-audit-user = Gebruiker
tenant-audit-user-hint = (wie handelde of om wie het ging)
tenant-audit-anyone = Iedereen
tenant-audit-user-option = { $name } ({ $email })
tenant-audit-user-id-label = Gebruikers-id
tenant-audit-user-id-hint = (leeg voor iedereen)
tenant-audit-filter = Filteren
tenant-audit-clear = Wissen
tenant-audit-none = Geen gebeurtenissen.
tenant-audit-caption = Gebeurtenissen, nieuwste eerst
tenant-audit-when = Wanneer
tenant-audit-who = Wie
tenant-audit-on-what = Waarop
tenant-audit-outcome = Uitkomst
tenant-audit-details = Details
tenant-audit-pages = Pagina's
tenant-audit-older = Oudere gebeurtenissen

## Gegevensexport

tenant-exports-title = Gegevensexport
tenant-exports-intro = Een export is een JSON-archief met de gegevens van de werkruimte (nooit wachtwoorden of geheime sleutels). Hij wordt op de achtergrond gemaakt en is zeven dagen te downloaden.
tenant-exports-requested = De export is aangevraagd: laad deze pagina opnieuw om hem te volgen.
tenant-exports-running = Er wordt al een export gemaakt: die is hieronder gemarkeerd. Laad deze pagina opnieuw om hem te volgen.
tenant-exports-request = Een export aanvragen
tenant-exports-none = Nog geen exports.
tenant-exports-caption = Exports, nieuwste eerst
tenant-exports-requested-at = Aangevraagd
tenant-exports-status = Status
tenant-exports-progress = Voortgang
tenant-exports-size = Grootte
tenant-exports-available-until = Beschikbaar tot
tenant-exports-archive = Archief
tenant-exports-download = Downloaden
tenant-exports-percent = { $percent }%
tenant-exports-size-mb = { $count } MB
tenant-exports-size-kb = { $count } kB
tenant-exports-size-bytes = { $count ->
    [one] { $count } byte
   *[other] { $count } bytes
}
tenant-exports-status-queued = in de wachtrij
tenant-exports-status-running = bezig
tenant-exports-status-ready = klaar
tenant-exports-status-failed = mislukt
tenant-exports-status-expired = verlopen

## De mailinstellingen van de werkruimte

tenant-notifications-title = Meldingen
tenant-notifications-saved = Opgeslagen.
tenant-notifications-billing-email = E-mailadres voor facturen
tenant-notifications-billing-email-hint = Elke factuurmail gaat ook hierheen (bijvoorbeeld naar de crediteurenadministratie). Leeg: alleen eigenaren en beheerders.
tenant-notifications-billing-mails = Factuurmails die we mogen weigeren (een proefperiode die een betaald abonnement werd)
tenant-notifications-always-mailed = Het einde van de proefperiode, een mislukte betaling of een betaling die actie vraagt, de overstap naar het gratis pakket en opgeschorte gebruikers mailen we altijd: daar moet iemand iets mee.
tenant-notifications-product-updates = Onze mensen mogen de productupdates van het platform ontvangen (ieder kiest daar nog zelf voor)
tenant-notifications-save = Opslaan

## Je profiel

tenant-profile-title = Je profiel
tenant-profile-saved-name = Je naam is opgeslagen.
tenant-profile-saved-password = Je wachtwoord is gewijzigd; je andere sessies zijn beëindigd.
tenant-profile-saved-email = Er is een link onderweg naar het nieuwe adres: je adres wijzigt zodra je die volgt.
tenant-profile-saved-preferences = Je taal en tijdzone zijn opgeslagen.
tenant-profile-name-title = Naam
tenant-profile-name = Je naam
tenant-profile-name-save = Naam opslaan
tenant-profile-email-title = E-mail
tenant-profile-email-current = Je logt in met
tenant-profile-email-current-end = .
tenant-profile-email-unconfirmed = (nog niet bevestigd).
tenant-profile-email-new = Nieuw adres
tenant-profile-current-password = Huidig wachtwoord
tenant-profile-email-change = Adres wijzigen
tenant-profile-email-hint = Er gaat een link naar het nieuwe adres; het wijzigt zodra je die volgt. Je huidige adres krijgt bericht.
tenant-profile-preferences-title = Taal en tijdzone
tenant-profile-language = Taal
tenant-profile-as-workspace = Zoals de werkruimte
tenant-profile-time-zone = Tijdzone
tenant-profile-preferences-save = Opslaan
tenant-profile-password-title = Wachtwoord
tenant-profile-password-new = Nieuw wachtwoord
tenant-profile-password-min = { $count ->
    [one] (minstens { $count } teken)
   *[other] (minstens { $count } tekens)
}
tenant-profile-password-change = Wachtwoord wijzigen
tenant-profile-password-hint = Je andere sessies worden beëindigd; deze browser blijft ingelogd.
tenant-profile-security-title = Beveiliging en mail
tenant-profile-mfa = Tweestapsverificatie
tenant-profile-mfa-on = (aan)
tenant-profile-mfa-off = (uit)
tenant-profile-sessions = Je sessies
tenant-profile-mail = Je mail

## Files (issue 27)
tenant-files-title = Bestanden
tenant-files-intro = Documenten en afbeeldingen van deze werkruimte. Het type van een bestand wordt uit de inhoud gelezen; alleen gangbare documenten en afbeeldingen worden aangenomen, en elk bestand wordt als bijlage gedownload.
tenant-files-accepted = Aangenomen typen
tenant-files-used = { $used } van { $limit } gebruikt
tenant-files-over-quota = Deze werkruimte bewaart meer dan het abonnement toestaat. Er is niets verwijderd, maar nieuwe bestanden worden geweigerd tot er genoeg is verwijderd of het abonnement groter is.
tenant-files-uploaded = Het bestand is opgeslagen.
tenant-files-deleted = Het bestand is verwijderd.
tenant-files-choose = Bestand
tenant-files-upload = Uploaden
tenant-files-none = Nog geen bestanden.
tenant-files-caption = De bestanden van de werkruimte, nieuwste eerst
tenant-files-name = Naam
tenant-files-type = Type
tenant-files-size = Grootte
tenant-files-uploaded-at = Geüpload
tenant-files-actions = Acties
tenant-files-delete = Verwijderen
tenant-files-size-mb = { $count } MB
tenant-files-size-kb = { $count } KB
tenant-files-size-bytes = { $count ->
    [one] { $count } byte
   *[other] { $count } bytes
}
