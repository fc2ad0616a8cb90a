//! Sessions (OAuth 2.0 Security BCP, issue 18): each login makes one, and
//! every token names it. A session ends when its account's token version moves
//! on (a password change, a deactivation, "sign out everywhere"), when it is
//! ended on its own (a logout, a revoke from the sessions list, a reused
//! refresh token), when it has been idle too long, and at its absolute end.
//!
//! Refresh tokens rotate: each carries the session's refresh generation, and
//! a refresh answers a token of the next one. A token of an older generation —
//! one that was already exchanged — is a stolen copy or a replay: the whole
//! session ends ([`Session::rotate`]), so the thief's copy and the owner's
//! newer token both stop working (RFC 9700 §4.14.2).

use crate::ids::SessionId;
use crate::{PlatformUserId, UserId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How a session was started, which sets its limits.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// Tokens for an API client (access and refresh).
    Api,
    /// A browser's cookie.
    Web,
    /// The superuser acting as a user for support (one access token).
    Impersonation,
}

impl SessionKind {
    /// Its text form.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Api => "api",
            SessionKind::Web => "web",
            SessionKind::Impersonation => "impersonation",
        }
    }

    /// The text form back.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "api" => Some(SessionKind::Api),
            "web" => Some(SessionKind::Web),
            "impersonation" => Some(SessionKind::Impersonation),
            _ => None,
        }
    }
}

/// How long a session may be idle, and how long it may last at all.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SessionLimits {
    /// Unused this long, it ends.
    pub idle: Duration,
    /// It ends this long after it began, used or not.
    pub absolute: Duration,
}

impl SessionLimits {
    /// The limits of a session of `kind` (issue 18): a tenant user's browser 24
    /// hours idle and 14 days at most; the superuser's browser 30 minutes idle
    /// and 12 hours at most; API sessions live by their refresh token (14 days
    /// idle; 90 days at most for users, 14 for the superuser). An impersonation
    /// lasts what it was started for (its `until`).
    pub fn of(kind: SessionKind, superuser: bool) -> Self {
        match (kind, superuser) {
            (SessionKind::Web, false) => Self { idle: Duration::hours(24), absolute: Duration::days(14) },
            (SessionKind::Web, true) => Self { idle: Duration::minutes(30), absolute: Duration::hours(12) },
            (SessionKind::Api, false) => Self { idle: Duration::days(14), absolute: Duration::days(90) },
            (SessionKind::Api, true) => Self { idle: Duration::days(14), absolute: Duration::days(14) },
            (SessionKind::Impersonation, _) => Self { idle: Duration::hours(1), absolute: Duration::hours(1) },
        }
    }
}

/// Whose session it is.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum SessionOwner {
    /// A tenant's user (or, in an impersonation, the user acted as).
    User(UserId),
    /// A platform operator.
    Superuser(PlatformUserId),
}

/// Why a session ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SessionEnd {
    /// Its owner logged out of it.
    LoggedOut,
    /// Its owner (or an admin) revoked it from the sessions list.
    Revoked,
    /// A refresh token of it was used a second time.
    RefreshReused,
    /// Another session of the owner enabled two-factor authentication, or reset the password.
    Superseded,
    /// The superuser stopped the support session.
    Stopped,
    /// Its user was erased.
    Erased,
}

impl SessionEnd {
    /// Its text form.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEnd::LoggedOut => "logged_out",
            SessionEnd::Revoked => "revoked",
            SessionEnd::RefreshReused => "refresh_reused",
            SessionEnd::Superseded => "superseded",
            SessionEnd::Stopped => "stopped",
            SessionEnd::Erased => "erased",
        }
    }

    /// The text form back.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::LoggedOut, Self::Revoked, Self::RefreshReused, Self::Superseded, Self::Stopped, Self::Erased]
            .into_iter()
            .find(|e| e.as_str() == text)
    }
}

/// A client's address, kept only as its network (IPv4 /24, IPv6 /48): enough
/// to tell a user "a session from 203.0.113.0/24", not to identify a host.
pub fn address_prefix(address: std::net::IpAddr) -> String {
    match address {
        std::net::IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => address_prefix(std::net::IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        },
    }
}

/// A user agent as kept: at most 200 characters, no control characters.
pub fn user_agent_text(agent: &str) -> String {
    agent.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// Why a refresh was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum RefreshError {
    /// The session has ended (or expired): log in again.
    #[error("the session has ended")]
    Ended,
    /// The token was exchanged before: the session ends now.
    #[error("the refresh token was used before; the session has ended")]
    Reused,
}

/// A `Duration` as whole seconds (how a session's idle limit is written).
mod seconds {
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_seconds())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = i64::deserialize(d)?;
        Duration::try_seconds(secs).ok_or_else(|| serde::de::Error::custom("seconds out of range"))
    }
}

/// One session.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Session {
    /// Every field, private: read through the accessors, changed by the transitions.
    r: SessionRecord,
}

/// Session as a store keeps it: every field, for [`Session::restore`] and
/// [`Session::record`]. Changes go through [`Session`]'s transitions.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Its id (every token of it names it).
    pub id: SessionId,
    /// Whose.
    pub owner: SessionOwner,
    /// How it was started.
    pub kind: SessionKind,
    /// The superuser acting as the user, in an impersonation.
    pub impersonator: Option<PlatformUserId>,
    /// The account's token version when it began (a later version ends it).
    pub token_version: u32,
    /// The refresh generation its newest refresh token carries.
    pub refresh_generation: u32,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// When a token of it was last used (kept to the minute).
    pub last_used_at: DateTime<Utc>,
    /// How long it may be idle.
    #[serde(with = "seconds")]
    pub idle: Duration,
    /// Its absolute end.
    pub expires_at: DateTime<Utc>,
    /// The client's user agent (200 characters at most).
    pub user_agent: Option<String>,
    /// The client's network (see [`address_prefix`]).
    pub address: Option<String>,
    /// When it ended, and why.
    pub ended: Option<(DateTime<Utc>, SessionEnd)>,
}

/// Reading: one accessor per field (the fields are private, so that every change is a transition).
impl Session {
    /// Its id (every token of it names it).
    pub fn id(&self) -> SessionId {
        self.r.id
    }
    /// Whose.
    pub fn owner(&self) -> SessionOwner {
        self.r.owner
    }
    /// How it was started.
    pub fn kind(&self) -> SessionKind {
        self.r.kind
    }
    /// The superuser acting as the user, in an impersonation.
    pub fn impersonator(&self) -> Option<PlatformUserId> {
        self.r.impersonator
    }
    /// The account's token version when it began (a later version ends it).
    pub fn token_version(&self) -> u32 {
        self.r.token_version
    }
    /// The refresh generation its newest refresh token carries.
    pub fn refresh_generation(&self) -> u32 {
        self.r.refresh_generation
    }
    /// When it began.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.r.created_at
    }
    /// When a token of it was last used (kept to the minute).
    pub fn last_used_at(&self) -> DateTime<Utc> {
        self.r.last_used_at
    }
    /// How long it may be idle.
    pub fn idle(&self) -> Duration {
        self.r.idle
    }
    /// Its absolute end.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.r.expires_at
    }
    /// The client's user agent (200 characters at most).
    pub fn user_agent(&self) -> &Option<String> {
        &self.r.user_agent
    }
    /// The client's network (see [`address_prefix`]).
    pub fn address(&self) -> &Option<String> {
        &self.r.address
    }
    /// When it ended, and why.
    pub fn ended(&self) -> Option<(DateTime<Utc>, SessionEnd)> {
        self.r.ended
    }

    /// The session from what a store kept.
    pub fn restore(r: SessionRecord) -> Self {
        Self { r }
    }

    /// What a store keeps of it.
    pub fn record(&self) -> SessionRecord {
        self.r.clone()
    }
}

impl Session {
    /// A session of `owner` begun at `now` with the limits of its kind
    /// (an impersonation's absolute end is `until`, capped at its limit).
    #[allow(clippy::too_many_arguments)]
    pub fn begin(
        id: SessionId,
        owner: SessionOwner,
        kind: SessionKind,
        token_version: u32,
        now: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
        user_agent: Option<&str>,
        address: Option<std::net::IpAddr>,
    ) -> Self {
        let limits = SessionLimits::of(kind, matches!(owner, SessionOwner::Superuser(_)));
        let natural = crate::time::saturating_add(now, limits.absolute);
        Session {
            r: SessionRecord {
                id,
                owner,
                kind,
                impersonator: None,
                token_version,
                refresh_generation: 0,
                created_at: now,
                last_used_at: now,
                idle: limits.idle,
                expires_at: until.map_or(natural, |u| u.min(natural)),
                user_agent: user_agent.map(user_agent_text).filter(|a| !a.is_empty()),
                address: address.map(address_prefix),
                ended: None,
            },
        }
    }

    /// The same session, begun by `superuser` on the user's behalf (support).
    pub fn with_impersonator(mut self, superuser: Option<PlatformUserId>) -> Self {
        self.r.impersonator = superuser;
        self
    }

    /// GDPR erasure of its user: the device and network it was used from are forgotten.
    pub fn forget_client(&mut self) {
        self.r.user_agent = None;
        self.r.address = None;
    }

    /// Whether it holds at `now` for an account at `token_version`.
    pub fn is_live(&self, now: DateTime<Utc>, token_version: u32) -> bool {
        self.r.ended.is_none()
            && self.r.token_version == token_version
            && now < self.r.expires_at
            && now < crate::time::saturating_add(self.r.last_used_at, self.r.idle)
    }

    /// Records a use at `now`; `true` when it changed (kept to the minute, so
    /// that a busy session is written at most once a minute).
    pub fn touch(&mut self, now: DateTime<Utc>) -> bool {
        if now - self.r.last_used_at >= Duration::minutes(1) {
            self.r.last_used_at = now;
            true
        } else {
            false
        }
    }

    /// Exchanges a refresh token of generation `presented` at `now`: the next
    /// generation, or `Reused` — then the session has ended (every token of it
    /// stops working, the newest one too).
    pub fn rotate(&mut self, presented: u32, now: DateTime<Utc>, token_version: u32) -> Result<u32, RefreshError> {
        if !self.is_live(now, token_version) {
            return Err(RefreshError::Ended);
        }
        if presented != self.r.refresh_generation {
            self.end(now, SessionEnd::RefreshReused);
            return Err(RefreshError::Reused);
        }
        self.r.refresh_generation = self.r.refresh_generation.wrapping_add(1);
        self.r.last_used_at = now;
        Ok(self.r.refresh_generation)
    }

    /// Ends it at `now` (a second end keeps the first).
    pub fn end(&mut self, now: DateTime<Utc>, why: SessionEnd) {
        if self.r.ended.is_none() {
            self.r.ended = Some((now, why));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{EntityId, uuid_v7_from_parts};

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::days(20_000) + Duration::minutes(minutes)
    }

    fn session(kind: SessionKind) -> Session {
        let id = SessionId::from_uuid(uuid_v7_from_parts(1, [1; 10])).unwrap();
        let user = UserId::from_uuid(uuid_v7_from_parts(2, [2; 10])).unwrap();
        let address = "203.0.113.77".parse().ok();
        Session::begin(id, SessionOwner::User(user), kind, 3, at(0), None, Some("curl/8\n"), address)
    }

    #[test]
    fn a_browser_session_ends_after_a_day_idle_and_fourteen_days_in_all() {
        let mut s = session(SessionKind::Web);
        assert_eq!((s.r.user_agent.as_deref(), s.r.address.as_deref()), (Some("curl/8"), Some("203.0.113.0/24")));
        assert!(s.is_live(at(24 * 60 - 1), 3));
        assert!(!s.is_live(at(24 * 60), 3), "24 hours idle");
        for day in 1..14 {
            assert!(s.touch(at(day * 24 * 60 - 60)));
        }
        assert!(!s.is_live(at(14 * 24 * 60), 3), "14 days in all, however busy");
        assert!(!s.is_live(at(60), 4), "a newer token version ends it");
    }

    #[test]
    fn the_superusers_browser_session_ends_after_thirty_minutes_idle() {
        let id = SessionId::from_uuid(uuid_v7_from_parts(1, [1; 10])).unwrap();
        let su = PlatformUserId::from_uuid(uuid_v7_from_parts(3, [3; 10])).unwrap();
        let s = Session::begin(id, SessionOwner::Superuser(su), SessionKind::Web, 0, at(0), None, None, None);
        assert!(s.is_live(at(29), 0));
        assert!(!s.is_live(at(30), 0));
    }

    #[test]
    fn touching_is_kept_to_the_minute() {
        let mut s = session(SessionKind::Api);
        assert!(!s.touch(at(0) + Duration::seconds(59)));
        assert!(s.touch(at(1)));
        assert_eq!(s.r.last_used_at, at(1));
    }

    #[test]
    fn a_refresh_token_rotates_and_its_reuse_ends_the_whole_session() {
        let mut s = session(SessionKind::Api);
        assert_eq!(s.rotate(0, at(1), 3), Ok(1));
        assert_eq!(s.rotate(1, at(2), 3), Ok(2));
        // The generation-1 token again: a copy. The session ends, so generation 2 is dead too.
        assert_eq!(s.rotate(1, at(3), 3), Err(RefreshError::Reused));
        assert_eq!(s.r.ended, Some((at(3), SessionEnd::RefreshReused)));
        assert_eq!(s.rotate(2, at(4), 3), Err(RefreshError::Ended));
        assert!(!s.is_live(at(4), 3));
    }

    #[test]
    fn an_impersonation_ends_at_its_until() {
        let id = SessionId::from_uuid(uuid_v7_from_parts(1, [1; 10])).unwrap();
        let user = UserId::from_uuid(uuid_v7_from_parts(2, [2; 10])).unwrap();
        let s = Session::begin(
            id,
            SessionOwner::User(user),
            SessionKind::Impersonation,
            0,
            at(0),
            Some(at(20)),
            None,
            None,
        );
        assert!(s.is_live(at(19), 0));
        assert!(!s.is_live(at(20), 0));
    }

    #[test]
    fn addresses_are_kept_as_networks() {
        let p = |a: &str| address_prefix(a.parse().unwrap());
        assert_eq!(p("198.51.100.200"), "198.51.100.0/24");
        assert_eq!(p("2001:db8:abcd:12::1"), "2001:db8:abcd::/48");
        assert_eq!(p("::ffff:192.0.2.9"), "192.0.2.0/24");
    }

    #[test]
    fn ends_have_text_forms() {
        for e in [SessionEnd::LoggedOut, SessionEnd::Revoked, SessionEnd::RefreshReused, SessionEnd::Superseded] {
            assert_eq!(SessionEnd::parse(e.as_str()), Some(e));
        }
        assert_eq!(SessionKind::parse("web"), Some(SessionKind::Web));
    }
}
