# Het beheerpaneel van de superbeheerder: werkruimtes, statistieken, de auditlog van het platform, taken, het profiel van de superbeheerder.
# (Namen van auditacties, soorten taken en e-mailsjablonen blijven code: ze staan in `code`-elementen of zijn argumenten.)

## Woorden die meerdere pagina's delen

admin-label-tenant = Werkruimte
admin-label-status = Status
admin-label-plan = Pakket
admin-label-seats = Plaatsen
admin-label-active-users = Actieve gebruikers
admin-label-mrr = MRR
admin-label-since = Sinds
admin-label-name = Naam
admin-label-action = Actie
admin-label-requests-per-minute = Verzoeken per minuut
admin-filter = Filteren

## De status van een abonnement, zoals het statusfilter en de grafieken die noemen

admin-status-pending-payment-method = wacht op betaalmethode
admin-status-trialing = proefperiode
admin-status-active = actief
admin-status-past-due = achterstallig
admin-status-freemium = gratis
admin-status-canceling = opgezegd per einde periode
admin-status-suspended = opgeschort
admin-status-pending-deletion = wordt verwijderd

## Pakketten en factuurperiodes

admin-plan-trial = proefperiode
admin-plan-freemium = gratis pakket
admin-plan-standard = standaard
admin-interval-month = maand
admin-interval-year = jaar

## Standaardrollen en de status van een gebruiker

admin-role-owner = eigenaar
admin-role-admin = beheerder
admin-role-manager = manager
admin-role-member = lid
admin-role-viewer = kijker
admin-user-status-active = actief
admin-user-status-deactivated = gedeactiveerd

## De lijst met werkruimtes (/admin)

admin-tenants-title = Werkruimtes
admin-tenants-search = Zoeken
admin-tenants-status-any = alle
admin-tenants-none = Geen werkruimte gevonden.
admin-tenants-new-heading = Werkruimte aanmaken
admin-tenants-new-company = Bedrijfsnaam
admin-tenants-new-slug = Korte naam (in webadressen)
admin-tenants-new-admin-name = Naam van de beheerder
admin-tenants-new-admin-email = E-mailadres van de beheerder
admin-tenants-new-admin-password = Eerste wachtwoord van de beheerder
admin-tenants-new-submit = Werkruimte aanmaken

## Eén werkruimte (/admin/tenants/…)

admin-tenant-short-name = Korte naam
admin-tenant-since = · sinds { $date }
admin-tenant-subscription = Abonnement
admin-tenant-seats-used = { $used } in gebruik
admin-tenant-seats-used-of = { $used } van { $seats } in gebruik
admin-tenant-price = Prijs
admin-tenant-next-invoice = Volgende factuur
admin-tenant-next-invoice-value = { $amount } op { $date }
admin-tenant-trial = Proefperiode
admin-tenant-trial-left = { $count ->
    [one] nog { $count } dag
   *[other] nog { $count } dagen
}
admin-tenant-purge = Definitief verwijderd op
admin-tenant-payments = Betalingen
admin-tenant-payments-paused = gepauzeerd: facturen worden geannuleerd
admin-tenant-free = Gratis
admin-tenant-free-until = tot { $date }
admin-tenant-resume-payments = Betalingen hervatten
admin-tenant-pause-payments = Betalingen pauzeren
admin-tenant-comp-months = Gratis gedurende (maanden, 1 tot en met 36)
admin-tenant-comp = Het pakket gratis geven
admin-tenant-resume = Werkruimte hervatten
admin-tenant-suspend = Werkruimte opschorten
admin-tenant-usage = Gebruik deze maand
admin-tenant-api-calls = API-aanroepen
admin-tenant-api-calls-value = { $used } van { $limit } deze maand
admin-tenant-page-views = Paginaweergaven
admin-tenant-logins = Inlogs
admin-tenant-storage = Opslag
admin-tenant-storage-value = { $used } van { $limit } bytes
admin-tenant-active-users-value = { $active } (+ { $invited } uitgenodigd)
admin-tenant-users = Gebruikers ({ $count })
admin-tenant-email = E-mailadres
admin-tenant-role = Rol
admin-tenant-last-login = Laatst ingelogd
admin-tenant-support = Ondersteuning
admin-tenant-never = nooit
admin-tenant-act-as = Optreden als
admin-tenant-act-as-for = gedurende 30 minuten
admin-tenant-remove-mfa-label = De tweestapsverificatie van { $email } verwijderen
admin-tenant-remove-mfa = Tweestapsverificatie verwijderen
admin-tenant-delete-heading = Verwijderen
admin-tenant-delete-explained = De gegevens van de werkruimte worden na de bewaartermijn definitief verwijderd; tot dan kan de eigenaar dit annuleren.
admin-tenant-delete = Werkruimte verwijderen
admin-tenant-suspend-or-resume = Opschorten of hervatten?
admin-tenant-pause-or-resume = Pauzeren of hervatten?
admin-tenant-comp-months-invalid = Het aantal maanden is een getal van 1 tot en met 36.

## Pakket en limieten van een werkruimte aanpassen

admin-override-heading = Pakket en limieten aanpassen
admin-override-api-calls = API-aanroepen per maand
admin-override-storage = Opslag in bytes
admin-override-active-users = Maximaal aantal actieve gebruikers
admin-override-empty-plan = (leeg: die van het pakket)
admin-override-empty-seats = (leeg: de betaalde plaatsen)
admin-override-trial-end = Proefperiode eindigt op
admin-override-freemium = Zet de werkruimte nu op het gratis pakket
admin-override-save = Opslaan
admin-override-not-a-number = { $field } moet een geheel getal zijn (of leeg).
admin-override-trial-not-a-date = Het einde van de proefperiode moet een datum zijn.

## Statistieken van het platform (/admin/stats)

admin-stats-title = Statistieken
admin-stats-heading = Statistieken van het platform
admin-stats-logins-month = Inlogs deze maand
admin-stats-api-calls-month = API-aanroepen deze maand
admin-stats-page-views-month = Paginaweergaven deze maand
admin-stats-no-history = De planner maakt de eerste dagelijkse momentopname; vanaf dan verschijnen hier grafieken.
admin-stats-chart-by-status = Werkruimtes per status
admin-stats-chart-mrr = Maandelijks terugkerende omzet
admin-stats-chart-logins = Inlogs per maand
admin-stats-series-mrr = MRR (€)
admin-stats-series-active-users = actieve gebruikers
admin-stats-series-logins = inlogs

## De auditlog van het platform (/admin/audit)

admin-audit-title = Auditlog
admin-audit-intro = De gebeurtenissen van elke werkruimte en die van het platform zelf, nieuwste eerst. Het lezen van de logs van alle werkruimtes wordt zelf vastgelegd in de log van het platform, met de opgegeven reden; met een werkruimte-id lees je alleen de log van die werkruimte.
admin-audit-tenant-id = Werkruimte-id
admin-audit-user-id = Gebruikers-id
admin-audit-reason = Reden (wordt vastgelegd)
admin-audit-reason-placeholder = auditlog van het platform bekeken
admin-audit-per-page = Per pagina
admin-audit-clear = Wissen
admin-audit-when = Wanneer
admin-audit-who = Wie
admin-audit-target = Doel
admin-audit-outcome = Resultaat
admin-audit-details = Details
admin-audit-none = Geen gebeurtenis gevonden.
admin-audit-next = Volgende pagina (oudere gebeurtenissen)
admin-audit-platform = platform
admin-audit-actor-user = gebruiker { $id }
admin-audit-actor-superuser = platformbeheerder { $id }
admin-audit-actor-api-key = API-sleutel { $id }
admin-audit-actor-impersonation = platformbeheerder { $superuser } als gebruiker { $user }
admin-audit-actor-system = systeem ({ $name })
admin-audit-actor-anonymous = anoniem
admin-audit-target-tenant = werkruimte
admin-audit-target-user = gebruiker
admin-audit-target-invitation = uitnodiging
admin-audit-target-role = rol
admin-audit-target-subscription = abonnement
admin-audit-target-campaign = campagne
admin-audit-target-superuser = platformbeheerder
admin-audit-target-api-key = API-sleutel
admin-audit-target-export = export
admin-audit-target-file = bestand
admin-audit-target-foreign-tenant = andere werkruimte
admin-audit-outcome-success = gelukt
admin-audit-outcome-denied = geweigerd
admin-audit-outcome-failed = mislukt
admin-audit-bad-tenant = De werkruimte-id is geen geldige id (een UUID v7).
admin-audit-bad-user = De gebruikers-id is geen geldige id (een UUID v7).
admin-audit-bad-cursor = De paginapositie is niet geldig; begin bij de eerste pagina.
admin-audit-bad-limit = Het aantal per pagina is geen getal.

## Gepland werk (/admin/jobs)

admin-jobs-title = Taken
admin-jobs-intro = Gepland werk draait elke minuut en wordt na 30 s, 1, 2 en 4 minuten opnieuw geprobeerd; een taak waarvan de vijfde poging mislukt is, blijft hier staan tot iemand hem opnieuw start.
admin-jobs-failed = Definitief mislukt ({ $count })
admin-jobs-none-failed = Geen mislukte taken.
admin-jobs-job = Taak
admin-jobs-attempts = Pogingen
admin-jobs-last-error = Laatste fout
admin-jobs-retry-label = Taak { $id } opnieuw proberen
admin-jobs-retry = Opnieuw proberen
admin-jobs-purges = Wachten op definitieve verwijdering ({ $count })
admin-jobs-no-purges = Geen werkruimte wacht op definitieve verwijdering.
admin-jobs-why = Waarom
admin-jobs-purged-on = Verwijderd op
admin-jobs-reason-deletion = verwijdering aangevraagd
admin-jobs-reason-no-payment-method = aangemeld zonder betaalmethode
admin-job-mail-to = e-mail { $template } aan { $to }
admin-job-export = AVG-export { $id }
admin-job-expire-export = verlopen van export { $id }
admin-job-timers = timers die vervallen op { $at }
admin-job-mail = e-mail { $id }

## Het profiel van de superbeheerder (/admin/profile)

admin-profile-title = Je profiel
admin-profile-your-name = Je naam
admin-profile-save-name = Naam opslaan
admin-profile-sign-in-as = Je logt in als
admin-profile-security = Beveiliging
admin-profile-mfa = Tweestapsverificatie
admin-profile-mfa-on = (aan)
admin-profile-mfa-off = (uit)
admin-profile-sessions = Je sessies
admin-profile-password-hint = Je wachtwoord en e-mailadres wijzigt de beheerder van de installatie, met de rechten van de database-eigenaar:
admin-profile-saved = Je naam is opgeslagen.
