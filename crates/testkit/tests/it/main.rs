//! The integration tests of this crate, one binary: one module per behaviour
//! area (see each module's own documentation).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

mod access;
mod backup;
mod billing;
mod contracts;
mod erasure;
mod files;
mod isolation;
mod jobs;
mod journey;
mod lifecycle;
mod mfa;
mod outbox;
mod product_tables;
mod promotions;
mod robustness;
mod team;
