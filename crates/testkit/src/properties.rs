//! Property checks.
