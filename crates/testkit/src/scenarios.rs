//! Whole-service scenarios that every store must pass, as functions that
//! report what happened (the caller's test asserts it). The in-memory tests run
//! them over [`crate::MemoryStore`]; an adapter crate runs them over its own
//! store by building the [`Harness`] with [`crate::harness::HarnessBuilder::store`].

use crate::harness::{Harness, HarnessError};
use tenantry_ports::Problem;
use tenantry_ports::services::invitations::InviteInput;
use tenantry_ports::services::users::UserPatch;

/// What the seat rush ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatRush {
    /// Requests that consumed a seat.
    pub succeeded: usize,
    /// Requests refused with `seat_limit_reached`.
    pub refused: usize,
    /// The codes of any other answer (there should be none).
    pub other: Vec<&'static str>,
    /// Seats used afterwards, as the subscription view counts them.
    pub seats_used: u32,
    /// Seats licensed afterwards.
    pub seats: Option<u32>,
}

/// 100 concurrent seat-consuming requests on a paid tenant with exactly 5 free
/// seats: 96 invitations and 4 reactivations (each of the 4 deactivated users
/// asked for once), all started at once on a multi-threaded runtime. The seat
/// rule holds under concurrency when exactly 5 succeed and 95 are refused with
/// `seat_limit_reached`, and 10 of 10 seats are then used.
///
/// The tenant (`slug`) has 10 licensed seats; used are the owner and 4 pending
/// invitations, while 4 members are deactivated (they use no seat).
pub async fn seat_rush(h: &Harness, slug: &str) -> Result<SeatRush, HarnessError> {
    let tenant = h.paid_tenant(slug, 10).await?;
    let owner = h.owner_scope(&tenant).await?;
    let mut deactivated = Vec::new();
    for i in 0..4 {
        let (id, _) = h.add_user(&tenant, &format!("u{i}@{slug}.example.com"), "member").await?;
        deactivated.push(id);
    }
    for id in &deactivated {
        h.tenantry
            .update_user(&owner, *id, UserPatch { role: None, active: Some(false) })
            .await
            .map_err(|e| HarnessError(e.to_string()))?;
    }
    for i in 0..4 {
        let input = InviteInput { email: format!("p{i}@{slug}.example.com"), role: "member".into() };
        h.tenantry.invite(&owner, input).await.map_err(|e| HarnessError(e.to_string()))?;
    }
    let before = h.tenantry.subscription_view(&owner).await.map_err(|e| HarnessError(e.to_string()))?;
    if before.seats_used != 5 {
        return Err(HarnessError(format!("the rush must start with 5 used seats, not {}", before.seats_used)));
    }
    let mut tasks = Vec::new();
    for i in 0..100 {
        let svc = h.tenantry.clone();
        let scope = owner.clone();
        let reactivate = deactivated.get(i / 25).copied().filter(|_| i % 25 == 0);
        let email = format!("r{i}@{slug}.example.com");
        tasks.push(tokio::spawn(async move {
            match reactivate {
                Some(id) => svc
                    .update_user(&scope, id, UserPatch { role: None, active: Some(true) })
                    .await
                    .map(|_| ())
                    .map_err(|e| e.code()),
                None => svc
                    .invite(&scope, InviteInput { email, role: "member".into() })
                    .await
                    .map(|_| ())
                    .map_err(|e| e.code()),
            }
        }));
    }
    let mut rush = SeatRush { succeeded: 0, refused: 0, other: Vec::new(), seats_used: 0, seats: None };
    for task in tasks {
        match task.await.map_err(|e| HarnessError(format!("a request task failed: {e}")))? {
            Ok(()) => rush.succeeded += 1,
            Err("seat_limit_reached") => rush.refused += 1,
            Err(code) => rush.other.push(code),
        }
    }
    let after = h.tenantry.subscription_view(&owner).await.map_err(|e| HarnessError(e.to_string()))?;
    rush.seats_used = after.seats_used;
    rush.seats = after.seats;
    Ok(rush)
}
