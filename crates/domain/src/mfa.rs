//! Two-factor authentication: time-based one-time codes from an authenticator app
//! (TOTP, RFC 6238) and single-use recovery codes for a lost device.
//!
//! The parameters are the authenticator-app defaults (HMAC-SHA1, 6 digits, 30 s
//! steps), since most apps ignore anything else in the `otpauth://` URL. A code is
//! accepted one step early or late (clock drift, RFC 6238 section 5.2) and only
//! once: the step of the last accepted code is stored and nothing at or before it
//! is accepted again (RFC 6238 section 5.2, "MUST NOT accept the second attempt").
//!
//! Randomness comes from the caller: the 20 secret bytes (160 bits, the length
//! RFC 4226 section 4 recommends) and the 10 bytes of each recovery code.
//! Recovery codes are stored as SHA-256 hashes ([`TokenHash`]): 80 random bits
//! need no slow hash.

use crate::token::TokenHash;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use totp_rs::{Algorithm, Secret, TOTP};

/// Why a code, a secret or an enrolment step was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MfaError {
    /// Not 6 digits (nor, where accepted, a recovery code of 16 letters and digits).
    #[error("a code is 6 digits, or a recovery code of 16 letters and digits")]
    Malformed,
    /// No code of the accepted steps, or no unused recovery code, matches.
    #[error("the code is wrong or expired; check the device's clock and enter the current code")]
    WrongCode,
    /// The code (or recovery code) was accepted before and does not work twice.
    #[error("the code was used already; wait for the next one")]
    Replayed,
    /// Two-factor authentication is not enabled (the enrolment is not confirmed).
    #[error("two-factor authentication is not enabled; confirm the enrolment with a code first")]
    NotEnabled,
    /// The enrolment was confirmed already.
    #[error("two-factor authentication is enabled already; disable it before enrolling again")]
    AlreadyEnabled,
    /// A stored secret is not 32 base32 characters (20 bytes).
    #[error("the TOTP secret is not 32 base32 characters")]
    InvalidSecret,
    /// The issuer or account of an `otpauth://` URL is empty or contains `:`.
    #[error("the issuer and the account name of an otpauth URL must be non-empty and without ':'")]
    InvalidLabel,
}

/// The TOTP parameters tenantry uses: the authenticator-app defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totp;

impl Totp {
    /// Seconds per step: a code changes every 30 seconds.
    pub const STEP_SECONDS: u64 = 30;
    /// Digits per code.
    pub const DIGITS: usize = 6;
    /// Steps accepted either side of the current one: the previous, current and next code work.
    pub const SKEW: u8 = 1;
}

/// How many recovery codes an enrolment gets.
pub const RECOVERY_CODES: usize = 10;

/// Characters of a recovery code without its dashes (10 random bytes in base32).
const RECOVERY_CHARS: usize = 16;

/// The shared TOTP secret: 20 random bytes, wiped from memory when dropped.
///
/// Debug output shows `TotpSecret(…)` only; serde reads and writes the base32 text.
pub struct TotpSecret(SecretBox<[u8; 20]>);

impl TotpSecret {
    /// Bytes in a secret (160 bits).
    pub const LEN: usize = 20;

    /// Wraps 20 random bytes from the caller's CSPRNG.
    pub fn from_bytes(bytes: [u8; 20]) -> Self {
        Self(SecretBox::new(Box::new(bytes)))
    }

    /// RFC 4648 base32 without padding (32 upper-case characters): what an
    /// authenticator app takes when the secret is typed in, and the stored form.
    pub fn to_base32(&self) -> SecretString {
        SecretString::from(base32(self.0.expose_secret()))
    }

    /// A fingerprint that names the secret without revealing it (SHA-256
    /// under a label, lower-case hex): a store compares it to tell whether a
    /// state belongs to the secret it keeps, however that secret is kept.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::new()
            .chain_update(b"tenantry-totp-fingerprint\0")
            .chain_update(self.0.expose_secret())
            .finalize();
        hex::encode(digest)
    }

    /// Reads the base32 form back; case, spaces and `=` padding are ignored.
    pub fn from_base32(text: &str) -> Result<Self, MfaError> {
        let normalised: String =
            text.chars().filter(|c| !c.is_ascii_whitespace() && *c != '=').map(|c| c.to_ascii_uppercase()).collect();
        let normalised = SecretString::from(normalised);
        // 32 characters carry exactly 160 bits: no other length is a canonical 20-byte secret.
        if normalised.expose_secret().len() != 32 {
            return Err(MfaError::InvalidSecret);
        }
        let decoded = Secret::Encoded(normalised.expose_secret().to_owned());
        let bytes = decoded.to_bytes().map_err(|_| MfaError::InvalidSecret)?;
        let array: [u8; 20] = bytes.as_slice().try_into().map_err(|_| MfaError::InvalidSecret)?;
        Ok(Self::from_bytes(array))
    }

    /// A `TOTP` with the fixed parameters; they are within totp-rs's checks
    /// (6 digits, at least 128 bits), which the tests confirm through `TOTP::new`.
    fn totp(&self) -> TOTP {
        TOTP::new_unchecked(
            Algorithm::SHA1,
            Totp::DIGITS,
            Totp::SKEW,
            Totp::STEP_SECONDS,
            self.0.expose_secret().to_vec(),
            None,
            String::new(),
        )
    }
}

impl Clone for TotpSecret {
    fn clone(&self) -> Self {
        Self::from_bytes(*self.0.expose_secret())
    }
}

impl PartialEq for TotpSecret {
    /// Compared in constant time.
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.0.expose_secret(), other.0.expose_secret())
    }
}
impl Eq for TotpSecret {}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(…)")
    }
}

impl Serialize for TotpSecret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.to_base32().expose_secret())
    }
}

impl<'de> Deserialize<'de> for TotpSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = SecretString::deserialize(deserializer)?;
        Self::from_base32(text.expose_secret()).map_err(serde::de::Error::custom)
    }
}

/// The `otpauth://totp/...` URL an authenticator app scans (as a QR code) to enrol:
/// `issuer` is the product name, `account` the user's e-mail. It carries the
/// secret, so it is a secret too.
pub fn otpauth_url(secret: &TotpSecret, issuer: &str, account: &str) -> Result<SecretString, MfaError> {
    if issuer.trim().is_empty() || account.trim().is_empty() {
        return Err(MfaError::InvalidLabel);
    }
    let totp = TOTP::new(
        Algorithm::SHA1,
        Totp::DIGITS,
        Totp::SKEW,
        Totp::STEP_SECONDS,
        secret.0.expose_secret().to_vec(),
        Some(issuer.to_owned()),
        account.to_owned(),
    )
    .map_err(|e| match e {
        totp_rs::TotpUrlError::Issuer(_) | totp_rs::TotpUrlError::AccountName(_) => MfaError::InvalidLabel,
        _ => MfaError::InvalidSecret,
    })?;
    Ok(SecretString::from(totp.get_url()))
}

/// What an authenticator app shows at `now`, or `None` before 1970. Servers only
/// verify; this is for tests and tooling that play the user's device.
pub fn code_at(secret: &TotpSecret, now: DateTime<Utc>) -> Option<SecretString> {
    let step = step_of(now)?;
    Some(SecretString::from(secret.totp().generate(step * Totp::STEP_SECONDS)))
}

/// Checks a code typed by the user against the steps around `now` and returns the
/// step it matched, which the caller stores as the new `last_used_step`.
///
/// Spaces are ignored ("123 456"); anything but 6 ASCII digits is
/// [`MfaError::Malformed`]. A code of the previous, current or next step matches;
/// a match at or before `last_used_step` is [`MfaError::Replayed`]; no match (or a
/// time before 1970) is [`MfaError::WrongCode`].
pub fn verify_code(
    secret: &TotpSecret,
    code: &str,
    now: DateTime<Utc>,
    last_used_step: Option<u64>,
) -> Result<u64, MfaError> {
    let code = totp_digits(code).ok_or(MfaError::Malformed)?;
    let current = step_of(now).ok_or(MfaError::WrongCode)?;
    let totp = secret.totp();
    let skew = u64::from(Totp::SKEW);
    let mut fresh: Option<u64> = None;
    let mut replayed = false;
    // Every candidate step is computed and compared, matched or not.
    for step in current.saturating_sub(skew)..=current.saturating_add(skew) {
        let expected = SecretString::from(totp.generate(step * Totp::STEP_SECONDS));
        if !constant_time_eq(expected.expose_secret().as_bytes(), code.expose_secret().as_bytes()) {
            continue;
        }
        if last_used_step.is_some_and(|last| step <= last) {
            replayed = true;
        } else if fresh.is_none() {
            // The earliest unused match: it blocks the fewest later codes.
            fresh = Some(step);
        }
    }
    match fresh {
        Some(step) => Ok(step),
        None if replayed => Err(MfaError::Replayed),
        None => Err(MfaError::WrongCode),
    }
}

/// The 30-second step `now` falls in, or `None` before 1970.
fn step_of(now: DateTime<Utc>) -> Option<u64> {
    u64::try_from(now.timestamp()).ok().map(|seconds| seconds / Totp::STEP_SECONDS)
}

/// The code without spaces if it is exactly 6 ASCII digits.
fn totp_digits(code: &str) -> Option<SecretString> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = SecretString::from(digits);
    let text = digits.expose_secret();
    (text.len() == Totp::DIGITS && text.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// Whether two byte strings are equal; the time depends on the lengths only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// RFC 4648 base32 without padding, upper-case.
fn base32(bytes: &[u8]) -> String {
    // `Secret::Encoded` displays as its text.
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

/// A recovery code's text for the user: 10 random bytes as 16 lower-case base32
/// characters in groups of four, `xxxx-xxxx-xxxx-xxxx`. Store [`recovery_hash`] of it.
pub fn recovery_code_text(random: [u8; 10]) -> SecretString {
    let plain = SecretString::from(base32(&random).to_ascii_lowercase());
    let grouped: Vec<&str> =
        plain.expose_secret().as_bytes().chunks(4).filter_map(|c| std::str::from_utf8(c).ok()).collect();
    SecretString::from(grouped.join("-"))
}

/// The hash of a recovery code as typed: case, spaces and dashes are ignored
/// (`ABCD EFGH …` and `abcd-efgh-…` are the same code). `None` unless 16 base32
/// characters remain.
pub fn recovery_hash(code: &str) -> Option<TokenHash> {
    let normalised: String =
        code.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_lowercase()).collect();
    let normalised = SecretString::from(normalised);
    let text = normalised.expose_secret();
    let base32_char = |b: u8| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b);
    (text.len() == RECOVERY_CHARS && text.bytes().all(base32_char)).then(|| TokenHash::of(&normalised))
}

/// One recovery code: only its hash is kept, and it works once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCode {
    /// SHA-256 of the normalised code (see [`recovery_hash`]).
    pub hash: TokenHash,
    /// When it was used; a used code is refused.
    pub used_at: Option<DateTime<Utc>>,
}

impl RecoveryCode {
    /// An unused code.
    pub fn new(hash: TokenHash) -> Self {
        Self { hash, used_at: None }
    }
}

/// A user's two-factor enrolment.
///
/// [`Mfa::start`] begins it with a new secret; [`Mfa::confirm`] enables it once
/// the user typed a code from the app (proof the app holds the secret) and stores
/// the recovery codes' hashes. Debug output never shows the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mfa {
    /// The shared secret (serialised as base32).
    pub secret: TotpSecret,
    /// When the enrolment was started.
    pub started_at: DateTime<Utc>,
    /// When it was confirmed; `None` while the enrolment is not confirmed.
    pub enabled_at: Option<DateTime<Utc>>,
    /// The step of the last accepted code: no code at or before it is accepted.
    pub last_used_step: Option<u64>,
    /// The recovery codes (used ones included, with their `used_at`).
    pub recovery: Vec<RecoveryCode>,
}

impl Mfa {
    /// Starts an enrolment with a new secret; it is not enabled until confirmed.
    pub fn start(secret: TotpSecret, now: DateTime<Utc>) -> Self {
        Self { secret, started_at: now, enabled_at: None, last_used_step: None, recovery: Vec::new() }
    }

    /// Confirms the enrolment with a code from the app and stores the recovery
    /// codes' hashes (see [`recovery_hash`]; [`RECOVERY_CODES`] of them).
    ///
    /// [`MfaError::AlreadyEnabled`] if it was confirmed before; otherwise the
    /// errors of [`verify_code`]. Nothing changes on error.
    pub fn confirm(&mut self, code: &str, now: DateTime<Utc>, recovery_hashes: Vec<TokenHash>) -> Result<(), MfaError> {
        if self.is_enabled() {
            return Err(MfaError::AlreadyEnabled);
        }
        let step = verify_code(&self.secret, code, now, self.last_used_step)?;
        self.last_used_step = Some(step);
        self.enabled_at = Some(now);
        self.replace_recovery(recovery_hashes);
        Ok(())
    }

    /// Whether the enrolment was confirmed.
    pub fn is_enabled(&self) -> bool {
        self.enabled_at.is_some()
    }

    /// Checks a second factor at sign-in: a 6-digit code from the app, or an
    /// unused recovery code (which is then used up).
    ///
    /// [`MfaError::NotEnabled`] before confirmation; [`MfaError::Malformed`] for
    /// text that is neither; a used recovery code is [`MfaError::Replayed`]; an
    /// unknown one [`MfaError::WrongCode`]; TOTP codes as in [`verify_code`].
    /// Nothing changes on error.
    pub fn verify(&mut self, code: &str, now: DateTime<Utc>) -> Result<(), MfaError> {
        if !self.is_enabled() {
            return Err(MfaError::NotEnabled);
        }
        if totp_digits(code).is_some() {
            let step = verify_code(&self.secret, code, now, self.last_used_step)?;
            self.last_used_step = Some(step);
            return Ok(());
        }
        let hash = recovery_hash(code).ok_or(MfaError::Malformed)?;
        // Compare with every code, so the time does not tell which one matched.
        let mut matched: Option<usize> = None;
        for (i, recovery) in self.recovery.iter().enumerate() {
            if recovery.hash.same_as(&hash) && matched.is_none() {
                matched = Some(i);
            }
        }
        let recovery = matched.and_then(|i| self.recovery.get_mut(i)).ok_or(MfaError::WrongCode)?;
        if recovery.used_at.is_some() {
            return Err(MfaError::Replayed);
        }
        recovery.used_at = Some(now);
        Ok(())
    }

    /// How many recovery codes are still unused.
    pub fn recovery_remaining(&self) -> usize {
        self.recovery.iter().filter(|r| r.used_at.is_none()).count()
    }

    /// Replaces every recovery code with new ones (the old ones stop working).
    pub fn replace_recovery(&mut self, hashes: Vec<TokenHash>) {
        self.recovery = hashes.into_iter().map(RecoveryCode::new).collect();
    }

    /// An enrolment made enabled by an operator with a secret they hold (the
    /// automation path for scripts that log in as the superuser): no recovery
    /// codes, no code used yet.
    pub fn enrolled(secret: TotpSecret, now: DateTime<Utc>) -> Self {
        Self { secret, started_at: now, enabled_at: Some(now), last_used_step: None, recovery: Vec::new() }
    }

    /// Whether `next` may replace `self` in a store that saves a state only
    /// when it moves forward (the superuser's, written through a narrow
    /// operation whose caller cannot be trusted to have checked a code): the
    /// secret and start unchanged; an enrolment waiting for confirmation only
    /// becomes enabled; an enabled one stays enabled, from the same moment,
    /// and records a newer code (a later step) or one more used recovery code
    /// — so two logins racing with one code cannot both save, and nothing
    /// can be un-used.
    pub fn may_follow(&self, next: &Mfa) -> bool {
        if self.secret != next.secret || self.started_at != next.started_at {
            return false;
        }
        match (self.enabled_at, next.enabled_at) {
            (None, Some(_)) => true,
            (Some(was), Some(is)) if was == is => {
                let newer_step = match (self.last_used_step, next.last_used_step) {
                    (None, Some(_)) => true,
                    (Some(a), Some(b)) => b > a,
                    _ => false,
                };
                let used = |m: &Mfa| m.recovery.iter().filter(|r| r.used_at.is_some()).count();
                let renewed = self.recovery.iter().map(|r| &r.hash).ne(next.recovery.iter().map(|r| &r.hash));
                // A renewal (new codes) needs a current code, so it comes with a newer step.
                newer_step || (!renewed && used(next) > used(self))
            }
            _ => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The RFC 6238 appendix B SHA1 secret.
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(*b"12345678901234567890")
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    fn code(secret: &TotpSecret, seconds: i64) -> String {
        code_at(secret, at(seconds)).unwrap().expose_secret().to_owned()
    }

    /// A fixed sign-in time, in the middle of a step.
    const NOW: i64 = 1_790_000_015;

    fn recovery_texts() -> Vec<SecretString> {
        (0..RECOVERY_CODES).map(|i| recovery_code_text([u8::try_from(i).unwrap(); 10])).collect()
    }

    fn enabled() -> Mfa {
        let secret = rfc_secret();
        let mut mfa = Mfa::start(secret.clone(), at(NOW - 600));
        let hashes = recovery_texts().iter().map(|t| recovery_hash(t.expose_secret()).unwrap()).collect();
        mfa.confirm(&code(&secret, NOW - 600), at(NOW - 600), hashes).unwrap();
        mfa
    }

    #[test]
    fn the_rfc_6238_sha1_vectors_give_their_last_six_digits() {
        let secret = rfc_secret();
        for (seconds, expected) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code(&secret, seconds), expected, "T={seconds}");
            let step = u64::try_from(seconds).unwrap() / 30;
            assert_eq!(verify_code(&secret, expected, at(seconds), None), Ok(step));
        }
    }

    #[test]
    fn the_fixed_parameters_pass_totp_rs_checks() {
        let secret = rfc_secret();
        let checked = TOTP::new(
            Algorithm::SHA1,
            Totp::DIGITS,
            Totp::SKEW,
            Totp::STEP_SECONDS,
            secret.0.expose_secret().to_vec(),
            None,
            String::new(),
        );
        assert!(checked.is_ok());
    }

    #[test]
    fn the_previous_and_next_codes_are_accepted_but_not_two_steps_away() {
        let secret = rfc_secret();
        let step = u64::try_from(NOW).unwrap() / 30;
        assert_eq!(verify_code(&secret, &code(&secret, NOW - 30), at(NOW), None), Ok(step - 1));
        assert_eq!(verify_code(&secret, &code(&secret, NOW + 30), at(NOW), None), Ok(step + 1));
        assert_eq!(verify_code(&secret, &code(&secret, NOW - 60), at(NOW), None), Err(MfaError::WrongCode));
        assert_eq!(verify_code(&secret, &code(&secret, NOW + 60), at(NOW), None), Err(MfaError::WrongCode));
    }

    #[test]
    fn a_code_is_accepted_once() {
        let secret = rfc_secret();
        let current = code(&secret, NOW);
        let step = verify_code(&secret, &current, at(NOW), None).unwrap();
        assert_eq!(verify_code(&secret, &current, at(NOW), Some(step)), Err(MfaError::Replayed));
        // an older code is refused too once a newer one was used
        let previous = code(&secret, NOW - 30);
        assert_eq!(verify_code(&secret, &previous, at(NOW), Some(step)), Err(MfaError::Replayed));
        // the next one still works
        assert_eq!(verify_code(&secret, &code(&secret, NOW + 30), at(NOW + 30), Some(step)), Ok(step + 1));
    }

    #[test]
    fn spaces_are_ignored_but_other_shapes_are_malformed() {
        let secret = rfc_secret();
        let current = code(&secret, NOW);
        let spaced = format!(" {} {} ", &current[..3], &current[3..]);
        assert!(verify_code(&secret, &spaced, at(NOW), None).is_ok());
        for bad in ["", "   ", "12345", "1234567", "12345a", "abcdef", "12-456", "１２３４５６"] {
            assert_eq!(verify_code(&secret, bad, at(NOW), None), Err(MfaError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn times_before_1970_refuse_every_code_without_panicking() {
        let secret = rfc_secret();
        assert_eq!(verify_code(&secret, "123456", at(-1), None), Err(MfaError::WrongCode));
        assert_eq!(verify_code(&secret, "123456", DateTime::<Utc>::MIN_UTC, None), Err(MfaError::WrongCode));
        assert!(code_at(&secret, at(-30)).is_none());
        // the very first step has no previous one
        assert_eq!(verify_code(&secret, &code(&secret, 0), at(0), None), Ok(0));
        assert!(verify_code(&secret, "000000", DateTime::<Utc>::MAX_UTC, None).is_err());
    }

    #[test]
    fn the_secret_round_trips_through_base32_and_hides_from_debug() {
        let secret = rfc_secret();
        let text = secret.to_base32();
        assert_eq!(text.expose_secret(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(TotpSecret::from_base32(text.expose_secret()).unwrap(), secret);
        assert_eq!(TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap(), secret);
        for bad in ["", "GEZDGNBVGY3TQOJQ", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQAA"] {
            assert_eq!(TotpSecret::from_base32(bad).err(), Some(MfaError::InvalidSecret), "{bad}");
        }
        assert_eq!(format!("{secret:?}"), "TotpSecret(…)");
        assert_ne!(secret, TotpSecret::from_bytes([0; 20]));
    }

    #[test]
    fn the_otpauth_url_names_issuer_account_and_secret_with_the_app_defaults() {
        let url = otpauth_url(&rfc_secret(), "Tenantry", "ada@example.com").unwrap();
        let url = url.expose_secret();
        assert!(url.starts_with("otpauth://totp/Tenantry:ada%40example.com?"), "{url}");
        assert!(url.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), "{url}");
        assert!(url.contains("issuer=Tenantry"), "{url}");
        // SHA1, 6 digits and 30 s are the defaults, so the URL leaves them out
        assert!(!url.contains("digits=") && !url.contains("period=") && !url.contains("algorithm="), "{url}");
        assert_eq!(otpauth_url(&rfc_secret(), "Acme: Inc", "ada@example.com").err(), Some(MfaError::InvalidLabel));
        assert_eq!(otpauth_url(&rfc_secret(), "Tenantry", "a:b").err(), Some(MfaError::InvalidLabel));
        assert_eq!(otpauth_url(&rfc_secret(), " ", "ada@example.com").err(), Some(MfaError::InvalidLabel));
    }

    #[test]
    fn an_enrolment_is_enabled_by_a_correct_code_only_once() {
        let secret = rfc_secret();
        let mut mfa = Mfa::start(secret.clone(), at(NOW));
        assert!(!mfa.is_enabled());
        assert_eq!(mfa.verify(&code(&secret, NOW), at(NOW)), Err(MfaError::NotEnabled));
        let wrong = if code(&secret, NOW) == "000000" { "111111" } else { "000000" };
        assert!(mfa.confirm(wrong, at(NOW), vec![]).is_err());
        assert!(!mfa.is_enabled());
        let hashes: Vec<TokenHash> =
            recovery_texts().iter().map(|t| recovery_hash(t.expose_secret()).unwrap()).collect();
        mfa.confirm(&code(&secret, NOW), at(NOW), hashes.clone()).unwrap();
        assert!(mfa.is_enabled());
        assert_eq!(mfa.enabled_at, Some(at(NOW)));
        assert_eq!(mfa.recovery_remaining(), RECOVERY_CODES);
        assert_eq!(mfa.confirm(&code(&secret, NOW + 30), at(NOW + 30), hashes), Err(MfaError::AlreadyEnabled));
        // the confirming code counts as used
        assert_eq!(mfa.verify(&code(&secret, NOW), at(NOW)), Err(MfaError::Replayed));
        mfa.verify(&code(&secret, NOW + 30), at(NOW + 30)).unwrap();
        assert_eq!(mfa.verify(&code(&secret, NOW + 30), at(NOW + 30)), Err(MfaError::Replayed));
    }

    #[test]
    fn a_recovery_code_works_once_in_any_case_and_spacing() {
        let mut mfa = enabled();
        let text = recovery_texts()[3].expose_secret().to_owned();
        let shouted = text.replace('-', " ").to_uppercase();
        mfa.verify(&shouted, at(NOW)).unwrap();
        assert_eq!(mfa.recovery_remaining(), RECOVERY_CODES - 1);
        assert_eq!(mfa.recovery[3].used_at, Some(at(NOW)));
        assert_eq!(mfa.verify(&text, at(NOW + 60)), Err(MfaError::Replayed));
        // another one still works; an unknown one does not
        mfa.verify(recovery_texts()[4].expose_secret(), at(NOW)).unwrap();
        let unknown = recovery_code_text([0xAB; 10]);
        assert_eq!(mfa.verify(unknown.expose_secret(), at(NOW)), Err(MfaError::WrongCode));
        assert_eq!(mfa.verify("not-a-code", at(NOW)), Err(MfaError::Malformed));
        assert_eq!(mfa.recovery_remaining(), RECOVERY_CODES - 2);
        // new codes replace every old one
        let fresh = recovery_code_text([0xCD; 10]);
        mfa.replace_recovery(vec![recovery_hash(fresh.expose_secret()).unwrap()]);
        assert_eq!(mfa.verify(recovery_texts()[5].expose_secret(), at(NOW)), Err(MfaError::WrongCode));
        mfa.verify(fresh.expose_secret(), at(NOW)).unwrap();
        assert_eq!(mfa.recovery_remaining(), 0);
    }

    #[test]
    fn recovery_code_text_is_four_groups_of_four_base32_characters() {
        let text = recovery_code_text([0; 10]);
        assert_eq!(text.expose_secret(), "aaaa-aaaa-aaaa-aaaa");
        let text = recovery_code_text([0xFF, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x10]);
        let shape = text.expose_secret();
        assert_eq!(shape.len(), 19);
        assert!(
            shape.split('-').all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        );
        assert_eq!(recovery_hash(shape), recovery_hash(&shape.replace('-', "").to_uppercase()));
        for bad in ["", "aaaa-aaaa-aaaa-aaa", "aaaa-aaaa-aaaa-aaaaa", "aaaa-aaaa-aaaa-aaa1", "aaaa-aaaa-aaaa-aaa_"] {
            assert!(recovery_hash(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn debug_output_shows_neither_the_base32_secret_nor_its_bytes() {
        let mfa = enabled();
        let debug = format!("{mfa:?} {:?}", mfa.secret);
        assert!(!debug.contains("GEZDGNBVGY3TQOJQ"), "{debug}");
        assert!(!debug.to_lowercase().contains("gezdgnbvgy3tqojq"), "{debug}");
        assert!(!debug.contains("49, 50, 51"), "{debug}");
        assert!(!debug.contains("12345678901234567890"), "{debug}");
        assert!(debug.contains("TotpSecret(…)"), "{debug}");
    }

    #[test]
    fn an_enrolment_round_trips_through_serde_with_the_secret_as_base32() {
        let mut mfa = enabled();
        mfa.verify(recovery_texts()[0].expose_secret(), at(NOW)).unwrap();
        let json = serde_json::to_value(&mfa).unwrap();
        assert_eq!(json["secret"], "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let back: Mfa = serde_json::from_value(json).unwrap();
        assert_eq!(back, mfa);
        assert_eq!(back.recovery_remaining(), RECOVERY_CODES - 1);
        let bad = serde_json::json!({
            "secret": "nope", "started_at": "2026-01-01T00:00:00Z", "enabled_at": null,
            "last_used_step": null, "recovery": []
        });
        assert!(serde_json::from_value::<Mfa>(bad).is_err());
    }

    #[test]
    fn a_platform_save_moves_forward_only() {
        let secret = rfc_secret();
        let pending = Mfa::start(secret.clone(), at(NOW - 600));
        let mut on = pending.clone();
        let hashes: Vec<TokenHash> =
            recovery_texts().iter().map(|t| recovery_hash(t.expose_secret()).unwrap()).collect();
        on.confirm(&code(&secret, NOW - 600), at(NOW - 600), hashes.clone()).unwrap();
        assert!(pending.may_follow(&on), "a confirmation");
        assert!(!on.may_follow(&pending), "never back to pending");
        assert!(!on.may_follow(&on), "the same state twice: a replayed code");
        let mut later = on.clone();
        later.verify(&code(&secret, NOW), at(NOW)).unwrap();
        assert!(on.may_follow(&later), "a newer code");
        assert!(!later.may_follow(&on), "an older step");
        let mut recovered = on.clone();
        recovered.verify(recovery_texts()[3].expose_secret(), at(NOW)).unwrap();
        assert!(on.may_follow(&recovered), "one more recovery code used");
        assert!(!recovered.may_follow(&on), "a used recovery code is never unused");
        let mut renewed_without_code = on.clone();
        renewed_without_code.replace_recovery(hashes[..2].to_vec());
        assert!(!on.may_follow(&renewed_without_code), "new recovery codes need a current code");
        let mut renewed = later.clone();
        renewed.verify(&code(&secret, NOW + 30), at(NOW + 30)).unwrap();
        renewed.replace_recovery(hashes[..2].to_vec());
        assert!(later.may_follow(&renewed), "a renewal with a current code");
        let other = Mfa::start(TotpSecret::from_bytes([9; 20]), at(NOW - 600));
        assert!(!on.may_follow(&other) && !pending.may_follow(&other), "the secret never changes here");
        let mut moved = later.clone();
        moved.enabled_at = Some(at(NOW));
        moved.last_used_step = Some(u64::MAX);
        assert!(!later.may_follow(&moved), "the enabling moment is kept");
    }

    proptest! {
        #[test]
        fn the_code_of_now_verifies_now_and_one_step_either_side(
            bytes in any::<[u8; 20]>(),
            seconds in 30i64..=4_102_444_800,
        ) {
            let secret = TotpSecret::from_bytes(bytes);
            let now = code(&secret, seconds);
            for t in [seconds - 30, seconds, seconds + 30] {
                prop_assert!(verify_code(&secret, &now, at(t), None).is_ok(), "at {}", t);
            }
        }

        #[test]
        fn any_other_six_digit_code_is_refused(
            bytes in any::<[u8; 20]>(),
            seconds in 0i64..=4_102_444_800,
            guess in 0u32..1_000_000,
        ) {
            let secret = TotpSecret::from_bytes(bytes);
            let guess = format!("{guess:06}");
            let valid = [seconds - 30, seconds, seconds + 30].map(|t| code_at(&secret, at(t)));
            prop_assume!(valid.iter().flatten().all(|v| v.expose_secret() != guess));
            prop_assert_eq!(verify_code(&secret, &guess, at(seconds), None), Err(MfaError::WrongCode));
        }
    }
}
