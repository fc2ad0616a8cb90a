//! The integration tests of this crate, one binary: one module per behaviour
//! area and the shared `support` module (see each module's own documentation).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

mod adapter;
mod contracts;
mod scenarios;
mod support;
