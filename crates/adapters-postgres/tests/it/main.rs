//! The integration tests of this crate, one binary: one module per behaviour
//! area (see each module's own documentation).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

mod backup;
mod billing;
mod concurrency;
mod contracts;
mod embedding;
mod erasure;
mod isolation;
mod jobs;
mod outbox;
mod rls;
mod secrets;
