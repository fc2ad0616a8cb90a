# problem
# Eén zin per probleemcode (crates/ports/src/error.rs `Problem::code`, en de eigen codes van de HTTP-laag):
# wat lezers van een andere taal krijgen in plaats van de Engelse tekst van de use case. Zonder argumenten.

## De HTTP-laag en de infrastructuur

problem-not_found = Deze pagina of dit onderdeel bestaat niet.
problem-unauthenticated = Je bent niet ingelogd of je login is verlopen; log opnieuw in.
problem-internal_error = Er is een interne fout opgetreden; die is vastgelegd.
problem-temporarily_unavailable = De dienst is tijdelijk niet beschikbaar; er is niets gewijzigd, probeer het opnieuw.
problem-invalid_body = De verstuurde inhoud is leeg, te lang of onleesbaar; controleer hem en probeer het opnieuw.
problem-invalid_query = Een waarde in het adres is ongeldig; controleer die en probeer het opnieuw.
problem-invalid_form = Het formulier is onvolledig of ongeldig; controleer het en probeer het opnieuw.
problem-body_too_large = De verstuurde inhoud is te groot.
problem-unsupported_media_type = De inhoud moet als JSON worden verstuurd (Content-Type: application/json).
problem-rate_limited = De limiet van de werkruimte voor het aantal verzoeken per minuut is bereikt; probeer het zo opnieuw.
problem-too_many_requests = Er zijn te veel pogingen gedaan; wacht even en probeer het opnieuw.
problem-quota_exceeded = Het maandelijkse tegoed aan API-aanroepen is op; het wordt aan het begin van volgende maand weer aangevuld.
problem-cross_site_form = Dit formulier is verstuurd vanaf een andere site.
problem-csrf = Dit formulier is verlopen; laad de pagina opnieuw en probeer het nog eens.
problem-invalid_signature = De Stripe-Signature-header ontbreekt, past niet bij de inhoud of is te oud.
problem-webhook_unreadable = De gebeurtenis kon niet worden gelezen.
problem-invalid_plan = Dit pakket bestaat niet.
problem-invalid_card = Kies een van de testkaarten: succeeds, declines of requires_action.
problem-checkout_closed = Deze betaalsessie is onbekend, al afgerond of verlopen; begin opnieuw vanaf de facturatiepagina.
problem-portal_closed = Deze sessie van het facturatieportaal is onbekend of verlopen; begin opnieuw vanaf de facturatiepagina.

## Toegang en inloggen

problem-forbidden = Je hebt niet het recht dat hiervoor nodig is.
problem-upgrade_required = Deze functie zit niet in je abonnement; upgrade om deze te gebruiken.
problem-tenant_inactive = Deze werkruimte is niet actief, dus dit kan nu niet.
problem-payment_method_required = Voeg een betaalmethode toe om de proefperiode te starten.
problem-mfa_enrolment_required = Tweestapsverificatie is verplicht voor dit account; stel die eerst in.
problem-not_a_user = Alleen gebruikers van een werkruimte hebben hier een profiel.
problem-refresh_token_reused = Dit vernieuwingstoken is al eerder gebruikt, dus de sessie is beëindigd; log opnieuw in.
problem-invalid_credentials = Het e-mailadres of het wachtwoord klopt niet.
problem-wrong_mfa_code = De verificatiecode is onjuist of al gebruikt.

## Account, wachtwoord en tweestapsverificatie

problem-invalid_name = De naam is leeg, te lang of bevat tekens die niet zijn toegestaan.
problem-invalid_email = Het e-mailadres is ongeldig.
problem-email_taken = Een ander account gebruikt dit e-mailadres al.
problem-same_email = Dat is al je adres.
problem-invalid_preference = De taal moet Engels of Nederlands zijn, en de tijdzone een IANA-naam zoals Europe/Amsterdam.
problem-weak_password = Dit wachtwoord kan niet: het is te kort, te lang, leeg of staat in een lijst met gelekte wachtwoorden; kies een ander.
problem-wrong_password = Het wachtwoord klopt niet.
problem-invalid_token = Deze link is ongeldig; gebruik de link uit de meest recente e-mail of vraag een nieuwe aan.
problem-token_expired = Deze link is verlopen; vraag een nieuwe aan.
problem-token_used = Deze link is al gebruikt; vraag een nieuwe aan.
problem-already_verified = Het adres is al bevestigd.
problem-invalid_code = Een code bestaat uit 6 cijfers, of is een herstelcode van 16 letters en cijfers.
problem-wrong_code = De code is onjuist of verlopen; controleer de klok van je apparaat en voer de huidige code in.
problem-code_used = Deze code is al gebruikt; wacht op de volgende.
problem-mfa_already_enabled = Tweestapsverificatie staat al aan.
problem-mfa_not_enabled = Tweestapsverificatie staat niet aan.
problem-mfa_required = Het platform verplicht tweestapsverificatie voor dit account, dus je kunt die niet uitzetten.
problem-consent_is_personal = Alleen de persoon zelf kan zich aanmelden voor productnieuws, niet een ondersteuningssessie.
problem-invalid_link = Deze afmeldlink is ongeldig; gebruik de link uit een recente e-mail.

## Gebruikers, uitnodigingen, rollen en API-sleutels

problem-invalid_role = Deze rol is ongeldig of bestaat niet.
problem-role_not_grantable = Je kunt deze rol niet toekennen.
problem-target_outranks_you = Deze gebruiker heeft rechten die jij niet hebt.
problem-cannot_target_self = Je kunt jezelf niet deactiveren of verwijderen.
problem-owner_protected = De eigenaar kan niet worden gedeactiveerd, verwijderd of teruggezet; draag eerst het eigenaarschap over.
problem-owner_by_transfer_only = De rol eigenaar wordt alleen toegekend door het eigenaarschap over te dragen.
problem-invalid_new_owner = Het eigenaarschap kan alleen worden overgedragen aan een andere actieve gebruiker.
problem-not_owner = Alleen de eigenaar kan het eigenaarschap overdragen.
problem-already_active = De gebruiker is al actief.
problem-already_deactivated = De gebruiker is al gedeactiveerd.
problem-same_role = De gebruiker heeft deze rol al.
problem-already_erased = De gebruiker is gewist.
problem-user_inactive = De gebruiker is gedeactiveerd; activeer de gebruiker eerst weer.
problem-seat_limit_reached = Alle plaatsen van je abonnement zijn in gebruik; voeg plaatsen toe, of maak er een vrij door een uitnodiging in te trekken of een gebruiker te deactiveren.
problem-already_member = Deze persoon is al gebruiker van deze werkruimte.
problem-already_invited = Er staat al een uitnodiging open voor dit adres; verstuur die opnieuw.
problem-invitation_already_accepted = Deze uitnodiging is al gebruikt.
problem-invitation_revoked = Deze uitnodiging is ingetrokken.
problem-invitation_expired = Deze uitnodiging is verlopen; vraag een nieuwe aan.
problem-role_gone = De aangeboden rol bestaat niet meer; vraag een nieuwe uitnodiging aan.
problem-unknown_permission = Een van de rechten bestaat niet.
problem-reserved_permission = Een van de rechten is alleen voor de eigenaar en kan geen deel uitmaken van een eigen rol.
problem-invalid_description = De beschrijving is te lang of bevat tekens die niet zijn toegestaan.
problem-role_name_taken = Er bestaat al een rol met deze naam.
problem-role_escalation = Een rol of API-sleutel kan geen rechten hebben die jij niet hebt.
problem-role_in_use = Gebruikers of openstaande uitnodigingen hebben deze rol nog; geef ze eerst een andere rol.
problem-already_revoked = De API-sleutel is al ingetrokken.

## Werkruimte, instellingen, auditlog, exports en gebruik

problem-invalid_settings = Een instelling is ongeldig; controleer de waarden en probeer het opnieuw.
problem-invalid_slug = De slug is ongeldig: die heeft 3 tot 63 tekens, alleen a-z, 0-9 en losse koppeltekens, niet aan het begin of einde, en is niet gereserveerd.
problem-slug_taken = Deze slug is al in gebruik; kies een andere.
problem-deletion_already_requested = De verwijdering van de werkruimte is al aangevraagd.
problem-no_deletion_to_cancel = Er is geen verwijderingsverzoek dat nog kan worden geannuleerd.
problem-unknown_action = De auditlog kent deze actie niet.
problem-invalid_reason = De reden moet 1 tot 200 tekens platte tekst zijn.
problem-export_not_ready = De export is nog niet klaar; bekijk de status en download hem zodra hij klaar is.
problem-export_failed = De export is mislukt; start een nieuwe.
problem-export_expired = De export is verlopen en het archief is verwijderd; start een nieuwe.
problem-storage_quota_exceeded = Hiermee zou de opslaglimiet van de werkruimte worden overschreden.
problem-file_too_large = Het bestand is groter dan een upload mag zijn.
problem-file_type_not_allowed = Bestanden van dit type worden hier niet aangenomen; upload een gangbaar document of een afbeelding.
problem-invalid_logo_type = Een logo moet een PNG- of JPEG-afbeelding zijn.
problem-empty_file = Het bestand is leeg.
problem-invalid_file_name = Het bestand heeft een naam van 1 tot 255 tekens nodig.
problem-upload_failed = De upload is afgebroken; probeer het opnieuw.
problem-invalid_upload = Stuur het bestand als formulierupload, in een deel met de naam “file”.
problem-invalid_file_types = Geef 1 tot 50 bestandstypen zoals application/pdf; HTML en SVG worden nooit aangenomen.

## Abonnement, facturatie en kortingscodes

problem-invalid_seats = Het aantal plaatsen moet een heel getal van 1 tot 100.000 zijn.
problem-invalid_request = Het verzoek is ongeldig; controleer de waarden en probeer het opnieuw.
problem-payment_declined = De betaling is geweigerd; werk de betaalmethode bij en probeer het opnieuw.
problem-payment_action_required = De betaling moet nog door jou worden bevestigd.
problem-billing_rejected = De betaalprovider heeft het verzoek geweigerd.
problem-billing_details_rejected = De factuurgegevens konden niet aan de betaalprovider worden doorgegeven; controleer ze en probeer het opnieuw.
problem-billing_unavailable = Facturatie is op dit moment niet beschikbaar; er is niets gewijzigd, probeer het later opnieuw.
problem-not_on_paid_plan = Hiervoor is het betaalde pakket nodig.
problem-not_trialing = De werkruimte zit niet in de proefperiode.
problem-payment_past_due = Er staat een betaling open; werk eerst de betaalmethode bij.
problem-unchanged = Het abonnement is al zoals gevraagd.
problem-below_included_seats = Het pakket bevat meer plaatsen dan dat; minder kun je niet afnemen.
problem-below_used_seats = Er zijn meer plaatsen in gebruik dan dat; maak eerst plaatsen vrij door uitnodigingen in te trekken of gebruikers te deactiveren.
problem-subscription_conflict = De huidige staat van het abonnement staat dit niet toe.
problem-already_canceling = Het abonnement stopt al aan het einde van de periode.
problem-preview_expired = De factuurperiode is sinds het voorbeeld afgelopen; bekijk het voorbeeld van de wijziging opnieuw.
problem-already_suspended = De werkruimte is al opgeschort.
problem-not_suspended = De werkruimte is niet opgeschort.
problem-promotion_code_unknown = Deze kortingscode bestaat niet.
problem-promotion_code_expired = Deze kortingscode is verlopen.
problem-promotion_code_exhausted = Deze kortingscode is zo vaak gebruikt als mag.
problem-promotion_code_not_first_time = Deze kortingscode is alleen voor nieuwe klanten.
problem-promotion_code_inactive = Deze kortingscode is niet meer actief.
problem-promotion_code_taken = Er bestaat al een kortingscode met deze tekst.
problem-nothing_to_discount = Een kortingscode geldt voor een proefperiode met een bekende betaalmethode of voor een betaald pakket.
problem-discount_already_applied = Er is al een kortingscode op dit abonnement toegepast.
problem-plan_comped = Het abonnement is voorlopig gratis; gebruik de code daarna.

## Platform: ondersteuningssessies, productnieuws, taken en back-ups

problem-invalid_minutes = Een ondersteuningssessie duurt 1 tot 60 minuten.
problem-invalid_subject = Het onderwerp is één regel van 1 tot 200 tekens.
problem-invalid_key = De sleutel bestaat uit 1 tot 64 letters, cijfers, _ of -.
problem-links_not_configured = Afmeldlinks kunnen niet worden ondertekend, omdat er geen linksleutel is ingesteld.
problem-broadcast_interrupted = Het versturen is onderbroken; verstuur het opnieuw met dezelfde sleutel om verder te gaan (niets wordt twee keer verstuurd).
problem-job_not_failed = De taak is niet definitief mislukt: die staat nog in de wachtrij of is klaar.
problem-backups_not_configured = Back-ups zijn niet ingesteld: stel TENANTRY_BACKUP_KEY in.
problem-backup_truncated = De back-up is onvolledig.
problem-not_a_backup = Dit is geen back-up van tenantry.
problem-backup_format_unsupported = Het formaat van deze back-up wordt door deze versie niet ondersteund.
problem-backup_key_mismatch = De back-up is gemaakt met een andere back-upsleutel.
problem-backup_tampered = De back-up is beschadigd of er is mee geknoeid.
problem-backup_unreadable = De inhoud van de back-up is onleesbaar.
problem-backup_foreign_tenant = De back-up hoort bij een andere werkruimte.
problem-backup_incompatible = De back-up kan hier niet worden teruggezet.
problem-backup_owner_erased = De eigenaar van de back-up is gewist nadat die werd gemaakt; de back-up kan niet worden teruggezet.
problem-billing_customer_taken = De facturatieklant van de back-up hoort nu bij een andere werkruimte.
