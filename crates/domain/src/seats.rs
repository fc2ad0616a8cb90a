//! Seats (DESIGN.md "Seats"): *used seats* = active users + pending invitations
//! (the owner counts) and never exceed the licensed seats.

use serde::{Deserialize, Serialize};

/// The most seats one tenant can license; a guard against typos, not a business limit.
pub const MAX_SEATS: u32 = 100_000;

/// Why a seat count was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeatsError {
    /// Zero or negative.
    #[error("a subscription needs at least 1 seat, {0} requested")]
    NotPositive(i64),
    /// More than [`MAX_SEATS`].
    #[error("at most {MAX_SEATS} seats can be licensed, {0} requested")]
    TooMany(i64),
}

/// A licensed seat count, at least 1.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u32")]
pub struct Seats(u32);

impl Seats {
    /// Checks a requested seat count (the HTTP body's number, possibly negative).
    pub fn new(n: i64) -> Result<Self, SeatsError> {
        if n <= 0 {
            Err(SeatsError::NotPositive(n))
        } else if n > i64::from(MAX_SEATS) {
            Err(SeatsError::TooMany(n))
        } else {
            u32::try_from(n).map(Self).map_err(|_| SeatsError::TooMany(n))
        }
    }
    /// The count.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Seats {
    type Error = SeatsError;
    fn try_from(n: i64) -> Result<Self, SeatsError> {
        Self::new(n)
    }
}
impl From<Seats> for u32 {
    fn from(s: Seats) -> u32 {
        s.0
    }
}

/// How many seats a tenant may use right now.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatLimit {
    /// The trial: not capped.
    Uncapped,
    /// At most this many used seats.
    Capped(u32),
}

impl SeatLimit {
    /// The lower of this limit and an optional cap (a quota on active users).
    pub fn capped_by(self, cap: Option<u32>) -> SeatLimit {
        match (self, cap) {
            (limit, None) => limit,
            (SeatLimit::Uncapped, Some(c)) => SeatLimit::Capped(c),
            (SeatLimit::Capped(n), Some(c)) => SeatLimit::Capped(n.min(c)),
        }
    }

    /// The cap, if any.
    pub fn cap(self) -> Option<u32> {
        match self {
            SeatLimit::Uncapped => None,
            SeatLimit::Capped(n) => Some(n),
        }
    }
}

/// What occupies seats.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct SeatUsage {
    /// Active users, the owner included.
    pub active_users: u32,
    /// Invitations neither accepted, revoked nor expired.
    pub pending_invitations: u32,
}

impl SeatUsage {
    /// Used seats = active users + pending invitations.
    pub fn used(&self) -> u32 {
        self.active_users.saturating_add(self.pending_invitations)
    }
}

/// A seat-consuming request that does not fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error(
    "all {licensed} licensed seats are in use ({used} used); {missing} more seat(s) needed — \
     add seats or free one by revoking an invitation or deactivating a user"
)]
pub struct SeatLimitReached {
    /// Seats licensed (the lower of now and next period when a reduction is scheduled).
    pub licensed: u32,
    /// Seats used now.
    pub used: u32,
    /// How many seats are missing for the request.
    pub missing: u32,
}

/// Whether `additional` more used seats fit under `limit`.
pub fn ensure_room(usage: SeatUsage, limit: SeatLimit, additional: u32) -> Result<(), SeatLimitReached> {
    let Some(licensed) = limit.cap() else {
        return Ok(());
    };
    let used = usage.used();
    let wanted = used.saturating_add(additional);
    if wanted <= licensed { Ok(()) } else { Err(SeatLimitReached { licensed, used, missing: wanted - licensed }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_negative_and_absurd_seat_counts_are_refused() {
        assert_eq!(Seats::new(0), Err(SeatsError::NotPositive(0)));
        assert_eq!(Seats::new(-3), Err(SeatsError::NotPositive(-3)));
        assert_eq!(Seats::new(100_001), Err(SeatsError::TooMany(100_001)));
        assert_eq!(Seats::new(5).unwrap().get(), 5);
    }

    #[test]
    fn the_owner_and_pending_invitations_count_as_used_seats() {
        let usage = SeatUsage { active_users: 2, pending_invitations: 1 };
        assert_eq!(usage.used(), 3);
        assert_eq!(
            ensure_room(usage, SeatLimit::Capped(3), 1),
            Err(SeatLimitReached { licensed: 3, used: 3, missing: 1 })
        );
        assert_eq!(ensure_room(usage, SeatLimit::Capped(4), 1), Ok(()));
        assert_eq!(ensure_room(usage, SeatLimit::Uncapped, 1000), Ok(()));
    }

    #[test]
    fn the_refusal_says_how_many_seats_are_missing() {
        let err =
            ensure_room(SeatUsage { active_users: 5, pending_invitations: 0 }, SeatLimit::Capped(3), 1).unwrap_err();
        assert_eq!(err.missing, 3);
        assert!(err.to_string().contains("3 more seat(s) needed"));
    }
}
