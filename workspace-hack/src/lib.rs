//! Empty on purpose: a crate that every member depends on, so that each shared dependency is
//! built with one set of features, whatever a learner types.
//!
//! Cargo resolves features for the packages it is asked to build: `cargo run -p io_async` asks
//! for io_async alone and gets tokio, hyper and the rest with io_async's features, while
//! `cargo build --workspace` or `cargo test` unifies every member's, so each switch between the
//! two recompiled the shared dependencies. This crate's `Cargo.toml` asks for the union of every
//! member's features, which [cargo-hakari](https://docs.rs/cargo-hakari) writes and CI checks
//! (`cargo hakari generate --diff`, `cargo hakari manage-deps --dry-run`): after changing a
//! dependency, run `cargo hakari generate`.
