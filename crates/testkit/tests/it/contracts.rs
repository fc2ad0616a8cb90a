//! Every port's contract suite against the in-memory adapters, the billing
//! simulator, the fakes, and the production defaults of the ports crate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use std::sync::Arc;
use tenantry_domain::{EntityId, TenantId};
use tenantry_ports::defaults::{Argon2idHasher, OsTokenGenerator, SystemClock, UuidV7Generator};
use tenantry_testkit::contract::payment::SimulatorHarness;
use tenantry_testkit::contract::store::MemoryFactory;
use tenantry_testkit::contract::{directory, payment, store, system};
use tenantry_testkit::harness::epoch;
use tenantry_testkit::{
    BillingSimulator, FakeClock, InsecureFastHasher, PredictableTokens, RecordingMailer, SequentialIds,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_memory_store_keeps_the_store_contract() {
    store::run(&MemoryFactory).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_memory_directory_keeps_the_directory_contract() {
    directory::run(&MemoryFactory).await.unwrap();
}

#[tokio::test]
async fn the_billing_simulator_keeps_the_payment_provider_contract() {
    let clock = FakeClock::at(epoch());
    let simulator = BillingSimulator::new(Arc::new(clock.clone()), Default::default());
    let tenant = TenantId::from_uuid(tenantry_domain::ids::uuid_v7_from_parts(1, [1; 10])).unwrap();
    payment::run(&SimulatorHarness { simulator, clock }, tenant).await.unwrap();
}

#[test]
fn clocks_keep_the_clock_contract() {
    system::clock(&SystemClock::default()).unwrap();
    system::clock(&FakeClock::at(epoch())).unwrap();
}

#[test]
fn id_generators_keep_the_id_contract() {
    system::id_generator(&UuidV7Generator::default()).unwrap();
    system::id_generator(&SequentialIds::default()).unwrap();
}

#[test]
fn token_generators_keep_the_token_contract() {
    system::token_generator(&OsTokenGenerator).unwrap();
    system::token_generator(&PredictableTokens::default()).unwrap();
}

#[tokio::test]
async fn password_hashers_keep_the_hasher_contract() {
    system::password_hasher(&Argon2idHasher::new().unwrap()).await.unwrap();
    system::password_hasher(&InsecureFastHasher).await.unwrap();
}

#[tokio::test]
async fn the_recording_mailer_keeps_the_mailer_contract() {
    let mailer = RecordingMailer::new();
    system::mailer(&mailer).await.unwrap();
    assert_eq!(mailer.sent().len(), 7);
}
