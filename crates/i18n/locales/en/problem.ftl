# problem
# One sentence per problem code (crates/ports/src/error.rs `Problem::code`, and the HTTP layer's own codes):
# what readers of another language get instead of the use case's English text. No arguments.

## The HTTP layer and the infrastructure

problem-not_found = There is no such page or resource.
problem-unauthenticated = You are not logged in, or your login has expired; log in again.
problem-internal_error = An internal error occurred; it has been logged.
problem-temporarily_unavailable = The service is temporarily unavailable; nothing was changed, please try again.
problem-invalid_body = The content sent is empty, too long or not readable; check it and try again.
problem-invalid_query = A value in the address is not valid; check it and try again.
problem-invalid_form = The form is incomplete or not valid; check it and try again.
problem-body_too_large = The content sent is too large.
problem-unsupported_media_type = The content must be sent as JSON (Content-Type: application/json).
problem-rate_limited = The workspace's limit of requests per minute is used up; try again in a moment.
problem-too_many_requests = There have been too many attempts; wait a moment and try again.
problem-quota_exceeded = The monthly allowance of API calls is used up; it resets at the start of next month.
problem-cross_site_form = This form was posted by another site.
problem-csrf = This form has expired; reload the page and try again.
problem-invalid_signature = The Stripe-Signature header is missing, does not match the content, or is too old.
problem-webhook_unreadable = The event could not be read.
problem-invalid_plan = There is no such plan.
problem-invalid_card = Choose one of the test cards: succeeds, declines or requires_action.
problem-checkout_closed = This checkout session is unknown, was completed before or has expired; start again from the billing page.
problem-portal_closed = This billing portal session is unknown or has expired; start again from the billing page.

## Access and sign-in

problem-forbidden = You do not have the permission this needs.
problem-upgrade_required = This feature is not included in your plan; upgrade to use it.
problem-tenant_inactive = This workspace is not active, so this is not possible now.
problem-payment_method_required = Add a payment method to start the trial.
problem-mfa_enrolment_required = Two-factor authentication is required for this account; set it up first.
problem-not_a_user = Only users of a workspace have a profile here.
problem-refresh_token_reused = This refresh token was used before, so the session has ended; log in again.
problem-invalid_credentials = The email address or password is not right.
problem-wrong_mfa_code = The two-factor code is wrong or was used already.

## Account, password and two-factor authentication

problem-invalid_name = The name is empty, too long or contains characters that are not allowed.
problem-invalid_email = The email address is not valid.
problem-email_taken = Another account already uses this email address.
problem-same_email = That is your address already.
problem-invalid_preference = The language must be English or Dutch, and the time zone an IANA name such as Europe/Amsterdam.
problem-weak_password = This password cannot be used: it is too short, too long, blank or appears in a list of breached passwords; choose another.
problem-wrong_password = The password is not right.
problem-invalid_token = This link is not valid; use the link of the most recent email or ask for a new one.
problem-token_expired = This link has expired; ask for a new one.
problem-token_used = This link was used already; ask for a new one.
problem-already_verified = The address is verified already.
problem-invalid_code = A code is 6 digits, or a recovery code of 16 letters and digits.
problem-wrong_code = The code is wrong or expired; check your device's clock and enter the current code.
problem-code_used = This code was used already; wait for the next one.
problem-mfa_already_enabled = Two-factor authentication is enabled already.
problem-mfa_not_enabled = Two-factor authentication is not enabled.
problem-mfa_required = The platform requires two-factor authentication for this account, so it cannot be turned off.
problem-consent_is_personal = Only the person themselves can opt in to product updates, not a support session.
problem-invalid_link = This unsubscribe link is not valid; use the link of a recent email.

## Users, invitations, roles and API keys

problem-invalid_role = This role is not valid or does not exist.
problem-role_not_grantable = You cannot give this role.
problem-target_outranks_you = This user has permissions you do not have.
problem-cannot_target_self = You cannot deactivate or remove yourself.
problem-owner_protected = The owner cannot be deactivated, removed or demoted; transfer ownership first.
problem-owner_by_transfer_only = The owner role is given only by transferring ownership.
problem-invalid_new_owner = Ownership can only be transferred to another active user.
problem-not_owner = Only the owner can transfer ownership.
problem-already_active = The user is already active.
problem-already_deactivated = The user is already deactivated.
problem-same_role = The user already has this role.
problem-already_erased = The user was erased.
problem-user_inactive = The user is deactivated; reactivate them first.
problem-seat_limit_reached = All licensed seats are in use; add seats, or free one by revoking an invitation or deactivating a user.
problem-already_member = This person is already a user of this workspace.
problem-already_invited = An invitation for this address is already pending; resend it instead.
problem-invitation_already_accepted = This invitation has already been used.
problem-invitation_revoked = This invitation has been revoked.
problem-invitation_expired = This invitation has expired; ask for a new one.
problem-role_gone = The role offered no longer exists; ask for a new invitation.
problem-unknown_permission = One of the permissions does not exist.
problem-reserved_permission = One of the permissions belongs to the owner alone and cannot be part of a custom role.
problem-invalid_description = The description is too long or contains characters that are not allowed.
problem-role_name_taken = A role with this name exists already.
problem-role_escalation = A role or API key cannot have permissions you do not have.
problem-role_in_use = Users or pending invitations still hold this role; give them another role first.
problem-already_revoked = The API key is already revoked.

## Workspace, settings, audit log, exports and usage

problem-invalid_settings = A setting is not valid; check the values and try again.
problem-invalid_slug = The slug is not valid: it has 3 to 63 characters, only a-z, 0-9 and single hyphens, not at the start or end, and is not reserved.
problem-slug_taken = This slug is taken; choose another.
problem-deletion_already_requested = The workspace's deletion is already requested.
problem-no_deletion_to_cancel = There is no deletion request that can still be cancelled.
problem-unknown_action = The audit log has no such action.
problem-invalid_reason = The reason must be 1 to 200 characters of plain text.
problem-export_not_ready = The export is not ready yet; check its status and download it when it is ready.
problem-export_failed = The export failed; start another.
problem-export_expired = The export expired and its archive was deleted; start another.
problem-storage_quota_exceeded = This would exceed the workspace's storage quota.
problem-file_too_large = The file is larger than an upload may be.
problem-file_type_not_allowed = Files of this type are not accepted here; upload a common document or image.
problem-invalid_logo_type = A logo must be a PNG or JPEG image.
problem-empty_file = The file is empty.
problem-invalid_file_name = The file needs a name of 1 to 255 characters.
problem-upload_failed = The upload broke off; try again.
problem-invalid_upload = Send the file as a form upload, in a part named “file”.
problem-invalid_file_types = Give 1 to 50 file types such as application/pdf; HTML and SVG are never accepted.

## Subscription, billing and promotion codes

problem-invalid_seats = The number of seats must be a whole number from 1 to 100,000.
problem-invalid_request = The request is not valid; check the values and try again.
problem-payment_declined = The payment was declined; update the payment method and try again.
problem-payment_action_required = The payment needs your confirmation.
problem-billing_rejected = The payment provider refused the request.
problem-billing_details_rejected = The billing details could not be passed to the payment provider; check them and try again.
problem-billing_unavailable = Billing is unavailable right now; nothing was changed, try again later.
problem-not_on_paid_plan = This needs the paid plan.
problem-not_trialing = The workspace is not in its trial.
problem-payment_past_due = A payment is past due; update the payment method first.
problem-unchanged = The subscription already is as requested.
problem-below_included_seats = The plan includes more seats than that; fewer cannot be licensed.
problem-below_used_seats = More seats are in use than that; free seats first by revoking invitations or deactivating users.
problem-subscription_conflict = The subscription's current state does not allow this.
problem-already_canceling = The subscription is already set to end at the end of the period.
problem-preview_expired = The billing period has ended since the preview; preview the change again.
problem-already_suspended = The workspace is already suspended.
problem-not_suspended = The workspace is not suspended.
problem-promotion_code_unknown = There is no such promotion code.
problem-promotion_code_expired = This promotion code has expired.
problem-promotion_code_exhausted = This promotion code has been used as often as it may be.
problem-promotion_code_not_first_time = This promotion code is for new customers only.
problem-promotion_code_inactive = This promotion code is no longer active.
problem-promotion_code_taken = A promotion code with this text exists already.
problem-nothing_to_discount = A promotion code applies to a trial with a payment method on file or to a paid plan.
problem-discount_already_applied = A promotion code is already applied to this subscription.
problem-plan_comped = The plan is free for now; apply the code after that.

## Platform: support sessions, broadcasts, jobs and backups

problem-invalid_minutes = A support session lasts 1 to 60 minutes.
problem-invalid_subject = The subject is one line of 1 to 200 characters.
problem-invalid_key = The key is 1 to 64 letters, digits, _ or -.
problem-links_not_configured = Unsubscribe links cannot be signed because no link key is configured.
problem-broadcast_interrupted = The broadcast was interrupted; send it again with the same key to go on (nothing is sent twice).
problem-job_not_failed = The job has not failed for good: it is pending or done.
problem-backups_not_configured = Backups are not configured: set TENANTRY_BACKUP_KEY.
problem-backup_truncated = The backup is truncated.
problem-not_a_backup = This is not a tenantry backup.
problem-backup_format_unsupported = This backup's format is not supported by this version.
problem-backup_key_mismatch = The backup was made with another backup key.
problem-backup_tampered = The backup is corrupt or was tampered with.
problem-backup_unreadable = The backup's contents are not readable.
problem-backup_foreign_tenant = The backup is of another workspace.
problem-backup_incompatible = The backup cannot be restored here.
problem-backup_owner_erased = The backup's owner was erased since it was made; it cannot be restored.
problem-billing_customer_taken = The backup's billing customer belongs to another workspace now.
