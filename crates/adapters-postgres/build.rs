//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the
//! migrations at compile time, and cargo does not watch a directory for new
//! files by itself (sqlx's documentation recommends this script).

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
